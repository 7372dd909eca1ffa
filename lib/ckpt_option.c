/* The Checkpoint attribute, parsed once for qsub, server and MOM. */
#include "lib/ckpt_option.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum val_kind { V_NONE, V_MINUTES_OPT, V_MINUTES, V_COUNT, V_PATH };

static const struct {
	const char *word;
	enum val_kind kind;
} words[] = {
	{ "n", V_NONE }, { "none", V_NONE }, { "u", V_NONE }, { "s", V_NONE },
	{ "shutdown", V_NONE }, { "periodic", V_NONE }, { "enabled", V_NONE },
	{ "c", V_MINUTES_OPT }, { "interval", V_MINUTES }, { "depth", V_COUNT },
	{ "dir", V_PATH },
};

static void say(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void say(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* "N", "Nm" (minutes, Torque's unit) or "Ns" (seconds, ckmig) -> seconds */
static int parse_minutes(const char *v, int *secs)
{
	char *end;
	long n;

	if (!isdigit((unsigned char)*v))
		return -1;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || n > 525600L * 10)
		return -1;
	if (*end == 's' && end[1] == '\0')
		*secs = (int)n;
	else if (*end == '\0' || (*end == 'm' && end[1] == '\0'))
		*secs = (int)(n * 60);
	else
		return -1;
	return 0;
}

static int parse_count(const char *v, int *out)
{
	char *end;
	long n;

	if (!isdigit((unsigned char)*v))
		return -1;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || *end || n > 10000)
		return -1;
	*out = (int)n;
	return 0;
}

int ckpt_dir_check(const char *dir, char *err, size_t errlen)
{
	const char *p;

	if (!dir || !*dir) {
		say(err, errlen, "checkpoint directory is empty");
		return -1;
	}
	if (strlen(dir) >= CKPT_DIR_MAX) {
		say(err, errlen, "checkpoint directory is longer than %d bytes", CKPT_DIR_MAX - 1);
		return -1;
	}
	if (dir[0] != '/') {
		say(err, errlen, "checkpoint directory %s is not an absolute path", dir);
		return -1;
	}
	/* "." and ".." would let a name that looks inside an allowed parent
	 * lead out of it; nobody needs them in a path an operator allowed. */
	for (p = dir; *p; ) {
		size_t n;

		while (*p == '/')
			p++;
		n = strcspn(p, "/");
		if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.')) {
			say(err, errlen, "checkpoint directory %s has a \".\" or \"..\" component", dir);
			return -1;
		}
		p += n;
	}
	return 0;
}

int ckpt_dir_under(const char *dir, const char *parent)
{
	size_t n = strlen(parent);

	while (n > 1 && parent[n - 1] == '/')
		n--;
	if (n == 1 && parent[0] == '/')
		return dir[0] == '/';
	if (strncmp(dir, parent, n) != 0)
		return 0;
	return dir[n] == '\0' || dir[n] == '/';
}

/* One item, trimmed, in buf. 0 or -1 (err set). */
static int parse_item(char *item, struct ckpt_opts *o, int *c_secs, int *iv_secs,
		      char *err, size_t errlen)
{
	char *eq = strchr(item, '='), *key = item, *val = NULL, *end;
	size_t i;
	int secs, n;

	if (eq) {
		*eq = '\0';
		val = eq + 1;
		while (*val == ' ' || *val == '\t')
			val++;
	}
	end = key + strlen(key);
	while (end > key && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcmp(key, words[i].word) == 0)
			break;
	if (i == sizeof(words) / sizeof(words[0])) {
		say(err, errlen, "unknown checkpoint item \"%s\" (items: n none u c s shutdown "
		    "periodic enabled interval= depth= dir=)", key);
		return -1;
	}
	if (val && words[i].kind == V_NONE) {
		say(err, errlen, "checkpoint item %s takes no value", key);
		return -1;
	}
	if (!val && (words[i].kind == V_MINUTES || words[i].kind == V_COUNT ||
		     words[i].kind == V_PATH)) {
		say(err, errlen, "checkpoint item %s needs a value (%s=...)", key, key);
		return -1;
	}
	switch (words[i].kind) {
	case V_NONE:
		if (!strcmp(key, "n") || !strcmp(key, "none"))
			o->none = 1;
		else if (!strcmp(key, "u"))
			o->u = 1;
		else if (!strcmp(key, "s"))
			o->s = 1;
		else if (!strcmp(key, "shutdown"))
			o->shutdown = 1;
		else if (!strcmp(key, "periodic"))
			o->periodic = 1;
		else
			o->enabled = 1;
		return 0;
	case V_MINUTES_OPT:
	case V_MINUTES:
		if (words[i].kind == V_MINUTES_OPT)
			o->c = 1;
		if (!val)
			return 0;
		if (parse_minutes(val, &secs) < 0) {
			say(err, errlen, "checkpoint %s=%s: minutes expected (N, Nm, or Ns for seconds)",
			    key, val);
			return -1;
		}
		{
			int *slot = words[i].kind == V_MINUTES_OPT ? c_secs : iv_secs;

			if (*slot >= 0 && *slot != secs) {
				say(err, errlen, "checkpoint %s given twice with different values", key);
				return -1;
			}
			*slot = secs;
		}
		return 0;
	case V_COUNT:
		if (parse_count(val, &n) < 0) {
			say(err, errlen, "checkpoint depth=%s: a number 0..10000 expected", val);
			return -1;
		}
		if (o->depth && o->depth != n) {
			say(err, errlen, "checkpoint depth given twice with different values");
			return -1;
		}
		o->depth = n;
		return 0;
	case V_PATH:
		if (ckpt_dir_check(val, err, errlen) < 0)
			return -1;
		if (o->dir[0] && strcmp(o->dir, val)) {
			say(err, errlen, "checkpoint dir given twice with different values");
			return -1;
		}
		snprintf(o->dir, sizeof(o->dir), "%s", val);
		return 0;
	}
	return -1;
}

int ckpt_opts_parse(const char *val, struct ckpt_opts *o, char *err, size_t errlen)
{
	char *copy = NULL, *p, *item;
	int c_secs = -1, iv_secs = -1, rc = -1;

	memset(o, 0, sizeof(*o));
	say(err, errlen, "%s", "");
	if (!val)
		return 0;
	for (p = (char *)val; *p == ' ' || *p == '\t'; p++)
		;
	if (!*p)
		return 0;
	copy = strdup(val);
	if (!copy) {
		say(err, errlen, "out of memory");
		return -1;
	}
	for (p = copy;; ) {
		char *comma = strchr(p, ','), *end;

		if (comma)
			*comma = '\0';
		for (item = p; *item == ' ' || *item == '\t'; item++)
			;
		end = item + strlen(item);
		while (end > item && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		if (!*item) {
			say(err, errlen, "empty item in checkpoint list \"%s\"", val);
			goto out;
		}
		if (parse_item(item, o, &c_secs, &iv_secs, err, errlen) < 0)
			goto out;
		if (!comma)
			break;
		p = comma + 1;
	}
	if (c_secs >= 0 && iv_secs >= 0 && c_secs != iv_secs) {
		say(err, errlen, "checkpoint c=N and interval=M disagree");
		goto out;
	}
	o->interval = c_secs >= 0 ? c_secs : iv_secs >= 0 ? iv_secs : 0;
	if ((o->none || o->u) && (o->c || o->s || o->shutdown || o->periodic || o->enabled)) {
		say(err, errlen, "checkpoint list \"%s\" contradicts itself: %s beside an item that "
		    "enables checkpointing", val, o->none ? "n/none" : "u");
		goto out;
	}
	rc = 0;
out:
	free(copy);
	if (rc < 0)
		memset(o, 0, sizeof(*o));   /* nothing half-set behind */
	return rc;
}

int ckpt_checkpointable(const struct ckpt_opts *o)
{
	return !o->none && (o->c || o->s || o->enabled || o->shutdown || o->periodic);
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

int nodes_spec_count(const char *spec)
{
	const char *p = spec;
	long total = 0;

	if (!spec || !*spec)
		return 0;
	for (;;) {
		size_t len = strcspn(p, "+");
		size_t head = strcspn(p, ":+");

		if (head == 0)
			return 0;
		if (isdigit((unsigned char)p[0])) {
			char *end;
			long n = strtol(p, &end, 10);

			if ((size_t)(end - p) != head || n < 1 || n > 1000000)
				return 0;
			total += n;
		} else {
			total += 1;
		}
		if (total > 1000000)
			return 0;
		if (p[len] != '+')
			break;
		p += len + 1;
	}
	return (int)total;
}
