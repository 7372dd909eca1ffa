/* Which of a job's processes stay stopped when ckmig resumes the job.
 * CRIU runs with --leave-stopped on both sides (the dump commits before the
 * job runs again; the restore verifies pages first), so ckmig sends the
 * SIGCONT that CRIU would have: but CRIU does not wake a process that was
 * stopped at the dump (a job's stopped child, a shell job's suspended
 * pipeline; zdtm stopped*), and neither may ckmig. */
#include "checkpoint/ckpt_internal.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct kept {
    pid_t pid;
    int signo;              /* what stopped it; 0: SIGSTOP or not known */
    bool woken;             /* by ckpt_stopped_restop, to stop again */
};
static struct kept *kept;
static size_t nkept;

static void keep(pid_t pid, int signo)
{
    struct kept *nv = realloc(kept, (nkept + 1) * sizeof(*nv));
    if (nv) {
        kept = nv;
        kept[nkept++] = (struct kept){ pid, signo, false };
    }
}

/* state T (stopped by a signal) in /proc/PID/stat; t (traced) CRIU refuses */
static bool stopped_now(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "re");
    size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    return p && p[1] == ' ' && p[2] == 'T';
}

void ckpt_stopped_note_live(pid_t init)
{
    pid_t *pids = NULL;
    size_t n = 0;
    nkept = 0;
    if (ckpt_ns_members(init, &pids, &n) < 0)
        return;
    for (size_t i = 0; i < n; i++)
        if (stopped_now(pids[i]))
            keep(pids[i], 0);
    free(pids);
}

int ckpt_stopped_note_images(pid_t init, int imgfd)
{
    struct ckpt_stop *v = NULL;
    size_t n = 0;
    if (ckpt_criu_stopped(imgfd, &v, &n) < 0)
        return -1;
    nkept = 0;
    for (size_t i = 0; i < n; i++) {
        pid_t host = ckpt_ns_to_host(init, (pid_t)v[i].pid);
        if (host > 0)
            keep(host, v[i].signo);
    }
    free(v);
    return 0;
}

int ckpt_resume_from_images(pid_t init, int imgfd, struct ckpt_err *e)
{
    int rc;

    if (ckpt_stopped_note_images(init, imgfd) < 0)
        return ckpt_err_set(e, errno ? errno : EBADMSG, "cannot read from the checkpoint's "
                            "images which processes were stopped: %s",
                            strerror(errno ? errno : EBADMSG));
    rc = ckpt_after_action(init, CKPT_AFTER_CONT, 0, e);
    nkept = 0;   /* a long-lived caller (the MOM) resumes other jobs later */
    return rc;
}

bool ckpt_stopped_kept(pid_t pid)
{
    for (size_t i = 0; i < nkept; i++)
        if (kept[i].pid == pid)
            return true;
    return false;
}

/* The job-control stops; a SIGSTOP stop is what CRIU left already. */
static bool restoppable(int sig)
{
    return sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

/* A stopped process cannot take a second stop signal (it stays pending;
 * the stop it shows is the first), and SIGCONT discards pending stops: so
 * wake it and queue its own signal at once, and it stops again on its way
 * out of the kernel, before the job's other processes (its parent) are
 * resumed. The kernel drops a job-control stop for a process group with
 * no parent outside it in its session; one found running then gets
 * SIGSTOP, as CRIU alone would have left it. */
void ckpt_stopped_restop(void)
{
    for (size_t i = 0; i < nkept; i++)
        kept[i].woken = restoppable(kept[i].signo) && kill(kept[i].pid, SIGCONT) == 0 &&
                        kill(kept[i].pid, kept[i].signo) == 0;
    struct timespec now, end, tick = { 0, 1000000 };
    clock_gettime(CLOCK_MONOTONIC, &end);
    end.tv_sec += 5;
    for (size_t i = 0; i < nkept; i++) {
        if (!kept[i].woken)
            continue;
        while (!stopped_now(kept[i].pid) && kill(kept[i].pid, 0) == 0) {
            clock_gettime(CLOCK_MONOTONIC, &now);
            if (now.tv_sec > end.tv_sec ||
                (now.tv_sec == end.tv_sec && now.tv_nsec >= end.tv_nsec)) {
                kill(kept[i].pid, SIGSTOP);
                break;
            }
            nanosleep(&tick, NULL);
        }
    }
}
