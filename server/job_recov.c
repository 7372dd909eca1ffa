/* The job store: one XML file per job in server_priv/jobs/<id>.JB,
 * replaced atomically (tmp, fsync, rename, fsync dir) before the server
 * answers a request that changed the job; all read back at start.
 * Version 2 adds the checkpoint/migration state (<ckmig>); a version 1
 * file kept it in ckmig_* attributes, which are turned into it on load. */
#include "server/server.h"
#include "lib/log.h"
#include "lib/pbs_error.h"
#include "lib/xml_util.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define JOB_FILE_VERSION 2
#define JOB_FILE_MAX (PROTO_MAX_BODY + 65536)

char *job_path(struct server *s, const struct job *j)
{
	return xasprintf("%s/%s.JB", s->jobs_dir, j->id);
}

static void encode_str(struct buf *out, const char *tag, const char *v)
{
	if (!v)
		return;
	buf_printf(out, "  <%s>", tag);
	xml_escape(out, v);
	buf_printf(out, "</%s>\n", tag);
}

static void encode_ckmig(const struct job_ckmig *ck, struct buf *out)
{
	buf_printf(out, " <ckmig state=\"%s\" cause=\"%s\" migratable=\"%d\">\n",
		   ckmig_state_name(ck->state), ckmig_cause_name(ck->cause), ck->migratable);
	encode_str(out, "dest", ck->dest);
	encode_str(out, "reason", ck->reason);
	encode_str(out, "by", ck->by);
	encode_str(out, "lost_node", ck->lost_node);
	encode_str(out, "lost_session", ck->lost_session);
	encode_str(out, "at", ck->at);
	buf_puts(out, " </ckmig>\n");
}

static int decode_ckmig(xmlNodePtr n, struct job_ckmig *ck)
{
	char *st = xml_prop(n, "state"), *cause = xml_prop(n, "cause"), *mg = xml_prop(n, "migratable");
	int s = ckmig_state_parse(st), c = ckmig_cause_parse(cause), rc = -1;
	xmlNodePtr c2;

	if (s < 0 || c < 0 || !mg)
		goto out;
	ck->state = (enum ckmig_state)s;
	ck->cause = (enum ckmig_cause)c;
	ck->migratable = atoi(mg) > 0 ? 1 : atoi(mg) == 0 ? 0 : -1;
	for (c2 = xml_child(n, NULL); c2; c2 = xml_next(c2, NULL)) {
		const char *tag = (const char *)c2->name;
		char **field = !strcmp(tag, "dest") ? &ck->dest : !strcmp(tag, "reason") ? &ck->reason :
			       !strcmp(tag, "by") ? &ck->by : !strcmp(tag, "lost_node") ? &ck->lost_node :
			       !strcmp(tag, "lost_session") ? &ck->lost_session :
			       !strcmp(tag, "at") ? &ck->at : NULL;

		if (field) {
			free(*field);
			*field = xml_text(c2);
		}
	}
	rc = 0;
out:
	free(st);
	free(cause);
	free(mg);
	return rc;
}

void job_encode(const struct job *j, struct buf *out)
{
	struct pbs_attr *a;

	buf_printf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<job v=\"%d\" id=\"",
		   JOB_FILE_VERSION);
	xml_escape(out, j->id);
	buf_printf(out, "\" seq=\"%ld\" state=\"%d\" substate=\"%d\" svrflags=\"0x%x\">\n",
		   j->seq, j->state, j->substate, j->svrflags);
	encode_ckmig(&j->ck, out);
	for (a = j->attrs.head; a; a = a->next) {
		buf_puts(out, " <attr name=\"");
		xml_escape(out, a->name);
		if (a->resource) {
			buf_puts(out, "\" resource=\"");
			xml_escape(out, a->resource);
		}
		buf_puts(out, "\">");
		xml_escape(out, a->value);
		buf_puts(out, "</attr>\n");
	}
	buf_puts(out, " <script>");
	xml_escape(out, j->script ? j->script : "");
	buf_puts(out, "</script>\n</job>\n");
}

static int prop_long(xmlNodePtr n, const char *name, long *out)
{
	char *v = xml_prop(n, name), *end;
	int rc = -1;

	if (!v)
		return -1;
	*out = strtol(v, &end, 0);
	if (*v && !*end)
		rc = 0;
	free(v);
	return rc;
}

struct job *job_decode(const char *data, size_t len, char *err, size_t errlen)
{
	xmlDocPtr doc = xml_parse(data, len, err, errlen);
	struct job *j = NULL;
	xmlNodePtr root, c;
	long v, seq, st, sub, flags;
	char *id = NULL;

	if (!doc)
		return NULL;
	root = xmlDocGetRootElement(doc);
	if (strcmp((const char *)root->name, "job") || prop_long(root, "v", &v) < 0 ||
	    v < 1 || v > JOB_FILE_VERSION) {
		snprintf(err, errlen, "not a version 1-%d job file", JOB_FILE_VERSION);
		goto out;
	}
	id = xml_prop(root, "id");
	if (!id || !*id || prop_long(root, "seq", &seq) < 0 || prop_long(root, "state", &st) < 0 ||
	    prop_long(root, "substate", &sub) < 0 || prop_long(root, "svrflags", &flags) < 0 ||
	    st < 0 || st > JOB_STATE_COMPLETE) {
		snprintf(err, errlen, "job file lacks id, seq, state, substate or svrflags");
		goto out;
	}
	j = job_alloc(id, seq);
	j->state = (int)st;
	j->substate = (int)sub;
	j->svrflags = (unsigned)flags;
	for (c = xml_child(root, NULL); c; c = xml_next(c, NULL)) {
		if (!strcmp((const char *)c->name, "attr")) {
			char *name = xml_prop(c, "name"), *res = xml_prop(c, "resource");
			char *val = xml_text(c);

			if (name && *name)
				attrl_add(&j->attrs, name, res, val, BATCH_SET);
			free(name);
			free(res);
			free(val);
		} else if (!strcmp((const char *)c->name, "script")) {
			free(j->script);
			j->script = xml_text(c);
		} else if (!strcmp((const char *)c->name, "ckmig") && v >= 2 &&
			   decode_ckmig(c, &j->ck) < 0) {
			snprintf(err, errlen, "job file has a bad <ckmig> state");
			job_free(j);
			j = NULL;
			goto out;
		}
	}
	if (v == 1)
		ckmig_upgrade_v1(j);
out:
	free(id);
	xmlFreeDoc(doc);
	return j;
}

int job_save(struct server *s, struct job *j)
{
	struct buf b;
	char *path = job_path(s, j);
	int rc;

	buf_init(&b);
	job_encode(j, &b);
	/* The directory fsync that makes the rename durable is shared by
	 * every job saved in one turn of the loop; no answer leaves the server
	 * before it (svr_sync_jobs). */
	if (s->no_fsync) {
		rc = 0;
	} else {
		rc = atomic_replace_file(path, b.data, b.len, 0600);
		s->jobs_dir_dirty = 1;
	}
	if (rc < 0)
		log_job(PBSEVENT_ERROR, j->id, "Error (job_recov.c): cannot save %s: %s", path,
			strerror(errno));
	buf_free(&b);
	free(path);
	return rc;
}

static int job_seq_cmp(const void *a, const void *b)
{
	const struct job *x = *(struct job *const *)a, *y = *(struct job *const *)b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Read every *.JB; a file that cannot be read is set aside as .bad so
 * one damaged file does not cost the others. */
int job_recov_all(struct server *s)
{
	DIR *d = opendir(s->jobs_dir);
	struct dirent *de;
	struct job **list = NULL;
	size_t n = 0, cap = 0, i;
	int count = 0;

	if (!d) {
		pr_perror("cannot open %s", s->jobs_dir);
		return -1;
	}
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		char *path, *data = NULL, err[256];
		size_t len;
		struct job *j;

		if (l < 4 || strcmp(de->d_name + l - 3, ".JB"))
			continue;
		path = xasprintf("%s/%s", s->jobs_dir, de->d_name);
		if (read_file(path, JOB_FILE_MAX, &data, &len) < 0) {
			snprintf(err, sizeof(err), "%s", strerror(errno));
			j = NULL;
		} else {
			j = job_decode(data, len, err, sizeof(err));
		}
		free(data);
		if (!j || find_job(s, j->id)) {
			char *bad = xasprintf("%s.bad", path);

			pr_err("job file %s unreadable (%s); moved to %s", path,
			       j ? "duplicate id" : err, bad);
			rename(path, bad);
			free(bad);
			job_free(j);
		} else {
			if (n == cap) {
				cap = cap ? cap * 2 : 256;
				list = xrealloc(list, cap * sizeof(*list));
			}
			list[n++] = j;
		}
		free(path);
	}
	closedir(d);
	/* keep submission order */
	if (n > 1)
		qsort(list, n, sizeof(*list), job_seq_cmp);
	for (i = 0; i < n; i++) {
		job_link(s, list[i]);
		if (list[i]->seq >= s->next_seq)
			s->next_seq = list[i]->seq + 1;
		count++;
	}
	free(list);
	return count;
}

void job_purge(struct server *s, struct job *j)
{
	char *path = job_path(s, j);

	if (unlink(path) < 0 && errno != ENOENT)
		pr_perror("cannot remove %s", path);
	free(path);
	job_unlink(s, j);
	job_free(j);
}
