/* Messages and attribute lists: building and freeing (lib/protocol.h). */
#include "lib/protocol.h"
#include "lib/pbs_error.h"
#include "lib/proto_internal.h"

#include <stdlib.h>
#include <string.h>

/* --- attribute lists -------------------------------------------------------- */

void attrl_init(struct attr_list *l)
{
	l->head = l->tail = NULL;
	l->count = 0;
}

static void attr_free(struct pbs_attr *a)
{
	free(a->value);
	free(a);
}

void attrl_free(struct attr_list *l)
{
	struct pbs_attr *a, *n;

	for (a = l->head; a; a = n) {
		n = a->next;
		attr_free(a);
	}
	attrl_init(l);
}

/* One allocation holds the entry, its name and its resource (a status of
 * 10 000 jobs has 300 000 of them); the value is separate so it can be
 * replaced. value NULL is for the decoder, which fills it in. */
/* name and resource live in the node's own allocation: the client library
 * (qtools/lib/pbs_request.c) turns a reply's nodes into Torque's attrl
 * nodes in place, which are made the same way. */
struct pbs_attr *attr_new(const char *name, const char *resource, int op)
{
	size_t nl = strlen(name ? name : ""), rl = resource && *resource ? strlen(resource) : 0;
	struct pbs_attr *a = xmalloc(sizeof(*a) + nl + 1 + (rl ? rl + 1 : 0));
	char *p = (char *)(a + 1);

	a->next = NULL;
	a->name = p;
	memcpy(p, name ? name : "", nl + 1);
	if (rl) {
		a->resource = p + nl + 1;
		memcpy(a->resource, resource, rl + 1);
	} else {
		a->resource = NULL;
	}
	a->value = NULL;
	a->op = op;
	return a;
}

void attrl_link(struct attr_list *l, struct pbs_attr *a)
{
	if (l->tail)
		l->tail->next = a;
	else
		l->head = a;
	l->tail = a;
	l->count++;
}

struct pbs_attr *attrl_add(struct attr_list *l, const char *name, const char *resource,
			   const char *value, int op)
{
	struct pbs_attr *a = attr_new(name, resource, op);

	a->value = xstrdup(value ? value : "");
	attrl_link(l, a);
	return a;
}

static int res_eq(const char *a, const char *b)
{
	if (!a || !*a)
		return !b || !*b;
	return b && !strcmp(a, b);
}

struct pbs_attr *attrl_find(const struct attr_list *l, const char *name, const char *resource)
{
	struct pbs_attr *a;

	for (a = l->head; a; a = a->next)
		if (!strcmp(a->name, name) && res_eq(a->resource, resource))
			return a;
	return NULL;
}

const char *attrl_get(const struct attr_list *l, const char *name, const char *resource)
{
	struct pbs_attr *a = attrl_find(l, name, resource);

	return a ? a->value : NULL;
}

struct pbs_attr *attrl_set(struct attr_list *l, const char *name, const char *resource,
			   const char *value)
{
	struct pbs_attr *a = attrl_find(l, name, resource);

	if (!a)
		return attrl_add(l, name, resource, value, BATCH_SET);
	free(a->value);
	a->value = xstrdup(value ? value : "");
	return a;
}

int attrl_remove(struct attr_list *l, const char *name, const char *resource)
{
	struct pbs_attr **pp = &l->head, *a;
	int n = 0;

	l->tail = NULL;
	while ((a = *pp)) {
		if (!strcmp(a->name, name) && res_eq(a->resource, resource)) {
			*pp = a->next;
			attr_free(a);
			l->count--;
			n++;
			continue;
		}
		l->tail = a;
		pp = &a->next;
	}
	return n;
}

void attrl_copy(struct attr_list *dst, const struct attr_list *src)
{
	struct pbs_attr *a;

	for (a = src->head; a; a = a->next)
		attrl_add(dst, a->name, a->resource, a->value, a->op);
}

/* --- messages ---------------------------------------------------------------- */

void msg_init(struct pbs_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->id = xstrdup("");
	m->text = xstrdup("");
	attrl_init(&m->attrs);
	attrl_init(&m->args);
}

void msg_free(struct pbs_msg *m)
{
	struct pbs_obj *o, *n;

	free(m->id);
	free(m->text);
	free(m->script);
	free(m->blob);
	attrl_free(&m->attrs);
	attrl_free(&m->args);
	for (o = m->objs; o; o = n) {
		n = o->next;
		obj_free(o);
	}
	/* nothing left to free: a second msg_free is harmless */
	memset(m, 0, sizeof(*m));
	attrl_init(&m->attrs);
	attrl_init(&m->args);
}

void msg_request(struct pbs_msg *m, int type, const char *id)
{
	msg_init(m);
	m->type = type;
	free(m->id);
	m->id = xstrdup(id ? id : "");
}

void msg_reply(struct pbs_msg *m, int code, int aux, const char *text)
{
	char tmp[1024];

	msg_init(m);
	m->is_reply = 1;
	m->code = code;
	m->aux = aux;
	free(m->text);
	if (!text && code)
		text = pbse_message(tmp, sizeof(tmp), code, NULL);
	m->text = xstrdup(text ? text : "");
}

void msg_add_attr(struct pbs_msg *m, const char *name, const char *resource, const char *value)
{
	attrl_add(&m->attrs, name, resource, value, BATCH_SET);
}

void msg_add_arg(struct pbs_msg *m, const char *name, const char *value)
{
	attrl_add(&m->args, name, NULL, value, BATCH_SET);
}

const char *msg_arg(const struct pbs_msg *m, const char *name)
{
	return attrl_get(&m->args, name, NULL);
}

const char *msg_attr(const struct pbs_msg *m, const char *name, const char *resource)
{
	return attrl_get(&m->attrs, name, resource);
}

void msg_set_blob(struct pbs_msg *m, const void *p, size_t n)
{
	free(m->blob);
	m->blob = xmalloc(n ? n : 1);
	memcpy(m->blob, p, n);
	m->blob_len = n;
}

void msg_set_script(struct pbs_msg *m, const char *script)
{
	free(m->script);
	m->script = xstrdup(script);
}

struct pbs_obj *msg_add_obj(struct pbs_msg *m, const char *kind, const char *name)
{
	struct pbs_obj *o = xcalloc(1, sizeof(*o));

	o->kind = xstrdup(kind ? kind : "");
	o->name = xstrdup(name ? name : "");
	attrl_init(&o->attrs);
	if (m->objs_tail)
		m->objs_tail->next = o;
	else
		m->objs = o;
	m->objs_tail = o;
	m->nobjs++;
	return o;
}

void obj_free(struct pbs_obj *o)
{
	free(o->kind);
	free(o->name);
	attrl_free(&o->attrs);
	free(o);
}

void obj_add_attr(struct pbs_obj *o, const char *name, const char *resource, const char *value)
{
	attrl_add(&o->attrs, name, resource, value, BATCH_SET);
}

