/* A job for --save-*: maps files tstmapN (made here, two pages each) shared
 * or private, writes its number into the first page, then prints "tick N"
 * lines.  Each tick checks every mapping still holds what it wrote; a
 * mapping that lost it prints "maps BAD" and exits 1.  After TICKS ticks it
 * prints "done maps=ok".
 *
 * usage: ckpt_maps TICKS INTERVAL_MS S|P...   (in the directory for the files) */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: ckpt_maps TICKS INTERVAL_MS S|P...\n");
        return 2;
    }
    long ticks = atol(argv[1]), interval = atol(argv[2]), page = sysconf(_SC_PAGESIZE);
    int n = argc - 3;
    volatile char **maps = calloc((size_t)n, sizeof(*maps));
    for (int i = 0; i < n; i++) {
        char name[32];
        snprintf(name, sizeof(name), "tstmap%d", i + 1);
        int fd = open(name, O_RDWR | O_CREAT | O_TRUNC, 0600);
        if (fd < 0 || ftruncate(fd, 2 * page) < 0) {
            perror(name);
            return 2;
        }
        int flags = argv[i + 3][0] == 'S' ? MAP_SHARED : MAP_PRIVATE;
        void *p = mmap(NULL, (size_t)(2 * page), PROT_READ | PROT_WRITE, flags, fd, 0);
        if (p == MAP_FAILED) {
            perror("mmap");
            return 2;
        }
        close(fd);
        maps[i] = p;
        maps[i][0] = (char)(i + 1);
    }
    printf("ready\n");
    fflush(stdout);
    struct timespec ts = { interval / 1000, (interval % 1000) * 1000000L };
    for (long t = 1; t <= ticks; t++) {
        for (int i = 0; i < n; i++)
            if (maps[i][0] != (char)(i + 1) || maps[i][page] != 0) {
                printf("maps BAD (%d)\n", i + 1);
                return 1;
            }
        printf("tick %ld\n", t);
        fflush(stdout);
        nanosleep(&ts, NULL);
    }
    printf("done maps=ok\n");
    return 0;
}
