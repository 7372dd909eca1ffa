/* pbs_runjob: RunJob(15); the destination goes as Torque's, unchanged
 * ("host", "host:ppn=N", "host+host"): the server parses it. */
#include "qtools/lib/pbs_client.h"

int pbs_runjob(int connect, const char *job_id, const char *location, const char *extend)
{
	struct client_request rq = { .type = CLIENT_RunJob, .id = job_id };

	client_arg(&rq, "destination", (location && *location) ? location : NULL);
	client_arg(&rq, "extend", extend);
	return client_simple(connect, &rq);
}
