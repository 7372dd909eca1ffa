/* Small helpers about a job that several MOM files need. */
#include "mom/mom_util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checkpoint/libckpt.h"
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
	struct ckpt_proc_stat st;

	/* state Z: the pid exists but the process is over. */
	return ckpt_proc_stat(pid, &st) == 0 ? st.starttime : 0;
}

/* The environment pbs_mom gives its checkpoint and restart scripts: its
 * own, which it replaced at start with $PBS_HOME/pbs_environment
 * (setup_env(), lib/Liblog/setup_env.c): NAME=VALUE lines as they are, a
 * bare NAME takes that variable from the environment the MOM was started
 * with, lines starting with '#', a space or empty are skipped, at most 64;
 * PBSDEBUG is kept.  No file: an empty environment.  The user's
 * Variable_List never reaches a root process. */
char **mom_script_env(const struct mom *m, const struct mom_job *j)
{
	enum { MAX_ENV = 64 };
	char **env = xcalloc(MAX_ENV + 2, sizeof(char *)), *path, line[256];
	int n = 0;
	FILE *f;

	(void)j;
	path = xasprintf("%s/pbs_environment", m->home);
	f = fopen(path, "re");
	free(path);
	while (f && n < MAX_ENV && fgets(line, sizeof(line), f)) {
		size_t len = strlen(line);
		const char *val;

		if (line[0] == '#' || line[0] == ' ' || line[0] == '\n')
			continue;
		if (len && line[len - 1] == '\n')
			line[len - 1] = '\0';
		if (strchr(line, '='))
			env[n++] = xstrdup(line);
		else if ((val = getenv(line)))
			env[n++] = xasprintf("%s=%s", line, val);
	}
	if (f)
		fclose(f);
	if (getenv("PBSDEBUG"))
		env[n++] = xasprintf("PBSDEBUG=%s", getenv("PBSDEBUG"));
	env[n] = NULL;
	return env;
}

/* envp (from mom_script_env) with NAME=VALUE in place of any NAME it had:
 * what a request asks for wins over pbs_environment. */
char **mom_env_put(char **envp, const char *assignment)
{
	size_t n = 0, k = 0, len = strcspn(assignment, "=") + 1;

	while (envp[n])
		n++;
	envp = xrealloc(envp, (n + 2) * sizeof(char *));
	for (size_t i = 0; i < n; i++) {
		if (strncmp(envp[i], assignment, len) == 0)
			free(envp[i]);
		else
			envp[k++] = envp[i];
	}
	envp[k++] = xstrdup(assignment);
	envp[k] = NULL;
	return envp;
}
