/* Connections from the server to this MOM, on lib/wire: a session per
 * connection (the cluster key proves the server, fresh nonces and
 * sequence numbers make a captured request worthless), one reply per
 * request, in order. A connection whose request is answered later (a
 * hold waits for its checkpoint) decodes nothing more until that answer
 * is out, so replies never overtake each other.
 *
 * A refusal also never overtakes what this MOM told the server before
 * it: it waits behind the requests already queued to the server
 * (mom_server.c), as it did when those were sent synchronously (the
 * comment that says why a checkpoint failed lands before the refusal).
 * Other answers go at once: a slow server must not slow them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LOG_PREFIX "mom_conn: "
#include "lib/log.h"
#include "lib/pbs_error.h"
#include "lib/protocol.h"
#include "lib/util.h"
#include "lib/wire.h"
#include "mom/mom.h"
#include "mom/mom_ckpt_xfer.h"
#include "mom/mom_server.h"

/* How long a deferred answer may hold back the MOM's next request. */
#define AFTER_REPLY_MS 5000

/* wconn.kind: this connection's request is answered later */
#define OWES_REPLY 1

/* The server holds a connection only while it waits for an answer. */
#define SERVER_IDLE_MS 60000

/* A reply waiting for the MOM's earlier requests to the server. */
struct later_reply {
	struct later_reply *next;
	unsigned long serial;      /* the connection */
	unsigned long barrier;     /* srvq_enq when it was made */
	int deferred;              /* the answer to a deferred request */
	struct buf body;
};

/* What the MOM queues after a deferred answer (the checkpoint's
 * ModifyJob, the obit) waits until the server has read it: the server
 * hangs up on reading it (mom_server.c). */
static void gate_after(struct mom *m, struct wconn *w)
{
	m->srv_after_serial = w->serial;
	m->srv_after_until = now_ms() + AFTER_REPLY_MS;
}

static void send_reply(struct mom *m, struct wconn *w, const struct pbs_msg *reply, int deferred)
{
	struct later_reply *lr, **pp;

	if (!reply->code || m->srvq_done >= m->srvq_enq) {
		wconn_send(w, reply);
		if (deferred)
			gate_after(m, w);
		return;
	}
	lr = xcalloc(1, sizeof(*lr));
	lr->serial = w->serial;
	lr->barrier = m->srvq_enq;
	lr->deferred = deferred;
	buf_init(&lr->body);
	proto_encode(reply, &lr->body);
	for (pp = &m->later; *pp; pp = &(*pp)->next)
		;
	*pp = lr;
	w->held = 1;   /* nothing after it on this connection either */
}

void conn_release_replies(struct mom *m)
{
	struct later_reply *lr;

	while ((lr = m->later) && lr->barrier <= m->srvq_done) {
		struct wconn *w = wloop_find(m->loop, lr->serial);

		m->later = lr->next;
		if (w) {
			wconn_send_body(w, lr->body.data ? lr->body.data : "", lr->body.len);
			if (lr->deferred)
				gate_after(m, w);
			w->held = 0;
			if (w->kind != OWES_REPLY)   /* no deferred request of its own waits */
				wconn_process(w);
		}
		buf_free(&lr->body);
		free(lr);
	}
}

static void on_request(struct wconn *w, struct pbs_msg *req)
{
	struct mom *m = w->data;
	struct pbs_msg reply;

	memset(&reply, 0, sizeof(reply));   /* filled by msg_*() */
	if (req->is_reply) {
		msg_free(req);
		return;
	}
	if (mom_dispatch_request(m, (int)w->serial, req, &reply)) {
		w->held = 1;
		w->kind = OWES_REPLY;
	} else {
		send_reply(m, w, &reply, 0);
	}
	msg_free(req);
	msg_free(&reply);
	mom_tasks_wake();   /* a request may have news for the job tasks */
}

static void on_close(struct wconn *w)
{
	struct mom *m = w->data;

	if (m->srv_after_serial == w->serial)
		mom_server_kick(m);   /* it has read our answer */
	mom_xfer_closed(m, w->serial);   /* a copy it did not commit */
	mom_tasks_wake();
}

void conn_accept(struct wloop *l, int lfd, void *arg)
{
	struct mom *m = arg;
	struct wconn *w = wloop_accept(l, lfd, &m->key);

	if (!w)
		return;
	w->data = m;
	w->on_msg = on_request;
	w->on_close = on_close;
	w->answer_errors = 1;
	w->idle_ms = SERVER_IDLE_MS;
}

void reply_deferred(struct mom *m, int conn_id, int code, int aux, const char *text)
{
	struct wconn *w = wloop_find(m->loop, (unsigned long)conn_id);
	struct pbs_msg reply;
	char full[2048];

	if (!w) {
		pr_warn("the connection waiting for a reply (code %d) is gone", code);
		return;
	}
	memset(&reply, 0, sizeof(reply));   /* filled by msg_*() */
	if (code) {
		pbse_message(full, sizeof(full), code, text && *text ? text : NULL);
		msg_reply(&reply, code, aux, full);
	} else {
		msg_reply(&reply, 0, aux, text ? text : "");
	}
	w->kind = 0;
	w->held = 0;
	send_reply(m, w, &reply, 1);
	msg_free(&reply);
	if (!w->held)
		wconn_process(w);
}

void conn_close_all(struct mom *m)
{
	struct later_reply *lr;

	while ((lr = m->later)) {
		m->later = lr->next;
		buf_free(&lr->body);
		free(lr);
	}
	wloop_free(m->loop);
	m->loop = NULL;
}
