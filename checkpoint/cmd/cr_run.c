/* cr_run [--omit|--run|--] [--user USER] CMD [ARGS]: start CMD so that it
 * can be checkpointed and restarted on any node (BLCR's cr_run command
 * line; the job gets its own PID namespace instead of a preload library). */
#include "checkpoint/libckpt.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void ckpt_forward_set(sigset_t *set);

static void usage(FILE *f)
{
    fprintf(f,
            "usage: cr_run [--omit|--run|--] [-u|--user USER] COMMAND [ARGS...]\n"
            "Runs COMMAND as the only child of a small init in a new PID namespace, in its\n"
            "own session, so that cr_checkpoint can checkpoint it and cr_restart restore it\n"
            "on any node.  cr_run forwards signals and exits with the job's status.\n"
            "--omit: the job cannot be checkpointed (cr_checkpoint fails with ESRCH);\n"
            "--run (the default) undoes it; the last of the two wins.\n"
            "Needs root: run it as root with --user USER, or install it setuid root.\n");
}

int main(int argc, char **argv)
{
    struct ckpt_err e;
    struct ckpt_cred cred = { 0 };
    const char *user = NULL;
    bool omit = false;
    int i = 1;

    ckpt_err_clear(&e);
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--")) {
            i++;
            break;
        } else if (!strcmp(a, "--omit") || !strcmp(a, "--run")) {
            omit = a[2] == 'o';     /* BLCR: the last of the two wins */
        } else if ((!strcmp(a, "-u") || !strcmp(a, "--user")) && i + 1 < argc) {
            user = argv[++i];
        } else if (!strncmp(a, "--user=", 7)) {
            user = a + 7;
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--version")) {
            printf("cr_run: %s\n", CKPT_VERSION_STRING);
            return 0;
        } else {
            fprintf(stderr, "cr_run: unknown option %s\n", a);
            usage(stderr);
            return 255;
        }
    }
    if (i >= argc) {
        fprintf(stderr, "cr_run: no command given\n");
        usage(stderr);
        return 255;
    }
    bool setuid_mode = getuid() != 0 && geteuid() == 0;
    if (user) {
        if (getuid() != 0) {
            fprintf(stderr, "cr_run: only root may use --user\n");
            return 126;
        }
        if (ckpt_cred_for_user(user, &cred, &e) < 0) {
            fprintf(stderr, "cr_run: %s\n", e.msg);
            return 255;
        }
    } else if (setuid_mode) {
        /* Installed setuid root: the job runs as the caller. */
        cred.set = true;
        cred.uid = getuid();
        cred.gid = getgid();
        cred.ngroups = getgroups((int)(sizeof(cred.groups) / sizeof(cred.groups[0])), cred.groups);
        if (cred.ngroups < 0)
            cred.ngroups = 0;
    }
    sigset_t set;
    ckpt_forward_set(&set);
    sigprocmask(SIG_BLOCK, &set, NULL);     /* nothing is lost before we supervise */
    pid_t init = ckpt_spawn_omit(argv + i, &cred, omit, &e);
    if (init < 0) {
        fprintf(stderr, "cr_run: %s\n", e.msg);
        return 126;
    }
    struct ckpt_supervise_opts so = { .serve_self = geteuid() == 0, .secure = setuid_mode };
    int status = ckpt_supervise(init, &so, &e);
    if (status < 0) {
        fprintf(stderr, "cr_run: %s\n", e.msg);
        return 126;
    }
    ckpt_exit_like(status);
}
