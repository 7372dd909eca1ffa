/* The connection layer (lib/wire.h): one poll loop, connections, limits,
 * tasks. No threads; everything runs from wloop_turn(). */
#include "lib/wire.h"
#include "lib/log.h"
#include "lib/pbs_error.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define READ_CHUNK 65536
/* An output buffer that grew past this is given back once written. */
#define OUT_KEEP (1024 * 1024)

struct wtask {
	struct wtask *next;
	char name[32];
	wtask_fn fn;
	void *arg;
	long long period_ms;
	long long due_ms;              /* 0 = not scheduled */
};

struct wlistener {
	int fd;
	wlisten_fn fn;
	void *arg;
};

struct wloop {
	struct wloop_cfg cfg;
	struct wconn **conns;          /* slots; NULL = free */
	size_t nslots, nlive;
	unsigned long next_serial;
	struct wlistener *ls;
	size_t nls;
	struct wtask *tasks;
	int (*wake_fn)(void *arg, int *fds, int max);
	void *wake_arg;
	struct wtask *wake_task;
	int (*gate_fn)(void *arg);
	void *gate_arg;
	int gate_state;                /* this turn: -1 unknown, 0 open, 1 shut */
	struct pollfd *pfd;
	struct wconn **map;
	size_t pcap;
};

struct wloop *wloop_new(const struct wloop_cfg *cfg)
{
	struct wloop *l = xcalloc(1, sizeof(*l));
	struct wloop_cfg d = WLOOP_CFG_DEFAULT;

	l->cfg = cfg ? *cfg : d;
	return l;
}

static void conn_free(struct wloop *l, struct wconn *c)
{
	if (c->on_close)
		c->on_close(c);
	l->conns[c->slot] = NULL;
	l->nlive--;
	close(c->fd);
	proto_reader_free(&c->rd);
	proto_session_wipe(&c->ses);
	buf_free(&c->out);
	buf_free(&c->pend);
	free(c);
}

void wloop_free(struct wloop *l)
{
	struct wtask *t, *n;
	size_t i;

	if (!l)
		return;
	for (i = 0; i < l->nslots; i++)
		if (l->conns[i])
			conn_free(l, l->conns[i]);
	for (t = l->tasks; t; t = n) {
		n = t->next;
		free(t);
	}
	free(l->conns);
	free(l->ls);
	free(l->pfd);
	free(l->map);
	free(l);
}

void wloop_listen(struct wloop *l, int fd, wlisten_fn fn, void *arg)
{
	l->ls = xrealloc(l->ls, (l->nls + 1) * sizeof(*l->ls));
	l->ls[l->nls].fd = fd;
	l->ls[l->nls].fn = fn;
	l->ls[l->nls].arg = arg;
	l->nls++;
}

void wloop_wake_fds(struct wloop *l, int (*fn)(void *arg, int *fds, int max), void *arg,
		    struct wtask *t)
{
	l->wake_fn = fn;
	l->wake_arg = arg;
	l->wake_task = t;
}

void wloop_write_gate(struct wloop *l, int (*fn)(void *arg), void *arg)
{
	l->gate_fn = fn;
	l->gate_arg = arg;
}

struct wconn *wloop_find(struct wloop *l, unsigned long serial)
{
	size_t i;

	for (i = 0; i < l->nslots; i++)
		if (l->conns[i] && l->conns[i]->serial == serial && !l->conns[i]->dead)
			return l->conns[i];
	return NULL;
}

size_t wloop_nconns(const struct wloop *l)
{
	return l->nlive;
}

void wloop_each(struct wloop *l, void (*fn)(struct wconn *c, void *arg), void *arg)
{
	size_t i;

	for (i = 0; i < l->nslots; i++)
		if (l->conns[i] && !l->conns[i]->dead)
			fn(l->conns[i], arg);
}

/* --- connections ------------------------------------------------------------ */

static struct wconn *conn_new(struct wloop *l, int fd, const struct proto_key *key, int role)
{
	struct wconn *c = xcalloc(1, sizeof(*c));
	int one = 1;
	size_t i;

	/* small records answered at once: Nagle would hold an answer written
	 * behind an unacknowledged handshake record for a delayed ACK (40 ms) */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));   /* fails on Unix: fine */
	c->loop = l;
	c->fd = fd;
	c->serial = ++l->next_serial;
	c->uid = (uid_t)-1;
	c->born_ms = c->active_ms = now_ms();
	proto_session_init(&c->ses, key, role);
	proto_reader_init(&c->rd, &c->ses);
	buf_init(&c->out);
	buf_init(&c->pend);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	for (i = 0; i < l->nslots; i++)
		if (!l->conns[i])
			break;
	if (i == l->nslots) {
		l->nslots = l->nslots ? l->nslots * 2 : 64;
		l->conns = xrealloc(l->conns, l->nslots * sizeof(*l->conns));
		memset(l->conns + i, 0, (l->nslots - i) * sizeof(*l->conns));
	}
	l->conns[i] = c;
	c->slot = i;
	l->nlive++;
	return c;
}

size_t wconn_pending(const struct wconn *c)
{
	return c->out.len - c->out_off;
}

static int preauth(const struct wconn *c)
{
	return proto_session_keyed(&c->ses) && !proto_session_ready(&c->ses);
}

/* Bodies queued before the session could take them go out in order. */
static void move_pending(struct wconn *c)
{
	size_t off = 0;

	if (!proto_session_can_send(&c->ses))
		return;
	while (off + sizeof(uint32_t) <= c->pend.len) {
		uint32_t n;

		memcpy(&n, c->pend.data + off, sizeof(n));
		proto_frame_body(&c->out, c->pend.data + off + sizeof(n), n, &c->ses);
		off += sizeof(n) + n;
	}
	buf_free(&c->pend);
	buf_init(&c->pend);
}

void wconn_send_body(struct wconn *c, const char *body, size_t len)
{
	uint32_t n = (uint32_t)len;

	if (c->dead || c->abort)
		return;
	if (proto_session_can_send(&c->ses) && !c->pend.len) {
		proto_frame_body(&c->out, body, len, &c->ses);
		return;
	}
	buf_append(&c->pend, &n, sizeof(n));
	buf_append(&c->pend, body, len);
}

void wconn_send(struct wconn *c, const struct pbs_msg *m)
{
	struct buf body;

	buf_init(&body);
	proto_encode(m, &body);
	wconn_send_body(c, body.data ? body.data : "", body.len);
	buf_free(&body);
}

void wconn_close(struct wconn *c)
{
	c->closing = 1;
}

void wconn_abort(struct wconn *c)
{
	c->closing = 1;
	c->abort = 1;
}

static int gate_open(struct wloop *l)
{
	if (l->gate_state < 0)
		l->gate_state = l->gate_fn ? (l->gate_fn(l->gate_arg) != 0) : 0;
	return !l->gate_state;
}

static void conn_flush(struct wconn *c)
{
	if (c->connecting || c->abort || !wconn_pending(c) || !gate_open(c->loop))
		return;
	while (c->out_off < c->out.len) {
		/* no SIGPIPE, whatever the process's disposition */
		ssize_t w = send(c->fd, c->out.data + c->out_off, c->out.len - c->out_off,
				 MSG_NOSIGNAL);

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
		c->active_ms = now_ms();
	}
	/* all written (or the peer is gone): start the buffer over */
	if (c->out.cap > OUT_KEEP) {
		buf_free(&c->out);
		buf_init(&c->out);
	} else {
		buf_reset(&c->out);
	}
	c->out_off = 0;
}

static void bad_frame(struct wconn *c, int rc, int pbse, const char *err)
{
	c->error = pbse;
	snprintf(c->errtext, sizeof(c->errtext), "%.150s", err);
	log_event(PBSEVENT_ERROR | PBSEVENT_SECURITY, PBS_EVENTCLASS_REQUEST, c->peer,
		  "bad %s from %s: %s", preauth(c) ? "session handshake" : "request", c->peer,
		  err);
	if (preauth(c)) {
		/* no session: no MAC'd answer; the refusal record says why */
		proto_session_refuse(&c->ses, &c->out, pbse);
	} else if (c->answer_errors) {
		struct pbs_msg rep;
		char text[768];

		snprintf(text, sizeof(text), "%s MSG=%s", pbse_to_txt(pbse), err);
		msg_reply(&rep, pbse, 0, text);
		wconn_send(c, &rep);
		msg_free(&rep);
	}
	if (rc == PROTO_FATAL) {
		c->closing = 1;
		buf_reset(&c->rd.in);
	}
}

void wconn_process(struct wconn *c)
{
	while (!c->held && !c->closing && !c->dead &&
	       wconn_pending(c) < c->loop->cfg.out_high) {
		struct pbs_msg m;
		char err[512];
		int pbse, rc;

		rc = proto_reader_next(&c->rd, c->eof, &m, &pbse, err, sizeof(err));
		if (rc == PROTO_MORE) {
			if (c->eof)
				c->closing = 1;
			return;
		}
		if (rc == PROTO_HELLO) {
			buf_append(&c->out, c->rd.answer.data, c->rd.answer.len);
			buf_reset(&c->rd.answer);
			move_pending(c);
			if (proto_session_ready(&c->ses) && c->deadline_ms && !c->on_timeout)
				c->deadline_ms = 0;   /* the handshake's own bound */
			continue;
		}
		if (rc == PROTO_BAD || rc == PROTO_FATAL) {
			bad_frame(c, rc, pbse, err);
			msg_free(&m);
			continue;
		}
		c->active_ms = now_ms();
		if (c->on_msg)
			c->on_msg(c, &m);
		else
			msg_free(&m);
	}
}

/* Read no further than the record in hand: at most one frame (and, for a
 * peer not yet authenticated, at most its handshake record) is held. */
static void conn_readable(struct wconn *c)
{
	char tmp[READ_CHUNK];
	size_t want = proto_reader_want(&c->rd);

	if (want && !c->eof) {
		ssize_t r;

		if (!preauth(c) || want > sizeof(tmp))
			want = sizeof(tmp);
		do
			r = read(c->fd, tmp, want);
		while (r < 0 && errno == EINTR);
		if (r > 0) {
			buf_append(&c->rd.in, tmp, (size_t)r);
			c->active_ms = now_ms();
		} else if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
			c->eof = 1;
		}
	}
	wconn_process(c);
}

static void connect_done(struct wconn *c)
{
	int soerr = 0;
	socklen_t sl = sizeof(soerr);

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0 || soerr) {
		log_event(PBSEVENT_ERROR, PBS_EVENTCLASS_NODE, c->peer, "cannot connect to %s: %s",
			  c->peer, strerror(soerr ? soerr : errno));
		c->closing = 1;
		c->eof = 1;
		c->abort = 1;
		return;
	}
	c->connecting = 0;
	c->active_ms = now_ms();
}

struct wconn *wloop_connect(struct wloop *l, const char *host, int port,
			    const struct proto_key *key, int timeout_ms)
{
	struct addrinfo hints, *res = NULL;
	char portstr[16];
	struct wconn *c;
	int fd, rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(portstr, sizeof(portstr), "%d", port);
	/* getaddrinfo blocks on a slow resolver; cluster names come from
	 * /etc/hosts or a local cache in practice (NOTES: the wire) */
	rc = getaddrinfo(host, portstr, &hints, &res);
	if (rc != 0) {
		log_event(PBSEVENT_ERROR, PBS_EVENTCLASS_NODE, host, "cannot resolve %s: %s", host,
			  gai_strerror(rc));
		errno = EHOSTUNREACH;
		return NULL;
	}
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || (connect(fd, res->ai_addr, res->ai_addrlen) < 0 && errno != EINPROGRESS)) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		freeaddrinfo(res);
		errno = e;
		return NULL;
	}
	freeaddrinfo(res);
	c = conn_new(l, fd, key, PROTO_INITIATOR);
	c->connecting = 1;
	c->deadline_ms = now_ms() + timeout_ms;
	snprintf(c->peer, sizeof(c->peer), "%.100s:%d", host, port);
	snprintf(c->limit_key, sizeof(c->limit_key), "out");
	return c;
}

/* --- accepting, with the limits ------------------------------------------------ */

static size_t count_key(struct wloop *l, const char *key, int only_preauth, struct wconn **oldest)
{
	size_t i, n = 0;

	*oldest = NULL;
	for (i = 0; i < l->nslots; i++) {
		struct wconn *c = l->conns[i];

		if (!c || c->dead || c->closing || (key && strcmp(c->limit_key, key)) ||
		    (only_preauth && !preauth(c)) || !strcmp(c->limit_key, "out"))
			continue;
		n++;
		if (!*oldest || c->born_ms < (*oldest)->born_ms)
			*oldest = c;
	}
	return n;
}

static void evict(struct wconn *c, const char *why)
{
	log_event(PBSEVENT_SECURITY, PBS_EVENTCLASS_REQUEST, c->peer,
		  "connection from %s dropped: %s", c->peer, why);
	wconn_abort(c);
}

static int unix_peer(int fd, struct wconn *c)
{
	struct ucred cr;
	socklen_t sl = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &sl) < 0)
		return -1;
	c->uid = cr.uid;
	c->gid = cr.gid;
	c->pid = cr.pid;
	snprintf(c->limit_key, sizeof(c->limit_key), "uid:%u", (unsigned)cr.uid);
	return 0;
}

static void tcp_peer(const struct sockaddr_storage *ss, socklen_t sl, struct wconn *c)
{
	char host[NI_MAXHOST] = "?", port[NI_MAXSERV] = "?";

	getnameinfo((const struct sockaddr *)ss, sl, host, sizeof(host), port, sizeof(port),
		    NI_NUMERICHOST | NI_NUMERICSERV);
	snprintf(c->peer, sizeof(c->peer), "%.100s:%s", host, port);
	snprintf(c->limit_key, sizeof(c->limit_key), "addr:%.70s", host);
}

/* Refuse a Unix client in words it can read (no session to protect). */
static void refuse_unix(int fd, const char *why)
{
	struct pbs_msg rep;
	struct buf b;
	char text[512];

	snprintf(text, sizeof(text), "%s MSG=%s", pbse_to_txt(PBSE_NOCONNECTS), why);
	msg_reply(&rep, PBSE_NOCONNECTS, 0, text);
	buf_init(&b);
	proto_frame_msg(&b, &rep, NULL);
	(void)!send(fd, b.data, b.len, MSG_NOSIGNAL);   /* best effort: a fresh socket takes it */
	buf_free(&b);
	msg_free(&rep);
}

struct wconn *wloop_accept(struct wloop *l, int lfd, const struct proto_key *key)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC | SOCK_NONBLOCK);
	struct wconn tmp, *c, *old;
	int is_unix;
	char why[160];

	if (fd < 0)
		return NULL;
	memset(&tmp, 0, sizeof(tmp));
	is_unix = ss.ss_family == AF_UNIX;
	if (is_unix) {
		if (unix_peer(fd, &tmp) < 0) {
			close(fd);
			return NULL;
		}
		snprintf(tmp.peer, sizeof(tmp.peer), "uid %u (pid %d)", (unsigned)tmp.uid,
			 (int)tmp.pid);
	} else {
		tcp_peer(&ss, sl, &tmp);
	}
	if (key && key->key) {
		/* strangers wait in a bounded room: the oldest goes first */
		if (count_key(l, tmp.limit_key, 1, &old) >= l->cfg.preauth_per_addr && old)
			evict(old, "too many unauthenticated connections from its address");
		if (count_key(l, NULL, 1, &old) >= l->cfg.max_preauth && old)
			evict(old, "too many unauthenticated connections");
	}
	if (count_key(l, NULL, 0, &old) >= l->cfg.max_conns && count_key(l, NULL, 1, &old) && old)
		evict(old, "connection table full");
	if (count_key(l, tmp.limit_key, 0, &old) >= l->cfg.per_peer) {
		snprintf(why, sizeof(why), "too many connections from %.100s (limit %zu)", tmp.peer,
			 l->cfg.per_peer);
		goto refuse;
	}
	if (count_key(l, NULL, 0, &old) >= l->cfg.max_conns) {
		snprintf(why, sizeof(why), "connection table full (%zu)", l->cfg.max_conns);
		goto refuse;
	}
	c = conn_new(l, fd, key, PROTO_ACCEPTOR);
	c->uid = tmp.uid;
	c->gid = tmp.gid;
	c->pid = tmp.pid;
	memcpy(c->peer, tmp.peer, sizeof(c->peer));
	memcpy(c->limit_key, tmp.limit_key, sizeof(c->limit_key));
	if (proto_session_keyed(&c->ses)) {
		c->deadline_ms = c->born_ms + l->cfg.preauth_ms;
		if (proto_session_start(&c->ses, &c->out) < 0)
			wconn_abort(c);
	}
	return c;
refuse:
	log_event(PBSEVENT_SECURITY, PBS_EVENTCLASS_REQUEST, tmp.peer, "connection refused: %s",
		  why);
	if (is_unix)
		refuse_unix(fd, why);
	close(fd);
	return NULL;
}

/* --- tasks ------------------------------------------------------------------------ */

struct wtask *wloop_task(struct wloop *l, const char *name, wtask_fn fn, void *arg,
			 long long period_ms)
{
	struct wtask *t = xcalloc(1, sizeof(*t)), **pp = &l->tasks;

	snprintf(t->name, sizeof(t->name), "%s", name);
	t->fn = fn;
	t->arg = arg;
	t->period_ms = period_ms;
	t->due_ms = period_ms > 0 ? now_ms() + period_ms : 0;
	while (*pp)
		pp = &(*pp)->next;
	*pp = t;   /* registration order is run order */
	return t;
}

void wtask_wake(struct wtask *t)
{
	t->due_ms = 1;   /* long past */
}

void wtask_at(struct wtask *t, long long when_ms)
{
	if (!t->due_ms || when_ms < t->due_ms)
		t->due_ms = when_ms > 0 ? when_ms : 1;
}

static void run_tasks(struct wloop *l, long long now)
{
	struct wtask *t;

	for (t = l->tasks; t; t = t->next) {
		if (!t->due_ms || t->due_ms > now)
			continue;
		t->due_ms = t->period_ms > 0 ? now + t->period_ms : 0;
		t->fn(t->arg);
	}
}

/* --- the turn ------------------------------------------------------------------------ */

static long long conn_due(const struct wconn *c)
{
	long long due = 0;

	if (c->deadline_ms)
		due = c->deadline_ms;
	if (c->idle_ms && !c->held && (!due || c->active_ms + c->idle_ms < due))
		due = c->active_ms + c->idle_ms;
	return due;
}

static int wants_input(const struct wconn *c)
{
	return !c->held && !c->closing && !c->connecting && !c->eof &&
	       wconn_pending(c) < c->loop->cfg.out_high && proto_reader_want(&c->rd);
}

static void sweep(struct wloop *l, long long now)
{
	size_t i;

	for (i = 0; i < l->nslots; i++) {
		struct wconn *c = l->conns[i];

		if (!c)
			continue;
		if (!c->closing && c->deadline_ms && now >= c->deadline_ms) {
			c->deadline_ms = 0;
			if (c->on_timeout) {
				c->on_timeout(c);
			} else {
				if (preauth(c))
					log_event(PBSEVENT_SECURITY, PBS_EVENTCLASS_REQUEST, c->peer,
						  "%s did not finish its session handshake in time",
						  c->peer);
				wconn_abort(c);
			}
		}
		/* no traffic either way for idle_ms: let it go; with answers
		 * it does not read, drop them (a waiting request is not idle) */
		if (c->idle_ms && !c->held && now - c->active_ms >= c->idle_ms) {
			if (wconn_pending(c))
				wconn_abort(c);
			else
				wconn_close(c);
		}
		if (c->closing && (c->abort || c->eof || !wconn_pending(c))) {
			c->dead = 1;
			conn_free(l, c);
		}
	}
}

int wloop_turn(struct wloop *l, long long max_wait_ms, const sigset_t *sigmask)
{
	long long now = now_ms(), due = max_wait_ms >= 0 ? now + max_wait_ms : 0;
	size_t i, n = 0, need = l->nslots + l->nls + 64;
	struct wtask *t;
	struct timespec ts, *tsp = NULL;
	int pr, wfds[64], nw = 0;

	if (l->pcap < need) {
		l->pcap = need * 2;
		l->pfd = xrealloc(l->pfd, l->pcap * sizeof(*l->pfd));
		l->map = xrealloc(l->map, l->pcap * sizeof(*l->map));
	}
	for (i = 0; i < l->nls; i++) {
		l->pfd[n].fd = l->ls[i].fd;
		l->pfd[n].events = POLLIN;
		l->pfd[n].revents = 0;
		l->map[n++] = NULL;
	}
	for (i = 0; i < l->nslots; i++) {
		struct wconn *c = l->conns[i];
		long long cd;

		if (!c)
			continue;
		l->pfd[n].fd = c->fd;
		l->pfd[n].events = 0;
		l->pfd[n].revents = 0;
		if (wants_input(c))
			l->pfd[n].events |= POLLIN;
		if (c->connecting || wconn_pending(c))
			l->pfd[n].events |= POLLOUT;
		if (c->eof && !l->pfd[n].events)
			l->pfd[n].fd = -1;   /* a hung-up peer would wake every poll */
		l->map[n++] = c;
		cd = conn_due(c);
		if (cd && (!due || cd < due))
			due = cd;
		if ((c->closing && (c->abort || c->eof || !wconn_pending(c))) ||
		    (!c->closing && !c->held && c->rd.in.len && !proto_reader_want(&c->rd) &&
		     wconn_pending(c) < l->cfg.out_high))
			due = now;   /* work is waiting already */
	}
	if (l->wake_fn)
		nw = l->wake_fn(l->wake_arg, wfds, 64);
	for (i = 0; i < (size_t)nw; i++) {
		l->pfd[n].fd = wfds[i];
		l->pfd[n].events = POLLIN;
		l->pfd[n].revents = 0;
		l->map[n++] = NULL;
	}
	for (t = l->tasks; t; t = t->next)
		if (t->due_ms && (!due || t->due_ms < due))
			due = t->due_ms;
	if (due) {
		long long left = due - now;

		if (left < 0)
			left = 0;
		ts.tv_sec = left / 1000;
		ts.tv_nsec = (left % 1000) * 1000000L;
		tsp = &ts;
	}
	pr = ppoll(l->pfd, n, tsp, sigmask);
	if (pr < 0 && errno != EINTR)
		return -1;
	l->gate_state = -1;
	for (i = 0; pr > 0 && i < n; i++) {
		struct wconn *c = l->map[i];

		if (!l->pfd[i].revents)
			continue;
		if (!c) {
			if (i < l->nls)
				l->ls[i].fn(l, l->ls[i].fd, l->ls[i].arg);
			else if (l->wake_task)
				wtask_wake(l->wake_task);   /* a wake fd */
			continue;
		}
		if (c->dead || c->abort)
			continue;
		if (c->connecting && (l->pfd[i].revents & (POLLOUT | POLLERR | POLLHUP)))
			connect_done(c);
		if (!c->connecting && (l->pfd[i].revents & POLLOUT))
			conn_flush(c);
		if (!c->connecting && (l->pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
			conn_readable(c);
	}
	/* messages left whole in a buffer (back-pressure lifted, a held
	 * connection released) */
	for (i = 0; i < l->nslots; i++) {
		struct wconn *c = l->conns[i];

		if (c && !c->dead && !c->held && !c->closing && c->rd.in.len &&
		    !proto_reader_want(&c->rd))
			wconn_process(c);
	}
	/* everything answered in this turn goes out (behind the gate) */
	for (i = 0; i < l->nslots; i++)
		if (l->conns[i] && wconn_pending(l->conns[i]))
			conn_flush(l->conns[i]);
	now = now_ms();
	sweep(l, now);
	run_tasks(l, now);
	return 0;
}
