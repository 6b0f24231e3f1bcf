/* A genome's position: where each cell is in its grid, as sines and cosines
 * of its centre's coordinates, read by a 1x1 conv in the cells that hold
 * their genome. A cell's features are its column's and its row's apart, so
 * the conv is too: one part per column, one per row, computed once per grid
 * and added to each living cell. */
#include <math.h>
#include <string.h>

#include "threads.h"
#include "vnca/ops.h"

/* sin and cos per octave of coordinate i of a g-cell axis, in the order a
 * cell's features hold them: [sin, cos] of octave k at 4 k (column) and
 * 4 k + 2 (row) */
typedef float AxisFeatures[POSITION_MAX_GRID][2 * POSITION_OCTAVES];

static void axis_features(AxisFeatures axis, int g)
{
    for (int i = 0; i < g; i++) {
        const float c = (2.0f * i + 1.0f) / g - 1.0f;
        for (int k = 0; k < POSITION_OCTAVES; k++) {
            const float freq = (float)M_PI * (float)(1 << k);
            axis[i][2 * k] = sinf(freq * c);
            axis[i][2 * k + 1] = cosf(freq * c);
        }
    }
}

size_t position_scratch_floats(int g, int h)
{
    return 2 * (size_t)g * h;
}

static int holds_genome(const float *alive, size_t cell)
{
    return !alive || alive[cell] != 0.0f;
}

/* w [h, POSITION_FEATURES] -> along [g, h] (offset 0: columns, 2: rows) */
static void axis_forward(float *along, const AxisFeatures axis, const float *w, int g, int h,
                         int offset)
{
    for (int i = 0; i < g; i++)
        for (int o = 0; o < h; o++) {
            const float *wo = w + (size_t)o * POSITION_FEATURES + offset;
            float sum = 0.0f;
            for (int k = 0; k < POSITION_OCTAVES; k++)
                sum += wo[4 * k] * axis[i][2 * k] + wo[4 * k + 1] * axis[i][2 * k + 1];
            along[(size_t)i * h + o] = sum;
        }
}

/* dalong [g, h] -> dw [h, POSITION_FEATURES] (accumulated) */
static void axis_backward(float *dw, const AxisFeatures axis, const float *dalong, int g, int h,
                          int offset)
{
    for (int i = 0; i < g; i++)
        for (int o = 0; o < h; o++) {
            const float d = dalong[(size_t)i * h + o];
            float *wo = dw + (size_t)o * POSITION_FEATURES + offset;
            for (int k = 0; k < POSITION_OCTAVES; k++) {
                wo[4 * k] += d * axis[i][2 * k];
                wo[4 * k + 1] += d * axis[i][2 * k + 1];
            }
        }
}

/* cells [first, end) of the batch: each living one adds its column's and row's features */
RANGE_INLINE void add_place(long first, long end, float *out, const float *columns,
                            const float *rows, const float *alive, int g, int h)
{
    const size_t cells = (size_t)g * g;
    for (long cell = first; cell < end; cell++) {
        if (!holds_genome(alive, (size_t)cell)) continue;
        const size_t at = (size_t)cell % cells;
        const float *column = columns + at % g * h, *row = rows + at / g * h;
        float *o = out + (size_t)cell * h;
        for (int k = 0; k < h; k++) o[k] += column[k] + row[k];
    }
}

void position_forward(float *out, float *scratch, const float *alive, const float *w, int n,
                      int g, int h)
{
    AxisFeatures axis;
    axis_features(axis, g);
    float *columns = scratch, *rows = scratch + (size_t)g * h;
    axis_forward(columns, axis, w, g, h, 0);
    axis_forward(rows, axis, w, g, h, 2);
    PARALLEL_RANGES((long)n * g * g, (long)n * g * g * h, 65536, add_place, out, columns, rows, alive, g, h);
}

void position_backward(float *dw, float *scratch, const float *dout, const float *alive, int n,
                       int g, int h)
{
    float *dcolumns = scratch, *drows = scratch + (size_t)g * h;
    memset(scratch, 0, position_scratch_floats(g, h) * sizeof(float));
    const size_t cells = (size_t)g * g;
    for (size_t cell = 0; cell < (size_t)n * cells; cell++) {
        if (!holds_genome(alive, cell)) continue;
        const size_t at = cell % cells;
        const float *d = dout + cell * h;
        float *dcolumn = dcolumns + at % g * h, *drow = drows + at / g * h;
        for (int k = 0; k < h; k++) {
            dcolumn[k] += d[k];
            drow[k] += d[k];
        }
    }
    AxisFeatures axis;
    axis_features(axis, g);
    axis_backward(dw, axis, dcolumns, g, h, 0);
    axis_backward(dw, axis, drows, g, h, 2);
}
