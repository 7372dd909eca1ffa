#include "lib/xml_util.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <libxml/parser.h>
#include <libxml/xmlerror.h>

/* libxml2 prints parse errors to stderr unless told otherwise. */
static void xml_quiet(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

void xml_init(void)
{
	static int done;

	if (done)
		return;
	done = 1;
	xmlInitParser();
	xmlSetGenericErrorFunc(NULL, xml_quiet);
}

xmlDocPtr xml_parse(const char *data, size_t len, char *err, size_t errlen)
{
	xmlDocPtr doc = NULL;
	const xmlError *xe;

	xml_init();
	if (len > INT32_MAX) {
		snprintf(err, errlen, "document too large");
		return NULL;
	}
	if (memmem(data, len, "<!DOCTYPE", 9) || memmem(data, len, "<!ENTITY", 8)) {
		snprintf(err, errlen, "DTDs and entities are not accepted");
		return NULL;
	}
	doc = xmlReadMemory(data, (int)len, NULL, "UTF-8",
			    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
			    XML_PARSE_NOCDATA);
	if (!doc) {
		xe = xmlGetLastError();
		snprintf(err, errlen, "malformed XML%s%s", xe && xe->message ? ": " : "",
			 xe && xe->message ? xe->message : "");
		/* libxml2's messages end in a newline */
		len = strlen(err);
		if (len && err[len - 1] == '\n')
			err[len - 1] = '\0';
		return NULL;
	}
	if (!xmlDocGetRootElement(doc)) {
		snprintf(err, errlen, "empty XML document");
		xmlFreeDoc(doc);
		return NULL;
	}
	return doc;
}

xmlDocPtr xml_parse_file(const char *path, size_t max, char *err, size_t errlen)
{
	char *data = NULL;
	size_t len = 0;
	xmlDocPtr doc;

	if (read_file(path, max, &data, &len) < 0) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		return NULL;
	}
	doc = xml_parse(data, len, err, errlen);
	free(data);
	return doc;
}

xmlNodePtr xml_child(xmlNodePtr parent, const char *name)
{
	xmlNodePtr n;

	for (n = parent ? parent->children : NULL; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE &&
		    (!name || !strcmp((const char *)n->name, name)))
			return n;
	return NULL;
}

xmlNodePtr xml_next(xmlNodePtr node, const char *name)
{
	xmlNodePtr n;

	for (n = node ? node->next : NULL; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE &&
		    (!name || !strcmp((const char *)n->name, name)))
			return n;
	return NULL;
}

char *xml_prop(xmlNodePtr node, const char *name)
{
	xmlChar *v = xmlGetProp(node, (const xmlChar *)name);
	char *s;

	if (!v)
		return NULL;
	s = xstrdup((const char *)v);
	xmlFree(v);
	return s;
}

char *xml_text(xmlNodePtr node)
{
	xmlChar *v = xmlNodeGetContent(node);
	char *s;

	if (!v)
		return xstrdup("");
	s = xstrdup((const char *)v);
	xmlFree(v);
	return s;
}

/* Length of a valid UTF-8 sequence at p that XML may carry, or 0. */
static size_t utf8_ok(const unsigned char *p)
{
	unsigned c = p[0];
	size_t n, i;
	uint32_t cp;

	if (c < 0x80)
		return (c >= 0x20 || c == '\t' || c == '\n' || c == '\r') ? 1 : 0;
	if ((c & 0xe0) == 0xc0) {
		n = 2;
		cp = c & 0x1f;
	} else if ((c & 0xf0) == 0xe0) {
		n = 3;
		cp = c & 0x0f;
	} else if ((c & 0xf8) == 0xf0) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe || cp == 0xffff)
		return 0;
	return n;
}

/* 1 for bytes written as they are (printable ASCII but < > & " '). */
static const unsigned char plain[256] = {
	['\t'] = 0, [' '] = 1, ['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['('] = 1,
	[')'] = 1, ['*'] = 1, ['+'] = 1, [','] = 1, ['-'] = 1, ['.'] = 1, ['/'] = 1,
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1,
	['7'] = 1, ['8'] = 1, ['9'] = 1, [':'] = 1, [';'] = 1, ['='] = 1, ['?'] = 1,
	['@'] = 1, ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1,
	['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1,
	['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1,
	['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1, ['['] = 1,
	['\\'] = 1, [']'] = 1, ['^'] = 1, ['_'] = 1, ['`'] = 1, ['a'] = 1, ['b'] = 1,
	['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1,
	['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1,
	['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1,
	['x'] = 1, ['y'] = 1, ['z'] = 1, ['{'] = 1, ['|'] = 1, ['}'] = 1, ['~'] = 1,
};

void xml_escape(struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char *run = p;

	if (!s)
		return;
	while (*p) {
		const char *rep = NULL;
		size_t n = 1;

		if (plain[*p]) {
			p++;
			continue;
		}
		switch (*p) {
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '&': rep = "&amp;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&apos;"; break;
		/* keep newlines and tabs in attribute values */
		case '\n': rep = "&#10;"; break;
		case '\r': rep = "&#13;"; break;
		case '\t': rep = "&#9;"; break;
		default:
			n = utf8_ok(p);
			if (!n) {
				rep = "?";
				n = 1;
			}
		}
		if (rep) {
			buf_append(b, run, (size_t)(p - run));
			buf_puts(b, rep);
			p += n;
			run = p;
		} else {
			p += n;
		}
	}
	buf_append(b, run, (size_t)(p - run));
}

void xml_serialize(xmlDocPtr doc, struct buf *b)
{
	xmlChar *mem = NULL;
	int size = 0;

	xmlDocDumpFormatMemoryEnc(doc, &mem, &size, "UTF-8", 1);
	if (mem)
		buf_append(b, mem, (size_t)size);
	xmlFree(mem);
}
