/* Logging in Torque's line format:
 *
 *   MM/DD/YYYY HH:MM:SS;EEEE;Daemon.pid;Type;Name;message
 *
 * EEEE is the event mask in hex (PBSEVENT_*), Type the object class
 * ("Svr", "Job", "Node", "Req", ...), Name the object (job id, node...).
 * Lines go to <dir>/YYYYMMDD (a new file each local day, as Torque's
 * server_logs/ and mom_logs/), and also to stderr when asked (-D).
 *
 * CRIU-style macros stamp the source position of errors and warnings:
 *   pr_err("cannot open %s", p)   -> "Error (job_recov.c:42): cannot open ..."
 *   pr_perror("open %s", p)       -> same, with ": <strerror(errno)>"
 * A file may #define LOG_PREFIX "nodes: " before including this header. */
#ifndef CKMIG_LIB_LOG_H
#define CKMIG_LIB_LOG_H

#include <stddef.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Torque's event types (log.h in Torque). */
#define PBSEVENT_ERROR      0x0001
#define PBSEVENT_SYSTEM     0x0002
#define PBSEVENT_ADMIN      0x0004
#define PBSEVENT_JOB        0x0008
#define PBSEVENT_JOB_USAGE  0x0010
#define PBSEVENT_SECURITY   0x0020
#define PBSEVENT_SCHED      0x0040
#define PBSEVENT_DEBUG      0x0080
#define PBSEVENT_DEBUG2     0x0100
#define PBSEVENT_CLIENTAUTH 0x0200
#define PBSEVENT_SYSLOG     0x0400
#define PBSEVENT_FORCE      0x8000

/* Torque's object classes as they appear in the Type field. */
#define PBS_EVENTCLASS_SERVER  "Svr"
#define PBS_EVENTCLASS_QUEUE   "Que"
#define PBS_EVENTCLASS_JOB     "Job"
#define PBS_EVENTCLASS_REQUEST "Req"
#define PBS_EVENTCLASS_FILE    "Fil"
#define PBS_EVENTCLASS_ACCT    "Act"
#define PBS_EVENTCLASS_NODE    "Node"

/* Start logging as daemon (e.g. "PBS_Server", "pbs_mom") into directory
 * dir (created if missing; NULL = no file). to_stderr mirrors every line
 * to stderr. May be called again to switch; returns 0 or -1 (errno). */
int log_open(const char *daemon, const char *dir, int to_stderr);
/* Close the file and forget everything (tests reset with this). */
void log_close(void);
/* Reopen the current file (after SIGHUP / rotation). */
void log_reopen(void);
/* Events outside mask are not written (ERROR, SYSTEM and FORCE always are).
 * Default: everything but DEBUG and DEBUG2. */
void log_set_mask(int mask);
int log_get_mask(void);
/* Path of the file currently written, or NULL. */
const char *log_current_path(void);

/* One line. cls/name NULL = the daemon's "Svr" and its own name. */
void log_event(int event, const char *cls, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Shorthand for job lines: Type "Job", Name the job id. */
void log_job(int event, const char *jobid, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Format one line (no trailing newline) into out; returns the length it
 * needed (like snprintf). Exposed for tests of the format. */
int log_format_line(char *out, size_t size, time_t when, int event, const char *daemon,
		    long pid, const char *cls, const char *name, const char *msg);

/* Used by the macros below. */
void log_src(int event, const char *file, int line, const char *kind, int with_errno,
	     const char *fmt, ...) __attribute__((format(printf, 6, 7)));

#ifndef LOG_PREFIX
#define LOG_PREFIX ""
#endif

#define pr_err(fmt, ...) \
	log_src(PBSEVENT_ERROR, __FILE__, __LINE__, "Error", 0, LOG_PREFIX fmt, ##__VA_ARGS__)
#define pr_perror(fmt, ...) \
	log_src(PBSEVENT_ERROR, __FILE__, __LINE__, "Error", 1, LOG_PREFIX fmt, ##__VA_ARGS__)
#define pr_warn(fmt, ...) \
	log_src(PBSEVENT_SYSTEM, __FILE__, __LINE__, "Warn", 0, LOG_PREFIX fmt, ##__VA_ARGS__)
#define pr_pwarn(fmt, ...) \
	log_src(PBSEVENT_SYSTEM, __FILE__, __LINE__, "Warn", 1, LOG_PREFIX fmt, ##__VA_ARGS__)
#define pr_info(fmt, ...) \
	log_event(PBSEVENT_SYSTEM, NULL, NULL, LOG_PREFIX fmt, ##__VA_ARGS__)
#define pr_debug(fmt, ...) \
	log_event(PBSEVENT_DEBUG, NULL, NULL, LOG_PREFIX fmt, ##__VA_ARGS__)

#ifdef __cplusplus
}
#endif
#endif
