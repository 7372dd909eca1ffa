/* Accounting records in Torque's format, one file per day in
 * server_priv/accounting/YYYYMMDD:
 *   MM/DD/YYYY HH:MM:SS;T;jobid;key=value key=value ...
 * Types: Q queued, S started, E ended, D deleted, A aborted, R rerun,
 * C checkpointed, T restarted from checkpoint. */
#include "server/server.h"
#include "lib/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int account_format_line(char *out, size_t size, time_t when, char type, const char *jobid,
			const char *text)
{
	struct tm tm;

	localtime_r(&when, &tm);
	return snprintf(out, size, "%02d/%02d/%04d %02d:%02d:%02d;%c;%s;%s\n", tm.tm_mon + 1,
			tm.tm_mday, tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec, type, jobid,
			text);
}

static void kv(struct buf *b, const char *key, const char *val)
{
	if (!val)
		return;
	buf_printf(b, "%s%s=%s", b->len ? " " : "", key, val);
}

/* The key=value list of S and E records, in Torque's order. */
void account_jobstr(const struct job *j, int with_end, struct buf *out)
{
	struct pbs_attr *a;
	char user[256];

	kv(out, "user", job_owner_user(j, user, sizeof(user)));
	kv(out, "group", job_attr(j, ATTR_egroup));
	kv(out, "jobname", job_attr(j, ATTR_N));
	kv(out, "queue", job_attr(j, ATTR_queue));
	kv(out, "ctime", job_attr(j, ATTR_ctime));
	kv(out, "qtime", job_attr(j, ATTR_qtime));
	kv(out, "etime", job_attr(j, ATTR_etime));
	kv(out, "start", job_attr(j, ATTR_start_time));
	kv(out, "owner", job_attr(j, ATTR_owner));
	kv(out, "exec_host", job_attr(j, ATTR_exechost));
	for (a = j->attrs.head; a; a = a->next)
		if (!strcmp(a->name, ATTR_l) && a->resource)
			buf_printf(out, " Resource_List.%s=%s", a->resource, a->value);
	if (!with_end)
		return;
	kv(out, "session", job_attr(j, ATTR_session));
	kv(out, "end", job_attr(j, ATTR_comp_time));
	kv(out, "Exit_status", job_attr(j, ATTR_exitstat));
	/* a job of several runs (issue 16): resources_used below are the
	 * total of its runs, each of which had an R record */
	kv(out, "run_count", job_attr(j, ATTR_run_count));
	kv(out, "walltime_total", job_attr(j, ATTR_walltime_total));
	for (a = j->attrs.head; a; a = a->next)
		if (!strcmp(a->name, ATTR_used) && a->resource)
			buf_printf(out, " resources_used.%s=%s", a->resource, a->value);
}

void account_record(struct server *s, char type, const struct job *j, const char *text)
{
	char line[16384], *dir = xasprintf("%s/accounting", s->priv), *path;
	time_t now = s->now();
	struct tm tm;
	int fd, n;

	localtime_r(&now, &tm);
	path = xasprintf("%s/%04d%02d%02d", dir, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
	n = account_format_line(line, sizeof(line), now, type, j->id, text ? text : "");
	if (n >= (int)sizeof(line)) {
		n = sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0 || write_full(fd, line, (size_t)n) < 0)
		pr_perror("cannot write accounting record to %s", path);
	if (fd >= 0)
		close(fd);
	free(path);
	free(dir);
}
