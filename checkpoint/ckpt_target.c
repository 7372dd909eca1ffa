/* Finding a job's PID namespace from any of its processes.  CRIU dumps a
 * nested PID namespace only from its init, and Torque names a job by the
 * session of its top process, which is cr_run outside the namespace. */
#include "checkpoint/ckpt_internal.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int ckpt_proc_ns_inode(pid_t pid, unsigned long *ino)
{
    char p[64];
    struct stat st;
    if (pid > 0)
        snprintf(p, sizeof(p), "/proc/%d/ns/pid", (int)pid);
    else
        snprintf(p, sizeof(p), "/proc/self/ns/pid");
    if (stat(p, &st) < 0)
        return -1;
    *ino = (unsigned long)st.st_ino;
    return 0;
}

/* Value of a "Key:\t..." line of /proc/PID/status (static buffer per call). */
static int status_line(pid_t pid, const char *key, char *out, size_t len)
{
    char p[64], line[512];
    size_t kl = strlen(key);
    int rc = -1;
    snprintf(p, sizeof(p), "/proc/%d/status", (int)pid);
    FILE *f = fopen(p, "re");
    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f)) {
        if (!strncmp(line, key, kl) && line[kl] == ':') {
            snprintf(out, len, "%s", line + kl + 1);
            rc = 0;
            break;
        }
    }
    fclose(f);
    return rc;
}

/* Last NSpid entry (the pid in its own namespace) and the number of levels. */
static int ns_pid(pid_t pid, pid_t *inner, int *levels)
{
    char v[256];
    int n = 0;
    long last = 0;
    if (status_line(pid, "NSpid", v, sizeof(v)) < 0)
        return -1;
    for (char *s = v, *end; *s; s = end) {
        long x = strtol(s, &end, 10);
        if (end == s)
            break;
        last = x;
        n++;
    }
    *inner = (pid_t)last;
    *levels = n;
    return 0;
}

int ckpt_proc_uid(pid_t pid, uid_t *uid, gid_t *gid)
{
    char v[256];
    if (status_line(pid, "Uid", v, sizeof(v)) < 0)
        return -1;
    *uid = (uid_t)strtoul(v, NULL, 10);
    if (status_line(pid, "Gid", v, sizeof(v)) < 0)
        return -1;
    *gid = (gid_t)strtoul(v, NULL, 10);
    return 0;
}

static int proc_comm(pid_t pid, char *out, size_t len)
{
    char p[64];
    snprintf(p, sizeof(p), "/proc/%d/comm", (int)pid);
    FILE *f = fopen(p, "re");
    if (!f)
        return -1;
    if (!fgets(out, (int)len, f))
        out[0] = '\0';
    out[strcspn(out, "\n")] = '\0';
    fclose(f);
    return 0;
}

/* /proc/PID/stat: the fields count from the last ')', as comm may hold
 * spaces and parentheses. */
int ckpt_proc_stat(pid_t pid, struct ckpt_proc_stat *st)
{
    char p[64], buf[1024];
    snprintf(p, sizeof(p), "/proc/%d/stat", (int)pid);
    FILE *f = fopen(p, "re");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *s = strrchr(buf, ')');
    char state;
    int ppid, pgrp, sid;
    unsigned long long start;
    long pages;
    /* state ppid pgrp session ... starttime (22) vsize rss (24, pages) */
    if (!s || sscanf(s + 1, " %c %d %d %d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d "
                            "%*d %*d %llu %*u %ld", &state, &ppid, &pgrp, &sid, &start, &pages) != 6)
        return -1;
    st->ppid = ppid;
    st->pgrp = pgrp;
    st->sid = sid;
    st->starttime = start;
    st->rss_bytes = (long long)pages * sysconf(_SC_PAGESIZE);
    return 0;
}

typedef int (*pid_visit)(pid_t pid, void *arg);

static int each_pid(pid_visit fn, void *arg)
{
    DIR *d = opendir("/proc");
    struct dirent *de;
    int rc = 0;
    if (!d)
        return -1;
    while ((de = readdir(d)))
        if (isdigit((unsigned char)de->d_name[0]) && (rc = fn(atoi(de->d_name), arg)) != 0)
            break;
    closedir(d);
    return rc;
}

struct init_search {
    unsigned long ino;
    pid_t found;
};

static int match_init(pid_t pid, void *arg)
{
    struct init_search *s = arg;
    unsigned long ino;
    pid_t inner;
    int levels;
    if (ckpt_proc_ns_inode(pid, &ino) < 0 || ino != s->ino)
        return 0;
    if (ns_pid(pid, &inner, &levels) < 0 || inner != 1)
        return 0;
    s->found = pid;
    return 1;
}

bool ckpt_init_omitted(pid_t init)
{
    char comm[32];
    return proc_comm(init, comm, sizeof(comm)) == 0 && !strcmp(comm, CKPT_OMIT_COMM);
}

static bool is_ckmig_init(pid_t pid)
{
    char comm[32];
    return proc_comm(pid, comm, sizeof(comm)) == 0 && !strncmp(comm, "ckmig-", 6);
}

/* init of the (nested) namespace pid lives in, 0 if none, -1 if foreign. */
static pid_t init_of_nested(pid_t pid, unsigned long self_ino)
{
    unsigned long ino;
    if (ckpt_proc_ns_inode(pid, &ino) < 0 || ino == self_ino)
        return 0;
    struct init_search s = { .ino = ino };
    each_pid(match_init, &s);
    if (!s.found)
        return 0;
    /* A job that has just started: its init may not have named itself yet. */
    for (int i = 0; i < 50 && !is_ckmig_init(s.found); i++) {
        char comm[32];
        if (proc_comm(s.found, comm, sizeof(comm)) < 0 || strcmp(comm, "cr_run") != 0)
            break;
        usleep(10000);
    }
    return is_ckmig_init(s.found) ? s.found : -1;
}

/* Calls fn on top, then on its descendants breadth first (the children
 * files of each thread; at most 4096 processes), until fn returns other
 * than 0; returns that, else 0. */
static int each_in_tree(pid_t top, pid_visit fn, void *arg)
{
    pid_t queue[4096];
    size_t head = 0, tail = 0;
    queue[tail++] = top;
    while (head < tail) {
        pid_t p = queue[head++];
        int r = fn(p, arg);
        if (r != 0)
            return r;
        char path[320];
        snprintf(path, sizeof(path), "/proc/%d/task", (int)p);
        DIR *d = opendir(path);
        struct dirent *de;
        while (d && (de = readdir(d))) {
            if (!isdigit((unsigned char)de->d_name[0]))
                continue;
            snprintf(path, sizeof(path), "/proc/%d/task/%s/children", (int)p, de->d_name);
            FILE *f = fopen(path, "re");
            int c;
            while (f && fscanf(f, "%d", &c) == 1)
                if (tail < sizeof(queue) / sizeof(queue[0]))
                    queue[tail++] = c;
            if (f)
                fclose(f);
        }
        if (d)
            closedir(d);
    }
    return 0;
}

struct init_below {
    unsigned long self_ino;
    pid_t found;
};

static int match_nested_init(pid_t pid, void *arg)
{
    struct init_below *b = arg;
    b->found = init_of_nested(pid, b->self_ino);
    return b->found != 0;
}

/* The ckmig namespace init at or below pid: 0 if none, -1 if foreign. */
static pid_t init_below(pid_t pid, unsigned long self_ino)
{
    struct init_below b = { .self_ino = self_ino };
    each_in_tree(pid, match_nested_init, &b);
    return b.found;
}

static int add_rss(pid_t pid, void *arg)
{
    struct ckpt_proc_stat st;
    if (ckpt_proc_stat(pid, &st) == 0)
        *(long long *)arg += st.rss_bytes;
    return 0;
}

long long ckpt_tree_rss(pid_t top)
{
    long long total = 0;
    each_in_tree(top, add_rss, &total);
    return total;
}

struct group_search {
    pid_t id;
    bool sid;
    pid_t *pids;
    size_t n, cap;
};

static int match_group(pid_t pid, void *arg)
{
    struct group_search *g = arg;
    struct ckpt_proc_stat st;
    if (ckpt_proc_stat(pid, &st) < 0 || (g->sid ? st.sid : st.pgrp) != g->id)
        return 0;
    if (g->n == g->cap) {
        size_t cap = g->cap ? 2 * g->cap : 16;
        pid_t *np = realloc(g->pids, cap * sizeof(*np));
        if (!np)
            return -1;
        g->pids = np;
        g->cap = cap;
    }
    g->pids[g->n++] = pid;
    return 0;
}

pid_t ckpt_find_init(pid_t id, enum ckpt_scope scope, struct ckpt_err *e)
{
    unsigned long self_ino;
    struct group_search g = { .id = id, .sid = scope == CKPT_SCOPE_SID };
    pid_t found = 0;
    bool foreign = false;
    const char *what = scope == CKPT_SCOPE_SID ? "session" : scope == CKPT_SCOPE_PGID
                                                                 ? "process group" : "process";

    if (id <= 0)
        return ckpt_err_set(e, ESRCH, "no %s %d", what, (int)id);
    if (ckpt_proc_ns_inode(0, &self_ino) < 0)
        return ckpt_err_set(e, errno, "cannot read /proc/self/ns/pid: %s", strerror(errno));
    if (scope == CKPT_SCOPE_SID || scope == CKPT_SCOPE_PGID) {
        each_pid(match_group, &g);
    } else {
        char p[64];
        snprintf(p, sizeof(p), "/proc/%d", (int)id);
        if (access(p, F_OK) == 0 && (g.pids = malloc(sizeof(pid_t)))) {
            g.pids[0] = id;
            g.n = 1;
        }
    }
    if (g.n == 0) {
        free(g.pids);
        return ckpt_err_set(e, ESRCH, "no %s %d: nothing to checkpoint", what, (int)id);
    }
    for (size_t i = 0; i < g.n; i++) {
        pid_t r = init_below(g.pids[i], self_ino);
        if (r < 0) {
            foreign = true;
            continue;
        }
        if (r > 0 && found && r != found) {
            free(g.pids);
            return ckpt_err_set(e, EINVAL, "%s %d holds more than one cr_run job", what, (int)id);
        }
        if (r > 0)
            found = r;
    }
    free(g.pids);
    if (!found)
        return ckpt_err_set(e, EOPNOTSUPP,
                            "%s %d was not started under cr_run%s: only jobs started with cr_run "
                            "(or restarted with cr_restart) can be checkpointed",
                            what, (int)id, foreign ? " (it is in a PID namespace cr_run did not make)" : "");
    return found;
}

struct member_search {
    unsigned long ino;
    pid_t init;
    pid_t *pids;
    size_t n, cap;
    pid_t want_inner, found;
};

static int match_member(pid_t pid, void *arg)
{
    struct member_search *m = arg;
    unsigned long ino;
    if (pid == m->init || ckpt_proc_ns_inode(pid, &ino) < 0 || ino != m->ino)
        return 0;
    if (m->want_inner) {
        pid_t inner;
        int levels;
        if (ns_pid(pid, &inner, &levels) == 0 && inner == m->want_inner) {
            m->found = pid;
            return 1;
        }
        return 0;
    }
    if (m->n == m->cap) {
        size_t cap = m->cap ? 2 * m->cap : 32;
        pid_t *np = realloc(m->pids, cap * sizeof(*np));
        if (!np)
            return -1;
        m->pids = np;
        m->cap = cap;
    }
    m->pids[m->n++] = pid;
    return 0;
}

int ckpt_ns_members(pid_t init, pid_t **pids, size_t *n)
{
    struct member_search m = { .init = init };
    if (ckpt_proc_ns_inode(init, &m.ino) < 0)
        return -1;
    m.pids = malloc(32 * sizeof(pid_t));
    if (!m.pids)
        return -1;
    m.cap = 32;
    m.pids[m.n++] = init;
    if (each_pid(match_member, &m) < 0) {
        free(m.pids);
        return -1;
    }
    *pids = m.pids;
    *n = m.n;
    return 0;
}

pid_t ckpt_ns_to_host(pid_t init, pid_t nspid)
{
    struct member_search m = { .init = init, .want_inner = nspid };
    if (nspid == 1)
        return init;
    if (ckpt_proc_ns_inode(init, &m.ino) < 0)
        return -1;
    each_pid(match_member, &m);
    return m.found ? m.found : -1;
}

/* True in a nested PID namespace.  Whether it is a cr_run job shows when
 * the supervisor answers (the init is not readable by the job's owner). */
bool ckpt_inside_job(void)
{
    pid_t inner;
    int levels;
    char self[32];
    ssize_t n = readlink("/proc/self", self, sizeof(self) - 1);
    if (n <= 0)
        return false;
    self[n] = '\0';
    return ns_pid(atoi(self), &inner, &levels) == 0 && levels >= 2;
}

/* Value of NAME in a process's environment (e.g. PBS_JOBID), or NULL. */
char *ckpt_proc_environ_get(pid_t pid, const char *name)
{
    char p[64], *buf = NULL, *v = NULL;
    size_t len = 0, nl = strlen(name);
    snprintf(p, sizeof(p), "/proc/%d/environ", (int)pid);
    if (ckpt_read_file(p, &buf, &len) < 0)
        return NULL;
    for (size_t off = 0; off < len; off += strlen(buf + off) + 1)
        if (!strncmp(buf + off, name, nl) && buf[off + nl] == '=') {
            v = strdup(buf + off + nl + 1);
            break;
        }
    free(buf);
    return v;
}
