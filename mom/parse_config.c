/* mom_priv/config parser (Torque: resmom/parse_config.c). Each honoured
 * keyword has one setter in the table below; Torque keywords this MOM does
 * not implement are named in a second table so the warning can say so. */
#include "mom/parse_config.h"
#include "lib/ckpt_option.h"

#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "lib/util.h"

#define MAX_CONFIG_BYTES (1 << 20)

void mom_config_init(struct mom_config *c)
{
	memset(c, 0, sizeof(*c));
	c->server_port = MOM_DEFAULT_SERVER_PORT;
	c->logevent = 0x1ff;            /* Torque's default: all but debug */
	c->status_update_time = 45;
	c->check_poll_time = 1;
	c->kill_delay = 2;
	c->checkpoint_interval = 600;      /* Torque: 10 minutes */
	c->checkpoint_timeout = 300;
	c->checkpoint_xfer_timeout = 60;
	/* what a checkpoint of an ordinary job takes, with room; it grows
	 * with the job's memory (walltime_ckpt.c) */
	c->walltime_checkpoint_margin = 300;
}

void mom_config_free(struct mom_config *c)
{
	int i;

	free(c->pbsserver);
	free(c->mom_host);
	free(c->checkpoint_script);
	free(c->restart_script);
	free(c->checkpoint_run_exe);
	for (i = 0; i < c->n_remote_checkpoint_dirs; i++)
		free(c->remote_checkpoint_dirs[i]);
	for (i = 0; i < c->n_allowed_checkpoint_dirs; i++)
		free(c->allowed_checkpoint_dirs[i]);
	for (i = 0; i < c->n_usecp; i++) {
		free(c->usecp[i].host);
		free(c->usecp[i].from);
		free(c->usecp[i].to);
	}
	for (i = 0; i < c->n_restricted; i++)
		free(c->restricted[i]);
	for (i = 0; i < c->n_static_res; i++) {
		free(c->static_res[i].name);
		free(c->static_res[i].value);
	}
	memset(c, 0, sizeof(*c));
}

/* A setter gets the trimmed value and returns 0, or -1 with a message. */
typedef int (*setter_fn)(struct mom_config *c, char *val, char *err, size_t errlen);

static int parse_uint(const char *val, long max, long *out)
{
	char *end;
	long v;

	if (!*val || !isdigit((unsigned char)*val))
		return -1;
	errno = 0;
	v = strtol(val, &end, 0);
	if (errno || *end || v < 0 || v > max)
		return -1;
	*out = v;
	return 0;
}

static int set_int(int *dst, const char *val, long min, long max, const char *what,
		   char *err, size_t errlen)
{
	long v;

	if (parse_uint(val, max, &v) < 0 || v < min) {
		snprintf(err, errlen, "%s needs a whole number from %ld to %ld, not \"%s\"",
			 what, min, max, val);
		return -1;
	}
	*dst = (int)v;
	return 0;
}

static int set_path(char **dst, const char *val, const char *what, int must_exec,
		    char *err, size_t errlen)
{
	if (val[0] != '/') {
		snprintf(err, errlen, "%s needs an absolute path, not \"%s\"", what, val);
		return -1;
	}
	/* Torque refuses a $checkpoint_run_exe it cannot execute: without it
	 * every checkpointable job would die at launch with 254. */
	if (must_exec && access(val, X_OK) < 0) {
		snprintf(err, errlen, "%s %s is not executable: %s", what, val, strerror(errno));
		return -1;
	}
	free(*dst);
	*dst = xstrdup(val);
	return 0;
}

/* A host name as resolvers take it: 1..255 bytes of letters, digits,
 * '-', '.', '_'. A 70 000-byte $mom_host used to be taken and then sent
 * in every status report. */
static int valid_host(const char *v)
{
	size_t n = strlen(v);

	return n > 0 && n <= 255 && strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					      "0123456789-._") == n;
}

static int set_pbsserver(struct mom_config *c, char *val, char *err, size_t errlen)
{
	char *colon = strrchr(val, ':');
	long port;

	if (c->pbsserver) {
		snprintf(err, errlen, "$pbsserver given twice (this MOM reports to one server)");
		return -1;
	}
	if (colon) {
		if (parse_uint(colon + 1, 65535, &port) < 0 || port == 0) {
			snprintf(err, errlen, "$pbsserver: bad port in \"%s\"", val);
			return -1;
		}
		*colon = '\0';
		c->server_port = (int)port;
	}
	if (!valid_host(val)) {
		snprintf(err, errlen, "$pbsserver needs one host name (up to 255 letters, digits, "
			 "'-', '.', '_')");
		return -1;
	}
	c->pbsserver = xstrdup(val);
	return 0;
}

static int set_mom_host(struct mom_config *c, char *val, char *err, size_t errlen)
{
	if (!valid_host(val)) {
		snprintf(err, errlen, "$mom_host needs one host name (up to 255 letters, digits, "
			 "'-', '.', '_')");
		return -1;
	}
	free(c->mom_host);
	c->mom_host = xstrdup(val);
	return 0;
}

static int set_logevent(struct mom_config *c, char *val, char *err, size_t errlen)
{
	long v;

	if (parse_uint(val, 0xffff, &v) < 0) {
		snprintf(err, errlen, "$logevent needs a number (mask), not \"%s\"", val);
		return -1;
	}
	c->logevent = (unsigned)v;
	return 0;
}

static int set_status_update_time(struct mom_config *c, char *val, char *err, size_t errlen)
{
	return set_int(&c->status_update_time, val, 1, 3600, "$status_update_time", err, errlen);
}

static int set_check_poll_time(struct mom_config *c, char *val, char *err, size_t errlen)
{
	return set_int(&c->check_poll_time, val, 1, 3600, "$check_poll_time", err, errlen);
}

static int set_kill_delay(struct mom_config *c, char *val, char *err, size_t errlen)
{
	return set_int(&c->kill_delay, val, 0, 3600, "$kill_delay", err, errlen);
}

static int set_checkpoint_script(struct mom_config *c, char *val, char *err, size_t errlen)
{
	return set_path(&c->checkpoint_script, val, "$checkpoint_script", 0, err, errlen);
}

static int set_restart_script(struct mom_config *c, char *val, char *err, size_t errlen)
{
	return set_path(&c->restart_script, val, "$restart_script", 0, err, errlen);
}

static int set_checkpoint_run_exe(struct mom_config *c, char *val, char *err, size_t errlen)
{
	return set_path(&c->checkpoint_run_exe, val, "$checkpoint_run_exe", 1, err, errlen);
}

/* Torque counts minutes; ckmig also takes "Ns" for seconds (tests and
 * short jobs). Stored in seconds. */
static int set_checkpoint_interval(struct mom_config *c, char *val, char *err, size_t errlen)
{
	size_t n = strlen(val);
	int secs = n > 1 && val[n - 1] == 's', v;

	if (secs || (n > 1 && val[n - 1] == 'm'))
		val[n - 1] = '\0';
	if (set_int(&v, val, 1, 525600, "$checkpoint_interval (minutes, or Ns for seconds)",
		    err, errlen) < 0)
		return -1;
	c->checkpoint_interval = secs ? v : v * 60;
	return 0;
}

static int set_checkpoint_xfer_timeout(struct mom_config *c, char *val, char *err, size_t errlen)
{
	return set_int(&c->checkpoint_xfer_timeout, val, 1, 3600,
		       "$checkpoint_xfer_timeout (seconds)", err, errlen);
}

static int set_checkpoint_timeout(struct mom_config *c, char *val, char *err, size_t errlen)
{
	return set_int(&c->checkpoint_timeout, val, 1, 86400, "$checkpoint_timeout (seconds)",
		       err, errlen);
}

/* ckmig's: how long before a job's walltime its MOM checkpoints it (jobs
 * with walltime_total, and with $checkpoint_at_walltime every
 * checkpointable job); the least margin, seconds. */
static int set_walltime_checkpoint_margin(struct mom_config *c, char *val, char *err,
					  size_t errlen)
{
	return set_int(&c->walltime_checkpoint_margin, val, 1, 86400,
		       "$walltime_checkpoint_margin (seconds)", err, errlen);
}

/* ckmig's: a checkpointable job without walltime_total that reaches its
 * walltime is checkpointed and held, not killed. Torque's boolean words. */
static int set_checkpoint_at_walltime(struct mom_config *c, char *val, char *err, size_t errlen)
{
	if (!strcasecmp(val, "true") || !strcasecmp(val, "yes") || !strcmp(val, "1") ||
	    !strcasecmp(val, "on")) {
		c->checkpoint_at_walltime = 1;
	} else if (!strcasecmp(val, "false") || !strcasecmp(val, "no") || !strcmp(val, "0") ||
		   !strcasecmp(val, "off")) {
		c->checkpoint_at_walltime = 0;
	} else {
		snprintf(err, errlen, "$checkpoint_at_walltime needs true or false, not \"%s\"", val);
		return -1;
	}
	return 0;
}

/* Torque splits the list on space, tab, comma and colon, and keeps at most
 * TMAX_RCDCOUNT entries; it drops the rest silently, we refuse them. */
static int set_remote_checkpoint_dirs(struct mom_config *c, char *val, char *err, size_t errlen)
{
	char *save = NULL, *tok;

	for (tok = strtok_r(val, " \t,:", &save); tok; tok = strtok_r(NULL, " \t,:", &save)) {
		if (c->n_remote_checkpoint_dirs >= MOM_MAX_REMOTE_DIRS) {
			snprintf(err, errlen, "$remote_checkpoint_dirs: more than %d directories",
				 MOM_MAX_REMOTE_DIRS);
			return -1;
		}
		if (tok[0] != '/' && strcmp(tok, "*") != 0) {
			snprintf(err, errlen, "$remote_checkpoint_dirs: \"%s\" is not an absolute path or *",
				 tok);
			return -1;
		}
		c->remote_checkpoint_dirs[c->n_remote_checkpoint_dirs++] = xstrdup(tok);
	}
	return 0;
}

/* ckmig's: parents (beside the MOM's own checkpoint directory and
 * $remote_checkpoint_dirs) under which a job's checkpoint_dir may lead
 * root to write. The MOM checks this itself: it writes as root and does
 * not take the server's word for where. */
static int set_allowed_checkpoint_dirs(struct mom_config *c, char *val, char *err, size_t errlen)
{
	char *save = NULL, *tok, why[256];

	for (tok = strtok_r(val, " \t,:", &save); tok; tok = strtok_r(NULL, " \t,:", &save)) {
		if (c->n_allowed_checkpoint_dirs >= MOM_MAX_REMOTE_DIRS) {
			snprintf(err, errlen, "$allowed_checkpoint_dirs: more than %d directories",
				 MOM_MAX_REMOTE_DIRS);
			return -1;
		}
		if (ckpt_dir_check(tok, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "$allowed_checkpoint_dirs: %s", why);
			return -1;
		}
		c->allowed_checkpoint_dirs[c->n_allowed_checkpoint_dirs++] = xstrdup(tok);
	}
	return 0;
}

static int set_usecp(struct mom_config *c, char *val, char *err, size_t errlen)
{
	char *colon = strchr(val, ':');
	char *sp = strpbrk(val, " \t");
	char *to;

	if (!colon || !sp || sp < colon) {
		snprintf(err, errlen, "$usecp needs \"host:path localpath\", not \"%s\"", val);
		return -1;
	}
	if (c->n_usecp >= MOM_MAX_USECP) {
		snprintf(err, errlen, "$usecp: more than %d mappings", MOM_MAX_USECP);
		return -1;
	}
	*colon = '\0';
	*sp = '\0';
	to = sp + 1;
	while (*to == ' ' || *to == '\t')
		to++;
	if (!*val || colon[1] != '/' || to[0] != '/' || strpbrk(to, " \t")) {
		snprintf(err, errlen, "$usecp needs \"host:/path /localpath\"");
		return -1;
	}
	c->usecp[c->n_usecp].host = xstrdup(val);
	c->usecp[c->n_usecp].from = xstrdup(colon + 1);
	c->usecp[c->n_usecp].to = xstrdup(to);
	c->n_usecp++;
	return 0;
}

static int set_restricted(struct mom_config *c, char *val, char *err, size_t errlen)
{
	char *save = NULL, *tok;

	for (tok = strtok_r(val, " \t,", &save); tok; tok = strtok_r(NULL, " \t,", &save)) {
		if (c->n_restricted >= MOM_MAX_RESTRICTED) {
			snprintf(err, errlen, "$restricted: more than %d hosts", MOM_MAX_RESTRICTED);
			return -1;
		}
		c->restricted[c->n_restricted++] = xstrdup(tok);
	}
	return 0;
}

static const struct {
	const char *name;
	setter_fn set;
} keywords[] = {
	{ "pbsserver", set_pbsserver },
	{ "mom_host", set_mom_host },
	{ "logevent", set_logevent },
	{ "status_update_time", set_status_update_time },
	{ "check_poll_time", set_check_poll_time },
	{ "kill_delay", set_kill_delay },
	{ "usecp", set_usecp },
	{ "restricted", set_restricted },
	{ "checkpoint_script", set_checkpoint_script },
	{ "restart_script", set_restart_script },
	{ "checkpoint_run_exe", set_checkpoint_run_exe },
	{ "checkpoint_interval", set_checkpoint_interval },
	{ "checkpoint_timeout", set_checkpoint_timeout },
	{ "checkpoint_xfer_timeout", set_checkpoint_xfer_timeout },
	{ "walltime_checkpoint_margin", set_walltime_checkpoint_margin },
	{ "checkpoint_at_walltime", set_checkpoint_at_walltime },
	{ "remote_checkpoint_dirs", set_remote_checkpoint_dirs },
	{ "allowed_checkpoint_dirs", set_allowed_checkpoint_dirs },
};

/* Torque's keywords that this MOM knows but does not implement. */
static const char *const torque_only[] = {
	"alias_server_name", "clienthost", "configversion", "cputmult", "down_on_error",
	"enablemomrestart", "ideal_load", "igncput", "ignmem", "ignvmem", "ignwalltime",
	"job_output_file_umask", "jobstarter", "loglevel", "log_file_max_size",
	"log_file_roll_depth", "log_keep_days", "max_load", "node_check_script",
	"node_check_interval", "nodefile_suffix", "prologalarm", "rcpcmd", "reduce_prolog_checks",
	"remote_reconfig", "source_login_batch", "spool_as_final_name", "timeout", "tmpdir",
	"varattr", "wallmult", "xauthpath",
};

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static void warnf(mom_config_warn_fn warn, void *arg, int line, const char *fmt, const char *a)
{
	char msg[512];

	if (!warn)
		return;
	snprintf(msg, sizeof(msg), fmt, a);
	warn(arg, line, msg);
}

static int parse_line(struct mom_config *c, char *s, int lineno, mom_config_warn_fn warn,
		      void *warn_arg, char *err, size_t errlen)
{
	char *key, *val, *sp;
	size_t i;
	char why[384];

	sp = s + strcspn(s, " \t");
	val = trim(sp);
	if (*sp)
		*sp = '\0';
	key = s;
	if (key[0] != '$') {
		/* Torque: a line "name value" is a static resource reported
		 * in the node's status. */
		if (!*val) {
			snprintf(err, errlen, "line %d: \"%s\" has no value", lineno, key);
			return -1;
		}
		if (val[0] == '!') {
			warnf(warn, warn_arg, lineno,
			      "shell-command resource \"%s\" is not supported, ignored", key);
			return 0;
		}
		if (c->n_static_res >= MOM_MAX_STATIC_RES) {
			snprintf(err, errlen, "line %d: more than %d static resources", lineno,
				 MOM_MAX_STATIC_RES);
			return -1;
		}
		c->static_res[c->n_static_res].name = xstrdup(key);
		c->static_res[c->n_static_res].value = xstrdup(val);
		c->n_static_res++;
		return 0;
	}
	key++;
	for (i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++) {
		if (strcasecmp(key, keywords[i].name) != 0)
			continue;
		if (!*val) {
			snprintf(err, errlen, "line %d: $%s needs a value", lineno, keywords[i].name);
			return -1;
		}
		if (keywords[i].set(c, val, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "line %d: %s", lineno, why);
			return -1;
		}
		return 0;
	}
	for (i = 0; i < sizeof(torque_only) / sizeof(torque_only[0]); i++) {
		if (strcasecmp(key, torque_only[i]) == 0) {
			warnf(warn, warn_arg, lineno,
			      "Torque keyword $%s is not implemented by ckmig_mom; ignored", key);
			return 0;
		}
	}
	warnf(warn, warn_arg, lineno, "unknown keyword $%s; ignored", key);
	return 0;
}

int mom_config_parse(struct mom_config *c, const char *text, mom_config_warn_fn warn,
		     void *warn_arg, char *err, size_t errlen)
{
	char *copy = xstrdup(text), *line, *next;
	int lineno = 0, rc = -1;

	for (line = copy; line; line = next) {
		char *s;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		s = trim(line);
		if (!*s || *s == '#')
			continue;
		if (parse_line(c, s, lineno, warn, warn_arg, err, errlen) < 0)
			goto out;
	}
	rc = 0;
out:
	free(copy);
	return rc;
}

int mom_config_load(struct mom_config *c, const char *path, mom_config_warn_fn warn,
		    void *warn_arg, char *err, size_t errlen)
{
	char *text = NULL;
	size_t len;
	int rc = -1;

	if (read_file(path, MAX_CONFIG_BYTES, &text, &len) < 0) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		goto out;
	}
	if (strlen(text) != len) {
		snprintf(err, errlen, "%s: NUL byte in file", path);
		goto out;
	}
	rc = mom_config_parse(c, text, warn, warn_arg, err, errlen);
out:
	free(text);
	return rc;
}

int mom_config_is_remote_dir(const struct mom_config *c, const char *path)
{
	int i;

	if (!path || !*path)
		return 0;
	for (i = 0; i < c->n_remote_checkpoint_dirs; i++) {
		const char *d = c->remote_checkpoint_dirs[i];

		if (strcmp(d, "*") == 0 || strncasecmp(path, d, strlen(d)) == 0)
			return 1;
	}
	return 0;
}

const char *mom_config_ckpt_parent(const struct mom_config *c, const char *base,
				   const char *dir)
{
	int i;

	if (!dir || ckpt_dir_check(dir, NULL, 0) < 0)
		return NULL;
	if (base && ckpt_dir_under(dir, base))
		return base;
	/* "*" in $remote_checkpoint_dirs says every directory is shared; it
	 * does not say root may write anywhere */
	for (i = 0; i < c->n_remote_checkpoint_dirs; i++)
		if (c->remote_checkpoint_dirs[i][0] == '/' &&
		    ckpt_dir_under(dir, c->remote_checkpoint_dirs[i]))
			return c->remote_checkpoint_dirs[i];
	for (i = 0; i < c->n_allowed_checkpoint_dirs; i++)
		if (ckpt_dir_under(dir, c->allowed_checkpoint_dirs[i]))
			return c->allowed_checkpoint_dirs[i];
	return NULL;
}

char *mom_config_usecp_map(const struct mom_config *c, const char *host, const char *path)
{
	int i;

	for (i = 0; i < c->n_usecp; i++) {
		const struct mom_usecp *u = &c->usecp[i];
		size_t n = strlen(u->from);

		if (fnmatch(u->host, host ? host : "", FNM_CASEFOLD) != 0)
			continue;
		if (strncmp(path, u->from, n) != 0)
			continue;
		return xasprintf("%s%s", u->to, path + n);
	}
	return NULL;
}
