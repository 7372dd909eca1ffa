/* qmigrate --postcopy at the source MOM (NOTES section 17).
 *
 * The checkpoint script runs cr_checkpoint --postcopy and, once the pageless
 * checkpoint is committed, writes "postcopy port P" on its stderr; it then
 * stays until cr_checkpoint ends. The MOM does not wait for that: on the
 * port line it answers the hold and reports checkpoint_hold with
 * pages_from=HOST:P, so the server restarts the job on the target, whose
 * cr_restart --pages-from fetches the pages from here. The script is still
 * the checkpoint's child and is reaped by the one loop (catch_child); its
 * status is the move's outcome:
 *   0: the target had every page, cr_checkpoint killed the job here: this
 *      run ends with an obit saying postcopy_source=done;
 *   else: the job is lost (the stream broke after the target started it,
 *      or no target came and its memory was only here): the job is killed
 *      here if cr_checkpoint resumed it, and the obit says
 *      postcopy_source=lost with the reason; the server holds the job. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define LOG_PREFIX "checkpoint: "
#include "lib/attr_names.h"
#include "lib/log.h"
#include "lib/pbs_error.h"
#include "lib/util.h"
#include "mom/checkpoint.h"
#include "mom/mom.h"
#include "mom/mom_server.h"
#include "mom/mom_util.h"

void mom_postcopy_poll(struct mom *m, struct mom_job *j)
{
	struct ckpt_run *ck = j->ck;
	struct attr_list alter;
	char comment[1024], *image;
	const char *p;
	int port, remote;

	if (!ck->postcopy || ck->pc_port)
		return;
	p = strstr(ck->err, "postcopy port ");
	if (!p || !strchr(p, '\n') || sscanf(p, "postcopy port %d", &port) != 1 || port <= 0 ||
	    port > 65535)
		return;
	ck->pc_port = port;
	ck->pages_from = xasprintf("%s:%d", m->hostname, port);
	/* what the script says from now on is the move's outcome */
	ck->err_len = 0;
	ck->err[0] = '\0';
	/* $checkpoint_timeout bounds the stream from here */
	ck->started_ms = now_ms();
	remote = mom_config_is_remote_dir(&m->cfg, ck->dir);
	image = xasprintf("%s/%s", ck->dir, ck->name);
	snprintf(comment, sizeof(comment), "Job %s was checkpointed to %s without its memory; "
		 "its pages are served from %s (post-copy)", j->jobid, image, ck->pages_from);
	attrl_init(&alter);
	mom_ckpt_record(j, ck, comment, &alter);
	log_job(PBSEVENT_JOB, j->jobid, "postcopy checkpoint committed: %s, pages served from %s",
		image, ck->pages_from);
	if (ck->reply_conn >= 0)
		reply_deferred(m, ck->reply_conn, 0, remote ? PBS_CHECKPOINT_MIGRATE : 0,
			       ck->pages_from);
	ck->reply_conn = -1;
	send_alterjob_args(m, j, &alter, "checkpoint_hold", remote);
	attrl_free(&alter);
	free(image);
	mom_job_save(m, j);
}

void mom_postcopy_finish(struct mom *m, struct mom_job *j)
{
	struct ckpt_run *ck = j->ck;
	char why[2048];

	if (!ck->timed_out && WIFEXITED(ck->status) && WEXITSTATUS(ck->status) == 0) {
		j->pc_end = PC_DONE;
		log_job(PBSEVENT_JOB, j->jobid, "post-copy done: every page went from %s; the job "
			"runs on its target", ck->pages_from);
		/* the target delivers the job's output at its end: the copy
		 * here must not overwrite it */
		for (int s = 0; s < 2; s++) {
			char *src = exec_spool_path(m, j->jobid, s);

			unlink(src);
			free(src);
		}
	} else {
		mom_ckpt_err_line(ck, why, sizeof(why));
		if (ck->timed_out)
			snprintf(why, sizeof(why), "post-copy timed out after %d seconds",
				 m->cfg.checkpoint_timeout);
		else if (!why[0] && WIFEXITED(ck->status))
			snprintf(why, sizeof(why), "cr_checkpoint --postcopy failed with status %d",
				 WEXITSTATUS(ck->status));
		else if (!why[0])
			snprintf(why, sizeof(why), "cr_checkpoint --postcopy killed by signal %d",
				 WTERMSIG(ck->status));
		j->pc_end = PC_LOST;
		free(j->end_comment);
		j->end_comment = xasprintf("post-copy from %s failed: %s", ck->pages_from, why);
		/* no target came: cr_checkpoint resumed it, but the server has
		 * given the job to the target already: one run only */
		if (!j->exited) {
			log_job(PBSEVENT_ERROR, j->jobid, "post-copy: the job was resumed here after "
				"the server restarted it elsewhere: killing it");
			job_signal(j, SIGKILL);
		}
		log_job(PBSEVENT_ERROR, j->jobid, "%s; the job is lost", j->end_comment);
	}
	j->keep_output = 1;
	mom_ckpt_run_end(j);
	mom_job_save(m, j);
}
