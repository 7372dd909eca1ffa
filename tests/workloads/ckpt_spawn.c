/* Test helper: runs CMD in a new session and records how it ended, which
 * Tcl cannot learn for a background process.  Writes CMD's pid to PIDFILE
 * at once and "exit N" or "signal N" to STATUSFILE at the end; reaps any
 * orphan left behind (it is a child subreaper).
 *
 * usage: ckpt_spawn STATUSFILE PIDFILE CMD [ARGS...] */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static void write_file(const char *path, const char *text)
{
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return;
    fputs(text, f);
    fclose(f);
    rename(tmp, path);
}

int main(int argc, char **argv)
{
    char buf[64];
    int st = 0;
    if (argc < 4) {
        fprintf(stderr, "usage: ckpt_spawn STATUSFILE PIDFILE CMD [ARGS...]\n");
        return 2;
    }
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    pid_t pid = fork();
    if (pid == 0) {
        setsid();
        execvp(argv[3], argv + 3);
        _exit(127);
    }
    snprintf(buf, sizeof(buf), "%d\n", (int)pid);
    write_file(argv[2], buf);
    for (;;) {
        int s;
        pid_t p = wait(&s);
        if (p < 0 && errno == EINTR)
            continue;
        if (p < 0)
            break;
        if (p == pid)
            st = s;
    }
    if (WIFSIGNALED(st))
        snprintf(buf, sizeof(buf), "signal %d\n", WTERMSIG(st));
    else
        snprintf(buf, sizeof(buf), "exit %d\n", WEXITSTATUS(st));
    write_file(argv[1], buf);
    return 0;
}
