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
		if (j->state == JOB_STATE_COMPLETE && j->purge_at && now >= j->purge_at) {
			log_job(PBSEVENT_JOB, j->id, "job purged (keep_completed elapsed)");
			job_purge(s, j);
		}
	}
}
