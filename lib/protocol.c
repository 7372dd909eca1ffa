#include "lib/protocol.h"
#include "lib/pbs_error.h"
#include "lib/xml_util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
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
	free(a->name);
	free(a->resource);
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

struct pbs_attr *attrl_add(struct attr_list *l, const char *name, const char *resource,
			   const char *value, int op)
{
	struct pbs_attr *a = xcalloc(1, sizeof(*a));

	a->name = xstrdup(name ? name : "");
	a->resource = resource && *resource ? xstrdup(resource) : NULL;
	a->value = xstrdup(value ? value : "");
	a->op = op;
	if (l->tail)
		l->tail->next = a;
	else
		l->head = a;
	l->tail = a;
	l->count++;
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
	msg_init(m);
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

	for (a = l->head; a; a = a->next) {
		buf_printf(b, "<%s name=\"", elem);
		xml_escape(b, a->name);
		if (a->resource && *a->resource) {
			buf_puts(b, "\" resource=\"");
			xml_escape(b, a->resource);
		}
		if (with_op && a->op != BATCH_SET) {
			buf_puts(b, "\" op=\"");
			buf_puts(b, proto_op_name(a->op));
		}
		buf_puts(b, "\">");
		xml_escape(b, a->value);
		buf_printf(b, "</%s>", elem);
	}
}

static void enc_objs(struct buf *b, const struct pbs_obj *o)
{
	for (; o; o = o->next) {
		buf_puts(b, "<obj kind=\"");
		xml_escape(b, o->kind);
		buf_puts(b, "\" name=\"");
		xml_escape(b, o->name);
		buf_puts(b, "\">");
		enc_attrs(b, &o->attrs, "attr", 0);
		buf_puts(b, "</obj>\n");
	}
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

/* --- decoding ----------------------------------------------------------------- */

static int dec_int(xmlNodePtr n, const char *name, int *out)
{
	char *v = xml_prop(n, name), *end;
	long l;
	int rc = -1;

	if (!v)
		return -1;
	errno = 0;
	l = strtol(v, &end, 10);
	if (*v && !*end && !errno && l >= INT32_MIN && l <= INT32_MAX) {
		*out = (int)l;
		rc = 0;
	}
	free(v);
	return rc;
}

/* <attr>/<arg> element into l. */
static int dec_attr(xmlNodePtr n, struct attr_list *l, int is_arg, char *err, size_t errlen)
{
	char *name = xml_prop(n, "name"), *res = NULL, *op = NULL, *val = NULL;
	int opn = BATCH_SET, rc = PBSE_IVALREQ;

	if (!name || !*name) {
		snprintf(err, errlen, "<%s> without a name", n->name);
		goto out;
	}
	if (!is_arg) {
		res = xml_prop(n, "resource");
		op = xml_prop(n, "op");
		if (op && (opn = proto_op_from_name(op)) < 0) {
			snprintf(err, errlen, "unknown op \"%s\" on attribute %s", op, name);
			goto out;
		}
	}
	val = xml_text(n);
	attrl_add(l, name, res, val, opn);
	rc = 0;
out:
	free(name);
	free(res);
	free(op);
	free(val);
	return rc;
}

static int dec_obj(xmlNodePtr n, struct pbs_msg *m, char *err, size_t errlen)
{
	char *kind = xml_prop(n, "kind"), *name = xml_prop(n, "name");
	struct pbs_obj *o;
	xmlNodePtr c;
	int rc = PBSE_IVALREQ;

	if (!kind || !name) {
		snprintf(err, errlen, "<obj> needs kind and name");
		goto out;
	}
	o = msg_add_obj(m, kind, name);
	for (c = xml_child(n, NULL); c; c = xml_next(c, NULL)) {
		if (strcmp((const char *)c->name, "attr")) {
			snprintf(err, errlen, "unexpected <%s> in <obj>", c->name);
			goto out;
		}
		if ((rc = dec_attr(c, &o->attrs, 0, err, errlen)))
			goto out;
	}
	rc = 0;
out:
	free(kind);
	free(name);
	return rc;
}

int proto_decode(const char *body, size_t len, struct pbs_msg *m, char *err, size_t errlen)
{
	xmlDocPtr doc = NULL;
	xmlNodePtr root, c;
	char *s = NULL;
	int rc = PBSE_IVALREQ, v;

	msg_init(m);
	doc = xml_parse(body, len, err, errlen);
	if (!doc)
		goto out;
	root = xmlDocGetRootElement(doc);
	if (strcmp((const char *)root->name, "req") && strcmp((const char *)root->name, "reply")) {
		snprintf(err, errlen, "root element <%s> is neither <req> nor <reply>", root->name);
		goto out;
	}
	m->is_reply = !strcmp((const char *)root->name, "reply");
	if (dec_int(root, "v", &v) < 0) {
		snprintf(err, errlen, "message without a version");
		rc = PBSE_PROTOCOL;
		goto out;
	}
	if (v != PROTO_VERSION) {
		snprintf(err, errlen, "protocol version %d, this peer speaks %d", v, PROTO_VERSION);
		rc = PBSE_PROTOCOL;
		goto out;
	}
	if (m->is_reply) {
		if (dec_int(root, "code", &m->code) < 0) {
			snprintf(err, errlen, "reply without a numeric code");
			goto out;
		}
		if (dec_int(root, "aux", &m->aux) < 0)
			m->aux = 0;
		s = xml_prop(root, "text");
		if (s) {
			free(m->text);
			m->text = s;
			s = NULL;
		}
	} else {
		s = xml_prop(root, "type");
		m->type = proto_type_from_name(s);
		if (m->type < 0) {
			snprintf(err, errlen, "unknown request type \"%s\"", s ? s : "");
			m->type = 0;
			goto out;
		}
		free(s);
		s = xml_prop(root, "id");
		free(m->id);
		m->id = s ? s : xstrdup("");
		s = NULL;
	}
	for (c = xml_child(root, NULL); c; c = xml_next(c, NULL)) {
		const char *en = (const char *)c->name;
		int r;

		if (!strcmp(en, "obj"))
			r = dec_obj(c, m, err, errlen);
		else if (!m->is_reply && !strcmp(en, "attr"))
			r = dec_attr(c, &m->attrs, 0, err, errlen);
		else if (!m->is_reply && !strcmp(en, "arg"))
			r = dec_attr(c, &m->args, 1, err, errlen);
		else if (!m->is_reply && !strcmp(en, "script") && !m->script) {
			m->script = xml_text(c);
			r = 0;
		} else {
			snprintf(err, errlen, "unexpected <%s> in <%s>", en, root->name);
			r = PBSE_IVALREQ;
		}
		if (r)
			goto out;
	}
	rc = 0;
out:
	free(s);
	if (doc)
		xmlFreeDoc(doc);
	if (rc) {
		int t = m->type;

		msg_free(m);
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
	if (rc)
		msg_free(m);
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
