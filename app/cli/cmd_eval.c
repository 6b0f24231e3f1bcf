/* vnca eval: the importance-weighted bound on the static binarized test set. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "args.h"
#include "commands.h"
#include "vnca/data.h"

/* which of the test set's digits n spread ones are: "every digit", "every 10-th digit" */
static void spread_name(char *buf, size_t size, int total, int n)
{
    if (total / n == 1) snprintf(buf, size, "every digit");
    else snprintf(buf, size, "every %d-th digit", total / n);
}

/* eval.iwae<K>_n<N> = "LL +- SE nats ..., ELBO E, seed S" in the model's metadata,
 * LL the IWAE bound on log p(x) (the paper's sign: higher is better) */
static int record(VncaModel *m, const char *path, int k, int n, const char *spread, int seed,
                  double nll, double se, double elbo)
{
    char key[64], value[160];
    VncaError err;
    snprintf(key, sizeof key, "eval.iwae%d_n%d", k, n);
    snprintf(value, sizeof value,
             "%.2f +- %.2f nats (IWAE log p(x), static test set, %s), ELBO %.2f, seed %d", -nll,
             se, spread, elbo, seed);
    if (vnca_meta_set(&m->meta, key, value)) {
        fprintf(stderr, "vnca eval: out of memory\n");
        return -1;
    }
    if (vnca_model_save(m, path, &err)) {
        fprintf(stderr, "vnca eval: %s\n", err.msg);
        return -1;
    }
    printf("recorded     %s = %s\n", key, value);
    return 0;
}

int cmd_eval(int argc, char **argv)
{
    CliOption options[] = {
        {"model", 0, "FILE", "model file", 0},
        {"data", 0, "DIR", "MNIST directory with binarized_mnist/", 0},
        {"iw", 0, "K", "importance samples per digit (default 128)", 0},
        {"limit", 0, "N", "digits, spread evenly over the test set: every (10000/N)-th "
                          "(default 1000: every 10th, the quoted figure)", 0},
        {"seed", 0, "S", "seed of the importance samples (default 1)", 0},
        {"record", 0, NULL, "store the figures in the model file's metadata (eval.iwaeK_nN)", 0},
        {0},
    };
    CliCommand cmd = {.name = "eval",
                      .summary = "IWAE bound on the static binarized MNIST test set.",
                      .options = options};
    CliParse parsed = cli_parse(&cmd, argc, argv);
    if (parsed != CLI_OK) return parsed == CLI_HELP ? 0 : 2;
    const char *model_path = cli_required(&cmd, "model"), *dir = cli_required(&cmd, "data");
    long k, limit, seed;
    if (!model_path || !dir || cli_int(&cmd, "iw", 1, 100000, 128, &k) ||
        cli_int(&cmd, "limit", 1, 10000, 1000, &limit) || cli_int(&cmd, "seed", 0, 0x7fffffffL, 1, &seed))
        return 2;

    VncaModel m;
    VncaImages test;
    VncaError err;
    if (load_model_and_test_set("eval", model_path, dir, &m, &test)) return 1;
    int status = 1;
    const int n = limit < test.n ? (int)limit : test.n;
    VncaWorkspace *ws = vnca_workspace_new(&m.config, 32, VNCA_WS_INFER, &err);
    if (!ws) {
        fprintf(stderr, "vnca eval: %s\n", err.msg);
        goto done;
    }
    VncaRng rng;
    vnca_rng_seed(&rng, (uint64_t)seed);
    double sum = 0, sum_sq = 0, elbo_sum = 0;
    const int tty = isatty(2);
    time_t start = time(NULL), last = start;
    for (int i = 0; i < n; i++) {
        double bound, elbo;
        if (vnca_iwae(&m, ws, spread_digit(&test, i, n), 1, (int)k, &rng, &bound, &elbo, &err)) {
            fprintf(stderr, "vnca eval: %s\n", err.msg);
            goto done;
        }
        sum += -bound;
        sum_sq += bound * bound;
        elbo_sum += elbo;
        time_t now = time(NULL);
        if (now - last >= (tty ? 1 : 60) || i + 1 == n) {
            fprintf(stderr, "%s%d/%d digits, NLL so far %.2f%s", tty ? "\r\033[K" : "", i + 1, n,
                    sum / (i + 1), tty ? "" : "\n");
            last = now;
        }
    }
    if (tty) fprintf(stderr, "\n");
    const double mean = sum / n;
    const double se = n > 1 ? sqrt(fmax(sum_sq / n - mean * mean, 0) / (n - 1)) : 0;
    printf("model        %s\n", model_path);
    char spread[32];
    spread_name(spread, sizeof spread, test.n, n);
    printf("test digits  %d of %d (%s), IWAE with K = %ld, seed %ld\n", n, test.n, spread, k, seed);
    printf("log p(x)     >= %.2f +- %.2f nats (IWAE bound, standard error; NLL %.2f)\n", -mean, se,
           mean);
    printf("ELBO         %.2f nats\n", elbo_sum / n);
    printf("bits/dim     %.4f (over the 784 pixels of a digit)\n", mean / (784 * log(2.0)));
    printf("seconds      %.0f\n", difftime(time(NULL), start));
    status = 0;
    if (cli_value(&cmd, "record") &&
        record(&m, model_path, (int)k, n, spread, (int)seed, mean, se, elbo_sum / n))
        status = 1;
done:
    vnca_workspace_free(ws);
    vnca_images_free(&test);
    vnca_model_free(&m);
    return status;
}
