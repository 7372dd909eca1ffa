/* libFuzzer target: qsub's option parser (qtools/lib/qsub_functions.c),
 * as qsub runs it: #PBS directives of the script, then the command line
 * over them.
 *
 * Input: the first line is the command line (split into words as a
 * shell would, make_argv), the rest is the job script. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qtools/lib/cmds.h"
#include "qtools/lib/qsub_functions.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* -V copies the environment into the job: keep it small and fixed */
	clearenv();
	setenv("HOME", "/home/ckmiga", 1);
	setenv("PATH", "/usr/bin:/bin", 1);
	setenv("LOGNAME", "ckmiga", 1);
	setenv("SHELL", "/bin/sh", 1);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *nl = memchr(data, '\n', size);
	size_t cl = nl ? (size_t)(nl - (const char *)data) : size;
	char *cmdline = malloc(cl + 1), err[1024];
	const char *script = nl ? nl + 1 : "";
	size_t slen = nl ? size - cl - 1 : 0;
	struct qsub_job j;
	char **argv = NULL;
	int argc = 0, usage = 0;

	if (!cmdline)
		return 0;
	memcpy(cmdline, data, cl);
	cmdline[cl] = '\0';
	if (make_argv(cmdline, "qsub", &argc, &argv) == 0) {
		qsub_job_init(&j, "head.cluster", "/home/ckmiga/work");
		(void)qsub_build(&j, argc, argv, script, slen, argc > 1 ? argv[argc - 1] : NULL,
				 &usage, err, sizeof(err));
		qsub_job_free(&j);
		free_argv(argc, argv);
	}
	free(cmdline);
	return 0;
}
