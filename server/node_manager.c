/* Nodes: server_priv/nodes in Torque's format ("name np=N prop prop"),
 * their states (free, job-exclusive, down, offline), MOM status reports,
 * placement of jobs on slots, and Maui-style destination strings. */
#include "server/server.h"
#include "lib/log.h"
#include "lib/pbs_error.h"
#include "lib/xml_util.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void node_init(struct node *n, const char *name, int np, const char *props)
{
	memset(n, 0, sizeof(*n));
	n->name = xstrdup(name);
	n->np = np;
	n->props = xstrdup(props ? props : "");
	n->slot = xcalloc((size_t)np, sizeof(*n->slot));
	n->flags = NODE_DOWN;   /* until its MOM reports */
	n->status = xstrdup("");
	n->note = xstrdup("");
}

static void node_clear(struct node *n)
{
	free(n->name);
	free(n->props);
	free(n->slot);
	free(n->status);
	free(n->note);
}

void nodes_free(struct node *nodes, int n)
{
	int i;

	for (i = 0; i < n; i++)
		node_clear(&nodes[i]);
	free(nodes);
}

static int valid_node_name(const char *s)
{
	if (!*s || strlen(s) > 255)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '.' && *s != '_')
			return 0;
	return 1;
}

/* Torque's nodes file keywords. np, gpus and mics are counts; the numa_*
 * strings are taken and not used. Each at most once per line: with
 * "np=2 np=3" Torque's last wins silently; here the line is refused.
 * Returns the count (0 for a string keyword) or -1 with err set. */
static int node_keyword(const char *tok, unsigned *seen, char *err, size_t errlen)
{
	static const struct { const char *key; int min, max; } keys[] = {
		{ "np", 1, 4096 }, { "gpus", 0, 1024 }, { "mics", 0, 1024 },
		{ "numa_board_str", -1, 0 }, { "numa_gpu_node_str", -1, 0 },
		{ "numa_mic_node_str", -1, 0 }, { "numa_node_str", -1, 0 },
	};
	size_t klen = strcspn(tok, "="), i;
	const char *val = tok + klen + 1;
	char *end;
	long v;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strlen(keys[i].key) == klen && !strncmp(tok, keys[i].key, klen))
			break;
	if (i == sizeof(keys) / sizeof(keys[0])) {
		snprintf(err, errlen, "unknown node attribute \"%.*s\"", (int)(klen < 64 ? klen : 64),
			 tok);
		return -1;
	}
	if (*seen & (1u << i)) {
		snprintf(err, errlen, "%s given twice", keys[i].key);
		return -1;
	}
	*seen |= 1u << i;
	if (keys[i].min < 0)
		return 0;
	v = isdigit((unsigned char)*val) ? strtol(val, &end, 10) : -1;
	if (v < 0 || *end || v < keys[i].min || v > keys[i].max) {
		snprintf(err, errlen, "bad %s \"%.64s\" (a number %d..%d)", keys[i].key, val,
			 keys[i].min, keys[i].max);
		return -1;
	}
	return (int)v;
}

/* Parse the nodes file text. Lines: name [np=N] [props...]; '#' comments. */
int nodes_parse(const char *text, struct node **out, int *count, char *err, size_t errlen)
{
	struct node *nodes = NULL;
	int n = 0, cap = 0, lineno = 0, rc = -1, i;
	char *copy = xstrdup(text), *save = NULL, *line;

	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *tok, *tsave = NULL, *hash = strchr(line, '#');
		char name[256] = "";
		struct buf props;
		unsigned seen = 0;
		int np = 1;

		lineno++;
		if (hash)
			*hash = '\0';
		buf_init(&props);
		buf_puts(&props, "");
		for (tok = strtok_r(line, " \t\r", &tsave); tok; tok = strtok_r(NULL, " \t\r", &tsave)) {
			if (!name[0]) {
				if (!valid_node_name(tok)) {
					snprintf(err, errlen, "nodes file line %d: bad node name \"%s\"",
						 lineno, tok);
					buf_free(&props);
					goto out;
				}
				snprintf(name, sizeof(name), "%s", tok);
			} else if (strchr(tok, '=')) {
				int v = node_keyword(tok, &seen, err, errlen);

				if (v < 0) {
					char why[256];

					snprintf(why, sizeof(why), "%s", err);
					snprintf(err, errlen, "nodes file line %d: %s", lineno, why);
					buf_free(&props);
					goto out;
				}
				if (!strncmp(tok, "np=", 3))
					np = v;
			} else {
				if (props.len)
					buf_puts(&props, ",");
				buf_puts(&props, tok);
			}
		}
		if (!name[0]) {
			buf_free(&props);
			continue;
		}
		for (i = 0; i < n; i++)
			if (!strcmp(nodes[i].name, name)) {
				snprintf(err, errlen, "nodes file line %d: node %s listed twice", lineno,
					 name);
				buf_free(&props);
				goto out;
			}
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			nodes = xrealloc(nodes, (size_t)cap * sizeof(*nodes));
		}
		node_init(&nodes[n++], name, np, props.data);
		buf_free(&props);
	}
	*out = nodes;
	*count = n;
	nodes = NULL;
	n = 0;
	rc = 0;
out:
	nodes_free(nodes, n);
	free(copy);
	return rc;
}

/* Operator state (offline, note) lives in server_priv/node_status. */
static void node_status_load(struct server *s)
{
	char *path = xasprintf("%s/node_status", s->priv), err[256];
	xmlDocPtr doc;
	xmlNodePtr c;

	if (access(path, F_OK) < 0) {
		free(path);
		return;
	}
	doc = xml_parse_file(path, 1 << 24, err, sizeof(err));
	if (!doc) {
		pr_err("%s: %s", path, err);
		free(path);
		return;
	}
	for (c = xml_child(xmlDocGetRootElement(doc), "node"); c; c = xml_next(c, "node")) {
		char *name = xml_prop(c, "name"), *off = xml_prop(c, "offline");
		char *note = xml_prop(c, "note"), *drain = xml_prop(c, "drain");
		struct node *n = name ? find_node(s, name) : NULL;

		if (n) {
			if (off && !strcmp(off, "1"))
				n->flags |= NODE_OFFLINE;
			n->drain = drain && !strcmp(drain, "1");
			if (note) {
				free(n->note);
				n->note = note;
				note = NULL;
			}
		}
		free(name);
		free(off);
		free(note);
		free(drain);
	}
	xmlFreeDoc(doc);
	free(path);
}

int nodes_load(struct server *s, char *err, size_t errlen)
{
	char *path = xasprintf("%s/nodes", s->priv), *text = NULL;
	int rc = -1;

	if (read_file(path, 1 << 24, &text, NULL) < 0) {
		if (errno != ENOENT) {
			snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
			goto out;
		}
		text = xstrdup("");
	}
	nodes_free(s->nodes, s->nnodes);
	s->nodes = NULL;
	s->nnodes = 0;
	if (nodes_parse(text, &s->nodes, &s->nnodes, err, errlen) < 0)
		goto out;
	node_status_load(s);
	rc = 0;
out:
	free(text);
	free(path);
	return rc;
}

int nodes_save(struct server *s)
{
	struct buf nf, st;
	char *p1 = xasprintf("%s/nodes", s->priv), *p2 = xasprintf("%s/node_status", s->priv);
	int i, rc = 0;

	buf_init(&nf);
	buf_init(&st);
	buf_puts(&st, "<?xml version=\"1.0\"?>\n<node_status v=\"1\">\n");
	for (i = 0; i < s->nnodes; i++) {
		struct node *n = &s->nodes[i];
		char *p, *props = xstrdup(n->props);

		buf_printf(&nf, "%s np=%d", n->name, n->np);
		for (p = strtok(props, ","); p; p = strtok(NULL, ","))
			buf_printf(&nf, " %s", p);
		buf_puts(&nf, "\n");
		free(props);
		buf_puts(&st, " <node name=\"");
		xml_escape(&st, n->name);
		buf_printf(&st, "\" offline=\"%d\" drain=\"%d\" note=\"", !!(n->flags & NODE_OFFLINE),
			   n->drain);
		xml_escape(&st, n->note);
		buf_puts(&st, "\"/>\n");
	}
	buf_puts(&st, "</node_status>\n");
	if (!s->no_fsync && (atomic_write_file(p1, nf.data ? nf.data : "", nf.len, 0644) < 0 ||
			     atomic_write_file(p2, st.data, st.len, 0644) < 0)) {
		pr_perror("cannot save nodes");
		rc = -1;
	}
	buf_free(&nf);
	buf_free(&st);
	free(p1);
	free(p2);
	return rc;
}

struct node *find_node(struct server *s, const char *name)
{
	int i;

	for (i = 0; i < s->nnodes; i++)
		if (!strcmp(s->nodes[i].name, name))
			return &s->nodes[i];
	/* "node1.example.com" for "node1" and the reverse */
	for (i = 0; i < s->nnodes; i++) {
		size_t l = strlen(s->nodes[i].name), m = strlen(name);

		if ((m > l && !strncmp(name, s->nodes[i].name, l) && name[l] == '.') ||
		    (l > m && !strncmp(name, s->nodes[i].name, m) && s->nodes[i].name[m] == '.'))
			return &s->nodes[i];
	}
	return NULL;
}

int node_free_slots(const struct node *n)
{
	int i, f = 0;

	for (i = 0; i < n->np; i++)
		if (!n->slot[i])
			f++;
	return f;
}

int node_usable(const struct node *n)
{
	return !(n->flags & (NODE_OFFLINE | NODE_DOWN)) && !n->drain;
}

const char *node_state_str(const struct node *n, char *out, size_t size)
{
	struct buf b;

	buf_init(&b);
	if (n->flags & NODE_DOWN)
		buf_puts(&b, ND_down);
	if (n->flags & NODE_OFFLINE)
		buf_printf(&b, "%s%s", b.len ? "," : "", ND_offline);
	if (node_free_slots(n) == 0)
		buf_printf(&b, "%s%s", b.len ? "," : "", ND_job_exclusive);
	if (!b.len)
		buf_puts(&b, ND_free);
	snprintf(out, size, "%s", b.data);
	buf_free(&b);
	return out;
}

void node_jobs_string(const struct node *n, struct buf *out)
{
	int i, first = 1;

	for (i = 0; i < n->np; i++)
		if (n->slot[i]) {
			buf_printf(out, "%s%d/%s", first ? "" : ", ", i, n->slot[i]->id);
			first = 0;
		}
}

/* A MOM that has not reported within node_check_rate is down. */
void node_check_silent(struct server *s)
{
	long rate = svr_attr_long(s, ATTR_ndchkrate, 30);
	long long now = now_ms();
	int i;

	for (i = 0; i < s->nnodes; i++) {
		struct node *n = &s->nodes[i];
		long long since = n->last_report_ms ? n->last_report_ms : s->started_ms;

		if (!(n->flags & NODE_DOWN) && now - since > rate * 1000) {
			n->flags |= NODE_DOWN;
			log_event(PBSEVENT_SYSTEM | PBSEVENT_ADMIN, PBS_EVENTCLASS_NODE, n->name,
				  "node marked down: no status from its MOM for %ld seconds", rate);
		}
	}
}

/* "h1", "h1/0", "h1:ppn=2", "h1+h2", "h1/0+h1/1", "h1:ppn=2:bigmem".
 * Slots for one host add up; a host without a count gets dflt_count. */
int parse_destination(const char *dest, int dflt_count, struct host_req **out, int *n,
		      char *err, size_t errlen)
{
	struct host_req *list = NULL;
	char *copy = xstrdup(dest), *save = NULL, *part;
	int cnt = 0, rc = PBSE_IVALREQ, i;

	for (part = strtok_r(copy, "+", &save); part; part = strtok_r(NULL, "+", &save)) {
		char *colon = strchr(part, ':'), *slash;
		int count = -1;

		if (colon) {
			char *opt, *osave = NULL;

			*colon = '\0';
			for (opt = strtok_r(colon + 1, ":", &osave); opt;
			     opt = strtok_r(NULL, ":", &osave)) {
				if (!strncmp(opt, "ppn=", 4)) {
					char *end;
					long v = strtol(opt + 4, &end, 10);

					if (*end || v < 1 || v > 4096) {
						snprintf(err, errlen, "bad ppn in destination \"%s\"", dest);
						goto out;
					}
					count = (int)v;
				}
				/* properties in a destination are the scheduler's business */
			}
		}
		slash = strchr(part, '/');
		if (slash) {
			char *end;

			strtol(slash + 1, &end, 10);
			if (*end || end == slash + 1) {
				snprintf(err, errlen, "bad slot in destination \"%s\"", dest);
				goto out;
			}
			*slash = '\0';
			if (count < 0)
				count = 1;
		}
		if (!valid_node_name(part)) {
			snprintf(err, errlen, "bad host name in destination \"%s\"", dest);
			goto out;
		}
		if (count < 0)
			count = dflt_count > 0 ? dflt_count : 1;
		for (i = 0; i < cnt; i++)
			if (!strcmp(list[i].name, part))
				break;
		if (i < cnt) {
			list[i].count += count;
			continue;
		}
		list = xrealloc(list, (size_t)(cnt + 1) * sizeof(*list));
		snprintf(list[cnt].name, sizeof(list[cnt].name), "%s", part);
		list[cnt].count = count;
		cnt++;
	}
	if (!cnt) {
		snprintf(err, errlen, "empty destination");
		goto out;
	}
	*out = list;
	*n = cnt;
	list = NULL;
	rc = 0;
out:
	free(list);
	free(copy);
	return rc;
}

/* Resource_List.nodes "N[:ppn=M][:prop...]" or ncpus=M. Returns 1 when
 * nodes names hosts instead (then the caller uses it as a destination). */
int job_resource_request(const struct job *j, int *nodect, int *ppn, char *props, size_t psize)
{
	const char *nodes = job_resc(j, ATTR_l, "nodes");
	const char *ncpus = job_resc(j, ATTR_l, "ncpus");
	const char *p;

	*nodect = 1;
	*ppn = 1;
	props[0] = '\0';
	if (ncpus && atoi(ncpus) > 0)
		*ppn = atoi(ncpus);
	if (!nodes || !*nodes)
		return 0;
	if (!isdigit((unsigned char)nodes[0]))
		return 1;
	*nodect = atoi(nodes);
	if (*nodect < 1)
		*nodect = 1;
	for (p = strchr(nodes, ':'); p; p = strchr(p + 1, ':')) {
		if (!strncmp(p + 1, "ppn=", 4)) {
			*ppn = atoi(p + 5) > 0 ? atoi(p + 5) : 1;
		} else if (p[1] && !strchr(p + 1, '=')) {
			size_t l = strcspn(p + 1, ":");
			size_t cur = strlen(props);

			if (cur + l + 2 < psize) {
				if (cur)
					props[cur++] = ',';
				memcpy(props + cur, p + 1, l);
				props[cur + l] = '\0';
			}
		}
	}
	return 0;
}

static int node_has_props(const struct node *n, const char *props)
{
	char *copy, *p, *save = NULL;
	int ok = 1;

	if (!props || !*props)
		return 1;
	copy = xstrdup(props);
	for (p = strtok_r(copy, ",", &save); p && ok; p = strtok_r(NULL, ",", &save)) {
		const char *q = n->props;
		size_t l = strlen(p);
		int found = 0;

		while (q && *q) {
			if (!strncmp(q, p, l) && (q[l] == ',' || q[l] == '\0'))
				found = 1;
			q = strchr(q, ',');
			if (q)
				q++;
		}
		if (!found && strcmp(n->name, p))
			ok = 0;
	}
	free(copy);
	return ok;
}

/* Free slot numbers of n for this job, written as "n/i+n/k". */
static void emit_slots(const struct node *n, int count, struct buf *out)
{
	int i;

	for (i = 0; i < n->np && count > 0; i++)
		if (!n->slot[i]) {
			buf_printf(out, "%s%s/%d", out->len ? "+" : "", n->name, i);
			count--;
		}
}

int node_select(struct server *s, const struct job *j, const char *dest, struct buf *exec_host,
		char *err, size_t errlen)
{
	struct host_req *hr = NULL;
	int nodect, ppn, nh = 0, i, rc = PBSE_RESCUNAV, found = 0;
	char props[256];
	const char *spec = dest;

	buf_reset(exec_host);
	if (job_resource_request(j, &nodect, &ppn, props, sizeof(props)) == 1 && !spec)
		spec = job_resc(j, ATTR_l, "nodes");
	if (spec && *spec) {
		rc = parse_destination(spec, ppn, &hr, &nh, err, errlen);
		if (rc)
			goto out;
		for (i = 0; i < nh; i++) {
			struct node *n = find_node(s, hr[i].name);

			if (!n) {
				snprintf(err, errlen, "Unknown node %s", hr[i].name);
				rc = PBSE_UNKNODE;
				goto out;
			}
			if (!node_usable(n)) {
				char st[64];

				snprintf(err, errlen, "node %s is %s", n->name,
					 n->drain ? "draining" : node_state_str(n, st, sizeof(st)));
				rc = PBSE_RESCUNAV;
				goto out;
			}
			if (node_free_slots(n) < hr[i].count) {
				snprintf(err, errlen, "node %s has %d free of %d slots, %d needed",
					 n->name, node_free_slots(n), n->np, hr[i].count);
				rc = PBSE_RESCUNAV;
				goto out;
			}
			emit_slots(n, hr[i].count, exec_host);
		}
		rc = 0;
		goto out;
	}
	for (i = 0; i < s->nnodes && found < nodect; i++) {
		struct node *n = &s->nodes[i];

		if (node_usable(n) && node_free_slots(n) >= ppn && node_has_props(n, props)) {
			emit_slots(n, ppn, exec_host);
			found++;
		}
	}
	if (found < nodect) {
		buf_reset(exec_host);
		snprintf(err, errlen, "not enough free nodes (%d of %d with %d free slots)", found,
			 nodect, ppn);
		rc = PBSE_RESCUNAV;
		goto out;
	}
	rc = 0;
out:
	free(hr);
	return rc;
}

int node_assign(struct server *s, struct job *j, const char *exec_host)
{
	char *copy = xstrdup(exec_host), *save = NULL, *part;
	int rc = 0;

	for (part = strtok_r(copy, "+", &save); part; part = strtok_r(NULL, "+", &save)) {
		char *slash = strchr(part, '/');
		struct node *n;
		int idx;

		if (!slash) {
			rc = PBSE_IVALREQ;
			continue;
		}
		*slash = '\0';
		idx = atoi(slash + 1);
		n = find_node(s, part);
		if (!n || idx < 0 || idx >= n->np) {
			log_job(PBSEVENT_ERROR, j->id, "exec_host names %s/%d, which does not exist",
				part, idx);
			rc = PBSE_UNKNODE;
			continue;
		}
		if (n->slot[idx] && n->slot[idx] != j) {
			log_job(PBSEVENT_ERROR, j->id, "slot %s/%d already used by %s", part, idx,
				n->slot[idx]->id);
			rc = PBSE_RESCUNAV;
			continue;
		}
		n->slot[idx] = j;
	}
	free(copy);
	j->svrflags |= JOB_SVFLG_HasNodes;
	return rc;
}

void node_release(struct server *s, struct job *j)
{
	int i, k;

	for (i = 0; i < s->nnodes; i++)
		for (k = 0; k < s->nodes[i].np; k++)
			if (s->nodes[i].slot[k] == j)
				s->nodes[i].slot[k] = NULL;
	j->svrflags &= ~JOB_SVFLG_HasNodes;
}

int exec_host_first(const char *exec_host, char *out, size_t size)
{
	size_t l;

	if (!exec_host || !*exec_host)
		return -1;
	l = strcspn(exec_host, "/+:");
	if (l >= size)
		l = size - 1;
	memcpy(out, exec_host, l);
	out[l] = '\0';
	return 0;
}
