/* The genome's conv: a 3x3 conv over cells whose genome channels are all the
 * same z wherever a cell is alive, and zero where it is not (or outside the
 * grid), computed from z once per image instead of once per cell. */
#include <string.h>

#include "threads.h"
#include "vnca/ops.h"

/* the tap (ky, kx) of cell (y, x) reads a living cell */
static int tap_alive(const float *alive, int g, int y, int x, int ky, int kx)
{
    const int sy = y + ky - 1, sx = x + kx - 1;
    if (sy < 0 || sy >= g || sx < 0 || sx >= g) return 0;
    return !alive || alive[sy * g + sx] != 0.0f;
}

/* rows [first, end) of the grid (n x g): each cell adds its living taps' projections */
RANGE_INLINE void add_living_taps(long first, long end, float *out, const float *proj,
                                  const float *alive, int g, int h)
{
    for (long row = first; row < end; row++) {
        const long i = row / g;
        const int y = (int)(row % g);
        const float *alive_i = alive ? alive + (size_t)i * g * g : NULL;
        for (int x = 0; x < g; x++) {
            float *o = out + ((size_t)row * g + x) * h;
            for (int tap = 0; tap < 9; tap++) {
                if (!tap_alive(alive_i, g, y, x, tap / 3, tap % 3)) continue;
                const float *p = proj + ((size_t)i * 9 + tap) * h;
                for (int k = 0; k < h; k++) o[k] += p[k];
            }
        }
    }
}

void genome_conv_forward(float *out, float *proj, const float *z, const float *alive,
                         const float *w, int n, int g, int c, int h)
{
    /* proj [n, 9, h]: what each tap adds when it reads a living cell */
    for (int i = 0; i < n; i++)
        for (int tap = 0; tap < 9; tap++)
            for (int o = 0; o < h; o++) {
                const float *wo = w + ((size_t)o * 9 + tap) * c;
                float s = 0.0f;
                for (int ch = 0; ch < c; ch++) s += wo[ch] * z[(size_t)i * c + ch];
                proj[((size_t)i * 9 + tap) * h + o] = s;
            }
    PARALLEL_RANGES((long)n * g, (long)n * g * g * h, 65536, add_living_taps, out, proj, alive, g, h);
}

void genome_conv_backward(float *dz, float *dw, float *dproj, const float *dout, const float *z,
                          const float *alive, const float *w, int n, int g, int c, int h)
{
    memset(dproj, 0, (size_t)n * 9 * h * sizeof(float));
    for (int i = 0; i < n; i++) {
        const float *alive_i = alive ? alive + (size_t)i * g * g : NULL;
        for (int y = 0; y < g; y++)
            for (int x = 0; x < g; x++) {
                const float *d = dout + (((size_t)i * g + y) * g + x) * h;
                for (int tap = 0; tap < 9; tap++) {
                    if (!tap_alive(alive_i, g, y, x, tap / 3, tap % 3)) continue;
                    float *dp = dproj + ((size_t)i * 9 + tap) * h;
                    for (int k = 0; k < h; k++) dp[k] += d[k];
                }
            }
    }
    for (int i = 0; i < n; i++)
        for (int tap = 0; tap < 9; tap++)
            for (int o = 0; o < h; o++) {
                const float dp = dproj[((size_t)i * 9 + tap) * h + o];
                for (int ch = 0; ch < c; ch++) {
                    const size_t wi = ((size_t)o * 9 + tap) * c + ch;
                    if (dw) dw[wi] += dp * z[(size_t)i * c + ch];
                    if (dz) dz[(size_t)i * c + ch] += dp * w[wi];
                }
            }
}

void genome_spread(float *out, const float *alive, int n, int g)
{
    for (int i = 0; i < n; i++)
        for (int y = 0; y < g; y++)
            for (int x = 0; x < g; x++) {
                float v = 0.0f;
                for (int tap = 0; tap < 9 && v == 0.0f; tap++)
                    if (tap_alive(alive + (size_t)i * g * g, g, y, x, tap / 3, tap % 3)) v = 1.0f;
                out[((size_t)i * g + y) * g + x] = v;
            }
}
