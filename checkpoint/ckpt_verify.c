/* Verifying a checkpoint before CRIU may read it: manifest MAC, the exact
 * set of images, and every image's size and hash. */
#include "checkpoint/ckpt_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const struct ckpt_image *find_image(const struct ckpt_manifest *m, const char *name)
{
    for (size_t i = 0; i < m->nimages; i++)
        if (strcmp(m->images[i].name, name) == 0)
            return &m->images[i];
    return NULL;
}

/* Only root may be able to change what CRIU will read. */
static int check_owner(const char *path, const struct stat *st, struct ckpt_err *e)
{
    if (st->st_uid != 0 || (st->st_mode & 022))
        return ckpt_err_set(e, EACCES,
                            "%s is not root-only (uid %u, mode %04o): refusing to restore from it",
                            path, (unsigned)st->st_uid, (unsigned)(st->st_mode & 07777));
    return 0;
}

static int check_listing(const char *dir, const char *shown, const struct ckpt_manifest *m,
                         struct ckpt_err *e)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int rc = 0;

    if (!d)
        return ckpt_err_set(e, errno, "cannot read checkpoint %s: %s", shown, strerror(errno));
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
            !strcmp(de->d_name, CKPT_MANIFEST))
            continue;
        if (!find_image(m, de->d_name)) {
            rc = ckpt_err_set(e, EBADMSG,
                              "checkpoint %s holds %s, which its manifest does not list", shown,
                              de->d_name);
            break;
        }
    }
    closedir(d);
    return rc;
}

/* dir: how to reach the checkpoint (/proc/self/fd/N); shown: its name. */
static int verify_dir(const char *dir, const char *shown, const unsigned char key[CKPT_KEY_LEN],
                      struct ckpt_manifest *m, struct ckpt_err *e)
{
    struct stat st;
    char path[4096], spath[4096];
    struct ckpt_hasher h;

    memset(m, 0, sizeof(*m));
    memset(&h, 0, sizeof(h));
    if (stat(dir, &st) < 0)
        return ckpt_err_setc(e, errno, CKPT_FAIL_ARGS, "cannot open checkpoint %s: %s", shown,
                             strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return ckpt_err_setc(e, ENOTDIR, CKPT_FAIL_ARGS,
                             "%s is not a ckmig checkpoint (not a directory)", shown);
    if (check_owner(shown, &st, e) < 0)
        return -1;
    snprintf(path, sizeof(path), "%s/%s", dir, CKPT_MANIFEST);
    snprintf(spath, sizeof(spath), "%s/%s", shown, CKPT_MANIFEST);
    if (lstat(path, &st) < 0)
        return ckpt_err_set(e, EBADMSG, "%s is not a complete checkpoint: no %s", shown,
                            CKPT_MANIFEST);
    if (!S_ISREG(st.st_mode))
        return ckpt_err_set(e, EBADMSG, "%s is not a regular file", spath);
    if (check_owner(spath, &st, e) < 0)
        return -1;
    if (ckpt_manifest_read(dir, m, e) < 0) {
        if (e->code == EBADMSG) {
            char msg[sizeof(e->msg)];
            snprintf(msg, sizeof(msg), "%s", e->msg);
            ckpt_err_set(e, EBADMSG, "%s: %s", spath, msg);
        }
        return -1;
    }
    if (!ckpt_manifest_mac_ok(m, key)) {
        ckpt_err_set(e, EBADMSG,
                     "%s: MAC does not verify: the manifest was changed, or it was written "
                     "with another checkpoint key",
                     spath);
        goto fail;
    }
    if (check_listing(dir, shown, m, e) < 0)
        goto fail;
    h.alg = m->hash_alg;
    memcpy(h.key, key, CKPT_KEY_LEN);
    memcpy(h.nonce, m->hash_nonce, sizeof(h.nonce));
    for (size_t i = 0; i < m->nimages; i++) {
        const struct ckpt_image *im = &m->images[i];
        unsigned char sha[32];
        long long size = 0;

        snprintf(path, sizeof(path), "%s/%s", dir, im->name);
        snprintf(spath, sizeof(spath), "%s/%s", shown, im->name);
        if (lstat(path, &st) < 0) {
            ckpt_err_set(e, EBADMSG, "image %s is missing", spath);
            goto fail;
        }
        if (!S_ISREG(st.st_mode)) {
            ckpt_err_set(e, EBADMSG, "image %s is not a regular file", spath);
            goto fail;
        }
        if (check_owner(spath, &st, e) < 0)
            goto fail;
        if (st.st_size != im->size) {
            ckpt_err_set(e, EBADMSG, "image %s is %s: %lld bytes, the manifest says %lld", spath,
                         st.st_size < im->size ? "truncated" : "longer than it was written",
                         (long long)st.st_size, im->size);
            goto fail;
        }
        if (ckpt_hash_file(path, im->name, &h, &size, sha, e) < 0)
            goto fail;
        if (size != im->size || memcmp(sha, im->digest, 32) != 0) {
            ckpt_err_set(e, EBADMSG,
                         "image %s does not match its hash in the manifest (changed or corrupt)",
                         spath);
            goto fail;
        }
    }
    explicit_bzero(&h, sizeof(h));
    return 0;
fail:
    explicit_bzero(&h, sizeof(h));
    ckpt_manifest_free(m);
    return -1;
}

int ckpt_verify_fd(int dfd, const char *shown, const unsigned char key[CKPT_KEY_LEN],
                   struct ckpt_manifest *m, struct ckpt_err *e)
{
    char dir[64];
    snprintf(dir, sizeof(dir), "/proc/self/fd/%d", dfd);
    return verify_dir(dir, shown, key, m, e);
}

int ckpt_verify(const char *dir, const unsigned char key[CKPT_KEY_LEN], struct ckpt_manifest *m,
                struct ckpt_err *e)
{
    memset(m, 0, sizeof(*m));
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return ckpt_err_setc(e, errno, CKPT_FAIL_ARGS, "cannot open checkpoint %s: %s", dir,
                             errno == ENOTDIR ? "not a directory" : strerror(errno));
    int rc = ckpt_verify_fd(dfd, dir, key, m, e);
    close(dfd);
    return rc;
}
