/* HoldJob, ReleaseJob and CheckpointJob, as Torque's req_holdjob.c:
 * holding a queued job just sets hold bits; holding a running job that
 * may be checkpointed relays the hold to its MOM, which checkpoints and
 * ends it. The MOM's answer decides CHECKPOINT_FILE or, when the
 * checkpoint sits in a directory every node shares (aux 1),
 * CHECKPOINT_MIGRATEABLE. A hold the MOM cannot carry out is undone. */
#include "server/server.h"
#include "lib/log.h"
#include "lib/pbs_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ckpt_ctx {
	char *jobid;
	int type;
	int hold_set;
	ckpt_done_cb done;
	void *done_ctx;
};

/* News path 1: the MOM's answer to the hold/checkpoint request. */
static void ckpt_relay_cb(struct server *s, void *vctx, int code, struct pbs_msg *reply)
{
	struct ckpt_ctx *ctx = vctx;
	struct job *j = find_job(s, ctx->jobid);
	const char *text = reply && reply->text[0] ? reply->text : NULL;
	int aux = reply ? reply->aux : 0;
	char tmp[1024];

	if (!j) {
		if (ctx->done)
			ctx->done(s, ctx->done_ctx, PBSE_UNKJOBID, 0, NULL);
		goto out;
	}
	/* (an obit that came first may have restarted the job meanwhile:
	 * that start is the call now) */
	if (j->call == MOM_CALL_CHECKPOINT)
		j->call = MOM_CALL_NONE;
	if (code) {
		if (code == PBSE_NORELYMOM)
			text = pbse_message(tmp, sizeof(tmp), code, NULL);
		else if (code == PBSE_TIMEOUT)
			text = "no answer from the MOM; what became of the checkpoint follows from its "
			       "reports (see migration_state)";
		log_job(PBSEVENT_JOB, j->id, "MOM rejected %s request: %d (%s)",
			proto_type_name(ctx->type), code, text ? text : pbse_to_txt(code));
	} else {
		log_job(PBSEVENT_JOB, j->id, "%s accepted by MOM (%s)",
			ctx->type == PBS_BATCH_HoldJob ? "checkpoint and hold" : "checkpoint",
			aux == PBS_CHECKPOINT_MIGRATE ? "migratable" :
			text ? text : "restart on this node only");
	}
	ckmig_answered(s, j, code, aux, ctx->type == PBS_BATCH_HoldJob ? ctx->hold_set : 0, text);
	if (ctx->done)
		ctx->done(s, ctx->done_ctx, code, code ? 0 : aux, text);
out:
	free(ctx->jobid);
	free(ctx);
}

int relay_checkpoint(struct server *s, struct job *j, int type, int hold_set,
		     enum ckmig_cause cause, ckpt_done_cb done, void *done_ctx)
{
	char host[256], letters[8];
	struct ckpt_ctx *ctx;
	struct pbs_msg m;
	struct node *n;
	int rc;

	if (exec_host_first(job_attr(j, ATTR_exechost), host, sizeof(host)) < 0 ||
	    !(n = find_node(s, host)))
		return PBSE_NORELYMOM;
	msg_request(&m, type, j->id);
	hold_letters(hold_set ? hold_set : HOLD_s, letters, sizeof(letters));
	msg_add_attr(&m, ATTR_h, NULL, letters);
	/* a move needs a checkpoint every node can read: the MOM checks */
	if (cause == CKMIG_BY_MIGRATE || cause == CKMIG_BY_PREEMPT || cause == CKMIG_BY_DRAIN)
		msg_add_arg(&m, "migrate", "1");
	/* a node-local checkpoint must be copied to the target: name it (the
	 * MOM ignores it when the directory is shared) */
	if (cause == CKMIG_BY_MIGRATE || cause == CKMIG_BY_DRAIN) {
		char target[256], pbuf[16];
		int port;

		if (migrate_target(s, j, target, sizeof(target), &port) == 0) {
			snprintf(pbuf, sizeof(pbuf), "%d", port);
			msg_add_arg(&m, "target", target);
			msg_add_arg(&m, "target_port", pbuf);
		}
	}
	/* qmigrate --live: the MOM's script pre-copies while the job runs */
	if (cause == CKMIG_BY_MIGRATE && j->ck.live)
		msg_add_arg(&m, "live", "1");
	/* qmigrate --postcopy: the MOM keeps cr_checkpoint --postcopy serving */
	if (cause == CKMIG_BY_MIGRATE && j->ck.postcopy)
		msg_add_arg(&m, "postcopy", "1");
	ctx = xcalloc(1, sizeof(*ctx));
	ctx->jobid = xstrdup(j->id);
	ctx->type = type;
	ctx->hold_set = hold_set;
	ctx->done = done;
	ctx->done_ctx = done_ctx;
	/* the MOM answers when its checkpoint script is done ($checkpoint_timeout) */
	rc = issue_to_mom(s, n, &m, 900000, ckpt_relay_cb, ctx);
	msg_free(&m);
	if (rc) {
		free(ctx->jobid);
		free(ctx);
		return rc;
	}
	j->call = MOM_CALL_CHECKPOINT;
	return 0;
}

/* Permission for hold letters: u owner, o operator, s manager. */
static int hold_perm(struct batch_request *br, int bits)
{
	if ((bits & HOLD_s) && !user_is_manager(br->s, &br->who))
		return PBSE_PERM;
	if ((bits & HOLD_o) && !user_is_operator(br->s, &br->who))
		return PBSE_PERM;
	return 0;
}

static int req_hold_bits(struct batch_request *br, int *bits)
{
	const char *v = msg_attr(&br->rq, ATTR_h, NULL);

	*bits = hold_bits(v && *v ? v : "u");
	if (*bits <= 0 || br->rq.attrs.count > 1) {
		req_reject(br, PBSE_IVALREQ, 0, NULL);
		return -1;
	}
	if (hold_perm(br, *bits)) {
		req_reject(br, PBSE_PERM, 0, NULL);
		return -1;
	}
	return 0;
}

static void reply_done(struct server *s, void *vbr, int code, int aux, const char *msg)
{
	struct batch_request *br = vbr;

	(void)s;
	if (code) {
		struct pbs_msg r;
		char text[1024];

		/* the MOM's own words when it gave some */
		msg_reply(&r, code, aux, msg ? msg : pbse_message(text, sizeof(text), code, NULL));
		req_reply_msg(br, &r);
	} else {
		struct pbs_msg r;

		msg_reply(&r, 0, aux, "");
		req_reply_msg(br, &r);
	}
	br_free(br);
}

int req_holdjob(struct batch_request *br)
{
	struct server *s = br->s;
	struct job *j;
	char letters[8];
	int bits, old, st, sub, rc;

	if (!(j = chk_job_request(br)) || req_hold_bits(br, &bits) < 0)
		return 0;
	if (j->state == JOB_STATE_COMPLETE || j->state == JOB_STATE_EXITING) {
		req_reject(br, PBSE_BADSTATE, 0, NULL);
		return 0;
	}
	if (j->state == JOB_STATE_RUNNING) {
		char why[256];

		if (!job_checkpointable(j)) {
			req_reject(br, PBSE_IVALREQ, 0, MSG_HOLD_NOT_CHECKPOINTABLE);
			return 0;
		}
		if ((rc = job_ckpt_refusal(j, why, sizeof(why)))) {
			req_reject(br, rc, 0, why);
			return 0;
		}
		if (ckmig_busy(j) || j->substate != JOB_SUBSTATE_RUNNING) {
			req_reject(br, PBSE_CKPBSY, 0, NULL);
			return 0;
		}
		rc = relay_checkpoint(s, j, PBS_BATCH_HoldJob, bits, CKMIG_BY_HOLD, reply_done, br);
		if (rc) {
			req_reject(br, rc, 0, NULL);
			return 0;
		}
		ckmig_requested(s, j, CKMIG_BY_HOLD, NULL, NULL);
		hold_letters(bits, letters, sizeof(letters));
		log_job(PBSEVENT_JOB, j->id, "Holds %s set at request of %s@%s (checkpoint relayed "
			"to MOM)", letters, br->who.user, br->who.host);
		return REQ_DEFERRED;
	}
	old = hold_bits(job_attr(j, ATTR_h));
	hold_letters((old > 0 ? old : 0) | bits, letters, sizeof(letters));
	job_set(j, ATTR_h, letters);
	svr_evaljobstate(s, j, &st, &sub);
	svr_setjobstate(s, j, st, sub);
	hold_letters(bits, letters, sizeof(letters));
	log_job(PBSEVENT_JOB, j->id, "Holds %s set at request of %s@%s", letters, br->who.user,
		br->who.host);
	req_ack(br);
	return 0;
}

int req_releasejob(struct batch_request *br)
{
	struct server *s = br->s;
	struct job *j;
	char letters[8];
	int bits, old, st, sub;

	if (!(j = chk_job_request(br)) || req_hold_bits(br, &bits) < 0)
		return 0;
	if (j->state == JOB_STATE_COMPLETE) {
		req_reject(br, PBSE_BADSTATE, 0, NULL);
		return 0;
	}
	old = hold_bits(job_attr(j, ATTR_h));
	hold_letters((old > 0 ? old : 0) & ~bits, letters, sizeof(letters));
	job_set(j, ATTR_h, letters);
	if (j->state == JOB_STATE_HELD || j->state == JOB_STATE_QUEUED ||
	    j->state == JOB_STATE_WAITING) {
		svr_evaljobstate(s, j, &st, &sub);
		svr_setjobstate(s, j, st, sub);
	} else {
		job_save(s, j);
	}
	hold_letters(bits, letters, sizeof(letters));
	log_job(PBSEVENT_JOB, j->id, "Holds %s released at request of %s@%s", letters,
		br->who.user, br->who.host);
	s->sched_wanted = 1;
	req_ack(br);
	return 0;
}

/* The MOM's "uos" release: its hold checkpoint failed, the job runs on. */
int req_mom_releasejob(struct batch_request *br)
{
	struct server *s = br->s;
	struct job *j = find_job(s, br->rq.id);

	if (!j) {
		req_reject(br, PBSE_UNKJOBID, 0, NULL);
		return 0;
	}
	job_set(j, ATTR_h, "n");
	if (j->state == JOB_STATE_RUNNING) {
		log_job(PBSEVENT_JOB, j->id, "checkpoint failed on the MOM; hold undone, job keeps "
			"running");
		ckmig_mom_gave_up(s, j, "checkpoint failed on the MOM; the job keeps running");
	} else {
		job_save(s, j);
	}
	req_ack(br);
	return 0;
}

int req_checkpointjob(struct batch_request *br)
{
	struct job *j;
	int rc;

	if (!(j = chk_job_request(br)))
		return 0;
	if (j->state != JOB_STATE_RUNNING) {
		req_reject(br, PBSE_BADSTATE, 0, NULL);
		return 0;
	}
	{
		char why[256];

		if ((rc = job_ckpt_refusal(j, why, sizeof(why)))) {
			req_reject(br, rc, 0, why);
			return 0;
		}
	}
	if (ckmig_busy(j)) {
		req_reject(br, PBSE_CKPBSY, 0, NULL);
		return 0;
	}
	rc = relay_checkpoint(br->s, j, PBS_BATCH_CheckpointJob, 0, CKMIG_BY_QCHKPT, reply_done, br);
	if (rc) {
		req_reject(br, rc, 0, NULL);
		return 0;
	}
	ckmig_requested(br->s, j, CKMIG_BY_QCHKPT, NULL, NULL);
	log_job(PBSEVENT_JOB, j->id, "checkpoint requested by %s@%s", br->who.user, br->who.host);
	return REQ_DEFERRED;
}
