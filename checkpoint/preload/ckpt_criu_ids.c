/* Preloaded into CRIU by libckpt only where root lacks CAP_SYS_RESOURCE
 * (containers, sandboxes).  There the kernel lets CRIU read another user's
 * rlimits (prlimit) only if CRIU's real uid and gid equal the task's, so
 * CRIU must run with the job owner's real ids and root's effective ones.
 * The switch happens here, after exec, because an exec with differing real
 * and effective ids turns on the loader's secure mode and makes shells drop
 * privileges; and getuid()/getgid() keep answering 0 so that CRIU's own
 * checks (and the libraries it uses) behave as under plain root.
 * A job whose tasks run under several uids (a root init and a user's
 * tasks; zdtm's tests that start as root and drop) has no one set of ids:
 * prlimit() below retries a refused read with the real ids of that task.
 *
 * fcntl() below: `criu dump --lazy-pages` serves pages through one more
 * pipe that it sizes at PIPE_MAX_SIZE (819 pages, 3354624 bytes on x86-64;
 * criu/page-pipe.c pipe_read_dest_init).  Above fs.pipe-max-size that needs
 * CAP_SYS_RESOURCE; refused, CRIU 4.2 ignores the failure, never opens its
 * /dev/null sink and fails its first page request with "page-pipe: splice:
 * -1: Bad file descriptor" (NOTES, Lazy restore).  That pipe only ever holds
 * the pages of one page-pipe buffer, whose own pipe could grow no further
 * than pipe-max-size either, so that size is enough: that one request (by
 * its exact size, on an empty pipe) is retried at pipe-max-size.  Every
 * other size request (the page pipes' growth, which CRIU handles, a job's
 * pipe restored to its size) goes through unchanged. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/resource.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static int switched;

/* glibc's syscall(): this file defines its own (below). */
typedef long (*syscall_fn)(long, ...);
static syscall_fn next_syscall(void)
{
    static syscall_fn next;
    if (!next)
        next = (syscall_fn)dlsym(RTLD_NEXT, "syscall");
    return next;
}
#define real_syscall(...) (next_syscall()(__VA_ARGS__))

__attribute__((constructor)) static void ckpt_switch_ids(void)
{
    const char *ids = getenv("CKMIG_CRIU_RUID");
    const char *name = program_invocation_short_name;
    unsigned long uid, gid;
    char *end;

    if (!ids || !name || strcmp(name, "criu") != 0)
        return;
    uid = strtoul(ids, &end, 10);
    if (*end != ':')
        return;
    gid = strtoul(end + 1, &end, 10);
    if (*end)
        return;
    if (real_syscall(SYS_setresgid, (gid_t)gid, 0, 0) == 0 && real_syscall(SYS_setresuid, (uid_t)uid, 0, 0) == 0)
        switched = 1;
}

uid_t getuid(void)
{
    return switched ? 0 : (uid_t)real_syscall(SYS_getuid);
}

gid_t getgid(void)
{
    return switched ? 0 : (gid_t)real_syscall(SYS_getgid);
}

/* The task's uids and gids, when each set is one id (real = effective =
 * saved); the kernel's prlimit check wants CRIU's real ids equal to all
 * three. */
static int task_ids(pid_t pid, uid_t *uid, gid_t *gid)
{
    char path[64], line[256];
    unsigned long v[2][3];
    int got = 0;
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "re");
    while (f && fgets(line, sizeof(line), f)) {
        int k = !strncmp(line, "Uid:", 4) ? 0 : !strncmp(line, "Gid:", 4) ? 1 : -1;
        if (k >= 0 && sscanf(line + 4, "%lu %lu %lu", &v[k][0], &v[k][1], &v[k][2]) == 3)
            got |= 1 << k;
    }
    if (f)
        fclose(f);
    if (got != 3 || v[0][0] != v[0][1] || v[0][0] != v[0][2] || v[1][0] != v[1][1] ||
        v[1][0] != v[1][2])
        return -1;
    *uid = (uid_t)v[0][0];
    *gid = (gid_t)v[1][0];
    return 0;
}

/* Raw syscalls: the ids change for this thread only, for this one call
 * (glibc's setresuid would change every thread's). */
static int prlimit_retry(pid_t pid, int res, const struct rlimit *new, struct rlimit *old)
{
    long r = real_syscall(SYS_prlimit64, pid, res, new, old);
    uid_t u, ru, eu, su;
    gid_t g, rg, eg, sg;
    if (r == 0 || errno != EPERM || !switched || pid <= 0 || task_ids(pid, &u, &g) < 0 ||
        real_syscall(SYS_getresuid, &ru, &eu, &su) < 0 || real_syscall(SYS_getresgid, &rg, &eg, &sg) < 0)
        return (int)r;
    if (real_syscall(SYS_setresgid, g, -1, -1) == 0 && real_syscall(SYS_setresuid, u, -1, -1) == 0)
        r = real_syscall(SYS_prlimit64, pid, res, new, old);
    int err = errno;
    real_syscall(SYS_setresuid, ru, -1, -1);
    real_syscall(SYS_setresgid, rg, -1, -1);
    errno = err;
    return (int)r;
}

/* CRIU reads rlimits with syscall(__NR_prlimit64, ...) (criu/cr-dump.c):
 * that one number is taken here, every other goes through unchanged. */
long syscall(long nr, ...)
{
    va_list ap;
    long a[6];
    va_start(ap, nr);
    for (int i = 0; i < 6; i++)
        a[i] = va_arg(ap, long);
    va_end(ap);
    if (nr == SYS_prlimit64 && switched)
        return prlimit_retry((pid_t)a[0], (int)a[1], (const struct rlimit *)a[2],
                             (struct rlimit *)a[3]);
    return real_syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

int prlimit(pid_t pid, __rlimit_resource_t res, const struct rlimit *new, struct rlimit *old)
{
    return prlimit_retry(pid, (int)res, new, old);
}

int prlimit64(pid_t pid, __rlimit_resource_t res, const struct rlimit64 *new, struct rlimit64 *old)
{
    return prlimit_retry(pid, (int)res, (const struct rlimit *)new, (struct rlimit *)old);
}

/* CRIU's PIPE_MAX_SIZE * PAGE_SIZE (criu/include/page-pipe.h): 8 pages of
 * 40-byte pipe buffers' worth of pages; never a real pipe's size, which is
 * always a power of two pages. */
#define CRIU_TEE_PIPE_BYTES (819L * 4096)

typedef int (*fcntl_fn)(int, int, ...);

static long pipe_max_size(void)
{
    char buf[32];
    long v = -1;
    FILE *f = fopen("/proc/sys/fs/pipe-max-size", "re");
    if (f && fgets(buf, sizeof(buf), f))
        v = strtol(buf, NULL, 10);
    if (f)
        fclose(f);
    return v;
}

int fcntl(int fd, int cmd, ...)
{
    static fcntl_fn next;
    va_list ap;
    va_start(ap, cmd);
    long arg = va_arg(ap, long);
    va_end(ap);
    if (!next)
        next = (fcntl_fn)dlsym(RTLD_NEXT, "fcntl");
    int r = next(fd, cmd, arg);
    int queued = -1;
    if (r < 0 && errno == EPERM && cmd == F_SETPIPE_SZ && arg == CRIU_TEE_PIPE_BYTES &&
        ioctl(fd, FIONREAD, &queued) == 0 && queued == 0) {
        long max = pipe_max_size();
        if (max > 0 && max < arg)
            r = next(fd, cmd, max);
        else
            errno = EPERM;
    }
    return r;
}

int fcntl64(int fd, int cmd, ...) __attribute__((alias("fcntl")));
