/* train_log.h: the CSV log of `vnca train`, one row per few steps
 * (step, images_seen, train_seconds: wall seconds, loss, recon, kl,
 * grad_norm, lr: the learning rate of the row's last step, cpu_seconds:
 * the process's CPU seconds, as the model's training.cpu_seconds).
 *
 * A run killed after its last checkpoint has logged steps that the resumed
 * run takes again, so resuming first cuts the log back to the checkpoint's
 * step (rewritten atomically) and the log stays one row per step. */
#ifndef VNCA_CLI_TRAIN_LOG_H
#define VNCA_CLI_TRAIN_LOG_H

#include <stdio.h>

#include "vnca/error.h"

/* Opens the log for appending. resume_step < 0: a new log (the header,
 * replacing any old file). Otherwise the existing log (or a new one if there
 * is none) keeps its header and the rows up to resume_step.
 * NULL with err naming the file when it cannot be read, is not a training
 * log, or cannot be written. */
FILE *train_log_open(const char *path, long resume_step, VncaError *err);

#endif
