/* A checkpoint in progress survives a MOM restart (ckpt-4.9). The script
 * runs in its own process group and outlives a MOM killed meanwhile: it
 * commits the image and signals the job, whose supervisor records the
 * end. Without a record of the checkpoint the restarted MOM would report
 * that end as an exit (271) and the job would complete, its checkpoint
 * orphaned. So the job file carries the running checkpoint; the restarted
 * MOM takes it back, holds the job's obit until the old script is gone,
 * and then judges it as finish_checkpoint does any other: by whether the
 * named image was committed (cr_checkpoint renames it into place only
 * when complete). The server hears of it as of any checkpoint: ModifyJob
 * checkpoint_hold, then the obit; the hold's own answer went to the dead
 * MOM's connection. */
#include "mom/checkpoint.h"
#include "mom/mom_util.h"
#include "lib/fault.h"
#include "lib/log.h"
#include "lib/util.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

void mom_ckpt_started(struct mom *m, struct mom_job *j)
{
	j->ck->pid_start = mom_proc_starttime(j->ck->pid);
	mom_job_save(m, j);
	fault_point(FAULT_MOM_CKPT_RUNNING);
}

void mom_ckpt_save_args(const struct mom_job *j, struct pbs_msg *msg)
{
	const struct ckpt_run *ck = j->ck;
	char b[64];

	/* a move's phase is kept even once its step has ended: whether the
	 * images reached the target decides what a restarted MOM does */
	if (!ck || (ck->done && !ck->xfer_phase))
		return;
	snprintf(b, sizeof(b), "%d %d %llu %lld", (int)ck->kind, (int)ck->pid, ck->pid_start,
		 (long long)ck->when);
	msg_add_arg(msg, "mom_ckpt", b);
	msg_add_arg(msg, "mom_ckpt_dir", ck->dir);
	msg_add_arg(msg, "mom_ckpt_name", ck->name);
	if (ck->xfer_host) {
		snprintf(b, sizeof(b), "%d %d", ck->xfer_phase, ck->xfer_port);
		msg_add_arg(msg, "mom_ckpt_xfer", b);
		msg_add_arg(msg, "mom_ckpt_xfer_host", ck->xfer_host);
	}
}

void mom_ckpt_load_args(struct mom_job *j, const struct pbs_msg *msg)
{
	const char *v = msg_arg(msg, "mom_ckpt"), *dir = msg_arg(msg, "mom_ckpt_dir");
	const char *name = msg_arg(msg, "mom_ckpt_name");
	int kind, pid;
	unsigned long long start;
	long long when;
	struct ckpt_run *ck;

	if (!v || !dir || !name || sscanf(v, "%d %d %llu %lld", &kind, &pid, &start, &when) != 4 ||
	    kind < CKPT_HOLD || kind > CKPT_WALLTIME || pid <= 0 || strchr(name, '/'))
		return;
	ck = xcalloc(1, sizeof(*ck));
	ck->kind = (enum ckpt_kind)kind;
	ck->pid = pid;
	ck->pid_start = start;
	ck->when = (time_t)when;
	ck->dir = xstrdup(dir);
	ck->name = xstrdup(name);
	ck->err_fd = -1;
	ck->reply_conn = -1;   /* whoever asked talked to the dead MOM */
	ck->recovered = 1;
	ck->started_ms = now_ms();   /* $checkpoint_timeout runs from here */
	v = msg_arg(msg, "mom_ckpt_xfer");
	if (v && msg_arg(msg, "mom_ckpt_xfer_host") &&
	    sscanf(v, "%d %d", &ck->xfer_phase, &ck->xfer_port) == 2) {
		ck->xfer_host = xstrdup(msg_arg(msg, "mom_ckpt_xfer_host"));
		/* a copy's process died with the old MOM (PDEATHSIG): its
		 * step has ended whatever /proc says of a reused pid */
		if (ck->xfer_phase)
			ck->done = 1;
	}
	j->ck = ck;
}

/* The old script is not our child: look at /proc until it is gone. */
void mom_ckpt_recovered_poll(struct mom *m, struct mom_job *j)
{
	struct ckpt_run *ck = j->ck;
	char *image;
	struct stat st;

	(void)m;
	if (ck->done || (ck->pid_start && mom_proc_starttime(ck->pid) == ck->pid_start))
		return;
	image = xasprintf("%s/%s", ck->dir, ck->name);
	ck->done = 1;
	if (stat(image, &st) == 0 && S_ISDIR(st.st_mode)) {
		ck->status = 0;   /* committed: the checkpoint is whole */
		log_job(PBSEVENT_JOB, j->jobid, "checkpoint begun before this MOM started has "
			"ended: %s is committed", image);
	} else {
		ck->status = 1 << 8;   /* exit 1 */
		ck->err_len = (size_t)snprintf(ck->err, sizeof(ck->err),
					       "checkpoint interrupted by a MOM restart: no "
					       "checkpoint %s was committed", image);
	}
	free(image);
}
