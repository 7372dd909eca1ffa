/* Building and reading attrl/attropl lists: every command and the Tcl
 * package assemble requests from these. */
#include "qtools/lib/pbs_ifl.h"
#include "lib/util.h"

#include <stdlib.h>
#include <string.h>

struct attrl *ifl_attrl_node(const char *name, const char *resource)
{
	size_t nl = strlen(name ? name : ""), rl = (resource && *resource) ? strlen(resource) : 0;
	struct attrl *a = xmalloc(sizeof(*a) + nl + 1 + (rl ? rl + 1 : 0));
	char *p = (char *)(a + 1);

	a->next = NULL;
	a->name = p;
	memcpy(p, name ? name : "", nl + 1);
	a->resource = rl ? memcpy(p + nl + 1, resource, rl + 1) : NULL;
	a->value = NULL;
	a->op = SET;
	return a;
}

void ifl_attrl_add(struct attrl **list, const char *name, const char *resource, const char *value)
{
	struct attrl *a = ifl_attrl_node(name, resource), **tail;

	a->value = xstrdup(value ? value : "");
	for (tail = list; *tail; tail = &(*tail)->next)
		;
	*tail = a;
}

void ifl_attropl_add(struct attropl **list, const char *name, const char *resource,
		     const char *value, enum batch_op op)
{
	struct attrl *a = ifl_attrl_node(name, resource);
	struct attropl **tail;

	a->value = xstrdup(value ? value : "");
	a->op = op;
	for (tail = list; *tail; tail = &(*tail)->next)
		;
	*tail = (struct attropl *)a;
}

void ifl_attrl_free(struct attrl *list)
{
	while (list) {
		struct attrl *next = list->next;

		free(list->value);   /* name and resource live in the node */
		free(list);
		list = next;
	}
}

void ifl_attropl_free(struct attropl *list)
{
	ifl_attrl_free((struct attrl *)list);
}

const char *ifl_attrl_get(const struct attrl *list, const char *name, const char *resource)
{
	for (; list; list = list->next) {
		if (strcmp(list->name, name) != 0)
			continue;
		if (resource == NULL ? list->resource == NULL
				     : (list->resource && strcmp(list->resource, resource) == 0))
			return list->value;
	}
	return NULL;
}

void pbs_statfree(struct batch_status *bs)
{
	while (bs) {
		struct batch_status *next = bs->next;

		free(bs->name);
		free(bs->text);
		ifl_attrl_free(bs->attribs);
		free(bs);
		bs = next;
	}
}
