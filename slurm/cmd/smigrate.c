/* smigrate JOBID [-w NODELIST] [--wait]   move a running --checkpoint job
 * smigrate --drain NODELIST [--reason TEXT]  drain nodes by moving their jobs
 *
 * Runs as whoever calls it; every step is a Slurm request made with the
 * caller's own munge identity, so Slurm decides who may: the target goes
 * into the job's Comment (owner, operator or root), the move is the signal
 * SIGUSR2 to the batch script alone (scancel --batch: the same), a drain
 * is a node update (administrators).  The job's root agent on its node
 * acts only on that signal.  Callable from inside the job: it returns, and
 * the job's next line runs on the new node. */
#include "slurm/ckslurm_job.h"

#include <getopt.h>
#include <signal.h>
#include <slurm/slurm.h>
#include <slurm/slurm_errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void usage(FILE *f)
{
    fprintf(f, "Usage: smigrate [-w, --nodelist=NODES] [-W, --wait] JOBID\n"
               "       smigrate -d, --drain=NODES [--reason=TEXT]\n");
}

static int err(const char *what, int code)
{
    fprintf(stderr, "smigrate: error: %s: %s\n", what, ckslurm_strerror(code));
    return 1;
}

/* Marks the target (the owner's Comment), then asks the job's agent. */
static int move(uint32_t id, const char *nodes, int wait)
{
    struct ckslurm_job j;
    char what[64], mark[300];
    snprintf(what, sizeof(what), "job %u", id);
    int rc = ckslurm_job_get(id, &j);
    if (rc)
        return err(what, rc);
    if (!j.running) {
        fprintf(stderr, "smigrate: error: job %u is %s, not running\n", id, j.state_name);
        return 1;
    }
    if (strncmp(j.admin_comment, CKSLURM_ADMIN_PREFIX, strlen(CKSLURM_ADMIN_PREFIX))) {
        fprintf(stderr, "smigrate: error: job %u was not submitted with --checkpoint\n", id);
        return 1;
    }
    if (j.num_nodes > 1) {
        fprintf(stderr, "smigrate: error: job %u runs on %u nodes: only one-node jobs move\n", id,
                j.num_nodes);
        return 1;
    }
    snprintf(mark, sizeof(mark), CKSLURM_TARGET_PREFIX "%s", nodes && *nodes ? nodes : "*");
    if ((rc = ckslurm_job_comment(id, mark)))
        return err(what, rc);
    if ((rc = ckslurm_job_signal_batch(id, SIGUSR2)))
        return err(what, rc);
    if (!wait)
        return 0;
    /* until it runs again (restart count up) or says why not */
    uint32_t before = j.restarts;
    char said[sizeof(j.admin_comment)];
    snprintf(said, sizeof(said), "%s", j.admin_comment);
    for (time_t end = time(NULL) + 600; time(NULL) < end; usleep(300 * 1000)) {
        if (ckslurm_job_get(id, &j))
            continue;
        if (j.restarts > before && j.running && strstr(j.admin_comment, "restarted")) {
            printf("job %u runs on %s\n", id, j.nodes);
            return 0;
        }
        if (j.restarts > before && j.running && strstr(j.admin_comment, "running on")) {
            fprintf(stderr, "smigrate: error: job %u started over on %s\n", id, j.nodes);
            return 1;
        }
        if (j.restarts > before && !j.running && !j.pending) {
            fprintf(stderr, "smigrate: error: job %u is %s\n", id, j.state_name);
            return 1;
        }
        if (strcmp(said, j.admin_comment) && strstr(j.admin_comment, "failed")) {
            fprintf(stderr, "smigrate: error: job %u: %s\n", id, j.admin_comment);
            return 1;
        }
    }
    fprintf(stderr, "smigrate: error: job %u did not run again within 600 s\n", id);
    return 1;
}

/* Drain: the nodes first (no new jobs), then every job on them moves. */
static int drain(const char *nodes, const char *reason)
{
    update_node_msg_t un;
    slurm_init_update_node_msg(&un);
    un.node_names = (char *)nodes;
    un.node_state = NODE_STATE_DRAIN;
    un.reason = (char *)(reason ? reason : "ckmig: drained by smigrate");
    if (slurm_update_node(&un) != SLURM_SUCCESS)
        return err(nodes, slurm_get_errno());
    job_info_msg_t *msg = NULL;
    if (slurm_load_jobs(0, &msg, SHOW_ALL) != SLURM_SUCCESS)
        return err("jobs", slurm_get_errno());
    hostlist_t drained = slurm_hostlist_create(nodes);
    int bad = 0;
    for (uint32_t i = 0; i < msg->record_count; i++) {
        slurm_job_info_t *ji = &msg->job_array[i];
        if ((ji->job_state & JOB_STATE_BASE) != JOB_RUNNING || !ji->nodes)
            continue;
        hostlist_t hl = slurm_hostlist_create(ji->nodes);
        int on = 0;
        char *h;
        while (hl && (h = slurm_hostlist_shift(hl))) {
            if (slurm_hostlist_find(drained, h) >= 0)
                on = 1;
            free(h);
        }
        slurm_hostlist_destroy(hl);
        if (!on)
            continue;
        if (!ji->admin_comment || strncmp(ji->admin_comment, CKSLURM_ADMIN_PREFIX,
                                          strlen(CKSLURM_ADMIN_PREFIX))) {
            printf("job %u on %s cannot move: not submitted with --checkpoint\n", ji->job_id,
                   ji->nodes);
            bad = 1;
            continue;
        }
        if (move(ji->job_id, NULL, 0))
            bad = 1;
        else
            printf("job %u on %s moves\n", ji->job_id, ji->nodes);
    }
    slurm_hostlist_destroy(drained);
    slurm_free_job_info_msg(msg);
    return bad;
}

int main(int argc, char **argv)
{
    static struct option opts[] = { { "nodelist", 1, 0, 'w' }, { "wait", 0, 0, 'W' },
                                    { "drain", 1, 0, 'd' },    { "reason", 1, 0, 'r' },
                                    { "help", 0, 0, 'h' },     { 0, 0, 0, 0 } };
    const char *nodes = NULL, *drain_nodes = NULL, *reason = NULL;
    int wait = 0, c;
    while ((c = getopt_long(argc, argv, "w:Wd:h", opts, NULL)) != -1) {
        switch (c) {
        case 'w': nodes = optarg; break;
        case 'W': wait = 1; break;
        case 'd': drain_nodes = optarg; break;
        case 'r': reason = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    ckslurm_init();
    if (drain_nodes) {
        if (optind != argc) {
            usage(stderr);
            return 2;
        }
        return drain(drain_nodes, reason);
    }
    if (optind + 1 != argc) {
        usage(stderr);
        return 2;
    }
    uint32_t id = ckslurm_parse_jobid(argv[optind]);
    if (!id) {
        fprintf(stderr, "smigrate: error: Invalid job id %s\n", argv[optind]);
        return 1;
    }
    return move(id, nodes, wait);
}
