/* Fault points: see fault.h. */
#include "lib/fault.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void test_gate(const char *gate)
{
	char reached[4096];
	struct stat st;
	int fd;

	snprintf(reached, sizeof(reached), "%s.reached", gate);
	fd = open(reached, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		fprintf(stderr, "ckmig test gate: cannot create %s: %s\n", reached, strerror(errno));
	else
		close(fd);
	while (lstat(gate, &st) < 0) {
		struct timespec ts = { 0, 20 * 1000 * 1000 };

		nanosleep(&ts, NULL);
	}
}

/* CKMIG_PAUSE=N:GATE: the point, and the gate into paused (empty: none). */
static int pause_point(char *gate, size_t len)
{
	const char *v = secure_getenv("CKMIG_PAUSE");
	char *end;
	long n;

	gate[0] = '\0';
	if (!v)
		return 0;
	n = strtol(v, &end, 10);
	if (end == v || *end != ':' || !end[1] || n <= 0 || n > 100000)
		return 0;
	snprintf(gate, len, "%s", end + 1);
	return (int)n;
}

void fault_point(int n)
{
	static int armed = -1;   /* the point asked for; 0 = none */
	static int paused = -1;
	static char gate[4096];
	const char *log;

	if (armed < 0) {
		/* never from a user's environment into a setuid program */
		const char *v = secure_getenv("CKMIG_FAULT");

		armed = v ? atoi(v) : 0;
		paused = pause_point(gate, sizeof(gate));
	}
	if (paused && paused == n)
		test_gate(gate);
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
