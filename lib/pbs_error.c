#include "lib/pbs_error.h"

#include <stdio.h>
#include <string.h>

static const struct {
	int code;
	const char *text;
} pbse_texts[] = {
	{ PBSE_NONE, "no error" },
	{ PBSE_UNKJOBID, "Unknown Job Id Error" },
	{ PBSE_NOATTR, "Undefined attribute " },
	{ PBSE_ATTRRO, "Cannot set attribute, read only or insufficient permission " },
	{ PBSE_IVALREQ, "Invalid request" },
	{ PBSE_UNKREQ, "Unknown request" },
	{ PBSE_TOOMANY, "Too many submit retries" },
	{ PBSE_PERM, "Unauthorized Request " },
	{ PBSE_IFF_NOT_FOUND, "trqauthd unable to authenticate" },
	{ PBSE_MUNGE_NOT_FOUND, "munge executable not found, unable to authenticate" },
	{ PBSE_BADHOST, "Access from host not allowed, or unknown host" },
	{ PBSE_JOBEXIST, "Job with requested ID already exists" },
	{ PBSE_SYSTEM, " System error: " },
	{ PBSE_INTERNAL, "PBS server internal error" },
	{ PBSE_REGROUTE, "Dependent parent job currently in routing queue" },
	{ PBSE_UNKSIG, "Unknown/illegal signal name" },
	{ PBSE_BADATVAL, "Illegal attribute or resource value for " },
	{ PBSE_MODATRRUN, "Cannot modify attribute while job running " },
	{ PBSE_BADSTATE, "Request invalid for state of job" },
	{ PBSE_UNKQUE, "Unknown queue" },
	{ PBSE_BADCRED, "Invalid credential" },
	{ PBSE_EXPIRED, "Expired credential" },
	{ PBSE_QUNOENB, "Queue is not enabled" },
	{ PBSE_QACESS, "Access to queue is denied" },
	{ PBSE_BADUSER, "Bad UID for job execution" },
	{ PBSE_HOPCOUNT, "Job routing over too many hops" },
	{ PBSE_QUEEXIST, "Queue already exists" },
	{ PBSE_ATTRTYPE, "Incompatible type" },
	{ PBSE_QUEBUSY, "Cannot delete busy queue" },
	{ PBSE_QUENBIG, "Queue name too long" },
	{ PBSE_NOSUP, "No support for requested service" },
	{ PBSE_QUENOEN, "Cannot enable queue, incomplete definition" },
	{ PBSE_PROTOCOL, "Batch protocol error" },
	{ PBSE_BADATLST, "Bad attribute list structure" },
	{ PBSE_NOCONNECTS, "No free connections" },
	{ PBSE_NOSERVER, "No server specified" },
	{ PBSE_UNKRESC, "Unknown resource type " },
	{ PBSE_EXCQRESC, "Job exceeds queue resource limits" },
	{ PBSE_QUENODFLT, "No default queue specified" },
	{ PBSE_NORERUN, "job is not rerunnable" },
	{ PBSE_ROUTEREJ, "Job rejected by all possible destinations (check syntax, queue resources, ...)" },
	{ PBSE_ROUTEEXPD, "Time in Route Queue Expired" },
	{ PBSE_MOMREJECT, "Execution server rejected request" },
	{ PBSE_BADSCRIPT, "(qsub) cannot access script file" },
	{ PBSE_STAGEIN, "Stage In of files failed" },
	{ PBSE_RESCUNAV, "Resource temporarily unavailable" },
	{ PBSE_BADGRP, "Bad GID for job execution" },
	{ PBSE_MAXQUED, "Maximum number of jobs already in queue" },
	{ PBSE_CKPBSY, "Checkpoint busy, may retry" },
	{ PBSE_EXLIMIT, "Resource limit exceeds allowable" },
	{ PBSE_BADACCT, "Invalid Account" },
	{ PBSE_ALRDYEXIT, "Job already in exit state" },
	{ PBSE_NOCOPYFILE, "Job files not copied" },
	{ PBSE_CLEANEDOUT, "unknown job id after clean init" },
	{ PBSE_NOSYNCMSTR, "No master found for sync job set" },
	{ PBSE_BADDEPEND, "Invalid Job Dependency" },
	{ PBSE_DUPLIST, "Duplicate entry in list " },
	{ PBSE_DISPROTO, "Bad DIS based Request Protocol" },
	{ PBSE_EXECTHERE, "Cannot execute at specified host because of checkpoint or stagein files" },
	{ PBSE_SISREJECT, "sister rejected" },
	{ PBSE_SISCOMM, "sister could not communicate" },
	{ PBSE_SVRDOWN, "Request not allowed: Server shutting down" },
	{ PBSE_CKPSHORT, "not all tasks could checkpoint" },
	{ PBSE_UNKNODE, "Unknown node " },
	{ PBSE_UNKNODEATR, "Unknown node-attribute " },
	{ PBSE_NONODES, "Server has no node list" },
	{ PBSE_NODENBIG, "Node name is too big" },
	{ PBSE_NODEEXIST, "Node name already exists" },
	{ PBSE_BADNDATVAL, "Illegal value for " },
	{ PBSE_MUTUALEX, "Mutually exclusive values for " },
	{ PBSE_GMODERR, "Modification failed for " },
	{ PBSE_NORELYMOM, "Server could not connect to MOM" },
	{ PBSE_NOTSNODE, "No time-share node available" },
	{ PBSE_JOBTYPE, "Wrong job type" },
	{ PBSE_BADACLHOST, "Bad ACL entry in host list" },
	{ PBSE_MAXUSERQUED, "Maximum number of jobs already in queue for user" },
	{ PBSE_BADDISALLOWTYPE, "Bad type in disallowed_types list" },
	{ PBSE_NOINTERACTIVE, "Queue does not allow interactive jobs" },
	{ PBSE_NOBATCH, "Queue does not allow batch jobs" },
	{ PBSE_NORERUNABLE, "Queue does not allow rerunable jobs" },
	{ PBSE_NONONRERUNABLE, "Queue does not allow nonrerunable jobs" },
	{ PBSE_UNKARRAYID, "Unknown Array ID" },
	{ PBSE_BAD_ARRAY_REQ, "Bad Job Array Request" },
	{ PBSE_BAD_ARRAY_DATA, "Bad data reading job array from file " },
	{ PBSE_TIMEOUT, "Time out" },
	{ PBSE_JOBNOTFOUND, "Job not found" },
	{ PBSE_NOFAULTTOLERANT, "Queue does not allow fault tolerant jobs" },
	{ PBSE_NOFAULTINTOLERANT, "Queue does not allow fault intolerant jobs" },
	{ PBSE_NOJOBARRAYS, "Queue does not allow job arrays" },
	{ PBSE_RELAYED_TO_MOM, "request was relayed to a MOM" },
	{ PBSE_MEM_MALLOC, "Error allocating memory - out of memory" },
	{ PBSE_MUTEX, "Error allocating controling mutex (lock/unlock)" },
	{ PBSE_THREADATTR, "Error setting thread attributes" },
	{ PBSE_THREAD, "Error creating thread" },
	{ PBSE_SELECT, "Error in socket select" },
	{ PBSE_SOCKET_FAULT, "Unable to get connection to socket" },
	{ PBSE_SOCKET_WRITE, "Error writing data to socket" },
	{ PBSE_SOCKET_READ, "Error reading data from socket" },
	{ PBSE_SOCKET_CLOSE, "Socket close detected" },
	{ PBSE_SOCKET_LISTEN, "Error listening on socket" },
	{ PBSE_AUTH_INVALID, "Invalid auth type in request" },
	{ PBSE_NOT_IMPLEMENTED, "This functionality is not yet implemented" },
	{ PBSE_QUENOTAVAILABLE, "Queue is currently not available" },
	{ PBSE_TMPDIFFOWNER, "tmpdir owned by another user" },
	{ PBSE_TMPNOTDIR, "tmpdir exists but is not a directory" },
	{ PBSE_TMPNONAME, "tmpdir cannot be named for job" },
	{ PBSE_CANTOPENSOCKET, "cannot open demux sockets" },
	{ PBSE_CANTCONTACTSISTERS, "cannot send join job to all sisters" },
	{ PBSE_CANTCREATETMPDIR, "cannot create tmpdir for job" },
	{ PBSE_BADMOMSTATE, "Mom is down, cannot run job" },
	{ PBSE_SOCKET_INFORMATION, "socket information is not accessible" },
	{ PBSE_SOCKET_DATA, "data on socket does not process correctly" },
	{ PBSE_CLIENT_INVALID, "client is not allowed/trusted" },
	{ PBSE_PREMATURE_EOF, "Premature End of File" },
	{ PBSE_CAN_NOT_SAVE_FILE, "Error saving file" },
	{ PBSE_CAN_NOT_OPEN_FILE, "Error opening file" },
	{ PBSE_CAN_NOT_WRITE_FILE, "Error writing file" },
	{ PBSE_JOB_FILE_CORRUPT, "Job file corrupt" },
	{ PBSE_JOB_RERUN, "Job can not be rerun" },
	{ PBSE_CONNECT, "Can not establish connection" },
	{ PBSE_JOBWORKDELAY, "Job function must be temporarily delayed" },
	{ PBSE_BAD_PARAMETER, "Parameter of function was invalid" },
	{ PBSE_CONTINUE, "Continue processing on job. (Not an error)" },
	{ PBSE_JOBSUBSTATE, "Current sub state does not allow trasaction." },
	{ PBSE_CAN_NOT_MOVE_FILE, "Error moving file" },
	{ PBSE_JOB_RECYCLED, "Job is being recycled" },
	{ PBSE_JOB_ALREADY_IN_QUEUE, "Job is already in destination queue." },
	{ PBSE_INVALID_MUTEX, "Mutex is NULL or otherwise invalid" },
	{ PBSE_MUTEX_ALREADY_LOCKED, "The mutex is already locked by this object" },
	{ PBSE_MUTEX_ALREADY_UNLOCKED, "The mutex has already been unlocked by this object" },
	{ PBSE_INVALID_SYNTAX, "Command syntax invalid" },
	{ PBSE_NODE_DOWN, "A node is down. Check the MOM and host" },
	{ PBSE_SERVER_NOT_FOUND, "Could not connect to batch server" },
	{ PBSE_SERVER_BUSY, "Server busy. Not available threads" },
	{ PBSE_RMUNKNOWN, "resource unknown" },
	{ PBSE_RMBADPARAM, "parameter could not be used" },
	{ PBSE_RMNOPARAM, "a parameter needed did not exist" },
	{ PBSE_RMEXIST, "something specified didn't exist" },
	{ PBSE_RMSYSTEM, "a system error occured" },
	{ PBSE_RMPART, "only part of reservation made" },
};

const char *pbse_to_txt(int code)
{
	static char unknown[48];
	size_t i;

	for (i = 0; i < sizeof(pbse_texts) / sizeof(pbse_texts[0]); i++)
		if (pbse_texts[i].code == code)
			return pbse_texts[i].text;
	snprintf(unknown, sizeof(unknown), "Unknown error %d", code);
	return unknown;
}

char *pbse_message(char *out, size_t size, int code, const char *extra)
{
	const char *base = pbse_to_txt(code);
	size_t l;

	snprintf(out, size, "%s", base);
	/* Torque's texts that end in a blank expect a name after them. */
	l = strlen(out);
	while (l > 0 && out[l - 1] == ' ' && extra && *extra)
		out[--l] = '\0';
	if (extra && *extra)
		snprintf(out + l, size > l ? size - l : 0, " MSG=%s", extra);
	return out;
}
