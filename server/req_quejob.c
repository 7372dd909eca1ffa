/* QueueJob: a new job from qsub. The server owns identity (owner, euser,
 * egroup from the caller's credentials), the id, the defaults, and writes
 * the job file durably before it answers. */
#include "server/server.h"
#include "lib/log.h"
#include "lib/pbs_error.h"

#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What a submitter may set; everything else is the server's. */
static const char *settable[] = {
	ATTR_a, ATTR_c, ATTR_e, ATTR_g, ATTR_h, ATTR_j, ATTR_k, ATTR_l, ATTR_m, ATTR_o, ATTR_p,
	ATTR_r, ATTR_u, ATTR_v, ATTR_A, ATTR_M, ATTR_N, ATTR_S, ATTR_depend, ATTR_submit_args,
	ATTR_init_work_dir, ATTR_checkpoint_dir, ATTR_submit_host, "umask", "interactive",
	"job_radix", "fault_tolerant", "job_array_request", ATTR_walltime_total, NULL
};
/* Sent by some clients, silently replaced by the server's values. */
static const char *ours[] = { ATTR_owner, ATTR_euser, ATTR_egroup, ATTR_q, ATTR_queue, NULL };

static int in_list(const char **l, const char *name)
{
	for (; *l; l++)
		if (!strcmp(*l, name))
			return 1;
	return 0;
}

/* Value checks a user meets at submission (Torque's decode_* errors). */
int job_attr_check(const char *name, const char *value, char *msg, size_t msglen)
{
	char *end;
	long v;

	if (!strcmp(name, ATTR_p)) {
		v = strtol(value, &end, 10);
		if (*end || !*value || v < -1024 || v > 1023) {
			snprintf(msg, msglen, "Priority must be an integer in -1024..1023");
			return PBSE_BADATVAL;
		}
	} else if (!strcmp(name, ATTR_h)) {
		if (hold_bits(value) < 0) {
			snprintf(msg, msglen, "Hold_Types letters are u, o, s or n");
			return PBSE_BADATVAL;
		}
	} else if (!strcmp(name, ATTR_j)) {
		if (strcmp(value, "oe") && strcmp(value, "eo") && strcmp(value, "n")) {
			snprintf(msg, msglen, "Join_Path must be oe, eo or n");
			return PBSE_BADATVAL;
		}
	} else if (!strcmp(name, ATTR_a)) {
		strtol(value, &end, 10);
		if (*end || !*value) {
			snprintf(msg, msglen, "Execution_Time must be seconds since the epoch");
			return PBSE_BADATVAL;
		}
	}
	return 0;
}

static void default_path(struct job *j, const char *attr, char suffix, const char *host)
{
	const char *wd = NULL, *vl = job_attr(j, ATTR_v), *p;
	char dir[4096] = "";

	if (job_attr(j, attr))
		return;
	if (vl && (p = strstr(vl, "PBS_O_WORKDIR="))) {
		size_t l;

		p += strlen("PBS_O_WORKDIR=");
		l = strcspn(p, ",");
		if (l >= sizeof(dir))
			l = sizeof(dir) - 1;
		memcpy(dir, p, l);
		dir[l] = '\0';
		wd = dir;
	}
	if (!wd)
		wd = job_attr(j, ATTR_init_work_dir);
	if (!wd)
		wd = "/tmp";
	job_setf(j, attr, "%s:%s/%s.%c%ld", host, wd, job_attr(j, ATTR_N), suffix, j->seq);
}

int req_quejob(struct batch_request *br)
{
	struct server *s = br->s;
	struct pbs_attr *a;
	struct job *j = NULL;
	struct group *gr;
	struct pbs_msg rep;
	char id[512], msg[512], host[256];
	long now = (long)s->now();
	int st, sub, rc;

	if (br->who.uid == 0) {
		req_reject(br, PBSE_PERM, 0, "root may not submit jobs");
		return 0;
	}
	if (attrl_get(&s->qattrs, ATTR_enable, NULL) &&
	    strcasecmp(attrl_get(&s->qattrs, ATTR_enable, NULL), "true")) {
		req_reject(br, PBSE_QUNOENB, 0, NULL);
		return 0;
	}
	if ((rc = job_check_queue(s, msg_arg(&br->rq, "destination"), msg, sizeof(msg)))) {
		req_reject(br, rc, 0, msg);
		return 0;
	}
	for (a = br->rq.attrs.head; a; a = a->next) {
		if (in_list(ours, a->name)) {
			if ((!strcmp(a->name, ATTR_q) || !strcmp(a->name, ATTR_queue)) &&
			    (rc = job_check_queue(s, a->value, msg, sizeof(msg)))) {
				req_reject(br, rc, 0, msg);
				return 0;
			}
			continue;
		}
		if (!in_list(settable, a->name)) {
			req_reject(br, PBSE_ATTRRO, 0, a->name);
			return 0;
		}
		if ((rc = job_attr_check(a->name, a->value, msg, sizeof(msg)))) {
			req_reject(br, rc, 0, msg);
			return 0;
		}
	}
	if ((rc = job_check_attrs(s, &br->rq.attrs, &br->rq.attrs, msg, sizeof(msg)))) {
		req_reject(br, rc, 0, msg);
		return 0;
	}
	if (s->next_seq >= s->seq_reserved) {
		s->seq_reserved = s->next_seq + 1000;
		if (svr_save_db(s) < 0) {
			req_reject(br, PBSE_SYSTEM, 0, "cannot save the server database");
			return 0;
		}
	}
	snprintf(id, sizeof(id), "%ld.%s", s->next_seq, s->name);
	j = job_alloc(id, s->next_seq);
	for (a = br->rq.attrs.head; a; a = a->next)
		if (!in_list(ours, a->name))
			attrl_set(&j->attrs, a->name, a->resource, a->value);
	for (a = s->qattrs.head; a; a = a->next)
		if (!strcmp(a->name, ATTR_rescdflt) && a->resource &&
		    !job_resc(j, ATTR_l, a->resource))
			attrl_set(&j->attrs, ATTR_l, a->resource, a->value);
	j->script = xstrdup(br->rq.script ? br->rq.script : "");
	snprintf(host, sizeof(host), "%s", msg_arg(&br->rq, "submit_host") ?
		 msg_arg(&br->rq, "submit_host") : br->who.host);
	job_setf(j, ATTR_owner, "%s@%s", br->who.user, host);
	job_set(j, ATTR_euser, br->who.user);
	gr = getgrgid(br->who.gid);
	if (gr)
		job_set(j, ATTR_egroup, gr->gr_name);
	else
		job_setf(j, ATTR_egroup, "%u", (unsigned)br->who.gid);
	job_set(j, ATTR_queue, s->qname);
	job_set(j, ATTR_server, s->name);
	if (!job_attr(j, ATTR_N))
		job_set(j, ATTR_N, "STDIN");
	if (!job_attr(j, ATTR_c))
		job_set(j, ATTR_c, "u");
	if (!job_attr(j, ATTR_h))
		job_set(j, ATTR_h, "n");
	if (!job_attr(j, ATTR_j))
		job_set(j, ATTR_j, "n");
	if (!job_attr(j, ATTR_k))
		job_set(j, ATTR_k, "n");
	if (!job_attr(j, ATTR_p))
		job_set(j, ATTR_p, "0");
	if (!job_attr(j, ATTR_r))
		job_set(j, ATTR_r, "True");
	if (!job_attr(j, ATTR_checkpoint_dir) && svr_attr(s, ATTR_checkpoint_dir))
		job_set(j, ATTR_checkpoint_dir, svr_attr(s, ATTR_checkpoint_dir));
	if (!job_attr(j, ATTR_checkpoint_dir) && attrl_get(&s->qattrs, ATTR_checkpoint_dir, NULL))
		job_set(j, ATTR_checkpoint_dir, attrl_get(&s->qattrs, ATTR_checkpoint_dir, NULL));
	default_path(j, ATTR_o, 'o', host);
	default_path(j, ATTR_e, 'e', host);
	job_setf(j, ATTR_ctime, "%ld", now);
	job_setf(j, ATTR_qtime, "%ld", now);
	job_setf(j, ATTR_mtime, "%ld", now);
	job_setf(j, ATTR_etime, "%ld", now);
	j->svrflags = JOB_SVFLG_HERE | JOB_SVFLG_SCRIPT;
	svr_evaljobstate(s, j, &st, &sub);
	j->state = st;
	j->substate = sub;
	if (job_save(s, j) < 0) {
		job_free(j);
		req_reject(br, PBSE_CAN_NOT_SAVE_FILE, 0, "cannot write the job file");
		return 0;
	}
	s->next_seq++;
	job_link(s, j);
	log_job(PBSEVENT_JOB, j->id, "Job Queued at request of %s@%s, owner = %s, job name = %s, "
		"queue = %s", br->who.user, br->who.host, job_attr(j, ATTR_owner),
		job_attr(j, ATTR_N), s->qname);
	snprintf(msg, sizeof(msg), "queue=%s", s->qname);
	account_record(s, 'Q', j, msg);
	s->sched_wanted = 1;
	msg_reply(&rep, 0, 0, j->id);
	msg_add_obj(&rep, "job", j->id);
	req_reply_msg(br, &rep);
	return 0;
}
