/* The server's job list: allocation, an id hash, attribute access. */
#include "server/server.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct job *job_alloc(const char *id, long seq)
{
	struct job *j = xcalloc(1, sizeof(*j));

	j->id = xstrdup(id);
	j->seq = seq;
	j->state = JOB_STATE_TRANSIT;
	j->ck.migratable = -1;
	attrl_init(&j->attrs);
	return j;
}

void job_free(struct job *j)
{
	if (!j)
		return;
	free(j->id);
	free(j->script);
	attrl_free(&j->attrs);
	ckmig_clear(&j->ck);
	free(j);
}

static size_t hash_str(const char *s, size_t size)
{
	size_t h = 5381;

	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h % size;
}

static void jhash_grow(struct server *s)
{
	size_t nsize = s->jhash_size ? s->jhash_size * 2 : 1024, i;
	struct job **nh = xcalloc(nsize, sizeof(*nh));
	struct job *j, *n;

	for (i = 0; i < s->jhash_size; i++)
		for (j = s->jhash[i]; j; j = n) {
			size_t h = hash_str(j->id, nsize);

			n = j->hnext;
			j->hnext = nh[h];
			nh[h] = j;
		}
	free(s->jhash);
	s->jhash = nh;
	s->jhash_size = nsize;
}

void job_link(struct server *s, struct job *j)
{
	size_t h;

	if (s->njobs + 1 > s->jhash_size)
		jhash_grow(s);
	h = hash_str(j->id, s->jhash_size);
	j->hnext = s->jhash[h];
	s->jhash[h] = j;
	j->prev = s->jobs_tail;
	j->next = NULL;
	if (s->jobs_tail)
		s->jobs_tail->next = j;
	else
		s->jobs = j;
	s->jobs_tail = j;
	s->njobs++;
}

void job_unlink(struct server *s, struct job *j)
{
	struct job **pp;

	if (s->jhash_size) {
		for (pp = &s->jhash[hash_str(j->id, s->jhash_size)]; *pp; pp = &(*pp)->hnext)
			if (*pp == j) {
				*pp = j->hnext;
				break;
			}
	}
	if (j->prev)
		j->prev->next = j->next;
	else
		s->jobs = j->next;
	if (j->next)
		j->next->prev = j->prev;
	else
		s->jobs_tail = j->prev;
	j->next = j->prev = j->hnext = NULL;
	s->njobs--;
}

/* "42", "42.head" or "42.head.domain" (Torque accepts the short forms). */
struct job *find_job(struct server *s, const char *id)
{
	char full[512];
	struct job *j;
	const char *dot;

	if (!id || !*id || !s->jhash_size)
		return NULL;
	dot = strchr(id, '.');
	if (!dot)
		snprintf(full, sizeof(full), "%s.%s", id, s->name);
	else
		snprintf(full, sizeof(full), "%s", id);
	for (j = s->jhash[hash_str(full, s->jhash_size)]; j; j = j->hnext)
		if (!strcmp(j->id, full))
			return j;
	/* "42.head.example.com" for a server named "head" */
	if (dot) {
		char seq[64];
		size_t l = (size_t)(dot - id);

		if (l >= sizeof(seq))
			return NULL;
		memcpy(seq, id, l);
		seq[l] = '\0';
		snprintf(full, sizeof(full), "%s.%s", seq, s->name);
		if (!strncmp(dot + 1, s->name, strlen(s->name)) &&
		    (dot[1 + strlen(s->name)] == '.' || dot[1 + strlen(s->name)] == '\0'))
			for (j = s->jhash[hash_str(full, s->jhash_size)]; j; j = j->hnext)
				if (!strcmp(j->id, full))
					return j;
	}
	return NULL;
}

const char *job_attr(const struct job *j, const char *name)
{
	return attrl_get(&j->attrs, name, NULL);
}

const char *job_resc(const struct job *j, const char *name, const char *res)
{
	return attrl_get(&j->attrs, name, res);
}

void job_set(struct job *j, const char *name, const char *value)
{
	attrl_set(&j->attrs, name, NULL, value);
}

void job_setf(struct job *j, const char *name, const char *fmt, ...)
{
	char v[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(v, sizeof(v), fmt, ap);
	va_end(ap);
	job_set(j, name, v);
}

void job_unset(struct job *j, const char *name)
{
	attrl_remove(&j->attrs, name, NULL);
}

/* "alice" out of Job_Owner "alice@head" (euser when present). */
const char *job_owner_user(const struct job *j, char *out, size_t size)
{
	const char *o = job_attr(j, ATTR_euser);
	size_t l;

	if (o && *o) {
		snprintf(out, size, "%s", o);
		return out;
	}
	o = job_attr(j, ATTR_owner);
	if (!o)
		o = "";
	l = strcspn(o, "@");
	if (l >= size)
		l = size - 1;
	memcpy(out, o, l);
	out[l] = '\0';
	return out;
}
