/* Internal: the instruction sets this CPU runs, for code compiled once per
 * vector width and chosen at run time.
 *
 * The pattern: write each width's function with a target attribute
 * (__attribute__((target("avx512f"))), target("avx2,fma")) beside a portable
 * one in plain C, put them in a table indexed by CpuIsa, and call the entry
 * cpu_isa_choose() names. Only the chosen function ever runs, so the rest of
 * the library keeps the baseline instruction set and runs on any x86-64. */
#ifndef VNCA_CPU_H
#define VNCA_CPU_H

#include <stdbool.h>

#include "vnca/error.h"

/* narrowest first, each CPU's set containing the ones before; AVX2 comes
 * with FMA, AVX-512 means AVX-512F */
typedef enum CpuIsa { CPU_ISA_PORTABLE, CPU_ISA_AVX2, CPU_ISA_AVX512, CPU_ISA_COUNT } CpuIsa;

/* the instruction sets' code for target attributes exists on x86 only */
#if defined(__x86_64__) || defined(__i386__)
#define CPU_X86 1
#else
#define CPU_X86 0
#endif

/* "portable", "avx2", "avx512": as VNCA_ISA spells them */
const char *cpu_isa_name(CpuIsa isa);

/* Whether this CPU, and its OS, run isa's instructions (portable: always). */
bool cpu_isa_runs(CpuIsa isa);

/* The instruction set to run: the one the environment variable VNCA_ISA names
 * (avx512, avx2 or portable: to compare them, or to test the narrower code on
 * a wide CPU), else the widest this CPU runs. -1 with a message when VNCA_ISA
 * names no instruction set, or one this CPU cannot run. */
int cpu_isa_choose(CpuIsa *isa, VncaError *err);

/* The widest instruction set this CPU runs. */
CpuIsa cpu_isa_widest(void);

/* cpu_isa_choose's rule, for a CPU whose widest instruction set is `widest`:
 * `wanted` (a VNCA_ISA value, or NULL for none) names the one to run. */
int cpu_isa_pick(const char *wanted, CpuIsa widest, CpuIsa *isa, VncaError *err);

#endif
