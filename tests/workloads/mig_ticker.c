/* A job for the migration benchmark: it fills MIB of memory and keeps a
 * checksum of it, then prints a CLOCK_REALTIME timestamp every INTERVAL_MS
 * (flushed), so that the largest gap between two consecutive lines is the
 * time the job was stopped, as the job itself saw it.  Lines:
 *   start pid=P
 *   ready mib=M sum=S
 *   tick N SEC.NSEC        (N counts up by one: a restart from zero shows)
 *   done ticks=N verify=ok|BAD
 * It stops after SECONDS of ticking (a bound, so a lost job does not run
 * for ever), or at the first tick that finds ENDFILE (-e), recomputes the
 * checksum and exits 0 (1 if it changed).
 *
 * -d RATE dirties RATE MiB of its memory per second of ticking (one word
 * of every page, spread over the ticks, walking the memory round), so that
 * pre-copy and post-copy can be measured at a known dirty rate; without
 * it, one word per tick.
 *
 * usage: mig_ticker [-d MIB_PER_S] [-e ENDFILE] MIB INTERVAL_MS SECONDS */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define PAGE_WORDS (4096 / sizeof(uint64_t))

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

/* buf[i] += d, keeping the sum right. */
static void update(uint64_t *buf, size_t i, uint64_t d, uint64_t *sum)
{
    *sum -= mix(buf[i] + i);
    buf[i] += d;
    *sum += mix(buf[i] + i);
}

int main(int argc, char **argv)
{
    const char *endfile = NULL;
    double rate = 0;
    int c;

    while ((c = getopt(argc, argv, "d:e:")) != -1) {
        switch (c) {
        case 'd': rate = atof(optarg); break;
        case 'e': endfile = optarg; break;
        default: goto usage;
        }
    }
    if (argc - optind != 3)
        goto usage;
    long mib = atol(argv[optind]), interval = atol(argv[optind + 1]),
         seconds = atol(argv[optind + 2]);
    if (mib < 0 || interval < 1 || interval > 1000 || seconds < 1 || rate < 0) {
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
    /* Pages to dirty per tick (at least one word per tick, as always). */
    size_t pages = n / PAGE_WORDS, per_tick = (size_t)(rate * 256.0 * (double)interval / 1000.0);
    size_t next = 0;
    if (per_tick > pages)
        per_tick = pages;
    /* The bound counts ticks, not clock time: time spent stopped during
     * a move does not use it up. */
    long ticks = seconds * 1000 / interval;
    long t;
    for (t = 1; t <= ticks; t++) {
        struct timespec ts = { interval / 1000, (interval % 1000) * 1000000L }, now;
        nanosleep(&ts, NULL);
        if (n)
            update(buf, (size_t)(mix((uint64_t)t) % n), (uint64_t)t, &sum);
        for (size_t k = 0; k < per_tick; k++, next = (next + 1) % pages)
            update(buf, next * PAGE_WORDS, (uint64_t)t, &sum);
        clock_gettime(CLOCK_REALTIME, &now);
        printf("tick %ld %lld.%09ld\n", t, (long long)now.tv_sec, now.tv_nsec);
        fflush(stdout);
        if (endfile && access(endfile, F_OK) == 0)
            break;
    }
    if (t > ticks)
        t = ticks;
    int ok = checksum(buf, n) == sum;
    printf("done ticks=%ld verify=%s\n", t, ok ? "ok" : "BAD");
    fflush(stdout);
    return ok ? 0 : 1;
usage:
    fprintf(stderr, "usage: mig_ticker [-d MIB_PER_S] [-e ENDFILE] MIB INTERVAL_MS SECONDS\n");
    return 2;
}
