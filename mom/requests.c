/* The server's requests to this MOM (Torque: resmom/requests.c and
 * start_exec.c's req_queuejob/req_commit). One table maps a request type
 * to its handler; each handler ends in one reply. */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LOG_PREFIX "requests: "
#include "lib/attr_names.h"
#include "lib/fault.h"
#include "lib/log.h"
#include "lib/pbs_error.h"
#include "lib/util.h"
#include "mom/checkpoint.h"
#include "mom/mom_ckpt_xfer.h"
#include "mom/mom.h"
#include "mom/mom_server.h"
#include "mom/mom_util.h"

typedef int (*req_fn)(struct mom *m, int conn, struct pbs_msg *req, struct pbs_msg *reply);

static void reject(struct pbs_msg *reply, int code, const char *why)
{
	char text[1024];

	pbse_message(text, sizeof(text), code, why && *why ? why : NULL);
	msg_reply(reply, code, 0, text);
}

static struct mom_job *find_or_reject(struct mom *m, struct pbs_msg *req, struct pbs_msg *reply)
{
	struct mom_job *j = req->id && *req->id ? mom_job_find(m, req->id) : NULL;

	if (!j)
		reject(reply, PBSE_UNKJOBID, NULL);
	return j;
}

/* QueueJob: the whole job at once (Torque's QueueJob..Commit in one). */
static int req_queuejob(struct mom *m, int conn, struct pbs_msg *req, struct pbs_msg *reply)
{
	struct mom_job *j;
	struct pbs_attr *a;
	const char *restart = msg_arg(req, "restart");
	const char *used;
	char err[1024];
	int rc;

	(void)conn;
	if (!req->id || !*req->id || strchr(req->id, '/') || req->id[0] == '.') {
		reject(reply, PBSE_IVALREQ, "bad job id");
		return 0;
	}
	j = mom_job_find(m, req->id);
	if (j) {
		reject(reply, PBSE_JOBEXIST, j->substate == JOB_SUBSTATE_RUNNING ?
		       "job is already running on this node" : "job is still ending on this node");
		return 0;
	}
	j = mom_job_alloc(req->id);
	for (a = req->attrs.head; a; a = a->next)
		attrl_add(&j->attrs, a->name, a->resource, a->value, BATCH_SET);
	j->script = xstrdup(req->script ? req->script : "");
	j->restart = restart && strcmp(restart, "1") == 0;
	j->lazy_restart = j->restart && msg_arg(req, "lazy") && strcmp(msg_arg(req, "lazy"), "1") == 0;
	if (j->restart && msg_arg(req, "pages_from"))
		j->pages_from = xstrdup(msg_arg(req, "pages_from"));
	if (j->restart) {
		/* Walltime runs on from where the checkpoint left it. */
		used = attrl_get(&j->attrs, ATTR_used, "walltime");
		j->walltime_prior = used && mom_parse_hms(used) > 0 ? mom_parse_hms(used) : 0;
		j->walltime_ckpt = j->walltime_prior;
		used = attrl_get(&j->attrs, ATTR_used, "cput");
		j->cput_prior = used && mom_parse_hms(used) > 0 ? mom_parse_hms(used) : 0;
	}
	if (j->restart)
		fault_point(FAULT_MOM_RESTART_QUEUED);
	rc = start_exec(m, j, err, sizeof(err));
	if (rc == JOB_EXEC_BADRESRT) {
		/* The checkpoint cannot be used: say so in the job's end, as
		 * Torque's MOM does, so the server holds it with the reason
		 * rather than running it from scratch. */
		log_job(PBSEVENT_ERROR, j->jobid, "restart failed: %s", err);
		j->exit_status = JOB_EXEC_BADRESRT;
		j->exited = 1;
		j->keep_output = 1;     /* the output waits for a restart that works */
		j->end_comment = xasprintf("Restart failed: %s", err);
		j->substate = JOB_SUBSTATE_EXITING;
		mom_job_link(m, j);
		mom_job_save(m, j);
		msg_reply(reply, 0, 0, "");
		return 0;
	}
	if (rc != 0) {
		log_job(PBSEVENT_ERROR, j->jobid, "cannot start job: %s", err);
		mom_job_purge_files(m, j);
		mom_job_free(j);
		reject(reply, rc == JOB_EXEC_RETRY ? PBSE_SYSTEM : PBSE_MOMREJECT, err);
		return 0;
	}
	mom_job_link(m, j);
	mom_job_save(m, j);
	if (j->restart)
		fault_point(FAULT_MOM_RESTART_STARTED);
	msg_reply(reply, 0, 0, "");
	mom_job_status_obj(j, msg_add_obj(reply, "job", j->jobid));
	return 0;
}

static int req_deletejob(struct mom *m, int conn, struct pbs_msg *req, struct pbs_msg *reply)
{
	struct mom_job *j = find_or_reject(m, req, reply);

	(void)conn;
	if (!j)
		return 0;
	if (!j->exited && j->substate == JOB_SUBSTATE_RUNNING) {
		log_job(PBSEVENT_JOB, j->jobid, "delete request: killing session %d", (int)j->sid);
		job_kill(m, j, KILL_DELETE);
	}
	msg_reply(reply, 0, 0, "");
	return 0;
}

/* Signal names as qsig takes them: "SIGUSR1", "USR1", "10", and Torque's
 * "suspend"/"resume". */
static int parse_signal(const char *s)
{
	static const struct {
		const char *name;
		int sig;
	} sigs[] = {
		{ "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT }, { "KILL", SIGKILL },
		{ "USR1", SIGUSR1 }, { "USR2", SIGUSR2 }, { "TERM", SIGTERM }, { "ALRM", SIGALRM },
		{ "CONT", SIGCONT }, { "STOP", SIGSTOP }, { "TSTP", SIGTSTP }, { "ABRT", SIGABRT },
		{ "suspend", SIGSTOP }, { "resume", SIGCONT }, { "WINCH", SIGWINCH },
		{ "XCPU", SIGXCPU }, { "PIPE", SIGPIPE }, { "SEGV", SIGSEGV },
	};
	size_t i;

	if (!s || !*s)
		return -1;
	if (isdigit((unsigned char)*s)) {
		char *end;
		long v = strtol(s, &end, 10);

		return *end || v < 1 || v >= NSIG ? -1 : (int)v;
	}
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (strcasecmp(s, sigs[i].name) == 0)
			return sigs[i].sig;
	return -1;
}

static int req_signaljob(struct mom *m, int conn, struct pbs_msg *req, struct pbs_msg *reply)
{
	struct mom_job *j = find_or_reject(m, req, reply);
	const char *s = msg_arg(req, "signal");
	int sig;

	(void)conn;
	if (!j)
		return 0;
	sig = parse_signal(s);
	if (sig < 0) {
		reject(reply, PBSE_UNKSIG, NULL);
		return 0;
	}
	if (j->exited || j->substate != JOB_SUBSTATE_RUNNING) {
		reject(reply, PBSE_BADSTATE, "job is not running");
		return 0;
	}
	if (job_signal(j, sig) < 0) {
		reject(reply, PBSE_SYSTEM, strerror(errno));
		return 0;
	}
	log_job(PBSEVENT_JOB, j->jobid, "signal %d (%s) sent to session %d", sig, s, (int)j->sid);
	msg_reply(reply, 0, 0, "");
	return 0;
}

/* HoldJob and CheckpointJob: start the script now, answer when it ends. */
static int checkpoint_request(struct mom *m, int conn, struct pbs_msg *req, struct pbs_msg *reply,
			      enum ckpt_kind kind)
{
	struct mom_job *j = find_or_reject(m, req, reply);
	const char *migrate = msg_arg(req, "migrate");
	const char *live = msg_arg(req, "live"), *target = msg_arg(req, "target");
	const char *port = msg_arg(req, "target_port");
	const char *pc = msg_arg(req, "postcopy");
	struct ckpt_move mv = { live && !strcmp(live, "1"), pc && !strcmp(pc, "1"), NULL, 0 };
	char err[1024];
	int rc;

	if (!j)
		return 0;
	if (migrate && strcmp(migrate, "1") == 0 && !mom_job_ckpt_remote(m, j)) {
		/* node-local: the images go to the target's MOM (the server
		 * names it), or the job cannot move */
		if (target && *target && strcmp(target, m->hostname) && port && atoi(port) > 0) {
			mv.host = target;
			mv.port = atoi(port);
		} else {
			char *dir = mom_job_checkpoint_dir(m, j);

			snprintf(err, sizeof(err),
				 "checkpoint directory %s is not shared ($remote_checkpoint_dirs) and "
				 "no other node was named to copy it to: the job cannot move", dir);
			free(dir);
			reject(reply, PBSE_IVALREQ, err);
			return 0;
		}
	}
	if (mv.postcopy && (!mom_job_ckpt_remote(m, j) || mv.live)) {
		snprintf(err, sizeof(err), "a post-copy move needs a shared checkpoint directory "
			 "($remote_checkpoint_dirs) and no pre-copy");
		reject(reply, PBSE_IVALREQ, err);
		return 0;
	}
	fault_point(FAULT_MOM_CKPT_REQUEST);
	rc = start_checkpoint(m, j, kind, conn, &mv, err, sizeof(err));
	if (rc) {
		log_job(PBSEVENT_ERROR, j->jobid, "checkpoint refused: %s", err);
		/* The user sees why on the job, not only in the log. */
		if (rc != PBSE_CKPBSY && rc != PBSE_BADSTATE)
			send_comment(m, j, err);
		reject(reply, rc, err);
		return 0;
	}
	return 1;
}

static int req_holdjob(struct mom *m, int conn, struct pbs_msg *req, struct pbs_msg *reply)
{
	return checkpoint_request(m, conn, req, reply, CKPT_HOLD);
}

static int req_checkpointjob(struct mom *m, int conn, struct pbs_msg *req, struct pbs_msg *reply)
{
	return checkpoint_request(m, conn, req, reply, CKPT_CHKPT);
}

/* ModifyJob: qalter of a running job (walltime, ...). */
static int req_modifyjob(struct mom *m, int conn, struct pbs_msg *req, struct pbs_msg *reply)
{
	struct mom_job *j = find_or_reject(m, req, reply);
	struct pbs_attr *a;

	(void)conn;
	if (!j)
		return 0;
	for (a = req->attrs.head; a; a = a->next) {
		if (a->op == BATCH_UNSET)
			attrl_remove(&j->attrs, a->name, a->resource);
		else
			attrl_set(&j->attrs, a->name, a->resource, a->value);
	}
	mom_job_save(m, j);
	msg_reply(reply, 0, 0, "");
	return 0;
}

static int req_statusjob(struct mom *m, int conn, struct pbs_msg *req, struct pbs_msg *reply)
{
	struct mom_job *j;

	(void)conn;
	if (req->id && *req->id) {
		j = find_or_reject(m, req, reply);
		if (!j)
			return 0;
		msg_reply(reply, 0, 0, "");
		mom_job_status_obj(j, msg_add_obj(reply, "job", j->jobid));
		return 0;
	}
	msg_reply(reply, 0, 0, "");
	for (j = m->jobs; j; j = j->next)
		mom_job_status_obj(j, msg_add_obj(reply, "job", j->jobid));
	return 0;
}

/* CkptXfer: another MOM copies a node-local checkpoint here (any key
 * holder may: the key is root on every node already). */
static int req_ckptxfer(struct mom *m, int conn, struct pbs_msg *req, struct pbs_msg *reply)
{
	mom_xfer_request(m, (unsigned long)conn, req, reply);
	return 0;
}

static const struct {
	int type;
	req_fn fn;
} handlers[] = {
	{ PBS_BATCH_CkptXfer, req_ckptxfer },
	{ PBS_BATCH_QueueJob, req_queuejob },
	{ PBS_BATCH_DeleteJob, req_deletejob },
	{ PBS_BATCH_HoldJob, req_holdjob },
	{ PBS_BATCH_ModifyJob, req_modifyjob },
	{ PBS_BATCH_SignalJob, req_signaljob },
	{ PBS_BATCH_StatusJob, req_statusjob },
	{ PBS_BATCH_CheckpointJob, req_checkpointjob },
};

int mom_dispatch_request(struct mom *m, int conn, struct pbs_msg *req, struct pbs_msg *reply)
{
	const char *name = proto_type_name(req->type);
	size_t i;

	if (req->is_reply) {
		reject(reply, PBSE_IVALREQ, "a reply where a request was expected");
		return 0;
	}
	log_event(PBSEVENT_DEBUG, PBS_EVENTCLASS_REQUEST, req->id && *req->id ? req->id : NULL,
		  "request %s received", name ? name : "?");
	for (i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++)
		if (handlers[i].type == req->type)
			return handlers[i].fn(m, conn, req, reply);
	reject(reply, PBSE_UNKREQ, NULL);
	return 0;
}
