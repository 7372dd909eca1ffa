/* The MOM's side of checkpointing (Torque: resmom/checkpoint.c): running
 * $checkpoint_script for qhold, qchkpt, the periodic interval and MOM
 * shutdown, and what happens when it ends. */
#ifndef CKMIG_MOM_CHECKPOINT_H
#define CKMIG_MOM_CHECKPOINT_H

#include <stdbool.h>
#include <sys/types.h>

#include "mom/mom.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The job's Checkpoint attribute allows checkpoints and this MOM has a
 * $checkpoint_script and $checkpoint_run_exe: start it under the latter. */
int mom_job_run_under_cr(const struct mom *m, const struct mom_job *j);
/* <checkpoint_dir>/<jobid>.CK for this job on this MOM. malloc'd. */
char *mom_job_checkpoint_dir(const struct mom *m, const struct mom_job *j);
/* Is the job's checkpoint dir shared ($remote_checkpoint_dirs)? */
int mom_job_ckpt_remote(const struct mom *m, const struct mom_job *j);

/* How a checkpoint serves a move (NULL: it does not). */
struct ckpt_move {
	bool live;          /* qmigrate --live: the script gets CKMIG_LIVE=yes,
			       whatever pbs_environment says */
	bool postcopy;      /* qmigrate --postcopy: cr_checkpoint --postcopy
			       serves the pages after the report */
	const char *host;   /* node-local directory: copy the images to this
			       node's MOM (port), the job stopped meanwhile */
	int port;
};

/* Start the checkpoint script for j. reply_conn: connection id waiting
 * for the answer (HoldJob, CheckpointJob), or -1.  mv: see struct
 * ckpt_move.  Returns 0 (started), or a PBSE code with a
 * reason in err (nothing started). */
int start_checkpoint(struct mom *m, struct mom_job *j, enum ckpt_kind kind, int reply_conn,
		     const struct ckpt_move *mv, char *err, size_t errlen);
/* A checkpoint's name, time, dir and comment on the job and in alter. */
void mom_ckpt_record(struct mom_job *j, const struct ckpt_run *ck, const char *comment,
		     struct attr_list *alter);
/* The job's checkpoint run is over: j->ck freed and NULL. */
void mom_ckpt_run_end(struct mom_job *j);
/* The script's stderr as one line for a comment. */
void mom_ckpt_err_line(const struct ckpt_run *ck, char *out, size_t n);
/* qmigrate --postcopy (checkpoint_postcopy.c): the script said
 * "postcopy port P": report the checkpoint with its pages' endpoint. */
void mom_postcopy_poll(struct mom *m, struct mom_job *j);
/* The post-copy script ended: the source's run ends (done or lost). */
void mom_postcopy_finish(struct mom *m, struct mom_job *j);
/* Poll running checkpoint scripts: collect stderr, enforce
 * $checkpoint_timeout, finish those that ended. */
void poll_checkpoints(struct mom *m);
/* Periodic checkpoints due now. */
void check_periodic_checkpoints(struct mom *m);
/* MOM shutdown: start checkpoints of jobs that asked for one (s or
 * shutdown). Returns how many started. */
int checkpoint_at_shutdown(struct mom *m);
/* fds of running scripts' stderr, for the poll loop. */
int checkpoint_fds(struct mom *m, int *fds, int max);

/* The parent of a job's <jobid>.CK dir, opened under the directory the
 * operator allowed without following links; fd or -1 with err. */
int mom_open_ckpt_parent(const struct mom *m, const char *ckdir, char *err, size_t errlen);
/* <jobid>.CK itself (dir), made 0755 and given to user when missing, as
 * pbs_mom does; fd or -1 with err. */
int mom_make_job_ckdir(struct mom *m, const char *dir, const char *user, char *err,
		       size_t errlen);
/* An existing <jobid>.CK, opened as above; fd or -1. */
int mom_open_job_ckdir(struct mom *m, const char *dir);

/* A job that ended for good: remove its checkpoints when they are local
 * (Torque's MOM does; shared ones are spared). */
void mom_purge_checkpoints(struct mom *m, struct mom_job *j);
/* Before a restart, as pbs_mom's blcr_restart_job: <dir>/<checkpoint_name>
 * (the checkpoint itself) is given to the job's owner (through an fd).
 * 0 or -1 (logged; the restart goes on, as in pbs_mom). */
int mom_restart_chown(struct mom *m, struct mom_job *j, uid_t uid, gid_t gid);

/* checkpoint_recov.c: a checkpoint in progress survives a MOM restart.
 * The job file records it (mom_ckpt_save_args); the restarted MOM takes
 * it back (mom_ckpt_load_args), waits for the old script to end, and
 * judges it by the committed image (mom_ckpt_recovered_poll). */
struct pbs_msg;
void mom_ckpt_started(struct mom *m, struct mom_job *j);   /* saved; fault point 202 */
void mom_ckpt_save_args(const struct mom_job *j, struct pbs_msg *msg);
void mom_ckpt_load_args(struct mom_job *j, const struct pbs_msg *msg);
void mom_ckpt_recovered_poll(struct mom *m, struct mom_job *j);

#ifdef __cplusplus
}
#endif
#endif
