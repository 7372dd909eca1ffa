/* The job's open regular files, dumped by CRIU as external files.
 *
 * At restore CRIU would reopen every file by its path, as root; so
 * cr_restart opens each itself, as the job's owner, and hands the
 * descriptor over (ckpt_reopen.c).  CRIU finds a handed-over file by its
 * path, and a path names one descriptor: two open file descriptions of one
 * file (two opens, two offsets: zdtm file_shared) would share it, and a
 * deleted file and a new one at the same path (zdtm unlink_fstat01+) would
 * be confused.  A file dumped as --external file[MNT:INO] is found by that
 * key instead, and CRIU reopens it for each of its file entries through
 * /proc/self/fd/N of the descriptor handed over (criu/files-reg.c
 * open_path): each description with its own flags and offset, through the
 * inode the owner opened, no path walked as root.
 *
 * So before the dump every regular file a process of the job holds open
 * (not deleted, not on /proc: CRIU restores those itself) is named to CRIU
 * as external, and after it the manifest's file list records each file's
 * key (MAC-covered: which path cr_restart opens for which key is ours,
 * never taken from CRIU's images).  Every file entry of that inode becomes
 * external, mappings and executables too (CRIU's key is the inode).
 *
 * Not a file any descriptor of which was opened O_NOFOLLOW (a MOM's spool
 * files): CRIU reopens with the entry's flags, and O_NOFOLLOW refuses the
 * /proc/self/fd/N link (ELOOP, "Can't open file fd/1").  Such a file is
 * handed over by path, as before. */
#include "checkpoint/ckpt_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct ext_item {
    char key[64];
    char *path;
    dev_t dev;
    ino_t ino;
    bool nofollow;          /* some descriptor of the key has O_NOFOLLOW: not external */
};

struct ckpt_ext_plan {
    struct ext_item *v;
    size_t n, cap;
    char **argv;        /* "--external", "file[..]" pairs for CRIU */
};

static bool deleted(const char *path)
{
    size_t l = strlen(path);
    return l > 10 && !strcmp(path + l - 10, " (deleted)");
}

static int add(struct ckpt_ext_plan *p, const char *key, const char *path, const struct stat *st,
               bool nofollow)
{
    bool seen = false;
    for (size_t i = 0; i < p->n; i++)
        if (!strcmp(p->v[i].key, key)) {
            nofollow |= p->v[i].nofollow;
            p->v[i].nofollow = nofollow;
            seen |= !strcmp(p->v[i].path, path);
        }
    if (seen)
        return 0;
    if (p->n == p->cap) {
        size_t nc = p->cap ? 2 * p->cap : 16;
        struct ext_item *nv = realloc(p->v, nc * sizeof(*nv));
        if (!nv)
            return -1;
        p->v = nv;
        p->cap = nc;
    }
    struct ext_item *it = &p->v[p->n];
    snprintf(it->key, sizeof(it->key), "%s", key);
    it->dev = st->st_dev;
    it->ino = st->st_ino;
    it->nofollow = nofollow;
    it->path = strdup(path);
    if (!it->path)
        return -1;
    p->n++;
    return 0;
}

static int plan_process(struct ckpt_ext_plan *p, pid_t pid, const struct ckpt_save_plan *saves)
{
    char dpath[64];
    snprintf(dpath, sizeof(dpath), "/proc/%d/fd", (int)pid);
    DIR *d = opendir(dpath);
    struct dirent *de;
    int rc = 0;
    while (rc == 0 && d && (de = readdir(d))) {
        char fpath[512], info[512], target[4096], key[64];
        struct stat st;
        if (de->d_name[0] == '.')
            continue;
        snprintf(fpath, sizeof(fpath), "%s/%s", dpath, de->d_name);
        snprintf(info, sizeof(info), "/proc/%d/fdinfo/%s", (int)pid, de->d_name);
        ssize_t l = readlink(fpath, target, sizeof(target) - 1);
        if (l <= 0 || target[0] != '/' || stat(fpath, &st) < 0 || !S_ISREG(st.st_mode))
            continue;
        target[l] = '\0';
        unsigned flags;
        int mnt = ckpt_fdinfo(info, &flags);
        if (mnt < 0 || deleted(target) || !strncmp(target, "/proc/", 6))
            continue;
        /* CRIU's own spelling (files-reg.c): file[%x:%PRIx64] */
        snprintf(key, sizeof(key), "file[%x:%llx]", (unsigned)mnt, (unsigned long long)st.st_ino);
        if (!ckpt_save_has(saves, key))     /* a saved copy stands in for it */
            rc = add(p, key, target, &st, (flags & O_NOFOLLOW) != 0);
    }
    if (d)
        closedir(d);
    return rc;
}

struct ckpt_ext_plan *ckpt_ext_plan(pid_t init, const struct ckpt_save_plan *saves,
                                    struct ckpt_err *e)
{
    struct ckpt_ext_plan *p = calloc(1, sizeof(*p));
    pid_t *pids = NULL;
    size_t n = 0, k = 0;

    if (!p || ckpt_ns_members(init, &pids, &n) < 0) {
        ckpt_err_set(e, errno ? errno : ENOMEM, "cannot list the job's processes: %s",
                     strerror(errno ? errno : ENOMEM));
        goto fail;
    }
    for (size_t i = 0; i < n; i++)
        if (plan_process(p, pids[i], saves) < 0)
            goto oom;
    /* one option per key (two paths of one inode: hard links) */
    if (!(p->argv = calloc(2 * p->n + 1, sizeof(char *))))
        goto oom;
    for (size_t i = 0; i < p->n; i++) {
        bool dup = false;
        for (size_t j = 0; j < i && !dup; j++)
            dup = !strcmp(p->v[j].key, p->v[i].key);
        if (!dup && !p->v[i].nofollow) {
            p->argv[k++] = "--external";
            p->argv[k++] = p->v[i].key;
        }
    }
    free(pids);
    return p;
oom:
    ckpt_err_set(e, ENOMEM, "out of memory");
fail:
    free(pids);
    ckpt_ext_free(p);
    return NULL;
}

char *const *ckpt_ext_criu_args(const struct ckpt_ext_plan *p, size_t *n)
{
    *n = 0;
    while (p && p->argv && p->argv[*n])
        (*n)++;
    return p ? p->argv : NULL;
}

static bool same_file(const struct ckpt_file *c, const struct ext_item *it)
{
    return !c->dir && c->has_id && !strcmp(c->path, it->path) &&
           c->dev == (unsigned long long)it->dev && c->ino == (unsigned long long)it->ino;
}

/* One record per key: the job's own record of the file (path, inode), or
 * a copy of it when that has another key already (one path reached
 * through two mounts, one of them covered since). */
int ckpt_ext_note(const struct ckpt_ext_plan *p, struct ckpt_manifest *m)
{
    for (size_t i = 0; p && i < p->n; i++) {
        const struct ext_item *it = &p->v[i];
        size_t k = 0, free_one = m->nfiles;
        bool done = it->nofollow;
        for (; k < m->nfiles && !done; k++) {
            if (!same_file(&m->files[k], it))
                continue;
            done = m->files[k].ext && !strcmp(m->files[k].ext, it->key);
            if (!m->files[k].ext && free_one == m->nfiles)
                free_one = k;
        }
        if (done)
            continue;
        if (free_one == m->nfiles) {
            size_t src = 0;
            while (src < m->nfiles && !same_file(&m->files[src], it))
                src++;
            if (src == m->nfiles)
                continue;   /* closed before the scan: CRIU did not see it either */
            struct ckpt_file *nf = realloc(m->files, (m->nfiles + 1) * sizeof(*nf));
            if (!nf)
                return -1;
            m->files = nf;
            nf[m->nfiles] = nf[src];
            nf[m->nfiles].ext = NULL;
            if (!(nf[m->nfiles].path = strdup(nf[src].path)))
                return -1;
            m->nfiles++;
        }
        if (!(m->files[free_one].ext = strdup(it->key)))
            return -1;
    }
    return 0;
}

void ckpt_ext_free(struct ckpt_ext_plan *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++)
        free(p->v[i].path);
    free(p->v);
    free(p->argv);
    free(p);
}
