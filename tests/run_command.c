#include "run_command.h"

#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static void slurp(const char *path, char *buf, size_t len)
{
    buf[0] = '\0';
    FILE *f = fopen(path, "rb");
    if (!f) return;
    size_t got = fread(buf, 1, len - 1, f);
    buf[got] = '\0';
    fclose(f);
}

static void capture_paths(const char *scratch_dir, char *out_path, char *err_path, size_t len)
{
    snprintf(out_path, len, "%s/.stdout", scratch_dir);
    snprintf(err_path, len, "%s/.stderr", scratch_dir);
}

pid_t start_command(const char *scratch_dir, char *const argv[])
{
    char out_path[4096], err_path[4096];
    capture_paths(scratch_dir, out_path, err_path, sizeof out_path);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 2, err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pid_t pid;
    if (posix_spawn(&pid, argv[0], &actions, NULL, argv, environ) != 0) pid = -1;
    posix_spawn_file_actions_destroy(&actions);
    return pid;
}

void finish_command(CommandResult *r, const char *scratch_dir, pid_t pid)
{
    char out_path[4096], err_path[4096];
    capture_paths(scratch_dir, out_path, err_path, sizeof out_path);
    int ws;
    r->status = -1;
    if (pid > 0 && waitpid(pid, &ws, 0) == pid)
        r->status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
    slurp(out_path, r->out, sizeof r->out);
    slurp(err_path, r->err, sizeof r->err);
}

void run_command(CommandResult *r, const char *scratch_dir, char *const argv[])
{
    finish_command(r, scratch_dir, start_command(scratch_dir, argv));
}

char *make_temp_dir(void)
{
    char *dir = strdup("/tmp/vnca-test-XXXXXX");
    if (dir && !mkdtemp(dir)) {
        free(dir);
        return NULL;
    }
    return dir;
}

void remove_temp_dir(char *dir)
{
    if (!dir) return;
    char *argv[] = {"/bin/rm", "-rf", dir, NULL};
    pid_t pid;
    if (posix_spawn(&pid, argv[0], NULL, NULL, argv, environ) == 0) waitpid(pid, NULL, 0);
    free(dir);
}
