/* The MOM's requests to the server: status, job updates, obits. */
#ifndef CKMIG_MOM_MOM_SERVER_H
#define CKMIG_MOM_MOM_SERVER_H

#include "lib/protocol.h"
#include "mom/mom.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Queue a request to the server; done(m, arg, rc, reply, err) is called
 * once, from the loop, never from inside this call: rc 0 (reply code 0),
 * the reply's PBSE code, or a transport PBSE code (reply NULL); err says
 * why. Requests go one at a time, in the order queued. */
typedef void (*srv_done_fn)(struct mom *m, void *arg, int rc, struct pbs_msg *reply,
			    const char *err);
void mom_server_send(struct mom *m, const struct pbs_msg *req, srv_done_fn done, void *arg);
/* Send what waits, if it may go now (called when a connection closes). */
void mom_server_kick(struct mom *m);
/* Nothing queued for the server. */
int mom_server_idle(const struct mom *m);
/* Fail whatever is queued (the MOM stops). */
void mom_server_drop(struct mom *m);
/* IsStatus: registration and periodic node status with the job list. */
void send_is_status(struct mom *m);
/* ModifyJob from the MOM (checkpoint results, comment); extend may be
 * "checkpoint_hold" / "checkpoint_cont" or NULL. Queued: 0; a failure
 * is logged when it comes. */
int send_alterjob(struct mom *m, struct mom_job *j, const struct attr_list *attrs,
		  const char *extend);
/* The same, with arg migratable=1 when the checkpoint lies in a shared
 * directory: a checkpoint no request asked for (periodic, MOM shutdown)
 * has no reply whose auxcode could say so. */
int send_alterjob_args(struct mom *m, struct mom_job *j, const struct attr_list *attrs,
		       const char *extend, int migratable);
/* Set the job's comment here and on the server. */
int send_comment(struct mom *m, struct mom_job *j, const char *comment);
/* resources_used.* of a job into out. */
void mom_job_resources(struct mom_job *j, struct attr_list *out);
/* session_id, substate, job_state, resources_used.* into o. */
void mom_job_status_obj(struct mom_job *j, struct pbs_obj *o);

#ifdef __cplusplus
}
#endif
#endif
