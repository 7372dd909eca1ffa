/* qsig: send a signal to running jobs (Torque's qsig; SIGTERM default). */
#include "qtools/lib/cmds.h"

#include <stdio.h>
#include <unistd.h>

static const char usage[] = "usage: qsig [-s signal] job_identifier...\n";

static int sig(int connect, const char *id, void *ctx)
{
	return pbs_sigjob(connect, id, ctx, NULL);
}

int main(int argc, char **argv)
{
	const char *signal = "SIGTERM";
	int c, errflg = 0;

	cmd_check_help(argc, argv, usage);
	while ((c = getopt(argc, argv, "as:")) != -1) {
		switch (c) {
		case 'a':   /* Torque's asynchronous flag: our requests are quick */
			break;
		case 's':
			if (check_signal(optarg) < 0) {
				fprintf(stderr, "qsig: illegal -s value\n");
				errflg++;
			}
			signal = optarg;
			break;
		default:
			errflg++;
		}
	}
	if (errflg || optind >= argc) {
		fputs(usage, stderr);
		return 2;
	}
	return for_each_job("qsig", argc, argv, optind, sig, (void *)signal);
}
