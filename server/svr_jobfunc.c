/* The job state machine: Torque's states and substates, hold bits, and
 * which transitions are legal. Every state change goes through
 * svr_setjobstate so the job file and the log always follow. */
#include "server/server.h"
#include "lib/log.h"

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

/* Item of a Checkpoint attribute: prefix followed by a non-letter. */
static int ckpt_has(const char *v, const char *item)
{
	size_t l = strlen(item);
	const char *p = v;

	while (p && *p) {
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);

		while (n && *p == ' ') {
			p++;
			n--;
		}
		if (n >= l && !strncmp(p, item, l) &&
		    (n == l || !((p[l] >= 'a' && p[l] <= 'z') || (p[l] >= 'A' && p[l] <= 'Z'))))
			return 1;
		p = e ? e + 1 : NULL;
	}
	return 0;
}

/* Torque's server-side test (req_holdjob.c): s, c[=N] or enabled. */
int job_checkpointable(const struct job *j)
{
	const char *v = job_attr(j, ATTR_c);

	if (!v)
		return 0;
	return ckpt_has(v, "s") || ckpt_has(v, "c") || ckpt_has(v, "enabled");
}
