/* The built-in scheduler: queued jobs by Priority (high first), then
 * submission order; each takes the first nodes that fit. With the server
 * attribute scheduling=False it does nothing and an external scheduler
 * (Maui) drives the server with RunJob.
 *
 * Preemption by checkpoint (preempt_by_checkpoint=True, off by default),
 * as Maui's PREEMPTPOLICY CHECKPOINT: a job with Priority >=
 * preempt_min_priority that does not fit checkpoints running
 * lower-priority checkpointable jobs off one node; they come back queued
 * and run again wherever there is room.
 *
 * Node drain: every movable job on a draining node is migrated; when the
 * node is empty it goes offline. */
#include "server/server.h"
#include "lib/log.h"
#include "lib/pbs_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long job_prio(const struct job *j)
{
	const char *p = job_attr(j, ATTR_p);

	return p ? atol(p) : 0;
}

static int sched_cmp(const void *a, const void *b)
{
	const struct job *x = *(struct job *const *)a, *y = *(struct job *const *)b;
	long px = job_prio(x), py = job_prio(y);

	if (px != py)
		return px > py ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void sched_run_done(struct server *s, void *ctx, int code, const char *msg)
{
	char *id = ctx;

	if (code)
		log_event(PBSEVENT_SCHED, PBS_EVENTCLASS_JOB, id, "scheduler could not start job: %s",
			  msg ? msg : pbse_to_txt(code));
	(void)s;
	free(id);
}

static void preempt_done(struct server *s, void *ctx, int code, int aux, const char *msg)
{
	char *id = ctx;

	(void)s;
	(void)aux;
	/* a refusal left the job FAILED with the reason: not tried again */
	if (code)
		log_event(PBSEVENT_SCHED, PBS_EVENTCLASS_JOB, id, "preemption by checkpoint refused: %s",
			  msg ? msg : pbse_to_txt(code));
	free(id);
}

/* Checkpoint lower-priority jobs off the node where hi would fit once
 * they are gone. Returns 1 when a preemption is under way. */
static int try_preempt(struct server *s, struct job *hi)
{
	long minp = svr_attr_long(s, ATTR_preempt_prio, 1);
	int nodect, ppn, i, k;
	char props[256];

	if (!svr_attr_true(s, ATTR_preempt) || job_prio(hi) < minp)
		return 0;
	job_resource_request(hi, &nodect, &ppn, props, sizeof(props));
	if (nodect != 1)
		return 0;
	for (i = 0; i < s->nnodes; i++) {
		struct node *n = &s->nodes[i];
		int could = node_free_slots(n), busy = 0;

		if (!node_usable(n) || n->np < ppn)
			continue;
		for (k = 0; k < n->np; k++) {
			struct job *v = n->slot[k];

			if (!v)
				continue;
			if (ckmig_busy(v))
				busy = 1;
			else if (job_prio(v) < job_prio(hi) && job_checkpointable(v) &&
				 job_node_count(v) == 1 && !ckmig_refused_move(v) &&
				 v->substate == JOB_SUBSTATE_RUNNING)
				could++;
		}
		if (busy)
			return 1;   /* a preemption for this node is already under way */
		if (could < ppn)
			continue;
		for (k = 0; k < n->np && node_free_slots(n) < ppn; k++) {
			struct job *v = n->slot[k];
			char msg[256];

			if (!v || job_prio(v) >= job_prio(hi) || !job_checkpointable(v) ||
			    job_node_count(v) > 1 || ckmig_refused_move(v) || ckmig_busy(v))
				continue;
			char *id = xstrdup(v->id);

			free(v->ck.by);
			v->ck.by = xstrdup(hi->id);
			/* the preempted job waits for the scheduler, not a fixed target */
			if (job_migrate(s, v, CKMIG_BY_PREEMPT, NULL, preempt_done, id, msg,
					sizeof(msg))) {
				free(id);
				ckmig_failed(s, v, "cannot be preempted: %s", msg);
				continue;
			}
			log_event(PBSEVENT_SCHED, PBS_EVENTCLASS_JOB, v->id,
				  "preempted by checkpoint for job %s (Priority %ld > %ld)", hi->id,
				  job_prio(hi), job_prio(v));
			return 1;
		}
		return 1;
	}
	return 0;
}

void schedule(struct server *s)
{
	struct job **list = NULL, *j;
	size_t n = 0, i;

	check_drains(s);
	if (!svr_attr_true(s, ATTR_scheduling))
		return;
	if (attrl_get(&s->qattrs, ATTR_start, NULL) &&
	    strcasecmp(attrl_get(&s->qattrs, ATTR_start, NULL), "true"))
		return;
	for (j = s->jobs; j; j = j->next)
		if (j->state == JOB_STATE_QUEUED && j->call == MOM_CALL_NONE && !ckmig_busy(j)) {
			list = xrealloc(list, (n + 1) * sizeof(*list));
			list[n++] = j;
		}
	if (n > 1)
		qsort(list, n, sizeof(*list), sched_cmp);
	for (i = 0; i < n; i++) {
		char msg[512], *id;
		int rc;


		j = list[i];
		id = xstrdup(j->id);
		rc = svr_startjob(s, j, NULL, sched_run_done, id, msg, sizeof(msg));
		if (rc)
			free(id);
		if (rc == 0) {
			log_event(PBSEVENT_SCHED, PBS_EVENTCLASS_JOB, j->id, "Job Run by the scheduler");
			continue;
		}
		/* a pending MOM call frees the ctx; a refusal at once does not */
		if (rc == PBSE_RESCUNAV && try_preempt(s, j))
			break;   /* wait for the room the checkpoint makes */
		if (rc != PBSE_RESCUNAV) {
			log_event(PBSEVENT_SCHED, PBS_EVENTCLASS_JOB, j->id, "cannot run: %s",
				  msg[0] ? msg : pbse_to_txt(rc));
		}
	}
	free(list);
}

static void drain_done(struct server *s, void *ctx, int code, int aux, const char *msg)
{
	char *id = ctx;

	(void)s;
	(void)aux;
	/* a refusal left the job FAILED with the reason that pbsnodes lists */
	if (code)
		log_event(PBSEVENT_ADMIN, PBS_EVENTCLASS_JOB, id, "drain: job cannot move: %s",
			  msg ? msg : pbse_to_txt(code));
	free(id);
}

void check_drains(struct server *s)
{
	int i, k;

	for (i = 0; i < s->nnodes; i++) {
		struct node *n = &s->nodes[i];
		struct buf stuck;
		int left = 0;

		if (!n->drain)
			continue;
		buf_init(&stuck);
		for (k = 0; k < n->np; k++) {
			struct job *j = n->slot[k];
			char msg[256];

			if (!j)
				continue;
			left++;
			if (k > 0 && n->slot[k - 1] == j)
				continue;
			if (ckmig_busy(j))
				continue;
			if (ckmig_refused_move(j)) {
				buf_printf(&stuck, "%s%s (%s)", stuck.len ? ", " : "", j->id,
					   j->ck.reason ? j->ck.reason : "?");
				continue;
			}
			if (j->substate != JOB_SUBSTATE_RUNNING)
				continue;
			char *id = xstrdup(j->id);

			if (job_migrate(s, j, CKMIG_BY_DRAIN, "", drain_done, id, msg, sizeof(msg))) {
				free(id);
				ckmig_failed(s, j, "%s", msg);
				buf_printf(&stuck, "%s%s (%s)", stuck.len ? ", " : "", j->id, msg);
				continue;
			}
			log_event(PBSEVENT_ADMIN, PBS_EVENTCLASS_NODE, n->name, "drain: migrating %s",
				  j->id);
		}
		if (!left) {
			n->drain = 0;
			n->flags |= NODE_OFFLINE;
			free(n->note);
			n->note = xstrdup("drained");
			nodes_save(s);
			log_event(PBSEVENT_ADMIN, PBS_EVENTCLASS_NODE, n->name,
				  "drain complete: node offline");
		} else if (stuck.len) {
			char *note = xasprintf("draining; cannot move: %s", stuck.data);

			if (strcmp(note, n->note)) {
				free(n->note);
				n->note = note;
				nodes_save(s);
			} else {
				free(note);
			}
		}
		buf_free(&stuck);
	}
}
