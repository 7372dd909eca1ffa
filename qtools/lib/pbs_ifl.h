/* ckmig's client library: a small C API after Torque's IFL (pbs_ifl.h), so
 * code written against Torque's libtorque (schedulers, scripts, our own
 * q-commands and Tcl package) reads the same here. It talks to the ckmig
 * server over its Unix socket ($PBS_SERVER_SOCKET, else
 * /var/spool/ckmig-server/server.sock); the server knows who we are from
 * the kernel (SO_PEERCRED), so there is no authentication step.
 *
 * Conventions as in Torque: calls return 0 (or a non-NULL pointer) on
 * success; on failure they return non-zero (or NULL) and set pbs_errno to a
 * PBSE number; pbs_geterrmsg() gives the server's text for the last
 * failure on a connection. Lists returned by the pbs_stat* calls are freed
 * with pbs_statfree(). */
#ifndef CKMIG_PBS_IFL_H
#define CKMIG_PBS_IFL_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PBS_DEFAULT_SOCKET "/var/spool/ckmig-server/server.sock"
#define PBS_SOCKET_ENV     "PBS_SERVER_SOCKET"

/* Attribute names (ATTR_*), node states (ND_*), hold letters and the
 * PBSE numbers are shared with the server, spelled as Torque spells them. */
#include "lib/attr_names.h"
#include "lib/pbs_error.h"

enum batch_op { SET, UNSET, INCR, DECR, EQ, NE, GE, GT, LE, LT, DFLT, MERGE };

/* attrl and attropl are laid out alike so one may stand for the other, as
 * in Torque. op is ignored in attrl. */
struct attrl {
	struct attrl *next;
	char *name;
	char *resource;
	char *value;
	enum batch_op op;
};

struct attropl {
	struct attropl *next;
	char *name;
	char *resource;
	char *value;
	enum batch_op op;
};

struct batch_status {
	struct batch_status *next;
	char *name;
	struct attrl *attribs;
	char *text;
};

/* pbs_manager commands and objects (Torque's numbers). */
#define MGR_CMD_CREATE 0
#define MGR_CMD_DELETE 1
#define MGR_CMD_SET    2
#define MGR_CMD_UNSET  3
#define MGR_CMD_LIST   4
#define MGR_CMD_PRINT  5
#define MGR_OBJ_NONE   -1
#define MGR_OBJ_SERVER 0
#define MGR_OBJ_QUEUE  1
#define MGR_OBJ_JOB    2
#define MGR_OBJ_NODE   3

/* The PBSE number of the last failed call in this process (0 after a
 * success). As in Torque, a plain global: set it to 0 to reset. */
extern int pbs_errno;

/* Torque's message for a PBSE number (or strerror for an errno value);
 * never NULL, static storage. */
const char *pbs_strerror(int err);

/* Connect to the server. server may be NULL or "" (the default socket), a
 * path starting with '/' (that socket), or a server name (accepted: the
 * server is reached through the local socket). Returns a handle >= 0, or
 * -1 with pbs_errno set (PBSE_SOCKET_FAULT when nobody listens). */
int pbs_connect(const char *server);
int pbs_disconnect(int connect);
/* The socket pbs_connect(NULL) uses. */
const char *pbs_default_socket(void);

/* The server's text for the last failure on this connection, or NULL when
 * it sent none. Owned by the library; valid until the next call on it. */
const char *pbs_geterrmsg(int connect);
/* The server's name as it reports itself (the suffix of its job ids);
 * asked once per connection. NULL with pbs_errno set on failure. */
const char *pbs_server_name(int connect);

/* Submit a job: script is the path of the script file (as Torque's
 * pbs_submit); pbs_submit_buf takes the script text instead. Returns the
 * new job id (malloc'd; free it), or NULL. destination is a queue, may be
 * NULL. */
char *pbs_submit(int connect, struct attropl *attrib, const char *script,
		 const char *destination, const char *extend);
char *pbs_submit_buf(int connect, struct attropl *attrib, const char *script_text,
		     const char *destination, const char *extend);

/* Status. id NULL or "" means all; attrib NULL means every attribute.
 * NULL with pbs_errno 0 is an empty answer, with pbs_errno set a failure.
 * extend: NULL, or "full" ... (ignored by the server when unknown). */
struct batch_status *pbs_statjob(int connect, const char *id, struct attrl *attrib,
				 const char *extend);
/* ckmig's: pbs_statjob handing each job to each (one entry, next NULL,
 * each frees it with pbs_statfree) as soon as it is decoded, so a status
 * of every job need not be held whole. Returns 0 or the PBSE (also in
 * pbs_errno); on a failure after some jobs were handed over, the caller
 * drops what it made of them. */
int pbs_statjob_each(int connect, const char *id, struct attrl *attrib, const char *extend,
		     void (*each)(struct batch_status *job, void *arg), void *arg);
/* Jobs matching every criterion in select (attribute op value; job_state,
 * queue, Job_Owner, Job_Name, Hold_Types, exec_host, Priority ...).
 * The selection is evaluated on the full status of all jobs. */
struct batch_status *pbs_selstat(int connect, struct attropl *select, struct attrl *attrib,
				 const char *extend);
struct batch_status *pbs_statque(int connect, const char *id, struct attrl *attrib,
				 const char *extend);
struct batch_status *pbs_statserver(int connect, struct attrl *attrib, const char *extend);
struct batch_status *pbs_statnode(int connect, const char *id, struct attrl *attrib,
				  const char *extend);
void pbs_statfree(struct batch_status *bs);

int pbs_deljob(int connect, const char *job_id, const char *extend);
/* hold_type: any of "u", "o", "s" (NULL = "u"). */
int pbs_holdjob(int connect, const char *job_id, const char *hold_type, const char *extend);
int pbs_rlsjob(int connect, const char *job_id, const char *hold_type, const char *extend);
/* location: NULL (any), "host", "host:ppn=N", "host+host"... */
int pbs_runjob(int connect, const char *job_id, const char *location, const char *extend);
int pbs_alterjob(int connect, const char *job_id, struct attrl *attrib, const char *extend);
/* signal: a name ("SIGTERM", "TERM", "suspend", "resume") or a number. */
int pbs_sigjob(int connect, const char *job_id, const char *signal, const char *extend);
int pbs_checkpointjob(int connect, const char *job_id, const char *extend);
int pbs_rerunjob(int connect, const char *job_id, const char *extend);
/* ckmig: checkpoint the running job, end it, and run it again on
 * destination (NULL = wherever the scheduler puts it). The server answers
 * once the request is accepted; the move itself happens afterwards. */
int pbs_migratejob(int connect, const char *job_id, const char *destination,
		   const char *extend);
/* qmgr's request: command MGR_CMD_*, object MGR_OBJ_*, name of the object
 * (NULL or "" for the server / all). Listing is done with pbs_stat*. */
int pbs_manager(int connect, int command, int objtype, const char *objname,
		struct attropl *attrib, const char *extend);
/* Shut the server down (Torque's pbs_terminate). manner: SHUT_IMMEDIATE,
 * SHUT_DELAY or SHUT_QUICK; the server stops either way, jobs keep running
 * on their MOMs. */
#define SHUT_IMMEDIATE 0
#define SHUT_DELAY     1
#define SHUT_QUICK     2
int pbs_terminate(int connect, int manner, const char *extend);

/* Helpers for building and reading attribute lists (ours, not Torque's).
 * The add functions append a copy to *list; free with the free function.
 * A node holds its name and resource in its own allocation (a status of
 * 10 000 jobs has 300 000 of them): change a value, never a name. */
struct attrl *ifl_attrl_node(const char *name, const char *resource);
void ifl_attrl_add(struct attrl **list, const char *name, const char *resource, const char *value);
void ifl_attropl_add(struct attropl **list, const char *name, const char *resource,
		 const char *value, enum batch_op op);
void ifl_attrl_free(struct attrl *list);
void ifl_attropl_free(struct attropl *list);
/* Value of name[.resource] in list, or NULL. resource NULL matches an
 * attribute without resource only. */
const char *ifl_attrl_get(const struct attrl *list, const char *name, const char *resource);

#ifdef __cplusplus
}
#endif
#endif
