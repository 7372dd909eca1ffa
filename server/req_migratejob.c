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

static void migrate_done(struct server *s, void *vbr, int code, int aux, const char *msg)
{
	struct batch_request *br = vbr;
	struct job *j = find_job(s, br->rq.id);
	struct pbs_msg r;
	char text[1024];

	if (!code && aux != PBS_CHECKPOINT_MIGRATE && j) {
		/* the MOM should have refused a local checkpoint; record it */
		log_job(PBSEVENT_JOB, j->id, "MOM reported a checkpoint that is not shared; it "
			"restarts on its node only");
	}
	if (code)
		msg_reply(&r, code, aux, msg ? msg : pbse_message(text, sizeof(text), code, NULL));
	else
		msg_reply(&r, 0, aux, "");
	req_reply_msg(br, &r);
	br_free(br);
}

/* Start a migration of j to dest ("" = any). 0 or PBSE with msg. */
int job_migrate(struct server *s, struct job *j, const char *dest, ckpt_done_cb done, void *ctx,
		char *msg, size_t msglen)
{
	const char *eh = job_attr(j, ATTR_exechost);
	int rc;

	msg[0] = '\0';
	if (j->state != JOB_STATE_RUNNING || j->substate != JOB_SUBSTATE_RUNNING) {
		snprintf(msg, msglen, "job is not running");
		return PBSE_BADSTATE;
	}
	if (!job_checkpointable(j)) {
		snprintf(msg, msglen, "%s", MSG_NOT_CHECKPOINTABLE);
		return PBSE_IVALREQ;
	}
	if (eh && strchr(eh, '+')) {
		struct host_req *hr = NULL;
		int n = 0;

		parse_destination(eh, 1, &hr, &n, msg, msglen);
		free(hr);
		if (n > 1) {
			snprintf(msg, msglen, "multi-node jobs cannot migrate yet");
			return PBSE_IVALREQ;
		}
	}
	if (j->ckpt_busy || job_attr(j, "ckmig_migrate")) {
		snprintf(msg, msglen, "a checkpoint or migration of this job is under way");
		return PBSE_CKPBSY;
	}
	if (dest && *dest) {
		struct host_req *hr = NULL;
		int n = 0, i;

		rc = parse_destination(dest, 1, &hr, &n, msg, msglen);
		for (i = 0; !rc && i < n; i++)
			if (!find_node(s, hr[i].name)) {
				snprintf(msg, msglen, "%s", hr[i].name);
				rc = PBSE_UNKNODE;
			}
		free(hr);
		if (rc)
			return rc;
	}
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

int req_migratejob(struct batch_request *br)
{
	const char *dest = msg_arg(&br->rq, "destination");
	char msg[512];
	struct job *j;
	int rc;

	if (!(j = chk_job_request(br)))
		return 0;
	rc = job_migrate(br->s, j, dest, migrate_done, br, msg, sizeof(msg));
	if (rc) {
		req_reject(br, rc, 0, msg[0] ? msg : NULL);
		return 0;
	}
	log_job(PBSEVENT_JOB, j->id, "Job migration to %s requested by %s@%s",
		dest && *dest ? dest : "any node", br->who.user, br->who.host);
	return REQ_DEFERRED;
}
