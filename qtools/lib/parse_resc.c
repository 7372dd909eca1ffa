/* Resource lists as qsub -l and qalter -l take them (Torque's parse_resc):
 * "name[=value][,name[=value]]...". Values of the resources every site
 * uses are checked (lib/resc_value.c, the server checks the same way) so
 * a typo is refused before it reaches the server. */
#include "qtools/lib/cmds.h"
#include "lib/resc_value.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int is_name_char(int c)
{
	return isalnum(c) || c == '-' || c == '_' || c == '.';
}

/* the same name twice in one -l: Torque lets the last win silently */
static int seen_before(const struct attropl *got, const char *name)
{
	for (; got; got = got->next)
		if (got->resource && strcmp(got->resource, name) == 0)
			return 1;
	return 0;
}

int parse_resource_list(const char *spec, struct attropl **list, char *err, size_t errlen)
{
	const char *p = spec;
	struct buf name, value;
	struct attropl *got = NULL, **tail;
	int rc = -1;

	buf_init(&name);
	buf_init(&value);
	if (spec == NULL || *spec == '\0') {
		snprintf(err, errlen, "empty resource list");
		goto out;
	}
	while (*p) {
		buf_reset(&name);
		buf_reset(&value);
		while (isspace((unsigned char)*p))
			p++;
		while (*p && *p != '=' && *p != ',' && !isspace((unsigned char)*p))
			buf_append(&name, p++, 1);
		while (isspace((unsigned char)*p))
			p++;
		if (name.len == 0) {
			snprintf(err, errlen, "missing resource name");
			goto out;
		}
		for (const char *c = name.data; *c; c++) {
			if (!is_name_char((unsigned char)*c)) {
				snprintf(err, errlen, "illegal resource name: %s", name.data);
				goto out;
			}
		}
		if (*p == '=') {
			p++;
			while (isspace((unsigned char)*p))
				p++;
			if (*p == '"' || *p == '\'') {
				char q = *p++;

				while (*p && *p != q)
					buf_append(&value, p++, 1);
				if (*p != q) {
					snprintf(err, errlen, "unmatched %c in resource list", q);
					goto out;
				}
				p++;
			} else {
				while (*p && *p != ',')
					buf_append(&value, p++, 1);
				while (value.len && isspace((unsigned char)value.data[value.len - 1]))
					value.data[--value.len] = '\0';
			}
			if (value.len == 0) {
				snprintf(err, errlen, "missing value for resource %s", name.data);
				goto out;
			}
			if (resc_value_check(name.data, value.data, err, errlen) < 0)
				goto out;
		}
		while (isspace((unsigned char)*p))
			p++;
		if (*p == ',') {
			p++;
			if (*p == '\0') {
				snprintf(err, errlen, "trailing comma in resource list");
				goto out;
			}
		} else if (*p) {
			snprintf(err, errlen, "illegal resource list syntax near '%s'", p);
			goto out;
		}
		if (seen_before(got, name.data)) {
			snprintf(err, errlen, "resource %s given twice", name.data);
			goto out;
		}
		ifl_attropl_add(&got, ATTR_l, name.data, value.len ? value.data : "", SET);
	}
	for (tail = list; *tail; tail = &(*tail)->next)
		;
	*tail = got;
	got = NULL;
	rc = 0;
out:
	ifl_attropl_free(got);
	buf_free(&name);
	buf_free(&value);
	return rc;
}
