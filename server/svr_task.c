/* Chores the loop runs every second: nodes whose MOM fell silent go
 * down, completed jobs leave after keep_completed seconds. */
#include "server/server.h"
#include "lib/log.h"

void svr_periodic(struct server *s)
{
	time_t now = s->now();
	struct job *j, *next;

	node_check_silent(s);
	for (j = s->jobs; j; j = next) {
		next = j->next;
		/* Execution_Time reached: W becomes Q */
		if (j->state == JOB_STATE_WAITING) {
			int st, sub;

			svr_evaljobstate(s, j, &st, &sub);
			if (st != j->state) {
				svr_setjobstate(s, j, st, sub);
				s->sched_wanted = 1;
			}
		}
		if (j->state == JOB_STATE_COMPLETE && j->purge_at && now >= j->purge_at) {
			log_job(PBSEVENT_JOB, j->id, "job purged (keep_completed elapsed)");
			job_purge(s, j);
		}
	}
}
