/* A job for the migration benchmark: it fills MIB of memory and keeps a
 * checksum of it, then prints a CLOCK_REALTIME timestamp every INTERVAL_MS
 * (flushed), so that the largest gap between two consecutive lines is the
 * time the job was stopped, as the job itself saw it.  Lines:
 *   start pid=P
 *   ready mib=M sum=S
 *   tick N SEC.NSEC        (N counts up by one: a restart from zero shows)
 *   done ticks=N verify=ok|BAD
 * It stops after SECONDS of ticking (a bound, so a lost job does not run
 * for ever), recomputes the checksum and exits 0 (1 if it changed).
 *
 * usage: mig_ticker MIB INTERVAL_MS SECONDS */
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
    if (argc != 4) {
        fprintf(stderr, "usage: mig_ticker MIB INTERVAL_MS SECONDS\n");
        return 2;
    }
    long mib = atol(argv[1]), interval = atol(argv[2]), seconds = atol(argv[3]);
    if (mib < 0 || interval < 1 || interval > 1000 || seconds < 1) {
        fprintf(stderr, "mig_ticker: bad arguments\n");
        return 2;
    }
    size_t n = (size_t)mib * (1u << 20) / sizeof(uint64_t);
    uint64_t *buf = malloc(n ? n * sizeof(uint64_t) : 8);
    if (!buf) {
        fprintf(stderr, "mig_ticker: cannot allocate %ld MiB\n", mib);
        return 3;
    }
    printf("start pid=%d\n", (int)getpid());
    fflush(stdout);
    for (size_t i = 0; i < n; i++)      /* every page touched: all of it is dumped */
        buf[i] = mix(i * 2654435761u);
    uint64_t sum = checksum(buf, n);
    printf("ready mib=%ld sum=%016llx\n", mib, (unsigned long long)sum);
    fflush(stdout);
    /* The bound counts ticks, not clock time: time spent stopped during
     * a move does not use it up. */
    long ticks = seconds * 1000 / interval;
    long t;
    for (t = 1; t <= ticks; t++) {
        struct timespec ts = { interval / 1000, (interval % 1000) * 1000000L }, now;
        nanosleep(&ts, NULL);
        if (n) {
            size_t i = (size_t)(mix((uint64_t)t) % n);
            sum -= mix(buf[i] + i);
            buf[i] += (uint64_t)t;
            sum += mix(buf[i] + i);
        }
        clock_gettime(CLOCK_REALTIME, &now);
        printf("tick %ld %lld.%09ld\n", t, (long long)now.tv_sec, now.tv_nsec);
        fflush(stdout);
    }
    int ok = checksum(buf, n) == sum;
    printf("done ticks=%ld verify=%s\n", t - 1, ok ? "ok" : "BAD");
    fflush(stdout);
    return ok ? 0 : 1;
}
