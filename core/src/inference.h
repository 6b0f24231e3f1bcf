/* Internal: batched decoding on a workspace, for the modules built on it. */
#ifndef VNCA_INFERENCE_H
#define VNCA_INFERENCE_H

#include "workspace.h"

/* Decodes b <= workspace_decode_cap(ws) latents z [b, Z]; returns the final
 * cell states [b, S, S, C] (valid until the workspace decodes again). */
const float *workspace_decode(const VncaModel *m, VncaWorkspace *ws, const float *z, int b);
int workspace_decode_cap(const VncaWorkspace *ws);

#endif
