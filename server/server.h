/* The reference server: shared types and the functions each file offers.
 * Everything lives in one struct server, created by server_create() and
 * destroyed by server_destroy(), so tests can build and drop servers. */
#ifndef CKMIG_SERVER_SERVER_H
#define CKMIG_SERVER_SERVER_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "lib/attr_names.h"
#include "lib/protocol.h"
#include "lib/util.h"
#include "lib/wire.h"

#ifdef __cplusplus
extern "C" {
#endif

struct server;
struct conn;

/* --- the checkpoint/migration state machine (svr_ckmig.c) ---------------- */
enum ckmig_state {
	CKMIG_NONE,            /* nothing under way */
	CKMIG_PENDING,         /* qmigrate accepted; relayed once its client hung up */
	CKMIG_CHECKPOINTING,   /* a checkpoint request is at the MOM */
	CKMIG_STOPPING,        /* checkpoint taken, the job ends; its obit requeues it */
	CKMIG_CHECKPOINTED,    /* off its nodes, Q or H, waits to restart from its checkpoint */
	CKMIG_RESTARTING,      /* QueueJob restart=1 sent to a MOM */
	CKMIG_FAILED,          /* the last checkpoint, move or restart failed: see reason */
	CKMIG_NSTATES
};
/* Who asked: decides what the job's end becomes (held, requeued, restarted). */
enum ckmig_cause {
	CKMIG_BY_NONE,
	CKMIG_BY_HOLD,         /* qhold: H afterwards */
	CKMIG_BY_QCHKPT,       /* qchkpt: the job runs on */
	CKMIG_BY_MIGRATE,      /* qmigrate: restarted at once on dest */
	CKMIG_BY_PREEMPT,      /* scheduler: Q afterwards, runs where there is room */
	CKMIG_BY_DRAIN,        /* pbsnodes -M: restarted at once anywhere else */
	CKMIG_BY_MOM,          /* the MOM's own checkpoint (periodic, its shutdown) */
	CKMIG_BY_WALLTIME,     /* the MOM's, before walltime: Q afterwards, runs on (issue 16) */
	CKMIG_BY_WALLTIME_END, /* ... and the walltime_total is used up (or none): H afterwards */
	CKMIG_NCAUSES
};
struct job_ckmig {
	enum ckmig_state state;
	enum ckmig_cause cause;
	int migratable;                /* MOM's word on the last checkpoint: -1 unknown, 0, 1 */
	char *dest;                    /* migration target, "" = anywhere */
	char *reason;                  /* why the last attempt failed (FAILED) */
	char *by;                      /* preempted for this job */
	char *lost_node;               /* requeued as lost by this node's MOM */
	char *lost_session;            /* ... and the session of that lost run */
	char *at;                      /* a node-local checkpoint copied to this node:
					  the job restarts there (the MOM's report) */
	/* not saved */
	int live;                      /* qmigrate --live: the MOM pre-copies (a server
					  restarted meanwhile moves it stop-and-copy) */
	int lazy;                      /* qmigrate --lazy: the target restores lazily
					  (not kept across a server restart either) */
	int postcopy;                  /* qmigrate --postcopy: the source MOM serves the
					  pages (a server restarted meanwhile starts no
					  target: the move fails, the job is held) */
	char *pages_from;              /* postcopy: HOST:PORT the source MOM reported,
					  for the target's restart QueueJob */
	int pc_lost;                   /* postcopy: the source said the job is lost;
					  the target's end holds it */
	unsigned long pend_serial;     /* PENDING: the qmigrate client's connection */
	long long pend_deadline;       /* PENDING: relay by then even if it stays */
};

/* --- jobs ------------------------------------------------------------- */
/* What the server has asked of the job's MOM and not heard back (not
 * saved: the call dies with the process; the saved states say what a
 * recovered job waits for). */
enum mom_call { MOM_CALL_NONE, MOM_CALL_START, MOM_CALL_CHECKPOINT };
struct job {
	struct job *next, *prev;       /* server's list, submission order */
	struct job *hnext;             /* id hash chain */
	char *id;                      /* "42.head" */
	long seq;                      /* 42 */
	int state, substate;
	unsigned svrflags;             /* JOB_SVFLG_* */
	struct attr_list attrs;        /* every attribute but state/substate/flags */
	char *script;
	struct job_ckmig ck;           /* checkpoint/migration state (saved) */
	/* not saved: rebuilt at recovery */
	enum mom_call call;            /* a request to its MOM is under way */
	int lost_reports;              /* MOM status lists that lacked this job */
	time_t purge_at;               /* completed: when keep_completed ends */
};

/* --- nodes ------------------------------------------------------------- */
#define NODE_OFFLINE 0x1               /* set by the operator (pbsnodes -o) */
#define NODE_DOWN    0x2               /* MOM silent or never heard from */
struct node {
	char *name;
	int np;
	char *props;                   /* "bigmem,fast" or "" */
	unsigned flags;                /* NODE_* */
	struct job **slot;             /* np entries; NULL = free */
	char *status;                  /* MOM's last status string */
	char *note;
	int mom_port;
	long long last_report_ms;      /* monotonic ms of the last IsStatus, 0 = never */
	int reported;                  /* one IsStatus seen since server start */
	int drain;                     /* migrate jobs away, then stay offline */
};

/* One host in a placement: name and how many slots. */
struct host_req {
	char name[256];
	int count;
};

/* --- the server -------------------------------------------------------- */
struct server {
	char *home;                    /* SERVER_HOME */
	char *name;                    /* server name: job id suffix */
	char *priv;                    /* home/server_priv */
	char *jobs_dir;                /* priv/jobs */
	char *sock_path;
	int port;                      /* TCP for MOMs, 0 = none */
	int mom_port;                  /* default MOM port */
	struct proto_key key;
	struct attr_list attrs;        /* server attributes */
	struct attr_list qattrs;       /* queue "batch" attributes */
	char *qname;                   /* the execution queue */
	struct job *jobs, *jobs_tail;
	size_t njobs;
	struct job **jhash;
	size_t jhash_size;
	long next_seq;                 /* next job number */
	long seq_reserved;             /* saved high-water mark */
	struct node *nodes;
	int nnodes;
	/* network: lib/wire's loop; its tasks */
	struct wloop *loop;
	struct wtask *periodic_task, *sched_task, *pmig_task;
	int destroying;                /* server_destroy: no callbacks any more */
	int unix_fd, tcp_fd;
	int shutdown;                  /* stop the loop */
	int sched_wanted;              /* run the scheduler soon */
	long long last_sched_ms;
	long long started_ms;
	int no_fsync;                  /* tests of pure logic only */
	int jobs_dir_dirty;            /* job files renamed since the last directory fsync */
	int ckmig_pending;             /* jobs in CKMIG_PENDING (kept by ckmig_set) */
	time_t (*now)(void);           /* time source (tests can set it) */
};

/* pbsd_init.c */
struct server *server_create(const char *home, const char *name);
void server_destroy(struct server *s);
int pbsd_init(struct server *s, char *err, size_t errlen);   /* dirs, db, nodes, jobs */
int svr_save_db(struct server *s);                              /* server_priv/serverdb */
void svr_apply_log_events(struct server *s);
const char *svr_attr(struct server *s, const char *name);      /* NULL if unset */
int svr_attr_true(struct server *s, const char *name);
long svr_attr_long(struct server *s, const char *name, long dflt);

/* job_recov.c: the job store */
char *job_path(struct server *s, const struct job *j);
int job_save(struct server *s, struct job *j);                 /* durable; 0 or -1 */
void job_encode(const struct job *j, struct buf *out);
struct job *job_decode(const char *data, size_t len, char *err, size_t errlen);
int job_recov_all(struct server *s);                          /* count or -1 */
void job_purge(struct server *s, struct job *j);              /* file + memory */

/* job_func.c: the job list */
struct job *job_alloc(const char *id, long seq);
void job_free(struct job *j);
void job_link(struct server *s, struct job *j);
void job_unlink(struct server *s, struct job *j);
struct job *find_job(struct server *s, const char *id);       /* "42" or "42.name" */
const char *job_attr(const struct job *j, const char *name);
const char *job_resc(const struct job *j, const char *name, const char *res);
void job_set(struct job *j, const char *name, const char *value);
void job_setf(struct job *j, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void job_unset(struct job *j, const char *name);
const char *job_owner_user(const struct job *j, char *out, size_t size);

/* svr_jobfunc.c: the state machine */
int hold_bits(const char *letters);                /* "uos" -> bits, -1 if bad */
void hold_letters(int bits, char *out, size_t size);
void svr_evaljobstate(struct server *s, const struct job *j, int *state, int *substate);
void svr_setjobstate(struct server *s, struct job *j, int state, int substate);
int job_state_change_ok(int from, int to);
char job_state_letter(int state);
int job_checkpointable(const struct job *j);       /* lib/ckpt_option.c's rule */
int job_node_count(const struct job *j);           /* exec_host hosts, else nodes= */
int job_ckpt_refusal(const struct job *j, char *msg, size_t msglen);  /* 0 or PBSE */

/* node_manager.c */
int nodes_parse(const char *text, struct node **out, int *n, char *err, size_t errlen);
void nodes_free(struct node *nodes, int n);
int nodes_load(struct server *s, char *err, size_t errlen);
int nodes_save(struct server *s);
struct node *find_node(struct server *s, const char *name);
const char *node_state_str(const struct node *n, char *out, size_t size);
int node_free_slots(const struct node *n);
int node_usable(const struct node *n);
void node_check_silent(struct server *s);
int parse_destination(const char *dest, int dflt_count, struct host_req **out, int *n,
		      char *err, size_t errlen);
int job_resource_request(const struct job *j, int *nodect, int *ppn, char *props, size_t psize);
/* Choose hosts (dest NULL = first fit). Fills exec_host text; 0 or PBSE. */
int node_select(struct server *s, const struct job *j, const char *dest, struct buf *exec_host,
		char *err, size_t errlen);
int node_assign(struct server *s, struct job *j, const char *exec_host);  /* 0 or PBSE */
void node_release(struct server *s, struct job *j);
int exec_host_first(const char *exec_host, char *out, size_t size);
void node_jobs_string(const struct node *n, struct buf *out);

/* req_quejob.c: value checks shared with qalter */
int job_attr_check(const char *name, const char *value, char *msg, size_t msglen);

/* job_check.c: the door (qsub and qalter). Each returns 0 or a PBSE code
 * with the MSG= text in msg. req = the attributes of this request, job =
 * what the job's attributes would be with them. */
int job_check_queue(struct server *s, const char *dest, char *msg, size_t msglen);
int job_check_nodes(struct server *s, const char *spec, int dflt_ppn, char *msg, size_t msglen);
int ckpt_dir_allowed(struct server *s, const char *dir, char *msg, size_t msglen);
int job_check_attrs(struct server *s, const struct attr_list *req, const struct attr_list *job,
		    char *msg, size_t msglen);

/* svr_perm.c */
struct client_id {
	uid_t uid;
	gid_t gid;
	pid_t pid;
	char user[64];
	char host[256];
	int is_mom;                    /* authenticated MOM over TCP */
};
#define ROLE_ANY      0
#define ROLE_OPERATOR 1
#define ROLE_MANAGER  2
int user_is_manager(struct server *s, const struct client_id *c);
int user_is_operator(struct server *s, const struct client_id *c);
int user_may_act_on_job(struct server *s, const struct client_id *c, const struct job *j);
int acl_match(const char *list, const char *user, const char *host);

/* accounting.c */
void account_record(struct server *s, char type, const struct job *j, const char *text);
void account_jobstr(const struct job *j, int with_end, struct buf *out);
int account_format_line(char *out, size_t size, time_t when, char type, const char *jobid,
			const char *text);

/* process_request.c: requests and replies */
struct batch_request {
	struct server *s;
	struct pbs_msg rq;             /* the request */
	struct client_id who;
	unsigned long conn_serial;     /* where the reply goes */
	int replied;
	int deferred;                  /* handler returned REQ_DEFERRED */
};
#define REQ_DEFERRED 1             /* handler keeps br and replies later */
typedef int (*req_handler)(struct batch_request *br);
void dispatch_request(struct server *s, struct conn *c, struct pbs_msg *m);
void req_reject(struct batch_request *br, int code, int aux, const char *msg);
void req_ack(struct batch_request *br);
void req_reply_msg(struct batch_request *br, struct pbs_msg *reply);   /* takes reply */
void req_reply_body(struct batch_request *br, const struct buf *body);  /* an encoded reply */
void br_free(struct batch_request *br);
struct job *chk_job_request(struct batch_request *br);         /* find + permission */

/* svr_connect.c: sockets and the poll loop */
enum conn_kind { CONN_CLIENT, CONN_MOM_IN, CONN_MOM_OUT };
typedef void (*mom_reply_cb)(struct server *s, void *ctx, int code, struct pbs_msg *reply);
/* The server's part of a connection; the bytes are lib/wire's (w). */
struct conn {
	struct server *s;
	enum conn_kind kind;
	int fd;
	unsigned long serial;          /* = w->serial: look it up again by this */
	struct wconn *w;
	struct client_id who;
	int deferred;                  /* a request awaits its reply: decode nothing more */
	mom_reply_cb cb;               /* CONN_MOM_OUT */
	void *cb_ctx;
	char peer[128];
};
int svr_listen(struct server *s, char *err, size_t errlen);
/* Register the loop's tasks (periodic chores, scheduler, pending
 * migrations); svr_loop does it, tests that turn the loop themselves
 * call it. More tasks: wloop_task(s->loop, ...) (lib/wire.h). */
void svr_tasks_init(struct server *s);
void svr_loop(struct server *s);
struct conn *conn_by_serial(struct server *s, unsigned long serial);
void conn_send(struct server *s, struct conn *c, const struct pbs_msg *m);
void conn_send_body(struct server *s, struct conn *c, const char *body, size_t len);
void conn_process(struct server *s, struct conn *c);
/* Group commit: make every job file written so far durable (one directory
 * fsync), then let answers out. */
int svr_sync_jobs(struct server *s);   /* decode + dispatch buffered input */
/* Ask a MOM. Returns 0 and later calls cb exactly once (from the loop,
 * never from inside this call; reply NULL on failure: PBSE_NORELYMOM when
 * the request never reached the MOM, PBSE_TIMEOUT when it went out and no
 * answer came, so the MOM may have acted on it), or returns a PBSE code at
 * once and never calls cb. */
int issue_to_mom(struct server *s, const struct node *n, const struct pbs_msg *m,
		 int timeout_ms, mom_reply_cb cb, void *ctx);

/* the request handlers (req_*.c) */
int req_quejob(struct batch_request *br);
int req_deletejob(struct batch_request *br);
int req_holdjob(struct batch_request *br);
int req_releasejob(struct batch_request *br);
int req_checkpointjob(struct batch_request *br);
int req_locatejob(struct batch_request *br);
int req_manager(struct batch_request *br);
int req_modifyjob(struct batch_request *br);
int req_rerunjob(struct batch_request *br);
int req_runjob(struct batch_request *br);
int req_selectjobs(struct batch_request *br);
int req_shutdown(struct batch_request *br);
int req_signaljob(struct batch_request *br);
int req_stat_job(struct batch_request *br);
int req_stat_que(struct batch_request *br);
int req_stat_svr(struct batch_request *br);
int req_stat_node(struct batch_request *br);
int req_migratejob(struct batch_request *br);
int req_jobobit(struct batch_request *br);
int req_isstatus(struct batch_request *br);
int req_mom_modifyjob(struct batch_request *br);
int req_mom_releasejob(struct batch_request *br);

/* req_stat.c: the status of server|queue|node objects into r (r->code on error) */
void status_into(struct server *s, const char *obj, const char *name, struct pbs_msg *r);

/* req_runjob.c */
/* Start j on dest (NULL = scheduler's choice). done(s, ctx, code, msg) is
 * called when the MOM answered (or at once on refusal: then the return is
 * that PBSE code and done is not called). */
typedef void (*run_done_cb)(struct server *s, void *ctx, int code, const char *msg);
int svr_startjob(struct server *s, struct job *j, const char *dest, run_done_cb done, void *ctx,
		 char *msg, size_t msglen);
void job_started(struct server *s, struct job *j, int restart);
int is_restart(const struct job *j);
/* exec_host becomes as many slots on host as the job had on its first
 * host (a node-local checkpoint copied there: its new location). */
void job_move_exec_host(struct job *j, const char *host);
/* Where a move sends a checkpoint the MOM has to copy (its directory is
 * node-local): j->ck.dest's first host, or the first other usable node
 * with room. 0 with host and its MOM's port, or -1. */
int migrate_target(struct server *s, const struct job *j, char *host, size_t n, int *port);
int chk_checkpoint_placement(const struct job *j, const char *dest, char *msg, size_t msglen);

/* req_holdjob.c: checkpoint relays shared by hold, qchkpt, migrate, drain,
 * preemption. hold_bits_to_set 0 = no hold (migration). */
typedef void (*ckpt_done_cb)(struct server *s, void *ctx, int code, int aux, const char *msg);
int relay_checkpoint(struct server *s, struct job *j, int type, int hold_set,
		     enum ckmig_cause cause, ckpt_done_cb done, void *ctx);

/* req_migratejob.c */
int job_migrate_check(struct server *s, struct job *j, const char *dest, char *msg, size_t msglen);
int job_migrate(struct server *s, struct job *j, enum ckmig_cause cause, const char *dest,
		ckpt_done_cb done, void *ctx, char *msg, size_t msglen);

/* req_jobobit.c */
void job_complete(struct server *s, struct job *j, int exit_status);
void job_requeue_after_checkpoint(struct server *s, struct job *j);

/* req_delete.c */
void job_abort(struct server *s, struct job *j, const char *why);

/* sched_builtin.c */
void schedule(struct server *s);
void check_drains(struct server *s);

/* svr_ckmig.c: the checkpoint/migration state machine. Every change of
 * j->ck.state goes through ckmig_set: it checks the move is legal, logs it
 * and saves the job file (the answer that follows waits for it). */
const char *ckmig_state_name(enum ckmig_state st);
int ckmig_state_parse(const char *name);               /* state or -1 */
const char *ckmig_cause_name(enum ckmig_cause c);
int ckmig_cause_parse(const char *name);               /* cause or -1 */
int ckmig_transition_ok(enum ckmig_state from, enum ckmig_state to);
int ckmig_set(struct server *s, struct job *j, enum ckmig_state to, const char *why);
int ckmig_busy(const struct job *j);                   /* a checkpoint or move under way */
int ckmig_refused_move(const struct job *j);           /* a drain/preemption failed */
void ckmig_clear(struct job_ckmig *ck);                /* free the strings */
/* Inputs. A checkpoint request leaves for the MOM (relay_checkpoint). */
void ckmig_requested(struct server *s, struct job *j, enum ckmig_cause cause, const char *dest,
		     const char *by);
/* The MOM's answer to that request (news path 1: the hold reply). */
void ckmig_answered(struct server *s, struct job *j, int code, int aux, int hold_set,
		    const char *text);
/* The MOM's checkpoint report (news path 2: ModifyJob checkpoint_hold/cont).
 * at: the node a node-local checkpoint was copied to (its MOM's
 * checkpoint_host), NULL when it stayed where it was taken.
 * migratable: -1 when the MOM did not say. walltime: the MOM's word on a
 * checkpoint it took before the job's walltime (its "walltime" argument,
 * parsed by walltime_word): CKMIG_BY_WALLTIME, CKMIG_BY_WALLTIME_END, or
 * CKMIG_BY_NONE for any other checkpoint. */
void ckmig_reported(struct server *s, struct job *j, int hold, int migratable,
		    enum ckmig_cause walltime, const char *at);
/* The MOM gave up a hold checkpoint (its "uos" release). */
void ckmig_mom_gave_up(struct server *s, struct job *j, const char *why);
/* The job's end (news path 3: the obit). 1 when the machine took it. */
int ckmig_ended(struct server *s, struct job *j, int exit_status, const char *comment);
void ckmig_failed(struct server *s, struct job *j, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void ckmig_cancel(struct server *s, struct job *j, const char *why);   /* a delete wins */
/* Back in the queue (start refused, lost by its MOM): its checkpoint, if any, waits. */
void ckmig_requeued(struct server *s, struct job *j, const char *why);
void ckmig_recover(struct server *s, struct job *j);  /* after a server restart */
/* Checkpointed and stopped: nodes freed, H or Q; a move starts it again. */
void ckmig_requeue_checkpointed(struct server *s, struct job *j);
/* qmigrate --postcopy (svr_ckmig_postcopy.c). The source MOM's
 * checkpoint_hold report named its pages' endpoint: the target starts now,
 * before the source's run has ended. */
void ckmig_pages_ready(struct server *s, struct job *j, const char *pages_from);
/* The source's obit of a post-copy (outcome "done" or "lost"): never the
 * end of the job's current run. */
void ckmig_postcopy_source_end(struct server *s, struct job *j, const char *outcome,
			       const char *why);
/* The end of the target's run after the source said the job was lost:
 * held with the reason. 1 when taken. */
int ckmig_postcopy_lost_end(struct server *s, struct job *j);
/* A version 1 job file's ckmig_* attributes into j->ck. */
void ckmig_upgrade_v1(struct job *j);
/* qmigrate's pending relays: run those whose client hung up (all: every one). */
void migrate_pending_run(struct server *s, int all);

/* svr_walltime.c: jobs longer than one run's walltime (issue 16) */
enum ckmig_cause walltime_word(const char *word);       /* "run"/"end" -> cause */
long walltime_budget_left(const struct job *j);         /* seconds, -1 = no budget */
void walltime_left_str(const struct job *j, char *out, size_t size);
/* A run ended by its checkpoint before walltime: comment, the hold when
 * the budget is used up, the run's accounting record. Called by the state
 * machine (requeue_checkpointed) before the job's new state is set. */
void walltime_run_ended(struct server *s, struct job *j);

/* svr_task.c: the loop's "periodic" task (svr_connect.c) runs it every second */
void svr_periodic(struct server *s);

#ifdef __cplusplus
}
#endif
#endif
