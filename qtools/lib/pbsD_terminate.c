/* pbs_terminate: Shutdown(17), the manner as a word. */
#include "qtools/lib/pbs_client.h"

int pbs_terminate(int connect, int manner, const char *extend)
{
	struct client_request rq = { .type = CLIENT_Shutdown };

	client_arg(&rq, "manner", manner == SHUT_DELAY ? "delay" :
				  manner == SHUT_QUICK ? "quick" : "immediate");
	client_arg(&rq, "extend", extend);
	return client_simple(connect, &rq);
}
