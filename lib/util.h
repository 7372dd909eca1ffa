/* Small utilities every part shares: allocation that never returns NULL,
 * a growable byte buffer, whole reads and writes that survive EINTR and
 * short transfers, durable atomic file replacement, and loading a secret
 * key file only root may read. */
#ifndef CKMIG_LIB_UTIL_H
#define CKMIG_LIB_UTIL_H

#include <stddef.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Allocation failure is not recoverable in our daemons: abort, as Slurm's
 * xmalloc does, so callers need no NULL checks. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);          /* NULL stays NULL */
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Growable buffer; data is always NUL-terminated (not counted in len). */
struct buf {
	char *data;
	size_t len;
	size_t cap;
};
void buf_init(struct buf *b);
void buf_free(struct buf *b);
void buf_reset(struct buf *b);                 /* len = 0, keep memory */
void buf_append(struct buf *b, const void *p, size_t n);
void buf_puts(struct buf *b, const char *s);
/* Makes n more bytes part of b (uninitialised) and returns them, for the
 * caller to fill: one call where many small appends would each check room. */
char *buf_grow(struct buf *b, size_t n);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_consume(struct buf *b, size_t n);     /* drop n bytes at the front */

/* Loop until all n bytes moved. read_full returns bytes read (< n only at
 * EOF) or -1; write_full and pwrite_full (at offset off) return 0 or -1.
 * errno is preserved on failure. */
ssize_t read_full(int fd, void *p, size_t n);
int write_full(int fd, const void *p, size_t n);
int pwrite_full(int fd, const void *p, size_t n, off_t off);

/* Read a whole file of at most max bytes into *out (NUL-terminated).
 * Returns 0, or -1 with errno (EFBIG when larger than max). */
int read_file(const char *path, size_t max, char **out, size_t *len);

/* Replace path with data durably: write path.tmp, fsync, rename over path,
 * fsync the directory. Either the old or the new content survives a crash.
 * Returns 0 or -1 with errno. */
int atomic_write_file(const char *path, const void *data, size_t len, mode_t mode);

/* The same without the directory fsync, for callers that group many
 * replacements and then call fsync_dir() once before anyone relies on
 * them (group commit). The file's data is synced; the rename is not yet
 * durable until fsync_dir(). */
int atomic_replace_file(const char *path, const void *data, size_t len, mode_t mode);
int fsync_dir(const char *dir);

/* mkdir -p with mode for created components. 0 or -1. */
int mkdir_p(const char *path, mode_t mode);

/* Load a secret key file (raw bytes, trailing newline stripped; at least 16
 * bytes, at most 4096). Refused unless owned by root and not readable,
 * writable or executable by group or other: a key others can read
 * authenticates nothing. Returns 0, or -1 with a reason in err. */
int key_load(const char *path, unsigned char **key, size_t *keylen, char *err, size_t errlen);

/* Monotonic clock in milliseconds, for timeouts and periodic chores. */
long long now_ms(void);

/* Copy src into dst of size n, always terminated; returns strlen(src)
 * so callers can detect truncation (>= n). */
size_t strlcpy_ck(char *dst, const char *src, size_t n);

#ifdef __cplusplus
}
#endif
#endif
