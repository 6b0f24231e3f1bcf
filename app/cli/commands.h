/* commands.h: the subcommands of `vnca`, each `int cmd_NAME(argc, argv)`
 * returning the process exit status (argv[0] is the subcommand's name). */
#ifndef VNCA_CLI_COMMANDS_H
#define VNCA_CLI_COMMANDS_H

#include "vnca/vnca.h"

int cmd_init(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_encode(int argc, char **argv);
int cmd_decode(int argc, char **argv);
int cmd_bench(int argc, char **argv);
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

#endif
