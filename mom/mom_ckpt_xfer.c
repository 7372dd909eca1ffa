/* Sending a node-local checkpoint to the target's MOM (the source's side
 * of mom_ckpt_xfer.h), and what each step of such a move leads to.
 *
 * After the checkpoint script has dumped the job (left stopped: signal
 * SIGSTOP), a child of the MOM connects to the target MOM with the
 * cluster key and sends the checkpoint directory (its images, layers and
 * their parent links) and the output bytes the image expects (NAME.OU,
 * NAME.ER) as CkptXfer requests, 4 MiB a frame (raw, after the XML),
 * two data frames in flight, every other step answered before the next;
 * then "commit". Each step waits at most
 * $checkpoint_xfer_timeout, the whole copy at most $checkpoint_timeout.
 * The child dies with the MOM (PDEATHSIG): a MOM restarted mid-copy finds
 * the phase in the job file and resumes the job. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LOG_PREFIX "xfer: "
#include "checkpoint/libckpt.h"
#include "lib/fault.h"
#include "lib/log.h"
#include "lib/pbs_error.h"
#include "lib/util.h"
#include "mom/checkpoint.h"
#include "mom/mom_ckpt_xfer.h"
#include "mom/mom_util.h"

#define CHUNK MOM_XFER_CHUNK

/* =========================== source side ================================= */

struct xs {
	int fd;
	struct proto_session ses;
	const char *jobid;
	int timeout_ms;
	int chunks;
	int inflight;             /* requests sent, not yet answered */
	char err[1024];
};

/* Answers to requests sent: up to WINDOW data chunks are on their way
 * while the next is read, so reading here, the network and writing there
 * overlap. The target answers in order; any refusal ends the copy. */
#define WINDOW 2

static int answered(struct xs *x, int rc, struct pbs_msg *reply)
{
	if (rc == PBSE_TIMEOUT)
		snprintf(x->err, sizeof(x->err), "no answer from the target within %d s",
			 x->timeout_ms / 1000);
	else if (rc && !x->err[0])
		snprintf(x->err, sizeof(x->err), "%s", pbse_to_txt(rc));
	else if (!rc && (!reply->is_reply || reply->code)) {
		snprintf(x->err, sizeof(x->err), "%s", reply->text && reply->text[0] ? reply->text :
			 pbse_to_txt(reply->code ? reply->code : PBSE_PROTOCOL));
		rc = reply->code ? reply->code : PBSE_PROTOCOL;
	}
	msg_free(reply);
	return rc;
}

/* Wait until at most keep requests are unanswered. */
static int drain(struct xs *x, int keep)
{
	int rc = 0;

	while (!rc && x->inflight > keep) {
		struct pbs_msg reply;

		memset(&reply, 0, sizeof(reply));
		rc = proto_recv(x->fd, &reply, &x->ses, x->timeout_ms, x->err, sizeof(x->err));
		rc = answered(x, rc, &reply);
		x->inflight--;
	}
	return rc;
}

/* Send req (freed); with wait, until every request is answered. */
static int send_req(struct xs *x, struct pbs_msg *req, int wait)
{
	int rc = drain(x, wait ? 0 : WINDOW - 1);

	if (!rc) {
		rc = proto_send(x->fd, req, &x->ses);
		if (rc)
			snprintf(x->err, sizeof(x->err), "cannot send to the target: %s",
				 strerror(errno));
		else
			x->inflight++;
	}
	msg_free(req);
	return rc ? rc : wait ? drain(x, 0) : 0;
}

static int step(struct xs *x, struct pbs_msg *req)
{
	return send_req(x, req, 1);
}

static void req_op(struct xs *x, struct pbs_msg *req, const char *op)
{
	memset(req, 0, sizeof(*req));
	msg_request(req, PBS_BATCH_CkptXfer, x->jobid);
	msg_add_arg(req, "op", op);
}

static void arg_mode(struct pbs_msg *req, mode_t mode)
{
	char b[16];

	snprintf(b, sizeof(b), "%o", (unsigned)(mode & 07777));
	msg_add_arg(req, "mode", b);
}

/* Tests only (root's MOM environment): stop after the first chunk until
 * FILE exists, having made FILE.reached; so a test can cut the link in
 * the middle of a copy, whatever the machine's speed. */
static void test_pause(void)
{
	const char *f = secure_getenv("CKMIG_XFER_PAUSE");

	if (f && *f)
		test_gate(f);
}

static int send_file(struct xs *x, int dfd, const char *name, const char *path, const char *where)
{
	struct pbs_msg req;
	struct stat st;
	unsigned char *buf = NULL;
	long long off = 0;
	char b[32];
	int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC), rc = -1;

	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(x->err, sizeof(x->err), "cannot read %s: %s", path,
			 fd < 0 ? strerror(errno) : "not a regular file");
		goto out;
	}
	req_op(x, &req, "file");
	msg_add_arg(&req, "path", path);
	if (where)
		msg_add_arg(&req, "where", where);
	arg_mode(&req, st.st_mode);
	snprintf(b, sizeof(b), "%lld", (long long)st.st_size);
	msg_add_arg(&req, "size", b);
	if (step(x, &req))
		goto out;
	buf = xmalloc(CHUNK);
	while (off < (long long)st.st_size) {
		size_t want = (long long)st.st_size - off < CHUNK ? (size_t)(st.st_size - off) : CHUNK;
		ssize_t got = pread(fd, buf, want, off);
		if (got <= 0) {
			snprintf(x->err, sizeof(x->err), "cannot read %s: %s", path,
				 got < 0 ? strerror(errno) : "shorter than it was");
			goto out;
		}
		req_op(x, &req, "data");
		msg_add_arg(&req, "path", path);
		snprintf(b, sizeof(b), "%lld", off);
		msg_add_arg(&req, "off", b);
		msg_set_blob(&req, buf, (size_t)got);
		if (send_req(x, &req, 0))
			goto out;
		off += got;
		if (++x->chunks == 1)
			test_pause();
	}
	rc = 0;
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	return rc;
}

/* The checkpoint directory: files, the layers preK (one level) and the
 * parent links; nothing else is expected there. */
static int send_dir(struct xs *x, int dfd, const char *layer)
{
	DIR *d = fdopendir(dup(dfd));
	struct dirent *de;
	int rc = 0;

	if (!d) {
		snprintf(x->err, sizeof(x->err), "cannot list the checkpoint: %s", strerror(errno));
		return -1;
	}
	while (!rc && (de = readdir(d))) {
		struct pbs_msg req;
		struct stat st;
		char *path, target[64];
		ssize_t l;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		path = *layer ? xasprintf("%s/%s", layer, de->d_name) : xstrdup(de->d_name);
		if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			snprintf(x->err, sizeof(x->err), "%s: %s", path, strerror(errno));
			rc = -1;
		} else if (S_ISREG(st.st_mode)) {
			rc = send_file(x, dfd, de->d_name, path, NULL);
		} else if (S_ISLNK(st.st_mode) &&
			   (l = readlinkat(dfd, de->d_name, target, sizeof(target) - 1)) > 0) {
			target[l] = '\0';
			req_op(x, &req, "link");
			msg_add_arg(&req, "path", path);
			msg_add_arg(&req, "target", target);
			rc = step(x, &req);
		} else if (S_ISDIR(st.st_mode) && !*layer) {
			int sub = openat(dfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			req_op(x, &req, "mkdir");
			msg_add_arg(&req, "path", path);
			arg_mode(&req, st.st_mode);
			rc = sub < 0 ? -1 : step(x, &req);
			if (!rc)
				rc = send_dir(x, sub, de->d_name);
			if (sub >= 0)
				close(sub);
		} else {
			snprintf(x->err, sizeof(x->err), "%s: not a file, layer or link", path);
			rc = -1;
		}
		free(path);
	}
	closedir(d);
	return rc;
}

static int send_checkpoint(struct mom *m, struct mom_job *j)
{
	struct ckpt_run *ck = j->ck;
	struct pbs_msg req;
	struct stat st;
	struct xs x;
	struct timeval tv;
	char *kept;
	int dfd = -1, cfd = -1, pbse = 0, rc = -1, i;

	memset(&x, 0, sizeof(x));
	x.jobid = j->jobid;
	x.timeout_ms = m->cfg.checkpoint_xfer_timeout * 1000;
	x.fd = proto_tcp_session(ck->xfer_host, ck->xfer_port, &m->key, &x.ses, x.timeout_ms,
				 &pbse, x.err, sizeof(x.err));
	if (x.fd < 0)
		goto out;
	/* a link that drops must not block a send for ever */
	tv.tv_sec = m->cfg.checkpoint_xfer_timeout;
	tv.tv_usec = 0;
	setsockopt(x.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	dfd = mom_open_job_ckdir(m, ck->dir);
	cfd = dfd < 0 ? -1 : openat(dfd, ck->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (cfd < 0 || fstat(cfd, &st) < 0) {
		snprintf(x.err, sizeof(x.err), "cannot open %s/%s: %s", ck->dir, ck->name,
			 strerror(errno));
		goto out;
	}
	req_op(&x, &req, "begin");
	msg_add_arg(&req, "dir", ck->dir);
	msg_add_arg(&req, "name", ck->name);
	msg_add_arg(&req, "user", mom_job_user(j));
	arg_mode(&req, st.st_mode);
	if (step(&x, &req) || send_dir(&x, cfd, ""))
		goto out;
	for (i = 0; i < 2; i++) {
		const char *s = i ? "ER" : "OU";

		kept = xasprintf("%s.%s", ck->name, s);
		if (fstatat(dfd, kept, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    send_file(&x, dfd, kept, s, "kept")) {
			free(kept);
			goto out;
		}
		free(kept);
	}
	req_op(&x, &req, "commit");
	rc = step(&x, &req);
out:
	if (rc)
		fprintf(stderr, "%s\n", x.err[0] ? x.err : "copy failed");
	if (cfd >= 0)
		close(cfd);
	if (dfd >= 0)
		close(dfd);
	if (x.fd >= 0)
		close(x.fd);
	proto_session_wipe(&x.ses);
	return rc ? 1 : 0;
}

/* The copy runs in a child: the loop goes on, and the child dies with the
 * MOM (a restarted MOM then decides from the saved phase). */
static int start_copy(struct mom *m, struct mom_job *j, char *why, size_t n)
{
	struct ckpt_run *ck = j->ck;
	int pfd[2];
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) < 0) {
		snprintf(why, n, "pipe: %s", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		snprintf(why, n, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		sigset_t none;

		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() == 1)
			_exit(1);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_IGN);
		/* nothing of the MOM's: a connection the loop closes must close */
		if (dup2(pfd[1], 2) < 0 || syscall(SYS_close_range, 3, ~0U, 0) < 0)
			_exit(1);
		_exit(send_checkpoint(m, j));
	}
	setpgid(pid, pid);
	close(pfd[1]);
	if (ck->err_fd >= 0)
		close(ck->err_fd);
	ck->err_fd = pfd[0];
	fcntl(ck->err_fd, F_SETFL, O_NONBLOCK);
	ck->err_len = 0;
	ck->err[0] = '\0';
	ck->pid = pid;
	ck->done = 0;
	ck->status = 0;
	ck->timed_out = ck->term_sent = 0;
	ck->started_ms = now_ms();
	ck->pid_start = mom_proc_starttime(pid);
	mom_job_save(m, j);
	return 0;
}

/* The job's namespace init, for signals that must reach every process. */
static pid_t job_init(struct mom_job *j)
{
	struct ckpt_err e;

	ckpt_err_clear(&e);
	return j->sid > 1 ? ckpt_find_init(j->sid, CKPT_SCOPE_SID, &e) : -1;
}

/* The checkpoint the move dumped the job into, root's (cr_checkpoint
 * wrote it; its owner's <jobid>.CK is walked without following links), or
 * -1 when the dump never committed one. */
static int open_dumped(struct mom *m, const struct ckpt_run *ck)
{
	int dfd = mom_open_job_ckdir(m, ck->dir), cfd;
	struct stat st;

	if (dfd < 0)
		return -1;
	cfd = openat(dfd, ck->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	close(dfd);
	if (cfd >= 0 && (fstat(cfd, &st) < 0 || st.st_uid != 0)) {
		close(cfd);
		cfd = -1;
	}
	return cfd;
}

/* Wakes what the dump stopped, and only that: a process the job had
 * stopped itself before the dump stays stopped, as after cr_checkpoint's
 * own resume (CRIU's images say which). Without images (the dump never
 * committed, and cr_checkpoint or its guard resumed the job already) every
 * process gets SIGCONT, as the guard does. */
static void resume_job(struct mom *m, struct mom_job *j)
{
	struct ckpt_err e;
	pid_t init = job_init(j);
	int cfd = init > 0 ? open_dumped(m, j->ck) : -1, rc = -1;

	ckpt_err_clear(&e);
	if (cfd >= 0)
		rc = ckpt_resume_from_images(init, cfd, &e);
	else if (init > 0)
		rc = ckpt_after_action(init, CKPT_AFTER_CONT, 0, &e);
	if (rc < 0)
		log_job(PBSEVENT_ERROR, j->jobid, "cannot resume the job after a failed move: %s",
			e.msg[0] ? e.msg : "its namespace is gone");
	else
		log_job(PBSEVENT_JOB, j->jobid, "job resumed on this node%s",
			cfd >= 0 ? "" : " (no committed dump: every process woken)");
	if (cfd >= 0)
		close(cfd);
}

int mom_xfer_step_done(struct mom *m, struct mom_job *j, int ok, char *why, size_t n)
{
	struct ckpt_run *ck = j->ck;
	char tmp[1024];
	pid_t init;

	switch (ck->xfer_phase) {
	case XFER_DUMPING:
		if (ok && ck->recovered) {
			ok = 0;
			snprintf(why, n, "interrupted by a MOM restart before the copy began");
		}
		if (!ok)
			break;
		ck->xfer_phase = XFER_COPYING;
		mom_job_save(m, j);
		fault_point(FAULT_MOM_XFER_START);
		log_job(PBSEVENT_JOB, j->jobid, "copying checkpoint %s/%s to %s (node-local "
			"directory); the job stays stopped here until it is committed there",
			ck->dir, ck->name, ck->xfer_host);
		if (start_copy(m, j, why, n) == 0)
			return XFER_WAIT;
		break;
	case XFER_COPYING:
		if (ck->recovered) {
			ok = 0;
			snprintf(why, n, "interrupted by a MOM restart during the copy");
		} else if (ck->timed_out) {
			snprintf(why, n, "the copy took longer than $checkpoint_timeout (%d s)",
				 m->cfg.checkpoint_timeout);
		}
		if (!ok)
			break;
		/* the point of no return: the target has verified and committed */
		ck->xfer_phase = XFER_COPIED;
		free(j->ckpt_host);
		j->ckpt_host = xstrdup(ck->xfer_host);
		mom_job_save(m, j);
		/* fall through */
	case XFER_COPIED:
		if (!j->ckpt_host)
			j->ckpt_host = xstrdup(ck->xfer_host);
		init = job_init(j);
		if (init > 0)
			kill(init, SIGKILL);
		log_job(PBSEVENT_JOB, j->jobid, "checkpoint %s committed on %s: the job ends here "
			"and restarts there", ck->name, ck->xfer_host);
		return XFER_MOVED;
	}
	snprintf(tmp, sizeof(tmp), "%s", why);
	snprintf(why, n, "migration to %s failed: %s; the job continues on %s", ck->xfer_host,
		 tmp[0] ? tmp : "?", m->hostname);
	resume_job(m, j);
	return XFER_FAILED;
}
