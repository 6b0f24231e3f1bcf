/* GIFs are encoded into memory (giflib writes through a callback), then
 * written in one piece by vnca_write_file_atomic, so that a half-written
 * animation never replaces a file. */
#include "gif_writer.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gif_lib.h>

#include "vnca/io.h"

static int put_bytes(GifFileType *gif, const GifByteType *bytes, int len)
{
    return (int)fwrite(bytes, 1, (size_t)len, gif->UserData);
}

/* the NETSCAPE2.0 application extension: repeat count 0, i.e. forever */
static int put_loop_forever(GifFileType *gif)
{
    static const GifByteType app[11] = "NETSCAPE2.0", forever[3] = {1, 0, 0};
    return EGifPutExtensionLeader(gif, APPLICATION_EXT_FUNC_CODE) == GIF_ERROR ||
                   EGifPutExtensionBlock(gif, sizeof app, app) == GIF_ERROR ||
                   EGifPutExtensionBlock(gif, sizeof forever, forever) == GIF_ERROR ||
                   EGifPutExtensionTrailer(gif) == GIF_ERROR
               ? GIF_ERROR
               : GIF_OK;
}

static int put_frame(GifFileType *gif, const float *frame, int w, int h, int scale, int delay_cs,
                     GifPixelType *row)
{
    const GraphicsControlBlock timing = {.DisposalMode = DISPOSE_DO_NOT, .DelayTime = delay_cs,
                                         .TransparentColor = NO_TRANSPARENT_COLOR};
    GifByteType control[4];
    EGifGCBToExtension(&timing, control);
    if (EGifPutExtension(gif, GRAPHICS_EXT_FUNC_CODE, sizeof control, control) == GIF_ERROR ||
        EGifPutImageDesc(gif, 0, 0, w * scale, h * scale, false, NULL) == GIF_ERROR)
        return GIF_ERROR;
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
            const float v = frame[(size_t)y * w + x];
            const GifPixelType level = (GifPixelType)((v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v) * 255.0f + 0.5f);
            memset(row + (size_t)x * scale, level, (size_t)scale);
        }
        for (int k = 0; k < scale; k++)
            if (EGifPutLine(gif, row, w * scale) == GIF_ERROR) return GIF_ERROR;
    }
    return GIF_OK;
}

/* the whole animation into *data (malloc'd), *len bytes */
static int encode(const char *path, const float *frames, int n_frames, int w, int h, int scale,
                  int delay_cs, char **data, size_t *len, VncaError *err)
{
    *data = NULL;
    FILE *memory = open_memstream(data, len);
    if (!memory) return vnca_fail(err, "%s: cannot encode the GIF: %s", path, strerror(errno));
    int code = 0;
    GifFileType *gif = EGifOpen(memory, put_bytes, &code);
    ColorMapObject *grays = GifMakeMapObject(256, NULL);
    GifPixelType *row = malloc((size_t)w * scale);
    int rc = gif && grays && row ? GIF_OK : GIF_ERROR;
    if (rc == GIF_OK) {
        for (int i = 0; i < 256; i++) grays->Colors[i] = (GifColorType){(GifByteType)i, (GifByteType)i, (GifByteType)i};
        EGifSetGifVersion(gif, true); /* the timing and looping extensions are GIF89a */
        rc = EGifPutScreenDesc(gif, w * scale, h * scale, 8, 0, grays);
        if (rc != GIF_ERROR) rc = put_loop_forever(gif);
        const size_t pixels = (size_t)w * h;
        for (int f = 0; f < n_frames && rc != GIF_ERROR; f++)
            rc = put_frame(gif, frames + f * pixels, w, h, scale, delay_cs, row);
        if (rc == GIF_ERROR) code = gif->Error;
    } else if (gif) {
        code = E_GIF_ERR_NOT_ENOUGH_MEM;
    }
    if (gif && EGifCloseFile(gif, rc == GIF_ERROR ? NULL : &code) == GIF_ERROR) rc = GIF_ERROR;
    GifFreeMapObject(grays);
    free(row);
    const int stream_failed = fclose(memory) != 0;
    if (rc == GIF_ERROR || stream_failed) {
        free(*data);
        *data = NULL;
        const char *why = code ? GifErrorString(code) : "out of memory";
        return vnca_fail(err, "%s: cannot encode the GIF: %s", path, why ? why : "unknown giflib error");
    }
    return 0;
}

int gif_write_gray(const char *path, const float *frames, int n_frames, int w, int h, int scale,
                   int delay_cs, VncaError *err)
{
    if (n_frames < 1 || w < 1 || h < 1 || scale < 1)
        return vnca_fail(err, "%s: a GIF needs at least one frame of at least one pixel", path);
    if ((long)w * scale > GIF_MAX_SIDE || (long)h * scale > GIF_MAX_SIDE)
        return vnca_fail(err, "%s: %ldx%ld pixels is too large for a GIF (at most %d a side)", path,
                         (long)w * scale, (long)h * scale, GIF_MAX_SIDE);
    if (delay_cs < 0 || delay_cs > 65535)
        return vnca_fail(err, "%s: a GIF frame lasts 0 to 65535 hundredths of a second, not %d", path,
                         delay_cs);
    char *gif;
    size_t len;
    if (encode(path, frames, n_frames, w, h, scale, delay_cs, &gif, &len, err)) return -1;
    int rc = vnca_write_file_atomic(path, gif, len, err);
    free(gif);
    return rc;
}
