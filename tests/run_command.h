/* Runs a program with arguments, its stdout and stderr captured to files,
 * for the tests of the command-line tools. */
#ifndef VNCA_TEST_RUN_COMMAND_H
#define VNCA_TEST_RUN_COMMAND_H

#include <stddef.h>
#include <sys/types.h>

typedef struct CommandResult {
    int status;          /* exit status, or 128 + signal */
    char out[16384];     /* stdout, NUL-terminated, truncated to fit */
    char err[16384];     /* stderr */
} CommandResult;

/* argv is NULL-terminated; scratch_dir holds the capture files. */
void run_command(CommandResult *r, const char *scratch_dir, char *const argv[]);

/* run_command in two halves, for a test that acts while the program runs
 * (e.g. kills it): start_command returns its pid (-1 when it did not start),
 * finish_command waits for it and collects the result. */
pid_t start_command(const char *scratch_dir, char *const argv[]);
void finish_command(CommandResult *r, const char *scratch_dir, pid_t pid);

/* A fresh directory under /tmp, and its removal (recursive). */
char *make_temp_dir(void);
void remove_temp_dir(char *dir);

#endif
