/* Elementwise layers: ELU and the residual add. */
#include "elu.h"
#include "simd.h"
#include "threads.h"
#include "vnca/ops.h"

#define PARALLEL_MIN 65536

#define BLOCK 4096

SIMD_CLONES
void elu_forward(float *out, const float *in, size_t n)
{
    const long blocks = (long)((n + BLOCK - 1) / BLOCK);
    #pragma omp parallel for schedule(static) if (n >= PARALLEL_MIN) num_threads(team_size())
    for (long b = 0; b < blocks; b++) {
        const long end = (b + 1) * BLOCK < (long)n ? (b + 1) * BLOCK : (long)n;
        #pragma omp simd
        for (long i = b * BLOCK; i < end; i++) out[i] = elu(in[i]);
    }
}

SIMD_CLONES
void elu_backward(float *din, const float *dout, const float *out, size_t n)
{
    #pragma omp parallel for schedule(static) if (n >= PARALLEL_MIN) num_threads(team_size())
    for (size_t i = 0; i < n; i++) din[i] += dout[i] * elu_slope(out[i]);
}

SIMD_CLONES
void residual_forward(float *out, const float *a, const float *b, size_t n)
{
    #pragma omp parallel for schedule(static) if (n >= PARALLEL_MIN) num_threads(team_size())
    for (size_t i = 0; i < n; i++) out[i] = a[i] + b[i];
}

SIMD_CLONES
void residual_backward(float *da, float *db, const float *dout, size_t n)
{
    #pragma omp parallel for schedule(static) if (n >= PARALLEL_MIN) num_threads(team_size())
    for (size_t i = 0; i < n; i++) {
        if (da) da[i] += dout[i];
        if (db) db[i] += dout[i];
    }
}
