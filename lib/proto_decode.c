/* XML body -> message: the one decoder (lib/protocol.h, "BODY").
 *
 * proto_decode() is a pure function of a byte buffer: no socket, no key,
 * no global state beyond libxml2's one-time initialisation. A fuzz target
 * calls it directly:
 *     struct pbs_msg m; char err[256];
 *     proto_decode((const char *)data, size, &m, err, sizeof(err));
 *     msg_free(&m);
 * The framing around it (length, MAC, session) is proto_reader_next() in
 * proto_frame.c, equally callable on a buffer: see its comment there. */
#include "lib/protocol.h"
#include "lib/pbs_error.h"
#include "lib/proto_internal.h"
#include "lib/xml_util.h"

#include <libxml/parser.h>
#include <libxml/SAX.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	const struct proto_obj_sink *sink;
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

/* Without entity substitution (no XML_PARSE_NOENT: we take no DTD),
 * libxml2 hands an attribute's '&' (from &amp; or &#38;) to SAX2 as the
 * text "&#38;", and nothing else escaped: turn it back, in place. */
static const char *amp_unescape(char *s)
{
	char *r = strstr(s, "&#38;"), *w = r;

	while (r && *r) {
		if (!strncmp(r, "&#38;", 5)) {
			*w++ = '&';
			r += 5;
		} else {
			*w++ = *r++;
		}
	}
	if (w)
		*w = '\0';
	return s;
}

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
			return amp_unescape(tmp);
		}
		if (!heap)
			return NULL;
		*heap = xstrndup((const char *)x[3], l);
		return amp_unescape(*heap);
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
		} else if (st->depth == 2 && st->obj) {
			/* with a sink every earlier object is gone: this one is
			 * the message's only one */
			if (st->sink) {
				st->m->objs = st->m->objs_tail = NULL;
				st->m->nobjs = 0;
				st->sink->fn(st->obj, st->sink->arg);
			}
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
	return proto_decode_each(body, len, m, NULL, err, errlen);
}

int proto_decode_each(const char *body, size_t len, struct pbs_msg *m,
		      const struct proto_obj_sink *sink, char *err, size_t errlen)
{
	struct sax_state st;
	xmlSAXHandler h;
	const char *nul = memchr(body, '\0', len);
	size_t xlen = nul ? (size_t)(nul - body) : len;
	int rc;

	msg_init(m);
	memset(&st, 0, sizeof(st));
	st.m = m;
	st.sink = sink;
	st.err = err;
	st.errlen = errlen;
	buf_init(&st.text);
	err[0] = '\0';
	xml_init();
	if (len > INT32_MAX) {
		snprintf(err, errlen, "document too large");
		return PBSE_IVALREQ;
	}
	/* the XML ends at the first NUL; the rest is the request's blob */
	if (nul && !m->blob)
		msg_set_blob(m, nul + 1, len - xlen - 1);
	len = xlen;
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

