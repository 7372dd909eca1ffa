/* The reference MOM's shared types: a job as the MOM holds it, and the
 * daemon's context. One struct mom is passed everywhere (no globals), so
 * tests can build and tear one down. */
#ifndef CKMIG_MOM_MOM_H
#define CKMIG_MOM_MOM_H

#include <poll.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "lib/protocol.h"
#include "mom/parse_config.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Why the MOM is ending a job itself. */
enum mom_kill_reason {
	KILL_NONE = 0,
	KILL_DELETE,     /* DeleteJob from the server */
	KILL_WALLTIME,   /* Resource_List.walltime exceeded */
};

/* Which request a checkpoint serves (Torque: abort / not abort). */
enum ckpt_kind {
	CKPT_HOLD = 1,   /* HoldJob: signal 15, the job ends */
	CKPT_CHKPT,      /* CheckpointJob (qchkpt): signal 0, keeps running */
	CKPT_PERIODIC,   /* interval: signal 0 */
	CKPT_SHUTDOWN,   /* MOM shutdown with Checkpoint=s|shutdown: signal 15 */
	CKPT_WALLTIME,   /* shortly before walltime (walltime_ckpt.c): signal 15 */
};

/* The checkpoint before this run's walltime (walltime_ckpt.c). */
enum mom_wt_ckpt {
	WT_NONE = 0,     /* not tried in this run */
	WT_STARTED,      /* its script runs, or it was taken: the job ends held */
	WT_FAILED,       /* it failed: the job is killed at walltime, wt_reason says why */
};

/* A checkpoint script that is running. */
struct ckpt_run {
	enum ckpt_kind kind;
	pid_t pid;               /* the script (its own process group) */
	int err_fd;              /* its stderr, read into err */
	char err[4096];
	size_t err_len;
	long long started_ms;
	int timed_out;
	int term_sent;
	char *dir;               /* <checkpoint_dir>/<jobid>.CK */
	char *name;              /* ckpt.<jobid>.<epoch> */
	time_t when;
	int reply_conn;          /* connection id waiting for the reply, or -1 */
	int done;                /* reaped: status holds its wait status */
	int status;
	/* saved in the job file while it runs (checkpoint_recov.c): a MOM
	 * restarted meanwhile finds the script again and learns its outcome */
	unsigned long long pid_start; /* its /proc start time: pid reuse guard */
	int recovered;           /* started by an earlier MOM: not our child */
	/* a move without a shared directory (mom_ckpt_xfer.c): the images go
	 * to this MOM, the job stays stopped here until they are committed
	 * there; saved in the job file */
	char *xfer_host;         /* target node, or NULL */
	int xfer_port;
	int xfer_phase;          /* XFER_DUMPING, XFER_COPYING, XFER_COPIED */
	/* qmigrate --postcopy (checkpoint_postcopy.c): the script keeps
	 * cr_checkpoint --postcopy serving the pages after its commit */
	int postcopy;
	int pc_port;             /* its "postcopy port P", once reported */
	char *pages_from;        /* HOST:P, sent with the checkpoint_hold */
};

enum { PC_NONE, PC_DONE, PC_LOST };

struct mom_job {
	char *jobid;
	struct attr_list attrs;     /* as the server sent them, plus ours */
	char *script;               /* the job script (QueueJob) */
	int substate;               /* JOB_SUBSTATE_* as this MOM sees it */
	int restart;                /* started from checkpoint_name */
	int lazy_restart;           /* qmigrate --lazy: CKMIG_LAZY=yes for the script */
	char *pages_from;           /* qmigrate --postcopy target: CKMIG_PAGES_FROM */
	int pc_end;                 /* a post-copy source's run ended: PC_DONE, PC_LOST
				       (its obit says so; saved) */
	pid_t sup_pid;              /* supervisor process (see start_exec.c) */
	unsigned long long sup_start; /* its /proc start time: pid reuse guard */
	pid_t sid;                  /* session id of the job's task */
	time_t start_time;          /* when this run began (wall clock) */
	time_t end_time;            /* when its task ended, 0 while running */
	long walltime_prior;        /* seconds used in runs before a restart */
	long walltime_ckpt;         /* walltime used at the last checkpoint */
	long cput_prior;            /* cput of the runs before a restart */
	enum mom_wt_ckpt wt_ckpt;   /* the checkpoint before walltime, this run */
	int wt_end;                 /* ... and the server holds the job after it */
	char *wt_reason;            /* why it failed */
	long long wt_img_bytes;     /* its last image's size: 0 unknown, -1 none (not saved) */
	enum mom_kill_reason kill_reason;
	long long kill_ms;          /* when SIGTERM went out; 0 = not yet */
	int kill_hard;              /* SIGKILL sent */
	int held;                   /* a hold checkpoint succeeded: its end is no exit */
	int keep_output;            /* do not deliver the spool files (failed restart) */
	int exited;                 /* exit status known */
	int exit_status;            /* Torque's: code, or 256+signal, or JOB_EXEC_* */
	long cput;                  /* seconds, from the supervisor's rusage */
	long mem_kb;                /* max RSS, kB */
	char *end_comment;          /* why it ended, for the obit */
	int obit_sent;              /* server acknowledged the obit */
	int obit_inflight;          /* an obit is queued to the server */
	long long obit_retry_ms;    /* next time to try the obit */
	struct ckpt_run *ck;        /* running checkpoint, or NULL */
	char *ckpt_host;            /* its hold checkpoint was moved to this node (saved) */
	struct mom_job *next;
};

struct wloop;
struct wconn;
struct srv_req;
struct later_reply;
struct xfer_in;

struct mom {
	char *home;                 /* PBS_HOME: mom_priv/, mom_logs/, spool/ */
	char *config_path;
	char *priv_dir;             /* home/mom_priv */
	char *jobs_dir;             /* home/mom_priv/jobs */
	char *spool_dir;            /* home/spool */
	char *undelivered_dir;      /* home/undelivered */
	char *checkpoint_base;      /* -C, else home/checkpoint */
	char *key_path;
	struct proto_key key;       /* cluster key: MAC on every TCP frame */
	char hostname[256];         /* node name reported to the server */
	struct mom_config cfg;
	int mom_port;               /* listening port */
	int listen_fd;
	struct wloop *loop;         /* lib/wire: every connection, one poll */
	/* requests to the server: one queue, one connection, in order
	 * (mom_server.c); replies to the server wait behind what was queued
	 * before them (mom_conn.c) */
	struct srv_req *srvq, *srvq_tail;
	unsigned long srvq_enq, srvq_done;   /* requests queued / finished, ever */
	struct wconn *srv;          /* the connection to the server, or NULL */
	int srv_inflight;           /* the head of srvq was sent, no answer yet */
	struct later_reply *later;
	/* the server must have read a deferred answer (it closes that
	 * connection) before the next request goes: a hold's answer before
	 * its checkpoint_hold ModifyJob, on two connections */
	unsigned long srv_after_serial;
	long long srv_after_until;
	int status_inflight;        /* an IsStatus is queued */
	long long dump_ms, dump_bytes; /* the last checkpoint taken here: time, size */
	struct mom_job *jobs;
	struct xfer_in *xfers;      /* checkpoints being received (mom_ckpt_xfer.c) */
	int registered;             /* the server answered an IsStatus */
	int status_warned;          /* an IsStatus failure was logged */
	int shutting_down;
	int foreground;
};

/* mom_priv/jobs/<jobid>.RS: made by the restart script (its success hook)
 * once the job is restored; $CKMIG_RESTART_MARK names it to the script */
#define MOM_RESTORED_SUFFIX ".RS"

/* --- job list and files (job_recov.c) -------------------------------- */
struct mom_job *mom_job_alloc(const char *jobid);
void mom_job_free(struct mom_job *j);
struct mom_job *mom_job_find(struct mom *m, const char *jobid);
void mom_job_link(struct mom *m, struct mom_job *j);
void mom_job_unlink(struct mom *m, struct mom_job *j);
/* Save the job file mom_priv/jobs/<jobid>.JB (atomically). 0 or -1. */
int mom_job_save(struct mom *m, struct mom_job *j);
/* Remove the job's files (.JB, .SC, .ES, nodefile). */
void mom_job_purge_files(struct mom *m, struct mom_job *j);
/* Read every job file back at start-up (recovery). */
int mom_job_recov_all(struct mom *m);
/* Serialise / parse one job (the job file format). */
char *mom_job_to_xml(const struct mom_job *j, size_t *len);
struct mom_job *mom_job_from_xml(const char *xml, size_t len, char *err, size_t errlen);
/* Path helpers: mom_priv/jobs/<jobid><suffix>, malloc'd. */
char *mom_job_path(const struct mom *m, const char *jobid, const char *suffix);

/* --- start_exec.c ------------------------------------------------------ */
/* Start the job (script or restart). Returns 0, or a JOB_EXEC_* code (< 0)
 * with a reason in err. */
int start_exec(struct mom *m, struct mom_job *j, char *err, size_t errlen);
/* Torque's job environment, NULL-terminated "NAME=value" strings. */
char **exec_build_env(const struct mom_job *j, const char *user_home, const char *user_shell,
		      const char *nodefile, const char *mom_host);
void exec_free_env(char **env);
/* Spool file of the job: <spool>/<jobid>.OU or .ER. */
char *exec_spool_path(const struct mom *m, const char *jobid, int err_stream);

/* --- catch_child.c ----------------------------------------------------- */
/* Reap children; notice jobs whose supervisor has written the exit file. */
void catch_child(struct mom *m);
/* Called once a job's exit is known: deliver, obit, purge. */
void job_exited(struct mom *m, struct mom_job *j);
/* Send outstanding obits (retried until the server acknowledges). */
void send_obits(struct mom *m);

/* Torque 6: a job killed for exceeding its walltime. */
#define JOB_EXEC_OVERLIMIT_WT -11

/* --- job_limits.c ------------------------------------------------------ */
long job_walltime_used(const struct mom_job *j, time_t now);
/* Enforce walltime and escalate kills. */
void check_job_limits(struct mom *m);
/* Signal the whole job (its session). 0 or -1. */
int job_signal(struct mom_job *j, int sig);
/* Begin ending the job: SIGTERM now, SIGKILL after $kill_delay. */
void job_kill(struct mom *m, struct mom_job *j, enum mom_kill_reason why);

/* --- walltime_ckpt.c: a checkpoint shortly before walltime (issue 16) --- */
/* For a job check_job_limits is looking at: start the checkpoint when it
 * is due. Returns the walltime limit that applies to the job now, in
 * seconds of *used (this run's for a job with walltime_total, else the
 * whole job's, as before), or -1 when the job has none or must not be
 * killed now (its checkpoint before walltime is running or was taken). */
long walltime_ckpt_check(struct mom *m, struct mom_job *j, time_t now, long *used);
/* What the server is told with that checkpoint: "run" (requeue) or "end"
 * (hold), or NULL for any other checkpoint. */
const char *walltime_ckpt_word(const struct mom_job *j);
/* A checkpoint ended: how long it took and how large it is (the margin
 * before walltime grows with that rate and the job's memory). */
void walltime_ckpt_measured(struct mom *m, long long ms, long long bytes);
/* Bytes in a checkpoint (a directory of flat files). */
long long ckpt_dir_bytes(const char *path);
/* Its checkpoint failed: the job runs on to its walltime, the comment says why. */
void walltime_ckpt_failed(struct mom *m, struct mom_job *j, const char *why);

/* --- mom_tasks.c: the loop's tasks ---------------------------------------- */
/* Register the tasks (jobs every tick_ms; IsStatus at once, then every
 * $status_update_time s) on m->loop. */
void mom_tasks_init(struct mom *m, long long tick_ms);
/* News for the job tasks: they run at the end of this turn. Safe in a
 * signal handler whose signal is blocked outside the loop's ppoll. */
void mom_tasks_wake(void);

/* --- mom_conn.c: connections from the server --------------------------- */
/* The listening socket is readable (a wloop listener; arg = the mom). */
void conn_accept(struct wloop *l, int lfd, void *arg);
void conn_close_all(struct mom *m);
/* Replies held behind requests to the server that have now finished. */
void conn_release_replies(struct mom *m);
/* Answer a request whose reply was deferred (HoldJob, CheckpointJob).
 * A connection gone meanwhile is skipped. */
void reply_deferred(struct mom *m, int conn_id, int code, int aux, const char *text);

/* --- requests.c: the server's requests ---------------------------------- */
/* Fill reply for req; return 1 when the reply is deferred (then reply is
 * left empty and reply_deferred() answers later). */
int mom_dispatch_request(struct mom *m, int conn_id, struct pbs_msg *req, struct pbs_msg *reply);

/* --- deliver_output.c -------------------------------------------------- */
/* Copy the spool files to Output_Path / Error_Path as the owner. Returns 0,
 * or -1 with a reason (files then kept under undelivered/). */
int deliver_output(struct mom *m, struct mom_job *j, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
