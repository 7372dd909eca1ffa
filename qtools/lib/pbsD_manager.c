/* pbs_manager: Manager(9), qmgr's request. The command and object travel
 * as words (cmd=set|unset|create|delete, obj=server|queue|node). */
#include "qtools/lib/pbs_client.h"

static const char *cmd_word(int command)
{
	switch (command) {
	case MGR_CMD_CREATE: return "create";
	case MGR_CMD_DELETE: return "delete";
	case MGR_CMD_SET:    return "set";
	case MGR_CMD_UNSET:  return "unset";
	default:             return NULL;
	}
}

static const char *obj_word(int objtype)
{
	switch (objtype) {
	case MGR_OBJ_SERVER: return "server";
	case MGR_OBJ_QUEUE:  return "queue";
	case MGR_OBJ_NODE:   return "node";
	default:             return NULL;
	}
}

int pbs_manager(int connect, int command, int objtype, const char *objname,
		struct attropl *attrib, const char *extend)
{
	struct client_request rq = { .type = CLIENT_Manager,
				     .id = (objname && *objname) ? objname : NULL,
				     .attrs = attrib };

	if (cmd_word(command) == NULL || obj_word(objtype) == NULL) {
		pbs_errno = PBSE_IVALREQ;
		return PBSE_IVALREQ;
	}
	client_arg(&rq, "cmd", cmd_word(command));
	client_arg(&rq, "obj", obj_word(objtype));
	client_arg(&rq, "name", (objname && *objname) ? objname : NULL);
	client_arg(&rq, "extend", extend);
	return client_simple(connect, &rq);
}
