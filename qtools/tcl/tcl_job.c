/* ckmig::submit, hold, release, run, delete, alter, signal, checkpoint,
 * rerun, migrate: one job request each, errors as Tcl errors with
 * -errorcode {PBSE n text}. Every command takes "-user NAME" first (root
 * only) to act as that user. */
#include "qtools/tcl/ckmig_tcl.h"
#include "qtools/lib/cmds.h"
#include "qtools/lib/qsub_functions.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ckmig::submit ?-user U? ?qsub options...? script_text -> job id.
 * The options are qsub's, checked by the same code; #PBS directives in
 * the script count as in qsub. */
static int submit_cmd(ClientData cd, Tcl_Interp *interp, int objc, Tcl_Obj *const objv[])
{
	struct qsub_job job;
	char host[256], cwd[PATH_MAX], err[512], **argv;
	const char *text;
	int handled, rc, i, len, usage, connect, first;
	char *id;

	(void)cd;
	rc = ckt_maybe_as_user(interp, objc, objv, &handled);
	if (handled)
		return rc;
	if (objc < 2) {
		Tcl_WrongNumArgs(interp, 1, objv, "?-user name? ?qsub options? script");
		return TCL_ERROR;
	}
	if (gethostname(host, sizeof(host)) < 0)
		strcpy(host, "localhost");
	host[sizeof(host) - 1] = '\0';
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		strcpy(cwd, "/");
	/* qsub's argv: the options, without the script text */
	argv = (char **)ckalloc(sizeof(char *) * (size_t)(objc + 1));
	argv[0] = (char *)"qsub";
	for (i = 1; i < objc - 1; i++)
		argv[i] = Tcl_GetString(objv[i]);
	argv[objc - 1] = NULL;
	text = Tcl_GetStringFromObj(objv[objc - 1], &len);
	qsub_job_init(&job, host, cwd);
	rc = TCL_ERROR;
	first = qsub_process_opts(&job, objc - 1, argv, 0, err, sizeof(err));
	if (first < 0 || first < objc - 1) {
		if (first >= 0)
			snprintf(err, sizeof(err), "qsub: unexpected operand %s", argv[first]);
		ckt_usage_error(interp, "%s", err);
		goto out;
	}
	qsub_job_free(&job);
	qsub_job_init(&job, host, cwd);
	if (qsub_build(&job, objc - 1, argv, text, (size_t)len, NULL, &usage, err, sizeof(err)) < 0) {
		ckt_usage_error(interp, "%s", err);
		goto out;
	}
	if (job.proxy_user) {
		ckt_usage_error(interp, "use -user, not -P");
		goto out;
	}
	if ((connect = ckt_connect(interp)) < 0)
		goto out;
	id = pbs_submit_buf(connect, job.attrs, text, job.destination, NULL);
	if (id) {
		Tcl_SetObjResult(interp, Tcl_NewStringObj(id, -1));
		free(id);
		rc = TCL_OK;
	} else {
		ckt_pbs_error(interp, connect, NULL);
	}
	ckt_release(connect);
out:
	qsub_job_free(&job);
	ckfree((char *)argv);
	return rc;
}

enum job_op { OP_HOLD, OP_RELEASE, OP_RUN, OP_DELETE, OP_ALTER, OP_SIGNAL, OP_CHECKPOINT,
	      OP_RERUN, OP_MIGRATE };

struct job_cmd {
	const char *name;
	enum job_op op;
	const char *opt;        /* the one option it takes, or NULL */
	const char *extra;      /* name of the extra operand after the id, or NULL */
};

static const struct job_cmd job_cmds[] = {
	{ "hold", OP_HOLD, "-type", NULL },
	{ "release", OP_RELEASE, "-type", NULL },
	{ "run", OP_RUN, "-host", NULL },
	{ "delete", OP_DELETE, "-extend", NULL },
	{ "alter", OP_ALTER, NULL, "attributes" },
	{ "signal", OP_SIGNAL, NULL, "signal" },
	{ "checkpoint", OP_CHECKPOINT, NULL, NULL },
	{ "rerun", OP_RERUN, NULL, NULL },
	{ "migrate", OP_MIGRATE, "-host", NULL },
};

static int job_cmd(ClientData cd, Tcl_Interp *interp, int objc, Tcl_Obj *const objv[])
{
	const struct job_cmd *jc = cd;
	struct attrl *attrs = NULL;
	const char *optval = NULL, *extra = NULL;
	char *id = NULL;
	int handled, rc, i = 1, connect, err, live = 0, lazy = 0, postcopy = 0;

	rc = ckt_maybe_as_user(interp, objc, objv, &handled);
	if (handled)
		return rc;
	/* migrate -live (pre-copy), -lazy (post-copy), -postcopy (from the
	 * source's memory), before or after its -host */
	for (int round = 0; round < 4; round++) {
		if (jc->op == OP_MIGRATE && objc > i + 1 && !strcmp(Tcl_GetString(objv[i]), "-live")) {
			live = 1;
			i++;
		}
		if (jc->op == OP_MIGRATE && objc > i + 1 && !strcmp(Tcl_GetString(objv[i]), "-lazy")) {
			lazy = 1;
			i++;
		}
		if (jc->op == OP_MIGRATE && objc > i + 1 &&
		    !strcmp(Tcl_GetString(objv[i]), "-postcopy")) {
			postcopy = 1;
			i++;
		}
		if (!optval && jc->opt && objc > i + 1 && !strcmp(Tcl_GetString(objv[i]), jc->opt)) {
			optval = Tcl_GetString(objv[i + 1]);
			i += 2;
		}
	}
	if (objc != i + 1 + (jc->extra ? 1 : 0)) {
		char usage[128];

		snprintf(usage, sizeof(usage), "?-user name? %s%s%s%sjob_id%s%s",
			 jc->op == OP_MIGRATE ? "?-live? ?-lazy? ?-postcopy? " : "", jc->opt ? "?" : "",
			 jc->opt ? jc->opt : "", jc->opt ? " value? " : "", jc->extra ? " " : "",
			 jc->extra ? jc->extra : "");
		Tcl_WrongNumArgs(interp, 1, objv, usage);
		return TCL_ERROR;
	}
	if (jc->extra)
		extra = Tcl_GetString(objv[i + 1]);
	if (jc->op == OP_HOLD || jc->op == OP_RELEASE) {
		if (optval && check_hold_list(optval, jc->op == OP_RELEASE) < 0)
			return ckt_usage_error(interp, "illegal -type value: %s", optval);
	} else if ((jc->op == OP_RUN || jc->op == OP_MIGRATE) && optval &&
		   check_run_destination(optval) < 0) {
		return ckt_usage_error(interp, "illegal -host value: %s", optval);
	} else if (jc->op == OP_SIGNAL && check_signal(extra) < 0) {
		return ckt_usage_error(interp, "illegal signal: %s", extra);
	} else if (jc->op == OP_ALTER) {
		if (ckt_dict_attrs(interp, objv[i + 1], &attrs) != TCL_OK)
			return TCL_ERROR;
		if (attrs == NULL)
			return ckt_usage_error(interp, "nothing to alter");
	}
	if ((connect = ckt_connect(interp)) < 0) {
		ifl_attrl_free(attrs);
		return TCL_ERROR;
	}
	id = ckt_jobid(interp, connect, Tcl_GetString(objv[i]));
	if (id == NULL) {
		rc = TCL_ERROR;
		goto out;
	}
	switch (jc->op) {
	case OP_HOLD: err = pbs_holdjob(connect, id, optval, NULL); break;
	case OP_RELEASE: err = pbs_rlsjob(connect, id, optval, NULL); break;
	case OP_RUN: err = pbs_runjob(connect, id, optval, NULL); break;
	case OP_DELETE: err = pbs_deljob(connect, id, optval); break;
	case OP_ALTER: err = pbs_alterjob(connect, id, attrs, NULL); break;
	case OP_SIGNAL: err = pbs_sigjob(connect, id, extra, NULL); break;
	case OP_CHECKPOINT: err = pbs_checkpointjob(connect, id, NULL); break;
	case OP_RERUN: err = pbs_rerunjob(connect, id, NULL); break;
	case OP_MIGRATE:
		err = pbs_migratejob(connect, id, optval, postcopy ? "postcopy" : live && lazy ?
				     "live,lazy" : live ? "live" : lazy ? "lazy" : NULL);
		break;
	default: err = PBSE_IVALREQ; break;
	}
	if (err)
		rc = ckt_pbs_error(interp, connect, id);
	else
		Tcl_ResetResult(interp);
out:
	free(id);
	ifl_attrl_free(attrs);
	if (jc->op == OP_MIGRATE)
		ckt_hangup(connect);
	else
		ckt_release(connect);
	return rc;
}

int ckt_job_cmds_init(Tcl_Interp *interp)
{
	char name[64];
	size_t i;

	Tcl_CreateObjCommand(interp, "::ckmig::submit", submit_cmd, NULL, NULL);
	for (i = 0; i < sizeof(job_cmds) / sizeof(job_cmds[0]); i++) {
		snprintf(name, sizeof(name), "::ckmig::%s", job_cmds[i].name);
		Tcl_CreateObjCommand(interp, name, job_cmd, (ClientData)&job_cmds[i], NULL);
	}
	return TCL_OK;
}
