/* The Checkpoint attribute (qsub -c, qalter -c), read the same way by
 * qsub, the server and the MOM. Before this file each kept its own copy
 * and they disagreed (`-c n,enabled` passed qsub, the server took it as
 * checkpointable and the MOM did not); now a value means one thing
 * everywhere, and a value that contradicts itself is refused at the door.
 *
 * Pure functions over a string: no I/O, no globals (fuzz targets and unit
 * tests drive them with buffers). */
#ifndef CKMIG_LIB_CKPT_OPTION_H
#define CKMIG_LIB_CKPT_OPTION_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CKPT_DIR_MAX 4096

/* Torque's items: n, none, u, c, c=MIN, s, shutdown, periodic, enabled,
 * interval=MIN, depth=N, dir=PATH. MIN is minutes; ckmig also takes "Ns"
 * (seconds) and "Nm". An item matches its word exactly (Torque matches a
 * prefix followed by a non-letter, which for these all-letter words is
 * the same); blanks around items and before '=' are ignored. */
struct ckpt_opts {
	int none;               /* n / none */
	int u;                  /* u: unspecified */
	int c;                  /* c or c=N: periodic */
	int s;                  /* s: at MOM shutdown */
	int shutdown;
	int periodic;
	int enabled;
	int interval;           /* seconds from c=N or interval=N; 0 unset */
	int depth;              /* 0 unset */
	char dir[CKPT_DIR_MAX]; /* dir=PATH or "" */
};

/* Parse val (NULL or "" = nothing asked) into o. Returns 0, or -1 with a
 * sentence in err (err may be NULL): an unknown item, a malformed number,
 * a relative or ".."-bearing dir=, the same item twice with different
 * values, or a contradiction (n/none/u beside anything that enables
 * checkpointing, c=N beside a different interval=M). */
int ckpt_opts_parse(const char *val, struct ckpt_opts *o, char *err, size_t errlen);

/* The one rule, for qhold/qchkpt/qmigrate at the server and for running
 * the job under $checkpoint_run_exe at the MOM: any of c, s, enabled,
 * shutdown, periodic (and not none). */
int ckpt_checkpointable(const struct ckpt_opts *o);
/* Checkpoint at MOM shutdown: s or shutdown. */
int ckpt_at_shutdown(const struct ckpt_opts *o);
/* Seconds between periodic checkpoints (c or periodic), else 0.
 * default_interval (seconds) applies when the job named none. */
int ckpt_periodic_interval(const struct ckpt_opts *o, int default_interval);

/* A checkpoint directory a user may name: absolute, no "." or ".."
 * component, no empty or overlong value. 0, or -1 with a reason. */
int ckpt_dir_check(const char *dir, char *err, size_t errlen);
/* Is dir equal to parent or below it (component-wise; trailing slashes
 * ignored)? Both are taken as written: callers check dir first. */
int ckpt_dir_under(const char *dir, const char *parent);

/* How many nodes a Torque node spec asks for ("2:ppn=4+node3" = 3); a
 * host name counts one, a count N counts N. 0 for NULL, "", or a spec
 * that does not parse. */
int nodes_spec_count(const char *spec);

#ifdef __cplusplus
}
#endif
#endif
