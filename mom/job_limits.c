/* Resource limits and killing jobs (Torque: mom_main.c job_over_limit and
 * kill_job). Only walltime is enforced: it is what a batch user relies on,
 * and what the MOM can measure without accounting every process. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LOG_PREFIX "job_limits: "
#include "lib/attr_names.h"
#include "lib/log.h"
#include "lib/util.h"
#include "mom/mom.h"
#include "mom/mom_util.h"

long job_walltime_used(const struct mom_job *j, time_t now)
{
	if (j->start_time == 0)
		return j->walltime_prior;
	if (j->end_time)
		now = j->end_time;
	return j->walltime_prior + (long)(now - j->start_time);
}

int job_signal(struct mom_job *j, int sig)
{
	if (j->sid <= 1)
		return -1;
	/* The job's task leads its own session and process group; cr_run
	 * forwards what it gets to the job inside its namespace. */
	if (kill(-j->sid, sig) < 0 && kill(j->sid, sig) < 0)
		return -1;
	return 0;
}

void job_kill(struct mom *m, struct mom_job *j, enum mom_kill_reason why)
{
	if (j->exited || j->kill_reason != KILL_NONE)
		return;
	j->kill_reason = why;
	j->kill_ms = now_ms();
	if (job_signal(j, SIGTERM) < 0 && errno != ESRCH)
		log_job(PBSEVENT_ERROR, j->jobid, "cannot signal session %d: %s", (int)j->sid,
			strerror(errno));
	mom_job_save(m, j);
}

/* Torque writes the reason into the job's stderr, where the user looks. */
static void tell_job(struct mom *m, struct mom_job *j, const char *msg)
{
	const char *join = attrl_get(&j->attrs, ATTR_j, NULL);
	char *path = exec_spool_path(m, j->jobid, !(join && strcmp(join, "oe") == 0));
	int fd = open(path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);

	if (fd >= 0) {
		dprintf(fd, "%s\n", msg);
		close(fd);
	}
	free(path);
}

void check_job_limits(struct mom *m)
{
	struct mom_job *j;
	time_t now = time(NULL);
	long long nms = now_ms();

	for (j = m->jobs; j; j = j->next) {
		long limit, used;

		if (j->substate != JOB_SUBSTATE_RUNNING || j->exited)
			continue;
		if (j->kill_reason != KILL_NONE) {
			/* Escalate: SIGKILL once $kill_delay has passed. */
			if (!j->kill_hard && nms - j->kill_ms >= m->cfg.kill_delay * 1000LL) {
				j->kill_hard = 1;
				job_signal(j, SIGKILL);
			}
			continue;
		}
		/* the checkpoint before walltime, when the job asked for one
		 * (walltime_ckpt.c); -1: no limit applies now */
		limit = walltime_ckpt_check(m, j, now, &used);
		if (limit < 0 || used <= limit)
			continue;
		{
			char msg[1400];

			snprintf(msg, sizeof(msg), "PBS: job killed: walltime %ld exceeded limit %ld%s%s",
				 used, limit, j->wt_reason ? "; the checkpoint before walltime failed: " : "",
				 j->wt_reason ? j->wt_reason : "");
			log_job(PBSEVENT_JOB, j->jobid, "%s", msg + 5);
			tell_job(m, j, msg);
			free(j->end_comment);
			j->end_comment = xstrdup(msg + 5);
		}
		job_kill(m, j, KILL_WALLTIME);
	}
}
