/* package require ckmig: registers the commands of the job, status and
 * manager files in namespace ckmig, and the pieces they share. */
#include "qtools/tcl/ckmig_tcl.h"
#include "qtools/lib/cmds.h"
#include "qtools/lib/pbs_client.h"

#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* The package keeps one connection open between its commands, as a
 * program using the C library would: a connection per command cost the
 * library a third of its submit rate next to the bare protocol (issue 14).
 * It is tied to what it was made for -- the process (a -user child
 * inherits it, but is not who connected), its ids (the server knows a
 * client by the credentials of its connect) and the socket path -- and is
 * dropped when the server has closed it (idle clients are let go) or a
 * request broke the stream. */
static struct {
	int connect;
	pid_t pid;
	uid_t uid;
	gid_t gid;
	char *path;
} kept = { -1, 0, 0, 0, NULL };

/* (pbs_disconnect only closes our descriptor: in a child that inherited
 * the connection, the parent's stays open and in step) */
static void forget_kept(void)
{
	if (kept.connect >= 0)
		pbs_disconnect(kept.connect);
	kept.connect = -1;
	free(kept.path);
	kept.path = NULL;
}

/* Is the kept connection still one the server listens on?  Nothing may
 * be waiting on it between requests: data or a hang-up means closed. */
static int kept_usable(const char *path)
{
	struct pollfd p = { .fd = connection_fd(kept.connect), .events = POLLIN };

	if (kept.pid != getpid()) {
		forget_kept();
		return 0;
	}
	if (kept.uid != geteuid() || kept.gid != getegid() || strcmp(kept.path, path) != 0 ||
	    p.fd < 0 || poll(&p, 1, 0) != 0) {
		forget_kept();
		return 0;
	}
	return 1;
}

int ckt_connect(Tcl_Interp *interp)
{
	const char *path = pbs_default_socket();
	int c;

	if (kept.connect >= 0 && kept_usable(path))
		return kept.connect;
	c = pbs_connect(NULL);
	if (c < 0) {
		char code[16];

		snprintf(code, sizeof(code), "%d", pbs_errno);
		Tcl_SetObjResult(interp, Tcl_ObjPrintf("cannot connect to server %s (errno=%d) %s",
						       pbs_default_socket(), pbs_errno,
						       pbs_strerror(pbs_errno)));
		Tcl_SetErrorCode(interp, "PBSE", code, pbs_strerror(pbs_errno), NULL);
		return c;
	}
	kept.connect = c;
	kept.pid = getpid();
	kept.uid = geteuid();
	kept.gid = getegid();
	kept.path = strdup(path);
	if (!kept.path)
		forget_kept();
	return c;
}

void ckt_release(int connect)
{
	/* a request that failed on the socket left the stream out of step */
	switch (pbs_errno) {
	case PBSE_SOCKET_FAULT: case PBSE_SOCKET_WRITE: case PBSE_SOCKET_READ:
	case PBSE_SOCKET_CLOSE: case PBSE_PREMATURE_EOF: case PBSE_PROTOCOL:
		if (connect == kept.connect)
			forget_kept();
		break;
	}
	if (connect != kept.connect)
		pbs_disconnect(connect);
}

void ckt_hangup(int connect)
{
	if (connect == kept.connect)
		forget_kept();
	else
		pbs_disconnect(connect);
}

int ckt_pbs_error(Tcl_Interp *interp, int connect, const char *what)
{
	const char *msg = pbs_geterrmsg(connect);
	char code[16];

	if (msg == NULL || *msg == '\0')
		msg = pbs_strerror(pbs_errno);
	snprintf(code, sizeof(code), "%d", pbs_errno);
	if (what && *what)
		Tcl_SetObjResult(interp, Tcl_ObjPrintf("%s %s", msg, what));
	else
		Tcl_SetObjResult(interp, Tcl_NewStringObj(msg, -1));
	Tcl_SetErrorCode(interp, "PBSE", code, msg, NULL);
	return TCL_ERROR;
}

int ckt_usage_error(Tcl_Interp *interp, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	Tcl_SetObjResult(interp, Tcl_NewStringObj(msg, -1));
	Tcl_SetErrorCode(interp, "PBSE", "15004", msg, NULL);
	return TCL_ERROR;
}

char *ckt_jobid(Tcl_Interp *interp, int connect, const char *arg)
{
	char seq[64], server[256];
	const char *name = NULL;

	if (parse_jobid(arg, seq, sizeof(seq), server, sizeof(server)) < 0) {
		ckt_usage_error(interp, "illegally formed job identifier: %s", arg);
		return NULL;
	}
	if (server[0] == '\0')
		name = pbs_server_name(connect);
	return jobid_full(arg, name);
}

Tcl_Obj *ckt_attrs_dict(const struct attrl *a)
{
	Tcl_Obj *d = Tcl_NewDictObj();

	for (; a; a = a->next) {
		Tcl_Obj *key = a->resource ? Tcl_ObjPrintf("%s.%s", a->name, a->resource)
					   : Tcl_NewStringObj(a->name, -1);

		Tcl_DictObjPut(NULL, d, key, Tcl_NewStringObj(a->value ? a->value : "", -1));
	}
	return d;
}

int ckt_dict_attrs(Tcl_Interp *interp, Tcl_Obj *dict, struct attrl **out)
{
	Tcl_DictSearch s;
	Tcl_Obj *k, *v;
	int done;

	if (Tcl_DictObjFirst(interp, dict, &s, &k, &v, &done) != TCL_OK)
		return TCL_ERROR;
	for (; !done; Tcl_DictObjNext(&s, &k, &v, &done)) {
		const char *key = Tcl_GetString(k), *dot = strchr(key, '.');

		if (dot) {
			char *name = strndup(key, (size_t)(dot - key));

			ifl_attrl_add(out, name, dot + 1, Tcl_GetString(v));
			free(name);
		} else {
			ifl_attrl_add(out, key, NULL, Tcl_GetString(v));
		}
	}
	Tcl_DictObjDone(&s);
	return TCL_OK;
}

/* --- -user: run a command as someone else ----------------------------- */

static int write_obj(int fd, Tcl_Obj *o)
{
	int len;
	const char *s = Tcl_GetStringFromObj(o, &len);
	unsigned int n = (unsigned int)len;

	return (write_full(fd, &n, sizeof(n)) < 0 || write_full(fd, s, n) < 0) ? -1 : 0;
}

static Tcl_Obj *read_obj(int fd)
{
	unsigned int n;
	char *s;
	Tcl_Obj *o;

	if (read_full(fd, &n, sizeof(n)) != (ssize_t)sizeof(n) || n > (64u << 20))
		return NULL;
	s = malloc(n + 1);
	if (s == NULL || read_full(fd, s, n) != (ssize_t)n) {
		free(s);
		return NULL;
	}
	o = Tcl_NewStringObj(s, (int)n);
	free(s);
	return o;
}

static int become(const char *user, char *err, size_t errlen)
{
	struct passwd *pw = getpwnam(user);

	if (pw == NULL) {
		snprintf(err, errlen, "unknown user %s", user);
		return -1;
	}
	if (initgroups(pw->pw_name, pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 ||
	    setuid(pw->pw_uid) < 0) {
		snprintf(err, errlen, "cannot become %s: %s", user, strerror(errno));
		return -1;
	}
	if (setenv("HOME", pw->pw_dir, 1) < 0 || setenv("USER", pw->pw_name, 1) < 0 ||
	    setenv("LOGNAME", pw->pw_name, 1) < 0) {
		snprintf(err, errlen, "setenv: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int ckt_maybe_as_user(Tcl_Interp *interp, int objc, Tcl_Obj *const objv[], int *handled)
{
	Tcl_Obj **rest, *errcode, *result;
	int fds[2], status, code, i;
	pid_t pid;
	char err[256];

	*handled = 0;
	if (objc < 3 || strcmp(Tcl_GetString(objv[1]), "-user") != 0)
		return TCL_OK;
	*handled = 1;
	if (geteuid() != 0)
		return ckt_usage_error(interp, "-user needs root");
	if (pipe(fds) < 0)
		return ckt_usage_error(interp, "pipe: %s", strerror(errno));
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return ckt_usage_error(interp, "fork: %s", strerror(errno));
	}
	if (pid == 0) {
		close(fds[0]);
		if (become(Tcl_GetString(objv[2]), err, sizeof(err)) < 0) {
			code = TCL_ERROR;
			Tcl_SetObjResult(interp, Tcl_NewStringObj(err, -1));
			Tcl_SetErrorCode(interp, "PBSE", "15007", err, NULL);
		} else {
			rest = (Tcl_Obj **)ckalloc(sizeof(Tcl_Obj *) * (size_t)(objc - 2));
			rest[0] = objv[0];
			for (i = 3; i < objc; i++)
				rest[i - 2] = objv[i];
			code = Tcl_EvalObjv(interp, objc - 2, rest, TCL_EVAL_GLOBAL);
		}
		result = Tcl_GetObjResult(interp);
		errcode = code == TCL_ERROR ? Tcl_GetVar2Ex(interp, "errorCode", NULL, TCL_GLOBAL_ONLY)
					    : Tcl_NewStringObj("", 0);
		if (errcode == NULL)
			errcode = Tcl_NewStringObj("NONE", -1);
		if (write_full(fds[1], &code, sizeof(code)) < 0 || write_obj(fds[1], errcode) < 0 ||
		    write_obj(fds[1], result) < 0)
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	result = NULL;
	errcode = NULL;
	if (read_full(fds[0], &code, sizeof(code)) == (ssize_t)sizeof(code)) {
		errcode = read_obj(fds[0]);
		result = read_obj(fds[0]);
	}
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (result == NULL || errcode == NULL) {
		if (result)
			Tcl_DecrRefCount(result);
		if (errcode)
			Tcl_DecrRefCount(errcode);
		return ckt_usage_error(interp, "command as %s died", Tcl_GetString(objv[2]));
	}
	Tcl_SetObjResult(interp, result);
	if (code == TCL_ERROR)
		Tcl_SetObjErrorCode(interp, errcode);
	else
		Tcl_DecrRefCount(errcode);
	return code;
}

static int server_name_cmd(ClientData cd, Tcl_Interp *interp, int objc, Tcl_Obj *const objv[])
{
	const char *name;
	int connect, rc = TCL_OK;

	(void)cd;
	if (objc != 1) {
		Tcl_WrongNumArgs(interp, 1, objv, "");
		return TCL_ERROR;
	}
	if ((connect = ckt_connect(interp)) < 0)
		return TCL_ERROR;
	name = pbs_server_name(connect);
	if (name)
		Tcl_SetObjResult(interp, Tcl_NewStringObj(name, -1));
	else
		rc = ckt_pbs_error(interp, connect, NULL);
	ckt_release(connect);
	return rc;
}

int Ckmigtcl_Init(Tcl_Interp *interp);
int Ckmigtcl_Init(Tcl_Interp *interp)
{
	if (Tcl_PkgRequire(interp, "Tcl", "8.6", 0) == NULL)
		return TCL_ERROR;
	/* a server that goes away mid-request must not kill tclsh */
	signal(SIGPIPE, SIG_IGN);
	if (Tcl_Eval(interp, "namespace eval ::ckmig {}") != TCL_OK)
		return TCL_ERROR;
	Tcl_CreateObjCommand(interp, "::ckmig::server_name", server_name_cmd, NULL, NULL);
	if (ckt_job_cmds_init(interp) != TCL_OK || ckt_stat_cmds_init(interp) != TCL_OK ||
	    ckt_manager_cmds_init(interp) != TCL_OK)
		return TCL_ERROR;
	return Tcl_PkgProvide(interp, "ckmig", "1.0");
}
