/* Jobs longer than one run's walltime (issue 16). A job submitted with
 * `-W walltime_total=96:00:00` beside `-l walltime=24:00:00` runs at most
 * its walltime each time; shortly before it, its MOM checkpoints it and
 * says so in the checkpoint_hold report and the obit (walltime=run, or
 * walltime=end when this run used up the budget, or when the job has no
 * budget and the MOM's operator asked for a hold rather than a kill:
 * $checkpoint_at_walltime). The state machine (svr_ckmig.c) takes that
 * word as the cause of the checkpoint; here is what the end of such a
 * run becomes: queued again from its checkpoint, or held with a comment
 * that says how to go on. What is used is resources_used.walltime, which
 * the MOMs carry on from run to run (the total of every run). */
#include "server/server.h"
#include "lib/log.h"
#include "lib/resc_value.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum ckmig_cause walltime_word(const char *word)
{
	if (word && !strcmp(word, "run"))
		return CKMIG_BY_WALLTIME;
	if (word && !strcmp(word, "end"))
		return CKMIG_BY_WALLTIME_END;
	return CKMIG_BY_NONE;
}

static void hms(long secs, char *out, size_t size)
{
	if (secs < 0)
		secs = 0;
	snprintf(out, size, "%02ld:%02ld:%02ld", secs / 3600, secs / 60 % 60, secs % 60);
}

static long used_walltime(const struct job *j)
{
	const char *u = job_resc(j, ATTR_used, "walltime");
	long v = u ? parse_time_value(u) : 0;

	return v > 0 ? v : 0;
}

long walltime_budget_left(const struct job *j)
{
	const char *b = job_attr(j, ATTR_walltime_total);
	long budget = b ? parse_time_value(b) : -1, left;

	if (budget <= 0)
		return -1;
	left = budget - used_walltime(j);
	return left > 0 ? left : 0;
}

void walltime_left_str(const struct job *j, char *out, size_t size)
{
	hms(walltime_budget_left(j), out, size);
}

void walltime_run_ended(struct server *s, struct job *j)
{
	const char *budget = job_attr(j, ATTR_walltime_total);
	const char *wt = job_resc(j, ATTR_l, "walltime");
	const char *rc = job_attr(j, ATTR_run_count), *st = job_attr(j, ATTR_start_time);
	long runs = rc ? atol(rc) : 1, left = walltime_budget_left(j);
	long run_secs = st ? (long)s->now() - atol(st) : 0;
	int held = j->ck.cause == CKMIG_BY_WALLTIME_END || left == 0;
	char used[32], run[32], lefts[32];
	struct buf b;

	hms(used_walltime(j), used, sizeof(used));
	hms(run_secs, run, sizeof(run));
	hms(left, lefts, sizeof(lefts));
	if (held) {
		int bits = hold_bits(job_attr(j, ATTR_h));
		char letters[8];

		/* a user hold: the budget is the owner's own request, and so is
		 * the decision to give the job more (qalter, then qrls) */
		hold_letters((bits > 0 ? bits : 0) | HOLD_u, letters, sizeof(letters));
		job_set(j, ATTR_h, letters);
	}
	if (held && budget)
		job_setf(j, ATTR_comment, "walltime_total %s used up after %ld run%s (%s); "
			 "checkpointed and held: qalter -W walltime_total=<more> %s, then qrls, "
			 "to continue", budget, runs, runs == 1 ? "" : "s", used, j->id);
	else if (held)
		job_setf(j, ATTR_comment, "reached its walltime %s; checkpointed and held, not "
			 "killed: qalter -l walltime=<more> %s, then qrls, to continue",
			 wt ? wt : "?", j->id);
	else
		job_setf(j, ATTR_comment, "run %ld reached its walltime %s: checkpointed and "
			 "requeued to run on; walltime_total %s, used %s, left %s", runs,
			 wt ? wt : "?", budget ? budget : "?", used, lefts);
	log_job(PBSEVENT_JOB, j->id, "%s", job_attr(j, ATTR_comment));
	/* one record per run (Torque's R: the job goes back to the queue);
	 * its E record at the end has the total */
	buf_init(&b);
	buf_printf(&b, "run=%ld reason=walltime", runs);
	if (job_attr(j, ATTR_exechost))
		buf_printf(&b, " exec_host=%s", job_attr(j, ATTR_exechost));
	if (st)
		buf_printf(&b, " start=%s", st);
	buf_printf(&b, " end=%ld run_walltime=%s resources_used.walltime=%s", (long)s->now(), run,
		   used);
	if (budget)
		buf_printf(&b, " walltime_total=%s walltime_total_remaining=%s", budget, lefts);
	buf_printf(&b, " next=%s", held ? "held" : "queued");
	account_record(s, 'R', j, b.data);
	buf_free(&b);
}
