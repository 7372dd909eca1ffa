/* qchkpt: checkpoint running jobs and let them run on (Torque's qchkpt). */
#include "qtools/lib/cmds.h"

#include <stdio.h>
#include <unistd.h>

static const char usage[] = "Usage: qchkpt job_id ...\n";

static int chkpt(int connect, const char *id, void *ctx)
{
	(void)ctx;
	return pbs_checkpointjob(connect, id, NULL);
}

int main(int argc, char **argv)
{
	cmd_check_help(argc, argv, usage);
	if (getopt(argc, argv, "") != -1 || optind >= argc) {
		fputs(usage, stderr);
		return 2;
	}
	return for_each_job("qchkpt", argc, argv, optind, chkpt, NULL);
}
