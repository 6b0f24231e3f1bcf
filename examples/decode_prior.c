/* decode_prior.c: three digits from the prior of a model file, as ASCII art.
 * The whole of libvnca a program needs for it, through the installed library:
 *
 *   cc decode_prior.c $(pkg-config --cflags --libs vnca) -o decode_prior
 *   ./decode_prior /usr/local/share/vnca/models/vnca-mnist.safetensors [SEED]
 */
#include <stdio.h>
#include <stdlib.h>

#include <vnca/vnca.h>

enum { N_DIGITS = 3 };

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s MODEL.safetensors [SEED]\n", argv[0]);
        return 2;
    }
    VncaModel model;
    VncaError err;
    if (vnca_model_load(&model, argv[1], &err) != 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    VncaWorkspace *ws = vnca_workspace_new(&model.config, N_DIGITS, VNCA_WS_INFER, &err);
    if (!ws) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    int z_len = model.config.latent, side = model.config.image_size;
    float *z = malloc(sizeof(float) * N_DIGITS * z_len);
    float *logits = malloc(sizeof(float) * N_DIGITS * side * side);
    if (!z || !logits) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    VncaRng rng;
    vnca_rng_seed(&rng, argc > 2 ? strtoull(argv[2], NULL, 10) : 1);
    vnca_rng_normal_fill(&rng, z, (size_t)N_DIGITS * z_len); /* z ~ N(0, I) */
    vnca_decode(&model, ws, z, N_DIGITS, logits);            /* grow each z into a digit */

    for (int y = 0; y < side; y++) { /* the digits side by side; a logit > 0 is ink */
        for (int i = 0; i < N_DIGITS; i++) {
            for (int x = 0; x < side; x++)
                putchar(logits[(i * side + y) * side + x] > 0 ? '#' : '.');
            putchar(i + 1 < N_DIGITS ? ' ' : '\n');
        }
    }
    free(logits);
    free(z);
    vnca_workspace_free(ws);
    vnca_model_free(&model);
    return 0;
}
