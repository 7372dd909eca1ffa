/* The MOM's side of checkpointing (Torque: resmom/checkpoint.c).
 *
 * start_checkpoint() runs $checkpoint_script as root with Torque's eight
 * arguments (SID JOBID USER GROUP DIR NAME SIGNAL DEPTH) in its own
 * process group, stdout to /dev/null, stderr kept (4 KB) for the comment.
 * The loop polls it; after $checkpoint_timeout it is killed. When it ends:
 *   success (exit 0 and the image exists): checkpoint_name/time recorded,
 *     the request answered (aux 1 = migratable when the directory is under
 *     $remote_checkpoint_dirs), then ModifyJob with checkpoint_hold or
 *     checkpoint_cont, older checkpoints beyond `depth` removed;
 *   failure: the job keeps running, its comment says why, the request is
 *     answered PBSE_CKPSHORT with that text.
 * The hold is answered after the script, not before as Torque's MOM does:
 * only then does the answer mean something (ckmig patch 0003). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define LOG_PREFIX "checkpoint: "
#include "lib/attr_names.h"
#include "lib/fault.h"
#include "lib/log.h"
#include "lib/pbs_error.h"
#include "lib/safe_dir.h"
#include "checkpoint/libckpt.h"
#include "lib/util.h"
#include "mom/checkpoint.h"
#include "mom/checkpoint_util.h"
#include "mom/mom_ckpt_xfer.h"
#include "mom/mom.h"
#include "mom/mom_server.h"
#include "mom/mom_util.h"

#define TERM_GRACE_MS 5000

static void job_ckpt_opts(const struct mom_job *j, struct ckpt_opts *o)
{
	/* a value the door would refuse (stored before it checked) means no
	 * checkpointing, as at the server: both read it with the same parser */
	ckpt_opts_parse(attrl_get(&j->attrs, ATTR_c, NULL), o, NULL, 0);
}

/* Nodes the job was given (exec_host's distinct hosts). */
static int job_nnodes(const struct mom_job *j)
{
	int np, nnodes;

	mom_count_exec_host(attrl_get(&j->attrs, ATTR_exechost, NULL), &np, &nnodes);
	return nnodes;
}

int mom_job_run_under_cr(const struct mom *m, const struct mom_job *j)
{
	struct ckpt_opts o;

	/* No sister MOMs: a multi-node job runs here on its first node only,
	 * and a checkpoint would save a part of it. So it never runs under
	 * cr_run, and no periodic or shutdown checkpoint can touch it. */
	if (!m->cfg.checkpoint_run_exe || job_nnodes(j) > 1)
		return 0;
	job_ckpt_opts(j, &o);
	return ckpt_mom_checkpointable(&o, m->cfg.checkpoint_script != NULL);
}

char *mom_job_checkpoint_dir(const struct mom *m, const struct mom_job *j)
{
	const char *dir = attrl_get(&j->attrs, ATTR_checkpoint_dir, NULL);
	struct ckpt_opts o;

	job_ckpt_opts(j, &o);
	if ((!dir || !*dir) && o.dir[0])
		dir = o.dir;
	return ckpt_job_dir(dir, m->checkpoint_base, j->jobid);
}

int mom_job_ckpt_remote(const struct mom *m, const struct mom_job *j)
{
	char *dir = mom_job_checkpoint_dir(m, j);
	int r = mom_config_is_remote_dir(&m->cfg, dir);

	free(dir);
	return r;
}

static const char *kind_name(enum ckpt_kind k)
{
	switch (k) {
	case CKPT_HOLD: return "hold";
	case CKPT_CHKPT: return "qchkpt";
	case CKPT_PERIODIC: return "periodic";
	case CKPT_SHUTDOWN: return "shutdown";
	case CKPT_WALLTIME: return "walltime";
	}
	return "?";
}

/* The parent of a job's <jobid>.CK, opened from the allowed directory it
 * lies under (mom_config_ckpt_parent: the MOM's own, $remote_checkpoint_dirs,
 * $allowed_checkpoint_dirs) one component at a time without following
 * links: checkpoint_dir is the job owner's to set, and the server's check
 * of it is not taken on trust by a process that writes as root. The
 * directory must exist: creating a missing shared file system's mount
 * point would hide that it is not mounted. fd, or -1 with err set. */
int mom_open_ckpt_parent(const struct mom *m, const char *ckdir, char *err, size_t errlen)
{
	const char *root = mom_config_ckpt_parent(&m->cfg, m->checkpoint_base, ckdir);
	char *rest = NULL, *comp, *save = NULL, *last;
	struct buf at;
	struct stat pst, cst;
	int fd = -1, next, swappable = 0;

	buf_init(&at);
	if (!root) {
		snprintf(err, errlen, "checkpoint directory %s is not under this MOM's checkpoint "
			 "directory, $remote_checkpoint_dirs or $allowed_checkpoint_dirs", ckdir);
		return -1;
	}
	rest = xstrdup(ckdir + strlen(root));
	last = strrchr(rest, '/');
	if (!last || !last[1]) {
		snprintf(err, errlen, "checkpoint directory %s names no directory below %s", ckdir,
			 root);
		goto out;
	}
	*last = '\0';
	/* the allowed root itself is the operator's (it may be a mount
	 * reached through a link: one only root can have put there is
	 * followed); below it, nothing is followed, and no directory on the
	 * way may be one whose entries a user could swap after this walk:
	 * the script resolves the path again */
	buf_puts(&at, root);
	fd = open_dir_noswap(root, NULL, 0);
	for (comp = strtok_r(rest, "/", &save); comp && fd >= 0 && !swappable;
	     comp = strtok_r(NULL, "/", &save)) {
		int e;

		if (fstat(fd, &pst) < 0) {
			close(fd);
			fd = -1;
			break;
		}
		next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		e = errno;
		close(fd);
		fd = next;
		errno = e;
		if (fd >= 0 && fstat(fd, &cst) == 0 && dir_entry_swappable(&pst, &cst))
			swappable = 1;
		else
			buf_printf(&at, "/%s", comp);
	}
	/* <jobid>.CK will be root's: its parent only has to be root's, or
	 * sticky */
	if (fd >= 0 && !swappable && fstat(fd, &pst) == 0 && dir_entry_swappable(&pst, NULL))
		swappable = 1;
	if (swappable) {
		snprintf(err, errlen, "checkpoint directory %s: a user other than root can change "
			 "%s, so root does not write there", ckdir, at.data);
		close(fd);
		fd = -1;
	} else if (fd < 0) {
		char *parent = xstrdup(ckdir);

		if (errno == ENOENT)
			snprintf(err, errlen, "checkpoint directory %s does not exist", dirname(parent));
		else
			snprintf(err, errlen, "checkpoint directory %s passes through a symbolic link "
				 "or a non-directory (%s)", dirname(parent), strerror(errno));
		free(parent);
	}
out:
	buf_free(&at);
	free(rest);
	return fd;
}

int mom_make_job_ckdir(struct mom *m, const char *dir, const char *user, char *err,
		       size_t errlen)
{
	/* Only under a parent this MOM's operator allowed, reached without
	 * following links.  Then as pbs_mom does (blcr_checkpoint_job):
	 * mkdir 0755 and, when it made it, chown to the job's owner; through
	 * the new directory's fd, so a name swapped meanwhile is never
	 * followed.  The images inside stay root's (cr_checkpoint writes them
	 * through an fd). */
	int pfd = mom_open_ckpt_parent(m, dir, err, errlen), dfd = -1;
	const char *last = strrchr(dir, '/') + 1;
	struct passwd *owner = user ? getpwnam(user) : NULL;

	if (pfd < 0)
		return -1;
	if (mkdirat(pfd, last, 0755) == 0) {
		dfd = openat(pfd, last, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (dfd < 0 || !owner || fchown(dfd, owner->pw_uid, owner->pw_gid) < 0)
			log_event(PBSEVENT_ERROR, PBS_EVENTCLASS_JOB, user,
				  "cannot change the owner of checkpoint directory %s", dir);
	} else if (errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
		close(pfd);
		return -1;
	} else {
		dfd = openat(pfd, last, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	close(pfd);
	if (dfd < 0)
		snprintf(err, errlen, "checkpoint directory %s is a symbolic link or not a directory",
			 dir);
	return dfd;
}

static int kind_ends_job(enum ckpt_kind k)
{
	return k == CKPT_HOLD || k == CKPT_SHUTDOWN || k == CKPT_WALLTIME;
}

static void close_from(int lowfd)
{
	if (syscall(SYS_close_range, lowfd, ~0U, 0) == 0)
		return;
	for (int fd = lowfd; fd < 4096; fd++)
		close(fd);
}

int start_checkpoint(struct mom *m, struct mom_job *j, enum ckpt_kind kind, int reply_conn,
		     const struct ckpt_move *mv, char *err, size_t errlen)
{
	struct ckpt_run *ck = NULL;
	struct ckpt_opts o;
	struct stat st;
	const char *user = mom_job_user(j);
	const char *egroup = attrl_get(&j->attrs, ATTR_egroup, NULL);
	char **argv = NULL, **envp = NULL, *parent = NULL, *image = NULL, group[64];
	int pfd[2] = { -1, -1 }, rc = PBSE_SYSTEM;
	struct passwd *pw;
	pid_t pid;

	if (!m->cfg.checkpoint_script) {
		snprintf(err, errlen, "no $checkpoint_script configured on this MOM");
		rc = PBSE_RMEXIST;
		goto out;
	}
	if (j->ck) {
		snprintf(err, errlen, "a checkpoint of this job is already running");
		rc = PBSE_CKPBSY;
		goto out;
	}
	if (j->substate != JOB_SUBSTATE_RUNNING || j->exited) {
		snprintf(err, errlen, "job is not running");
		rc = PBSE_BADSTATE;
		goto out;
	}
	if (!m->cfg.checkpoint_run_exe) {
		snprintf(err, errlen, "no $checkpoint_run_exe configured on this MOM: jobs here do not run checkpointable");
		rc = PBSE_RMEXIST;
		goto out;
	}
	if (job_nnodes(j) > 1) {
		snprintf(err, errlen, MSG_MULTINODE_CKPT, job_nnodes(j));
		rc = PBSE_IVALREQ;
		goto out;
	}
	if (!mom_job_run_under_cr(m, j)) {
		snprintf(err, errlen, "%s", MSG_NOT_CHECKPOINTABLE);
		rc = PBSE_IVALREQ;
		goto out;
	}
	job_ckpt_opts(j, &o);
	ck = xcalloc(1, sizeof(*ck));
	ck->kind = kind;
	ck->err_fd = -1;
	ck->reply_conn = reply_conn;
	ck->dir = mom_job_checkpoint_dir(m, j);
	{
		int dfd = mom_make_job_ckdir(m, ck->dir, user, err, errlen);

		if (dfd < 0)
			goto out;
		close(dfd);
	}
	/* One name per second; a second checkpoint in the same second moves
	 * on to the next free one rather than touching a good image. */
	for (ck->when = time(NULL);; ck->when++) {
		free(ck->name);
		free(image);
		ck->name = ckpt_image_name(j->jobid, ck->when);
		image = xasprintf("%s/%s", ck->dir, ck->name);
		if (lstat(image, &st) < 0)
			break;
	}
	pw = user ? getpwnam(user) : NULL;
	if (egroup && *egroup)
		snprintf(group, sizeof(group), "%s", egroup);
	else if (pw && getgrgid(pw->pw_gid))
		snprintf(group, sizeof(group), "%s", getgrgid(pw->pw_gid)->gr_name);
	else
		group[0] = '\0';
	/* a move without a shared directory: the job stays stopped after its
	 * dump, until its images are on the target (mom_ckpt_xfer.c) */
	if (mv && mv->host) {
		ck->xfer_host = xstrdup(mv->host);
		ck->xfer_port = mv->port;
	}
	/* a post-copy move: cr_checkpoint --postcopy ends the job itself */
	ck->postcopy = mv && mv->postcopy;
	argv = ckpt_checkpoint_argv(m->cfg.checkpoint_script, j->sid, j->jobid, user, group,
				    ck->dir, ck->name, ck->xfer_host ? SIGSTOP :
				    kind_ends_job(kind) && !ck->postcopy ? 15 : 0, o.depth);
	envp = mom_script_env(m, j);
	if (mv && mv->live)
		envp = mom_env_put(envp, "CKMIG_LIVE=yes");
	if (ck->postcopy) {
		/* the job's id: pbs_environment cannot turn it on for every
		 * checkpoint, and a MOM that waits for the script (pbs_mom)
		 * never sets it (checkpoint_script) */
		char *a = xasprintf("CKMIG_POSTCOPY=%s", j->jobid);

		envp = mom_env_put(envp, a);
		free(a);
	}
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0) {
		int nul = open("/dev/null", O_RDWR);
		sigset_t none;

		/* Own process group: a timeout kills the script and CRIU. */
		setpgid(0, 0);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		if (nul < 0 || dup2(nul, 0) < 0 || dup2(nul, 1) < 0 || dup2(pfd[1], 2) < 0)
			_exit(127);
		close_from(3);
		if (chdir(m->priv_dir) < 0)
			_exit(127);
		execve(argv[0], argv, envp);
		dprintf(2, "cannot run checkpoint script %s: %s", argv[0], strerror(errno));
		_exit(127);
	}
	setpgid(pid, pid);
	close(pfd[1]);
	pfd[1] = -1;
	ck->pid = pid;
	ck->err_fd = pfd[0];
	pfd[0] = -1;
	fcntl(ck->err_fd, F_SETFL, O_NONBLOCK);
	ck->started_ms = now_ms();
	j->ck = ck;
	ck = NULL;
	mom_ckpt_started(m, j);   /* in the job file before anything else happens */
	log_job(PBSEVENT_JOB, j->jobid, "%s checkpoint started: %s %s %s %s %s %s %s %s %s",
		kind_name(kind), argv[0], argv[1], argv[2], argv[3], argv[4], argv[5], argv[6],
		argv[7], argv[8]);
	rc = 0;
out:
	if (pfd[0] >= 0)
		close(pfd[0]);
	if (pfd[1] >= 0)
		close(pfd[1]);
	if (ck) {
		free(ck->dir);
		free(ck->name);
		free(ck->xfer_host);
		free(ck);
	}
	ckpt_argv_free(argv);
	ckpt_argv_free(envp);
	free(parent);
	free(image);
	return rc;
}

static void drain_err(struct ckpt_run *ck)
{
	char buf[1024];
	ssize_t n;

	if (ck->err_fd < 0)
		return;
	while ((n = read(ck->err_fd, buf, sizeof(buf))) > 0) {
		size_t room = sizeof(ck->err) - 1 - ck->err_len;

		if ((size_t)n > room)
			n = (ssize_t)room;
		memcpy(ck->err + ck->err_len, buf, (size_t)n);
		ck->err_len += (size_t)n;
		ck->err[ck->err_len] = '\0';
	}
	if (n == 0) {
		close(ck->err_fd);
		ck->err_fd = -1;
	}
}

/* Script stderr as one line for a comment: newlines become "; ". */
void mom_ckpt_err_line(const struct ckpt_run *ck, char *out, size_t n)
{
	size_t i, o = 0;
	const char *s = ck->err;

	while (*s == '\n' || *s == ' ')
		s++;
	for (i = 0; s[i] && o + 3 < n; i++) {
		if (s[i] == '\n') {
			if (s[i + 1] == '\0')
				break;
			out[o++] = ';';
			out[o++] = ' ';
		} else if ((unsigned char)s[i] >= 0x20) {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
}

void mom_ckpt_record(struct mom_job *j, const struct ckpt_run *ck, const char *comment,
		     struct attr_list *alter)
{
	char tbuf[64];

	snprintf(tbuf, sizeof(tbuf), "%lld", (long long)ck->when);
	attrl_set(&j->attrs, ATTR_checkpoint_name, NULL, ck->name);
	attrl_set(&j->attrs, ATTR_checkpoint_time, NULL, tbuf);
	attrl_set(&j->attrs, ATTR_checkpoint_dir, NULL, ck->dir);
	attrl_set(&j->attrs, ATTR_comment, NULL, comment);
	attrl_set(alter, ATTR_checkpoint_name, NULL, ck->name);
	attrl_set(alter, ATTR_checkpoint_time, NULL, tbuf);
	attrl_set(alter, ATTR_checkpoint_dir, NULL, ck->dir);
	attrl_set(alter, ATTR_comment, NULL, comment);
}

void mom_ckpt_run_end(struct mom_job *j)
{
	struct ckpt_run *ck = j->ck;

	if (ck->err_fd >= 0)
		close(ck->err_fd);
	free(ck->dir);
	free(ck->name);
	free(ck->xfer_host);
	free(ck->pages_from);
	free(ck);
	j->ck = NULL;
}

static void finish_checkpoint(struct mom *m, struct mom_job *j)
{
	struct ckpt_run *ck = j->ck;
	char why[2048], comment[2600], tbuf[64], *image;
	struct attr_list alter;
	struct stat st;
	struct ckpt_opts o;
	int ok, remote;

	fault_point(FAULT_MOM_CKPT_DONE);
	drain_err(ck);
	if (ck->pc_port) {
		mom_postcopy_finish(m, j);
		return;
	}
	image = xasprintf("%s/%s", ck->dir, ck->name);
	ok = !ck->timed_out && WIFEXITED(ck->status) && WEXITSTATUS(ck->status) == 0;
	why[0] = '\0';
	if (ck->timed_out) {
		snprintf(why, sizeof(why), "Checkpoint script timed out after %d seconds",
			 m->cfg.checkpoint_timeout);
	} else if (!ok) {
		mom_ckpt_err_line(ck, why, sizeof(why));
		if (!why[0] && WIFEXITED(ck->status))
			snprintf(why, sizeof(why), "Checkpoint script failed with return value of %d",
				 WEXITSTATUS(ck->status));
		else if (!why[0])
			snprintf(why, sizeof(why), "Checkpoint script killed by signal %d",
				 WTERMSIG(ck->status));
	} else if (stat(image, &st) < 0) {
		ok = 0;
		snprintf(why, sizeof(why), "Checkpoint script succeeded but left no checkpoint %s",
			 image);
	}
	if (ck->xfer_host) {
		/* a move without a shared directory: the copy comes next, or
		 * its end decides */
		int r = mom_xfer_step_done(m, j, ok, why, sizeof(why));

		if (r == XFER_WAIT) {
			free(image);
			return;
		}
		ok = r == XFER_MOVED;
	}
	remote = mom_config_is_remote_dir(&m->cfg, ck->dir);
	attrl_init(&alter);
	if (ok) {
		struct tm tm;

		localtime_r(&ck->when, &tm);
		strftime(tbuf, sizeof(tbuf), "%a %b %e %H:%M:%S %Y", &tm);
		if (j->ckpt_host)
			snprintf(comment, sizeof(comment), "Job %s was checkpointed to %s at %s and "
				 "its images copied to %s", j->jobid, image, tbuf, j->ckpt_host);
		else
			snprintf(comment, sizeof(comment), "Job %s was checkpointed and %s to %s at %s",
				 j->jobid, kind_ends_job(ck->kind) ? "terminated" : "continued", image,
				 tbuf);
		mom_ckpt_record(j, ck, comment, &alter);
		j->walltime_ckpt = job_walltime_used(j, time(NULL));
		/* depth first, so that what the server hears of is what stays */
		job_ckpt_opts(j, &o);
		if (mom_ckpt_retain(ck->dir, j->jobid, o.depth, why, sizeof(why)) < 0)
			log_job(PBSEVENT_ERROR, j->jobid, "cannot apply depth %d in %s: %s",
				o.depth, ck->dir, why);
		why[0] = '\0';
		if (j->ckpt_host)
			log_job(PBSEVENT_JOB, j->jobid, "%s checkpoint done: %s (copied to %s)",
				kind_name(ck->kind), image, j->ckpt_host);
		else
			log_job(PBSEVENT_JOB, j->jobid, "%s checkpoint done: %s%s", kind_name(ck->kind),
				image, remote ? " (shared directory: migratable)" : "");
		walltime_ckpt_measured(m, now_ms() - ck->started_ms, ckpt_dir_bytes(image));
		if (kind_ends_job(ck->kind)) {
			j->held = 1;
			/* A script that checkpointed but left the job running
			 * (Torque's observed case): the hold must stop it. */
			if (!j->exited)
				job_signal(j, SIGKILL);
		}
	} else {
		/* The next periodic try comes one interval later, not at once. */
		j->walltime_ckpt = job_walltime_used(j, time(NULL));
		snprintf(comment, sizeof(comment), "%s", why);
		attrl_set(&j->attrs, ATTR_comment, NULL, comment);
		attrl_set(&alter, ATTR_comment, NULL, comment);
		log_job(PBSEVENT_ERROR, j->jobid, "%s checkpoint failed: %s%s", kind_name(ck->kind),
			why, j->exited ? " (the job ended meanwhile)" : "; the job keeps running");
		if (ck->kind == CKPT_WALLTIME) {
			/* its own comment ("... will be killed at its walltime") */
			walltime_ckpt_failed(m, j, why);
			attrl_remove(&alter, ATTR_comment, NULL);
		}
	}
	/* Success: answer first, so the server knows the checkpoint is
	 * migratable before the checkpoint_hold update (ckmig patch 0003).
	 * Failure: the comment first, so that what the server itself says
	 * on hearing the refusal ("migration failed: ...") is what stays. */
	if (ok && ck->reply_conn >= 0) {
		/* a node-local checkpoint copied to the target says so (the
		 * report that follows carries checkpoint_host) */
		char moved[300] = "";

		if (j->ckpt_host)
			snprintf(moved, sizeof(moved), "checkpoint copied to %s", j->ckpt_host);
		reply_deferred(m, ck->reply_conn, 0, remote ? PBS_CHECKPOINT_MIGRATE : 0, moved);
	}
	fault_point(FAULT_MOM_CKPT_ANSWERED);
	if (ok || alter.head)   /* (a walltime one's failure has sent its comment) */
		send_alterjob_args(m, j, &alter, ok ? (kind_ends_job(ck->kind) ? "checkpoint_hold" :
						       "checkpoint_cont") : NULL, ok && remote);
	fault_point(FAULT_MOM_CKPT_REPORTED);
	if (!ok && ck->reply_conn >= 0)
		reply_deferred(m, ck->reply_conn, PBSE_CKPSHORT, 0, why);
	attrl_free(&alter);
	mom_ckpt_run_end(j);
	free(image);
	mom_job_save(m, j);
}

void poll_checkpoints(struct mom *m)
{
	struct mom_job *j;
	long long now = now_ms();

	for (j = m->jobs; j; j = j->next) {
		struct ckpt_run *ck = j->ck;

		if (!ck)
			continue;
		drain_err(ck);
		if (ck->recovered)
			mom_ckpt_recovered_poll(m, j);
		if (ck->done) {
			finish_checkpoint(m, j);
			continue;
		}
		mom_postcopy_poll(m, j);
		if (!ck->term_sent && now - ck->started_ms >= m->cfg.checkpoint_timeout * 1000LL) {
			ck->timed_out = 1;
			ck->term_sent = 1;
			ck->started_ms = now;   /* from now: the grace before SIGKILL */
			log_job(PBSEVENT_ERROR, j->jobid, "checkpoint script timed out; terminating it");
			kill(-ck->pid, SIGTERM);
		} else if (ck->term_sent && now - ck->started_ms >= TERM_GRACE_MS) {
			kill(-ck->pid, SIGKILL);
		}
	}
}

int checkpoint_fds(struct mom *m, int *fds, int max)
{
	struct mom_job *j;
	int n = 0;

	for (j = m->jobs; j && n < max; j = j->next)
		if (j->ck && j->ck->err_fd >= 0)
			fds[n++] = j->ck->err_fd;
	return n;
}

void check_periodic_checkpoints(struct mom *m)
{
	struct mom_job *j;
	time_t now = time(NULL);

	for (j = m->jobs; j; j = j->next) {
		struct ckpt_opts o;
		int interval;
		long used;
		char err[512];

		if (j->ck || j->exited || j->substate != JOB_SUBSTATE_RUNNING ||
		    j->kill_reason != KILL_NONE || !mom_job_run_under_cr(m, j))
			continue;
		job_ckpt_opts(j, &o);
		interval = ckpt_periodic_interval(&o, m->cfg.checkpoint_interval);
		if (interval <= 0)
			continue;
		/* Torque measures the interval in walltime used. */
		used = job_walltime_used(j, now);
		if (used - j->walltime_ckpt < interval)
			continue;
		if (start_checkpoint(m, j, CKPT_PERIODIC, -1, NULL, err, sizeof(err)) != 0) {
			log_job(PBSEVENT_ERROR, j->jobid, "periodic checkpoint not started: %s", err);
			j->walltime_ckpt = used;        /* try again one interval later */
			send_comment(m, j, err);
		}
	}
}

int checkpoint_at_shutdown(struct mom *m)
{
	struct mom_job *j;
	int n = 0;

	for (j = m->jobs; j; j = j->next) {
		struct ckpt_opts o;
		char err[512];

		if (j->ck || j->exited || j->substate != JOB_SUBSTATE_RUNNING ||
		    !mom_job_run_under_cr(m, j))
			continue;
		job_ckpt_opts(j, &o);
		if (!ckpt_at_shutdown(&o))
			continue;
		if (start_checkpoint(m, j, CKPT_SHUTDOWN, -1, NULL, err, sizeof(err)) == 0)
			n++;
		else
			log_job(PBSEVENT_ERROR, j->jobid, "shutdown checkpoint not started: %s", err);
	}
	return n;
}

/* --- around a restart, as pbs_mom --------------------------------------- */

/* <dir>/<jobid>.CK of a job, opened without following links below the
 * allowed parent, or -1. */
int mom_open_job_ckdir(struct mom *m, const char *dir)
{
	char err[512];
	int pfd = mom_open_ckpt_parent(m, dir, err, sizeof(err)), dfd;

	if (pfd < 0)
		return -1;
	dfd = openat(pfd, strrchr(dir, '/') + 1, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	close(pfd);
	return dfd;
}

int mom_restart_chown(struct mom *m, struct mom_job *j, uid_t uid, gid_t gid)
{
	const char *name = attrl_get(&j->attrs, ATTR_checkpoint_name, NULL);
	char *dir = mom_job_checkpoint_dir(m, j);
	struct stat st;
	int dfd = -1, cfd = -1, rc = -1;

	if (!name || !*name || strchr(name, '/'))
		goto out;
	dfd = mom_open_job_ckdir(m, dir);
	if (dfd < 0)
		goto out;
	/* pbs_mom chown()s the path, following links; here the fd.  The
	 * owner names what is there: a FIFO would hang this MOM in open, and
	 * a second link to a file of someone else's (where the kernel lets
	 * users make one) would be given away; only a checkpoint (root's
	 * directory or context file, or the owner's already) is chowned. */
	cfd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (cfd < 0 || fstat(cfd, &st) < 0)
		goto out;
	if (!(S_ISDIR(st.st_mode) || (S_ISREG(st.st_mode) && st.st_nlink == 1)) ||
	    (st.st_uid != 0 && st.st_uid != uid)) {
		errno = EPERM;
		goto out;
	}
	if (fchown(cfd, uid, gid) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0)
		log_job(PBSEVENT_ERROR, j->jobid, "cannot change checkpoint restart file owner: %s",
			strerror(errno));
	if (cfd >= 0)
		close(cfd);
	if (dfd >= 0)
		close(dfd);
	free(dir);
	return rc;
}

/* Removes what is in an owner's <jobid>.CK through fds only: its owner can
 * rename and replace entries meanwhile, so no path below it is walked.
 * A checkpoint (a directory of flat files) is emptied and removed;
 * anything else there is unlinked as an entry (a link or a file of the
 * owner's); nothing is followed. */
static int purge_ckdir(int dfd)
{
	DIR *d;
	struct dirent *de;
	int rc = 0, fd = dup(dfd);

	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while ((de = readdir(d))) {
		struct stat st;
		int cfd;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (!S_ISDIR(st.st_mode)) {
			if (unlinkat(dfd, de->d_name, 0) < 0)
				rc = -1;
			continue;
		}
		/* a checkpoint: root's, or the owner's once a restart used it
		 * (pbs_mom gives it away); emptied through its fd either way */
		cfd = openat(dfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (cfd < 0) {
			rc = -1;
		} else {
			DIR *cd = fdopendir(dup(cfd));
			struct dirent *ce;

			while (cd && (ce = readdir(cd)))
				if (strcmp(ce->d_name, ".") && strcmp(ce->d_name, ".."))
					unlinkat(cfd, ce->d_name, 0);
			if (cd)
				closedir(cd);
			if (unlinkat(dfd, de->d_name, AT_REMOVEDIR) < 0)
				rc = -1;
		}
		if (cfd >= 0)
			close(cfd);
	}
	closedir(d);
	return rc;
}

void mom_purge_checkpoints(struct mom *m, struct mom_job *j)
{
	char *dir;
	int fd;

	/* A restart that did not end well may have been a restore that
	 * failed: the MOM cannot tell (only the server hears of it, through
	 * checkpoint_restart_status), and the server holds such a job for
	 * another try; so its checkpoints stay. */
	/* (a job whose checkpoint moved to another node lives there now: its
	 * copies here go) */
	if ((j->held && !j->ckpt_host) || j->keep_output || (j->restart && j->exit_status != 0) ||
	    j->wt_ckpt == WT_FAILED)
		return;   /* (a failed checkpoint before walltime: the earlier one stays) */
	dir = mom_job_checkpoint_dir(m, j);
	/* Torque's MOM removes an ended job's local checkpoints and spares
	 * the shared ones (the server, or an operator, owns those). */
	if (!mom_config_is_remote_dir(&m->cfg, dir) &&
	    mom_config_ckpt_parent(&m->cfg, m->checkpoint_base, dir) &&
	    (fd = mom_open_job_ckdir(m, dir)) >= 0) {
		if (purge_ckdir(fd) < 0 || rmdir(dir) < 0)
			log_job(PBSEVENT_ERROR, j->jobid, "cannot remove all of %s: %s", dir,
				strerror(errno));
		else
			log_job(PBSEVENT_JOB, j->jobid, "removed its checkpoints in %s", dir);
		close(fd);
	}
	free(dir);
}
