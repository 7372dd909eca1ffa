/* qstat: show jobs, queues and the server in Torque's layouts: the
 * default table, -a/-n/-s/-r/-i/-u alternate table, -f attribute blocks,
 * -x XML, -Q queues, -B server. */
#include "qtools/lib/cmds.h"
#include "qtools/lib/qstat_format.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
	"usage: \n"
	"                          qstat [-f [-1]] [-x] [ job_identifier... | destination... ]\n"
	"                          qstat [-a|-i|-r] [-u user] [-n] [-s] [job_id... | destination...]\n"
	"                          qstat -Q [-f [-1]] [ destination... ]\n"
	"                          qstat -B [-f [-1]] [ server_name... ]\n";

struct opts {
	int full, xml, alt, running_only, idle_only, queues, server, linesize;
	const char *users;
};

static void flush(struct buf *out)
{
	fwrite(out->data ? out->data : "", 1, out->len, stdout);
	buf_reset(out);
}

static int user_listed(const char *users, const struct batch_status *job)
{
	const char *owner = ifl_attrl_get(job->attribs, ATTR_owner, NULL);
	size_t n = owner ? strcspn(owner, "@") : 0;
	const char *p = users;

	if (users == NULL)
		return 1;
	if (owner == NULL)
		return 0;
	while (*p) {
		size_t l = strcspn(p, ",");

		if (l == n && strncmp(p, owner, n) == 0)
			return 1;
		p += l;
		if (*p == ',')
			p++;
	}
	return 0;
}

static int wanted(const struct opts *o, const struct batch_status *job)
{
	if (o->running_only || o->idle_only) {
		const char *st = ifl_attrl_get(job->attribs, ATTR_state, NULL);
		char s = st ? st[0] : '?';

		if (o->running_only && s != 'R' && s != 'E' && s != 'S')
			return 0;
		if (o->idle_only && s != 'Q' && s != 'H' && s != 'W')
			return 0;
	}
	return user_listed(o->users, job);
}

struct shown {
	const struct opts *o;
	const struct batch_status *server;   /* for the alternate header */
	int header_done;
	struct buf *out;
};

static void show_job(struct shown *sh, const struct batch_status *j)
{
	const struct opts *o = sh->o;

	if (!wanted(o, j))
		return;
	if (o->xml) {
		qstat_job_xml(sh->out, j);
	} else if (o->full) {
		qstat_job_full(sh->out, j, o->linesize);
	} else if (o->alt) {
		if (!sh->header_done)
			qstat_alt_header(sh->out, sh->server, o->alt);
		qstat_alt_line(sh->out, j, o->alt);
	} else {
		if (!sh->header_done)
			qstat_job_header(sh->out);
		qstat_job_line(sh->out, j);
	}
	sh->header_done = 1;
}

/* Every job's status, shown as each is decoded and then given back: qstat
 * of 10 000 jobs no longer holds 300 000 attributes at once (40 MB of
 * fresh memory, a tenth of its time in page faults). What is shown waits
 * in out until the whole reply has been read, so a failed request
 * prints none of it. */
static void show_each(struct batch_status *job, void *arg)
{
	show_job(arg, job);
	pbs_statfree(job);
}

/* print the error as Torque's qstat does (get_err_msg) */
static void stat_err(int connect, const char *id)
{
	const char *msg = pbs_geterrmsg(connect);

	if (msg)
		fprintf(stderr, "qstat: %s %s\n", msg, id);
	else if (pbs_errno)
		fprintf(stderr, "qstat: Error (%d - %s) getting status of job %s\n", pbs_errno,
			pbs_strerror(pbs_errno), id);
	else
		fprintf(stderr, "qstat: %s %s\n", pbs_strerror(PBSE_UNKQUE), id);
}

static int do_jobs(const struct opts *o, int connect, int n, char **ids)
{
	struct batch_status *all = NULL, **tail = &all, *server = NULL, *j;
	struct buf out;
	struct shown sh = { o, NULL, 0, &out };
	int i, status = 0;

	buf_init(&out);
	if (o->alt)
		sh.server = server = pbs_statserver(connect, NULL, NULL);
	if (o->xml)
		qstat_xml_open(&out);
	if (n == 0 && pbs_statjob_each(connect, NULL, NULL, NULL, show_each, &sh)) {
		buf_reset(&out);
		if (o->xml)
			qstat_xml_open(&out);
		stat_err(connect, "");
		status = pbs_errno;
	}
	for (i = 0; i < n; i++) {
		char seq[64], srv[256], queue[256];
		struct batch_status *got;
		char *id;

		if (parse_jobid(ids[i], seq, sizeof(seq), srv, sizeof(srv)) == 0) {
			id = cmd_jobid("qstat", connect, ids[i]);
			if (id == NULL) {
				status = 1;
				continue;
			}
			got = pbs_statjob(connect, id, NULL, NULL);
			if (got == NULL) {
				stat_err(connect, id);
				status = pbs_errno;
			}
			free(id);
		} else if (parse_destination_id(ids[i], queue, sizeof(queue), srv, sizeof(srv)) == 0) {
			struct attropl sel = { NULL, (char *)ATTR_queue, NULL, queue, EQ };
			struct batch_status *q = queue[0] ? pbs_statque(connect, queue, NULL, NULL) : NULL;

			/* an unknown queue is an error, not an empty list */
			if (queue[0] && q == NULL) {
				stat_err(connect, ids[i]);
				status = pbs_errno ? pbs_errno : PBSE_UNKQUE;
				continue;
			}
			pbs_statfree(q);
			got = pbs_selstat(connect, queue[0] ? &sel : NULL, NULL, NULL);
			if (got == NULL && pbs_errno) {
				stat_err(connect, ids[i]);
				status = pbs_errno;
			}
		} else {
			fprintf(stderr, "qstat: illegally formed destination: %s\n", ids[i]);
			status = 1;
			continue;
		}
		*tail = got;
		while (*tail)
			tail = &(*tail)->next;
	}
	for (j = all; j; j = j->next)
		show_job(&sh, j);
	if (o->xml)
		qstat_xml_close(&out);
	flush(&out);
	/* The lists are not freed: qstat exits now, and giving back the
	 * status of 10 000 jobs node by node (300 000 of them) was a tenth
	 * of qstat -f's work. */
	(void)all;
	(void)server;
	buf_free(&out);
	return status;
}

static int do_queues(const struct opts *o, int connect, int n, char **names)
{
	struct buf out;
	int i = 0, status = 0, header = 0;

	buf_init(&out);
	do {
		const char *name = n ? names[i] : NULL;
		struct batch_status *qs = pbs_statque(connect, name, NULL, NULL), *q;

		if (qs == NULL && pbs_errno) {
			const char *msg = pbs_geterrmsg(connect);

			fprintf(stderr, "qstat: %s %s\n", msg ? msg : pbs_strerror(pbs_errno),
				name ? name : "");
			status = pbs_errno;
		}
		for (q = qs; q; q = q->next) {
			if (o->full) {
				qstat_que_full(&out, q, o->linesize);
				continue;
			}
			if (!header++)
				qstat_que_header(&out);
			qstat_que_line(&out, q);
		}
		pbs_statfree(qs);
	} while (++i < n);
	flush(&out);
	buf_free(&out);
	return status;
}

static int do_server(const struct opts *o, int connect)
{
	struct batch_status *s = pbs_statserver(connect, NULL, NULL);
	struct buf out;

	if (s == NULL) {
		const char *msg = pbs_geterrmsg(connect);

		fprintf(stderr, "qstat: %s\n", msg ? msg : pbs_strerror(pbs_errno));
		return pbs_errno;
	}
	buf_init(&out);
	if (o->full) {
		qstat_srv_full(&out, s, o->linesize);
	} else {
		qstat_srv_header(&out);
		qstat_srv_line(&out, s);
	}
	flush(&out);
	buf_free(&out);
	pbs_statfree(s);
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o;
	int c, errflg = 0, connect, status;

	memset(&o, 0, sizeof(o));
	o.linesize = QSTAT_LINESIZE;
	cmd_check_help(argc, argv, usage);
	while ((c = getopt(argc, argv, "1afxnsriu:QB")) != -1) {
		switch (c) {
		case '1': o.linesize = 1 << 30; break;
		case 'a': o.alt |= ALT_DISPLAY_A; break;
		case 'f': o.full = 1; break;
		case 'x': o.xml = 1; break;
		case 'n': o.alt |= ALT_DISPLAY_N; break;
		case 's': o.alt |= ALT_DISPLAY_S; break;
		case 'r': o.alt |= ALT_DISPLAY_A; o.running_only = 1; break;
		case 'i': o.alt |= ALT_DISPLAY_A; o.idle_only = 1; break;
		case 'u': o.alt |= ALT_DISPLAY_A; o.users = optarg; break;
		case 'Q': o.queues = 1; break;
		case 'B': o.server = 1; break;
		default: errflg++;
		}
	}
	if (o.queues && o.server) {
		fprintf(stderr, "qstat: -Q and -B cannot be combined\n");
		errflg++;
	}
	if ((o.full || o.xml) && o.alt) {
		fprintf(stderr, "qstat: -f incompatible with one or more options. Read qstat man page\n");
		errflg++;
	}
	if (errflg) {
		fputs(usage, stderr);
		return 2;
	}
	if (o.xml)
		o.full = 1;
	connect = cnt2server("qstat", NULL);
	if (connect < 0)
		return pbs_errno;
	if (o.queues)
		status = do_queues(&o, connect, argc - optind, argv + optind);
	else if (o.server)
		status = do_server(&o, connect);
	else
		status = do_jobs(&o, connect, argc - optind, argv + optind);
	pbs_disconnect(connect);
	return status;
}
