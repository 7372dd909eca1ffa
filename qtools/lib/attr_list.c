/* Building and reading attrl/attropl lists: every command and the Tcl
 * package assemble requests from these. */
#include "qtools/lib/pbs_ifl.h"
#include "lib/util.h"

#include <stdlib.h>
#include <string.h>

void ifl_attrl_add(struct attrl **list, const char *name, const char *resource, const char *value)
{
	struct attrl *a = xcalloc(1, sizeof(*a)), **tail;

	a->name = xstrdup(name);
	a->resource = (resource && *resource) ? xstrdup(resource) : NULL;
	a->value = xstrdup(value ? value : "");
	a->op = SET;
	for (tail = list; *tail; tail = &(*tail)->next)
		;
	*tail = a;
}

void ifl_attropl_add(struct attropl **list, const char *name, const char *resource,
		 const char *value, enum batch_op op)
{
	struct attropl *a = xcalloc(1, sizeof(*a)), **tail;

	a->name = xstrdup(name);
	a->resource = (resource && *resource) ? xstrdup(resource) : NULL;
	a->value = xstrdup(value ? value : "");
	a->op = op;
	for (tail = list; *tail; tail = &(*tail)->next)
		;
	*tail = a;
}

void ifl_attrl_free(struct attrl *list)
{
	while (list) {
		struct attrl *next = list->next;

		free(list->name);
		free(list->resource);
		free(list->value);
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
