/* A job holding a file that has no name any more, for restore tests:
 *
 *   unlinked  a file in the working directory, opened, written, unlinked
 *   memfd     a memfd_create file
 *   shmem     a shared anonymous mapping (the kernel's "/dev/zero (deleted)")
 *   tmpfile   an O_TMPFILE file in the working directory
 *   cwd       a working directory that was removed (cwd is made, entered, rmdir'd)
 *   all       every one of the above at once
 *
 * Each holds the text "ckmig:KIND" written before the checkpoint.  The job
 * prints "ready", then every INTERVAL_MS "tick N ok" while every object
 * still reads back its text (else "tick N BAD KIND", exit 1); after TICKS
 * ticks it exits 0.  A restored job shows consecutive ticks, all ok.
 *
 * usage: ckpt_deleted KIND TICKS INTERVAL_MS */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int fd_unlinked = -1, fd_memfd = -1, fd_tmpfile = -1;
static char *shm;

static int put(int fd, const char *kind)
{
    char text[64];
    int n = snprintf(text, sizeof(text), "ckmig:%s", kind);
    return pwrite(fd, text, (size_t)n, 0) == n ? 0 : -1;
}

static int check(int fd, const char *kind)
{
    char want[64], got[64] = { 0 };
    int n = snprintf(want, sizeof(want), "ckmig:%s", kind);
    return pread(fd, got, (size_t)n, 0) == n && memcmp(got, want, (size_t)n) == 0 ? 0 : -1;
}

static bool want(const char *kind, const char *k)
{
    return !strcmp(kind, "all") || !strcmp(kind, k);
}

static int setup(const char *kind)
{
    if (want(kind, "unlinked")) {
        fd_unlinked = open("ckmig-unlinked", O_RDWR | O_CREAT | O_TRUNC, 0600);
        if (fd_unlinked < 0 || put(fd_unlinked, "unlinked") < 0 || unlink("ckmig-unlinked") < 0)
            return -1;
    }
    if (want(kind, "memfd")) {
        fd_memfd = memfd_create("ckmig", 0);
        if (fd_memfd < 0 || put(fd_memfd, "memfd") < 0)
            return -1;
    }
    if (want(kind, "tmpfile")) {
        fd_tmpfile = open(".", O_TMPFILE | O_RDWR, 0600);
        if (fd_tmpfile < 0 || put(fd_tmpfile, "tmpfile") < 0)
            return -1;
    }
    if (want(kind, "shmem")) {
        shm = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (shm == MAP_FAILED)
            return -1;
        strcpy(shm, "ckmig:shmem");
    }
    /* last: the other files live in the directory before it goes */
    if (want(kind, "cwd")) {
        char d[64], up[80];
        snprintf(d, sizeof(d), "ckmig-cwd.%d", (int)getpid());
        snprintf(up, sizeof(up), "../%s", d);
        if (mkdir(d, 0700) < 0 || chdir(d) < 0 || rmdir(up) < 0)
            return -1;
    }
    return 0;
}

static const char *verify(const char *kind)
{
    struct stat st;
    if (fd_unlinked >= 0 && check(fd_unlinked, "unlinked") < 0)
        return "unlinked";
    if (fd_memfd >= 0 && check(fd_memfd, "memfd") < 0)
        return "memfd";
    if (fd_tmpfile >= 0 && check(fd_tmpfile, "tmpfile") < 0)
        return "tmpfile";
    if (shm && strcmp(shm, "ckmig:shmem") != 0)
        return "shmem";
    if (want(kind, "cwd") && (stat(".", &st) < 0 || !S_ISDIR(st.st_mode) || st.st_nlink != 0))
        return "cwd";
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: ckpt_deleted KIND TICKS INTERVAL_MS\n");
        return 2;
    }
    const char *kind = argv[1];
    long ticks = atol(argv[2]), interval = atol(argv[3]);
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (setup(kind) < 0) {
        printf("setup failed: %s\n", strerror(errno));
        return 1;
    }
    printf("ready\n");
    for (long i = 1; i <= ticks; i++) {
        struct timespec ts = { interval / 1000, (interval % 1000) * 1000000L };
        nanosleep(&ts, NULL);
        const char *bad = verify(kind);
        if (bad) {
            printf("tick %ld BAD %s\n", i, bad);
            return 1;
        }
        printf("tick %ld ok\n", i);
    }
    return 0;
}
