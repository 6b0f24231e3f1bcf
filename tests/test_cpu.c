/* The run-time choice of instruction set (core/src/cpu.h) and the FMA peak
 * measured with it. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <omp.h>

#include "cpu.h"
#include "vnca/bench.h"

static CpuIsa widest_here(void)
{
    CpuIsa isa = CPU_ISA_PORTABLE;
    while (isa + 1 < CPU_ISA_COUNT && cpu_isa_runs(isa + 1)) isa++;
    return isa;
}

static void test_pick_runs_what_vnca_isa_names(void **state)
{
    (void)state;
    CpuIsa isa;
    VncaError err;
    for (CpuIsa widest = 0; widest < CPU_ISA_COUNT; widest++) {
        assert_int_equal(cpu_isa_pick(NULL, widest, &isa, &err), 0);
        assert_int_equal(isa, widest);
        for (CpuIsa wanted = 0; wanted <= widest; wanted++) {
            assert_int_equal(cpu_isa_pick(cpu_isa_name(wanted), widest, &isa, &err), 0);
            assert_int_equal(isa, wanted);
        }
    }
}

static void test_pick_refuses_unknown_and_too_wide(void **state)
{
    (void)state;
    CpuIsa isa;
    VncaError err;
    const char *unknown[] = {"avx1024", "AVX2", "", "sse"};
    for (size_t i = 0; i < sizeof unknown / sizeof *unknown; i++) {
        assert_int_equal(cpu_isa_pick(unknown[i], CPU_ISA_AVX512, &isa, &err), -1);
        assert_non_null(strstr(err.msg, "unknown instruction set"));
        char named[64];
        snprintf(named, sizeof named, "VNCA_ISA=%s:", unknown[i]);
        assert_true(strncmp(err.msg, named, strlen(named)) == 0);
    }
    assert_int_equal(cpu_isa_pick("avx512", CPU_ISA_AVX2, &isa, &err), -1);
    assert_string_equal(err.msg, "VNCA_ISA=avx512: this CPU cannot run it (its widest is avx2)");
    assert_int_equal(cpu_isa_pick("avx2", CPU_ISA_PORTABLE, &isa, &err), -1);
    assert_non_null(strstr(err.msg, "cannot run"));
}

static void test_choose_reads_the_environment(void **state)
{
    (void)state;
    CpuIsa isa;
    VncaError err;
    setenv("VNCA_ISA", "portable", 1);
    assert_int_equal(cpu_isa_choose(&isa, &err), 0);
    assert_int_equal(isa, CPU_ISA_PORTABLE);
    setenv("VNCA_ISA", "avx1024", 1);
    assert_int_equal(cpu_isa_choose(&isa, &err), -1);
    assert_non_null(strstr(err.msg, "VNCA_ISA=avx1024"));
    unsetenv("VNCA_ISA");
    assert_int_equal(cpu_isa_choose(&isa, &err), 0);
    assert_int_equal(isa, widest_here());
}

/* the peak is measured at the width asked for (VNCA_ISA) or the widest,
 * on every thread; how fast is the benchmark's to say, not a test's */
static void test_peak_runs_at_the_chosen_width(void **state)
{
    (void)state;
    VncaFmaPeak portable, widest;
    VncaError err;
    setenv("VNCA_ISA", "portable", 1);
    assert_int_equal(vnca_bench_fma_peak(0.2, &portable, &err), 0);
    assert_string_equal(portable.isa, "portable");
    assert_int_equal(portable.vector_bits, 128);
    assert_int_equal(portable.threads, omp_get_max_threads());
    assert_true(portable.gflops > 0.0);

    unsetenv("VNCA_ISA");
    assert_int_equal(vnca_bench_fma_peak(0.2, &widest, &err), 0);
    assert_string_equal(widest.isa, cpu_isa_name(widest_here()));
    assert_int_equal(widest.threads, omp_get_max_threads());
    assert_true(widest.gflops > 0.0);
    if (widest_here() != CPU_ISA_PORTABLE) assert_true(widest.vector_bits >= 256);

    setenv("VNCA_ISA", "avx1024", 1);
    assert_int_equal(vnca_bench_fma_peak(0.2, &widest, &err), -1);
    assert_non_null(strstr(err.msg, "VNCA_ISA=avx1024"));
    unsetenv("VNCA_ISA");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pick_runs_what_vnca_isa_names),
        cmocka_unit_test(test_pick_refuses_unknown_and_too_wide),
        cmocka_unit_test(test_choose_reads_the_environment),
        cmocka_unit_test(test_peak_runs_at_the_chosen_width),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
