/* qsub: submit a batch job, as Torque's qsub does: the script from a
 * file or standard input, #PBS directives read from it, the command line
 * winning over directives, the new job id printed. */
#include "qtools/lib/cmds.h"
#include "qtools/lib/qsub_functions.h"

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Script larger than this is refused (the server's frame is 16 MiB). */
#define SCRIPT_MAX (8u * 1024 * 1024)

static void usage_exit(const char *msg)
{
	fprintf(stderr, "[%s]\n\n%s\n", msg, qsub_usage);
	exit(2);
}

static char *read_stream(FILE *f, size_t *len)
{
	struct buf b;
	char chunk[65536];
	size_t n;

	buf_init(&b);
	buf_append(&b, "", 0);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		buf_append(&b, chunk, n);
		if (b.len > SCRIPT_MAX) {
			buf_free(&b);
			return NULL;
		}
	}
	*len = b.len;
	return b.data;
}

/* root may submit for a user (-P), as the user: the server learns who
 * submits from the kernel, so we become that user before connecting */
static int become_user(const char *user)
{
	struct passwd *pw = getpwnam(user);

	if (pw == NULL || pw->pw_uid == 0) {
		fprintf(stderr, "qsub: illegal -P value: %s\n", user);
		return -1;
	}
	if (initgroups(pw->pw_name, pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 ||
	    setuid(pw->pw_uid) < 0) {
		fprintf(stderr, "qsub: cannot become %s: %s\n", user, strerror(errno));
		return -1;
	}
	/* the job's PBS_O_HOME and PBS_O_LOGNAME are the user's, not root's */
	setenv("HOME", pw->pw_dir, 1);
	setenv("LOGNAME", pw->pw_name, 1);
	setenv("USER", pw->pw_name, 1);
	return 0;
}

int main(int argc, char **argv)
{
	struct qsub_job pre, job;
	char host[256], cwd[PATH_MAX], err[512], *text = NULL, *id = NULL;
	const char *script = NULL;
	size_t len = 0;
	int first, connect, usage, rc = 1;

	cmd_check_help(argc, argv, qsub_usage);
	if (gethostname(host, sizeof(host)) < 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		snprintf(cwd, sizeof(cwd), "/");
	qsub_job_init(&pre, host, cwd);
	qsub_job_init(&job, host, cwd);

	/* first pass: the script operand and -C, and bad options early */
	first = qsub_process_opts(&pre, argc, argv, 0, err, sizeof(err));
	if (first < 0)
		usage_exit(err);
	if (argc - first > 1)
		usage_exit("qsub: only one script may be given");
	if (first < argc && strcmp(argv[first], "-") != 0)
		script = argv[first];

	if (getuid() == 0) {
		if (pre.proxy_user == NULL) {
			fprintf(stderr, "qsub can not be run as root\n");
			goto out;
		}
		if (become_user(pre.proxy_user) < 0)
			goto out;
	} else if (pre.proxy_user) {
		fprintf(stderr, "qsub: -P requires root\n");
		goto out;
	}

	if (script) {
		struct stat st;
		FILE *f;

		if (stat(script, &st) < 0) {
			fprintf(stderr, "qsub: script file '%s' cannot be loaded - %s\n", script,
				strerror(errno));
			goto out;
		}
		if (!S_ISREG(st.st_mode)) {
			fprintf(stderr, "qsub: script not a file\n");
			goto out;
		}
		if ((f = fopen(script, "r")) == NULL) {
			fprintf(stderr, "qsub: script file '%s' cannot be loaded - %s\n", script,
				strerror(errno));
			goto out;
		}
		text = read_stream(f, &len);
		fclose(f);
	} else {
		text = read_stream(stdin, &len);
	}
	if (text == NULL) {
		fprintf(stderr, "qsub: script is too large (more than %u bytes)\n", SCRIPT_MAX);
		goto out;
	}

	if (qsub_build(&job, argc, argv, text, len, script, &usage, err, sizeof(err)) < 0) {
		if (usage)
			usage_exit(err);
		fprintf(stderr, "%s\n", err);
		goto out;
	}

	if (qsub_ckpt_warning(&job, err, sizeof(err)))
		fprintf(stderr, "%s\n", err);
	connect = cnt2server("qsub", NULL);
	if (connect < 0) {
		rc = pbs_errno;
		goto out;
	}
	id = pbs_submit_buf(connect, job.attrs, text, job.destination, NULL);
	if (id == NULL) {
		const char *msg = pbs_geterrmsg(connect);

		if (msg)
			fprintf(stderr, "qsub: submit error (%s)\n", msg);
		else
			fprintf(stderr, "qsub: Error (%d - %s) submitting job\n", pbs_errno,
				pbs_strerror(pbs_errno));
		rc = pbs_errno;
	} else {
		if (!job.quiet)
			printf("%s\n", id);
		rc = 0;
	}
	pbs_disconnect(connect);
out:
	free(id);
	free(text);
	qsub_job_free(&pre);
	qsub_job_free(&job);
	return rc;
}
