#include "lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		abort();
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		abort();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		abort();
	return q;
}

char *xstrdup(const char *s)
{
	return s ? xstrndup(s, strlen(s)) : NULL;
}

char *xstrndup(const char *s, size_t n)
{
	char *p;
	size_t l = strnlen(s, n);

	p = xmalloc(l + 1);
	memcpy(p, s, l);
	p[l] = '\0';
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&p, fmt, ap);
	va_end(ap);
	if (n < 0)
		abort();
	return p;
}

void buf_init(struct buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void buf_free(struct buf *b)
{
	free(b->data);
	buf_init(b);
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

static void buf_reserve(struct buf *b, size_t extra)
{
	size_t need = b->len + extra + 1;

	if (need <= b->cap)
		return;
	if (b->cap == 0)
		b->cap = 256;
	while (b->cap < need)
		b->cap *= 2;
	b->data = xrealloc(b->data, b->cap);
}

void buf_append(struct buf *b, const void *p, size_t n)
{
	buf_reserve(b, n);
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

char *buf_grow(struct buf *b, size_t n)
{
	char *p;

	buf_reserve(b, n);
	p = b->data + b->len;
	b->len += n;
	b->data[b->len] = '\0';
	return p;
}

void buf_puts(struct buf *b, const char *s)
{
	buf_append(b, s, strlen(s));
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		abort();
	buf_reserve(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len) {
		buf_reset(b);
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
	b->data[b->len] = '\0';
}

ssize_t read_full(int fd, void *p, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, (char *)p + got, n - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

int write_full(int fd, const void *p, size_t n)
{
	size_t done = 0;

	while (done < n) {
		ssize_t w = write(fd, (const char *)p + done, n - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		done += (size_t)w;
	}
	return 0;
}

int pwrite_full(int fd, const void *p, size_t n, off_t off)
{
	size_t done = 0;

	while (done < n) {
		ssize_t w = pwrite(fd, (const char *)p + done, n - done, off + (off_t)done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		if (w == 0) {   /* a regular file that takes nothing is full */
			errno = ENOSPC;
			return -1;
		}
		done += (size_t)w;
	}
	return 0;
}

int read_file(const char *path, size_t max, char **out, size_t *len)
{
	struct buf b;
	char tmp[8192];
	int fd, rc = -1, saved;

	buf_init(&b);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	for (;;) {
		ssize_t r = read(fd, tmp, sizeof(tmp));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto out;
		if (r == 0)
			break;
		if (b.len + (size_t)r > max) {
			errno = EFBIG;
			goto out;
		}
		buf_append(&b, tmp, (size_t)r);
	}
	if (!b.data)
		buf_append(&b, "", 0);
	*out = b.data;
	if (len)
		*len = b.len;
	b.data = NULL;
	rc = 0;
out:
	saved = errno;
	close(fd);
	buf_free(&b);
	errno = saved;
	return rc;
}

static int fsync_dir_of(const char *path)
{
	char *copy = xstrdup(path);
	int fd, rc = -1;

	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		goto out;
	rc = fsync(fd);
	close(fd);
out:
	free(copy);
	return rc;
}

int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

int atomic_write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	return atomic_replace_file(path, data, len, mode) < 0 ? -1 : fsync_dir_of(path);
}

int atomic_replace_file(const char *path, const void *data, size_t len, mode_t mode)
{
	char *tmp = xasprintf("%s.tmp", path);
	int fd = -1, rc = -1, saved;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		goto out;
	if (fchmod(fd, mode) < 0 || write_full(fd, data, len) < 0 || fsync(fd) < 0)
		goto out;
	if (close(fd) < 0) {
		fd = -1;
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) < 0)
		goto out;
	rc = 0;
out:
	saved = errno;
	if (fd >= 0)
		close(fd);
	if (rc < 0)
		unlink(tmp);
	free(tmp);
	errno = saved;
	return rc;
}

int mkdir_p(const char *path, mode_t mode)
{
	char *p = xstrdup(path), *s;
	int rc = -1;

	for (s = p + 1; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;

		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			goto out;
		*s = c;
		if (c == '\0')
			break;
	}
	rc = 0;
out:
	free(p);
	return rc;
}

int key_load(const char *path, unsigned char **key, size_t *keylen, char *err, size_t errlen)
{
	struct stat st;
	char *data = NULL;
	size_t len = 0;
	int fd = -1, rc = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open key file %s: %s", path, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "key file %s is not a regular file", path);
		goto out;
	}
	if (st.st_uid != 0 || (st.st_mode & 077)) {
		snprintf(err, errlen, "key file %s must be owned by root with mode 0600 or 0400 "
			 "(owner %u, mode %04o)", path, (unsigned)st.st_uid,
			 (unsigned)(st.st_mode & 07777));
		goto out;
	}
	close(fd);
	fd = -1;
	if (read_file(path, 4096, &data, &len) < 0) {
		snprintf(err, errlen, "cannot read key file %s: %s", path, strerror(errno));
		goto out;
	}
	while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r'))
		len--;
	if (len < 16) {
		snprintf(err, errlen, "key file %s is too short (%zu bytes, need at least 16)",
			 path, len);
		goto out;
	}
	*key = (unsigned char *)data;
	*keylen = len;
	data = NULL;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	free(data);
	return rc;
}

long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

size_t strlcpy_ck(char *dst, const char *src, size_t n)
{
	size_t l = strlen(src);

	if (n) {
		size_t c = l < n - 1 ? l : n - 1;

		memcpy(dst, src, c);
		dst[c] = '\0';
	}
	return l;
}
