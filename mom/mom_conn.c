/* Connections from the server to this MOM: non-blocking reads through the
 * one protocol decoder (lib/protocol), every frame's MAC checked with the
 * cluster key, one reply per request, in order. A connection whose request
 * is answered later (a hold waits for its checkpoint) reads nothing more
 * until that answer is out, so replies never overtake each other. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define LOG_PREFIX "mom_conn: "
#include "lib/log.h"
#include "lib/pbs_error.h"
#include "lib/protocol.h"
#include "lib/util.h"
#include "mom/mom.h"

#define MAX_CONNS 64
#define SEND_TIMEOUT_MS 5000

struct mom_conn {
	int id;
	int fd;
	struct proto_reader rd;
	int waiting;     /* a deferred reply is outstanding */
	int eof;         /* the peer closed its side */
	int dead;        /* close at the next opportunity */
};

static struct mom_conn *conn_by_id(struct mom *m, int id)
{
	size_t i;

	for (i = 0; i < m->nconns; i++)
		if (m->conns[i]->id == id)
			return m->conns[i];
	return NULL;
}

static void conn_free(struct mom_conn *c)
{
	close(c->fd);
	proto_reader_free(&c->rd);
	free(c);
}

static void reap_dead(struct mom *m)
{
	size_t i = 0;

	while (i < m->nconns) {
		struct mom_conn *c = m->conns[i];

		if (c->dead || (c->eof && !c->waiting)) {
			conn_free(c);
			m->conns[i] = m->conns[--m->nconns];
			continue;
		}
		i++;
	}
}

void conn_accept(struct mom *m)
{
	struct mom_conn *c;
	int fd = accept4(m->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR)
			pr_perror("accept");
		return;
	}
	if (m->nconns >= MAX_CONNS) {
		pr_warn("too many connections; refusing one");
		close(fd);
		return;
	}
	c = xcalloc(1, sizeof(*c));
	c->id = ++m->next_conn_id;
	c->fd = fd;
	proto_reader_init(&c->rd, &m->key);
	m->conns = xrealloc(m->conns, (m->nconns + 1) * sizeof(*m->conns));
	m->conns[m->nconns++] = c;
}

static void conn_send(struct mom_conn *c, const struct pbs_msg *reply, const struct proto_key *key)
{
	struct buf out;
	size_t off = 0;
	long long deadline = now_ms() + SEND_TIMEOUT_MS;

	buf_init(&out);
	proto_frame_msg(&out, reply, key);
	while (off < out.len) {
		ssize_t n = write(c->fd, out.data + off, out.len - off);

		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			struct pollfd p = { c->fd, POLLOUT, 0 };
			long long left = deadline - now_ms();

			if (left > 0 && poll(&p, 1, (int)left) >= 0)
				continue;
		}
		pr_warn("cannot send a reply: %s", n < 0 ? strerror(errno) : "timeout");
		c->dead = 1;
		break;
	}
	buf_free(&out);
}

/* Decode and answer whatever complete frames are buffered. */
static void conn_process(struct mom *m, struct mom_conn *c)
{
	while (!c->waiting && !c->dead) {
		struct pbs_msg req, reply;
		char err[512];
		int pbse = 0, r;

		memset(&req, 0, sizeof(req));   /* filled by msg_*() or the decoder */
		memset(&reply, 0, sizeof(reply));   /* filled by msg_*() or the decoder */
		r = proto_reader_next(&c->rd, c->eof, &req, &pbse, err, sizeof(err));
		if (r == PROTO_MSG) {
			if (mom_dispatch_request(m, c->id, &req, &reply))
				c->waiting = 1;
			else
				conn_send(c, &reply, &m->key);
		} else if (r == PROTO_BAD || r == PROTO_FATAL) {
			char text[768];

			log_event(PBSEVENT_SECURITY | PBSEVENT_ERROR, PBS_EVENTCLASS_REQUEST, NULL,
				  "bad request (%d): %s", pbse, err);
			pbse_message(text, sizeof(text), pbse, err);
			msg_reply(&reply, pbse, 0, text);
			/* A peer without our key gets no answer it could
			 * learn from beyond the code. */
			conn_send(c, &reply, &m->key);
			if (r == PROTO_FATAL)
				c->dead = 1;
		}
		msg_free(&req);
		msg_free(&reply);
		if (r == PROTO_MORE)
			break;
	}
}

int conn_pollfds(struct mom *m, struct pollfd *pfds, int max)
{
	size_t i;
	int n = 0;

	reap_dead(m);
	for (i = 0; i < m->nconns && n < max; i++) {
		if (m->conns[i]->waiting || m->conns[i]->eof)
			continue;
		pfds[n].fd = m->conns[i]->fd;
		pfds[n].events = POLLIN;
		pfds[n].revents = 0;
		n++;
	}
	return n;
}

void conn_handle(struct mom *m, const struct pollfd *pfds, int n)
{
	int k;
	size_t i;

	for (k = 0; k < n; k++) {
		struct mom_conn *c = NULL;
		char buf[65536];
		ssize_t r;

		if (!pfds[k].revents)
			continue;
		for (i = 0; i < m->nconns; i++)
			if (m->conns[i]->fd == pfds[k].fd)
				c = m->conns[i];
		if (!c)
			continue;
		r = read(c->fd, buf, sizeof(buf));
		if (r > 0)
			buf_append(&c->rd.in, buf, (size_t)r);
		else if (r == 0 || (errno != EAGAIN && errno != EINTR))
			c->eof = 1;
		conn_process(m, c);
	}
	reap_dead(m);
}

void reply_deferred(struct mom *m, int conn_id, int code, int aux, const char *text)
{
	struct mom_conn *c = conn_by_id(m, conn_id);
	struct pbs_msg reply;
	char full[2048];

	if (!c) {
		pr_warn("the connection waiting for a reply (code %d) is gone", code);
		return;
	}
	memset(&reply, 0, sizeof(reply));   /* filled by msg_*() or the decoder */
	if (code) {
		pbse_message(full, sizeof(full), code, text && *text ? text : NULL);
		msg_reply(&reply, code, aux, full);
	} else {
		msg_reply(&reply, 0, aux, text ? text : "");
	}
	conn_send(c, &reply, &m->key);
	msg_free(&reply);
	c->waiting = 0;
	conn_process(m, c);
}

void conn_close_all(struct mom *m)
{
	size_t i;

	for (i = 0; i < m->nconns; i++)
		conn_free(m->conns[i]);
	free(m->conns);
	m->conns = NULL;
	m->nconns = 0;
}
