/* The connection layer both daemons run on: one poll loop, non-blocking
 * connections that carry framed messages (lib/protocol.h), sessions on
 * TCP, the limits of the trust boundary, and the loop's tasks.
 *
 * A daemon makes one struct wloop, hands it its listening sockets, and
 * turns it with wloop_turn() until it stops. A turn: poll; accept; read
 * and decode (each whole message goes to the connection's on_msg);
 * write what waits (after the daemon's write gate, the server's group
 * commit); close what is finished, idle or past its deadline; run the
 * tasks that are due. Callbacks never free a connection: wconn_close()
 * marks it and the turn frees it (on_close first), so a struct wconn
 * pointer stays valid until the end of the turn that closes it. Across
 * turns, hold a connection's serial and look it up with wloop_find().
 *
 * Limits (struct wloop_cfg), all given back when a connection closes:
 *   max_conns        connections in all (listeners not counted);
 *   per_peer         connections per peer: uid on a Unix socket (from
 *                    SO_PEERCRED), address on TCP; over it a Unix client
 *                    gets PBSE_NOCONNECTS and the connection closes;
 *   max_preauth,     TCP connections still in their session handshake,
 *   preauth_per_addr in all and per address: a new one beyond either
 *                    evicts the oldest (of that address first), so idle
 *                    or slow strangers can never keep a key holder out;
 *   preauth_ms       time to finish the handshake;
 *   out_high         back-pressure: no further message of a connection
 *                    is decoded, and nothing more read from it, while
 *                    this many bytes of its output wait unsent.
 * A connection reads no further than the record it is in, so input held
 * per connection is one frame (at most PROTO_HELLO_I_LEN bytes before
 * its session is up) plus one read.
 *
 * Tasks: periodic or woken work that runs at the end of a turn, never
 * from inside I/O handling:
 *     t = wloop_task(loop, "schedule", fn, arg, 10000);  (every 10 s)
 *     wtask_wake(t);            run at the end of this (or the next) turn
 *     wtask_at(t, when_ms);     run no later than when_ms (now_ms clock)
 * A period of 0 runs only when woken. The poll sleeps until the earliest
 * task, deadline or idle limit, so nothing waits for a fixed tick.
 * wtask_wake() only stores a time: a signal handler may call it when the
 * signal is blocked outside the turn's ppoll (the MOM's SIGCHLD). */
#ifndef CKMIG_LIB_WIRE_H
#define CKMIG_LIB_WIRE_H

#include <signal.h>
#include <stddef.h>

#include "lib/protocol.h"
#include "lib/util.h"

#ifdef __cplusplus
extern "C" {
#endif

struct wloop;
struct wconn;
struct wtask;

typedef void (*wconn_msg_fn)(struct wconn *c, struct pbs_msg *m);   /* takes m */
typedef void (*wconn_fn)(struct wconn *c);
/* A listening socket is readable: usually wloop_accept() and set up. */
typedef void (*wlisten_fn)(struct wloop *l, int lfd, void *arg);
typedef void (*wtask_fn)(void *arg);

struct wconn {
	struct wloop *loop;
	int fd;
	unsigned long serial;          /* unique for the life of the loop */
	int kind;                      /* the daemon's tag */
	void *data;                    /* the daemon's own per-connection state */
	wconn_msg_fn on_msg;           /* one decoded message (request or reply) */
	wconn_fn on_close;             /* last call before it is freed */
	wconn_fn on_timeout;           /* deadline_ms passed (NULL: close) */
	int answer_errors;             /* answer a bad frame with a PBSE reply */
	int held;                      /* owner: decode nothing more for now */
	long long deadline_ms;         /* 0 = none (now_ms clock) */
	long long idle_ms;             /* close after this long without traffic, 0 = never */
	char peer[128];                /* for logs: "user(pid N)", "10.0.0.2:40112" */
	uid_t uid;                     /* Unix peers: SO_PEERCRED */
	gid_t gid;
	pid_t pid;
	int error;                     /* PBSE of the last bad frame or refused session */
	char errtext[160];
	/* the layer's own */
	struct proto_session ses;
	struct proto_reader rd;
	struct buf out;
	size_t out_off;
	struct buf pend;               /* bodies sent before the session could take them */
	int closing, eof, connecting, dead, abort;
	long long born_ms, active_ms;
	char limit_key[80];            /* "uid:1000", "addr:10.0.0.2" */
	size_t slot;
};

struct wloop_cfg {
	size_t max_conns;
	size_t per_peer;
	size_t max_preauth;
	size_t preauth_per_addr;
	long long preauth_ms;
	size_t out_high;
};
/* What the daemons use unless they say otherwise. */
#define WLOOP_CFG_DEFAULT { 4096, 64, 32, 8, 10000, 256 * 1024 }

struct wloop *wloop_new(const struct wloop_cfg *cfg);
/* Closes every connection (on_close called) and frees the loop. */
void wloop_free(struct wloop *l);
/* Poll fd too (e.g. a listening socket); fn runs when it is readable. */
void wloop_listen(struct wloop *l, int fd, wlisten_fn fn, void *arg);
/* Extra fds that only wake the loop (the MOM's checkpoint scripts): when
 * one is readable, task t (if not NULL) runs at the end of that turn. */
void wloop_wake_fds(struct wloop *l, int (*fn)(void *arg, int *fds, int max), void *arg,
		    struct wtask *t);
/* Called before any byte is written in a turn; nonzero = write nothing
 * now (the server's group commit failed: answers wait). */
void wloop_write_gate(struct wloop *l, int (*fn)(void *arg), void *arg);
/* One turn; sleeps at most max_wait_ms (-1: until something is due).
 * sigmask as ppoll's (NULL: none). Returns 0, or -1 when poll failed. */
int wloop_turn(struct wloop *l, long long max_wait_ms, const sigset_t *sigmask);

/* Accept one connection on lfd; key NULL = no session (Unix socket).
 * Limits applied here; NULL when refused or nothing was waiting. The
 * caller sets kind, data, on_msg, ... */
struct wconn *wloop_accept(struct wloop *l, int lfd, const struct proto_key *key);
/* A non-blocking connection to host:port; the session (key) starts when
 * it is up, and what is sent meanwhile waits. NULL + errno on failure.
 * timeout_ms bounds connect + handshake (deadline_ms; on_timeout). */
struct wconn *wloop_connect(struct wloop *l, const char *host, int port,
			    const struct proto_key *key, int timeout_ms);
struct wconn *wloop_find(struct wloop *l, unsigned long serial);
size_t wloop_nconns(const struct wloop *l);
/* Call fn for every live connection. */
void wloop_each(struct wloop *l, void (*fn)(struct wconn *c, void *arg), void *arg);

/* Queue a message (or an encoded body) on c; it goes out this turn. */
void wconn_send(struct wconn *c, const struct pbs_msg *m);
void wconn_send_body(struct wconn *c, const char *body, size_t len);
/* Bytes waiting to go out. */
size_t wconn_pending(const struct wconn *c);
/* Close after what is queued is written (abort: at once, dropping it). */
void wconn_close(struct wconn *c);
void wconn_abort(struct wconn *c);
/* Decode what is buffered (after held was cleared). */
void wconn_process(struct wconn *c);

struct wtask *wloop_task(struct wloop *l, const char *name, wtask_fn fn, void *arg,
			 long long period_ms);
void wtask_wake(struct wtask *t);
void wtask_at(struct wtask *t, long long when_ms);

#ifdef __cplusplus
}
#endif
#endif
