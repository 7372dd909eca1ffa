/* Small file-system helpers: fsync, read whole files, mkdir -p, rm -r. */
#include "checkpoint/ckpt_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int ckpt_fsync_path(const char *path, bool dir)
{
    int fd = open(path, (dir ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

/* The fsyncs of ckpt_fsync_tree, spread over threads: each one is a
 * round trip to the device (a cache flush on a local disk, a COMMIT on
 * NFS), and ones in flight together are served together; one after the
 * other, the 40-odd images of a checkpoint cost several times as long. */
struct fsync_job {
    int *fds;
    size_t n;
    atomic_size_t next;
    atomic_int err;
};

static void *fsync_worker(void *arg)
{
    struct fsync_job *j = arg;
    for (;;) {
        size_t i = atomic_fetch_add(&j->next, 1);
        if (i >= j->n)
            break;
        if (fsync(j->fds[i]) < 0)
            atomic_store(&j->err, errno ? errno : EIO);
    }
    return NULL;
}

/* fsyncs every entry of dir, then dir itself. */
int ckpt_fsync_tree(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    struct fsync_job j = { .fds = NULL };
    size_t cap = 0;
    pthread_t th[8];
    int nth = 0, err = 0;

    if (!d)
        return -1;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.' && (!de->d_name[1] || (de->d_name[1] == '.' && !de->d_name[2])))
            continue;
        /* A symbolic link (a pre-copy layer's `parent`) is synced with its
         * directory; opening it without following fails. */
        if (de->d_type == DT_LNK)
            continue;
        if (j.n == cap) {
            size_t nc = cap ? 2 * cap : 64;
            int *nf = realloc(j.fds, nc * sizeof(int));
            if (!nf) {
                err = ENOMEM;
                break;
            }
            j.fds = nf;
            cap = nc;
        }
        int fd = openat(dirfd(d), de->d_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0) {
            err = errno;
            continue;
        }
        j.fds[j.n++] = fd;
    }
    while (nth < 8 && (size_t)nth * 4 < j.n &&
           pthread_create(&th[nth], NULL, fsync_worker, &j) == 0)
        nth++;
    fsync_worker(&j);
    for (int i = 0; i < nth; i++)
        pthread_join(th[i], NULL);
    if (atomic_load(&j.err))
        err = atomic_load(&j.err);
    for (size_t i = 0; i < j.n; i++)
        close(j.fds[i]);
    free(j.fds);
    closedir(d);
    if (ckpt_fsync_path(dir, true) < 0 && !err)
        err = errno;
    errno = err;
    return err ? -1 : 0;
}

int ckpt_read_file(const char *path, char **buf, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    size_t cap = 4096, n = 0;
    char *b = NULL;
    int rc = -1;

    if (fd < 0)
        return -1;
    b = malloc(cap + 1);
    if (!b)
        goto out;
    for (;;) {
        if (n == cap) {
            char *nb = realloc(b, 2 * cap + 1);
            if (!nb)
                goto out;
            b = nb;
            cap *= 2;
        }
        ssize_t r = read(fd, b + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            goto out;
        if (r == 0)
            break;
        n += (size_t)r;
    }
    b[n] = '\0';
    *buf = b;
    *len = n;
    b = NULL;
    rc = 0;
out:
    free(b);
    close(fd);
    return rc;
}

int ckpt_mkdirs(const char *path, mode_t mode)
{
    char p[4096];
    snprintf(p, sizeof(p), "%s", path);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, mode) < 0 && errno != EEXIST)
            return -1;
        *s = '/';
    }
    if (mkdir(p, mode) < 0 && errno != EEXIST)
        return -1;
    return 0;
}

/* Empties the directory open on dfd, through descriptors only: a name
 * along the way swapped for a link (checkpoints live in directories the
 * job's owner may own) can never lead the removal out of the tree. */
static int rm_contents(int dfd, int depth)
{
    int fd = dup(dfd), rc = 0;
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    struct dirent *de;

    if (!d) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    rewinddir(d);
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        if (unlinkat(dfd, de->d_name, 0) == 0 || errno == ENOENT)
            continue;
        if (errno != EISDIR && errno != EPERM) {
            rc = -1;
            continue;
        }
        int sub = openat(dfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub < 0 || depth > 64 || rm_contents(sub, depth + 1) < 0 ||
            (unlinkat(dfd, de->d_name, AT_REMOVEDIR) < 0 && errno != ENOENT))
            rc = -1;
        if (sub >= 0)
            close(sub);
    }
    closedir(d);
    return rc;
}

int ckpt_rmtree_at(int dfd, const char *name)
{
    int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        /* not a directory (or a link to one): remove the name itself */
        if (errno == ENOENT)
            return 0;
        if (errno != ENOTDIR && errno != ELOOP)
            return -1;
        return unlinkat(dfd, name, 0) < 0 && errno != ENOENT ? -1 : 0;
    }
    int rc = rm_contents(fd, 0);
    close(fd);
    /* rmdir never follows a link, and removes only an empty directory */
    if (rc == 0 && unlinkat(dfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
        rc = -1;
    return rc;
}

int ckpt_rmtree_fd(int pfd, const char *name, int fd)
{
    struct stat a, b;
    int rc = rm_contents(fd, 0);
    /* The name is the owner's to rename: only the very directory goes,
     * and only empty (rmdir never follows a link). */
    if (rc == 0 && fstat(fd, &a) == 0 && fstatat(pfd, name, &b, AT_SYMLINK_NOFOLLOW) == 0 &&
        a.st_dev == b.st_dev && a.st_ino == b.st_ino &&
        unlinkat(pfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
        rc = -1;
    return rc;
}

int ckpt_rmtree(const char *path)
{
    return ckpt_rmtree_at(AT_FDCWD, path);
}

/* $CKMIG_TIMING=1: how long each phase took, on stderr (for the benchmark). */
void ckpt_phase(const char *who, const char *name)
{
    static struct timespec last;
    struct timespec now;
    const char *on = getenv("CKMIG_TIMING");
    if (!on || !*on || !strcmp(on, "0"))
        return;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (name && last.tv_sec)
        fprintf(stderr, "%s: %-10s %.3f s\n", who, name,
                (double)(now.tv_sec - last.tv_sec) + (now.tv_nsec - last.tv_nsec) / 1e9);
    last = now;
}
