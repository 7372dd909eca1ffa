/* qstat's and pbsnodes' layouts, column for column as Torque 6.1 prints
 * them, so scripts that cut columns out of qstat keep working. */
#include "qtools/lib/qstat_format.h"
#include "lib/xml_util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* Torque: PBS_MAXSEQNUM 8 + PBS_MAXJOBARRAYLEN 7 + 11 wide job ids, cut
 * after 29 characters when longer than 23. */
#define JOBID_WIDTH   26
#define JOBID_LONG    23
#define JOBID_CUT     29
#define NAMEL         16
#define OWNERL        15
#define TIMEUL        8
#define LOCL          15
#define TASKSIZE      6
/* not among the server's names (lib/attr_names.h): Torque's */
#define ATTR_max_running "max_running"
static const char blank[] = " -- ";

static const char *get(const struct batch_status *bs, const char *name, const char *res)
{
	return ifl_attrl_get(bs->attribs, name, res);
}

void format_hms(char *out, size_t len, long s)
{
	if (s < 0)
		s = 0;
	snprintf(out, len, "%.2ld:%.2ld:%.2ld", s / 3600, (s / 60) % 60, s % 60);
}

/* copy up to the first '@', at most max characters */
static void upto_at(char *out, size_t outlen, const char *v, size_t max)
{
	size_t n = v ? strcspn(v, "@") : 0;

	if (n > max)
		n = max;
	if (n >= outlen)
		n = outlen - 1;
	if (n)
		memcpy(out, v, n);
	out[n] = '\0';
}

/* Torque shortens long job names to "..." and their tail, preferring to
 * cut at a '/' */
static void short_name(char *out, size_t outlen, const char *v)
{
	size_t len = v ? strlen(v) : 0;
	const char *c;

	if (len <= NAMEL) {
		snprintf(out, outlen, "%s", v ? v : "");
		return;
	}
	c = v + (len - NAMEL + 3);
	while (*c && *c != '/')
		c++;
	if (*c == '\0')
		c = v + (len - NAMEL + 3);
	snprintf(out, outlen < NAMEL + 1 ? outlen : NAMEL + 1, "...%s", c);
}

void qstat_job_header(struct buf *out)
{
	buf_puts(out, "Job ID                    Name             User            Time Use S Queue\n");
	buf_puts(out, "------------------------- ---------------- --------------- -------- - -----\n");
}

void qstat_job_line(struct buf *out, const struct batch_status *job)
{
	char id[JOBID_CUT + 1], name[NAMEL + 1], owner[OWNERL + 1], queue[LOCL + 1];
	char timeu[TIMEUL + 1], state[2];
	const char *v;

	/* ids longer than JOBID_LONG are cut after JOBID_CUT characters */
	snprintf(id, sizeof(id), "%s", job->name ? job->name : "");
	short_name(name, sizeof(name), get(job, ATTR_N, NULL));
	upto_at(owner, sizeof(owner), get(job, ATTR_owner, NULL), OWNERL);
	v = get(job, ATTR_used, "cput");
	snprintf(timeu, sizeof(timeu), "%s", (v && *v) ? v : "0");
	v = get(job, ATTR_state, NULL);
	state[0] = (v && *v) ? v[0] : '?';
	state[1] = '\0';
	upto_at(queue, sizeof(queue), get(job, ATTR_queue, NULL), LOCL);
	buf_printf(out, "%-*s %-*s %-*s %*s %1s %-*s\n", JOBID_WIDTH, id, NAMEL, name, OWNERL, owner,
		   TIMEUL, timeu, state, LOCL, queue);
}

/* Tasks of a node spec: sum over "N[:ppn=M]" of N*M, a host name counting
 * as one node (Torque's get_tasks_from_nodes_resc). */
static long spec_tasks(const char *spec, long *nodes_out)
{
	long tasks = 0, nodes = 0;
	const char *p = spec;

	while (p && *p) {
		const char *end = strchr(p, '+');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		long n = isdigit((unsigned char)*p) ? strtol(p, NULL, 10) : 1, ppn = 1;
		const char *q = memchr(p, ':', len);

		while (q && q < p + len) {
			if (strncmp(q + 1, "ppn=", 4) == 0)
				ppn = strtol(q + 5, NULL, 10);
			q = memchr(q + 1, ':', (size_t)(p + len - q - 1));
		}
		if (n <= 0)
			n = 1;
		if (ppn <= 0)
			ppn = 1;
		tasks += n * ppn;
		nodes += n;
		p = end ? end + 1 : NULL;
	}
	*nodes_out = nodes;
	return tasks;
}

void qstat_alt_header(struct buf *out, const struct batch_status *server, int alt)
{
	const char *comment = server ? get(server, ATTR_comment, NULL) : NULL;

	buf_printf(out, "\n%s: %s", server && server->name ? server->name : "", comment ? comment : "");
	if (alt & ALT_DISPLAY_R) {
		buf_puts(out, "\n                                                          Req'd     Req'd       Elap");
		buf_puts(out, "\nJob ID                  Username    Queue    NDS   TSK    Memory    Time      S Time       BIG  FAST   PFS");
		buf_puts(out, "\n----   ---------------- ----------- -------- ----- ------ --------- --------- - --------- ----- ----- -----\n");
	} else {
		buf_puts(out, "\n                                                                                  Req'd       Req'd       Elap");
		buf_puts(out, "\nJob ID                  Username    Queue    Jobname          SessID  NDS   TSK   Memory      Time    S   Time");
		buf_puts(out, "\n----------------------- ----------- -------- ---------------- ------ ----- ------ --------- --------- - ---------\n");
	}
}

/* exec_host "n1/0+n1/1+n2/0" printed as Torque's prt_nodes: hosts with
 * their slots, lines of at most 77 characters, indented three blanks */
static void prt_nodes(struct buf *out, const char *nodes)
{
	struct buf line;
	const char *p = nodes;

	if (nodes == NULL || *nodes == '\0' || strcmp(nodes, blank) == 0) {
		buf_printf(out, "   %s\n", blank);
		return;
	}
	buf_init(&line);
	buf_append(&line, "", 0);
	while (*p) {
		const char *end = strchr(p, '+');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (line.len && line.len + len + 1 >= QSTAT_LINESIZE) {
			buf_printf(out, "   %s\n", line.data);
			buf_reset(&line);
		}
		if (line.len)
			buf_append(&line, "+", 1);
		buf_append(&line, p, len);
		if (!end)
			break;
		p = end + 1;
	}
	if (line.len)
		buf_printf(out, "   %s\n", line.data);
	buf_free(&line);
}

void qstat_alt_line(struct buf *out, const struct batch_status *job, int alt)
{
	char owner[64], nds[24] = " -- ", tsk[24] = " -- ", elap[32];
	const char *v, *state, *rqmem = blank, *rqtime = blank, *sess, *queue, *jobn, *eltime;
	int usecput = 0;

	upto_at(owner, sizeof(owner), get(job, ATTR_owner, NULL), sizeof(owner) - 1);
	state = get(job, ATTR_state, NULL);
	if (state == NULL)
		state = blank;
	sess = get(job, ATTR_session, NULL);
	if (sess == NULL || *sess == '\0' || strcmp(sess, "0") == 0)
		sess = blank;
	queue = get(job, ATTR_queue, NULL);
	jobn = get(job, ATTR_N, NULL);
	if ((v = get(job, ATTR_l, "nodect")) != NULL)
		snprintf(nds, sizeof(nds), "%s", v);
	if ((v = get(job, ATTR_l, "nodes")) != NULL) {
		long nodes, tasks = spec_tasks(v, &nodes);

		snprintf(tsk, sizeof(tsk), "%ld", tasks);
		if (get(job, ATTR_l, "nodect") == NULL)
			snprintf(nds, sizeof(nds), "%ld", nodes);
	} else if ((v = get(job, ATTR_l, "procs")) != NULL || (v = get(job, ATTR_l, "ncpus")) != NULL) {
		if (strcmp(v, "0") != 0)
			snprintf(tsk, sizeof(tsk), "%s", v);
	}
	/* the alphabetically last memory request wins, as in Torque */
	if ((v = get(job, ATTR_l, "vmem")) || (v = get(job, ATTR_l, "pvmem")) ||
	    (v = get(job, ATTR_l, "pmem")) || (v = get(job, ATTR_l, "mem")) ||
	    (v = get(job, ATTR_l, "dmem")))
		rqmem = v;
	if ((v = get(job, ATTR_l, "cput")) != NULL) {
		rqtime = v;
		usecput = 1;
	} else if ((v = get(job, ATTR_l, "walltime")) != NULL) {
		rqtime = v;
	}
	snprintf(elap, sizeof(elap), "%s", blank);
	if (state[0] != 'Q' && state[0] != 'C' && state[0] != 'H' &&
	    (v = get(job, ATTR_used, "walltime")) != NULL)
		snprintf(elap, sizeof(elap), "%s", v);
	eltime = elap;
	if (usecput)
		eltime = (v = get(job, ATTR_used, "cput")) ? v : blank;

	buf_printf(out, "%-23.22s %-11.11s %-8.8s ", job->name ? job->name : "", owner,
		   queue ? queue : "");
	if (alt & ALT_DISPLAY_R)
		buf_printf(out, "%5.5s %*.*s %9.9s %9.9s %1.1s %9.9s %5.5s %5.5s %5.5s", nds,
			   TASKSIZE, TASKSIZE, tsk, rqmem, rqtime, state, eltime, blank, blank, blank);
	else
		buf_printf(out, "%-16.16s %6.6s %5.5s %*.*s %9.9s %9.9s %1.1s %9.9s",
			   jobn ? jobn : "", sess, nds, TASKSIZE, TASKSIZE, tsk, rqmem, rqtime, state,
			   eltime);
	buf_puts(out, "\n");
	if (alt & ALT_DISPLAY_N)
		prt_nodes(out, (v = get(job, ATTR_exechost, NULL)) ? v : blank);
	if ((alt & ALT_DISPLAY_S) && (v = get(job, ATTR_comment, NULL)) && *v)
		buf_printf(out, "   %s\n", v);
}

void prt_attr(struct buf *out, const char *name, const char *resource, const char *value,
	      int linesize)
{
	const char *c = value ? value : "";
	size_t nl = strlen(name), rl = resource ? strlen(resource) : 0, vl = strlen(c);
	int start = (int)nl + 7, n = 0;

	/* Most values have no comma and fit the line: one copy (qstat -f of
	 * 10 000 jobs prints 300 000 of them). */
	if (!memchr(c, ',', vl) && (vl == 0 || (int)(nl + (rl ? rl + 1 : 0) + 7 + vl) < linesize)) {
		char *p = buf_grow(out, 4 + nl + (rl ? rl + 1 : 0) + 3 + vl);

		memcpy(p, "    ", 4);
		memcpy(p += 4, name, nl);
		p += nl;
		if (rl) {
			*p++ = '.';
			memcpy(p, resource, rl);
			p += rl;
		}
		memcpy(p, " = ", 3);
		memcpy(p + 3, c, vl);
		return;
	}
	buf_puts(out, "    ");
	buf_puts(out, name);
	if (resource) {
		start += (int)strlen(resource) + 1;
		buf_append(out, ".", 1);
		buf_puts(out, resource);
	}
	buf_puts(out, " = ");
	/* break lines at commas where possible, else hard at linesize; empty
	 * pieces between commas vanish, as with Torque's strtok */
	for (;; n++) {
		const char *piece, *end;
		size_t l;

		c += strspn(c, ",");
		if (*c == '\0')
			break;
		l = strcspn(c, ",");
		piece = c;
		end = c + l;
		c = end;
		if (n > 0)
			buf_append(out, ",", 1);
		if ((int)l + start < linesize) {
			buf_append(out, piece, l);
			start += (int)l;
			continue;
		}
		if (n > 0) {
			buf_puts(out, "\n\t");
			start = 9;
		}
		/* Torque wraps after the character that passes linesize; the
		 * same, a line's worth at a time */
		while (piece < end) {
			size_t room = start < linesize ? (size_t)(linesize - start + 1) : 1;
			size_t k = (size_t)(end - piece) < room ? (size_t)(end - piece) : room;

			buf_append(out, piece, k);
			piece += k;
			start += (int)k;
			if (start > linesize) {
				start = 8;
				buf_puts(out, "\n\t");
			}
		}
	}
}

/* Attributes attrs_full treats apart. Compared by length first: this runs
 * for every attribute of every job (300 000 in a qstat -f of 10 000 jobs),
 * and the strcmp calls of the plain loop were a twentieth of its time. */
#define NAMED(n) { n, sizeof(n) - 1 }
static const struct named {
	const char *name;
	size_t len;
} time_attrs[] = { NAMED(ATTR_ctime), NAMED(ATTR_etime), NAMED(ATTR_mtime), NAMED(ATTR_qtime),
		   NAMED(ATTR_start_time), NAMED(ATTR_comp_time), NAMED(ATTR_checkpoint_time),
		   NAMED(ATTR_a) }, exec_port = NAMED(ATTR_exec_port);

static int is_named(const struct named *n, const char *name, size_t len)
{
	return len == n->len && memcmp(name, n->name, len) == 0;
}

static int is_time_attr(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(time_attrs) / sizeof(time_attrs[0]); i++)
		if (is_named(&time_attrs[i], name, len))
			return 1;
	return 0;
}

/* ctime's text of t, newline included, as Torque prints it.  The same few
 * times recur across the jobs of one qstat -f (jobs queued in the same
 * second, the same etime...), and strftime was an eighth of its work:
 * the texts are kept in a small table, one slot per t modulo its size. */
static const char *time_text(time_t t)
{
	static struct {
		time_t t;
		int set;
		char text[64];
	} slot[256];
	unsigned i = (unsigned)((unsigned long long)t % 256);

	if (!slot[i].set || slot[i].t != t) {
		struct tm tm;

		localtime_r(&t, &tm);
		strftime(slot[i].text, sizeof(slot[i].text), "%a %b %e %H:%M:%S %Y\n", &tm);
		slot[i].t = t;
		slot[i].set = 1;
	}
	return slot[i].text;
}

static void attrs_full(struct buf *out, const struct attrl *a, int linesize, int times)
{
	for (; a; a = a->next) {
		size_t len = strlen(a->name);

		if (is_named(&exec_port, a->name, len))
			continue;
		if (times && is_time_attr(a->name, len) && a->value &&
		    isdigit((unsigned char)a->value[0])) {
			prt_attr(out, a->name, a->resource,
				 time_text((time_t)strtoll(a->value, NULL, 10)), linesize);
			continue;
		}
		prt_attr(out, a->name, a->resource, a->value, linesize);
		buf_append(out, "\n", 1);
	}
}

void qstat_job_full(struct buf *out, const struct batch_status *job, int linesize)
{
	buf_printf(out, "Job Id: %s\n", job->name ? job->name : "");
	attrs_full(out, job->attribs, linesize, 1);
	buf_puts(out, "\n");
}

static void xml_elem(struct buf *out, const char *tag, const char *value)
{
	buf_printf(out, "<%s>", tag);
	xml_escape(out, value ? value : "");
	buf_printf(out, "</%s>", tag);
}

/* XML element names must be names: anything else becomes '_' */
static void xml_tag(char *out, size_t len, const char *name)
{
	size_t i;

	snprintf(out, len, "%s", name);
	for (i = 0; out[i]; i++)
		if (!(isalnum((unsigned char)out[i]) || out[i] == '_' || out[i] == '-' ||
		      out[i] == '.') || (i == 0 && !(isalpha((unsigned char)out[i]) || out[i] == '_')))
			out[i] = '_';
}

static void xml_attrs(struct buf *out, const struct attrl *a)
{
	const char *group = NULL;
	char tag[128];

	for (; a; a = a->next) {
		if (strcmp(a->name, ATTR_exec_port) == 0)
			continue;
		if (a->resource) {
			if (group == NULL || strcmp(group, a->name) != 0) {
				if (group) {
					xml_tag(tag, sizeof(tag), group);
					buf_printf(out, "</%s>", tag);
				}
				group = a->name;
				xml_tag(tag, sizeof(tag), group);
				buf_printf(out, "<%s>", tag);
			}
			xml_tag(tag, sizeof(tag), a->resource);
			xml_elem(out, tag, a->value);
			continue;
		}
		if (group) {
			xml_tag(tag, sizeof(tag), group);
			buf_printf(out, "</%s>", tag);
			group = NULL;
		}
		xml_tag(tag, sizeof(tag), a->name);
		xml_elem(out, tag, a->value);
	}
	if (group) {
		xml_tag(tag, sizeof(tag), group);
		buf_printf(out, "</%s>", tag);
	}
}

void qstat_xml_open(struct buf *out)
{
	buf_puts(out, "<?xml version=\"1.0\"?>\n<Data>");
}

void qstat_job_xml(struct buf *out, const struct batch_status *job)
{
	buf_puts(out, "<Job>");
	xml_elem(out, "Job_Id", job->name);
	xml_attrs(out, job->attribs);
	buf_puts(out, "</Job>");
}

void qstat_xml_close(struct buf *out)
{
	buf_puts(out, "</Data>\n");
}

/* state_count "Transit:0 Queued:1 Held:0 Waiting:0 Running:2 Exiting:0 Complete:0" */
static void state_counts(const char *v, char c[7][8])
{
	static const char *const keys[] = { "Transit:", "Queued:", "Held:", "Waiting:",
					    "Running:", "Exiting:", "Complete:" };
	int i;

	for (i = 0; i < 7; i++) {
		const char *p = v ? strstr(v, keys[i]) : NULL;

		snprintf(c[i], 8, "%d", p ? atoi(p + strlen(keys[i])) : 0);
	}
}

void qstat_que_header(struct buf *out)
{
	const char *f = "%-16s %5s %6s %5s %5s %5s %5s %5s %5s %5s %5s %-1s %5s\n";

	buf_printf(out, f, "Queue", "Max", "Tot", "Ena", "Str", "Que", "Run", "Hld", "Wat", "Trn",
		   "Ext", "T", "Cpt");
	buf_printf(out, f, "----------------", "---", "----", "--", "--", "---", "---", "---", "---",
		   "---", "---", "-", "---");
}

static const char *yes_no(const char *v)
{
	return (v && (strcasecmp(v, "true") == 0 || strcasecmp(v, "t") == 0 ||
		      strcasecmp(v, "yes") == 0 || strcmp(v, "1") == 0)) ? "yes" : "no";
}

void qstat_que_line(struct buf *out, const struct batch_status *q)
{
	char c[7][8], name[17], type[2] = "n";
	const char *max = get(q, ATTR_max_running, NULL), *tot = get(q, ATTR_total, NULL);
	const char *qt = get(q, ATTR_qtype, NULL);

	snprintf(name, sizeof(name), "%s", q->name ? q->name : "");
	state_counts(get(q, ATTR_count, NULL), c);
	if (qt && *qt)
		type[0] = qt[0];
	buf_printf(out, "%-16s %5.5s %6.6s %5s %5s %5s %5s %5s %5s %5s %5s %-1s %5s\n", name,
		   max ? max : "0", tot ? tot : "0", yes_no(get(q, ATTR_enable, NULL)),
		   yes_no(get(q, ATTR_start, NULL)), c[1], c[4], c[2], c[3], c[0], c[5], type, c[6]);
}

void qstat_que_full(struct buf *out, const struct batch_status *q, int linesize)
{
	buf_printf(out, "Queue: %s\n", q->name ? q->name : "");
	attrs_full(out, q->attribs, linesize, 0);
	buf_puts(out, "\n");
}

void qstat_srv_header(struct buf *out)
{
	const char *f = "%-16s %5s %5s %5s %5s %5s %5s %5s %5s %5s %-10s\n";

	buf_printf(out, f, "Server", "Max", "Tot", "Que", "Run", "Hld", "Wat", "Trn", "Ext", "Com",
		   "Status");
	buf_printf(out, f, "----------------", "---", "---", "---", "---", "---", "---", "---", "---",
		   "---", "----------");
}

void qstat_srv_line(struct buf *out, const struct batch_status *s)
{
	char c[7][8], name[17];
	const char *max = get(s, ATTR_max_running, NULL), *tot = get(s, ATTR_total, NULL);
	const char *st = get(s, ATTR_status, NULL);

	snprintf(name, sizeof(name), "%s", s->name ? s->name : "");
	state_counts(get(s, ATTR_count, NULL), c);
	buf_printf(out, "%-16s %5.5s %5.5s %5s %5s %5s %5s %5s %5s %5s %-10.10s\n", name,
		   max ? max : "0", tot ? tot : "0", c[1], c[4], c[2], c[3], c[0], c[5], c[6],
		   st ? st : "");
}

void qstat_srv_full(struct buf *out, const struct batch_status *s, int linesize)
{
	buf_printf(out, "Server: %s\n", s->name ? s->name : "");
	attrs_full(out, s->attribs, linesize, 0);
	buf_puts(out, "\n");
}

void pbsnodes_node(struct buf *out, const struct batch_status *node)
{
	const struct attrl *a;

	buf_printf(out, "%s\n", node->name ? node->name : "");
	for (a = node->attribs; a; a = a->next) {
		if (a->value == NULL || a->value[0] == '?')
			continue;
		if (a->resource)
			buf_printf(out, "     %s.%s = %s\n", a->name, a->resource, a->value);
		else
			buf_printf(out, "     %s = %s\n", a->name, a->value);
	}
	buf_puts(out, "\n");
}

void pbsnodes_list_line(struct buf *out, const struct batch_status *node, int with_note)
{
	const char *state = get(node, ATTR_NODE_state, NULL);
	const char *note = get(node, ATTR_NODE_note, NULL);

	if (state == NULL)
		state = ND_state_unknown;
	if (with_note && note && *note)
		buf_printf(out, "%-20.20s %-26.26s %s\n", node->name, state, note);
	else
		buf_printf(out, "%-20.20s %s\n", node->name, state);
}

void pbsnodes_xml(struct buf *out, const struct batch_status *nodes)
{
	buf_puts(out, "<Data>");
	for (; nodes; nodes = nodes->next) {
		buf_puts(out, "<Node>");
		xml_elem(out, "name", nodes->name);
		xml_attrs(out, nodes->attribs);
		buf_puts(out, "</Node>");
	}
	buf_puts(out, "</Data>\n");
}
