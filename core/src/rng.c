/* xoshiro256** (Blackman & Vigna), seeded through splitmix64 so that any
 * 64-bit seed, 0 included, gives a well-mixed state. */
#include "vnca/rng.h"

#include <math.h>

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void vnca_rng_seed(VncaRng *rng, uint64_t seed)
{
    for (int i = 0; i < 4; i++) rng->s[i] = splitmix64(&seed);
}

uint64_t vnca_rng_u64(VncaRng *rng)
{
    uint64_t *s = rng->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

float vnca_rng_uniform(VncaRng *rng)
{
    return (float)(vnca_rng_u64(rng) >> 40) * (1.0f / 16777216.0f);
}

uint32_t vnca_rng_below(VncaRng *rng, uint32_t n)
{
    /* Lemire's multiply-shift with rejection of the biased low range */
    uint64_t m = (uint64_t)(uint32_t)(vnca_rng_u64(rng) >> 32) * n;
    uint32_t low = (uint32_t)m;
    if (low < n) {
        uint32_t threshold = (uint32_t)(-n) % n;
        while (low < threshold) {
            m = (uint64_t)(uint32_t)(vnca_rng_u64(rng) >> 32) * n;
            low = (uint32_t)m;
        }
    }
    return (uint32_t)(m >> 32);
}

void vnca_rng_square(VncaRng *rng, int grid, int side, int xy[2])
{
    const uint32_t places = (uint32_t)(grid - side + 1);
    xy[0] = (int)vnca_rng_below(rng, places);
    xy[1] = (int)vnca_rng_below(rng, places);
}

/* uniform in (0, 1]: safe for log() */
static double open_unit(VncaRng *rng)
{
    return ((double)(vnca_rng_u64(rng) >> 11) + 1.0) * (1.0 / 9007199254740992.0);
}

void vnca_rng_normal_fill(VncaRng *rng, float *out, size_t n)
{
    const double two_pi = 6.283185307179586476925;
    for (size_t i = 0; i < n; i += 2) {
        double r = sqrt(-2.0 * log(open_unit(rng)));
        double theta = two_pi * open_unit(rng);
        out[i] = (float)(r * cos(theta));
        if (i + 1 < n) out[i + 1] = (float)(r * sin(theta));
    }
}
