/* The files CRIU would open by path at restore, read from its own images
 * (files.img and remap-fpath.img, protobuf records after an 8-byte magic).
 *
 * Every regular file, mapped file, executable, working directory and root
 * CRIU restores by path is one reg_file_entry in files.img: the entry
 * names the path (as the kernel printed it: no symbolic links in it), the
 * open flags, position, size and mode.  Files CRIU restores from its own
 * images (unlinked files, O_TMPFILE files, deleted directories: "ghost" or
 * "linked" remaps) are listed in remap-fpath.img; memfd and shared
 * anonymous memory are not reg entries at all.  The images are read only
 * after their MAC verified, but are parsed defensively all the same. */
#include "checkpoint/ckpt_internal.h"
#include "lib/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define IMG_COMMON_MAGIC 0x54564319u
#define FILES_MAGIC      0x56303138u
#define REMAP_MAGIC      0x59133954u
#define FD_TYPE_REG      1
#define FD_TYPE_FIFO     3
#define FD_TYPE_TTY      11
#define FIFO_DATA_MAGIC  0x59333054u
#define MM_MAGIC         0x57492820u
#define CORE_MAGIC       0x55053847u
#define TASK_STOPPED     3
#define VMA_FILE_PRIVATE (1u << 6)
#define VMA_FILE_SHARED  (1u << 7)
#define REMAP_LINKED     0
#define REMAP_GHOST_BIT  0x80000000u

struct pb {
    const unsigned char *p, *end;
};

static int pb_varint(struct pb *b, uint64_t *v)
{
    *v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (b->p >= b->end)
            return -1;
        unsigned char c = *b->p++;
        *v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80))
            return 0;
    }
    return -1;
}

/* Next field: its number and wire type; a varint's value in *v, a
 * length-delimited field's bytes in *sub. */
static int pb_field(struct pb *b, unsigned *num, unsigned *type, uint64_t *v, struct pb *sub)
{
    uint64_t key, len;
    if (pb_varint(b, &key) < 0)
        return -1;
    *num = (unsigned)(key >> 3);
    *type = (unsigned)(key & 7);
    switch (*type) {
    case 0:
        return pb_varint(b, v);
    case 1:
    case 5: {
        size_t n = *type == 1 ? 8 : 4;
        if ((size_t)(b->end - b->p) < n)
            return -1;
        b->p += n;
        return 0;
    }
    case 2:
        if (pb_varint(b, &len) < 0 || len > (uint64_t)(b->end - b->p))
            return -1;
        sub->p = b->p;
        sub->end = b->p + len;
        b->p += len;
        return 0;
    default:
        return -1;
    }
}

/* A field a message is read for: its number and wire type (0: a varint,
 * in .v; 2: bytes, in .sub), and whether it was there.  As protobuf
 * reads, the last of a repeated number wins. */
struct pb_pick {
    unsigned num, type;
    bool seen;
    uint64_t v;
    struct pb sub;
};

#define PB_NPICK(picks) (sizeof(picks) / sizeof((picks)[0]))

/* Reads msg to its end, filling the picks named and skipping every other
 * field; -1 when msg is malformed anywhere. */
static int pb_pick(struct pb msg, struct pb_pick *picks, size_t n)
{
    while (msg.p < msg.end) {
        unsigned num, type;
        uint64_t v = 0;
        struct pb sub = { NULL, NULL };
        if (pb_field(&msg, &num, &type, &v, &sub) < 0)
            return -1;
        for (size_t i = 0; i < n; i++)
            if (picks[i].num == num && picks[i].type == type) {
                picks[i].seen = true;
                picks[i].v = v;
                picks[i].sub = sub;
            }
    }
    return 0;
}

static int read_image(int imgfd, const char *name, uint32_t magic, unsigned char **buf,
                      size_t *len)
{
    int fd = openat(imgfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    *buf = NULL;
    *len = 0;
    if (fd < 0)
        return errno == ENOENT ? 0 : -1;
    if (fstat(fd, &st) < 0 || st.st_size < 8 || st.st_size > (256 << 20)) {
        close(fd);
        errno = EBADMSG;
        return -1;
    }
    *buf = malloc((size_t)st.st_size);
    size_t got = 0;
    while (*buf && got < (size_t)st.st_size) {
        ssize_t r = read(fd, *buf + got, (size_t)st.st_size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    uint32_t m[2];
    if (*buf && got == (size_t)st.st_size)
        memcpy(m, *buf, 8);
    if (!*buf || got != (size_t)st.st_size || m[0] != IMG_COMMON_MAGIC || m[1] != magic) {
        free(*buf);
        *buf = NULL;
        errno = EBADMSG;
        return -1;
    }
    *len = got;
    return 1;
}

/* Calls fn on each record's payload (a u32 length, then the message). */
static int each_record(const unsigned char *buf, size_t len,
                       int (*fn)(struct pb *rec, void *arg), void *arg)
{
    size_t off = 8;
    while (off < len) {
        uint32_t n;
        if (len - off < 4)
            return -1;
        memcpy(&n, buf + off, 4);
        off += 4;
        if (n > len - off)
            return -1;
        struct pb rec = { buf + off, buf + off + n };
        if (fn(&rec, arg) < 0)
            return -1;
        off += n;
    }
    return 0;
}

struct remaps {
    uint32_t *ids;
    size_t n, cap;
};

static int add_id(struct remaps *r, uint64_t id)
{
    if (r->n == r->cap) {
        size_t nc = r->cap ? 2 * r->cap : 16;
        uint32_t *ni = realloc(r->ids, nc * sizeof(*ni));
        if (!ni)
            return -1;
        r->ids = ni;
        r->cap = nc;
    }
    r->ids[r->n++] = (uint32_t)id;
    return 0;
}

/* A file id and a value: a file mapping's flags (CRIU reopens the file
 * with them), or a FIFO's pipe id. */
struct idval {
    uint32_t id, val;
};

struct idvals {
    struct idval *v;
    size_t n, cap;
};

static int add_pair(struct idvals *mp, uint64_t id, uint64_t val)
{
    if (mp->n == mp->cap) {
        size_t nc = mp->cap ? 2 * mp->cap : 16;
        struct idval *nv = realloc(mp->v, nc * sizeof(*nv));
        if (!nv)
            return -1;
        mp->v = nv;
        mp->cap = nc;
    }
    mp->v[mp->n].id = (uint32_t)id;
    mp->v[mp->n].val = (uint32_t)val;
    mp->n++;
    return 0;
}

/* remap-fpath.img: orig_id = 1 is a file CRIU restores itself.  Only a
 * link remap's remap_id = 2 is a file entry too (the link CRIU made); a
 * ghost's is the number of its ghost-file image and a /proc remap's a
 * PID, both unrelated to file ids.  Images without remap_type = 3 mark a
 * ghost by the id's top bit (CRIU's REMAP_GHOST). */
static int remap_record(struct pb *rec, void *arg)
{
    enum { ORIG, REMAP, TYPE };
    struct pb_pick f[] = { [ORIG] = { .num = 1 }, [REMAP] = { .num = 2 }, [TYPE] = { .num = 3 } };
    if (pb_pick(*rec, f, PB_NPICK(f)) < 0)
        return -1;
    bool linked = f[TYPE].seen ? f[TYPE].v == REMAP_LINKED : !(f[REMAP].v & REMAP_GHOST_BIT);
    if ((f[ORIG].seen && add_id(arg, f[ORIG].v) < 0) ||
        (f[REMAP].seen && linked && add_id(arg, f[REMAP].v) < 0))
        return -1;
    return 0;
}

/* A terminal's file entry (tty_file_entry = 19) names the file entry that
 * holds its path: regf_id = 6, else its own id = 1.  CRIU opens that path
 * itself, on the new pty it makes (another index than at the dump). */
static int tty_ids(struct pb tty, struct remaps *ttys)
{
    enum { ID, REGF };
    struct pb_pick f[] = { [ID] = { .num = 1 }, [REGF] = { .num = 6 } };
    if (pb_pick(tty, f, PB_NPICK(f)) < 0)
        return -1;
    return add_id(ttys, f[REGF].seen ? f[REGF].v : f[ID].v);
}

/* A FIFO's file entry (fifo_entry = 17: id = 1, pipe_id = 2, regf_id = 3)
 * names the file entry of its path and the pipe whose data fifo-data.img
 * holds. */
static int fifo_ids(struct pb fifo, struct idvals *fifos)
{
    enum { ID, PIPE, REGF };
    struct pb_pick f[] = { [ID] = { .num = 1 }, [PIPE] = { .num = 2 }, [REGF] = { .num = 3 } };
    if (pb_pick(fifo, f, PB_NPICK(f)) < 0)
        return -1;
    return add_pair(fifos, f[REGF].seen ? f[REGF].v : f[ID].v, f[PIPE].v);
}

struct collect {
    struct remaps remap, ttys;
    struct idvals maps, fifos;    /* mapped file ids, fdflags; FIFO file ids, pipe ids */
    struct ckpt_criu_file *files;
    size_t n, cap;
};

/* reg_file_entry: id = 1, flags = 2, pos = 3, name = 6, size = 8,
 * ext = 9, mode = 10. */
static int reg_entry(struct pb reg, struct ckpt_criu_file *f)
{
    enum { ID, FLAGS, POS, NAME, SIZE, EXT, MODE };
    struct pb_pick p[] = { [ID] = { .num = 1 },  [FLAGS] = { .num = 2 }, [POS] = { .num = 3 },
                           [NAME] = { .num = 6, .type = 2 },
                           [SIZE] = { .num = 8 }, [EXT] = { .num = 9 }, [MODE] = { .num = 10 } };
    if (pb_pick(reg, p, PB_NPICK(p)) < 0 || !p[NAME].seen)
        return -1;
    size_t l = (size_t)(p[NAME].sub.end - p[NAME].sub.p);
    if (l == 0 || l >= 4096 || memchr(p[NAME].sub.p, '\0', l))
        return -1;
    f->path = strndup((const char *)p[NAME].sub.p, l);
    if (!f->path)
        return -1;
    f->id = (uint32_t)p[ID].v;
    f->flags = (uint32_t)p[FLAGS].v;
    f->pos = p[POS].v;
    f->size = (long long)p[SIZE].v;
    f->has_size = p[SIZE].seen;
    f->ext = p[EXT].v != 0;
    f->mode = (mode_t)p[MODE].v;
    f->has_mode = p[MODE].seen;
    return 0;
}

static int file_record(struct pb *rec, void *arg)
{
    struct collect *c = arg;
    enum { TYPE, REG, FIFO, TTY };
    struct pb_pick fe[] = { [TYPE] = { .num = 1 }, [REG] = { .num = 3, .type = 2 },
                           [FIFO] = { .num = 17, .type = 2 }, [TTY] = { .num = 19, .type = 2 } };
    if (pb_pick(*rec, fe, PB_NPICK(fe)) < 0)
        return -1;
    if (fe[TYPE].v == FD_TYPE_TTY && fe[TTY].seen)
        return tty_ids(fe[TTY].sub, &c->ttys);
    if (fe[TYPE].v == FD_TYPE_FIFO && fe[FIFO].seen)
        return fifo_ids(fe[FIFO].sub, &c->fifos);
    if (fe[TYPE].v != FD_TYPE_REG || !fe[REG].seen)
        return 0;
    if (c->n == c->cap) {
        size_t nc = c->cap ? 2 * c->cap : 16;
        struct ckpt_criu_file *nf = realloc(c->files, nc * sizeof(*nf));
        if (!nf)
            return -1;
        c->files = nf;
        c->cap = nc;
    }
    struct ckpt_criu_file *f = &c->files[c->n];
    memset(f, 0, sizeof(*f));
    if (reg_entry(fe[REG].sub, f) < 0) {
        free(f->path);
        return -1;
    }
    c->n++;
    return 0;
}

/* One vma_entry (mm_entry's vmas = 14): shmid = 4, status = 7,
 * fdflags = 10.  CRIU reopens a mapped file with the vma's fdflags, not
 * with its file entry's flags (a shared writable mapping whose descriptor
 * the job closed has a read-only file entry). */
static int vma_entry(struct pb vma, struct idvals *mp)
{
    enum { SHMID, STATUS, FDFLAGS };
    struct pb_pick f[] = { [SHMID] = { .num = 4 }, [STATUS] = { .num = 7 }, [FDFLAGS] = { .num = 10 } };
    if (pb_pick(vma, f, PB_NPICK(f)) < 0)
        return -1;
    if (!f[FDFLAGS].seen || !(f[STATUS].v & (VMA_FILE_PRIVATE | VMA_FILE_SHARED)))
        return 0;
    return add_pair(mp, f[SHMID].v, f[FDFLAGS].v);
}

static int mm_record(struct pb *rec, void *arg)
{
    unsigned num, type;
    uint64_t v = 0;
    struct pb sub;
    while (rec->p < rec->end) {
        if (pb_field(rec, &num, &type, &v, &sub) < 0)
            return -1;
        if (type == 2 && num == 14 && vma_entry(sub, arg) < 0)
            return -1;
    }
    return 0;
}

/* Calls fn on every image named PREFIX*.img of the checkpoint. */
static int each_image(int imgfd, const char *prefix, uint32_t magic,
                      int (*fn)(const char *name, const unsigned char *buf, size_t len, void *arg),
                      void *arg)
{
    int dfd = openat(imgfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
    struct dirent *de;
    size_t pl = strlen(prefix);
    int rc = 0;

    if (!d) {
        if (dfd >= 0)
            close(dfd);
        return -1;
    }
    while (rc == 0 && (de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if (strncmp(de->d_name, prefix, pl) || l < pl + 5 || strcmp(de->d_name + l - 4, ".img"))
            continue;
        unsigned char *buf = NULL;
        size_t len = 0;
        int r = read_image(imgfd, de->d_name, magic, &buf, &len);
        if (r < 0 || (r > 0 && fn(de->d_name, buf, len, arg) < 0)) {
            errno = r < 0 ? errno : EBADMSG;
            rc = -1;
        }
        free(buf);
    }
    closedir(d);
    return rc;
}

static int mm_image(const char *name, const unsigned char *buf, size_t len, void *arg)
{
    (void)name;
    return each_record(buf, len, mm_record, arg);
}

/* Every mm-PID.img of the checkpoint. */
static int read_maps(int imgfd, struct idvals *mp)
{
    return each_image(imgfd, "mm-", MM_MAGIC, mm_image, mp);
}

struct stopped {
    struct ckpt_stop *v;
    size_t n, cap;
    uint32_t pid;           /* of the core image being read */
};

/* core-PID.img: core_entry.tc (3) is a process's task_core_entry, whose
 * task_state (1) is TASK_STOPPED for one stopped at the dump (threads'
 * core images have no tc), and stop_signo (21) the signal that stopped it
 * (SIGTSTP from a terminal or a shell; CRIU 3.16+ records it). */
static int core_record(struct pb *rec, void *arg)
{
    struct stopped *st = arg;
    struct pb_pick tc = { .num = 3, .type = 2 };
    struct pb_pick f[] = { { .num = 1 }, { .num = 21 } };
    if (pb_pick(*rec, &tc, 1) < 0 || (tc.seen && pb_pick(tc.sub, f, PB_NPICK(f)) < 0))
        return -1;
    if (!f[0].seen || f[0].v != TASK_STOPPED)
        return 0;
    if (st->n == st->cap) {
        size_t nc = st->cap ? 2 * st->cap : 8;
        struct ckpt_stop *nv = realloc(st->v, nc * sizeof(*nv));
        if (!nv)
            return -1;
        st->v = nv;
        st->cap = nc;
    }
    st->v[st->n].pid = st->pid;
    st->v[st->n++].signo = f[1].seen && f[1].v < 65 ? (int)f[1].v : 0;
    return 0;
}

static int core_image(const char *name, const unsigned char *buf, size_t len, void *arg)
{
    char *end;
    long pid = strtol(name + 5, &end, 10);
    if (pid <= 0 || strcmp(end, ".img"))
        return 0;
    ((struct stopped *)arg)->pid = (uint32_t)pid;
    return each_record(buf, len, core_record, arg);
}

int ckpt_criu_stopped(int imgfd, struct ckpt_stop **v, size_t *n)
{
    struct stopped st = { 0 };
    if (each_image(imgfd, "core-", CORE_MAGIC, core_image, &st) < 0) {
        free(st.v);
        return -1;
    }
    *v = st.v;
    *n = st.n;
    return 0;
}

void ckpt_criu_files_free(struct ckpt_criu_file *files, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(files[i].path);
    free(files);
}

int ckpt_criu_files(int imgfd, struct ckpt_criu_file **files, size_t *n, struct ckpt_err *e)
{
    struct collect c = { 0 };
    unsigned char *buf = NULL;
    size_t len = 0;
    int rc = -1;

    *files = NULL;
    *n = 0;
    int r = read_image(imgfd, "remap-fpath.img", REMAP_MAGIC, &buf, &len);
    if (r < 0 || (r > 0 && each_record(buf, len, remap_record, &c.remap) < 0)) {
        ckpt_err_set(e, EBADMSG, "cannot read the checkpoint's remap-fpath.img: %s",
                     strerror(r < 0 ? errno : EBADMSG));
        goto out;
    }
    free(buf);
    buf = NULL;
    r = read_image(imgfd, "files.img", FILES_MAGIC, &buf, &len);
    if (r < 0 || (r > 0 && each_record(buf, len, file_record, &c) < 0)) {
        ckpt_err_set(e, EBADMSG, "cannot read the checkpoint's files.img: %s",
                     strerror(r < 0 ? errno : EBADMSG));
        goto out;
    }
    if (read_maps(imgfd, &c.maps) < 0) {
        ckpt_err_set(e, EBADMSG, "cannot read the checkpoint's mm images: %s", strerror(errno));
        goto out;
    }
    for (size_t i = 0; i < c.n; i++) {
        for (size_t j = 0; j < c.maps.n; j++)
            if (c.files[i].id == c.maps.v[j].id) {
                int acc = (int)(c.maps.v[j].val & O_ACCMODE);
                c.files[i].map_read |= acc == O_RDONLY || acc == O_RDWR;
                c.files[i].map_write |= acc == O_WRONLY || acc == O_RDWR;
            }
        for (size_t j = 0; j < c.remap.n; j++)
            if (c.files[i].id == c.remap.ids[j])
                c.files[i].remapped = true;
        for (size_t j = 0; j < c.ttys.n; j++)
            if (c.files[i].id == c.ttys.ids[j])
                c.files[i].tty = true;
        for (size_t j = 0; j < c.fifos.n; j++)
            if (c.files[i].id == c.fifos.v[j].id) {
                c.files[i].fifo = true;
                c.files[i].pipe_id = c.fifos.v[j].val;
            }
    }
    *files = c.files;
    *n = c.n;
    c.files = NULL;
    c.n = 0;
    rc = 0;
out:
    free(buf);
    free(c.remap.ids);
    free(c.ttys.ids);
    free(c.maps.v);
    free(c.fifos.v);
    ckpt_criu_files_free(c.files, c.n);
    return rc;
}

/* fifo-data.img: records of pipe_data_entry (pipe_id = 1, bytes = 2,
 * size = 3), each followed by its bytes.  Writes pipe_id's into wfd (the
 * FIFO, open for writing and not blocking) as CRIU would (criu/fifo.c). */
int ckpt_criu_fifo_data(int imgfd, uint32_t pipe_id, int wfd, struct ckpt_err *e)
{
    unsigned char *buf = NULL;
    size_t len = 0, off = 8;
    int rc = -1;
    int r = read_image(imgfd, "fifo-data.img", FIFO_DATA_MAGIC, &buf, &len);

    if (r <= 0) {
        if (r == 0)
            return 0;
        return ckpt_err_set(e, EBADMSG, "cannot read the checkpoint's fifo-data.img: %s",
                            strerror(errno));
    }
    while (off < len) {
        uint32_t n;
        enum { ID, BYTES, SIZE };
        struct pb_pick f[] = { [ID] = { .num = 1 }, [BYTES] = { .num = 2 }, [SIZE] = { .num = 3 } };
        if (len - off < 4)
            goto bad;
        memcpy(&n, buf + off, 4);
        off += 4;
        if (n > len - off)
            goto bad;
        if (pb_pick((struct pb){ buf + off, buf + off + n }, f, PB_NPICK(f)) < 0)
            goto bad;
        uint64_t bytes = f[BYTES].v;
        off += n;
        if (bytes > len - off)
            goto bad;
        if (f[ID].v == pipe_id && bytes) {
            if (f[SIZE].v)
                fcntl(wfd, F_SETPIPE_SZ, (int)f[SIZE].v);
            if (write_full(wfd, buf + off, (size_t)bytes) < 0) {
                ckpt_err_set(e, errno, "cannot put the data back into a FIFO of the job: %s",
                             strerror(errno));
                goto out;
            }
        }
        off += bytes;
    }
    rc = 0;
    goto out;
bad:
    ckpt_err_set(e, EBADMSG, "the checkpoint's fifo-data.img is damaged");
out:
    free(buf);
    return rc;
}
