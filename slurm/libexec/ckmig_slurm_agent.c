/* ckmig_slurm_agent: the root side of a `sbatch --checkpoint` job, started
 * by the SPANK plugin (slurm/spank_ckmig.c) in the batch step, as a child
 * of the job's task.  It is given, over fd 3, what Slurm would have run
 * (with the user's own descriptors), and:
 *   - runs it under `cr_run --user`, or, when the job was requeued and has
 *     a checkpoint, restores the newest one with `cr_restart`;
 *   - on the task's word (Slurm delivered SIGUSR1/SIGUSR2 to the batch
 *     script: scheckpoint, smigrate, --signal=B:USR2@T, preemption with
 *     send_user_signal) runs `cr_checkpoint`, and for USR2 ends the job
 *     with it (--kill: Slurm's SIGCONT before SIGTERM then finds nothing
 *     to wake) and requeues it before the task may end;
 *   - a failed restart requeues the job held, the reason in AdminComment:
 *     it never runs again from scratch;
 *   - with a time budget (sbatch --time-total), checkpoints the job a
 *     margin before its time limit and requeues it, held once the budget
 *     is used (slurm/lib/ckslurm_time.c has the plan);
 *   - reports in the job's AdminComment ("ckmig: ..."), which only root or
 *     SlurmUser can set, so commands can trust it.
 *
 *   ckmig_slurm_agent --job ID --uid U --gid G --nodes N --restarts R
 *                     --dir DIR --bin BINDIR --node NODE [--log FILE]
 *                     [--time-total SECONDS|-1 --margin SECONDS]
 *   ckmig_slurm_agent --steer [--once] --job ID --restarts R --node NODE [--log FILE]
 *       (detached, after a requeue: once the job is PENDING again, its
 *        target from the owner's "ckmig-migrate=" Comment, and
 *        StartTime=now instead of Slurm's requeue delay)
 *
 * Never writes to the job's output files once the job has started (a
 * restore checks their sizes): it logs to syslog (ckmig-slurm), or to
 * --log FILE (the plugin's log=: a node may have no syslog daemon). */
#include "slurm/ckslurm_job.h"
#include "slurm/ckslurm_proto.h"
#include "slurm/ckslurm_time.h"
#include "checkpoint/libckpt.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define KEEP_CHECKPOINTS 2

struct agent {
    uint32_t job, nodes, restarts;
    uid_t uid;
    gid_t gid;
    char user[64];
    const char *dir, *bin, *node;
    int sock, sigfd, jobdir;
    pid_t child;
    long newest;      /* number of the newest checkpoint, 0: none */
    struct ckslurm_request req;
    /* sbatch --time-total: 0 none, else seconds or CKSLURM_TIME_UNLIMITED */
    long long total, margin, used;   /* used: by the runs before this one */
    int runs;                        /* runs before this one */
    int released;                    /* the owner released it after a budget hold */
    time_t run_start, deadline;      /* deadline: the checkpoint before the limit, 0: none */
    int last_run;                    /* the budget ends with this run */
    int restart_err;                 /* cr_restart's stderr after the restore, or -1 */
};

static int log_fd = -1;
static const char *log_path;

static void logmsg(int prio, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (log_fd < 0) {
        vsyslog(prio, fmt, ap);
    } else {
        /* one write per line: several agents append to one file */
        char line[1200], stamp[32];
        struct timespec ts;
        struct tm tm;
        clock_gettime(CLOCK_REALTIME, &ts);
        strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", localtime_r(&ts.tv_sec, &tm));
        int n = snprintf(line, sizeof(line), "[%s.%03ld] ckmig-slurm[%d]: ", stamp,
                         ts.tv_nsec / 1000000, (int)getpid());
        vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
        size_t len = strlen(line);
        line[len++] = '\n';
        (void)!write(log_fd, line, len);
    }
    va_end(ap);
}

/* Root's log file, appended to; never a link. */
static void open_log(const char *path)
{
    log_path = path;
    if (path && *path)
        log_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
}

/* Before the job starts its output files are ours to tell the user why. */
static int refuse(const char *fmt, ...)
{
    char m[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m, sizeof(m), fmt, ap);
    va_end(ap);
    dprintf(2, "ckmig: %s\n", m);
    logmsg(LOG_ERR, "%s", m);
    return 1;
}

/* AdminComment: retried while slurmctld is away (bounded). */
static void report(const struct agent *a, const char *fmt, ...)
{
    char m[480];
    va_list ap;
    va_start(ap, fmt);
    int n = snprintf(m, sizeof(m), CKSLURM_ADMIN_PREFIX " ");
    vsnprintf(m + n, sizeof(m) - (size_t)n, fmt, ap);
    va_end(ap);
    logmsg(LOG_INFO, "job %u: %s", a->job, m);
    for (int i = 0; i < 120; i++) {
        int rc = ckslurm_job_admin_comment(a->job, m);
        if (!rc)
            return;
        logmsg(LOG_WARNING, "job %u: AdminComment: %s", a->job, ckslurm_strerror(rc));
        sleep(1);
    }
}

/* The per-job directory inside the site's checkpoint directory: the site's
 * must be root's and not writable by others (the user opened it: a path
 * of theirs is never followed by root), the job's is made root's, 0700. */
static int open_jobdir(struct agent *a)
{
    struct stat st;
    char name[32];
    if (a->req.ckdir < 0)
        return refuse("cannot open the checkpoint directory %s: %s", a->dir,
                      strerror(a->req.ckdir_errno));
    if (fstat(a->req.ckdir, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != 0 ||
        (st.st_mode & (S_IWGRP | S_IWOTH)))
        return refuse("checkpoint directory %s must be root's and not writable by others", a->dir);
    snprintf(name, sizeof(name), "%u", a->job);
    if (mkdirat(a->req.ckdir, name, 0700) < 0 && errno != EEXIST)
        return refuse("cannot make %s/%s: %s", a->dir, name, strerror(errno));
    a->jobdir = openat(a->req.ckdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (a->jobdir < 0 || fstat(a->jobdir, &st) < 0 || st.st_uid != 0 || (st.st_mode & 077))
        return refuse("%s/%s is not a root-only directory: refused", a->dir, name);
    return 0;
}

/* Newest "ckpt.N"; with remove_all (a job's first start: whatever is there
 * is not this job's), removes them instead. */
static long scan_checkpoints(struct agent *a, int remove_all, long keep_from)
{
    long newest = 0;
    int fd = dup(a->jobdir);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d)
        return 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        char *end;
        if (strncmp(e->d_name, "ckpt.", 5))
            continue;
        long n = strtol(e->d_name + 5, &end, 10);
        if (*end || n <= 0)
            continue;
        if (remove_all || (keep_from && n < keep_from)) {
            pid_t p = fork();
            if (p == 0) {
                if (fchdir(a->jobdir) < 0)
                    _exit(1);
                execl("/bin/rm", "rm", "-rf", "--", e->d_name, (char *)NULL);
                _exit(127);
            }
            if (p > 0)
                waitpid(p, NULL, 0);
            continue;
        }
        if (n > newest)
            newest = n;
    }
    closedir(d);
    return newest;
}

/* fork+exec; stdout /dev/null, stderr to errfd (or ours), cwd = dirfd. */
static pid_t spawn(char *const argv[], char *const env[], int dirfd, int errfd, int keepfd)
{
    pid_t p = fork();
    if (p != 0)
        return p;
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (dirfd >= 0 && fchdir(dirfd) < 0)
        _exit(126);
    int null = open("/dev/null", O_RDWR);
    if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0)
        _exit(126);
    if (errfd >= 0 && dup2(errfd, 2) < 0)
        _exit(126);
    if (keepfd >= 0)
        fcntl(keepfd, F_SETFD, 0);
    execve(argv[0], argv, env);
    _exit(127);
}

static char *const clean_env[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };

static int run_job(struct agent *a)
{
    /* cr_run is root's and must not see the user's environment (no
     * LD_PRELOAD into a root process): the job gets it through env -i. */
    size_t na = 0, ne = 0, nv = 0;
    while (a->req.argv[na])
        na++;
    while (a->req.env[ne])
        ne++;
    char **argv = calloc(na + ne + 8, sizeof(char *));
    char exe[4096];
    snprintf(exe, sizeof(exe), "%s/cr_run", a->bin);
    argv[nv++] = exe;
    argv[nv++] = "--user";
    argv[nv++] = a->user;
    argv[nv++] = "/usr/bin/env";
    argv[nv++] = "-i";
    for (size_t i = 0; i < ne; i++)
        if (strchr(a->req.env[i], '=') && a->req.env[i][0] != '=')
            argv[nv++] = a->req.env[i];
    for (size_t i = 0; i < na; i++)
        argv[nv++] = a->req.argv[i];
    argv[nv] = NULL;
    pid_t p = fork();
    if (p == 0) {
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        if (fchdir(a->req.cwd) < 0)
            _exit(126);
        execve(exe, argv, clean_env);
        _exit(127);
    }
    free(argv);
    if (p < 0)
        return refuse("fork: %s", strerror(errno));
    a->child = p;
    report(a, "running on %s", a->node);
    return 0;
}

/* Reads what a child wrote on fd until EOF into buf (last bytes kept). */
static void slurp(int fd, char *buf, size_t n)
{
    size_t len = 0;
    char tmp[512];
    ssize_t r;
    buf[0] = '\0';
    while ((r = read(fd, tmp, sizeof(tmp))) != 0) {
        if (r < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        for (ssize_t i = 0; i < r; i++) {
            if (len + 1 >= n) {
                memmove(buf, buf + n / 2, len - n / 2);
                len -= n / 2;
            }
            buf[len++] = tmp[i] == '\n' ? ' ' : tmp[i];
        }
    }
    while (len && buf[len - 1] == ' ')
        len--;
    buf[len] = '\0';
}

/* The sizes of the job's stdout and stderr (Slurm's files, open on our 1
 * and 2) at checkpoint N, in ckpt.N.io.  At a restart they are cut back
 * to them: what was written after the image is either Slurm's requeue
 * notice (slurmstepd writes one to the job's stderr) or output the job
 * writes again from the checkpoint.  cr_restart cannot check them (CRIU
 * records no size for a file open O_WRONLY|O_APPEND).  The sizes are the
 * manifest's, read while CRIU held the job stopped: a checkpoint that
 * lets the job run on (scheckpoint) returns after it wrote more. */
static void record_io(struct agent *a, long n)
{
    struct stat st[2];
    long long size[2] = { -1, -1 };
    char name[48];
    for (int i = 0; i < 2; i++)
        if (fstat(1 + i, &st[i]) == 0 && S_ISREG(st[i].st_mode))
            size[i] = st[i].st_size;
    struct ckpt_manifest m;
    struct ckpt_err e;
    snprintf(name, sizeof(name), "/proc/self/fd/%d/ckpt.%ld", a->jobdir, n);
    if (ckpt_manifest_read(name, &m, &e) == 0) {
        for (size_t k = 0; k < m.nfiles; k++)
            for (int i = 0; i < 2; i++)
                if (size[i] >= 0 && m.files[k].has_id && !m.files[k].dir &&
                    m.files[k].dev == (unsigned long long)st[i].st_dev &&
                    m.files[k].ino == (unsigned long long)st[i].st_ino)
                    size[i] = m.files[k].size;
        ckpt_manifest_free(&m);
    } else {
        logmsg(LOG_WARNING, "job %u: %s: the output's sizes are the ones after it", a->job, e.msg);
    }
    snprintf(name, sizeof(name), "ckpt.%ld.io", n);
    int fd = openat(a->jobdir, name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return;
    dprintf(fd, "%lld %lld\n", size[0], size[1]);
    close(fd);
}

static void restore_io(struct agent *a, long n)
{
    char name[48], buf[64] = "";
    long long size[2] = { -1, -1 };
    snprintf(name, sizeof(name), "ckpt.%ld.io", n);
    int fd = openat(a->jobdir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return;
    ssize_t r = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (r <= 0 || sscanf(buf, "%lld %lld", &size[0], &size[1]) != 2)
        return;
    for (int i = 0; i < 2; i++) {
        struct stat st;
        if (size[i] >= 0 && fstat(1 + i, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > size[i] &&
            ftruncate(1 + i, size[i]) < 0)
            logmsg(LOG_WARNING, "job %u: cannot cut fd %d back to %lld bytes: %s", a->job, 1 + i,
                   size[i], strerror(errno));
    }
}

static void requeue(struct agent *a, int hold);

/* A variable of the job's environment (as the task had it), or NULL. */
static const char *job_env(const struct agent *a, const char *name)
{
    size_t l = strlen(name);
    for (char **e = a->req.env; *e; e++)
        if (!strncmp(*e, name, l) && (*e)[l] == '=')
            return *e + l + 1;
    return NULL;
}

/* One line from fd without reading past it (newline dropped); -1 at EOF
 * with nothing read. */
static int read_line(int fd, char *buf, size_t n)
{
    size_t len = 0;
    char c;
    ssize_t r;
    while ((r = read(fd, &c, 1)) == 1 || (r < 0 && errno == EINTR)) {
        if (r < 0)
            continue;
        if (c == '\n')
            break;
        if (len + 1 < n)
            buf[len++] = c;
    }
    buf[len] = '\0';
    return r == 0 && len == 0 ? -1 : 0;
}

static int restart_job(struct agent *a)
{
    char name[32], fdarg[16], exe[4096];
    snprintf(name, sizeof(name), "ckpt.%ld", a->newest);
    int ck = openat(a->jobdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int pfd[2];
    if (ck < 0 || pipe2(pfd, O_CLOEXEC) < 0) {
        report(a, "restart from %s failed on %s: %s; held", name, a->node, strerror(errno));
        requeue(a, 1);
        return 1;
    }
    restore_io(a, a->newest);
    snprintf(fdarg, sizeof(fdarg), "%d", ck);
    snprintf(exe, sizeof(exe), "%s/cr_restart", a->bin);
    /* cr_restart's hooks say how the restore went; its stderr (the reason)
     * comes to us, never into the job's own files. */
    char *const argv[] = { exe, "--run-on-success", "echo CKMIG-RESTORED >&2",
                           "--run-on-failure", "echo CKMIG-FAILED >&2", "-F", fdarg, NULL };
    pid_t p = spawn(argv, clean_env, a->jobdir, pfd[1], ck);
    close(pfd[1]);
    close(ck);
    if (p < 0) {
        close(pfd[0]);
        report(a, "restart from %s failed on %s: fork: %s; held", name, a->node, strerror(errno));
        requeue(a, 1);
        return 1;
    }
    a->child = p;
    /* Read until the verdict; what cr_restart says after it goes to syslog. */
    char text[400] = "", line[512];
    size_t len = 0;
    int ok = 0;
    /* byte by byte: what cr_restart says after the verdict stays in the
     * pipe for supervise() to log */
    while (read_line(pfd[0], line, sizeof(line)) >= 0) {
        if (!strcmp(line, "CKMIG-RESTORED")) {
            ok = 1;
            break;
        }
        /* the failure hook runs before cr_restart says why: read on to
         * its end, keeping what it says after the marker */
        if (!strcmp(line, "CKMIG-FAILED")) {
            len = 0;
            text[0] = '\0';
            continue;
        }
        len += (size_t)snprintf(text + len, len < sizeof(text) ? sizeof(text) - len : 0, "%s%s",
                                len ? " " : "", line);
        if (len >= sizeof(text))
            len = sizeof(text) - 1;
    }
    if (!ok) {
        close(pfd[0]);
        int st;
        waitpid(p, &st, 0);
        a->child = -1;
        report(a, "restart from %s failed on %s: %s; held", name, a->node,
               text[0] ? text : "cr_restart ended without a word");
        requeue(a, 1);
        return 1;
    }
    /* cr_restart speaks on after the restore (why the job ends, if it
     * fails): supervise() logs it */
    a->restart_err = pfd[0];
    report(a, "restarted from %s on %s", name, a->node);
    return 0;
}

/* cr_checkpoint into ckpt.N+1; kill: end the job with it. 0 or -1. */
static int checkpoint(struct agent *a, int kill_job, char *why, size_t whylen)
{
    char exe[4096], file[32];
    long n = a->newest + 1;
    snprintf(exe, sizeof(exe), "%s/cr_checkpoint", a->bin);
    snprintf(file, sizeof(file), "ckpt.%ld", n);
    char pidarg[16];
    snprintf(pidarg, sizeof(pidarg), "%d", (int)a->child);
    char *argv[12];
    int k = 0;
    argv[k++] = exe;
    argv[k++] = "--context=dir";    /* the faster form; only root handles it */
    argv[k++] = "--owner";
    argv[k++] = a->user;
    argv[k++] = "--tree";
    argv[k++] = pidarg;
    argv[k++] = "--file";
    argv[k++] = file;
    if (kill_job)
        argv[k++] = "--kill";
    argv[k] = NULL;
    int pfd[2];
    if (pipe2(pfd, O_CLOEXEC) < 0) {
        snprintf(why, whylen, "pipe: %s", strerror(errno));
        return -1;
    }
    pid_t p = spawn(argv, clean_env, a->jobdir, pfd[1], -1);
    close(pfd[1]);
    if (p < 0) {
        close(pfd[0]);
        snprintf(why, whylen, "fork: %s", strerror(errno));
        return -1;
    }
    slurp(pfd[0], why, whylen);
    close(pfd[0]);
    int st;
    while (waitpid(p, &st, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        if (!why[0])
            snprintf(why, whylen, "cr_checkpoint exited %d", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
        return -1;
    }
    a->newest = n;
    record_io(a, n);
    scan_checkpoints(a, 0, n - KEEP_CHECKPOINTS + 1);
    return 0;
}

/* "incarnation": the owner's uid and the SubmitTime slurmctld gave the job
 * when its first run (restart count 0) started.  Job ids are reused, so a
 * first start normally finds another incarnation's checkpoints there and
 * removes them.  But slurmctld restarted from a state saved before a run
 * began (killed within seconds of a change: its state is written up to
 * 5 s later) starts the same job again with restart count 0, and with the
 * same SubmitTime: Slurm renews it only when it requeues a job.  That job
 * is restored from its newest checkpoint, never run from scratch. */
#define INCARNATION "incarnation"

static void incarnation_text(const struct agent *a, long long submit, char *buf, size_t n)
{
    snprintf(buf, n, "%u %lld\n", (unsigned)a->uid, submit);
}

static int same_incarnation(const struct agent *a, long long submit)
{
    char want[64], buf[64] = "";
    int fd = openat(a->jobdir, INCARNATION, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t r = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    incarnation_text(a, submit, want, sizeof(want));
    return r > 0 && !strcmp(buf, want);
}

static void write_incarnation(const struct agent *a, long long submit)
{
    char text[64];
    incarnation_text(a, submit, text, sizeof(text));
    int fd = openat(a->jobdir, INCARNATION, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
                    0600);
    if (fd >= 0) {
        (void)!write(fd, text, strlen(text));
        close(fd);
    }
}

/* "time": seconds the job's earlier runs used and how many there were
 * (sbatch --time-total), root's, beside the checkpoints. */
#define TIME_USED "time"

static void read_time_used(struct agent *a)
{
    char buf[64] = "";
    int fd = openat(a->jobdir, TIME_USED, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return;
    ssize_t r = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (r <= 0 || sscanf(buf, "%lld %d %d", &a->used, &a->runs, &a->released) != 3 ||
        a->used < 0 || a->runs < 0)
        a->used = 0, a->runs = 0, a->released = 0;
}

/* This run ends (a checkpoint that ends the job): its time counts.  held:
 * it is held for its budget, and the run after the owner's release is
 * one more of its full time limit. */
static void run_ended(struct agent *a, int held)
{
    a->used += (long long)(time(NULL) - a->run_start);
    a->runs++;
    a->released = held;
    int fd = openat(a->jobdir, ".time.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
                    0600);
    if (fd < 0)
        return;
    dprintf(fd, "%lld %d %d\n", a->used, a->runs, a->released);
    close(fd);
    renameat(a->jobdir, ".time.tmp", a->jobdir, TIME_USED);
}

/* Requeue until slurmctld takes it: the task must not end first, or the
 * job would complete instead (slurmctld may be restarting).  "Job is
 * pending execution": slurmctld restarted from a state saved before this
 * run began; it will start the job again with restart count 0, and the
 * incarnation file makes that start restore the newest checkpoint. */
static void requeue(struct agent *a, int hold)
{
    for (int i = 0;; i++) {
        int rc = ckslurm_job_requeue(a->job, hold);
        if (!rc)
            return;
        if (!ckslurm_transient(rc)) {
            logmsg(LOG_ERR, "job %u: requeue: %s%s", a->job, ckslurm_strerror(rc),
                   ckslurm_job_pending_error(rc)
                       ? " (slurmctld lost this run; its next start restores the newest checkpoint)"
                       : "");
            return;
        }
        if (i % 30 == 0)
            logmsg(LOG_WARNING, "job %u: requeue: %s (retrying)", a->job, ckslurm_strerror(rc));
        sleep(1);
    }
}

/* A process outside the job that outlives it: it steers the requeued job. */
static void start_steering(struct agent *a, const char *self, int once)
{
    pid_t p = fork();
    if (p == 0) {
        setsid();
        if (fork() != 0)
            _exit(0);
        /* out of the step's cgroup too, where proctrack/cgroup would kill it */
        int cg = open("/sys/fs/cgroup/cgroup.procs", O_WRONLY | O_CLOEXEC);
        if (cg >= 0) {
            dprintf(cg, "%d\n", (int)getpid());
            close(cg);
        }
        char job[16], rs[16];
        snprintf(job, sizeof(job), "%u", a->job);
        snprintf(rs, sizeof(rs), "%u", a->restarts);
        char *argv[12];
        int k = 0;
        argv[k++] = (char *)self;
        argv[k++] = "--steer";
        if (once)
            argv[k++] = "--once";
        argv[k++] = "--job";
        argv[k++] = job;
        argv[k++] = "--restarts";
        argv[k++] = rs;
        argv[k++] = "--node";
        argv[k++] = (char *)a->node;
        if (log_path) {
            argv[k++] = "--log";
            argv[k++] = (char *)log_path;
        }
        argv[k] = NULL;
        char *conf = getenv("SLURM_CONF");
        char envconf[4200];
        snprintf(envconf, sizeof(envconf), "SLURM_CONF=%s", conf ? conf : "");
        char *const env[] = { clean_env[0], envconf, NULL };
        int null = open("/dev/null", O_RDWR);
        for (int fd = 0; fd < 3 && null >= 0; fd++)
            dup2(null, fd);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        execve(self, argv, conf ? env : clean_env);
        _exit(127);
    }
    if (p > 0)
        waitpid(p, NULL, 0);
}

static void end_like(int st)
{
    if (WIFSIGNALED(st)) {
        int sig = WTERMSIG(st);
        signal(sig, SIG_DFL);
        sigset_t one;
        sigemptyset(&one);
        sigaddset(&one, sig);
        sigprocmask(SIG_UNBLOCK, &one, NULL);
        raise(sig);
        exit(128 + sig);
    }
    exit(WIFEXITED(st) ? WEXITSTATUS(st) : 1);
}

/* The job ended by itself while a checkpoint was tried (the dump then
 * fails: no such tree): not a failure to report.  Looked at, not reaped:
 * supervise() reaps it. */
static int job_ended(const struct agent *a)
{
    siginfo_t si = { .si_pid = 0 };
    return waitid(P_PID, (id_t)a->child, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid;
}

static void on_request(struct agent *a, unsigned char kind, unsigned char sig, const char *self)
{
    char why[400];
    if (kind == CKSLURM_MSG_SIGNAL) {
        if (a->child > 0 && sig > 0 && sig < 65)
            kill(a->child, sig);
        return;
    }
    if (a->child <= 0)
        return;
    if (kind == CKSLURM_MSG_CHECKPOINT) {
        if (checkpoint(a, 0, why, sizeof(why)) == 0)
            report(a, "checkpointed ckpt.%ld on %s", a->newest, a->node);
        else if (!job_ended(a))
            report(a, "checkpoint ckpt.%ld failed on %s: %s", a->newest + 1, a->node, why);
        return;
    }
    if (kind != CKSLURM_MSG_REQUEUE)
        return;
    struct ckslurm_job j;
    int rc = ckslurm_job_get(a->job, &j);
    if (!rc && !j.requeue) {
        report(a, "cannot move: the job does not allow requeue (--no-requeue)");
        return;
    }
    if (checkpoint(a, 1, why, sizeof(why)) < 0) {
        if (job_ended(a))
            logmsg(LOG_INFO, "job %u: ended during its checkpoint", a->job);
        else
            report(a, "checkpoint ckpt.%ld failed on %s: %s; the job goes on", a->newest + 1,
                   a->node, why);
        return;
    }
    run_ended(a, 0);
    a->deadline = 0;
    report(a, "checkpointed ckpt.%ld on %s, requeued", a->newest, a->node);
    start_steering(a, self, 0);
    requeue(a, 0);
}

/* sbatch --time-total: when this run is checkpointed before its limit. */
static void plan_run(struct agent *a, const struct ckslurm_job *j)
{
    a->run_start = j && j->start_time > 0 ? (time_t)j->start_time : time(NULL);
    read_time_used(a);   /* kept true for every job, budget or not */
    if (!a->total)
        return;
    long long limit = !j || !j->time_limit ? 0
                      : j->end_time > a->run_start ? j->end_time - a->run_start : j->time_limit;
    if (limit <= 0) {
        logmsg(LOG_INFO, "job %u: no time limit known: no checkpoint before it", a->job);
        return;
    }
    struct ckslurm_run_plan p =
        a->released ? ckslurm_time_plan(limit, a->total, a->total, a->margin)
                    : ckslurm_time_plan(limit, a->total, a->used, a->margin);
    a->deadline = a->run_start + (time_t)p.at;
    a->last_run = p.last;
    logmsg(LOG_INFO, "job %u: run %d, limit %lld s, %lld s used before: checkpoint after %lld s%s",
           a->job, a->runs + 1, limit, a->used, p.at,
           a->released ? ", then held (released once more)" : p.last ? ", then held (budget)" : "");
}

static const char *budget_text(long long total, char *buf, size_t n)
{
    if (total == CKSLURM_TIME_UNLIMITED)
        snprintf(buf, n, "UNLIMITED");
    else
        snprintf(buf, n, "%lld:%02lld:%02lld", total / 3600, total / 60 % 60, total % 60);
    return buf;
}

/* The run's time limit is near: checkpoint, end and requeue it; held
 * when its budget is used. */
static void before_limit(struct agent *a, const char *self)
{
    char why[400], total[32];
    if (checkpoint(a, 1, why, sizeof(why)) < 0) {
        if (job_ended(a))
            logmsg(LOG_INFO, "job %u: ended during its checkpoint before the limit", a->job);
        else
            report(a, "checkpoint ckpt.%ld before the time limit failed on %s: %s; the job runs "
                   "on to its limit", a->newest + 1, a->node, why);
        return;
    }
    run_ended(a, a->last_run);
    budget_text(a->total, total, sizeof(total));
    if (a->last_run) {
        report(a, "time budget %s reached (run %d, %lld s used): checkpointed ckpt.%ld on %s and "
               "held; scontrol release %u runs it once more for its time limit", total, a->runs,
               a->used, a->newest, a->node, a->job);
        start_steering(a, self, 1);
        requeue(a, 1);
        return;
    }
    report(a, "checkpointed ckpt.%ld on %s before the time limit, requeued (run %d, %lld s of %s "
           "used)", a->newest, a->node, a->runs, a->used, total);
    start_steering(a, self, 0);
    requeue(a, 0);
}

/* What cr_restart says after the restore, into the log: > 0 while it
 * may say more, 0 at its end. */
static int log_restart_err(struct agent *a)
{
    char text[512];
    ssize_t r = read(a->restart_err, text, sizeof(text) - 1);
    if (r < 0 && (errno == EINTR || errno == EAGAIN))
        return errno == EINTR;
    if (r <= 0)
        return 0;
    while (r > 0 && text[r - 1] == '\n')
        r--;
    text[r] = '\0';
    for (char *c = text; *c; c++)
        if (*c == '\n')
            *c = ' ';
    if (*text)
        logmsg(LOG_INFO, "job %u: cr_restart: %s", a->job, text);
    return 1;
}

static int supervise(struct agent *a, const char *self)
{
    struct pollfd pf[3] = { { a->sock, POLLIN, 0 }, { a->sigfd, POLLIN, 0 },
                            { a->restart_err, POLLIN, 0 } };
    for (;;) {
        int st;
        pid_t w = waitpid(a->child, &st, WNOHANG);
        if (w == a->child) {
            if (a->restart_err >= 0) {
                fcntl(a->restart_err, F_SETFL, O_NONBLOCK);
                while (log_restart_err(a) > 0)
                    ;
            }
            logmsg(LOG_INFO, "job %u: ended on %s: %s %d", a->job, a->node,
                   WIFSIGNALED(st) ? "signal" : "exit status",
                   WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
            end_like(st);
        }
        int wait_ms = -1;
        if (a->deadline) {
            time_t now = time(NULL);
            if (now >= a->deadline) {
                a->deadline = 0;
                before_limit(a, self);
                continue;
            }
            wait_ms = (int)(a->deadline - now) * 1000;
        }
        if (poll(pf, 3, wait_ms) < 0 && errno != EINTR)
            return 1;
        if (pf[2].revents & (POLLIN | POLLHUP) && log_restart_err(a) == 0)
            pf[2].fd = -1;
        if (pf[1].revents & POLLIN) {
            struct signalfd_siginfo si;
            if (read(a->sigfd, &si, sizeof(si)) == sizeof(si) && si.ssi_signo != SIGCHLD)
                kill(a->child, (int)si.ssi_signo);
        }
        if (pf[0].revents & (POLLIN | POLLHUP)) {
            unsigned char m[2];
            ssize_t r = read(a->sock, m, sizeof(m));
            if (r == 2)
                on_request(a, m[0], m[1], self);
            else if (r <= 0)
                pf[0].fd = -1;   /* the task is gone; the job goes on until its end */
        }
    }
}

/* --steer: the job was requeued; give it its target and no wait.  Slurm
 * sets the requeue delay only when the old run has completed (it would
 * overwrite an earlier StartTime=now): so wait for a settled PENDING job,
 * and look again until it no longer waits for its BeginTime.  Not in the
 * second the old run ended either: slurmd refuses a batch credential made
 * in the same second as the old run's revocation (slurm_cred.c: ctime <=
 * revoked), and slurmctld then ends the job ("Killing non-startable batch
 * job: Job credential revoked"): the job would be lost.  Hence 2 s after
 * the job settled (revoked at the requeue, before it settled). */
static int steer(uint32_t job, uint32_t restarts, const char *from, int once)
{
    openlog("ckmig-slurm", LOG_PID, LOG_DAEMON);
    int steered = 0;
    time_t settled_at = 0;
    for (time_t end = time(NULL) + 900; time(NULL) < end; usleep(300 * 1000)) {
        struct ckslurm_job j;
        int rc = ckslurm_job_get(job, &j);
        if (rc)
            continue;  /* slurmctld away: try again */
        if (j.restarts <= restarts) {
            if (!j.pending && !j.running)
                return 0;
            continue;
        }
        if (!j.pending)
            return 0;  /* running again, or ended */
        if (!j.settled || (steered && !j.waits_begin))
            continue;
        if (!settled_at)
            settled_at = time(NULL);
        if (time(NULL) < settled_at + 2)
            continue;
        const char *req = NULL, *exc = NULL;
        size_t pl = strlen(CKSLURM_TARGET_PREFIX);
        if (!strncmp(j.comment, CKSLURM_TARGET_PREFIX, pl)) {
            const char *t = j.comment + pl;
            if (!strcmp(t, "*"))
                req = "", exc = from;
            else
                req = t, exc = "";
        }
        rc = ckslurm_job_steer(job, req, exc, 1);
        if (rc == 0) {
            if (req)
                ckslurm_job_comment(job, "");
            if (!steered)
                logmsg(LOG_INFO, "job %u: requeued; start now%s%s%s%s", job, req ? " on " : "",
                       req && *req ? req : "", exc && *exc ? " not on " : "",
                       exc && *exc ? exc : "");
            steered = 1;
            if (once)
                return 0;   /* held: StartTime=now waits for the release */
            continue;
        }
        logmsg(LOG_WARNING, "job %u: cannot steer: %s", job, ckslurm_strerror(rc));
        if (!ckslurm_transient(rc) && !ckslurm_not_pending(rc))
            return 1;
    }
    if (!steered)
        logmsg(LOG_ERR, "job %u: gave up waiting for the requeue", job);
    return !steered;
}

int main(int argc, char **argv)
{
    static struct option opts[] = {
        { "job", 1, 0, 'j' }, { "uid", 1, 0, 'u' }, { "gid", 1, 0, 'g' },
        { "nodes", 1, 0, 'n' }, { "restarts", 1, 0, 'r' }, { "dir", 1, 0, 'd' },
        { "bin", 1, 0, 'b' }, { "node", 1, 0, 'N' }, { "steer", 0, 0, 's' }, { "log", 1, 0, 'l' },
        { "once", 0, 0, 'o' }, { "time-total", 1, 0, 't' }, { "margin", 1, 0, 'm' },
        { 0, 0, 0, 0 }
    };
    struct agent a = { .sock = CKSLURM_AGENT_FD, .jobdir = -1, .child = -1, .node = "?",
                       .restart_err = -1 };
    int c, steer_mode = 0, once = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'j': a.job = ckslurm_parse_jobid(optarg); break;
        case 'u': a.uid = (uid_t)strtoul(optarg, NULL, 10); break;
        case 'g': a.gid = (gid_t)strtoul(optarg, NULL, 10); break;
        case 'n': a.nodes = (uint32_t)strtoul(optarg, NULL, 10); break;
        case 'r': a.restarts = (uint32_t)strtoul(optarg, NULL, 10); break;
        case 'd': a.dir = optarg; break;
        case 'b': a.bin = optarg; break;
        case 'N': a.node = optarg; break;
        case 's': steer_mode = 1; break;
        case 'l': open_log(optarg); break;
        case 'o': once = 1; break;
        case 't': a.total = strtoll(optarg, NULL, 10); break;
        case 'm': a.margin = strtoll(optarg, NULL, 10); break;
        default: return 255;
        }
    }
    if (!a.job) {
        fprintf(stderr, "usage: ckmig_slurm_agent --job ID ... (started by spank_ckmig.so)\n");
        return 255;
    }
    ckslurm_init();
    if (steer_mode)
        return steer(a.job, a.restarts, a.node, once);
    if (!a.dir || !a.bin || a.uid == 0)
        return 255;
    openlog("ckmig-slurm", LOG_PID, LOG_DAEMON);
    sigset_t set;
    sigfillset(&set);
    sigdelset(&set, SIGSEGV);
    sigdelset(&set, SIGBUS);
    sigdelset(&set, SIGILL);
    sigdelset(&set, SIGFPE);
    sigdelset(&set, SIGKILL);
    sigdelset(&set, SIGSTOP);
    sigdelset(&set, SIGPIPE);
    sigprocmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    a.sigfd = signalfd(-1, &set, SFD_CLOEXEC);
    if (ckslurm_recv_request(a.sock, &a.req) < 0)
        return 1;
    fcntl(a.sock, F_SETFD, FD_CLOEXEC);
    /* from now on 0-2 are the job's own */
    if (dup2(a.req.in, 0) < 0 || dup2(a.req.out, 1) < 0 || dup2(a.req.err, 2) < 0)
        return 1;
    struct passwd *pw = getpwuid(a.uid);
    if (!pw)
        return refuse("uid %u has no name", (unsigned)a.uid);
    snprintf(a.user, sizeof(a.user), "%s", pw->pw_name);
    /* The batch step's own node count is 1 (slurmstepd): the job's is in
     * its environment. */
    const char *nn = job_env(&a, "SLURM_JOB_NUM_NODES");
    if (nn && strtoul(nn, NULL, 10) > a.nodes)
        a.nodes = (uint32_t)strtoul(nn, NULL, 10);
    if (a.nodes > 1)
        return refuse("job %u: --checkpoint works for one-node jobs only (this one has %u "
                      "nodes): refused", a.job, a.nodes);
    /* slurmstepd opens the output O_APPEND in both modes (io.c
     * io_get_file_flags), adding O_TRUNC unless the job asked for append
     * (sbatch passes --open-mode on as SLURM_OPEN_MODE) or the site set
     * JobFileAppend=1: a requeued job would find its output emptied. */
    const char *om = job_env(&a, "SLURM_OPEN_MODE");
    struct stat st;
    if (fstat(1, &st) == 0 && S_ISREG(st.st_mode) && !(om && !strcmp(om, "a")) &&
        (om || ckslurm_conf_file_append() != 1))
        return refuse("job %u: Slurm truncates the output of a requeued job unless it is "
                      "appended to: use --open-mode=append (or JobFileAppend=1): refused", a.job);
    if (open_jobdir(&a))
        return 1;
    /* Slurm 22.05's S_SLURM_RESTART_COUNT is 0 in a batch step whatever
     * the count (slurmstepd never sets it): the task's own environment,
     * complete when it was sent, has SLURM_RESTART_COUNT. */
    const char *rcount = job_env(&a, "SLURM_RESTART_COUNT");
    a.restarts = rcount ? (uint32_t)strtoul(rcount, NULL, 10) : 0;
    /* slurmctld's record of the job: its SubmitTime (the incarnation) and
     * this run's time limit.  Waited for a while when it matters. */
    struct ckslurm_job j;
    int have_j = 0;
    for (int i = 0, tries = a.restarts == 0 || a.total ? 30 : 1; i < tries; i++) {
        if ((have_j = ckslurm_job_get(a.job, &j) == 0))
            break;
        sleep(1);
    }
    if (a.restarts == 0 && have_j)
        a.restarts = j.restarts;
    int known = a.restarts > 0 || have_j;
    /* A job's first start has no checkpoint of its own: anything there is
     * another incarnation's (job ids are reused) and is removed, when
     * slurmctld agrees that this is the first start and its SubmitTime is
     * not the one recorded there (then slurmctld lost a run of this job). */
    int lost = known && a.restarts == 0 && same_incarnation(&a, j.submit_time);
    int fresh = known && a.restarts == 0 && !lost;
    a.newest = scan_checkpoints(&a, fresh, 0);
    if (fresh) {
        unlinkat(a.jobdir, TIME_USED, 0);
        write_incarnation(&a, j.submit_time);
    }
    if (!known)
        a.newest = 0;   /* slurmctld away and no count: neither remove nor restore */
    if (lost && a.newest)
        logmsg(LOG_WARNING, "job %u: started again with restart count 0 (slurmctld lost a run): "
               "restoring ckpt.%ld", a.job, a.newest);
    plan_run(&a, have_j ? &j : NULL);
    int rc = a.newest ? restart_job(&a) : run_job(&a);
    if (rc)
        return rc;
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    self[n > 0 ? n : 0] = '\0';
    return supervise(&a, self);
}
