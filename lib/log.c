#include "lib/log.h"
#include "lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LOG_LINE_MAX 8192

/* The one logger of a process; log_close() resets it for tests. */
static struct {
	char *daemon;
	char *dir;
	char *path;
	int fd;
	int to_stderr;
	int mask;
	int yday, year;          /* day of the open file */
} lg = { NULL, NULL, NULL, -1, 0, ~(PBSEVENT_DEBUG | PBSEVENT_DEBUG2), -1, -1 };

int log_format_line(char *out, size_t size, time_t when, int event, const char *daemon,
		    long pid, const char *cls, const char *name, const char *msg)
{
	struct tm tm;

	localtime_r(&when, &tm);
	return snprintf(out, size, "%02d/%02d/%04d %02d:%02d:%02d;%04x;%s.%ld;%s;%s;%s",
			tm.tm_mon + 1, tm.tm_mday, tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
			tm.tm_sec, event & 0xffff, daemon, pid, cls, name, msg);
}

static void log_close_file(void)
{
	if (lg.fd >= 0)
		close(lg.fd);
	lg.fd = -1;
	free(lg.path);
	lg.path = NULL;
	lg.yday = lg.year = -1;
}

/* Open <dir>/YYYYMMDD for the given day if it is not the open one. */
static void log_ensure_file(const struct tm *tm)
{
	if (!lg.dir)
		return;
	if (lg.fd >= 0 && tm->tm_yday == lg.yday && tm->tm_year == lg.year)
		return;
	log_close_file();
	lg.path = xasprintf("%s/%04d%02d%02d", lg.dir, tm->tm_year + 1900, tm->tm_mon + 1,
			    tm->tm_mday);
	lg.fd = open(lg.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	lg.yday = tm->tm_yday;
	lg.year = tm->tm_year;
}

int log_open(const char *daemon, const char *dir, int to_stderr)
{
	time_t now = time(NULL);
	struct tm tm;
	int mask = lg.mask;

	log_close();
	lg.mask = mask;
	lg.daemon = xstrdup(daemon ? daemon : "ckmig");
	lg.to_stderr = to_stderr;
	if (!dir)
		return 0;
	if (mkdir_p(dir, 0750) < 0)
		return -1;
	lg.dir = xstrdup(dir);
	localtime_r(&now, &tm);
	log_ensure_file(&tm);
	return lg.fd >= 0 ? 0 : -1;
}

void log_close(void)
{
	log_close_file();
	free(lg.daemon);
	free(lg.dir);
	lg.daemon = lg.dir = NULL;
	lg.to_stderr = 0;
	lg.mask = ~(PBSEVENT_DEBUG | PBSEVENT_DEBUG2);
}

void log_reopen(void)
{
	log_close_file();
}

void log_set_mask(int mask)
{
	lg.mask = mask;
}

int log_get_mask(void)
{
	return lg.mask;
}

const char *log_current_path(void)
{
	return lg.path;
}

static void log_write(int event, const char *cls, const char *name, const char *msg)
{
	char line[LOG_LINE_MAX];
	time_t now = time(NULL);
	struct tm tm;
	const char *daemon = lg.daemon ? lg.daemon : "ckmig";
	int n, saved = errno;

	if (!(event & (lg.mask | PBSEVENT_ERROR | PBSEVENT_SYSTEM | PBSEVENT_FORCE)))
		goto out;
	n = log_format_line(line, sizeof(line) - 1, now, event, daemon, (long)getpid(),
			    cls ? cls : PBS_EVENTCLASS_SERVER, name ? name : daemon, msg);
	if (n < 0)
		goto out;
	if ((size_t)n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	localtime_r(&now, &tm);
	log_ensure_file(&tm);
	/* One write per line on O_APPEND: forked children may log too. */
	if (lg.fd >= 0 && write(lg.fd, line, (size_t)n) < 0)
		lg.to_stderr = 1;
	if (lg.to_stderr || (!lg.dir && (event & PBSEVENT_ERROR)))
		(void)!write(STDERR_FILENO, line, (size_t)n);
out:
	errno = saved;
}

void log_event(int event, const char *cls, const char *name, const char *fmt, ...)
{
	char msg[LOG_LINE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_write(event, cls, name, msg);
}

void log_job(int event, const char *jobid, const char *fmt, ...)
{
	char msg[LOG_LINE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_write(event, PBS_EVENTCLASS_JOB, jobid, msg);
}

void log_src(int event, const char *file, int line, const char *kind, int with_errno,
	     const char *fmt, ...)
{
	char msg[LOG_LINE_MAX];
	const char *base = strrchr(file, '/');
	int err = errno, n;
	va_list ap;

	n = snprintf(msg, sizeof(msg), "%s (%s:%d): ", kind, base ? base + 1 : file, line);
	if (n < 0 || (size_t)n >= sizeof(msg))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	va_end(ap);
	if (with_errno) {
		size_t l = strlen(msg);

		snprintf(msg + l, sizeof(msg) - l, ": %s", strerror(err));
	}
	log_write(event, NULL, NULL, msg);
	errno = err;
}
