/* A job that checkpoints itself (as BLCR allows) half way: it prints
 * "step N" lines, runs `CR_CHECKPOINT -f NAME <its pid>` at step CKPT_AT,
 * prints "checkpoint rc=R", and carries on.  Restored from that checkpoint,
 * it prints "checkpoint rc=0" again and carries on from the same step.
 *
 * usage: ckpt_self CR_CHECKPOINT NAME STEPS CKPT_AT INTERVAL_MS */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr, "usage: ckpt_self CR_CHECKPOINT NAME STEPS CKPT_AT INTERVAL_MS\n");
        return 2;
    }
    long steps = atol(argv[3]), at = atol(argv[4]), interval = atol(argv[5]);
    for (long s = 1; s <= steps; s++) {
        printf("step %ld\n", s);
        fflush(stdout);
        if (s == at) {
            char pid[16];
            snprintf(pid, sizeof(pid), "%d", (int)getpid());
            pid_t c = fork();
            if (c == 0) {
                execl(argv[1], "cr_checkpoint", "-f", argv[2], pid, (char *)NULL);
                _exit(127);
            }
            int st = 0;
            waitpid(c, &st, 0);
            printf("checkpoint rc=%d\n", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
            fflush(stdout);
        }
        struct timespec ts = { interval / 1000, (interval % 1000) * 1000000L };
        nanosleep(&ts, NULL);
    }
    printf("done\n");
    return 0;
}
