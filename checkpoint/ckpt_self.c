/* A job that checkpoints itself.  CRIU cannot run inside the job's
 * namespace, so the job's cr_checkpoint asks the supervisor outside (cr_run
 * or cr_restart, root) over an abstract socket named after the namespace,
 * hangs up so that no socket is open during the dump, and waits for a
 * queued signal: "done" from the supervisor after the dump, or "restarted"
 * from cr_restart after a restore of that very checkpoint. */
#include "checkpoint/ckpt_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define REQ_MAGIC 0x636b6d31u   /* "ckm1" */

struct wire_req {
    uint32_t magic;
    struct ckpt_self_request r;
};

struct wire_reply {
    int32_t code;
    char msg[512];
};

static socklen_t sock_name(unsigned long ino, struct sockaddr_un *sa)
{
    memset(sa, 0, sizeof(*sa));
    sa->sun_family = AF_UNIX;
    int n = snprintf(sa->sun_path + 1, sizeof(sa->sun_path) - 1, "ckmig-ckpt-%lu", ino);
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
}

int ckpt_self_listen(pid_t init, struct ckpt_err *e)
{
    unsigned long ino;
    struct sockaddr_un sa;
    if (ckpt_proc_ns_inode(init, &ino) < 0)
        return ckpt_err_set(e, errno, "cannot read the job's namespace: %s", strerror(errno));
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return ckpt_err_set(e, errno, "socket: %s", strerror(errno));
    socklen_t l = sock_name(ino, &sa);
    if (bind(fd, (struct sockaddr *)&sa, l) < 0 || listen(fd, 4) < 0) {
        int err = errno;
        close(fd);
        return ckpt_err_set(e, err, "cannot listen for self-checkpoint requests: %s", strerror(err));
    }
    return fd;
}

/* The job owner must be able to write where the checkpoint goes: we write
 * it as root on their behalf.  Opens the directory with the owner's ids
 * (the links on the way are theirs, followed with their rights only) and
 * checks their write access on it; the dump then uses that fd only, so a
 * link swapped in later cannot redirect it.  -1 if not. */
static int open_owner_dir(const char *path, uid_t uid, gid_t gid, const char **base)
{
    char parent[4096];
    struct ckpt_owner_ids sv = { .changed = false };
    struct ckpt_err e;
    snprintf(parent, sizeof(parent), "%s", path);
    char *slash = strrchr(parent, '/');
    if (!slash || !slash[1])
        return -1;
    *base = path + (slash - parent) + 1;
    if (slash == parent)
        slash[1] = '\0';
    else
        *slash = '\0';
    int fd = -1;
    if (ckpt_become_owner(uid, gid, &sv, &e) == 0) {
        fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        /* AT_EACCESS: the file-system ids taken above, not the real ones */
        if (fd >= 0 && faccessat(fd, ".", W_OK | X_OK, AT_EACCESS) < 0) {
            close(fd);
            fd = -1;
        }
    }
    ckpt_become_root(&sv);
    return fd;
}

static pid_t inner_pid(pid_t host)
{
    char p[64], line[256];
    pid_t inner = 0;
    snprintf(p, sizeof(p), "/proc/%d/status", (int)host);
    FILE *f = fopen(p, "re");
    while (f && fgets(line, sizeof(line), f))
        if (!strncmp(line, "NSpid:", 6)) {
            char *s = line + 6, *end;
            for (long v; (v = strtol(s, &end, 10)), end != s; s = end)
                inner = (pid_t)v;
        }
    if (f)
        fclose(f);
    return inner;
}

void ckpt_self_serve(int lfd, pid_t init, bool secure)
{
    struct ucred cred;
    socklen_t cl = sizeof(cred);
    struct wire_req req;
    struct wire_reply rep = { 0 };
    unsigned long want, got;
    uid_t juid;
    gid_t jgid;
    int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

    if (fd < 0)
        return;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) < 0 || ckpt_proc_ns_inode(init, &want) < 0 ||
        ckpt_proc_ns_inode(cred.pid, &got) < 0 || want != got) {
        close(fd);  /* only the job itself may ask */
        return;
    }
    struct pollfd p = { .fd = fd, .events = POLLIN };
    if (poll(&p, 1, 5000) <= 0 || recv(fd, &req, sizeof(req), 0) != (ssize_t)sizeof(req) ||
        req.magic != REQ_MAGIC) {
        close(fd);
        return;
    }
    req.r.path[sizeof(req.r.path) - 1] = '\0';
    req.r.backup[sizeof(req.r.backup) - 1] = '\0';
    const char *base = NULL;
    int pfd = -1;
    if (ckpt_proc_uid(init, &juid, &jgid) < 0 || req.r.path[0] != '/' ||
        (pfd = open_owner_dir(req.r.path, juid, jgid, &base)) < 0 || strchr(req.r.backup, '/')) {
        rep.code = EACCES;
        snprintf(rep.msg, sizeof(rep.msg), "the job's owner cannot write to the directory of %.400s",
                 req.r.path);
    }
    send(fd, &rep, sizeof(rep), MSG_NOSIGNAL);
    if (rep.code) {
        if (pfd >= 0)
            close(pfd);
        close(fd);
        return;
    }
    /* Wait for the hang-up: the socket must not be open in the dumped job. */
    char c;
    p.events = POLLIN;
    if (poll(&p, 1, 5000) <= 0 || recv(fd, &c, 1, 0) != 0) {
        close(pfd);
        close(fd);
        return;
    }
    close(fd);

    /* The checkpoint (and a named backup, no '/' in it: named here by
     * the checkpoint's directory) go into the directory checked above. */
    char backup[4200];
    snprintf(backup, sizeof(backup), "%.*s/%s", (int)(base - req.r.path - 1), req.r.path,
             req.r.backup);
    struct ckpt_dump_opts o = {
        .init = init, .path = req.r.path, .have_dir = true, .dir = pfd,
        .after = req.r.after, .signo = req.r.signo,
        .clobber = req.r.clobber, .backup = req.r.backup[0] ? backup : NULL,
        .nosync = req.r.nosync, .secure = secure, .requester = inner_pid(cred.pid),
        /* A job checkpointing itself is a BLCR-era script's habit: a new
         * name becomes one context file, as BLCR made it. */
        .form = req.r.form, .new_form = CKPT_FORM_FILE, .save = req.r.save,
    };
    struct ckpt_err e;
    ckpt_err_clear(&e);
    int code = ckpt_dump(&o, &e) < 0 ? e.code : 0;
    close(pfd);
    if (code)
        fprintf(stderr, "cr_checkpoint: checkpoint of job (asked by its process %d) failed: %s\n",
                (int)o.requester, e.msg);
    union sigval v = { .sival_int = CKPT_SELF_DONE << 16 | (code & 0xffff) };
    sigqueue(cred.pid, CKPT_SELF_SIGNAL, v);
}

void ckpt_self_notify(pid_t init, pid_t nspid, int kind, int code)
{
    pid_t host = ckpt_ns_to_host(init, nspid);
    union sigval v = { .sival_int = kind << 16 | (code & 0xffff) };
    if (host > 0)
        sigqueue(host, CKPT_SELF_SIGNAL, v);
}

int ckpt_self_checkpoint(const struct ckpt_self_request *r, struct ckpt_err *e)
{
    unsigned long ino;
    struct sockaddr_un sa;
    struct wire_req req = { .magic = REQ_MAGIC, .r = *r };
    struct wire_reply rep;
    sigset_t set;
    siginfo_t si;
    int fd = -1, rc = -1;

    sigemptyset(&set);
    sigaddset(&set, CKPT_SELF_SIGNAL);
    sigprocmask(SIG_BLOCK, &set, NULL);
    if (ckpt_proc_ns_inode(0, &ino) < 0) {
        ckpt_err_set(e, errno, "cannot read /proc/self/ns/pid: %s", strerror(errno));
        goto out;
    }
    fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    socklen_t l = sock_name(ino, &sa);
    int cr = -1;
    /* A job that asks at once may be quicker than its supervisor's listen. */
    for (int i = 0; fd >= 0 && i < 50; i++) {
        if ((cr = connect(fd, (struct sockaddr *)&sa, l)) == 0 || errno != ECONNREFUSED)
            break;
        usleep(20000);
    }
    if (fd < 0 || cr < 0) {
        ckpt_err_set(e, EPERM,
                     "nobody outside this process's PID namespace can checkpoint it: it was not "
                     "started by cr_run, or its cr_run does not run as root (start cr_run as root "
                     "with --user, or ask the batch system: qchkpt)");
        goto out;
    }
    if (send(fd, &req, sizeof(req), MSG_NOSIGNAL) != (ssize_t)sizeof(req) ||
        recv(fd, &rep, sizeof(rep), 0) != (ssize_t)sizeof(rep)) {
        ckpt_err_set(e, EIO, "the job's supervisor did not answer the checkpoint request");
        goto out;
    }
    if (rep.code) {
        rep.msg[sizeof(rep.msg) - 1] = '\0';
        ckpt_err_set(e, rep.code, "%s", rep.msg);
        goto out;
    }
    close(fd);
    fd = -1;
    for (;;) {
        if (sigwaitinfo(&set, &si) < 0)
            continue;   /* EINTR, e.g. around the dump or the restore */
        if (si.si_code != SI_QUEUE)
            continue;
        int kind = si.si_value.sival_int >> 16, code = si.si_value.sival_int & 0xffff;
        if (kind == CKPT_SELF_RESTARTED)
            break;
        if (kind == CKPT_SELF_DONE) {
            if (code) {
                ckpt_err_set(e, code, "the checkpoint failed (the job's supervisor logged why): %s",
                             strerror(code));
                goto out;
            }
            break;
        }
    }
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    return rc;
}
