/* The Slurm job operations of slurm/ckslurm_job.h. */
#include "slurm/ckslurm_job.h"

#include <slurm/slurm.h>
#include <slurm/slurm_errno.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void ckslurm_init(void)
{
    slurm_init(NULL);
}

static int last_error(void)
{
    int e = slurm_get_errno();
    return e ? e : SLURM_ERROR;
}

const char *ckslurm_strerror(int code)
{
    return slurm_strerror(code);
}

uint32_t ckslurm_parse_jobid(const char *s)
{
    char *end;
    if (!s || !isdigit((unsigned char)*s))
        return 0;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || v == 0 || v >= 0xfffffff0ul)
        return 0;
    return (uint32_t)v;
}

int ckslurm_job_get(uint32_t id, struct ckslurm_job *j)
{
    job_info_msg_t *msg = NULL;
    memset(j, 0, sizeof(*j));
    if (slurm_load_job(&msg, id, SHOW_ALL | SHOW_DETAIL) != SLURM_SUCCESS)
        return last_error();
    if (!msg || msg->record_count < 1) {
        slurm_free_job_info_msg(msg);
        return ESLURM_INVALID_JOB_ID;
    }
    slurm_job_info_t *ji = &msg->job_array[0];
    j->id = ji->job_id;
    j->state = ji->job_state & JOB_STATE_BASE;
    static const char *names[] = { "PENDING", "RUNNING", "SUSPENDED", "COMPLETED", "CANCELLED",
                                   "FAILED", "TIMEOUT", "NODE_FAIL", "PREEMPTED", "BOOT_FAIL",
                                   "DEADLINE", "OUT_OF_MEMORY" };
    snprintf(j->state_name, sizeof(j->state_name), "%s",
             j->state < sizeof(names) / sizeof(names[0]) ? names[j->state] : "UNKNOWN");
    j->restarts = ji->restart_cnt;
    j->num_nodes = ji->num_nodes;
    j->uid = ji->user_id;
    j->batch = ji->batch_flag != 0;
    j->requeue = ji->requeue != 0;
    j->pending = j->state == JOB_PENDING;
    j->running = j->state == JOB_RUNNING;
    j->settled = !(ji->job_state & (JOB_COMPLETING | JOB_REQUEUE | JOB_REQUEUE_HOLD | JOB_SPECIAL_EXIT |
                                    JOB_REQUEUE_FED));
    j->waits_begin = ji->state_reason == WAIT_TIME;
    j->submit_time = (long long)ji->submit_time;
    j->start_time = (long long)ji->start_time;
    j->end_time = (long long)ji->end_time;
    j->time_limit = ji->time_limit == INFINITE || ji->time_limit == NO_VAL ? 0
                                                                            : 60LL * ji->time_limit;
    snprintf(j->nodes, sizeof(j->nodes), "%s", ji->nodes ? ji->nodes : "");
    snprintf(j->batch_host, sizeof(j->batch_host), "%s", ji->batch_host ? ji->batch_host : "");
    snprintf(j->comment, sizeof(j->comment), "%s", ji->comment ? ji->comment : "");
    snprintf(j->admin_comment, sizeof(j->admin_comment), "%s",
             ji->admin_comment ? ji->admin_comment : "");
    slurm_free_job_info_msg(msg);
    return 0;
}

static int update(job_desc_msg_t *d)
{
    return slurm_update_job(d) == SLURM_SUCCESS ? 0 : last_error();
}

int ckslurm_job_admin_comment(uint32_t id, const char *text)
{
    job_desc_msg_t d;
    slurm_init_job_desc_msg(&d);
    d.job_id = id;
    d.admin_comment = (char *)text;
    return update(&d);
}

int ckslurm_job_comment(uint32_t id, const char *text)
{
    job_desc_msg_t d;
    slurm_init_job_desc_msg(&d);
    d.job_id = id;
    d.comment = (char *)text;
    return update(&d);
}

int ckslurm_job_steer(uint32_t id, const char *req, const char *exc, int start_now)
{
    job_desc_msg_t d;
    slurm_init_job_desc_msg(&d);
    d.job_id = id;
    d.req_nodes = (char *)req;
    d.exc_nodes = (char *)exc;
    if (start_now)
        d.begin_time = time(NULL);
    return update(&d);
}

int ckslurm_job_requeue(uint32_t id, int hold)
{
    return slurm_requeue(id, hold ? JOB_REQUEUE_HOLD : 0) == SLURM_SUCCESS ? 0 : last_error();
}

int ckslurm_job_signal_batch(uint32_t id, int sig)
{
    return slurm_kill_job(id, (uint16_t)sig, KILL_JOB_BATCH) == SLURM_SUCCESS ? 0 : last_error();
}

int ckslurm_transient(int code)
{
    return (code >= SLURM_COMMUNICATIONS_CONNECTION_ERROR && code < SLURM_COMMUNICATIONS_CONNECTION_ERROR + 20) ||
           (code >= SLURMCTLD_COMMUNICATIONS_CONNECTION_ERROR &&
            code <= SLURMCTLD_COMMUNICATIONS_SHUTDOWN_ERROR) ||
           code == SLURM_PROTOCOL_SOCKET_IMPL_TIMEOUT || code == ESLURM_TRANSITION_STATE_NO_UPDATE ||
           code == ESLURM_IN_STANDBY_MODE || code == ESLURM_IN_STANDBY_USE_BACKUP ||
           code == ECONNREFUSED || code == ETIMEDOUT || code == EAGAIN || code == EINTR ||
           code == ECONNRESET || code == SLURM_ERROR;
}

int ckslurm_job_pending_error(int code)
{
    return code == ESLURM_JOB_PENDING;
}

int ckslurm_not_pending(int code)
{
    return code == ESLURM_JOB_NOT_PENDING;
}

int ckslurm_conf_file_append(void)
{
    slurm_conf_t *conf = NULL;
    if (slurm_load_ctl_conf((time_t)0, &conf) != SLURM_SUCCESS || !conf)
        return -1;
    int r = conf->job_file_append ? 1 : 0;
    slurm_free_ctl_conf(conf);
    return r;
}
