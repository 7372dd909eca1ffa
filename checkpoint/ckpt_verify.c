/* Verifying a checkpoint before CRIU may read it: manifest MAC, the exact
 * set of images, and every image's size and hash; then pinning the very
 * inodes that were verified for CRIU.
 *
 * A checkpoint directory is either root-only, or (under a real pbs_mom,
 * which chowns <dir>/<name> to the job's owner before $restart_script)
 * owned by the job's owner.  The owner cannot change what root wrote into
 * it (every image and the manifest are root's, 0600), but can rename,
 * unlink and replace the entries, e.g. with images of another checkpoint.
 * So every entry is opened once, by name, without following links, from
 * the directory's descriptor; checked (root's, regular, not writable by
 * group or others, one link only) and hashed through that descriptor; and
 * hard-linked from it into a private root-only directory made inside the
 * checkpoint (same file system), which is all CRIU gets to see. */
#include "checkpoint/ckpt_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LINKDIR_PREFIX ".ckmig-restore."

static const struct ckpt_image *find_image(const struct ckpt_manifest *m, const char *name)
{
    for (size_t i = 0; i < m->nimages; i++)
        if (strcmp(m->images[i].name, name) == 0)
            return &m->images[i];
    return NULL;
}

/* An entry root wrote: nobody but root may be able to change its bytes;
 * in a directory the owner controls, a second link would be a way to
 * have it changed or swapped behind our back. */
static int check_entry(const char *what, const char *path, const struct stat *st, bool one_link,
                       struct ckpt_err *e)
{
    if (!S_ISREG(st->st_mode))
        return ckpt_err_set(e, EBADMSG, "%s %s is not a regular file", what, path);
    if (st->st_uid != 0 || (st->st_mode & 022))
        return ckpt_err_set(e, EACCES,
                            "%s %s is not root-only (uid %u, mode %04o): refusing to restore from it",
                            what, path, (unsigned)st->st_uid, (unsigned)(st->st_mode & 07777));
    if (one_link && st->st_nlink != 1)
        return ckpt_err_set(e, EACCES,
                            "%s %s has %lu links (a restore of it under way, or a link made to "
                            "it): refusing to restore from it",
                            what, path, (unsigned long)st->st_nlink);
    return 0;
}

/* Opens dir's entry name as a file root wrote, never following a link. */
static int open_entry(int dfd, const char *name, const char *what, const char *shown,
                      bool one_link, struct stat *st, struct ckpt_err *e)
{
    int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        int err = errno;
        if (err == ENOENT)
            return ckpt_err_set(e, EBADMSG, "%s %s/%s is missing", what, shown, name);
        if (err == ELOOP)
            return ckpt_err_set(e, EBADMSG, "%s %s/%s is a symbolic link: refused", what, shown,
                                name);
        return ckpt_err_set(e, err, "cannot open %s %s/%s: %s", what, shown, name, strerror(err));
    }
    char path[4200];
    snprintf(path, sizeof(path), "%s/%s", shown, name);
    if (fstat(fd, st) < 0)
        ckpt_err_set(e, errno, "cannot stat %s: %s", path, strerror(errno));
    else if (check_entry(what, path, st, one_link, e) == 0)
        return fd;
    close(fd);
    return -1;
}

/* A layer directory of a pre-copied checkpoint: root's, written by nobody
 * else (cr_checkpoint makes it 0700), never reached through a link. */
static int open_layer(int dfd, const char *layer, const char *shown, struct ckpt_err *e)
{
    struct stat st;
    int fd = openat(dfd, layer, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        int err = errno;
        return ckpt_err_set(e, err == ENOENT || err == ENOTDIR || err == ELOOP ? EBADMSG : err,
                            "layer %s/%s is missing or not a directory: %s", shown, layer,
                            strerror(err));
    }
    if (fstat(fd, &st) < 0 || st.st_uid != 0 || (st.st_mode & 022)) {
        close(fd);
        return ckpt_err_set(e, EACCES, "layer %s/%s is not root-only: refusing to restore from it",
                            shown, layer);
    }
    return fd;
}

/* An image by its manifest name: "NAME", or "LAYER/NAME" inside a layer. */
static int open_image(int dfd, const char *name, const char *shown, bool one_link,
                      struct stat *st, struct ckpt_err *e)
{
    const char *slash = strchr(name, '/');
    char layer[16], lshown[4200];
    if (!slash)
        return open_entry(dfd, name, "image", shown, one_link, st, e);
    snprintf(layer, sizeof(layer), "%.*s", (int)(slash - name), name);
    int lfd = open_layer(dfd, layer, shown, e);
    if (lfd < 0)
        return -1;
    snprintf(lshown, sizeof(lshown), "%s/%s", shown, layer);
    /* Nobody but root can change a layer's entries: one link is not asked. */
    int fd = open_entry(lfd, slash + 1, "image", lshown, false, st, e);
    close(lfd);
    return fd;
}

static int read_manifest(int dfd, const char *shown, bool one_link, struct ckpt_manifest *m,
                         struct ckpt_err *e)
{
    struct stat st;
    int fd = open_entry(dfd, CKPT_MANIFEST, "manifest", shown, one_link, &st, e);

    if (fd < 0) {
        if (e->code == EBADMSG && strstr(e->msg, "is missing"))
            ckpt_err_set(e, EBADMSG, "%s is not a complete checkpoint: no %s", shown,
                         CKPT_MANIFEST);
        return -1;
    }
    int rc = ckpt_manifest_read_fd(fd, shown, m, e);
    close(fd);
    return rc;
}

static bool is_linkdir(const char *name)
{
    return strncmp(name, LINKDIR_PREFIX, strlen(LINKDIR_PREFIX)) == 0;
}

/* Empties and removes the private directory name in dfd (only if it is
 * root's: a look-alike the owner put there is left alone). */
static void remove_linkdir(int dfd, const char *name)
{
    int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (fd < 0)
        return;
    if (fstat(fd, &st) < 0 || st.st_uid != 0) {
        close(fd);
        return;
    }
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return;
    }
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        if (unlinkat(dirfd(d), de->d_name, 0) == 0 || (errno != EISDIR && errno != EPERM))
            continue;
        /* a layer's directory (made by ckpt_verify_fd, root's): its links */
        int lfd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        DIR *ld = lfd >= 0 ? fdopendir(lfd) : NULL;
        struct dirent *le;
        while (ld && (le = readdir(ld)))
            if (strcmp(le->d_name, ".") && strcmp(le->d_name, ".."))
                unlinkat(dirfd(ld), le->d_name, 0);
        if (ld)
            closedir(ld);
        else if (lfd >= 0)
            close(lfd);
        unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR);
    }
    closedir(d);
    unlinkat(dfd, name, AT_REMOVEDIR);
}

/* Link directories of restores that died (their pid is in the name). */
static void remove_stale_linkdirs(int dfd)
{
    int fd = dup(dfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    struct dirent *de;
    if (!d) {
        if (fd >= 0)
            close(fd);
        return;
    }
    rewinddir(d);   /* the offset is shared with dfd */
    while ((de = readdir(d))) {
        if (!is_linkdir(de->d_name))
            continue;
        long pid = strtol(de->d_name + strlen(LINKDIR_PREFIX), NULL, 10);
        if (pid > 0 && pid != getpid() && kill((pid_t)pid, 0) == 0)
            continue;
        remove_linkdir(dfd, de->d_name);
    }
    closedir(d);
}

static const struct ckpt_layer *find_layer(const struct ckpt_manifest *m, const char *name)
{
    for (size_t i = 0; i < m->nlayers; i++)
        if (!strcmp(m->layers[i].name, name))
            return &m->layers[i];
    return NULL;
}

/* Every entry of the checkpoint (layer NULL) or of one of its layers must
 * be listed in the manifest: an image, a layer, or CRIU's `parent` link
 * where the manifest records one. */
static int check_listing(int dfd, const char *shown, const struct ckpt_manifest *m,
                         const struct ckpt_layer *layer, struct ckpt_err *e)
{
    int fd = dup(dfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    struct dirent *de;
    int rc = 0;
    bool has_parent = layer ? layer->parent != NULL : m->parent != NULL;

    if (!d) {
        if (fd >= 0)
            close(fd);
        return ckpt_err_set(e, errno, "cannot read checkpoint %s: %s", shown, strerror(errno));
    }
    rewinddir(d);
    while ((de = readdir(d))) {
        char full[600];
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        if (has_parent && !strcmp(de->d_name, "parent"))
            continue;
        if (!layer && (!strcmp(de->d_name, CKPT_MANIFEST) || is_linkdir(de->d_name) ||
                       find_layer(m, de->d_name)))
            continue;
        snprintf(full, sizeof(full), "%s%s%s", layer ? layer->name : "", layer ? "/" : "",
                 de->d_name);
        if (!find_image(m, full)) {
            rc = ckpt_err_set(e, EBADMSG,
                              "checkpoint %s holds %s, which its manifest does not list", shown,
                              full);
            break;
        }
    }
    closedir(d);
    return rc;
}

/* CRIU's `parent` link in dfd must lead to exactly the layer the manifest
 * names (want: "preN" from the top, "../preN" from a layer): never out of
 * the checkpoint, never to another of its layers. */
static int check_parent_link(int dfd, const char *shown, const char *want, struct ckpt_err *e)
{
    char got[256];
    struct stat st;
    if (fstatat(dfd, "parent", &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISLNK(st.st_mode))
        return ckpt_err_set(e, EBADMSG, "%s/parent is missing or not a link (the manifest "
                            "says it leads to %s)", shown, want);
    ssize_t n = readlinkat(dfd, "parent", got, sizeof(got) - 1);
    if (n < 0)
        return ckpt_err_set(e, errno, "cannot read %s/parent: %s", shown, strerror(errno));
    got[n] = '\0';
    if (strcmp(got, want))
        return ckpt_err_set(e, EBADMSG, "%s/parent leads to %s, not to %s as the manifest says: "
                            "refused", shown, got, want);
    return 0;
}

/* The layers: each listed, root-only, holding only what the manifest
 * lists, its parent link where the manifest says. */
static int check_layers(int dfd, const char *shown, const struct ckpt_manifest *m,
                        struct ckpt_err *e)
{
    char want[32], lshown[4200];
    if (m->parent && check_parent_link(dfd, shown, m->parent, e) < 0)
        return -1;
    for (size_t i = 0; i < m->nlayers; i++) {
        const struct ckpt_layer *l = &m->layers[i];
        int lfd = open_layer(dfd, l->name, shown, e);
        if (lfd < 0)
            return -1;
        snprintf(lshown, sizeof(lshown), "%s/%s", shown, l->name);
        snprintf(want, sizeof(want), "../%s", l->parent ? l->parent : "");
        int rc = check_listing(lfd, lshown, m, l, e);
        if (rc == 0 && l->parent)
            rc = check_parent_link(lfd, lshown, want, e);
        close(lfd);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* The private root-only directory the verified images are linked into. */
static int make_linkdir(int dfd, const char *shown, struct ckpt_pinned *pin, struct ckpt_err *e)
{
    struct stat st;
    snprintf(pin->linkdir, sizeof(pin->linkdir), "%s%d", LINKDIR_PREFIX, (int)getpid());
    remove_linkdir(dfd, pin->linkdir);
    if (mkdirat(dfd, pin->linkdir, 0700) < 0) {
        int err = errno;
        pin->linkdir[0] = '\0';
        return ckpt_err_set(e, err, "cannot make a private directory in %s: %s", shown,
                            strerror(err));
    }
    /* The owner may have replaced it between mkdir and open: only our own
     * empty root-only directory will do. */
    pin->imgfd = openat(dfd, pin->linkdir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (pin->imgfd < 0 || fstat(pin->imgfd, &st) < 0 || st.st_uid != 0 ||
        (st.st_mode & 077) || st.st_nlink != 2)
        return ckpt_err_set(e, EACCES, "the private directory %s/%s was tampered with", shown,
                            pin->linkdir);
    return 0;
}

/* The layers' directories and parent links in the private directory, made
 * by root from the verified manifest (the checkpoint's own links were
 * only checked). */
static int pin_layers(const struct ckpt_manifest *m, const char *shown, struct ckpt_pinned *pin,
                      struct ckpt_err *e)
{
    char link[300], want[32];
    if (m->parent && symlinkat(m->parent, pin->imgfd, "parent") < 0)
        goto fail;
    for (size_t i = 0; i < m->nlayers; i++) {
        const struct ckpt_layer *l = &m->layers[i];
        if (mkdirat(pin->imgfd, l->name, 0700) < 0)
            goto fail;
        snprintf(link, sizeof(link), "%s/parent", l->name);
        snprintf(want, sizeof(want), "../%s", l->parent ? l->parent : "");
        if (l->parent && symlinkat(want, pin->imgfd, link) < 0)
            goto fail;
    }
    return 0;
fail:
    return ckpt_err_set(e, errno, "cannot lay out the layers of %s for the restore: %s", shown,
                        strerror(errno));
}

static int pin_image(int fd, const char *name, const char *shown, struct ckpt_pinned *pin,
                     struct ckpt_err *e)
{
    if (linkat(fd, "", pin->imgfd, name, AT_EMPTY_PATH) == 0)
        return 0;
    /* Without CAP_DAC_READ_SEARCH, the same through /proc. */
    char proc[64];
    snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
    if (linkat(AT_FDCWD, proc, pin->imgfd, name, AT_SYMLINK_FOLLOW) == 0)
        return 0;
    return ckpt_err_set(e, errno, "cannot link image %s/%s for the restore: %s", shown, name,
                        strerror(errno));
}

void ckpt_unpin(struct ckpt_pinned *pin)
{
    if (pin->imgfd >= 0)
        close(pin->imgfd);
    if (pin->linkdir[0] && pin->dfd >= 0)
        remove_linkdir(pin->dfd, pin->linkdir);
    pin->imgfd = -1;
    pin->linkdir[0] = '\0';
}

/* The images the manifest lists, each opened once (as open_entry checks
 * it), size-checked and pinned; then everything CRIU parses is verified
 * now, and page contents now or, with pages, in the background. */
static int check_images(int dfd, const char *shown, bool root_only, const struct ckpt_manifest *m,
                        const struct ckpt_hasher *h, struct ckpt_pinned *pin, bool linking,
                        struct ckpt_pending **pages, struct ckpt_err *e)
{
    struct ckpt_vimage *v = calloc(m->nimages + 1, sizeof(*v));
    char **paths = calloc(m->nimages + 1, sizeof(char *));
    size_t n = 0, npages = 0;
    int rc = -1;

    if (!v || !paths) {
        ckpt_err_set(e, ENOMEM, "out of memory");
        goto out;
    }
    /* Page images go last, so that v splits into [0, n - npages) and the
     * page images after it. */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < m->nimages; i++) {
            const struct ckpt_image *im = &m->images[i];
            struct stat st;
            /* a pre-copy layer's pages (preK/pages-N.img) are pages too */
            const char *base = strrchr(im->name, '/') ? strrchr(im->name, '/') + 1 : im->name;
            if (ckpt_image_is_pages(base) != (pass == 1))
                continue;
            int fd = open_image(dfd, im->name, shown, !root_only, &st, e);
            if (fd < 0)
                goto out;
            v[n] = (struct ckpt_vimage){ .fd = fd, .name = im->name, .size = im->size,
                                         .digest = im->digest, .h = h };
            if (asprintf(&paths[n], "%s/%s", shown, im->name) < 0) {
                paths[n] = NULL;
                n++;
                ckpt_err_set(e, ENOMEM, "out of memory");
                goto out;
            }
            v[n].path = paths[n];
            n++;
            npages += pass;
            if (st.st_size != im->size) {
                ckpt_err_set(e, EBADMSG, "image %s is %s: %lld bytes, the manifest says %lld",
                             paths[n - 1],
                             st.st_size < im->size ? "truncated" : "longer than it was written",
                             (long long)st.st_size, im->size);
                goto out;
            }
            if (linking && pin_image(fd, im->name, shown, pin, e) < 0)
                goto out;
        }
    }
    if (ckpt_vimages_check(v, n - npages, e) < 0)
        goto out;
    if (!pages) {
        rc = ckpt_vimages_check(v + n - npages, npages, e);
        goto out;
    }
    /* CRIU needs a core to restore; the pages get the others, and all of
     * them (ckpt_pending_finish joins in) once CRIU is done. */
    int threads = ckpt_hash_threads();
    *pages = ckpt_vimages_start(v + n - npages, npages, threads ? threads : 1, e);
    rc = *pages ? 0 : -1;
out:
    for (size_t i = 0; i < n; i++) {
        close(v[i].fd);
        free(paths[i]);
    }
    free(v);
    free(paths);
    return rc;
}

int ckpt_verify_fd(int dfd, const char *shown, const unsigned char key[CKPT_KEY_LEN],
                   struct ckpt_manifest *m, struct ckpt_pinned *pin,
                   struct ckpt_pending **pages, struct ckpt_err *e)
{
    struct stat st;
    struct ckpt_hasher h;
    bool root_only;

    memset(m, 0, sizeof(*m));
    memset(&h, 0, sizeof(h));
    if (pages)
        *pages = NULL;
    if (pin) {
        pin->dfd = dfd;
        pin->imgfd = -1;
        pin->linkdir[0] = '\0';
    }
    if (fstat(dfd, &st) < 0)
        return ckpt_err_setc(e, errno, CKPT_FAIL_ARGS, "cannot open checkpoint %s: %s", shown,
                             strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return ckpt_err_setc(e, ENOTDIR, CKPT_FAIL_ARGS,
                             "%s is not a ckmig checkpoint (not a directory)", shown);
    if (st.st_mode & 022)
        return ckpt_err_set(e, EACCES,
                            "%s is writable by others (uid %u, mode %04o): refusing to restore "
                            "from it", shown, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
    root_only = st.st_uid == 0;
    uid_t dir_uid = st.st_uid;
    if (read_manifest(dfd, shown, !root_only, m, e) < 0)
        return -1;
    if (!ckpt_manifest_mac_ok(m, key)) {
        ckpt_err_set(e, EBADMSG,
                     "%s/%s: MAC does not verify: the manifest was changed, or it was written "
                     "with another checkpoint key", shown, CKPT_MANIFEST);
        goto fail;
    }
    if (!root_only && dir_uid != m->uid) {
        ckpt_err_set(e, EACCES,
                     "%s belongs to uid %u, neither root nor the job's owner (uid %u): refusing "
                     "to restore from it", shown, (unsigned)dir_uid, (unsigned)m->uid);
        goto fail;
    }
    if (pin)
        remove_stale_linkdirs(dfd);
    if (check_listing(dfd, shown, m, NULL, e) < 0 || check_layers(dfd, shown, m, e) < 0)
        goto fail;
    bool linking = pin != NULL;
    if (pin && make_linkdir(dfd, shown, pin, e) < 0) {
        /* A root-only directory cannot change under us: CRIU may read it
         * as it is (read-only file systems, say). */
        if (!root_only)
            goto fail;
        ckpt_unpin(pin);
        linking = false;
        pin->imgfd = fcntl(dfd, F_DUPFD_CLOEXEC, 0);
        if (pin->imgfd < 0) {
            ckpt_err_set(e, errno, "dup: %s", strerror(errno));
            goto fail;
        }
    }
    if (linking && pin_layers(m, shown, pin, e) < 0)
        goto fail;
    h.alg = m->hash_alg;
    memcpy(h.key, key, CKPT_KEY_LEN);
    memcpy(h.nonce, m->hash_nonce, sizeof(h.nonce));
    /* (the pending set keeps its own per-image keys, not h) */
    if (check_images(dfd, shown, root_only, m, &h, pin, linking, pages, e) < 0)
        goto fail;
    explicit_bzero(&h, sizeof(h));
    return 0;
fail:
    explicit_bzero(&h, sizeof(h));
    if (pin)
        ckpt_unpin(pin);
    ckpt_manifest_free(m);
    return -1;
}

int ckpt_verify(const char *dir, const unsigned char key[CKPT_KEY_LEN], struct ckpt_manifest *m,
                struct ckpt_err *e)
{
    struct ckpt_source src;
    memset(m, 0, sizeof(*m));
    if (ckpt_source_open(dir, false, &src, e) < 0)
        return -1;
    int rc = ckpt_verify_fd(src.dfd, src.shown, key, m, NULL, NULL, e);
    ckpt_source_close(&src);
    return rc;
}
