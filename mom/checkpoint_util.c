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

/* Torque matches an item by prefix followed by a non-letter, so "c"
 * matches "c" and "c=30" but not "checkpoint". Returns the text after the
 * name ("" or "=..."), or NULL. */
static const char *item_is(const char *item, const char *name)
{
	size_t n = strlen(name);

	if (strncmp(item, name, n) != 0)
		return NULL;
	if (isalpha((unsigned char)item[n]))
		return NULL;
	return item + n;
}

/* "=N" in minutes -> seconds. ckmig also accepts "=Ns" (seconds) so tests
 * and short jobs need not wait minutes. */
static int parse_minutes(const char *rest, int *secs)
{
	char *end;
	long v;

	if (rest[0] != '=' || !isdigit((unsigned char)rest[1]))
		return -1;
	errno = 0;
	v = strtol(rest + 1, &end, 10);
	if (errno || v < 0 || v > 525600L * 10)
		return -1;
	if (*end == 's' && end[1] == '\0')
		*secs = (int)v;
	else if (*end == '\0' || (*end == 'm' && end[1] == '\0'))
		*secs = (int)(v * 60);
	else
		return -1;
	return 0;
}

int ckpt_opts_parse(const char *val, struct ckpt_opts *o)
{
	char *copy, *save = NULL, *item;
	const char *rest;
	int rc = -1;

	memset(o, 0, sizeof(*o));
	copy = xstrdup(val ? val : "");
	for (item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		while (*item == ' ')
			item++;
		if (strncmp(item, "dir=", 4) == 0) {
			if (strlcpy_ck(o->dir, item + 4, sizeof(o->dir)) >= sizeof(o->dir))
				goto out;
		} else if (strncmp(item, "depth=", 6) == 0) {
			char *end;
			long v;

			errno = 0;
			v = strtol(item + 6, &end, 10);
			if (errno || !isdigit((unsigned char)item[6]) || *end || v < 0 || v > 10000)
				goto out;
			o->depth = (int)v;
		} else if ((rest = item_is(item, "interval"))) {
			if (parse_minutes(rest, &o->interval) < 0)
				goto out;
		} else if ((rest = item_is(item, "none")) && !*rest) {
			o->none = 1;
		} else if ((rest = item_is(item, "n")) && !*rest) {
			o->none = 1;
		} else if ((rest = item_is(item, "enabled")) && !*rest) {
			o->enabled = 1;
		} else if ((rest = item_is(item, "shutdown")) && !*rest) {
			o->shutdown = 1;
		} else if ((rest = item_is(item, "periodic")) && !*rest) {
			o->periodic = 1;
		} else if ((rest = item_is(item, "s")) && !*rest) {
			o->s = 1;
		} else if ((rest = item_is(item, "c"))) {
			o->c = 1;
			if (*rest && parse_minutes(rest, &o->interval) < 0)
				goto out;
		}
		/* "u" (unspecified) and unknown items: nothing, as in Torque. */
	}
	rc = 0;
out:
	free(copy);
	return rc;
}

int ckpt_mom_checkpointable(const struct ckpt_opts *o, int have_script)
{
	if (!have_script || o->none)
		return 0;
	return o->c || o->s || o->enabled || o->shutdown || o->periodic;
}

int ckpt_server_checkpointable(const struct ckpt_opts *o)
{
	return !o->none && (o->s || o->c || o->enabled);
}

int ckpt_at_shutdown(const struct ckpt_opts *o)
{
	return !o->none && (o->s || o->shutdown);
}

int ckpt_periodic_interval(const struct ckpt_opts *o, int default_interval)
{
	if (o->none || !(o->c || o->periodic))
		return 0;
	return o->interval > 0 ? o->interval : default_interval;
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
