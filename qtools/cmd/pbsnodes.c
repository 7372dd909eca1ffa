/* pbsnodes: show nodes and mark them offline or back, as Torque's
 * pbsnodes does (-a, -l, -o, -c, -x, -N note, -n). ckmig adds -M (with
 * -o): drain the node, the server migrating every job on it to other
 * nodes; the command follows the drain and lists jobs that cannot move. */
#include "qtools/lib/cmds.h"
#include "qtools/lib/qstat_format.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
	"usage:\tpbsnodes [-{c|l|o}] [-s server] [-n] [-N \"note\"] [-q] [-M] node ...\n"
	"\tpbsnodes [-{a|x}] [-s server] [-q] [node]\n"
	"\t-M (with -o): migrate every job off the node before leaving it offline\n";

struct opts {
	int list, offline, clear, xml, notes, quiet, migrate;
	const char *note;
};

static const char *const list_states[] = {
	"free", "offline", "down", "job-exclusive", "busy", "all", "up", "active", NULL
};

static int is_list_state(const char *s)
{
	int i;

	for (i = 0; list_states[i]; i++)
		if (strcmp(s, list_states[i]) == 0)
			return 1;
	return 0;
}

/* Torque's filterbystate: by default down, offline and unknown nodes */
static int listed(const char *filter, const char *state)
{
	if (filter == NULL)
		return strstr(state, ND_down) || strstr(state, ND_offline) ||
		       strstr(state, ND_state_unknown);
	if (strcmp(filter, "all") == 0)
		return 1;
	if (strcmp(filter, "up") == 0)
		return !strstr(state, ND_down) && !strstr(state, ND_state_unknown);
	if (strcmp(filter, "active") == 0)
		return strstr(state, ND_job_exclusive) || strstr(state, ND_busy);
	return strstr(state, filter) != NULL;
}

static struct batch_status *stat_nodes(int connect, const struct opts *o, int n, char **names)
{
	struct batch_status *all = NULL, **tail = &all;
	int i = 0;

	do {
		struct batch_status *got = pbs_statnode(connect, n ? names[i] : NULL, NULL, NULL);

		if (got == NULL && pbs_errno) {
			if (!o->quiet) {
				const char *msg = pbs_geterrmsg(connect);

				if (msg)
					fprintf(stderr, "pbsnodes: %s\n", msg);
				else
					fprintf(stderr, "pbsnodes: Error %d (%s)\n", pbs_errno,
						pbs_strerror(pbs_errno));
			}
			pbs_statfree(all);
			exit(1);
		}
		*tail = got;
		while (*tail)
			tail = &(*tail)->next;
	} while (++i < n);
	if (all == NULL) {
		if (!o->quiet)
			fprintf(stderr, "pbsnodes: No nodes found\n");
		exit(2);
	}
	return all;
}

static int set_node(int connect, const char *node, const char *name, const char *value)
{
	struct attropl a = { NULL, (char *)name, NULL, (char *)value, SET };

	if (pbs_manager(connect, MGR_CMD_SET, MGR_OBJ_NODE, node, &a, NULL) != 0) {
		const char *msg = pbs_geterrmsg(connect);

		fprintf(stderr, "pbsnodes: %s %s\n", msg ? msg : pbs_strerror(pbs_errno), node);
		return pbs_errno;
	}
	return 0;
}

/* Give up waiting for a drain after this long (the server goes on). */
#define DRAIN_WAIT_S 600

/* "0/42.head, 1/42.head" -> the next job id after *p, into id */
static int next_job(const char **p, char *id, size_t len)
{
	const char *s = *p, *slash, *end;

	while (*s == ' ' || *s == ',')
		s++;
	if (*s == '\0')
		return 0;
	end = s + strcspn(s, ", ");
	slash = memchr(s, '/', (size_t)(end - s));
	if (slash)
		s = slash + 1;
	snprintf(id, len, "%.*s", (int)(end - s), s);
	*p = end;
	return 1;
}

/* The server drains (node attribute drain=True): it migrates every movable
 * job off the node and marks the node offline once it is empty; a job
 * that cannot move is in migration_state "failed" with its
 * migration_reason. We mark the node
 * offline at once (nothing new starts there), then follow the drain and
 * list what could not move. Returns how many jobs stay. */
static int drain(int connect, const char *node)
{
	struct attropl d = { NULL, (char *)"drain", NULL, (char *)"True", SET };
	struct attropl off = { &d, (char *)ATTR_NODE_state, NULL, (char *)ND_offline, SET };
	struct timespec ts = { 0, 200 * 1000 * 1000 };
	struct buf seen;
	time_t give_up = time(NULL) + DRAIN_WAIT_S;
	int stuck = 0;

	if (pbs_manager(connect, MGR_CMD_SET, MGR_OBJ_NODE, node, &off, NULL) != 0) {
		const char *msg = pbs_geterrmsg(connect);

		fprintf(stderr, "pbsnodes: %s %s\n", msg ? msg : pbs_strerror(pbs_errno), node);
		return -1;
	}
	buf_init(&seen);
	buf_append(&seen, " ", 1);
	for (;;) {
		struct batch_status *n = pbs_statnode(connect, node, NULL, NULL);
		const char *jobs = n ? ifl_attrl_get(n->attribs, ATTR_NODE_jobs, NULL) : NULL;
		const char *p = jobs;
		char id[256], key[260];
		int moving = 0;
		struct buf why;

		if (n == NULL) {
			prt_job_err("pbsnodes", connect, node);
			stuck = -1;
			break;
		}
		buf_init(&why);
		stuck = 0;
		while (p && next_job(&p, id, sizeof(id))) {
			struct batch_status *j;
			const char *nomove, *mstate;

			snprintf(key, sizeof(key), " %s ", id);
			if (strstr(why.data ? why.data : "", key))
				continue;          /* a job on several slots */
			buf_puts(&why, key);
			j = pbs_statjob(connect, id, NULL, NULL);
			mstate = j ? ifl_attrl_get(j->attribs, ATTR_migration_state, NULL) : NULL;
			nomove = mstate && !strcmp(mstate, "failed") ?
				 ifl_attrl_get(j->attribs, ATTR_migration_reason, NULL) : NULL;
			if (mstate && !strcmp(mstate, "failed")) {
				if (!strstr(seen.data, key)) {
					fprintf(stderr, "pbsnodes: %s: cannot migrate %s: %s\n", node, id,
						nomove ? nomove : "?");
					buf_puts(&seen, key + 1);
				}
				stuck++;
			} else if (j) {
				const char *st = ifl_attrl_get(j->attribs, ATTR_state, NULL);
				const char *sub = ifl_attrl_get(j->attribs, ATTR_substate, NULL);
				/* say "migrating" once the server has started on it */
				int started = (mstate && strcmp(mstate, "none")) ||
					      (st && st[0] != 'R') || (sub && atoi(sub) != 42);

				if (started && !strstr(seen.data, key)) {
					printf("%s: migrating %s\n", node, id);
					fflush(stdout);
					buf_puts(&seen, key + 1);
				}
				moving++;
			}
			pbs_statfree(j);
		}
		buf_free(&why);
		pbs_statfree(n);
		if (moving == 0) {
			if (stuck == 0)
				printf("%s: drained, offline\n", node);
			break;
		}
		if (time(NULL) > give_up) {
			fprintf(stderr, "pbsnodes: %s: still draining after %d s; see pbsnodes %s\n",
				node, DRAIN_WAIT_S, node);
			stuck = moving;
			break;
		}
		nanosleep(&ts, NULL);
	}
	buf_free(&seen);
	return stuck;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "migrate", no_argument, NULL, 'M' },
		{ NULL, 0, NULL, 0 }
	};
	struct opts o;
	struct batch_status *nodes = NULL, *n;
	struct buf out;
	int c, errflg = 0, connect, i, status = 0, first;
	const char *filter = NULL;

	memset(&o, 0, sizeof(o));
	cmd_check_help(argc, argv, usage);
	while ((c = getopt_long(argc, argv, "aclnoqs:xMN:", longopts, NULL)) != -1) {
		switch (c) {
		case 'a': break;
		case 'c': o.clear = 1; break;
		case 'l': o.list = 1; break;
		case 'n': o.notes = 1; break;
		case 'o': o.offline = 1; break;
		case 'q': o.quiet = 1; break;
		case 's': break;     /* one server: the local socket */
		case 'x': o.xml = 1; break;
		case 'M': o.migrate = 1; break;
		case 'N': o.note = optarg; break;
		default: errflg++;
		}
	}
	if (o.offline + o.clear + o.list > 1 || (o.notes && !o.list) || (o.migrate && !o.offline) ||
	    ((o.offline || o.clear || o.note) && optind >= argc && !o.list)) {
		errflg++;
	}
	if (errflg) {
		fputs(usage, stderr);
		return 1;
	}
	buf_init(&out);
	connect = cnt2server("pbsnodes", NULL);
	if (connect < 0)
		return 1;
	first = optind;
	if (o.offline || o.clear || (o.note && !o.list)) {
		for (i = first; i < argc; i++) {
			if (o.note && set_node(connect, argv[i], ATTR_NODE_note, o.note))
				status = 1;
			if (o.offline && o.migrate) {
				if (drain(connect, argv[i]) != 0)
					status = 1;
			} else if (o.offline && set_node(connect, argv[i], ATTR_NODE_state, ND_offline)) {
				status = 1;
			}
			if (o.clear && set_node(connect, argv[i], ATTR_NODE_state, ND_free))
				status = 1;
		}
		goto out;
	}
	if (o.list && first < argc && is_list_state(argv[first]))
		filter = argv[first++];
	nodes = stat_nodes(connect, &o, argc - first, argv + first);
	if (o.xml) {
		pbsnodes_xml(&out, nodes);
	} else {
		for (n = nodes; n; n = n->next) {
			const char *st = ifl_attrl_get(n->attribs, ATTR_NODE_state, NULL);

			if (!o.list)
				pbsnodes_node(&out, n);
			else if (listed(filter, st ? st : ND_state_unknown))
				pbsnodes_list_line(&out, n, o.notes);
		}
	}
	fwrite(out.data ? out.data : "", 1, out.len, stdout);
out:
	pbs_statfree(nodes);
	buf_free(&out);
	pbs_disconnect(connect);
	return status;
}
