/* Request type and batch_op names of the wire protocol (lib/protocol.h). */
#include "lib/protocol.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* --- names ---------------------------------------------------------------- */

static const struct {
	int type;
	const char *name;
} type_names[] = {
	{ PBS_BATCH_QueueJob, "QueueJob" },
	{ PBS_BATCH_DeleteJob, "DeleteJob" },
	{ PBS_BATCH_HoldJob, "HoldJob" },
	{ PBS_BATCH_LocateJob, "LocateJob" },
	{ PBS_BATCH_Manager, "Manager" },
	{ PBS_BATCH_ModifyJob, "ModifyJob" },
	{ PBS_BATCH_ReleaseJob, "ReleaseJob" },
	{ PBS_BATCH_Rerun, "Rerun" },
	{ PBS_BATCH_RunJob, "RunJob" },
	{ PBS_BATCH_SelectJobs, "SelectJobs" },
	{ PBS_BATCH_Shutdown, "Shutdown" },
	{ PBS_BATCH_SignalJob, "SignalJob" },
	{ PBS_BATCH_StatusJob, "StatusJob" },
	{ PBS_BATCH_StatusQueue, "StatusQueue" },
	{ PBS_BATCH_StatusServer, "StatusServer" },
	{ PBS_BATCH_AsyrunJob, "AsyrunJob" },
	{ PBS_BATCH_CheckpointJob, "CheckpointJob" },
	{ PBS_BATCH_JobObit, "JobObit" },
	{ PBS_BATCH_StatusNode, "StatusNode" },
	{ PBS_BATCH_MigrateJob, "MigrateJob" },
	{ PBS_BATCH_IsStatus, "IsStatus" },
	{ PBS_BATCH_CkptXfer, "CkptXfer" },
	{ PBS_BATCH_CkptPages, "CkptPages" },
};

static const char *op_names[] = { "set", "unset", "incr", "decr", "eq", "ne",
				  "ge", "gt", "le", "lt", "dflt" };

const char *proto_type_name(int type)
{
	size_t i;

	for (i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
		if (type_names[i].type == type)
			return type_names[i].name;
	return NULL;
}

int proto_type_from_name(const char *name)
{
	size_t i;
	char *end;
	long v;

	if (!name || !*name)
		return -1;
	for (i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
		if (!strcmp(type_names[i].name, name))
			return type_names[i].type;
	errno = 0;
	v = strtol(name, &end, 10);
	if (*end || errno || !proto_type_name((int)v))
		return -1;
	return (int)v;
}

const char *proto_op_name(int op)
{
	if (op < 0 || op >= (int)(sizeof(op_names) / sizeof(op_names[0])))
		return "set";
	return op_names[op];
}

int proto_op_from_name(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(op_names) / sizeof(op_names[0]); i++)
		if (!strcmp(op_names[i], name))
			return (int)i;
	return -1;
}

