/* A monkey test of vnca-studio: a random --script, written from a seed, of
 * strokes, every key of the studio's key table (but quit), the panel's
 * buttons, the wheel, window resizes, saves, screenshots, and files dropped
 * onto the window, good ones (a digit, both shipped models) and broken ones
 * (a truncated picture or model, a missing path, a folder, an empty file),
 * with waits between them until the script lasts the given seconds. The
 * studio runs it under Xvfb and must exit 0 within a bound, with no
 * sanitizer report: in the sanitizer build that means no invalid access, no
 * undefined behaviour and no leak of ours (the leaks of the system's
 * libraries are suppressed by lsan-studio.supp, which names only them).
 *
 * usage: test_monkey VNCA_STUDIO MODEL HEAL_MODEL LSAN_SUPPRESSIONS SEED SECONDS
 * Skipped (77) without xvfb-run or the shipped models. On a failure the
 * temporary folder, with the script, stays for a replay. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image_io.h"
#include "input.h"
#include "layout.h"
#include "run_command.h"

enum { IMAGE_SIDE = 32, N_DROPS = 10, MAX_KEYS = 64, PATH_LEN = 4096 };

/* ---- randomness (splitmix64: the same script from the same seed anywhere) */

static uint64_t rng_state;

static uint64_t next_random(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* an integer in [lo, hi] */
static int between(int lo, int hi) { return lo + (int)(next_random() % (uint64_t)(hi - lo + 1)); }

/* an image coordinate: mostly on the canvas, sometimes off it */
static int coordinate(void) { return between(0, 9) ? between(0, IMAGE_SIDE - 1) : between(-40, IMAGE_SIDE + 40); }

/* ---- the script's actions, each with its weight --------------------------- */

typedef struct Monkey {
    FILE *out;
    char *dir;
    char keys[MAX_KEYS][64];    /* the studio's key table, as script names */
    int n_keys;
    char drops[N_DROPS][PATH_LEN];
    int n_drops;
    long waited_ms;
} Monkey;

static const char *mouse_button(void) { return between(0, 1) ? "right" : "left"; }

static void emit_drag(Monkey *m)
{
    fprintf(m->out, "drag %s", mouse_button());
    for (int i = between(2, 12); i > 0; i--) fprintf(m->out, " %d %d", coordinate(), coordinate());
    fputc('\n', m->out);
}

static void emit_click(Monkey *m) { fprintf(m->out, "click %s %d %d\n", mouse_button(), coordinate(), coordinate()); }
static void emit_move(Monkey *m) { fprintf(m->out, "move %d %d\n", coordinate(), coordinate()); }
static void emit_key(Monkey *m) { fprintf(m->out, "key %s\n", m->keys[between(0, m->n_keys - 1)]); }
static void emit_button(Monkey *m) { fprintf(m->out, "button %s\n", buttons[between(0, N_BUTTONS - 1)].name); }
static void emit_wheel(Monkey *m) { fprintf(m->out, "wheel %d\n", between(-12, 12)); }
static void emit_drop(Monkey *m) { fprintf(m->out, "drop %s\n", m->drops[between(0, m->n_drops - 1)]); }

/* from below the window's minimum (it clamps) to larger than the screen */
static void emit_resize(Monkey *m)
{
    if (between(0, 5)) fprintf(m->out, "resize %dx%d\n", between(200, 1800), between(150, 1100));
    else fprintf(m->out, "resize %dx%d\n", between(1, 120), between(1, 120));
}

static void emit_save(Monkey *m)
{
    /* now and then into a folder that does not exist: an error to report */
    fprintf(m->out, "save %s/%s/canvas-%d.png\n", m->dir, between(0, 9) ? "." : "no-such-folder", between(0, 3));
}

static void emit_screenshot(Monkey *m) { fprintf(m->out, "screenshot %s/window-%d.png\n", m->dir, between(0, 3)); }

/* often short, so that actions land on every stage of a growth or a load */
static void emit_wait(Monkey *m)
{
    const int ms = between(0, 3) ? between(0, 80) : between(80, 1500);
    fprintf(m->out, "wait %d\n", ms);
    m->waited_ms += ms;
}

typedef struct Verb {
    const char *name;
    void (*emit)(Monkey *m);
    int weight;
} Verb;

static const Verb verbs[] = {
    {"drag", emit_drag, 14},   {"click", emit_click, 4},   {"move", emit_move, 4},
    {"key", emit_key, 30},     {"button", emit_button, 5}, {"wheel", emit_wheel, 3},
    {"resize", emit_resize, 3}, {"drop", emit_drop, 3},    {"save", emit_save, 2},
    {"screenshot", emit_screenshot, 1}, {"wait", emit_wait, 24},
};
enum { N_VERBS = sizeof verbs / sizeof verbs[0] };

/* actions until the waits add up to `seconds`, then quit; the count of each
 * verb into counts */
static int write_script(Monkey *m, const char *path, int seconds, int counts[N_VERBS])
{
    if (!(m->out = fopen(path, "w"))) return -1;
    int total_weight = 0;
    for (int i = 0; i < N_VERBS; i++) total_weight += verbs[i].weight, counts[i] = 0;
    while (m->waited_ms < 1000L * seconds) {
        int pick = between(0, total_weight - 1), v = 0;
        while (pick >= verbs[v].weight) pick -= verbs[v++].weight;
        verbs[v].emit(m);
        counts[v]++;
    }
    fprintf(m->out, "quit\n");
    return fclose(m->out);
}

/* ---- the files to drop ---------------------------------------------------- */

static const char *in_dir(char *buf, const char *dir, const char *name)
{
    snprintf(buf, PATH_LEN, "%s/%s", dir, name);
    return buf;
}

/* the first `keep` bytes of src into dst */
static int copy_head(const char *src, const char *dst, long keep)
{
    FILE *in = fopen(src, "rb"), *out = fopen(dst, "wb");
    int rc = in && out ? 0 : -1;
    for (int c; rc == 0 && keep > 0 && (c = fgetc(in)) != EOF; keep--)
        if (fputc(c, out) == EOF) rc = -1;
    if (in) fclose(in);
    if (out && fclose(out)) rc = -1;
    return rc;
}

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* a ring, a zero of sorts */
static int write_digit(const char *path)
{
    float pixels[IMAGE_SIDE * IMAGE_SIDE];
    for (int y = 0; y < IMAGE_SIDE; y++)
        for (int x = 0; x < IMAGE_SIDE; x++) {
            const float dx = (x - 15.5f) / 7.0f, dy = (y - 15.5f) / 10.0f, r2 = dx * dx + dy * dy;
            pixels[y * IMAGE_SIDE + x] = r2 > 0.6f && r2 < 1.0f ? 1.0f : 0.0f;
        }
    VncaError err;
    if (image_save_png(path, pixels, IMAGE_SIDE, IMAGE_SIDE, 1, &err) == 0) return 0;
    fprintf(stderr, "%s\n", err.msg);
    return -1;
}

/* a path to drop: dir, or name in it */
static char *add_drop(Monkey *m, const char *dir, const char *name)
{
    if (m->n_drops == N_DROPS) abort();
    char *path = m->drops[m->n_drops++];
    snprintf(path, PATH_LEN, "%s%s%s", dir, name ? "/" : "", name ? name : "");
    return path;
}

/* good files, broken ones, and paths that are no file at all */
static int make_drops(Monkey *m, const char *model, const char *heal_model)
{
    const char *digit = add_drop(m, m->dir, "digit.png");
    add_drop(m, model, NULL);
    add_drop(m, heal_model, NULL);
    add_drop(m, m->dir, NULL);
    add_drop(m, m->dir, "no-such-picture.png");
    add_drop(m, m->dir, "no-such-model.safetensors");
    return write_digit(digit) || copy_head(digit, add_drop(m, m->dir, "truncated.png"), file_size(digit) / 2) ||
           copy_head(model, add_drop(m, m->dir, "truncated.safetensors"), file_size(model) / 3) ||
           copy_head(model, add_drop(m, m->dir, "empty.png"), 0) ||
           mkdir(add_drop(m, m->dir, "folder.safetensors"), 0755);
}

/* ---- running it ----------------------------------------------------------- */

/* `name`'s full path from PATH into buf; 0 when found */
static int find_program(const char *name, char *buf, size_t len)
{
    const char *path = getenv("PATH");
    char *copy = strdup(path ? path : "/usr/bin:/bin");
    int found = 0;
    for (char *save, *d = strtok_r(copy, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
        snprintf(buf, len, "%s/%s", d, name);
        found = access(buf, X_OK) == 0;
    }
    free(copy);
    return found ? 0 : -1;
}

/* VAR=its value:more (the later of two settings of an option wins) */
static void append_env(const char *var, const char *more)
{
    const char *old = getenv(var);
    char value[8192];
    snprintf(value, sizeof value, "%s%s%s", old ? old : "", old && old[0] ? ":" : "", more);
    setenv(var, value, 1);
}

/* the first sanitizer report in the studio's stderr (the whole file: the
 * captured copy is cut short), or NULL */
static const char *sanitizer_report(const char *stderr_path)
{
    static char line[4096];
    FILE *f = fopen(stderr_path, "r");
    const char *found = NULL;
    while (f && !found && fgets(line, sizeof line, f))
        if (strstr(line, "Sanitizer") || strstr(line, "runtime error:")) found = line;
    if (f) fclose(f);
    return found;
}

int main(int argc, char **argv)
{
    if (argc != 7) {
        fprintf(stderr, "usage: test_monkey VNCA_STUDIO MODEL HEAL_MODEL LSAN_SUPPRESSIONS SEED SECONDS\n");
        return 2;
    }
    char *studio = argv[1];
    const char *model = argv[2], *heal_model = argv[3], *suppressions = argv[4];
    char *end;
    const unsigned long long seed = strtoull(argv[5], &end, 10);
    if (*end || !argv[5][0]) return fprintf(stderr, "test_monkey: bad SEED '%s'\n", argv[5]), 2;
    const long seconds = strtol(argv[6], &end, 10);
    if (*end || seconds < 1 || seconds > 24 * 3600)
        return fprintf(stderr, "test_monkey: bad SECONDS '%s'\n", argv[6]), 2;
    char xvfb_run[4096], timeout[4096];
    if (find_program("xvfb-run", xvfb_run, sizeof xvfb_run) || find_program("timeout", timeout, sizeof timeout)) {
        printf("SKIP: xvfb-run is not installed (Debian: apt install xvfb xauth)\n");
        return 77;
    }
    if (access(model, R_OK) || access(heal_model, R_OK)) {
        printf("SKIP: the shipped models are absent (%s, %s)\n", model, heal_model);
        return 77;
    }

    static Monkey m;
    char script[PATH_LEN], stderr_path[PATH_LEN];
    if (!(m.dir = make_temp_dir())) return 1;
    in_dir(script, m.dir, "script.txt");
    in_dir(stderr_path, m.dir, ".stderr");
    IntentKind intent;
    for (int i = 0; m.n_keys < MAX_KEYS && input_binding(i, m.keys[m.n_keys], sizeof m.keys[0], &intent) == 0; i++)
        m.n_keys += intent != INTENT_QUIT;
    rng_state = seed;
    int counts[N_VERBS];
    if (make_drops(&m, model, heal_model) || write_script(&m, script, (int)seconds, counts)) {
        fprintf(stderr, "test_monkey: cannot write the script and its files in %s: %s\n", m.dir, strerror(errno));
        return 1;
    }
    int actions = 0;
    printf("monkey: seed %llu, %ld s; replay: test_monkey %s %s %s %s %llu %ld\n", seed, seconds, studio, model,
           heal_model, suppressions, seed, seconds);
    for (int i = 0; i < N_VERBS; i++) printf("%s%s %d", i ? ", " : "actions: ", verbs[i].name, counts[i]);
    for (int i = 0; i < N_VERBS; i++) actions += counts[i];
    printf(" (%d in all, %d keys to choose from)\n", actions, m.n_keys);
    fflush(stdout);

    /* Leaks are checked here whatever the caller chose; the software
     * renderer draws through X11's shared memory, not Mesa's GL, whose
     * compiled code LeakSanitizer cannot name a library for. */
    append_env("ASAN_OPTIONS", "detect_leaks=1");
    char lsan[PATH_LEN + 32];
    snprintf(lsan, sizeof lsan, "suppressions=%s", suppressions);
    append_env("LSAN_OPTIONS", lsan);
    setenv("SDL_VIDEODRIVER", "x11", 1);
    setenv("SDL_FRAMEBUFFER_ACCELERATION", "0", 1);

    /* the studio must be gone this long after it starts: the script's
     * waits, its frames, and the growth or load in progress at the end
     * (seconds in the sanitizer build on a busy machine) */
    char limit[32], seed_arg[32];
    snprintf(limit, sizeof limit, "%ld", seconds + 60 + seconds / 2);
    snprintf(seed_arg, sizeof seed_arg, "%llu", seed);
    char *cmd[] = {xvfb_run, "-a", "-s", "-screen 0 1920x1200x24", timeout, "-k", "10", limit, studio,
                   "--model", (char *)model, "--software", "--seed", seed_arg, "--size", "900x600",
                   "--save-dir", m.dir, "--script", script, NULL};
    static CommandResult r;
    run_command(&r, m.dir, cmd);
    const char *report = sanitizer_report(stderr_path);
    printf("vnca-studio exited %d\n", r.status);
    if (r.status == 124 || r.status == 137) printf("FAIL: still running %s s after it started: a hang\n", limit);
    else if (r.status != 0) printf("FAIL: exit status %d\n", r.status);
    if (report) printf("FAIL: a sanitizer report: %s", report);
    if (r.status != 0 || report) {
        printf("the script and the studio's stderr stay in %s (script.txt, .stderr); its stderr begins:\n%s\n",
               m.dir, r.err);
        free(m.dir);
        return 1;
    }
    remove_temp_dir(m.dir);
    return 0;
}
