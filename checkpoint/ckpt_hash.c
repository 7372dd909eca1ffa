/* Image digests.  An image's digest is SHA-256 over the digests of its
 * 8 MiB chunks: chunks can be checked on every core at restore, and are
 * digested as soon as CRIU has written them at dump, so hashing does not
 * add a second pass over the data.  A chunk's digest is its AES-256-GMAC tag
 * (key per image: HMAC-SHA256(checkpoint key, label || nonce || name); IV:
 * the chunk number), or with CKMIG_IMAGE_HASH=sha256 its SHA-256. */
#include "checkpoint/ckpt_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
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

const char *ckpt_hash_alg_name(enum ckpt_hash_alg alg)
{
    return alg == CKPT_HASH_GMAC ? "aes256-gmac-8m" : "sha256-8m";
}

int ckpt_hash_alg_parse(const char *name, enum ckpt_hash_alg *alg)
{
    if (!strcmp(name, "aes256-gmac-8m") || !strcmp(name, "gmac"))
        *alg = CKPT_HASH_GMAC;
    else if (!strcmp(name, "sha256-8m") || !strcmp(name, "sha256"))
        *alg = CKPT_HASH_SHA256;
    else
        return -1;
    return 0;
}

enum ckpt_hash_alg ckpt_hash_alg_default(bool secure)
{
    const char *v = secure ? NULL : getenv("CKMIG_IMAGE_HASH");
    enum ckpt_hash_alg alg = CKPT_HASH_GMAC;
    if (v && *v)
        ckpt_hash_alg_parse(v, &alg);
    return alg;
}

static void image_key(const struct ckpt_hasher *h, const char *name, unsigned char out[32])
{
    static const char label[] = "ckmig-image-gmac";
    unsigned char msg[sizeof(label) + 16 + 256];
    size_t nl = strlen(name) > 255 ? 255 : strlen(name);
    unsigned int ol = 32;
    memcpy(msg, label, sizeof(label));          /* with its NUL */
    memcpy(msg + sizeof(label), h->nonce, 16);
    memcpy(msg + sizeof(label) + 16, name, nl);
    if (h->alg != CKPT_HASH_GMAC || !HMAC(EVP_sha256(), h->key, CKPT_KEY_LEN, msg,
                                          sizeof(label) + 16 + nl, out, &ol))
        memset(out, 0, 32);
}

/* One chunk's digest, fed in pieces. */
struct chunk_ctx {
    EVP_MD_CTX *md;
    EVP_CIPHER_CTX *c;
};

static int chunk_ctx_init(struct chunk_ctx *x)
{
    x->md = EVP_MD_CTX_new();
    x->c = EVP_CIPHER_CTX_new();
    return x->md && x->c ? 0 : -1;
}

static void chunk_ctx_free(struct chunk_ctx *x)
{
    EVP_MD_CTX_free(x->md);
    EVP_CIPHER_CTX_free(x->c);
}

static size_t chunk_len(enum ckpt_hash_alg alg)
{
    return alg == CKPT_HASH_GMAC ? 16 : 32;
}

static int chunk_begin(struct chunk_ctx *x, enum ckpt_hash_alg alg, const unsigned char ikey[32],
                       uint64_t idx)
{
    unsigned char iv[12] = { 0 };
    if (alg != CKPT_HASH_GMAC)
        return EVP_DigestInit_ex(x->md, EVP_sha256(), NULL) ? 0 : -1;
    for (int i = 0; i < 8; i++)
        iv[11 - i] = (unsigned char)(idx >> (8 * i));
    return EVP_EncryptInit_ex(x->c, EVP_aes_256_gcm(), NULL, ikey, iv) ? 0 : -1;
}

static int chunk_update(struct chunk_ctx *x, enum ckpt_hash_alg alg, const unsigned char *p,
                        size_t n)
{
    int l;
    if (alg != CKPT_HASH_GMAC)
        return EVP_DigestUpdate(x->md, p, n) ? 0 : -1;
    return EVP_EncryptUpdate(x->c, NULL, &l, p, (int)n) ? 0 : -1;   /* as associated data */
}

static int chunk_end(struct chunk_ctx *x, enum ckpt_hash_alg alg, unsigned char out[32])
{
    unsigned int dl = 0;
    int l;
    memset(out, 0, 32);
    if (alg != CKPT_HASH_GMAC)
        return EVP_DigestFinal_ex(x->md, out, &dl) ? 0 : -1;
    if (!EVP_EncryptFinal_ex(x->c, NULL, &l) ||
        !EVP_CIPHER_CTX_ctrl(x->c, EVP_CTRL_GCM_GET_TAG, 16, out))
        return -1;
    return 0;
}

/* The image digest from its chunk digests (32-byte slots). */
static int image_digest(enum ckpt_hash_alg alg, const unsigned char *digests, size_t n,
                        unsigned char out[32])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned int dl = 0;
    int rc = -1;
    if (ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
        for (size_t i = 0; i < n; i++)
            EVP_DigestUpdate(ctx, digests + 32 * i, chunk_len(alg));
        if (EVP_DigestFinal_ex(ctx, out, &dl))
            rc = 0;
    }
    EVP_MD_CTX_free(ctx);
    return rc;
}

/* ---- hashing while CRIU writes ----
 * A pool of threads (one per core) follows the directory: every 8 MiB
 * chunk a file has grown by is hashed as soon as it is complete (CRIU only
 * appends), and the last, partial chunks when CRIU is done.  So the data is
 * read once, from the page cache, mostly while CRIU is still writing. */
struct tail_file {
    char *name;
    unsigned char ikey[32];     /* GMAC key of this image */
    long long size;             /* size when last seen */
    size_t queued;              /* chunks handed out */
    size_t done;                /* chunks hashed */
    size_t cap;
    unsigned char *digests;     /* 32 bytes per chunk */
    bool tail_queued;
    int wfd;                    /* for writeback, or -1 */
    long long written;          /* writeback started below this */
};

/* A range whose writeback the scanning thread starts once it has let go
 * of the lock. */
struct wb_range {
    int fd;
    long long off, len;
};

struct chunk_job {
    size_t file;
    size_t chunk;
    long long end;              /* hash [chunk*CHUNK, end) */
};

struct ckpt_tailer {
    struct ckpt_hasher h;
    bool writeback;
    char *dir;
    int dirfd, ino;
    pthread_t threads[8];
    int nthreads;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool finishing;
    int err;
    char errname[256];
    struct tail_file *files;
    size_t n, cap;
    struct chunk_job *jobs;     /* queue */
    size_t njobs, jcap, inflight;
    long long last_scan_ms;
    struct wb_range *wb;        /* found by the last scan */
    size_t nwb, wbcap;
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
    struct tail_file *f = &t->files[t->n];
    memset(f, 0, sizeof(*f));
    f->wfd = -1;
    f->name = strdup(name);
    if (!f->name)
        return NULL;
    image_key(&t->h, name, f->ikey);
    t->n++;
    return f;
}

static int queue_job(struct ckpt_tailer *t, size_t file, size_t chunk, long long end)
{
    struct tail_file *f = &t->files[file];
    if (chunk >= f->cap) {
        size_t cap = f->cap ? 2 * f->cap : 16;
        while (cap <= chunk)
            cap *= 2;
        unsigned char *nd = realloc(f->digests, cap * 32);
        if (!nd)
            return -1;
        f->digests = nd;
        f->cap = cap;
    }
    if (t->njobs == t->jcap) {
        size_t cap = t->jcap ? 2 * t->jcap : 64;
        struct chunk_job *nj = realloc(t->jobs, cap * sizeof(*nj));
        if (!nj)
            return -1;
        t->jobs = nj;
        t->jcap = cap;
    }
    t->jobs[t->njobs++] = (struct chunk_job){ file, chunk, end };
    f->queued = chunk + 1;
    return 0;
}

static void set_err(struct ckpt_tailer *t, int err, const char *name)
{
    if (!t->err) {
        t->err = err ? err : EIO;
        snprintf(t->errname, sizeof(t->errname), "%s", name);
    }
}

/* Under the lock: the part of f CRIU has finished with since the last
 * scan (whole chunks; when finishing, all of it) is to go to disk now.
 * Started as soon as it is seen, not after it is hashed: the hashing may
 * lag behind CRIU when the cores are busy, and then the fsync before the
 * commit found most of the checkpoint still to write (issue 14). */
static void queue_writeback(struct ckpt_tailer *t, struct tail_file *f)
{
    long long upto = t->finishing ? f->size : (long long)f->queued * CKPT_HASH_CHUNK;
    if (upto <= f->written)
        return;
    if (f->wfd < 0)
        f->wfd = openat(t->dirfd, f->name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (f->wfd < 0)
        return;     /* the fsync at the end writes it all the same */
    if (t->nwb == t->wbcap) {
        size_t cap = t->wbcap ? 2 * t->wbcap : 16;
        struct wb_range *nw = realloc(t->wb, cap * sizeof(*nw));
        if (!nw)
            return;
        t->wb = nw;
        t->wbcap = cap;
    }
    t->wb[t->nwb++] = (struct wb_range){ f->wfd, f->written, upto - f->written };
    f->written = upto;
}

/* Under the lock: find grown files, queue their complete chunks (and, when
 * finishing, their last partial chunk). */
static void tailer_scan(struct ckpt_tailer *t)
{
    int dfd = dup(t->dirfd);
    DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
    struct dirent *de;
    char evbuf[4096];

    while (read(t->ino, evbuf, sizeof(evbuf)) > 0)
        ;
    if (!d) {
        if (dfd >= 0)
            close(dfd);
        set_err(t, errno, t->dir);
        return;
    }
    rewinddir(d);
    while ((de = readdir(d))) {
        struct stat st;
        if (!hashed_name(de->d_name) || (de->d_type != DT_REG && de->d_type != DT_UNKNOWN))
            continue;
        if (fstatat(t->dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
            continue;
        struct tail_file *f = tailer_file(t, de->d_name);
        if (!f) {
            set_err(t, ENOMEM, de->d_name);
            break;
        }
        size_t fi = (size_t)(f - t->files);
        f->size = st.st_size;
        while ((long long)(f->queued + 1) * CKPT_HASH_CHUNK <= f->size)
            if (queue_job(t, fi, f->queued, (long long)(f->queued + 1) * CKPT_HASH_CHUNK) < 0) {
                set_err(t, ENOMEM, f->name);
                break;
            }
        if (t->finishing && !f->tail_queued) {
            f->tail_queued = true;
            if ((long long)f->queued * CKPT_HASH_CHUNK < f->size &&
                queue_job(t, fi, f->queued, f->size) < 0)
                set_err(t, ENOMEM, f->name);
        }
        if (t->writeback)
            queue_writeback(t, f);
    }
    closedir(d);
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int hash_range(int dirfd, const char *name, enum ckpt_hash_alg alg,
                      const unsigned char ikey[32], uint64_t idx, long long end,
                      unsigned char *buf, struct chunk_ctx *ctx, unsigned char out[32])
{
    long long off = (long long)idx * CKPT_HASH_CHUNK;
    int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return -1;
    if (chunk_begin(ctx, alg, ikey, idx) < 0)
        goto fail;
    /* Written data below the size CRIU reached stays put: map it. */
    void *map = mmap(NULL, (size_t)(end - off), PROT_READ, MAP_SHARED | MAP_POPULATE, fd, off);
    if (map != MAP_FAILED) {
        int ur = chunk_update(ctx, alg, map, (size_t)(end - off));
        munmap(map, (size_t)(end - off));
        if (ur < 0)
            goto fail;
        off = end;
    }
    while (off < end) {
        size_t want = end - off > READ_SIZE ? READ_SIZE : (size_t)(end - off);
        ssize_t r = pread(fd, buf, want, off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r == 0)
            errno = EIO;
        if (r <= 0 || chunk_update(ctx, alg, buf, (size_t)r) < 0)
            goto fail;
        off += r;
    }
    if (chunk_end(ctx, alg, out) < 0)
        goto fail;
    close(fd);
    return 0;
fail:;
    int err = errno ? errno : EIO;
    close(fd);
    errno = err;
    return -1;
}

/* With the lock held on entry and exit: starts the writeback the scan
 * found due, without the lock (it may wait for the device's queue). */
static void start_writeback(struct ckpt_tailer *t)
{
    size_t n = t->nwb;
    struct wb_range *r = t->wb;
    if (!n)
        return;
    t->wb = NULL;
    t->nwb = t->wbcap = 0;
    pthread_mutex_unlock(&t->lock);
    for (size_t i = 0; i < n; i++)
        sync_file_range(r[i].fd, r[i].off, r[i].len, SYNC_FILE_RANGE_WRITE);
    free(r);
    pthread_mutex_lock(&t->lock);
}

static void *tailer_main(void *arg)
{
    struct ckpt_tailer *t = arg;
    unsigned char *buf = malloc(READ_SIZE);
    struct chunk_ctx ctx;
    unsigned char d[32], ikey[32];
    int cr = chunk_ctx_init(&ctx);

    pthread_mutex_lock(&t->lock);
    if (!buf || cr < 0)
        set_err(t, ENOMEM, "hashing");
    while (!t->err) {
        if (t->njobs == 0) {
            /* One thread looks for new data; the others wait for it. */
            if (now_ms() - t->last_scan_ms >= 5 || t->finishing) {
                t->last_scan_ms = now_ms();
                tailer_scan(t);
                if (t->njobs)
                    pthread_cond_broadcast(&t->cond);
                start_writeback(t);
            }
            if (t->njobs == 0) {
                if (t->finishing && t->inflight == 0)
                    break;
                struct timespec ts;
                clock_gettime(CLOCK_REALTIME, &ts);
                ts.tv_nsec += 5 * 1000000;
                if (ts.tv_nsec >= 1000000000) {
                    ts.tv_sec++;
                    ts.tv_nsec -= 1000000000;
                }
                pthread_cond_timedwait(&t->cond, &t->lock, &ts);
                continue;
            }
        }
        struct chunk_job j = t->jobs[--t->njobs];
        char *name = strdup(t->files[j.file].name);
        memcpy(ikey, t->files[j.file].ikey, sizeof(ikey));
        t->inflight++;
        pthread_mutex_unlock(&t->lock);
        int r = name ? hash_range(t->dirfd, name, t->h.alg, ikey, j.chunk, j.end, buf,
                                  &ctx, d)
                     : -1;
        int err = errno;
        pthread_mutex_lock(&t->lock);
        t->inflight--;
        if (r < 0) {
            set_err(t, err, name ? name : "?");
        } else {
            memcpy(t->files[j.file].digests + 32 * j.chunk, d, 32);
            t->files[j.file].done++;
        }
        free(name);
        pthread_cond_broadcast(&t->cond);
    }
    pthread_cond_broadcast(&t->cond);
    pthread_mutex_unlock(&t->lock);
    chunk_ctx_free(&ctx);
    explicit_bzero(ikey, sizeof(ikey));
    free(buf);
    return NULL;
}

static void tailer_free(struct ckpt_tailer *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free(t->files[i].name);
        free(t->files[i].digests);
        if (t->files[i].wfd >= 0)
            close(t->files[i].wfd);
    }
    free(t->files);
    free(t->jobs);
    free(t->wb);
    if (t->dirfd >= 0)
        close(t->dirfd);
    if (t->ino >= 0)
        close(t->ino);
    pthread_mutex_destroy(&t->lock);
    pthread_cond_destroy(&t->cond);
    free(t->dir);
    explicit_bzero(t, sizeof(*t));
    free(t);
}

struct ckpt_tailer *ckpt_tailer_start(const char *dir, const struct ckpt_hasher *h,
                                      bool writeback, struct ckpt_err *e)
{
    struct ckpt_tailer *t = calloc(1, sizeof(*t));
    if (!t) {
        ckpt_err_set(e, ENOMEM, "out of memory");
        return NULL;
    }
    t->h = *h;
    t->writeback = writeback;
    pthread_mutex_init(&t->lock, NULL);
    pthread_cond_init(&t->cond, NULL);
    t->dirfd = t->ino = -1;
    t->dir = strdup(dir);
    t->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    t->ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (!t->dir || t->dirfd < 0 || t->ino < 0)
        goto fail;
    /* Leave CRIU a core while it writes; the rest join in at the end. */
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    int want = (int)(ncpu <= 2 ? 1 : ncpu > 8 ? 7 : ncpu - 1);
    for (t->nthreads = 0; t->nthreads < want; t->nthreads++)
        if (pthread_create(&t->threads[t->nthreads], NULL, tailer_main, t) != 0)
            break;
    if (t->nthreads == 0)
        goto fail;
    return t;
fail:
    ckpt_err_set(e, errno ? errno : ENOMEM, "cannot start hashing %s: %s", dir, strerror(errno));
    tailer_free(t);
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
    size_t nout = 0;

    pthread_mutex_lock(&t->lock);
    t->finishing = true;
    pthread_cond_broadcast(&t->cond);
    pthread_mutex_unlock(&t->lock);
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    while (t->nthreads < 8 && t->nthreads < ncpu &&
           pthread_create(&t->threads[t->nthreads], NULL, tailer_main, t) == 0)
        t->nthreads++;
    for (int i = 0; i < t->nthreads; i++)
        pthread_join(t->threads[i], NULL);
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
        /* The images must be exactly what we hashed: nothing may have
         * grown after the final scan. */
        if (fstatat(t->dirfd, f->name, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_size != f->size ||
            f->done != f->queued) {
            ckpt_err_set(e, EIO, "image %s changed while it was hashed", f->name);
            goto out;
        }
        if (image_digest(t->h.alg, f->digests, f->done, out[i].digest) < 0) {
            ckpt_err_set(e, ENOMEM, "out of memory");
            goto out;
        }
        out[i].name = f->name;
        f->name = NULL;
        out[i].size = f->size;
        nout++;
    }
    qsort(out, t->n, sizeof(*out), cmp_image);
    *images = out;
    *n = t->n;
    out = NULL;
    rc = 0;
out:
    if (out) {
        for (size_t i = 0; i < nout; i++)
            free(out[i].name);
        free(out);
    }
    tailer_free(t);
    return rc;
}

/* ---- whole-file hashing: a set of images, chunks spread over threads ----
 * Verification hands over every image of a checkpoint (of any layer) at
 * once, so small images do not each pay for threads of their own, and the
 * restore can leave the page images' set running in the background while
 * CRIU reads them (ckpt_verify.c). */
struct set_file {
    int fd;                     /* our own dup */
    long long size;
    enum ckpt_hash_alg alg;
    unsigned char ikey[32];
    size_t first;               /* its first chunk's number in the set */
    size_t nchunks;
    unsigned char *digests;     /* 32 bytes per chunk */
    int err;
};

struct ckpt_hash_set {
    struct set_file *f;
    size_t n, cap;
    size_t total;               /* chunks of every file */
    atomic_size_t next;         /* next chunk to take */
    atomic_int failed;          /* a file failed: the rest is not needed */
    pthread_mutex_t lock;       /* guards the files' err */
    pthread_t th[8];
    int nth;
};

struct ckpt_hash_set *ckpt_hash_set_new(void)
{
    struct ckpt_hash_set *s = calloc(1, sizeof(*s));
    if (s)
        pthread_mutex_init(&s->lock, NULL);
    return s;
}

int ckpt_hash_set_add(struct ckpt_hash_set *s, int fd, long long size, const char *name,
                      const struct ckpt_hasher *h)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 16;
        struct set_file *nf = realloc(s->f, cap * sizeof(*nf));
        if (!nf)
            return -1;
        s->f = nf;
        s->cap = cap;
    }
    struct set_file *f = &s->f[s->n];
    memset(f, 0, sizeof(*f));
    f->size = size;
    f->alg = h->alg;
    f->first = s->total;
    f->nchunks = (size_t)((size + CKPT_HASH_CHUNK - 1) / CKPT_HASH_CHUNK);
    f->digests = calloc(f->nchunks ? f->nchunks : 1, 32);
    f->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (!f->digests || f->fd < 0) {
        free(f->digests);
        if (f->fd >= 0)
            close(f->fd);
        return -1;
    }
    image_key(h, name, f->ikey);
    s->total += f->nchunks;
    return (int)s->n++;
}

static struct set_file *set_chunk_file(struct ckpt_hash_set *s, size_t c)
{
    size_t lo = 0, hi = s->n;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (s->f[mid].first <= c)
            lo = mid;
        else
            hi = mid;
    }
    return &s->f[lo];
}

static void set_fail(struct ckpt_hash_set *s, struct set_file *f, int err)
{
    pthread_mutex_lock(&s->lock);
    if (!f->err)
        f->err = err ? err : EIO;
    pthread_mutex_unlock(&s->lock);
    atomic_store(&s->failed, 1);
}

/* Chunk c (counted within its image) of f. */
static int hash_chunk(struct set_file *f, size_t c, unsigned char *buf, struct chunk_ctx *ctx)
{
    long long off = (long long)c * CKPT_HASH_CHUNK;
    long long end = off + CKPT_HASH_CHUNK < f->size ? off + CKPT_HASH_CHUNK : f->size;

    if (chunk_begin(ctx, f->alg, f->ikey, c) < 0)
        return ENOMEM;
    /* Digest straight from the page cache: no copy into a buffer. */
    void *map = mmap(NULL, (size_t)(end - off), PROT_READ, MAP_SHARED | MAP_POPULATE, f->fd, off);
    if (map != MAP_FAILED) {
        int ur = chunk_update(ctx, f->alg, map, (size_t)(end - off));
        munmap(map, (size_t)(end - off));
        if (ur < 0)
            return EIO;
        off = end;
    }
    while (off < end) {
        size_t want = end - off > READ_SIZE ? READ_SIZE : (size_t)(end - off);
        ssize_t r = pread(f->fd, buf, want, off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return r < 0 ? errno : EIO;     /* shorter than it was: EIO */
        if (chunk_update(ctx, f->alg, buf, (size_t)r) < 0)
            return EIO;
        off += r;
    }
    return chunk_end(ctx, f->alg, f->digests + 32 * c) < 0 ? EIO : 0;
}

static void *set_worker(void *arg)
{
    struct ckpt_hash_set *s = arg;
    unsigned char *buf = malloc(READ_SIZE);
    struct chunk_ctx ctx;
    int cr = chunk_ctx_init(&ctx);

    for (;;) {
        size_t c = atomic_fetch_add(&s->next, 1);
        if (c >= s->total || atomic_load(&s->failed))
            break;
        struct set_file *f = set_chunk_file(s, c);
        int err = !buf || cr < 0 ? ENOMEM : hash_chunk(f, c - f->first, buf, &ctx);
        if (err) {
            set_fail(s, f, err);
            break;
        }
    }
    chunk_ctx_free(&ctx);
    free(buf);
    return NULL;
}

int ckpt_hash_set_start(struct ckpt_hash_set *s, int threads)
{
    if (threads > 8)
        threads = 8;
    if ((size_t)threads > s->total)
        threads = (int)s->total;
    while (s->nth < threads && pthread_create(&s->th[s->nth], NULL, set_worker, s) == 0)
        s->nth++;
    return s->nth;
}

int ckpt_hash_set_wait(struct ckpt_hash_set *s, size_t *bad)
{
    set_worker(s);      /* the caller joins in */
    for (int i = 0; i < s->nth; i++)
        pthread_join(s->th[i], NULL);
    s->nth = 0;
    for (size_t i = 0; i < s->n; i++)
        if (s->f[i].err) {
            *bad = i;
            return s->f[i].err;
        }
    /* stopped early without an error of its own: cannot happen */
    return atomic_load(&s->next) >= s->total ? 0 : EIO;
}

int ckpt_hash_set_digest(const struct ckpt_hash_set *s, size_t i, unsigned char out[32])
{
    const struct set_file *f = &s->f[i];
    return image_digest(f->alg, f->digests, f->nchunks, out);
}

void ckpt_hash_set_free(struct ckpt_hash_set *s)
{
    if (!s)
        return;
    atomic_store(&s->failed, 1);    /* threads still running stop at their next chunk */
    for (int i = 0; i < s->nth; i++)
        pthread_join(s->th[i], NULL);
    for (size_t i = 0; i < s->n; i++) {
        close(s->f[i].fd);
        free(s->f[i].digests);
        explicit_bzero(s->f[i].ikey, sizeof(s->f[i].ikey));
    }
    free(s->f);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

/* Threads to use besides the caller's: one per other core. */
int ckpt_hash_threads(void)
{
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    return (int)(ncpu < 2 ? 0 : ncpu > 8 ? 7 : ncpu - 1);
}

int ckpt_hash_file(const char *path, const char *name, const struct ckpt_hasher *h,
                   long long *size, unsigned char out[32], struct ckpt_err *e)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return ckpt_err_set(e, errno, "cannot read %s: %s", path, strerror(errno));
    int rc = ckpt_hash_fd(fd, path, name, h, size, out, e);
    close(fd);
    return rc;
}

int ckpt_hash_fd(int fd, const char *path, const char *name, const struct ckpt_hasher *h,
                 long long *size, unsigned char out[32], struct ckpt_err *e)
{
    struct ckpt_hash_set *s = ckpt_hash_set_new();
    struct stat st;
    size_t bad;
    int rc = -1, err;

    if (!s)
        return ckpt_err_set(e, ENOMEM, "out of memory");
    if (fstat(fd, &st) < 0) {
        ckpt_err_set(e, errno, "cannot read %s: %s", path, strerror(errno));
        goto out;
    }
    if (ckpt_hash_set_add(s, fd, st.st_size, name, h) < 0) {
        ckpt_err_set(e, errno ? errno : ENOMEM, "cannot read %s: %s", path, strerror(errno));
        goto out;
    }
    ckpt_hash_set_start(s, ckpt_hash_threads());
    if ((err = ckpt_hash_set_wait(s, &bad)) != 0) {
        ckpt_err_set(e, err, "cannot read %s: %s", path, strerror(err));
        goto out;
    }
    if (ckpt_hash_set_digest(s, 0, out) < 0) {
        ckpt_err_set(e, ENOMEM, "out of memory");
        goto out;
    }
    *size = st.st_size;
    rc = 0;
out:
    ckpt_hash_set_free(s);
    return rc;
}
