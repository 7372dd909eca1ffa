/* pbs_migratejob: ckmig's MigrateJob(100). One request: the server
 * checkpoints the job, ends it and runs it again, on destination when
 * given. It answers once it has accepted the request. */
#include "qtools/lib/pbs_client.h"

int pbs_migratejob(int connect, const char *job_id, const char *destination, const char *extend)
{
	struct client_request rq = { .type = CLIENT_MigrateJob, .id = job_id };

	client_arg(&rq, "destination", (destination && *destination) ? destination : NULL);
	client_arg(&rq, "extend", extend);
	return client_simple(connect, &rq);
}
