/* Elementwise layers: ELU and the residual add. */
#include "elu.h"
#include "simd.h"
#include "threads.h"
#include "vnca/ops.h"

/* below this many elements a loop is not worth a team */
#define PARALLEL_MIN 65536

RANGE_INLINE void elu_range(long first, long end, float *out, const float *in)
{
    #pragma omp simd
    for (long i = first; i < end; i++) out[i] = elu(in[i]);
}

SIMD_CLONES
void elu_forward(float *out, const float *in, size_t n)
{
    PARALLEL_RANGES(n, n, PARALLEL_MIN, elu_range, out, in);
}

RANGE_INLINE void elu_backward_range(long first, long end, float *din, const float *dout,
                                     const float *out)
{
    for (long i = first; i < end; i++) din[i] += dout[i] * elu_slope(out[i]);
}

SIMD_CLONES
void elu_backward(float *din, const float *dout, const float *out, size_t n)
{
    PARALLEL_RANGES(n, n, PARALLEL_MIN, elu_backward_range, din, dout, out);
}

RANGE_INLINE void sum_range(long first, long end, float *out, const float *a, const float *b)
{
    for (long i = first; i < end; i++) out[i] = a[i] + b[i];
}

SIMD_CLONES
void residual_forward(float *out, const float *a, const float *b, size_t n)
{
    PARALLEL_RANGES(n, n, PARALLEL_MIN, sum_range, out, a, b);
}

RANGE_INLINE void fork_range(long first, long end, float *da, float *db, const float *dout)
{
    for (long i = first; i < end; i++) {
        if (da) da[i] = dout[i];
        if (db) db[i] = dout[i];
    }
}

SIMD_CLONES
void residual_backward(float *da, float *db, const float *dout, size_t n)
{
    PARALLEL_RANGES(n, n, PARALLEL_MIN, fork_range, da, db, dout);
}
