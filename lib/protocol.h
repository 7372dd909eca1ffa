/* ckmig wire protocol: Torque's batch requests, carried as XML.
 *
 * ======================================================================
 *  FRAME
 * ======================================================================
 *  4-byte big-endian body length N, [32-byte MAC], N bytes of body.
 *  On the Unix socket (clients) there is no MAC and no handshake;
 *  identity comes from SO_PEERCRED. On TCP (server<->MOM) every
 *  connection is a session (below) and every frame carries a MAC.
 *  N <= PROTO_MAX_BODY (16 MiB).
 *
 * ======================================================================
 *  SESSION (TCP only: replay protection)
 * ======================================================================
 *  The side that accepted the connection speaks first:
 *    acceptor  -> "CKH1" + na (32 random bytes)
 *    initiator -> "CKH1" + ni (32 random bytes) + HMAC(K, "ckmig
 *                 initiator proof\0" | na | ni)
 *    acceptor  -> "CKOK" + HMAC(K, "ckmig acceptor proof\0" | na | ni)
 *              or "CKNO" + 4-byte PBSE code + 28 zero bytes, then closes.
 *  K is the cluster key. Both sides then use the session key
 *  S = HMAC(K, "ckmig session key\0" | na | ni), and a frame's MAC is
 *  HMAC(S, D | seq | length | body): D the sender ('A' acceptor,
 *  'I' initiator), seq its 64-bit big-endian count of frames sent in
 *  this session, from 0. The initiator sends its first frame right after
 *  its hello (one round trip of handshake in all). A frame captured in
 *  one session verifies in no other (fresh nonces from both sides), nor
 *  twice, nor out of order, nor sent back to its sender. Before the
 *  handshake is complete nothing larger than its fixed 68-byte record
 *  is read from an unauthenticated peer, and nothing is parsed.
 *
 *  One decoder (proto_reader_next / proto_recv) rejects, with a PBSE code:
 *    body larger than 16 MiB ........ PBSE_PROTOCOL (15033), fatal
 *    bad or missing MAC, failed
 *      session handshake ............ PBSE_BADCRED  (15021), fatal
 *    EOF inside a frame (truncated) .. PBSE_PREMATURE_EOF (15114), fatal
 *    not XML / wrong element / bad
 *      type, missing fields .......... PBSE_IVALREQ  (15004)
 *    v attribute other than "1" ...... PBSE_PROTOCOL (15033)
 *  "fatal" means the byte stream can no longer be trusted: the receiver
 *  answers once (if it can) and closes that connection; it keeps serving
 *  everyone else. The others consume the frame, answer with the code, and
 *  the connection stays usable.
 *  (Torque's PBSE_PROTOCOL is 15033; 15019 is a gap in Torque's table.)
 *
 * ======================================================================
 *  BODY
 * ======================================================================
 *  Request:
 *   <req v="1" type="HoldJob" id="42.head">
 *     <attr name="Hold_Types" resource="" op="set">u</attr>   (attropl)
 *     <arg name="destination">node2</arg>                       (scalars)
 *     <obj kind="job" name="42.head"><attr ...>..</attr></obj>  (IsStatus)
 *     <script>#!/bin/sh ...</script>                            (QueueJob)
 *   </req>
 *  Reply:
 *   <reply v="1" code="0" aux="0" text="...">
 *     <obj kind="job|node|queue|server" name="42.head">
 *       <attr name="Resource_List" resource="walltime">00:10:00</attr>
 *     </obj>
 *   </reply>
 *  A request may carry raw bytes after its XML: a NUL byte, then the
 *  bytes (m->blob; the checkpoint images of CkptXfer, which base64 in XML
 *  made 4x slower to decode than the copy itself). The XML ends at the
 *  first NUL; whatever follows is the blob, never parsed.
 *  type is the Torque name below (a decimal number is accepted too).
 *  op is one of set unset incr decr eq ne ge gt le lt dflt (default set).
 *  code is a PBSE number (0 = success), aux Torque's auxcode, text the
 *  whole user-facing message as Torque words it: pbse_message(), e.g.
 *  "Cannot execute at specified host because of checkpoint or stagein
 *  files MSG=allocated nodes must match checkpoint location". A q-command
 *  prints "<cmd>: <text> <jobid>".
 *  Resources travel as name="Resource_List" resource="walltime"; a
 *  resource-less attribute has resource="" or no resource attribute.
 *  Times (ctime, qtime, start_time, checkpoint_time, ...) are epoch
 *  seconds as decimal strings. Walltime/cput values are [[HH:]MM:]SS.
 *
 * ======================================================================
 *  CATALOGUE: client -> server (Unix socket; who = SO_PEERCRED uid)
 * ======================================================================
 *  Permissions: "owner" = the job's owner (euser) or a manager (root and
 *  the server's managers list); "manager" = managers only; "operator" =
 *  operators or managers. Refusal: PBSE_PERM (15007) "Unauthorized Request".
 *  Unknown job: PBSE_UNKJOBID (15001). A job id may be given as "42" or
 *  "42.server"; the server completes it.
 *
 *  QueueJob (1)       any user but root (PBSE_PERM for uid 0).
 *     id: ""   attrs: what qsub sets: Job_Name, Output_Path, Error_Path,
 *     Join_Path (oe|eo|n), Keep_Files, Hold_Types, Priority (-1024..1023),
 *     Checkpoint (qsub -c text, e.g. "enabled", "c=10", "s", "n"),
 *     Resource_List/<res> (walltime, nodes, ncpus, mem, ...), Variable_List
 *     (comma separated NAME=value; PBS_O_WORKDIR, PBS_O_HOME, PBS_O_HOST,
 *     ... as qsub -V/-v builds it), Shell_Path_List, Rerunable,
 *     Account_Name, Execution_Time, submit_args, init_work_dir,
 *     checkpoint_dir (qsub -c dir=).
 *     script: <script> the job script text (required, may be empty).
 *     The server sets Job_Owner ("user@host", host from arg submit_host
 *     or the server's), euser, egroup from the peer's credentials and
 *     ignores client-sent values for those.
 *     Reply: code 0, text = the new job id, one obj kind=job name=<id>.
 *  DeleteJob (6)      owner.  id.  arg extend (optional, Torque's
 *     "deldelay=N" / "delpurge"). Queued/held: job completes at once.
 *     Running: server asks the MOM to kill it; the reply to the client is
 *     sent when the MOM has accepted (its MOM down: PBSE_NORELYMOM).
 *     "delpurge" from a manager: the job completes at once whatever its
 *     MOM says (the MOM's copy is deleted when it next reports).
 *     Completed: PBSE_BADSTATE.
 *  HoldJob (7)        owner for u; operator for o; manager for s.
 *     id. attr Hold_Types value letters of u,o,s (default "u").
 *     Queued: state H/20. Running & checkpointable (Checkpoint has s,
 *     c[=N] or enabled): the server relays HoldJob to the MOM and
 *     answers the client with the MOM's answer (code 0: checkpoint taken,
 *     aux 1 when migratable; the job then ends and turns H/20, nodes
 *     freed, exec_host kept; ckmig_svrflags shows 0x100 MIGRATEABLE or
 *     0x10 CHECKPOINT_FILE). A failure comes back as the MOM's code and
 *     words, the job keeps running without the hold. Running & not
 *     checkpointable: PBSE_IVALREQ MSG=job not held since checkpointing
 *     is expected but not enabled for job. Under way: PBSE_CKPBSY.
 *  LocateJob (8)      anyone. id. Reply text = server name.
 *  Manager (9)        manager (list/print: anyone).
 *     args: cmd = create|delete|set|unset|list, obj = server|queue|node,
 *     name = queue or node name ("" for server).
 *     attrs: name/resource/value, op set|unset|incr|decr (qmgr = += -=).
 *     Server attrs: managers, operators (user@host lists, "user@*"),
 *     scheduling (True|False), keep_completed (s), default_queue,
 *     checkpoint_dir, node_check_rate (s), scheduler_iteration (s),
 *     preempt_by_checkpoint (True|False), preempt_min_priority (int),
 *     log_events. Queue attrs: enabled, started, keep_completed,
 *     resources_default.*, resources_max.*, checkpoint_dir. Node attrs:
 *     np, properties, state (offline / free = clear offline), note.
 *     node create/delete edits server_priv/nodes.
 *  ModifyJob (11)     owner. id. attrs to change (qalter). Running job:
 *     only Priority/comment/Hold... else PBSE_MODATRRUN. Read-only
 *     attrs: PBSE_ATTRRO.
 *  ReleaseJob (13)    as HoldJob. id. attr Hold_Types (default "u").
 *  Rerun (14)         operator. id. Running job: killed and requeued.
 *  RunJob (15)        operator (or manager). id. arg destination
 *     (optional): "host", "host/0", "host:ppn=N", "h1+h2", "h1:ppn=2+h2".
 *     A checkpointed job: CHECKPOINT_MIGRATEABLE -> the destination (or
 *     any free nodes) is used; CHECKPOINT_FILE only -> a destination
 *     whose first host differs from exec_host's first host is refused
 *     with PBSE_EXECTHERE (15059) MSG=allocated nodes must match
 *     checkpoint location. Reply when the MOM has accepted the job.
 *  SelectJobs (16)    anyone. attrs as criteria with op eq|ne
 *     (job_state, queue, Job_Owner, euser). Reply objs kind=job, no attrs.
 *  Shutdown (17)      manager. arg manner = immediate|delay|quick (all
 *     mean: stop the server; running jobs keep running on their MOMs).
 *  SignalJob (18)     owner. id. arg signal (name "SIGUSR1"/"USR1"/
 *     number; "suspend"/"resume"). Job must be running (PBSE_BADSTATE).
 *  StatusJob (19)     anyone (Torque's query_other_jobs true). id = a
 *     job id, a queue name, or "" for all. attrs (names only, values
 *     ignored): return just those attributes (Torque's attrl of
 *     pbs_statjob; the table of plain qstat needs six); none = all.
 *     Reply: obj kind=job per job with the attributes, plus job_state
 *     (letter), substate, ckmig_svrflags (hex) unless names exclude them.
 *  StatusQueue (20)   anyone. id queue or "". obj kind=queue.
 *  StatusServer (21)  anyone. obj kind=server name=<server name>.
 *  CheckpointJob (27) owner. id. Running & checkpointable (as HoldJob)
 *     else PBSE_IVALREQ MSG=job is not checkpointable. Relayed to the
 *     MOM; the job keeps running.
 *  StatusNode (58)    anyone. id node or "". obj kind=node with state,
 *     np, properties, ntype (cluster), jobs ("0/42.head, 1/42.head"),
 *     status (the MOM's last status string), note.
 *  MigrateJob (100)   owner. id. arg destination (optional, as RunJob).
 *     The server checks what it can (job running and checkpointable, one
 *     node, no checkpoint or migration under way [PBSE_CKPBSY], the
 *     destination known [PBSE_UNKNODE] and usable [PBSE_RESCUNAV]) and
 *     answers code 0 at once. Only after the client has hung up (at most
 *     5 s later) does it send HoldJob with migrate=1 to the MOM: a job
 *     that migrates itself holds no connection while CRIU dumps it. What
 *     the MOM then refuses (directory not shared, script failed) is put
 *     in the job's comment as "migration failed: <why>". On success the
 *     job ends, is queued again (start_count grows on the restart) and
 *     starts at once on the destination, or through the scheduler.
 *
 *  Manager on nodes, for pbsnodes: attr state op set "offline" (or incr)
 *  marks offline; op decr, unset or value "free" clears it (and a drain).
 *  attr drain "True": migrate every movable job off the node, then leave
 *  it offline with note "drained"; jobs that cannot move are named in
 *  the node's note ("draining; cannot move: ID (why), ..."). StatusNode
 *  shows drain = True while it runs.
 *
 * ======================================================================
 *  CATALOGUE: server -> MOM (TCP to MOM port 15002, MAC)
 * ======================================================================
 *  Every reply: code 0 or a PBSE number with text.
 *  QueueJob (1)       id. attrs: every job attribute the MOM needs:
 *     Job_Name, Job_Owner, euser, egroup, queue, exec_host
 *     ("node1/0+node1/1"), Resource_List.*, Output_Path, Error_Path,
 *     Join_Path, Keep_Files, Variable_List, Shell_Path_List, Checkpoint,
 *     checkpoint_dir (if known), init_work_dir, submit_host, ctime.
 *     Restart: arg restart=1 plus attrs checkpoint_name, checkpoint_time,
 *     checkpoint_dir, session_id (the original) -> the MOM runs
 *     $restart_script instead of the script.
 *     script: the job script.
 *     Reply code 0 when the job has started; optionally one obj kind=job
 *     with session_id. Failure: PBSE code; the server requeues the job.
 *  DeleteJob (6)      id. Kill the job (SIGTERM, then SIGKILL after
 *     kill_delay); the end is reported by JobObit. Unknown: PBSE_UNKJOBID.
 *     The server also sends it for copies a MOM reports that the server
 *     does not run there (finished, purged, or a start it counted as
 *     failed); it never does so for a job with a checkpoint.
 *  HoldJob (7)        id. attr Hold_Types. arg migrate=1 when the server
 *     needs a movable checkpoint (qmigrate, drain, preemption): the MOM
 *     then refuses (PBSE_IVALREQ, text saying why) when the job's
 *     checkpoint dir is not under $remote_checkpoint_dirs and no target
 *     was named. args target, target_port (a move: the node the server
 *     would restart it on, its MOM's port): a node-local checkpoint is
 *     copied there (CkptXfer below), the job stopped meanwhile; the
 *     answer is then code 0 aux 0 once the target has committed it, and
 *     the ModifyJob/JobObit carry arg checkpoint_host=<target>.
 *     Validate (job known, checkpointable, script configured [else
 *     PBSE_RMEXIST 15204], no checkpoint already running [else
 *     PBSE_CKPBSY]), run $checkpoint_script (signal 15), and answer when
 *     it is done (ckmig_mom; Torque's MOM answers before the script, which
 *     the server also handles): code 0 with aux 1 (PBS_CHECKPOINT_MIGRATE)
 *     if the checkpoint dir is shared, else aux 0; then ModifyJob(11)
 *     with checkpoint_name, checkpoint_time, checkpoint_dir, comment and
 *     arg extend=checkpoint_hold, BEFORE the job's JobObit. On failure
 *     answer a PBSE code (ckmig_mom: PBSE_CKPSHORT) with the reason as
 *     text; the server then sets no hold and the job keeps running.
 *     (Torque's way, code 0 then ReleaseJob(13) Hold_Types "uos", undoes
 *     the hold too.) The server waits up to 900 s for the answer.
 *  CheckpointJob (27) id. As HoldJob but signal 0: the job keeps running.
 *     Success: ModifyJob with checkpoint_* and extend=checkpoint_cont.
 *     Failure: ModifyJob comment only.
 *  SignalJob (18)     id. arg signal (as from the client).
 *  ModifyJob (11)     id. attrs changed by qalter (e.g. Resource_List/
 *     walltime) for a running job.
 *  StatusJob (19)     id or "". Reply obj kind=job per known job with
 *     session_id, job_state, resources_used.*.
 *
 * ======================================================================
 *  CATALOGUE: MOM -> server (TCP to server port 15001, MAC)
 * ======================================================================
 *  IsStatus (200)     id = node name as in server_priv/nodes. attrs: np,
 *     port (the MOM's listening port), state (free|busy|down), status
 *     (Torque's "opsys=linux,uname=...,nsessions=N,loadave=...,..."
 *     string). objs kind=job name=<id> per job the MOM holds, with
 *     session_id, substate, resources_used.*. Sent at start and every
 *     few seconds. Unknown node: PBSE_UNKNODE. Reply code 0.
 *     The server marks a node down when no IsStatus came for
 *     node_check_rate seconds, and reconciles running jobs with the
 *     list after its own restart.
 *  JobObit (56)       id. attrs exit_status, session_id, resources_used/
 *     cput|mem|vmem|walltime, comment. The MOM keeps the obit (on disk)
 *     and resends it until it gets code 0 or PBSE_UNKJOBID. Output files
 *     are delivered by the MOM before it sends the obit (except when the
 *     job ended by a hold checkpoint: then the output stays with the
 *     checkpoint for the restart to continue).
 *  ModifyJob (11)     id. attrs among checkpoint_name, checkpoint_time,
 *     checkpoint_dir, checkpoint_restart_status, restart_name, comment,
 *     session_id, resources_used.*. arg extend = checkpoint_hold |
 *     checkpoint_cont (optional); with it, arg migratable = 1 | 0 says
 *     whether this checkpoint lies under $remote_checkpoint_dirs (ckmig's
 *     MOM always sends it: periodic and shutdown checkpoints have no
 *     answer that could carry aux 1; without it the hold's aux decides).
 *  ReleaseJob (13)    id. attr Hold_Types "uos": a hold checkpoint failed.
 *
 * ======================================================================
 *  CATALOGUE: MOM -> MOM (TCP to MOM port, MAC; mom/mom_ckpt_xfer.c)
 * ======================================================================
 *  CkptXfer (201)     id = the job. arg op, in this order on one
 *     connection, each answered (code 0, or a PBSE code and the reason;
 *     any refusal drops what was received):
 *       begin   dir (<checkpoint_dir>/<jobid>.CK), name (ckpt.*), user
 *               (owner), mode
 *       mkdir   path preK, mode
 *       link    path "parent" | "preK/parent", target "preK" | "../preK"
 *       file    path "NAME" | "preK/NAME" (or where=kept, path OU|ER),
 *               mode, size
 *       data    path, off (bytes so far); the bytes (<= 4 MiB) are the
 *               request's blob
 *       commit  verify against the manifest (PBSE_BADCRED if not), then
 *               into <dir>/<name> (and <name>.OU/.ER, the owner's)
 *     A connection that closes before commit leaves nothing behind.
 *
 * ======================================================================
 *  CATALOGUE: cr_restart -> cr_checkpoint (post-copy; checkpoint/ckpt_pages.c)
 * ======================================================================
 *  CkptPages (202)    on a session keyed with a key derived from the
 *     checkpoint key (not the cluster key), either way, never answered:
 *       hello   mac (the manifest's MAC, hex): first, from each side
 *       data    CRIU's page-server bytes as the blob
 *       done    target -> source: every page is in
 */
#ifndef CKMIG_LIB_PROTOCOL_H
#define CKMIG_LIB_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

#include "lib/util.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PROTO_VERSION  1
#define PROTO_MAX_BODY (16u * 1024 * 1024)
#define PROTO_MAC_LEN  32
#define PROTO_HDR_LEN  4

#define PBS_BATCH_SERVICE_PORT 15001
#define PBS_MOM_SERVICE_PORT   15002

/* Request types: Torque's numbers; MigrateJob and IsStatus are ckmig's. */
enum pbs_batch_type {
	PBS_BATCH_QueueJob      = 1,
	PBS_BATCH_DeleteJob     = 6,
	PBS_BATCH_HoldJob       = 7,
	PBS_BATCH_LocateJob     = 8,
	PBS_BATCH_Manager       = 9,
	PBS_BATCH_ModifyJob     = 11,
	PBS_BATCH_ReleaseJob    = 13,
	PBS_BATCH_Rerun         = 14,
	PBS_BATCH_RunJob        = 15,
	PBS_BATCH_SelectJobs    = 16,
	PBS_BATCH_Shutdown      = 17,
	PBS_BATCH_SignalJob     = 18,
	PBS_BATCH_StatusJob     = 19,
	PBS_BATCH_StatusQueue   = 20,
	PBS_BATCH_StatusServer  = 21,
	PBS_BATCH_AsyrunJob     = 23,
	PBS_BATCH_CheckpointJob = 27,
	PBS_BATCH_JobObit       = 56,
	PBS_BATCH_StatusNode    = 58,
	PBS_BATCH_MigrateJob    = 100,
	PBS_BATCH_IsStatus      = 200,
	PBS_BATCH_CkptXfer      = 201,
	PBS_BATCH_CkptPages     = 202,
};

/* Torque's batch_op. */
enum batch_op { BATCH_SET, BATCH_UNSET, BATCH_INCR, BATCH_DECR, BATCH_EQ, BATCH_NE,
		BATCH_GE, BATCH_GT, BATCH_LE, BATCH_LT, BATCH_DFLT };

/* Name of a request type ("HoldJob"), or NULL if unknown. */
const char *proto_type_name(int type);
/* Type for a name or decimal number, or -1. */
int proto_type_from_name(const char *name);
const char *proto_op_name(int op);
int proto_op_from_name(const char *name);     /* -1 if unknown */

/* attropl: one attribute (or one scalar argument: resource NULL).
 * name and resource share the entry's allocation: read them, never free
 * or replace them. value is malloc'd on its own and may be replaced. */
struct pbs_attr {
	struct pbs_attr *next;
	char *name;
	char *resource;   /* NULL or "" = none */
	char *value;      /* never NULL once added */
	int op;           /* enum batch_op */
};

struct attr_list {
	struct pbs_attr *head, *tail;
	size_t count;
};

void attrl_init(struct attr_list *l);
void attrl_free(struct attr_list *l);
/* Append (duplicates allowed); NULL resource/value stored as NULL/"". */
struct pbs_attr *attrl_add(struct attr_list *l, const char *name, const char *resource,
			   const char *value, int op);
/* Replace the value of name/resource, or append it. */
struct pbs_attr *attrl_set(struct attr_list *l, const char *name, const char *resource,
			   const char *value);
/* First match (resource NULL or "" matches only resource-less entries). */
struct pbs_attr *attrl_find(const struct attr_list *l, const char *name, const char *resource);
const char *attrl_get(const struct attr_list *l, const char *name, const char *resource);
/* Remove every entry with that name/resource; returns how many. */
int attrl_remove(struct attr_list *l, const char *name, const char *resource);
void attrl_copy(struct attr_list *dst, const struct attr_list *src);

/* batch_status entry. */
struct pbs_obj {
	struct pbs_obj *next;
	char *kind;       /* job | node | queue | server */
	char *name;
	struct attr_list attrs;
};

/* One message: a request or a reply (is_reply), never both. */
struct pbs_msg {
	int is_reply;
	/* request */
	int type;
	char *id;             /* "" when none */
	struct attr_list attrs;
	struct attr_list args;
	char *script;         /* NULL when absent */
	unsigned char *blob;  /* raw bytes after the XML (BODY below), or NULL */
	size_t blob_len;
	/* reply */
	int code;
	int aux;
	char *text;           /* "" when none */
	/* both: objects (replies: batch_status; requests: IsStatus jobs) */
	struct pbs_obj *objs, *objs_tail;
	size_t nobjs;
};

void msg_init(struct pbs_msg *m);   /* an empty request of type 0 */
/* Frees everything; afterwards id and text are NULL and a second msg_free
 * is harmless. To use m again, msg_init/msg_request/msg_reply it. */
void msg_free(struct pbs_msg *m);
void msg_request(struct pbs_msg *m, int type, const char *id);
/* text NULL: pbse_message(code, NULL) is used when code != 0. */
void msg_reply(struct pbs_msg *m, int code, int aux, const char *text);
void msg_add_attr(struct pbs_msg *m, const char *name, const char *resource, const char *value);
void msg_add_arg(struct pbs_msg *m, const char *name, const char *value);
const char *msg_arg(const struct pbs_msg *m, const char *name);
const char *msg_attr(const struct pbs_msg *m, const char *name, const char *resource);
void msg_set_script(struct pbs_msg *m, const char *script);
/* Raw bytes sent after the request's XML (copied). */
void msg_set_blob(struct pbs_msg *m, const void *p, size_t n);
struct pbs_obj *msg_add_obj(struct pbs_msg *m, const char *kind, const char *name);
void obj_free(struct pbs_obj *o);   /* one object, not linked in any message */
void obj_add_attr(struct pbs_obj *o, const char *name, const char *resource, const char *value);

/* Writers of a reply body straight into a buffer, for answers with many
 * objects (the server's status of every job): the same XML proto_encode
 * writes, without building pbs_obj lists first. Frame with
 * proto_frame_body. */
void proto_reply_open(struct buf *b, int code, int aux, const char *text);
void proto_obj_open(struct buf *b, const char *kind, const char *name);
void proto_obj_attr(struct buf *b, const char *name, const char *resource, const char *value);
void proto_obj_attrs(struct buf *b, const struct attr_list *l);
void proto_obj_close(struct buf *b);
void proto_reply_close(struct buf *b);

/* Body <-> message. proto_encode appends the XML body to out.
 * proto_decode returns 0 or a PBSE code with a reason in err. */
void proto_encode(const struct pbs_msg *m, struct buf *out);
int proto_decode(const char *body, size_t len, struct pbs_msg *m, char *err, size_t errlen);
/* A receiver that need not hold a reply's objects all at once (the status
 * of 10 000 jobs is 300 000 attributes): each <obj> is handed to fn as
 * soon as its end tag is parsed, unlinked (fn owns it: obj_free), and m
 * keeps none. A reply found malformed after some objects were handed over
 * still fails as a whole: fn's caller must keep what it got until then. */
struct proto_obj_sink {
	void (*fn)(struct pbs_obj *o, void *arg);
	void *arg;
};
int proto_decode_each(const char *body, size_t len, struct pbs_msg *m,
		      const struct proto_obj_sink *sink, char *err, size_t errlen);

/* The cluster key; NULL key = no MAC (Unix socket). */
struct proto_key {
	unsigned char *key;
	size_t len;
};
/* Load with key_load() rules (root-owned, mode 0600/0400). 0 or -1. */
int proto_key_load(struct proto_key *k, const char *path, char *err, size_t errlen);
void proto_key_free(struct proto_key *k);

/* One side of one connection (see SESSION above). Keyless (key NULL):
 * plain frames, nothing else. Keyed: the handshake first, then every
 * frame MAC'd with the session key and its sequence number. */
#define PROTO_NONCE_LEN   32
#define PROTO_HELLO_A_LEN 36   /* "CKH1" + acceptor nonce */
#define PROTO_HELLO_I_LEN 68   /* "CKH1" + initiator nonce + proof */
#define PROTO_HELLO_R_LEN 36   /* "CKOK" + proof, or "CKNO" + PBSE code */
enum { PROTO_ACCEPTOR = 0, PROTO_INITIATOR = 1 };
struct proto_session {
	const struct proto_key *key;
	int role;                  /* PROTO_ACCEPTOR | PROTO_INITIATOR */
	int state;
	unsigned char na[PROTO_NONCE_LEN], ni[PROTO_NONCE_LEN];
	unsigned char skey[PROTO_MAC_LEN];
	uint64_t tx_seq, rx_seq;   /* frames sent / received in this session */
};
void proto_session_init(struct proto_session *s, const struct proto_key *key, int role);
void proto_session_wipe(struct proto_session *s);     /* forget the session key */
int proto_session_keyed(const struct proto_session *s);
/* Frames may be sent (initiator: once the acceptor's nonce is in). */
int proto_session_can_send(const struct proto_session *s);
/* Frames may be received (handshake complete, or keyless). */
int proto_session_ready(const struct proto_session *s);
/* Acceptor: append its hello (nonce) to out; call once, at accept. */
int proto_session_start(struct proto_session *s, struct buf *out);
/* Acceptor: append the refusal record (a failed handshake) to out. */
void proto_session_refuse(struct proto_session *s, struct buf *out, int pbse);
/* Tests and fuzz targets: a ready session from given nonces. */
void proto_session_fixed(struct proto_session *s, const struct proto_key *key, int role,
			 const unsigned char na[PROTO_NONCE_LEN],
			 const unsigned char ni[PROTO_NONCE_LEN]);

/* Append one frame holding m to out (MAC and sequence number when s is
 * keyed; s NULL = plain). */
void proto_frame_msg(struct buf *out, const struct pbs_msg *m, struct proto_session *s);
/* Frame arbitrary body bytes (tests use it to send hostile bodies). */
void proto_frame_body(struct buf *out, const char *body, size_t len, struct proto_session *s);

/* Incremental receiver for non-blocking sockets. Feed bytes into in,
 * then call proto_reader_next until it returns PROTO_MORE. */
struct proto_reader {
	struct buf in;
	struct buf answer;         /* handshake bytes the peer must get now */
	struct proto_session *ses; /* NULL = plain frames */
	const struct proto_obj_sink *sink; /* NULL = objects stay in the message */
};
void proto_reader_init(struct proto_reader *r, struct proto_session *s);
void proto_reader_free(struct proto_reader *r);
/* How many more bytes complete the record being read (0: one is whole,
 * or its header is already refused). A receiver reads no further than
 * that, so nothing beyond one frame waits in memory. */
size_t proto_reader_want(const struct proto_reader *r);
/* Returns PROTO_MSG (m filled; caller msg_free()s it), PROTO_MORE (need
 * more bytes; m untouched), PROTO_HELLO (a handshake record was taken:
 * send r->answer's bytes, then go on; m untouched), PROTO_BAD (frame
 * consumed, *pbse says why; answer and go on) or PROTO_FATAL (*pbse says
 * why; answer once and close; an acceptor whose handshake failed answers
 * with proto_session_refuse instead). After MSG, BAD and FATAL m is
 * initialised and must be msg_free()d; m's old content is not freed. eof
 * says the peer closed: a partial frame then is PROTO_FATAL/PREMATURE_EOF. */
enum { PROTO_MORE = 0, PROTO_MSG = 1, PROTO_BAD = 2, PROTO_FATAL = 3, PROTO_HELLO = 4 };
int proto_reader_next(struct proto_reader *r, int eof, struct pbs_msg *m, int *pbse,
		      char *err, size_t errlen);

/* Blocking I/O for clients, tools and tests.
 * proto_handshake: run s's handshake on fd (either role). 0 or a PBSE code.
 * proto_send: 0 or PBSE_SOCKET_WRITE. proto_recv: 0 (m filled), or a
 * PBSE code: PBSE_TIMEOUT (timeout_ms < 0 = wait forever),
 * PBSE_SOCKET_CLOSE (peer closed between frames), or a decoder code.
 * proto_call: send req, receive the reply (must be a reply).
 * proto_tcp_session: connect and, with a key, run the handshake; the fd
 * or -1 with *pbse and err. */
int proto_handshake(int fd, struct proto_session *s, int timeout_ms, char *err, size_t errlen);
int proto_send(int fd, const struct pbs_msg *m, struct proto_session *s);
int proto_recv(int fd, struct pbs_msg *m, struct proto_session *s, int timeout_ms,
	       char *err, size_t errlen);
int proto_call(int fd, const struct pbs_msg *req, struct pbs_msg *reply,
	       struct proto_session *s, int timeout_ms, char *err, size_t errlen);
/* proto_call whose reply's objects go to sink one by one (see
 * proto_decode_each) */
int proto_call_each(int fd, const struct pbs_msg *req, struct pbs_msg *reply,
		    struct proto_session *s, int timeout_ms, const struct proto_obj_sink *sink,
		    char *err, size_t errlen);
int proto_tcp_session(const char *host, int port, const struct proto_key *key,
		      struct proto_session *s, int timeout_ms, int *pbse, char *err, size_t errlen);

/* Sockets. Each returns an fd (close-on-exec) or -1 with errno.
 * tcp_connect resolves host (getaddrinfo) and waits at most timeout_ms. */
int proto_unix_connect(const char *path);
int proto_unix_listen(const char *path, int mode);     /* replaces a stale socket */
int proto_tcp_connect(const char *host, int port, int timeout_ms);
int proto_tcp_listen(int port);                        /* all addresses */
/* Default client socket: $PBS_SERVER_SOCKET, else
 * /var/spool/ckmig-server/server.sock. */
const char *proto_default_socket(void);
#define CKMIG_SERVER_HOME_DEFAULT "/var/spool/ckmig-server"
#define CKMIG_MOM_HOME_DEFAULT    "/var/spool/ckmig"
#define CKMIG_CLUSTER_KEY_DEFAULT "/etc/ckmig/cluster.key"

#ifdef __cplusplus
}
#endif
#endif
