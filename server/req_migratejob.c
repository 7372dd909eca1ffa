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
	if (j->ckpt_busy || job_attr(j, "ckmig_migrate")) {
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

/* Start a migration of j to dest ("" = any) now. 0 or PBSE with msg. */
int job_migrate(struct server *s, struct job *j, const char *dest, ckpt_done_cb done, void *ctx,
		char *msg, size_t msglen)
{
	int rc = job_migrate_check(s, j, dest, msg, msglen);

	if (rc)
		return rc;
	job_set(j, "ckmig_migrate", dest ? dest : "");
	job_save(s, j);
	rc = relay_checkpoint(s, j, PBS_BATCH_HoldJob, 0, 1, done, ctx);
	if (rc) {
		job_unset(j, "ckmig_migrate");
		job_save(s, j);
		snprintf(msg, msglen, "cannot reach the job's MOM");
	}
	return rc;
}

/* --- qmigrate: answer first, then checkpoint ------------------------------
 * The client is answered as soon as the request passes the server's
 * checks, and the checkpoint is asked of the MOM only once the client has
 * hung up (or after a few seconds): a job that migrates itself must not
 * hold a connection to the server while CRIU dumps it. What the MOM then
 * refuses (a checkpoint directory that is not shared, a failing script)
 * is written to the job's comment. */
#define MIGRATE_HANGUP_WAIT_MS 5000

struct pending_mig {
	char *jobid;
	unsigned long serial;
	long long deadline;
};

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

void migrate_pending_run(struct server *s, int all)
{
	size_t i = 0;
	long long now = now_ms();

	while (i < s->npmig) {
		struct pending_mig *p = &((struct pending_mig *)s->pmig)[i];
		struct job *j;
		char msg[512];
		int rc;

		if (!all && conn_by_serial(s, p->serial) && now < p->deadline) {
			i++;
			continue;
		}
		j = find_job(s, p->jobid);
		if (j && job_attr(j, "ckmig_migrate")) {
			char *id = xstrdup(j->id);

			rc = (j->state == JOB_STATE_RUNNING && j->substate == JOB_SUBSTATE_RUNNING) ?
			     relay_checkpoint(s, j, PBS_BATCH_HoldJob, 0, 1, relay_done, id) :
			     PBSE_BADSTATE;
			if (rc) {
				snprintf(msg, sizeof(msg), "%s", pbse_to_txt(rc));
				relay_done(s, id, rc, 0, rc == PBSE_BADSTATE ?
					   "job is no longer running" : msg);
				job_unset(j, "ckmig_migrate");
				job_save(s, j);
			}
		}
		free(p->jobid);
		memmove(p, p + 1, (s->npmig - i - 1) * sizeof(*p));
		s->npmig--;
	}
}

int req_migratejob(struct batch_request *br)
{
	struct server *s = br->s;
	const char *dest = msg_arg(&br->rq, "destination");
	struct pending_mig *p;
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
	job_set(j, "ckmig_migrate", dest ? dest : "");
	job_save(s, j);
	s->pmig = xrealloc(s->pmig, (s->npmig + 1) * sizeof(struct pending_mig));
	p = &((struct pending_mig *)s->pmig)[s->npmig++];
	p->jobid = xstrdup(j->id);
	p->serial = br->conn_serial;
	p->deadline = now_ms() + MIGRATE_HANGUP_WAIT_MS;
	log_job(PBSEVENT_JOB, j->id, "Job migration to %s requested by %s@%s",
		dest && *dest ? dest : "any node", br->who.user, br->who.host);
	req_ack(br);
	return 0;
}
