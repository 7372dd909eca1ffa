/* Inside the client library: the connection table and the one function
 * that sends a batch request and reads its reply. Every pbsD_*.c file is a
 * thin wrapper that fills a client_request. */
#ifndef CKMIG_QTOOLS_PBS_CLIENT_H
#define CKMIG_QTOOLS_PBS_CLIENT_H

#include "qtools/lib/pbs_ifl.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Batch request types: lib/protocol.h's PBS_BATCH_* (Torque's numbers).
 * That header is included only by pbs_request.c: its enum batch_op and
 * attribute lists are the server's, ours are Torque's IFL ones. */
#define CLIENT_QueueJob      1
#define CLIENT_DeleteJob     6
#define CLIENT_HoldJob       7
#define CLIENT_Manager       9
#define CLIENT_ModifyJob     11
#define CLIENT_ReleaseJob    13
#define CLIENT_Rerun         14
#define CLIENT_RunJob        15
#define CLIENT_Shutdown      17
#define CLIENT_SignalJob     18
#define CLIENT_StatusJob     19
#define CLIENT_StatusQueue   20
#define CLIENT_StatusServer  21
#define CLIENT_CheckpointJob 27
#define CLIENT_StatusNode    58
#define CLIENT_MigrateJob    100

#define CLIENT_MAX_ARGS 8

struct client_request {
	int type;                       /* batch request type (Torque's number) */
	const char *id;                 /* job/node/queue name, or NULL */
	const struct attropl *attrs;    /* attr children, or NULL */
	const char *arg_name[CLIENT_MAX_ARGS];
	const char *arg_value[CLIENT_MAX_ARGS];
	int nargs;
	const char *script;             /* QueueJob only */
};

struct client_reply {
	int code;                       /* PBSE number, 0 = success */
	int aux;
	char *text;                     /* malloc'd, may be NULL */
	struct batch_status *objs;      /* objects of a status reply */
};

/* Add a scalar argument (skipped when value is NULL). */
void client_arg(struct client_request *rq, const char *name, const char *value);

/* Send rq on connect and read the reply into rp (caller frees with
 * client_reply_free). Returns rp->code; sets pbs_errno to it and keeps the
 * reply text for pbs_geterrmsg. A transport failure gives
 * PBSE_SOCKET_WRITE / PBSE_SOCKET_READ / PBSE_PROTOCOL. */
int client_request(int connect, const struct client_request *rq, struct client_reply *rp);
void client_reply_free(struct client_reply *rp);
/* The same, handing each object of the reply to each (one batch_status,
 * next NULL, each owns it) as soon as it is decoded, instead of into
 * rp->objs. When the request fails (rp->code != 0) after some objects
 * were handed over, the caller drops what each got. */
typedef void client_each_fn(struct batch_status *bs, void *arg);
int client_request_each(int connect, const struct client_request *rq, struct client_reply *rp,
			client_each_fn *each, void *arg);

/* Convenience for requests whose reply carries nothing but a code. */
int client_simple(int connect, const struct client_request *rq);

/* The connection table (pbsD_connect.c). */
int connection_fd(int connect);
void connection_set_errtxt(int connect, const char *text);

#ifdef __cplusplus
}
#endif
#endif
