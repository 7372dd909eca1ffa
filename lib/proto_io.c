/* Blocking I/O for clients, tools and tests (lib/protocol.h). */
#include "lib/protocol.h"
#include "lib/pbs_error.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* --- blocking I/O --------------------------------------------------------------------- */

int proto_send(int fd, const struct pbs_msg *m, const struct proto_key *key)
{
	struct buf b;
	int rc = 0;

	buf_init(&b);
	proto_frame_msg(&b, m, key);
	if (write_full(fd, b.data, b.len) < 0)
		rc = PBSE_SOCKET_WRITE;
	buf_free(&b);
	return rc;
}

int proto_recv(int fd, struct pbs_msg *m, const struct proto_key *key, int timeout_ms,
	       char *err, size_t errlen)
{
	struct proto_reader r;
	long long deadline = timeout_ms >= 0 ? now_ms() + timeout_ms : -1;
	char tmp[65536];
	int rc, pbse, eof = 0;

	proto_reader_init(&r, key);
	msg_init(m);
	for (;;) {
		struct pbs_msg one;

		rc = proto_reader_next(&r, eof, &one, &pbse, err, errlen);
		if (rc == PROTO_MSG) {
			msg_free(m);
			*m = one;
			rc = 0;
			break;
		}
		if (rc != PROTO_MORE) {
			msg_free(&one);
			rc = pbse;
			break;
		}
		if (eof) {
			snprintf(err, errlen, "connection closed by peer");
			rc = PBSE_SOCKET_CLOSE;
			break;
		}
		if (deadline >= 0) {
			struct pollfd p = { .fd = fd, .events = POLLIN };
			long long left = deadline - now_ms();
			int pr;

			if (left < 0)
				left = 0;
			pr = poll(&p, 1, (int)left);
			if (pr < 0 && errno == EINTR)
				continue;
			if (pr == 0) {
				snprintf(err, errlen, "no answer within %d ms", timeout_ms);
				rc = PBSE_TIMEOUT;
				break;
			}
		}
		/* Read only what the current frame still needs, so bytes of a
		 * following frame stay in the socket for the next call. */
		size_t want = sizeof(tmp);
		if (r.in.len >= PROTO_HDR_LEN) {
			uint32_t n;
			size_t total;

			memcpy(&n, r.in.data, sizeof(n));
			total = PROTO_HDR_LEN + (key && key->key && key->len ? PROTO_MAC_LEN : 0) + ntohl(n);
			if (total > r.in.len && total - r.in.len < want)
				want = total - r.in.len;
		} else {
			want = PROTO_HDR_LEN - r.in.len;
		}
		ssize_t got = read(fd, tmp, want);

		if (got < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (got < 0) {
			snprintf(err, errlen, "read: %s", strerror(errno));
			rc = PBSE_SOCKET_READ;
			break;
		}
		if (got == 0)
			eof = 1;
		else
			buf_append(&r.in, tmp, (size_t)got);
	}
	proto_reader_free(&r);
	if (rc) {
		msg_free(m);
		msg_init(m);   /* callers may still look at text */
	}
	return rc;
}

int proto_call(int fd, const struct pbs_msg *req, struct pbs_msg *reply,
	       const struct proto_key *key, int timeout_ms, char *err, size_t errlen)
{
	int rc = proto_send(fd, req, key);

	if (rc) {
		snprintf(err, errlen, "cannot send %s: %s", proto_type_name(req->type),
			 strerror(errno));
		msg_init(reply);
		return rc;
	}
	rc = proto_recv(fd, reply, key, timeout_ms, err, errlen);
	if (!rc && !reply->is_reply) {
		snprintf(err, errlen, "peer answered with a request, not a reply");
		msg_free(reply);
		msg_init(reply);
		rc = PBSE_PROTOCOL;
	}
	return rc;
}

