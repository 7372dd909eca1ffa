// checkpoint/ckpt_target.c: /proc/PID/stat and a process tree's resident
// memory (the MOM's margin before walltime for a job never dumped yet).
#include <gtest/gtest.h>

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "checkpoint/libckpt.h"

namespace {

// A child that touches `mb` MiB, forks a grandchild touching `below_mb`
// (when not 0), says "ready" on the pipe and waits for its stdin to close.
pid_t spawn_tree(int mb, int below_mb, int *ready_fd, int *hold_fd, pid_t *below)
{
    int ready[2], hold[2];
    if (pipe(ready) < 0 || pipe(hold) < 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        close(ready[0]);
        close(hold[1]);
        char *mem = static_cast<char *>(malloc(static_cast<size_t>(mb) << 20));
        memset(mem, 1, static_cast<size_t>(mb) << 20);
        pid_t g = 0;
        if (below_mb) {
            int gready[2];
            if (pipe(gready) < 0)
                _exit(1);
            g = fork();
            if (g == 0) {
                close(gready[0]);
                char *gmem = static_cast<char *>(malloc(static_cast<size_t>(below_mb) << 20));
                memset(gmem, 2, static_cast<size_t>(below_mb) << 20);
                char c = 'g';
                if (write(gready[1], &c, 1) != 1)
                    _exit(1);
                while (read(hold[0], &c, 1) > 0) {
                }
                _exit(gmem[(static_cast<size_t>(below_mb) << 20) - 1] == 2 ? 0 : 1);
            }
            char c;
            close(gready[1]);
            if (read(gready[0], &c, 1) != 1)
                _exit(1);
        }
        if (write(ready[1], &g, sizeof(g)) != sizeof(g))
            _exit(1);
        char c;
        while (read(hold[0], &c, 1) > 0) {
        }
        if (g > 0)
            waitpid(g, nullptr, 0);
        _exit(mem[(static_cast<size_t>(mb) << 20) - 1] == 1 ? 0 : 1);
    }
    close(ready[1]);
    close(hold[0]);
    *ready_fd = ready[0];
    *hold_fd = hold[1];
    if (pid > 0 && read(ready[0], below, sizeof(*below)) != sizeof(*below))
        return -1;
    return pid;
}

}  // namespace

TEST(CkptTarget, ProcStatReadsTheCallersOwnIds)
{
    struct ckpt_proc_stat st;
    ASSERT_EQ(0, ckpt_proc_stat(getpid(), &st));
    EXPECT_EQ(getppid(), st.ppid);
    EXPECT_EQ(getpgrp(), st.pgrp);
    EXPECT_EQ(getsid(0), st.sid);
    EXPECT_GT(st.starttime, 0u);
    EXPECT_GT(st.rss_bytes, 0);
    EXPECT_EQ(-1, ckpt_proc_stat(0x3fffffff, &st));
}

// The tree's memory is its top's and everything below, and nothing beside
// it: a sibling of the same parent with more memory is not counted.
TEST(CkptTarget, TreeRssCountsTheTreeAndNothingBeside)
{
    int ready, hold, ready2, hold2;
    pid_t below = 0, none = 0;
    pid_t top = spawn_tree(2, 24, &ready, &hold, &below);
    ASSERT_GT(top, 0);
    pid_t beside = spawn_tree(48, 0, &ready2, &hold2, &none);
    ASSERT_GT(beside, 0);
    ASSERT_GT(below, 0);

    struct ckpt_proc_stat t, b;
    ASSERT_EQ(0, ckpt_proc_stat(top, &t));
    ASSERT_EQ(0, ckpt_proc_stat(below, &b));
    EXPECT_EQ(top, b.ppid);
    long long tree = ckpt_tree_rss(top);
    EXPECT_GE(b.rss_bytes, 24LL << 20);
    EXPECT_EQ(t.rss_bytes + b.rss_bytes, tree);
    EXPECT_EQ(b.rss_bytes, ckpt_tree_rss(below));
    EXPECT_EQ(0, ckpt_tree_rss(0x3fffffff));

    close(hold);
    close(hold2);
    close(ready);
    close(ready2);
    int st;
    EXPECT_EQ(top, waitpid(top, &st, 0));
    EXPECT_EQ(0, st);
    EXPECT_EQ(beside, waitpid(beside, &st, 0));
    EXPECT_EQ(0, st);
}
