/* Sockets and the one poll loop, on lib/wire: the Unix socket for clients
 * (identity from SO_PEERCRED), the TCP port for MOMs (a session per
 * connection, every frame MAC'd), and our own outgoing connections to
 * MOMs. Periodic work (status chores, the scheduler, qmigrates waiting
 * for their client to hang up) runs as tasks of the loop. No threads;
 * signal handlers only set flags, read here. */
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

#include "lib/wire.h"

/* A client that has sent nothing for this long is let go; one whose
 * request waits (a hold relayed to its MOM) is not idle. */
#define CLIENT_IDLE_MS (10 * 60 * 1000)
/* MOMs keep one connection to the server and close it themselves after a
 * few idle seconds; this only collects what a MOM left behind. */
#define MOM_IDLE_MS (2 * 60 * 1000)

static void on_close(struct wconn *w)
{
	struct conn *c = w->data;
	struct server *s = c->s;

	if (c->kind == CONN_MOM_OUT && c->cb && !s->destroying) {
		mom_reply_cb cb = c->cb;

		c->cb = NULL;
		/* sent and unanswered: the MOM may have acted on it (server.h) */
		cb(s, c->cb_ctx, w->connecting || w->pend.len || wconn_pending(w) ? PBSE_NORELYMOM :
		   PBSE_TIMEOUT, NULL);
	}
	/* a qmigrate waits for its client to hang up */
	if (c->kind == CONN_CLIENT && s->ckmig_pending && s->pmig_task)
		wtask_wake(s->pmig_task);
	free(c);
}

static void on_request(struct wconn *w, struct pbs_msg *m)
{
	struct conn *c = w->data;

	if (m->is_reply) {
		msg_free(m);   /* nobody asked */
		return;
	}
	dispatch_request(c->s, c, m);   /* takes m */
	/* a request whose reply is deferred stops further decoding on this
	 * connection, so replies keep request order */
	w->held = c->deferred;
}

static void on_mom_reply(struct wconn *w, struct pbs_msg *m)
{
	struct conn *c = w->data;
	mom_reply_cb cb = c->cb;

	c->cb = NULL;
	if (cb) {
		if (m->is_reply)
			cb(c->s, c->cb_ctx, m->code, m);
		else
			cb(c->s, c->cb_ctx, PBSE_PROTOCOL, NULL);
	}
	msg_free(m);
	wconn_close(w);
}

static void on_mom_timeout(struct wconn *w)
{
	struct conn *c = w->data;
	mom_reply_cb cb = c->cb;

	c->cb = NULL;
	log_event(PBSEVENT_ERROR, PBS_EVENTCLASS_NODE, c->peer, "MOM %s did not answer in time",
		  c->peer);
	if (cb)
		cb(c->s, c->cb_ctx, PBSE_TIMEOUT, NULL);
	wconn_abort(w);
}

static struct conn *conn_new(struct server *s, enum conn_kind kind, struct wconn *w)
{
	struct conn *c = xcalloc(1, sizeof(*c));

	c->s = s;
	c->kind = kind;
	c->w = w;
	c->fd = w->fd;
	c->serial = w->serial;
	snprintf(c->peer, sizeof(c->peer), "%s", w->peer);
	w->data = c;
	w->kind = kind;
	w->on_close = on_close;
	w->on_msg = kind == CONN_MOM_OUT ? on_mom_reply : on_request;
	w->answer_errors = kind != CONN_MOM_OUT;
	return c;
}

struct conn *conn_by_serial(struct server *s, unsigned long serial)
{
	struct wconn *w = wloop_find(s->loop, serial);

	return w ? w->data : NULL;
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

void conn_process(struct server *s, struct conn *c)
{
	(void)s;
	c->w->held = c->deferred;
	wconn_process(c->w);
}

/* Answers wait in the connection until the end of the loop's turn: one
 * directory fsync (the write gate) then covers every job saved in it. */
void conn_send(struct server *s, struct conn *c, const struct pbs_msg *m)
{
	(void)s;
	wconn_send(c->w, m);
}

void conn_send_body(struct server *s, struct conn *c, const char *body, size_t len)
{
	(void)s;
	wconn_send_body(c->w, body, len);
}

/* nothing leaves before the job files it speaks about are durable */
static int write_gate(void *arg)
{
	struct server *s = arg;

	return s->jobs_dir_dirty && svr_sync_jobs(s) < 0;
}

static void accept_client(struct wloop *l, int lfd, void *arg)
{
	struct server *s = arg;
	struct wconn *w = wloop_accept(l, lfd, NULL);
	struct passwd *pw;
	struct conn *c;

	if (!w)
		return;
	c = conn_new(s, CONN_CLIENT, w);
	w->idle_ms = CLIENT_IDLE_MS;
	c->who.uid = w->uid;
	c->who.gid = w->gid;
	c->who.pid = w->pid;
	pw = getpwuid(w->uid);
	if (pw)
		snprintf(c->who.user, sizeof(c->who.user), "%s", pw->pw_name);
	else
		snprintf(c->who.user, sizeof(c->who.user), "%u", (unsigned)w->uid);
	gethostname(c->who.host, sizeof(c->who.host) - 1);
	snprintf(c->peer, sizeof(c->peer), "%.60s(pid %d)", c->who.user, (int)w->pid);
	snprintf(w->peer, sizeof(w->peer), "%s", c->peer);
}

static void accept_mom(struct wloop *l, int lfd, void *arg)
{
	struct server *s = arg;
	struct wconn *w = wloop_accept(l, lfd, &s->key);
	struct conn *c;
	char *colon;

	if (!w)
		return;
	c = conn_new(s, CONN_MOM_IN, w);
	w->idle_ms = MOM_IDLE_MS;
	/* requests are decoded only once the session proved the key */
	snprintf(c->who.user, sizeof(c->who.user), "mom");
	snprintf(c->who.host, sizeof(c->who.host), "%s", w->peer);
	colon = strrchr(c->who.host, ':');
	if (colon)
		*colon = '\0';
	c->who.is_mom = 1;
	c->who.uid = (uid_t)-1;
}

int svr_listen(struct server *s, char *err, size_t errlen)
{
	s->unix_fd = proto_unix_listen(s->sock_path, 0666);
	if (s->unix_fd < 0) {
		snprintf(err, errlen, "cannot listen on %s: %s", s->sock_path, strerror(errno));
		return -1;
	}
	fcntl(s->unix_fd, F_SETFL, fcntl(s->unix_fd, F_GETFL) | O_NONBLOCK);
	wloop_listen(s->loop, s->unix_fd, accept_client, s);
	if (s->port > 0) {
		s->tcp_fd = proto_tcp_listen(s->port);
		if (s->tcp_fd < 0) {
			snprintf(err, errlen, "cannot listen on TCP port %d: %s", s->port,
				 strerror(errno));
			return -1;
		}
		fcntl(s->tcp_fd, F_SETFL, fcntl(s->tcp_fd, F_GETFL) | O_NONBLOCK);
		wloop_listen(s->loop, s->tcp_fd, accept_mom, s);
	}
	wloop_write_gate(s->loop, write_gate, s);
	return 0;
}

static volatile sig_atomic_t got_term, got_hup;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		got_hup = 1;
	else
		got_term = 1;
}

/* --- the loop's tasks: periodic work, never called from inside I/O ---------- */

static void task_periodic(void *arg)
{
	svr_periodic(arg);
}

static void task_schedule(void *arg)
{
	struct server *s = arg;

	s->sched_wanted = 0;
	s->last_sched_ms = now_ms();
	schedule(s);
	wtask_at(s->sched_task, now_ms() + svr_attr_long(s, ATTR_schedit, 10) * 1000);
}

static void task_migrate_pending(void *arg)
{
	struct server *s = arg;

	if (s->ckmig_pending)
		migrate_pending_run(s, 0);
}

void svr_tasks_init(struct server *s)
{
	if (s->sched_task)
		return;
	s->periodic_task = wloop_task(s->loop, "periodic", task_periodic, s, 1000);
	s->sched_task = wloop_task(s->loop, "schedule", task_schedule, s, 0);
	s->pmig_task = wloop_task(s->loop, "migrate_pending", task_migrate_pending, s, 0);
}

void svr_loop(struct server *s)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	svr_tasks_init(s);
	while (!s->shutdown) {
		if (got_term) {
			log_event(PBSEVENT_SYSTEM, NULL, NULL, "caught signal: shutting down");
			break;
		}
		if (got_hup) {
			got_hup = 0;
			log_reopen();
		}
		/* handlers ask for work by flag; the loop turns it into tasks */
		if (s->sched_wanted)
			wtask_wake(s->sched_task);
		if (s->ckmig_pending)
			wtask_at(s->pmig_task, now_ms() + 250);
		if (wloop_turn(s->loop, 500, NULL) < 0) {
			pr_perror("poll");
			break;
		}
	}
}

/* --- outgoing requests to MOMs (Torque's issue_request.c) ------------------ */

int issue_to_mom(struct server *s, const struct node *n, const struct pbs_msg *m,
		 int timeout_ms, mom_reply_cb cb, void *ctx)
{
	int port = n->mom_port ? n->mom_port : s->mom_port;
	struct wconn *w = wloop_connect(s->loop, n->name, port, &s->key, timeout_ms);
	struct conn *c;

	if (!w) {
		log_event(PBSEVENT_ERROR, PBS_EVENTCLASS_NODE, n->name, "cannot connect to MOM: %s",
			  strerror(errno));
		return PBSE_NORELYMOM;
	}
	c = conn_new(s, CONN_MOM_OUT, w);
	c->cb = cb;
	c->cb_ctx = ctx;
	w->on_timeout = on_mom_timeout;
	wconn_send(w, m);
	return 0;
}
