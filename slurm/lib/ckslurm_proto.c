/* The task -> agent request (see slurm/ckslurm_proto.h). */
#include "slurm/ckslurm_proto.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#define MAGIC 0x636b736cu  /* "ckls" */
#define MAX_BYTES (64u << 20)

struct header {
    uint32_t magic, argc, envc, bytes, ckdir_errno;
};

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int read_all(int fd, char *p, size_t n)
{
    while (n) {
        ssize_t r = read(fd, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            if (r == 0)
                errno = EPROTO;
            return -1;
        }
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

int ckslurm_send_request(int sock, int argc, char *const argv[], char *const env[], int cwd,
                         int ckdir, int ckdir_errno)
{
    /* the slot is always filled: without a directory it carries cwd again */
    struct header h = { MAGIC, (uint32_t)argc, 0, 0, ckdir < 0 ? (uint32_t)ckdir_errno : 0 };
    for (int i = 0; i < argc; i++)
        h.bytes += (uint32_t)strlen(argv[i]) + 1;
    for (; env && env[h.envc]; h.envc++)
        h.bytes += (uint32_t)strlen(env[h.envc]) + 1;
    int fds[5] = { cwd, 0, 1, 2, ckdir < 0 ? cwd : ckdir };
    char cbuf[CMSG_SPACE(sizeof(fds))];
    memset(cbuf, 0, sizeof(cbuf));
    struct iovec iov = { &h, sizeof(h) };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
                         .msg_controllen = sizeof(cbuf) };
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(fds));
    memcpy(CMSG_DATA(c), fds, sizeof(fds));
    if (sendmsg(sock, &mh, MSG_NOSIGNAL) != (ssize_t)sizeof(h))
        return -1;
    for (int i = 0; i < argc; i++)
        if (write_all(sock, argv[i], strlen(argv[i]) + 1) < 0)
            return -1;
    for (uint32_t i = 0; i < h.envc; i++)
        if (write_all(sock, env[i], strlen(env[i]) + 1) < 0)
            return -1;
    return 0;
}

int ckslurm_recv_request(int sock, struct ckslurm_request *r)
{
    struct header h;
    int fds[5] = { -1, -1, -1, -1, -1 };
    char cbuf[CMSG_SPACE(sizeof(fds))];
    struct iovec iov = { &h, sizeof(h) };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
                         .msg_controllen = sizeof(cbuf) };
    memset(r, 0, sizeof(*r));
    r->cwd = r->in = r->out = r->err = r->ckdir = -1;
    ssize_t n;
    while ((n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC | MSG_WAITALL)) < 0 && errno == EINTR)
        ;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); n > 0 && c; c = CMSG_NXTHDR(&mh, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
            c->cmsg_len == CMSG_LEN(sizeof(fds)))
            memcpy(fds, CMSG_DATA(c), sizeof(fds));
    r->cwd = fds[0], r->in = fds[1], r->out = fds[2], r->err = fds[3], r->ckdir = fds[4];
    r->ckdir_errno = n == (ssize_t)sizeof(h) ? (int)h.ckdir_errno : 0;
    if (r->ckdir_errno && r->ckdir >= 0) {
        close(r->ckdir);
        r->ckdir = -1;
    }
    if (n != (ssize_t)sizeof(h) || h.magic != MAGIC || h.bytes > MAX_BYTES || h.argc < 1 ||
        h.argc > h.bytes || h.envc > h.bytes)
        goto bad;
    r->buf = malloc(h.bytes + 1);
    r->argv = calloc(h.argc + 1, sizeof(char *));
    r->env = calloc(h.envc + 1, sizeof(char *));
    if (!r->buf || !r->argv || !r->env)
        goto bad;
    if (read_all(sock, r->buf, h.bytes) < 0)
        goto bad;
    r->buf[h.bytes] = '\0';
    char *p = r->buf, *end = r->buf + h.bytes;
    for (uint32_t i = 0; i < h.argc + h.envc; i++) {
        if (p >= end)
            goto bad;
        if (i < h.argc)
            r->argv[i] = p;
        else
            r->env[i - h.argc] = p;
        p += strlen(p) + 1;
    }
    if (p != end)
        goto bad;
    return 0;
bad:
    ckslurm_request_free(r);
    errno = EPROTO;
    return -1;
}

void ckslurm_request_free(struct ckslurm_request *r)
{
    int *fds[5] = { &r->cwd, &r->in, &r->out, &r->err, &r->ckdir };
    for (int i = 0; i < 5; i++)
        if (*fds[i] >= 0) {
            close(*fds[i]);
            *fds[i] = -1;
        }
    free(r->buf);
    free(r->argv);
    free(r->env);
    r->buf = NULL;
    r->argv = r->env = NULL;
}
