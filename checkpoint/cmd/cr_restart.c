/* cr_restart [OPTIONS] [CHECKPOINT]: BLCR's command line.  Verifies the
 * checkpoint, restores it with CRIU, stays the parent of the restored job,
 * forwards signals, and exits with the job's status. */
#include "checkpoint/libckpt.h"
#include "lib/fault.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

void ckpt_forward_set(sigset_t *set);
void ckpt_self_notify(pid_t init, pid_t nspid, int kind, int code);

static void usage(FILE *f)
{
    fprintf(f,
            "usage: cr_restart [OPTIONS] [CHECKPOINT]\n"
            "Source: CHECKPOINT, -f, --file CHECKPOINT, -F, --fd DIRFD\n"
            "After:  --run (default)  -S, --signal N  --stop, --freeze  --term  --abort  --kill  --cont\n"
            "Hooks:  --run-on-success CMD  --run-on-fail-args CMD  --run-on-fail-temp CMD\n"
            "        --run-on-fail-env CMD  --run-on-fail-perm CMD  --run-on-failure CMD\n"
            "Files:  --relocate OLD=NEW (up to 16)\n"
            "Lazy:   --lazy (the job runs at once; its memory follows as it touches it)\n"
            "        --pages-from HOST:PORT (a --postcopy checkpoint: its memory comes from\n"
            "        the source's cr_checkpoint --postcopy; implies --lazy)\n"
            "Whose:  --job JOBID  --owner USER  --name NAME (refuse a checkpoint of another job,\n"
            "        user, or written under another name)\n"
            "Other:  --[no-]restore-pid, --[no-]restore-pgid, --[no-]restore-sid (the job's own\n"
            "        PID namespace keeps its PIDs free everywhere), --omit-*, --kmsg-*,\n"
            "        -q, --quiet  --verbose  -v, --version  -h, --help\n"
            "Exit status: the job's, or the errno of the failure (255: bad usage).\n");
}

/* Runs a hook with sh -c, outside our blocked signal mask. */
static int run_hook(const char *cmd)
{
    int st = 0;
    pid_t pid = fork();
    if (pid == 0) {
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        /* setuid: the caller's command runs as the caller, whatever the
         * shell would do about it */
        if ((getegid() != getgid() && setresgid(getgid(), getgid(), getgid()) < 0) ||
            (geteuid() != getuid() && setresuid(getuid(), getuid(), getuid()) < 0))
            _exit(126);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    if (pid < 0)
        return 1;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

/* As BLCR's die(): the hook of the failure's class runs first; a hook
 * that fails ends cr_restart silently with its status. */
static int fail(const struct ckpt_restart_args *a, const struct ckpt_err *e, int code)
{
    const char *hook = a->hook_fail[e->cls];
    if (hook) {
        int hc = run_hook(hook);
        if (hc)
            return hc;
    }
    if (!a->quiet)
        fprintf(stderr, "cr_restart: Restart failed: %s\n", e->msg);
    return code;
}

/* ckmig's own options, taken out before BLCR's parser sees the rest:
 * the checkpoint must be of this job, this owner, and have this name. */
struct identity {
    const char *job, *owner, *name;
};

static int take_identity(int *argc, char **argv, struct identity *id)
{
    int out = 1;
    for (int i = 1; i < *argc; i++) {
        const char **slot = NULL;
        const char *val = NULL;
        static const char *const names[] = { "--job", "--owner", "--name" };
        for (int k = 0; k < 3 && !slot; k++) {
            size_t l = strlen(names[k]);
            if (!strcmp(argv[i], names[k])) {
                if (i + 1 >= *argc) {
                    fprintf(stderr, "cr_restart: %s needs a value\nTry 'cr_restart --help'.\n",
                            names[k]);
                    return -1;
                }
                val = argv[++i];
            } else if (!strncmp(argv[i], names[k], l) && argv[i][l] == '=') {
                val = argv[i] + l + 1;
            } else {
                continue;
            }
            slot = k == 0 ? &id->job : k == 1 ? &id->owner : &id->name;
        }
        if (slot) {
            if (!*val) {
                fprintf(stderr, "cr_restart: empty value for %s\n", argv[i]);
                return -1;
            }
            *slot = val;
            continue;
        }
        if (!strcmp(argv[i], "--")) {
            while (i < *argc)
                argv[out++] = argv[i++];
            break;
        }
        argv[out++] = argv[i];
    }
    argv[out] = NULL;
    *argc = out;
    return 0;
}

int main(int argc, char **argv)
{
    struct ckpt_restart_args a;
    struct ckpt_manifest m;
    struct ckpt_err e;
    struct identity id = { NULL, NULL, NULL };
    char path[4096];
    struct ckpt_lazy *lazy = NULL;

    ckpt_err_clear(&e);
    if (take_identity(&argc, argv, &id) < 0)
        return 255;
    if (ckpt_parse_restart_args(argc, argv, &a, &e) < 0) {
        /* The args hook sees bad options too (BLCR's --run-on-fail-args);
         * find it without trusting the rest of the command line. */
        for (int i = 1; i + 1 < argc; i++)
            if (!strcmp(argv[i], "--run-on-fail-args") || !strcmp(argv[i], "--run-on-failure")) {
                int hc = run_hook(argv[i + 1]);
                if (hc)
                    return hc;
                break;
            }
        fprintf(stderr, "cr_restart: %s\nTry 'cr_restart --help'.\n", e.msg);
        return 255;
    }
    if (a.help) {
        usage(stdout);
        return 0;
    }
    if (a.version) {
        printf("cr_restart: %s\n", CKPT_VERSION_STRING);
        return 0;
    }
    if (a.fd >= 0) {
        char link[64];
        snprintf(link, sizeof(link), "/proc/self/fd/%d", a.fd);
        ssize_t n = readlink(link, path, sizeof(path) - 1);
        if (n <= 0) {
            ckpt_err_setc(&e, EBADF, CKPT_FAIL_ARGS, "-F %d: not an open checkpoint directory", a.fd);
            return fail(&a, &e, EBADF);
        }
        path[n] = '\0';
    } else {
        snprintf(path, sizeof(path), "%s", a.file);
    }
    sigset_t set;
    ckpt_forward_set(&set);
    sigprocmask(SIG_BLOCK, &set, NULL);
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    bool secure = getuid() != geteuid();
    struct ckpt_restore_opts ro = { .path = path, .reloc = a.reloc, .nreloc = a.nreloc,
                                    .secure = secure, .verbose = a.verbose,
                                    .jobid = id.job, .owner = id.owner, .name = id.name,
                                    .lazy = a.lazy, .lazy_out = &lazy,
                                    .pages_from = a.pages_from };
    pid_t init = ckpt_restore(&ro, &m, &e);
    if (init < 0)
        return fail(&a, &e, e.code > 0 && e.code < 255 ? e.code : 1);
    if (lazy)
        fault_point(FAULT_RESTART_LAZY_RUNNING);
    if (m.requester)
        ckpt_self_notify(init, m.requester, 2, 0);
    ckpt_manifest_free(&m);
    if (a.after != CKPT_AFTER_RUN && ckpt_after_action(init, a.after, a.signo, &e) < 0 && !a.quiet)
        fprintf(stderr, "cr_restart: %s\n", e.msg);
    if (a.hook_success) {
        int hc = run_hook(a.hook_success);
        if (hc)
            return hc;
    }
    struct ckpt_supervise_opts so = { .serve_self = true, .secure = secure, .quiet = a.quiet,
                                      .lazy = lazy };
    int status = ckpt_supervise(init, &so, &e);
    ckpt_restart_args_free(&a);
    if (status < 0) {
        fprintf(stderr, "cr_restart: %s\n", e.msg);
        return 1;
    }
    ckpt_exit_like(status);
}
