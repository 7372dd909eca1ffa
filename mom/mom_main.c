/* ckmig_mom: the reference MOM (Torque: resmom/mom_main.c).
 *
 *   ckmig_mom [-D] [-n] [-d home] [-c config] [-k keyfile] [-M port] [-C ckptdir]
 *
 * One thread, one poll loop (lib/wire); its work between requests is
 * tasks of the loop (mom_tasks.c). Signal handlers only set flags or wake
 * tasks; SIGCHLD, SIGTERM, SIGINT and SIGHUP are blocked except inside
 * ppoll(), so a signal always wakes the loop. Jobs run under per-job supervisors
 * (start_exec.c) and outlive a MOM restart; checkpoint scripts are
 * children reaped here. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOG_PREFIX ""
#include "lib/attr_names.h"
#include "lib/log.h"
#include "lib/protocol.h"
#include "lib/util.h"
#include "lib/wire.h"
#include "lib/xml_util.h"
#include "mom/checkpoint.h"
#include "mom/mom_ckpt_xfer.h"
#include "mom/mom.h"
#include "mom/mom_server.h"

#define TICK_MS 500

static volatile sig_atomic_t got_term, got_hup;

static void on_signal(int sig)
{
	if (sig == SIGTERM || sig == SIGINT)
		got_term = 1;
	else if (sig == SIGHUP)
		got_hup = 1;
	else if (sig == SIGCHLD)
		mom_tasks_wake();   /* reap at the end of this turn */
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ckmig_mom [-D] [-n] [-d home] [-c config] [-k keyfile] [-M port] [-C ckptdir]\n"
		"  -d home     MOM home (Torque's PBS_HOME; default %s)\n"
		"  -c config   config file (default HOME/mom_priv/config)\n"
		"  -k keyfile  cluster key (default %s)\n"
		"  -M port     port to listen on for the server (default %d)\n"
		"  -C dir      default checkpoint directory (default HOME/checkpoint)\n"
		"  -D          stay in the foreground and log to stderr too\n"
		"  -n          check the configuration and exit\n",
		CKMIG_MOM_HOME_DEFAULT, CKMIG_CLUSTER_KEY_DEFAULT, PBS_MOM_SERVICE_PORT);
}

static void config_warn(void *arg, int line, const char *msg)
{
	const char *path = arg;

	log_event(PBSEVENT_SYSTEM, NULL, NULL, "%s:%d: %s", path, line, msg);
}

static int load_config(struct mom *m, struct mom_config *out)
{
	char err[512];

	mom_config_init(out);
	if (mom_config_load(out, m->config_path, config_warn, m->config_path, err, sizeof(err)) < 0) {
		pr_err("%s: %s", m->config_path, err);
		mom_config_free(out);
		return -1;
	}
	/* Torque's pbs_mom needs both: a job may only be checkpointed when
	 * it was started under $checkpoint_run_exe. */
	if (out->checkpoint_script && !out->checkpoint_run_exe)
		pr_warn("%s: $checkpoint_script without $checkpoint_run_exe: no job will be checkpointable",
			m->config_path);
	return 0;
}

/* SIGHUP: a bad new config keeps the old one running. */
static void reload_config(struct mom *m)
{
	struct mom_config c;

	if (load_config(m, &c) < 0) {
		pr_err("configuration not reloaded; the previous one stays in force");
		return;
	}
	mom_config_free(&m->cfg);
	m->cfg = c;
	log_set_mask((int)m->cfg.logevent);
	log_reopen();
	pr_info("configuration reloaded from %s", m->config_path);
}

static int make_dirs(struct mom *m)
{
	struct {
		const char *path;
		mode_t mode;
	} dirs[] = {
		{ m->home, 0755 },
		/* mom_priv and jobs/: traversable, not listable, so a job's
		 * shell can open its own script by path. */
		{ m->priv_dir, 0751 },
		{ m->jobs_dir, 0711 },
		{ m->spool_dir, 0755 },
		{ m->undelivered_dir, 0755 },
		{ NULL, 0755 },  /* aux, filled below */
		{ m->checkpoint_base, 0755 },
	};
	char *aux = xasprintf("%s/aux", m->home);
	size_t i;
	int rc = 0;

	dirs[5].path = aux;
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		if (mkdir_p(dirs[i].path, dirs[i].mode) < 0) {
			fprintf(stderr, "ckmig_mom: cannot create %s: %s\n", dirs[i].path,
				strerror(errno));
			rc = -1;
			break;
		}
		chmod(dirs[i].path, dirs[i].mode);
	}
	free(aux);
	return rc;
}

/* One MOM per home: a second one would start every job twice. */
static int lock_fd = -1;

static int take_lock(struct mom *m)
{
	char *path = xasprintf("%s/mom.lock", m->priv_dir);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	int rc = -1, tries = 0, locked = -1;

	/* a MOM started right after its predecessor was killed waits a
	 * little: a child the old one forked (not yet exec'd) may still hold
	 * the lock for a moment; a MOM that really runs holds it for good */
	while (fd >= 0 && (locked = flock(fd, LOCK_EX | LOCK_NB)) < 0 && errno == EWOULDBLOCK &&
	       tries++ < 100)
		usleep(100 * 1000);
	if (fd < 0 || locked < 0) {
		fprintf(stderr, "ckmig_mom: another MOM runs on %s (%s: %s)\n", m->home, path,
			strerror(errno));
		goto out;
	}
	if (ftruncate(fd, 0) == 0)
		dprintf(fd, "%d\n", (int)getpid());
	lock_fd = fd;
	rc = 0;     /* fd stays open for the life of the process */
out:
	if (rc < 0 && fd >= 0)
		close(fd);
	free(path);
	return rc;
}

static int any_checkpoint_running(struct mom *m)
{
	struct mom_job *j;

	for (j = m->jobs; j; j = j->next)
		if (j->ck)
			return 1;
	return 0;
}

static int any_job_ending(struct mom *m)
{
	struct mom_job *j;

	for (j = m->jobs; j; j = j->next)
		if (j->held && j->substate == JOB_SUBSTATE_RUNNING)
			return 1;
	return 0;
}

static void main_loop(struct mom *m, const sigset_t *waitmask)
{
	long long shutdown_deadline = 0;

	wloop_listen(m->loop, m->listen_fd, conn_accept, m);
	/* reaping, checkpoints, limits, obits, IsStatus: tasks of the loop */
	mom_tasks_init(m, TICK_MS);
	for (;;) {
		if (got_term && !m->shutting_down) {
			int started;

			m->shutting_down = 1;
			started = checkpoint_at_shutdown(m);
			pr_info("shutting down; %d job(s) being checkpointed first", started);
			shutdown_deadline = now_ms() + (m->cfg.checkpoint_timeout + 30) * 1000LL;
		}
		/* what the server must still hear (a shutdown checkpoint's
		 * ModifyJob) goes out before the MOM does */
		if (m->shutting_down && ((!any_checkpoint_running(m) && !any_job_ending(m) &&
					  mom_server_idle(m)) ||
					 now_ms() > shutdown_deadline))
			break;
		if (got_hup) {
			got_hup = 0;
			reload_config(m);
		}
		if (wloop_turn(m->loop, TICK_MS, waitmask) < 0) {
			pr_perror("ppoll");
			break;
		}
	}
	mom_server_drop(m);
}

int main(int argc, char **argv)
{
	struct mom m;
	struct sigaction sa;
	sigset_t block, waitmask;
	const char *home = CKMIG_MOM_HOME_DEFAULT, *config = NULL, *keyfile = NULL;
	const char *ckdir = NULL;
	int opt, check_only = 0, rc = 1, port = PBS_MOM_SERVICE_PORT;
	char err[512];
	struct mom_job *j;

	memset(&m, 0, sizeof(m));
	m.listen_fd = -1;
	static const struct option longopts[] = { { "help", no_argument, NULL, 'h' },
						   { NULL, 0, NULL, 0 } };

	while ((opt = getopt_long(argc, argv, "Dnd:c:k:M:C:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'D': m.foreground = 1; break;
		case 'n': check_only = 1; break;
		case 'd': home = optarg; break;
		case 'c': config = optarg; break;
		case 'k': keyfile = optarg; break;
		case 'C': ckdir = optarg; break;
		case 'M':
			port = atoi(optarg);
			if (port <= 0 || port > 65535) {
				fprintf(stderr, "ckmig_mom: bad port %s\n", optarg);
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	m.home = xstrdup(home);
	m.priv_dir = xasprintf("%s/mom_priv", home);
	m.jobs_dir = xasprintf("%s/mom_priv/jobs", home);
	m.spool_dir = xasprintf("%s/spool", home);
	m.undelivered_dir = xasprintf("%s/undelivered", home);
	m.checkpoint_base = ckdir ? xstrdup(ckdir) : xasprintf("%s/checkpoint", home);
	m.config_path = config ? xstrdup(config) : xasprintf("%s/mom_priv/config", home);
	m.key_path = xstrdup(keyfile ? keyfile : CKMIG_CLUSTER_KEY_DEFAULT);
	m.mom_port = port;

	if (check_only) {
		struct mom_config c;

		log_open("pbs_mom", NULL, 1);
		if (load_config(&m, &c) < 0)
			return 1;
		if (!c.pbsserver)
			fprintf(stderr, "ckmig_mom: %s: warning: no $pbsserver\n", m.config_path);
		mom_config_free(&c);
		printf("%s: configuration OK\n", m.config_path);
		return 0;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "ckmig_mom: must run as root (jobs run as their owners)\n");
		return 1;
	}
	if (make_dirs(&m) < 0)
		return 1;
	{
		char *logdir = xasprintf("%s/mom_logs", home);

		if (log_open("pbs_mom", logdir, m.foreground) < 0) {
			fprintf(stderr, "ckmig_mom: cannot log into %s: %s\n", logdir, strerror(errno));
			free(logdir);
			return 1;
		}
		free(logdir);
	}
	if (load_config(&m, &m.cfg) < 0) {
		fprintf(stderr, "ckmig_mom: bad configuration in %s (see the log)\n", m.config_path);
		return 1;
	}
	log_set_mask((int)m.cfg.logevent);
	if (proto_key_load(&m.key, m.key_path, err, sizeof(err)) < 0) {
		pr_err("cluster key %s: %s", m.key_path, err);
		fprintf(stderr, "ckmig_mom: cluster key %s: %s\n", m.key_path, err);
		return 1;
	}
	if (m.cfg.mom_host)
		snprintf(m.hostname, sizeof(m.hostname), "%s", m.cfg.mom_host);
	else if (gethostname(m.hostname, sizeof(m.hostname) - 1) < 0)
		snprintf(m.hostname, sizeof(m.hostname), "localhost");
	if (take_lock(&m) < 0)
		return 1;
	m.listen_fd = proto_tcp_listen(port);
	if (m.listen_fd < 0) {
		pr_perror("cannot listen on port %d", port);
		fprintf(stderr, "ckmig_mom: cannot listen on port %d: %s\n", port, strerror(errno));
		return 1;
	}
	fcntl(m.listen_fd, F_SETFL, O_NONBLOCK);
	{
		/* Only the server (a key holder) gets past a session
		 * handshake; strangers share a small room whose oldest
		 * occupant leaves when it is full, so they never keep the
		 * server out. */
		struct wloop_cfg cfg = WLOOP_CFG_DEFAULT;

		cfg.max_conns = 256;
		cfg.per_peer = 64;
		m.loop = wloop_new(&cfg);
	}
	if (!m.foreground && daemon(0, 0) < 0) {
		pr_perror("daemon");
		return 1;
	}
	if (!m.foreground && ftruncate(lock_fd, 0) == 0)
		dprintf(lock_fd, "%d\n", (int)getpid());  /* the daemon's pid */
	xml_init();
	/* Orphans of checkpoint scripts (CRIU) come back to us to be reaped. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, &waitmask);
	sigdelset(&waitmask, SIGTERM);
	sigdelset(&waitmask, SIGINT);
	sigdelset(&waitmask, SIGHUP);
	sigdelset(&waitmask, SIGCHLD);

	log_event(PBSEVENT_SYSTEM | PBSEVENT_FORCE, NULL, NULL,
		  "ckmig_mom started: node %s, port %d, server %s:%d, home %s", m.hostname, port,
		  m.cfg.pbsserver ? m.cfg.pbsserver : "(none)", m.cfg.server_port, home);
	if (mom_job_recov_all(&m) < 0)
		pr_err("job recovery failed; jobs in %s are not tracked", m.jobs_dir);
	mom_xfer_sweep(&m);
	main_loop(&m, &waitmask);
	log_event(PBSEVENT_SYSTEM | PBSEVENT_FORCE, NULL, NULL,
		  "ckmig_mom stopping; running jobs keep running and are found again at restart");
	rc = 0;
	conn_close_all(&m);
	close(m.listen_fd);
	while ((j = m.jobs)) {
		mom_job_unlink(&m, j);
		mom_job_free(j);
	}
	mom_config_free(&m.cfg);
	proto_key_free(&m.key);
	log_close();
	return rc;
}
