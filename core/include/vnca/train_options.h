/* vnca/train_options.h: the training options of VncaTrainOptions that a run
 * records, declared once. Each row of the table says everything about one
 * option: its name on the command line (--lr), its key in a checkpoint
 * (checkpoint.lr), where it lives in VncaTrainOptions, its default, the
 * values it may take, its help, whether a resumed run may change it,
 * whether only persistent models use it, and how a change is said. The
 * defaults, the validation, `vnca train`'s options, the checkpoint's option
 * entries, the resume report and the model's recipe all come from it.
 *
 * Not in the table: the data parallelism (shard, shards, allreduce), which
 * belongs to one run's processes, not to what it trains. */
#ifndef VNCA_TRAIN_OPTIONS_H
#define VNCA_TRAIN_OPTIONS_H

#include <stddef.h>

#include "vnca/error.h"
#include "vnca/train.h"

typedef enum VncaOptionType {
    VNCA_OPTION_INT,     /* int */
    VNCA_OPTION_FLOAT,   /* float */
    VNCA_OPTION_DOUBLE,  /* double */
    VNCA_OPTION_SEED,    /* uint64_t, at most 2^53 (a checkpoint writes it as a double) */
    VNCA_OPTION_FLAG,    /* int, 0 or 1; on the command line a flag that sets it */
    VNCA_OPTION_CHOICE,  /* int, an index into choices (max is the last): on the command
                          * line the word, in a checkpoint the index */
    VNCA_OPTION_SPAN,    /* two ints side by side, MIN then MAX: "MIN:MAX" on the command
                          * line, keys KEY_min and KEY_max in a checkpoint, MIN <= MAX
                          * checked by the trainer */
} VncaOptionType;

enum {
    VNCA_OPTION_RESUMABLE = 1,  /* a resumed run may change it */
    VNCA_OPTION_PERSISTENT = 2, /* only persistent models use it */
    VNCA_OPTION_BELOW_MAX = 4,  /* the values are [min, max), not [min, max] */
    VNCA_OPTION_DECAY = 8,      /* only a decay of the rate uses it */
    VNCA_OPTION_STEP_DECAY = 16, /* only a step decay uses it */
};

typedef struct VncaOptionSpec {
    const char *name;        /* on the command line: "lr" for --lr */
    const char *key;         /* in a checkpoint, after "checkpoint." */
    VncaOptionType type;
    size_t offset;           /* in VncaTrainOptions */
    double fallback;         /* the default (a span's MIN and MAX: fallback, fallback_max) */
    double fallback_max;
    double min, max;         /* the values it may take (each of a span's two) */
    int flags;
    const char *value_name;  /* "RATE" in --lr RATE */
    const char *help;
    /* How the option at a value (%s) is said: in a resumed run's report for
     * those a resume may change ("learning rate %s" from step N on (was
     * ...)), after "the checkpoint's" in the refusal for the others. */
    const char *said;
    /* For options that 0 turns off: how that is said, and the value it was (%s). */
    const char *said_off, *said_off_was;
    const char *flag_words[2]; /* a flag's value in words, off and on */
    const char *choices[4];    /* a choice's values in words, in the order of their numbers */
} VncaOptionSpec;

#define VNCA_N_TRAIN_OPTIONS 16
extern const VncaOptionSpec vnca_train_option_specs[VNCA_N_TRAIN_OPTIONS];

/* 2 for a span (MIN, MAX), else 1 */
int vnca_option_parts(const VncaOptionSpec *spec);
/* The option's value (part 1: a span's MAX), as a double. */
double vnca_option_get(const VncaOptionSpec *spec, const VncaTrainOptions *opt, int part);
/* Sets the option (part 1: a span's MAX) to value when it is one the
 * option may take; else returns -1 and leaves it. */
int vnca_option_set(const VncaOptionSpec *spec, VncaTrainOptions *opt, int part, double value);
/* The values it may take, in words: "an integer in [1, 65536]", "a number in [0, 1)",
 * "one of none, cosine, step". */
void vnca_option_range(const VncaOptionSpec *spec, char *buf, size_t len);
/* Sets the option from its command-line text ("1e-4", "8:16", "cosine"; a flag's is
 * ignored: it sets it); the error names --NAME and the values it may take. */
int vnca_option_parse(const VncaOptionSpec *spec, const char *text, VncaTrainOptions *opt,
                      VncaError *err);
/* The option's value as the command line takes it ("0.0001", "8:16",
 * "cosine"; a flag's in its words), the shortest that gives the same value
 * back. */
void vnca_option_format(const VncaOptionSpec *spec, const VncaTrainOptions *opt, char *buf,
                        size_t len);
int vnca_option_equal(const VncaOptionSpec *spec, const VncaTrainOptions *a,
                      const VncaTrainOptions *b);
/* The option at its value in words: "pool holds 16 states". */
void vnca_option_say(const VncaOptionSpec *spec, const VncaTrainOptions *opt, char *buf, size_t len);
/* "learning rate 0.0002 from step 4 on (was 0.001)": what a resumed run
 * does differently from `step` on. */
void vnca_option_say_change(const VncaOptionSpec *spec, const VncaTrainOptions *was,
                            const VncaTrainOptions *now, long step, char *buf, size_t len);
/* Whether a model of this kind uses the option. */
int vnca_option_applies(const VncaOptionSpec *spec, int persistent);
/* Whether it steers a run with these options: it applies, and the decay it
 * belongs to (if any) is the one chosen. */
int vnca_option_in_use(const VncaOptionSpec *spec, const VncaTrainOptions *opt, int persistent);
/* Every option the model uses (persistent: a persistent model's) in the
 * values it may take; else -1, naming the first that is not. */
int vnca_train_options_check(const VncaTrainOptions *opt, int persistent, VncaError *err);

#endif
