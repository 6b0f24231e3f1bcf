/* Fuzz target: a training log through the CSV reader and the chart drawn
 * from it (any numbers: NaN, infinities, 1e308, a single point, ...). */
#include <stdlib.h>

#include "csv_columns.h"
#include "fuzz_input.h"
#include "plot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    CsvColumns c;
    if (csv_read_columns(fuzz_input_path(data, size), "images_seen", "loss", &c, NULL)) return 0;
    fuzz_touch(c.x, (size_t)c.n * sizeof(double));
    fuzz_touch(c.y, (size_t)c.n * sizeof(double));
    const PlotSeries series = {"run", c.x, c.y, c.n};
    for (int log_x = 0; log_x <= 1; log_x++) {
        const PlotSpec spec = {.title = "t", .x_label = "x", .y_label = "y", .width = 320,
                               .height = 200, .log_x = log_x};
        float *rgb = plot_lines(&spec, &series, 1);
        if (rgb) fuzz_touch(rgb, (size_t)spec.width * spec.height * 3 * sizeof(float));
        free(rgb);
    }
    csv_columns_free(&c);
    return 0;
}
