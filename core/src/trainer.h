/* Internal: what the trainer's checkpoint code needs of the trainer. */
#ifndef VNCA_TRAINER_H
#define VNCA_TRAINER_H

#include "vnca/train.h"

/* the permutation (and binarization) of tr->epoch, position 0 */
void trainer_start_epoch(VncaTrainer *tr);
int trainer_persistent(const VncaTrainer *tr);

#endif
