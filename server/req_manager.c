/* Manager (qmgr, pbsnodes -o/-c): server, queue and node attributes.
 * Reading is for everyone, changing for managers. */
#include "server/server.h"
#include "lib/ckpt_option.h"
#include "lib/log.h"
#include "lib/pbs_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *server_attrs[] = {
	ATTR_managers, ATTR_operators, ATTR_scheduling, ATTR_keepcompleted, ATTR_dfltque,
	ATTR_checkpoint_dir, ATTR_ndchkrate, ATTR_schedit, ATTR_preempt, ATTR_preempt_prio,
	ATTR_logevents, ATTR_query_others, ATTR_allowed_ckpt_dirs, "mail_from", NULL
};
static const char *queue_attrs[] = {
	ATTR_enable, ATTR_start, ATTR_keepcompleted, ATTR_rescdflt, ATTR_rescmax,
	ATTR_checkpoint_dir, ATTR_qtype, "max_running", NULL
};

static int in_list(const char **l, const char *n)
{
	for (; *l; l++)
		if (!strcmp(*l, n))
			return 1;
	return 0;
}

/* Comma lists: incr adds an entry, decr removes it (qmgr += / -=). */
static char *list_edit(const char *cur, const char *val, int op)
{
	struct buf b;
	char *copy, *e, *save = NULL;

	buf_init(&b);
	buf_puts(&b, "");
	copy = xstrdup(cur ? cur : "");
	for (e = strtok_r(copy, ",", &save); e; e = strtok_r(NULL, ",", &save)) {
		if (op == BATCH_DECR && !strcmp(e, val))
			continue;
		buf_printf(&b, "%s%s", b.len ? "," : "", e);
	}
	if (op == BATCH_INCR && (!cur || !strstr(cur, val)))
		buf_printf(&b, "%s%s", b.len ? "," : "", val);
	free(copy);
	return b.data;
}

/* Values the server acts on: checkpoint directories must be absolute
 * paths (they become parents root writes under), booleans booleans. */
static int bad_value(const struct pbs_attr *a, char *msg, size_t msglen)
{
	if (!strcmp(a->name, ATTR_allowed_ckpt_dirs) || !strcmp(a->name, ATTR_checkpoint_dir)) {
		char *copy = xstrdup(a->value), *p, *save = NULL;
		int bad = 0;

		for (p = strtok_r(copy, ", \t", &save); p && !bad; p = strtok_r(NULL, ", \t", &save))
			bad = ckpt_dir_check(p, msg, msglen) < 0;
		free(copy);
		return bad;
	}
	if (!strcmp(a->name, ATTR_query_others) && strcasecmp(a->value, "true") &&
	    strcasecmp(a->value, "false") && strcmp(a->value, "1") && strcmp(a->value, "0")) {
		snprintf(msg, msglen, "%s must be True or False", a->name);
		return 1;
	}
	return 0;
}

static int set_attrs(struct attr_list *target, const char **allowed, struct pbs_msg *rq,
		     const char *cmd, char *msg, size_t msglen)
{
	struct pbs_attr *a;

	for (a = rq->attrs.head; a; a = a->next) {
		if (!in_list(allowed, a->name)) {
			snprintf(msg, msglen, "%s", a->name);
			return PBSE_NOATTR;
		}
		if (a->op != BATCH_UNSET && strcmp(cmd, "unset") && bad_value(a, msg, msglen))
			return PBSE_BADATVAL;
	}
	for (a = rq->attrs.head; a; a = a->next) {
		if (!strcmp(cmd, "unset") || a->op == BATCH_UNSET) {
			attrl_remove(target, a->name, a->resource);
		} else if (a->op == BATCH_INCR || a->op == BATCH_DECR) {
			char *v = list_edit(attrl_get(target, a->name, a->resource), a->value, a->op);

			attrl_set(target, a->name, a->resource, v);
			free(v);
		} else {
			attrl_set(target, a->name, a->resource, a->value);
		}
	}
	return 0;
}

static int node_set(struct server *s, struct node *n, struct pbs_msg *rq, const char *cmd,
		    char *msg, size_t msglen)
{
	struct pbs_attr *a;

	for (a = rq->attrs.head; a; a = a->next) {
		int unset = !strcmp(cmd, "unset") || a->op == BATCH_UNSET;

		if (!strcmp(a->name, ATTR_NODE_state)) {
			int clear = unset || a->op == BATCH_DECR || !strcmp(a->value, ND_free);

			if (!clear && strstr(a->value, ND_offline)) {
				n->flags |= NODE_OFFLINE;
			} else if (clear) {
				n->flags &= ~NODE_OFFLINE;
				n->drain = 0;
			} else {
				snprintf(msg, msglen, "state %s", a->value);
				return PBSE_BADNDATVAL;
			}
		} else if (!strcmp(a->name, "drain")) {
			n->drain = !unset && (!strcasecmp(a->value, "true") || !strcmp(a->value, "1"));
		} else if (!strcmp(a->name, ATTR_NODE_note)) {
			free(n->note);
			n->note = xstrdup(unset ? "" : a->value);
		} else if (!strcmp(a->name, ATTR_NODE_properties)) {
			free(n->props);
			n->props = xstrdup(unset ? "" : a->value);
		} else if (!strcmp(a->name, ATTR_NODE_np)) {
			int np = atoi(a->value), i;

			if (np < 1 || np > 4096) {
				snprintf(msg, msglen, "np");
				return PBSE_BADNDATVAL;
			}
			for (i = np; i < n->np; i++)
				if (n->slot[i]) {
					snprintf(msg, msglen, "np: slot %d is in use", i);
					return PBSE_BADNDATVAL;
				}
			n->slot = xrealloc(n->slot, (size_t)np * sizeof(*n->slot));
			for (i = n->np; i < np; i++)
				n->slot[i] = NULL;
			n->np = np;
		} else {
			snprintf(msg, msglen, "%s", a->name);
			return PBSE_UNKNODEATR;
		}
	}
	(void)s;
	return 0;
}

static int node_create(struct server *s, const char *name, struct pbs_msg *rq, char *msg,
		       size_t msglen)
{
	struct node *nodes = NULL;
	char *text;
	int n = 0, rc;

	if (find_node(s, name))
		return PBSE_NODEEXIST;
	text = xasprintf("%s np=1\n", name);
	rc = nodes_parse(text, &nodes, &n, msg, msglen);
	free(text);
	if (rc < 0 || n != 1) {
		nodes_free(nodes, n);
		return PBSE_BADNDATVAL;
	}
	/* slot arrays hold job pointers by node, so growing the array is safe */
	s->nodes = xrealloc(s->nodes, (size_t)(s->nnodes + 1) * sizeof(*s->nodes));
	s->nodes[s->nnodes] = nodes[0];
	free(nodes);
	s->nnodes++;
	return node_set(s, &s->nodes[s->nnodes - 1], rq, "set", msg, msglen);
}

static int node_delete(struct server *s, struct node *n)
{
	int idx = (int)(n - s->nodes), i;

	for (i = 0; i < n->np; i++)
		if (n->slot[i])
			return PBSE_BADSTATE;
	free(n->name);
	free(n->props);
	free(n->slot);
	free(n->status);
	free(n->note);
	memmove(&s->nodes[idx], &s->nodes[idx + 1], (size_t)(s->nnodes - idx - 1) * sizeof(*n));
	s->nnodes--;
	return 0;
}

/* qmgr "list server a,b": the status of obj, only the named attributes
 * when some are named. */
static int manager_list(struct batch_request *br, const char *obj, const char *name)
{
	struct pbs_msg r;
	struct pbs_obj *o;

	free(br->rq.id);
	br->rq.id = xstrdup(name);
	if (strcmp(obj, "server") && strcmp(obj, "queue") && strcmp(obj, "node")) {
		req_reject(br, PBSE_IVALREQ, 0, obj);
		return 0;
	}
	msg_reply(&r, 0, 0, "");
	status_into(br->s, obj, name, &r);
	if (r.code) {
		req_reject(br, r.code, 0, name);
		msg_free(&r);
		return 0;
	}
	if (br->rq.attrs.count)
		for (o = r.objs; o; o = o->next) {
			struct pbs_attr *a, *next;
			struct attr_list keep;

			attrl_init(&keep);
			for (a = o->attrs.head; a; a = next) {
				next = a->next;
				if (attrl_find(&br->rq.attrs, a->name, NULL) ||
				    attrl_find(&br->rq.attrs, a->name, a->resource))
					attrl_add(&keep, a->name, a->resource, a->value, a->op);
			}
			attrl_free(&o->attrs);
			o->attrs = keep;
		}
	req_reply_msg(br, &r);
	return 0;
}

int req_manager(struct batch_request *br)
{
	struct server *s = br->s;
	const char *cmd = msg_arg(&br->rq, "cmd"), *obj = msg_arg(&br->rq, "obj");
	const char *name = msg_arg(&br->rq, "name");
	char msg[512] = "";
	int rc = 0;

	if (!cmd || !obj) {
		req_reject(br, PBSE_IVALREQ, 0, "Manager request needs cmd and obj");
		return 0;
	}
	if (!name)
		name = "";
	if (!strcmp(cmd, "list") || !strcmp(cmd, "print"))
		return manager_list(br, obj, name);
	if (!user_is_manager(s, &br->who)) {
		req_reject(br, PBSE_PERM, 0, NULL);
		return 0;
	}
	if (!strcmp(obj, "server")) {
		if (strcmp(cmd, "set") && strcmp(cmd, "unset"))
			rc = PBSE_IVALREQ;
		else
			rc = set_attrs(&s->attrs, server_attrs, &br->rq, cmd, msg, sizeof(msg));
		if (!rc && svr_save_db(s) < 0)
			rc = PBSE_CAN_NOT_SAVE_FILE;
		if (!rc)
			svr_apply_log_events(s);
	} else if (!strcmp(obj, "queue")) {
		if (!strcmp(cmd, "create") || !strcmp(cmd, "delete")) {
			rc = strcmp(name, s->qname) ? PBSE_NOSUP : PBSE_QUEEXIST;
			snprintf(msg, sizeof(msg), "ckmig's server has the one execution queue %s",
				 s->qname);
		} else if (name[0] && strcmp(name, s->qname)) {
			rc = PBSE_UNKQUE;
		} else {
			rc = set_attrs(&s->qattrs, queue_attrs, &br->rq, cmd, msg, sizeof(msg));
		}
		if (!rc && svr_save_db(s) < 0)
			rc = PBSE_CAN_NOT_SAVE_FILE;
	} else if (!strcmp(obj, "node")) {
		struct node *n = name[0] ? find_node(s, name) : NULL;

		if (!strcmp(cmd, "create")) {
			rc = name[0] ? node_create(s, name, &br->rq, msg, sizeof(msg)) : PBSE_IVALREQ;
		} else if (!n) {
			rc = PBSE_UNKNODE;
			snprintf(msg, sizeof(msg), "%s", name);
		} else if (!strcmp(cmd, "delete")) {
			rc = node_delete(s, n);
			if (rc)
				snprintf(msg, sizeof(msg), "node %s has jobs", name);
		} else {
			rc = node_set(s, n, &br->rq, cmd, msg, sizeof(msg));
		}
		if (!rc && nodes_save(s) < 0)
			rc = PBSE_CAN_NOT_SAVE_FILE;
		if (!rc && n && strcmp(cmd, "delete") && n->drain)
			check_drains(s);
	} else {
		rc = PBSE_IVALREQ;
		snprintf(msg, sizeof(msg), "unknown object %s", obj);
	}
	if (rc) {
		req_reject(br, rc, 0, msg[0] ? msg : NULL);
		return 0;
	}
	log_event(PBSEVENT_ADMIN, PBS_EVENTCLASS_SERVER, NULL, "%s %s %s by %s@%s", cmd, obj, name,
		  br->who.user, br->who.host);
	s->sched_wanted = 1;
	req_ack(br);
	return 0;
}
