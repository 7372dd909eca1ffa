/* qmigrate --postcopy: the source MOM keeps cr_checkpoint --postcopy
 * serving the job's memory after the checkpoint is committed, so the
 * job's run on the source ends only after the target has every page
 * (NOTES section 17, "qmigrate --postcopy").
 *
 *   - the source's checkpoint_hold report carries pages_from=HOST:PORT:
 *     the job is requeued from its checkpoint at once, as an obit would
 *     do, and its restart QueueJob carries pages_from (req_runjob.c);
 *   - the source's obit comes later with postcopy_source=done|lost: it
 *     never ends the current run (that runs on the target);
 *   - "lost" (the stream broke after the target started the job, or no
 *     target came and the job, whose memory was only there, was killed):
 *     the move failed with the source's reason, and the job is held, now
 *     or when the target's run ends: never run twice, never gone. */
#include "server/server.h"
#include "lib/log.h"

#include <stdlib.h>
#include <string.h>

void ckmig_pages_ready(struct server *s, struct job *j, const char *pages_from)
{
	if (!pages_from || !*pages_from)
		return;
	if (!j->ck.postcopy || j->ck.state != CKMIG_STOPPING || j->state != JOB_STATE_RUNNING) {
		/* no post-copy asked of this server process (it restarted
		 * meanwhile): no target is started; the source's cr_checkpoint
		 * waits for none, and its obit says the job is lost */
		log_job(PBSEVENT_ERROR, j->id, "post-copy pages at %s, but no post-copy move of the "
			"job is under way here: no target started", pages_from);
		return;
	}
	free(j->ck.pages_from);
	j->ck.pages_from = xstrdup(pages_from);
	log_job(PBSEVENT_JOB, j->id, "post-copy: pages served from %s; restarting the job now",
		pages_from);
	ckmig_requeue_checkpointed(s, j);
}

static void hold_lost(struct server *s, struct job *j)
{
	node_release(s, j);
	job_set(j, ATTR_h, "s");
	svr_setjobstate(s, j, JOB_STATE_HELD, JOB_SUBSTATE_HELD);
}

void ckmig_postcopy_source_end(struct server *s, struct job *j, const char *outcome,
			       const char *why)
{
	if (!strcmp(outcome, "done")) {
		log_job(PBSEVENT_JOB, j->id, "post-copy source ended: every page reached the target");
		return;
	}
	log_job(PBSEVENT_ERROR, j->id, "post-copy source says the job is lost: %s",
		why ? why : "(no reason)");
	job_setf(j, ATTR_comment, "post-copy move failed: %s; job held", why ? why : "?");
	if (j->state == JOB_STATE_RUNNING || j->state == JOB_STATE_EXITING) {
		if (j->substate == JOB_SUBSTATE_RERUN || j->ck.state == CKMIG_STOPPING) {
			/* still the source's run (no target was started): it ended */
			hold_lost(s, j);
		} else {
			/* on the target, whose copy dies with its stream: its end
			 * holds the job (ckmig_postcopy_lost_end) */
			j->ck.pc_lost = 1;
		}
	} else if (j->state == JOB_STATE_QUEUED || j->state == JOB_STATE_WAITING) {
		/* a pageless checkpoint cannot start anywhere */
		job_set(j, ATTR_h, "s");
		svr_setjobstate(s, j, JOB_STATE_HELD, JOB_SUBSTATE_HELD);
	}
	if (j->state != JOB_STATE_COMPLETE)
		ckmig_failed(s, j, "post-copy: %s", why ? why : "the job is lost");
}

int ckmig_postcopy_lost_end(struct server *s, struct job *j)
{
	if (!j->ck.pc_lost)
		return 0;
	j->ck.pc_lost = 0;
	log_job(PBSEVENT_JOB, j->id, "Placing job on hold: its post-copy move lost it");
	hold_lost(s, j);
	if (j->ck.state != CKMIG_FAILED)
		ckmig_failed(s, j, "post-copy: the job was lost on its way");
	/* the source's reason, over whatever the target's end said */
	job_setf(j, ATTR_comment, "post-copy move failed: %s; job held",
		 j->ck.reason ? j->ck.reason : "?");
	job_save(s, j);
	return 1;
}
