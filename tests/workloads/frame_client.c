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
 *   badmac        (tcp) a good request with a wrong MAC */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/pbs_error.h"
#include "lib/protocol.h"
#include "lib/util.h"

static void show(int fd, const struct proto_key *key)
{
	struct pbs_msg m;
	struct pbs_obj *o;
	char err[512];
	int rc = proto_recv(fd, &m, key, 10000, err, sizeof(err));

	if (rc) {
		printf("closed\n");
		return;
	}
	printf("code=%d aux=%d text=%s\n", m.code, m.aux, m.text);
	for (o = m.objs; o; o = o->next)
		printf("obj %s %s\n", o->kind, o->name);
	msg_free(&m);
}

int main(int argc, char **argv)
{
	struct proto_key key = { NULL, 0 };
	const char *mode, *arg;
	struct buf b;
	int fd, i, tcp;
	char err[512];

	if (argc < 4)
		goto usage;
	tcp = !strcmp(argv[1], "tcp");
	if (tcp) {
		if (argc < 6)
			goto usage;
		if (proto_key_load(&key, argv[4], err, sizeof(err)) < 0) {
			fprintf(stderr, "frame_client: %s\n", err);
			return 2;
		}
		fd = proto_tcp_connect(argv[2], atoi(argv[3]), 5000);
		mode = argv[5];
		arg = argc > 6 ? argv[6] : "";
	} else {
		fd = proto_unix_connect(argv[2]);
		mode = argv[3];
		arg = argc > 4 ? argv[4] : "";
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
		proto_frame_body(&b, in.data ? in.data : "", in.len, tcp ? &key : NULL);
		buf_free(&in);
	} else if (!strcmp(mode, "req") || !strcmp(mode, "badmac")) {
		struct pbs_msg m;
		int type = proto_type_from_name(!strcmp(mode, "req") ? arg : "StatusJob");

		msg_request(&m, type < 0 ? 0 : type, !strcmp(mode, "req") && argc > (tcp ? 7 : 5) ?
			    argv[tcp ? 7 : 5] : "");
		proto_frame_msg(&b, &m, tcp ? &key : NULL);
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
	show(fd, tcp ? &key : NULL);
	buf_free(&b);
	close(fd);
	proto_key_free(&key);
	return 0;
usage:
	fprintf(stderr, "usage: frame_client unix PATH MODE [ARG] | tcp HOST PORT KEY MODE [ARG]\n");
	return 2;
}
