/* "name=value,name=value" lists: qsub/qalter -W attributes and -v
 * variables (Torque's parse_equal_string and qsub's -v handling). */
#include "qtools/lib/cmds.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reads one "name[=value]" item at *pp into name/value (value quoted or
 * up to the next comma); advances past the comma. 1 got one, 0 at end,
 * -1 malformed. */
static int next_item(const char **pp, struct buf *name, struct buf *value, int *has_value)
{
	const char *p = *pp;

	buf_reset(name);
	buf_reset(value);
	buf_append(name, "", 0);
	buf_append(value, "", 0);
	*has_value = 0;
	while (isspace((unsigned char)*p))
		p++;
	if (*p == '\0')
		return 0;
	while (*p && *p != '=' && *p != ',' && !isspace((unsigned char)*p))
		buf_append(name, p++, 1);
	while (isspace((unsigned char)*p))
		p++;
	if (name->len == 0)
		return -1;
	if (*p == '=') {
		*has_value = 1;
		p++;
		if (*p == '"' || *p == '\'') {
			char q = *p++;

			while (*p && *p != q)
				buf_append(value, p++, 1);
			if (*p != q)
				return -1;
			p++;
			while (isspace((unsigned char)*p))
				p++;
		} else {
			while (*p && *p != ',')
				buf_append(value, p++, 1);
		}
	}
	if (*p == ',') {
		p++;
		if (*p == '\0')
			return -1;
	} else if (*p) {
		return -1;
	}
	*pp = p;
	return 1;
}

int parse_equal_string_list(const char *spec, struct attropl **list, char *err, size_t errlen)
{
	struct buf name, value;
	struct attropl *got = NULL, **tail;
	const char *p = spec ? spec : "";
	int has_value, r, rc = -1;

	buf_init(&name);
	buf_init(&value);
	while ((r = next_item(&p, &name, &value, &has_value)) == 1) {
		if (!has_value || value.len == 0) {
			snprintf(err, errlen, "missing value for %s", name.data);
			goto out;
		}
		ifl_attropl_add(&got, name.data, NULL, value.data, SET);
	}
	if (r < 0 || got == NULL) {
		snprintf(err, errlen, "illegally formed list: %s", spec ? spec : "");
		goto out;
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

/* Torque escapes commas inside values so the list stays one string. */
static void append_escaped(struct buf *out, const char *s)
{
	for (; *s; s++) {
		if (*s == ',' || *s == '\\')
			buf_append(out, "\\", 1);
		buf_append(out, s, 1);
	}
}

int parse_variable_list(const char *spec, struct buf *out, char *err, size_t errlen)
{
	struct buf name, value;
	const char *p = spec ? spec : "";
	int has_value, r, n = 0, rc = -1;

	buf_init(&name);
	buf_init(&value);
	while ((r = next_item(&p, &name, &value, &has_value)) == 1) {
		const char *v = has_value ? value.data : getenv(name.data);

		for (const char *c = name.data; *c; c++) {
			if (!(isalnum((unsigned char)*c) || *c == '_') || isdigit((unsigned char)name.data[0])) {
				snprintf(err, errlen, "illegal variable name: %s", name.data);
				goto out;
			}
		}
		if (out->len)
			buf_append(out, ",", 1);
		buf_puts(out, name.data);
		buf_append(out, "=", 1);
		append_escaped(out, v ? v : "");
		n++;
	}
	if (r < 0 || n == 0) {
		snprintf(err, errlen, "illegally formed variable list: %s", spec ? spec : "");
		goto out;
	}
	rc = 0;
out:
	buf_free(&name);
	buf_free(&value);
	return rc;
}

void variable_list_add(struct buf *out, const char *name, const char *value)
{
	if (out->len)
		buf_append(out, ",", 1);
	buf_puts(out, name);
	buf_append(out, "=", 1);
	append_escaped(out, value ? value : "");
}
