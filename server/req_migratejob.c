/* MigrateJob (qmigrate): checkpoint a running job into the shared
 * directory, end it, and run it again on the destination (or wherever
 * the scheduler finds room) as the same job. The request is answered as
 * soon as the MOM accepts the checkpoint, so a job may migrate itself. */
#include "server/server.h"
#include "lib/log.h"
#include "lib/pbs_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What the server can check before it asks the MOM. 0 or PBSE + msg. */
int job_migrate_check(struct server *s, struct job *j, const char *dest, char *msg, size_t msglen)
{
	int rc;

	msg[0] = '\0';
	/* first: a second migration of the same job is told the first one runs */
	if (ckmig_busy(j)) {
		snprintf(msg, msglen, "a checkpoint or migration of this job is under way");
		return PBSE_CKPBSY;
	}
	if (j->state != JOB_STATE_RUNNING || j->substate != JOB_SUBSTATE_RUNNING) {
		snprintf(msg, msglen, "job is not running");
		return PBSE_BADSTATE;
	}
	if ((rc = job_ckpt_refusal(j, msg, msglen)))
		return rc;
	if (dest && *dest) {
		struct host_req *hr = NULL;
		int n = 0, i;

		rc = parse_destination(dest, 1, &hr, &n, msg, msglen);
		for (i = 0; !rc && i < n; i++) {
			struct node *nd = find_node(s, hr[i].name);

			if (!nd) {
				snprintf(msg, msglen, "%s", hr[i].name);
				rc = PBSE_UNKNODE;
			} else if (!node_usable(nd)) {
				char st[64];

				snprintf(msg, msglen, "node %s is %s", nd->name,
					 nd->drain ? "draining" : node_state_str(nd, st, sizeof(st)));
				rc = PBSE_RESCUNAV;
			}
		}
		free(hr);
		if (rc)
			return rc;
	}
	return 0;
}

int migrate_target(struct server *s, const struct job *j, char *host, size_t n, int *port)
{
	char from[256], props[256];
	int nodect = 1, ppn = 1, i;

	if (exec_host_first(job_attr(j, ATTR_exechost), from, sizeof(from)) < 0)
		from[0] = '\0';
	if (j->ck.dest && *j->ck.dest) {
		struct node *nd;

		exec_host_first(j->ck.dest, host, n);
		nd = find_node(s, host);
		if (!nd)
			return -1;
		*port = nd->mom_port ? nd->mom_port : s->mom_port;
		return 0;
	}
	job_resource_request(j, &nodect, &ppn, props, sizeof(props));
	for (i = 0; i < s->nnodes; i++) {
		struct node *nd = &s->nodes[i];

		if (strcmp(nd->name, from) && node_usable(nd) && node_free_slots(nd) >= ppn) {
			snprintf(host, n, "%s", nd->name);
			*port = nd->mom_port ? nd->mom_port : s->mom_port;
			return 0;
		}
	}
	return -1;
}

/* Start a move of j to dest ("" = any) now: a drain or a preemption.
 * 0 or PBSE with msg. */
int job_migrate(struct server *s, struct job *j, enum ckmig_cause cause, const char *dest,
		ckpt_done_cb done, void *ctx, char *msg, size_t msglen)
{
	int rc = job_migrate_check(s, j, dest, msg, msglen);

	if (rc)
		return rc;
	/* the target, should the MOM have to copy the images there */
	free(j->ck.dest);
	j->ck.dest = xstrdup(dest ? dest : "");
	rc = relay_checkpoint(s, j, PBS_BATCH_HoldJob, 0, cause, done, ctx);
	if (rc) {
		snprintf(msg, msglen, "cannot reach the job's MOM");
		return rc;
	}
	ckmig_requested(s, j, cause, dest, NULL);
	return 0;
}

/* --- qmigrate: answer first, then checkpoint ------------------------------
 * The client is answered as soon as the request passes the server's
 * checks, and the checkpoint is asked of the MOM only once the client has
 * hung up (or after a few seconds): a job that migrates itself must not
 * hold a connection to the server while CRIU dumps it. Until then the job
 * is PENDING, its client's connection and deadline kept with its state.
 * What the MOM then refuses (a checkpoint directory that is not shared, a
 * failing script) is the FAILED state's reason, and the job's comment. */
#define MIGRATE_HANGUP_WAIT_MS 5000

static void relay_done(struct server *s, void *ctx, int code, int aux, const char *msg)
{
	char *id = ctx;
	struct job *j = find_job(s, id);

	(void)aux;
	if (code && j) {
		job_setf(j, ATTR_comment, "migration failed: %s", msg ? msg : pbse_to_txt(code));
		job_save(s, j);
		log_job(PBSEVENT_JOB, id, "migration failed: %s", msg ? msg : pbse_to_txt(code));
	}
	free(id);
}

static void relay_pending(struct server *s, struct job *j)
{
	char *id = xstrdup(j->id), *dest = xstrdup(j->ck.dest ? j->ck.dest : "");
	int rc = PBSE_BADSTATE;

	if (j->state == JOB_STATE_RUNNING && j->substate == JOB_SUBSTATE_RUNNING)
		rc = relay_checkpoint(s, j, PBS_BATCH_HoldJob, 0, CKMIG_BY_MIGRATE, relay_done, id);
	if (rc) {
		const char *why = rc == PBSE_BADSTATE ? "job is no longer running" : pbse_to_txt(rc);

		ckmig_failed(s, j, "%s", why);
		relay_done(s, id, rc, 0, why);
	} else {
		ckmig_requested(s, j, CKMIG_BY_MIGRATE, dest, NULL);
	}
	free(dest);
}

void migrate_pending_run(struct server *s, int all)
{
	long long now = now_ms();
	struct job *j, *next;

	for (j = s->jobs; j; j = next) {
		next = j->next;
		if (j->ck.state != CKMIG_PENDING)
			continue;
		if (!all && j->ck.pend_serial && conn_by_serial(s, j->ck.pend_serial) &&
		    now < j->ck.pend_deadline)
			continue;
		relay_pending(s, j);
	}
}

int req_migratejob(struct batch_request *br)
{
	struct server *s = br->s;
	const char *dest = msg_arg(&br->rq, "destination");
	const char *ext = msg_arg(&br->rq, "extend");
	char msg[512];
	struct job *j;
	int rc;

	if (!(j = chk_job_request(br)))
		return 0;
	rc = job_migrate_check(s, j, dest, msg, sizeof(msg));
	if (rc) {
		req_reject(br, rc, 0, msg[0] ? msg : NULL);
		return 0;
	}
	j->ck.cause = CKMIG_BY_MIGRATE;
	/* extend "live" (qmigrate --live): pre-copy, see relay_checkpoint;
	 * "lazy" (--lazy): the target restores lazily (req_runjob.c); both:
	 * "live,lazy" */
	j->ck.live = ext && (!strcmp(ext, "live") || !strcmp(ext, "live,lazy"));
	j->ck.lazy = ext && (!strcmp(ext, "lazy") || !strcmp(ext, "live,lazy"));
	/* "postcopy" (--postcopy): the source MOM serves the pages to the
	 * target's restart (svr_ckmig_postcopy.c) */
	j->ck.postcopy = ext && !strcmp(ext, "postcopy");
	free(j->ck.dest);
	j->ck.dest = xstrdup(dest ? dest : "");
	j->ck.pend_serial = br->conn_serial;
	j->ck.pend_deadline = now_ms() + MIGRATE_HANGUP_WAIT_MS;
	log_job(PBSEVENT_JOB, j->id, "Job migration%s%s%s to %s requested by %s@%s",
		j->ck.live ? " (live)" : "", j->ck.lazy ? " (lazy)" : "",
		j->ck.postcopy ? " (postcopy)" : "", dest && *dest ? dest : "any node", br->who.user,
		br->who.host);
	ckmig_set(s, j, CKMIG_PENDING, "qmigrate accepted; relayed once its client hangs up");
	req_ack(br);
	return 0;
}
