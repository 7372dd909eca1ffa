/* cr_run's and cr_restart's outside half: forward signals to the job's
 * init, carry out checkpoints the job asks for, and return the job's own
 * wait status when it ends. */
#include "checkpoint/ckpt_internal.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

/* The init renames itself "ckmig-sig:N" when the job died of signal N. */
static int job_status(pid_t init, int init_status)
{
    char p[64], comm[32] = "";
    snprintf(p, sizeof(p), "/proc/%d/comm", (int)init);
    FILE *f = fopen(p, "re");
    if (f) {
        if (!fgets(comm, sizeof(comm), f))
            comm[0] = '\0';
        fclose(f);
    }
    int sig;
    if (WIFEXITED(init_status) && sscanf(comm, "ckmig-sig:%d", &sig) == 1 && sig > 0 && sig < NSIG)
        return sig;     /* as waitpid reports death by signal sig */
    return init_status;
}

/* Reaps exited children; returns 1 with *status once init has ended.
 * A lazy restore's pages daemon (*lazy) is handed its status and gone. */
static int reap(pid_t init, int *status, struct ckpt_lazy **lazy)
{
    for (;;) {
        siginfo_t si;
        memset(&si, 0, sizeof(si));
        if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0 || si.si_pid == 0)
            return 0;
        int st = 0;
        if (si.si_pid == init) {
            /* Read the init's name while it is still a zombie. */
            st = si.si_code == CLD_EXITED ? (si.si_status & 0xff) << 8
                                          : (si.si_status & 0x7f) | (si.si_code == CLD_DUMPED ? 0x80 : 0);
            int js = job_status(init, st);
            waitpid(init, &st, 0);
            *status = js;
            return 1;
        }
        waitpid(si.si_pid, &st, 0);
        if (*lazy && si.si_pid == ckpt_lazy_pid(*lazy)) {
            ckpt_lazy_reaped(*lazy, st, init);
            *lazy = NULL;
        }
    }
}

int ckpt_supervise(pid_t init, const struct ckpt_supervise_opts *o, struct ckpt_err *e)
{
    sigset_t set;
    int sfd = -1, lfd = -1, status = 0, rc = -1;
    struct ckpt_lazy *lazy = o ? o->lazy : NULL;

    ckpt_forward_set(&set);
    sigprocmask(SIG_BLOCK, &set, NULL);
    sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sfd < 0) {
        ckpt_err_set(e, errno, "signalfd: %s", strerror(errno));
        goto out;
    }
    if (o && o->serve_self) {
        struct ckpt_err ignore;
        lfd = ckpt_self_listen(init, &ignore);  /* without it, only self-checkpoints fail */
    }
    for (;;) {
        if (reap(init, &status, &lazy)) {
            rc = status;
            break;
        }
        struct pollfd p[2] = { { .fd = sfd, .events = POLLIN }, { .fd = lfd, .events = POLLIN } };
        if (poll(p, lfd >= 0 ? 2 : 1, -1) < 0 && errno != EINTR) {
            ckpt_err_set(e, errno, "poll: %s", strerror(errno));
            goto out;
        }
        if (p[0].revents & POLLIN) {
            struct signalfd_siginfo ssi;
            while (read(sfd, &ssi, sizeof(ssi)) == (ssize_t)sizeof(ssi))
                if ((int)ssi.ssi_signo != SIGCHLD)
                    kill(init, (int)ssi.ssi_signo);
        }
        if (lfd >= 0 && (p[1].revents & POLLIN))
            ckpt_self_serve(lfd, init, o->secure);
    }
out:
    ckpt_lazy_end(lazy);
    if (sfd >= 0)
        close(sfd);
    if (lfd >= 0)
        close(lfd);
    return rc;
}
