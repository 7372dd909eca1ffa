/* pbs_alterjob: ModifyJob(11) with the attributes to change. */
#include "qtools/lib/pbs_client.h"

int pbs_alterjob(int connect, const char *job_id, struct attrl *attrib, const char *extend)
{
	struct client_request rq = { .type = CLIENT_ModifyJob, .id = job_id,
				     .attrs = (const struct attropl *)attrib };

	if (attrib == NULL) {
		pbs_errno = PBSE_IVALREQ;
		return PBSE_IVALREQ;
	}
	client_arg(&rq, "extend", extend);
	return client_simple(connect, &rq);
}
