/* Opening a checkpoint to read it, in either form: a directory, used as it
 * is, or a context file (ckpt_archive.c), extracted into a fresh root-only
 * directory first, which ckpt_verify then checks like any other.  Anything
 * else (/dev/null, a file that is not a ckmig context) is a permanent
 * failure, as BLCR's cr_restart calls a context it cannot read. */
#include "checkpoint/ckpt_internal.h"
#include "lib/fault.h"
#include "lib/safe_dir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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
 * which had room for it) in its directory pfd, else in /var/tmp.  Only
 * ever through fds: the context's directory may be the job owner's. */
static int make_workdir(int pfd, bool secure, struct ckpt_source *s)
{
    int where[2] = { pfd, open_dir_noswap("/var/tmp", NULL, 0) };
    int rc = -1;

    /* a setuid caller's unpacked copy goes where they may write */
    if (secure && faccessat(pfd, ".", W_OK | X_OK, 0) < 0)
        where[0] = -1;
    for (int i = 0; i < 2 && rc < 0; i++) {
        if (where[i] < 0)
            continue;
        for (int tries = 0; tries < 8; tries++) {
            unsigned r = 0;
            if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
                r = (unsigned)rand();
            snprintf(s->xname, sizeof(s->xname), ".ckmig-context.%d.%08x", (int)getpid(), r);
            if (mkdirat(where[i], s->xname, 0700) < 0) {
                if (errno == EEXIST)
                    continue;
                break;
            }
            /* The parent may be the job owner's: use the directory only
             * through this fd, whatever happens to its name. */
            s->dfd = openat(where[i], s->xname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            struct stat st;
            if (s->dfd < 0 || fstat(s->dfd, &st) < 0 || st.st_uid != geteuid() ||
                (geteuid() == 0 && fchown(s->dfd, 0, 0) < 0) || fchmod(s->dfd, 0700) < 0) {
                if (s->dfd >= 0)
                    close(s->dfd);
                s->dfd = -1;
                break;
            }
            s->xparent = fcntl(where[i], F_DUPFD_CLOEXEC, 3);
            rc = s->xparent < 0 ? -1 : 0;
            break;
        }
    }
    if (where[1] >= 0)
        close(where[1]);
    return rc;
}

int ckpt_checkpoint_open(const char *path, char shown[4096], struct stat *st, int *parent,
                         struct ckpt_err *e)
{
    char dir[4096], bad[4096];
    int fd = -1, pfd = -1;

    *parent = -1;
    if (!realpath(path, shown))
        return ckpt_err_setc(e, errno, CKPT_FAIL_ARGS, "cannot open checkpoint %s: %s", path,
                             strerror(errno));
    /* realpath resolved every link; its directory is then walked again
     * without following one a user could have put there meanwhile, and
     * the checkpoint opened in it: the directory holding a context file
     * is where root unpacks it. */
    snprintf(dir, sizeof(dir), "%s", shown);
    char *slash = strrchr(dir, '/');
    const char *base = slash[1] ? shown + (slash - dir) + 1 : ".";
    slash[slash == dir] = '\0';
    if ((pfd = open_dir_noswap(dir, bad, sizeof(bad))) < 0) {
        int err = errno;
        if (err == ELOOP)
            return ckpt_err_setc(e, err, CKPT_FAIL_ARGS, "cannot open checkpoint %s: %s is a "
                                 "symbolic link now: refused", shown, bad);
        return ckpt_err_setc(e, err, CKPT_FAIL_ARGS, "cannot open checkpoint %s: %s", shown,
                             strerror(err));
    }
    /* Never open a device or a fifo as root only to find out what it is. */
    if (fstatat(pfd, base, st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st->st_mode) &&
        !S_ISREG(st->st_mode))
        goto not_one;
    fd = openat(pfd, base, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW);
    if (fd < 0 || fstat(fd, st) < 0) {
        int err = errno;
        if (fd >= 0)
            close(fd);
        close(pfd);
        return ckpt_err_setc(e, err, CKPT_FAIL_ARGS, "cannot open checkpoint %s: %s", shown,
                             strerror(err));
    }
    if (S_ISDIR(st->st_mode) || (S_ISREG(st->st_mode) && ckpt_archive_is(fd))) {
        *parent = pfd;
        return fd;
    }
    close(fd);
not_one:
    close(pfd);
    return ckpt_err_setc(e, EINVAL, CKPT_FAIL_PERM,
                         "%s is not a ckmig checkpoint (neither a checkpoint directory nor a "
                         "context file)", shown);
}

int ckpt_source_open(const char *path, bool secure, struct ckpt_source *s, struct ckpt_err *e)
{
    struct stat st;
    int parent;

    memset(s, 0, sizeof(*s));
    s->dfd = s->xparent = -1;
    int fd = ckpt_checkpoint_open(path, s->shown, &st, &parent, e);
    return fd < 0 ? -1 : ckpt_source_fd(fd, parent, &st, secure, s, e);
}

int ckpt_source_fd(int fd, int parent, const struct stat *st, bool secure,
                   struct ckpt_source *s, struct ckpt_err *e)
{
    int rc = -1;

    s->dfd = s->xparent = -1;
    if (S_ISDIR(st->st_mode)) {
        s->dfd = fd;
        fd = -1;
        rc = 0;
    } else if (secure && caller_may_read(s->shown, st) < 0) {
        ckpt_err_setc(e, errno, CKPT_FAIL_ARGS, "cannot open checkpoint %s: %s", s->shown,
                      strerror(errno));
    } else {
        s->file = true;
        fault_point(FAULT_RESTART_OPENED);
        if (make_workdir(parent, secure, s) < 0)
            ckpt_err_set(e, errno, "no room to unpack context file %s: %s", s->shown,
                         strerror(errno));
        else if ((rc = ckpt_archive_extract(fd, s->dfd, s->shown, e)) < 0)
            ckpt_source_close(s);
    }
    if (fd >= 0)
        close(fd);
    if (parent >= 0)
        close(parent);
    return rc;
}

void ckpt_source_close(struct ckpt_source *s)
{
    /* Through the copy's own fd: whatever is in it (the restore's private
     * link directory too) goes with it, and its name only if it still is
     * that directory. */
    if (s->xparent >= 0 && s->dfd >= 0)
        ckpt_rmtree_fd(s->xparent, s->xname, s->dfd);
    if (s->dfd >= 0)
        close(s->dfd);
    if (s->xparent >= 0)
        close(s->xparent);
    s->dfd = s->xparent = -1;
}
