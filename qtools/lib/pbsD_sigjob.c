/* pbs_sigjob: SignalJob(18). */
#include "qtools/lib/pbs_client.h"

int pbs_sigjob(int connect, const char *job_id, const char *signal, const char *extend)
{
	struct client_request rq = { .type = CLIENT_SignalJob, .id = job_id };

	if (signal == NULL || *signal == '\0') {
		pbs_errno = PBSE_IVALREQ;
		return PBSE_IVALREQ;
	}
	client_arg(&rq, "signal", signal);
	client_arg(&rq, "extend", extend);
	return client_simple(connect, &rq);
}
