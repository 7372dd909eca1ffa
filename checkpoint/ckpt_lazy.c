/* Lazy restore (cr_restart --lazy, post-copy): CRIU restores the job
 * without its anonymous memory, registers that memory with userfaultfd,
 * and hands the descriptors to `criu lazy-pages`, a daemon that fills each
 * page from the checkpoint's page images when the job first touches it,
 * and the rest in the background, then exits.  The job runs as soon as
 * the restore is done, not after all its memory has been copied.
 *
 * The daemon reads the pages from the same private directory of verified
 * hard links that the restore reads (ckpt_verify.c), so that directory,
 * the unpacked copy of a context file and the work directory (the
 * daemon's socket and log) must outlive ckpt_restore: they are handed
 * over in a struct ckpt_lazy, and removed once the daemon has ended
 * (ckpt_lazy_reaped, from the supervisor's reaping).  The page contents
 * are verified as for any restore, while CRIU restores: the job is
 * resumed only once every page image has verified, so the daemon never
 * gives the job a byte the manifest does not sign.
 *
 * The job depends on the daemon until the last page is in: a page the
 * daemon never delivered reads as zeros once its userfaultfd is gone.
 * So a daemon that fails, or is killed, takes the job with it
 * (ckpt_lazy_reaped kills the job's namespace), rather than let it run
 * on with holes in its memory.  The pages come from the images on disk,
 * or (--pages-from, ckpt_pages.c) from the dumping node's memory, through
 * a relay process that stands where the daemon stands here. */
#include "checkpoint/ckpt_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LAZY_LOG "lazy.log"
/* How long the daemon may take to listen: a bound for a broken CRIU, far
 * beyond what a loaded machine takes (milliseconds). */
#define LAZY_LISTEN_MS 60000

struct ckpt_lazy {
    pid_t daemon;
    struct ckpt_pinned pin;
    struct ckpt_source src;
    char work[64];
    bool quiet, timing;
    struct timespec start;      /* cr_restart began: the figures count from here */
    double resumed;             /* seconds until the job ran */
};

static double since(const struct timespec *t0)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Waits for the daemon's word that it listens (--status-fd: a byte once
 * its socket accepts connections; its socket file alone is not enough, as
 * CRIU binds before it listens), or its death (EOF). */
static int wait_listening(int fd, struct ckpt_err *e)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    char c;
    int r;

    while ((r = poll(&p, 1, LAZY_LISTEN_MS)) < 0 && errno == EINTR)
        ;
    if (r < 0)
        return ckpt_err_set(e, errno, "poll: %s", strerror(errno));
    if (r == 0)
        return ckpt_err_set(e, ETIMEDOUT, "CRIU's lazy-pages daemon did not listen within %d s",
                            LAZY_LISTEN_MS / 1000);
    while ((r = (int)read(fd, &c, 1)) < 0 && errno == EINTR)
        ;
    if (r != 1)
        return ckpt_err_set(e, EIO, "CRIU's lazy-pages daemon ended before it listened");
    return 0;
}

pid_t ckpt_lazy_daemon_start(const char *criu, const char *ddir, int imgfd, const char *work,
                             bool verbose, const struct ckpt_page_source *ps,
                             struct ckpt_err *e)
{
    int st[2];
    char stfd[16];
    pid_t daemon;

    if (pipe2(st, O_CLOEXEC) < 0) {
        ckpt_err_set(e, errno, "pipe: %s", strerror(errno));
        return -1;
    }
    snprintf(stfd, sizeof(stfd), "%d", st[1]);
    char *argv[] = { (char *)criu, "lazy-pages", "-D", (char *)ddir, "-W", (char *)work,
                     "-o", LAZY_LOG, verbose ? "-v4" : "-v2", "--status-fd", stfd,
                     ps ? "--page-server" : NULL, "--ps-socket", "PSFD", NULL };
    int keep[2] = { imgfd, st[1] };
    int rc = ps ? ckpt_pages_relay_run(criu, argv, imgfd, st[1], ps, &daemon)
                : ckpt_criu_run(criu, argv, keep, 2, NULL, &daemon);
    close(st[1]);
    if (rc < 0) {
        ckpt_err_set(e, errno, "cannot start CRIU (%s): %s", criu, strerror(errno));
        close(st[0]);
        return -1;
    }
    rc = wait_listening(st[0], e);
    close(st[0]);
    if (rc < 0) {
        char errs[700], log[128];
        snprintf(log, sizeof(log), "%s/%s", work, LAZY_LOG);
        ckpt_lazy_daemon_stop(daemon);
        ckpt_criu_log_errors(log, errs, sizeof(errs));
        if (errs[0]) {
            char msg[sizeof(e->msg)];
            snprintf(msg, sizeof(msg), "%s", e->msg);
            ckpt_err_set(e, e->code, "%s: %s", msg, errs);
        }
        return -1;
    }
    return daemon;
}

/* The daemon's error lines, its log kept beside the work directory. */
static void daemon_errors(const char *work, char *errs, size_t len, char *shown, size_t slen)
{
    char log[128], kept[128];
    snprintf(log, sizeof(log), "%s/%s", work, LAZY_LOG);
    snprintf(kept, sizeof(kept), "%s.lazy.log", work);
    ckpt_criu_log_errors(log, errs, len);
    snprintf(shown, slen, "%s", renameat2(AT_FDCWD, log, AT_FDCWD, kept, RENAME_NOREPLACE) == 0
                                ? kept : log);
}

/* Every child of ours that remains: CRIU makes the restored init our child
 * (CLONE_PARENT), and the namespace goes with it. */
static void kill_children(void)
{
    char path[64], buf[4096];
    snprintf(path, sizeof(path), "/proc/self/task/%d/children", (int)getpid());
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
    if (fd >= 0)
        close(fd);
    if (n <= 0)
        return;
    buf[n] = '\0';
    for (char *p = buf, *end; *p; p = end) {
        long pid = strtol(p, &end, 10);
        if (end == p)
            break;
        if (pid > 0)
            kill((pid_t)pid, SIGKILL);
    }
}

int ckpt_lazy_restore_wait(pid_t restore, pid_t *daemon, const char *work, int *ws,
                           struct ckpt_err *e)
{
    int rfd = (int)syscall(SYS_pidfd_open, restore, 0);
    int dfd = (int)syscall(SYS_pidfd_open, *daemon, 0);
    int rc = 0, st = 0;

    if (rfd >= 0 && dfd >= 0) {
        struct pollfd p[2] = { { .fd = rfd, .events = POLLIN }, { .fd = dfd, .events = POLLIN } };
        while (poll(p, 2, -1) < 0 && errno == EINTR)
            ;
        /* The daemon gone while CRIU still restores: CRIU's failure path
         * then waits for ever on tasks it still traces (seen here with
         * 4.2.1: the job's zombie, traced by the waiting CRIU).  Stop it:
         * the tasks go with it, before they ever ran. */
        if (!(p[0].revents & POLLIN) && (p[1].revents & POLLIN)) {
            while (waitpid(*daemon, &st, 0) < 0 && errno == EINTR)
                ;
            /* It may have delivered every page before CRIU's restore has
             * exited (it got "restore finished" and the job is small). */
            *daemon = WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
        }
        if (*daemon < 0) {
            char errs[700], shown[128];
            /* What CRIU had restored must not run, half restored: the
             * namespace's init (our child) goes first, then CRIU itself
             * (also our child), whose death would let its tracees go. */
            kill_children();
            kill(restore, SIGKILL);
            while (waitpid(restore, ws, 0) < 0 && errno == EINTR)
                ;
            restore = -1;
            daemon_errors(work, errs, sizeof(errs), shown, sizeof(shown));
            rc = ckpt_err_set(e, EIO, "CRIU's lazy-pages daemon failed (%s %d) while the job was "
                              "restored%s%s (log: %s)",
                              WIFEXITED(st) ? "exit" : "signal",
                              WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st),
                              errs[0] ? ": " : "", errs, shown);
        }
    }
    if (rfd >= 0)
        close(rfd);
    if (dfd >= 0)
        close(dfd);
    while (restore > 0 && waitpid(restore, ws, 0) < 0 && errno == EINTR)
        ;
    return rc;
}

void ckpt_lazy_daemon_stop(pid_t daemon)
{
    if (daemon <= 0)
        return;
    kill(daemon, SIGKILL);
    while (waitpid(daemon, NULL, 0) < 0 && errno == EINTR)
        ;
}

struct ckpt_lazy *ckpt_lazy_adopt(pid_t daemon, struct ckpt_pinned *pin, struct ckpt_source *src,
                                  const char *work, const struct timespec *start, bool quiet,
                                  struct ckpt_err *e)
{
    struct ckpt_lazy *l = calloc(1, sizeof(*l));
    if (!l) {
        ckpt_err_set(e, ENOMEM, "out of memory");
        return NULL;
    }
    l->daemon = daemon;
    l->pin = *pin;
    l->src = *src;
    snprintf(l->work, sizeof(l->work), "%s", work);
    l->quiet = quiet;
    const char *t = getenv("CKMIG_TIMING");
    l->timing = t && *t && strcmp(t, "0");
    l->start = *start;
    l->resumed = since(start);
    /* the caller no longer owns them */
    pin->imgfd = -1;
    pin->linkdir[0] = '\0';
    src->dfd = -1;
    src->xparent = -1;
    src->file = false;
    return l;
}

pid_t ckpt_lazy_pid(const struct ckpt_lazy *l)
{
    return l ? l->daemon : -1;
}

static void lazy_free(struct ckpt_lazy *l)
{
    ckpt_unpin(&l->pin);
    ckpt_source_close(&l->src);
    ckpt_rmtree(l->work);
    free(l);
}

void ckpt_lazy_reaped(struct ckpt_lazy *l, int status, pid_t init)
{
    bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;

    if (!ok) {
        char errs[700], shown[128];
        daemon_errors(l->work, errs, sizeof(errs), shown, sizeof(shown));
        /* The pages it had not delivered would read as zeros: the job
         * must not run on without them (its namespace goes with init). */
        if (init > 0)
            kill(init, SIGKILL);
        if (!l->quiet)
            fprintf(stderr, "cr_restart: --lazy: CRIU's lazy-pages daemon %s %d before every "
                            "page was in%s%s (log: %s); the job was %s\n",
                    WIFEXITED(status) ? "exited with" : "was killed by signal",
                    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
                    errs[0] ? ": " : "", errs, shown,
                    init > 0 ? "killed" : "gone already (its missing pages read as zeros)");
    } else if (l->timing) {
        fprintf(stderr, "cr_restart: lazy: job resumed %.3f s, last page %.3f s after the start\n",
                l->resumed, since(&l->start));
    }
    lazy_free(l);
}

void ckpt_lazy_end(struct ckpt_lazy *l)
{
    int st = 0, pfd;

    if (!l)
        return;
    /* The job has ended: the daemon sees its descriptors close and ends
     * too.  Its status still says whether the job lacked pages (it may
     * have died of the zeros before the daemon's death was seen), so wait
     * for it a while; then nobody needs the remaining pages. */
    pfd = (int)syscall(SYS_pidfd_open, l->daemon, 0);
    if (pfd >= 0) {
        struct pollfd p = { .fd = pfd, .events = POLLIN };
        while (poll(&p, 1, LAZY_LISTEN_MS / 6) < 0 && errno == EINTR)
            ;
        close(pfd);
    }
    if (waitpid(l->daemon, &st, WNOHANG) == l->daemon) {
        ckpt_lazy_reaped(l, st, -1);
        return;
    }
    ckpt_lazy_daemon_stop(l->daemon);
    lazy_free(l);
}
