/* Running CRIU: argument vectors (never a shell string), a timeout, and
 * reading what went wrong out of its log. */
#include "checkpoint/ckpt_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef CKMIG_CRIU_DEFAULT
#define CKMIG_CRIU_DEFAULT "/usr/sbin/criu"
#endif

/* $CKMIG_CRIU (not in setuid mode), else the CRIU `make install` put
 * beside our programs (PREFIX/lib/ckmig/criu/criu, when the build used a
 * private copy), else the one the build was made with.  pbs_mom gives
 * its scripts only pbs_environment, so the installed default must work
 * without any variable. */
const char *ckpt_criu_path(bool secure)
{
    static char installed[4200];
    const char *p = secure ? NULL : getenv("CKMIG_CRIU");
    char exe[4096];
    ssize_t n;

    if (p && *p)
        return p;
    n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            if (snprintf(installed, sizeof(installed), "%s/../lib/ckmig/criu/criu", exe) <
                    (int)sizeof(installed) && access(installed, X_OK) == 0)
                return installed;
        }
    }
    return CKMIG_CRIU_DEFAULT;
}

static bool kept(int fd, const int *keep, size_t nkeep)
{
    for (size_t i = 0; i < nkeep; i++)
        if (keep[i] == fd)
            return true;
    return false;
}

/* Root without CAP_SYS_RESOURCE cannot read another user's rlimits. */
static bool lacks_sys_resource(void)
{
    char line[256];
    bool lacks = false;
    FILE *f = fopen("/proc/self/status", "re");
    while (f && fgets(line, sizeof(line), f))
        if (!strncmp(line, "CapEff:", 7))
            lacks = !((strtoull(line + 7, NULL, 16) >> 24) & 1);
    if (f)
        fclose(f);
    return lacks;
}

/* ckpt_criu_ids.so: next to our programs, or where $CKMIG_CRIU_PRELOAD says. */
static bool find_shim(char *out, size_t len)
{
    /* Never from the environment of a setuid caller: CRIU runs as root. */
    const char *env = getauxval(AT_SECURE) ? NULL : getenv("CKMIG_CRIU_PRELOAD");
    char exe[4096];
    if (env && *env) {
        snprintf(out, len, "%s", env);
        return access(out, R_OK) == 0;
    }
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0)
        return false;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash)
        return false;
    *slash = '\0';
    if (snprintf(out, len, "%s/../lib/ckmig/ckpt_criu_ids.so", exe) >= (int)len)
        return false;
    return access(out, R_OK) == 0;
}

static void child_exec(const char *criu, char *const argv[], int outfd, const int *keep,
                       size_t nkeep, const char *ids)
{
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (int s = 1; s < NSIG; s++)
        signal(s, SIG_DFL);
    /* A setuid supervisor keeps its real uid; CRIU wants to be root. */
    if (geteuid() == 0 && setresuid(0, 0, 0) == 0)
        (void)setresgid(0, 0, 0);
    char shim[4200];
    if (ids && lacks_sys_resource() && find_shim(shim, sizeof(shim))) {
        setenv("CKMIG_CRIU_RUID", ids, 1);
        setenv("LD_PRELOAD", shim, 1);
    }
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
        dup2(null, 0);
        dup2(outfd >= 0 ? outfd : null, 1);
        dup2(null, 2);
    }
    for (int fd = 3; fd < 1024; fd++)
        if (!kept(fd, keep, nkeep))
            close(fd);
        else
            fcntl(fd, F_SETFD, 0);  /* handed to CRIU: survive the exec */
    execv(criu, argv);
    _exit(127);
}

int ckpt_criu_run(const char *criu, char *const argv[], const int *keep, size_t nkeep,
                  const char *ids, pid_t *child)
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0)
        child_exec(criu, argv, -1, keep, nkeep, ids);
    *child = pid;
    return 0;
}

/* Waits for CRIU; on timeout kills it (BLCR: state undefined after -t). */
int ckpt_criu_wait(pid_t child, int timeout, int *wstatus)
{
    int pfd = (int)syscall(SYS_pidfd_open, child, 0);
    int rc = -1;

    if (pfd >= 0 && timeout > 0) {
        struct pollfd p = { .fd = pfd, .events = POLLIN };
        int r;
        while ((r = poll(&p, 1, timeout * 1000)) < 0 && errno == EINTR)
            ;
        if (r == 0) {
            kill(child, SIGKILL);
            waitpid(child, wstatus, 0);
            errno = ETIMEDOUT;
            goto out;
        }
    }
    while (waitpid(child, wstatus, 0) < 0) {
        if (errno != EINTR)
            goto out;
    }
    rc = 0;
out:
    if (pfd >= 0)
        close(pfd);
    return rc;
}

/* `criu --version`, started now and read later (it runs during the dump). */
int ckpt_criu_version_start(const char *criu, pid_t *child)
{
    int p[2];
    char *argv[] = { (char *)criu, "--version", NULL };

    if (pipe2(p, O_CLOEXEC) < 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        int out = dup(p[1]);
        child_exec(criu, argv, out, NULL, 0, NULL);
    }
    close(p[1]);
    if (pid < 0) {
        close(p[0]);
        return -1;
    }
    *child = pid;
    return p[0];
}

char *ckpt_criu_version_finish(int fd, pid_t child)
{
    char buf[256] = "";
    size_t n = 0;
    ssize_t r;
    char *v = NULL;

    if (fd < 0)
        return NULL;
    while (n < sizeof(buf) - 1 && ((r = read(fd, buf + n, sizeof(buf) - 1 - n)) > 0 ||
                                   (r < 0 && errno == EINTR)))
        if (r > 0)
            n += (size_t)r;
    buf[n] = '\0';
    close(fd);
    while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
        ;
    char *s = strstr(buf, "Version:");
    if (s) {
        s += strlen("Version:");
        s += strspn(s, " \t");
        v = strndup(s, strcspn(s, " \t\n"));
    }
    return v;
}

char *ckpt_criu_version(const char *criu)
{
    pid_t child;
    int fd = ckpt_criu_version_start(criu, &child);
    return fd < 0 ? NULL : ckpt_criu_version_finish(fd, child);
}

struct hint {
    const char *text;
    int code;
};

/* What CRIU's log says, mapped to the errno BLCR's commands would exit with. */
static const struct hint hints[] = {
    { "No space left on device", ENOSPC },
    { "Read-only file system", EROFS },
    { "Disk quota exceeded", EDQUOT },
    { "Can't fork for", EBUSY },
    { "do not match expected", EBUSY },
    { "bad size", ESTALE },
    { "Permission denied", EACCES },
    { "No such file or directory", ENOENT },
    { "Cannot allocate memory", ENOMEM },
    { "No such process", ESRCH },
};

/* CRIU's parasite makes proc.crtools in the cwd of the job's init (/, see
 * ckpt_init.c) to mount a /proc for the namespace: two dumps on one node
 * at the same moment collide there (mkdir EEXIST), and one of them fails
 * with its job resumed as it was. Only that run is tried again (a pre-copy
 * round, or the final dump: never the rounds before it); any other
 * failure is final. */
#define DUMP_COLLISION "Can't create a directory (-17)"
#define DUMP_TRIES 8

int ckpt_criu_collided(const char *errs, int tries)
{
    unsigned r = 0;

    if (tries >= DUMP_TRIES || !strstr(errs, DUMP_COLLISION))
        return 0;
    if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
        r = (unsigned)rand();
    struct timespec ts = { 0, (long)(50 + r % 200 + 100 * (tries - 1)) * 1000000L };
    nanosleep(&ts, NULL);
    return 1;
}

int ckpt_clear_files_at(int dfd)
{
    int fd = dup(dfd), rc = 0;
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    struct dirent *de;
    struct stat st;

    if (!d) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
            fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode) &&
            unlinkat(dfd, de->d_name, 0) < 0)
            rc = -1;
    closedir(d);
    return rc;
}

int ckpt_criu_log_errors(const char *log, char *buf, size_t len)
{
    char *text = NULL, *save = NULL;
    size_t tl = 0, used = 0;
    int code = 0;

    if (len)
        buf[0] = '\0';
    if (ckpt_read_file(log, &text, &tl) < 0)
        return EIO;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (!strstr(line, "Error (") || strstr(line, "RLIMIT_NOFILE"))
            continue;
        for (size_t i = 0; !code && i < sizeof(hints) / sizeof(hints[0]); i++)
            if (strstr(line, hints[i].text))
                code = hints[i].code;
        /* Drop CRIU's "(00.123456) Error (criu/x.c:12): " prefix. */
        char *msg = strstr(line, "): ");
        msg = msg ? msg + 3 : line;
        size_t ml = strlen(msg);
        if (used + ml + 3 < len) {
            if (used)
                buf[used++] = ';', buf[used++] = ' ';
            memcpy(buf + used, msg, ml);
            used += ml;
            buf[used] = '\0';
        }
    }
    free(text);
    return code ? code : EIO;
}
