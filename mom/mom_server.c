/* Talking to the server (Torque: resmom/mom_server.c): node registration
 * and periodic status (IsStatus), and the MOM's own requests (ModifyJob
 * for checkpoint results, JobObit). They go through one queue, one at a
 * time, over one connection of the MOM's loop (lib/wire): the loop never
 * waits for the server, and a dead server never stops the MOM from
 * looking after its jobs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#define LOG_PREFIX "mom_server: "
#include "lib/attr_names.h"
#include "lib/log.h"
#include "lib/pbs_error.h"
#include "lib/protocol.h"
#include "lib/util.h"
#include "mom/mom.h"
#include "mom/mom_server.h"
#include "mom/mom_util.h"

#include "lib/wire.h"

/* Connect and handshake; then each answer. Nothing here blocks: the
 * bounds only decide when a request counts as failed. */
#define CONNECT_TIMEOUT_MS 5000
#define REPLY_TIMEOUT_MS 10000
/* The connection stays for the next request, then goes. */
#define SERVER_CONN_IDLE_MS 5000

struct srv_req {
	struct srv_req *next;
	struct buf body;
	int type;
	char id[256];
	srv_done_fn done;
	void *arg;
};

static void srv_kick(struct mom *m);

static void srv_finish_head(struct mom *m, int rc, struct pbs_msg *reply, const char *err)
{
	struct srv_req *r = m->srvq;

	m->srvq = r->next;
	if (!m->srvq)
		m->srvq_tail = NULL;
	m->srv_inflight = 0;
	m->srvq_done++;
	if (r->done)
		r->done(m, r->arg, rc, reply, err);
	buf_free(&r->body);
	free(r);
	conn_release_replies(m);
}

/* The connection is gone: what it carried, and everything queued behind
 * it, failed (the server is down or refused us; each caller retries in
 * its own way, as before). */
static void srv_on_close(struct wconn *w)
{
	struct mom *m = w->data;
	char err[256];

	if (m->srv != w)
		return;   /* an older connection, already replaced */
	m->srv = NULL;
	mom_tasks_wake();
	if (!m->srv_inflight && !w->error && proto_session_ready(&w->ses)) {
		srv_kick(m);   /* closed while idle: what waits takes a new one */
		return;
	}
	snprintf(err, sizeof(err), "server %s:%d: %s", m->cfg.pbsserver, m->cfg.server_port,
		 w->errtext[0] ? w->errtext : "connection lost or refused");
	while (m->srvq)
		srv_finish_head(m, w->error ? w->error : PBSE_NOSERVER, NULL, err);
}

static void srv_on_timeout(struct wconn *w)
{
	struct mom *m = w->data;

	snprintf(w->errtext, sizeof(w->errtext), "no answer from the server within %d ms",
		 m->srv_inflight ? REPLY_TIMEOUT_MS : CONNECT_TIMEOUT_MS);
	w->error = PBSE_NOSERVER;
	wconn_abort(w);
}

static void srv_on_reply(struct wconn *w, struct pbs_msg *reply)
{
	struct mom *m = w->data;
	char err[512];
	int rc;

	if (!m->srv_inflight || !reply->is_reply) {
		msg_free(reply);
		snprintf(w->errtext, sizeof(w->errtext), "the server sent what nobody asked for");
		w->error = PBSE_PROTOCOL;
		wconn_abort(w);
		return;
	}
	rc = reply->code;
	snprintf(err, sizeof(err), "%s", rc ? (reply->text && *reply->text ? reply->text :
					       pbse_to_txt(rc)) : "");
	w->deadline_ms = 0;
	w->idle_ms = SERVER_CONN_IDLE_MS;
	srv_finish_head(m, rc, reply, err);
	msg_free(reply);
	srv_kick(m);
	mom_tasks_wake();   /* an answer may let an obit or a retry go */
}

/* One request at a time on one connection: the server hears the MOM's
 * news in the order it happened (a checkpoint's ModifyJob before the
 * job's obit). */
static void srv_kick(struct mom *m)
{
	struct wconn *w = m->srv;

	if (!m->srvq || m->srv_inflight)
		return;
	if (m->srv_after_serial) {
		if (wloop_find(m->loop, m->srv_after_serial) && now_ms() < m->srv_after_until)
			return;
		m->srv_after_serial = 0;
	}
	if (!m->cfg.pbsserver) {
		while (m->srvq)
			srv_finish_head(m, PBSE_NOSERVER, NULL, "no $pbsserver configured");
		return;
	}
	if (!w || w->closing) {
		w = wloop_connect(m->loop, m->cfg.pbsserver, m->cfg.server_port, &m->key,
				  CONNECT_TIMEOUT_MS + REPLY_TIMEOUT_MS);
		if (!w) {
			char err[256];

			snprintf(err, sizeof(err), "cannot connect to server %s:%d: %s",
				 m->cfg.pbsserver, m->cfg.server_port, strerror(errno));
			while (m->srvq)
				srv_finish_head(m, PBSE_NOSERVER, NULL, err);
			return;
		}
		w->data = m;
		w->on_msg = srv_on_reply;
		w->on_close = srv_on_close;
		w->on_timeout = srv_on_timeout;
		m->srv = w;
	}
	wconn_send_body(w, m->srvq->body.data ? m->srvq->body.data : "", m->srvq->body.len);
	m->srv_inflight = 1;
	w->idle_ms = 0;   /* waiting is not idling */
	w->deadline_ms = now_ms() + (proto_session_ready(&w->ses) ? REPLY_TIMEOUT_MS :
				     CONNECT_TIMEOUT_MS + REPLY_TIMEOUT_MS);
}

void mom_server_kick(struct mom *m)
{
	srv_kick(m);
}

void mom_server_send(struct mom *m, const struct pbs_msg *req, srv_done_fn done, void *arg)
{
	struct srv_req *r = xcalloc(1, sizeof(*r));

	buf_init(&r->body);
	proto_encode(req, &r->body);
	r->type = req->type;
	snprintf(r->id, sizeof(r->id), "%s", req->id ? req->id : "");
	r->done = done;
	r->arg = arg;
	if (m->srvq_tail)
		m->srvq_tail->next = r;
	else
		m->srvq = r;
	m->srvq_tail = r;
	m->srvq_enq++;
	srv_kick(m);
}

int mom_server_idle(const struct mom *m)
{
	return !m->srvq;
}

void mom_server_drop(struct mom *m)
{
	while (m->srvq)
		srv_finish_head(m, PBSE_NOSERVER, NULL, "MOM stopping");
}

/* Torque's status string: "opsys=linux,uname=...,ncpus=N,physmem=...". */
static void status_string(struct mom *m, struct buf *b)
{
	struct utsname u;
	struct sysinfo si;
	struct mom_job *j;
	double load[3] = { 0, 0, 0 };
	int i, njobs = 0;

	uname(&u);
	sysinfo(&si);
	getloadavg(load, 3);
	buf_printf(b, "opsys=linux,uname=%s %s %s %s %s", u.sysname, m->hostname, u.release,
		   u.version, u.machine);
	buf_puts(b, ",sessions=");
	for (j = m->jobs; j; j = j->next) {
		if (j->substate == JOB_SUBSTATE_RUNNING && j->sid > 0) {
			buf_printf(b, "%s%d", njobs ? " " : "", (int)j->sid);
			njobs++;
		}
	}
	buf_printf(b, ",nsessions=%d,nusers=0,idletime=0", njobs);
	buf_printf(b, ",totmem=%llukb,availmem=%llukb,physmem=%llukb",
		   (unsigned long long)(si.totalram + si.totalswap) * si.mem_unit / 1024,
		   (unsigned long long)(si.freeram + si.freeswap) * si.mem_unit / 1024,
		   (unsigned long long)si.totalram * si.mem_unit / 1024);
	buf_printf(b, ",ncpus=%ld,loadave=%.2f", sysconf(_SC_NPROCESSORS_ONLN), load[0]);
	buf_puts(b, ",jobs=");
	njobs = 0;
	for (j = m->jobs; j; j = j->next)
		buf_printf(b, "%s%s", njobs++ ? " " : "", j->jobid);
	for (i = 0; i < m->cfg.n_static_res; i++)
		buf_printf(b, ",%s=%s", m->cfg.static_res[i].name, m->cfg.static_res[i].value);
	buf_printf(b, ",state=%s", ND_free);
}

void mom_job_resources(struct mom_job *j, struct attr_list *out)
{
	char v[64];
	long wall = job_walltime_used(j, time(NULL));

	/* a restart carries on the runs before it (walltime, cput) */
	mom_format_hms(j->cput_prior + j->cput, v, sizeof(v));
	attrl_set(out, ATTR_used, "cput", v);
	snprintf(v, sizeof(v), "%ldkb", j->mem_kb);
	attrl_set(out, ATTR_used, "mem", v);
	attrl_set(out, ATTR_used, "vmem", v);
	mom_format_hms(wall, v, sizeof(v));
	attrl_set(out, ATTR_used, "walltime", v);
}

void mom_job_status_obj(struct mom_job *j, struct pbs_obj *o)
{
	struct attr_list res;
	struct pbs_attr *a;
	char v[32];

	snprintf(v, sizeof(v), "%d", (int)j->sid);
	obj_add_attr(o, ATTR_session, NULL, v);
	snprintf(v, sizeof(v), "%d", j->substate);
	obj_add_attr(o, ATTR_substate, NULL, v);
	obj_add_attr(o, ATTR_state, NULL, j->substate < JOB_SUBSTATE_EXITING ? "R" : "E");
	attrl_init(&res);
	mom_job_resources(j, &res);
	for (a = res.head; a; a = a->next)
		obj_add_attr(o, a->name, a->resource, a->value);
	attrl_free(&res);
}

static void status_done(struct mom *m, void *arg, int rc, struct pbs_msg *reply, const char *err)
{
	(void)arg;
	(void)reply;
	m->status_inflight = 0;
	if (rc == 0) {
		if (!m->registered)
			log_event(PBSEVENT_SYSTEM, PBS_EVENTCLASS_NODE, m->hostname,
				  "registered with server %s:%d", m->cfg.pbsserver,
				  m->cfg.server_port);
		m->registered = 1;
	} else {
		/* Say it once per outage, not every status interval. */
		if (m->registered || !m->status_warned)
			pr_warn("status to server failed (%d): %s", rc, err);
		m->registered = 0;
		m->status_warned = 1;
	}
}

void send_is_status(struct mom *m)
{
	struct pbs_msg req;
	struct mom_job *j;
	struct buf st;
	char v[32];

	if (m->status_inflight)
		return;   /* the last one is still on its way */
	memset(&req, 0, sizeof(req));   /* filled by msg_*() */
	buf_init(&st);
	msg_request(&req, PBS_BATCH_IsStatus, m->hostname);
	snprintf(v, sizeof(v), "%ld", sysconf(_SC_NPROCESSORS_ONLN));
	msg_add_attr(&req, ATTR_NODE_np, NULL, v);
	snprintf(v, sizeof(v), "%d", m->mom_port);
	msg_add_attr(&req, "port", NULL, v);
	msg_add_attr(&req, ATTR_NODE_state, NULL, ND_free);
	status_string(m, &st);
	msg_add_attr(&req, ATTR_NODE_status, NULL, st.data);
	for (j = m->jobs; j; j = j->next)
		/* a job whose obit is on its way has ended: listed behind its
		 * own obit it would look like a stray copy to the server */
		if (!j->obit_inflight)
			mom_job_status_obj(j, msg_add_obj(&req, "job", j->jobid));
	m->status_inflight = 1;
	mom_server_send(m, &req, status_done, NULL);
	buf_free(&st);
	msg_free(&req);
}

int send_alterjob(struct mom *m, struct mom_job *j, const struct attr_list *attrs,
		  const char *extend)
{
	return send_alterjob_args(m, j, attrs, extend, 0);
}

static void alter_done(struct mom *m, void *arg, int rc, struct pbs_msg *reply, const char *err)
{
	char *jobid = arg;

	(void)m;
	(void)reply;
	if (rc)
		log_job(PBSEVENT_ERROR, jobid, "ModifyJob to server failed (%d): %s", rc, err);
	free(jobid);
}

int send_alterjob_args(struct mom *m, struct mom_job *j, const struct attr_list *attrs,
		       const char *extend, int migratable)
{
	struct pbs_msg req;
	struct pbs_attr *a;

	memset(&req, 0, sizeof(req));   /* filled by msg_*() */
	msg_request(&req, PBS_BATCH_ModifyJob, j->jobid);
	for (a = attrs->head; a; a = a->next)
		msg_add_attr(&req, a->name, a->resource, a->value);
	/* With a checkpoint, always say whether it can move: the newest
	 * checkpoint decides the server's flag (lib/protocol.h). */
	if (extend) {
		msg_add_arg(&req, "extend", extend);
		msg_add_arg(&req, "migratable", migratable ? "1" : "0");
		/* a node-local checkpoint copied to another node restarts there */
		if (j->ckpt_host)
			msg_add_arg(&req, "checkpoint_host", j->ckpt_host);
		/* qmigrate --postcopy: where the target fetches the pages */
		if (j->ck && j->ck->pages_from)
			msg_add_arg(&req, "pages_from", j->ck->pages_from);
		/* a checkpoint before walltime: requeue ("run") or hold ("end") */
		if (walltime_ckpt_word(j))
			msg_add_arg(&req, "walltime", walltime_ckpt_word(j));
	}
	mom_server_send(m, &req, alter_done, xstrdup(j->jobid));
	msg_free(&req);
	return 0;
}

int send_comment(struct mom *m, struct mom_job *j, const char *comment)
{
	struct attr_list l;
	int rc;

	attrl_init(&l);
	attrl_set(&j->attrs, ATTR_comment, NULL, comment);
	attrl_set(&l, ATTR_comment, NULL, comment);
	rc = send_alterjob(m, j, &l, NULL);
	attrl_free(&l);
	return rc;
}
