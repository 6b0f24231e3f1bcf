/* Fuzz target: a checkpoint as `vnca train --resume` reads it: its model
 * alone, then the whole state resumed into a micro trainer, followed by one
 * training step from the data position and epoch the file restored. */
#include <stdlib.h>

#include "fixtures.h"
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static VncaTrainer tr;
    static VncaModel model;
    static VncaImages images;
    static int ready;
    if (!ready && micro_trainer(&tr, &model, &images)) abort();
    ready = 1;

    const char *path = fuzz_input_path(data, size);
    VncaError err;
    VncaModel m;
    VncaTrainOptions opt;
    vnca_train_defaults(&opt);
    if (vnca_checkpoint_load_model(&m, &opt, path, &err) == 0) vnca_model_free(&m);
    if (vnca_trainer_resume(&tr, path, &err) == 0) {
        VncaTrainStats stats;
        vnca_trainer_step(&tr, &stats, &err);
        /* a resume changes the trainer: the next input gets a fresh one */
        vnca_trainer_free(&tr);
        vnca_model_free(&model);
        vnca_images_free(&images);
        ready = 0;
    }
    return 0;
}
