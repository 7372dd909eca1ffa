/* qrerun: requeue running jobs to run again from the start (Torque's
 * qrerun; -f is accepted and means the same here). */
#include "qtools/lib/cmds.h"

#include <stdio.h>
#include <unistd.h>

static const char usage[] = "usage: qrerun [-f] <JOBID>[ <JOBID>]...\n";

static int rerun(int connect, const char *id, void *ctx)
{
	return pbs_rerunjob(connect, id, ctx);
}

int main(int argc, char **argv)
{
	const char *extend = NULL;
	int c, errflg = 0;

	cmd_check_help(argc, argv, usage);
	while ((c = getopt(argc, argv, "f")) != -1) {
		if (c == 'f')
			extend = "RERUNFORCE";
		else
			errflg++;
	}
	if (errflg || optind >= argc) {
		fputs(usage, stderr);
		return 2;
	}
	return for_each_job("qrerun", argc, argv, optind, rerun, (void *)extend);
}
