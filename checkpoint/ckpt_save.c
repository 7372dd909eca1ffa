/* BLCR's --save-exe, --save-private, --save-shared, --save-all: copies of
 * the job's executables and mapped files go into the checkpoint, so that
 * a restart works after the originals were replaced or deleted.
 *
 * CRIU is told to dump each such file as external (--external
 * file[MNT:INO]: it records that name instead of the path and checks
 * nothing about the file), the copies become images of the checkpoint
 * (hashed, MAC-covered), and at restore each copy is put into a memfd of
 * the same mode and handed to CRIU with --inherit-fd fd[N]:file[MNT:INO].
 * A fresh copy, not the one in the checkpoint: the job may write into a
 * shared mapping, and the unpacked copy of a context file is deleted after
 * the restore.  Mapped files go into a memfd (CRIU dumps memfd mappings by
 * itself later).  An executable must be a regular file for CRIU's restore
 * (it cannot restore a memfd as a task's exe), so it goes into an unlinked
 * file /var/tmp/ckmig-saved.XXXXXX.NAME (not on a noexec mount), and every
 * later checkpoint saves such files again, with or without --save-*. */
#include "checkpoint/ckpt_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define SAVED_MEMFD "ckmig-saved:"
#define SAVED_FILE  "ckmig-saved."
#define SAVED_DIR   "/var/tmp"

struct save_item {
    int fd;
    dev_t dev;
    ino_t ino;
    unsigned kind;
    char ext[64];
    char *path;
};

struct ckpt_save_plan {
    struct save_item *v;
    size_t n, cap;
    char **argv;        /* "--external", "file[..]" pairs for CRIU */
};

/* A copy an earlier restore made of a saved executable (see above). */
static bool is_saved_copy(const char *path)
{
    const char *base = strrchr(path, '/');
    size_t l = strlen(path);
    return base && !strncmp(base + 1, SAVED_FILE, strlen(SAVED_FILE)) && l > 10 &&
           !strcmp(path + l - 10, " (deleted)");
}

int ckpt_fdinfo(const char *fdinfo, unsigned *flags)
{
    char line[256];
    int id = -1;
    unsigned fl = 0;
    FILE *f = fopen(fdinfo, "re");
    while (f && fgets(line, sizeof(line), f))
        if (sscanf(line, "mnt_id: %d", &id) != 1)
            (void)sscanf(line, "flags: %o", &fl);
    if (f)
        fclose(f);
    if (flags)
        *flags = fl;
    return id;
}

/* Adds the file open on fd (takes it); duplicates (same inode) merge. */
static int add(struct ckpt_save_plan *p, int fd, const char *path, unsigned kind)
{
    struct stat st;
    char info[64];
    snprintf(info, sizeof(info), "/proc/self/fdinfo/%d", fd);
    int id = ckpt_fdinfo(info, NULL);

    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || id < 0) {
        close(fd);
        return 0;   /* not a regular file: nothing CRIU would reopen by path */
    }
    for (size_t i = 0; i < p->n; i++)
        if (p->v[i].dev == st.st_dev && p->v[i].ino == st.st_ino) {
            p->v[i].kind |= kind;
            close(fd);
            return 0;
        }
    if (p->n == p->cap) {
        size_t nc = p->cap ? 2 * p->cap : 16;
        struct save_item *nv = realloc(p->v, nc * sizeof(*nv));
        if (!nv) {
            close(fd);
            return -1;
        }
        p->v = nv;
        p->cap = nc;
    }
    struct save_item *it = &p->v[p->n];
    it->fd = fd;
    it->dev = st.st_dev;
    it->ino = st.st_ino;
    it->kind = kind;
    /* CRIU's own spelling (files-reg.c): file[%x:%PRIx64] */
    snprintf(it->ext, sizeof(it->ext), "file[%x:%llx]", (unsigned)id, (unsigned long long)st.st_ino);
    it->path = strdup(path);
    if (!it->path) {
        close(fd);
        return -1;
    }
    p->n++;
    return 0;
}

static int plan_process(struct ckpt_save_plan *p, pid_t pid, unsigned what)
{
    char path[4096], link[128], line[4608];
    ssize_t l;

    snprintf(link, sizeof(link), "/proc/%d/exe", (int)pid);
    if ((l = readlink(link, path, sizeof(path) - 1)) > 0) {
        path[l] = '\0';
        if ((what & CKPT_SAVE_EXE) || is_saved_copy(path)) {
            int fd = open(link, O_RDONLY | O_CLOEXEC);
            if (fd >= 0 && add(p, fd, path, CKPT_SAVE_EXE) < 0)
                return -1;
        }
    }
    snprintf(link, sizeof(link), "/proc/%d/maps", (int)pid);
    FILE *f = fopen(link, "re");
    if (!f)
        return 0;   /* gone: CRIU will say so */
    while (fgets(line, sizeof(line), f)) {
        unsigned long start, end, ino;
        char perms[8];
        int off = 0;
        if (sscanf(line, "%lx-%lx %7s %*s %*s %lu %n", &start, &end, perms, &ino, &off) < 4 ||
            !ino || !off || line[off] != '/')
            continue;
        char *name = line + off;
        name[strcspn(name, "\n")] = '\0';
        unsigned kind = perms[3] == 's' ? CKPT_SAVE_SHARED : CKPT_SAVE_PRIVATE;
        bool ours = is_saved_copy(name);
        size_t nl = strlen(name);
        if (!ours && (!(what & kind) || (nl > 10 && !strcmp(name + nl - 10, " (deleted)"))))
            continue;   /* a deleted file is CRIU's to handle */
        snprintf(link, sizeof(link), "/proc/%d/map_files/%lx-%lx", (int)pid, start, end);
        int fd = open(link, O_RDONLY | O_CLOEXEC);
        if (fd >= 0 && add(p, fd, name, kind) < 0) {
            fclose(f);
            return -1;
        }
    }
    fclose(f);
    return 0;
}

struct ckpt_save_plan *ckpt_save_plan(pid_t init, unsigned what, struct ckpt_err *e)
{
    struct ckpt_save_plan *p = calloc(1, sizeof(*p));
    pid_t *pids = NULL;
    size_t n = 0;

    if (!p || ckpt_ns_members(init, &pids, &n) < 0) {
        ckpt_err_set(e, errno ? errno : ENOMEM, "cannot list the job's processes: %s",
                     strerror(errno ? errno : ENOMEM));
        goto fail;
    }
    for (size_t i = 0; i < n; i++)
        if (plan_process(p, pids[i], what) < 0) {
            ckpt_err_set(e, ENOMEM, "out of memory");
            goto fail;
        }
    p->argv = calloc(2 * p->n + 1, sizeof(char *));
    if (!p->argv) {
        ckpt_err_set(e, ENOMEM, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < p->n; i++) {
        p->argv[2 * i] = "--external";
        p->argv[2 * i + 1] = p->v[i].ext;
    }
    free(pids);
    return p;
fail:
    free(pids);
    ckpt_save_free(p);
    return NULL;
}

char *const *ckpt_save_criu_args(const struct ckpt_save_plan *p, size_t *n)
{
    *n = p ? 2 * p->n : 0;
    return p ? p->argv : NULL;
}

bool ckpt_save_has(const struct ckpt_save_plan *p, const char *ext)
{
    for (size_t i = 0; p && i < p->n; i++)
        if (!strcmp(p->v[i].ext, ext))
            return true;
    return false;
}

void ckpt_save_free(struct ckpt_save_plan *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++) {
        close(p->v[i].fd);
        free(p->v[i].path);
    }
    free(p->v);
    free(p->argv);
    free(p);
}

static int copy_fd(int in, int out)
{
    char buf[1 << 16];
    loff_t off = 0;
    for (;;) {
        ssize_t c = copy_file_range(in, &off, out, NULL, 1 << 30, 0);
        if (c == 0)
            return 0;
        if (c > 0)
            continue;
        if (errno == EINTR)
            continue;
        if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
            return -1;
        break;
    }
    for (;;) {     /* no copy_file_range between these two: read and write */
        ssize_t r = pread(in, buf, sizeof(buf), off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return (int)r;
        for (ssize_t w = 0, k; w < r; w += k)
            if ((k = write(out, buf + w, (size_t)(r - w))) <= 0)
                return -1;
        off += r;
    }
}

int ckpt_save_copy(const struct ckpt_save_plan *p, int tfd, const char *tdir,
                   const struct ckpt_hasher *h, struct ckpt_manifest *m, struct ckpt_err *e)
{
    if (!p || !p->n)
        return 0;
    struct ckpt_image *ni = realloc(m->images, (m->nimages + p->n) * sizeof(*ni));
    if (ni)
        m->images = ni;
    m->saved = calloc(p->n, sizeof(*m->saved));
    if (!ni || !m->saved)
        return ckpt_err_set(e, ENOMEM, "out of memory");
    for (size_t i = 0; i < p->n; i++) {
        const struct save_item *it = &p->v[i];
        struct ckpt_saved *sv = &m->saved[m->nsaved];
        struct ckpt_image *im = &m->images[m->nimages];
        char name[64], path[4200];
        struct stat st;

        snprintf(name, sizeof(name), "ckmig-saved-%03zu.img", i + 1);
        int out = openat(tfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (out < 0 || copy_fd(it->fd, out) < 0 || fstat(it->fd, &st) < 0) {
            int err = errno;
            if (out >= 0)
                close(out);
            return ckpt_err_set(e, err, "cannot save %s into the checkpoint: %s", it->path,
                                strerror(err));
        }
        close(out);
        memset(im, 0, sizeof(*im));
        im->name = strdup(name);
        m->nimages++;
        snprintf(path, sizeof(path), "%s/%s", tdir, name);
        if (!im->name || ckpt_hash_file(path, name, h, &im->size, im->digest, e) < 0)
            return im->name ? -1 : ckpt_err_set(e, ENOMEM, "out of memory");
        sv->path = strdup(it->path);
        sv->image = strdup(name);
        sv->ext = strdup(it->ext);
        sv->mode = (unsigned)st.st_mode;
        sv->kind = it->kind;
        m->nsaved++;
        if (!sv->path || !sv->image || !sv->ext)
            return ckpt_err_set(e, ENOMEM, "out of memory");
    }
    return 0;
}

int ckpt_saved_inherit(int dfd, const struct ckpt_manifest *m, struct ckpt_inherits *s,
                       struct ckpt_err *e)
{
    for (size_t i = 0; i < m->nsaved; i++) {
        const struct ckpt_saved *sv = &m->saved[i];
        bool listed = false;
        for (size_t k = 0; k < m->nimages && !listed; k++)
            listed = !strcmp(m->images[k].name, sv->image);
        if (!listed)
            return ckpt_err_set(e, EBADMSG, "saved copy %s of %s is not among the verified images",
                                sv->image, sv->path);
        const char *base = strrchr(sv->path, '/');
        char mname[200];
        base = base ? base + 1 : sv->path;
        if (!strncmp(base, SAVED_FILE, strlen(SAVED_FILE)) && strlen(base) > strlen(SAVED_FILE) + 7)
            base += strlen(SAVED_FILE) + 7;     /* a copy of a copy: keep the first name */
        int in = openat(dfd, sv->image, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), mfd;
        if (sv->kind & CKPT_SAVE_EXE) {
            snprintf(mname, sizeof(mname), SAVED_DIR "/" SAVED_FILE "XXXXXX.%.100s", base);
            mname[strcspn(mname, " ")] = '\0';     /* " (deleted)" */
            mfd = mkostemps(mname, (int)strlen(mname) - (int)strlen(SAVED_DIR "/" SAVED_FILE "XXXXXX"),
                            O_CLOEXEC);
        } else {
            snprintf(mname, sizeof(mname), SAVED_MEMFD "%.100s", base);
            mname[strcspn(mname, " ")] = '\0';
            mfd = memfd_create(mname, MFD_CLOEXEC);
        }
        int rc = in < 0 || mfd < 0 || copy_fd(in, mfd) < 0 || fchmod(mfd, sv->mode & 07777) < 0;
        if (!rc && (sv->kind & CKPT_SAVE_EXE)) {
            /* An exe must not be open for writing anywhere (the kernel
             * refuses it as a task's exe file): keep a read-only fd. */
            int ro = open(mname, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
            rc = ro < 0;
            close(mfd);
            mfd = ro;
            unlink(mname);  /* the job holds it; it goes when the job does */
        }
        int err = errno;
        if (in >= 0)
            close(in);
        if (rc) {
            if (mfd >= 0)
                close(mfd);
            return ckpt_err_set(e, err, "cannot hand back the saved copy of %s: %s", sv->path,
                                strerror(err));
        }
        if (ckpt_inherit_add(s, mfd, sv->ext, e) < 0)   /* the key is CRIU's name as it is */
            return -1;
    }
    return 0;
}
