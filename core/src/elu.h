/* Internal: ELU (alpha = 1) of one float and its derivative, written so
 * that a loop of them vectorizes; the elementwise layers and the matrix
 * product's fused ELU share them. */
#ifndef VNCA_ELU_H
#define VNCA_ELU_H

#include <math.h>
#include <stdint.h>
#include <string.h>

/* exp(x) - 1 for x <= 0 (libm's expm1f is a scalar call and was 6% of
 * decoding). x = k ln2 + r with |r| <= ln2/2; expm1(r) by its Taylor series
 * to r^8 (error below float's 2^-24 relative on that interval); then
 * expm1(x) = 2^k expm1(r) + (2^k - 1), exact for k = 0, where cancellation
 * would otherwise hurt. */
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

static inline float elu(float x)
{
    const float negative = expm1_nonpositive(x < 0.0f ? x : 0.0f);
    return x > 0.0f ? x : negative;
}

/* ELU's derivative, from its output y */
static inline float elu_slope(float y) { return y > 0.0f ? 1.0f : y + 1.0f; }

#endif
