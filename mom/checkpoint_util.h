/* The parts of Torque's MOM checkpoint contract that are plain rules:
 * reading the job's Checkpoint attribute, naming the checkpoint directory
 * and image, building the scripts' argument vectors, and retention.
 * No MOM state here, so unit tests check each rule on its own. */
#ifndef CKMIG_MOM_CHECKPOINT_UTIL_H
#define CKMIG_MOM_CHECKPOINT_UTIL_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The Checkpoint attribute (qsub -c) as Torque reads it: a comma list of
 * n, none, u, c, c=MIN, s, shutdown, periodic, enabled, interval=MIN,
 * depth=N, dir=PATH. */
struct ckpt_opts {
	int none;        /* n / none */
	int c;           /* c or c=N: periodic */
	int s;           /* s: at MOM shutdown */
	int shutdown;
	int periodic;
	int enabled;
	int interval;    /* seconds from c=N or interval=N (minutes); 0 unset */
	int depth;       /* 0 unset */
	char dir[4096];  /* dir=PATH or "" */
};

/* Parse; unknown items are ignored as Torque's MOM ignores them.
 * Returns 0, or -1 for a malformed number (c=x, depth=-1). */
int ckpt_opts_parse(const char *val, struct ckpt_opts *o);

/* Torque's resmom rule: start the job under $checkpoint_run_exe when the
 * MOM has a checkpoint script and the job asked for c, s, enabled,
 * shutdown or periodic. */
int ckpt_mom_checkpointable(const struct ckpt_opts *o, int have_script);
/* The server's rule for qhold/qchkpt: s, c[=N] or enabled. */
int ckpt_server_checkpointable(const struct ckpt_opts *o);
/* Checkpoint at MOM shutdown: s or shutdown. */
int ckpt_at_shutdown(const struct ckpt_opts *o);
/* Seconds between periodic checkpoints (c or periodic), else 0.
 * default_interval (seconds) applies when the job named none. */
int ckpt_periodic_interval(const struct ckpt_opts *o, int default_interval);

/* Checkpoint directory of a job: dir (the job's checkpoint_dir, or the
 * Checkpoint attribute's dir=) + "/<jobid>.CK" unless it already ends so;
 * else base + "/<jobid>.CK". malloc'd. */
char *ckpt_job_dir(const char *dir, const char *base, const char *jobid);
/* "ckpt.<jobid>.<epoch>". malloc'd. */
char *ckpt_image_name(const char *jobid, time_t when);

/* argv for $checkpoint_script: script SID JOBID USER GROUP DIR NAME
 * SIGNAL DEPTH, "-" for an empty or NULL value, NULL-terminated.
 * signal < 0 and depth <= 0 are "-". Free with ckpt_argv_free. */
char **ckpt_checkpoint_argv(const char *script, long sid, const char *jobid,
			    const char *user, const char *group, const char *dir,
			    const char *name, int signal, int depth);
/* argv for $restart_script: script SID JOBID USER GROUP DIR NAME. */
char **ckpt_restart_argv(const char *script, long sid, const char *jobid,
			 const char *user, const char *group, const char *dir,
			 const char *name);
void ckpt_argv_free(char **argv);

/* Keep the newest `depth` complete checkpoints "ckpt.<jobid>.*" in dir
 * (libckpt's ckpt_retain: newest by manifest time; incomplete ones and
 * other jobs' are left alone). depth <= 0: keep all. Returns the number
 * removed, or -1 with a reason in err. */
int mom_ckpt_retain(const char *dir, const char *jobid, int depth, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
