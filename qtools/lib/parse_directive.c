/* #PBS directives in job scripts, read as Torque's qsub reads them
 * (cmds/qsub_functions.c get_script, ispbsdir, isexecutable, make_argv). */
#include "qtools/lib/cmds.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void free_argv(int argc, char **argv)
{
	int i;

	if (argv == NULL)
		return;
	for (i = 0; i < argc; i++)
		free(argv[i]);
	free(argv);
}

static void push_word(int *argc, char ***argv, struct buf *w)
{
	*argv = xrealloc(*argv, sizeof(char *) * (size_t)(*argc + 2));
	(*argv)[(*argc)++] = xstrdup(w->data ? w->data : "");
	(*argv)[*argc] = NULL;
	buf_reset(w);
}

int make_argv(const char *line, const char *argv0, int *argc, char ***argv)
{
	struct buf w;
	const char *c = line;
	int in_word = 0, rc = -1;

	buf_init(&w);
	*argc = 0;
	*argv = NULL;
	buf_puts(&w, argv0);
	push_word(argc, argv, &w);
	while (*c) {
		if (*c == '"' || *c == '\'') {
			char q = *c++;

			while (*c && *c != q)
				buf_append(&w, c++, 1);
			if (*c != q)
				goto out;
			c++;
			in_word = 1;
		} else if (*c == '\\' && c[1]) {
			buf_append(&w, c + 1, 1);
			c += 2;
			in_word = 1;
		} else if (isspace((unsigned char)*c)) {
			if (in_word)
				push_word(argc, argv, &w);
			in_word = 0;
			c++;
		} else {
			buf_append(&w, c++, 1);
			in_word = 1;
		}
	}
	if (in_word)
		push_word(argc, argv, &w);
	rc = 0;
out:
	if (rc < 0) {
		free_argv(*argc, *argv);
		*argc = 0;
		*argv = NULL;
	}
	buf_free(&w);
	return rc;
}

void directives_free(struct directive *d)
{
	while (d) {
		struct directive *next = d->next;

		free_argv(d->argc, d->argv);
		free(d);
		d = next;
	}
}

/* Torque's isexecutable: a line that is not blank and not a comment; "#!"
 * and ':' lines are not executable. */
static int is_executable(const char *s)
{
	if (*s == ':' || (s[0] == '#' && s[1] == '!'))
		return 0;
	while (*s && isspace((unsigned char)*s))
		s++;
	return *s != '\0' && *s != '#';
}

int script_directives(const char *text, size_t len, const char *prefix,
		      struct directive **out, char *err, size_t errlen)
{
	struct directive *head = NULL, **tail = &head;
	struct buf line;
	size_t pos = 0, plen;
	int lineno = 0, rc = -1;

	buf_init(&line);
	if (prefix == NULL || *prefix == '\0')
		prefix = "#PBS";
	plen = strlen(prefix);
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)text[i];

		if (ch == '\0' || (ch < 0x20 && ch != '\n' && ch != '\t' && ch != '\r' && ch != '\f' &&
				   ch != '\v' && ch != 0x1b)) {
			snprintf(err, errlen, "file must be an ascii script");
			goto out;
		}
	}
	if (memchr(text, '\r', len) && len > 1) {
		const char *cr = memchr(text, '\r', len);

		if ((size_t)(cr - text) + 1 < len && cr[1] == '\n') {
			snprintf(err, errlen, "script is written in DOS/Windows text format");
			goto out;
		}
	}
	while (pos < len) {
		const char *s = text + pos, *nl = memchr(s, '\n', len - pos), *p;
		size_t l = nl ? (size_t)(nl - s) : len - pos;
		int start = ++lineno;

		pos += l + (nl ? 1 : 0);
		p = s;
		while (p < s + l && isspace((unsigned char)*p))
			p++;
		if ((size_t)(s + l - p) >= plen && strncmp(p, prefix, plen) == 0) {
			struct directive *d;

			buf_reset(&line);
			buf_append(&line, p + plen, (size_t)(s + l - p) - plen);
			/* backslash-newline continues the directive */
			while (line.len && line.data[line.len - 1] == '\\') {
				const char *n2;
				size_t l2;

				line.data[--line.len] = '\0';
				if (pos >= len) {
					snprintf(err, errlen, "unexpected end-of-file or read error in script");
					goto out;
				}
				n2 = memchr(text + pos, '\n', len - pos);
				l2 = n2 ? (size_t)(n2 - (text + pos)) : len - pos;
				buf_append(&line, text + pos, l2);
				pos += l2 + (n2 ? 1 : 0);
				lineno++;
			}
			d = xcalloc(1, sizeof(*d));
			d->lineno = start;
			if (make_argv(line.data, "qsub", &d->argc, &d->argv) < 0) {
				free(d);
				snprintf(err, errlen, "unmatched quote in directive at line %d", start);
				goto out;
			}
			*tail = d;
			tail = &d->next;
			continue;
		}
		buf_reset(&line);
		buf_append(&line, s, l);
		if (is_executable(line.data))
			break;
	}
	*out = head;
	head = NULL;
	rc = 0;
out:
	directives_free(head);
	buf_free(&line);
	return rc;
}
