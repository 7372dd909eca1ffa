/* DeleteJob and Rerun. A job that is not running ends at once; a running
 * one is killed by its MOM and ends through the MOM's obit. */
#include "server/server.h"
#include "lib/log.h"
#include "lib/pbs_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void job_abort(struct server *s, struct job *j, const char *why)
{
	node_release(s, j);
	if (why)
		job_set(j, ATTR_comment, why);
	job_setf(j, ATTR_comp_time, "%ld", (long)s->now());
	if (!job_attr(j, ATTR_exitstat))
		job_set(j, ATTR_exitstat, "271");   /* Torque: killed before it ran (256+15) */
	svr_setjobstate(s, j, JOB_STATE_COMPLETE, JOB_SUBSTATE_COMPLETE);
}

struct kill_ctx {
	struct batch_request *br;
	char *jobid;
	int rerun;
};

static void kill_reply_cb(struct server *s, void *vctx, int code, struct pbs_msg *reply)
{
	struct kill_ctx *ctx = vctx;
	struct job *j = find_job(s, ctx->jobid);
	char text[1024];

	if (code == PBSE_UNKJOBID && j && j->state == JOB_STATE_RUNNING) {
		/* the MOM no longer has it: nothing left to kill */
		if (ctx->rerun) {
			node_release(s, j);
			svr_setjobstate(s, j, JOB_STATE_QUEUED, JOB_SUBSTATE_QUEUED);
		} else {
			job_abort(s, j, "deleted; its MOM no longer knew it");
		}
		code = 0;
	}
	if (code && j && ctx->rerun && j->state == JOB_STATE_RUNNING &&
	    j->substate == JOB_SUBSTATE_RERUN1)
		svr_setjobstate(s, j, JOB_STATE_RUNNING, JOB_SUBSTATE_RUNNING);
	if (code) {
		struct pbs_msg r;

		msg_reply(&r, code, 0, reply && reply->text[0] ? reply->text :
			  pbse_message(text, sizeof(text), code, NULL));
		req_reply_msg(ctx->br, &r);
	} else {
		req_ack(ctx->br);
	}
	br_free(ctx->br);
	free(ctx->jobid);
	free(ctx);
}

static int kill_on_mom(struct batch_request *br, struct job *j, int rerun)
{
	struct server *s = br->s;
	struct kill_ctx *ctx;
	struct pbs_msg m;
	struct node *n;
	char host[256];
	int rc;

	if (exec_host_first(job_attr(j, ATTR_exechost), host, sizeof(host)) < 0 ||
	    !(n = find_node(s, host))) {
		job_abort(s, j, "deleted; no exec_host");
		req_ack(br);
		return 0;
	}
	msg_request(&m, PBS_BATCH_DeleteJob, j->id);
	ctx = xcalloc(1, sizeof(*ctx));
	ctx->br = br;
	ctx->jobid = xstrdup(j->id);
	ctx->rerun = rerun;
	rc = issue_to_mom(s, n, &m, 30000, kill_reply_cb, ctx);
	msg_free(&m);
	if (rc) {
		free(ctx->jobid);
		free(ctx);
		req_reject(br, rc, 0, NULL);
		return 0;
	}
	return REQ_DEFERRED;
}

int req_deletejob(struct batch_request *br)
{
	struct server *s = br->s;
	struct job *j;
	char text[512];

	if (!(j = chk_job_request(br)))
		return 0;
	if (j->state == JOB_STATE_COMPLETE) {
		req_reject(br, PBSE_BADSTATE, 0, NULL);
		return 0;
	}
	snprintf(text, sizeof(text), "requestor=%s@%s", br->who.user, br->who.host);
	account_record(s, 'D', j, text);
	log_job(PBSEVENT_JOB, j->id, "Job deleted at request of %s@%s", br->who.user, br->who.host);
	if ((j->state == JOB_STATE_RUNNING || j->state == JOB_STATE_EXITING) &&
	    msg_arg(&br->rq, "extend") && strstr(msg_arg(&br->rq, "extend"), "delpurge") &&
	    user_is_manager(s, &br->who)) {
		/* qdel -p: a manager forgets the job even when its MOM is gone */
		log_job(PBSEVENT_JOB, j->id, "purged at request of %s@%s", br->who.user,
			br->who.host);
		job_abort(s, j, "purged by a manager (qdel -p)");
		req_ack(br);
		return 0;
	}
	if (j->state == JOB_STATE_RUNNING || j->state == JOB_STATE_EXITING) {
		ckmig_cancel(s, j, "deleted");   /* a delete beats a pending move or requeue */
		return kill_on_mom(br, j, 0);
	}
	job_abort(s, j, NULL);
	req_ack(br);
	return 0;
}

int req_rerunjob(struct batch_request *br)
{
	struct job *j;

	if (!(j = chk_job_request(br)))
		return 0;
	if (j->state != JOB_STATE_RUNNING) {
		req_reject(br, PBSE_BADSTATE, 0, NULL);
		return 0;
	}
	svr_setjobstate(br->s, j, JOB_STATE_RUNNING, JOB_SUBSTATE_RERUN1);
	log_job(PBSEVENT_JOB, j->id, "Job rerun at request of %s@%s", br->who.user, br->who.host);
	return kill_on_mom(br, j, 1);
}
