/* The status requests (Torque's PBSD_status.c and pbsD_stat*.c): one
 * helper sends StatusJob/StatusQueue/StatusServer/StatusNode and hands the
 * reply's objects back as a batch_status list. */
#include "qtools/lib/pbs_client.h"

#include <stdlib.h>

static struct batch_status *status(int connect, int type, const char *id,
				   struct attrl *attrib, const char *extend)
{
	struct client_request rq = { .type = type, .id = (id && *id) ? id : NULL,
				     .attrs = (const struct attropl *)attrib };
	struct client_reply rp;
	struct batch_status *bs = NULL;

	/* Torque returns every attribute when none are named. */
	if (attrib == NULL)
		client_arg(&rq, "full", "1");
	client_arg(&rq, "extend", extend);
	if (client_request(connect, &rq, &rp) == 0) {
		bs = rp.objs;
		rp.objs = NULL;
	}
	client_reply_free(&rp);
	return bs;
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
