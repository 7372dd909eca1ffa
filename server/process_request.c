/* Every request goes through one table: type, handler, the least role
 * allowed to send it, and whether clients, MOMs or both may send it.
 * Replies go back on the connection the request came on, in order. */
#include "server/server.h"
#include "lib/log.h"
#include "lib/pbs_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FROM_CLIENT 1
#define FROM_MOM    2

static const struct req_entry {
	int type;
	req_handler client;     /* handler when a client sends it */
	req_handler mom;        /* handler when a MOM sends it */
	int role;               /* least client role; per-job checks are the handler's */
} req_table[] = {
	{ PBS_BATCH_QueueJob,      req_quejob,        NULL,                ROLE_ANY },
	{ PBS_BATCH_DeleteJob,     req_deletejob,     NULL,                ROLE_ANY },
	{ PBS_BATCH_HoldJob,       req_holdjob,       NULL,                ROLE_ANY },
	{ PBS_BATCH_LocateJob,     req_locatejob,     NULL,                ROLE_ANY },
	{ PBS_BATCH_Manager,       req_manager,       NULL,                ROLE_ANY },
	{ PBS_BATCH_ModifyJob,     req_modifyjob,     req_mom_modifyjob,   ROLE_ANY },
	{ PBS_BATCH_ReleaseJob,    req_releasejob,    req_mom_releasejob,  ROLE_ANY },
	{ PBS_BATCH_Rerun,         req_rerunjob,      NULL,                ROLE_OPERATOR },
	{ PBS_BATCH_RunJob,        req_runjob,        NULL,                ROLE_OPERATOR },
	{ PBS_BATCH_AsyrunJob,     req_runjob,        NULL,                ROLE_OPERATOR },
	{ PBS_BATCH_SelectJobs,    req_selectjobs,    NULL,                ROLE_ANY },
	{ PBS_BATCH_Shutdown,      req_shutdown,      NULL,                ROLE_MANAGER },
	{ PBS_BATCH_SignalJob,     req_signaljob,     NULL,                ROLE_ANY },
	{ PBS_BATCH_StatusJob,     req_stat_job,      NULL,                ROLE_ANY },
	{ PBS_BATCH_StatusQueue,   req_stat_que,      NULL,                ROLE_ANY },
	{ PBS_BATCH_StatusServer,  req_stat_svr,      NULL,                ROLE_ANY },
	{ PBS_BATCH_CheckpointJob, req_checkpointjob, NULL,                ROLE_ANY },
	{ PBS_BATCH_StatusNode,    req_stat_node,     NULL,                ROLE_ANY },
	{ PBS_BATCH_MigrateJob,    req_migratejob,    NULL,                ROLE_ANY },
	{ PBS_BATCH_JobObit,       NULL,              req_jobobit,         ROLE_ANY },
	{ PBS_BATCH_IsStatus,      NULL,              req_isstatus,        ROLE_ANY },
};

void br_free(struct batch_request *br)
{
	if (!br)
		return;
	msg_free(&br->rq);
	free(br);
}

static void send_reply(struct batch_request *br, struct pbs_msg *reply)
{
	struct conn *c = conn_by_serial(br->s, br->conn_serial);

	br->replied = 1;
	if (reply->code)
		log_event(PBSEVENT_DEBUG, PBS_EVENTCLASS_REQUEST, br->who.user,
			  "Reject reply code=%d(%s), aux=%d, type=%s, from %s@%s", reply->code,
			  reply->text, reply->aux, proto_type_name(br->rq.type), br->who.user,
			  br->who.host);
	if (!c)
		return;   /* the client went away; the work is done anyway */
	conn_send(br->s, c, reply);
	if (br->deferred && c->deferred) {
		c->deferred = 0;
		conn_process(br->s, c);   /* requests that queued up behind this one */
	}
}

void req_reply_body(struct batch_request *br, const struct buf *body)
{
	struct conn *c = conn_by_serial(br->s, br->conn_serial);

	br->replied = 1;
	if (!c)
		return;
	conn_send_body(br->s, c, body->data, body->len);
	if (br->deferred && c->deferred) {
		c->deferred = 0;
		conn_process(br->s, c);
	}
}

void req_reply_msg(struct batch_request *br, struct pbs_msg *reply)
{
	send_reply(br, reply);
	msg_free(reply);
}

void req_reject(struct batch_request *br, int code, int aux, const char *msg)
{
	struct pbs_msg r;
	char text[2048];

	msg_reply(&r, code, aux, pbse_message(text, sizeof(text), code, msg));
	req_reply_msg(br, &r);
}

void req_ack(struct batch_request *br)
{
	struct pbs_msg r;

	msg_reply(&r, 0, 0, "");
	req_reply_msg(br, &r);
}

/* Look up the request's job and check that the sender may act on it. */
struct job *chk_job_request(struct batch_request *br)
{
	struct job *j = find_job(br->s, br->rq.id);

	if (!j) {
		req_reject(br, PBSE_UNKJOBID, 0, NULL);
		return NULL;
	}
	if (!br->who.is_mom && !user_may_act_on_job(br->s, &br->who, j)) {
		log_job(PBSEVENT_SECURITY, j->id, "%s request denied for %s@%s",
			proto_type_name(br->rq.type), br->who.user, br->who.host);
		req_reject(br, PBSE_PERM, 0, NULL);
		return NULL;
	}
	return j;
}

void dispatch_request(struct server *s, struct conn *c, struct pbs_msg *m)
{
	struct batch_request *br = xcalloc(1, sizeof(*br));
	const struct req_entry *e = NULL;
	req_handler h = NULL;
	size_t i;
	int rc;

	br->s = s;
	br->rq = *m;              /* take ownership */
	br->who = c->who;
	br->conn_serial = c->serial;
	for (i = 0; i < sizeof(req_table) / sizeof(req_table[0]); i++)
		if (req_table[i].type == m->type)
			e = &req_table[i];
	log_event(PBSEVENT_DEBUG2, PBS_EVENTCLASS_REQUEST, c->who.user,
		  "Type %s request received from %s@%s, sock=%d", proto_type_name(m->type),
		  c->who.user, c->who.host, c->fd);
	if (e)
		h = c->who.is_mom ? e->mom : e->client;
	if (!h) {
		/* A client sending what only MOMs may send (or the reverse) is
		 * refused, not told what exists. */
		if (e)
			log_event(PBSEVENT_SECURITY, PBS_EVENTCLASS_REQUEST, c->who.user,
				  "%s request from %s@%s refused: not allowed on this port",
				  proto_type_name(m->type), c->who.user, c->who.host);
		req_reject(br, e ? PBSE_PERM : PBSE_UNKREQ, 0, NULL);
		br_free(br);
		return;
	}
	if ((e->role == ROLE_MANAGER && !user_is_manager(s, &br->who)) ||
	    (e->role == ROLE_OPERATOR && !user_is_operator(s, &br->who))) {
		log_event(PBSEVENT_SECURITY, PBS_EVENTCLASS_REQUEST, c->who.user,
			  "%s request from %s@%s refused: needs %s privilege", proto_type_name(m->type),
			  c->who.user, c->who.host, e->role == ROLE_MANAGER ? "manager" : "operator");
		req_reject(br, PBSE_PERM, 0, NULL);
		br_free(br);
		return;
	}
	rc = h(br);
	if (rc == REQ_DEFERRED) {
		/* the handler's callback replies and frees br; until then this
		 * connection is not read, so replies keep request order */
		br->deferred = 1;
		c->deferred = 1;
		return;
	}
	if (!br->replied)
		req_ack(br);
	br_free(br);
}
