/* Elementwise layers: ELU and the residual add. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "simd.h"
#include "threads.h"
#include "vnca/ops.h"

#define PARALLEL_MIN 65536

/* exp(x) - 1 for x <= 0, written so that the compiler vectorizes it (libm's
 * expm1f is a scalar call and was 6% of decoding). x = k ln2 + r with
 * |r| <= ln2/2; expm1(r) by its Taylor series to r^8 (error below float's
 * 2^-24 relative on that interval); then expm1(x) = 2^k expm1(r) + (2^k - 1),
 * exact for k = 0, where cancellation would otherwise hurt. */
static inline float expm1_nonpositive(float x)
{
    x = x < -80.0f ? -80.0f : x;
    /* nearest; floorf, not a cast to int, which GCC does not vectorize */
    const int k = (int)floorf(x * 1.44269504088896341f + 0.5f);
    const float kf = (float)k;
    /* ln2 split in two so that k * ln2_hi is exact */
    const float r = (x - kf * 0.693145751953125f) - kf * 1.42860682030941723e-6f;
    float q = 1.0f / 40320;
    q = q * r + 1.0f / 5040;
    q = q * r + 1.0f / 720;
    q = q * r + 1.0f / 120;
    q = q * r + 1.0f / 24;
    q = q * r + 1.0f / 6;
    q = q * r + 0.5f;
    q = q * r * r + r;
    const int32_t bits = (k + 127) << 23;
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return scale * q + (scale - 1.0f);
}

#define BLOCK 4096

SIMD_CLONES
void elu_forward(float *out, const float *in, size_t n)
{
    const long blocks = (long)((n + BLOCK - 1) / BLOCK);
    #pragma omp parallel for schedule(static) if (n >= PARALLEL_MIN) num_threads(team_size())
    for (long b = 0; b < blocks; b++) {
        const long end = (b + 1) * BLOCK < (long)n ? (b + 1) * BLOCK : (long)n;
        #pragma omp simd
        for (long i = b * BLOCK; i < end; i++) {
            float x = in[i];
            float negative = expm1_nonpositive(x < 0.0f ? x : 0.0f);
            out[i] = x > 0.0f ? x : negative;
        }
    }
}

SIMD_CLONES
void elu_backward(float *din, const float *dout, const float *out, size_t n)
{
    #pragma omp parallel for schedule(static) if (n >= PARALLEL_MIN) num_threads(team_size())
    for (size_t i = 0; i < n; i++) din[i] += dout[i] * (out[i] > 0.0f ? 1.0f : out[i] + 1.0f);
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
