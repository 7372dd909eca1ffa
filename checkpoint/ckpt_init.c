/* The job's namespace init: PID 1 of a fresh PID namespace.  A namespace's
 * PID 1 drops signals it has no handler for, so this init forwards them to
 * every other process of the job, reaps orphans, and ends with the job. */
#include "checkpoint/ckpt_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* Signals a batch system or a user sends to a job; passed on by cr_run,
 * cr_restart and the init. */
const int ckpt_forwarded[] = { SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM, SIGTERM,
                               SIGCONT, SIGTSTP, SIGTTIN, SIGTTOU, SIGWINCH, SIGXCPU, SIGXFSZ, 0 };

void ckpt_forward_set(sigset_t *set)
{
    sigemptyset(set);
    for (int i = 0; ckpt_forwarded[i]; i++)
        sigaddset(set, ckpt_forwarded[i]);
    sigaddset(set, SIGCHLD);
}

int ckpt_cred_for_user(const char *name, struct ckpt_cred *cred, struct ckpt_err *e)
{
    struct passwd *pw = getpwnam(name);
    memset(cred, 0, sizeof(*cred));
    if (!pw) {
        char *end;
        unsigned long uid = strtoul(name, &end, 10);
        if (*name && !*end)
            pw = getpwuid((uid_t)uid);
    }
    if (!pw)
        return ckpt_err_setc(e, EINVAL, CKPT_FAIL_ARGS, "unknown user %s", name);
    cred->set = true;
    cred->uid = pw->pw_uid;
    cred->gid = pw->pw_gid;
    cred->ngroups = (int)(sizeof(cred->groups) / sizeof(cred->groups[0]));
    if (getgrouplist(pw->pw_name, pw->pw_gid, cred->groups, &cred->ngroups) < 0)
        cred->ngroups = (int)(sizeof(cred->groups) / sizeof(cred->groups[0]));
    return 0;
}

static void noop(int sig)
{
    (void)sig;
}

static void close_from(int lowfd)
{
    if (syscall(SYS_close_range, lowfd, ~0U, 0) < 0)
        for (int fd = lowfd; fd < 4096; fd++)
            close(fd);
}

static void drop_privileges(const struct ckpt_cred *cred)
{
    if (!cred || !cred->set)
        return;
    if (setgroups((size_t)cred->ngroups, cred->groups) < 0 || setresgid(cred->gid, cred->gid, cred->gid) < 0 ||
        setresuid(cred->uid, cred->uid, cred->uid) < 0) {
        fprintf(stderr, "cr_run: cannot switch to uid %u: %s\n", (unsigned)cred->uid, strerror(errno));
        _exit(126);
    }
}

/* The init takes the job owner's uid but keeps root's capabilities: CRIU
 * (without CAP_SYS_RESOURCE) may read a task's rlimits only when the task's
 * uids and gids equal CRIU's real ones, and the dump of a namespace needs
 * its init to be able to mount a /proc for it. */
static void become_owner_keep_caps(const struct ckpt_cred *cred)
{
    struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
    struct __user_cap_data_struct d[2];

    if (!cred || !cred->set)
        return;
    prctl(PR_SET_KEEPCAPS, 1);
    if (setgroups(0, NULL) < 0 || setresgid(cred->gid, cred->gid, cred->gid) < 0 ||
        setresuid(cred->uid, cred->uid, cred->uid) < 0) {
        fprintf(stderr, "cr_run: cannot switch to uid %u: %s\n", (unsigned)cred->uid, strerror(errno));
        _exit(126);
    }
    if (syscall(SYS_capget, &h, d) == 0) {
        d[0].effective = d[0].permitted;
        d[1].effective = d[1].permitted;
        syscall(SYS_capset, &h, d);
    }
}

static void __attribute__((noreturn)) exec_job(char *const argv[], const struct ckpt_cred *cred)
{
    sigset_t none;
    setsid();
    drop_privileges(cred);
    for (int s = 1; s < NSIG; s++)
        signal(s, SIG_DFL);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execvp(argv[0], argv);
    int err = errno;
    fprintf(stderr, "cr_run: %s: %s\n", argv[0], strerror(err));
    _exit(err == ENOENT ? 127 : 126);
}

static void __attribute__((noreturn)) init_main(char *const argv[], const struct ckpt_cred *cred,
                                                bool omit)
{
    sigset_t set;
    siginfo_t si;
    pid_t job;
    int status = 0;

    setsid();   /* CRIU refuses a namespace whose session leader is outside */
    prctl(PR_SET_NAME, omit ? CKPT_OMIT_COMM : CKPT_INIT_COMM);
    close_from(3);
    become_owner_keep_caps(cred);
    /* If cr_run (or cr_restart) is killed, the whole job goes: a batch
     * system's SIGKILL to the session reaches only them. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    ckpt_forward_set(&set);
    for (int i = 0; ckpt_forwarded[i]; i++)
        signal(ckpt_forwarded[i], noop);
    sigprocmask(SIG_BLOCK, &set, NULL);

    job = fork();
    if (job < 0) {
        fprintf(stderr, "cr_run: fork: %s\n", strerror(errno));
        _exit(126);
    }
    if (job == 0)
        exec_job(argv, cred);
    /* The job keeps its directory; the init leaves it. At a dump, CRIU's
     * parasite mounts a /proc for the namespace at proc.crtools in the
     * init's cwd, with the init's capabilities: in a directory the owner
     * controls they could swap that name for a link between the mkdir and
     * the mount. "/" is root's, and on every node a restart may use. */
    if (chdir("/") < 0)
        _exit(126);
    for (;;) {
        int sig = sigwaitinfo(&set, &si);
        if (sig < 0)
            continue;
        if (sig == SIGCONT && si.si_code == SI_QUEUE && si.si_value.sival_int == CKPT_RESUME_VALUE)
            continue;   /* ckmig resuming us alone (ckpt_after_action) */
        if (sig != SIGCHLD) {
            kill(-1, sig);  /* everyone in the namespace but us */
            continue;
        }
        pid_t p;
        while ((p = waitpid(-1, &status, WNOHANG)) > 0) {
            if (p != job)
                continue;
            if (WIFSIGNALED(status)) {
                /* PID 1 cannot die of most signals: say which one in our
                 * name, which the parent reads from the zombie. */
                char name[16];
                snprintf(name, sizeof(name), "ckmig-sig:%d", WTERMSIG(status));
                prctl(PR_SET_NAME, name);
                _exit(128 + WTERMSIG(status));
            }
            _exit(WEXITSTATUS(status));
        }
    }
}

pid_t ckpt_spawn(char *const argv[], const struct ckpt_cred *cred, struct ckpt_err *e)
{
    return ckpt_spawn_omit(argv, cred, false, e);
}

pid_t ckpt_spawn_omit(char *const argv[], const struct ckpt_cred *cred, bool omit,
                      struct ckpt_err *e)
{
    fflush(NULL);
    pid_t pid = (pid_t)syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, NULL, NULL, NULL, 0);
    if (pid < 0)
        return ckpt_err_set(e, errno,
                            "cannot create a PID namespace for the job: %s (cr_run needs root: "
                            "run it as root with --user, or install it setuid root)",
                            strerror(errno));
    if (pid == 0)
        init_main(argv, cred, omit);
    return pid;
}

void ckpt_exit_like(int wstatus)
{
    if (WIFSIGNALED(wstatus)) {
        int sig = WTERMSIG(wstatus);
        struct rlimit no_core = { 0, 0 };
        sigset_t set;
        setrlimit(RLIMIT_CORE, &no_core);
        signal(sig, SIG_DFL);
        sigemptyset(&set);
        sigaddset(&set, sig);
        sigprocmask(SIG_UNBLOCK, &set, NULL);
        fflush(NULL);
        raise(sig);
        _exit(128 + sig);
    }
    exit(WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 1);
}
