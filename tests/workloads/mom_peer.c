/* mom_peer: the server's side of the server<->MOM protocol, for MOM tests
 * that must run without ckmig_server. Real frames, real MAC (lib/protocol).
 *
 *   mom_peer listen PORT KEYFILE LOG
 *       accept requests (IsStatus, JobObit, ModifyJob, ...), append one line
 *       per request to LOG, answer code 0. Line format:
 *         <Type> <id> name[.resource]=value ... arg:name=value ... [obj:<name>]
 *       (values with newlines shown as \n).
 *   mom_peer send HOST PORT KEYFILE TYPE ID [ITEM...]
 *       ITEM: attr:NAME[.RES]=VALUE | arg:NAME=VALUE | script:FILE
 *       prints "code=<c> aux=<a> text=<t>" then "obj <name> attr=value..." lines.
 *       Exit 0 when a reply arrived (whatever its code), 1 otherwise.
 *   mom_peer raw HOST PORT KEYFILE BODYFILE|-
 *       send one frame with BODYFILE's bytes as body (MAC'd), print the reply.
 *   mom_peer relay LISTENPORT HOST PORT CAPTURE
 *       a man in the middle: take one connection on LISTENPORT, pass it
 *       on to HOST:PORT both ways, and write every byte the client sent
 *       to CAPTURE; exit when either side closes.
 *   mom_peer replay HOST PORT CAPTURE
 *       send CAPTURE's bytes as they are (a replay, no key needed) and
 *       print "answered" if a frame came back that a keyless reader takes
 *       for a reply, else "refused" (the peer sent a session refusal or
 *       closed without answering). */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/pbs_error.h"
#include "lib/protocol.h"
#include "lib/util.h"
#include "lib/xml_util.h"

static void put_value(FILE *f, const char *v)
{
	for (; v && *v; v++) {
		if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
}

static void put_attrs(FILE *f, const struct attr_list *l, const char *prefix)
{
	const struct pbs_attr *a;

	for (a = l->head; a; a = a->next) {
		fprintf(f, " %s%s", prefix, a->name);
		if (a->resource && *a->resource)
			fprintf(f, ".%s", a->resource);
		fputc('=', f);
		put_value(f, a->value);
	}
}

static int do_listen(int port, const struct proto_key *key, const char *logpath)
{
	int lfd = proto_tcp_listen(port);

	if (lfd < 0) {
		perror("listen");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		struct proto_session ses;
		char herr[256];
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0)
			continue;
		proto_session_init(&ses, key, PROTO_ACCEPTOR);
		if (proto_handshake(fd, &ses, 10000, herr, sizeof(herr))) {
			close(fd);
			continue;
		}
		for (;;) {
			struct pbs_msg req, reply;
			char err[256];
			const struct pbs_obj *o;
			FILE *f;
			int rc = proto_recv(fd, &req, &ses, 10000, err, sizeof(err));

			if (rc) {
				msg_free(&req);
				break;
			}
			f = fopen(logpath, "a");
			if (f) {
				const char *name = proto_type_name(req.type);

				fprintf(f, "%s %s", name ? name : "?", req.id && *req.id ? req.id : "-");
				put_attrs(f, &req.attrs, "");
				put_attrs(f, &req.args, "arg:");
				for (o = req.objs; o; o = o->next) {
					fprintf(f, " obj:%s", o->name);
					put_attrs(f, &o->attrs, "obj.");
				}
				fputc('\n', f);
				fclose(f);
			}
			msg_init(&reply);
			msg_reply(&reply, 0, 0, "");
			proto_send(fd, &reply, &ses);
			msg_free(&reply);
			msg_free(&req);
		}
		close(fd);
	}
}

static void print_reply(const struct pbs_msg *r)
{
	const struct pbs_obj *o;

	printf("code=%d aux=%d text=%s\n", r->code, r->aux, r->text ? r->text : "");
	for (o = r->objs; o; o = o->next) {
		printf("obj %s", o->name);
		put_attrs(stdout, &o->attrs, "");
		putchar('\n');
	}
}

static int do_send(const char *host, int port, const struct proto_key *key, int argc, char **argv)
{
	struct pbs_msg req, reply;
	struct proto_session ses;
	char err[512];
	int type = proto_type_from_name(argv[0]), i, fd, rc;

	if (type < 0) {
		fprintf(stderr, "unknown type %s\n", argv[0]);
		return 2;
	}
	msg_init(&req);
	msg_init(&reply);
	msg_request(&req, type, argv[1]);
	for (i = 2; i < argc; i++) {
		char *it = argv[i], *eq = strchr(it, '=');

		if (strncmp(it, "script:", 7) == 0) {
			char *text = NULL;
			size_t len;

			if (read_file(it + 7, PROTO_MAX_BODY, &text, &len) < 0) {
				perror(it + 7);
				return 2;
			}
			msg_set_script(&req, text);
			free(text);
		} else if (eq && strncmp(it, "attr:", 5) == 0) {
			char *name = xstrndup(it + 5, (size_t)(eq - it - 5)), *dot = strchr(name, '.');

			if (dot)
				*dot++ = '\0';
			msg_add_attr(&req, name, dot, eq + 1);
			free(name);
		} else if (eq && strncmp(it, "arg:", 4) == 0) {
			char *name = xstrndup(it + 4, (size_t)(eq - it - 4));

			msg_add_arg(&req, name, eq + 1);
			free(name);
		} else {
			fprintf(stderr, "bad item %s\n", it);
			return 2;
		}
	}
	fd = proto_tcp_session(host, port, key, &ses, 5000, &rc, err, sizeof(err));
	if (fd < 0) {
		fprintf(stderr, "no session (%d): %s\n", rc, err);
		return 1;
	}
	rc = proto_call(fd, &req, &reply, &ses, 600000, err, sizeof(err));
	if (rc && !reply.is_reply) {
		fprintf(stderr, "no reply (%d): %s\n", rc, err);
		return 1;
	}
	print_reply(&reply);
	close(fd);
	msg_free(&req);
	msg_free(&reply);
	return 0;
}

static int do_raw(const char *host, int port, const struct proto_key *key, const char *path)
{
	struct pbs_msg reply;
	struct proto_session ses;
	struct buf out;
	char *body = NULL, err[512];
	size_t len;
	int fd, rc;

	if (read_file(strcmp(path, "-") ? path : "/dev/stdin", PROTO_MAX_BODY * 2, &body, &len) < 0) {
		perror(path);
		return 2;
	}
	buf_init(&out);
	fd = proto_tcp_session(host, port, key, &ses, 5000, &rc, err, sizeof(err));
	if (fd < 0) {
		fprintf(stderr, "no session (%d): %s\n", rc, err);
		return 1;
	}
	proto_frame_body(&out, body, len, &ses);
	if (write_full(fd, out.data, out.len) < 0) {
		perror("send");
		return 1;
	}
	msg_init(&reply);
	rc = proto_recv(fd, &reply, &ses, 10000, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "no reply (%d): %s\n", rc, err);
		return 1;
	}
	print_reply(&reply);
	msg_free(&reply);
	buf_free(&out);
	free(body);
	close(fd);
	return 0;
}

static int do_relay(int lport, const char *host, int port, const char *capture)
{
	int lfd = proto_tcp_listen(lport), cfd, sfd;
	FILE *cap;
	struct pollfd p[2];
	char tmp[65536];

	if (lfd < 0) {
		perror("listen");
		return 1;
	}
	printf("listening\n");
	fflush(stdout);
	cfd = accept(lfd, NULL, NULL);
	sfd = proto_tcp_connect(host, port, 3000);
	cap = fopen(capture, "w");
	if (cfd < 0 || sfd < 0 || !cap) {
		perror("relay");
		return 1;
	}
	p[0].fd = cfd;
	p[1].fd = sfd;
	p[0].events = p[1].events = POLLIN;
	while (poll(p, 2, -1) > 0) {
		int i;

		for (i = 0; i < 2; i++) {
			ssize_t r;

			if (!p[i].revents)
				continue;
			r = read(p[i].fd, tmp, sizeof(tmp));
			if (r <= 0)
				goto out;
			if (i == 0)
				fwrite(tmp, 1, (size_t)r, cap);
			if (write_full(p[1 - i].fd, tmp, (size_t)r) < 0)
				goto out;
		}
	}
out:
	fclose(cap);
	return 0;
}

static int do_replay(const char *host, int port, const char *capture)
{
	struct proto_reader r;
	struct pbs_msg m;
	char *bytes = NULL, err[256], tmp[65536];
	size_t len;
	int fd = proto_tcp_connect(host, port, 3000), pbse, answered = 0;
	long long deadline = now_ms() + 10000;

	if (fd < 0 || read_file(capture, PROTO_MAX_BODY * 2, &bytes, &len) < 0) {
		perror("replay");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	(void)!write_full(fd, bytes, len);
	/* whatever comes back, read keylessly: an old-style peer answers
	 * with a MAC'd frame (the MAC is skipped here), a session peer
	 * with its hello and then its refusal */
	proto_reader_init(&r, NULL);
	while (now_ms() < deadline) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t got;

		if (poll(&p, 1, (int)(deadline - now_ms())) <= 0)
			break;
		got = read(fd, tmp, sizeof(tmp));
		if (got <= 0)
			break;
		buf_append(&r.in, tmp, (size_t)got);
		if (r.in.len > 4 + PROTO_MAC_LEN) {
			struct buf skip;

			/* a frame with a MAC: drop the MAC, decode the body */
			buf_init(&skip);
			buf_append(&skip, r.in.data, 4);
			buf_append(&skip, r.in.data + 4 + PROTO_MAC_LEN, r.in.len - 4 - PROTO_MAC_LEN);
			{
				struct proto_reader r2;

				proto_reader_init(&r2, NULL);
				buf_append(&r2.in, skip.data, skip.len);
				if (proto_reader_next(&r2, 0, &m, &pbse, err, sizeof(err)) == PROTO_MSG) {
					answered = m.is_reply;
					printf("%s code=%d\n", answered ? "answered" : "?", m.code);
					msg_free(&m);
				}
				proto_reader_free(&r2);
			}
			buf_free(&skip);
			if (answered)
				break;
		}
	}
	if (!answered)
		printf("refused\n");
	proto_reader_free(&r);
	free(bytes);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	struct proto_key key = { NULL, 0 };
	char err[256];

	xml_init();
	if (argc >= 5 && strcmp(argv[1], "listen") == 0) {
		if (proto_key_load(&key, argv[3], err, sizeof(err)) < 0) {
			fprintf(stderr, "%s\n", err);
			return 2;
		}
		return do_listen(atoi(argv[2]), &key, argv[4]);
	}
	if (argc >= 7 && strcmp(argv[1], "send") == 0) {
		if (proto_key_load(&key, argv[4], err, sizeof(err)) < 0) {
			fprintf(stderr, "%s\n", err);
			return 2;
		}
		return do_send(argv[2], atoi(argv[3]), &key, argc - 5, argv + 5);
	}
	if (argc == 6 && strcmp(argv[1], "raw") == 0) {
		if (proto_key_load(&key, argv[4], err, sizeof(err)) < 0) {
			fprintf(stderr, "%s\n", err);
			return 2;
		}
		return do_raw(argv[2], atoi(argv[3]), &key, argv[5]);
	}
	if (argc == 6 && strcmp(argv[1], "relay") == 0)
		return do_relay(atoi(argv[2]), argv[3], atoi(argv[4]), argv[5]);
	if (argc == 5 && strcmp(argv[1], "replay") == 0)
		return do_replay(argv[2], atoi(argv[3]), argv[4]);
	fprintf(stderr, "usage: mom_peer listen PORT KEY LOG | send HOST PORT KEY TYPE ID [ITEM...] | raw HOST PORT KEY BODYFILE | relay LPORT HOST PORT FILE | replay HOST PORT FILE\n");
	return 2;
}
