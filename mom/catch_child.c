/* Noticing that jobs ended and telling the server (Torque: catch_child.c,
 * scan_for_terminated, post_epilogue/send_obit).
 *
 * A job has ended when its supervisor wrote mom_priv/jobs/<jobid>.ES
 * (see start_exec.c). Then: output delivered (or, for a job that ended by
 * a hold checkpoint, kept for the restart), JobObit sent and repeated
 * until the server acknowledges it, job files removed. While a checkpoint
 * script runs for the job, its end waits (Torque: MOM_CHECKPOINT_ACTIVE):
 * whether the end is an exit or a hold is decided by the script's result. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define LOG_PREFIX "catch_child: "
#include "lib/attr_names.h"
#include "lib/log.h"
#include "lib/pbs_error.h"
#include "lib/util.h"
#include "mom/checkpoint.h"
#include "mom/mom.h"
#include "mom/mom_server.h"
#include "mom/mom_util.h"

#define OBIT_RETRY_MS 5000

/* Read "<exit> <cput> <maxrss>" written by the supervisor. 1 if found. */
static int read_exit_file(struct mom *m, struct mom_job *j)
{
	char *path = mom_job_path(m, j->jobid, ".ES"), *text = NULL;
	size_t len;
	int st = 0, found = 0;
	long long cput = 0;
	long rss = 0;

	if (read_file(path, 256, &text, &len) == 0 &&
	    sscanf(text, "%d %lld %ld", &st, &cput, &rss) == 3) {
		j->exit_status = st;
		j->cput = (long)cput;
		j->mem_kb = rss;
		found = 1;
	}
	free(text);
	free(path);
	return found;
}

/* The supervisor is gone without a word (killed, node reset): the exit
 * status is lost. Torque's codes for a job the MOM could not recover. */
static void supervisor_lost(struct mom *m, struct mom_job *j)
{
	j->exit_status = JOB_EXEC_INITABT;
	free(j->end_comment);
	j->end_comment = xstrdup("job's supervisor process disappeared; exit status unknown");
	log_job(PBSEVENT_ERROR, j->jobid, "%s", j->end_comment);
	(void)m;
}

/* A restart task is the restart script: it ends with the restored job, or
 * before the job was ever restored (refused, failed, killed, an error of
 * its own). Only its mark tells the two apart, whatever its exit status:
 * without it the end is a failed restart (Torque's JOB_EXEC_BADRESRT), and
 * the server holds the job with the reason instead of ending it as if it
 * had run. A delete or the walltime ended it on purpose: not a failure. */
static void restart_outcome(struct mom *m, struct mom_job *j)
{
	char *mark, *why;
	struct stat st;

	if (!j->restart || j->held || j->kill_reason != KILL_NONE)
		return;
	mark = mom_job_path(m, j->jobid, MOM_RESTORED_SUFFIX);
	if (stat(mark, &st) == 0) {
		free(mark);
		return;
	}
	free(mark);
	why = j->exit_status > 256 ?
	      xasprintf("Restart failed: the restart script was killed by signal %d before the job "
			"was restored", j->exit_status - 256) :
	      xasprintf("Restart failed: the restart script ended with status %d before the job "
			"was restored", j->exit_status);
	log_job(PBSEVENT_ERROR, j->jobid, "%s", why);
	j->exit_status = JOB_EXEC_BADRESRT;
	j->keep_output = 1;     /* the output waits for a restart that works */
	free(j->end_comment);
	j->end_comment = why;
}

static int supervisor_alive(struct mom_job *j)
{
	unsigned long long st;

	if (j->sup_pid <= 0)
		return 0;
	st = mom_proc_starttime(j->sup_pid);
	return st != 0 && st == j->sup_start;
}

void catch_child(struct mom *m)
{
	struct mom_job *j, *next;
	int status;
	pid_t pid;

	/* Reap whatever ended: supervisors, checkpoint scripts, orphans of
	 * scripts (the MOM is a child subreaper). */
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (j = m->jobs; j; j = j->next) {
			if (j->ck && j->ck->pid == pid) {
				j->ck->done = 1;
				j->ck->status = status;
			}
		}
	}
	for (j = m->jobs; j; j = next) {
		next = j->next;
		if (j->exited || j->substate != JOB_SUBSTATE_RUNNING)
			continue;
		if (!read_exit_file(m, j)) {
			if (supervisor_alive(j))
				continue;
			/* Gone: one more look, it may have written just now. */
			if (!read_exit_file(m, j))
				supervisor_lost(m, j);
		}
		j->exited = 1;
		j->end_time = time(NULL);
		j->substate = JOB_SUBSTATE_EXITING;
		if (j->kill_reason == KILL_WALLTIME)
			j->exit_status = JOB_EXEC_OVERLIMIT_WT;
		restart_outcome(m, j);
		/* No save here: the supervisor's exit file keeps this end,
		 * and the obit's save below records it. */
		log_job(PBSEVENT_JOB, j->jobid, "task ended, exit status %d", j->exit_status);
	}
	for (j = m->jobs; j; j = next) {
		next = j->next;
		/* A running checkpoint decides what this end is. */
		if (j->substate == JOB_SUBSTATE_EXITING && !j->ck)
			job_exited(m, j);
	}
}

static void purge_job(struct mom *m, struct mom_job *j);

static void obit_done(struct mom *m, void *arg, int rc, struct pbs_msg *reply, const char *err)
{
	char *jobid = arg;
	struct mom_job *j = mom_job_find(m, jobid);

	(void)reply;
	if (!j || !j->obit_inflight)
		goto out;
	j->obit_inflight = 0;
	if (rc == 0 || rc == PBSE_UNKJOBID) {
		log_job(PBSEVENT_JOB, j->jobid, "obit sent (exit status %d)%s", j->exit_status,
			rc ? ": server no longer knows the job" : "");
		purge_job(m, j);
	} else {
		log_job(PBSEVENT_ERROR, j->jobid, "obit not accepted (%d): %s; will retry", rc, err);
		j->obit_retry_ms = now_ms() + OBIT_RETRY_MS;
	}
out:
	free(jobid);
}

/* Queue the obit; obit_done purges the job once the server has it. */
static void send_obit(struct mom *m, struct mom_job *j)
{
	struct pbs_msg req;
	struct attr_list res;
	struct pbs_attr *a;
	char v[32];

	memset(&req, 0, sizeof(req));   /* filled by msg_*() */
	attrl_init(&res);
	msg_request(&req, PBS_BATCH_JobObit, j->jobid);
	snprintf(v, sizeof(v), "%d", j->exit_status);
	msg_add_attr(&req, ATTR_exitstat, NULL, v);
	snprintf(v, sizeof(v), "%d", (int)j->sid);
	msg_add_attr(&req, ATTR_session, NULL, v);
	mom_job_resources(j, &res);
	for (a = res.head; a; a = a->next)
		msg_add_attr(&req, a->name, a->resource, a->value);
	if (j->end_comment)
		msg_add_attr(&req, ATTR_comment, NULL, j->end_comment);
	/* a post-copy source's end: never the end of the job's run on the
	 * target (checkpoint_postcopy.c) */
	if (j->pc_end)
		msg_add_arg(&req, "postcopy_source", j->pc_end == PC_DONE ? "done" : "lost");
	if (j->held) {
		static const char *const names[] = { ATTR_checkpoint_name, ATTR_checkpoint_time,
						     ATTR_checkpoint_dir };
		size_t i;

		/* the checkpoint_hold ModifyJob again: it is lost if the server
		 * was down, the obit is retried until taken */
		msg_add_arg(&req, "checkpointed", "1");
		msg_add_arg(&req, "migratable", mom_job_ckpt_remote(m, j) ? "1" : "0");
		if (j->ckpt_host)
			msg_add_arg(&req, "checkpoint_host", j->ckpt_host);
		if (walltime_ckpt_word(j))
			msg_add_arg(&req, "walltime", walltime_ckpt_word(j));
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (attrl_get(&j->attrs, names[i], NULL))
				msg_add_attr(&req, names[i], NULL, attrl_get(&j->attrs, names[i], NULL));
	}
	j->obit_inflight = 1;
	mom_server_send(m, &req, obit_done, xstrdup(j->jobid));
	attrl_free(&res);
	msg_free(&req);
}

static void purge_job(struct mom *m, struct mom_job *j)
{
	mom_purge_checkpoints(m, j);
	mom_job_purge_files(m, j);
	mom_job_unlink(m, j);
	log_job(PBSEVENT_JOB, j->jobid, "purged");
	mom_job_free(j);
}

void job_exited(struct mom *m, struct mom_job *j)
{
	char err[1024];

	/* Ended by a hold checkpoint too: pbs_mom delivers the output then
	 * and removes its spool files; the checkpoint script kept a copy of
	 * what the image expects, and the restart script puts it back. */
	if (!j->keep_output && deliver_output(m, j, err, sizeof(err)) < 0) {
		char *c = j->end_comment ? xasprintf("%s; %s", j->end_comment, err) : xstrdup(err);

		free(j->end_comment);
		j->end_comment = c;
	}
	j->substate = JOB_SUBSTATE_OBIT;
	j->obit_retry_ms = 0;
	mom_job_save(m, j);
	send_obit(m, j);
}

void send_obits(struct mom *m)
{
	struct mom_job *j, *next;
	long long now = now_ms();

	for (j = m->jobs; j; j = next) {
		next = j->next;
		if (j->substate != JOB_SUBSTATE_OBIT || j->obit_inflight || now < j->obit_retry_ms)
			continue;
		send_obit(m, j);
	}
}
