/* Every instruction set's kernels train alike: a small conv3x3 model trained
 * 200 steps in a child process per VNCA_ISA (the set is chosen once per
 * process) gives the same loss curve on each, within float rounding's
 * drift. (The gradient checks and the PyTorch parity test run on each set
 * through the same variable: tests/meson.build.) */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "cpu.h"
#include "fixtures.h"
#include "vnca/train.h"

enum { STEPS = 200, SIZE = 8, IMAGES = 64 };

/* the loss after each step, trained with the kernels VNCA_ISA names */
static void train_curve(double *loss)
{
    VncaConfig cfg = {.latent = 8, .hidden = 32, .res_blocks = 1, .perception = VNCA_PERCEIVE_CONV3,
                      .n_stages = 3, .stage_grid = {2, 4, 8}, .stage_steps = {2, 2, 2},
                      .encoder_width = 4, .image_size = SIZE};
    VncaModel m;
    VncaRng rng;
    vnca_rng_seed(&rng, 3);
    VncaImages data = {.n = IMAGES, .size = SIZE, .pixels = binary_images(&rng, IMAGES, SIZE)};
    VncaTrainOptions opt;
    vnca_train_defaults(&opt);
    opt.batch = 16;
    opt.lr = 1e-3f;
    VncaTrainer tr;
    VncaTrainStats s;
    if (!data.pixels || make_model(&m, &cfg, 4) || vnca_trainer_init(&tr, &m, &data, &opt, NULL)) exit(2);
    for (int i = 0; i < STEPS; i++) {
        if (vnca_trainer_step(&tr, &s, NULL)) exit(2);
        loss[i] = s.loss.loss;
    }
    vnca_trainer_free(&tr);
    vnca_model_free(&m);
    free(data.pixels);
}

/* train_curve in a child process with VNCA_ISA=isa; 0 when it ran */
static int curve_on(CpuIsa isa, double *loss)
{
    int fds[2];
    if (pipe(fds)) return -1;
    const pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        setenv("VNCA_ISA", cpu_isa_name(isa), 1);
        double mine[STEPS];
        train_curve(mine);
        _exit(write(fds[1], mine, sizeof mine) == (ssize_t)sizeof mine ? 0 : 2);
    }
    close(fds[1]);
    size_t got = 0;
    for (ssize_t n; got < STEPS * sizeof *loss &&
                    (n = read(fds[0], (char *)loss + got, STEPS * sizeof *loss - got)) > 0;)
        got += (size_t)n;
    close(fds[0]);
    int status;
    return waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
                   got == STEPS * sizeof *loss
               ? 0 : -1;
}

static void test_every_isa_trains_alike(void **state)
{
    (void)state;
    double curves[CPU_ISA_COUNT][STEPS];
    int ran[CPU_ISA_COUNT] = {0};
    for (CpuIsa isa = 0; isa < CPU_ISA_COUNT; isa++) {
        if (!cpu_isa_runs(isa)) continue;
        assert_int_equal(curve_on(isa, curves[isa]), 0);
        ran[isa] = 1;
    }
    const double *base = curves[CPU_ISA_PORTABLE];
    printf("loss at steps 1, 100, 200 (%s): %.4f %.4f %.4f\n", cpu_isa_name(CPU_ISA_PORTABLE), base[0],
           base[99], base[STEPS - 1]);
    assert_true(base[STEPS - 1] < 0.8 * base[0]); /* it learned */
    for (CpuIsa isa = CPU_ISA_PORTABLE + 1; isa < CPU_ISA_COUNT; isa++) {
        if (!ran[isa]) continue;
        double worst = 0;
        for (int i = 0; i < STEPS; i++) worst = fmax(worst, fabs(curves[isa][i] - base[i]) / base[i]);
        printf("%s against %s: largest relative difference of the loss over %d steps %.2e\n",
               cpu_isa_name(isa), cpu_isa_name(CPU_ISA_PORTABLE), STEPS, worst);
        /* the sets differ in the order of the sums and in fused multiply-adds
         * (~1e-7 a step); over 200 Adam steps it stayed below 1e-6 */
        assert_true(worst < 1e-5);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_every_isa_trains_alike)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
