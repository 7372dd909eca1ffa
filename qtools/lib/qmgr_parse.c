/* Parsing qmgr command lines (Torque's cmds/qmgr.c grammar, the part
 * ckmig's server implements). */
#include "qtools/lib/qmgr_parse.h"
#include "lib/util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TOKENS 256

/* Split into words; "=", "+=", "-=" and "," are words of their own;
 * quoted strings are one word without their quotes. */
static int tokenize(const char *line, char **tok, int *ntok, char *err, size_t errlen)
{
	const char *p = line;
	struct buf w;
	int n = 0, rc = -1;

	buf_init(&w);
	while (*p) {
		if (isspace((unsigned char)*p)) {
			p++;
			continue;
		}
		if (*p == '#')
			break;
		if (n >= MAX_TOKENS) {
			snprintf(err, errlen, "qmgr: line too long");
			goto out;
		}
		buf_reset(&w);
		buf_append(&w, "", 0);
		if (*p == ',' || *p == '=') {
			buf_append(&w, p++, 1);
		} else if ((*p == '+' || *p == '-') && p[1] == '=') {
			buf_append(&w, p, 2);
			p += 2;
		} else {
			while (*p && !isspace((unsigned char)*p) && *p != ',' && *p != '=' &&
			       !((*p == '+' || *p == '-') && p[1] == '=')) {
				if (*p == '"' || *p == '\'') {
					char q = *p++;

					while (*p && *p != q)
						buf_append(&w, p++, 1);
					if (*p != q) {
						snprintf(err, errlen, "qmgr: unmatched %c", q);
						goto out;
					}
					p++;
					continue;
				}
				buf_append(&w, p++, 1);
			}
		}
		tok[n++] = xstrdup(w.data);
	}
	*ntok = n;
	rc = 0;
out:
	if (rc < 0) {
		while (n > 0)
			free(tok[--n]);
	}
	buf_free(&w);
	return rc;
}

static int word(const char *t, const char *full)
{
	size_t n = strlen(t);

	return n > 0 && n <= strlen(full) && strncmp(t, full, n) == 0;
}

void qmgr_cmd_free(struct qmgr_cmd *cmd)
{
	free(cmd->name);
	ifl_attropl_free(cmd->attrs);
	memset(cmd, 0, sizeof(*cmd));
}

static int is_op(const char *t)
{
	return strcmp(t, "=") == 0 || strcmp(t, "+=") == 0 || strcmp(t, "-=") == 0;
}

static void add_attr(struct qmgr_cmd *cmd, const char *name, const char *value, enum batch_op op)
{
	const char *dot = strchr(name, '.');

	if (dot) {
		char *n = xstrndup(name, (size_t)(dot - name));

		ifl_attropl_add(&cmd->attrs, n, dot + 1, value, op);
		free(n);
	} else {
		ifl_attropl_add(&cmd->attrs, name, NULL, value, op);
	}
}

int qmgr_parse(const char *line, struct qmgr_cmd *cmd, char *err, size_t errlen)
{
	char *tok[MAX_TOKENS];
	int n = 0, i, rc = -1, with_values;

	memset(cmd, 0, sizeof(*cmd));
	if (tokenize(line, tok, &n, err, errlen) < 0)
		return -1;
	if (n == 0) {
		rc = 0;
		goto out;
	}
	if (strcmp(tok[0], "quit") == 0 || strcmp(tok[0], "exit") == 0 || strcmp(tok[0], "q") == 0) {
		rc = 2;
		goto out;
	}
	if (word(tok[0], "create")) cmd->command = MGR_CMD_CREATE;
	else if (word(tok[0], "delete")) cmd->command = MGR_CMD_DELETE;
	else if (word(tok[0], "set")) cmd->command = MGR_CMD_SET;
	else if (word(tok[0], "unset")) cmd->command = MGR_CMD_UNSET;
	else if (word(tok[0], "list")) cmd->command = MGR_CMD_LIST;
	else if (word(tok[0], "print")) cmd->command = MGR_CMD_PRINT;
	else {
		snprintf(err, errlen, "qmgr: Illegal operation: %s", tok[0]);
		goto out;
	}
	if (n < 2) {
		snprintf(err, errlen, "qmgr: Illegal object type");
		goto out;
	}
	if (word(tok[1], "server")) cmd->objtype = MGR_OBJ_SERVER;
	else if (word(tok[1], "queue")) cmd->objtype = MGR_OBJ_QUEUE;
	else if (word(tok[1], "node")) cmd->objtype = MGR_OBJ_NODE;
	else {
		snprintf(err, errlen, "qmgr: Illegal object type: %s", tok[1]);
		goto out;
	}
	i = 2;
	/* a name follows queue/node unless the next word is an attribute
	 * (followed by an operator) */
	if (cmd->objtype != MGR_OBJ_SERVER && i < n && strcmp(tok[i], ",") != 0 &&
	    !(i + 1 < n && is_op(tok[i + 1])))
		cmd->name = xstrdup(tok[i++]);
	if (cmd->objtype == MGR_OBJ_SERVER && i < n && tok[i][0] == '@')
		i++;   /* "server @name": one server, the one we talk to */
	if (cmd->objtype != MGR_OBJ_SERVER && cmd->name == NULL &&
	    cmd->command != MGR_CMD_LIST && cmd->command != MGR_CMD_PRINT) {
		snprintf(err, errlen, "qmgr: No object name given");
		goto out;
	}
	with_values = cmd->command == MGR_CMD_SET || cmd->command == MGR_CMD_CREATE;
	while (i < n) {
		const char *name = tok[i++];

		if (strcmp(name, ",") == 0 || is_op(name)) {
			snprintf(err, errlen, "qmgr: Syntax error near '%s'", name);
			goto out;
		}
		if (with_values) {
			enum batch_op op;

			if (i + 1 >= n || !is_op(tok[i])) {
				snprintf(err, errlen, "qmgr: Syntax error: %s needs an operator and a value", name);
				goto out;
			}
			op = strcmp(tok[i], "+=") == 0 ? INCR : strcmp(tok[i], "-=") == 0 ? DECR : SET;
			if (strcmp(tok[i + 1], ",") == 0) {
				snprintf(err, errlen, "qmgr: Syntax error: no value for %s", name);
				goto out;
			}
			add_attr(cmd, name, tok[i + 1], op);
			i += 2;
		} else {
			add_attr(cmd, name, "", cmd->command == MGR_CMD_UNSET ? UNSET : SET);
		}
		if (i < n) {
			if (strcmp(tok[i], ",") != 0) {
				snprintf(err, errlen, "qmgr: Syntax error near '%s'", tok[i]);
				goto out;
			}
			i++;
			if (i >= n) {
				snprintf(err, errlen, "qmgr: Syntax error: trailing ','");
				goto out;
			}
		}
	}
	if (cmd->command == MGR_CMD_SET && cmd->attrs == NULL) {
		snprintf(err, errlen, "qmgr: Syntax error: nothing to set");
		goto out;
	}
	if (cmd->command == MGR_CMD_UNSET && cmd->attrs == NULL) {
		snprintf(err, errlen, "qmgr: Syntax error: nothing to unset");
		goto out;
	}
	rc = 1;
out:
	if (rc != 1)
		qmgr_cmd_free(cmd);
	for (i = 0; i < n; i++)
		free(tok[i]);
	return rc;
}
