/* The FMA peak: the multiply-adds a second this machine's vector units start
 * when nothing else limits them (vnca_bench_fma_peak in vnca/bench.h). */
#include <string.h>

#include "cpu.h"
#include "vnca/bench.h"
#if CPU_X86
#include <immintrin.h>
#endif

/* A kernel runs `chains` independent chains of multiply-adds on `vec`
 * values, `rounds` steps each, in registers, and returns the sum of all
 * lanes, so that none of the work is dead. A chain waits on its own last
 * result only: with at least latency x units chains (4 cycles x 2 units on
 * Zen 4/5 and Skylake-X) every FMA unit starts one each cycle. x * 0.5 + 0.5
 * tends to 1: no overflow, and no subnormals to slow it down. No chain starts
 * at 1, where the compiler would see it stays and drop it. A sanitizer's
 * checks would keep the chains in memory, and time themselves: a kernel
 * touches nothing but its own registers, so it goes unchecked. */
#define DEFINE_FMA_KERNEL(name, target, vec, chains, splat, fmadd)                          \
    __attribute__((no_sanitize("address", "undefined"))) target static float name(long rounds) \
    {                                                                                       \
        vec acc[chains];                                                                    \
        const vec half = splat(0.5f);                                                       \
        for (int c = 0; c < (chains); c++) acc[c] = splat(2.0f + c);                        \
        for (long r = 0; r < rounds; r++) {                                                 \
            _Pragma("GCC unroll 16") /* at -O2 too: the chains in registers, not an array */ \
            for (int c = 0; c < (chains); c++) acc[c] = fmadd(acc[c], half, half);          \
        }                                                                                   \
        for (int c = 1; c < (chains); c++) acc[0] = acc[0] + acc[c];                        \
        float lanes[sizeof(vec) / sizeof(float)], sum = 0.0f;                               \
        memcpy(lanes, acc, sizeof lanes);                                                   \
        for (size_t i = 0; i < sizeof lanes / sizeof *lanes; i++) sum += lanes[i];          \
        return sum;                                                                         \
    }

/* Plain C on the vectors of 4 floats that the portable matrix kernel uses
 * (the baseline instruction set's width): a multiply and an add; 12 chains
 * and the constant fit the 16 SSE registers (16 chains spilled: half the rate) */
#define PORTABLE_CHAINS 12
typedef float PortableVec __attribute__((vector_size(16)));
#define portable_splat(x) ((PortableVec){(x), (x), (x), (x)})
#define portable_mul_add(a, b, c) ((a) * (b) + (c))
DEFINE_FMA_KERNEL(fma_portable, , PortableVec, PORTABLE_CHAINS, portable_splat, portable_mul_add)

#if CPU_X86
/* AVX2 has 16 vector registers: 12 chains and the constant stay in them */
#define AVX2_CHAINS 12
DEFINE_FMA_KERNEL(fma_avx2, __attribute__((target("avx2,fma"))), __m256, AVX2_CHAINS,
                  _mm256_set1_ps, _mm256_fmadd_ps)
/* AVX-512 has 32 */
#define AVX512_CHAINS 16
DEFINE_FMA_KERNEL(fma_avx512, __attribute__((target("avx512f"))), __m512, AVX512_CHAINS,
                  _mm512_set1_ps, _mm512_fmadd_ps)
#endif

typedef float (*FmaKernel)(long rounds);

typedef struct FmaWidth {
    FmaKernel run;
    int chains;
    int vector_bits;
} FmaWidth;

static const FmaWidth widths[CPU_ISA_COUNT] = {
    [CPU_ISA_PORTABLE] = {fma_portable, PORTABLE_CHAINS, 128},
#if CPU_X86
    [CPU_ISA_AVX2] = {fma_avx2, AVX2_CHAINS, 256},
    [CPU_ISA_AVX512] = {fma_avx512, AVX512_CHAINS, 512},
#endif
};

/* Seconds until every OpenMP thread (or this one alone) has run `rounds`
 * rounds; *threads: how many did. */
static double time_rounds(FmaKernel kernel, long rounds, bool every_thread, int *threads)
{
    float total = 0.0f;
    int n = 0;
    const double start = vnca_seconds();
    #pragma omp parallel if (every_thread) reduction(+ : total, n)
    {
        total += kernel(rounds);
        n++;
    }
    const double seconds = vnca_seconds() - start;
    volatile float used = total; /* the sums are used: no call may be dropped */
    (void)used;
    *threads = n;
    return seconds;
}

/* The fastest of three runs on this thread alone: neither a first call's
 * costs nor a moment when another program held the core count. */
static double fastest_alone(FmaKernel kernel, long rounds)
{
    double fastest = 0.0;
    for (int i = 0; i < 3; i++) {
        int threads;
        const double seconds = time_rounds(kernel, rounds, false, &threads);
        if (i == 0 || seconds < fastest) fastest = seconds;
    }
    return fastest;
}

int vnca_bench_fma_peak(double min_seconds, VncaFmaPeak *out, VncaError *err)
{
    CpuIsa isa;
    if (cpu_isa_choose(&isa, err)) return -1;
    const FmaWidth *w = &widths[isa];
    /* Short runs, of 2 ms on one thread: on a machine shared with other
     * work, the best of many finds moments when no other program held a
     * core, where long runs would all include some. Sized on this thread
     * alone, where no wait for another thread makes a short run look long;
     * sizing also wakes the wide units and raises the clock before the timed
     * runs. (Between runs the threads spin: starting a run costs some
     * microseconds.) */
    long rounds = 1 << 10;
    while (fastest_alone(w->run, rounds) < 0.002) rounds *= 2;
    int threads = 0;
    const double flops_per_run = 2.0 * w->chains * (w->vector_bits / 32) * (double)rounds;
    double best = 0.0;
    const double start = vnca_seconds();
    for (int run = 0; run < 3 || vnca_seconds() - start < min_seconds; run++) {
        const double seconds = time_rounds(w->run, rounds, true, &threads);
        const double gflops = 1e-9 * flops_per_run * threads / seconds;
        if (gflops > best) best = gflops;
    }
    *out = (VncaFmaPeak){.isa = cpu_isa_name(isa), .vector_bits = w->vector_bits,
                         .threads = threads, .gflops = best};
    return 0;
}
