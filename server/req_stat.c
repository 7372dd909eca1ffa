/* Status requests (jobs, queue, server, nodes), SelectJobs, LocateJob and
 * Shutdown: the read side of the server. */
#include "server/server.h"
#include "lib/log.h"
#include "lib/pbs_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Written straight into the reply body: the status of every job is the
 * server's largest answer. */
/* any entry with that name, whatever its resource */
static int attrl_find_name(const struct attr_list *l, const char *name)
{
	const struct pbs_attr *a;

	for (a = l->head; a; a = a->next)
		if (!strcmp(a->name, name))
			return 1;
	return 0;
}

static int wanted(const struct attr_list *want, const char *name)
{
	return !want || !want->count || attrl_find_name(want, name);
}

/* query_other_jobs (Torque's server attribute, default False): unless
 * it is True, a user who is neither the job's owner nor an operator or
 * manager sees only what qstat's default listing needs to tell jobs
 * apart: id, name, owner and state. Variable_List, paths and the rest
 * stay the owner's. */
static int sees_every_job(struct server *s, const struct client_id *who)
{
	return svr_attr_true(s, ATTR_query_others) || user_is_operator(s, who);
}

/* every: sees_every_job(), asked once per request (10 000 jobs) */
static int sees_all(int every, const struct client_id *who, const struct job *j)
{
	char owner[256];

	if (every)
		return 1;
	return !who->is_mom && !strcmp(job_owner_user(j, owner, sizeof(owner)), who->user);
}

static int public_attr(const char *name)
{
	return !strcmp(name, ATTR_N) || !strcmp(name, ATTR_owner) || !strcmp(name, ATTR_state);
}

/* want: the attribute names asked for (Torque's attrl of pbs_statjob);
 * none = all of them. all = 0: only the public attributes. */
static void stat_one_job(struct buf *b, const struct job *j, const struct attr_list *want,
			 int all)
{
	struct pbs_attr *a;
	char v[32];

	proto_obj_open(b, "job", j->id);
	if (!all) {
		for (a = j->attrs.head; a; a = a->next)
			if (public_attr(a->name) && wanted(want, a->name))
				proto_obj_attr(b, a->name, a->resource, a->value);
		v[0] = job_state_letter(j->state);
		v[1] = '\0';
		if (wanted(want, ATTR_state))
			proto_obj_attr(b, ATTR_state, NULL, v);
		proto_obj_close(b);
		return;
	}
	if (!want || !want->count) {
		proto_obj_attrs(b, &j->attrs);
	} else {
		for (a = j->attrs.head; a; a = a->next)
			if (wanted(want, a->name))
				proto_obj_attr(b, a->name, a->resource, a->value);
	}
	v[0] = job_state_letter(j->state);
	v[1] = '\0';
	if (wanted(want, ATTR_state))
		proto_obj_attr(b, ATTR_state, NULL, v);
	snprintf(v, sizeof(v), "%d", j->substate);
	if (wanted(want, ATTR_substate))
		proto_obj_attr(b, ATTR_substate, NULL, v);
	snprintf(v, sizeof(v), "0x%x", j->svrflags);
	if (wanted(want, ATTR_svrflags))
		proto_obj_attr(b, ATTR_svrflags, NULL, v);
	if (job_attr(j, ATTR_walltime_total) && wanted(want, ATTR_walltime_left)) {
		walltime_left_str(j, v, sizeof(v));
		proto_obj_attr(b, ATTR_walltime_left, NULL, v);
	}
	if (wanted(want, ATTR_migration_state))
		proto_obj_attr(b, ATTR_migration_state, NULL, ckmig_state_name(j->ck.state));
	if (j->ck.state == CKMIG_FAILED && j->ck.reason && wanted(want, ATTR_migration_reason))
		proto_obj_attr(b, ATTR_migration_reason, NULL, j->ck.reason);
	proto_obj_close(b);
}

int req_stat_job(struct batch_request *br)
{
	struct server *s = br->s;
	struct job *j;
	const char *id = br->rq.id;
	int every = sees_every_job(s, &br->who);
	struct buf b;

	buf_init(&b);
	proto_reply_open(&b, 0, 0, "");
	if (id[0] && strcmp(id, s->qname) && strncmp(id, "@", 1)) {
		j = find_job(s, id);
		if (!j) {
			buf_free(&b);
			req_reject(br, PBSE_UNKJOBID, 0, NULL);
			return 0;
		}
		stat_one_job(&b, j, &br->rq.attrs, sees_all(every, &br->who, j));
	} else {
		for (j = s->jobs; j; j = j->next)
			stat_one_job(&b, j, &br->rq.attrs, sees_all(every, &br->who, j));
	}
	proto_reply_close(&b);
	req_reply_body(br, &b);
	buf_free(&b);
	return 0;
}

static void state_counts(struct server *s, char *out, size_t size, int *total)
{
	int c[7] = { 0 };
	struct job *j;

	*total = 0;
	for (j = s->jobs; j; j = j->next) {
		if (j->state >= 0 && j->state <= 6)
			c[j->state]++;
		(*total)++;
	}
	snprintf(out, size, "Transit:%d Queued:%d Held:%d Waiting:%d Running:%d Exiting:%d "
		 "Complete:%d", c[0], c[1], c[2], c[3], c[4], c[5], c[6]);
}

static void stat_que_into(struct server *s, const char *name, struct pbs_msg *r)
{
	struct pbs_obj *o;
	char counts[256], tot[32];
	int total;

	if (name[0] && strcmp(name, s->qname)) {
		r->code = PBSE_UNKQUE;
		return;
	}
	o = msg_add_obj(r, "queue", s->qname);
	state_counts(s, counts, sizeof(counts), &total);
	snprintf(tot, sizeof(tot), "%d", total);
	obj_add_attr(o, ATTR_total, NULL, tot);
	obj_add_attr(o, ATTR_count, NULL, counts);
	attrl_copy(&o->attrs, &s->qattrs);
}

static void stat_svr_into(struct server *s, struct pbs_msg *r)
{
	struct pbs_obj *o;
	char counts[256], v[64];
	int total;

	o = msg_add_obj(r, "server", s->name);
	obj_add_attr(o, ATTR_status, NULL, "Active");
	state_counts(s, counts, sizeof(counts), &total);
	snprintf(v, sizeof(v), "%d", total);
	obj_add_attr(o, ATTR_total, NULL, v);
	obj_add_attr(o, ATTR_count, NULL, counts);
	attrl_copy(&o->attrs, &s->attrs);
	obj_add_attr(o, ATTR_servername, NULL, s->name);
	obj_add_attr(o, ATTR_pbsversion, NULL, "ckmig-1.0");
	snprintf(v, sizeof(v), "%ld", s->next_seq);
	obj_add_attr(o, ATTR_nextjobnum, NULL, v);
}

static void stat_one_node(struct pbs_msg *r, const struct node *n)
{
	struct pbs_obj *o = msg_add_obj(r, "node", n->name);
	char v[256];
	struct buf b;

	obj_add_attr(o, ATTR_NODE_state, NULL, node_state_str(n, v, sizeof(v)));
	snprintf(v, sizeof(v), "%d", n->np);
	obj_add_attr(o, ATTR_NODE_np, NULL, v);
	if (n->props[0])
		obj_add_attr(o, ATTR_NODE_properties, NULL, n->props);
	obj_add_attr(o, ATTR_NODE_ntype, NULL, "cluster");
	buf_init(&b);
	node_jobs_string(n, &b);
	if (b.len)
		obj_add_attr(o, ATTR_NODE_jobs, NULL, b.data);
	buf_free(&b);
	if (n->status[0])
		obj_add_attr(o, ATTR_NODE_status, NULL, n->status);
	if (n->note[0])
		obj_add_attr(o, ATTR_NODE_note, NULL, n->note);
	if (n->drain)
		obj_add_attr(o, "drain", NULL, "True");
}

static void stat_node_into(struct server *s, const char *name, struct pbs_msg *r)
{
	int i;

	if (name[0]) {
		struct node *n = find_node(s, name);

		if (!n) {
			r->code = PBSE_UNKNODE;
			return;
		}
		stat_one_node(r, n);
	} else {
		for (i = 0; i < s->nnodes; i++)
			stat_one_node(r, &s->nodes[i]);
	}
}

void status_into(struct server *s, const char *obj, const char *name, struct pbs_msg *r)
{
	if (!strcmp(obj, "server"))
		stat_svr_into(s, r);
	else if (!strcmp(obj, "queue"))
		stat_que_into(s, name, r);
	else if (!strcmp(obj, "node"))
		stat_node_into(s, name, r);
	else
		r->code = PBSE_IVALREQ;
}

static int stat_reply(struct batch_request *br, const char *obj)
{
	struct pbs_msg r;

	msg_reply(&r, 0, 0, "");
	status_into(br->s, obj, br->rq.id, &r);
	if (r.code) {
		int code = r.code;

		msg_free(&r);
		req_reject(br, code, 0, br->rq.id[0] ? br->rq.id : NULL);
		return 0;
	}
	req_reply_msg(br, &r);
	return 0;
}

int req_stat_que(struct batch_request *br)
{
	return stat_reply(br, "queue");
}

int req_stat_svr(struct batch_request *br)
{
	return stat_reply(br, "server");
}

int req_stat_node(struct batch_request *br)
{
	return stat_reply(br, "node");
}

static int select_match(const struct job *j, const struct pbs_attr *a)
{
	char v[2] = { 0, 0 }, user[256];
	const char *have;
	int eq;

	if (!strcmp(a->name, ATTR_state)) {
		v[0] = job_state_letter(j->state);
		have = v;
		eq = strchr(a->value, v[0]) != NULL;
	} else if (!strcmp(a->name, ATTR_owner) || !strcmp(a->name, ATTR_euser) ||
		   !strcmp(a->name, ATTR_u)) {
		have = job_owner_user(j, user, sizeof(user));
		eq = !strncmp(a->value, have, strlen(have)) &&
		     (a->value[strlen(have)] == '\0' || a->value[strlen(have)] == '@');
	} else {
		have = attrl_get(&j->attrs, a->name, a->resource);
		eq = have && !strcmp(have, a->value);
	}
	return a->op == BATCH_NE ? !eq : eq;
}

int req_selectjobs(struct batch_request *br)
{
	struct server *s = br->s;
	struct pbs_msg r;
	struct job *j;
	int every = sees_every_job(s, &br->who);

	msg_reply(&r, 0, 0, "");
	for (j = s->jobs; j; j = j->next) {
		struct pbs_attr *a;
		int ok = 1, all = sees_all(every, &br->who, j);

		/* selecting on what one may not see would tell it, bit by bit */
		for (a = br->rq.attrs.head; a && ok; a = a->next)
			ok = (all || public_attr(a->name) || !strcmp(a->name, ATTR_euser) ||
			      !strcmp(a->name, ATTR_u)) && select_match(j, a);
		if (ok)
			msg_add_obj(&r, "job", j->id);
	}
	req_reply_msg(br, &r);
	return 0;
}

int req_locatejob(struct batch_request *br)
{
	struct pbs_msg r;

	if (!find_job(br->s, br->rq.id)) {
		req_reject(br, PBSE_UNKJOBID, 0, NULL);
		return 0;
	}
	msg_reply(&r, 0, 0, br->s->name);
	req_reply_msg(br, &r);
	return 0;
}

int req_shutdown(struct batch_request *br)
{
	log_event(PBSEVENT_SYSTEM | PBSEVENT_ADMIN, NULL, NULL, "shutdown requested by %s@%s",
		  br->who.user, br->who.host);
	br->s->shutdown = 1;
	req_ack(br);
	return 0;
}
