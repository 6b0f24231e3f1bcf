/* text.h: drawing text with SDL_ttf in the system's sans-serif font, as
 * fontconfig names it. Rendered strings are cached as textures between
 * frames, since the panel's lines rarely change. Every call accepts a NULL
 * Text (no font found) and then draws nothing. */
#ifndef VNCA_STUDIO_TEXT_H
#define VNCA_STUDIO_TEXT_H

#include <stddef.h>

#include <SDL.h>

typedef struct Text Text;

typedef enum FontRole { FONT_BODY, FONT_SMALL, FONT_TITLE, N_FONT_ROLES } FontRole;

/* scale: output pixels per window point (high-DPI displays have 2).
 * NULL with the reason in err when no font can be opened. */
Text *text_open(SDL_Renderer *renderer, float scale, char *err, size_t err_len);
void text_close(Text *t);
/* reopens the fonts when the scale changes (the window moved to another display) */
void text_set_scale(Text *t, float scale);

/* Draws s at (x, y) (top left), wrapped at wrap_w pixels when wrap_w > 0.
 * Returns the height drawn. */
int text_draw(Text *t, FontRole role, const char *s, int x, int y, SDL_Color colour, int wrap_w);
/* the size s would take, unwrapped */
void text_measure(Text *t, FontRole role, const char *s, int *w, int *h);
/* the size s takes wrapped at wrap_w pixels (0: unwrapped), as text_draw
 * draws it (it is rendered once, for both) */
void text_size(Text *t, FontRole role, const char *s, int wrap_w, int *w, int *h);
/* Draws s wrapped at wrap_w as text_draw does, at box's top left, cut to
 * the box: what does not fit is not drawn. */
void text_draw_in(Text *t, FontRole role, const char *s, const SDL_Rect *box, SDL_Color colour, int wrap_w);
int text_line_height(Text *t, FontRole role);
/* forgets the strings that were not drawn since the last call */
void text_end_frame(Text *t);

#endif
