/* ckmig::stat job|node|queue ?name? and ckmig::stat server: status as
 * dicts. With a name: that object's attributes ("Resource_List.walltime"
 * style keys); without: a dict from each name to its attributes. */
#include "qtools/tcl/ckmig_tcl.h"

#include <stdlib.h>
#include <string.h>

static int stat_cmd(ClientData cd, Tcl_Interp *interp, int objc, Tcl_Obj *const objv[])
{
	static const char *const kinds[] = { "job", "node", "queue", "server", NULL };
	struct batch_status *bs = NULL, *b;
	const char *name = NULL;
	char *id = NULL;
	int handled, rc, kind, connect;

	(void)cd;
	rc = ckt_maybe_as_user(interp, objc, objv, &handled);
	if (handled)
		return rc;
	if (objc < 2 || objc > 3) {
		Tcl_WrongNumArgs(interp, 1, objv, "?-user name? job|node|queue|server ?name?");
		return TCL_ERROR;
	}
	if (Tcl_GetIndexFromObj(interp, objv[1], kinds, "kind", 0, &kind) != TCL_OK)
		return TCL_ERROR;
	if (objc == 3)
		name = Tcl_GetString(objv[2]);
	if ((connect = ckt_connect(interp)) < 0)
		return TCL_ERROR;
	rc = TCL_ERROR;
	switch (kind) {
	case 0:
		if (name && (id = ckt_jobid(interp, connect, name)) == NULL)
			goto out;
		bs = pbs_statjob(connect, id, NULL, NULL);
		break;
	case 1: bs = pbs_statnode(connect, name, NULL, NULL); break;
	case 2: bs = pbs_statque(connect, name, NULL, NULL); break;
	default: bs = pbs_statserver(connect, NULL, NULL); break;
	}
	if (bs == NULL && pbs_errno) {
		ckt_pbs_error(interp, connect, id ? id : name);
		goto out;
	}
	if (name || kind == 3) {
		if (bs == NULL) {
			Tcl_SetObjResult(interp, Tcl_ObjPrintf("Unknown object %s", name ? name : ""));
			Tcl_SetErrorCode(interp, "PBSE", "15001", "not found", NULL);
			goto out;
		}
		Tcl_SetObjResult(interp, ckt_attrs_dict(bs->attribs));
	} else {
		Tcl_Obj *d = Tcl_NewDictObj();

		for (b = bs; b; b = b->next)
			Tcl_DictObjPut(NULL, d, Tcl_NewStringObj(b->name, -1), ckt_attrs_dict(b->attribs));
		Tcl_SetObjResult(interp, d);
	}
	rc = TCL_OK;
out:
	free(id);
	pbs_statfree(bs);
	ckt_release(connect);
	return rc;
}

int ckt_stat_cmds_init(Tcl_Interp *interp)
{
	Tcl_CreateObjCommand(interp, "::ckmig::stat", stat_cmd, NULL, NULL);
	return TCL_OK;
}
