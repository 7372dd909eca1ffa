/* Resource values as Torque reads them (times, sizes, counts, node
 * specs) and the names of the resources a job may ask for. Shared by
 * qsub/qalter (parse_resc.c) and the server's door (job_check.c), so
 * a value means the same on both sides. Pure functions. */
#include "lib/resc_value.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

long parse_time_value(const char *s)
{
	long part[3] = { 0, 0, 0 };
	int n = 0;
	const char *p = s;

	if (s == NULL || *s == '\0')
		return -1;
	for (;;) {
		char *end;
		long v;

		if (!isdigit((unsigned char)*p))
			return -1;
		v = strtol(p, &end, 10);
		if (v < 0 || v > 100000000L)
			return -1;
		if (n == 3)
			return -1;
		part[n++] = v;
		p = end;
		if (*p == ':') {
			p++;
			continue;
		}
		if (*p == '.') {  /* fractions of a second: accepted, dropped */
			p++;
			while (isdigit((unsigned char)*p))
				p++;
		}
		break;
	}
	if (*p != '\0')
		return -1;
	if (n == 1)
		return part[0];
	/* MM:SS or HH:MM:SS; minutes and seconds beyond 59 only in front */
	if (part[n - 1] > 59 || (n == 3 && part[1] > 59))
		return -1;
	if (n == 2)
		return part[0] * 60 + part[1];
	return part[0] * 3600 + part[1] * 60 + part[2];
}

long long parse_size_value(const char *s)
{
	static const struct { const char *suffix; long long mult; } units[] = {
		{ "", 1 }, { "b", 1 }, { "w", 8 },
		{ "kb", 1LL << 10 }, { "kw", 8LL << 10 },
		{ "mb", 1LL << 20 }, { "mw", 8LL << 20 },
		{ "gb", 1LL << 30 }, { "gw", 8LL << 30 },
		{ "tb", 1LL << 40 }, { "tw", 8LL << 40 },
	};
	char *end;
	long long v;
	size_t i;

	if (s == NULL || !isdigit((unsigned char)*s))
		return -1;
	v = strtoll(s, &end, 10);
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcasecmp(end, units[i].suffix) == 0) {
			if (v > (1LL << 62) / units[i].mult)
				return -1;
			return v * units[i].mult;
		}
	}
	return -1;
}

static int is_count(const char *s)
{
	char *end;
	long v;

	if (!isdigit((unsigned char)*s))
		return 0;
	v = strtol(s, &end, 10);
	return *end == '\0' && v > 0 && v < 1000000;
}

static int is_name_char(int c)
{
	return isalnum(c) || c == '-' || c == '_' || c == '.';
}

/* one "N|host[:item]..." element of a node spec, len bytes */
static int check_node_element(const char *s, size_t len)
{
	char part[256];
	char *save = NULL, *tok;
	int first = 1;

	if (len == 0 || len >= sizeof(part))
		return -1;
	memcpy(part, s, len);
	part[len] = '\0';
	if (part[0] == ':' || part[len - 1] == ':' || strstr(part, "::"))
		return -1;
	for (tok = strtok_r(part, ":", &save); tok; tok = strtok_r(NULL, ":", &save), first = 0) {
		char *eq = strchr(tok, '=');
		const char *c;

		if (eq) {
			*eq = '\0';
			if (first || !is_count(eq + 1))
				return -1;
			if (strcmp(tok, "ppn") && strcmp(tok, "gpus") && strcmp(tok, "mics"))
				return -1;
			continue;
		}
		/* "-1" is no host name: a negative count */
		if (first && tok[0] == '-')
			return -1;
		for (c = tok; *c; c++)
			if (!is_name_char((unsigned char)*c))
				return -1;
		if (first && isdigit((unsigned char)tok[0]) && strspn(tok, "0123456789") == strlen(tok) &&
		    !is_count(tok))
			return -1;
	}
	return 0;
}

int check_node_spec(const char *s)
{
	const char *p = s;

	if (s == NULL || *s == '\0')
		return -1;
	for (;;) {
		const char *plus = strchr(p, '+');
		size_t len = plus ? (size_t)(plus - p) : strlen(p);

		if (check_node_element(p, len) < 0)
			return -1;
		if (!plus)
			return 0;
		p = plus + 1;
	}
}

int resc_value_check(const char *name, const char *value, char *err, size_t errlen)
{
	static const char *times[] = { "walltime", "cput", "pcput", "minwclimit", NULL };
	static const char *sizes[] = { "mem", "vmem", "pmem", "pvmem", "file", NULL };
	static const char *counts[] = { "ppn", "ncpus", "procs", "nodect", "gpus", NULL };
	int i;

	for (i = 0; times[i]; i++)
		if (strcmp(name, times[i]) == 0 && parse_time_value(value) < 0)
			goto bad;
	for (i = 0; sizes[i]; i++)
		if (strcmp(name, sizes[i]) == 0 && parse_size_value(value) < 0)
			goto bad;
	for (i = 0; counts[i]; i++)
		if (strcmp(name, counts[i]) == 0 && !is_count(value))
			goto bad;
	if (strcmp(name, "nodes") == 0 && check_node_spec(value) < 0)
		goto bad;
	return 0;
bad:
	snprintf(err, errlen, "illegal value for resource %s: %s", name, value);
	return -1;
}


/* Torque's resc_def_all.c names a job may ask for (plus Moab's gres and
 * the like that sites pass through). Anything else is a typo. */
static const char *const known[] = {
	"arch", "cput", "epilogue", "feature", "file", "flags", "gres", "host", "mem",
	"minwclimit", "naccesspolicy", "ncpus", "neednodes", "nice", "nodect", "nodes",
	"opsys", "other", "pcput", "pmem", "procs", "procs_bitmap", "prologue", "pvmem",
	"qos", "signal", "size", "software", "tpn", "trl", "vmem", "walltime", NULL
};

int resc_known(const char *name)
{
	int i;

	for (i = 0; known[i]; i++)
		if (strcmp(name, known[i]) == 0)
			return 1;
	return 0;
}

int resc_kind(const char *name)
{
	static const char *times[] = { "walltime", "cput", "pcput", "minwclimit", NULL };
	static const char *sizes[] = { "mem", "vmem", "pmem", "pvmem", "file", NULL };
	static const char *counts[] = { "ncpus", "procs", "nodect", "nice", NULL };
	int i;

	for (i = 0; times[i]; i++)
		if (!strcmp(name, times[i]))
			return RESC_TIME;
	for (i = 0; sizes[i]; i++)
		if (!strcmp(name, sizes[i]))
			return RESC_SIZE;
	for (i = 0; counts[i]; i++)
		if (!strcmp(name, counts[i]))
			return RESC_COUNT;
	if (!strcmp(name, "nodes"))
		return RESC_NODES;
	return RESC_OTHER;
}
