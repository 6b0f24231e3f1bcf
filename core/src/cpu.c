/* Which instruction sets this CPU runs (see cpu.h). */
#include <stdlib.h>
#include <string.h>

#include "cpu.h"

static const char *const isa_names[CPU_ISA_COUNT] = {
    [CPU_ISA_PORTABLE] = "portable", [CPU_ISA_AVX2] = "avx2", [CPU_ISA_AVX512] = "avx512"};

const char *cpu_isa_name(CpuIsa isa) { return isa_names[isa]; }

bool cpu_isa_runs(CpuIsa isa)
{
#if CPU_X86
    /* __builtin_cpu_supports also asks whether the OS saves the wide registers */
    switch (isa) {
    case CPU_ISA_AVX512: return __builtin_cpu_supports("avx512f");
    case CPU_ISA_AVX2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    default: break;
    }
#endif
    return isa == CPU_ISA_PORTABLE;
}

int cpu_isa_pick(const char *wanted, CpuIsa widest, CpuIsa *isa, VncaError *err)
{
    *isa = widest;
    if (!wanted) return 0;
    for (CpuIsa i = 0; i < CPU_ISA_COUNT; i++) {
        if (strcmp(wanted, isa_names[i]) != 0) continue;
        if (i > widest)
            return vnca_fail(err, "VNCA_ISA=%s: this CPU cannot run it (its widest is %s)", wanted,
                             isa_names[widest]);
        *isa = i;
        return 0;
    }
    return vnca_fail(err, "VNCA_ISA=%s: unknown instruction set (avx512, avx2 or portable)", wanted);
}

CpuIsa cpu_isa_widest(void)
{
    CpuIsa widest = CPU_ISA_COUNT - 1;
    while (!cpu_isa_runs(widest)) widest--;
    return widest;
}

int cpu_isa_choose(CpuIsa *isa, VncaError *err)
{
    return cpu_isa_pick(getenv("VNCA_ISA"), cpu_isa_widest(), isa, err);
}
