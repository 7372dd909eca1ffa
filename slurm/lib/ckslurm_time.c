/* Slurm's time format and a run's checkpoint before its time limit:
 * slurm/ckslurm_time.h. */
#include "slurm/ckslurm_time.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* up to max numbers separated by ':', each digits only */
static int fields(const char *s, long long *v, int max)
{
    int n = 0;
    for (;;) {
        if (n == max || !isdigit((unsigned char)*s))
            return -1;
        char *end;
        v[n++] = strtoll(s, &end, 10);
        if (end - s > 9)
            return -1;
        s = end;
        if (!*s)
            return n;
        if (*s++ != ':')
            return -1;
    }
}

long long ckslurm_time_parse(const char *s)
{
    long long v[3], days = 0, secs;
    if (!s)
        return CKSLURM_TIME_BAD;
    if (!strcasecmp(s, "UNLIMITED") || !strcasecmp(s, "INFINITE"))
        return CKSLURM_TIME_UNLIMITED;
    const char *dash = strchr(s, '-');
    if (dash) {
        char *end;
        if (!isdigit((unsigned char)*s))
            return CKSLURM_TIME_BAD;
        days = strtoll(s, &end, 10);
        if (end != dash || end - s > 5)
            return CKSLURM_TIME_BAD;
        int n = fields(dash + 1, v, 3);   /* D-H, D-H:M, D-H:M:S */
        if (n < 1)
            return CKSLURM_TIME_BAD;
        secs = v[0] * 3600 + (n > 1 ? v[1] * 60 : 0) + (n > 2 ? v[2] : 0);
    } else {
        int n = fields(s, v, 3);          /* M, M:S, H:M:S */
        if (n < 1)
            return CKSLURM_TIME_BAD;
        secs = n == 1 ? v[0] * 60 : n == 2 ? v[0] * 60 + v[1] : v[0] * 3600 + v[1] * 60 + v[2];
    }
    secs += days * 86400;
    return secs > 0 ? secs : CKSLURM_TIME_BAD;
}

struct ckslurm_run_plan ckslurm_time_plan(long long limit, long long total, long long used,
                                          long long margin)
{
    struct ckslurm_run_plan p = { 0, 0 };
    long long run = limit;
    if (total != CKSLURM_TIME_UNLIMITED) {
        long long left = total - used;
        if (left <= limit)
            p.last = 1;
        if (left > 0 && left < limit)
            run = left;
    }
    long long least = limit / 10 < run ? limit / 10 : run;
    p.at = run - margin;
    if (p.at < least)
        p.at = least;
    if (p.at < 1)
        p.at = 1;
    return p;
}
