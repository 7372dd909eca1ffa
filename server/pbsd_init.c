/* Server start: directories, the server database (server and queue
 * attributes), nodes, and recovery of every job from the store. */
#include "server/server.h"
#include "lib/log.h"
#include "lib/pbs_error.h"
#include "lib/xml_util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SEQ_RESERVE 1000

static time_t real_now(void)
{
	return time(NULL);
}

struct server *server_create(const char *home, const char *name)
{
	struct server *s = xcalloc(1, sizeof(*s));

	s->home = xstrdup(home);
	s->name = xstrdup(name);
	s->priv = xasprintf("%s/server_priv", home);
	s->jobs_dir = xasprintf("%s/jobs", s->priv);
	s->sock_path = xasprintf("%s/server.sock", home);
	s->port = PBS_BATCH_SERVICE_PORT;
	s->mom_port = PBS_MOM_SERVICE_PORT;
	attrl_init(&s->attrs);
	attrl_init(&s->qattrs);
	s->qname = xstrdup("batch");
	s->next_seq = 0;
	s->unix_fd = s->tcp_fd = -1;
	s->now = real_now;
	s->started_ms = now_ms();
	s->loop = wloop_new(NULL);
	return s;
}

void server_destroy(struct server *s)
{
	struct job *j, *n;

	if (!s)
		return;
	for (j = s->jobs; j; j = n) {
		n = j->next;
		job_free(j);
	}
	free(s->jhash);
	nodes_free(s->nodes, s->nnodes);
	s->destroying = 1;
	wloop_free(s->loop);
	attrl_free(&s->attrs);
	attrl_free(&s->qattrs);
	proto_key_free(&s->key);
	free(s->home);
	free(s->name);
	free(s->priv);
	free(s->jobs_dir);
	free(s->sock_path);
	free(s->qname);
	free(s);
}

const char *svr_attr(struct server *s, const char *name)
{
	return attrl_get(&s->attrs, name, NULL);
}

int svr_attr_true(struct server *s, const char *name)
{
	const char *v = svr_attr(s, name);

	return v && (!strcasecmp(v, "true") || !strcasecmp(v, "t") || !strcmp(v, "1") ||
		     !strcasecmp(v, "yes") || !strcasecmp(v, "y"));
}

long svr_attr_long(struct server *s, const char *name, long dflt)
{
	const char *v = svr_attr(s, name);
	char *end;
	long l;

	if (!v || !*v)
		return dflt;
	l = strtol(v, &end, 10);
	return *end ? dflt : l;
}

static void enc_list(struct buf *b, const struct attr_list *l)
{
	struct pbs_attr *a;

	for (a = l->head; a; a = a->next) {
		buf_puts(b, "  <attr name=\"");
		xml_escape(b, a->name);
		if (a->resource) {
			buf_puts(b, "\" resource=\"");
			xml_escape(b, a->resource);
		}
		buf_puts(b, "\">");
		xml_escape(b, a->value);
		buf_puts(b, "</attr>\n");
	}
}

int svr_save_db(struct server *s)
{
	char *path = xasprintf("%s/serverdb", s->priv);
	struct buf b;
	int rc = 0;

	buf_init(&b);
	buf_printf(&b, "<?xml version=\"1.0\"?>\n<serverdb v=\"1\" next_job_number=\"%ld\">\n"
		   " <server>\n", s->seq_reserved);
	enc_list(&b, &s->attrs);
	buf_puts(&b, " </server>\n <queue name=\"");
	xml_escape(&b, s->qname);
	buf_puts(&b, "\">\n");
	enc_list(&b, &s->qattrs);
	buf_puts(&b, " </queue>\n</serverdb>\n");
	if (!s->no_fsync && atomic_write_file(path, b.data, b.len, 0600) < 0) {
		pr_perror("cannot save %s", path);
		rc = -1;
	}
	buf_free(&b);
	free(path);
	return rc;
}

static void dec_list(xmlNodePtr parent, struct attr_list *l)
{
	xmlNodePtr c;

	for (c = xml_child(parent, "attr"); c; c = xml_next(c, "attr")) {
		char *name = xml_prop(c, "name"), *res = xml_prop(c, "resource"), *v = xml_text(c);

		if (name && *name)
			attrl_set(l, name, res, v);
		free(name);
		free(res);
		free(v);
	}
}

static int load_db(struct server *s, char *err, size_t errlen)
{
	char *path = xasprintf("%s/serverdb", s->priv), *v;
	xmlDocPtr doc;
	xmlNodePtr root, c;
	int rc = -1;

	if (access(path, F_OK) < 0) {
		rc = 0;
		goto out;
	}
	doc = xml_parse_file(path, 1 << 24, err, errlen);
	if (!doc)
		goto out;
	root = xmlDocGetRootElement(doc);
	v = xml_prop(root, "next_job_number");
	if (v)
		s->next_seq = atol(v);
	free(v);
	c = xml_child(root, "server");
	if (c)
		dec_list(c, &s->attrs);
	c = xml_child(root, "queue");
	if (c) {
		v = xml_prop(c, "name");
		if (v && *v) {
			free(s->qname);
			s->qname = v;
			v = NULL;
		}
		free(v);
		dec_list(c, &s->qattrs);
	}
	xmlFreeDoc(doc);
	rc = 0;
out:
	free(path);
	return rc;
}

static void set_default(struct attr_list *l, const char *name, const char *value)
{
	if (!attrl_get(l, name, NULL))
		attrl_set(l, name, NULL, value);
}

/* Running jobs get their slots back; the MOMs' next reports confirm them. */
static void recover_job_state(struct server *s, struct job *j)
{
	const char *eh = job_attr(j, ATTR_exechost);

	ckmig_recover(s, j);
	if (j->state == JOB_STATE_RUNNING || j->state == JOB_STATE_EXITING) {
		if (eh)
			node_assign(s, j, eh);
		log_job(PBSEVENT_JOB, j->id, "recovered running on %s; waiting for its MOM",
			eh ? eh : "(no exec_host)");
	} else if (j->state == JOB_STATE_TRANSIT) {
		int st, sub;

		svr_evaljobstate(s, j, &st, &sub);
		svr_setjobstate(s, j, st, sub);
	} else if (j->state == JOB_STATE_COMPLETE) {
		const char *ct = job_attr(j, ATTR_comp_time);

		j->purge_at = (ct ? atol(ct) : s->now()) + svr_attr_long(s, ATTR_keepcompleted, 300);
	}
}

/* log_events (Torque's server attribute): the event mask logged;
 * errors and system events are always written. */
void svr_apply_log_events(struct server *s)
{
	const char *v = svr_attr(s, ATTR_logevents);
	char *end;
	long mask;

	if (!v || !*v)
		return;
	mask = strtol(v, &end, 0);
	if (!*end && mask >= 0)
		log_set_mask((int)mask);
}

int pbsd_init(struct server *s, char *err, size_t errlen)
{
	char *acct = xasprintf("%s/accounting", s->priv), host[256];
	struct job *j;
	int n, rc = -1;

	/* a configuration check (no_fsync) creates nothing */
	if (!s->no_fsync && (mkdir_p(s->jobs_dir, 0750) < 0 || mkdir_p(acct, 0750) < 0)) {
		snprintf(err, errlen, "cannot create %s: %s", s->jobs_dir, strerror(errno));
		goto out;
	}
	chmod(s->priv, 0750);
	if (load_db(s, err, errlen) < 0)
		goto out;
	if (gethostname(host, sizeof(host)) < 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	{
		char *mgr = xasprintf("root@%s", host);

		set_default(&s->attrs, ATTR_managers, mgr);
		free(mgr);
	}
	set_default(&s->attrs, ATTR_scheduling, "True");
	set_default(&s->attrs, ATTR_keepcompleted, "300");
	set_default(&s->attrs, ATTR_dfltque, s->qname);
	set_default(&s->attrs, ATTR_ndchkrate, "30");
	set_default(&s->attrs, ATTR_schedit, "10");
	set_default(&s->attrs, ATTR_preempt, "False");
	set_default(&s->qattrs, ATTR_qtype, "Execution");
	set_default(&s->qattrs, ATTR_enable, "True");
	set_default(&s->qattrs, ATTR_start, "True");
	if (s->next_seq < 0)
		s->next_seq = 0;
	svr_apply_log_events(s);
	if (nodes_load(s, err, errlen) < 0)
		goto out;
	n = access(s->jobs_dir, F_OK) == 0 || !s->no_fsync ? job_recov_all(s) : 0;
	if (n < 0) {
		snprintf(err, errlen, "cannot read the job store %s", s->jobs_dir);
		goto out;
	}
	for (j = s->jobs; j; j = j->next)
		recover_job_state(s, j);
	/* numbers handed out before a crash are never reused */
	s->seq_reserved = s->next_seq + SEQ_RESERVE;
	if (svr_save_db(s) < 0) {
		snprintf(err, errlen, "cannot write %s/serverdb: %s", s->priv, strerror(errno));
		goto out;
	}
	log_event(PBSEVENT_SYSTEM | PBSEVENT_ADMIN, NULL, NULL,
		  "Server %s ready: %d jobs recovered, %d nodes, next job number %ld", s->name, n,
		  s->nnodes, s->next_seq);
	rc = 0;
out:
	free(acct);
	return rc;
}
