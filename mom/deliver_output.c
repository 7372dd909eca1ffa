/* Returning a job's stdout/stderr to Output_Path / Error_Path when it ends
 * (Torque: the MOM's copy of the spool files, $usecp). The copy runs in a
 * child as the job's owner, so a user can only write where they may.
 * Undeliverable files are kept under undelivered/ and the comment says so. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define LOG_PREFIX "deliver_output: "
#include "lib/attr_names.h"
#include "lib/log.h"
#include "lib/util.h"
#include "mom/mom.h"
#include "mom/mom_util.h"

/* "host:/path" -> local path ($usecp, else the path itself: the reference
 * MOM assumes the destination is on a file system this node sees). */
static char *local_dest(struct mom *m, const char *dest)
{
	const char *colon = strchr(dest, ':');
	char *host, *mapped;

	if (!colon || colon[1] != '/')
		return xstrdup(dest);
	host = xstrndup(dest, (size_t)(colon - dest));
	mapped = mom_config_usecp_map(&m->cfg, host, colon + 1);
	free(host);
	return mapped ? mapped : xstrdup(colon + 1);
}

/* Runs as the owner in a child; returns an errno for the exit code. */
static int copy_as_user(const char *src, const char *dst)
{
	char buf[65536];
	int in = -1, out = -1, rc = 0;
	ssize_t n;

	in = open(src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (in < 0) {
		rc = errno;
		goto out;
	}
	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0) {
		rc = errno;
		goto out;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		if (write_full(out, buf, (size_t)n) < 0) {
			rc = errno;
			goto out;
		}
	}
	if (n < 0)
		rc = errno;
	else if (fsync(out) < 0 && errno != EINVAL)
		rc = errno;
out:
	if (in >= 0)
		close(in);
	if (out >= 0 && close(out) < 0 && !rc)
		rc = errno;
	return rc;
}

static int deliver_one(struct mom *m, struct mom_job *j, const char *src, const char *dest,
		       char *err, size_t errlen)
{
	const char *user = mom_job_user(j);
	struct passwd *pw = user ? getpwnam(user) : NULL;
	char *dst = local_dest(m, dest);
	int status, rc = -1;
	pid_t pid;

	if (!pw || pw->pw_uid == 0) {
		snprintf(err, errlen, "no such user %s", user ? user : "?");
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0) {
		gid_t gid = pw->pw_gid;
		const char *eg = attrl_get(&j->attrs, ATTR_egroup, NULL);
		struct group *gr = eg && *eg ? getgrnam(eg) : NULL;

		if (gr)
			gid = gr->gr_gid;
		if (initgroups(pw->pw_name, gid) < 0 || setgid(gid) < 0 || setuid(pw->pw_uid) < 0)
			_exit(EPERM);
		umask(022);
		_exit(copy_as_user(src, dst));
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		snprintf(err, errlen, "cannot copy %s to %s: %s", src, dst,
			 WIFEXITED(status) ? strerror(WEXITSTATUS(status)) : "copy process died");
		goto out;
	}
	rc = 0;
out:
	free(dst);
	return rc;
}

static char *default_dest(struct mom_job *j, int err_stream)
{
	const char *name = attrl_get(&j->attrs, ATTR_N, NULL);
	const char *iwd = attrl_get(&j->attrs, ATTR_init_work_dir, NULL);
	struct passwd *pw = getpwnam(mom_job_user(j) ? mom_job_user(j) : "");
	const char *dir = iwd && *iwd ? iwd : pw ? pw->pw_dir : "/tmp";
	size_t seq = strcspn(j->jobid, ".");

	return xasprintf("%s/%s.%c%.*s", dir, name && *name ? name : "STDIN",
			 err_stream ? 'e' : 'o', (int)seq, j->jobid);
}

int deliver_output(struct mom *m, struct mom_job *j, char *err, size_t errlen)
{
	const char *join = attrl_get(&j->attrs, ATTR_j, NULL);
	int stream, rc = 0;

	err[0] = '\0';
	for (stream = 0; stream < 2; stream++) {
		const char *attr = stream ? ATTR_e : ATTR_o;
		const char *dest = attrl_get(&j->attrs, attr, NULL);
		char *src = exec_spool_path(m, j->jobid, stream), *def = NULL, why[512];
		struct stat st;

		/* A joined stream has no file of its own. */
		if ((join && strcmp(join, "oe") == 0 && stream == 1) ||
		    (join && strcmp(join, "eo") == 0 && stream == 0) || lstat(src, &st) < 0) {
			free(src);
			continue;
		}
		if (!dest || !*dest)
			dest = def = default_dest(j, stream);
		if (deliver_one(m, j, src, dest, why, sizeof(why)) == 0) {
			unlink(src);
			log_job(PBSEVENT_JOB, j->jobid, "delivered %s to %s", src, dest);
		} else {
			char *keep = xasprintf("%s/%s.%s", m->undelivered_dir, j->jobid,
					       stream ? "ER" : "OU");

			if (rename(src, keep) < 0)
				pr_perror("cannot move %s to %s", src, keep);
			log_job(PBSEVENT_ERROR, j->jobid, "%s; kept as %s", why, keep);
			snprintf(err + strlen(err), errlen - strlen(err), "%sOutput not delivered: %s; kept in %s",
				 err[0] ? "; " : "", why, keep);
			free(keep);
			rc = -1;
		}
		free(def);
		free(src);
	}
	return rc;
}
