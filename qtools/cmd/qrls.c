/* qrls: release holds on jobs (Torque's qrls). */
#include "qtools/lib/cmds.h"

#include <stdio.h>
#include <unistd.h>

static const char usage[] = "usage: qrls [-h {uos}] job_identifier...\n";

static int release(int connect, const char *id, void *ctx)
{
	return pbs_rlsjob(connect, id, ctx, NULL);
}

int main(int argc, char **argv)
{
	const char *hold_type = USER_HOLD;
	int c, errflg = 0;

	cmd_check_help(argc, argv, usage);
	while ((c = getopt(argc, argv, "h:")) != -1) {
		switch (c) {
		case 'h':
			while (*optarg == ' ')
				optarg++;
			if (check_hold_list(optarg, 1) < 0) {
				fprintf(stderr, "qrls: illegal -h value\n");
				errflg++;
			}
			hold_type = optarg;
			break;
		default:
			errflg++;
		}
	}
	if (errflg || optind >= argc) {
		fputs(usage, stderr);
		return 2;
	}
	return for_each_job("qrls", argc, argv, optind, release, (void *)hold_type);
}
