/* The Tcl package ckmig over the client library: shared pieces of the
 * command files (errors as Tcl errors with -errorcode {PBSE n text},
 * batch_status as dicts, running a command as another user). */
#ifndef CKMIG_QTOOLS_TCL_H
#define CKMIG_QTOOLS_TCL_H

#include <tcl.h>
#include "qtools/lib/pbs_ifl.h"

/* Connect (the socket from $PBS_SERVER_SOCKET at call time) or leave a
 * PBSE error in interp and return -1. */
int ckt_connect(Tcl_Interp *interp);
/* Done with connect for this command (the package keeps one open). */
void ckt_release(int connect);
/* Done, and hang up: the server relays a migration only once its client
 * has gone (the job may be migrating itself, and must hold no socket to
 * the server while it is dumped). */
void ckt_hangup(int connect);
/* Set the error for the last failed call on connect: message = server
 * text (or pbs_strerror) followed by what (a job id...), errorcode
 * {PBSE <n> <text>}. Returns TCL_ERROR. */
int ckt_pbs_error(Tcl_Interp *interp, int connect, const char *what);
/* An error for bad arguments, errorcode {PBSE 15004 ...}. */
int ckt_usage_error(Tcl_Interp *interp, const char *fmt, ...);
/* The full id for what the caller gave ("42" -> "42.server"), malloc'd,
 * or NULL with an error in interp. */
char *ckt_jobid(Tcl_Interp *interp, int connect, const char *arg);
/* attributes as a dict: "name" or "name.resource" -> value */
Tcl_Obj *ckt_attrs_dict(const struct attrl *a);
/* Parse a dict {name value ...} ("Resource_List.walltime" splits at the
 * first dot) into an attrl list. TCL_OK or TCL_ERROR. */
int ckt_dict_attrs(Tcl_Interp *interp, Tcl_Obj *dict, struct attrl **out);

/* If objv[1] is "-user NAME" and we are root, run the rest of the command
 * in a child process that has become NAME (initgroups, setgid, setuid)
 * and return its result here; *handled is then 1. The server learns who
 * asks from the kernel, so this is how root's tests act as users. */
int ckt_maybe_as_user(Tcl_Interp *interp, int objc, Tcl_Obj *const objv[], int *handled);

int ckt_job_cmds_init(Tcl_Interp *interp);
int ckt_stat_cmds_init(Tcl_Interp *interp);
int ckt_manager_cmds_init(Tcl_Interp *interp);

#endif
