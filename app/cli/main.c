/* vnca: the command line of libvnca. */
#include <stdio.h>
#include <string.h>

#include "commands.h"

typedef struct Subcommand {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} Subcommand;

static const Subcommand subcommands[] = {
    {"init", cmd_init, "write a freshly initialized model"},
    {"info", cmd_info, "show a model's configuration, sizes and metadata"},
    {"encode", cmd_encode, "images (.npy) -> q(z|x) means and log-sigmas (.npy)"},
    {"decode", cmd_decode, "latents (.npy) -> logits (.npy), optionally every step"},
    {"rewrite", cmd_rewrite, "a model as a larger one that decodes alike, to train on"},
    {"train", cmd_train, "train on MNIST with checkpoints and exact resume"},
    {"eval", cmd_eval, "IWAE negative log-likelihood on the binarized MNIST test set"},
    {"sample", cmd_sample, "digits from the prior, as a PNG grid"},
    {"reconstruct", cmd_reconstruct, "test digits and their reconstructions, as a PNG grid"},
    {"inpaint", cmd_inpaint, "fill in the masked pixels of a digit"},
    {"eval-inpaint", cmd_eval_inpaint, "inpainting quality: naive vs conditional"},
    {"heal", cmd_heal, "regrowth after damage, and stability, on test digits"},
    {"plot", cmd_plot, "learning curves from training logs, as a PNG"},
    {"bench", cmd_bench, "measure the FMA peak, sgemm, decoding and training speed"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: vnca COMMAND [options]   (vnca COMMAND --help for its options)\n\n"
                 "Variational Neural Cellular Automata.\n\ncommands:\n");
    for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
        fprintf(out, "  %-10s %s\n", subcommands[i].name, subcommands[i].summary);
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
        if (strcmp(argv[1], subcommands[i].name) == 0) return subcommands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "vnca: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
