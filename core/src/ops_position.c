/* A genome's position: where each cell is in its grid, as sines and cosines
 * of its centre's coordinates, read by a 1x1 conv in the cells that hold
 * their genome. Every image's grid has the same positions, so the conv is
 * computed once per grid and added to each living cell. */
#include <math.h>
#include <string.h>

#include "vnca/ops.h"

size_t position_scratch_floats(int g, int h)
{
    return (size_t)g * g * (POSITION_FEATURES + h);
}

/* A cell's features are sines and cosines of its column and of its row
 * apart, so each is computed once per column or row, not once per cell. */
void position_features(float *features, int g)
{
    float axis[POSITION_MAX_GRID][2 * POSITION_OCTAVES]; /* sin, cos per octave */
    for (int i = 0; i < g; i++) {
        const float c = (2.0f * i + 1.0f) / g - 1.0f;
        for (int k = 0; k < POSITION_OCTAVES; k++) {
            const float freq = (float)M_PI * (float)(1 << k);
            axis[i][2 * k] = sinf(freq * c);
            axis[i][2 * k + 1] = cosf(freq * c);
        }
    }
    for (int y = 0; y < g; y++)
        for (int x = 0; x < g; x++) {
            float *f = features + ((size_t)y * g + x) * POSITION_FEATURES;
            for (int k = 0; k < POSITION_OCTAVES; k++) {
                f[4 * k + 0] = axis[x][2 * k];
                f[4 * k + 1] = axis[x][2 * k + 1];
                f[4 * k + 2] = axis[y][2 * k];
                f[4 * k + 3] = axis[y][2 * k + 1];
            }
        }
}

static int holds_genome(const float *alive, size_t cell)
{
    return !alive || alive[cell] != 0.0f;
}

void position_forward(float *out, float *scratch, const float *alive, const float *w, int n,
                      int g, int h)
{
    const size_t cells = (size_t)g * g;
    float *features = scratch, *proj = scratch + cells * POSITION_FEATURES;
    position_features(features, g);
    linear_forward(proj, features, w, NULL, (int)cells, POSITION_FEATURES, h);
    #pragma omp parallel for schedule(static) if ((long)n * cells * h >= 65536)
    for (long cell = 0; cell < (long)(n * cells); cell++) {
        if (!holds_genome(alive, (size_t)cell)) continue;
        const float *p = proj + ((size_t)cell % cells) * h;
        float *o = out + (size_t)cell * h;
        for (int k = 0; k < h; k++) o[k] += p[k];
    }
}

void position_backward(float *dw, float *scratch, const float *dout, const float *alive, int n,
                       int g, int h)
{
    const size_t cells = (size_t)g * g;
    float *features = scratch, *dproj = scratch + cells * POSITION_FEATURES;
    memset(dproj, 0, cells * h * sizeof(float));
    for (size_t cell = 0; cell < (size_t)n * cells; cell++) {
        if (!holds_genome(alive, cell)) continue;
        const float *d = dout + cell * h;
        float *dp = dproj + (cell % cells) * h;
        for (int k = 0; k < h; k++) dp[k] += d[k];
    }
    position_features(features, g);
    linear_backward(NULL, dw, NULL, dproj, features, NULL, (int)cells, POSITION_FEATURES, h);
}
