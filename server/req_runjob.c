/* RunJob and the start of a job on its MOM (Torque's req_runjob.c,
 * chk_job_torun, svr_startjob), with ckmig's placement rule for
 * checkpointed jobs:
 *   - CHECKPOINT_MIGRATEABLE: the checkpoint is on the shared file system,
 *     so the job gets fresh nodes (the destination, or first fit) and
 *     restarts there.
 *   - CHECKPOINT_FILE only: Torque's rule, the restart must happen where
 *     the checkpoint was taken; another first host is refused with 15059
 *     "allocated nodes must match checkpoint location". The old host is
 *     recognised however it is spelled (host, host/0, host:ppn=N). */
#include "server/server.h"
#include "lib/fault.h"
#include "lib/log.h"
#include "lib/pbs_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct run_ctx {
	char *jobid;
	char *old_exec_host;       /* restored if the MOM refuses */
	int restart;
	run_done_cb done;
	void *done_ctx;
};

int is_restart(const struct job *j)
{
	const char *cn = job_attr(j, ATTR_checkpoint_name);

	return cn && *cn && (j->svrflags & (JOB_SVFLG_CHECKPOINT_FILE |
					    JOB_SVFLG_CHECKPOINT_MIGRATEABLE));
}

int chk_checkpoint_placement(const struct job *j, const char *dest, char *msg, size_t msglen)
{
	char old[256], want[256];

	if (!(j->svrflags & JOB_SVFLG_CHECKPOINT_FILE) ||
	    (j->svrflags & JOB_SVFLG_CHECKPOINT_MIGRATEABLE))
		return 0;
	if (!dest || !*dest)
		return 0;   /* the caller reuses the old hosts */
	if (exec_host_first(job_attr(j, ATTR_exechost), old, sizeof(old)) < 0)
		return 0;
	exec_host_first(dest, want, sizeof(want));
	if (strcmp(old, want)) {
		snprintf(msg, msglen, "%s", MSG_CKPT_LOCATION);
		return PBSE_EXECTHERE;
	}
	return 0;
}

/* "node1/0+node1/1" -> "node1:ppn=2" style destination for reuse. */
static char *exec_host_to_dest(const char *eh)
{
	struct host_req *hr = NULL;
	struct buf b;
	char err[256];
	int n = 0, i;

	if (parse_destination(eh, 1, &hr, &n, err, sizeof(err)))
		return NULL;
	buf_init(&b);
	for (i = 0; i < n; i++)
		buf_printf(&b, "%s%s:ppn=%d", i ? "+" : "", hr[i].name, hr[i].count);
	free(hr);
	return b.data;
}

void job_move_exec_host(struct job *j, const char *host)
{
	struct host_req *hr = NULL;
	struct buf b;
	char err[256];
	int n = 0, k;

	if (parse_destination(job_attr(j, ATTR_exechost), 1, &hr, &n, err, sizeof(err)) || n < 1) {
		free(hr);
		job_setf(j, ATTR_exechost, "%s/0", host);
		return;
	}
	buf_init(&b);
	for (k = 0; k < hr[0].count; k++)
		buf_printf(&b, "%s%s/%d", k ? "+" : "", host, k);
	job_set(j, ATTR_exechost, b.data);
	buf_free(&b);
	free(hr);
}

/* The MOM has the job running: times, counters, accounting S (or T for a
 * restart from checkpoint). Also used when a MOM confirms a job that was
 * being started when the server died. */
void job_started(struct server *s, struct job *j, int restart)
{
	struct buf b;

	j->svrflags |= JOB_SVFLG_HASRUN;
	if (restart)
		j->svrflags &= ~JOB_SVFLG_CHECKPOINT_COPIED;
	job_setf(j, ATTR_start_time, "%ld", (long)s->now());
	job_setf(j, ATTR_start_count, "%ld",
		 (job_attr(j, ATTR_start_count) ? atol(job_attr(j, ATTR_start_count)) : 0) + 1);
	job_setf(j, ATTR_run_count, "%ld",
		 (job_attr(j, ATTR_run_count) ? atol(job_attr(j, ATTR_run_count)) : 0) + 1);
	free(j->ck.lost_node);
	j->ck.lost_node = NULL;
	if (restart)
		job_setf(j, ATTR_comment, "restarted from checkpoint %s on %s",
			 job_attr(j, ATTR_checkpoint_name), job_attr(j, ATTR_exechost));
	svr_setjobstate(s, j, JOB_STATE_RUNNING, JOB_SUBSTATE_RUNNING);
	if (j->ck.state != CKMIG_NONE && j->ck.state != CKMIG_FAILED)
		ckmig_set(s, j, CKMIG_NONE, restart ? "restarted from its checkpoint" : "started");
	buf_init(&b);
	account_jobstr(j, 0, &b);
	account_record(s, restart ? 'T' : 'S', j, b.data);
	buf_free(&b);
	log_job(PBSEVENT_JOB, j->id, "Job %s on %s", restart ? "restarted from checkpoint" :
		"started", job_attr(j, ATTR_exechost));
}

static void start_reply_cb(struct server *s, void *vctx, int code, struct pbs_msg *reply)
{
	struct run_ctx *ctx = vctx;
	struct job *j = find_job(s, ctx->jobid);
	char msg[1024] = "";

	if (!j) {
		if (ctx->done)
			ctx->done(s, ctx->done_ctx, PBSE_UNKJOBID, NULL);
		goto out;
	}
	j->call = MOM_CALL_NONE;
	if (j->state != JOB_STATE_RUNNING || j->substate != JOB_SUBSTATE_PRERUN) {
		/* deleted or ended while we waited: leave it as it is now */
		if (ctx->done)
			ctx->done(s, ctx->done_ctx, code, NULL);
		goto out;
	}
	if (!code)   /* the job runs on its MOM; the server has not recorded it */
		fault_point(FAULT_SVR_START_ANSWERED);
	if (code == PBSE_TIMEOUT) {
		/* the QueueJob went out and no answer came: the MOM may run the
		 * job. Requeueing it now could run it twice (a restart from its
		 * checkpoint, even); as after a server restart, the MOM's next
		 * reports decide: listed = running, missing = requeued. */
		log_job(PBSEVENT_JOB, j->id, "no answer from the MOM to the start; its reports "
			"decide whether the job runs");
		if (ctx->done)
			ctx->done(s, ctx->done_ctx, code, NULL);
		goto out;
	}
	if (code) {
		int st, sub;

		if (reply && reply->text[0])
			snprintf(msg, sizeof(msg), "%s", reply->text);
		else
			pbse_message(msg, sizeof(msg), code, NULL);
		log_job(PBSEVENT_JOB, j->id, "MOM rejected the job: %d (%s); requeued", code, msg);
		node_release(s, j);
		if (ctx->old_exec_host)
			job_set(j, ATTR_exechost, ctx->old_exec_host);
		else
			job_unset(j, ATTR_exechost);
		job_setf(j, ATTR_comment, "could not start: %s", msg);
		svr_evaljobstate(s, j, &st, &sub);
		svr_setjobstate(s, j, st, sub);
		ckmig_requeued(s, j, "the MOM refused the start");
		if (ctx->done)
			ctx->done(s, ctx->done_ctx, code, msg);
		goto out;
	}
	if (reply && reply->objs) {
		const char *sid = attrl_get(&reply->objs->attrs, ATTR_session, NULL);

		if (sid)
			job_set(j, ATTR_session, sid);
	}
	job_started(s, j, ctx->restart);
	if (ctx->done)
		ctx->done(s, ctx->done_ctx, 0, NULL);
out:
	free(ctx->jobid);
	free(ctx->old_exec_host);
	free(ctx);
}

int svr_startjob(struct server *s, struct job *j, const char *dest, run_done_cb done, void *dctx,
		 char *msg, size_t msglen)
{
	struct buf eh;
	struct run_ctx *ctx;
	struct pbs_msg m;
	struct pbs_attr *a;
	struct node *n;
	char host[256], *reuse = NULL;
	const char *old = job_attr(j, ATTR_exechost);
	int rc;

	msg[0] = '\0';
	buf_init(&eh);
	if (j->call != MOM_CALL_NONE || ckmig_busy(j)) {
		snprintf(msg, msglen, "job is being started or checkpointed");
		return PBSE_BADSTATE;
	}
	rc = chk_checkpoint_placement(j, dest, msg, msglen);
	if (rc)
		return rc;
	/* a local checkpoint restarts only where it was taken */
	if ((j->svrflags & JOB_SVFLG_CHECKPOINT_FILE) &&
	    !(j->svrflags & JOB_SVFLG_CHECKPOINT_MIGRATEABLE) && old && *old &&
	    job_attr(j, ATTR_checkpoint_name)) {
		reuse = exec_host_to_dest(old);
		if (!dest || !*dest || !strchr(dest, ':'))
			dest = reuse;
	}
	rc = node_select(s, j, dest, &eh, msg, msglen);
	if (rc)
		goto out;
	if (exec_host_first(eh.data, host, sizeof(host)) < 0 || !(n = find_node(s, host))) {
		rc = PBSE_UNKNODE;
		goto out;
	}
	ctx = xcalloc(1, sizeof(*ctx));
	ctx->jobid = xstrdup(j->id);
	ctx->old_exec_host = xstrdup(old);
	ctx->restart = is_restart(j);
	ctx->done = done;
	ctx->done_ctx = dctx;
	/* this restart's outcome is what its script reports from now on: a
	 * status left by an earlier attempt must not decide this one's end */
	if (ctx->restart)
		job_unset(j, ATTR_checkpoint_restart_status);
	msg_request(&m, PBS_BATCH_QueueJob, j->id);
	old = NULL;   /* job_set frees the value it pointed at */
	job_set(j, ATTR_exechost, eh.data);
	for (a = j->attrs.head; a; a = a->next)
		if (strncmp(a->name, "ckmig_", 6))
			attrl_add(&m.attrs, a->name, a->resource, a->value, BATCH_SET);
	msg_set_script(&m, j->script ? j->script : "");
	if (ctx->restart)
		msg_add_arg(&m, "restart", "1");
	/* qmigrate --lazy: the MOM's restart script gets CKMIG_LAZY=yes */
	if (ctx->restart && j->ck.lazy)
		msg_add_arg(&m, "lazy", "1");
	/* qmigrate --postcopy: the restart script fetches the pages from there */
	if (ctx->restart && j->ck.pages_from)
		msg_add_arg(&m, "pages_from", j->ck.pages_from);
	/* a restart may answer only once CRIU has restored a large image */
	rc = issue_to_mom(s, n, &m, 300000, start_reply_cb, ctx);
	msg_free(&m);
	if (rc) {
		snprintf(msg, msglen, "cannot reach the MOM on %s", n->name);
		/* old pointed at the value job_set replaced: use the copy */
		if (ctx->old_exec_host)
			job_set(j, ATTR_exechost, ctx->old_exec_host);
		else
			job_unset(j, ATTR_exechost);
		free(ctx->jobid);
		free(ctx->old_exec_host);
		free(ctx);
		goto out;
	}
	node_release(s, j);
	node_assign(s, j, eh.data);
	j->call = MOM_CALL_START;
	/* saved as R/PRERUN before the MOM answers: after a crash the job is
	 * reconciled with the MOM instead of being started a second time */
	svr_setjobstate(s, j, JOB_STATE_RUNNING, JOB_SUBSTATE_PRERUN);
	if (ctx->restart)
		ckmig_set(s, j, CKMIG_RESTARTING, job_attr(j, ATTR_exechost));
	rc = 0;
out:
	buf_free(&eh);
	free(reuse);
	return rc;
}

static void run_done(struct server *s, void *vbr, int code, const char *msg)
{
	struct batch_request *br = vbr;

	(void)s;
	if (code) {
		struct pbs_msg r;
		char text[1200];

		if (msg && *msg)
			snprintf(text, sizeof(text), "%s", msg);
		else
			pbse_message(text, sizeof(text), code, NULL);
		msg_reply(&r, code, 0, text);
		req_reply_msg(br, &r);
	} else {
		req_ack(br);
	}
	br_free(br);
}

int req_runjob(struct batch_request *br)
{
	struct server *s = br->s;
	const char *dest = msg_arg(&br->rq, "destination");
	char msg[1024];
	struct job *j;
	int rc;

	if (!(j = chk_job_request(br)))
		return 0;
	if (j->state != JOB_STATE_QUEUED && j->state != JOB_STATE_HELD &&
	    j->state != JOB_STATE_WAITING) {
		req_reject(br, PBSE_BADSTATE, 0, NULL);
		return 0;
	}
	if (dest && !*dest)
		dest = NULL;
	rc = svr_startjob(s, j, dest, run_done, br, msg, sizeof(msg));
	if (rc) {
		if (rc == PBSE_EXECTHERE)
			log_job(PBSEVENT_JOB, j->id, "Reject reply code=%d(%s MSG=%s), aux=0, "
				"type=RunJob, from %s@%s", rc, pbse_to_txt(rc), msg, br->who.user,
				br->who.host);
		req_reject(br, rc, 0, msg[0] ? msg : NULL);
		return 0;
	}
	log_job(PBSEVENT_JOB, j->id, "Job Run at request of %s@%s", br->who.user, br->who.host);
	return REQ_DEFERRED;
}
