/* The parts of Torque's MOM checkpoint contract that are plain rules:
 * reading the job's Checkpoint attribute, naming the checkpoint directory
 * and image, building the scripts' argument vectors, and retention.
 * No MOM state here, so unit tests check each rule on its own. */
#ifndef CKMIG_MOM_CHECKPOINT_UTIL_H
#define CKMIG_MOM_CHECKPOINT_UTIL_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "lib/ckpt_option.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The Checkpoint attribute: lib/ckpt_option.h (one parser for qsub,
 * server and MOM). The MOM runs a job under $checkpoint_run_exe when it
 * has a checkpoint script and ckpt_checkpointable() says so. */
int ckpt_mom_checkpointable(const struct ckpt_opts *o, int have_script);

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
