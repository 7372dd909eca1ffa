/* Shared between the protocol's own files only (lib/proto_*.c). */
#ifndef CKMIG_LIB_PROTO_INTERNAL_H
#define CKMIG_LIB_PROTO_INTERNAL_H

#include "lib/protocol.h"

/* An entry whose name and resource share its allocation; value NULL (the
 * decoder fills it in). */
struct pbs_attr *attr_new(const char *name, const char *resource, int op);
void attrl_link(struct attr_list *l, struct pbs_attr *a);

#endif
