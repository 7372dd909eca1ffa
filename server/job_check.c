/* The door: what a job may ask for, checked when it is submitted (qsub)
 * or altered (qalter), so that nothing is taken that would then sit Q
 * forever with no word. Torque's PBSE codes and words where Torque has
 * them: Unknown queue (15020), Unknown resource type (15037), Job exceeds
 * queue resource limits (15038, "cannot locate feasible nodes" as
 * Torque's MSG), Unknown node (15064), Illegal attribute or resource
 * value (15016), Duplicate entry in list (15057), Invalid Job Dependency
 * (15056). And the checkpoint_dir policy (allowed_checkpoint_dirs): a
 * directory root will write a memory image into is the operator's
 * choice, never the job owner's alone. */
#include "server/server.h"
#include "lib/ckpt_option.h"
#include "lib/pbs_error.h"
#include "lib/resc_value.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int job_check_queue(struct server *s, const char *dest, char *msg, size_t msglen)
{
	size_t qlen;

	if (!dest || !*dest)
		return 0;
	qlen = strcspn(dest, "@");
	/* "@server" is the server's default queue; the server part of
	 * "queue@server" named this server, or the client would not be here */
	if (qlen == 0 || (qlen == strlen(s->qname) && !strncmp(dest, s->qname, qlen)))
		return 0;
	snprintf(msg, msglen, "%.*s", (int)qlen, dest);
	return PBSE_UNKQUE;
}

/* Does node n carry every property of the comma list props? */
static int has_props(const struct node *n, const char *props)
{
	char *copy = xstrdup(props), *p, *save = NULL;
	int ok = 1;

	for (p = strtok_r(copy, ",", &save); p && ok; p = strtok_r(NULL, ",", &save)) {
		size_t l = strlen(p);
		const char *h = n->props;

		ok = 0;
		while (h && *h) {
			size_t hl = strcspn(h, ",");

			if (hl == l && !strncmp(h, p, l))
				ok = 1;
			h += hl;
			if (*h == ',')
				h++;
		}
	}
	free(copy);
	return ok;
}

/* One "N|host[:ppn=M][:prop]..." element: can the configured nodes ever
 * hold it? Whether they are up or busy now is the scheduler's matter. */
static int element_feasible(struct server *s, const char *el, int dflt_ppn, int *count,
			    char *msg, size_t msglen)
{
	char *copy = xstrdup(el), *tok, *save = NULL, *head;
	struct buf props;
	int ppn = dflt_ppn, rc = 0, i, fit = 0;

	buf_init(&props);
	buf_puts(&props, "");
	head = strtok_r(copy, ":", &save);
	for (tok = strtok_r(NULL, ":", &save); tok; tok = strtok_r(NULL, ":", &save)) {
		if (!strncmp(tok, "ppn=", 4))
			ppn = atoi(tok + 4);
		else if (!strchr(tok, '='))
			buf_printf(&props, "%s%s", props.len ? "," : "", tok);
	}
	if (head && isdigit((unsigned char)head[0])) {
		*count = atoi(head);
		for (i = 0; i < s->nnodes; i++)
			if (s->nodes[i].np >= ppn && has_props(&s->nodes[i], props.data))
				fit++;
		if (fit < *count) {
			snprintf(msg, msglen, "cannot locate feasible nodes (nodes=%s: %d node%s with "
				 "np>=%d%s%s, the job asks for %d)", el, fit, fit == 1 ? "" : "s", ppn,
				 props.len ? " and properties " : "", props.data, *count);
			rc = PBSE_EXCQRESC;
		}
	} else if (head) {
		struct node *n = find_node(s, head);

		*count = 1;
		if (!n) {
			snprintf(msg, msglen, "%s", head);
			rc = PBSE_UNKNODE;
		} else if (n->np < ppn) {
			snprintf(msg, msglen, "cannot locate feasible nodes (node %s has np=%d, the job "
				 "asks for ppn=%d)", n->name, n->np, ppn);
			rc = PBSE_EXCQRESC;
		} else if (!has_props(n, props.data)) {
			snprintf(msg, msglen, "cannot locate feasible nodes (node %s lacks %s)",
				 n->name, props.data);
			rc = PBSE_EXCQRESC;
		}
	}
	buf_free(&props);
	free(copy);
	return rc;
}

int job_check_nodes(struct server *s, const char *spec, int dflt_ppn, char *msg, size_t msglen)
{
	char *copy, *el, *save = NULL;
	int rc = 0, total = 0;

	/* A server without a node list (tests of the server alone, a site
	 * that adds nodes with qmgr later) has nothing to judge against. */
	if (!spec || !*spec || s->nnodes == 0)
		return 0;
	copy = xstrdup(spec);
	for (el = strtok_r(copy, "+", &save); el && !rc; el = strtok_r(NULL, "+", &save)) {
		int count = 0;

		rc = element_feasible(s, el, dflt_ppn, &count, msg, msglen);
		total += count;
	}
	if (!rc && total > s->nnodes) {
		snprintf(msg, msglen, "cannot locate feasible nodes (nodes=%s asks for %d nodes, "
			 "the server has %d)", spec, total, s->nnodes);
		rc = PBSE_EXCQRESC;
	}
	free(copy);
	return rc;
}

/* The queue's resources_max (Torque: PBSE_EXCQRESC). */
static int within_queue_max(struct server *s, const char *res, const char *val, char *msg,
			    size_t msglen)
{
	const char *max = attrl_get(&s->qattrs, ATTR_rescmax, res);
	int over = 0;

	if (!max)
		return 0;
	switch (resc_kind(res)) {
	case RESC_TIME:
		over = parse_time_value(val) > parse_time_value(max);
		break;
	case RESC_SIZE:
		over = parse_size_value(val) > parse_size_value(max);
		break;
	case RESC_COUNT:
		over = atol(val) > atol(max);
		break;
	case RESC_NODES:
		over = nodes_spec_count(val) > atoi(max);
		break;
	}
	if (over)
		snprintf(msg, msglen, "Resource_List.%s=%s is beyond the queue's resources_max.%s=%s",
			 res, val, res, max);
	return over ? PBSE_EXCQRESC : 0;
}

/* depend=type:jobid[:jobid...][,type:...]: every job named must exist. */
static int check_depend(struct server *s, const char *val, char *msg, size_t msglen)
{
	static const char *const job_types[] = {
		"after", "afterok", "afternotok", "afterany", "before", "beforeok",
		"beforenotok", "beforeany", "syncwith", NULL
	};
	char *copy = xstrdup(val), *item, *save = NULL;
	int rc = 0;

	for (item = strtok_r(copy, ",", &save); item && !rc; item = strtok_r(NULL, ",", &save)) {
		char *colon = strchr(item, ':'), *id, *isave = NULL;
		int i;

		if (colon)
			*colon = '\0';
		if (!strcmp(item, "on") || !strcmp(item, "synccount")) {
			if (!colon || !isdigit((unsigned char)colon[1])) {
				snprintf(msg, msglen, "%s needs a count", item);
				rc = PBSE_BADDEPEND;
			}
			continue;
		}
		for (i = 0; job_types[i]; i++)
			if (!strcmp(item, job_types[i]))
				break;
		if (!job_types[i]) {
			snprintf(msg, msglen, "unknown dependency type \"%s\"", item);
			rc = PBSE_BADDEPEND;
		} else if (!colon || !colon[1]) {
			snprintf(msg, msglen, "%s names no job", item);
			rc = PBSE_BADDEPEND;
		}
		for (id = colon && !rc ? strtok_r(colon + 1, ":", &isave) : NULL; id && !rc;
		     id = strtok_r(NULL, ":", &isave))
			if (!find_job(s, id)) {
				snprintf(msg, msglen, "%s:%s: no such job", item, id);
				rc = PBSE_BADDEPEND;
			}
	}
	free(copy);
	return rc;
}

/* The operator's allowed parents: allowed_checkpoint_dirs, and the
 * server's and the queue's own checkpoint_dir (chosen by a manager too). */
int ckpt_dir_allowed(struct server *s, const char *dir, char *msg, size_t msglen)
{
	const char *lists[3] = { svr_attr(s, ATTR_allowed_ckpt_dirs), svr_attr(s, ATTR_checkpoint_dir),
				 attrl_get(&s->qattrs, ATTR_checkpoint_dir, NULL) };
	int i, ok = 0;

	if (ckpt_dir_check(dir, msg, msglen) < 0)
		return PBSE_BADATVAL;
	for (i = 0; i < 3 && !ok; i++) {
		char *copy, *p, *save = NULL;

		if (!lists[i])
			continue;
		copy = xstrdup(lists[i]);
		for (p = strtok_r(copy, ", \t", &save); p && !ok; p = strtok_r(NULL, ", \t", &save))
			ok = p[0] == '/' && ckpt_dir_under(dir, p);
		free(copy);
	}
	if (!ok)
		snprintf(msg, msglen, "checkpoint directory %s is not under the server's "
			 "allowed_checkpoint_dirs (%s): a manager sets them with qmgr", dir,
			 svr_attr(s, ATTR_allowed_ckpt_dirs) ? svr_attr(s, ATTR_allowed_ckpt_dirs)
							     : "none set");
	return ok ? 0 : PBSE_PERM;
}

/* walltime_total (issue 16): a budget of walltime over several runs,
 * each run bounded by Resource_List.walltime. It only means something
 * for a job that has a per-run walltime (its own, or the queue's
 * default) and can be checkpointed: refused otherwise, here, rather than
 * killed at the first walltime. */
static int check_walltime_total(struct server *s, const struct attr_list *job, char *msg,
				size_t msglen)
{
	const char *total = attrl_get(job, ATTR_walltime_total, NULL);
	const char *wt = attrl_get(job, ATTR_l, "walltime");
	struct ckpt_opts o;

	if (!total)
		return 0;
	if (resc_value_check("walltime", total, msg, msglen) < 0 || parse_time_value(total) <= 0) {
		snprintf(msg, msglen, "walltime_total must be a time greater than zero "
			 "([[HH:]MM:]SS), not \"%s\"", total);
		return PBSE_BADATVAL;
	}
	if (!wt)
		wt = attrl_get(&s->qattrs, ATTR_rescdflt, "walltime");
	if (!wt || parse_time_value(wt) <= 0) {
		snprintf(msg, msglen, "walltime_total needs a per-run walltime "
			 "(-l walltime=HH:MM:SS)");
		return PBSE_IVALREQ;
	}
	if (ckpt_opts_parse(attrl_get(job, ATTR_c, NULL), &o, NULL, 0) < 0 ||
	    !ckpt_checkpointable(&o)) {
		snprintf(msg, msglen, "walltime_total needs a checkpointable job "
			 "(-c enabled, periodic, shutdown or c=N)");
		return PBSE_IVALREQ;
	}
	return 0;
}

int job_check_attrs(struct server *s, const struct attr_list *req, const struct attr_list *job,
		    char *msg, size_t msglen)
{
	const struct pbs_attr *a, *b;
	const char *nodes;
	struct ckpt_opts o;
	int rc, ppn = 1;

	for (a = req->head; a; a = a->next) {
		for (b = req->head; b != a; b = b->next)
			if (!strcmp(a->name, b->name) &&
			    ((!a->resource && !b->resource) ||
			     (a->resource && b->resource && !strcmp(a->resource, b->resource)))) {
				snprintf(msg, msglen, "%s%s%s", a->name, a->resource ? "." : "",
					 a->resource ? a->resource : "");
				return PBSE_DUPLIST;
			}
		if (!strcmp(a->name, ATTR_l)) {
			if (!a->resource || !resc_known(a->resource)) {
				snprintf(msg, msglen, "%s", a->resource ? a->resource : "");
				return PBSE_UNKRESC;
			}
			if (resc_value_check(a->resource, a->value, msg, msglen) < 0)
				return PBSE_BADATVAL;
			if ((rc = within_queue_max(s, a->resource, a->value, msg, msglen)))
				return rc;
		} else if (!strcmp(a->name, ATTR_c)) {
			char why[512];

			if (ckpt_opts_parse(a->value, &o, why, sizeof(why)) < 0) {
				snprintf(msg, msglen, "Checkpoint: %s", why);
				return PBSE_BADATVAL;
			}
			if (o.dir[0] && (rc = ckpt_dir_allowed(s, o.dir, msg, msglen)))
				return rc;
		} else if (!strcmp(a->name, ATTR_checkpoint_dir)) {
			if ((rc = ckpt_dir_allowed(s, a->value, msg, msglen)))
				return rc;
		} else if (!strcmp(a->name, ATTR_depend)) {
			if ((rc = check_depend(s, a->value, msg, msglen)))
				return rc;
		}
	}
	if ((attrl_find(req, ATTR_walltime_total, NULL) || attrl_find(req, ATTR_l, "walltime") ||
	     attrl_find(req, ATTR_c, NULL)) &&
	    (rc = check_walltime_total(s, job, msg, msglen)))
		return rc;
	/* nodes against the node list, when this request set nodes or ncpus */
	if (attrl_find(req, ATTR_l, "nodes") || attrl_find(req, ATTR_l, "ncpus")) {
		const char *ncpus = attrl_get(job, ATTR_l, "ncpus");

		if (ncpus && atoi(ncpus) > 0)
			ppn = atoi(ncpus);
		nodes = attrl_get(job, ATTR_l, "nodes");
		if ((rc = job_check_nodes(s, nodes && *nodes ? nodes : "1", ppn, msg, msglen)))
			return rc;
	}
	return 0;
}
