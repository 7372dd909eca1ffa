/* ckslurm_time.h: a job's time budget on Slurm (sbatch --time-total):
 * Slurm's time format, and where the plugin's timer puts a run's
 * checkpoint before its time limit.  Pure functions (no Slurm calls). */
#ifndef CKSLURM_TIME_H
#define CKSLURM_TIME_H

#ifdef __cplusplus
extern "C" {
#endif

#define CKSLURM_TIME_UNLIMITED (-1LL)
#define CKSLURM_TIME_BAD (-2LL)

/* Seconds of a time in Slurm's format (as sbatch --time takes it): "M",
 * "M:S", "H:M:S", "D-H", "D-H:M", "D-H:M:S", or UNLIMITED/INFINITE
 * (CKSLURM_TIME_UNLIMITED); CKSLURM_TIME_BAD otherwise, and for 0. */
long long ckslurm_time_parse(const char *s);

/* One run's plan.  limit: the run's time limit in seconds (> 0); total:
 * the budget (CKSLURM_TIME_UNLIMITED, or > 0); used: seconds of the runs
 * before; margin: how long before the limit to checkpoint.  Gives the
 * seconds from the run's start to its checkpoint, and whether the budget
 * ends with this run (then the job is held after it).  A budget already
 * used up (the owner released a held job) gives one more run of its
 * limit.  Every run keeps at least a tenth of its limit (or what is left
 * of the budget, if less), whatever the margin: no runs that do nothing
 * but checkpoint. */
struct ckslurm_run_plan {
    long long at;     /* checkpoint this many seconds after the start */
    int last;         /* the budget ends with this run: hold after it */
};
struct ckslurm_run_plan ckslurm_time_plan(long long limit, long long total, long long used,
                                          long long margin);

#ifdef __cplusplus
}
#endif
#endif
