/* pbs_checkpointjob: CheckpointJob(27): checkpoint, keep running. */
#include "qtools/lib/pbs_client.h"

int pbs_checkpointjob(int connect, const char *job_id, const char *extend)
{
	struct client_request rq = { .type = CLIENT_CheckpointJob, .id = job_id };

	client_arg(&rq, "extend", extend);
	return client_simple(connect, &rq);
}
