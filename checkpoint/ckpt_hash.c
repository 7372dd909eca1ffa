/* Image hashing.  An image's digest is SHA-256 over the SHA-256 digests of
 * its 8 MiB chunks: chunks can be checked on every core at restore, and
 * hashed in order while CRIU is still writing at dump, so hashing does not
 * add a second pass over the data. */
#include "checkpoint/ckpt_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#define READ_SIZE (1u << 20)

void ckpt_hash_hex(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int ckpt_hex_decode(const char *hex, unsigned char *out, size_t n)
{
    if (!hex || strlen(hex) != 2 * n)
        return -1;
    for (size_t i = 0; i < n; i++) {
        int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return 0;
}

/* ---- one file, followed while it grows ---- */
struct tail_file {
    char *name;
    int fd;
    long long off;
    unsigned in_chunk;          /* bytes of the current chunk hashed */
    EVP_MD_CTX *chunk, *outer;
};

static int tf_init(struct tail_file *f, const char *name)
{
    memset(f, 0, sizeof(*f));
    f->fd = -1;
    f->name = strdup(name);
    f->chunk = EVP_MD_CTX_new();
    f->outer = EVP_MD_CTX_new();
    if (!f->name || !f->chunk || !f->outer)
        return -1;
    if (!EVP_DigestInit_ex(f->chunk, EVP_sha256(), NULL) ||
        !EVP_DigestInit_ex(f->outer, EVP_sha256(), NULL))
        return -1;
    return 0;
}

static void tf_free(struct tail_file *f)
{
    if (f->fd >= 0)
        close(f->fd);
    EVP_MD_CTX_free(f->chunk);
    EVP_MD_CTX_free(f->outer);
    free(f->name);
}

static void chunk_close(struct tail_file *f)
{
    unsigned char d[32];
    unsigned int dl = 0;
    EVP_DigestFinal_ex(f->chunk, d, &dl);
    EVP_DigestUpdate(f->outer, d, sizeof(d));
    EVP_DigestInit_ex(f->chunk, EVP_sha256(), NULL);
    f->in_chunk = 0;
}

/* Hashes whatever has been appended since the last call.  Returns bytes
 * consumed, or -1. */
static long long tf_advance(struct tail_file *f, int dirfd, unsigned char *buf)
{
    struct stat st;
    long long done = 0;

    if (f->fd < 0) {
        f->fd = openat(dirfd, f->name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (f->fd < 0)
            return errno == ENOENT ? 0 : -1;
    }
    if (fstat(f->fd, &st) < 0)
        return -1;
    while (f->off < st.st_size) {
        size_t want = CKPT_HASH_CHUNK - f->in_chunk;
        if (want > READ_SIZE)
            want = READ_SIZE;
        if ((long long)want > st.st_size - f->off)
            want = (size_t)(st.st_size - f->off);
        ssize_t r = pread(f->fd, buf, want, f->off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return r < 0 ? -1 : done;
        EVP_DigestUpdate(f->chunk, buf, (size_t)r);
        f->off += r;
        f->in_chunk += (unsigned)r;
        done += r;
        if (f->in_chunk == CKPT_HASH_CHUNK)
            chunk_close(f);
    }
    return done;
}

static void tf_final(struct tail_file *f, unsigned char out[32])
{
    unsigned int dl = 0;
    if (f->in_chunk)
        chunk_close(f);
    EVP_DigestFinal_ex(f->outer, out, &dl);
}

struct ckpt_tailer {
    char *dir;
    int dirfd, ino;
    pthread_t thread;
    atomic_int stop;
    int err;
    char errname[256];
    struct tail_file *files;
    size_t n, cap;
    unsigned char *buf;
};

static bool hashed_name(const char *name)
{
    return name[0] != '.' && strcmp(name, CKPT_MANIFEST) != 0;
}

static struct tail_file *tailer_file(struct ckpt_tailer *t, const char *name)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->files[i].name, name) == 0)
            return &t->files[i];
    if (t->n == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 64;
        struct tail_file *nf = realloc(t->files, cap * sizeof(*nf));
        if (!nf)
            return NULL;
        t->files = nf;
        t->cap = cap;
    }
    if (tf_init(&t->files[t->n], name) < 0)
        return NULL;
    return &t->files[t->n++];
}

/* One pass over the directory; returns bytes hashed or -1. */
static long long tailer_pass(struct ckpt_tailer *t)
{
    long long total = 0;
    int dfd = dup(t->dirfd);
    DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
    struct dirent *de;

    if (!d) {
        if (dfd >= 0)
            close(dfd);
        return -1;
    }
    rewinddir(d);
    while ((de = readdir(d))) {
        if (!hashed_name(de->d_name) || (de->d_type != DT_REG && de->d_type != DT_UNKNOWN))
            continue;
        struct tail_file *f = tailer_file(t, de->d_name);
        long long r = f ? tf_advance(f, t->dirfd, t->buf) : -1;
        if (r < 0) {
            t->err = errno ? errno : EIO;
            snprintf(t->errname, sizeof(t->errname), "%s", de->d_name);
            total = -1;
            break;
        }
        total += r;
    }
    closedir(d);
    return total;
}

static void *tailer_main(void *arg)
{
    struct ckpt_tailer *t = arg;
    char evbuf[4096];

    for (;;) {
        int stopping = atomic_load(&t->stop);
        long long r = tailer_pass(t);
        if (r < 0 || stopping)
            break;
        if (r == 0) {   /* nothing new: sleep until CRIU writes more */
            struct pollfd p = { .fd = t->ino, .events = POLLIN };
            if (poll(&p, 1, 20) > 0)
                while (read(t->ino, evbuf, sizeof(evbuf)) > 0)
                    ;
        }
    }
    return NULL;
}

struct ckpt_tailer *ckpt_tailer_start(const char *dir, struct ckpt_err *e)
{
    struct ckpt_tailer *t = calloc(1, sizeof(*t));
    if (!t)
        goto fail;
    t->dirfd = t->ino = -1;
    t->dir = strdup(dir);
    t->buf = malloc(READ_SIZE);
    t->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    t->ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (!t->dir || !t->buf || t->dirfd < 0 || t->ino < 0)
        goto fail;
    if (inotify_add_watch(t->ino, dir, IN_MODIFY | IN_CREATE | IN_CLOSE_WRITE) < 0)
        goto fail;
    if (pthread_create(&t->thread, NULL, tailer_main, t) != 0)
        goto fail;
    return t;
fail:
    ckpt_err_set(e, errno ? errno : ENOMEM, "cannot start hashing %s: %s", dir, strerror(errno));
    if (t) {
        if (t->dirfd >= 0) close(t->dirfd);
        if (t->ino >= 0) close(t->ino);
        free(t->buf);
        free(t->dir);
        free(t);
    }
    return NULL;
}

static int cmp_image(const void *a, const void *b)
{
    return strcmp(((const struct ckpt_image *)a)->name, ((const struct ckpt_image *)b)->name);
}

int ckpt_tailer_finish(struct ckpt_tailer *t, struct ckpt_image **images, size_t *n,
                       struct ckpt_err *e)
{
    int rc = -1;
    struct ckpt_image *out = NULL;

    atomic_store(&t->stop, 1);
    pthread_join(t->thread, NULL);
    if (t->err) {
        ckpt_err_set(e, t->err, "cannot hash image %s/%s: %s", t->dir, t->errname,
                     strerror(t->err));
        goto out;
    }
    out = calloc(t->n ? t->n : 1, sizeof(*out));
    if (!out) {
        ckpt_err_set(e, ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < t->n; i++) {
        struct tail_file *f = &t->files[i];
        struct stat st;
        /* The images must be exactly what we hashed: nothing rewritten
         * behind us (CRIU only appends). */
        if (f->fd < 0 || fstat(f->fd, &st) < 0 || st.st_size != f->off) {
            ckpt_err_set(e, EIO, "image %s changed while it was hashed", f->name);
            goto out;
        }
        out[i].name = f->name;
        f->name = NULL;
        out[i].size = f->off;
        tf_final(f, out[i].sha256);
    }
    qsort(out, t->n, sizeof(*out), cmp_image);
    *images = out;
    *n = t->n;
    out = NULL;
    rc = 0;
out:
    if (out) {
        for (size_t i = 0; i < t->n; i++)
            free(out[i].name);
        free(out);
    }
    for (size_t i = 0; i < t->n; i++)
        tf_free(&t->files[i]);
    free(t->files);
    close(t->dirfd);
    close(t->ino);
    free(t->buf);
    free(t->dir);
    free(t);
    return rc;
}

/* ---- whole-file hashing for verification, chunks spread over threads ---- */
struct hash_job {
    int fd;
    long long size;
    size_t nchunks;
    atomic_size_t next;
    unsigned char *digests;
    atomic_int err;
};

static void *hash_worker(void *arg)
{
    struct hash_job *j = arg;
    unsigned char *buf = malloc(READ_SIZE);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();

    if (!buf || !ctx) {
        atomic_store(&j->err, ENOMEM);
        goto out;
    }
    for (;;) {
        size_t c = atomic_fetch_add(&j->next, 1);
        if (c >= j->nchunks || atomic_load(&j->err))
            break;
        long long off = (long long)c * CKPT_HASH_CHUNK;
        long long end = off + CKPT_HASH_CHUNK;
        if (end > j->size)
            end = j->size;
        unsigned int dl = 0;
        EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
        while (off < end) {
            size_t want = end - off > READ_SIZE ? READ_SIZE : (size_t)(end - off);
            ssize_t r = pread(j->fd, buf, want, off);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0) {
                atomic_store(&j->err, r < 0 ? errno : EIO);
                goto out;
            }
            EVP_DigestUpdate(ctx, buf, (size_t)r);
            off += r;
        }
        EVP_DigestFinal_ex(ctx, j->digests + 32 * c, &dl);
    }
out:
    EVP_MD_CTX_free(ctx);
    free(buf);
    return NULL;
}

int ckpt_hash_file(const char *path, long long *size, unsigned char out[32], struct ckpt_err *e)
{
    struct hash_job j = { .fd = -1 };
    pthread_t th[8];
    int nth = 0, rc = -1;
    struct stat st;
    unsigned int dl = 0;
    EVP_MD_CTX *ctx = NULL;

    j.fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (j.fd < 0 || fstat(j.fd, &st) < 0) {
        ckpt_err_set(e, errno, "cannot read %s: %s", path, strerror(errno));
        goto out;
    }
    j.size = st.st_size;
    j.nchunks = (size_t)((st.st_size + CKPT_HASH_CHUNK - 1) / CKPT_HASH_CHUNK);
    j.digests = malloc(j.nchunks ? 32 * j.nchunks : 1);
    if (!j.digests) {
        ckpt_err_set(e, ENOMEM, "out of memory");
        goto out;
    }
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    int want = (int)(ncpu < 1 ? 1 : ncpu > 8 ? 8 : ncpu);
    if ((size_t)want > j.nchunks)
        want = j.nchunks ? (int)j.nchunks : 1;
    for (nth = 0; nth < want - 1; nth++)
        if (pthread_create(&th[nth], NULL, hash_worker, &j) != 0)
            break;
    hash_worker(&j);
    for (int i = 0; i < nth; i++)
        pthread_join(th[i], NULL);
    if (atomic_load(&j.err)) {
        ckpt_err_set(e, atomic_load(&j.err), "cannot read %s: %s", path,
                     strerror(atomic_load(&j.err)));
        goto out;
    }
    ctx = EVP_MD_CTX_new();
    if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
        ckpt_err_set(e, ENOMEM, "out of memory");
        goto out;
    }
    EVP_DigestUpdate(ctx, j.digests, 32 * j.nchunks);
    EVP_DigestFinal_ex(ctx, out, &dl);
    *size = j.size;
    rc = 0;
out:
    EVP_MD_CTX_free(ctx);
    free(j.digests);
    if (j.fd >= 0)
        close(j.fd);
    return rc;
}
