/* qmigrate: move a running job to other nodes (ckmig). One request: the
 * server checkpoints the job into the shared checkpoint directory, ends
 * it, and runs it again on the given hosts or where its scheduler puts
 * it; the job keeps its id, attributes and accounting. Without -w the
 * command returns as soon as the server has accepted, so a job may call
 * it on itself; a job that does so is held in qmigrate until it has been
 * checkpointed, so its next line runs on the target. With -w it waits
 * until the job runs again. With -l
 * (--live) the job's memory is pre-copied while it runs, so it is stopped
 * only for the last round (extend "live"); with --lazy the target restores
 * it lazily, the job running before its memory is in (extend "lazy";
 * both: "live,lazy"); with --postcopy the source's MOM serves the pages
 * from the job's memory while it already runs on the target (extend
 * "postcopy"; ckmig's MOMs only, alone). */
#include "qtools/lib/cmds.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
	"usage: qmigrate [-H host[+host...]] [-l|--live] [--lazy] [--postcopy] [-w] job_identifier...\n";

struct ctx {
	const char *dest;
	const char *extend;     /* "live", "lazy", "live,lazy" or NULL */
	int wait;
	int wait_failed;   /* accepted, but the move then failed */
};

static char *attr_dup(const struct batch_status *bs, const char *name)
{
	const char *v = bs ? ifl_attrl_get(bs->attribs, name, NULL) : NULL;

	return v ? strdup(v) : NULL;
}

static int same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

/* hosts of "n1/0+n1/1+n2/0" as "n1+n2" */
static void print_hosts(const char *id, const char *exec_host)
{
	struct buf hosts;
	const char *p = exec_host;

	buf_init(&hosts);
	buf_append(&hosts, "+", 1);   /* "+h1+h2+": whole names are found */
	while (p && *p) {
		size_t n = strcspn(p, "/+");
		char *key = xasprintf("+%.*s+", (int)n, p);

		if (!strstr(hosts.data, key)) {
			buf_append(&hosts, p, n);
			buf_append(&hosts, "+", 1);
		}
		free(key);
		p = strchr(p, '+');
		if (p)
			p++;
	}
	hosts.data[hosts.len - 1] = '\0';
	printf("%s running on %s\n", id, hosts.data + 1);
	buf_free(&hosts);
}

/* Wait until the job has left its old run and runs again: seen stopped
 * (state other than R, or a new checkpoint) and now R/42 again. What went
 * wrong after the server accepted the request (a checkpoint directory
 * that is not shared, a failed checkpoint) is its migration_state
 * "failed", with migration_reason; the server set "pending" before it
 * answered, so a "failed" seen now is this request's. */
static int wait_running(int connect, const char *id, const char *old_ckpt, const char *old_host,
			long old_starts)
{
	struct timespec ts = { 0, 200 * 1000 * 1000 };
	int stopped = 0;

	for (;;) {
		struct batch_status *bs = pbs_statjob(connect, id, NULL, NULL);
		const char *state, *sub, *ckpt, *host, *mstate, *starts;

		if (bs == NULL)
			return -1;
		state = ifl_attrl_get(bs->attribs, ATTR_state, NULL);
		sub = ifl_attrl_get(bs->attribs, ATTR_substate, NULL);
		ckpt = ifl_attrl_get(bs->attribs, ATTR_checkpoint_name, NULL);
		host = ifl_attrl_get(bs->attribs, ATTR_exechost, NULL);
		mstate = ifl_attrl_get(bs->attribs, ATTR_migration_state, NULL);
		if (mstate && !strcmp(mstate, "failed")) {
			const char *why = ifl_attrl_get(bs->attribs, ATTR_migration_reason, NULL);

			fprintf(stderr, "qmigrate: migration failed: %s %s\n", why ? why : "", id);
			pbs_statfree(bs);
			return -1;
		}
		if (state && (state[0] == 'C' || state[0] == 'E')) {
			fprintf(stderr, "qmigrate: job %s ended before it ran again\n", id);
			pbs_statfree(bs);
			return -1;
		}
		/* off its old run: started again (start_count), seen stopped,
		 * or already elsewhere with a new checkpoint behind it */
		starts = ifl_attrl_get(bs->attribs, ATTR_start_count, NULL);
		if (starts && old_starts >= 0 && atol(starts) > old_starts)
			stopped = 1;
		if ((state && state[0] != 'R') || (sub && atoi(sub) != 42))
			stopped = 1;
		if (ckpt && !same(ckpt, old_ckpt) && !same(host, old_host))
			stopped = 1;
		if (stopped && state && state[0] == 'R' && (sub == NULL || atoi(sub) == 42) && host) {
			print_hosts(id, host);
			pbs_statfree(bs);
			return 0;
		}
		pbs_statfree(bs);
		nanosleep(&ts, NULL);
	}
}

static int migrate(int connect, const char *id, void *arg)
{
	return pbs_migratejob(connect, id, ((struct ctx *)arg)->dest, ((struct ctx *)arg)->extend);
}

/* -w: the server starts the checkpoint only once the requesting client has
 * hung up (a job migrating itself must not hold a socket to the server
 * while CRIU dumps it), so each job gets its own connection for the
 * request, and the waiting is done on a second one. */
static int migrate_and_wait(const char *arg, struct ctx *c)
{
	struct batch_status *before;
	char *id = NULL, *old_ckpt = NULL, *old_host = NULL, *starts = NULL;
	int connect, rc;

	connect = cnt2server("qmigrate", NULL);
	if (connect < 0)
		return pbs_errno ? pbs_errno : 1;
	id = cmd_jobid("qmigrate", connect, arg);
	if (id == NULL) {
		pbs_disconnect(connect);
		return 1;
	}
	before = pbs_statjob(connect, id, NULL, NULL);
	old_ckpt = attr_dup(before, ATTR_checkpoint_name);
	old_host = attr_dup(before, ATTR_exechost);
	starts = attr_dup(before, ATTR_start_count);
	pbs_statfree(before);
	rc = pbs_migratejob(connect, id, c->dest, c->extend);
	if (rc != 0) {
		prt_job_err("qmigrate", connect, id);
		rc = pbs_errno ? pbs_errno : 1;
	}
	pbs_disconnect(connect);
	if (rc == 0) {
		connect = cnt2server("qmigrate", NULL);
		if (connect < 0 ||
		    wait_running(connect, id, old_ckpt, old_host,
				 starts ? atol(starts) : -1) < 0) {
			if (connect >= 0 && pbs_errno)
				prt_job_err("qmigrate", connect, id);
			/* the request was accepted: what failed is reported, exit 1 */
			c->wait_failed = 1;
			pbs_errno = 0;
		}
		if (connect >= 0)
			pbs_disconnect(connect);
	}
	free(id);
	free(old_ckpt);
	free(old_host);
	free(starts);
	return rc;
}

/* The start time of this process (field 22 of /proc/self/stat, in clock
 * ticks since boot): CRIU recreates every process of a restored job, so it
 * changes at the restart, on whatever node. 0 when unreadable. */
static unsigned long long self_start_time(void)
{
	char buf[1024], *p;
	unsigned long long t = 0;
	FILE *f = fopen("/proc/self/stat", "r");
	size_t n;

	if (f == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');   /* the name may hold spaces */
	for (int field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	if (p)
		t = strtoull(p + 1, NULL, 10);
	return t;
}

/* The server's migration_state of the job, or NULL if it cannot be read. */
static char *migration_state(const char *id, char **reason)
{
	int connect = cnt2server("qmigrate", NULL);
	struct batch_status *bs;
	char *st = NULL;

	if (connect < 0)
		return NULL;
	bs = pbs_statjob(connect, id, NULL, NULL);
	if (bs) {
		st = attr_dup(bs, ATTR_migration_state);
		*reason = attr_dup(bs, ATTR_migration_reason);
		if (st == NULL)
			st = strdup("");
	}
	pbs_statfree(bs);
	pbs_disconnect(connect);
	return st;
}

/* A job moving itself (its PBS_JOBID, no -w): once the server has accepted,
 * wait without a connection to the server (CRIU cannot dump the job while
 * one is open) until this process has been restored: then the script's
 * next line runs on the target, however long the checkpoint took to
 * start. The server starts it within MIGRATE_HANGUP_WAIT_MS of our hang-up;
 * only after twice that does the wait ask, rarely, whether the move failed
 * (then the job goes on where it is, and we say why). */
static int wait_moved(const char *id, unsigned long long started)
{
	struct timespec tick = { 0, 50 * 1000 * 1000 };
	long long waited_ms = 0, next_ask_ms = 10000;

	for (;;) {
		unsigned long long now = self_start_time();
		char *st, *why = NULL;
		int rc = -1;

		if (now != started)
			return 0;
		nanosleep(&tick, NULL);
		waited_ms += 50;
		if (waited_ms < next_ask_ms)
			continue;
		next_ask_ms = waited_ms + 5000;
		st = migration_state(id, &why);
		if (st && strcmp(st, "failed") == 0)
			fprintf(stderr, "qmigrate: migration failed: %s %s\n", why ? why : "", id);
		else if (st && (*st == '\0' || strcmp(st, "none") == 0))
			fprintf(stderr, "qmigrate: job %s was not moved (migration_state %s)\n", id,
				*st ? st : "none");
		else
			rc = 1;   /* under way (the old run is ended after the dump), or the server is away */
		free(st);
		free(why);
		if (rc < 0)
			return -1;
	}
}

/* qmigrate JOBID, without -w, from inside that job. */
static int migrate_self(const char *id, struct ctx *c)
{
	unsigned long long started = self_start_time();
	int connect = cnt2server("qmigrate", NULL);
	int rc;

	if (connect < 0)
		return pbs_errno ? pbs_errno : 1;
	rc = pbs_migratejob(connect, id, c->dest, c->extend);
	if (rc != 0) {
		prt_job_err("qmigrate", connect, id);
		rc = pbs_errno ? pbs_errno : 1;
	}
	pbs_disconnect(connect);
	if (rc == 0 && started && wait_moved(id, started) < 0)
		rc = 1;
	return rc;
}

/* Is ARG the job this process runs in? Asks the server for the full id. */
static char *own_job(const char *arg)
{
	const char *mine = getenv("PBS_JOBID");
	char *id = NULL;
	int connect;

	if (mine == NULL || *mine == '\0')
		return NULL;
	connect = cnt2server("qmigrate", NULL);
	if (connect < 0)
		return NULL;
	id = cmd_jobid("qmigrate", connect, arg);
	pbs_disconnect(connect);
	if (id && strcmp(id, mine) != 0) {
		free(id);
		id = NULL;
	}
	return id;
}

int main(int argc, char **argv)
{
	enum { OPT_LAZY = 1000, OPT_POSTCOPY };
	static const struct option longopts[] = { { "live", no_argument, NULL, 'l' },
						  { "lazy", no_argument, NULL, OPT_LAZY },
						  { "postcopy", no_argument, NULL, OPT_POSTCOPY },
						  { NULL, 0, NULL, 0 } };
	struct ctx c = { NULL, NULL, 0, 0 };
	int ch, errflg = 0, status, live = 0, lazy = 0, postcopy = 0;

	cmd_check_help(argc, argv, usage);
	while ((ch = getopt_long(argc, argv, "H:lw", longopts, NULL)) != -1) {
		switch (ch) {
		case 'H':
			if (check_run_destination(optarg) < 0) {
				fprintf(stderr, "qmigrate: illegal -H value\n");
				errflg++;
			}
			c.dest = optarg;
			break;
		case 'w':
			c.wait = 1;
			break;
		case 'l':
			live = 1;
			break;
		case OPT_LAZY:
			lazy = 1;
			break;
		case OPT_POSTCOPY:
			postcopy = 1;
			break;
		default:
			errflg++;
		}
	}
	c.extend = live && lazy ? "live,lazy" : live ? "live" : lazy ? "lazy" : NULL;
	if (postcopy) {
		/* the pages come from the job's memory: nothing to pre-copy,
		 * and the restore is lazy by nature */
		if (live || lazy)
			errflg++;
		c.extend = "postcopy";
	}
	if (errflg || optind >= argc) {
		fputs(usage, stderr);
		return 2;
	}
	if (!c.wait) {
		char *self = optind + 1 == argc ? own_job(argv[optind]) : NULL;

		if (self) {
			status = migrate_self(self, &c);
			free(self);
			return status;
		}
		status = for_each_job("qmigrate", argc, argv, optind, migrate, &c);
		return status;
	}
	status = 0;
	for (int i = optind; i < argc; i++) {
		int rc = migrate_and_wait(argv[i], &c);

		if (rc)
			status = rc;
	}
	return status ? status : c.wait_failed;
}
