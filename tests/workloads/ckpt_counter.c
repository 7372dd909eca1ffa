/* A job for checkpoint tests: keeps a counter and a running checksum of a
 * large buffer in memory.  It prints "start" once when it really starts,
 * "ready" when the buffer is filled, then "tick N sum=S" lines; at the end
 * it recomputes the checksum over the whole buffer and prints
 * "done ticks=N verify=ok" (or verify=BAD, exit 1).  A restored job shows
 * one "start", consecutive ticks with no gap or repeat, and verify=ok.
 *
 * usage: ckpt_counter MIB TICKS INTERVAL_MS [EXIT_CODE] */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return x;
}

static uint64_t checksum(const uint64_t *buf, size_t n)
{
    uint64_t s = 0;
    for (size_t i = 0; i < n; i++)
        s += mix(buf[i] + i);
    return s;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: ckpt_counter MIB TICKS INTERVAL_MS [EXIT_CODE]\n");
        return 2;
    }
    size_t n = (size_t)atol(argv[1]) * (1u << 20) / sizeof(uint64_t);
    long ticks = atol(argv[2]), interval = atol(argv[3]);
    int code = argc > 4 ? atoi(argv[4]) : 0;
    uint64_t *buf = malloc(n ? n * sizeof(uint64_t) : 8);
    if (!buf)
        return 3;
    printf("start pid=%d\n", (int)getpid());
    fflush(stdout);
    for (size_t i = 0; i < n; i++)
        buf[i] = mix(i * 2654435761u);
    uint64_t sum = checksum(buf, n);
    printf("ready sum=%016llx\n", (unsigned long long)sum);
    fflush(stdout);
    for (long t = 1; t <= ticks; t++) {
        struct timespec ts = { interval / 1000, (interval % 1000) * 1000000L };
        nanosleep(&ts, NULL);
        if (n) {
            /* change one word and keep the checksum up to date incrementally */
            size_t i = (size_t)(mix((uint64_t)t) % n);
            sum -= mix(buf[i] + i);
            buf[i] += (uint64_t)t;
            sum += mix(buf[i] + i);
        }
        printf("tick %ld sum=%016llx\n", t, (unsigned long long)sum);
        fflush(stdout);
    }
    int ok = checksum(buf, n) == sum;
    printf("done ticks=%ld verify=%s\n", ticks, ok ? "ok" : "BAD");
    fflush(stdout);
    return ok ? code : 1;
}
