/* qdel: delete jobs (Torque's qdel): queued ones at once, running ones
 * killed by their MOM. 'all' deletes every job the caller may delete. */
#include "qtools/lib/cmds.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static const char usage[] =
	"usage: qdel [{ -p | -W delay }] [<JOBID>[<JOBID>]|'all'|'ALL']...\n";

static int del(int connect, const char *id, void *ctx)
{
	return pbs_deljob(connect, id, ctx);
}

/* 'all': the caller's jobs that have not completed (a manager's: all) */
static int delete_all(const char *extend)
{
	struct batch_status *jobs, *j;
	struct passwd *pw = getpwuid(getuid());
	int connect, status = 0;

	connect = cnt2server("qdel", NULL);
	if (connect < 0)
		return pbs_errno;
	jobs = pbs_statjob(connect, NULL, NULL, NULL);
	for (j = jobs; j; j = j->next) {
		const char *state = ifl_attrl_get(j->attribs, ATTR_state, NULL);
		const char *owner = ifl_attrl_get(j->attribs, ATTR_euser, NULL);

		if (state && state[0] == 'C')
			continue;
		if (getuid() != 0 && (owner == NULL || pw == NULL || strcmp(owner, pw->pw_name)))
			continue;
		if (pbs_deljob(connect, j->name, extend) != 0) {
			prt_job_err("qdel", connect, j->name);
			status = pbs_errno;
		}
	}
	pbs_statfree(jobs);
	pbs_disconnect(connect);
	return status;
}

int main(int argc, char **argv)
{
	char extend[64] = "";
	int c, errflg = 0, i;

	cmd_check_help(argc, argv, usage);
	while ((c = getopt(argc, argv, "pW:")) != -1) {
		switch (c) {
		case 'p':
			snprintf(extend, sizeof(extend), "delpurge");
			break;
		case 'W': {
			char *end;
			long v = strtol(optarg, &end, 10);

			if (*optarg == '\0' || *end != '\0' || v < 0) {
				fprintf(stderr, "qdel: illegal -W value\n");
				errflg++;
			}
			snprintf(extend, sizeof(extend), "deldelay=%ld", v);
			break;
		}
		default:
			errflg++;
		}
	}
	if (errflg || optind >= argc) {
		fputs(usage, stderr);
		return 2;
	}
	for (i = optind; i < argc; i++)
		if (strcasecmp(argv[i], "all") == 0)
			return delete_all(extend[0] ? extend : NULL);
	return for_each_job("qdel", argc, argv, optind, del, extend[0] ? extend : NULL);
}
