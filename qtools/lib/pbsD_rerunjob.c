/* pbs_rerunjob: Rerun(14). */
#include "qtools/lib/pbs_client.h"

int pbs_rerunjob(int connect, const char *job_id, const char *extend)
{
	struct client_request rq = { .type = CLIENT_Rerun, .id = job_id };

	client_arg(&rq, "extend", extend);
	return client_simple(connect, &rq);
}
