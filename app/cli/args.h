/* args.h: the command line's option parsing, one table per subcommand.
 *
 * Options are "--name VALUE" (or "--name=VALUE"), flags are "--name"; a
 * short alias like "-o" may stand for an option. Unknown options, missing
 * values and stray arguments are errors that name the culprit. */
#ifndef VNCA_CLI_ARGS_H
#define VNCA_CLI_ARGS_H

#include <stdio.h>

typedef struct CliOption {
    const char *name;        /* "model" for --model */
    char alias;              /* 'o' for -o, or 0 */
    const char *value_name;  /* "FILE"; NULL for a flag */
    const char *help;
    const char *value;       /* parsed: the value, "1" for a seen flag, else NULL */
} CliOption;

typedef struct CliCommand {
    const char *name;
    const char *summary;
    const char *positional;  /* name of the one positional argument, or NULL */
    CliOption *options;      /* terminated by an entry with name NULL */
    const char *details;     /* text --help prints after the options, or NULL */
    const char *arg;         /* parsed positional */
    /* further positionals, for commands that take a list: room for max_more */
    const char **more;
    int n_more, max_more;
} CliCommand;

typedef enum CliParse { CLI_OK = 0, CLI_HELP = 1, CLI_ERROR = 2 } CliParse;

/* Parses argv (argv[0] is the subcommand). --help prints usage to stdout. */
CliParse cli_parse(CliCommand *cmd, int argc, char **argv);
void cli_usage(const CliCommand *cmd, FILE *out);
const char *cli_value(const CliCommand *cmd, const char *name);
/* Reports "vnca NAME: missing --OPT" and returns NULL when absent. */
const char *cli_required(const CliCommand *cmd, const char *name);
/* Integer options: the default when absent; -1 with a message when malformed
 * or outside [lo, hi]. */
int cli_int(const CliCommand *cmd, const char *name, long lo, long hi, long fallback, long *out);
/* Real options: *out is left as it is when absent. */
int cli_double(const CliCommand *cmd, const char *name, double lo, double hi, double *out);

#endif
