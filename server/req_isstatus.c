/* IsStatus: a MOM registers and reports (Torque's is_request in
 * node_manager.c). The report marks the node up, keeps its status string
 * and reconciles the jobs the server believes run there with the jobs
 * the MOM actually holds: after a server restart this is how running jobs
 * are confirmed, and jobs the MOM lost are requeued rather than run
 * twice. */
#include "server/server.h"
#include "lib/log.h"
#include "lib/pbs_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reports that may miss a job before it counts as lost: the MOM resends
 * pending obits between reports, so a finished job is not mistaken. */
#define LOST_AFTER_REPORTS 3

static int reported(const struct pbs_msg *m, const char *id)
{
	const struct pbs_obj *o;

	for (o = m->objs; o; o = o->next)
		if (!strcmp(o->kind, "job") && !strcmp(o->name, id))
			return 1;
	return 0;
}

static int job_on_node(const struct job *j, const struct node *n)
{
	char host[256];

	return exec_host_first(job_attr(j, ATTR_exechost), host, sizeof(host)) == 0 &&
	       (!strcmp(host, n->name) ||
		(!strncmp(host, n->name, strlen(n->name)) && host[strlen(n->name)] == '.'));
}

static void kill_cb(struct server *s, void *ctx, int code, struct pbs_msg *reply)
{
	(void)s;
	(void)reply;
	if (code)
		log_event(PBSEVENT_ERROR, PBS_EVENTCLASS_JOB, ctx, "MOM did not delete the stray "
			  "job: %d", code);
	free(ctx);
}

/* Ask the MOM to delete its copy of a job the server does not run there. */
static void delete_stray(struct server *s, const struct node *n, const char *id)
{
	struct pbs_msg m;
	char *ctx = xstrdup(id);

	msg_request(&m, PBS_BATCH_DeleteJob, id);
	if (issue_to_mom(s, n, &m, 30000, kill_cb, ctx)) {
		log_event(PBSEVENT_ERROR, PBS_EVENTCLASS_JOB, id, "cannot reach MOM %s", n->name);
		free(ctx);
	}
	msg_free(&m);
}

int req_isstatus(struct batch_request *br)
{
	struct server *s = br->s;
	struct node *n = find_node(s, br->rq.id);
	const struct pbs_obj *o;
	const char *v;
	struct job *j, *next;

	if (!n) {
		log_event(PBSEVENT_SECURITY, PBS_EVENTCLASS_NODE, br->rq.id,
			  "status from a MOM that is not in the nodes file");
		req_reject(br, PBSE_UNKNODE, 0, br->rq.id);
		return 0;
	}
	if ((v = msg_attr(&br->rq, "port", NULL)) && atoi(v) > 0)
		n->mom_port = atoi(v);
	if ((v = msg_attr(&br->rq, ATTR_NODE_status, NULL))) {
		free(n->status);
		n->status = xstrdup(v);
	}
	if (n->flags & NODE_DOWN)
		log_event(PBSEVENT_SYSTEM | PBSEVENT_ADMIN, PBS_EVENTCLASS_NODE, n->name,
			  "node up: its MOM reported");
	n->flags &= ~NODE_DOWN;
	n->last_report_ms = now_ms();
	n->reported = 1;
	/* what the MOM holds */
	for (o = br->rq.objs; o; o = o->next) {
		if (strcmp(o->kind, "job"))
			continue;
		j = find_job(s, o->name);
		if (!j || j->state == JOB_STATE_COMPLETE) {
			/* a job the server finished or never had: tell the MOM */
			log_event(PBSEVENT_JOB, PBS_EVENTCLASS_JOB, o->name, "MOM %s holds a job the "
				  "server does not run; asking it to delete the job", n->name);
			delete_stray(s, n, o->name);
			continue;
		}
		/* requeued after a checkpoint, or already running elsewhere after a
		 * migration: this MOM is still ending its copy, and its checkpoint
		 * must stay where it is */
		if (j->svrflags & (JOB_SVFLG_CHECKPOINT_FILE | JOB_SVFLG_CHECKPOINT_MIGRATEABLE)) {
			if (!job_on_node(j, n) || j->state != JOB_STATE_RUNNING)
				continue;
		} else if (!job_on_node(j, n) || j->state != JOB_STATE_RUNNING) {
			/* a start the server counted as failed, yet the MOM runs it:
			 * the server's view wins, or the job would run twice */
			log_job(PBSEVENT_JOB, j->id, "MOM %s runs a copy the server does not "
				"expect there (job is %c); asking it to delete that copy", n->name,
				job_state_letter(j->state));
			delete_stray(s, n, o->name);
			continue;
		}
		if (j->state == JOB_STATE_RUNNING) {
			const struct pbs_attr *a;

			j->lost_reports = 0;
			for (a = o->attrs.head; a; a = a->next)
				if (!strcmp(a->name, ATTR_used) && a->resource)
					attrl_set(&j->attrs, ATTR_used, a->resource, a->value);
				else if (!strcmp(a->name, ATTR_session) && *a->value)
					job_set(j, ATTR_session, a->value);
			if (j->substate == JOB_SUBSTATE_PRERUN && j->call != MOM_CALL_START) {
				/* started before a server crash: the MOM confirms it */
				log_job(PBSEVENT_JOB, j->id, "confirmed running by MOM %s", n->name);
				job_started(s, j, is_restart(j));
			}
		}
	}
	/* what the server believes runs there */
	for (j = s->jobs; j; j = next) {
		next = j->next;
		if (j->state != JOB_STATE_RUNNING || j->call == MOM_CALL_START || !job_on_node(j, n) ||
		    reported(&br->rq, j->id))
			continue;
		if (++j->lost_reports < LOST_AFTER_REPORTS)
			continue;
		{
			int st, sub;

			log_job(PBSEVENT_JOB, j->id, "MOM %s no longer has this job; requeued", n->name);
			node_release(s, j);
			job_setf(j, ATTR_comment, "job was lost by the MOM on %s; requeued", n->name);
			/* if its obit turns up after all, the job ended: see req_jobobit */
			free(j->ck.lost_node);
			j->ck.lost_node = xstrdup(n->name);
			if (job_attr(j, ATTR_session)) {
				free(j->ck.lost_session);
				j->ck.lost_session = xstrdup(job_attr(j, ATTR_session));
			}
			j->lost_reports = 0;
			svr_evaljobstate(s, j, &st, &sub);
			svr_setjobstate(s, j, st, sub);
			ckmig_requeued(s, j, "its MOM lost it");
			s->sched_wanted = 1;
		}
	}
	req_ack(br);
	return 0;
}
