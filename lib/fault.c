/* Fault points: see fault.h. */
#include "lib/fault.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

void fault_point(int n)
{
	static int armed = -1;   /* the point asked for; 0 = none */

	if (armed < 0) {
		/* never from a user's environment into a setuid program */
		const char *v = secure_getenv("CKMIG_FAULT");

		armed = v ? atoi(v) : 0;
	}
	if (!armed || armed != n)
		return;
	fprintf(stderr, "ckmig fault point %d: SIGKILL (CKMIG_FAULT=%d)\n", n, n);
	fflush(stderr);
	kill(getpid(), SIGKILL);
	_exit(137);   /* not reached */
}
