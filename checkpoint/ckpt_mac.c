/* The checkpoint MAC key: a root-only file, created at first use. */
#include "checkpoint/libckpt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

const char *ckpt_key_path(bool secure)
{
    const char *p = secure ? NULL : getenv("CKMIG_CKPT_KEY");
    return p && *p ? p : CKPT_KEY_DEFAULT;
}

static int mkparent(const char *path)
{
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        return 0;
    *slash = '\0';
    if (mkdir(dir, 0755) == 0 || errno == EEXIST)
        return 0;
    if (errno == ENOENT && mkparent(dir) == 0 && (mkdir(dir, 0755) == 0 || errno == EEXIST))
        return 0;
    return -1;
}

/* The key appears whole or not at all: written and synced under a
 * temporary name, then linked into place. Two first users at once (two
 * checkpoints, or test files run side by side) must never read the other's
 * empty, half-written file; the one whose link loses uses the winner's. */
static int create_key(const char *path, struct ckpt_err *e)
{
    unsigned char key[CKPT_KEY_LEN];
    char tmp[4096];
    int rc = -1, fd = -1;

    tmp[0] = '\0';
    if (mkparent(path) < 0) {
        ckpt_err_set(e, errno, "cannot create the directory of key file %s: %s", path,
                     strerror(errno));
        goto out;
    }
    if (getrandom(key, sizeof(key), 0) != (ssize_t)sizeof(key)) {
        ckpt_err_set(e, errno, "getrandom: %s", strerror(errno));
        goto out;
    }
    if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp)) {
        tmp[0] = '\0';
        ckpt_err_set(e, ENAMETOOLONG, "key file name %s is too long", path);
        goto out;
    }
    fd = mkostemp(tmp, O_CLOEXEC);     /* 0600, O_EXCL: never through a link */
    if (fd < 0) {
        ckpt_err_set(e, errno, "cannot create key file %s: %s", tmp, strerror(errno));
        tmp[0] = '\0';
        goto out;
    }
    if (write(fd, key, sizeof(key)) != (ssize_t)sizeof(key) || fsync(fd) < 0) {
        ckpt_err_set(e, errno ? errno : EIO, "cannot write key file %s: %s", tmp,
                     strerror(errno));
        goto out;
    }
    if (link(tmp, path) < 0 && errno != EEXIST) {  /* EEXIST: theirs won, use it */
        ckpt_err_set(e, errno, "cannot create key file %s: %s", path, strerror(errno));
        goto out;
    }
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    if (tmp[0])
        unlink(tmp);
    explicit_bzero(key, sizeof(key));
    return rc;
}

int ckpt_key_load(const char *path, bool create, unsigned char key[CKPT_KEY_LEN],
                  struct ckpt_err *e)
{
    struct stat st;
    int rc = -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

    if (fd < 0 && errno == ENOENT && create) {
        if (create_key(path, e) < 0)
            return -1;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    }
    if (fd < 0) {
        ckpt_err_set(e, errno == ENOENT ? ENOKEY : errno,
                     "cannot open checkpoint key %s: %s", path, strerror(errno));
        goto out;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        ckpt_err_set(e, EACCES, "checkpoint key %s is not a regular file", path);
        goto out;
    }
    /* A key others can read lets them forge manifests; one they can write
     * lets them pick it. */
    if (st.st_uid != 0 || (st.st_mode & 077)) {
        ckpt_err_set(e, EACCES,
                     "checkpoint key %s must be owned by root with mode 0600 (is uid %u mode %04o)",
                     path, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
        goto out;
    }
    if (st.st_size != CKPT_KEY_LEN || read(fd, key, CKPT_KEY_LEN) != CKPT_KEY_LEN) {
        ckpt_err_set(e, EINVAL, "checkpoint key %s must hold exactly %d bytes", path,
                     CKPT_KEY_LEN);
        goto out;
    }
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    return rc;
}
