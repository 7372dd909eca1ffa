/* pbs_rlsjob: ReleaseJob(13) with one Hold_Types attribute ("u" default). */
#include "qtools/lib/pbs_client.h"

int pbs_rlsjob(int connect, const char *job_id, const char *hold_type, const char *extend)
{
	struct attropl hold = { NULL, (char *)ATTR_h, NULL,
				(char *)((hold_type && *hold_type) ? hold_type : USER_HOLD), SET };
	struct client_request rq = { .type = CLIENT_ReleaseJob, .id = job_id, .attrs = &hold };

	client_arg(&rq, "extend", extend);
	return client_simple(connect, &rq);
}
