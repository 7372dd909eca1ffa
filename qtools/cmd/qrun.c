/* qrun: run jobs now, on the given hosts or where the server puts them
 * (Torque's qrun). Destinations as Torque and Maui write them: "host",
 * "host:ppn=N", "host+host". */
#include "qtools/lib/cmds.h"

#include <stdio.h>
#include <unistd.h>

static const char usage[] = "Usage: qrun [-a] [-H host] job_id ...\n";

static int run(int connect, const char *id, void *ctx)
{
	return pbs_runjob(connect, id, ctx, NULL);
}

int main(int argc, char **argv)
{
	const char *location = NULL;
	int c, errflg = 0, status;

	cmd_check_help(argc, argv, usage);
	while ((c = getopt(argc, argv, "aH:")) != -1) {
		switch (c) {
		case 'a':
			break;
		case 'H':
			if (check_run_destination(optarg) < 0) {
				fprintf(stderr, "qrun: illegal -H value\n");
				errflg++;
			}
			location = optarg;
			break;
		default:
			errflg++;
		}
	}
	if (errflg || optind >= argc) {
		fputs(usage, stderr);
		return 1;
	}
	status = for_each_job("qrun", argc, argv, optind, run, (void *)location);
	/* Torque's qrun exits 2 on any failure */
	return status ? 2 : 0;
}
