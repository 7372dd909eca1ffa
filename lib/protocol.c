#include "lib/protocol.h"
#include "lib/pbs_error.h"
#include "lib/xml_util.h"

#include <libxml/parser.h>
#include <libxml/SAX.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

/* --- names ---------------------------------------------------------------- */

static const struct {
	int type;
	const char *name;
} type_names[] = {
	{ PBS_BATCH_QueueJob, "QueueJob" },
	{ PBS_BATCH_DeleteJob, "DeleteJob" },
	{ PBS_BATCH_HoldJob, "HoldJob" },
	{ PBS_BATCH_LocateJob, "LocateJob" },
	{ PBS_BATCH_Manager, "Manager" },
	{ PBS_BATCH_ModifyJob, "ModifyJob" },
	{ PBS_BATCH_ReleaseJob, "ReleaseJob" },
	{ PBS_BATCH_Rerun, "Rerun" },
	{ PBS_BATCH_RunJob, "RunJob" },
	{ PBS_BATCH_SelectJobs, "SelectJobs" },
	{ PBS_BATCH_Shutdown, "Shutdown" },
	{ PBS_BATCH_SignalJob, "SignalJob" },
	{ PBS_BATCH_StatusJob, "StatusJob" },
	{ PBS_BATCH_StatusQueue, "StatusQueue" },
	{ PBS_BATCH_StatusServer, "StatusServer" },
	{ PBS_BATCH_AsyrunJob, "AsyrunJob" },
	{ PBS_BATCH_CheckpointJob, "CheckpointJob" },
	{ PBS_BATCH_JobObit, "JobObit" },
	{ PBS_BATCH_StatusNode, "StatusNode" },
	{ PBS_BATCH_MigrateJob, "MigrateJob" },
	{ PBS_BATCH_IsStatus, "IsStatus" },
};

static const char *op_names[] = { "set", "unset", "incr", "decr", "eq", "ne",
				  "ge", "gt", "le", "lt", "dflt" };

const char *proto_type_name(int type)
{
	size_t i;

	for (i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
		if (type_names[i].type == type)
			return type_names[i].name;
	return NULL;
}

int proto_type_from_name(const char *name)
{
	size_t i;
	char *end;
	long v;

	if (!name || !*name)
		return -1;
	for (i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
		if (!strcmp(type_names[i].name, name))
			return type_names[i].type;
	errno = 0;
	v = strtol(name, &end, 10);
	if (*end || errno || !proto_type_name((int)v))
		return -1;
	return (int)v;
}

const char *proto_op_name(int op)
{
	if (op < 0 || op >= (int)(sizeof(op_names) / sizeof(op_names[0])))
		return "set";
	return op_names[op];
}

int proto_op_from_name(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(op_names) / sizeof(op_names[0]); i++)
		if (!strcmp(op_names[i], name))
			return (int)i;
	return -1;
}

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
static struct pbs_attr *attr_new(const char *name, const char *resource, int op)
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

static void attrl_link(struct attr_list *l, struct pbs_attr *a)
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
	attrl_free(&m->attrs);
	attrl_free(&m->args);
	for (o = m->objs; o; o = n) {
		n = o->next;
		free(o->kind);
		free(o->name);
		attrl_free(&o->attrs);
		free(o);
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

void obj_add_attr(struct pbs_obj *o, const char *name, const char *resource, const char *value)
{
	attrl_add(&o->attrs, name, resource, value, BATCH_SET);
}

/* --- encoding: written by hand, it is the hot path of qstat -f ---------------- */

static void enc_attrs(struct buf *b, const struct attr_list *l, const char *elem, int with_op)
{
	struct pbs_attr *a;
	size_t el = strlen(elem);

	for (a = l->head; a; a = a->next) {
		buf_append(b, "<", 1);
		buf_append(b, elem, el);
		buf_append(b, " name=\"", 7);
		xml_escape(b, a->name);
		if (a->resource && *a->resource) {
			buf_append(b, "\" resource=\"", 12);
			xml_escape(b, a->resource);
		}
		if (with_op && a->op != BATCH_SET) {
			buf_append(b, "\" op=\"", 6);
			buf_puts(b, proto_op_name(a->op));
		}
		buf_append(b, "\">", 2);
		xml_escape(b, a->value);
		buf_append(b, "</", 2);
		buf_append(b, elem, el);
		buf_append(b, ">", 1);
	}
}

static void enc_objs(struct buf *b, const struct pbs_obj *o)
{
	for (; o; o = o->next) {
		buf_append(b, "<obj kind=\"", 11);
		xml_escape(b, o->kind);
		buf_append(b, "\" name=\"", 8);
		xml_escape(b, o->name);
		buf_append(b, "\">", 2);
		enc_attrs(b, &o->attrs, "attr", 0);
		buf_append(b, "</obj>\n", 7);
	}
}

void proto_reply_open(struct buf *b, int code, int aux, const char *text)
{
	buf_printf(b, "<reply v=\"%d\" code=\"%d\" aux=\"%d\" text=\"", PROTO_VERSION, code, aux);
	xml_escape(b, text ? text : "");
	buf_append(b, "\">", 2);
}

void proto_obj_open(struct buf *b, const char *kind, const char *name)
{
	buf_append(b, "<obj kind=\"", 11);
	xml_escape(b, kind);
	buf_append(b, "\" name=\"", 8);
	xml_escape(b, name);
	buf_append(b, "\">", 2);
}

void proto_obj_attrs(struct buf *b, const struct attr_list *l)
{
	enc_attrs(b, l, "attr", 0);
}

void proto_obj_attr(struct buf *b, const char *name, const char *resource, const char *value)
{
	buf_append(b, "<attr name=\"", 12);
	xml_escape(b, name);
	if (resource && *resource) {
		buf_append(b, "\" resource=\"", 12);
		xml_escape(b, resource);
	}
	buf_append(b, "\">", 2);
	xml_escape(b, value);
	buf_append(b, "</attr>", 7);
}

void proto_obj_close(struct buf *b)
{
	buf_append(b, "</obj>\n", 7);
}

void proto_reply_close(struct buf *b)
{
	buf_append(b, "</reply>", 8);
}

void proto_encode(const struct pbs_msg *m, struct buf *out)
{
	if (m->is_reply) {
		buf_printf(out, "<reply v=\"%d\" code=\"%d\" aux=\"%d\" text=\"", PROTO_VERSION,
			   m->code, m->aux);
		xml_escape(out, m->text);
		buf_puts(out, "\">");
		enc_objs(out, m->objs);
		buf_puts(out, "</reply>");
		return;
	}
	buf_printf(out, "<req v=\"%d\" type=\"", PROTO_VERSION);
	buf_puts(out, proto_type_name(m->type) ? proto_type_name(m->type) : "0");
	buf_puts(out, "\" id=\"");
	xml_escape(out, m->id);
	buf_puts(out, "\">");
	enc_attrs(out, &m->attrs, "attr", 1);
	enc_attrs(out, &m->args, "arg", 0);
	enc_objs(out, m->objs);
	if (m->script) {
		buf_puts(out, "<script>");
		xml_escape(out, m->script);
		buf_puts(out, "</script>");
	}
	buf_puts(out, "</req>");
}

/* --- decoding: libxml2's SAX interface, no tree (qstat -f of 10 000 jobs
 * is the case that counts) --------------------------------------------------- */

struct sax_state {
	struct pbs_msg *m;
	int depth;
	int rc;                    /* first error, PBSE code */
	char *err;
	size_t errlen;
	int root_seen;
	struct attr_list *target;  /* where the open <attr>/<arg> goes */
	struct pbs_attr *cur;      /* the open <attr>/<arg> */
	struct pbs_obj *obj;       /* the open <obj> */
	int in_script;
	struct buf text;
};

static void sax_fail(struct sax_state *st, int code, const char *fmt, const char *a)
{
	if (st->rc)
		return;
	st->rc = code;
	snprintf(st->err, st->errlen, fmt, a ? a : "");
}

/* SAX2 hands attribute values as [start, end) pointers into the input;
 * copy only what is kept. */
struct sax_atts {
	const xmlChar **a;
	int n;
};

/* Value of attribute name as a NUL-terminated copy in tmp (or a fresh
 * malloc when it does not fit and heap is given); NULL when absent. */
static const char *att(const struct sax_atts *at, const char *name, char *tmp, size_t tmpsize,
		       char **heap)
{
	int i;

	for (i = 0; i < at->n; i++) {
		const xmlChar **x = at->a + i * 5;
		size_t l;

		if (strcmp((const char *)x[0], name))
			continue;
		l = (size_t)(x[4] - x[3]);
		if (l < tmpsize) {
			memcpy(tmp, x[3], l);
			tmp[l] = '\0';
			return tmp;
		}
		if (!heap)
			return NULL;
		*heap = xstrndup((const char *)x[3], l);
		return *heap;
	}
	return NULL;
}

static int att_present(const struct sax_atts *at, const char *name)
{
	int i;

	for (i = 0; i < at->n; i++)
		if (!strcmp((const char *)at->a[i * 5], name))
			return 1;
	return 0;
}

static int parse_int(const char *v, int *out)
{
	char *end;
	long l;

	if (!v || !*v)
		return -1;
	errno = 0;
	l = strtol(v, &end, 10);
	if (*end || errno || l < INT32_MIN || l > INT32_MAX)
		return -1;
	*out = (int)l;
	return 0;
}

static void sax_root(struct sax_state *st, const char *name, const struct sax_atts *at)
{
	struct pbs_msg *m = st->m;
	char tmp[256], *heap = NULL;
	const char *v;
	int ver;

	if (strcmp(name, "req") && strcmp(name, "reply")) {
		sax_fail(st, PBSE_IVALREQ, "root element <%s> is neither <req> nor <reply>", name);
		return;
	}
	m->is_reply = !strcmp(name, "reply");
	if (parse_int(att(at, "v", tmp, sizeof(tmp), NULL), &ver) < 0) {
		sax_fail(st, PBSE_PROTOCOL, "message without a version%s", NULL);
		return;
	}
	if (ver != PROTO_VERSION) {
		snprintf(tmp, sizeof(tmp), "%d, this peer speaks %d", ver, PROTO_VERSION);
		sax_fail(st, PBSE_PROTOCOL, "protocol version %s", tmp);
		return;
	}
	if (m->is_reply) {
		if (parse_int(att(at, "code", tmp, sizeof(tmp), NULL), &m->code) < 0) {
			sax_fail(st, PBSE_IVALREQ, "reply without a numeric code%s", NULL);
			return;
		}
		if (parse_int(att(at, "aux", tmp, sizeof(tmp), NULL), &m->aux) < 0)
			m->aux = 0;
		if ((v = att(at, "text", tmp, sizeof(tmp), &heap))) {
			free(m->text);
			m->text = heap ? heap : xstrdup(v);
		}
		return;
	}
	v = att(at, "type", tmp, sizeof(tmp), NULL);
	m->type = proto_type_from_name(v);
	if (m->type < 0) {
		m->type = 0;
		sax_fail(st, PBSE_IVALREQ, "unknown request type \"%s\"", v);
		return;
	}
	if ((v = att(at, "id", tmp, sizeof(tmp), &heap))) {
		free(m->id);
		m->id = heap ? heap : xstrdup(v);
	}
}

static void sax_attr_open(struct sax_state *st, const char *elem, const struct sax_atts *at,
			  struct attr_list *l, int is_arg)
{
	char nbuf[512], rbuf[512], obuf[16];
	char *nheap = NULL, *rheap = NULL;
	const char *name = att(at, "name", nbuf, sizeof(nbuf), &nheap), *res = NULL, *op = NULL;
	int opn = BATCH_SET;

	if (!name || !*name) {
		sax_fail(st, PBSE_IVALREQ, "<%s> without a name", elem);
		goto out;
	}
	if (!is_arg) {
		res = att(at, "resource", rbuf, sizeof(rbuf), &rheap);
		/* an op too long for obuf is no op we know either */
		if (att_present(at, "op")) {
			op = att(at, "op", obuf, sizeof(obuf), NULL);
			if (!op || (opn = proto_op_from_name(op)) < 0) {
				sax_fail(st, PBSE_IVALREQ, "unknown op \"%s\"", op ? op : "?");
				goto out;
			}
		}
	}
	st->target = l;
	st->cur = attr_new(name, res, opn);
	attrl_link(l, st->cur);
	buf_reset(&st->text);
out:
	free(nheap);
	free(rheap);
}

static void sax_start(void *ctx, const xmlChar *xname, const xmlChar *prefix, const xmlChar *uri,
		      int nb_ns, const xmlChar **ns, int nb_atts, int nb_def, const xmlChar **atts)
{
	struct sax_state *st = ctx;
	const char *name = (const char *)xname;
	struct pbs_msg *m = st->m;
	struct sax_atts at = { atts, nb_atts };

	(void)prefix;
	(void)uri;
	(void)nb_ns;
	(void)ns;
	(void)nb_def;
	st->depth++;
	if (st->rc)
		return;
	if (st->depth == 1) {
		st->root_seen = 1;
		sax_root(st, name, &at);
	} else if (st->depth == 2) {
		if (!strcmp(name, "obj")) {
			char kbuf[64], nbuf[512], *kh = NULL, *nh = NULL;
			const char *k = att(&at, "kind", kbuf, sizeof(kbuf), &kh);
			const char *n = att(&at, "name", nbuf, sizeof(nbuf), &nh);

			if (!k || !n)
				sax_fail(st, PBSE_IVALREQ, "<obj> needs kind and name%s", NULL);
			else
				st->obj = msg_add_obj(m, k, n);
			free(kh);
			free(nh);
		} else if (!m->is_reply && !strcmp(name, "attr")) {
			sax_attr_open(st, name, &at, &m->attrs, 0);
		} else if (!m->is_reply && !strcmp(name, "arg")) {
			sax_attr_open(st, name, &at, &m->args, 1);
		} else if (!m->is_reply && !strcmp(name, "script") && !m->script) {
			st->in_script = 1;
			buf_reset(&st->text);
		} else {
			sax_fail(st, PBSE_IVALREQ, "unexpected <%s>", name);
		}
	} else if (st->depth == 3 && st->obj && !strcmp(name, "attr")) {
		sax_attr_open(st, name, &at, &st->obj->attrs, 0);
	} else {
		sax_fail(st, PBSE_IVALREQ, "unexpected <%s>", name);
	}
}

static void sax_end(void *ctx, const xmlChar *name, const xmlChar *prefix, const xmlChar *uri)
{
	struct sax_state *st = ctx;

	(void)name;
	(void)prefix;
	(void)uri;
	if (!st->rc) {
		if (st->cur && (st->depth == 2 || st->depth == 3)) {
			st->cur->value = xstrndup(st->text.data ? st->text.data : "", st->text.len);
			st->cur = NULL;
		} else if (st->in_script && st->depth == 2) {
			st->m->script = xstrdup(st->text.data ? st->text.data : "");
			st->in_script = 0;
		} else if (st->depth == 2) {
			st->obj = NULL;
		}
	}
	st->depth--;
}

static void sax_chars(void *ctx, const xmlChar *ch, int len)
{
	struct sax_state *st = ctx;

	if (!st->rc && (st->cur || st->in_script) && len > 0)
		buf_append(&st->text, ch, (size_t)len);
}

static void sax_error(void *ctx, const char *msg, ...)
{
	struct sax_state *st = ctx;
	char tmp[256];
	va_list ap;
	size_t l;

	va_start(ap, msg);
	vsnprintf(tmp, sizeof(tmp), msg, ap);
	va_end(ap);
	l = strlen(tmp);
	if (l && tmp[l - 1] == '\n')
		tmp[l - 1] = '\0';
	sax_fail(st, PBSE_IVALREQ, "malformed XML: %s", tmp);
}

/* A DTD (and with it any entity) can only come before the root element. */
static int prolog_has_dtd(const char *body, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i++) {
		if (body[i] != '<')
			continue;
		if (body[i + 1] == '!')
			return 1;   /* <!DOCTYPE, or a comment: neither is ours */
		if (body[i + 1] != '?')
			return 0;   /* the root element */
	}
	return 0;
}

int proto_decode(const char *body, size_t len, struct pbs_msg *m, char *err, size_t errlen)
{
	struct sax_state st;
	xmlSAXHandler h;
	int rc;

	msg_init(m);
	memset(&st, 0, sizeof(st));
	st.m = m;
	st.err = err;
	st.errlen = errlen;
	buf_init(&st.text);
	err[0] = '\0';
	xml_init();
	if (len > INT32_MAX) {
		snprintf(err, errlen, "document too large");
		return PBSE_IVALREQ;
	}
	if (prolog_has_dtd(body, len)) {
		snprintf(err, errlen, "DTDs and entities are not accepted");
		return PBSE_IVALREQ;
	}
	memset(&h, 0, sizeof(h));
	h.initialized = XML_SAX2_MAGIC;
	h.startElementNs = sax_start;
	h.endElementNs = sax_end;
	h.characters = sax_chars;
	h.cdataBlock = sax_chars;
	h.error = sax_error;
	h.fatalError = sax_error;
	rc = xmlSAXUserParseMemory(&h, &st, body, (int)len);
	if (!st.rc && (rc || !st.root_seen))
		sax_fail(&st, PBSE_IVALREQ, "malformed XML%s", rc ? "" : ": empty document");
	buf_free(&st.text);
	rc = st.rc;
	if (rc) {
		int t = m->type;

		msg_free(m);
		msg_init(m);
		m->type = t;   /* lets the receiver name the request in its log */
	}
	return rc;
}

/* --- keys and MAC ---------------------------------------------------------------- */

int proto_key_load(struct proto_key *k, const char *path, char *err, size_t errlen)
{
	k->key = NULL;
	k->len = 0;
	return key_load(path, &k->key, &k->len, err, errlen);
}

void proto_key_free(struct proto_key *k)
{
	if (k->key) {
		OPENSSL_cleanse(k->key, k->len);
		free(k->key);
	}
	k->key = NULL;
	k->len = 0;
}

/* HMAC-SHA256 over the 4 length bytes then the body. 0 or -1. */
static int frame_mac(const struct proto_key *key, const unsigned char hdr[PROTO_HDR_LEN],
		     const char *body, size_t len, unsigned char out[PROTO_MAC_LEN])
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = NULL;
	OSSL_PARAM params[2];
	size_t outl = 0;
	int rc = -1;

	if (!mac)
		goto out;
	ctx = EVP_MAC_CTX_new(mac);
	if (!ctx)
		goto out;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (!EVP_MAC_init(ctx, key->key, key->len, params) ||
	    !EVP_MAC_update(ctx, hdr, PROTO_HDR_LEN) ||
	    !EVP_MAC_update(ctx, (const unsigned char *)body, len) ||
	    !EVP_MAC_final(ctx, out, &outl, PROTO_MAC_LEN) || outl != PROTO_MAC_LEN)
		goto out;
	rc = 0;
out:
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return rc;
}

static int has_key(const struct proto_key *key)
{
	return key && key->key && key->len;
}

void proto_frame_body(struct buf *out, const char *body, size_t len, const struct proto_key *key)
{
	unsigned char hdr[PROTO_HDR_LEN], mac[PROTO_MAC_LEN];
	uint32_t n = htonl((uint32_t)len);

	memcpy(hdr, &n, sizeof(hdr));
	buf_append(out, hdr, sizeof(hdr));
	if (has_key(key)) {
		if (frame_mac(key, hdr, body, len, mac) < 0)
			memset(mac, 0, sizeof(mac));   /* the peer will refuse it */
		buf_append(out, mac, sizeof(mac));
	}
	buf_append(out, body, len);
}

void proto_frame_msg(struct buf *out, const struct pbs_msg *m, const struct proto_key *key)
{
	struct buf body;

	buf_init(&body);
	proto_encode(m, &body);
	proto_frame_body(out, body.data, body.len, key);
	buf_free(&body);
}

/* --- the one decoder of frames ------------------------------------------------------ */

void proto_reader_init(struct proto_reader *r, const struct proto_key *key)
{
	buf_init(&r->in);
	r->key = key;
}

void proto_reader_free(struct proto_reader *r)
{
	buf_free(&r->in);
}

int proto_reader_next(struct proto_reader *r, int eof, struct pbs_msg *m, int *pbse,
		      char *err, size_t errlen)
{
	size_t maclen = has_key(r->key) ? PROTO_MAC_LEN : 0, total;
	unsigned char mac[PROTO_MAC_LEN];
	uint32_t n;
	int rc;

	*pbse = 0;
	if (r->in.len < PROTO_HDR_LEN) {
		if (eof && r->in.len) {
			*pbse = PBSE_PREMATURE_EOF;
			snprintf(err, errlen, "connection closed inside a frame header");
			msg_init(m);
			return PROTO_FATAL;
		}
		return PROTO_MORE;
	}
	memcpy(&n, r->in.data, sizeof(n));
	n = ntohl(n);
	if (n > PROTO_MAX_BODY) {
		*pbse = PBSE_PROTOCOL;
		snprintf(err, errlen, "message of %u bytes exceeds the limit of %u", n,
			 PROTO_MAX_BODY);
		msg_init(m);
		return PROTO_FATAL;
	}
	total = PROTO_HDR_LEN + maclen + n;
	if (r->in.len < total) {
		if (eof) {
			*pbse = PBSE_PREMATURE_EOF;
			snprintf(err, errlen, "connection closed after %zu of %zu bytes of a frame",
				 r->in.len, total);
			msg_init(m);
			return PROTO_FATAL;
		}
		return PROTO_MORE;
	}
	if (maclen) {
		if (frame_mac(r->key, (const unsigned char *)r->in.data,
			      r->in.data + PROTO_HDR_LEN + maclen, n, mac) < 0 ||
		    CRYPTO_memcmp(mac, r->in.data + PROTO_HDR_LEN, maclen)) {
			*pbse = PBSE_BADCRED;
			snprintf(err, errlen, "message authentication failed");
			msg_init(m);
			return PROTO_FATAL;
		}
	}
	rc = proto_decode(r->in.data + PROTO_HDR_LEN + maclen, n, m, err, errlen);
	buf_consume(&r->in, total);
	if (rc) {
		*pbse = rc;
		return PROTO_BAD;
	}
	return PROTO_MSG;
}

/* --- blocking I/O --------------------------------------------------------------------- */

int proto_send(int fd, const struct pbs_msg *m, const struct proto_key *key)
{
	struct buf b;
	int rc = 0;

	buf_init(&b);
	proto_frame_msg(&b, m, key);
	if (write_full(fd, b.data, b.len) < 0)
		rc = PBSE_SOCKET_WRITE;
	buf_free(&b);
	return rc;
}

int proto_recv(int fd, struct pbs_msg *m, const struct proto_key *key, int timeout_ms,
	       char *err, size_t errlen)
{
	struct proto_reader r;
	long long deadline = timeout_ms >= 0 ? now_ms() + timeout_ms : -1;
	char tmp[65536];
	int rc, pbse, eof = 0;

	proto_reader_init(&r, key);
	msg_init(m);
	for (;;) {
		struct pbs_msg one;

		rc = proto_reader_next(&r, eof, &one, &pbse, err, errlen);
		if (rc == PROTO_MSG) {
			msg_free(m);
			*m = one;
			rc = 0;
			break;
		}
		if (rc != PROTO_MORE) {
			msg_free(&one);
			rc = pbse;
			break;
		}
		if (eof) {
			snprintf(err, errlen, "connection closed by peer");
			rc = PBSE_SOCKET_CLOSE;
			break;
		}
		if (deadline >= 0) {
			struct pollfd p = { .fd = fd, .events = POLLIN };
			long long left = deadline - now_ms();
			int pr;

			if (left < 0)
				left = 0;
			pr = poll(&p, 1, (int)left);
			if (pr < 0 && errno == EINTR)
				continue;
			if (pr == 0) {
				snprintf(err, errlen, "no answer within %d ms", timeout_ms);
				rc = PBSE_TIMEOUT;
				break;
			}
		}
		/* Read only what the current frame still needs, so bytes of a
		 * following frame stay in the socket for the next call. */
		size_t want = sizeof(tmp);
		if (r.in.len >= PROTO_HDR_LEN) {
			uint32_t n;
			size_t total;

			memcpy(&n, r.in.data, sizeof(n));
			total = PROTO_HDR_LEN + (has_key(key) ? PROTO_MAC_LEN : 0) + ntohl(n);
			if (total > r.in.len && total - r.in.len < want)
				want = total - r.in.len;
		} else {
			want = PROTO_HDR_LEN - r.in.len;
		}
		ssize_t got = read(fd, tmp, want);

		if (got < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (got < 0) {
			snprintf(err, errlen, "read: %s", strerror(errno));
			rc = PBSE_SOCKET_READ;
			break;
		}
		if (got == 0)
			eof = 1;
		else
			buf_append(&r.in, tmp, (size_t)got);
	}
	proto_reader_free(&r);
	if (rc) {
		msg_free(m);
		msg_init(m);   /* callers may still look at text */
	}
	return rc;
}

int proto_call(int fd, const struct pbs_msg *req, struct pbs_msg *reply,
	       const struct proto_key *key, int timeout_ms, char *err, size_t errlen)
{
	int rc = proto_send(fd, req, key);

	if (rc) {
		snprintf(err, errlen, "cannot send %s: %s", proto_type_name(req->type),
			 strerror(errno));
		msg_init(reply);
		return rc;
	}
	rc = proto_recv(fd, reply, key, timeout_ms, err, errlen);
	if (!rc && !reply->is_reply) {
		snprintf(err, errlen, "peer answered with a request, not a reply");
		msg_free(reply);
		msg_init(reply);
		rc = PBSE_PROTOCOL;
	}
	return rc;
}

/* --- sockets --------------------------------------------------------------------------- */

static int unix_addr(struct sockaddr_un *sa, const char *path)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sa->sun_path, path);
	return 0;
}

int proto_unix_connect(const char *path)
{
	struct sockaddr_un sa;
	int fd;

	if (unix_addr(&sa, path) < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int proto_unix_listen(const char *path, int mode)
{
	struct sockaddr_un sa;
	int fd, e;

	if (unix_addr(&sa, path) < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(path, (mode_t)mode) < 0 ||
	    listen(fd, 128) < 0) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int proto_tcp_connect(const char *host, int port, int timeout_ms)
{
	struct addrinfo hints, *res = NULL, *ai;
	char portstr[16];
	int fd = -1, e = ECONNREFUSED;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(portstr, sizeof(portstr), "%d", port);
	if (getaddrinfo(host, portstr, &hints, &res) != 0) {
		errno = EHOSTUNREACH;
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		struct pollfd p;
		int flags, soerr = 0;
		socklen_t sl = sizeof(soerr);

		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			e = errno;
			continue;
		}
		flags = fcntl(fd, F_GETFL);
		fcntl(fd, F_SETFL, flags | O_NONBLOCK);
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
			if (errno != EINPROGRESS) {
				e = errno;
				goto next;
			}
			p.fd = fd;
			p.events = POLLOUT;
			if (poll(&p, 1, timeout_ms) <= 0) {
				e = ETIMEDOUT;
				goto next;
			}
			if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0 || soerr) {
				e = soerr ? soerr : errno;
				goto next;
			}
		}
		fcntl(fd, F_SETFL, flags);
		freeaddrinfo(res);
		return fd;
next:
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	errno = e;
	return -1;
}

int proto_tcp_listen(int port)
{
	struct sockaddr_in6 sa6;
	struct sockaddr_in sa4;
	int fd, one = 1, zero = 0, e;

	fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
		memset(&sa6, 0, sizeof(sa6));
		sa6.sin6_family = AF_INET6;
		sa6.sin6_addr = in6addr_any;
		sa6.sin6_port = htons((uint16_t)port);
		if (bind(fd, (struct sockaddr *)&sa6, sizeof(sa6)) == 0 && listen(fd, 128) == 0)
			return fd;
		close(fd);
	}
	/* No IPv6 in this namespace: IPv4 only. */
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa4, 0, sizeof(sa4));
	sa4.sin_family = AF_INET;
	sa4.sin_addr.s_addr = htonl(INADDR_ANY);
	sa4.sin_port = htons((uint16_t)port);
	if (bind(fd, (struct sockaddr *)&sa4, sizeof(sa4)) < 0 || listen(fd, 128) < 0) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

const char *proto_default_socket(void)
{
	const char *s = getenv("PBS_SERVER_SOCKET");

	return s && *s ? s : CKMIG_SERVER_HOME_DEFAULT "/server.sock";
}
