/* Text through SDL_ttf; the font file found by fontconfig. */
#include "text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <SDL_ttf.h>
#include <fontconfig/fontconfig.h>

/* point sizes at scale 1 */
static const int role_points[N_FONT_ROLES] = {15, 12, 20};

enum { CACHE_SIZE = 256 };

typedef struct CachedText {
    char *s;
    FontRole role;
    int wrap_w;
    SDL_Texture *texture;
    int w, h;
    int used;             /* drawn since the last text_end_frame */
} CachedText;

struct Text {
    SDL_Renderer *renderer;
    char *font_file;
    float scale;
    TTF_Font *fonts[N_FONT_ROLES];
    CachedText cache[CACHE_SIZE];
    int n_cached;
};

/* the file of the font fontconfig picks for "sans", malloc'd */
static char *find_sans_font(char *err, size_t err_len)
{
    if (!FcInit()) {
        snprintf(err, err_len, "fontconfig cannot start");
        return NULL;
    }
    char *file = NULL;
    FcPattern *pattern = FcNameParse((const FcChar8 *)"sans");
    if (pattern) {
        FcConfigSubstitute(NULL, pattern, FcMatchPattern);
        FcDefaultSubstitute(pattern);
        FcResult result;
        FcPattern *match = FcFontMatch(NULL, pattern, &result);
        FcChar8 *path = NULL;
        if (match && FcPatternGetString(match, FC_FILE, 0, &path) == FcResultMatch)
            file = strdup((const char *)path);
        if (match) FcPatternDestroy(match);
        FcPatternDestroy(pattern);
    }
    if (!file) snprintf(err, err_len, "fontconfig finds no sans-serif font (install fonts-dejavu-core)");
    return file;
}

static void forget(CachedText *c)
{
    free(c->s);
    if (c->texture) SDL_DestroyTexture(c->texture);
    memset(c, 0, sizeof *c);
}

static void forget_all(Text *t)
{
    for (int i = 0; i < t->n_cached; i++) forget(&t->cache[i]);
    t->n_cached = 0;
}

static void close_fonts(Text *t)
{
    for (int r = 0; r < N_FONT_ROLES; r++) {
        if (t->fonts[r]) TTF_CloseFont(t->fonts[r]);
        t->fonts[r] = NULL;
    }
}

static int open_fonts(Text *t, char *err, size_t err_len)
{
    for (int r = 0; r < N_FONT_ROLES; r++) {
        int points = (int)(role_points[r] * t->scale + 0.5f);
        t->fonts[r] = TTF_OpenFont(t->font_file, points < 6 ? 6 : points);
        if (!t->fonts[r]) {
            snprintf(err, err_len, "%s: %s", t->font_file, TTF_GetError());
            close_fonts(t);
            return -1;
        }
    }
    return 0;
}

Text *text_open(SDL_Renderer *renderer, float scale, char *err, size_t err_len)
{
    if (TTF_Init() != 0) {
        snprintf(err, err_len, "SDL_ttf: %s", TTF_GetError());
        return NULL;
    }
    Text *t = calloc(1, sizeof *t);
    if (!t) {
        snprintf(err, err_len, "out of memory");
        TTF_Quit();
        return NULL;
    }
    t->renderer = renderer;
    t->scale = scale;
    t->font_file = find_sans_font(err, err_len);
    if (!t->font_file || open_fonts(t, err, err_len)) {
        text_close(t);
        return NULL;
    }
    return t;
}

void text_close(Text *t)
{
    if (!t) return;
    forget_all(t);
    close_fonts(t);
    free(t->font_file);
    free(t);
    TTF_Quit();
}

void text_set_scale(Text *t, float scale)
{
    if (!t || scale == t->scale) return;
    char err[512];
    const float old = t->scale;
    forget_all(t);
    close_fonts(t);
    t->scale = scale;
    if (open_fonts(t, err, sizeof err) == 0) return;
    fprintf(stderr, "vnca-studio: %s\n", err);
    t->scale = old;
    if (open_fonts(t, err, sizeof err)) fprintf(stderr, "vnca-studio: %s\n", err);
}

/* the cached rendering of s, made on first use, in white (drawn in any
 * colour: the texture's colour is modulated); NULL when it cannot be */
static CachedText *rendered(Text *t, FontRole role, const char *s, int wrap_w)
{
    static const SDL_Color white = {255, 255, 255, 255};
    for (int i = 0; i < t->n_cached; i++) {
        CachedText *c = &t->cache[i];
        if (c->role == role && c->wrap_w == wrap_w && strcmp(c->s, s) == 0) {
            c->used = 1;
            return c;
        }
    }
    if (!t->fonts[role] || t->n_cached == CACHE_SIZE) return NULL;
    SDL_Surface *surface = wrap_w > 0 ? TTF_RenderUTF8_Blended_Wrapped(t->fonts[role], s, white, (Uint32)wrap_w)
                                      : TTF_RenderUTF8_Blended(t->fonts[role], s, white);
    if (!surface) return NULL;
    CachedText *c = &t->cache[t->n_cached];
    c->texture = SDL_CreateTextureFromSurface(t->renderer, surface);
    c->w = surface->w;
    c->h = surface->h;
    SDL_FreeSurface(surface);
    if (!c->texture || !(c->s = strdup(s))) {
        forget(c);
        return NULL;
    }
    c->role = role;
    c->wrap_w = wrap_w;
    c->used = 1;
    t->n_cached++;
    return c;
}

/* the part src of c at (x, y) in colour */
static void copy(Text *t, const CachedText *c, const SDL_Rect *src, int x, int y, SDL_Color colour)
{
    const SDL_Rect dst = {x, y, src->w, src->h};
    SDL_SetTextureColorMod(c->texture, colour.r, colour.g, colour.b);
    SDL_SetTextureAlphaMod(c->texture, colour.a);
    SDL_RenderCopy(t->renderer, c->texture, src, &dst);
}

int text_draw(Text *t, FontRole role, const char *s, int x, int y, SDL_Color colour, int wrap_w)
{
    if (!t || !s[0]) return 0;
    CachedText *c = rendered(t, role, s, wrap_w);
    if (!c) return 0;
    copy(t, c, &(SDL_Rect){0, 0, c->w, c->h}, x, y, colour);
    return c->h;
}

void text_size(Text *t, FontRole role, const char *s, int wrap_w, int *w, int *h)
{
    const CachedText *c = t && s[0] ? rendered(t, role, s, wrap_w) : NULL;
    *w = c ? c->w : 0;
    *h = c ? c->h : 0;
}

void text_draw_in(Text *t, FontRole role, const char *s, const SDL_Rect *box, SDL_Color colour, int wrap_w)
{
    if (!t || !s[0]) return;
    CachedText *c = rendered(t, role, s, wrap_w);
    if (!c) return;
    copy(t, c, &(SDL_Rect){0, 0, c->w < box->w ? c->w : box->w, c->h < box->h ? c->h : box->h}, box->x, box->y,
         colour);
}

void text_measure(Text *t, FontRole role, const char *s, int *w, int *h)
{
    *w = *h = 0;
    if (t && t->fonts[role]) TTF_SizeUTF8(t->fonts[role], s, w, h);
}

int text_line_height(Text *t, FontRole role)
{
    return t && t->fonts[role] ? TTF_FontLineSkip(t->fonts[role]) : 0;
}

void text_end_frame(Text *t)
{
    if (!t) return;
    int kept = 0;
    for (int i = 0; i < t->n_cached; i++) {
        if (!t->cache[i].used) {
            forget(&t->cache[i]);
            continue;
        }
        t->cache[i].used = 0;
        t->cache[kept++] = t->cache[i];
    }
    for (int i = kept; i < t->n_cached; i++) memset(&t->cache[i], 0, sizeof t->cache[i]);
    t->n_cached = kept;
}
