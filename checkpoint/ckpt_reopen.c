/* The job's files at restore: opened by us as the job's owner, never by
 * CRIU as root.
 *
 * CRIU would reopen each regular file, mapped file, executable and working
 * directory by path, as root, following links: a job owner who replaced
 * ~/data by a link to /etc/shadow after the checkpoint would get root's
 * file.  So every such file (ckpt_criu_files) is opened here with the
 * owner's file-system ids and groups, component by component without
 * following any symbolic link (the paths CRIU recorded are the kernel's,
 * which has none), checked as CRIU checks it (type, size, mode), and
 * handed to CRIU as a descriptor with --inherit-fd.  CRIU then uses it as
 * it is: its flags and position are set here, from the image.
 *
 * CRIU's key for a file is its path: two open file descriptions of one
 * path (or an fd and a mapping of it) share the descriptor we give, so
 * they get the union of the access they need and the furthest position. */
#include "checkpoint/ckpt_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <unistd.h>

int ckpt_inherit_add(struct ckpt_inherits *s, int fd, const char *path, struct ckpt_err *e)
{
    if (s->n == s->cap) {
        size_t nc = s->cap ? 2 * s->cap : 16;
        struct ckpt_inherit *nv = realloc(s->v, nc * sizeof(*nv));
        if (!nv) {
            close(fd);
            return ckpt_err_set(e, ENOMEM, "out of memory");
        }
        s->v = nv;
        s->cap = nc;
    }
    char *key = strdup(path[0] == '/' ? path + 1 : path);
    if (!key) {
        close(fd);
        return ckpt_err_set(e, ENOMEM, "out of memory");
    }
    s->v[s->n].fd = fd;
    s->v[s->n].key = key;
    s->n++;
    return 0;
}

bool ckpt_inherit_has(const struct ckpt_inherits *s, const char *path)
{
    const char *key = path[0] == '/' ? path + 1 : path;
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i].key, key) == 0)
            return true;
    return false;
}

void ckpt_inherits_free(struct ckpt_inherits *s)
{
    for (size_t i = 0; i < s->n; i++) {
        close(s->v[i].fd);
        free(s->v[i].key);
    }
    free(s->v);
    memset(s, 0, sizeof(*s));
}

/* ---- one file ---- */

/* Opens path from "/" one component at a time, following no symbolic
 * link and no "..".  *link gets the component that was a link; *root_path
 * (if given) whether every directory on the way is root's and writable by
 * nobody else, so that nobody but root can have changed what it leads to. */
static int open_nofollow(const char *path, int flags, char *link, size_t linklen,
                         bool *root_path)
{
    int dfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC), fd = -1;
    char *copy = strdup(path), *save = NULL;
    char *comp = copy ? strtok_r(copy, "/", &save) : NULL;
    size_t done = 0;

    link[0] = '\0';
    if (dfd < 0 || !copy || !comp) {
        errno = copy ? EINVAL : ENOMEM;
        goto out;
    }
    if (root_path)
        *root_path = true;
    while (comp) {
        char *next = strtok_r(NULL, "/", &save);
        struct stat dst;
        if (root_path && (fstat(dfd, &dst) < 0 || dst.st_uid != 0 || (dst.st_mode & 022)))
            *root_path = false;
        if (!strcmp(comp, "..") || !strcmp(comp, ".")) {
            errno = EINVAL;
            goto out;
        }
        int nfd = next ? openat(dfd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                       : openat(dfd, comp, flags | O_NOFOLLOW | O_CLOEXEC);
        if (nfd < 0) {
            int err = errno;
            struct stat st;
            if ((err == ENOTDIR || err == ELOOP) && fstatat(dfd, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                S_ISLNK(st.st_mode)) {
                snprintf(link, linklen, "%.*s/%s", (int)done, path, comp);
                err = ELOOP;
            }
            errno = err;
            goto out;
        }
        done = (size_t)(comp - copy) + strlen(comp);
        close(dfd);
        dfd = nfd;
        comp = next;
    }
    fd = dfd;
    dfd = -1;
out:;
    int err = errno;
    if (dfd >= 0)
        close(dfd);
    free(copy);
    errno = err;
    return fd;
}

/* What all entries of one path need from the descriptor they share. */
struct need {
    bool read, write, path_only, dir;
    int extra;              /* O_APPEND, O_NONBLOCK, ... as the job had them */
    long long pos;
};

static void need_of(const struct ckpt_criu_file *f, size_t n, size_t first, struct need *nd)
{
    const int keep = O_APPEND | O_NONBLOCK | O_DIRECT | O_SYNC | O_DSYNC | O_NOATIME | O_LARGEFILE;
    memset(nd, 0, sizeof(*nd));
    nd->path_only = true;
    nd->dir = f[first].has_mode && S_ISDIR(f[first].mode);
    for (size_t i = first; i < n; i++) {
        /* an external file's path is CRIU's key for it (ckpt_extfiles.c) */
        if (strcmp(f[i].path, f[first].path) != 0 || f[i].remapped || f[i].tty)
            continue;
        if (f[i].flags & O_PATH)
            continue;
        nd->path_only = false;
        /* a mapping's entry is never write-only: it reads */
        int acc = (int)(f[i].flags & O_ACCMODE);
        if (acc == O_RDONLY || acc == O_RDWR)
            nd->read = true;
        if (acc == O_WRONLY || acc == O_RDWR)
            nd->write = true;
        /* CRIU maps a file through a descriptor with the mapping's own
         * flags: a shared writable mapping needs write access even where
         * the job's descriptor (or none, closed) was read-only */
        nd->read |= f[i].map_read;
        nd->write |= f[i].map_write;
        nd->extra |= (int)f[i].flags & keep;
        if (f[i].pos != (uint64_t)-1 && (long long)f[i].pos > nd->pos)
            nd->pos = (long long)f[i].pos;
    }
}

static const struct ckpt_file *held(const struct ckpt_manifest *m, const char *path)
{
    for (size_t i = 0; i < m->nfiles; i++)
        if (m->files[i].has_id && strcmp(m->files[i].path, path) == 0)
            return &m->files[i];
    return NULL;
}

/* A file the job held but its owner may not open (root handed it to the
 * job: a shell's redirection to a root-owned log, the batch system's job
 * script on stdin): root opens it, following no link, only if it is still
 * the very inode the job held, of the same owner (h, when the manifest
 * recorded it), or if nobody but root can have put it there: the file and
 * every directory on its path root's and writable by nobody else (a MOM's
 * mom_priv/jobs on another node).  The job gets back what root gave it. */
static int open_held(const struct ckpt_file *h, int flags, const char *p, uid_t owner,
                     gid_t gid)
{
    char link[4096];
    struct stat st;
    setfsuid(geteuid());
    setfsgid(getegid());
    bool root_path = false;
    int fd = open_nofollow(p, flags, link, sizeof(link), &root_path);
    int err = errno;
    setfsgid(gid);
    setfsuid(owner);
    if (fd < 0) {
        errno = err;
        return -1;
    }
    bool same = fstat(fd, &st) == 0 && h && (unsigned long long)st.st_dev == h->dev &&
                (unsigned long long)st.st_ino == h->ino && st.st_uid == h->owner;
    bool roots = root_path && st.st_uid == 0 && !(st.st_mode & 022);
    if (!same && !roots) {
        close(fd);
        errno = EACCES;
        return -1;
    }
    return fd;
}

/* The manifest's record of an external file's key. */
static const struct ckpt_file *keyed(const struct ckpt_manifest *m, const char *key)
{
    for (size_t i = 0; i < m->nfiles; i++)
        if (m->files[i].ext && !m->files[i].dir && strcmp(m->files[i].ext, key) == 0)
            return &m->files[i];
    return NULL;
}

/* f: CRIU's entry; orig: the path the job had it at (f's own, or for an
 * external file the manifest's); p: where it is opened now. */
static int open_one(const struct ckpt_criu_file *f, const char *orig, const struct need *nd,
                    const char *p, const struct ckpt_manifest *m, struct ckpt_err *e)
{
    char link[4096];
    int flags;
    uid_t owner = m->uid;

    if (nd->dir)
        flags = (nd->path_only ? O_PATH : O_RDONLY) | O_DIRECTORY;
    else if (nd->path_only)
        flags = O_PATH;
    else
        flags = (nd->write ? (nd->read ? O_RDWR : O_WRONLY) : O_RDONLY) |
                (nd->extra & ~O_NONBLOCK) | O_NONBLOCK | O_NOCTTY;
    /* O_NONBLOCK while opening: a FIFO put in its place must not hang us. */
    int fd = open_nofollow(p, flags, link, sizeof(link), NULL);
    if (fd < 0 && (errno == EACCES || errno == EPERM)) {
        const struct ckpt_file *h = strcmp(p, orig) == 0 ? held(m, orig) : NULL;
        fd = open_held(h, flags, p, m->uid, m->gid);
        if (fd < 0 && errno == EACCES)
            return ckpt_err_set(e, EACCES,
                                "the job's owner (uid %u) may not open the job's file %s, and it "
                                "is neither the file the job held at the checkpoint nor on a "
                                "path only root controls: refused", (unsigned)owner, p);
    }
    if (fd < 0) {
        int err = errno;
        const char *what = nd->dir ? "working directory" : "open file";
        if (err == ENOENT && nd->dir)
            return ckpt_err_set(e, ENOENT,
                                "the job's working directory %s is missing on this node "
                                "(--relocate OLD=NEW moves it)", p);
        if (err == ENOENT && !strncmp(p, "/proc/", 6))
            return ckpt_err_set(e, ENOENT,
                                "the job's open file %s is gone: it names a process by its PID on "
                                "the node, which the restored job does not have (the job sees the "
                                "node's /proc: open /proc/self instead)", p);
        if (err == ENOENT)
            return ckpt_err_set(e, ENOENT,
                                "the job's open file %s is missing on this node (the restore needs "
                                "it at that path with %lld bytes; --relocate OLD=NEW moves it)",
                                p, f->size);
        if (err == ELOOP)
            return ckpt_err_set(e, ELOOP,
                                "the job's %s %s: %s is a symbolic link now, and was none at the "
                                "checkpoint: refused", what, p, link[0] ? link : p);
        if (err == EACCES || err == EPERM)
            return ckpt_err_set(e, err,
                                "the job's owner (uid %u) may not open the job's %s %s: %s: refused",
                                (unsigned)owner, what, p, strerror(err));
        return ckpt_err_set(e, err, "cannot open the job's %s %s as its owner: %s", what, p,
                            strerror(err));
    }
    struct stat st;
    int rc = -1;
    if (fstat(fd, &st) < 0)
        ckpt_err_set(e, errno, "cannot stat %s: %s", p, strerror(errno));
    else if (f->has_mode && (st.st_mode & S_IFMT) != (f->mode & S_IFMT))
        ckpt_err_set(e, ESTALE, "the job's file %s is not of the type it was at the checkpoint "
                     "(mode %06o, was %06o): refused", p, (unsigned)st.st_mode, (unsigned)f->mode);
    else if (S_ISREG(st.st_mode) && f->has_size && st.st_size != f->size)
        ckpt_err_set(e, ESTALE,
                     "the job's open file %s has %lld bytes, the checkpoint expects %lld (it "
                     "changed after the checkpoint)", p, (long long)st.st_size, f->size);
    else if (f->has_mode && st.st_mode != f->mode)
        ckpt_err_set(e, ESTALE, "the job's file %s has mode %04o, the checkpoint expects %04o",
                     p, (unsigned)(st.st_mode & 07777), (unsigned)(f->mode & 07777));
    else if (!(flags & O_PATH) &&
             fcntl(fd, F_SETFL, nd->extra & (O_APPEND | O_DIRECT | O_NOATIME | O_NONBLOCK)) < 0)
        ckpt_err_set(e, errno, "fcntl %s: %s", p, strerror(errno));
    else if (!(flags & O_PATH) && S_ISREG(st.st_mode) && lseek(fd, nd->pos, SEEK_SET) < 0)
        ckpt_err_set(e, errno, "cannot seek in %s: %s", p, strerror(errno));
    else
        rc = 0;
    if (rc < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* A FIFO as CRIU opens one (criu/fifo.c): first read-write, which never
 * waits for the other end, then with the job's flags through that
 * descriptor's /proc link (the same inode, no path walked again), and the
 * data it held written back through the first.  CRIU does all this only
 * when it opens the FIFO itself, never for a descriptor handed over. */
static int open_fifo(int imgfd, const struct ckpt_criu_file *f, const struct need *nd,
                     const char *p, const struct ckpt_manifest *m, struct ckpt_err *e)
{
    char link[4096], self[64];
    struct stat st;
    int fd = -1, fake = open_nofollow(p, O_RDWR | O_NONBLOCK, link, sizeof(link), NULL);

    if (fake < 0)
        return ckpt_err_set(e, errno, "cannot open the job's FIFO %s as its owner: %s", p,
                            strerror(errno));
    if (fstat(fake, &st) < 0 || !S_ISFIFO(st.st_mode)) {
        ckpt_err_set(e, ESTALE, "the job's FIFO %s is not a FIFO any more: refused", p);
        goto out;
    }
    snprintf(self, sizeof(self), "/proc/self/fd/%d", fake);
    fd = open(self, (nd->write ? (nd->read ? O_RDWR : O_WRONLY) : O_RDONLY) | O_NONBLOCK |
                        O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        ckpt_err_set(e, errno, "cannot open the job's FIFO %s as its owner: %s", p, strerror(errno));
        goto out;
    }
    if (fcntl(fd, F_SETFL, nd->extra & (O_APPEND | O_NONBLOCK)) < 0) {
        ckpt_err_set(e, errno, "fcntl %s: %s", p, strerror(errno));
        close(fd);
        fd = -1;
    } else {
        /* the images are root's: read them as root, write as the owner */
        setfsuid(geteuid());
        setfsgid(getegid());
        int r = ckpt_criu_fifo_data(imgfd, f->pipe_id, fake, e);
        setfsgid(m->gid);
        setfsuid(m->uid);
        if (r < 0) {
            close(fd);
            fd = -1;
        }
    }
out:
    close(fake);
    return fd;
}

int ckpt_reopen_files(int imgfd, const struct ckpt_manifest *m,
                      const struct ckpt_relocation *reloc, size_t nreloc,
                      struct ckpt_inherits *s, struct ckpt_err *e)
{
    struct ckpt_criu_file *f = NULL;
    struct ckpt_owner_ids sv = { .changed = false };
    size_t n = 0;
    int rc = -1;

    if (ckpt_criu_files(imgfd, &f, &n, e) < 0)
        return -1;
    if (ckpt_become_owner(m->uid, m->gid, &sv, e) < 0)
        goto out;
    for (size_t i = 0; i < n; i++) {
        struct need nd;
        /* An external file: the manifest says which path its key stands
         * for (ckpt_extfiles.c); one saved by --save-* is in s already. */
        const struct ckpt_file *x = f[i].ext ? keyed(m, f[i].path) : NULL;
        const char *orig = x ? x->path : f[i].path;
        if (f[i].ext && !x && !ckpt_inherit_has(s, f[i].path)) {
            ckpt_err_set(e, EBADMSG, "CRIU's images name an external file %s that the "
                         "manifest does not record: refused", f[i].path);
            goto out;
        }
        /* the root directory is not the user's; remapped files CRIU
         * restores from its own images, and a terminal on the pty it makes
         * anew (a descriptor of ours would be the old index's, another pty
         * or none) */
        if (f[i].remapped || (f[i].ext && !x) || f[i].tty || orig[0] != '/' ||
            !strcmp(orig, "/") || ckpt_inherit_has(s, f[i].path))
            continue;
        for (size_t j = 0; j < n && !x; j++)
            if (f[j].remapped && !strcmp(f[j].path, f[i].path)) {
                ckpt_err_set(e, EEXIST,
                             "the job holds a deleted file and another file now at the same "
                             "path %s; CRIU tells the two apart only by path, so they cannot "
                             "both be restored safely", f[i].path);
                goto out;
            }
        need_of(f, n, i, &nd);
        char *p = ckpt_relocate(orig, reloc, nreloc);
        if (!p) {
            ckpt_err_set(e, ENOMEM, "out of memory");
            goto out;
        }
        int fd = f[i].fifo ? open_fifo(imgfd, &f[i], &nd, p, m, e)
                           : open_one(&f[i], orig, &nd, p, m, e);
        free(p);
        if (fd < 0 || ckpt_inherit_add(s, fd, f[i].path, e) < 0)
            goto out;
    }
    rc = 0;
out:
    ckpt_become_root(&sv);
    ckpt_criu_files_free(f, n);
    return rc;
}
