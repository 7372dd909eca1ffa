/* Which of a job's processes stay stopped when ckmig resumes the job.
 * CRIU runs with --leave-stopped on both sides (the dump commits before the
 * job runs again; the restore verifies pages first), so ckmig sends the
 * SIGCONT that CRIU would have: but CRIU does not wake a process that was
 * stopped at the dump (a job's stopped child, a shell job's suspended
 * pipeline; zdtm stopped*), and neither may ckmig. */
#include "checkpoint/ckpt_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pid_t *kept;
static size_t nkept;

static void keep(pid_t pid)
{
    pid_t *nv = realloc(kept, (nkept + 1) * sizeof(*nv));
    if (nv) {
        kept = nv;
        kept[nkept++] = pid;
    }
}

/* state T (stopped by a signal) in /proc/PID/stat; t (traced) CRIU refuses */
static bool stopped_now(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "re");
    size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    return p && p[1] == ' ' && p[2] == 'T';
}

void ckpt_stopped_note_live(pid_t init)
{
    pid_t *pids = NULL;
    size_t n = 0;
    nkept = 0;
    if (ckpt_ns_members(init, &pids, &n) < 0)
        return;
    for (size_t i = 0; i < n; i++)
        if (stopped_now(pids[i]))
            keep(pids[i]);
    free(pids);
}

int ckpt_stopped_note_images(pid_t init, int imgfd)
{
    uint32_t *v = NULL;
    size_t n = 0;
    nkept = 0;
    if (ckpt_criu_stopped(imgfd, &v, &n) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        pid_t host = ckpt_ns_to_host(init, (pid_t)v[i]);
        if (host > 0)
            keep(host);
    }
    free(v);
    return 0;
}

bool ckpt_stopped_kept(pid_t pid)
{
    for (size_t i = 0; i < nkept; i++)
        if (kept[i] == pid)
            return true;
    return false;
}
