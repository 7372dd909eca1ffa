/* ckmig_server: the reference PBS server (Torque's pbsd_main.c).
 *   ckmig_server [-D] [-n] [-d home] [-p port] [-M momport] [-k keyfile]
 *                [-N servername] [-S socket]
 * One poll loop, no threads. */
#include "server/server.h"
#include "lib/log.h"
#include "lib/xml_util.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ckmig_server [-D] [-n] [-d home] [-p port] [-M momport] [-k keyfile]\n"
		"                    [-N servername] [-S socket]\n"
		"  -D           stay in the foreground and log to stderr too\n"
		"  -n           check the configuration (nodes file, server db, jobs) and exit\n"
		"  -d home      server home (default " CKMIG_SERVER_HOME_DEFAULT ")\n"
		"  -p port      TCP port for MOMs (default 15001; 0 = no MOMs)\n"
		"  -M port      MOM port (default 15002)\n"
		"  -k keyfile   cluster key (default " CKMIG_CLUSTER_KEY_DEFAULT ")\n"
		"  -N name      server name, the suffix of job ids (default: host name)\n"
		"  -S socket    client socket (default <home>/server.sock)\n");
}

/* One server per home: a lock held for the life of the process. */
static int take_lock(struct server *s, char *err, size_t errlen)
{
	char *path = xasprintf("%s/server.lock", s->priv), pid[32];
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0) {
		snprintf(err, errlen, "%s: %s (another ckmig_server runs on this home?)", path,
			 strerror(errno));
		free(path);
		return -1;
	}
	snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == 0)
		(void)!write(fd, pid, strlen(pid));
	free(path);
	return fd;   /* kept open: the lock lives as long as we do */
}

int main(int argc, char **argv)
{
	const char *home = CKMIG_SERVER_HOME_DEFAULT, *keyfile = CKMIG_CLUSTER_KEY_DEFAULT;
	const char *name = NULL, *sock = NULL;
	int fg = 0, check = 0, port = PBS_BATCH_SERVICE_PORT, momport = PBS_MOM_SERVICE_PORT;
	char host[256], err[1024], *logdir;
	struct server *s;
	int opt, rc = 1, lockfd;

	static const struct option longopts[] = { { "help", no_argument, NULL, 'h' },
						   { NULL, 0, NULL, 0 } };
	while ((opt = getopt_long(argc, argv, "Dnd:p:M:k:N:S:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'D': fg = 1; break;
		case 'n': check = 1; break;
		case 'd': home = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 'M': momport = atoi(optarg); break;
		case 'k': keyfile = optarg; break;
		case 'N': name = optarg; break;
		case 'S': sock = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc || port < 0 || port > 65535 || momport <= 0 || momport > 65535) {
		usage(stderr);
		return 2;
	}
	if (!name) {
		if (gethostname(host, sizeof(host)) < 0)
			snprintf(host, sizeof(host), "localhost");
		host[sizeof(host) - 1] = '\0';
		name = host;
	}
	xml_init();
	s = server_create(home, name);
	s->port = port;
	s->mom_port = momport;
	if (sock) {
		free(s->sock_path);
		s->sock_path = xstrdup(sock);
	}
	if (!check && mkdir_p(home, 0755) < 0) {
		fprintf(stderr, "ckmig_server: cannot create %s: %s\n", home, strerror(errno));
		goto out;
	}
	logdir = xasprintf("%s/server_logs", home);
	log_open("PBS_Server", check ? NULL : logdir, fg || check);
	free(logdir);
	if (port > 0 && proto_key_load(&s->key, keyfile, err, sizeof(err)) < 0) {
		fprintf(stderr, "ckmig_server: %s\n", err);
		goto out;
	}
	if (check) {
		/* read everything, change nothing */
		s->no_fsync = 1;
	}
	if (pbsd_init(s, err, sizeof(err)) < 0) {
		fprintf(stderr, "ckmig_server: %s\n", err);
		goto out;
	}
	if (check) {
		printf("ckmig_server: configuration OK: %d nodes, %zu jobs, server %s\n", s->nnodes,
		       s->njobs, s->name);
		rc = 0;
		goto out;
	}
	lockfd = take_lock(s, err, sizeof(err));
	if (lockfd < 0) {
		fprintf(stderr, "ckmig_server: %s\n", err);
		goto out;
	}
	if (svr_listen(s, err, sizeof(err)) < 0) {
		fprintf(stderr, "ckmig_server: %s\n", err);
		goto out;
	}
	if (!fg) {
		if (daemon(0, 0) < 0) {
			fprintf(stderr, "ckmig_server: daemon: %s\n", strerror(errno));
			goto out;
		}
		/* the lock file records the daemon's pid, not the parent's */
		{
			char pid[32];

			snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
			if (ftruncate(lockfd, 0) == 0)
				(void)!pwrite(lockfd, pid, strlen(pid), 0);
		}
	}
	log_event(PBSEVENT_SYSTEM | PBSEVENT_ADMIN, NULL, NULL,
		  "ckmig_server started: home %s, socket %s, MOM port %d", home, s->sock_path, port);
	s->sched_wanted = 1;
	svr_loop(s);
	/* a clean stop hands out the next number exactly; only a crash skips */
	s->seq_reserved = s->next_seq;
	svr_save_db(s);
	log_event(PBSEVENT_SYSTEM | PBSEVENT_ADMIN, NULL, NULL, "ckmig_server stopped");
	unlink(s->sock_path);
	rc = 0;
out:
	server_destroy(s);
	log_close();
	return rc;
}
