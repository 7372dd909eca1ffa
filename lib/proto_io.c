/* Blocking I/O for clients, tools and tests (lib/protocol.h). */
#include "lib/protocol.h"
#include "lib/pbs_error.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Wait until fd is readable or the deadline passes. 0, or PBSE_TIMEOUT. */
static int wait_readable(int fd, long long deadline)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int pr;

	if (deadline < 0)
		return 0;
	for (;;) {
		long long left = deadline - now_ms();

		pr = poll(&p, 1, left < 0 ? 0 : (int)left);
		if (pr < 0 && errno == EINTR)
			continue;
		return pr == 0 ? PBSE_TIMEOUT : 0;
	}
}

/* Read one record (a frame, or a handshake record) into r: never a byte
 * beyond it, so what follows stays in the socket for the next call.
 * Returns what proto_reader_next returned, or a transport PBSE in *pbse
 * with PROTO_FATAL. */
static int read_record(int fd, struct proto_reader *r, long long deadline, int timeout_ms,
		       struct pbs_msg *m, int *pbse, char *err, size_t errlen)
{
	int eof = 0, rc;

	for (;;) {
		size_t want;
		ssize_t got;
		char *p;

		rc = proto_reader_next(r, eof, m, pbse, err, errlen);
		if (rc != PROTO_MORE)
			return rc;
		if (eof) {
			snprintf(err, errlen, "connection closed by peer");
			*pbse = PBSE_SOCKET_CLOSE;
			msg_init(m);
			return PROTO_FATAL;
		}
		if (wait_readable(fd, deadline)) {
			snprintf(err, errlen, "no answer within %d ms", timeout_ms);
			*pbse = PBSE_TIMEOUT;
			msg_init(m);
			return PROTO_FATAL;
		}
		/* straight into the record's buffer, grown once to the
		 * frame's size (a status of 10 000 jobs is 9.5 MB: read
		 * through a 64 KiB bounce buffer it was copied twice and the
		 * buffer reallocated a dozen times) */
		want = proto_reader_want(r);
		if (!want)
			want = 65536;
		p = buf_grow(&r->in, want);
		got = read(fd, p, want);
		r->in.len -= want - (got > 0 ? (size_t)got : 0);
		r->in.data[r->in.len] = '\0';
		if (got < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (got < 0) {
			snprintf(err, errlen, "read: %s", strerror(errno));
			*pbse = PBSE_SOCKET_READ;
			msg_init(m);
			return PROTO_FATAL;
		}
		if (got == 0)
			eof = 1;
	}
}

int proto_handshake(int fd, struct proto_session *s, int timeout_ms, char *err, size_t errlen)
{
	long long deadline = timeout_ms >= 0 ? now_ms() + timeout_ms : -1;
	struct proto_reader r;
	struct buf out;
	int rc = 0, pbse = 0;

	err[0] = '\0';
	if (!proto_session_keyed(s))
		return 0;
	proto_reader_init(&r, s);
	buf_init(&out);
	if (proto_session_start(s, &out) < 0 || write_full(fd, out.data, out.len) < 0) {
		snprintf(err, errlen, "cannot start the session: %s", strerror(errno));
		rc = PBSE_SOCKET_WRITE;
	}
	while (!rc && !proto_session_ready(s)) {
		struct pbs_msg m;
		int k = read_record(fd, &r, deadline, timeout_ms, &m, &pbse, err, errlen);

		if (k == PROTO_FATAL) {
			msg_free(&m);
			buf_reset(&out);
			proto_session_refuse(s, &out, pbse);
			if (out.len)
				(void)!write_full(fd, out.data, out.len);
			rc = pbse;
		} else if (k == PROTO_HELLO && r.answer.len) {
			if (write_full(fd, r.answer.data, r.answer.len) < 0) {
				snprintf(err, errlen, "write: %s", strerror(errno));
				rc = PBSE_SOCKET_WRITE;
			}
			buf_reset(&r.answer);
		}
	}
	buf_free(&out);
	proto_reader_free(&r);
	return rc;
}

int proto_send(int fd, const struct pbs_msg *m, struct proto_session *s)
{
	struct buf b;
	int rc = 0;

	buf_init(&b);
	proto_frame_msg(&b, m, s);
	if (write_full(fd, b.data, b.len) < 0)
		rc = PBSE_SOCKET_WRITE;
	buf_free(&b);
	return rc;
}

static int recv_each(int fd, struct pbs_msg *m, struct proto_session *s, int timeout_ms,
		     const struct proto_obj_sink *sink, char *err, size_t errlen)
{
	struct proto_reader r;
	long long deadline = timeout_ms >= 0 ? now_ms() + timeout_ms : -1;
	int rc, pbse = 0;

	proto_reader_init(&r, s);
	r.sink = sink;
	msg_init(m);
	for (;;) {
		struct pbs_msg one;

		rc = read_record(fd, &r, deadline, timeout_ms, &one, &pbse, err, errlen);
		if (rc == PROTO_HELLO)
			continue;   /* a session's last handshake record */
		if (rc == PROTO_MSG) {
			msg_free(m);
			*m = one;
			rc = 0;
		} else {
			msg_free(&one);
			rc = pbse;
		}
		break;
	}
	proto_reader_free(&r);
	if (rc) {
		msg_free(m);
		msg_init(m);   /* callers may still look at text */
	}
	return rc;
}

int proto_recv(int fd, struct pbs_msg *m, struct proto_session *s, int timeout_ms,
	       char *err, size_t errlen)
{
	return recv_each(fd, m, s, timeout_ms, NULL, err, errlen);
}

int proto_call(int fd, const struct pbs_msg *req, struct pbs_msg *reply,
	       struct proto_session *s, int timeout_ms, char *err, size_t errlen)
{
	return proto_call_each(fd, req, reply, s, timeout_ms, NULL, err, errlen);
}

int proto_call_each(int fd, const struct pbs_msg *req, struct pbs_msg *reply,
		    struct proto_session *s, int timeout_ms, const struct proto_obj_sink *sink,
		    char *err, size_t errlen)
{
	int rc = proto_send(fd, req, s);

	if (rc) {
		snprintf(err, errlen, "cannot send %s: %s", proto_type_name(req->type),
			 strerror(errno));
		msg_init(reply);
		return rc;
	}
	rc = recv_each(fd, reply, s, timeout_ms, sink, err, errlen);
	if (!rc && !reply->is_reply) {
		snprintf(err, errlen, "peer answered with a request, not a reply");
		msg_free(reply);
		msg_init(reply);
		rc = PBSE_PROTOCOL;
	}
	return rc;
}


int proto_tcp_session(const char *host, int port, const struct proto_key *key,
		      struct proto_session *s, int timeout_ms, int *pbse, char *err, size_t errlen)
{
	int fd = proto_tcp_connect(host, port, timeout_ms);

	proto_session_init(s, key, PROTO_INITIATOR);
	if (fd < 0) {
		snprintf(err, errlen, "cannot connect to %s:%d: %s", host, port, strerror(errno));
		*pbse = PBSE_NOCONNECTS;
		return -1;
	}
	*pbse = proto_handshake(fd, s, timeout_ms, err, errlen);
	if (*pbse) {
		close(fd);
		return -1;
	}
	return fd;
}
