/* Small helpers over libxml2 shared by the protocol, the job store and
 * every XML file ckmig writes: a hardened parser (no network, no DTDs, no
 * entity expansion), lookups, and an escaper for hand-written output. */
#ifndef CKMIG_LIB_XML_UTIL_H
#define CKMIG_LIB_XML_UTIL_H

#include <stddef.h>
#include <libxml/tree.h>

#include "lib/util.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Parse len bytes. Documents with a DOCTYPE are refused (entity bombs).
 * Returns the document, or NULL with a reason in err. */
xmlDocPtr xml_parse(const char *data, size_t len, char *err, size_t errlen);
/* Parse a file of at most max bytes the same way. */
xmlDocPtr xml_parse_file(const char *path, size_t max, char *err, size_t errlen);

/* First element child of parent called name (NULL name: any element). */
xmlNodePtr xml_child(xmlNodePtr parent, const char *name);
/* Next element sibling after node with that name (NULL: any element). */
xmlNodePtr xml_next(xmlNodePtr node, const char *name);
/* Attribute value as a malloc'd string, or NULL. */
char *xml_prop(xmlNodePtr node, const char *name);
/* Text content as a malloc'd string (never NULL). */
char *xml_text(xmlNodePtr node);

/* Append s to b escaped for XML text or attribute values. Characters XML
 * cannot carry (control bytes, invalid UTF-8) become '?', so any string
 * the daemons hold can be written and read back. */
void xml_escape(struct buf *b, const char *s);

/* Serialize doc into b (UTF-8, with declaration). */
void xml_serialize(xmlDocPtr doc, struct buf *b);

/* Call once per process before threads or forks (idempotent). */
void xml_init(void);

#ifdef __cplusplus
}
#endif
#endif
