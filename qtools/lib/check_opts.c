/* Small option values the commands check before asking the server:
 * hold lists, priorities, job names, join options, signals. */
#include "qtools/lib/cmds.h"

#include <ctype.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int check_hold_list(const char *s, int allow_n)
{
	if (s == NULL || *s == '\0')
		return -1;
	for (; *s; s++)
		if (*s != 'u' && *s != 'o' && *s != 's' && !(allow_n && *s == 'n'))
			return -1;
	return 0;
}

int check_priority(const char *s)
{
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return -1;
	v = strtol(s, &end, 10);
	if (*end != '\0' || v < -1024 || v > 1023)
		return -1;
	return 0;
}

int check_job_name(const char *s)
{
	size_t n;

	if (s == NULL || *s == '\0')
		return -1;
	n = strlen(s);
	if (n > 230)
		return -1;
	for (; *s; s++)
		if (!isgraph((unsigned char)*s))
			return -1;
	return 0;
}

int check_join(const char *s)
{
	if (s == NULL)
		return -1;
	return (strcmp(s, "oe") == 0 || strcmp(s, "eo") == 0 || strcmp(s, "n") == 0) ? 0 : -1;
}

static const char *const sig_names[] = {
	"HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1",
	"SEGV", "USR2", "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP",
	"TSTP", "TTIN", "TTOU", "URG", "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH",
	"IO", "PWR", "SYS", NULL
};

int check_signal(const char *s)
{
	const char *n = s;
	int i;

	if (s == NULL || *s == '\0')
		return -1;
	if (strcmp(s, "suspend") == 0 || strcmp(s, "resume") == 0)
		return 0;
	if (isdigit((unsigned char)*s)) {
		char *end;
		long v = strtol(s, &end, 10);

		return (*end == '\0' && v > 0 && v < 65) ? 0 : -1;
	}
	if (strncasecmp(n, "SIG", 3) == 0)
		n += 3;
	for (i = 0; sig_names[i]; i++)
		if (strcasecmp(n, sig_names[i]) == 0)
			return 0;
	return -1;
}
