#include "gif_frames.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gif_lib.h>

/* the NETSCAPE2.0 block and the sub-block after it: 1, then the count (little-endian) */
static int loops_forever(const SavedImage *image)
{
    for (int i = 0; i + 1 < image->ExtensionBlockCount; i++) {
        const ExtensionBlock *app = &image->ExtensionBlocks[i], *data = app + 1;
        if (app->Function == APPLICATION_EXT_FUNC_CODE && app->ByteCount == 11 &&
            memcmp(app->Bytes, "NETSCAPE2.0", 11) == 0 && data->ByteCount == 3 && data->Bytes[0] == 1)
            return data->Bytes[1] == 0 && data->Bytes[2] == 0;
    }
    return 0;
}

int gif_frames_read(const char *path, GifFrames *g, char *err, size_t err_len)
{
    memset(g, 0, sizeof *g);
    int code = 0;
    GifFileType *gif = DGifOpenFileName(path, &code);
    if (!gif) {
        snprintf(err, err_len, "%s: %s", path, GifErrorString(code));
        return -1;
    }
    int rc = -1;
    if (DGifSlurp(gif) == GIF_ERROR) {
        snprintf(err, err_len, "%s: %s", path, GifErrorString(gif->Error));
        goto done;
    }
    g->n = gif->ImageCount, g->w = gif->SWidth, g->h = gif->SHeight;
    g->gray = malloc((size_t)g->n * g->w * g->h);
    g->delay_cs = malloc((size_t)g->n * sizeof(int));
    if (!g->gray || !g->delay_cs) {
        snprintf(err, err_len, "%s: out of memory", path);
        goto done;
    }
    for (int f = 0; f < g->n; f++) {
        const SavedImage *image = &gif->SavedImages[f];
        const GifImageDesc *d = &image->ImageDesc;
        const ColorMapObject *colours = d->ColorMap ? d->ColorMap : gif->SColorMap;
        if (d->Left != 0 || d->Top != 0 || d->Width != g->w || d->Height != g->h || !colours) {
            snprintf(err, err_len, "%s: frame %d is not a whole picture", path, f);
            goto done;
        }
        for (size_t i = 0; i < (size_t)g->w * g->h; i++) {
            const int index = image->RasterBits[i];
            g->gray[(size_t)f * g->w * g->h + i] = index < colours->ColorCount ? colours->Colors[index].Red : 0;
        }
        GraphicsControlBlock timing;
        g->delay_cs[f] = DGifSavedExtensionToGCB(gif, f, &timing) == GIF_OK ? timing.DelayTime : -1;
        g->loops_forever |= loops_forever(image);
    }
    rc = 0;
done:
    DGifCloseFile(gif, NULL);
    if (rc) gif_frames_free(g);
    return rc;
}

void gif_frames_free(GifFrames *g)
{
    free(g->gray);
    free(g->delay_cs);
    memset(g, 0, sizeof *g);
}
