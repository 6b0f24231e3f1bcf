/* commands.h: the subcommands of `vnca`, each `int cmd_NAME(argc, argv)`
 * returning the process exit status (argv[0] is the subcommand's name). */
#ifndef VNCA_CLI_COMMANDS_H
#define VNCA_CLI_COMMANDS_H

#include "vnca/data.h"
#include "vnca/vnca.h"

int cmd_init(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_encode(int argc, char **argv);
int cmd_decode(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_rewrite(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_sample(int argc, char **argv);
int cmd_reconstruct(int argc, char **argv);
int cmd_inpaint(int argc, char **argv);
int cmd_eval_inpaint(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_heal(int argc, char **argv);

/* Loads a model or prints "vnca CMD: <error>" and returns -1. */
int load_model_or_report(const char *cmd, const char *path, VncaModel *m);
/* The model and the static binarized test set at its image size, or a report
 * and -1 (with nothing left to free). */
int load_model_and_test_set(const char *cmd, const char *path, const char *dir, VncaModel *m,
                            VncaImages *test);
/* Digit i of n spread evenly over the test set: the static test file is
 * ordered by class, so a subset is never its first n. */
const float *spread_digit(const VncaImages *test, long i, long n);

#endif
