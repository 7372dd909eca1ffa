/* Starting a job on this node (Torque: resmom/start_exec.c).
 *
 * The MOM forks a small supervisor per job. The supervisor forks the job's
 * task (setsid: its pid is the job's session id), waits for it as a child
 * subreaper, and writes the exit status and rusage to mom_priv/jobs/
 * <jobid>.ES before it exits. The MOM learns the end from that file, so a
 * MOM restarted while the job runs still reports the job's end with its
 * real exit status: the supervisor does not depend on the MOM living.
 *
 * The task is, as in Torque:
 *   - a fresh job:  SHELL SCRIPT as the owner (initgroups, setgid, setuid),
 *     under $checkpoint_run_exe when the job's Checkpoint attribute and the
 *     MOM's $checkpoint_script allow checkpoints;
 *   - a restart:    $restart_script SID JOBID USER GROUP DIR NAME as root
 *     (CRIU needs it), whose exit is the job's exit. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define LOG_PREFIX "start_exec: "
#include "lib/attr_names.h"
#include "lib/log.h"
#include "lib/pbs_error.h"
#include "lib/util.h"
#include "mom/checkpoint.h"
#include "mom/checkpoint_util.h"
#include "mom/mom.h"
#include "mom/mom_util.h"

#define JOB_EXEC_FAILED_STATUS 254   /* Torque: exec of the shell failed */

char *exec_spool_path(const struct mom *m, const char *jobid, int err_stream)
{
	return xasprintf("%s/%s.%s", m->spool_dir, jobid, err_stream ? "ER" : "OU");
}

/* --- environment ------------------------------------------------------- */

struct envv {
	char **v;
	size_t n, cap;
};

static void env_set(struct envv *e, const char *name, const char *value)
{
	size_t i, nl = strlen(name);

	if (!value)
		return;
	for (i = 0; i < e->n; i++) {
		if (strncmp(e->v[i], name, nl) == 0 && e->v[i][nl] == '=') {
			free(e->v[i]);
			e->v[i] = xasprintf("%s=%s", name, value);
			return;
		}
	}
	if (e->n + 2 > e->cap) {
		e->cap = e->cap ? e->cap * 2 : 32;
		e->v = xrealloc(e->v, e->cap * sizeof(char *));
	}
	e->v[e->n++] = xasprintf("%s=%s", name, value);
	e->v[e->n] = NULL;
}

static int env_has(const struct envv *e, const char *name)
{
	size_t i, nl = strlen(name);

	for (i = 0; i < e->n; i++)
		if (strncmp(e->v[i], name, nl) == 0 && e->v[i][nl] == '=')
			return 1;
	return 0;
}

/* Variable_List: NAME=value pairs separated by commas; qsub escapes a
 * comma inside a value as "\,". */
static void env_from_variable_list(struct envv *e, const char *list)
{
	struct buf item;
	const char *p;

	if (!list)
		return;
	buf_init(&item);
	for (p = list;; p++) {
		if (*p == '\\' && (p[1] == ',' || p[1] == '\\')) {
			p++;
			buf_append(&item, p, 1);
			continue;
		}
		if (*p == ',' || *p == '\0') {
			char *eq = strchr(item.data ? item.data : "", '=');

			if (item.len && eq && eq != item.data) {
				*eq = '\0';
				env_set(e, item.data, eq + 1);
			}
			buf_reset(&item);
			if (*p == '\0')
				break;
			continue;
		}
		buf_append(&item, p, 1);
	}
	buf_free(&item);
}

char **exec_build_env(const struct mom_job *j, const char *user_home, const char *user_shell,
		      const char *nodefile, const char *mom_host)
{
	struct envv e = { NULL, 0, 0 };
	const char *user = mom_job_user(j);
	const char *exec_host = attrl_get(&j->attrs, ATTR_exechost, NULL);
	const char *wt = attrl_get(&j->attrs, ATTR_l, "walltime");
	const char *queue = attrl_get(&j->attrs, ATTR_queue, NULL);
	const char *dot = strchr(j->jobid, '.');
	int np = 0, nnodes = 0;
	char num[32];

	e.cap = 32;
	e.v = xcalloc(e.cap, sizeof(char *));
	/* What qsub recorded (PBS_O_* and -v/-V variables) first, then
	 * what the MOM owns, which the user cannot override. */
	env_from_variable_list(&e, attrl_get(&j->attrs, ATTR_v, NULL));
	if (!env_has(&e, "PATH"))
		env_set(&e, "PATH", "/usr/local/bin:/usr/bin:/bin");
	env_set(&e, "HOME", user_home);
	env_set(&e, "USER", user);
	env_set(&e, "LOGNAME", user);
	env_set(&e, "SHELL", user_shell);
	env_set(&e, "PBS_JOBID", j->jobid);
	env_set(&e, "PBS_JOBNAME", attrl_get(&j->attrs, ATTR_N, NULL));
	env_set(&e, "PBS_QUEUE", queue);
	if (!env_has(&e, "PBS_O_QUEUE"))
		env_set(&e, "PBS_O_QUEUE", queue);
	if (dot && dot[1])
		env_set(&e, "PBS_SERVER", dot + 1);
	env_set(&e, "PBS_ENVIRONMENT", "PBS_BATCH");
	env_set(&e, "PBS_NODEFILE", nodefile);
	if (!env_has(&e, "PBS_O_HOME"))
		env_set(&e, "PBS_O_HOME", user_home);
	if (!env_has(&e, "PBS_O_WORKDIR"))
		env_set(&e, "PBS_O_WORKDIR", user_home);
	if (!env_has(&e, "PBS_O_LOGNAME"))
		env_set(&e, "PBS_O_LOGNAME", user);
	env_set(&e, "PBS_NODENUM", "0");
	env_set(&e, "PBS_TASKNUM", "1");
	env_set(&e, "PBS_VNODENUM", "0");
	env_set(&e, "PBS_MOMHOST", mom_host);
	mom_count_exec_host(exec_host, &np, &nnodes);
	snprintf(num, sizeof(num), "%d", np > 0 ? np : 1);
	env_set(&e, "PBS_NP", num);
	snprintf(num, sizeof(num), "%d", nnodes > 0 ? nnodes : 1);
	env_set(&e, "PBS_NUM_NODES", num);
	snprintf(num, sizeof(num), "%d", np > 0 && nnodes > 0 ? np / nnodes : 1);
	env_set(&e, "PBS_NUM_PPN", num);
	if (wt && mom_parse_hms(wt) >= 0) {
		snprintf(num, sizeof(num), "%ld", mom_parse_hms(wt));
		env_set(&e, "PBS_WALLTIME", num);
	}
	return e.v;
}

void exec_free_env(char **env)
{
	char **p;

	if (!env)
		return;
	for (p = env; *p; p++)
		free(*p);
	free(env);
}

/* --- the files a job needs ---------------------------------------------- */

/* The node file and the script are rewritten from the job file whenever
 * the job starts, so they need no fsync (the job file has one). */
static int write_plain(const char *path, const char *data, size_t len, mode_t mode)
{
	int fd, rc = -1;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return -1;
	if (write_full(fd, data, len) == 0 && fchmod(fd, mode) == 0)
		rc = 0;
	if (close(fd) < 0)
		rc = -1;
	return rc;
}

static int write_nodefile(struct mom *m, struct mom_job *j, char **path_out)
{
	const char *eh = attrl_get(&j->attrs, ATTR_exechost, NULL);
	char *path = xasprintf("%s/aux/%s", m->home, j->jobid);
	struct buf b;
	const char *p;
	int rc;

	buf_init(&b);
	/* "node1/0+node1/1" -> one line per slot, as Torque writes it. */
	for (p = eh ? eh : ""; *p;) {
		size_t n = strcspn(p, "/+");

		buf_append(&b, p, n);
		buf_puts(&b, "\n");
		p += n;
		p += strcspn(p, "+");
		if (*p == '+')
			p++;
	}
	if (b.len == 0)
		buf_printf(&b, "%s\n", m->hostname);
	rc = write_plain(path, b.data, b.len, 0644);
	buf_free(&b);
	if (rc < 0) {
		free(path);
		return -1;
	}
	*path_out = path;
	return 0;
}

/* The script goes to mom_priv/jobs/<jobid>.SC, the owner's and readable
 * only by them: the shell opens it by path, and CRIU reopens it by path on
 * restore, so it must be at the same place with the same size on every
 * node (each MOM writes it from the same QueueJob). */
static int write_script(struct mom *m, struct mom_job *j, uid_t uid, gid_t gid, char **out)
{
	char *path = mom_job_path(m, j->jobid, ".SC");
	const char *s = j->script ? j->script : "";
	int rc = -1;

	if (write_plain(path, s, strlen(s), 0500) < 0)
		goto out;
	if (chown(path, uid, gid) < 0)
		goto out;
	*out = path;
	path = NULL;
	rc = 0;
out:
	free(path);
	return rc;
}

/* Open a spool file as root for the owner. A restart keeps what is there
 * (the restored job continues writing at its old offset). */
static int open_spool(const char *path, uid_t uid, gid_t gid, int keep)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC |
			    (keep ? 0 : O_TRUNC), 0600);

	if (fd < 0)
		return -1;
	if (fchown(fd, uid, gid) < 0 || fchmod(fd, 0600) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* --- the supervisor ----------------------------------------------------- */

struct launch {
	char **argv;
	char **envp;
	const char *workdir;
	uid_t uid;
	gid_t gid;
	const char *user;
	int as_root;            /* restart script */
	int out_fd, err_fd;
	char *es_path;          /* where the supervisor writes the exit */
	char *jobid;
};

static void close_from(int lowfd)
{
	if (syscall(SYS_close_range, lowfd, ~0U, 0) == 0)
		return;
	for (int fd = lowfd; fd < 4096; fd++)
		close(fd);
}

/* The supervisor keeps only what it needs: a MOM's lock file, listening
 * socket or connections held by a supervisor would outlive the MOM and
 * stop the next one from starting. */
static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

static void close_all_but(const int *keep, int nkeep)
{
	int sorted[8], i, lo = 0;

	if (nkeep > 8)
		nkeep = 8;
	memcpy(sorted, keep, (size_t)nkeep * sizeof(int));
	qsort(sorted, (size_t)nkeep, sizeof(int), cmp_int);
	/* close_range over the gaps between the fds we keep */
	for (i = 0; i < nkeep; i++) {
		if (sorted[i] < lo)
			continue;
		if (sorted[i] > lo && syscall(SYS_close_range, lo, sorted[i] - 1, 0) < 0)
			for (int fd = lo; fd < sorted[i]; fd++)
				close(fd);
		lo = sorted[i] + 1;
	}
	close_from(lo);
}

static void child_fail(const char *what, const char *arg)
{
	dprintf(2, "PBS: %s '%s' failed: %s\n", what, arg, strerror(errno));
	_exit(JOB_EXEC_FAILED_STATUS);
}

/* In the task: never returns. */
static void run_task(const struct launch *l)
{
	int devnull;
	sigset_t none;

	setsid();
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	devnull = open("/dev/null", O_RDONLY);
	if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(l->out_fd, 1) < 0 ||
	    dup2(l->err_fd, 2) < 0)
		_exit(JOB_EXEC_FAILED_STATUS);
	/* Every fd but 0, 1, 2 closed: CRIU cannot dump a job holding an fd
	 * from outside its node's mount namespace, and the job has no
	 * business with the MOM's sockets. */
	close_from(3);
	if (!l->as_root) {
		if (initgroups(l->user, l->gid) < 0)
			child_fail("initgroups for", l->user);
		if (setgid(l->gid) < 0)
			child_fail("setgid for", l->user);
		if (setuid(l->uid) < 0)
			child_fail("setuid for", l->user);
		if (getuid() == 0 || geteuid() == 0)
			_exit(JOB_EXEC_FAILED_STATUS);
		umask(022);
	}
	if (chdir(l->workdir) < 0)
		child_fail("chdir to", l->workdir);
	execve(l->argv[0], l->argv, l->envp);
	child_fail("exec of", l->argv[0]);
}

/* The supervisor's body: start the task, report its pid on report_fd,
 * wait for it, record its end. Never returns. */
static void supervise(const struct launch *l, int report_fd)
{
	struct rusage ru;
	long long cput_us = 0;
	long maxrss = 0;
	int status = 0, have = 0, exit_status;
	pid_t task, w;
	char line[128];
	sigset_t none;

	signal(SIGCHLD, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_IGN);        /* the MOM's terminal is not ours */
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	setpgid(0, 0);
	/* Orphans of the job come to us, not to an init that may not reap. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	prctl(PR_SET_NAME, "ckmig_job");

	task = fork();
	if (task < 0) {
		dprintf(report_fd, "E fork: %s\n", strerror(errno));
		_exit(1);
	}
	if (task == 0) {
		close(report_fd);
		run_task(l);
	}
	close(l->out_fd);
	if (l->err_fd != l->out_fd)
		close(l->err_fd);
	dprintf(report_fd, "P %d\n", (int)task);
	close(report_fd);

	for (;;) {
		w = wait4(-1, &status, 0, &ru);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		cput_us += (long long)ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec +
			   (long long)ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec;
		if (ru.ru_maxrss > maxrss)
			maxrss = ru.ru_maxrss;
		if (w == task) {
			have = 1;
			break;
		}
	}
	/* The job is over when its task is: whatever it left in its session
	 * goes too, as Torque's MOM kills the session at the job's end. */
	kill(-task, SIGKILL);
	while ((w = waitpid(-1, NULL, WNOHANG)) > 0)
		;
	if (!have)
		exit_status = JOB_EXEC_FAIL1;
	else if (WIFEXITED(status))
		exit_status = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		exit_status = 256 + WTERMSIG(status);   /* Torque: 0x100 + signal */
	else
		exit_status = JOB_EXEC_FAIL1;
	snprintf(line, sizeof(line), "%d %lld %ld\n", exit_status, cput_us / 1000000, maxrss);
	if (atomic_write_file(l->es_path, line, strlen(line), 0600) < 0)
		_exit(2);
	_exit(0);
}

/* Pick the shell: Shell_Path_List (first entry without @host, or with
 * ours), else the owner's login shell, else /bin/sh. */
static char *job_shell(const struct mom *m, const struct mom_job *j, const char *pw_shell)
{
	const char *list = attrl_get(&j->attrs, ATTR_S, NULL);
	char *copy, *save = NULL, *tok, *out = NULL;

	if (list && *list) {
		copy = xstrdup(list);
		for (tok = strtok_r(copy, ",", &save); tok && !out; tok = strtok_r(NULL, ",", &save)) {
			char *at = strchr(tok, '@');

			if (at && strcasecmp(at + 1, m->hostname) != 0)
				continue;
			if (at)
				*at = '\0';
			out = xstrdup(tok);
		}
		free(copy);
	}
	if (!out)
		out = xstrdup(pw_shell && *pw_shell ? pw_shell : "/bin/sh");
	return out;
}

static char **argv3(const char *a, const char *b, const char *c)
{
	char **v = xcalloc(4, sizeof(char *));
	int i = 0;

	v[i++] = xstrdup(a);
	if (b)
		v[i++] = xstrdup(b);
	if (c)
		v[i++] = xstrdup(c);
	return v;
}

int start_exec(struct mom *m, struct mom_job *j, char *err, size_t errlen)
{
	struct launch l;
	struct passwd *pw;
	struct group *gr;
	const char *user = mom_job_user(j);
	const char *egroup = attrl_get(&j->attrs, ATTR_egroup, NULL);
	const char *join = attrl_get(&j->attrs, ATTR_j, NULL);
	const char *iwd = attrl_get(&j->attrs, ATTR_init_work_dir, NULL);
	char *nodefile = NULL, *script = NULL, *shell = NULL, *outp = NULL, *errp = NULL;
	char *home = NULL, *groupname = NULL, rbuf[256];
	int report[2] = { -1, -1 }, rc = JOB_EXEC_FAIL1;
	pid_t sup;
	FILE *rf = NULL;

	memset(&l, 0, sizeof(l));
	l.out_fd = l.err_fd = -1;
	l.jobid = j->jobid;
	if (!user || !(pw = getpwnam(user))) {
		snprintf(err, errlen, "no such user \"%s\" on this node", user ? user : "");
		rc = JOB_EXEC_FAIL1;
		goto out;
	}
	if (pw->pw_uid == 0) {
		snprintf(err, errlen, "refusing to run a job as root");
		rc = JOB_EXEC_FAIL1;
		goto out;
	}
	l.uid = pw->pw_uid;
	l.gid = pw->pw_gid;
	if (egroup && *egroup) {
		gr = getgrnam(egroup);
		if (!gr) {
			snprintf(err, errlen, "no such group \"%s\" on this node", egroup);
			goto out;
		}
		l.gid = gr->gr_gid;
	}
	gr = getgrgid(l.gid);
	groupname = gr ? xstrdup(gr->gr_name) : xasprintf("%d", (int)l.gid);
	l.user = user;
	home = xstrdup(pw->pw_dir);
	shell = job_shell(m, j, pw->pw_shell);

	if (write_nodefile(m, j, &nodefile) < 0) {
		snprintf(err, errlen, "cannot write the node file: %s", strerror(errno));
		rc = JOB_EXEC_RETRY;
		goto out;
	}
	if (write_script(m, j, l.uid, l.gid, &script) < 0) {
		snprintf(err, errlen, "cannot write the job script: %s", strerror(errno));
		rc = JOB_EXEC_RETRY;
		goto out;
	}
	outp = exec_spool_path(m, j->jobid, 0);
	errp = exec_spool_path(m, j->jobid, 1);
	/* A restart finds its .OU/.ER delivered at the hold: as pbs_mom
	 * (create_missing_files) it makes them again, empty (O_CREAT below,
	 * no O_TRUNC); the restart script puts back what the image expects.
	 * Join_Path oe: stderr into stdout's file; eo: the other way. */
	if (join && strcmp(join, "eo") == 0) {
		l.err_fd = open_spool(errp, l.uid, l.gid, j->restart);
		l.out_fd = l.err_fd;
	} else {
		l.out_fd = open_spool(outp, l.uid, l.gid, j->restart);
		if (join && strcmp(join, "oe") == 0)
			l.err_fd = l.out_fd;
		else if (l.out_fd >= 0)
			l.err_fd = open_spool(errp, l.uid, l.gid, j->restart);
	}
	if (l.out_fd < 0 || l.err_fd < 0) {
		snprintf(err, errlen, "cannot open the spool files in %s: %s", m->spool_dir,
			 strerror(errno));
		rc = JOB_EXEC_RETRY;
		goto out;
	}

	if (j->restart) {
		char *mark = mom_job_path(m, j->jobid, MOM_RESTORED_SUFFIX);
		char *assign = xasprintf("CKMIG_RESTART_MARK=%s", mark);

		l.envp = mom_script_env(m, j);
		/* qmigrate --lazy: the restart script restores lazily */
		if (j->lazy_restart)
			l.envp = mom_env_put(l.envp, "CKMIG_LAZY=yes");
		/* the script creates it once the job is restored: a restart task
		 * that ends without it never restored the job (catch_child.c) */
		unlink(mark);
		l.envp = mom_env_put(l.envp, assign);
		free(assign);
		free(mark);
		/* qmigrate --postcopy: its pages come from the source's memory */
		if (j->pages_from) {
			char *a = xasprintf("CKMIG_PAGES_FROM=%s", j->pages_from);

			l.envp = mom_env_put(l.envp, a);
			free(a);
		}
	} else {
		l.envp = exec_build_env(j, home, shell, nodefile, m->hostname);
	}
	if (j->restart) {
		const char *name = attrl_get(&j->attrs, ATTR_checkpoint_name, NULL);
		const char *sid = attrl_get(&j->attrs, ATTR_session, NULL);
		char *dir = mom_job_checkpoint_dir(m, j);
		char *image = xasprintf("%s/%s", dir, name ? name : "");
		struct stat st;
		int bad = !m->cfg.restart_script || !name || !*name || stat(image, &st) < 0;

		if (!bad)
			l.argv = ckpt_restart_argv(m->cfg.restart_script, sid ? atol(sid) : 0,
						   j->jobid, user, groupname, dir, name);
		if (!m->cfg.restart_script)
			snprintf(err, errlen, "no $restart_script configured on this MOM");
		else if (bad)
			snprintf(err, errlen, "checkpoint %s not found: %s", image,
				 strerror(errno ? errno : ENOENT));
		free(image);
		free(dir);
		if (bad) {
			rc = JOB_EXEC_BADRESRT;
			goto out;
		}
		/* pbs_mom (blcr_restart_job): the checkpoint itself is given to
		 * the job's owner (cr_restart checks every image through one
		 * directory fd), and the script runs with the MOM's own stdio,
		 * /dev/null: what it says goes to its log and to the job's
		 * comment (qalter), nowhere else. */
		mom_restart_chown(m, j, l.uid, l.gid);
		close(l.out_fd);
		if (l.err_fd != l.out_fd)
			close(l.err_fd);
		l.out_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
		l.err_fd = l.out_fd;
		if (l.out_fd < 0) {
			snprintf(err, errlen, "cannot open /dev/null: %s", strerror(errno));
			rc = JOB_EXEC_RETRY;
			goto out;
		}
		l.as_root = 1;
		l.workdir = m->priv_dir;
	} else {
		if (mom_job_run_under_cr(m, j))
			l.argv = argv3(m->cfg.checkpoint_run_exe, shell, script);
		else
			l.argv = argv3(shell, script, NULL);
		l.workdir = iwd && *iwd ? iwd : home;
	}
	l.es_path = mom_job_path(m, j->jobid, ".ES");
	unlink(l.es_path);

	if (pipe2(report, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		rc = JOB_EXEC_RETRY;
		goto out;
	}
	sup = fork();
	if (sup < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		rc = JOB_EXEC_RETRY;
		goto out;
	}
	if (sup == 0) {
		int keep[3] = { report[1], l.out_fd, l.err_fd }, nul;

		close_all_but(keep, 3);
		nul = open("/dev/null", O_RDWR);
		if (nul >= 0) {
			/* 0-2 of the MOM (a terminal, a test's log) are not ours. */
			for (int fd = 0; fd < 3; fd++)
				if (fd != nul && fd != keep[0] && fd != keep[1] && fd != keep[2])
					dup2(nul, fd);
			if (nul > 2)
				close(nul);
		}
		supervise(&l, report[1]);
	}
	close(report[1]);
	report[1] = -1;
	rf = fdopen(report[0], "r");
	report[0] = -1;
	if (!rf || !fgets(rbuf, sizeof(rbuf), rf) || rbuf[0] != 'P') {
		snprintf(err, errlen, "the job's supervisor failed to start the task");
		waitpid(sup, NULL, 0);
		rc = JOB_EXEC_RETRY;
		goto out;
	}
	j->sup_pid = sup;
	j->sup_start = mom_proc_starttime(sup);
	j->sid = (pid_t)atoi(rbuf + 2);
	j->start_time = time(NULL);
	j->substate = JOB_SUBSTATE_RUNNING;
	j->exited = 0;
	j->held = 0;
	j->kill_reason = KILL_NONE;
	j->kill_ms = 0;
	j->kill_hard = 0;
	snprintf(rbuf, sizeof(rbuf), "%d", (int)j->sid);
	attrl_set(&j->attrs, ATTR_session, NULL, rbuf);
	log_job(PBSEVENT_JOB, j->jobid, "%s: session %d, %s %s", j->restart ? "restarted" : "started",
		(int)j->sid, l.argv[0], l.argv[1] ? l.argv[1] : "");
	rc = 0;
out:
	if (rf)
		fclose(rf);
	if (report[0] >= 0)
		close(report[0]);
	if (report[1] >= 0)
		close(report[1]);
	if (l.out_fd >= 0)
		close(l.out_fd);
	if (l.err_fd >= 0 && l.err_fd != l.out_fd)
		close(l.err_fd);
	ckpt_argv_free(l.argv);
	exec_free_env(l.envp);
	free(l.es_path);
	free(nodefile);
	free(script);
	free(shell);
	free(outp);
	free(errp);
	free(home);
	free(groupname);
	return rc;
}
