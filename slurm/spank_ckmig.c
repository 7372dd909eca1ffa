/* spank_ckmig: ckmig's SPANK plugin for Slurm.  `sbatch --checkpoint[=DIR]`
 * runs the batch script under cr_run, from root's side, so that it can be
 * checkpointed (scheckpoint), moved (smigrate) and, once requeued, continued
 * from its newest checkpoint instead of starting over.  The job's owner
 * needs no setuid program.
 *
 * plugstack.conf:
 *   required /usr/local/lib/slurm/spank_ckmig.so dir=/shared/checkpoint
 * Arguments: dir=DIR       the checkpoint directory (root's, not writable by
 *                          others; the per-job directories are made in it)
 *            PARTITION:dir=DIR   the same for one partition
 *            agent=PATH    ckmig_slurm_agent (default PREFIX/libexec/ckmig/)
 *            bin=DIR       where cr_run, cr_checkpoint, cr_restart are
 *            log=FILE      the agent's log (root's, appended to; default
 *                          syslog, "ckmig-slurm")
 *            always        every batch job, as if --checkpoint were given
 *            margin=SECONDS  how long before a --time-total job's time limit
 *                          it is checkpointed (default 300; every run keeps
 *                          at least a tenth of its limit)
 *
 * sbatch --time-total=TIME (Slurm's time format, or UNLIMITED) implies
 * --checkpoint: the job is checkpointed a margin before each run's time
 * limit (--time) and requeued, until it ends or has run TIME in all; then
 * it is checkpointed and held (scontrol release runs it once more).
 *
 * How (slurmstepd, batch step only; other steps are left alone):
 *   task_init_privileged (root, in the task's process before it becomes the
 *     user): a socket pair, and a fork that execs the root agent, which
 *     stays the task's child;
 *   task_init (the user, just before Slurm would exec the script): the
 *     task sends the agent what it would have run (argv, environment,
 *     working directory and stdio as descriptors) and, instead of exec'ing
 *     it, waits for the agent and ends as it ends.  The agent runs the
 *     script under `cr_run --user`, or `cr_restart` of the newest
 *     checkpoint.  Signals Slurm sends to the batch script alone (scancel
 *     --batch, --signal=B:...) reach this waiting task: SIGUSR1 asks the
 *     agent for a checkpoint, SIGUSR2 for a checkpoint and requeue; others
 *     are passed on to the job.  So Slurm itself decides who may ask
 *     (the job's owner, an operator, root), with its own authentication. */
#include <slurm/slurm.h>
#include <slurm/spank.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "slurm/ckslurm_proto.h"
#include "slurm/ckslurm_time.h"

SPANK_PLUGIN(ckmig, 1);

#ifndef CKMIG_PREFIX
#define CKMIG_PREFIX "/usr/local"
#endif

static int opt_given;
static char opt_dir[PATH_MAX];
static char cfg_dir[PATH_MAX];
static char cfg_agent[PATH_MAX] = CKMIG_PREFIX "/libexec/ckmig/ckmig_slurm_agent";
static char cfg_bin[PATH_MAX] = CKMIG_PREFIX "/bin";
static char cfg_log[PATH_MAX];
static char cfg_partdirs[2048];    /* "PART=DIR\n..." */
static int cfg_always;
static long long cfg_margin = 300;
static long long opt_total;        /* --time-total: 0 none, seconds, or UNLIMITED */

static int agent_fd = -1;
static pid_t agent_pid = -1;
static char job_ckdir[PATH_MAX];   /* chosen in task_init_privileged */

static int opt_cb(int val, const char *optarg, int remote)
{
    (void)val;
    (void)remote;
    opt_given = 1;
    if (optarg && *optarg) {
        if (optarg[0] != '/' || strlen(optarg) >= sizeof(opt_dir)) {
            slurm_error("ckmig: --checkpoint=%s: an absolute directory, please", optarg);
            return -1;
        }
        snprintf(opt_dir, sizeof(opt_dir), "%s", optarg);
    }
    return 0;
}

static int total_cb(int val, const char *optarg, int remote)
{
    (void)val;
    (void)remote;
    long long t = ckslurm_time_parse(optarg);
    if (t == CKSLURM_TIME_BAD) {
        slurm_error("ckmig: --time-total=%s: a time as --time takes it (minutes, MM:SS, "
                    "HH:MM:SS, D-HH:MM:SS) or UNLIMITED, please", optarg ? optarg : "");
        return -1;
    }
    opt_total = t;
    opt_given = 1;
    return 0;
}

static struct spank_option total_opt = {
    "time-total", "time",
    "Implies --checkpoint. Run the job past its time limit (--time): checkpoint it shortly "
    "before the limit and requeue it, until it has run for time in all (Slurm's time format, "
    "or UNLIMITED); then it is checkpointed and held.",
    1, 0, total_cb
};

static struct spank_option checkpoint_opt = {
    "checkpoint", "[dir]",
    "Run the batch script so that ckmig can checkpoint it (scheckpoint), move it "
    "(smigrate) and continue it from its newest checkpoint when it is requeued; "
    "checkpoints go to dir (default: the site's).",
    2, 0, opt_cb
};

static int parse_args(int ac, char **av)
{
    for (int i = 0; i < ac; i++) {
        const char *a = av[i];
        const char *colon = strchr(a, ':');
        if (!strncmp(a, "dir=", 4))
            snprintf(cfg_dir, sizeof(cfg_dir), "%s", a + 4);
        else if (!strncmp(a, "agent=", 6))
            snprintf(cfg_agent, sizeof(cfg_agent), "%s", a + 6);
        else if (!strncmp(a, "bin=", 4))
            snprintf(cfg_bin, sizeof(cfg_bin), "%s", a + 4);
        else if (!strncmp(a, "log=", 4))
            snprintf(cfg_log, sizeof(cfg_log), "%s", a + 4);
        else if (!strcmp(a, "always"))
            cfg_always = 1;
        else if (!strncmp(a, "margin=", 7)) {
            char *end;
            cfg_margin = strtoll(a + 7, &end, 10);
            if (*end || cfg_margin <= 0) {
                slurm_error("ckmig: margin=%s: seconds, more than 0", a + 7);
                return -1;
            }
        }
        else if (colon && !strncmp(colon + 1, "dir=", 4) &&
                 strlen(cfg_partdirs) + strlen(a) + 2 < sizeof(cfg_partdirs)) {
            strncat(cfg_partdirs, a, (size_t)(colon - a));
            strcat(cfg_partdirs, "=");
            strcat(cfg_partdirs, colon + 5);
            strcat(cfg_partdirs, "\n");
        } else {
            slurm_error("ckmig: unknown plugin argument '%s'", a);
            return -1;
        }
    }
    return 0;
}

int slurm_spank_init(spank_t sp, int ac, char **av)
{
    if (parse_args(ac, av) < 0)
        return -1;
    /* For sbatch the option must be registered here: a static table of
     * options reaches srun only (spank(7)). */
    if (spank_option_register(sp, &checkpoint_opt) != ESPANK_SUCCESS ||
        spank_option_register(sp, &total_opt) != ESPANK_SUCCESS) {
        slurm_error("ckmig: cannot register --checkpoint and --time-total");
        return -1;
    }
    return 0;
}

/* Only the batch step, and only when asked. */
static int wanted(spank_t sp)
{
    uint32_t step = 0;
    if (!spank_remote(sp) || !(opt_given || cfg_always))
        return 0;
    if (spank_get_item(sp, S_JOB_STEPID, &step) != ESPANK_SUCCESS)
        return 0;
    return step == SLURM_BATCH_SCRIPT;
}

/* The partition's directory from PART:dir=, if the plugin was given one. */
static const char *partition_dir(const char *part)
{
    static char out[PATH_MAX];
    if (!part)
        return NULL;
    size_t pl = strlen(part);
    for (const char *l = cfg_partdirs; *l;) {
        const char *nl = strchr(l, '\n');
        if (!nl)
            break;
        if (!strncmp(l, part, pl) && l[pl] == '=') {
            snprintf(out, sizeof(out), "%.*s", (int)(nl - l - pl - 1), l + pl + 1);
            return out;
        }
        l = nl + 1;
    }
    return NULL;
}

static const char *env_of(spank_t sp, const char *name, char *buf, size_t n)
{
    return spank_getenv(sp, name, buf, (int)n) == ESPANK_SUCCESS ? buf : NULL;
}

/* Root, in the task's own process, before Slurm drops privileges. */
int slurm_spank_task_init_privileged(spank_t sp, int ac, char **av)
{
    (void)ac;
    (void)av;
    if (!wanted(sp))
        return 0;
    uint32_t jobid = 0, nnodes = 0, restarts = 0;
    uid_t uid = 0;
    gid_t gid = 0;
    char part[256], node[256];
    spank_get_item(sp, S_JOB_ID, &jobid);
    spank_get_item(sp, S_JOB_UID, &uid);
    spank_get_item(sp, S_JOB_GID, &gid);
    spank_get_item(sp, S_JOB_NNODES, &nnodes);
    spank_get_item(sp, S_SLURM_RESTART_COUNT, &restarts);
    const char *p = env_of(sp, "SLURM_JOB_PARTITION", part, sizeof(part));
    if (gethostname(node, sizeof(node)) < 0)
        snprintf(node, sizeof(node), "?");
    /* The option's directory, else the partition's, else the site's. */
    const char *dir = opt_dir[0] ? opt_dir : partition_dir(p);
    if (!dir || !*dir)
        dir = cfg_dir;
    if (!*dir) {
        slurm_error("ckmig: no checkpoint directory (plugstack.conf: dir=DIR, or --checkpoint=DIR)");
        return -1;
    }
    snprintf(job_ckdir, sizeof(job_ckdir), "%s", dir);
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
        slurm_error("ckmig: socketpair: %m");
        return -1;
    }
    char a_job[16], a_uid[16], a_gid[16], a_nn[16], a_rc[16], a_total[24], a_margin[24];
    snprintf(a_job, sizeof(a_job), "%u", jobid);
    snprintf(a_uid, sizeof(a_uid), "%u", (unsigned)uid);
    snprintf(a_gid, sizeof(a_gid), "%u", (unsigned)gid);
    snprintf(a_nn, sizeof(a_nn), "%u", nnodes);
    snprintf(a_rc, sizeof(a_rc), "%u", restarts);
    snprintf(a_total, sizeof(a_total), "%lld", opt_total);
    snprintf(a_margin, sizeof(a_margin), "%lld", cfg_margin);
    const char *conf = getenv("SLURM_CONF");
    pid_t pid = fork();
    if (pid < 0) {
        slurm_error("ckmig: fork: %m");
        close(sv[0]);
        close(sv[1]);
        return -1;
    }
    if (pid == 0) {
        /* The agent: a clean environment (none of the user's), fd 3 the
         * socket, nothing else of slurmstepd's. */
        if (dup2(sv[0], CKSLURM_AGENT_FD) < 0)
            _exit(126);
        int null = open("/dev/null", O_RDWR);
        if (null >= 0) {
            dup2(null, 0);
            dup2(null, 1);
        }
        char *const argv[] = { cfg_agent, "--job", a_job, "--uid", a_uid, "--gid", a_gid,
                               "--nodes", a_nn, "--restarts", a_rc, "--dir", (char *)dir,
                               "--bin", cfg_bin, "--node", node, "--time-total", a_total,
                               "--margin", a_margin, cfg_log[0] ? "--log" : NULL, cfg_log, NULL };
        char envconf[PATH_MAX + 16];
        snprintf(envconf, sizeof(envconf), "SLURM_CONF=%s", conf ? conf : "");
        char *const envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", envconf, NULL };
        execve(cfg_agent, argv, conf ? envp : (char *const[]){ envp[0], NULL });
        fprintf(stderr, "ckmig: cannot run %s: %s\n", cfg_agent, strerror(errno));
        _exit(126);
    }
    close(sv[0]);
    agent_fd = sv[1];
    agent_pid = pid;
    return 0;
}

static int send_request(spank_t sp)
{
    int argc = 0;
    char **argv = NULL, **env = NULL;
    if (spank_get_item(sp, S_JOB_ARGV, &argc, &argv) != ESPANK_SUCCESS ||
        spank_get_item(sp, S_JOB_ENV, &env) != ESPANK_SUCCESS)
        return -1;
    int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (cwd < 0)
        return -1;
    /* opened here, as the user: the agent never follows a path for them */
    int ckdir = open(job_ckdir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    int ckerr = ckdir < 0 ? errno : 0;
    int rc = ckslurm_send_request(agent_fd, argc, argv, env, cwd, ckdir, ckerr);
    close(cwd);
    if (ckdir >= 0)
        close(ckdir);
    return rc;
}

static void end_like(int st)
{
    if (WIFSIGNALED(st)) {
        int sig = WTERMSIG(st);
        signal(sig, SIG_DFL);
        sigset_t one;
        sigemptyset(&one);
        sigaddset(&one, sig);
        sigprocmask(SIG_UNBLOCK, &one, NULL);
        raise(sig);
        _exit(128 + sig);
    }
    _exit(WIFEXITED(st) ? WEXITSTATUS(st) : 1);
}

/* The user, just before exec: hand the script to the agent and wait. */
int slurm_spank_task_init(spank_t sp, int ac, char **av)
{
    (void)ac;
    (void)av;
    if (!wanted(sp) || agent_fd < 0)
        return 0;
    static const int sigs[] = { SIGCHLD, SIGUSR1, SIGUSR2, SIGTERM, SIGINT, SIGHUP, SIGQUIT,
                                SIGCONT, SIGALRM, SIGXCPU, SIGWINCH, SIGTSTP };
    sigset_t set;
    sigemptyset(&set);
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
        sigaddset(&set, sigs[i]);
    sigprocmask(SIG_BLOCK, &set, NULL);
    if (send_request(sp) < 0) {
        slurm_error("ckmig: cannot hand the job to its agent: %m");
        kill(agent_pid, SIGKILL);
        _exit(1);
    }
    for (;;) {
        int st;
        pid_t w = waitpid(agent_pid, &st, WNOHANG);
        if (w == agent_pid)
            end_like(st);
        siginfo_t si;
        int sig = sigwaitinfo(&set, &si);
        if (sig < 0 || sig == SIGCHLD)
            continue;
        unsigned char msg[2] = { CKSLURM_MSG_SIGNAL, (unsigned char)sig };
        if (sig == SIGUSR1)
            msg[0] = CKSLURM_MSG_CHECKPOINT;
        else if (sig == SIGUSR2)
            msg[0] = CKSLURM_MSG_REQUEUE;
        /* the agent may be gone already: its end is what we wait for */
        (void)!write(agent_fd, msg, sizeof(msg));
    }
}
