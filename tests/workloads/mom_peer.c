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
 *       send one frame with BODYFILE's bytes as body (MAC'd), print the reply. */
#include <errno.h>
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
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0)
			continue;
		for (;;) {
			struct pbs_msg req, reply;
			char err[256];
			const struct pbs_obj *o;
			FILE *f;
			int rc = proto_recv(fd, &req, key, 10000, err, sizeof(err));

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
			proto_send(fd, &reply, key);
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
	fd = proto_tcp_connect(host, port, 3000);
	if (fd < 0) {
		perror("connect");
		return 1;
	}
	rc = proto_call(fd, &req, &reply, key, 600000, err, sizeof(err));
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
	struct buf out;
	char *body = NULL, err[512];
	size_t len;
	int fd, rc;

	if (read_file(strcmp(path, "-") ? path : "/dev/stdin", PROTO_MAX_BODY * 2, &body, &len) < 0) {
		perror(path);
		return 2;
	}
	buf_init(&out);
	proto_frame_body(&out, body, len, key);
	fd = proto_tcp_connect(host, port, 3000);
	if (fd < 0 || write_full(fd, out.data, out.len) < 0) {
		perror("send");
		return 1;
	}
	msg_init(&reply);
	rc = proto_recv(fd, &reply, key, 10000, err, sizeof(err));
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
	fprintf(stderr, "usage: mom_peer listen PORT KEY LOG | send HOST PORT KEY TYPE ID [ITEM...] | raw HOST PORT KEY BODYFILE\n");
	return 2;
}
