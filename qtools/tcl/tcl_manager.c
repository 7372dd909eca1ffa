/* ckmig::qmgr "set server scheduling = False" (qmgr's language; list and
 * print return the objects as ckmig::stat does) and ckmig::manager cmd
 * obj name {attr value ...}. */
#include "qtools/tcl/ckmig_tcl.h"
#include "qtools/lib/qmgr_parse.h"

#include <stdlib.h>
#include <string.h>

static int run_manager(Tcl_Interp *interp, int command, int objtype, const char *name,
		       struct attropl *attrs)
{
	int connect, rc = TCL_OK;

	if ((connect = ckt_connect(interp)) < 0)
		return TCL_ERROR;
	if (command == MGR_CMD_LIST || command == MGR_CMD_PRINT) {
		struct batch_status *bs, *b;
		Tcl_Obj *d = Tcl_NewDictObj();

		bs = objtype == MGR_OBJ_SERVER ? pbs_statserver(connect, NULL, NULL)
		     : objtype == MGR_OBJ_QUEUE ? pbs_statque(connect, name, NULL, NULL)
						: pbs_statnode(connect, name, NULL, NULL);
		if (bs == NULL && pbs_errno) {
			rc = ckt_pbs_error(interp, connect, name);
		} else {
			for (b = bs; b; b = b->next)
				Tcl_DictObjPut(NULL, d, Tcl_NewStringObj(b->name, -1),
					       ckt_attrs_dict(b->attribs));
			Tcl_SetObjResult(interp, d);
		}
		pbs_statfree(bs);
	} else if (pbs_manager(connect, command, objtype, name, attrs, NULL) != 0) {
		rc = ckt_pbs_error(interp, connect, name);
	} else {
		Tcl_ResetResult(interp);
	}
	ckt_release(connect);
	return rc;
}

static int qmgr_cmd(ClientData cd, Tcl_Interp *interp, int objc, Tcl_Obj *const objv[])
{
	struct qmgr_cmd cmd;
	char err[512];
	int handled, rc, r;

	(void)cd;
	rc = ckt_maybe_as_user(interp, objc, objv, &handled);
	if (handled)
		return rc;
	if (objc != 2) {
		Tcl_WrongNumArgs(interp, 1, objv, "?-user name? command");
		return TCL_ERROR;
	}
	r = qmgr_parse(Tcl_GetString(objv[1]), &cmd, err, sizeof(err));
	if (r < 0)
		return ckt_usage_error(interp, "%s", err);
	if (r != 1)
		return ckt_usage_error(interp, "qmgr: no command");
	rc = run_manager(interp, cmd.command, cmd.objtype, cmd.name, cmd.attrs);
	qmgr_cmd_free(&cmd);
	return rc;
}

static int manager_cmd(ClientData cd, Tcl_Interp *interp, int objc, Tcl_Obj *const objv[])
{
	static const char *const cmds[] = { "create", "delete", "set", "unset", "list", "print", NULL };
	static const char *const objs[] = { "server", "queue", "job", "node", NULL };
	struct attrl *attrs = NULL;
	int handled, rc, command, objtype;

	(void)cd;
	rc = ckt_maybe_as_user(interp, objc, objv, &handled);
	if (handled)
		return rc;
	if (objc < 4 || objc > 5) {
		Tcl_WrongNumArgs(interp, 1, objv, "?-user name? command object name ?attributes?");
		return TCL_ERROR;
	}
	if (Tcl_GetIndexFromObj(interp, objv[1], cmds, "command", 0, &command) != TCL_OK ||
	    Tcl_GetIndexFromObj(interp, objv[2], objs, "object", 0, &objtype) != TCL_OK)
		return TCL_ERROR;
	if (objc == 5 && ckt_dict_attrs(interp, objv[4], &attrs) != TCL_OK)
		return TCL_ERROR;
	if (command == MGR_CMD_UNSET) {
		struct attrl *a;

		for (a = attrs; a; a = a->next)
			a->op = UNSET;
	}
	rc = run_manager(interp, command, objtype, Tcl_GetString(objv[3]), (struct attropl *)attrs);
	ifl_attrl_free(attrs);
	return rc;
}

int ckt_manager_cmds_init(Tcl_Interp *interp)
{
	Tcl_CreateObjCommand(interp, "::ckmig::qmgr", qmgr_cmd, NULL, NULL);
	Tcl_CreateObjCommand(interp, "::ckmig::manager", manager_cmd, NULL, NULL);
	return TCL_OK;
}
