/* Verifying a checkpoint before CRIU may read it: manifest MAC, the exact
 * set of images, and every image's size and hash. */
#include "checkpoint/ckpt_internal.h"

#include <dirent.h>
#include <errno.h>
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

static int check_listing(const char *dir, const struct ckpt_manifest *m, struct ckpt_err *e)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int rc = 0;

    if (!d)
        return ckpt_err_set(e, errno, "cannot read checkpoint %s: %s", dir, strerror(errno));
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
            !strcmp(de->d_name, CKPT_MANIFEST))
            continue;
        if (!find_image(m, de->d_name)) {
            rc = ckpt_err_set(e, EBADMSG,
                              "checkpoint %s holds %s, which its manifest does not list", dir,
                              de->d_name);
            break;
        }
    }
    closedir(d);
    return rc;
}

int ckpt_verify(const char *dir, const unsigned char key[CKPT_KEY_LEN], struct ckpt_manifest *m,
                struct ckpt_err *e)
{
    struct stat st;
    char path[4096];
    struct ckpt_hasher h;

    memset(m, 0, sizeof(*m));
    memset(&h, 0, sizeof(h));
    if (stat(dir, &st) < 0)
        return ckpt_err_setc(e, errno, CKPT_FAIL_ARGS, "cannot open checkpoint %s: %s", dir,
                             strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return ckpt_err_setc(e, ENOTDIR, CKPT_FAIL_ARGS,
                             "%s is not a ckmig checkpoint (not a directory)", dir);
    if (check_owner(dir, &st, e) < 0)
        return -1;
    snprintf(path, sizeof(path), "%s/%s", dir, CKPT_MANIFEST);
    if (lstat(path, &st) < 0)
        return ckpt_err_set(e, EBADMSG, "%s is not a complete checkpoint: no %s", dir,
                            CKPT_MANIFEST);
    if (!S_ISREG(st.st_mode))
        return ckpt_err_set(e, EBADMSG, "%s is not a regular file", path);
    if (check_owner(path, &st, e) < 0)
        return -1;
    if (ckpt_manifest_read(dir, m, e) < 0) {
        if (e->code == EBADMSG) {
            char msg[sizeof(e->msg)];
            snprintf(msg, sizeof(msg), "%s", e->msg);
            ckpt_err_set(e, EBADMSG, "%s: %s", path, msg);
        }
        return -1;
    }
    if (!ckpt_manifest_mac_ok(m, key)) {
        ckpt_err_set(e, EBADMSG,
                     "%s: MAC does not verify: the manifest was changed, or it was written "
                     "with another checkpoint key",
                     path);
        goto fail;
    }
    if (check_listing(dir, m, e) < 0)
        goto fail;
    h.alg = m->hash_alg;
    memcpy(h.key, key, CKPT_KEY_LEN);
    memcpy(h.nonce, m->hash_nonce, sizeof(h.nonce));
    for (size_t i = 0; i < m->nimages; i++) {
        const struct ckpt_image *im = &m->images[i];
        unsigned char sha[32];
        long long size = 0;

        snprintf(path, sizeof(path), "%s/%s", dir, im->name);
        if (lstat(path, &st) < 0) {
            ckpt_err_set(e, EBADMSG, "image %s is missing", path);
            goto fail;
        }
        if (!S_ISREG(st.st_mode)) {
            ckpt_err_set(e, EBADMSG, "image %s is not a regular file", path);
            goto fail;
        }
        if (check_owner(path, &st, e) < 0)
            goto fail;
        if (st.st_size != im->size) {
            ckpt_err_set(e, EBADMSG, "image %s is %s: %lld bytes, the manifest says %lld", path,
                         st.st_size < im->size ? "truncated" : "longer than it was written",
                         (long long)st.st_size, im->size);
            goto fail;
        }
        if (ckpt_hash_file(path, im->name, &h, &size, sha, e) < 0)
            goto fail;
        if (size != im->size || memcmp(sha, im->digest, 32) != 0) {
            ckpt_err_set(e, EBADMSG,
                         "image %s does not match its hash in the manifest (changed or corrupt)",
                         path);
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
