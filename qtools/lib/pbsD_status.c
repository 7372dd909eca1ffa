/* The status requests (Torque's PBSD_status.c and pbsD_stat*.c): one
 * helper sends StatusJob/StatusQueue/StatusServer/StatusNode and hands the
 * reply's objects back as a batch_status list. */
#include "qtools/lib/pbs_client.h"

#include <stdlib.h>

static int status_each(int connect, int type, const char *id, struct attrl *attrib,
		       const char *extend, struct batch_status **bs, client_each_fn *each,
		       void *arg)
{
	struct client_request rq = { .type = type, .id = (id && *id) ? id : NULL,
				     .attrs = (const struct attropl *)attrib };
	struct client_reply rp;
	int code;

	/* Torque returns every attribute when none are named. */
	if (attrib == NULL)
		client_arg(&rq, "full", "1");
	client_arg(&rq, "extend", extend);
	code = client_request_each(connect, &rq, &rp, each, arg);
	if (code == 0 && bs) {
		*bs = rp.objs;
		rp.objs = NULL;
	}
	client_reply_free(&rp);
	return code;
}

static struct batch_status *status(int connect, int type, const char *id,
				   struct attrl *attrib, const char *extend)
{
	struct batch_status *bs = NULL;

	status_each(connect, type, id, attrib, extend, &bs, NULL, NULL);
	return bs;
}

int pbs_statjob_each(int connect, const char *id, struct attrl *attrib, const char *extend,
		     void (*each)(struct batch_status *job, void *arg), void *arg)
{
	return status_each(connect, CLIENT_StatusJob, id, attrib, extend, NULL, each, arg);
}

struct batch_status *pbs_statjob(int connect, const char *id, struct attrl *attrib,
				 const char *extend)
{
	return status(connect, CLIENT_StatusJob, id, attrib, extend);
}

struct batch_status *pbs_statque(int connect, const char *id, struct attrl *attrib,
				 const char *extend)
{
	return status(connect, CLIENT_StatusQueue, id, attrib, extend);
}

struct batch_status *pbs_statserver(int connect, struct attrl *attrib, const char *extend)
{
	return status(connect, CLIENT_StatusServer, NULL, attrib, extend);
}

struct batch_status *pbs_statnode(int connect, const char *id, struct attrl *attrib,
				  const char *extend)
{
	return status(connect, CLIENT_StatusNode, id, attrib, extend);
}
