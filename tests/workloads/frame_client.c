/* frame_client: a hostile or ordinary client of ckmig_server, for the
 * server's tests. Prints the server's answer as "code=N aux=N text=..."
 * (then one "obj KIND NAME" line per object), or "closed" when the server
 * hung up without answering.
 *
 *   frame_client unix PATH MODE [ARG]
 *   frame_client tcp HOST PORT KEYFILE MODE [ARG]
 * MODE:
 *   body TEXT     one frame whose body is TEXT ("-": read it from stdin)
 *   req TYPE [ID] a well-formed request of TYPE ("StatusJob", "JobObit", ...)
 *   garbage N     N bytes of 0xA5 without framing, then end of input
 *   oversize      a header announcing PROTO_MAX_BODY + 1 bytes
 *   truncated     a header announcing 100 bytes, 10 bytes, end of input
 *   badmac        (tcp) a good request with a wrong MAC
 *   churn N       open and close N connections, one after another, then
 *                 send StatusServer on a fresh one and show the answer
 *   hold N        open N connections, send StatusServer on each, print
 *                 "ok=A refused=B", keep them open until stdin ends
 *   pipeline N    send N StatusJob requests without reading any answer
 *                 (non-blocking, until the server stops taking them),
 *                 print "sent=K", keep the connection until stdin ends
 *   bigpartial N  (tcp, no key needed) open N connections, on each a
 *                 header announcing PROTO_MAX_BODY bytes and as much of
 *                 the body as the peer takes; print "open=K" (those the
 *                 peer has not closed), keep them until stdin ends
 *   idle N        (tcp, no key needed) open N connections that send
 *                 nothing; print "open=K" once all are up, keep them
 *                 until stdin ends
 *   idlewait      (tcp, no key needed) one silent connection; print
 *                 "closed" when the peer closes it (or "open" after 60 s)
 * tcp modes other than the last three run the session handshake first;
 * KEYFILE "-" is allowed for those three. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/pbs_error.h"
#include "lib/protocol.h"
#include "lib/util.h"

#include <signal.h>

static void show(int fd, struct proto_session *ses)
{
	struct pbs_msg m;
	struct pbs_obj *o;
	char err[512];
	int rc = proto_recv(fd, &m, ses, 10000, err, sizeof(err));

	if (rc) {
		printf("closed\n");
		return;
	}
	printf("code=%d aux=%d text=%s\n", m.code, m.aux, m.text);
	for (o = m.objs; o; o = o->next)
		printf("obj %s %s\n", o->kind, o->name);
	msg_free(&m);
}

/* Wait for stdin to end (the test closes its pipe). */
static void wait_stdin(void)
{
	char tmp[256];

	while (read(0, tmp, sizeof(tmp)) > 0)
		;
}

static int connect_to(int tcp, char **argv)
{
	return tcp ? proto_tcp_connect(argv[2], atoi(argv[3]), 5000) : proto_unix_connect(argv[2]);
}

/* Ask StatusServer on fd; 0 = a code 0 answer. */
static int ask(int fd, struct proto_session *ses)
{
	struct pbs_msg req, rep;
	char err[256];
	int rc;

	msg_request(&req, PBS_BATCH_StatusServer, "");
	rc = proto_call(fd, &req, &rep, ses, 10000, err, sizeof(err));
	msg_free(&req);
	if (!rc)
		rc = rep.code;
	msg_free(&rep);
	return rc;
}

static int hostile(int tcp, char **argv, const char *mode, int n)
{
	int *fds = xcalloc((size_t)n + 1, sizeof(int)), i, open_n = 0;

	signal(SIGPIPE, SIG_IGN);
	if (!strcmp(mode, "idlewait")) {
		struct pollfd p;
		char c;

		p.fd = connect_to(tcp, argv);
		p.events = POLLIN;
		if (p.fd < 0) {
			perror("frame_client: connect");
			return 2;
		}
		/* the peer's hello may come first; only its close counts */
		while (poll(&p, 1, 60000) > 0) {
			if (read(p.fd, &c, 1) <= 0) {
				printf("closed\n");
				return 0;
			}
		}
		printf("open\n");
		return 0;
	}
	for (i = 0; i < n; i++) {
		fds[i] = connect_to(tcp, argv);
		if (fds[i] < 0)
			continue;
		fcntl(fds[i], F_SETFL, O_NONBLOCK);
		if (!strcmp(mode, "bigpartial")) {
			uint32_t len = htonl(PROTO_MAX_BODY);
			static char junk[65536];
			size_t sent = 0;

			memset(junk, 'x', sizeof(junk));
			if (write(fds[i], &len, 4) != 4)
				continue;
			/* as much as the peer takes; a peer that stops reading
			 * leaves it in the socket buffers, not in its memory */
			while (sent < PROTO_MAX_BODY - sizeof(junk)) {
				struct pollfd p = { .fd = fds[i], .events = POLLOUT };
				ssize_t w = write(fds[i], junk, sizeof(junk));

				if (w > 0) {
					sent += (size_t)w;
					continue;
				}
				if (w < 0 && errno == EAGAIN && poll(&p, 1, 1000) > 0)
					continue;
				break;
			}
		}
	}
	for (i = 0; i < n; i++) {
		struct pollfd p = { .fd = fds[i], .events = POLLIN };
		char tmp[4096];

		if (fds[i] < 0)
			continue;
		/* a peer that refused us has closed: count only what stays */
		if (poll(&p, 1, 0) > 0) {
			ssize_t r;

			while ((r = read(fds[i], tmp, sizeof(tmp))) > 0)
				;
			if (r == 0 || (r < 0 && errno != EAGAIN))
				continue;
		}
		open_n++;
	}
	printf("open=%d\n", open_n);
	fflush(stdout);
	wait_stdin();
	return 0;
}

int main(int argc, char **argv)
{
	struct proto_key key = { NULL, 0 };
	struct proto_session ses, *sp = NULL;
	const char *mode, *arg;
	struct buf b;
	int fd, i, tcp, pbse;
	char err[512];

	signal(SIGPIPE, SIG_IGN);   /* a refused connection is an answer, not a death */
	if (argc < 4)
		goto usage;
	tcp = !strcmp(argv[1], "tcp");
	if (tcp) {
		if (argc < 6)
			goto usage;
		mode = argv[5];
		arg = argc > 6 ? argv[6] : "";
		if (!strcmp(mode, "bigpartial") || !strcmp(mode, "idle") ||
		    !strcmp(mode, "idlewait"))
			return hostile(tcp, argv, mode, atoi(arg));
		if (proto_key_load(&key, argv[4], err, sizeof(err)) < 0) {
			fprintf(stderr, "frame_client: %s\n", err);
			return 2;
		}
		fd = proto_tcp_session(argv[2], atoi(argv[3]), &key, &ses, 5000, &pbse, err,
				       sizeof(err));
		if (fd < 0) {
			/* a refused session is an answer too */
			printf("code=%d aux=0 text=%s\n", pbse, err);
			return 0;
		}
		sp = &ses;
	} else {
		mode = argv[3];
		arg = argc > 4 ? argv[4] : "";
		if (!strcmp(mode, "churn")) {
			for (i = 0; i < atoi(arg); i++) {
				fd = proto_unix_connect(argv[2]);
				if (fd >= 0)
					close(fd);
			}
			mode = "req";
			arg = "StatusServer";
		} else if (!strcmp(mode, "hold")) {
			int n = atoi(arg), ok = 0, refused = 0;
			int *fds = xcalloc((size_t)n + 1, sizeof(int));

			for (i = 0; i < n; i++) {
				fds[i] = proto_unix_connect(argv[2]);
				if (fds[i] >= 0 && ask(fds[i], NULL) == 0)
					ok++;
				else
					refused++;
			}
			printf("ok=%d refused=%d\n", ok, refused);
			fflush(stdout);
			wait_stdin();
			return 0;
		} else if (!strcmp(mode, "pipeline")) {
			int n = atoi(arg), sent = 0;

			fd = proto_unix_connect(argv[2]);
			if (fd < 0)
				goto usage;
			fcntl(fd, F_SETFL, O_NONBLOCK);
			buf_init(&b);
			{
				struct pbs_msg m;

				msg_request(&m, PBS_BATCH_StatusJob, "");
				proto_frame_msg(&b, &m, NULL);
				msg_free(&m);
			}
			/* each request whole: stop when the server stops taking */
			while (sent < n) {
				struct pollfd p = { .fd = fd, .events = POLLOUT };
				size_t off = 0;

				if (poll(&p, 1, 2000) <= 0)
					break;
				while (off < b.len) {
					ssize_t w = write(fd, b.data + off, b.len - off);

					if (w > 0)
						off += (size_t)w;
					else if (w < 0 && errno == EAGAIN && poll(&p, 1, 2000) > 0)
						continue;
					else
						break;
				}
				if (off < b.len)
					break;
				sent++;
			}
			printf("sent=%d\n", sent);
			fflush(stdout);
			wait_stdin();
			return 0;
		}
		fd = proto_unix_connect(argv[2]);
	}
	if (fd < 0) {
		perror("frame_client: connect");
		return 2;
	}
	buf_init(&b);
	if (!strcmp(mode, "body")) {
		struct buf in;
		char tmp[4096];
		ssize_t r;

		buf_init(&in);
		if (!strcmp(arg, "-"))
			while ((r = read(0, tmp, sizeof(tmp))) > 0)
				buf_append(&in, tmp, (size_t)r);
		else
			buf_puts(&in, arg);
		proto_frame_body(&b, in.data ? in.data : "", in.len, sp);
		buf_free(&in);
	} else if (!strcmp(mode, "req") || !strcmp(mode, "badmac")) {
		struct pbs_msg m;
		int type = proto_type_from_name(!strcmp(mode, "req") ? arg : "StatusJob");

		msg_request(&m, type < 0 ? 0 : type, !strcmp(mode, "req") && argc > (tcp ? 7 : 5) ?
			    argv[tcp ? 7 : 5] : "");
		proto_frame_msg(&b, &m, sp);
		msg_free(&m);
		if (!strcmp(mode, "badmac"))
			b.data[PROTO_HDR_LEN + 3] ^= 0x40;
	} else if (!strcmp(mode, "garbage")) {
		for (i = 0; i < atoi(arg); i++)
			buf_append(&b, "\xa5", 1);
	} else if (!strcmp(mode, "oversize")) {
		uint32_t n = htonl(PROTO_MAX_BODY + 1);

		buf_append(&b, &n, 4);
		buf_append(&b, "<req v=\"1\"", 10);
	} else if (!strcmp(mode, "truncated")) {
		uint32_t n = htonl(100);

		buf_append(&b, &n, 4);
		buf_append(&b, "<req v=\"1\"", 10);
	} else {
		goto usage;
	}
	if (write_full(fd, b.data, b.len) < 0) {
		perror("frame_client: write");
		return 2;
	}
	if (!strcmp(mode, "garbage") || !strcmp(mode, "truncated"))
		shutdown(fd, SHUT_WR);
	show(fd, sp);
	buf_free(&b);
	close(fd);
	proto_key_free(&key);
	return 0;
usage:
	fprintf(stderr, "usage: frame_client unix PATH MODE [ARG] | tcp HOST PORT KEY MODE [ARG]\n");
	return 2;
}
