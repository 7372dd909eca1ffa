/* ckslurm_job.h: the few Slurm job operations ckmig's agent and commands
 * make, over libslurm (as whoever runs them: Slurm checks who may). */
#ifndef CKSLURM_JOB_H
#define CKSLURM_JOB_H

#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

struct ckslurm_job {
    uint32_t id;
    uint32_t state;          /* JOB_* base state */
    char state_name[32];     /* RUNNING, PENDING, ... */
    uint32_t restarts;
    uint32_t num_nodes;
    uid_t uid;
    char nodes[256];         /* allocated nodes, "" when none */
    char batch_host[256];
    char comment[512];
    char admin_comment[512];
    int batch;
    int requeue;             /* the job may be requeued */
    int pending, running;    /* base state PENDING / RUNNING */
    int settled;             /* no longer completing or being requeued */
    int waits_begin;         /* pending for its BeginTime */
    long long submit_time;   /* this run's SubmitTime (Slurm renews it at a requeue) */
    long long start_time, end_time;  /* this run's start and expected end */
    long long time_limit;    /* seconds; 0: none (INFINITE) */
};

/* Marks ckmig leaves in a job: AdminComment (only root/SlurmUser can set
 * it, so users can trust what it says) and the owner's Comment carrying a
 * move's target until the job runs again. */
#define CKSLURM_ADMIN_PREFIX "ckmig:"
#define CKSLURM_TARGET_PREFIX "ckmig-migrate="

void ckslurm_init(void);
/* 0, or a Slurm error code (slurm_strerror) */
int ckslurm_job_get(uint32_t id, struct ckslurm_job *j);
int ckslurm_job_admin_comment(uint32_t id, const char *text);
int ckslurm_job_comment(uint32_t id, const char *text);
/* ReqNodeList/ExcNodeList (NULL: unchanged, "": cleared) and StartTime=now */
int ckslurm_job_steer(uint32_t id, const char *req, const char *exc, int start_now);
/* requeue (hold: held, JobHeldAdmin when root asks) */
int ckslurm_job_requeue(uint32_t id, int hold);
/* signal the batch script only (scancel --batch --signal=SIG) */
int ckslurm_job_signal_batch(uint32_t id, int sig);
/* slurm.conf's JobFileAppend (1/0), as slurmctld has it; -1 if unknown */
int ckslurm_conf_file_append(void);
const char *ckslurm_strerror(int code);
/* slurmctld away (restarting, unreachable): worth trying again */
int ckslurm_transient(int code);
int ckslurm_not_pending(int code);
/* "Job is pending execution": slurmctld does not know the job runs */
int ckslurm_job_pending_error(int code);
/* "123" or "123_4"-free ids only: 0 on a bad id */
uint32_t ckslurm_parse_jobid(const char *s);

#ifdef __cplusplus
}
#endif
#endif
