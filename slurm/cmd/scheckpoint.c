/* scheckpoint [--no-wait] JOBID...: checkpoint running --checkpoint jobs,
 * which go on running.  As the caller: the request is the signal SIGUSR1
 * to the batch script alone (scancel --batch), which Slurm delivers only
 * for the job's owner, an operator or root; the job's root agent on its
 * node writes the checkpoint and says how it went in the job's
 * AdminComment, which only root or SlurmUser can set. */
#include "slurm/ckslurm_job.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int one(uint32_t id, int wait)
{
    struct ckslurm_job j;
    int rc = ckslurm_job_get(id, &j);
    if (rc) {
        fprintf(stderr, "scheckpoint: error: job %u: %s\n", id, ckslurm_strerror(rc));
        return 1;
    }
    if (!j.running || strncmp(j.admin_comment, CKSLURM_ADMIN_PREFIX, strlen(CKSLURM_ADMIN_PREFIX))) {
        fprintf(stderr, "scheckpoint: error: job %u is %s%s\n", id, j.state_name,
                j.running ? " but was not submitted with --checkpoint" : ", not running");
        return 1;
    }
    char said[sizeof(j.admin_comment)];
    snprintf(said, sizeof(said), "%s", j.admin_comment);
    if ((rc = ckslurm_job_signal_batch(id, SIGUSR1))) {
        fprintf(stderr, "scheckpoint: error: job %u: %s\n", id, ckslurm_strerror(rc));
        return 1;
    }
    if (!wait)
        return 0;
    for (time_t end = time(NULL) + 600; time(NULL) < end; usleep(200 * 1000)) {
        if (ckslurm_job_get(id, &j) || !strcmp(said, j.admin_comment))
            continue;
        if (strstr(j.admin_comment, "checkpointed ")) {
            printf("job %u: %s\n", id, j.admin_comment + strlen(CKSLURM_ADMIN_PREFIX " "));
            return 0;
        }
        if (strstr(j.admin_comment, "failed")) {
            fprintf(stderr, "scheckpoint: error: job %u: %s\n", id, j.admin_comment);
            return 1;
        }
    }
    fprintf(stderr, "scheckpoint: error: job %u: no answer within 600 s\n", id);
    return 1;
}

int main(int argc, char **argv)
{
    static struct option opts[] = { { "no-wait", 0, 0, 'n' }, { "help", 0, 0, 'h' }, { 0, 0, 0, 0 } };
    int wait = 1, c, bad = 0;
    while ((c = getopt_long(argc, argv, "nh", opts, NULL)) != -1) {
        if (c == 'n')
            wait = 0;
        else {
            fprintf(c == 'h' ? stdout : stderr, "Usage: scheckpoint [-n, --no-wait] JOBID...\n");
            return c == 'h' ? 0 : 2;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "Usage: scheckpoint [-n, --no-wait] JOBID...\n");
        return 2;
    }
    ckslurm_init();
    for (int i = optind; i < argc; i++) {
        uint32_t id = ckslurm_parse_jobid(argv[i]);
        if (!id) {
            fprintf(stderr, "scheckpoint: error: Invalid job id %s\n", argv[i]);
            bad = 1;
            continue;
        }
        bad |= one(id, wait);
    }
    return bad;
}
