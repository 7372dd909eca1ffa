/* What the q-commands share besides the IFL calls: the parsers for what
 * users type (resource lists, -c checkpoint items, #PBS directives, job
 * ids and destinations, -v/-W lists, times) and Torque's error printing.
 * Named after Torque's cmds.h; every parser here is pure (no server), so
 * the unit tests reach them directly. */
#ifndef CKMIG_QTOOLS_CMDS_H
#define CKMIG_QTOOLS_CMDS_H

#include <stddef.h>
#include "lib/resc_value.h"
#include "lib/util.h"
#include "qtools/lib/pbs_ifl.h"

#ifdef __cplusplus
extern "C" {
#endif

/* --- resource lists (qsub/qalter -l) ----------------------------------- */
/* Parse "name[=value][,name[=value]]..." (values may be quoted with " or
 * ' to carry commas) and append Resource_List entries to *list. Known
 * resources have their values checked: walltime/cput/pcput (time),
 * mem/vmem/pmem/pvmem/file (size), nodes (node spec), ppn/ncpus/procs/
 * nodect (count). Returns 0, or -1 with a reason in err. */
int parse_resource_list(const char *spec, struct attropl **list, char *err, size_t errlen);
/* parse_time_value, parse_size_value, check_node_spec: lib/resc_value.h */

/* --- checkpoint option (qsub/qalter -c) ----------------------------------- */
/* lib/ckpt_option.c's parser (the server's and the MOM's too): Torque's
 * items n, c, s, u, none, shutdown, periodic, enabled, interval=, depth=,
 * dir=, with numbers checked, dir= absolute, and contradictions ("n,enabled",
 * c=N beside another interval=M) refused. ckpt_option_check gives the
 * dir= value (or "") and the reason it refused; 0 = valid, -1 = not. */
int ckpt_option_check(const char *value, char *dir, size_t dirlen, char *why, size_t whylen);
int ckpt_option_valid(const char *value);

/* --- job scripts and #PBS directives ------------------------------------ */
/* One directive line, split into words as a shell would (quotes, \). */
struct directive {
	int lineno;
	int argc;
	char **argv;              /* argv[0] is "qsub" so getopt reads it */
	struct directive *next;
};
/* Scan a script for directives with the given prefix (NULL = "#PBS"),
 * as Torque's qsub does: leading blanks skipped, directives read until the
 * first executable line (not blank, not a comment, not "#!" or ':'), a
 * trailing backslash continues a directive on the next line. Returns 0 and
 * the list in *out, or -1 with a reason in err (unmatched quote, not a text
 * file, DOS line ends). */
int script_directives(const char *text, size_t len, const char *prefix,
		      struct directive **out, char *err, size_t errlen);
void directives_free(struct directive *d);
/* Split a command line string into words as a shell would (quotes and
 * backslashes); argv[0] = argv0. Returns 0 or -1 (unmatched quote). */
int make_argv(const char *line, const char *argv0, int *argc, char ***argv);
void free_argv(int argc, char **argv);

/* --- job ids and destinations ---------------------------------------- */
/* A job id is "SEQ[.server]" where SEQ is digits (optionally with an
 * array index "[...]"). 0 if well formed, -1 if not. */
int parse_jobid(const char *id, char *seq, size_t seqlen, char *server, size_t serverlen);
/* The full id: id as given when it names a server, else
 * "SEQ.<server_name>". malloc'd; NULL if the id is malformed. */
char *jobid_full(const char *id, const char *server_name);
/* Destination "queue", "@server" or "queue@server". 0 or -1. */
int parse_destination_id(const char *dest, char *queue, size_t qlen, char *server, size_t slen);
/* Run/migrate destination as Torque and Maui write it: "host",
 * "host/N", "host:ppn=N", "host+host...". 0 or -1. */
int check_run_destination(const char *dest);

/* --- small parsers --------------------------------------------------------- */
/* Hold list: non-empty, only u, o, s (and n for qrls). 0 or -1. */
int check_hold_list(const char *s, int allow_n);
/* Priority -1024..1023. 0 or -1. */
int check_priority(const char *s);
/* Job name as Torque accepts it: 1..230 printable characters, no blanks,
 * first not a digit... 0 or -1. */
int check_job_name(const char *s);
/* Join option: "oe", "eo" or "n". 0 or -1. */
int check_join(const char *s);
/* -v list "var[=value][,var[=value]]": values of bare names come from the
 * environment. Appends "var=value" items to buf (comma separated,
 * commas in values escaped with '\\' as Torque does). 0 or -1. */
int parse_variable_list(const char *spec, struct buf *out, char *err, size_t errlen);
/* Append one "name=value" item (escaped) to a Variable_List string. */
void variable_list_add(struct buf *out, const char *name, const char *value);
/* "name=value[,name=value]..." (qsub -W, qalter -W): appends attropl
 * entries. Values may be quoted. 0 or -1. */
int parse_equal_string_list(const char *spec, struct attropl **list, char *err, size_t errlen);
/* Signal: name (with or without SIG, any case), number, "suspend" or
 * "resume". 0 or -1. */
int check_signal(const char *s);

/* --- printing as Torque's commands print ---------------------------- */
/* "<cmd>: <server text or pbs_strerror> <id>" on stderr. */
void prt_job_err(const char *cmd, int connect, const char *id);
/* Connect or print "<cmd>: cannot connect to server <name> (errno=N) <text>"
 * and return -1. */
int cnt2server(const char *cmd, const char *server);
/* The full job id for what the user typed, asking the server its name
 * when the id has no server part; prints Torque's "illegally formed job
 * identifier" and returns NULL when malformed. */
char *cmd_jobid(const char *cmd, int connect, const char *arg);
/* Run fn on each job operand argv[first..argc-1] over one connection,
 * printing Torque's messages for malformed ids and refusals. Returns the
 * exit status Torque's commands use: the last PBSE number (1 for a
 * malformed id), 0 when all succeeded. */
typedef int (*job_action)(int connect, const char *job_id, void *ctx);
int for_each_job(const char *cmd, int argc, char **argv, int first, job_action fn, void *ctx);
/* `--help`: if argv has --help, print usage to stdout, exit 0. */
void cmd_check_help(int argc, char **argv, const char *usage);
/* qhold and qrls, which differ only in their request and in qrls taking
 * "n" in -h: main() of either (release 0: qhold, 1: qrls). */
int hold_or_release_main(int argc, char **argv, int release);

#ifdef __cplusplus
}
#endif
#endif
