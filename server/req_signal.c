/* SignalJob: relayed to the job's MOM. */
#include "server/server.h"
#include "lib/log.h"
#include "lib/pbs_error.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* SIGUSR1, USR1, 10, suspend, resume. */
int signal_name_ok(const char *v)
{
	static const char *names[] = { "HUP", "INT", "QUIT", "KILL", "USR1", "USR2", "TERM",
				       "CONT", "STOP", "TSTP", "ALRM", "suspend", "resume", NULL };
	const char **n;
	char *end;
	long l;

	if (!v || !*v)
		return 0;
	l = strtol(v, &end, 10);
	if (!*end)
		return l > 0 && l < 65;
	if (!strncmp(v, "SIG", 3))
		v += 3;
	for (n = names; *n; n++)
		if (!strcmp(*n, v))
			return 1;
	return 0;
}

static void signal_reply_cb(struct server *s, void *vbr, int code, struct pbs_msg *reply)
{
	struct batch_request *br = vbr;
	char text[1024];

	(void)s;
	if (code) {
		struct pbs_msg r;

		msg_reply(&r, code, 0, reply && reply->text[0] ? reply->text :
			  pbse_message(text, sizeof(text), code, NULL));
		req_reply_msg(br, &r);
	} else {
		req_ack(br);
	}
	br_free(br);
}

int req_signaljob(struct batch_request *br)
{
	const char *sig = msg_arg(&br->rq, "signal");
	struct pbs_msg m;
	struct node *n;
	struct job *j;
	char host[256];
	int rc;

	if (!(j = chk_job_request(br)))
		return 0;
	if (!signal_name_ok(sig)) {
		req_reject(br, PBSE_UNKSIG, 0, NULL);
		return 0;
	}
	if (j->state != JOB_STATE_RUNNING || j->substate != JOB_SUBSTATE_RUNNING) {
		req_reject(br, PBSE_BADSTATE, 0, NULL);
		return 0;
	}
	if (exec_host_first(job_attr(j, ATTR_exechost), host, sizeof(host)) < 0 ||
	    !(n = find_node(br->s, host))) {
		req_reject(br, PBSE_NORELYMOM, 0, NULL);
		return 0;
	}
	msg_request(&m, PBS_BATCH_SignalJob, j->id);
	msg_add_arg(&m, "signal", sig);
	rc = issue_to_mom(br->s, n, &m, 30000, signal_reply_cb, br);
	msg_free(&m);
	if (rc) {
		req_reject(br, rc, 0, NULL);
		return 0;
	}
	log_job(PBSEVENT_JOB, j->id, "Signal %s sent at request of %s@%s", sig, br->who.user,
		br->who.host);
	return REQ_DEFERRED;
}
