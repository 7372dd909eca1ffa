/* The job state machine: Torque's states and substates, hold bits, and
 * which transitions are legal. Every state change goes through
 * svr_setjobstate so the job file and the log always follow. */
#include "server/server.h"
#include "lib/ckpt_option.h"
#include "lib/log.h"
#include "lib/pbs_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int hold_bits(const char *letters)
{
	int bits = 0;

	if (!letters)
		return 0;
	for (; *letters; letters++) {
		switch (*letters) {
		case 'u': bits |= HOLD_u; break;
		case 'o': bits |= HOLD_o; break;
		case 's': bits |= HOLD_s; break;
		case 'n': break;
		default: return -1;
		}
	}
	return bits;
}

void hold_letters(int bits, char *out, size_t size)
{
	snprintf(out, size, "%s%s%s%s", bits & HOLD_u ? "u" : "", bits & HOLD_o ? "o" : "",
		 bits & HOLD_s ? "s" : "", bits ? "" : "n");
}

char job_state_letter(int state)
{
	if (state < 0 || state > JOB_STATE_COMPLETE)
		return '?';
	return JOB_STATE_LETTERS[state];
}

/* Torque's svr_evaljobstate: where a job that is not running belongs. */
void svr_evaljobstate(struct server *s, const struct job *j, int *state, int *substate)
{
	const char *et = job_attr(j, ATTR_a);

	if (hold_bits(job_attr(j, ATTR_h)) > 0) {
		*state = JOB_STATE_HELD;
		*substate = JOB_SUBSTATE_HELD;
	} else if (et && atol(et) > (long)s->now()) {
		*state = JOB_STATE_WAITING;
		*substate = JOB_SUBSTATE_WAITING;
	} else {
		*state = JOB_STATE_QUEUED;
		*substate = JOB_SUBSTATE_QUEUED;
	}
}

/* Legal moves between states; everything else is a bug in a handler. */
int job_state_change_ok(int from, int to)
{
	static const char ok[7][7] = {
		/*            T  Q  H  W  R  E  C */
		/* T */     { 1, 1, 1, 1, 0, 0, 1 },
		/* Q */     { 0, 1, 1, 1, 1, 0, 1 },
		/* H */     { 0, 1, 1, 1, 1, 0, 1 },
		/* W */     { 0, 1, 1, 1, 1, 0, 1 },
		/* R */     { 0, 1, 1, 1, 1, 1, 1 },
		/* E */     { 0, 1, 1, 0, 0, 1, 1 },
		/* C */     { 0, 0, 0, 0, 0, 0, 1 },
	};

	if (from < 0 || from > 6 || to < 0 || to > 6)
		return 0;
	return ok[from][to];
}

void svr_setjobstate(struct server *s, struct job *j, int state, int substate)
{
	if (!job_state_change_ok(j->state, state))
		log_job(PBSEVENT_ERROR, j->id, "unexpected state change %c -> %c",
			job_state_letter(j->state), job_state_letter(state));
	if (state != j->state && state == JOB_STATE_QUEUED)
		job_setf(j, ATTR_qtime, "%ld", (long)s->now());
	if (state != j->state && state == JOB_STATE_QUEUED && !job_attr(j, ATTR_etime))
		job_setf(j, ATTR_etime, "%ld", (long)s->now());
	j->state = state;
	j->substate = substate;
	job_setf(j, ATTR_mtime, "%ld", (long)s->now());
	if (state == JOB_STATE_COMPLETE) {
		j->purge_at = s->now() + svr_attr_long(s, ATTR_keepcompleted, 300);
	}
	job_save(s, j);
}

/* The one rule (lib/ckpt_option.c), the same the MOM applies. A value
 * the parser refuses (stored before the door checked it) is not
 * checkpointable, at the MOM too. */
int job_checkpointable(const struct job *j)
{
	struct ckpt_opts o;

	if (ckpt_opts_parse(job_attr(j, ATTR_c), &o, NULL, 0) < 0)
		return 0;
	return ckpt_checkpointable(&o);
}

/* Nodes a job holds or asks for: its exec_host's distinct hosts once it
 * has run, else its nodes= request. */
int job_node_count(const struct job *j)
{
	const char *eh = job_attr(j, ATTR_exechost);
	int n;

	if (eh && *eh) {
		struct host_req *hr = NULL;
		char err[128];

		if (parse_destination(eh, 1, &hr, &n, err, sizeof(err)) == 0) {
			free(hr);
			return n;
		}
		free(hr);
	}
	n = nodes_spec_count(job_resc(j, ATTR_l, "nodes"));
	return n > 0 ? n : 1;
}

/* Every checkpoint path (qhold, qchkpt, qmigrate, drain, preemption)
 * asks this first. The reference MOM has no sister MOMs: a job on more
 * than one node runs on its first only, and a checkpoint would save a
 * part of it. 0, or a PBSE code with the reason in msg. */
int job_ckpt_refusal(const struct job *j, char *msg, size_t msglen)
{
	int n;

	if (!job_checkpointable(j)) {
		snprintf(msg, msglen, "%s", MSG_NOT_CHECKPOINTABLE);
		return PBSE_IVALREQ;
	}
	if ((n = job_node_count(j)) > 1) {
		snprintf(msg, msglen, MSG_MULTINODE_CKPT, n);
		return PBSE_IVALREQ;
	}
	return 0;
}
