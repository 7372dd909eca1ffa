/* pbs_deljob: DeleteJob(6). */
#include "qtools/lib/pbs_client.h"

int pbs_deljob(int connect, const char *job_id, const char *extend)
{
	struct client_request rq = { .type = CLIENT_DeleteJob, .id = job_id };

	client_arg(&rq, "extend", extend);
	return client_simple(connect, &rq);
}
