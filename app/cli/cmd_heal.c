/* vnca heal: how well a model regrows destroyed cells, and how still it
 * holds an undamaged digit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "grid.h"
#include "image_io.h"
#include "vnca/data.h"
#include "vnca/heal.h"

enum { PICTURES = 8 };

int cmd_heal(int argc, char **argv)
{
    CliOption options[] = {
        {"model", 0, "FILE", "model file", 0},
        {"data", 0, "DIR", "MNIST directory with binarized_mnist/", 0},
        {"count", 'n', "N", "test digits, spread over the test set (default 1000)", 0},
        {"damage", 0, "N", "side of the square of cells zeroed (default 14)", 0},
        {"steps", 0, "N", "healing steps after the damage (default 32)", 0},
        {"hold", 0, "N", "undamaged steps for the stability figure (default 100)", 0},
        {"seed", 0, "S", "seed of the damage positions (default 1)", 0},
        {"centred", 0, NULL, "every square in the middle (where eval-inpaint's square14 hides pixels)", 0},
        {"output", 'o', "FILE", "rows of grown / damaged / healed digits (.png)", 0},
        {0},
    };
    CliCommand cmd = {.name = "heal",
                      .summary = "Grow test digits, destroy a square of cells, let them heal.",
                      .options = options};
    CliParse parsed = cli_parse(&cmd, argc, argv);
    if (parsed != CLI_OK) return parsed == CLI_HELP ? 0 : 2;
    const char *model_path = cli_required(&cmd, "model"), *dir = cli_required(&cmd, "data");
    const char *out = cli_value(&cmd, "output");
    long n, damage, steps, hold, seed;
    if (!model_path || !dir || cli_int(&cmd, "count", 1, 10000, 1000, &n) ||
        cli_int(&cmd, "damage", 0, 1024, 14, &damage) || cli_int(&cmd, "steps", 0, 100000, 32, &steps) ||
        cli_int(&cmd, "hold", 0, 100000, 100, &hold) || cli_int(&cmd, "seed", 0, 0x7fffffffL, 1, &seed))
        return 2;
    VncaModel m;
    VncaImages test;
    VncaError err;
    if (load_model_and_test_set("heal", model_path, dir, &m, &test)) return 1;
    const size_t pixels = (size_t)test.size * test.size;
    float *x = malloc((size_t)n * pixels * sizeof(float));
    float *pictures = calloc(3 * PICTURES * pixels, sizeof(float));
    float *tiles = malloc(3 * PICTURES * pixels * sizeof(float));
    int status = 1;
    if (!x || !pictures || !tiles) {
        fprintf(stderr, "vnca heal: out of memory\n");
        goto done;
    }
    for (long i = 0; i < n; i++) memcpy(x + i * pixels, spread_digit(&test, i, n), pixels * sizeof(float));
    VncaHealOptions opt = {.damage = (int)damage, .steps = (int)steps, .hold_steps = (int)hold,
                           .seed = (uint64_t)seed, .centred = cli_value(&cmd, "centred") != NULL};
    VncaHealStats s;
    if (vnca_heal_measure(&m, x, (int)n, &opt, &s, pictures, PICTURES, &err)) {
        fprintf(stderr, "vnca heal: %s\n", err.msg);
        goto done;
    }
    const int genome = m.config.genome != VNCA_GENOME_NONE;
    printf("model %s (%s%s%s), %ld test digits, %ldx%ld damage %s, %ld healing steps\n",
           model_path, vnca_variant_name(m.config.variant), genome ? ", genome " : "",
           genome ? vnca_genome_name(m.config.genome) : "", n, damage, damage,
           opt.centred ? "centred" : "placed at random", steps);
    printf("reconstruction NLL, nats per image:\n");
    printf("  grown               %8.2f\n", s.grown);
    printf("  right after damage  %8.2f  (gap %+.2f)\n", s.damaged, s.damaged - s.grown);
    printf("  healed              %8.2f  (heal gap %+.2f +- %.2f)\n", s.healed, s.healed - s.grown,
           s.heal_gap_se);
    const double gap_inside = s.healed_in_square - s.grown_in_square;
    printf("    of the heal gap   %+8.2f  under the square (%.2f grown, %.2f healed: %.3f nats per pixel)\n",
           gap_inside, s.grown_in_square, s.healed_in_square,
           damage ? s.healed_in_square / (double)(damage * damage) : 0.0);
    printf("                      %+8.2f  around it\n", s.healed - s.grown - gap_inside);
    if (s.n_rings > 1) {
        printf("    under the square, ring by ring from its edge in: pixels, nats per pixel grown / healed, heal gap\n");
        for (int r = 0; r < s.n_rings; r++)
            printf("      ring %-3d %4.0f  %.3f / %.3f  %+7.2f\n", r + 1, s.ring_pixels[r],
                   s.grown_by_ring[r] / s.ring_pixels[r], s.healed_by_ring[r] / s.ring_pixels[r],
                   s.healed_by_ring[r] - s.grown_by_ring[r]);
    }
    char held_label[40];
    snprintf(held_label, sizeof held_label, "held %ld more steps", hold);
    printf("  %-20s%8.2f  (change %+.2f +- %.2f)\n", held_label, s.held, s.held - s.grown, s.hold_change_se);
    if (out) {
        /* one column per digit: grown, damaged, healed */
        const int shown = n < PICTURES ? (int)n : PICTURES;
        for (int k = 0; k < 3; k++)
            for (int i = 0; i < shown; i++)
                memcpy(tiles + ((size_t)k * shown + i) * pixels, pictures + ((size_t)i * 3 + k) * pixels,
                       pixels * sizeof(float));
        int w, h;
        float *grid = image_grid(tiles, 3 * shown, test.size, shown, 2, 0.25f, &w, &h);
        if (!grid || image_save_png(out, grid, w, h, 1, &err)) {
            fprintf(stderr, "vnca heal: %s\n", grid ? err.msg : "out of memory");
            free(grid);
            goto done;
        }
        free(grid);
    }
    status = 0;
done:
    free(x);
    free(pictures);
    free(tiles);
    vnca_images_free(&test);
    vnca_model_free(&m);
    return status;
}
