/* The MOM's jobs in memory and on disk (Torque: job_recov.c / job_func.c).
 * A job file mom_priv/jobs/<jobid>.JB is the QueueJob request the server
 * sent (attributes and script, one serializer: lib/protocol) plus the
 * MOM's own state as <arg> elements. It is rewritten atomically whenever
 * that state changes, so a restarted MOM finds every job again. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LOG_PREFIX "job_recov: "
#include "lib/attr_names.h"
#include "lib/log.h"
#include "lib/pbs_error.h"
#include "lib/protocol.h"
#include "lib/util.h"
#include "mom/checkpoint.h"
#include "mom/mom.h"

#define MAX_JOB_FILE (PROTO_MAX_BODY + 65536)

struct mom_job *mom_job_alloc(const char *jobid)
{
	struct mom_job *j = xcalloc(1, sizeof(*j));

	j->jobid = xstrdup(jobid);
	attrl_init(&j->attrs);
	j->substate = JOB_SUBSTATE_PRERUN;
	return j;
}

void mom_job_free(struct mom_job *j)
{
	if (!j)
		return;
	free(j->jobid);
	attrl_free(&j->attrs);
	free(j->script);
	free(j->end_comment);
	free(j->wt_reason);
	free(j->ckpt_host);
	free(j->pages_from);
	if (j->ck)
		mom_ckpt_run_end(j);
	free(j);
}

struct mom_job *mom_job_find(struct mom *m, const char *jobid)
{
	struct mom_job *j;

	for (j = m->jobs; j; j = j->next)
		if (strcmp(j->jobid, jobid) == 0)
			return j;
	return NULL;
}

void mom_job_link(struct mom *m, struct mom_job *j)
{
	j->next = m->jobs;
	m->jobs = j;
}

void mom_job_unlink(struct mom *m, struct mom_job *j)
{
	struct mom_job **pp;

	for (pp = &m->jobs; *pp; pp = &(*pp)->next) {
		if (*pp == j) {
			*pp = j->next;
			j->next = NULL;
			return;
		}
	}
}

char *mom_job_path(const struct mom *m, const char *jobid, const char *suffix)
{
	return xasprintf("%s/%s%s", m->jobs_dir, jobid, suffix);
}

/* A job id becomes a file name: refuse anything that could leave the
 * jobs directory. */
static int jobid_ok(const char *id)
{
	return id && *id && strlen(id) < 200 && !strchr(id, '/') && strcmp(id, ".") != 0 &&
	       strcmp(id, "..") != 0 && id[0] != '.';
}

static void arg_long(struct pbs_msg *msg, const char *name, long long v)
{
	char b[32];

	snprintf(b, sizeof(b), "%lld", v);
	msg_add_arg(msg, name, b);
}

static long long get_long(const struct pbs_msg *msg, const char *name)
{
	const char *v = msg_arg(msg, name);

	return v ? strtoll(v, NULL, 10) : 0;
}

char *mom_job_to_xml(const struct mom_job *j, size_t *len)
{
	struct pbs_msg msg;
	struct pbs_attr *a;
	struct buf b;

	memset(&msg, 0, sizeof(msg));   /* filled by msg_*() or the decoder */
	msg_request(&msg, PBS_BATCH_QueueJob, j->jobid);
	for (a = j->attrs.head; a; a = a->next)
		msg_add_attr(&msg, a->name, a->resource, a->value);
	if (j->script)
		msg_set_script(&msg, j->script);
	arg_long(&msg, "mom_substate", j->substate);
	arg_long(&msg, "mom_restart", j->restart);
	arg_long(&msg, "mom_sup_pid", j->sup_pid);
	arg_long(&msg, "mom_sup_start", (long long)j->sup_start);
	arg_long(&msg, "mom_sid", j->sid);
	arg_long(&msg, "mom_start_time", (long long)j->start_time);
	arg_long(&msg, "mom_end_time", (long long)j->end_time);
	arg_long(&msg, "mom_walltime_prior", j->walltime_prior);
	arg_long(&msg, "mom_walltime_ckpt", j->walltime_ckpt);
	arg_long(&msg, "mom_kill_reason", j->kill_reason);
	arg_long(&msg, "mom_cput_prior", j->cput_prior);
	arg_long(&msg, "mom_wt_ckpt", j->wt_ckpt);
	arg_long(&msg, "mom_wt_end", j->wt_end);
	if (j->wt_reason)
		msg_add_arg(&msg, "mom_wt_reason", j->wt_reason);
	arg_long(&msg, "mom_held", j->held);
	arg_long(&msg, "mom_keep_output", j->keep_output);
	arg_long(&msg, "mom_pc_end", j->pc_end);
	arg_long(&msg, "mom_exited", j->exited);
	arg_long(&msg, "mom_exit_status", j->exit_status);
	arg_long(&msg, "mom_cput", j->cput);
	arg_long(&msg, "mom_mem_kb", j->mem_kb);
	arg_long(&msg, "mom_obit_sent", j->obit_sent);
	if (j->end_comment)
		msg_add_arg(&msg, "mom_end_comment", j->end_comment);
	if (j->ckpt_host)
		msg_add_arg(&msg, "mom_ckpt_host", j->ckpt_host);
	mom_ckpt_save_args(j, &msg);
	buf_init(&b);
	proto_encode(&msg, &b);
	msg_free(&msg);
	*len = b.len;
	return b.data;
}

struct mom_job *mom_job_from_xml(const char *xml, size_t len, char *err, size_t errlen)
{
	struct pbs_msg msg;
	struct pbs_attr *a;
	struct mom_job *j = NULL;
	const char *v;
	int code;

	memset(&msg, 0, sizeof(msg));   /* filled by msg_*() or the decoder */
	code = proto_decode(xml, len, &msg, err, errlen);
	if (code)
		goto out;
	if (msg.is_reply || msg.type != PBS_BATCH_QueueJob || !jobid_ok(msg.id)) {
		snprintf(err, errlen, "not a job file (no QueueJob with a valid job id)");
		goto out;
	}
	j = mom_job_alloc(msg.id);
	for (a = msg.attrs.head; a; a = a->next)
		attrl_add(&j->attrs, a->name, a->resource, a->value, BATCH_SET);
	j->script = xstrdup(msg.script);
	j->substate = (int)get_long(&msg, "mom_substate");
	j->restart = (int)get_long(&msg, "mom_restart");
	j->sup_pid = (pid_t)get_long(&msg, "mom_sup_pid");
	j->sup_start = (unsigned long long)get_long(&msg, "mom_sup_start");
	j->sid = (pid_t)get_long(&msg, "mom_sid");
	j->start_time = (time_t)get_long(&msg, "mom_start_time");
	j->end_time = (time_t)get_long(&msg, "mom_end_time");
	j->walltime_prior = (long)get_long(&msg, "mom_walltime_prior");
	j->walltime_ckpt = (long)get_long(&msg, "mom_walltime_ckpt");
	j->kill_reason = (enum mom_kill_reason)get_long(&msg, "mom_kill_reason");
	j->cput_prior = (long)get_long(&msg, "mom_cput_prior");
	j->wt_ckpt = (enum mom_wt_ckpt)get_long(&msg, "mom_wt_ckpt");
	j->wt_end = (int)get_long(&msg, "mom_wt_end");
	v = msg_arg(&msg, "mom_wt_reason");
	j->wt_reason = v ? xstrdup(v) : NULL;
	j->held = (int)get_long(&msg, "mom_held");
	j->keep_output = (int)get_long(&msg, "mom_keep_output");
	j->pc_end = (int)get_long(&msg, "mom_pc_end");
	j->exited = (int)get_long(&msg, "mom_exited");
	j->exit_status = (int)get_long(&msg, "mom_exit_status");
	j->cput = (long)get_long(&msg, "mom_cput");
	j->mem_kb = (long)get_long(&msg, "mom_mem_kb");
	j->obit_sent = (int)get_long(&msg, "mom_obit_sent");
	v = msg_arg(&msg, "mom_end_comment");
	j->end_comment = v ? xstrdup(v) : NULL;
	v = msg_arg(&msg, "mom_ckpt_host");
	j->ckpt_host = v && *v ? xstrdup(v) : NULL;
	mom_ckpt_load_args(j, &msg);
out:
	msg_free(&msg);
	return j;
}

int mom_job_save(struct mom *m, struct mom_job *j)
{
	char *path = mom_job_path(m, j->jobid, ".JB");
	size_t len;
	char *xml = mom_job_to_xml(j, &len);
	int rc;

	rc = atomic_write_file(path, xml, len, 0600);
	if (rc < 0)
		pr_perror("cannot save job file %s", path);
	free(xml);
	free(path);
	return rc;
}

void mom_job_purge_files(struct mom *m, struct mom_job *j)
{
	static const char *const suffixes[] = { ".JB", ".SC", ".ES", MOM_RESTORED_SUFFIX,
						".JB.tmp" };
	size_t i;
	char *p;

	for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		p = mom_job_path(m, j->jobid, suffixes[i]);
		if (unlink(p) < 0 && errno != ENOENT)
			pr_perror("cannot remove %s", p);
		free(p);
	}
	p = xasprintf("%s/aux/%s", m->home, j->jobid);
	unlink(p);
	free(p);
}

int mom_job_recov_all(struct mom *m)
{
	DIR *d = opendir(m->jobs_dir);
	struct dirent *e;
	int n = 0;

	if (!d) {
		pr_perror("cannot open %s", m->jobs_dir);
		return -1;
	}
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		char *path, *text = NULL, err[256];
		size_t tlen;
		struct mom_job *j;

		if (len < 4 || strcmp(e->d_name + len - 3, ".JB") != 0)
			continue;
		path = xasprintf("%s/%s", m->jobs_dir, e->d_name);
		if (read_file(path, MAX_JOB_FILE, &text, &tlen) < 0) {
			pr_perror("cannot read job file %s", path);
			free(path);
			continue;
		}
		j = mom_job_from_xml(text, tlen, err, sizeof(err));
		if (!j) {
			/* Keep the file for a person to look at; never delete
			 * what we cannot read. */
			pr_err("job file %s is unreadable (%s); left in place", path, err);
		} else if (mom_job_find(m, j->jobid)) {
			pr_err("job file %s repeats job %s; ignored", path, j->jobid);
			mom_job_free(j);
		} else {
			mom_job_link(m, j);
			n++;
			log_job(PBSEVENT_JOB, j->jobid, "recovered (substate %d, session %d)",
				j->substate, (int)j->sid);
		}
		free(text);
		free(path);
	}
	closedir(d);
	return n;
}
