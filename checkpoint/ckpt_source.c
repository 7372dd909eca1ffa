/* Opening a checkpoint to read it, in either form: a directory, used as it
 * is, or a context file (ckpt_archive.c), extracted into a fresh root-only
 * directory first, which ckpt_verify then checks like any other.  Anything
 * else (/dev/null, a file that is not a ckmig context) is a permanent
 * failure, as BLCR's cr_restart calls a context it cannot read. */
#include "checkpoint/ckpt_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

/* A context file must be readable by whoever runs a setuid cr_restart:
 * reopen it with their file-system ids and check it is the same file. */
static int caller_may_read(const char *path, const struct stat *st)
{
    uid_t ouid = (uid_t)setfsuid(getuid());
    gid_t ogid = (gid_t)setfsgid(getgid());
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    int err = errno;
    setfsuid(ouid);
    setfsgid(ogid);
    struct stat st2;
    int ok = fd >= 0 && fstat(fd, &st2) == 0 && st2.st_dev == st->st_dev && st2.st_ino == st->st_ino;
    if (fd >= 0)
        close(fd);
    errno = fd < 0 ? err : EACCES;
    return ok ? 0 : -1;
}

/* A fresh root-only directory beside the context (the same file system,
 * which had room for it), else in /var/tmp. */
static int make_workdir(const char *path, struct ckpt_source *s)
{
    char *copy = strdup(path);
    const char *where[2] = { copy ? dirname(copy) : NULL, "/var/tmp" };
    int rc = -1;

    for (int i = 0; i < 2 && rc < 0; i++) {
        if (!where[i])
            continue;
        int pfd = open(where[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (pfd < 0)
            continue;
        for (int tries = 0; tries < 8; tries++) {
            unsigned r = 0;
            if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
                r = (unsigned)rand();
            snprintf(s->xname, sizeof(s->xname), ".ckmig-context.%d.%08x", (int)getpid(), r);
            if (mkdirat(pfd, s->xname, 0700) < 0) {
                if (errno == EEXIST)
                    continue;
                break;
            }
            /* The parent may be the job owner's: use the directory only
             * through this fd, whatever happens to its name. */
            s->dfd = openat(pfd, s->xname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            struct stat st;
            if (s->dfd < 0 || fstat(s->dfd, &st) < 0 || st.st_uid != geteuid() ||
                (geteuid() == 0 && fchown(s->dfd, 0, 0) < 0) || fchmod(s->dfd, 0700) < 0) {
                if (s->dfd >= 0)
                    close(s->dfd);
                s->dfd = -1;
                break;
            }
            s->xparent = pfd;
            pfd = -1;
            rc = 0;
            break;
        }
        if (pfd >= 0)
            close(pfd);
    }
    free(copy);
    return rc;
}

int ckpt_checkpoint_open(const char *path, char shown[4096], struct stat *st, struct ckpt_err *e)
{
    int fd = -1;

    if (!realpath(path, shown))
        return ckpt_err_setc(e, errno, CKPT_FAIL_ARGS, "cannot open checkpoint %s: %s", path,
                             strerror(errno));
    /* Never open a device or a fifo as root only to find out what it is. */
    if (stat(shown, st) == 0 && !S_ISDIR(st->st_mode) && !S_ISREG(st->st_mode))
        goto not_one;
    fd = open(shown, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW);
    if (fd < 0 || fstat(fd, st) < 0) {
        int err = errno;
        if (fd >= 0)
            close(fd);
        return ckpt_err_setc(e, err, CKPT_FAIL_ARGS, "cannot open checkpoint %s: %s", shown,
                             strerror(err));
    }
    if (S_ISDIR(st->st_mode) || (S_ISREG(st->st_mode) && ckpt_archive_is(fd)))
        return fd;
    close(fd);
not_one:
    return ckpt_err_setc(e, EINVAL, CKPT_FAIL_PERM,
                         "%s is not a ckmig checkpoint (neither a checkpoint directory nor a "
                         "context file)", shown);
}

int ckpt_source_open(const char *path, bool secure, struct ckpt_source *s, struct ckpt_err *e)
{
    struct stat st;

    memset(s, 0, sizeof(*s));
    s->dfd = s->xparent = -1;
    int fd = ckpt_checkpoint_open(path, s->shown, &st, e);
    return fd < 0 ? -1 : ckpt_source_fd(fd, &st, secure, s, e);
}

int ckpt_source_fd(int fd, const struct stat *st, bool secure, struct ckpt_source *s,
                   struct ckpt_err *e)
{
    s->dfd = s->xparent = -1;
    if (S_ISDIR(st->st_mode)) {
        s->dfd = fd;
        return 0;
    }
    if (secure && caller_may_read(s->shown, st) < 0) {
        int err = errno;
        close(fd);
        return ckpt_err_setc(e, err, CKPT_FAIL_ARGS, "cannot open checkpoint %s: %s", s->shown,
                             strerror(err));
    }
    s->file = true;
    if (make_workdir(s->shown, s) < 0) {
        int err = errno;
        close(fd);
        return ckpt_err_set(e, err, "no room to unpack context file %s: %s", s->shown,
                            strerror(err));
    }
    int rc = ckpt_archive_extract(fd, s->dfd, s->shown, e);
    close(fd);
    if (rc < 0)
        ckpt_source_close(s);
    return rc;
}

void ckpt_source_close(struct ckpt_source *s)
{
    if (s->dfd >= 0)
        close(s->dfd);
    if (s->xparent >= 0) {
        /* Through the parent's fd: whatever is in the copy (the restore's
         * private link directory too) goes with it. */
        char p[128];
        snprintf(p, sizeof(p), "/proc/self/fd/%d/%s", s->xparent, s->xname);
        ckpt_rmtree(p);
        close(s->xparent);
    }
    s->dfd = s->xparent = -1;
}
