/* Talking to the server (Torque: resmom/mom_server.c): node registration
 * and periodic status (IsStatus), and the MOM's own requests (ModifyJob
 * for checkpoint results, JobObit). Each is one short TCP exchange with
 * the cluster key's MAC, bounded by timeouts so a dead server never stops
 * the MOM from looking after its jobs. */
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

#define CONNECT_TIMEOUT_MS 2000
#define REPLY_TIMEOUT_MS 10000

int mom_server_call(struct mom *m, const struct pbs_msg *req, struct pbs_msg *reply, char *err,
		    size_t errlen)
{
	int fd = -1, rc;

	if (!m->cfg.pbsserver) {
		snprintf(err, errlen, "no $pbsserver configured");
		rc = PBSE_NOSERVER;
		goto out;
	}
	fd = proto_tcp_connect(m->cfg.pbsserver, m->cfg.server_port, CONNECT_TIMEOUT_MS);
	if (fd < 0) {
		snprintf(err, errlen, "cannot connect to server %s:%d: %s", m->cfg.pbsserver,
			 m->cfg.server_port, strerror(errno));
		rc = PBSE_NOSERVER;
		goto out;
	}
	rc = proto_call(fd, req, reply, &m->key, REPLY_TIMEOUT_MS, err, errlen);
	if (rc == 0 && reply->code != 0) {
		snprintf(err, errlen, "%s", reply->text && *reply->text ? reply->text :
			 pbse_to_txt(reply->code));
		rc = reply->code;
	}
out:
	if (fd >= 0)
		close(fd);
	return rc;
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

	snprintf(v, sizeof(v), "%ld", j->cput);
	mom_format_hms(j->cput, v, sizeof(v));
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

void send_is_status(struct mom *m)
{
	struct pbs_msg req, reply;
	struct mom_job *j;
	struct buf st;
	char v[32], err[512];
	int rc;

	memset(&req, 0, sizeof(req));   /* filled by msg_*() or the decoder */
	memset(&reply, 0, sizeof(reply));   /* filled by msg_*() or the decoder */
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
		mom_job_status_obj(j, msg_add_obj(&req, "job", j->jobid));
	rc = mom_server_call(m, &req, &reply, err, sizeof(err));
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
	buf_free(&st);
	msg_free(&req);
	msg_free(&reply);
}

int send_alterjob(struct mom *m, struct mom_job *j, const struct attr_list *attrs,
		  const char *extend)
{
	return send_alterjob_args(m, j, attrs, extend, 0);
}

int send_alterjob_args(struct mom *m, struct mom_job *j, const struct attr_list *attrs,
		       const char *extend, int migratable)
{
	struct pbs_msg req, reply;
	struct pbs_attr *a;
	char err[512];
	int rc;

	memset(&req, 0, sizeof(req));   /* filled by msg_*() or the decoder */
	memset(&reply, 0, sizeof(reply));   /* filled by msg_*() or the decoder */
	msg_request(&req, PBS_BATCH_ModifyJob, j->jobid);
	for (a = attrs->head; a; a = a->next)
		msg_add_attr(&req, a->name, a->resource, a->value);
	/* With a checkpoint, always say whether it can move: the newest
	 * checkpoint decides the server's flag (lib/protocol.h). */
	if (extend) {
		msg_add_arg(&req, "extend", extend);
		msg_add_arg(&req, "migratable", migratable ? "1" : "0");
	}
	rc = mom_server_call(m, &req, &reply, err, sizeof(err));
	if (rc)
		log_job(PBSEVENT_ERROR, j->jobid, "ModifyJob to server failed (%d): %s", rc, err);
	msg_free(&req);
	msg_free(&reply);
	return rc;
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
