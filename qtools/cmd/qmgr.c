/* qmgr: the server's, queues' and nodes' settings (Torque's qmgr, the
 * subset ckmig's server implements): one command with -c, else commands
 * read from standard input, one per line. */
#include "qtools/lib/cmds.h"
#include "qtools/lib/qmgr_parse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] = "usage: qmgr [-c command] [-e] [-n] [-z]\n";

/* what `print` leaves out: values the server computes */
static int read_only(const char *name)
{
	static const char *const ro[] = { ATTR_status, ATTR_total, ATTR_count, ATTR_pbsversion,
					  ATTR_NODE_jobs, ATTR_NODE_status, ATTR_NODE_ntype,
					  "mtime", "license_count", NULL };
	int i;

	for (i = 0; ro[i]; i++)
		if (strcmp(name, ro[i]) == 0)
			return 1;
	return 0;
}

static const char *obj_word(int objtype)
{
	return objtype == MGR_OBJ_SERVER ? "server" : objtype == MGR_OBJ_QUEUE ? "queue" : "node";
}

static struct batch_status *stat_obj(int connect, int objtype, const char *name)
{
	if (objtype == MGR_OBJ_SERVER)
		return pbs_statserver(connect, NULL, NULL);
	if (objtype == MGR_OBJ_QUEUE)
		return pbs_statque(connect, name, NULL, NULL);
	return pbs_statnode(connect, name, NULL, NULL);
}

static int wanted(const struct attropl *names, const struct attrl *a)
{
	for (; names; names = names->next)
		if (strcmp(names->name, a->name) == 0)
			return 1;
	return 0;
}

static void list(const struct qmgr_cmd *cmd, const struct batch_status *bs)
{
	static const char *const title[] = { "Server", "Queue", "Job", "Node" };
	const struct attrl *a;

	for (; bs; bs = bs->next) {
		printf("%s %s\n", title[cmd->objtype], bs->name);
		for (a = bs->attribs; a; a = a->next) {
			if (cmd->attrs && !wanted(cmd->attrs, a))
				continue;
			if (a->resource)
				printf("\t%s.%s = %s\n", a->name, a->resource, a->value);
			else
				printf("\t%s = %s\n", a->name, a->value);
		}
		printf("\n");
	}
}

static void print_set(const char *obj, const char *name, const struct attrl *a)
{
	for (; a; a = a->next) {
		const char *quote = strpbrk(a->value, " ,\t") ? "\"" : "";

		if (read_only(a->name))
			continue;
		printf("set %s%s%s %s%s%s = %s%s%s\n", obj, name ? " " : "", name ? name : "", a->name,
		       a->resource ? "." : "", a->resource ? a->resource : "", quote, a->value, quote);
	}
}

static void print_objs(int connect, const struct qmgr_cmd *cmd, const struct batch_status *bs)
{
	if (cmd->objtype == MGR_OBJ_SERVER) {
		struct batch_status *qs = pbs_statque(connect, NULL, NULL, NULL), *q;

		printf("#\n# Create queues and set their attributes.\n#\n");
		for (q = qs; q; q = q->next) {
			printf("#\n# Create and define queue %s\n#\ncreate queue %s\n", q->name, q->name);
			print_set("queue", q->name, q->attribs);
		}
		pbs_statfree(qs);
		printf("#\n# Set server attributes.\n#\n");
		for (; bs; bs = bs->next)
			print_set("server", NULL, bs->attribs);
		return;
	}
	if (cmd->objtype == MGR_OBJ_NODE)
		printf("#\n# Create nodes and set their properties.\n#\n");
	for (; bs; bs = bs->next) {
		printf("#\n# Create and define %s %s\n#\ncreate %s %s\n", obj_word(cmd->objtype),
		       bs->name, obj_word(cmd->objtype), bs->name);
		print_set(obj_word(cmd->objtype), bs->name, bs->attribs);
	}
}

static void mgr_err(int connect, const struct qmgr_cmd *cmd)
{
	const char *msg = pbs_geterrmsg(connect);

	fprintf(stderr, "qmgr obj=%s svr=default: %s\n", cmd->name ? cmd->name : "",
		msg ? msg : pbs_strerror(pbs_errno));
}

/* 0 done, -1 failed */
static int execute(int connect, const struct qmgr_cmd *cmd)
{
	struct batch_status *bs;

	if (cmd->command == MGR_CMD_LIST || cmd->command == MGR_CMD_PRINT) {
		bs = stat_obj(connect, cmd->objtype, cmd->name);
		if (bs == NULL && pbs_errno) {
			mgr_err(connect, cmd);
			return -1;
		}
		if (cmd->command == MGR_CMD_LIST)
			list(cmd, bs);
		else
			print_objs(connect, cmd, bs);
		pbs_statfree(bs);
		return 0;
	}
	if (pbs_manager(connect, cmd->command, cmd->objtype, cmd->name, cmd->attrs, NULL) != 0) {
		mgr_err(connect, cmd);
		return -1;
	}
	return 0;
}

static int run_line(int connect, const char *line, int *quit)
{
	struct qmgr_cmd cmd;
	char err[512];
	int r = qmgr_parse(line, &cmd, err, sizeof(err)), rc = 0;

	if (r < 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	if (r == 2)
		*quit = 1;
	if (r == 1)
		rc = execute(connect, &cmd);
	qmgr_cmd_free(&cmd);
	return rc;
}

int main(int argc, char **argv)
{
	const char *command = NULL;
	int c, errflg = 0, connect, failed = 0, quit = 0;

	cmd_check_help(argc, argv, usage);
	while ((c = getopt(argc, argv, "c:enz")) != -1) {
		switch (c) {
		case 'c': command = optarg; break;
		case 'e': case 'n': case 'z': break;   /* Torque's echo/no-exec/quiet: accepted */
		default: errflg++;
		}
	}
	if (errflg || optind < argc) {
		fputs(usage, stderr);
		return 1;
	}
	connect = cnt2server("qmgr", NULL);
	if (connect < 0)
		return 1;
	if (command) {
		failed = run_line(connect, command, &quit) < 0;
	} else {
		char *line = NULL;
		size_t cap = 0;
		int tty = isatty(0);

		for (;;) {
			if (tty) {
				printf("Qmgr: ");
				fflush(stdout);
			}
			if (getline(&line, &cap, stdin) < 0)
				break;
			if (run_line(connect, line, &quit) < 0)
				failed++;
			if (quit)
				break;
		}
		free(line);
	}
	pbs_disconnect(connect);
	return failed ? 1 : 0;
}
