/* qhold: place holds on jobs (Torque's qhold). On a running job whose
 * Checkpoint allows it, the server checkpoints the job and ends it. */
#include "qtools/lib/cmds.h"

#include <stdio.h>
#include <unistd.h>

static const char usage[] = "usage: qhold [-h hold_list] job_identifier...\n";

static int hold(int connect, const char *id, void *ctx)
{
	return pbs_holdjob(connect, id, ctx, NULL);
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
			if (check_hold_list(optarg, 0) < 0) {
				fprintf(stderr, "qhold: illegal -h value\n");
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
	return for_each_job("qhold", argc, argv, optind, hold, (void *)hold_type);
}
