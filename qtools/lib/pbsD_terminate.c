/* pbs_terminate: Shutdown(17). */
#include "qtools/lib/pbs_client.h"

#include <stdio.h>

int pbs_terminate(int connect, int manner, const char *extend)
{
	struct client_request rq = { .type = CLIENT_Shutdown };
	char m[16];

	snprintf(m, sizeof(m), "%d", manner);
	client_arg(&rq, "manner", m);
	client_arg(&rq, "extend", extend);
	return client_simple(connect, &rq);
}
