/* Who may do what: managers and operators lists ("user@host", host may
 * be "*"), root is always a manager, and the owner or a manager may act
 * on a job (Torque's svr_authorize_jobreq). */
#include "server/server.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

/* list: comma separated "user@host" entries; host part may hold
 * wildcards ("*", "*.example.com"); a bare "user" matches any host. */
int acl_match(const char *list, const char *user, const char *host)
{
	char *copy, *e, *save = NULL;
	int ok = 0;

	if (!list || !*list)
		return 0;
	copy = xstrdup(list);
	for (e = strtok_r(copy, ", \t", &save); e && !ok; e = strtok_r(NULL, ", \t", &save)) {
		char *at = strchr(e, '@');

		if (at)
			*at = '\0';
		if (strcmp(e, user) && strcmp(e, "*"))
			continue;
		if (!at || !fnmatch(at + 1, host, FNM_CASEFOLD))
			ok = 1;
	}
	free(copy);
	return ok;
}

int user_is_manager(struct server *s, const struct client_id *c)
{
	if (c->is_mom)
		return 0;
	return c->uid == 0 || acl_match(svr_attr(s, ATTR_managers), c->user, c->host);
}

int user_is_operator(struct server *s, const struct client_id *c)
{
	return user_is_manager(s, c) || (!c->is_mom &&
		acl_match(svr_attr(s, ATTR_operators), c->user, c->host));
}

int user_may_act_on_job(struct server *s, const struct client_id *c, const struct job *j)
{
	char owner[256];

	if (user_is_manager(s, c))
		return 1;
	if (c->is_mom)
		return 0;
	return !strcmp(job_owner_user(j, owner, sizeof(owner)), c->user);
}
