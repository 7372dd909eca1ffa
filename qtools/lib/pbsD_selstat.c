/* pbs_selstat: jobs matching a selection (qselect's criteria, qstat -u).
 * The selection is evaluated here, on the full status of every job, so it
 * means the same whatever the server understands of SelectJobs. */
#include "qtools/lib/pbs_client.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static int is_number(const char *s, long *v)
{
	char *end;

	if (s == NULL || *s == '\0')
		return 0;
	*v = strtol(s, &end, 10);
	return *end == '\0';
}

static int compare(const char *have, const char *want)
{
	long a, b;

	if (is_number(have, &a) && is_number(want, &b))
		return (a > b) - (a < b);
	return strcmp(have, want);
}

static int one_matches(const struct batch_status *job, const struct attropl *c)
{
	const char *have = ifl_attrl_get(job->attribs, c->name, c->resource);
	char owner[256];
	int cmp;

	if (strcmp(c->name, ATTR_state) == 0 && (c->op == EQ || c->op == NE)) {
		/* "QR" selects any of the listed states, as qselect -s does */
		int in = have && *have && strchr(c->value, have[0]) != NULL;

		return c->op == EQ ? in : !in;
	}
	if (have == NULL)
		return c->op == NE;
	if (strcmp(c->name, ATTR_owner) == 0 && strchr(c->value, '@') == NULL) {
		size_t n = strcspn(have, "@");

		if (n >= sizeof(owner))
			n = sizeof(owner) - 1;
		memcpy(owner, have, n);
		owner[n] = '\0';
		have = owner;
	}
	cmp = compare(have, c->value);
	switch (c->op) {
	case EQ: return cmp == 0;
	case NE: return cmp != 0;
	case GE: return cmp >= 0;
	case GT: return cmp > 0;
	case LE: return cmp <= 0;
	case LT: return cmp < 0;
	default: return 0;
	}
}

struct batch_status *pbs_selstat(int connect, struct attropl *select, struct attrl *attrib,
				 const char *extend)
{
	struct batch_status *all, *keep = NULL, **tail = &keep;

	(void)attrib;  /* the criteria need every attribute; callers pick */
	all = pbs_statjob(connect, NULL, NULL, extend);
	if (all == NULL)
		return NULL;
	while (all) {
		struct batch_status *job = all;
		const struct attropl *c;
		int ok = 1;

		all = all->next;
		job->next = NULL;
		for (c = select; c && ok; c = c->next)
			ok = one_matches(job, c);
		if (ok) {
			*tail = job;
			tail = &job->next;
		} else {
			pbs_statfree(job);
		}
	}
	pbs_errno = 0;
	return keep;
}
