/* mom_priv/config: Torque's MOM configuration keywords, parsed into one
 * struct. Pure: no logging, no globals, so the unit tests drive it with
 * strings. Warnings (unknown keywords) go to a callback; errors (a known
 * keyword with a bad value) fail the whole parse, so a typo never silently
 * turns checkpointing off. */
#ifndef CKMIG_MOM_PARSE_CONFIG_H
#define CKMIG_MOM_PARSE_CONFIG_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MOM_MAX_REMOTE_DIRS 32   /* Torque's TMAX_RCDCOUNT */
#define MOM_MAX_USECP 64
#define MOM_MAX_RESTRICTED 64
#define MOM_MAX_STATIC_RES 64
#define MOM_DEFAULT_SERVER_PORT 15001
#define MOM_DEFAULT_MOM_PORT 15002

struct mom_usecp {              /* $usecp host:from to */
	char *host;             /* fnmatch pattern; "*" = any host */
	char *from;
	char *to;
};

struct mom_static_res {         /* a line without '$': "name value" */
	char *name;
	char *value;
};

struct mom_config {
	char *pbsserver;                /* $pbsserver host[:port] */
	int server_port;
	char *mom_host;                 /* $mom_host: node name to report */
	unsigned logevent;              /* $logevent mask (Torque's PBSEVENT_*) */
	int status_update_time;         /* $status_update_time, seconds */
	int check_poll_time;            /* $check_poll_time, seconds (limits) */
	int kill_delay;                 /* $kill_delay: SIGTERM..SIGKILL, s */
	char *checkpoint_script;        /* $checkpoint_script */
	char *restart_script;           /* $restart_script */
	char *checkpoint_run_exe;       /* $checkpoint_run_exe */
	int checkpoint_interval;        /* $checkpoint_interval, in seconds */
	int checkpoint_timeout;         /* $checkpoint_timeout, s (ckmig) */
	int checkpoint_xfer_timeout;    /* $checkpoint_xfer_timeout, s: one step of a MOM-to-MOM copy */
	int walltime_checkpoint_margin; /* $walltime_checkpoint_margin, s (ckmig) */
	int checkpoint_at_walltime;     /* $checkpoint_at_walltime: hold, not kill (ckmig) */
	char *remote_checkpoint_dirs[MOM_MAX_REMOTE_DIRS];
	int n_remote_checkpoint_dirs;
	char *allowed_checkpoint_dirs[MOM_MAX_REMOTE_DIRS];  /* $allowed_checkpoint_dirs */
	int n_allowed_checkpoint_dirs;
	struct mom_usecp usecp[MOM_MAX_USECP];
	int n_usecp;
	char *restricted[MOM_MAX_RESTRICTED];
	int n_restricted;
	struct mom_static_res static_res[MOM_MAX_STATIC_RES];
	int n_static_res;
};

/* Called once per warning with the 1-based line and a message. */
typedef void (*mom_config_warn_fn)(void *arg, int line, const char *msg);

/* Defaults as Torque's pbs_mom has them (checkpoint_interval 10 min,
 * status_update_time 45 s, ...) plus ckmig's checkpoint_timeout. */
void mom_config_init(struct mom_config *c);
void mom_config_free(struct mom_config *c);

/* Parse the text of a config file into c (which must be initialised).
 * Returns 0, or -1 with "line N: why" in err; c is then partly filled and
 * must only be freed. */
int mom_config_parse(struct mom_config *c, const char *text,
		     mom_config_warn_fn warn, void *warn_arg,
		     char *err, size_t errlen);

/* Read and parse a file; a missing file is an error. */
int mom_config_load(struct mom_config *c, const char *path,
		    mom_config_warn_fn warn, void *warn_arg,
		    char *err, size_t errlen);

/* Torque's in_remote_checkpoint_dir(): is path under one of the remote
 * checkpoint dirs? Case-insensitive prefix match, "*" matches everything. */
int mom_config_is_remote_dir(const struct mom_config *c, const char *path);

/* The checkpoint_dir policy at the MOM: the allowed parent dir lies
 * under (base = the MOM's own checkpoint directory, then the absolute
 * $remote_checkpoint_dirs, then $allowed_checkpoint_dirs), or NULL when
 * none does or dir is not absolute or has "."/".." components. */
const char *mom_config_ckpt_parent(const struct mom_config *c, const char *base,
				   const char *dir);

/* $usecp: rewrite "host:path" into a local path for delivery. Returns a
 * malloc'd local path, or NULL when no mapping applies and the path is not
 * local (then the caller treats path as local on a shared file system). */
char *mom_config_usecp_map(const struct mom_config *c, const char *host,
			   const char *path);

#ifdef __cplusplus
}
#endif
#endif
