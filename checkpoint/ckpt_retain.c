/* Retention: keep the newest N complete checkpoints of a directory (the
 * job's depth), of either form (a checkpoint directory or a context file),
 * and sweep temporaries left by interrupted checkpoints. */
#include "checkpoint/ckpt_internal.h"
#include "lib/safe_dir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct cand {
    char *name;
    long long time;
    bool file;      /* a context file */
};

static int newest_first(const void *a, const void *b)
{
    const struct cand *x = a, *y = b;
    if (x->time != y->time)
        return x->time > y->time ? -1 : 1;
    return strcmp(y->name, x->name);
}

/* What ckpt_dump leaves when it is killed: the directory ".NAME.tmp.PID"
 * (root's), the old checkpoint it was replacing ".NAME.tmp.PID.old.PID"
 * (root's), and for a context file the packed ".NAME.tmp.PID.ctx" (root's,
 * or the owner's once finished).  Stale when the writer is gone. */
static bool stale_tmp(const char *name, const struct stat *st)
{
    const char *t = strstr(name, ".tmp.");
    if (name[0] != '.' || !t)
        return false;
    char *end;
    long pid = strtol(t + 5, &end, 10);
    if (end == t + 5)
        return false;
    if (!strcmp(end, ".ctx")) {
        if (!S_ISREG(st->st_mode))
            return false;
    } else if ((*end && strncmp(end, ".old.", 5)) || !S_ISDIR(st->st_mode) || st->st_uid != 0) {
        return false;
    }
    return pid > 0 && kill((pid_t)pid, 0) < 0 && errno == ESRCH;
}

/* The manifest of dfd's entry name if it is a complete checkpoint of
 * either form; a link, a fifo or anything else is not ours to judge.
 * Root reads it in a directory the job's owner may own (JOBID.CK): the
 * entry and its manifest are opened without following links and without
 * waiting on a FIFO, and must be what fstatat saw. */
static int read_candidate(int dfd, const char *name, const char *path, const struct stat *st,
                          struct ckpt_manifest *m)
{
    struct ckpt_err ignore;
    bool dir = S_ISDIR(st->st_mode);

    if (!dir && !S_ISREG(st->st_mode))
        return -1;
    int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | (dir ? O_DIRECTORY : 0));
    struct stat fst;
    int rc = -1;
    if (fd >= 0 && fstat(fd, &fst) == 0 && (fst.st_mode & S_IFMT) == (st->st_mode & S_IFMT) &&
        fst.st_ino == st->st_ino)
        rc = dir ? ckpt_manifest_read_at(fd, path, m, &ignore)
                 : ckpt_archive_manifest_fd(fd, path, m, &ignore);
    if (fd >= 0)
        close(fd);
    return rc;
}

int ckpt_retain(const char *dir, const char *prefix, int keep, struct ckpt_err *e)
{
    DIR *d = NULL;
    struct dirent *de;
    struct cand *c = NULL;
    size_t n = 0, cap = 0;
    int deleted = 0, rc = -1;
    char path[4200];

    if (keep < 1)
        return ckpt_err_setc(e, EINVAL, CKPT_FAIL_ARGS, "depth must be at least 1 (is %d)", keep);
    /* Everything below goes through this one descriptor: DIR itself
     * (JOBID.CK, the job owner's) may be renamed and a link put in its
     * place while root works in it, and so may a directory above it that
     * a user owns: no link a user could have put is followed. */
    int dfd = open_dir_noswap(dir, NULL, 0);
    if (dfd >= 0)
        d = fdopendir(dfd);
    if (!d) {
        int err = errno;
        if (dfd >= 0)
            close(dfd);
        return ckpt_err_set(e, err, "cannot read %s: %s", dir,
                            err == ELOOP ? "it is a symbolic link" : strerror(err));
    }
    while ((de = readdir(d))) {
        struct ckpt_manifest m;
        struct stat st;
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            continue;
        if (stale_tmp(de->d_name, &st)) {
            if (S_ISDIR(st.st_mode) ? ckpt_rmtree_at(dirfd(d), de->d_name) == 0
                                    : unlinkat(dirfd(d), de->d_name, 0) == 0)
                deleted++;
            continue;
        }
        if (de->d_name[0] == '.' || (prefix && strncmp(de->d_name, prefix, strlen(prefix))))
            continue;
        if (read_candidate(dirfd(d), de->d_name, path, &st, &m) < 0)
            continue;   /* not a complete checkpoint: not ours to judge */
        if (n == cap) {
            size_t nc = cap ? 2 * cap : 16;
            struct cand *nca = realloc(c, nc * sizeof(*nca));
            if (!nca) {
                ckpt_manifest_free(&m);
                ckpt_err_set(e, ENOMEM, "out of memory");
                goto out;
            }
            c = nca;
            cap = nc;
        }
        c[n].name = strdup(de->d_name);
        c[n].time = m.time;
        c[n].file = !S_ISDIR(st.st_mode);
        ckpt_manifest_free(&m);
        if (!c[n].name) {
            ckpt_err_set(e, ENOMEM, "out of memory");
            goto out;
        }
        n++;
    }
    qsort(c, n, sizeof(*c), newest_first);
    for (size_t i = (size_t)keep; i < n; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, c[i].name);
        /* A context file goes by unlinkat, which never removes a directory
         * someone put in its place since. */
        if (c[i].file ? unlinkat(dirfd(d), c[i].name, 0) < 0 && errno != ENOENT
                      : ckpt_rmtree_at(dirfd(d), c[i].name) < 0) {
            ckpt_err_set(e, errno, "cannot delete old checkpoint %s: %s", path, strerror(errno));
            goto out;
        }
        deleted++;
    }
    rc = deleted;
out:
    for (size_t i = 0; i < n; i++)
        free(c[i].name);
    free(c);
    closedir(d);
    return rc;
}
