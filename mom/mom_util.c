/* Small helpers about a job that several MOM files need. */
#include "mom/mom_util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/attr_names.h"
#include "lib/util.h"

const char *mom_job_user(const struct mom_job *j)
{
	static char owner[256];
	const char *u = attrl_get(&j->attrs, ATTR_euser, NULL);
	size_t n;

	if (u && *u)
		return u;
	u = attrl_get(&j->attrs, ATTR_owner, NULL);
	if (!u)
		return NULL;
	n = strcspn(u, "@");
	if (n >= sizeof(owner))
		return NULL;
	memcpy(owner, u, n);
	owner[n] = '\0';
	return owner;
}

long mom_parse_hms(const char *s)
{
	long parts[3] = { 0, 0, 0 }, v;
	int n = 0;
	const char *p = s;

	if (!s || !*s)
		return -1;
	for (;;) {
		if (!isdigit((unsigned char)*p))
			return -1;
		v = 0;
		while (isdigit((unsigned char)*p)) {
			if (v > 100000000L)
				return -1;
			v = v * 10 + (*p++ - '0');
		}
		if (n == 3)
			return -1;
		parts[n++] = v;
		if (*p == '\0')
			break;
		if (*p != ':')
			return -1;
		p++;
	}
	if (n == 1)
		return parts[0];
	if (n == 2)
		return parts[0] * 60 + parts[1];
	return parts[0] * 3600 + parts[1] * 60 + parts[2];
}

void mom_format_hms(long secs, char *out, size_t n)
{
	if (secs < 0)
		secs = 0;
	snprintf(out, n, "%02ld:%02ld:%02ld", secs / 3600, (secs / 60) % 60, secs % 60);
}

void mom_count_exec_host(const char *eh, int *np, int *nnodes)
{
	char *copy, *save = NULL, *tok, *seen[256];
	int ns = 0, i;

	*np = 0;
	*nnodes = 0;
	if (!eh || !*eh)
		return;
	copy = xstrdup(eh);
	for (tok = strtok_r(copy, "+", &save); tok; tok = strtok_r(NULL, "+", &save)) {
		char *slash = strchr(tok, '/');

		if (slash)
			*slash = '\0';
		(*np)++;
		for (i = 0; i < ns; i++)
			if (strcmp(seen[i], tok) == 0)
				break;
		if (i == ns && ns < 256)
			seen[ns++] = tok;
	}
	*nnodes = ns;
	free(copy);
}

unsigned long long mom_proc_starttime(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long start = 0;
	FILE *f;
	int field;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return 0;
	}
	fclose(f);
	/* comm may hold spaces and parens: fields count from the last ')'. */
	p = strrchr(buf, ')');
	if (!p)
		return 0;
	p++;
	for (field = 3; field <= 22 && p; field++) {
		p = strchr(p, ' ');
		if (!p)
			break;
		p++;
		if (field == 22)        /* p is at field `field` now */
			start = strtoull(p, NULL, 10);
	}
	/* state Z: the pid exists but the process is over. */
	return start;
}

/* The fixed PATH, after the bin/ beside this MOM's sbin/ (where make
 * install puts qalter and the cr_* tools): the restart script's hooks
 * call qalter by name. */
static char *script_path(void)
{
	static const char fixed[] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	char exe[4096], *slash, *bin;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *out;

	if (n <= 0)
		return xasprintf("PATH=%s", fixed);
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return xasprintf("PATH=%s", fixed);
	*slash = '\0';
	bin = xasprintf("%s/../bin", exe);
	if (access(bin, X_OK) == 0) {
		char *norm = realpath(bin, NULL);

		out = xasprintf("PATH=%s:%s", norm ? norm : bin, fixed);
		free(norm);
	} else {
		out = xasprintf("PATH=%s", fixed);
	}
	free(bin);
	return out;
}

char **mom_script_env(const struct mom *m, const struct mom_job *j)
{
	extern char **environ;
	char **env = xcalloc(32, sizeof(char *));
	int n = 0;
	char **e;

	env[n++] = script_path();
	env[n++] = xasprintf("PBS_HOME=%s", m->home);
	env[n++] = xasprintf("PBS_JOBID=%s", j->jobid);
	env[n++] = xstrdup("HOME=/root");
	env[n++] = xstrdup("LANG=C");
	/* The MOM's own settings for the checkpoint tools (which CRIU, which
	 * key, where the server's socket is): the operator's, not the user's. */
	for (e = environ; *e && n < 30; e++)
		if (strncmp(*e, "CKMIG_", 6) == 0 || strncmp(*e, "PBS_SERVER_SOCKET=", 18) == 0 ||
		    strncmp(*e, "TCLLIBPATH=", 11) == 0)
			env[n++] = xstrdup(*e);
	env[n] = NULL;
	return env;
}
