/* What every q-command does the same way: connect or say why not, turn
 * what the user typed into a full job id, print the server's refusal as
 * Torque's prt_job_err does, answer --help. */
#include "qtools/lib/cmds.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void prt_job_err(const char *cmd, int connect, const char *id)
{
	const char *msg = pbs_geterrmsg(connect);

	if (msg == NULL || *msg == '\0')
		msg = pbs_strerror(pbs_errno);
	fprintf(stderr, "%s: %s %s\n", cmd, msg, id);
}

int cnt2server(const char *cmd, const char *server)
{
	int c;

	/* a server that goes away mid-request must not kill us silently */
	signal(SIGPIPE, SIG_IGN);
	c = pbs_connect(server);
	if (c < 0)
		fprintf(stderr, "%s: cannot connect to server %s (errno=%d) %s\n", cmd,
			(server && *server) ? server : pbs_default_socket(), pbs_errno,
			pbs_strerror(pbs_errno));
	return c;
}

char *cmd_jobid(const char *cmd, int connect, const char *arg)
{
	char seq[64], server[256];
	const char *name = NULL;
	char *full;

	if (parse_jobid(arg, seq, sizeof(seq), server, sizeof(server)) < 0) {
		fprintf(stderr, "%s: illegally formed job identifier: %s\n", cmd, arg);
		return NULL;
	}
	if (server[0] == '\0')
		name = pbs_server_name(connect);
	/* without the server's name the server completes the id itself */
	full = jobid_full(arg, name);
	return full;
}

void cmd_check_help(int argc, char **argv, const char *usage)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return;
		if (strcmp(argv[i], "--help") == 0) {
			fputs(usage, stdout);
			exit(0);
		}
	}
}

int for_each_job(const char *cmd, int argc, char **argv, int first, job_action fn, void *ctx)
{
	int connect, i, status = 0;

	connect = cnt2server(cmd, NULL);
	if (connect < 0)
		return pbs_errno;
	for (i = first; i < argc; i++) {
		char *id = cmd_jobid(cmd, connect, argv[i]);

		if (id == NULL) {
			status = 1;
			continue;
		}
		if (fn(connect, id, ctx) != 0) {
			prt_job_err(cmd, connect, id);
			status = pbs_errno ? pbs_errno : 1;
		}
		free(id);
	}
	pbs_disconnect(connect);
	return status;
}

static int hold(int connect, const char *id, void *ctx)
{
	return pbs_holdjob(connect, id, ctx, NULL);
}

static int release(int connect, const char *id, void *ctx)
{
	return pbs_rlsjob(connect, id, ctx, NULL);
}

int hold_or_release_main(int argc, char **argv, int release_them)
{
	const char *cmd = release_them ? "qrls" : "qhold";
	const char *hold_type = USER_HOLD;
	char usage[80];
	int c, errflg = 0;

	snprintf(usage, sizeof(usage), "usage: %s %s job_identifier...\n", cmd,
		 release_them ? "[-h {uos}]" : "[-h hold_list]");
	cmd_check_help(argc, argv, usage);
	while ((c = getopt(argc, argv, "h:")) != -1) {
		switch (c) {
		case 'h':
			while (*optarg == ' ')
				optarg++;
			if (check_hold_list(optarg, release_them) < 0) {
				fprintf(stderr, "%s: illegal -h value\n", cmd);
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
	return for_each_job(cmd, argc, argv, optind, release_them ? release : hold,
			    (void *)hold_type);
}
