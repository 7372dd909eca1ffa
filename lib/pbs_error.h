/* PBS error numbers and message texts, as Torque defines them
 * (pbs_error_db.h), so users meet the numbers and words they know. */
#ifndef CKMIG_LIB_PBS_ERROR_H
#define CKMIG_LIB_PBS_ERROR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PBSE_NONE                   0
#define PBSE_UNKJOBID               15001
#define PBSE_NOATTR                 15002
#define PBSE_ATTRRO                 15003
#define PBSE_IVALREQ                15004
#define PBSE_UNKREQ                 15005
#define PBSE_TOOMANY                15006
#define PBSE_PERM                   15007
#define PBSE_IFF_NOT_FOUND          15008
#define PBSE_MUNGE_NOT_FOUND        15009
#define PBSE_BADHOST                15010
#define PBSE_JOBEXIST               15011
#define PBSE_SYSTEM                 15012
#define PBSE_INTERNAL               15013
#define PBSE_REGROUTE               15014
#define PBSE_UNKSIG                 15015
#define PBSE_BADATVAL               15016
#define PBSE_MODATRRUN              15017
#define PBSE_BADSTATE               15018
#define PBSE_GAP017                 15019
#define PBSE_UNKQUE                 15020
#define PBSE_BADCRED                15021
#define PBSE_EXPIRED                15022
#define PBSE_QUNOENB                15023
#define PBSE_QACESS                 15024
#define PBSE_BADUSER                15025
#define PBSE_HOPCOUNT               15026
#define PBSE_QUEEXIST               15027
#define PBSE_ATTRTYPE               15028
#define PBSE_QUEBUSY                15029
#define PBSE_QUENBIG                15030
#define PBSE_NOSUP                  15031
#define PBSE_QUENOEN                15032
#define PBSE_PROTOCOL               15033
#define PBSE_BADATLST               15034
#define PBSE_NOCONNECTS             15035
#define PBSE_NOSERVER               15036
#define PBSE_UNKRESC                15037
#define PBSE_EXCQRESC               15038
#define PBSE_QUENODFLT              15039
#define PBSE_NORERUN                15040
#define PBSE_ROUTEREJ               15041
#define PBSE_ROUTEEXPD              15042
#define PBSE_MOMREJECT              15043
#define PBSE_BADSCRIPT              15044
#define PBSE_STAGEIN                15045
#define PBSE_RESCUNAV               15046
#define PBSE_BADGRP                 15047
#define PBSE_MAXQUED                15048
#define PBSE_CKPBSY                 15049
#define PBSE_EXLIMIT                15050
#define PBSE_BADACCT                15051
#define PBSE_ALRDYEXIT              15052
#define PBSE_NOCOPYFILE             15053
#define PBSE_CLEANEDOUT             15054
#define PBSE_NOSYNCMSTR             15055
#define PBSE_BADDEPEND              15056
#define PBSE_DUPLIST                15057
#define PBSE_DISPROTO               15058
#define PBSE_EXECTHERE              15059
#define PBSE_SISREJECT              15060
#define PBSE_SISCOMM                15061
#define PBSE_SVRDOWN                15062
#define PBSE_CKPSHORT               15063
#define PBSE_UNKNODE                15064
#define PBSE_UNKNODEATR             15065
#define PBSE_NONODES                15066
#define PBSE_NODENBIG               15067
#define PBSE_NODEEXIST              15068
#define PBSE_BADNDATVAL             15069
#define PBSE_MUTUALEX               15070
#define PBSE_GMODERR                15071
#define PBSE_NORELYMOM              15072
#define PBSE_NOTSNODE               15073
#define PBSE_JOBTYPE                15074
#define PBSE_BADACLHOST             15075
#define PBSE_MAXUSERQUED            15076
#define PBSE_BADDISALLOWTYPE        15077
#define PBSE_NOINTERACTIVE          15078
#define PBSE_NOBATCH                15079
#define PBSE_NORERUNABLE            15080
#define PBSE_NONONRERUNABLE         15081
#define PBSE_UNKARRAYID             15082
#define PBSE_BAD_ARRAY_REQ          15083
#define PBSE_BAD_ARRAY_DATA         15084
#define PBSE_TIMEOUT                15085
#define PBSE_JOBNOTFOUND            15086
#define PBSE_NOFAULTTOLERANT        15087
#define PBSE_NOFAULTINTOLERANT      15088
#define PBSE_NOJOBARRAYS            15089
#define PBSE_RELAYED_TO_MOM         15090
#define PBSE_MEM_MALLOC             15091
#define PBSE_MUTEX                  15092
#define PBSE_THREADATTR             15093
#define PBSE_THREAD                 15094
#define PBSE_SELECT                 15095
#define PBSE_SOCKET_FAULT           15096
#define PBSE_SOCKET_WRITE           15097
#define PBSE_SOCKET_READ            15098
#define PBSE_SOCKET_CLOSE           15099
#define PBSE_SOCKET_LISTEN          15100
#define PBSE_AUTH_INVALID           15101
#define PBSE_NOT_IMPLEMENTED        15102
#define PBSE_QUENOTAVAILABLE        15103
#define PBSE_TMPDIFFOWNER           15104
#define PBSE_TMPNOTDIR              15105
#define PBSE_TMPNONAME              15106
#define PBSE_CANTOPENSOCKET         15107
#define PBSE_CANTCONTACTSISTERS     15108
#define PBSE_CANTCREATETMPDIR       15109
#define PBSE_BADMOMSTATE            15110
#define PBSE_SOCKET_INFORMATION     15111
#define PBSE_SOCKET_DATA            15112
#define PBSE_CLIENT_INVALID         15113
#define PBSE_PREMATURE_EOF          15114
#define PBSE_CAN_NOT_SAVE_FILE      15115
#define PBSE_CAN_NOT_OPEN_FILE      15116
#define PBSE_CAN_NOT_WRITE_FILE     15117
#define PBSE_JOB_FILE_CORRUPT       15118
#define PBSE_JOB_RERUN              15119
#define PBSE_CONNECT                15120
#define PBSE_JOBWORKDELAY           15121
#define PBSE_BAD_PARAMETER          15122
#define PBSE_CONTINUE               15123
#define PBSE_JOBSUBSTATE            15124
#define PBSE_CAN_NOT_MOVE_FILE      15125
#define PBSE_JOB_RECYCLED           15126
#define PBSE_JOB_ALREADY_IN_QUEUE   15127
#define PBSE_INVALID_MUTEX          15128
#define PBSE_MUTEX_ALREADY_LOCKED   15129
#define PBSE_MUTEX_ALREADY_UNLOCKED 15130
#define PBSE_INVALID_SYNTAX         15131
#define PBSE_NODE_DOWN              15132
#define PBSE_SERVER_NOT_FOUND       15133
#define PBSE_SERVER_BUSY            15134
#define PBSE_RMUNKNOWN              15201
#define PBSE_RMBADPARAM             15202
#define PBSE_RMNOPARAM              15203
#define PBSE_RMEXIST                15204
#define PBSE_RMSYSTEM               15205
#define PBSE_RMPART                 15206

/* Torque's MSG= texts for the checkpoint paths (server/req_holdjob.c,
 * req_runjob.c), worded exactly as Torque words them. */
#define MSG_HOLD_NOT_CHECKPOINTABLE \
	"job not held since checkpointing is expected but not enabled for job"
#define MSG_NOT_CHECKPOINTABLE      "job is not checkpointable"
#define MSG_CKPT_LOCATION           "allocated nodes must match checkpoint location"
/* ckmig's: no sister MOMs yet, so no multi-node checkpoint (%d = nodes) */
#define MSG_MULTINODE_CKPT \
	"job runs on %d nodes: ckmig cannot checkpoint a multi-node job (no sister MOMs)"

/* Torque's text for code, or "Unknown error <code>" for numbers it lacks
 * (the returned pointer is to static storage for known codes, to a
 * per-call buffer otherwise: copy it before the next call). */
const char *pbse_to_txt(int code);

/* The user-facing message of a reply: pbse_to_txt(code), then
 * " MSG=<extra>" when extra is given, as Torque's clients print it.
 * Writes at most size bytes into out; returns out. */
char *pbse_message(char *out, size_t size, int code, const char *extra);

#ifdef __cplusplus
}
#endif
#endif
