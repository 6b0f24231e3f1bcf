/* Internal: model files with extra tensors and metadata (checkpoints). */
#ifndef VNCA_MODEL_FILE_H
#define VNCA_MODEL_FILE_H

#include "vnca/safetensors.h"
#include "vnca/vnca.h"

/* vnca_model_save, plus n_extra more tensors and extra metadata entries. */
int model_save_with(const VncaModel *m, const char *path, const VncaStTensor *extra, int n_extra,
                    const VncaMeta *extra_meta, VncaError *err);
/* vnca_model_load, also accepting tensors whose names start with
 * extra_prefix; when file is not NULL it receives the open file (the caller
 * frees it) to read them from. The meta of *m holds every non-config key. */
int model_load_with(VncaModel *m, const char *path, const char *extra_prefix, VncaStFile *file,
                    VncaError *err);

#endif
