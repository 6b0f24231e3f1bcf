/* Internal: elementwise loops built for each vector width, the widest this
 * CPU runs chosen when the library loads. Each element is computed alike at
 * every width (no reassociation), so the results are the same bits. */
#ifndef VNCA_SIMD_H
#define VNCA_SIMD_H

#if defined(__x86_64__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define SIMD_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#endif
#endif
#ifndef SIMD_CLONES
#define SIMD_CLONES
#endif

#endif
