/* Receiving a node-local checkpoint from another MOM (the target's side
 * of mom_ckpt_xfer.h): one CkptXfer request at a time, on the connection
 * the source opened with the cluster key.
 *
 * The copy is received into a staging directory that only root can
 * enter, beside the job's <jobid>.CK (same file system, reached without
 * following links under a parent the operator allowed), every file
 * through descriptors; at commit it is synced, verified against its
 * manifest (the keyed MAC, every image's size and digest, layers and
 * links: ckpt_verify) and only then renamed into <jobid>.CK/NAME. A copy
 * whose connection closes before that is removed. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
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
#include "lib/wire.h"
#include "mom/checkpoint.h"
#include "mom/mom_ckpt_xfer.h"
#include "mom/mom_util.h"

#define CHUNK MOM_XFER_CHUNK
#define STAGE_PREFIX ".ckmig-xfer."

/* --- names the target accepts ------------------------------------------- */

static int layer_name(const char *s)
{
	size_t n = strlen(s);

	return n >= 4 && n <= 6 && !strncmp(s, "pre", 3) && s[3] != '0' &&
	       strspn(s + 3, "0123456789") == n - 3;
}

static int plain_name(const char *s)
{
	return s && *s && strlen(s) < 256 && !strchr(s, '/') && strcmp(s, ".") && strcmp(s, "..");
}

/* "NAME" or "preK/NAME": the directory part in *layer (or ""). */
static int image_path(const char *p, char *layer, size_t n)
{
	const char *sl = p ? strchr(p, '/') : NULL;

	layer[0] = '\0';
	if (!sl)
		return plain_name(p);
	if ((size_t)(sl - p) >= n)
		return 0;
	memcpy(layer, p, (size_t)(sl - p));
	layer[sl - p] = '\0';
	return layer_name(layer) && plain_name(sl + 1);
}

/* --- removing a staging directory, through descriptors ---------------------- */

static void rm_at(int dfd, const char *name, int depth)
{
	struct stat st;
	int fd;
	DIR *d;
	struct dirent *de;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return;
	if (!S_ISDIR(st.st_mode) || depth <= 0) {
		unlinkat(dfd, name, 0);
		return;
	}
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0 && (d = fdopendir(dup(fd)))) {
		while ((de = readdir(d)))
			if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
				rm_at(fd, de->d_name, depth - 1);
		closedir(d);
	}
	if (fd >= 0)
		close(fd);
	unlinkat(dfd, name, AT_REMOVEDIR);
}

/* =========================== target side ================================= */

struct xfer_in {
	struct xfer_in *next;
	unsigned long conn;
	char *jobid, *name, *dir, *user, *stage;
	int pfd, sfd, cfd;          /* parent of <jobid>.CK, staging, staging/ckpt */
	int fd;                     /* the file being written, or -1 */
	char *path;                 /* ... as the source named it */
	long long size, off;
	int chunks;
};

static struct xfer_in *find_in(struct mom *m, unsigned long conn)
{
	struct xfer_in *x;

	for (x = m->xfers; x && x->conn != conn; x = x->next)
		;
	return x;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Forget x; its staging directory too unless it was committed. */
static void drop_in(struct mom *m, struct xfer_in *x, int remove_stage)
{
	struct xfer_in **pp;

	for (pp = &m->xfers; *pp && *pp != x; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = x->next;
	close_fd(&x->fd);
	close_fd(&x->cfd);
	close_fd(&x->sfd);
	if (remove_stage && x->pfd >= 0 && x->stage) {
		rm_at(x->pfd, x->stage, 4);
		log_job(PBSEVENT_JOB, x->jobid, "checkpoint copy %s from another MOM abandoned; "
			"its staging directory removed", x->name);
	}
	close_fd(&x->pfd);
	free(x->jobid);
	free(x->name);
	free(x->dir);
	free(x->user);
	free(x->stage);
	free(x->path);
	free(x);
}

void mom_xfer_closed(struct mom *m, unsigned long conn)
{
	struct xfer_in *x = find_in(m, conn);

	if (x)
		drop_in(m, x, 1);
}

void mom_xfer_sweep(struct mom *m)
{
	int fd = open(m->checkpoint_base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(dup(fd)) : NULL;
	struct dirent *de;

	while (d && (de = readdir(d)))
		if (!strncmp(de->d_name, STAGE_PREFIX, strlen(STAGE_PREFIX))) {
			log_event(PBSEVENT_SYSTEM, PBS_EVENTCLASS_SERVER, NULL,
				  "removing %s/%s, a checkpoint copy a dead MOM did not commit",
				  m->checkpoint_base, de->d_name);
			rm_at(fd, de->d_name, 4);
		}
	if (d)
		closedir(d);
	if (fd >= 0)
		close(fd);
}

/* A source that loses its link never closes the connection, and the
 * staging directory would stay until the connection idled out (1 min).
 * Keepalive probes, and a bound on answers left unacknowledged, end it
 * once the source's kernel has not answered for ~11 s: a live source's
 * kernel always does, however slow the copy. */
static void watch_source(struct mom *m, unsigned long conn)
{
	struct wconn *w = wloop_find(m->loop, conn);
	int on = 1, idle = 5, intvl = 2, cnt = 3;
	unsigned int user_ms = (unsigned int)(idle + intvl * cnt) * 1000;

	if (!w || w->fd < 0)
		return;
	if (setsockopt(w->fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on)) < 0 ||
	    setsockopt(w->fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle)) < 0 ||
	    setsockopt(w->fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl)) < 0 ||
	    setsockopt(w->fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt)) < 0 ||
	    setsockopt(w->fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_ms, sizeof(user_ms)) < 0)
		pr_warn("checkpoint copy from %s: no keepalive (%s): a lost link is noticed only "
			"when the connection idles out", w->peer, strerror(errno));
}

static int x_begin(struct mom *m, unsigned long conn, struct pbs_msg *req, char *err, size_t n)
{
	const char *dir = msg_arg(req, "dir"), *name = msg_arg(req, "name");
	const char *user = msg_arg(req, "user"), *mode = msg_arg(req, "mode");
	const char *id = req->id, *tail;
	struct xfer_in *x = find_in(m, conn);
	char *want;

	if (x)
		drop_in(m, x, 1);
	if (!plain_name(id) || id[0] == '.' || !plain_name(name) || strncmp(name, "ckpt.", 5) ||
	    !user || !getpwnam(user) || !dir || dir[0] != '/') {
		snprintf(err, n, "bad checkpoint copy request (job, name, owner or directory)");
		return PBSE_IVALREQ;
	}
	/* the directory is the job's <checkpoint_dir>/<jobid>.CK, as here */
	want = xasprintf("/%s.CK", id);
	tail = strlen(dir) > strlen(want) ? dir + strlen(dir) - strlen(want) : "";
	if (strcmp(tail, want)) {
		free(want);
		snprintf(err, n, "checkpoint directory %s is not a <jobid>.CK of job %s", dir, id);
		return PBSE_IVALREQ;
	}
	free(want);
	if (mom_job_find(m, id)) {
		snprintf(err, n, "job %s is on this node already", id);
		return PBSE_JOBEXIST;
	}
	/* a source sends one copy of a job at a time: a new one means it gave
	 * up the one an older connection still holds open */
	for (x = m->xfers; x; x = x->next)
		if (!strcmp(x->jobid, id)) {
			drop_in(m, x, 1);
			break;
		}
	x = xcalloc(1, sizeof(*x));
	x->conn = conn;
	x->fd = x->sfd = x->cfd = -1;
	x->jobid = xstrdup(id);
	x->name = xstrdup(name);
	x->dir = xstrdup(dir);
	x->user = xstrdup(user);
	x->stage = xasprintf(STAGE_PREFIX "%s.%s", id, name);
	x->next = m->xfers;
	m->xfers = x;
	x->pfd = mom_open_ckpt_parent(m, dir, err, n);
	if (x->pfd < 0)
		return PBSE_IVALREQ;
	rm_at(x->pfd, x->stage, 4);   /* a stale one from an earlier try */
	if (mkdirat(x->pfd, x->stage, 0700) < 0 ||
	    (x->sfd = openat(x->pfd, x->stage, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
	    mkdirat(x->sfd, "ckpt", 0700) < 0 ||
	    (x->cfd = openat(x->sfd, "ckpt", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
	    fchmod(x->cfd, mode ? (mode_t)strtol(mode, NULL, 8) & 0755 : 0700) < 0) {
		snprintf(err, n, "cannot make a staging directory in %s: %s", dir, strerror(errno));
		return PBSE_SYSTEM;
	}
	watch_source(m, conn);
	log_job(PBSEVENT_JOB, id, "receiving checkpoint %s from another MOM into %s", name, dir);
	return 0;
}

static int x_mkdir(struct xfer_in *x, struct pbs_msg *req, char *err, size_t n)
{
	const char *p = msg_arg(req, "path"), *mode = msg_arg(req, "mode");

	if (!p || !layer_name(p)) {
		snprintf(err, n, "bad layer name");
		return PBSE_IVALREQ;
	}
	if (mkdirat(x->cfd, p, 0700) < 0 ||
	    fchmodat(x->cfd, p, mode ? (mode_t)strtol(mode, NULL, 8) & 0755 : 0700, 0) < 0) {
		snprintf(err, n, "cannot make %s: %s", p, strerror(errno));
		return PBSE_SYSTEM;
	}
	return 0;
}

/* Only the layers' "parent" links, and only to a layer: ckpt_verify checks
 * each against the manifest at commit. */
static int x_link(struct xfer_in *x, struct pbs_msg *req, char *err, size_t n)
{
	const char *p = msg_arg(req, "path"), *t = msg_arg(req, "target");
	char layer[16];
	const char *base = p ? strrchr(p, '/') : NULL;

	base = base ? base + 1 : p;
	if (!p || !t || !image_path(p, layer, sizeof(layer)) || strcmp(base, "parent") ||
	    !layer_name(strncmp(t, "../", 3) ? t : t + 3) || (layer[0] != 0) != !strncmp(t, "../", 3)) {
		snprintf(err, n, "bad layer link");
		return PBSE_IVALREQ;
	}
	if (symlinkat(t, x->cfd, p) < 0) {
		snprintf(err, n, "cannot link %s: %s", p, strerror(errno));
		return PBSE_SYSTEM;
	}
	return 0;
}

static int x_file(struct xfer_in *x, struct pbs_msg *req, char *err, size_t n)
{
	const char *p = msg_arg(req, "path"), *mode = msg_arg(req, "mode");
	const char *size = msg_arg(req, "size"), *where = msg_arg(req, "where");
	int kept = where && !strcmp(where, "kept"), dfd;
	char layer[16], *kname = NULL;

	if (x->fd >= 0 || x->off != x->size) {
		snprintf(err, n, "%s is not complete", x->path);
		return PBSE_IVALREQ;
	}
	if (!p || !size || atoll(size) < 0 ||
	    (kept ? strcmp(p, "OU") && strcmp(p, "ER") : !image_path(p, layer, sizeof(layer)))) {
		snprintf(err, n, "bad file in a checkpoint copy");
		return PBSE_IVALREQ;
	}
	free(x->path);
	x->path = xstrdup(p);
	x->size = atoll(size);
	x->off = 0;
	if (kept) {
		kname = xasprintf("kept.%s", p);
		dfd = x->sfd;
		p = kname;
	} else {
		dfd = layer[0] ? openat(x->cfd, layer, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
			       : x->cfd;
		p = strrchr(p, '/') ? strrchr(p, '/') + 1 : p;
	}
	x->fd = dfd < 0 ? -1 : openat(dfd, p, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (x->fd >= 0 && fchmod(x->fd, mode ? (mode_t)strtol(mode, NULL, 8) & 0644 : 0600) < 0)
		close_fd(&x->fd);
	if (dfd >= 0 && dfd != x->cfd && dfd != x->sfd)
		close(dfd);
	free(kname);
	if (x->fd < 0) {
		snprintf(err, n, "cannot create %s: %s", x->path, strerror(errno));
		return PBSE_SYSTEM;
	}
	if (x->size == 0)
		close_fd(&x->fd);
	return 0;
}

static int x_data(struct xfer_in *x, struct pbs_msg *req, char *err, size_t n)
{
	const char *p = msg_arg(req, "path"), *off = msg_arg(req, "off");
	long long len = (long long)req->blob_len;

	if (x->fd < 0 || !p || !x->path || strcmp(p, x->path) || !off || atoll(off) != x->off ||
	    !req->blob) {
		snprintf(err, n, "data out of order in a checkpoint copy");
		return PBSE_IVALREQ;
	}
	if (len > (long long)CHUNK || x->off + len > x->size) {
		snprintf(err, n, "bad data for %s", x->path);
		return PBSE_IVALREQ;
	}
	if (pwrite_full(x->fd, req->blob, (size_t)len, (off_t)x->off) < 0) {
		snprintf(err, n, "cannot write %s: %s", x->path, strerror(errno));
		return PBSE_SYSTEM;
	}
	/* to disk now, so that the file's fdatasync has little left to wait for */
	sync_file_range(x->fd, x->off, len, SYNC_FILE_RANGE_WRITE);
	x->off += len;
	if (x->off == x->size) {
		if (fdatasync(x->fd) < 0) {
			snprintf(err, n, "cannot sync %s: %s", x->path, strerror(errno));
			return PBSE_SYSTEM;
		}
		close_fd(&x->fd);
	}
	if (++x->chunks == 1)
		fault_point(FAULT_MOM_XFER_RECEIVED);
	return 0;
}

/* The copy's directories (its files were synced as each ended). */
static int fsync_dirs(int cfd)
{
	DIR *d = fdopendir(dup(cfd));
	struct dirent *de;
	int rc = 0;

	while (d && (de = readdir(d))) {
		int fd;

		if (!layer_name(de->d_name))
			continue;
		fd = openat(cfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || fsync(fd) < 0)
			rc = -1;
		if (fd >= 0)
			close(fd);
	}
	if (d)
		closedir(d);
	return !d || rc < 0 || fsync(cfd) < 0 ? -1 : 0;
}

/* Verified, then renamed into place: nothing unverified is ever a
 * checkpoint on this node. */
static int x_commit(struct mom *m, struct xfer_in *x, char *err, size_t n)
{
	static const char *const kept[] = { "OU", "ER" };
	unsigned char key[CKPT_KEY_LEN];
	struct ckpt_manifest man;
	struct ckpt_err e;
	struct passwd *pw = getpwnam(x->user);
	char path[64], kname[16], *to;
	int ckfd = -1, rc = PBSE_SYSTEM;
	size_t i;

	memset(&man, 0, sizeof(man));
	ckpt_err_clear(&e);
	if (x->fd >= 0 || x->off != x->size || !pw) {
		snprintf(err, n, "checkpoint copy incomplete");
		return PBSE_IVALREQ;
	}
	if (fsync_dirs(x->cfd) < 0) {
		snprintf(err, n, "cannot sync the copy: %s", strerror(errno));
		return PBSE_SYSTEM;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", x->cfd);
	if (ckpt_key_load(ckpt_key_path(true), false, key, &e) < 0 ||
	    ckpt_verify(path, key, &man, &e) < 0) {
		ckpt_manifest_free(&man);
		snprintf(err, n, "the copy of %s does not verify: %.900s", x->name, e.msg);
		return PBSE_BADCRED;
	}
	ckpt_manifest_free(&man);
	ckfd = mom_make_job_ckdir(m, x->dir, x->user, err, n);
	if (ckfd < 0)
		return PBSE_SYSTEM;
	if (renameat(x->sfd, "ckpt", ckfd, x->name) < 0) {
		snprintf(err, n, "cannot commit %s/%s: %s", x->dir, x->name, strerror(errno));
		goto out;
	}
	/* the output the image expects, the owner's as the script keeps it */
	for (i = 0; i < 2; i++) {
		int fd;

		snprintf(kname, sizeof(kname), "kept.%s", kept[i]);
		fd = openat(x->sfd, kname, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (fchown(fd, pw->pw_uid, pw->pw_gid) < 0)
			log_job(PBSEVENT_ERROR, x->jobid, "cannot give %s to %s", kname, x->user);
		close(fd);
		to = xasprintf("%s.%s", x->name, kept[i]);
		if (renameat(x->sfd, kname, ckfd, to) < 0)
			log_job(PBSEVENT_ERROR, x->jobid, "cannot keep %s/%s: %s", x->dir, to,
				strerror(errno));
		free(to);
	}
	fsync(ckfd);
	log_job(PBSEVENT_JOB, x->jobid, "checkpoint %s/%s received from another MOM, verified "
		"and committed", x->dir, x->name);
	rc = 0;
out:
	close(ckfd);
	return rc;
}

void mom_xfer_request(struct mom *m, unsigned long conn, struct pbs_msg *req,
		      struct pbs_msg *reply)
{
	const char *op = msg_arg(req, "op");
	struct xfer_in *x = find_in(m, conn);
	char err[1024] = "", text[1200];
	int rc;

	if (op && !strcmp(op, "begin"))
		rc = x_begin(m, conn, req, err, sizeof(err));
	else if (!x || !op || strcmp(req->id, x->jobid))
		rc = PBSE_IVALREQ, snprintf(err, sizeof(err), "no checkpoint copy under way here");
	else if (!strcmp(op, "mkdir"))
		rc = x_mkdir(x, req, err, sizeof(err));
	else if (!strcmp(op, "link"))
		rc = x_link(x, req, err, sizeof(err));
	else if (!strcmp(op, "file"))
		rc = x_file(x, req, err, sizeof(err));
	else if (!strcmp(op, "data"))
		rc = x_data(x, req, err, sizeof(err));
	else if (!strcmp(op, "commit"))
		rc = x_commit(m, x, err, sizeof(err));
	else
		rc = PBSE_IVALREQ, snprintf(err, sizeof(err), "unknown step %s", op);
	x = find_in(m, conn);
	if (rc) {
		log_job(PBSEVENT_ERROR, req->id, "checkpoint copy refused: %s", err);
		if (x)
			drop_in(m, x, 1);
		msg_reply(reply, rc, 0, pbse_message(text, sizeof(text), rc, err));
		return;
	}
	if (op && !strcmp(op, "commit") && x)
		drop_in(m, x, 0);
	msg_reply(reply, 0, 0, "");
}

