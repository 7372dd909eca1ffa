/* Verifying a list of images against what the signed manifest records.
 * The list may hold images of any layer of a checkpoint (each with its
 * own hasher): the caller has opened and checked every entry, this only
 * digests what is open and compares.  Used at once for every image CRIU
 * parses, and in the background for page contents while CRIU restores
 * them into tasks that stay stopped until this has finished
 * (ckpt_restore.c, NOTES section 5). */
#include "checkpoint/ckpt_internal.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

struct ckpt_pending {
    struct ckpt_hash_set *set;
    size_t n;
    char **paths;           /* for messages */
    unsigned char (*digests)[32];
};

bool ckpt_image_is_pages(const char *name)
{
    /* CRIU's page contents: pages-N.img (also of shared memory); never
     * pagemap-*, whose entries CRIU acts on as root. */
    return fnmatch("pages-*.img", name, FNM_PATHNAME) == 0;
}

void ckpt_pending_free(struct ckpt_pending *p)
{
    if (!p)
        return;
    ckpt_hash_set_free(p->set);
    for (size_t i = 0; p->paths && i < p->n; i++)
        free(p->paths[i]);
    free(p->paths);
    free(p->digests);
    free(p);
}

struct ckpt_pending *ckpt_vimages_start(const struct ckpt_vimage *v, size_t n, int threads,
                                        struct ckpt_err *e)
{
    struct ckpt_pending *p = calloc(1, sizeof(*p));

    if (!p || !(p->set = ckpt_hash_set_new()) || !(p->paths = calloc(n + 1, sizeof(char *))) ||
        !(p->digests = calloc(n + 1, 32))) {
        ckpt_err_set(e, ENOMEM, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < n; i++) {
        p->paths[i] = strdup(v[i].path);
        p->n = i + 1;
        memcpy(p->digests[i], v[i].digest, 32);
        if (!p->paths[i]) {
            ckpt_err_set(e, ENOMEM, "out of memory");
            goto fail;
        }
        if (ckpt_hash_set_add(p->set, v[i].fd, v[i].size, v[i].name, v[i].h) != (int)i) {
            ckpt_err_set(e, errno ? errno : ENOMEM, "cannot read %s: %s", v[i].path,
                         strerror(errno ? errno : ENOMEM));
            goto fail;
        }
    }
    ckpt_hash_set_start(p->set, threads);
    return p;
fail:
    ckpt_pending_free(p);
    return NULL;
}

int ckpt_pending_finish(struct ckpt_pending *p, struct ckpt_err *e)
{
    size_t bad = 0;
    int rc = -1;

    if (!p)
        return 0;
    int err = ckpt_hash_set_wait(p->set, &bad);
    if (err) {
        ckpt_err_set(e, err, "cannot read image %s: %s",
                     bad < p->n ? p->paths[bad] : "?", strerror(err));
        goto out;
    }
    for (size_t i = 0; i < p->n; i++) {
        unsigned char d[32];
        if (ckpt_hash_set_digest(p->set, i, d) < 0) {
            ckpt_err_set(e, ENOMEM, "out of memory");
            goto out;
        }
        if (memcmp(d, p->digests[i], 32) != 0) {
            ckpt_err_set(e, EBADMSG,
                         "image %s does not match its hash in the manifest (changed or corrupt)",
                         p->paths[i]);
            goto out;
        }
    }
    rc = 0;
out:
    ckpt_pending_free(p);
    return rc;
}

int ckpt_vimages_check(const struct ckpt_vimage *v, size_t n, struct ckpt_err *e)
{
    struct ckpt_pending *p = ckpt_vimages_start(v, n, ckpt_hash_threads(), e);
    return p ? ckpt_pending_finish(p, e) : -1;
}
