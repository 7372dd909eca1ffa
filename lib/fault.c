/* Fault points: see fault.h. */
#include "lib/fault.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

void fault_point(int n)
{
	static int armed = -1;   /* the point asked for; 0 = none */
	const char *log;

	if (armed < 0) {
		/* never from a user's environment into a setuid program */
		const char *v = secure_getenv("CKMIG_FAULT");

		armed = v ? atoi(v) : 0;
	}
	if (!armed || armed != n)
		return;
	fprintf(stderr, "ckmig fault point %d: SIGKILL (CKMIG_FAULT=%d)\n", n, n);
	fflush(stderr);
	/* a record a test finds whoever's stderr this was (a script's is
	 * captured by its MOM) */
	log = secure_getenv("CKMIG_FAULT_LOG");
	if (log && *log) {
		int fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);

		if (fd >= 0) {
			dprintf(fd, "%d %d\n", n, (int)getpid());
			close(fd);
		}
	}
	kill(getpid(), SIGKILL);
	_exit(137);   /* not reached */
}
