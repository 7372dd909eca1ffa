/* A guard for a job that CRIU leaves stopped. ckpt_dump runs CRIU with
 * --leave-stopped and resumes (or signals) the job only after the commit;
 * if the dumping process itself dies in between (SIGKILL, OOM, a fault
 * point), nobody would ever resume it and the job would hang, stopped,
 * for good. The guard is a child forked before any thread exists; it
 * waits on a pipe and, if the pipe closes without the word that all went
 * through, resumes the job (SIGCONT to every process of its namespace).
 * Post-copy (ckpt_pages.c), once a target may have started the job: the
 * word 'k' makes the guard kill the job instead, as the job may already
 * have run on there past its image. */
#include "checkpoint/ckpt_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Is any process of the job still traced (CRIU not yet gone)? */
static bool traced(pid_t init)
{
    pid_t *pids = NULL;
    size_t n = 0;
    bool any = false;
    if (ckpt_ns_members(init, &pids, &n) < 0)
        return false;
    for (size_t i = 0; i < n && !any; i++) {
        char path[64], line[128];
        snprintf(path, sizeof(path), "/proc/%d/status", (int)pids[i]);
        FILE *f = fopen(path, "re");
        while (f && fgets(line, sizeof(line), f))
            if (!strncmp(line, "TracerPid:", 10))
                any = atoi(line + 10) != 0;
        if (f)
            fclose(f);
    }
    free(pids);
    return any;
}

pid_t ckpt_guard_start(pid_t init, int *fd)
{
    int p[2];
    pid_t pid;

    *fd = -1;
    if (pipe2(p, O_CLOEXEC) < 0)
        return -1;
    pid = fork();
    if (pid < 0) {
        close(p[0]);
        close(p[1]);
        return -1;
    }
    if (pid == 0) {
        char c = 0;
        ssize_t n;

        close(p[1]);
        /* the dumper's own group may be signalled (a timeout): not us */
        signal(SIGTERM, SIG_IGN);
        signal(SIGINT, SIG_IGN);
        signal(SIGHUP, SIG_IGN);
        bool kill_job = false;
        for (;;) {
            do
                n = read(p[0], &c, 1);
            while (n < 0 && errno == EINTR);
            if (n != 1 || c != 'k')
                break;
            kill_job = true;
        }
        if (n != 1 || c != 'd') {
            struct ckpt_err ignore;

            if (kill_job) {
                kill(init, SIGKILL);    /* the namespace goes with its init */
            } else {
                /* A CRIU that outlived the dumper (post-copy: it sees its
                 * page stream end) stops the job as it lets it go: resume
                 * it after that, not before (bounded: CRIU ends at once). */
                for (int i = 0; i < 3000 && traced(init); i++)
                    usleep(10000);
                ckpt_after_action(init, CKPT_AFTER_CONT, 0, &ignore);
            }
        }
        _exit(0);
    }
    close(p[0]);
    *fd = p[1];
    return pid;
}

void ckpt_guard_kill_instead(int fd)
{
    if (fd >= 0 && write(fd, "k", 1) != 1) {
        /* a guard that is gone cannot resume the job either */
    }
}

void ckpt_guard_release(pid_t guard, int fd)
{
    if (guard <= 0)
        return;
    if (write(fd, "d", 1) != 1) {
        /* it resumes the job; that is what the dumper did anyway */
    }
    close(fd);
    while (waitpid(guard, NULL, 0) < 0 && errno == EINTR)
        ;
}
