/* The one place the client library meets the wire (lib/protocol): build
 * a request from IFL structures, send it on the connection, read the reply
 * and turn its objects into a batch_status list. */
#include "lib/protocol.h"
/* protocol.h has its own enum batch_op; Torque's IFL one is renamed in
 * this file only (same values, same layout). */
#define batch_op ifl_batch_op
#include "qtools/lib/pbs_client.h"
#undef batch_op

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* Wait at most this long for a reply: RunJob and MigrateJob wait for a
 * MOM, which the server bounds itself; this only catches a hung server. */
#define REPLY_TIMEOUT_MS (10 * 60 * 1000)

void client_arg(struct client_request *rq, const char *name, const char *value)
{
	if (value == NULL || rq->nargs >= CLIENT_MAX_ARGS)
		return;
	rq->arg_name[rq->nargs] = name;
	rq->arg_value[rq->nargs] = value;
	rq->nargs++;
}

void client_reply_free(struct client_reply *rp)
{
	free(rp->text);
	pbs_statfree(rp->objs);
	memset(rp, 0, sizeof(*rp));
}

/* A pbs_attr node and an attrl node are the same thing: next, name,
 * resource, value, op, with name and resource inside the node's own
 * allocation (lib/proto_msg.c attr_new, ifl_attrl_node) and the value a
 * string of its own; ifl_attrl_free frees exactly what attrl_free does. */
_Static_assert(sizeof(struct attrl) == sizeof(struct pbs_attr), "attrl is a pbs_attr");
_Static_assert(offsetof(struct attrl, next) == offsetof(struct pbs_attr, next), "next");
_Static_assert(offsetof(struct attrl, name) == offsetof(struct pbs_attr, name), "name");
_Static_assert(offsetof(struct attrl, resource) == offsetof(struct pbs_attr, resource), "resource");
_Static_assert(offsetof(struct attrl, value) == offsetof(struct pbs_attr, value), "value");
_Static_assert(offsetof(struct attrl, op) == offsetof(struct pbs_attr, op) &&
	       sizeof(enum ifl_batch_op) == sizeof(int), "op");

/* One reply object becomes a batch_status entry. Its attribute nodes
 * become the entry's attrl nodes where they are, each member stored anew
 * as an attrl's: a status of 10 000 jobs holds 300 000 of them, and
 * copying each into a fresh node (and freeing the old) was 8% of qstat
 * -f's instructions. */
static struct batch_status *obj_to_status(struct pbs_obj *o)
{
	struct batch_status *bs = xcalloc(1, sizeof(*bs));
	struct attrl **at = &bs->attribs;
	struct pbs_attr *a, *next;

	bs->name = o->name ? o->name : xstrdup("");
	o->name = NULL;
	for (a = o->attrs.head; a; a = next) {
		char *name = a->name, *resource = a->resource;
		char *value = a->value ? a->value : xstrdup("");
		int op = a->op;
		struct attrl *n = (struct attrl *)a;

		next = a->next;
		n->next = NULL;
		n->name = name;
		n->resource = resource;
		n->value = value;
		n->op = (enum ifl_batch_op)op;
		*at = n;
		at = &n->next;
	}
	attrl_init(&o->attrs);
	obj_free(o);
	return bs;
}

static struct batch_status *objs_to_status(struct pbs_msg *m)
{
	struct batch_status *head = NULL, **tail = &head;
	struct pbs_obj *o, *next;

	for (o = m->objs; o; o = next) {
		next = o->next;
		*tail = obj_to_status(o);
		tail = &(*tail)->next;
	}
	m->objs = m->objs_tail = NULL;
	m->nobjs = 0;
	return head;
}

struct each_sink {
	client_each_fn *each;
	void *arg;
};

static void to_each(struct pbs_obj *o, void *arg)
{
	struct each_sink *e = arg;

	e->each(obj_to_status(o), e->arg);
}

/* lib/protocol's msg_free leaves the message initialised (two empty
 * strings allocated) so it can be reused; a message we are done with
 * gives those back too. */
static void msg_dispose(struct pbs_msg *m)
{
	msg_free(m);
	free(m->id);
	free(m->text);
	m->id = m->text = NULL;
}

int client_request(int connect, const struct client_request *rq, struct client_reply *rp)
{
	return client_request_each(connect, rq, rp, NULL, NULL);
}

int client_request_each(int connect, const struct client_request *rq, struct client_reply *rp,
			client_each_fn *each, void *arg)
{
	struct each_sink es = { each, arg };
	struct proto_obj_sink sink = { to_each, &es };
	struct pbs_msg req, reply;
	const struct attropl *a;
	char err[256];
	int fd = connection_fd(connect), i, code;

	memset(rp, 0, sizeof(*rp));
	/* msg_request and proto_call initialise the messages themselves */
	memset(&req, 0, sizeof(req));
	memset(&reply, 0, sizeof(reply));
	if (fd < 0) {
		code = PBSE_IVALREQ;
		goto out;
	}
	msg_request(&req, rq->type, rq->id ? rq->id : "");
	for (a = rq->attrs; a; a = a->next) {
		struct pbs_attr *pa = attrl_add(&req.attrs, a->name, a->resource, a->value,
						(int)a->op);

		(void)pa;
	}
	for (i = 0; i < rq->nargs; i++)
		msg_add_arg(&req, rq->arg_name[i], rq->arg_value[i]);
	if (rq->script)
		msg_set_script(&req, rq->script);
	code = proto_call_each(fd, &req, &reply, NULL, REPLY_TIMEOUT_MS, each ? &sink : NULL, err,
			       sizeof(err));
	if (code != 0) {
		/* the stream is no longer in step: later calls on it fail too */
		if (code == PBSE_SOCKET_CLOSE || code == PBSE_PREMATURE_EOF)
			code = PBSE_SOCKET_READ;
		connection_set_errtxt(connect, NULL);
		goto out;
	}
	code = reply.code;
	rp->aux = reply.aux;
	rp->text = (reply.text && *reply.text) ? xstrdup(reply.text) : NULL;
	rp->objs = objs_to_status(&reply);
	connection_set_errtxt(connect, code ? rp->text : NULL);
out:
	rp->code = code;
	pbs_errno = code;
	msg_dispose(&req);
	msg_dispose(&reply);
	return code;
}

int client_simple(int connect, const struct client_request *rq)
{
	struct client_reply rp;
	int code = client_request(connect, rq, &rp);

	client_reply_free(&rp);
	return code;
}
