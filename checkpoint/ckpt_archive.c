/* The context as one file (BLCR's habit): a checkpoint directory packed as
 * a POSIX ustar archive whose first member is manifest.xml.  `tar tvf`
 * lists it; nothing in it is trusted until the extracted directory has
 * passed ckpt_verify (the manifest's MAC covers every member).  Sizes of
 * 8 GiB and more use GNU tar's base-256 field, which tar reads too. */
#include "checkpoint/ckpt_internal.h"
#include "lib/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BLOCK 512

struct ustar {
    char name[100], mode[8], uid[8], gid[8], size[12], mtime[12], chksum[8], type,
        linkname[100], magic[6], version[2], uname[32], gname[32], devmajor[8], devminor[8],
        prefix[155], pad[12];
};
_Static_assert(sizeof(struct ustar) == BLOCK, "ustar header is one block");

static unsigned header_sum(const struct ustar *h)
{
    const unsigned char *p = (const unsigned char *)h;
    unsigned sum = 0;
    for (size_t i = 0; i < BLOCK; i++)
        sum += (i >= offsetof(struct ustar, chksum) && i < offsetof(struct ustar, chksum) + 8)
                   ? ' ' : p[i];
    return sum;
}

static void put_size(char f[12], unsigned long long v)
{
    if (v < 077777777777ULL) {
        snprintf(f, 12, "%011llo", v);
        return;
    }
    memset(f, 0, 12);
    f[0] = (char)0x80;      /* GNU base-256 */
    for (int i = 11; i > 0 && v; i--, v >>= 8)
        f[i] = (char)(v & 0xff);
}

static int get_size(const char f[12], unsigned long long *v)
{
    unsigned long long r = 0;
    if ((unsigned char)f[0] == 0x80) {
        for (int i = 1; i < 12; i++) {
            if (r >> 56)
                return -1;
            r = (r << 8) | (unsigned char)f[i];
        }
        *v = r;
        return 0;
    }
    int i = 0;
    while (i < 12 && f[i] == ' ')
        i++;
    if (i == 12 || f[i] < '0' || f[i] > '7')
        return -1;
    for (; i < 12 && f[i] >= '0' && f[i] <= '7'; i++)
        r = (r << 3) | (unsigned)(f[i] - '0');
    if (i < 12 && f[i] != '\0' && f[i] != ' ')
        return -1;
    *v = r;
    return 0;
}

/* lib's read_full, where a short read is a cut-off archive */
static int read_exact(int fd, void *buf, size_t n)
{
    ssize_t r = read_full(fd, buf, n);

    if (r >= 0 && (size_t)r < n)
        errno = EBADMSG;    /* cut short */
    return r == (ssize_t)n ? 0 : -1;
}

/* Copies n bytes from in (at its offset) to out; the kernel copies (or
 * shares extents) where it can. */
static int copy_bytes(int in, int out, unsigned long long n)
{
    static char buf[1 << 16];
    while (n) {
        size_t want = n > (1u << 30) ? (1u << 30) : (size_t)n;
        ssize_t c = copy_file_range(in, NULL, out, NULL, want, 0);
        if (c < 0 && errno == EINTR)
            continue;
        if (c < 0 && (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)) {
            ssize_t r = read(in, buf, n < sizeof(buf) ? (size_t)n : sizeof(buf));
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0 || write_full(out, buf, (size_t)r) < 0) {
                if (r == 0)
                    errno = EBADMSG;
                return -1;
            }
            c = r;
        } else if (c <= 0) {
            if (c == 0)
                errno = EBADMSG;
            return -1;
        }
        n -= (unsigned long long)c;
    }
    return 0;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int add_member(int dfd, const char *name, int out, uid_t uid, gid_t gid, bool writeback)
{
    static const char zeros[BLOCK];
    struct ustar h;
    struct stat st;
    int in = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), rc = -1;

    if (in < 0 || fstat(in, &st) < 0 || !S_ISREG(st.st_mode) || strlen(name) >= sizeof(h.name)) {
        if (in >= 0 && !S_ISREG(st.st_mode))
            errno = EINVAL;
        goto out;
    }
    memset(&h, 0, sizeof(h));
    memcpy(h.name, name, strlen(name));
    snprintf(h.mode, sizeof(h.mode), "%07o", 0400);
    snprintf(h.uid, sizeof(h.uid), "%07o", (unsigned)uid & 07777777);
    snprintf(h.gid, sizeof(h.gid), "%07o", (unsigned)gid & 07777777);
    put_size(h.size, (unsigned long long)st.st_size);
    snprintf(h.mtime, sizeof(h.mtime), "%011llo", (unsigned long long)st.st_mtime & 077777777777ULL);
    h.type = '0';
    memcpy(h.magic, "ustar", 6);
    memcpy(h.version, "00", 2);
    snprintf(h.chksum, sizeof(h.chksum), "%06o", header_sum(&h));
    h.chksum[7] = ' ';
    if (write_full(out, &h, sizeof(h)) < 0 || copy_bytes(in, out, (unsigned long long)st.st_size) < 0)
        goto out;
    size_t pad = (size_t)((BLOCK - st.st_size % BLOCK) % BLOCK);
    rc = pad ? write_full(out, zeros, pad) : 0;
    /* Start writing each member to disk now, so the final fsync waits for
     * the tail only (as the hashing threads do for a directory). */
    if (rc == 0 && writeback)
        sync_file_range(out, 0, 0, SYNC_FILE_RANGE_WRITE);
out:
    if (in >= 0)
        close(in);
    return rc;
}

int ckpt_archive_write(int dfd, int out, uid_t uid, gid_t gid, bool writeback, struct ckpt_err *e)
{
    static const char end[2 * BLOCK];
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = -1, dup_fd = dup(dfd);
    DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
    struct dirent *de;

    if (!d) {
        if (dup_fd >= 0)
            close(dup_fd);
        return ckpt_err_set(e, errno, "cannot read the checkpoint: %s", strerror(errno));
    }
    rewinddir(d);
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.' || !strcmp(de->d_name, CKPT_MANIFEST))
            continue;
        if (n == cap) {
            size_t nc = cap ? 2 * cap : 64;
            char **nn = realloc(names, nc * sizeof(*nn));
            if (!nn)
                goto oom;
            names = nn;
            cap = nc;
        }
        if (!(names[n] = strdup(de->d_name)))
            goto oom;
        n++;
    }
    if (n)
        qsort(names, n, sizeof(*names), cmp_names);
    /* The manifest first: it is how a context file is recognised. */
    if (add_member(dfd, CKPT_MANIFEST, out, uid, gid, writeback) < 0) {
        ckpt_err_set(e, errno, "cannot write %s into the context file: %s", CKPT_MANIFEST,
                     strerror(errno));
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        if (add_member(dfd, names[i], out, uid, gid, writeback) < 0) {
            ckpt_err_set(e, errno, "cannot write %s into the context file: %s", names[i],
                         strerror(errno));
            goto out;
        }
    if (write_full(out, end, sizeof(end)) < 0) {
        ckpt_err_set(e, errno, "cannot write the context file: %s", strerror(errno));
        goto out;
    }
    rc = 0;
    goto out;
oom:
    ckpt_err_set(e, ENOMEM, "out of memory");
out:
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    closedir(d);
    return rc;
}

/* One header: 1 = a member (name, size), 0 = the end, -1 = not ustar. */
static int read_header(int fd, char name[101], unsigned long long *size)
{
    struct ustar h;
    static const char zero[BLOCK];

    if (read_exact(fd, &h, sizeof(h)) < 0)
        return -1;
    if (!memcmp(&h, zero, BLOCK))
        return 0;
    unsigned long long sum;
    char cs[9];
    memcpy(cs, h.chksum, 8);
    cs[8] = '\0';
    if (memcmp(h.magic, "ustar", 5) || sscanf(cs, "%llo", &sum) != 1 || sum != header_sum(&h) ||
        (h.type != '0' && h.type != '\0') || h.prefix[0] || get_size(h.size, size) < 0)
        return -1;
    memcpy(name, h.name, 100);
    name[100] = '\0';
    return 1;
}

bool ckpt_archive_is(int fd)
{
    char name[101];
    unsigned long long size;
    bool is = lseek(fd, 0, SEEK_SET) == 0 && read_header(fd, name, &size) == 1 &&
              !strcmp(name, CKPT_MANIFEST);
    lseek(fd, 0, SEEK_SET);
    return is;
}

int ckpt_archive_extract(int in, int dfd, const char *shown, struct ckpt_err *e)
{
    struct stat st;
    char name[101];
    unsigned long long size, off = 0;
    bool first = true;

    if (fstat(in, &st) < 0 || lseek(in, 0, SEEK_SET) < 0)
        return ckpt_err_set(e, errno, "cannot read %s: %s", shown, strerror(errno));
    for (;;) {
        int r = read_header(in, name, &size);
        if (r < 0)
            return ckpt_err_set(e, errno == EBADMSG || errno == 0 ? EBADMSG : errno,
                                "context file %s is damaged (bad header at byte %llu)", shown, off);
        if (r == 0)
            return 0;
        off += BLOCK;
        if ((first && strcmp(name, CKPT_MANIFEST)) || !name[0] || strchr(name, '/') ||
            !strcmp(name, ".") || !strcmp(name, "..") || size > (unsigned long long)st.st_size - off)
            return ckpt_err_set(e, EBADMSG, "context file %s is damaged (member %s)", shown, name);
        first = false;
        int out = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (out < 0)
            return ckpt_err_set(e, errno == EEXIST ? EBADMSG : errno,
                                "cannot extract %s from %s: %s", name, shown,
                                errno == EEXIST ? "it is there twice" : strerror(errno));
        int cr = copy_bytes(in, out, size);
        int err = errno;
        close(out);
        if (cr < 0)
            return ckpt_err_set(e, err, "cannot extract %s from %s: %s", name, shown, strerror(err));
        off += size;
        unsigned long long pad = (BLOCK - size % BLOCK) % BLOCK;
        if (pad && lseek(in, (off_t)pad, SEEK_CUR) < 0)
            return ckpt_err_set(e, errno, "cannot read %s: %s", shown, strerror(errno));
        off += pad;
    }
}

/* From fd's start; the offset is left anywhere. */
int ckpt_archive_manifest_fd(int fd, const char *shown, struct ckpt_manifest *m, struct ckpt_err *e)
{
    char name[101];
    unsigned long long size;
    char *buf = NULL;
    int rc = -1;

    memset(m, 0, sizeof(*m));
    if (lseek(fd, 0, SEEK_SET) < 0 || read_header(fd, name, &size) != 1 ||
        strcmp(name, CKPT_MANIFEST) || size > (64u << 20))
        return ckpt_err_setc(e, EINVAL, CKPT_FAIL_PERM, "%s is not a ckmig checkpoint", shown);
    if (!(buf = malloc((size_t)size + 1)) || read_exact(fd, buf, (size_t)size) < 0) {
        ckpt_err_set(e, buf ? EBADMSG : ENOMEM, "cannot read the manifest of %s", shown);
        goto out;
    }
    rc = ckpt_manifest_parse(buf, (size_t)size, m, e);
out:
    free(buf);
    return rc;
}
