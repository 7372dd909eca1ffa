/* Sockets and the one poll loop: the Unix socket for clients (identity
 * from SO_PEERCRED), the TCP port for MOMs (every frame MAC'd), and our
 * own outgoing connections to MOMs. No threads; signal handlers only set
 * flags, read here. */
#include "server/server.h"
#include "lib/log.h"
#include "lib/pbs_error.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_CONNS 4096
#define CLIENT_READ_CHUNK 65536

static struct conn *conn_new(struct server *s, enum conn_kind kind, int fd)
{
	struct conn *c;
	size_t i;

	c = xcalloc(1, sizeof(*c));
	c->kind = kind;
	c->fd = fd;
	c->serial = ++s->next_serial;
	proto_reader_init(&c->rd, kind == CONN_CLIENT ? NULL : &s->key);
	buf_init(&c->out);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	for (i = 0; i < s->nconns; i++)
		if (!s->conns[i]) {
			s->conns[i] = c;
			return c;
		}
	if (s->nconns == s->conns_cap) {
		s->conns_cap = s->conns_cap ? s->conns_cap * 2 : 64;
		s->conns = xrealloc(s->conns, s->conns_cap * sizeof(*s->conns));
	}
	s->conns[s->nconns++] = c;
	return c;
}

static void conn_close(struct server *s, struct conn *c)
{
	size_t i;

	if (c->kind == CONN_MOM_OUT && c->cb) {
		mom_reply_cb cb = c->cb;

		c->cb = NULL;
		cb(s, c->cb_ctx, PBSE_NORELYMOM, NULL);
	}
	for (i = 0; i < s->nconns; i++)
		if (s->conns[i] == c)
			s->conns[i] = NULL;
	close(c->fd);
	proto_reader_free(&c->rd);
	buf_free(&c->out);
	free(c);
}

struct conn *conn_by_serial(struct server *s, unsigned long serial)
{
	size_t i;

	for (i = 0; i < s->nconns; i++)
		if (s->conns[i] && s->conns[i]->serial == serial)
			return s->conns[i];
	return NULL;
}

int svr_sync_jobs(struct server *s)
{
	if (!s->jobs_dir_dirty)
		return 0;
	if (fsync_dir(s->jobs_dir) < 0) {
		pr_perror("cannot fsync %s", s->jobs_dir);
		return -1;
	}
	s->jobs_dir_dirty = 0;
	return 0;
}

static void conn_flush(struct server *s, struct conn *c)
{
	/* nothing leaves before the job files it speaks about are durable */
	if (s->jobs_dir_dirty && svr_sync_jobs(s) < 0)
		return;
	while (c->out_off < c->out.len) {
		ssize_t w = write(c->fd, c->out.data + c->out_off, c->out.len - c->out_off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (w < 0) {
			c->closing = 1;
			c->eof = 1;
			break;
		}
		c->out_off += (size_t)w;
	}
	/* all written (or the peer is gone): start the buffer over */
	buf_reset(&c->out);
	c->out_off = 0;
}

/* Answers wait in the connection until the end of the loop's turn: one
 * directory fsync then covers every job saved in that turn. */
void conn_send(struct server *s, struct conn *c, const struct pbs_msg *m)
{
	proto_frame_msg(&c->out, m, c->kind == CONN_CLIENT ? NULL : &s->key);
	(void)s;
}

void conn_send_body(struct server *s, struct conn *c, const char *body, size_t len)
{
	proto_frame_body(&c->out, body, len, c->kind == CONN_CLIENT ? NULL : &s->key);
	(void)s;
}

int svr_listen(struct server *s, char *err, size_t errlen)
{
	struct conn *c;

	s->unix_fd = proto_unix_listen(s->sock_path, 0666);
	if (s->unix_fd < 0) {
		snprintf(err, errlen, "cannot listen on %s: %s", s->sock_path, strerror(errno));
		return -1;
	}
	c = conn_new(s, CONN_LISTEN_UNIX, s->unix_fd);
	(void)c;
	if (s->port > 0) {
		s->tcp_fd = proto_tcp_listen(s->port);
		if (s->tcp_fd < 0) {
			snprintf(err, errlen, "cannot listen on TCP port %d: %s", s->port,
				 strerror(errno));
			return -1;
		}
		conn_new(s, CONN_LISTEN_TCP, s->tcp_fd);
	}
	return 0;
}

static void accept_client(struct server *s, struct conn *l)
{
	int fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	struct ucred cr;
	socklen_t sl = sizeof(cr);
	struct passwd *pw;
	struct conn *c;

	if (fd < 0)
		return;
	if (s->nconns >= MAX_CONNS) {
		close(fd);
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &sl) < 0) {
		close(fd);
		return;
	}
	c = conn_new(s, CONN_CLIENT, fd);
	c->who.uid = cr.uid;
	c->who.gid = cr.gid;
	c->who.pid = cr.pid;
	pw = getpwuid(cr.uid);
	if (pw)
		snprintf(c->who.user, sizeof(c->who.user), "%s", pw->pw_name);
	else
		snprintf(c->who.user, sizeof(c->who.user), "%u", (unsigned)cr.uid);
	gethostname(c->who.host, sizeof(c->who.host) - 1);
	snprintf(c->peer, sizeof(c->peer), "%.60s(pid %d)", c->who.user, (int)cr.pid);
}

static void accept_mom(struct server *s, struct conn *l)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int fd = accept4(l->fd, (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC | SOCK_NONBLOCK);
	struct conn *c;
	char host[NI_MAXHOST] = "?";

	if (fd < 0)
		return;
	if (s->nconns >= MAX_CONNS) {
		close(fd);
		return;
	}
	c = conn_new(s, CONN_MOM_IN, fd);
	getnameinfo((struct sockaddr *)&ss, sl, host, sizeof(host), NULL, 0, NI_NUMERICHOST);
	snprintf(c->peer, sizeof(c->peer), "%.100s", host);
	snprintf(c->who.user, sizeof(c->who.user), "mom");
	snprintf(c->who.host, sizeof(c->who.host), "%s", host);
	c->who.is_mom = 1;
	c->who.uid = (uid_t)-1;
}

/* Decode what arrived; each whole request goes to dispatch. A request
 * whose reply is deferred stops further reading on that connection so
 * replies keep request order. */
void conn_process(struct server *s, struct conn *c)
{
	while (!c->deferred && !c->closing) {
		struct pbs_msg m;
		char err[512];
		int pbse, rc;

		rc = proto_reader_next(&c->rd, c->eof, &m, &pbse, err, sizeof(err));
		if (rc == PROTO_MORE) {
			if (c->eof)
				c->closing = 1;
			return;
		}
		if (rc == PROTO_BAD || rc == PROTO_FATAL) {
			struct pbs_msg rep;
			char text[768];

			log_event(PBSEVENT_ERROR | PBSEVENT_SECURITY, PBS_EVENTCLASS_REQUEST, c->peer,
				  "bad request from %s: %s", c->peer, err);
			snprintf(text, sizeof(text), "%s MSG=%s", pbse_to_txt(pbse), err);
			msg_reply(&rep, pbse, 0, text);
			if (c->kind != CONN_MOM_OUT)
				conn_send(s, c, &rep);
			msg_free(&rep);
			msg_free(&m);
			if (rc == PROTO_FATAL) {
				c->closing = 1;
				buf_reset(&c->rd.in);
				return;
			}
			continue;
		}
		if (c->kind == CONN_MOM_OUT) {
			mom_reply_cb cb = c->cb;

			c->cb = NULL;
			if (cb) {
				if (m.is_reply)
					cb(s, c->cb_ctx, m.code, &m);
				else
					cb(s, c->cb_ctx, PBSE_PROTOCOL, NULL);
			}
			msg_free(&m);
			c->closing = 1;
			return;
		}
		if (m.is_reply) {
			msg_free(&m);
			continue;   /* nobody asked */
		}
		dispatch_request(s, c, &m);   /* takes m */
	}
}

static void conn_readable(struct server *s, struct conn *c)
{
	char tmp[CLIENT_READ_CHUNK];
	int rounds = 0;

	for (;;) {
		ssize_t r = read(c->fd, tmp, sizeof(tmp));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (r <= 0) {
			c->eof = 1;
			break;
		}
		buf_append(&c->rd.in, tmp, (size_t)r);
		/* a frame larger than the limit is refused at its header */
		if (c->rd.in.len >= PROTO_HDR_LEN || ++rounds > 64)
			break;
	}
	conn_process(s, c);
}

static void mom_out_ready(struct server *s, struct conn *c)
{
	int soerr = 0;
	socklen_t sl = sizeof(soerr);

	if (c->connecting) {
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0 || soerr) {
			log_event(PBSEVENT_ERROR, PBS_EVENTCLASS_NODE, c->peer,
				  "cannot connect to MOM %s: %s", c->peer, strerror(soerr ? soerr : errno));
			c->closing = 1;
			c->eof = 1;
			return;
		}
		c->connecting = 0;
	}
	conn_flush(s, c);
}

static volatile sig_atomic_t got_term, got_hup;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		got_hup = 1;
	else
		got_term = 1;
}

void svr_loop(struct server *s)
{
	struct pollfd *pfd = NULL;
	struct conn **map = NULL;
	size_t cap = 0;
	long long last_periodic = 0;
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	while (!s->shutdown) {
		size_t i, n = 0;
		long long now;
		int pr;

		if (got_term) {
			log_event(PBSEVENT_SYSTEM, NULL, NULL, "caught signal: shutting down");
			break;
		}
		if (got_hup) {
			got_hup = 0;
			log_reopen();
		}
		if (cap < s->nconns) {
			cap = s->nconns * 2;
			pfd = xrealloc(pfd, cap * sizeof(*pfd));
			map = xrealloc(map, cap * sizeof(*map));
		}
		for (i = 0; i < s->nconns; i++) {
			struct conn *c = s->conns[i];

			if (!c)
				continue;
			pfd[n].fd = c->fd;
			pfd[n].events = 0;
			pfd[n].revents = 0;
			if (!c->deferred && !c->closing && !c->connecting)
				pfd[n].events |= POLLIN;
			if (c->out.len || c->connecting)
				pfd[n].events |= POLLOUT;
			map[n++] = c;
		}
		pr = poll(pfd, n, s->sched_wanted ? 0 : 250);
		if (pr < 0 && errno != EINTR) {
			pr_perror("poll");
			break;
		}
		for (i = 0; pr > 0 && i < n; i++) {
			struct conn *c = map[i];

			if (!pfd[i].revents || !conn_by_serial(s, c->serial))
				continue;
			if (c->kind == CONN_LISTEN_UNIX) {
				accept_client(s, c);
				continue;
			}
			if (c->kind == CONN_LISTEN_TCP) {
				accept_mom(s, c);
				continue;
			}
			if (c->kind == CONN_MOM_OUT && (pfd[i].revents & POLLOUT))
				mom_out_ready(s, c);
			if (pfd[i].revents & POLLOUT)
				conn_flush(s, c);
			if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
				conn_readable(s, c);
		}
		/* group commit, then everything answered in this turn goes out */
		svr_sync_jobs(s);
		for (i = 0; i < s->nconns; i++)
			if (s->conns[i] && s->conns[i]->out.len && !s->conns[i]->connecting)
				conn_flush(s, s->conns[i]);
		/* close what is finished, time out MOM requests */
		now = now_ms();
		for (i = 0; i < s->nconns; i++) {
			struct conn *c = s->conns[i];

			if (!c)
				continue;
			if (c->kind == CONN_MOM_OUT && c->cb && now > c->deadline_ms) {
				mom_reply_cb cb = c->cb;

				c->cb = NULL;
				log_event(PBSEVENT_ERROR, PBS_EVENTCLASS_NODE, c->peer,
					  "MOM %s did not answer in time", c->peer);
				cb(s, c->cb_ctx, PBSE_TIMEOUT, NULL);
				c->closing = 1;
			}
			if (c->eof && c->kind == CONN_MOM_OUT && c->cb)
				c->closing = 1;
			if (c->eof && c->kind != CONN_MOM_OUT && !c->deferred)
				c->closing = 1;
			/* a client that hangs up while its request waits on a MOM
			 * is dropped when the answer comes */
			if (c->closing && (!c->out.len || c->eof) && !c->deferred)
				conn_close(s, c);
		}
		if (s->npmig)
			migrate_pending_run(s, 0);
		if (now - last_periodic >= 1000) {
			last_periodic = now;
			svr_periodic(s);
		}
		if (s->sched_wanted || now - s->last_sched_ms >= svr_attr_long(s, ATTR_schedit, 10) * 1000) {
			s->sched_wanted = 0;
			s->last_sched_ms = now;
			schedule(s);
		}
	}
	free(pfd);
	free(map);
}

/* --- outgoing requests to MOMs (Torque's issue_request.c) ------------------ */

int issue_to_mom(struct server *s, const struct node *n, const struct pbs_msg *m,
		 int timeout_ms, mom_reply_cb cb, void *ctx)
{
	struct addrinfo hints, *res = NULL;
	char port[16];
	struct conn *c;
	int fd = -1, rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof(port), "%d", n->mom_port ? n->mom_port : s->mom_port);
	rc = getaddrinfo(n->name, port, &hints, &res);
	if (rc != 0) {
		log_event(PBSEVENT_ERROR, PBS_EVENTCLASS_NODE, n->name, "cannot resolve %s: %s",
			  n->name, gai_strerror(rc));
		goto fail;
	}
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		goto fail;
	if (connect(fd, res->ai_addr, res->ai_addrlen) < 0 && errno != EINPROGRESS) {
		log_event(PBSEVENT_ERROR, PBS_EVENTCLASS_NODE, n->name, "cannot connect to MOM: %s",
			  strerror(errno));
		goto fail;
	}
	freeaddrinfo(res);
	res = NULL;
	c = conn_new(s, CONN_MOM_OUT, fd);
	c->connecting = 1;
	c->cb = cb;
	c->cb_ctx = ctx;
	c->deadline_ms = now_ms() + timeout_ms;
	snprintf(c->peer, sizeof(c->peer), "%.100s:%s", n->name, port);
	proto_frame_msg(&c->out, m, &s->key);
	return 0;
fail:
	if (res)
		freeaddrinfo(res);
	if (fd >= 0)
		close(fd);
	return PBSE_NORELYMOM;
}
