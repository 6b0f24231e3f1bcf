/* vnca_digit_from_gray: pictures of any size and polarity become MNIST-like
 * digits: bright ink on black, fitted into 20x20, centred by mass. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vnca/digit.h"

enum { SIZE = 32 };

/* A w x h picture of `paper` with an ink rectangle [x0, x1) x [y0, y1). */
static float *picture(int w, int h, float paper, float ink, int x0, int y0, int x1, int y1)
{
    float *p = malloc((size_t)w * h * sizeof(float));
    assert_non_null(p);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            p[(size_t)y * w + x] = x >= x0 && x < x1 && y >= y0 && y < y1 ? ink : paper;
    return p;
}

/* adds a second ink rectangle, making the shape asymmetric (an L) */
static void add_ink(float *p, int w, float ink, int x0, int y0, int x1, int y1)
{
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) p[(size_t)y * w + x] = ink;
}

typedef struct Extent {
    int x0, y0, x1, y1;   /* bounding box of pixels > 0, inclusive */
    double cx, cy;        /* centre of mass, pixel centres at +0.5 */
    float max;
} Extent;

static Extent extent_of(const float *d)
{
    Extent e = {SIZE, SIZE, -1, -1, 0.0, 0.0, 0.0f};
    double mass = 0.0;
    for (int y = 0; y < SIZE; y++)
        for (int x = 0; x < SIZE; x++) {
            float v = d[y * SIZE + x];
            assert_true(v >= 0.0f && v <= 1.0f);
            if (v <= 0.0f) continue;
            e.x0 = x < e.x0 ? x : e.x0, e.x1 = x > e.x1 ? x : e.x1;
            e.y0 = y < e.y0 ? y : e.y0, e.y1 = y > e.y1 ? y : e.y1;
            mass += v;
            e.cx += v * (x + 0.5);
            e.cy += v * (y + 0.5);
            e.max = v > e.max ? v : e.max;
        }
    assert_true(mass > 0.0);
    e.cx /= mass;
    e.cy /= mass;
    return e;
}

static void test_dark_ink_on_light_paper_is_inverted(void **state)
{
    (void)state;
    enum { W = 90, H = 120 };
    float *light = picture(W, H, 0.95f, 0.05f, 30, 20, 45, 100);
    add_ink(light, W, 0.05f, 30, 85, 70, 100);
    float *dark = picture(W, H, 0.05f, 0.95f, 30, 20, 45, 100);
    add_ink(dark, W, 0.95f, 30, 85, 70, 100);
    float from_light[SIZE * SIZE], from_dark[SIZE * SIZE];
    VncaError err;
    assert_int_equal(vnca_digit_from_gray(light, W, H, SIZE, from_light, &err), 0);
    assert_int_equal(vnca_digit_from_gray(dark, W, H, SIZE, from_dark, &err), 0);
    for (int i = 0; i < SIZE * SIZE; i++) assert_float_equal(from_light[i], from_dark[i], 1e-5);
    /* the background is black and the ink at full brightness */
    assert_float_equal(from_light[0], 0.0f, 0.0f);
    assert_true(extent_of(from_light).max > 0.99f);
    free(light);
    free(dark);
}

static void test_centre_of_mass_lands_at_the_centre(void **state)
{
    (void)state;
    enum { W = 200, H = 150 };
    /* an L far from the picture's centre: its mass is off its box's centre too */
    float *p = picture(W, H, 0.0f, 1.0f, 150, 10, 160, 60);
    add_ink(p, W, 1.0f, 150, 50, 190, 60);
    float d[SIZE * SIZE];
    VncaError err;
    assert_int_equal(vnca_digit_from_gray(p, W, H, SIZE, d, &err), 0);
    Extent e = extent_of(d);
    /* integer placement: within half a pixel of the 28x28 field's centre, which
     * is the padded image's centre */
    assert_true(fabs(e.cx - SIZE / 2.0) <= 0.5);
    assert_true(fabs(e.cy - SIZE / 2.0) <= 0.5);
    free(p);
}

static void test_bounding_box_fits_20x20_keeping_aspect(void **state)
{
    (void)state;
    enum { W = 300, H = 100 };
    /* a 240 x 30 bar: 8:1, so 20 wide and (about) 3 high after fitting */
    float *p = picture(W, H, 0.0f, 1.0f, 30, 35, 270, 65);
    float d[SIZE * SIZE];
    VncaError err;
    assert_int_equal(vnca_digit_from_gray(p, W, H, SIZE, d, &err), 0);
    Extent e = extent_of(d);
    assert_int_equal(e.x1 - e.x0 + 1, 20);
    assert_in_range(e.y1 - e.y0 + 1, 2, 4);
    /* inside the 28x28 field in the middle of the 32x32 image */
    assert_true(e.x0 >= 2 && e.x1 <= 29 && e.y0 >= 2 && e.y1 <= 29);
    free(p);

    /* a tiny 3x5 blot is scaled up to 20 high */
    p = picture(10, 10, 1.0f, 0.0f, 4, 2, 7, 7);
    assert_int_equal(vnca_digit_from_gray(p, 10, 10, SIZE, d, &err), 0);
    e = extent_of(d);
    assert_int_equal(e.y1 - e.y0 + 1, 20);
    assert_int_equal(e.x1 - e.x0 + 1, 12);
    free(p);
}

static void test_blank_picture_fails_with_a_message(void **state)
{
    (void)state;
    float *p = picture(64, 48, 0.5f, 0.5f, 0, 0, 0, 0);
    float d[SIZE * SIZE];
    VncaError err = {{0}};
    assert_int_equal(vnca_digit_from_gray(p, 64, 48, SIZE, d, &err), -1);
    assert_non_null(strstr(err.msg, "blank"));
    free(p);

    memset(err.msg, 0, sizeof err.msg);
    assert_int_equal(vnca_digit_from_gray(d, 0, 10, SIZE, d, &err), -1);
    assert_true(err.msg[0] != '\0');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dark_ink_on_light_paper_is_inverted),
        cmocka_unit_test(test_centre_of_mass_lands_at_the_centre),
        cmocka_unit_test(test_bounding_box_fits_20x20_keeping_aspect),
        cmocka_unit_test(test_blank_picture_fails_with_a_message),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
