/* Post-copy from the source's memory (cr_checkpoint --postcopy, cr_restart
 * --pages-from): the job's pages never go to disk.  `criu dump
 * --lazy-pages` writes every image but the anonymous memory, keeps that
 * memory in its page pipes and serves it; `criu lazy-pages --page-server`
 * on the target fetches each page as the restored job faults on it, and
 * the rest in the background.  CRIU's page server has no authentication,
 * so neither end of it ever meets the network: each CRIU gets one end of a
 * socketpair (--ps-socket), and we carry its bytes over a session of our
 * own (lib/protocol.h: nonces from both sides, every frame MAC'd and
 * numbered) keyed with a key derived from the checkpoint key, which only
 * root on the nodes of the cluster holds.
 *
 * The stream, CkptPages requests on that session, either way:
 *   hello  mac = the manifest's MAC (hex): each side refuses a peer that
 *          speaks of another checkpoint (two post-copies at once);
 *   data   CRIU's bytes, as the request's blob;
 *   done   (target -> source) the target's lazy-pages daemon has exited 0:
 *          every page is in.  Nothing else means that: a session that
 *          ends without it is a failure, whatever CRIU said.
 * What is verified: the non-page images (the manifest's MAC and digests,
 * as for any restore, pagemap included: which pages exist and where).
 * What is trusted: the page bytes, as the source's cr_checkpoint sent them
 * on a session only a key holder can open, each frame authenticated; they
 * are in no image, so no digest covers them. */
#include "checkpoint/ckpt_internal.h"
#include "lib/fault.h"
#include "lib/protocol.h"

#include <errno.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/hmac.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (1024 * 1024)
/* A session with no byte either way for this long is dead (the daemon
 * fetches in the background until the last page, so a live one is busy). */
#define IDLE_MS 30000
#define HANDSHAKE_MS 10000

static void stream_key(const unsigned char ckey[CKPT_KEY_LEN], unsigned char out[32])
{
    static const char label[] = "ckmig postcopy page stream v1";
    unsigned int len = 32;
    HMAC(EVP_sha256(), ckey, CKPT_KEY_LEN, (const unsigned char *)label, sizeof(label) - 1, out,
         &len);
}

static int send_op(int fd, struct proto_session *s, const char *op, const char *mac,
                   const void *blob, size_t n)
{
    struct pbs_msg m;
    msg_request(&m, PBS_BATCH_CkptPages, "");
    msg_add_arg(&m, "op", op);
    if (mac)
        msg_add_arg(&m, "mac", mac);
    if (blob)
        msg_set_blob(&m, blob, n);
    int rc = proto_send(fd, &m, s);
    msg_free(&m);
    return rc ? -1 : 0;
}

/* The peer's hello must name this checkpoint. */
static int check_hello(int fd, struct proto_session *s, const char *mac, struct ckpt_err *e)
{
    struct pbs_msg m;
    char err[160];
    int rc = proto_recv(fd, &m, s, HANDSHAKE_MS, err, sizeof(err));
    if (rc)
        return ckpt_err_set(e, EPROTO, "post-copy peer: %s", err[0] ? err : "no hello");
    const char *op = msg_arg(&m, "op"), *theirs = msg_arg(&m, "mac");
    bool ok = !m.is_reply && m.type == PBS_BATCH_CkptPages && op && !strcmp(op, "hello") &&
              theirs && !strcmp(theirs, mac);
    msg_free(&m);
    return ok ? 0 : ckpt_err_set(e, EPROTO, "post-copy peer serves another checkpoint");
}

/* Every frame goes at once: a page request waiting on Nagle (behind the
 * peer's delayed ACK) costs a round trip of tens of milliseconds. */
static void nodelay(int fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/* CRIU's replies are up to a page-pipe buffer (1 MiB here) each: a
 * socketpair that holds one whole lets the relay frame it in one piece
 * (per-frame costs, not bytes, dominated with the default ~200 KiB).  The
 * FORCE variant passes net.core.wmem_max (root: CAP_NET_ADMIN); without it
 * the default stays, which is only slower. */
static void big_buffers(int sp[2])
{
    int n = 4 * CHUNK;
    for (int i = 0; i < 2; i++)
        if (setsockopt(sp[i], SOL_SOCKET, SO_SNDBUFFORCE, &n, sizeof(n)) < 0)
            setsockopt(sp[i], SOL_SOCKET, SO_SNDBUF, &n, sizeof(n));
}

/* Carries bytes between local (CRIU's page-server socket) and the session
 * until local has ended and, at the source, the target said done.  Returns
 * 0, or -1 with e set; *done says whether the peer said done. */
static int pump(int local, int net, struct proto_session *s, bool want_done, bool *done,
                struct ckpt_err *e)
{
    char *buf = malloc(CHUNK);
    bool local_eof = false;
    int rc = -1;

    *done = false;
    if (!buf)
        return ckpt_err_set(e, ENOMEM, "out of memory");
    while (!local_eof || (want_done && !*done)) {
        struct pollfd p[2] = { { .fd = local_eof ? -1 : local, .events = POLLIN },
                               { .fd = net, .events = POLLIN } };
        int r = poll(p, 2, IDLE_MS);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            ckpt_err_set(e, errno, "poll: %s", strerror(errno));
            goto out;
        }
        if (r == 0) {
            ckpt_err_set(e, ETIMEDOUT, "post-copy stream idle for %d s", IDLE_MS / 1000);
            goto out;
        }
        if (p[0].revents) {
            ssize_t n = read(local, buf, CHUNK);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 && errno != ECONNRESET) {
                ckpt_err_set(e, errno, "reading CRIU's page stream: %s", strerror(errno));
                goto out;
            }
            if (n <= 0)
                local_eof = true;
            else if (send_op(net, s, "data", NULL, buf, (size_t)n) < 0) {
                ckpt_err_set(e, EPIPE, "post-copy peer gone: %s", strerror(errno));
                goto out;
            } else if (want_done) {
                fault_point(FAULT_CKPT_PAGES_SENT);     /* the source's side */
            }
        }
        if (p[1].revents) {
            struct pbs_msg m;
            char err[160];
            if (proto_recv(net, &m, s, IDLE_MS, err, sizeof(err))) {
                ckpt_err_set(e, EPIPE, "post-copy peer gone: %s", err);
                goto out;
            }
            const char *op = msg_arg(&m, "op");
            int bad = m.is_reply || m.type != PBS_BATCH_CkptPages || !op;
            if (!bad && !strcmp(op, "data") && !local_eof)
                bad = write_full(local, m.blob, m.blob_len) < 0;
            else if (!bad && !strcmp(op, "done"))
                *done = true;
            else if (!bad && strcmp(op, "data"))
                bad = 1;
            msg_free(&m);
            if (bad) {
                ckpt_err_set(e, EPROTO, "post-copy stream broken");
                goto out;
            }
        }
    }
    rc = 0;
out:
    free(buf);
    return rc;
}

/* ---- source: cr_checkpoint --postcopy ---- */

struct ckpt_postcopy {
    int lfd;            /* listening */
    int port;
    int sp[2];          /* [1] is CRIU's --ps-socket */
    int st[2];          /* CRIU's --status-fd */
};

struct ckpt_postcopy *ckpt_postcopy_open(int port, struct ckpt_err *e)
{
    struct ckpt_postcopy *pc = calloc(1, sizeof(*pc));
    struct sockaddr_storage a;
    socklen_t al = sizeof(a);

    if (!pc) {
        ckpt_err_set(e, ENOMEM, "out of memory");
        return NULL;
    }
    pc->sp[0] = pc->sp[1] = pc->st[0] = pc->st[1] = -1;
    pc->lfd = proto_tcp_listen(port);
    if (pc->lfd < 0 || getsockname(pc->lfd, (struct sockaddr *)&a, &al) < 0) {
        ckpt_err_set(e, errno, "--postcopy: cannot listen on port %d: %s", port, strerror(errno));
        goto bad;
    }
    pc->port = ntohs(a.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&a)->sin6_port
                                             : ((struct sockaddr_in *)&a)->sin_port);
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pc->sp) < 0 ||
        pipe2(pc->st, O_CLOEXEC) < 0) {
        ckpt_err_set(e, errno, "socketpair: %s", strerror(errno));
        goto bad;
    }
    big_buffers(pc->sp);
    return pc;
bad:
    ckpt_postcopy_close(pc);
    return NULL;
}

int ckpt_postcopy_port(const struct ckpt_postcopy *pc)
{
    return pc->port;
}

void ckpt_postcopy_criu_fds(const struct ckpt_postcopy *pc, int *ps, int *status)
{
    *ps = pc->sp[1];
    *status = pc->st[1];
}

int ckpt_postcopy_ready(struct ckpt_postcopy *pc, int timeout, struct ckpt_err *e)
{
    char c;
    ssize_t r;

    close(pc->sp[1]);
    close(pc->st[1]);
    pc->sp[1] = pc->st[1] = -1;
    /* The status byte comes once every image is written and CRIU serves
     * pages; EOF (CRIU ended) means the dump failed. */
    struct pollfd p = { .fd = pc->st[0], .events = POLLIN };
    while ((r = poll(&p, 1, timeout > 0 ? timeout * 1000 : -1)) < 0 && errno == EINTR)
        ;
    if (r == 0)
        return ckpt_err_set(e, ETIMEDOUT, "checkpoint timed out after %d s", timeout);
    while ((r = read(pc->st[0], &c, 1)) < 0 && errno == EINTR)
        ;
    return r == 1 ? 0 : ckpt_err_set(e, EIO, "CRIU ended before its images were written");
}

/* One connection that proves the key and names our checkpoint, within
 * wait_ms; strangers and other checkpoints' targets are turned away. */
static int accept_peer(struct ckpt_postcopy *pc, const struct proto_key *k,
                       struct proto_session *s, const char *mac, int wait_ms, struct ckpt_err *e)
{
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        long left = wait_ms - ((now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000);
        struct pollfd p = { .fd = pc->lfd, .events = POLLIN };
        if (left <= 0)
            return ckpt_err_set(e, ETIMEDOUT, "no target fetched the pages within %d s",
                                wait_ms / 1000);
        int r = poll(&p, 1, (int)left);
        if (r <= 0)
            continue;
        int fd = accept4(pc->lfd, NULL, NULL, SOCK_CLOEXEC);
        char err[160];
        if (fd < 0)
            continue;
        proto_session_init(s, k, PROTO_ACCEPTOR);
        struct ckpt_err he;
        if (proto_handshake(fd, s, HANDSHAKE_MS, err, sizeof(err)) == 0 &&
            check_hello(fd, s, mac, &he) == 0 && send_op(fd, s, "hello", mac, NULL, 0) == 0)
            return fd;
        proto_session_wipe(s);
        close(fd);
    }
}

int ckpt_postcopy_serve(struct ckpt_postcopy *pc, const unsigned char ckey[CKPT_KEY_LEN],
                        const unsigned char mac[32], int wait_ms, int guard_fd, bool *connected,
                        struct ckpt_err *e)
{
    unsigned char skey[32];
    struct proto_key k = { skey, sizeof(skey) };
    struct proto_session s;
    char hex[65];
    bool done = false;
    int rc;

    *connected = false;
    stream_key(ckey, skey);
    ckpt_hash_hex(mac, 32, hex);
    int fd = accept_peer(pc, &k, &s, hex, wait_ms, e);
    close(pc->lfd);
    pc->lfd = -1;
    if (fd < 0) {
        explicit_bzero(skey, sizeof(skey));
        return -1;
    }
    *connected = true;
    nodelay(fd);
    ckpt_guard_kill_instead(guard_fd);  /* the target may run the job from now on */
    rc = pump(pc->sp[0], fd, &s, true, &done, e);
    proto_session_wipe(&s);
    explicit_bzero(skey, sizeof(skey));
    close(fd);
    return rc;
}

void ckpt_postcopy_close(struct ckpt_postcopy *pc)
{
    if (!pc)
        return;
    int fds[] = { pc->lfd, pc->sp[0], pc->sp[1], pc->st[0], pc->st[1] };
    for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
        if (fds[i] >= 0)
            close(fds[i]);
    free(pc);
}

/* ---- target: cr_restart --pages-from ---- */

int ckpt_pages_from_parse(const char *s, struct ckpt_page_source *ps, struct ckpt_err *e)
{
    const char *colon = s ? strrchr(s, ':') : NULL;
    char *end;
    long port = colon ? strtol(colon + 1, &end, 10) : 0;
    if (!colon || colon == s || (size_t)(colon - s) >= sizeof(ps->host) || *end || port <= 0 ||
        port > 65535)
        return ckpt_err_setc(e, EINVAL, CKPT_FAIL_ARGS, "bad --pages-from '%s': HOST:PORT",
                             s ? s : "");
    memset(ps, 0, sizeof(*ps));
    memcpy(ps->host, s, (size_t)(colon - s));
    ps->port = (int)port;
    return 0;
}

void ckpt_page_source_key(struct ckpt_page_source *ps, const unsigned char ckey[CKPT_KEY_LEN],
                          const unsigned char mac[32])
{
    stream_key(ckey, ps->skey);
    ckpt_hash_hex(mac, 32, ps->mac);
}

/* The relay process: connects, starts the daemon on its end of a
 * socketpair, carries the bytes, and ends with the daemon's status, after
 * telling the source that every page is in.  Never returns. */
static void relay_main(const char *criu, char **argv, int imgfd, int status_fd,
                       const struct ckpt_page_source *ps)
{
    struct proto_key k = { (unsigned char *)ps->skey, sizeof(ps->skey) };
    struct proto_session s;
    struct ckpt_err e;
    char err[160], psfd[16];
    int pbse = 0, sp[2], st = 0, code = 1;
    pid_t daemon = -1;
    bool done;

    ckpt_err_clear(&e);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    int net = proto_tcp_session(ps->host, ps->port, &k, &s, HANDSHAKE_MS, &pbse, err, sizeof(err));
    if (net < 0) {
        fprintf(stderr, "cr_restart: --pages-from %s:%d: %s\n", ps->host, ps->port, err);
        _exit(1);
    }
    if (send_op(net, &s, "hello", ps->mac, NULL, 0) < 0 || check_hello(net, &s, ps->mac, &e) < 0) {
        fprintf(stderr, "cr_restart: --pages-from %s:%d: %s\n", ps->host, ps->port,
                e.msg[0] ? e.msg : "hello failed");
        _exit(1);
    }
    nodelay(net);
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
        _exit(1);
    big_buffers(sp);
    snprintf(psfd, sizeof(psfd), "%d", sp[1]);
    for (size_t i = 0; argv[i]; i++)
        if (!strcmp(argv[i], "PSFD"))
            argv[i] = psfd;
    int keep[3] = { imgfd, status_fd, sp[1] };
    if (ckpt_criu_run(criu, argv, keep, 3, NULL, &daemon) < 0)
        _exit(1);
    close(sp[1]);
    close(status_fd);
    if (pump(sp[0], net, &s, false, &done, &e) < 0)
        fprintf(stderr, "cr_restart: --pages-from %s:%d: %s\n", ps->host, ps->port, e.msg);
    close(sp[0]);       /* the daemon sees the stream end, if it had not */
    while (waitpid(daemon, &st, 0) < 0 && errno == EINTR)
        ;
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0 && !e.msg[0])
        code = send_op(net, &s, "done", NULL, NULL, 0) == 0 ? 0 : 1;
    else if (WIFEXITED(st) && WEXITSTATUS(st))
        code = WEXITSTATUS(st);
    proto_session_wipe(&s);
    _exit(code);
}

int ckpt_pages_relay_run(const char *criu, char **argv, int imgfd, int status_fd,
                         const struct ckpt_page_source *ps, pid_t *pid)
{
    *pid = fork();
    if (*pid < 0)
        return -1;
    if (*pid == 0)
        relay_main(criu, argv, imgfd, status_fd, ps);
    return 0;
}
