/* Torque's MOM checkpoint rules (resmom/checkpoint.c), as plain functions. */
#include "mom/checkpoint_util.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint/libckpt.h"
#include "lib/util.h"

int ckpt_mom_checkpointable(const struct ckpt_opts *o, int have_script)
{
	return have_script && ckpt_checkpointable(o);
}

static int ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && strcmp(s + a - b, suffix) == 0;
}

char *ckpt_job_dir(const char *dir, const char *base, const char *jobid)
{
	char *suffix = xasprintf("%s.CK", jobid);
	char *trimmed, *out;
	size_t n;

	if (!dir || !*dir)
		dir = base;
	trimmed = xstrdup(dir);
	n = strlen(trimmed);
	while (n > 1 && trimmed[n - 1] == '/')
		trimmed[--n] = '\0';
	if (ends_with(trimmed, suffix) &&
	    (n == strlen(suffix) || trimmed[n - strlen(suffix) - 1] == '/'))
		out = xstrdup(trimmed);
	else
		out = xasprintf("%s/%s", strcmp(trimmed, "/") == 0 ? "" : trimmed, suffix);
	free(trimmed);
	free(suffix);
	return out;
}

char *ckpt_image_name(const char *jobid, time_t when)
{
	return xasprintf("ckpt.%s.%lld", jobid, (long long)when);
}

static char *arg_or_dash(const char *s)
{
	return xstrdup(s && *s ? s : "-");
}

/* The six arguments both scripts start with, in a zeroed argv of n
 * entries (so it stays NULL-terminated). */
static char **script_argv(size_t n, const char *script, long sid, const char *jobid,
			  const char *user, const char *group, const char *dir,
			  const char *name)
{
	char **argv = xcalloc(n, sizeof(char *));

	argv[0] = xstrdup(script);
	argv[1] = sid > 0 ? xasprintf("%ld", sid) : xstrdup("-");
	argv[2] = arg_or_dash(jobid);
	argv[3] = arg_or_dash(user);
	argv[4] = arg_or_dash(group);
	argv[5] = arg_or_dash(dir);
	argv[6] = arg_or_dash(name);
	return argv;
}

char **ckpt_checkpoint_argv(const char *script, long sid, const char *jobid,
			    const char *user, const char *group, const char *dir,
			    const char *name, int signal, int depth)
{
	char **argv = script_argv(10, script, sid, jobid, user, group, dir, name);

	argv[7] = signal >= 0 ? xasprintf("%d", signal) : xstrdup("-");
	argv[8] = depth > 0 ? xasprintf("%d", depth) : xstrdup("-");
	return argv;
}

char **ckpt_restart_argv(const char *script, long sid, const char *jobid,
			 const char *user, const char *group, const char *dir,
			 const char *name)
{
	return script_argv(8, script, sid, jobid, user, group, dir, name);
}

void ckpt_argv_free(char **argv)
{
	char **p;

	if (!argv)
		return;
	for (p = argv; *p; p++)
		free(*p);
	free(argv);
}

int mom_ckpt_retain(const char *dir, const char *jobid, int depth, char *err, size_t errlen)
{
	char *prefix;
	struct ckpt_err e;
	struct dirent *de;
	DIR *d;
	int rc, n = 0;

	if (depth <= 0)
		return 0;
	prefix = xasprintf("ckpt.%s.", jobid);
	/* Nothing to do while there are no more candidates than depth:
	 * spares libckpt reading every manifest after every checkpoint. */
	d = opendir(dir);
	if (!d) {
		snprintf(err, errlen, "cannot read %s: %s", dir, strerror(errno));
		free(prefix);
		return -1;
	}
	while ((de = readdir(d)))
		if (strncmp(de->d_name, prefix, strlen(prefix)) == 0)
			n++;
	closedir(d);
	if (n <= depth) {
		free(prefix);
		return 0;
	}
	/* libckpt judges what is a complete checkpoint (its manifest): what
	 * it cannot read, an image being written, is never removed. */
	ckpt_err_clear(&e);
	rc = ckpt_retain(dir, prefix, depth, &e);
	if (rc < 0)
		snprintf(err, errlen, "%s", e.msg);
	free(prefix);
	return rc;
}
