/* resources.h: where the studio finds the files it ships with (the model,
 * the icon): beside the executable (a copied or unpacked build), in the
 * source tree (running from the build folder), or under the install prefix. */
#ifndef VNCA_STUDIO_RESOURCES_H
#define VNCA_STUDIO_RESOURCES_H

#include <stddef.h>

/* The shipped model's file name, in the models folder. */
#define DEFAULT_MODEL_NAME "vnca-mnist.safetensors"
#define HEAL_MODEL_NAME "vnca-mnist-heal.safetensors"

/* Finds folder/name ("models"/"vnca-mnist.safetensors"). Returns 0 with the
 * path, or -1 with a message listing every place looked in. */
int resource_find(const char *folder, const char *name, char *path, size_t path_len, char *err,
                  size_t err_len);

#endif
