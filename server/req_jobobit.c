/* JobObit: the MOM reports a job's end. A job that ended because a hold
 * checkpoint stopped it is not finished: it goes back to H (or Q) with its
 * checkpoint, its nodes freed, exec_host kept (Torque's rerun_job path);
 * with a migration pending it is started again at once on its target.
 * That decision is the state machine's (news path 3, svr_ckmig.c). */
#include "server/server.h"
#include "lib/log.h"
#include "lib/pbs_error.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void job_complete(struct server *s, struct job *j, int exit_status)
{
	struct buf b;

	node_release(s, j);
	job_setf(j, ATTR_exitstat, "%d", exit_status);
	job_setf(j, ATTR_comp_time, "%ld", (long)s->now());
	j->call = MOM_CALL_NONE;
	svr_setjobstate(s, j, JOB_STATE_COMPLETE, JOB_SUBSTATE_COMPLETE);
	buf_init(&b);
	account_jobstr(j, 1, &b);
	account_record(s, 'E', j, b.data);
	buf_free(&b);
	log_job(PBSEVENT_JOB | PBSEVENT_JOB_USAGE, j->id, "Exit_status=%d resources_used.cput=%s "
		"resources_used.mem=%s resources_used.walltime=%s", exit_status,
		job_resc(j, ATTR_used, "cput") ? job_resc(j, ATTR_used, "cput") : "0",
		job_resc(j, ATTR_used, "mem") ? job_resc(j, ATTR_used, "mem") : "0kb",
		job_resc(j, ATTR_used, "walltime") ? job_resc(j, ATTR_used, "walltime") : "0");
	s->sched_wanted = 1;
}

static void take_usage(struct job *j, const struct attr_list *l)
{
	struct pbs_attr *a;

	for (a = l->head; a; a = a->next) {
		if (!strcmp(a->name, ATTR_used) && a->resource)
			attrl_set(&j->attrs, ATTR_used, a->resource, a->value);
		else if (!strcmp(a->name, ATTR_session) && *a->value)
			job_set(j, ATTR_session, a->value);
	}
}

/* ckmig's MOM repeats a hold checkpoint's report in the obit (the
 * ModifyJob may have been lost with a server restart): one more input to
 * the state machine, the same as the report itself. */
static void take_checkpoint(struct server *s, struct job *j, const struct pbs_msg *rq)
{
	static const char *const names[] = { ATTR_checkpoint_name, ATTR_checkpoint_time,
					     ATTR_checkpoint_dir };
	const char *ck = msg_arg(rq, "checkpointed"), *mg = msg_arg(rq, "migratable");
	size_t i;

	if (!ck || strcmp(ck, "1") || j->state != JOB_STATE_RUNNING)
		return;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *v = msg_attr(rq, names[i], NULL);

		if (v && *v)
			job_set(j, names[i], v);
	}
	if (job_attr(j, ATTR_checkpoint_name))
		ckmig_reported(s, j, 1, mg ? !strcmp(mg, "1") : -1,
			       walltime_word(msg_arg(rq, "walltime")), msg_arg(rq, "checkpoint_host"));
}

/* Torque's check_if_checkpoint_restart_failed() (req_jobobit.c): a
 * restart script whose restore failed sets checkpoint_restart_status to
 * "<Class> failure ..." with qalter (its MOM cannot tell a failed restore
 * from a job that failed).  "Temporary failure" requeues the job (1),
 * another capitalised class holds it (2); anything else: 0. */
static int restart_failure(struct job *j)
{
	const char *st = job_attr(j, ATTR_checkpoint_restart_status);
	char cls[32];
	int n = 0;

	if (!st || sscanf(st, "%31s failure%n", cls, &n) != 1 || n == 0)
		return 0;
	if (!strcmp(cls, "Temporary"))
		return 1;
	return isupper((unsigned char)cls[0]) ? 2 : 0;
}

int req_jobobit(struct batch_request *br)
{
	struct server *s = br->s;
	struct job *j = find_job(s, br->rq.id);
	const char *es = msg_attr(&br->rq, ATTR_exitstat, NULL);
	const char *comment = msg_attr(&br->rq, ATTR_comment, NULL);
	int status;

	if (!es)
		es = msg_attr(&br->rq, "Exit_status", NULL);
	status = es ? atoi(es) : JOB_EXEC_FAIL1;
	if (!j) {
		req_reject(br, PBSE_UNKJOBID, 0, NULL);   /* the MOM forgets it */
		return 0;
	}
	if (msg_arg(&br->rq, "postcopy_source")) {
		/* the source of a post-copy move: its run ended after the job
		 * had started on the target; never this run's end */
		ckmig_postcopy_source_end(s, j, msg_arg(&br->rq, "postcopy_source"), comment);
		req_ack(br);
		return 0;
	}
	if (j->state != JOB_STATE_RUNNING && j->state != JOB_STATE_EXITING) {
		/* requeued as lost, and now its end arrives: it ran, it is done;
		 * running it again would run it twice */
		if (j->ck.lost_node && j->state != JOB_STATE_COMPLETE) {
			log_job(PBSEVENT_JOB, j->id, "obit of a job requeued as lost: completing it");
			free(j->ck.lost_node);
			j->ck.lost_node = NULL;
			take_usage(j, &br->rq.attrs);
			job_complete(s, j, status);
		}
		req_ack(br);   /* otherwise a resent obit we already handled */
		return 0;
	}
	{
		/* the end of the run that was requeued as lost, arriving after
		 * the job started again: it must not end the current run */
		const char *osid = msg_attr(&br->rq, ATTR_session, NULL);
		const char *lsid = j->ck.lost_session;

		if (osid && *osid && lsid && !strcmp(osid, lsid)) {
			log_job(PBSEVENT_JOB, j->id, "obit for session %s, the run requeued as lost: "
				"ignored", osid);
			req_ack(br);
			return 0;
		}
		/* the end of an earlier run on another node (its MOM was killed
		 * and restarted after a failed restart, and reports it late)
		 * must not end the run the job has now: the current session is
		 * known once its start was confirmed (faults.test 311) */
		/* (session 0: the MOM never started a task, e.g. the restart
		 * failed before it: that is this run's end) */
		lsid = job_attr(j, ATTR_session);
		if (osid && atol(osid) > 0 && lsid && *lsid && strcmp(osid, lsid) &&
		    j->substate != JOB_SUBSTATE_PRERUN) {
			log_job(PBSEVENT_JOB, j->id, "obit for session %s, not the job's session %s: "
				"an earlier run's, ignored", osid, lsid);
			req_ack(br);
			return 0;
		}
	}
	take_usage(j, &br->rq.attrs);
	/* a restart script that reported its failure said why better than
	 * its MOM, which only saw it end before the job was restored */
	if (comment && *comment && !(status == JOB_EXEC_BADRESRT && restart_failure(j)))
		job_set(j, ATTR_comment, comment);
	log_job(PBSEVENT_JOB, j->id, "obit received - updating final job usage info");
	if (j->substate == JOB_SUBSTATE_PRERUN) {
		/* it ran before its start was confirmed (a short job, or a server
		 * restarted meanwhile): the start is part of its record */
		j->call = MOM_CALL_NONE;
		job_started(s, j, is_restart(j));
	}
	take_checkpoint(s, j, &br->rq);
	if (ckmig_postcopy_lost_end(s, j)) {
		/* its post-copy source said it was lost: held, not ended */
	} else if (ckmig_ended(s, j, status, comment && *comment ? comment : NULL)) {
		/* requeued from its checkpoint, or held because its restart failed */
	} else if (j->substate == JOB_SUBSTATE_RERUN1) {
		/* qrerun: start over (a checkpoint, if any, is used) */
		node_release(s, j);
		svr_setjobstate(s, j, JOB_STATE_QUEUED, JOB_SUBSTATE_QUEUED);
		account_record(s, 'R', j, "");
		s->sched_wanted = 1;
	} else if (status == JOB_EXEC_RETRY || status == JOB_EXEC_INITRST) {
		int st, sub;

		node_release(s, j);
		job_setf(j, ATTR_comment, "job requeued by its MOM (exit code %d)", status);
		svr_evaljobstate(s, j, &st, &sub);
		svr_setjobstate(s, j, st, sub);
		s->sched_wanted = 1;
	} else if (restart_failure(j) == 1) {
		/* Torque: "Temporary failure ..." requeues */
		node_release(s, j);
		log_job(PBSEVENT_JOB, j->id, "Requeueing job after checkpoint restart failure: %s",
			job_attr(j, ATTR_checkpoint_restart_status));
		svr_setjobstate(s, j, JOB_STATE_QUEUED, JOB_SUBSTATE_QUEUED);
		s->sched_wanted = 1;
	} else if (restart_failure(j) == 2) {
		node_release(s, j);
		log_job(PBSEVENT_JOB, j->id, "Placing job on hold after checkpoint restart failure: %s",
			job_attr(j, ATTR_checkpoint_restart_status));
		job_set(j, ATTR_h, "s");
		if (!job_attr(j, ATTR_comment))
			job_set(j, ATTR_comment, job_attr(j, ATTR_checkpoint_restart_status));
		svr_setjobstate(s, j, JOB_STATE_HELD, JOB_SUBSTATE_HELD);
	} else {
		job_complete(s, j, status);
	}
	req_ack(br);
	return 0;
}
