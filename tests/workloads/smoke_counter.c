/* smoke_counter: keeps a counter in memory and prints it every 20 ms.
 * Used by the CRIU smoke test: after a dump and restore the numbers must
 * go on from where they were, not start again at 1. Exits after LIMIT. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv)
{
	long limit = argc > 1 ? atol(argv[1]) : 1000000;
	struct timespec ts = { 0, 20 * 1000 * 1000 };

	for (long counter = 1; counter <= limit; counter++) {
		printf("%ld\n", counter);
		fflush(stdout);
		nanosleep(&ts, NULL);
	}
	return 0;
}
