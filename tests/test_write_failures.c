/* Write failures: a full disk and a read-only directory under every writer
 * (model, checkpoint, .npy, PNG; the command line's too) and a full disk
 * under `vnca train`'s CSV log. Each failure must be reported naming the
 * file and the cause, leave the old file as it was, and leave no temporary
 * file behind.
 *
 * The disk is a 64 KiB tmpfs, mounted in a private mount namespace so that
 * it vanishes with the test, however the test ends; without the right to
 * mount (not root) those tests are skipped. The CSV log is sent to /dev/full.
 * argv[1]: the vnca executable; argv[2]: the MNIST directory (the CSV test
 * is skipped without it). */
#define _GNU_SOURCE   /* unshare */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "fixtures.h"
#include "gif_writer.h"
#include "image_io.h"
#include "run_command.h"
#include "vnca/npy.h"

#define OLD_CONTENTS "the old file\n"

static const char *vnca_exe, *data_dir;
static char *dir;
static char disk[1024];           /* the small tmpfs */
static const char *why_no_disk;   /* NULL when it is mounted */
static VncaTrainer trainer;       /* and its micro model: what the writers write */
static VncaModel model;
static VncaImages images;

static const char *path_in(char *buf, const char *parent, const char *name)
{
    snprintf(buf, 4096, "%s/%s", parent, name);
    return buf;
}

/* ---- the writers ---------------------------------------------------------- */

static int write_model(const char *path, VncaError *err)
{
    return vnca_model_save(&model, path, err);
}

static int write_checkpoint(const char *path, VncaError *err)
{
    return vnca_trainer_save(&trainer, path, err);
}

static int write_npy(const char *path, VncaError *err)
{
    static const float values[6] = {1, 2, 3, 4, 5, 6};
    const size_t shape[2] = {2, 3};
    return vnca_npy_write(path, values, 2, shape, err);
}

static int write_png(const char *path, VncaError *err)
{
    static const float pixels[8 * 8] = {0.5f};
    return image_save_png(path, pixels, 8, 8, 1, err);
}

static int write_gif(const char *path, VncaError *err)
{
    static const float frames[2 * 8 * 8] = {0.5f};
    return gif_write_gray(path, frames, 2, 8, 8, 1, 5, err);
}

static const struct {
    const char *name;
    int (*write)(const char *path, VncaError *err);
} writers[] = {
    {"model.safetensors", write_model},
    {"train.ckpt", write_checkpoint},
    {"q.npy", write_npy},
    {"grid.png", write_png},
    {"growth.gif", write_gif},
};
enum { N_WRITERS = sizeof writers / sizeof writers[0] };

/* ---- the files ------------------------------------------------------------ */

static void put_old_file(const char *path)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(OLD_CONTENTS, f) >= 0 && fclose(f) == 0, 1);
}

static void expect_old_file(const char *path)
{
    char text[64] = "";
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t got = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[got] = '\0';
    assert_string_equal(text, OLD_CONTENTS);
}

/* No "<name>.tmp.<pid>" of a failed write is left in the directory. */
static void expect_no_temp_file(const char *parent, const char *name)
{
    char prefix[256];
    snprintf(prefix, sizeof prefix, "%s.tmp.", name);
    DIR *d = opendir(parent);
    assert_non_null(d);
    for (struct dirent *e; (e = readdir(d));)
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0)
            fail_msg("a failed write left %s/%s", parent, e->d_name);
    closedir(d);
}

static void expect_reported(const char *message, const char *path, int errnum)
{
    if (!strstr(message, path) || !strstr(message, strerror(errnum)))
        fail_msg("expected a report naming %s and \"%s\", got: %s", path, strerror(errnum),
                 message);
}

/* Takes every free block of the disk (tmpfs: the space is counted in pages). */
static void fill_disk(void)
{
    char path[4096];
    int fd = open(path_in(path, disk, "filler"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    static const char block[4096];
    while (write(fd, block, sizeof block) > 0) continue;
    assert_int_equal(errno, ENOSPC);
    close(fd);
}

static int mount_disk(unsigned long flags)
{
    return mount("tmpfs", disk, "tmpfs", flags, "size=64k");
}

/* ---- the tests ------------------------------------------------------------ */

static void test_full_disk(void **state)
{
    (void)state;
    if (why_no_disk) {
        printf("skipped: %s\n", why_no_disk);
        skip();
    }
    for (int i = 0; i < N_WRITERS; i++) {
        char path[4096], filler[4096];
        path_in(path, disk, writers[i].name);
        put_old_file(path);
        fill_disk();
        VncaError err;
        assert_int_equal(writers[i].write(path, &err), -1);
        expect_reported(err.msg, path, ENOSPC);
        expect_old_file(path);
        expect_no_temp_file(disk, writers[i].name);
        assert_int_equal(unlink(path_in(filler, disk, "filler")), 0);
    }
}

/* The library's writers, and the command line's subcommands that write each
 * kind of file, in a directory that has become read-only. */
static void test_read_only_directory(void **state)
{
    (void)state;
    if (why_no_disk) {
        printf("skipped: %s\n", why_no_disk);
        skip();
    }
    char path[4096], micro[4096], latents[4096];
    for (int i = 0; i < N_WRITERS; i++) put_old_file(path_in(path, disk, writers[i].name));
    VncaError err;
    const float z[2 * 4] = {0};
    const size_t z_shape[2] = {2, 4};   /* the micro model's latent size */
    assert_int_equal(vnca_model_save(&model, path_in(micro, dir, "micro.safetensors"), &err), 0);
    assert_int_equal(vnca_npy_write(path_in(latents, dir, "z.npy"), z, 2, z_shape, &err), 0);
    assert_int_equal(mount_disk(MS_REMOUNT | MS_RDONLY), 0);

    for (int i = 0; i < N_WRITERS; i++) {
        path_in(path, disk, writers[i].name);
        assert_int_equal(writers[i].write(path, &err), -1);
        expect_reported(err.msg, path, EROFS);
        expect_old_file(path);
    }
    char model_out[4096], png_out[4096], npy_out[4096], gif_out[4096];
    const struct {
        const char *out;
        char *argv[12];
    } commands[] = {
        {path_in(model_out, disk, "model.safetensors"),
         {(char *)vnca_exe, "init", "--config", "tiny", "-o", model_out, NULL}},
        {path_in(png_out, disk, "grid.png"),
         {(char *)vnca_exe, "sample", "--model", micro, "-n", "2", "-o", png_out, NULL}},
        {path_in(npy_out, disk, "q.npy"),
         {(char *)vnca_exe, "decode", "--model", micro, "--z", latents, "-o", npy_out, NULL}},
        {path_in(gif_out, disk, "growth.gif"),
         {(char *)vnca_exe, "sample", "--model", micro, "-n", "2", "--gif", gif_out, NULL}},
    };
    for (size_t c = 0; c < sizeof commands / sizeof commands[0]; c++) {
        CommandResult r;
        run_command(&r, dir, commands[c].argv);
        assert_int_equal(r.status, 1);
        expect_reported(r.err, commands[c].out, EROFS);
        expect_old_file(commands[c].out);
    }
    assert_int_equal(mount_disk(MS_REMOUNT), 0);
}

/* The CSV log is appended row by row (not atomically): its failure must
 * stop the run with the log's path, not go unnoticed. */
static void test_full_disk_under_the_training_log(void **state)
{
    (void)state;
    struct stat st;
    if (stat(data_dir, &st) != 0) {
        printf("skipped: no MNIST data at %s\n", data_dir);
        skip();
    }
    char out[4096], log[4096 + 8];
    path_in(out, dir, "run.st");
    snprintf(log, sizeof log, "%s.csv", out);
    assert_int_equal(symlink("/dev/full", log), 0);
    char *argv[] = {(char *)vnca_exe, "train", "--data", (char *)data_dir, "--config", "tiny",
                    "--limit", "16", "--batch", "8", "--steps", "2", "--log-every", "1",
                    "-o", out, NULL};
    CommandResult r;
    run_command(&r, dir, argv);
    assert_int_equal(r.status, 1);
    expect_reported(r.err, log, ENOSPC);
}

/* ---- setup ---------------------------------------------------------------- */

/* The small disk, in a mount namespace of this process alone (mounts in it
 * do not propagate back, and it dies with the process). */
static const char *make_disk(void)
{
    static char why[256];
    path_in(disk, dir, "disk");
    if (mkdir(disk, 0755)) return strerror(errno);
    if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
        mount_disk(0)) {
        snprintf(why, sizeof why, "cannot mount a small tmpfs here (%s)", strerror(errno));
        return why;
    }
    return NULL;
}

static int setup(void **state)
{
    (void)state;
    dir = make_temp_dir();
    if (!dir || micro_trainer(&trainer, &model, &images)) return -1;
    why_no_disk = make_disk();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (!why_no_disk) umount2(disk, MNT_DETACH);
    vnca_trainer_free(&trainer);
    vnca_model_free(&model);
    vnca_images_free(&images);
    remove_temp_dir(dir);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: test_write_failures VNCA_EXE MNIST_DIR\n");
        return 2;
    }
    vnca_exe = argv[1];
    data_dir = argv[2];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_disk),
        cmocka_unit_test(test_read_only_directory),
        cmocka_unit_test(test_full_disk_under_the_training_log),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
