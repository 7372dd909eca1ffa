/* Pre-copy (cr_checkpoint --live): while the job keeps running, CRIU
 * pre-dumps its memory into layers pre1, pre2, ... of the temporary
 * checkpoint directory, each round writing only the pages dirtied since
 * the round before (--track-mem, --prev-images-dir); the final dump then
 * writes only what was dirtied after the last round, so the job is stopped
 * for that much, not for all of its memory.
 *
 * Each layer is hashed (and synced) as soon as its round ends, still while
 * the job runs; its images join the manifest as "LAYER/NAME", and the
 * parent links CRIU made are recorded there too, so a restore verifies
 * every layer and every link before CRIU reads anything.
 *
 * Dirty tracking needs the kernel's soft-dirty bits (CONFIG_MEM_SOFT_DIRTY);
 * CRIU's pre-dump aborts without them.  On such a kernel --live takes no
 * rounds: the one dump is an ordinary stop-and-copy.  $CKMIG_LIVE_ROUND=dump
 * (not in setuid mode) makes each round a full `criu dump --leave-running`
 * instead, each a complete image, chained by `parent` links made here as
 * CRIU would make them (CRIU refuses --prev-images-dir without tracking):
 * real layers, verified and followed by CRIU at restore like tracked ones,
 * so the layer machinery can be exercised there.  It saves no downtime:
 * the job is stopped for each round's whole dump. */
#include "checkpoint/ckpt_internal.h"
#include "lib/fault.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define SOFT_DIRTY_BIT (1ULL << 55)
/* A round that dirtied this little is as good as the last: stop. */
#define CONVERGED_BYTES (2LL << 20)

bool ckpt_live_tracking(void)
{
    long ps = sysconf(_SC_PAGESIZE);
    volatile char *p = mmap(NULL, (size_t)ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                            -1, 0);
    uint64_t ent = 0;
    bool on = false;

    if (p == MAP_FAILED)
        return false;
    int cfd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
    int pfd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    /* "4" clears the soft-dirty bits; the write below must set ours again. */
    if (cfd >= 0 && pfd >= 0 && write(cfd, "4", 1) == 1) {
        p[0] = 1;
        off_t off = (off_t)((uintptr_t)p / (uintptr_t)ps * sizeof(ent));
        on = pread(pfd, &ent, sizeof(ent), off) == (ssize_t)sizeof(ent) &&
             (ent & SOFT_DIRTY_BIT);
    }
    if (cfd >= 0)
        close(cfd);
    if (pfd >= 0)
        close(pfd);
    munmap((void *)p, (size_t)ps);
    return on;
}

bool ckpt_layer_name_ok(const char *name)
{
    if (!name || strncmp(name, "pre", 3) || !name[3] || name[3] == '0' || strlen(name) > 6)
        return false;
    for (const char *p = name + 3; *p; p++)
        if (*p < '0' || *p > '9')
            return false;
    return true;
}

void ckpt_live_result_free(struct ckpt_live_result *r)
{
    for (size_t i = 0; i < r->nlayers; i++) {
        free(r->layers[i].name);
        free(r->layers[i].parent);
    }
    free(r->layers);
    for (size_t i = 0; i < r->nimages; i++)
        free(r->images[i].name);
    free(r->images);
    memset(r, 0, sizeof(*r));
}

static int add_image(struct ckpt_live_result *r, size_t *cap, const char *layer,
                     const char *name, long long size, const unsigned char digest[32])
{
    if (r->nimages == *cap) {
        size_t nc = *cap ? 2 * *cap : 32;
        struct ckpt_image *ni = realloc(r->images, nc * sizeof(*ni));
        if (!ni)
            return -1;
        r->images = ni;
        *cap = nc;
    }
    struct ckpt_image *im = &r->images[r->nimages];
    size_t len = strlen(layer) + strlen(name) + 2;
    if (!(im->name = malloc(len)))
        return -1;
    snprintf(im->name, len, "%s/%s", layer, name);
    im->size = size;
    memcpy(im->digest, digest, 32);
    r->nimages++;
    return 0;
}

/* Hashes (and syncs) every file of the finished layer; *pages: the bytes
 * of its page images, the round's dirty set. */
static int seal_layer(const struct ckpt_live_ctx *c, struct ckpt_live_result *r, size_t *cap,
                      int lfd, const char *layer, long long *pages, struct ckpt_err *e)
{
    int fd = dup(lfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    struct dirent *de;
    int rc = -1;

    *pages = 0;
    if (!d) {
        if (fd >= 0)
            close(fd);
        return ckpt_err_set(e, errno, "cannot read layer %s: %s", layer, strerror(errno));
    }
    while ((de = readdir(d))) {
        struct stat st;
        char full[300], shown[4400];
        unsigned char digest[32];
        long long size = 0;
        if (de->d_name[0] == '.' || fstatat(lfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
            !S_ISREG(st.st_mode))
            continue;   /* CRIU's `parent` link is recorded by the caller, not hashed */
        snprintf(full, sizeof(full), "%s/%s", layer, de->d_name);
        snprintf(shown, sizeof(shown), "%s/%s", c->tdir, full);
        int ifd = openat(lfd, de->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (ifd < 0) {
            ckpt_err_set(e, errno, "cannot open %s: %s", shown, strerror(errno));
            goto out;
        }
        int hr = ckpt_hash_fd(ifd, shown, full, c->hasher, &size, digest, e);
        if (hr == 0 && c->sync && fsync(ifd) < 0)
            hr = ckpt_err_set(e, errno, "cannot sync %s: %s", shown, strerror(errno));
        close(ifd);
        if (hr < 0)
            goto out;
        if (add_image(r, cap, layer, de->d_name, size, digest) < 0) {
            ckpt_err_set(e, ENOMEM, "out of memory");
            goto out;
        }
        if (!strncmp(de->d_name, "pages-", 6))
            *pages += size;
    }
    if (c->sync && fsync(lfd) < 0) {
        ckpt_err_set(e, errno, "cannot sync layer %s: %s", layer, strerror(errno));
        goto out;
    }
    rc = 0;
out:
    closedir(d);
    return rc;
}

/* One round into layer (made here), relative to prev (NULL: the first). */
static int run_round(const struct ckpt_live_ctx *c, bool tracked, const char *layer,
                     const char *prev, int *lfd, struct ckpt_err *e)
{
    char ldir[4400], prevarg[32], logpath[4500];
    char *argv[40];
    size_t n = 0;
    pid_t child;
    int ws = 0;

    if (mkdirat(c->tfd, layer, 0700) < 0)
        return ckpt_err_set(e, errno, "cannot make layer %s/%s: %s", c->tdir, layer,
                            strerror(errno));
    *lfd = openat(c->tfd, layer, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (*lfd < 0)
        return ckpt_err_set(e, errno, "cannot open layer %s/%s: %s", c->tdir, layer,
                            strerror(errno));
    snprintf(ldir, sizeof(ldir), "%s/%s", c->tdir, layer);
    argv[n++] = (char *)c->criu;
    argv[n++] = tracked ? "pre-dump" : "dump";
    argv[n++] = "-t";
    argv[n++] = (char *)c->pid;
    argv[n++] = "-D";
    argv[n++] = ldir;
    argv[n++] = "-W";
    argv[n++] = ldir;
    argv[n++] = "-o";
    argv[n++] = "criu.log";
    argv[n++] = c->verbose ? "-v4" : "-v2";
    if (tracked) {
        argv[n++] = "--track-mem";
    } else {
        argv[n++] = "--leave-running";
        argv[n++] = "--file-locks";
        for (size_t i = 0; i < c->nextra && n < 36; i++)
            argv[n++] = c->extra[i];
    }
    if (prev)
        snprintf(prevarg, sizeof(prevarg), "../%s", prev);
    if (prev && tracked) {
        /* CRIU makes `parent` a link to this, relative to the layer. */
        argv[n++] = "--prev-images-dir";
        argv[n++] = prevarg;
    }
    argv[n] = NULL;
    int keep[2] = { c->tfd, *lfd };
    for (int try = 1;; try++) {
        if (ckpt_criu_run(c->criu, argv, keep, 2, c->ids, &child) < 0)
            return ckpt_err_set(e, errno, "cannot start CRIU (%s): %s", c->criu, strerror(errno));
        if (ckpt_criu_wait(child, c->timeout, &ws) < 0)
            return ckpt_err_set(e, errno, errno == ETIMEDOUT ? "pre-copy round %s timed out"
                                                             : "waiting for CRIU (%s)", layer);
        if (WIFEXITED(ws) && WEXITSTATUS(ws) == 0)
            break;
        char errs[700];
        snprintf(logpath, sizeof(logpath), "%s/criu.log", ldir);
        int code = ckpt_criu_log_errors(logpath, errs, sizeof(errs));
        /* another dump held proc.crtools: this round again, in its layer
         * emptied of what the failed run left */
        if (ckpt_criu_collided(errs, try) && ckpt_clear_files_at(*lfd) == 0) {
            if (c->verbose)
                fprintf(stderr, "cr_checkpoint: pre-copy %s collided with another dump; "
                                "again\n", layer);
            continue;
        }
        return ckpt_err_set(e, code, "CRIU could not pre-dump the job (round %s): %s", layer,
                            errs[0] ? errs : "(no error in its log)");
    }
    /* Full rounds: CRIU refuses a parent without tracking (its pid-reuse
     * check wants the uptime only a tracked pre-dump records), so the
     * link it would have made is made here, to give the chain its shape. */
    if (prev && !tracked && symlinkat(prevarg, *lfd, "parent") < 0)
        return ckpt_err_set(e, errno, "cannot link layer %s to %s: %s", layer, prev,
                            strerror(errno));
    return 0;
}

int ckpt_live_precopy(const struct ckpt_live_ctx *c, struct ckpt_live_result *r,
                      struct ckpt_err *e)
{
    const char *mode = c->secure ? NULL : getenv("CKMIG_LIVE_ROUND");
    bool full = mode && !strcmp(mode, "dump");
    long long prev_pages = -1;
    size_t cap = 0;

    memset(r, 0, sizeof(*r));
    r->tracked = !full && ckpt_live_tracking();
    if (!r->tracked && !full) {
        fprintf(stderr, "cr_checkpoint: --live: this kernel does not track dirty pages "
                        "(CONFIG_MEM_SOFT_DIRTY is off), so nothing can be pre-copied: "
                        "one stop-and-copy dump\n");
        return 0;
    }
    r->layers = calloc((size_t)c->rounds, sizeof(*r->layers));
    if (!r->layers)
        return ckpt_err_set(e, ENOMEM, "out of memory");
    for (int k = 1; k <= c->rounds; k++) {
        char layer[16];
        long long pages = 0;
        int lfd = -1;
        const char *prev = r->nlayers ? r->layers[r->nlayers - 1].name : NULL;

        snprintf(layer, sizeof(layer), "pre%d", k);
        struct ckpt_layer *l = &r->layers[r->nlayers];
        l->name = strdup(layer);
        l->parent = prev ? strdup(prev) : NULL;
        if (!l->name || (prev && !l->parent)) {
            free(l->name);
            free(l->parent);
            return ckpt_err_set(e, ENOMEM, "out of memory");
        }
        r->nlayers++;
        int rc = run_round(c, r->tracked, layer, prev, &lfd, e);
        if (rc == 0)
            rc = seal_layer(c, r, &cap, lfd, layer, &pages, e);
        if (lfd >= 0)
            close(lfd);
        if (rc < 0)
            return -1;
        fault_point(FAULT_CKPT_PRECOPIED);
        ckpt_phase("ckpt_dump", layer);
        if (c->verbose)
            fprintf(stderr, "cr_checkpoint: pre-copy %s: %lld KiB of pages\n", layer,
                    pages >> 10);
        /* The dirty set stopped shrinking: more rounds would not shorten
         * the final dump.  Or it is already as small as it gets. */
        if ((prev_pages >= 0 && pages >= prev_pages) || pages <= CONVERGED_BYTES)
            break;
        prev_pages = pages;
    }
    return 0;
}

static int cmp_image(const void *a, const void *b)
{
    return strcmp(((const struct ckpt_image *)a)->name, ((const struct ckpt_image *)b)->name);
}

int ckpt_live_adopt(struct ckpt_live_result *r, struct ckpt_manifest *m, struct ckpt_err *e)
{
    if (!r->nlayers)
        return 0;
    struct ckpt_image *ni = realloc(m->images, (m->nimages + r->nimages) * sizeof(*ni));
    if (!ni)
        return ckpt_err_set(e, ENOMEM, "out of memory");
    m->images = ni;
    memcpy(m->images + m->nimages, r->images, r->nimages * sizeof(*ni));
    m->nimages += r->nimages;
    qsort(m->images, m->nimages, sizeof(*ni), cmp_image);
    free(r->images);
    r->images = NULL;
    r->nimages = 0;
    if (!(m->parent = strdup(r->layers[r->nlayers - 1].name)))
        return ckpt_err_set(e, ENOMEM, "out of memory");
    m->layers = r->layers;
    m->nlayers = r->nlayers;
    r->layers = NULL;
    r->nlayers = 0;
    return 0;
}
