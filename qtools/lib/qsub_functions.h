/* qsub's option handling (Torque's cmds/qsub_functions.c): the same
 * options come from #PBS directives in the script and from the command
 * line, the command line winning. Kept in the library so the unit tests
 * check what qsub accepts without a server. */
#ifndef CKMIG_QTOOLS_QSUB_FUNCTIONS_H
#define CKMIG_QTOOLS_QSUB_FUNCTIONS_H

#include "lib/util.h"
#include "qtools/lib/pbs_ifl.h"

#ifdef __cplusplus
extern "C" {
#endif

struct qsub_job {
	struct attropl *attrs;    /* job attributes, one entry per name/resource */
	struct buf vars;          /* -v / -V variables, Variable_List form */
	char *destination;        /* -q */
	char *prefix;             /* -C directive prefix */
	char *proxy_user;         /* -P (root submitting for a user) */
	char *workdir;            /* -d */
	int export_all;           /* -V */
	int quiet;                /* -z: do not print the job id */
	const char *host;         /* this host, for Output_Path/Error_Path */
	const char *cwd;          /* for relative paths */
};

void qsub_job_init(struct qsub_job *j, const char *host, const char *cwd);
void qsub_job_free(struct qsub_job *j);

/* Set (replace) one attribute. */
void qsub_set_attr(struct qsub_job *j, const char *name, const char *resource, const char *value);
const char *qsub_get_attr(const struct qsub_job *j, const char *name, const char *resource);

/* Apply options from argv (argv[0] is the program name). from_script:
 * directives may not name a script. Returns the index of the first
 * operand (argc when none), or -1 with Torque's message ("illegal -l
 * value", ...) in err. */
int qsub_process_opts(struct qsub_job *j, int argc, char **argv, int from_script,
		      char *err, size_t errlen);

/* Torque's path rule for -o/-e: "host:path" kept; a relative path made
 * absolute against cwd; the host prefixed. malloc'd. */
char *qsub_prepare_path(const char *path, const char *host, const char *cwd);

/* Everything qsub does between reading the script and submitting it:
 * directives (prefix from -C, else $PBS_DPREFIX, else "#PBS"), then the
 * command line over them, the default Job_Name (script_name's base name,
 * or STDIN when NULL), Variable_List with the PBS_O_* variables, -V and
 * -v, submit_args and submit_host. argv as qsub's (argv[0] ignored; an
 * operand, the script's name, is allowed). Returns 0, or -1 with the
 * message in err (*usage set when qsub should print its usage too). */
int qsub_build(struct qsub_job *j, int argc, char **argv, const char *text, size_t len,
	       const char *script_name, int *usage, char *err, size_t errlen);

/* The usage text Torque prints with an error. */
extern const char qsub_usage[];

/* -c asks for checkpointing but -l nodes= for more than one node: the
 * warning qsub prints (ckmig has no multi-node checkpoint). 1 and the
 * text in out, or 0. */
int qsub_ckpt_warning(const struct qsub_job *j, char *out, size_t outlen);

#ifdef __cplusplus
}
#endif
#endif
