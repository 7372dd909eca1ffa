/* Small helpers about a job that several MOM files need. */
#ifndef CKMIG_MOM_MOM_UTIL_H
#define CKMIG_MOM_MOM_UTIL_H

#include <sys/types.h>

#include "mom/mom.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The job's owner on this node: euser, else Job_Owner up to '@'.
 * Points into the job's attributes (or a static buffer for Job_Owner). */
const char *mom_job_user(const struct mom_job *j);
/* "[[HH:]MM:]SS" -> seconds, or -1 if malformed. */
long mom_parse_hms(const char *s);
/* seconds -> "HH:MM:SS" into out. */
void mom_format_hms(long secs, char *out, size_t n);
/* exec_host "n1/0+n1/1+n2/0": slots and distinct hosts. */
void mom_count_exec_host(const char *exec_host, int *np, int *nnodes);
/* Start time of pid from /proc/PID/stat (clock ticks), 0 if gone. */
unsigned long long mom_proc_starttime(pid_t pid);
/* Environment for root scripts (checkpoint, restart), as pbs_mom gives
 * it: $PBS_HOME/pbs_environment only (a bare NAME there passes the MOM's
 * own NAME on).  Never the user's Variable_List, which could carry
 * LD_PRELOAD into a root process. */
char **mom_script_env(const struct mom *m, const struct mom_job *j);
/* envp with NAME=VALUE in place of any NAME it had (reallocated). */
char **mom_env_put(char **envp, const char *assignment);

#ifdef __cplusplus
}
#endif
#endif
