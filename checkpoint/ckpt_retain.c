/* Retention: keep the newest N complete checkpoints of a directory (the
 * job's depth), and sweep temporaries left by interrupted checkpoints. */
#include "checkpoint/ckpt_internal.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct cand {
    char *name;
    long long time;
};

static int newest_first(const void *a, const void *b)
{
    const struct cand *x = a, *y = b;
    if (x->time != y->time)
        return x->time > y->time ? -1 : 1;
    return strcmp(y->name, x->name);
}

/* ".NAME.tmp.PID" whose writer is gone. */
static bool stale_tmp(const char *name)
{
    const char *t = strstr(name, ".tmp.");
    if (name[0] != '.' || !t)
        return false;
    char *end;
    long pid = strtol(t + 5, &end, 10);
    if (end == t + 5 || (*end && strncmp(end, ".old.", 5)))
        return false;
    return pid > 0 && kill((pid_t)pid, 0) < 0 && errno == ESRCH;
}

int ckpt_retain(const char *dir, const char *prefix, int keep, struct ckpt_err *e)
{
    DIR *d;
    struct dirent *de;
    struct cand *c = NULL;
    size_t n = 0, cap = 0;
    int deleted = 0, rc = -1;
    char path[4200];

    if (keep < 1)
        return ckpt_err_setc(e, EINVAL, CKPT_FAIL_ARGS, "depth must be at least 1 (is %d)", keep);
    d = opendir(dir);
    if (!d)
        return ckpt_err_set(e, errno, "cannot read %s: %s", dir, strerror(errno));
    while ((de = readdir(d))) {
        struct ckpt_manifest m;
        struct ckpt_err ignore;
        struct stat st;
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        if (stale_tmp(de->d_name) && lstat(path, &st) == 0 && st.st_uid == 0 && S_ISDIR(st.st_mode)) {
            if (ckpt_rmtree(path) == 0)
                deleted++;
            continue;
        }
        if (de->d_name[0] == '.' || (prefix && strncmp(de->d_name, prefix, strlen(prefix))))
            continue;
        if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode))
            continue;
        if (ckpt_manifest_read(path, &m, &ignore) < 0)
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
        if (ckpt_rmtree(path) < 0) {
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
