/* A move without a shared directory (issue 15): the job's checkpoint
 * directory is node-local, so its images go from this MOM to the target's
 * over a connection authenticated with the cluster key (lib/wire's
 * session: every frame MAC'd, never replayed), land in the target's
 * checkpoint directory, root's, verified against their manifest's MAC
 * before they are committed there, and the job restarts on the target.
 *
 * The job stays stopped on the source from its final dump until the
 * target has committed the images; that commit is the point of no
 * return. Before it, any failure (target gone, link down, copy refused,
 * MOM restart) resumes the job where it was; after it, the job is killed
 * here and restarts only on the target. So it is never lost, never run
 * twice. NOTES section 17 has the whole story. */
#ifndef CKMIG_MOM_MOM_CKPT_XFER_H
#define CKMIG_MOM_MOM_CKPT_XFER_H

#include <stddef.h>

#include "mom/mom.h"

#ifdef __cplusplus
extern "C" {
#endif

/* bytes of a checkpoint per CkptXfer data request (the request's blob,
 * well under PROTO_MAX_BODY) */
#define MOM_XFER_CHUNK (4u << 20)

/* ckpt_run.xfer_phase */
enum { XFER_DUMPING = 0, XFER_COPYING = 1, XFER_COPIED = 2 };

/* What finish_checkpoint does after a step of a move ended */
enum { XFER_FAILED = 0, XFER_MOVED = 1, XFER_WAIT = 2 };

/* A step of a move ended (the dump, or the copy): ok and why as
 * finish_checkpoint judged it. Starts the copy after a good dump
 * (XFER_WAIT: the ckpt_run now waits for the copy's process), or ends
 * the move: XFER_MOVED (images committed on the target, the job killed
 * here, j->ckpt_host set) or XFER_FAILED (why says why; the job resumed
 * here). */
int mom_xfer_step_done(struct mom *m, struct mom_job *j, int ok, char *why, size_t whylen);

/* The target's side: one CkptXfer request (args op=begin|mkdir|link|
 * file|data|commit; data's bytes are the request's blob). Fills reply. */
void mom_xfer_request(struct mom *m, unsigned long conn, struct pbs_msg *req,
		      struct pbs_msg *reply);
/* A connection closed: a copy it had not committed is removed. */
void mom_xfer_closed(struct mom *m, unsigned long conn);
/* At start-up: copies a dead MOM left half-received in its checkpoint
 * directory are removed. */
void mom_xfer_sweep(struct mom *m);

#ifdef __cplusplus
}
#endif
#endif
