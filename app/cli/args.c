#include "args.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static CliOption *find_long(CliCommand *cmd, const char *name, size_t len)
{
    for (CliOption *o = cmd->options; o->name; o++)
        if (strlen(o->name) == len && strncmp(o->name, name, len) == 0) return o;
    return NULL;
}

static CliOption *find_alias(CliCommand *cmd, char alias)
{
    for (CliOption *o = cmd->options; o->name; o++)
        if (o->alias && o->alias == alias) return o;
    return NULL;
}

void cli_usage(const CliCommand *cmd, FILE *out)
{
    fprintf(out, "usage: vnca %s [options]%s%s\n  %s\n\noptions:\n", cmd->name,
            cmd->positional ? " " : "", cmd->positional ? cmd->positional : "", cmd->summary);
    for (const CliOption *o = cmd->options; o->name; o++) {
        char left[64];
        snprintf(left, sizeof left, "%s%c%s--%s %s", o->alias ? "-" : "", o->alias ? o->alias : ' ',
                 o->alias ? ", " : "  ", o->name, o->value_name ? o->value_name : "");
        fprintf(out, "  %-28s %s\n", o->alias ? left : left + 2, o->help);
    }
    fprintf(out, "  %-28s %s\n", "--help", "show this help");
    if (cmd->details) fprintf(out, "\n%s", cmd->details);
}

CliParse cli_parse(CliCommand *cmd, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        CliOption *o = NULL;
        const char *inline_value = NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            cli_usage(cmd, stdout);
            return CLI_HELP;
        }
        if (strncmp(a, "--", 2) == 0) {
            const char *eq = strchr(a + 2, '=');
            size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
            o = find_long(cmd, a + 2, len);
            if (eq) inline_value = eq + 1;
        } else if (a[0] == '-' && a[1] && !a[2]) {
            o = find_alias(cmd, a[1]);
        } else if (cmd->positional && !cmd->arg) {
            cmd->arg = a;
            continue;
        } else if (cmd->positional && cmd->n_more < cmd->max_more) {
            cmd->more[cmd->n_more++] = a;
            continue;
        } else {
            fprintf(stderr, "vnca %s: unexpected argument '%s' (see --help)\n", cmd->name, a);
            return CLI_ERROR;
        }
        if (!o) {
            fprintf(stderr, "vnca %s: unknown option '%s' (see --help)\n", cmd->name, a);
            return CLI_ERROR;
        }
        if (!o->value_name) {
            if (inline_value) {
                fprintf(stderr, "vnca %s: --%s takes no value\n", cmd->name, o->name);
                return CLI_ERROR;
            }
            o->value = "1";
        } else if (inline_value) {
            o->value = inline_value;
        } else if (i + 1 < argc) {
            o->value = argv[++i];
        } else {
            fprintf(stderr, "vnca %s: --%s needs a value (%s)\n", cmd->name, o->name,
                    o->value_name);
            return CLI_ERROR;
        }
    }
    return CLI_OK;
}

const char *cli_value(const CliCommand *cmd, const char *name)
{
    for (const CliOption *o = cmd->options; o->name; o++)
        if (strcmp(o->name, name) == 0) return o->value;
    return NULL;
}

const char *cli_required(const CliCommand *cmd, const char *name)
{
    const char *v = cli_value(cmd, name);
    if (!v) fprintf(stderr, "vnca %s: missing --%s (see --help)\n", cmd->name, name);
    return v;
}

int cli_int(const CliCommand *cmd, const char *name, long lo, long hi, long fallback, long *out)
{
    const char *v = cli_value(cmd, name);
    if (!v) {
        *out = fallback;
        return 0;
    }
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno || end == v || *end || x < lo || x > hi) {
        fprintf(stderr, "vnca %s: --%s '%s' is not an integer in [%ld, %ld]\n", cmd->name, name,
                v, lo, hi);
        return -1;
    }
    *out = x;
    return 0;
}

int cli_double(const CliCommand *cmd, const char *name, double lo, double hi, double *out)
{
    const char *v = cli_value(cmd, name);
    if (!v) return 0;
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (errno || end == v || *end || !(x >= lo && x <= hi)) {
        fprintf(stderr, "vnca %s: --%s '%s' is not a number in [%g, %g]\n", cmd->name, name, v,
                lo, hi);
        return -1;
    }
    *out = x;
    return 0;
}
