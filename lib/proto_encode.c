/* Message -> XML body (lib/protocol.h, "BODY"). */
#include "lib/protocol.h"
#include "lib/xml_util.h"

#include <string.h>

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
	if (m->blob) {
		buf_append(out, "", 1);
		buf_append(out, m->blob, m->blob_len);
	}
}

