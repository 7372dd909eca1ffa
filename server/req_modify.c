/* ModifyJob: qalter from users, and the MOM's reports (checkpoint name
 * and time, restart status, comment, session id) with Torque's extend
 * "checkpoint_hold" / "checkpoint_cont". */
#include "server/server.h"
#include "lib/log.h"
#include "lib/pbs_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *alterable[] = {
	ATTR_a, ATTR_c, ATTR_e, ATTR_h, ATTR_j, ATTR_k, ATTR_l, ATTR_m, ATTR_o, ATTR_p, ATTR_r,
	ATTR_A, ATTR_M, ATTR_N, ATTR_S, ATTR_v, ATTR_checkpoint_dir, ATTR_comment,
	ATTR_checkpoint_restart_status, ATTR_walltime_total, NULL
};
/* may change while the job runs (Torque: ATR_DFLAG_ALTRUN). The restart
 * script's hooks set checkpoint_restart_status with qalter while the
 * restored job runs (Torque: READ_WRITE | ALTRUN). */
static const char *alter_running[] = { ATTR_p, ATTR_comment, ATTR_N, ATTR_M, ATTR_m,
				       ATTR_checkpoint_restart_status, NULL };

static int in_list(const char **l, const char *n)
{
	for (; *l; l++)
		if (!strcmp(*l, n))
			return 1;
	return 0;
}

int req_modifyjob(struct batch_request *br)
{
	struct server *s = br->s;
	struct pbs_attr *a;
	struct job *j;
	char msg[512];
	int rc;

	if (!(j = chk_job_request(br)))
		return 0;
	if (j->state == JOB_STATE_COMPLETE || j->state == JOB_STATE_EXITING) {
		req_reject(br, PBSE_BADSTATE, 0, NULL);
		return 0;
	}
	for (a = br->rq.attrs.head; a; a = a->next) {
		if (!in_list(alterable, a->name)) {
			req_reject(br, PBSE_ATTRRO, 0, a->name);
			return 0;
		}
		if (j->state == JOB_STATE_RUNNING && !in_list(alter_running, a->name)) {
			req_reject(br, PBSE_MODATRRUN, 0, a->name);
			return 0;
		}
		if ((rc = job_attr_check(a->name, a->value, msg, sizeof(msg)))) {
			req_reject(br, rc, 0, msg);
			return 0;
		}
		if (!strcmp(a->name, ATTR_h)) {
			int bits = hold_bits(a->value);

			if (((bits & HOLD_s) && !user_is_manager(s, &br->who)) ||
			    ((bits & HOLD_o) && !user_is_operator(s, &br->who))) {
				req_reject(br, PBSE_PERM, 0, NULL);
				return 0;
			}
		}
		if (!strcmp(a->name, ATTR_comment) && !user_is_operator(s, &br->who)) {
			req_reject(br, PBSE_PERM, 0, NULL);
			return 0;
		}
	}
	{
		/* the door sees the job as it would be after the change */
		struct attr_list after;

		attrl_init(&after);
		attrl_copy(&after, &j->attrs);
		for (a = br->rq.attrs.head; a; a = a->next)
			if (a->op != BATCH_UNSET)
				attrl_set(&after, a->name, a->resource, a->value);
		rc = job_check_attrs(s, &br->rq.attrs, &after, msg, sizeof(msg));
		attrl_free(&after);
		if (rc) {
			req_reject(br, rc, 0, msg);
			return 0;
		}
	}
	for (a = br->rq.attrs.head; a; a = a->next) {
		if (a->op == BATCH_UNSET)
			attrl_remove(&j->attrs, a->name, a->resource);
		else
			attrl_set(&j->attrs, a->name, a->resource, a->value);
	}
	if (j->state != JOB_STATE_RUNNING) {
		int st, sub;

		svr_evaljobstate(s, j, &st, &sub);
		svr_setjobstate(s, j, st, sub);
	} else {
		job_save(s, j);
	}
	log_job(PBSEVENT_JOB, j->id, "Job Modified at request of %s@%s", br->who.user, br->who.host);
	s->sched_wanted = 1;
	req_ack(br);
	return 0;
}

static const char *mom_settable[] = {
	ATTR_checkpoint_name, ATTR_checkpoint_time, ATTR_checkpoint_dir, ATTR_restart_name,
	ATTR_checkpoint_restart_status, ATTR_comment, ATTR_session, ATTR_used, NULL
};

int req_mom_modifyjob(struct batch_request *br)
{
	struct server *s = br->s;
	struct job *j = find_job(s, br->rq.id);
	const char *ext = msg_arg(&br->rq, "extend");
	struct pbs_attr *a;

	if (!j) {
		req_reject(br, PBSE_UNKJOBID, 0, NULL);
		return 0;
	}
	for (a = br->rq.attrs.head; a; a = a->next)
		if (!in_list(mom_settable, a->name)) {
			req_reject(br, PBSE_ATTRRO, 0, a->name);
			return 0;
		}
	for (a = br->rq.attrs.head; a; a = a->next)
		attrl_set(&j->attrs, a->name, a->resource, a->value);
	if (ext && (!strcmp(ext, "checkpoint_hold") || !strcmp(ext, "checkpoint_cont"))) {
		char text[1024];

		const char *mg = msg_arg(&br->rq, "migratable");

		/* News path 2: ckmig's MOM says with every checkpoint whether it
		 * landed in a shared directory (periodic and MOM-shutdown
		 * checkpoints have no request whose answer could carry aux 1);
		 * without that word the state machine keeps the answer's. */
		ckmig_reported(s, j, !strcmp(ext, "checkpoint_hold"), mg ? !strcmp(mg, "1") : -1,
			       walltime_word(msg_arg(&br->rq, "walltime")),
			       msg_arg(&br->rq, "checkpoint_host"));
		snprintf(text, sizeof(text), "checkpoint_name=%s checkpoint_time=%s %s",
			 job_attr(j, ATTR_checkpoint_name) ? job_attr(j, ATTR_checkpoint_name) : "",
			 job_attr(j, ATTR_checkpoint_time) ? job_attr(j, ATTR_checkpoint_time) : "",
			 !strcmp(ext, "checkpoint_hold") ? "Checkpointed and held" :
			 "Checkpointed and continued");
		account_record(s, 'C', j, text);
		log_job(PBSEVENT_JOB, j->id, "%s", text);
		/* qmigrate --postcopy: the target starts while the source serves */
		if (!strcmp(ext, "checkpoint_hold"))
			ckmig_pages_ready(s, j, msg_arg(&br->rq, "pages_from"));
	}
	job_save(s, j);
	req_ack(br);
	return 0;
}
