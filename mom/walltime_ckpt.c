/* A checkpoint shortly before walltime (issue 16).
 *
 * A job with walltime_total (qsub -W walltime_total=96:00:00) runs at most
 * its Resource_List.walltime each time, and at most what is left of its
 * budget (walltime_total less the walltime of the runs before, which the
 * server hands over as resources_used.walltime with the restart). Shortly
 * before that limit this MOM checkpoints it as a hold would (signal 15,
 * the job ends) and tells the server which end it has come to: "run"
 * (requeue it, it runs on) or "end" (this run used up the budget: hold
 * it). With $checkpoint_at_walltime, a checkpointable job without a
 * budget is checkpointed the same way before its walltime ("end"), not
 * killed.
 *
 * How shortly: $walltime_checkpoint_margin seconds, or twice the time the
 * dump is expected to take when that is more (margin_for): the size of
 * the job's last image at the speed of the last dump on this MOM, or its
 * resident memory at 100 MB/s when it has no image yet; at most half the
 * run's walltime, so that every run gets on.
 *
 * If the checkpoint fails, the job is killed at its walltime as before,
 * and its end says why; if the checkpoint is still running at walltime it
 * may finish ($checkpoint_timeout bounds it): killing a job in the middle
 * of its dump would lose the very work the checkpoint is for. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOG_PREFIX "walltime: "
#include "checkpoint/libckpt.h"
#include "lib/attr_names.h"
#include "lib/log.h"
#include "lib/safe_dir.h"
#include "lib/util.h"
#include "mom/checkpoint.h"
#include "mom/mom.h"
#include "mom/mom_server.h"
#include "mom/mom_util.h"

#define DEFAULT_DUMP_BYTES_PER_S (100LL << 20)

/* Root walks a directory the job's owner owns (<dir>/<name> is given to
 * the owner before a restart, as pbs_mom does) or may rename and replace
 * (its JOBID.CK): never through a link swapped in for it or for a
 * directory on its way (open_dir_noswap), and counting only
 * what root wrote (images and manifest are root's, and cr_restart refuses
 * any other).  A look-alike of the owner's, with a huge sparse file or a
 * tiny one, would otherwise set this MOM's dump rate, and with it how
 * early other users' jobs are checkpointed before their walltime. */
long long ckpt_dir_bytes(const char *path)
{
	int fd = open_dir_noswap(path, NULL, 0);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	struct stat st;
	long long n = 0;

	while (d && (de = readdir(d)))
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode) && st.st_uid == 0)
			n += st.st_size;
	if (d)
		closedir(d);
	else if (fd >= 0)
		close(fd);
	return n;
}

/* The size of what the next dump will write: the job's last checkpoint
 * when it was restarted from one (measured once a run), else -1. */
static long long last_image_bytes(struct mom *m, struct mom_job *j)
{
	const char *name = attrl_get(&j->attrs, ATTR_checkpoint_name, NULL);

	if (!j->wt_img_bytes) {
		char *dir = mom_job_checkpoint_dir(m, j), *path;

		path = name && *name && !strchr(name, '/') ? xasprintf("%s/%s", dir, name) : NULL;
		j->wt_img_bytes = path && j->restart ? ckpt_dir_bytes(path) : 0;
		if (j->wt_img_bytes <= 0)
			j->wt_img_bytes = -1;
		free(path);
		free(dir);
	}
	return j->wt_img_bytes;
}

/* Twice the dump's expected time, in seconds: a restarted job's last
 * image at the speed of the last dump on this MOM (its time scaled by
 * how much larger the image is); a job never dumped yet, its resident
 * memory at 100 MB/s, and never less than the last dump here took. */
static long margin_for(struct mom *m, struct mom_job *j)
{
	long long img = last_image_bytes(m, j);
	double est;
	long margin = m->cfg.walltime_checkpoint_margin;

	if (img > 0 && m->dump_ms > 0 && m->dump_bytes > 0) {
		est = m->dump_ms / 1000.0 * (img > m->dump_bytes ? (double)img / m->dump_bytes : 1.0);
	} else {
		/* the job's task and everything below it, cr_run's namespace included */
		est = (double)ckpt_tree_rss(j->sid) / DEFAULT_DUMP_BYTES_PER_S;
		if (m->dump_ms / 1000.0 > est)
			est = m->dump_ms / 1000.0;
	}
	if ((long)(2.0 * est + 0.999) > margin)
		margin = (long)(2.0 * est + 0.999);
	return margin;
}

void walltime_ckpt_measured(struct mom *m, long long ms, long long bytes)
{
	if (ms > 0 && bytes > 0) {
		m->dump_ms = ms;
		m->dump_bytes = bytes;
	}
}

const char *walltime_ckpt_word(const struct mom_job *j)
{
	if (j->wt_ckpt != WT_STARTED)
		return NULL;
	return j->wt_end ? "end" : "run";
}

/* The job's walltime checkpoint failed (its script, or it could not
 * start): the job runs on until its walltime kills it, and says why. */
static void wt_failed(struct mom *m, struct mom_job *j, const char *why)
{
	char comment[1200];

	j->wt_ckpt = WT_FAILED;
	free(j->wt_reason);
	j->wt_reason = xstrdup(why);
	snprintf(comment, sizeof(comment), "checkpoint before walltime failed: %s; the job will "
		 "be killed at its walltime", why);
	log_job(PBSEVENT_ERROR, j->jobid, "%s", comment);
	send_comment(m, j, comment);
	mom_job_save(m, j);
}

void walltime_ckpt_failed(struct mom *m, struct mom_job *j, const char *why)
{
	if (j->wt_ckpt == WT_STARTED)
		wt_failed(m, j, why);
}

long walltime_ckpt_check(struct mom *m, struct mom_job *j, time_t now, long *used)
{
	const char *wt = attrl_get(&j->attrs, ATTR_l, "walltime");
	const char *total = attrl_get(&j->attrs, ATTR_walltime_total, NULL);
	long limit = wt ? mom_parse_hms(wt) : -1, budget = total ? mom_parse_hms(total) : -1;
	long margin;
	int end = 1;
	char err[1024];

	*used = job_walltime_used(j, now);
	if (limit <= 0)
		return -1;
	if (budget > 0) {
		/* per run: this run's time, within what is left of the budget */
		long left = budget - j->walltime_prior;

		*used = j->start_time ? (long)(now - j->start_time) : 0;
		end = left <= limit;
		if (left < limit)
			limit = left > 0 ? left : 0;
	}
	if ((budget <= 0 && !m->cfg.checkpoint_at_walltime) || !m->cfg.checkpoint_script ||
	    !mom_job_run_under_cr(m, j) || j->wt_ckpt == WT_FAILED)
		return limit;
	if (j->wt_ckpt == WT_STARTED)
		return -1;       /* running or taken: the job ends held */
	if (j->ck)               /* another checkpoint first; ours after it */
		return *used >= limit ? -1 : limit;
	/* a run always gets half its walltime at least: a margin as long as
	 * the run would requeue the job again and again, doing nothing */
	margin = margin_for(m, j);
	if (margin > limit / 2)
		margin = limit / 2;
	if (*used < limit - margin)
		return limit;
	j->wt_end = end;
	j->wt_ckpt = WT_STARTED;
	log_job(PBSEVENT_JOB, j->jobid, "checkpoint before walltime: %ld s used of %ld (margin "
		"%ld s); then %s", *used, limit, margin, end ? "held" : "requeued");
	if (start_checkpoint(m, j, CKPT_WALLTIME, -1, NULL, err, sizeof(err)) != 0) {
		wt_failed(m, j, err);
		return limit;
	}
	mom_job_save(m, j);
	return -1;
}
