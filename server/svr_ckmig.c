/* The checkpoint/migration state machine. A job's checkpoint and
 * migration state is one typed value, j->ck.state, saved in its job file;
 * it changes only in ckmig_set, which checks the move against the table
 * below, logs it and saves the job before any answer leaves the server.
 *
 * The news that a job was checkpointed reaches the server three ways,
 * and each is an input here, never a second decision in its handler:
 *   - the MOM's answer to the hold/checkpoint request  -> ckmig_answered
 *   - the MOM's ModifyJob checkpoint_hold/cont report  -> ckmig_reported
 *   - the job's obit                                   -> ckmig_ended
 * Whether the checkpoint is migratable (CHECKPOINT_MIGRATEABLE) or local
 * (CHECKPOINT_FILE) is decided in one place, set_kind(). NOTES section 7
 * has the table as a picture. */
#include "server/server.h"
#include "lib/fault.h"
#include "lib/log.h"
#include "lib/pbs_error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const state_names[CKMIG_NSTATES] = {
	[CKMIG_NONE] = "none",
	[CKMIG_PENDING] = "pending",
	[CKMIG_CHECKPOINTING] = "checkpointing",
	[CKMIG_STOPPING] = "stopping",
	[CKMIG_CHECKPOINTED] = "checkpointed",
	[CKMIG_RESTARTING] = "restarting",
	[CKMIG_FAILED] = "failed",
};

static const char *const cause_names[CKMIG_NCAUSES] = {
	[CKMIG_BY_NONE] = "none",
	[CKMIG_BY_HOLD] = "hold",
	[CKMIG_BY_QCHKPT] = "qchkpt",
	[CKMIG_BY_MIGRATE] = "migrate",
	[CKMIG_BY_PREEMPT] = "preempt",
	[CKMIG_BY_DRAIN] = "drain",
	[CKMIG_BY_MOM] = "mom",
	[CKMIG_BY_WALLTIME] = "walltime",
	[CKMIG_BY_WALLTIME_END] = "walltime_end",
};

const char *ckmig_state_name(enum ckmig_state st)
{
	return st < CKMIG_NSTATES ? state_names[st] : "?";
}

int ckmig_state_parse(const char *name)
{
	int i;

	for (i = 0; name && i < CKMIG_NSTATES; i++)
		if (!strcmp(state_names[i], name))
			return i;
	return -1;
}

const char *ckmig_cause_name(enum ckmig_cause c)
{
	return c < CKMIG_NCAUSES ? cause_names[c] : "?";
}

int ckmig_cause_parse(const char *name)
{
	int i;

	for (i = 0; name && i < CKMIG_NCAUSES; i++)
		if (!strcmp(cause_names[i], name))
			return i;
	return -1;
}

/* Legal moves. A row is the state a job is in, a column where it may go. */
int ckmig_transition_ok(enum ckmig_state from, enum ckmig_state to)
{
	static const char ok[CKMIG_NSTATES][CKMIG_NSTATES] = {
		/*                 none pend ckpt stop ckd  rst  fail */
		/* none */       { 1,   1,   1,   1,   1,   1,   1 },
		/* pending */    { 1,   1,   1,   0,   1,   0,   1 },
		/* checkpoint */ { 1,   0,   1,   1,   1,   0,   1 },
		/* stopping */   { 1,   0,   0,   1,   1,   0,   1 },
		/* checkpointed*/{ 1,   0,   0,   0,   1,   1,   1 },
		/* restarting */ { 1,   0,   0,   0,   1,   1,   1 },
		/* failed */     { 1,   1,   1,   1,   1,   1,   1 },
	};

	if (from >= CKMIG_NSTATES || to >= CKMIG_NSTATES)
		return 0;
	return ok[from][to];
}

int ckmig_set(struct server *s, struct job *j, enum ckmig_state to, const char *why)
{
	enum ckmig_state from = j->ck.state;

	if (!ckmig_transition_ok(from, to)) {
		log_job(PBSEVENT_ERROR, j->id, "illegal migration_state change %s -> %s (%s) refused",
			ckmig_state_name(from), ckmig_state_name(to), why ? why : "");
		return -1;
	}
	if (to != CKMIG_FAILED) {
		free(j->ck.reason);
		j->ck.reason = NULL;
	}
	if (to == CKMIG_NONE || to == CKMIG_FAILED) {
		/* the request is over: nothing decides the job's end any more
		 * (FAILED keeps who asked: see ckmig_refused_move) */
		free(j->ck.dest);
		free(j->ck.by);
		j->ck.dest = j->ck.by = NULL;
		j->ck.live = 0;
		j->ck.lazy = 0;
		j->ck.postcopy = 0;
		free(j->ck.pages_from);
		j->ck.pages_from = NULL;
		if (to == CKMIG_NONE)
			j->ck.cause = CKMIG_BY_NONE;
	}
	s->ckmig_pending += (to == CKMIG_PENDING) - (from == CKMIG_PENDING);
	j->ck.state = to;
	if (from != to)
		log_job(PBSEVENT_JOB, j->id, "migration_state %s -> %s (%s%s%s)",
			ckmig_state_name(from), ckmig_state_name(to), ckmig_cause_name(j->ck.cause),
			why ? ": " : "", why ? why : "");
	job_save(s, j);
	if (from != to) {
		/* a crash right after each step is saved: tests/cluster/faults.test */
		static const int point[CKMIG_NSTATES] = {
			[CKMIG_PENDING] = FAULT_SVR_PENDING,
			[CKMIG_CHECKPOINTING] = FAULT_SVR_CHECKPOINTING,
			[CKMIG_STOPPING] = FAULT_SVR_STOPPING,
			[CKMIG_CHECKPOINTED] = FAULT_SVR_CHECKPOINTED,
			[CKMIG_RESTARTING] = FAULT_SVR_RESTARTING,
		};

		if (point[to])
			fault_point(point[to]);
	}
	return 0;
}

int ckmig_busy(const struct job *j)
{
	return j->ck.state == CKMIG_PENDING || j->ck.state == CKMIG_CHECKPOINTING ||
	       j->ck.state == CKMIG_STOPPING || j->ck.state == CKMIG_RESTARTING ||
	       j->call == MOM_CALL_CHECKPOINT;
}

/* A move the server itself tried (drain, preemption) failed: it does not
 * try again, and pbsnodes lists the reason; a user's request may retry. */
int ckmig_refused_move(const struct job *j)
{
	return j->ck.state == CKMIG_FAILED &&
	       (j->ck.cause == CKMIG_BY_DRAIN || j->ck.cause == CKMIG_BY_PREEMPT);
}

void ckmig_clear(struct job_ckmig *ck)
{
	free(ck->dest);
	free(ck->reason);
	free(ck->by);
	free(ck->lost_node);
	free(ck->lost_session);
	free(ck->at);
	free(ck->pages_from);
	memset(ck, 0, sizeof(*ck));
	ck->migratable = -1;
}

static void set_str(char **field, const char *v)
{
	free(*field);
	*field = v ? xstrdup(v) : NULL;
}

void ckmig_failed(struct server *s, struct job *j, const char *fmt, ...)
{
	char why[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	set_str(&j->ck.reason, why);
	ckmig_set(s, j, CKMIG_FAILED, why);
}

/* The one place that decides CHECKPOINT_MIGRATEABLE or CHECKPOINT_FILE. */
static void set_kind(struct job *j, int migratable)
{
	if (migratable >= 0)
		j->ck.migratable = migratable;
	j->svrflags |= JOB_SVFLG_HASRUN;
	if (j->ck.migratable == 1) {
		j->svrflags &= ~JOB_SVFLG_CHECKPOINT_FILE;
		j->svrflags |= JOB_SVFLG_CHECKPOINT_MIGRATEABLE;
	} else {
		j->svrflags &= ~JOB_SVFLG_CHECKPOINT_MIGRATEABLE;
		j->svrflags |= JOB_SVFLG_CHECKPOINT_FILE;
	}
}

void ckmig_requested(struct server *s, struct job *j, enum ckmig_cause cause, const char *dest,
		     const char *by)
{
	j->ck.cause = cause;
	if (cause == CKMIG_BY_MIGRATE || cause == CKMIG_BY_DRAIN)
		set_str(&j->ck.dest, dest ? dest : "");
	if (by)
		set_str(&j->ck.by, by);
	ckmig_set(s, j, CKMIG_CHECKPOINTING, "checkpoint asked of the MOM");
}

void ckmig_answered(struct server *s, struct job *j, int code, int aux, int hold_set,
		    const char *text)
{
	if (code) {
		if (j->ck.state != CKMIG_CHECKPOINTING)
			return;   /* deleted or ended meanwhile: nothing to undo */
		/* a qchkpt that failed leaves the job as it was: it runs on */
		if (j->ck.cause == CKMIG_BY_QCHKPT)
			ckmig_set(s, j, CKMIG_NONE, "MOM refused the checkpoint");
		else
			ckmig_failed(s, j, "%s", text ? text : pbse_to_txt(code));
		return;
	}
	set_kind(j, aux == PBS_CHECKPOINT_MIGRATE);
	if (hold_set && (j->ck.state == CKMIG_CHECKPOINTING || j->ck.state == CKMIG_STOPPING ||
			 j->ck.state == CKMIG_CHECKPOINTED)) {
		int bits = hold_bits(job_attr(j, ATTR_h));
		char letters[8];

		hold_letters((bits > 0 ? bits : 0) | hold_set, letters, sizeof(letters));
		job_set(j, ATTR_h, letters);
		/* the obit overtook this answer and requeued it: held after all */
		if (j->ck.state == CKMIG_CHECKPOINTED && j->state == JOB_STATE_QUEUED)
			svr_setjobstate(s, j, JOB_STATE_HELD, JOB_SUBSTATE_HELD);
	}
	if (j->ck.state != CKMIG_CHECKPOINTING) {
		job_save(s, j);   /* the MOM's report or the obit came first */
		return;
	}
	if (j->ck.cause == CKMIG_BY_QCHKPT) {
		ckmig_set(s, j, CKMIG_NONE, "checkpoint taken, job continues");
		return;
	}
	if (j->state == JOB_STATE_RUNNING && j->substate == JOB_SUBSTATE_RUNNING)
		svr_setjobstate(s, j, JOB_STATE_RUNNING, JOB_SUBSTATE_RERUN);
	ckmig_set(s, j, CKMIG_STOPPING, aux == PBS_CHECKPOINT_MIGRATE ? "migratable checkpoint" :
		  text ? text : "checkpoint restarts on this node only");
}

void ckmig_reported(struct server *s, struct job *j, int hold, int migratable,
		    enum ckmig_cause walltime, const char *at)
{
	set_kind(j, migratable);
	/* where a node-local checkpoint now is (its MOM copied it to the
	 * target); none: where it was taken */
	set_str(&j->ck.at, at && *at ? at : NULL);
	if (!hold || j->state != JOB_STATE_RUNNING) {
		job_save(s, j);
		return;
	}
	/* the obit that follows requeues it (a MOM's own checkpoint at its
	 * shutdown arrives here with no request behind it; one before the
	 * job's walltime says so, and that decides the end: Q or H) */
	if (walltime == CKMIG_BY_WALLTIME || walltime == CKMIG_BY_WALLTIME_END)
		j->ck.cause = walltime;
	else if (j->ck.cause == CKMIG_BY_NONE)
		j->ck.cause = CKMIG_BY_MOM;
	if (j->substate == JOB_SUBSTATE_RUNNING)
		svr_setjobstate(s, j, JOB_STATE_RUNNING, JOB_SUBSTATE_RERUN);
	ckmig_set(s, j, CKMIG_STOPPING, "MOM reported checkpoint_hold");
}

void ckmig_mom_gave_up(struct server *s, struct job *j, const char *why)
{
	j->svrflags &= ~(JOB_SVFLG_CHECKPOINT_FILE | JOB_SVFLG_CHECKPOINT_MIGRATEABLE);
	if (j->substate == JOB_SUBSTATE_RERUN)
		svr_setjobstate(s, j, JOB_STATE_RUNNING, JOB_SUBSTATE_RUNNING);
	ckmig_failed(s, j, "%s", why);
}

void ckmig_cancel(struct server *s, struct job *j, const char *why)
{
	if (j->substate == JOB_SUBSTATE_RERUN && j->state == JOB_STATE_RUNNING)
		svr_setjobstate(s, j, JOB_STATE_RUNNING, JOB_SUBSTATE_RUNNING);
	if (j->ck.state == CKMIG_PENDING || j->ck.state == CKMIG_CHECKPOINTING ||
	    j->ck.state == CKMIG_STOPPING)
		ckmig_set(s, j, CKMIG_NONE, why);
}

void ckmig_requeued(struct server *s, struct job *j, const char *why)
{
	if (is_restart(j))
		ckmig_set(s, j, CKMIG_CHECKPOINTED, why);
	else if (j->ck.state != CKMIG_FAILED)
		ckmig_set(s, j, CKMIG_NONE, why);
}

static void migrate_restart_done(struct server *s, void *ctx, int code, const char *msg)
{
	char *jobid = ctx;
	struct job *j = find_job(s, jobid);

	if (code && j)
		log_job(PBSEVENT_JOB, j->id, "migration target refused the restart (%s); the job "
			"waits for other nodes", msg ? msg : pbse_to_txt(code));
	free(jobid);
}

/* Checkpointed and stopped: nodes freed, exec_host kept, H or Q; a
 * migration or a drain starts it again at once. */
void ckmig_requeue_checkpointed(struct server *s, struct job *j)
{
	enum ckmig_cause cause = j->ck.cause;
	char *dest = j->ck.dest ? xstrdup(j->ck.dest) : NULL;
	char msg[1024], *id;
	int st, sub, rc;

	node_release(s, j);
	if (j->ck.at) {
		/* a node-local checkpoint its MOM copied to another node: it is
		 * that node's local checkpoint now, and Torque's rule (restart
		 * where the checkpoint is) sends the job there */
		job_move_exec_host(j, j->ck.at);
		free(dest);
		dest = xstrdup(j->ck.at);
		set_str(&j->ck.at, NULL);
	}
	if (cause == CKMIG_BY_WALLTIME || cause == CKMIG_BY_WALLTIME_END)
		walltime_run_ended(s, j);   /* H when the budget is used up */
	svr_evaljobstate(s, j, &st, &sub);
	svr_setjobstate(s, j, st, sub);
	ckmig_set(s, j, CKMIG_CHECKPOINTED, st == JOB_STATE_HELD ? "held" : "requeued");
	log_job(PBSEVENT_JOB, j->id, "checkpointed to %s; job %s, nodes released",
		job_attr(j, ATTR_checkpoint_name) ? job_attr(j, ATTR_checkpoint_name) : "?",
		st == JOB_STATE_HELD ? "held" : "requeued");
	s->sched_wanted = 1;
	if ((cause != CKMIG_BY_MIGRATE && cause != CKMIG_BY_DRAIN) || !dest ||
	    st != JOB_STATE_QUEUED) {
		free(dest);
		return;
	}
	/* the obit can overtake the hold's answer (they come on two
	 * connections): the MOM is done with the checkpoint either way, and
	 * the answer, when it comes, changes nothing (ckmig_answered) */
	if (j->call == MOM_CALL_CHECKPOINT)
		j->call = MOM_CALL_NONE;
	id = xstrdup(j->id);
	rc = svr_startjob(s, j, *dest ? dest : NULL, migrate_restart_done, id, msg, sizeof(msg));
	if (rc) {
		free(id);
		/* run later elsewhere: the scheduler (or qrun) takes it from here */
		log_job(PBSEVENT_JOB, j->id, "cannot restart on %s now: %s", *dest ? dest : "any node",
			msg[0] ? msg : pbse_to_txt(rc));
		job_setf(j, ATTR_comment, "migration: cannot restart on %s: %s; waiting",
			 *dest ? dest : "any node", msg[0] ? msg : pbse_to_txt(rc));
		job_save(s, j);
	}
	free(dest);
}

int ckmig_ended(struct server *s, struct job *j, int exit_status, const char *comment)
{
	if ((j->substate == JOB_SUBSTATE_RERUN || j->ck.state == CKMIG_STOPPING) &&
	    job_attr(j, ATTR_checkpoint_name) &&
	    (j->svrflags & (JOB_SVFLG_CHECKPOINT_FILE | JOB_SVFLG_CHECKPOINT_MIGRATEABLE))) {
		if (j->ck.state != CKMIG_STOPPING)
			ckmig_set(s, j, CKMIG_STOPPING, "obit after checkpoint_hold");
		ckmig_requeue_checkpointed(s, j);
		return 1;
	}
	if (exit_status == JOB_EXEC_BADRESRT) {
		/* the restart image was unusable: hold with the reason, never
		 * silently start from scratch */
		node_release(s, j);
		job_set(j, ATTR_h, "s");
		if (!comment)
			job_set(j, ATTR_comment, "restart from checkpoint failed; job held");
		svr_setjobstate(s, j, JOB_STATE_HELD, JOB_SUBSTATE_HELD);
		ckmig_failed(s, j, "restart from checkpoint failed%s%s", comment ? ": " : "",
			     comment ? comment : "");
		return 1;
	}
	/* it ended for good (or is requeued without a checkpoint of this run):
	 * whatever was under way is over */
	if (j->ck.state != CKMIG_NONE && j->ck.state != CKMIG_FAILED &&
	    j->ck.state != CKMIG_CHECKPOINTED)
		ckmig_set(s, j, CKMIG_NONE, "job ended");
	return 0;
}

/* After a server restart: what the old process was waiting for. */
void ckmig_recover(struct server *s, struct job *j)
{
	switch (j->ck.state) {
	case CKMIG_PENDING:
		/* the qmigrate client is gone with the old server: relay now */
		j->ck.pend_serial = 0;
		j->ck.pend_deadline = 0;
		s->ckmig_pending++;
		break;
	case CKMIG_CHECKPOINTING:
		/* its answer went to the old process; the MOM's report, obit or
		 * release still arrive and move the job on (cause and dest kept) */
		j->ck.state = CKMIG_NONE;
		log_job(PBSEVENT_JOB, j->id, "migration_state checkpointing -> none (%s: answer lost "
			"in a server restart; the MOM's reports decide)", ckmig_cause_name(j->ck.cause));
		job_save(s, j);
		break;
	default:
		break;
	}
}

/* Version 1 job files kept this state in ckmig_* attributes. */
static char *take_attr(struct job *j, const char *name)
{
	const char *v = job_attr(j, name);
	char *copy = v ? xstrdup(v) : NULL;

	if (v)
		job_unset(j, name);
	return copy;
}

void ckmig_upgrade_v1(struct job *j)
{
	char *migrate = take_attr(j, "ckmig_migrate"), *pre = take_attr(j, "ckmig_preempted");
	char *nomove = take_attr(j, "ckmig_nomove"), *nopre = take_attr(j, "ckmig_nopreempt");

	j->ck.lost_node = take_attr(j, "ckmig_lost");
	j->ck.lost_session = take_attr(j, "ckmig_lost_session");
	if (j->substate == JOB_SUBSTATE_RERUN) {
		j->ck.state = CKMIG_STOPPING;
		j->ck.cause = migrate ? CKMIG_BY_MIGRATE : pre ? CKMIG_BY_PREEMPT : CKMIG_BY_HOLD;
	} else if (migrate && j->state == JOB_STATE_RUNNING) {
		/* asked of the MOM, or still waiting for the client: either way
		 * the recovered server relays it or hears the MOM's news */
		j->ck.state = CKMIG_PENDING;
		j->ck.cause = CKMIG_BY_MIGRATE;
	} else if (nomove || nopre) {
		j->ck.state = CKMIG_FAILED;
		j->ck.cause = nomove ? CKMIG_BY_DRAIN : CKMIG_BY_PREEMPT;
		j->ck.reason = xstrdup(nomove ? nomove : nopre);
	} else if (j->state != JOB_STATE_RUNNING && j->state != JOB_STATE_COMPLETE &&
		   job_attr(j, ATTR_checkpoint_name) &&
		   (j->svrflags & (JOB_SVFLG_CHECKPOINT_FILE | JOB_SVFLG_CHECKPOINT_MIGRATEABLE))) {
		j->ck.state = CKMIG_CHECKPOINTED;
	}
	if (j->ck.state == CKMIG_PENDING || j->ck.state == CKMIG_STOPPING)
		j->ck.dest = migrate ? xstrdup(migrate) : NULL;
	if (j->svrflags & JOB_SVFLG_CHECKPOINT_MIGRATEABLE)
		j->ck.migratable = 1;
	else if (j->svrflags & JOB_SVFLG_CHECKPOINT_FILE)
		j->ck.migratable = 0;
	free(migrate);
	free(pre);
	free(nomove);
	free(nopre);
}
