/* Checkpointing a job: CRIU dumps the namespace into a temporary
 * directory while we hash what it writes; then the manifest is signed and
 * the directory renamed into place.  The job is left stopped by CRIU until
 * the checkpoint is committed, so --kill/--term/--signal act on a job that
 * has not run since its image was taken, and a failed commit just lets it
 * continue. */
#include "checkpoint/ckpt_internal.h"
#include "lib/fault.h"
#include "lib/safe_dir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

int ckpt_after_action(pid_t init, enum ckpt_after after, int signo, struct ckpt_err *e)
{
    pid_t *pids = NULL;
    size_t n = 0;
    int sig = 0;

    switch (after) {
    case CKPT_AFTER_KILL:
        sig = SIGKILL;
        break;
    case CKPT_AFTER_TERM:
        sig = SIGTERM;
        break;
    case CKPT_AFTER_ABORT:
        sig = SIGABRT;
        break;
    case CKPT_AFTER_SIGNAL:
        sig = signo;
        break;
    case CKPT_AFTER_STOP:
        sig = SIGSTOP;
        break;
    case CKPT_AFTER_RUN:
    case CKPT_AFTER_CONT:
        break;
    }
    /* Killing the init takes the whole namespace with it. */
    if (sig == SIGKILL)
        return kill(init, SIGKILL) < 0 && errno != ESRCH
                   ? ckpt_err_set(e, errno, "kill: %s", strerror(errno)) : 0;
    if (ckpt_ns_members(init, &pids, &n) < 0)
        return ckpt_err_set(e, errno, "cannot list the job's processes: %s", strerror(errno));
    /* The init forwards what it gets; signal the others directly, once. */
    if (sig)
        for (size_t i = 1; i < n; i++)
            kill(pids[i], sig);
    /* Resuming wakes only what CRIU stopped, not what was stopped before
     * (ckpt_stopped.c); a signal that ends the job wakes everyone. */
    if (!sig)
        ckpt_stopped_restop();
    if (sig != SIGSTOP)
        for (size_t i = 0; i < n; i++) {
            union sigval v = { .sival_int = CKPT_RESUME_VALUE };
            if (i == 0 && !sig)
                sigqueue(pids[0], SIGCONT, v);  /* the init: not passed on */
            else if (sig || !ckpt_stopped_kept(pids[i]))
                kill(pids[i], SIGCONT);
        }
    free(pids);
    return 0;
}

static int add_file(struct ckpt_manifest *m, size_t *cap, const char *path,
                    const struct stat *st, bool dir)
{
    for (size_t i = 0; i < m->nfiles; i++)
        if (strcmp(m->files[i].path, path) == 0 && m->files[i].dir == dir)
            return 0;
    if (m->nfiles == *cap) {
        size_t nc = *cap ? 2 * *cap : 16;
        struct ckpt_file *nf = realloc(m->files, nc * sizeof(*nf));
        if (!nf)
            return -1;
        m->files = nf;
        *cap = nc;
    }
    struct ckpt_file *f = &m->files[m->nfiles];
    memset(f, 0, sizeof(*f));
    f->path = strdup(path);
    f->size = dir ? 0 : (long long)st->st_size;
    f->dir = dir;
    f->has_id = true;
    f->dev = (unsigned long long)st->st_dev;
    f->ino = (unsigned long long)st->st_ino;
    f->owner = st->st_uid;
    return m->files[m->nfiles++].path ? 0 : -1;
}

/* The job's open regular files, read while CRIU keeps it stopped so the
 * sizes are the ones in the images. */
static int scan_files(pid_t init, struct ckpt_manifest *m)
{
    pid_t *pids = NULL;
    size_t n = 0, cap = 0;
    if (ckpt_ns_members(init, &pids, &n) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        char dpath[64];
        snprintf(dpath, sizeof(dpath), "/proc/%d/fd", (int)pids[i]);
        DIR *d = opendir(dpath);
        struct dirent *de;
        while (d && (de = readdir(d))) {
            char fpath[512], target[4096];
            struct stat st;
            if (de->d_name[0] == '.')
                continue;
            snprintf(fpath, sizeof(fpath), "%s/%s", dpath, de->d_name);
            ssize_t l = readlink(fpath, target, sizeof(target) - 1);
            if (l <= 0 || target[0] != '/' || stat(fpath, &st) < 0 || !S_ISREG(st.st_mode))
                continue;
            target[l] = '\0';
            if (add_file(m, &cap, target, &st, false) < 0) {
                closedir(d);
                free(pids);
                return -1;
            }
        }
        if (d)
            closedir(d);
        char cwdlink[64], cwd[4096];
        snprintf(cwdlink, sizeof(cwdlink), "/proc/%d/cwd", (int)pids[i]);
        ssize_t cl = readlink(cwdlink, cwd, sizeof(cwd) - 1);
        struct stat cst;
        if (cl > 0 && cwd[0] == '/' && stat(cwdlink, &cst) == 0) {
            cwd[cl] = '\0';
            if (add_file(m, &cap, cwd, &cst, true) < 0) {
                free(pids);
                return -1;
            }
        }
        if (!m->jobid)
            m->jobid = ckpt_proc_environ_get(pids[i], "PBS_JOBID");
    }
    free(pids);
    return 0;
}

static bool dir_empty(int dfd)
{
    int fd = dup(dfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    struct dirent *de;
    bool empty = d != NULL;
    if (!d) {
        if (fd >= 0)
            close(fd);
        return false;
    }
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            empty = false;
    rewinddir(d);
    closedir(d);
    return empty;
}

/* Is name in pfd a checkpoint of the given form (a directory with a
 * manifest, or a context file)?  Only those are ever replaced or backed up. */
static bool is_checkpoint(int pfd, const char *name, bool file)
{
    struct stat st, mst;

    if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return false;
    if (!file) {
        int dfd = S_ISDIR(st.st_mode)
                      ? openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
        bool is = dfd >= 0 && fstatat(dfd, CKPT_MANIFEST, &mst, AT_SYMLINK_NOFOLLOW) == 0 &&
                  S_ISREG(mst.st_mode);
        if (dfd >= 0)
            close(dfd);
        return is;
    }
    if (!S_ISREG(st.st_mode))
        return false;
    int fd = openat(pfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    bool is = fd >= 0 && ckpt_archive_is(fd);
    if (fd >= 0)
        close(fd);
    return is;
}

static bool exists_at(int pfd, const char *name)
{
    struct stat st;
    return fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* --backup=NAME: the old checkpoint is renamed within its own directory,
 * never moved elsewhere (a setuid cr_checkpoint would otherwise let its
 * caller have root put their file anywhere on the file system).  NAME's
 * directory must be pfd's; out gets NAME's last component. */
static int backup_name(int pfd, const char *backup, char *out, size_t len, struct ckpt_err *e)
{
    char bdir[4200];
    struct stat ts, bs;

    snprintf(bdir, sizeof(bdir), "%s", backup);
    const char *bparent = dirname(bdir);
    const char *base = strrchr(backup, '/') ? strrchr(backup, '/') + 1 : backup;
    if (!*base || !strcmp(base, ".") || !strcmp(base, ".."))
        return ckpt_err_setc(e, EINVAL, CKPT_FAIL_ARGS, "bad backup name %s", backup);
    /* NAME is the caller's path (relative: to the working directory, as
     * BLCR took it).  Only a check: the rename itself goes through pfd,
     * whatever this finds. */
    if (fstat(pfd, &ts) < 0 || stat(bparent, &bs) < 0 || ts.st_dev != bs.st_dev ||
        ts.st_ino != bs.st_ino)
        return ckpt_err_setc(e, EINVAL, CKPT_FAIL_ARGS,
                             "backup %s is not in the checkpoint's directory: refused", backup);
    if (snprintf(out, len, "%s", base) >= (int)len)
        return ckpt_err_set(e, ENAMETOOLONG, "name too long: %s", backup);
    return 0;
}

/* Puts tmp (a directory, or a context file; pfd's entry) in place as
 * base, in pfd too: the job's owner may rename pfd's entries, never make
 * these reach outside it.  target: the checkpoint's path, for messages. */
static int commit(int pfd, const char *tmp, const char *base, const char *target,
                  const struct ckpt_dump_opts *o, bool file, struct ckpt_err *e)
{
    char other[4200];

    if (!exists_at(pfd, base)) {
        if (renameat(pfd, tmp, pfd, base) == 0)
            return 0;
        return ckpt_err_set(e, errno, "cannot rename %s to %s: %s", tmp, target, strerror(errno));
    }
    if (o->clobber == CKPT_NOCLOBBER)
        return ckpt_err_set(e, EEXIST, "%s exists and --noclobber was given", target);
    /* Replace or back up only an earlier checkpoint, never anything else
     * that happens to have the name. */
    if (!is_checkpoint(pfd, base, file))
        return ckpt_err_set(e, EEXIST, "%s exists and is not a checkpoint%s: not replacing it",
                            target, is_checkpoint(pfd, base, !file)
                                        ? (file ? " file (it is a checkpoint directory)"
                                                : " directory (it is a context file)") : "");
    if (o->clobber == CKPT_BACKUP) {
        if (o->backup && *o->backup) {
            if (backup_name(pfd, o->backup, other, sizeof(other), e) < 0)
                return -1;
        } else {
            for (int i = 1;; i++) {
                if (snprintf(other, sizeof(other), "%s.~%d~", base, i) >= (int)sizeof(other))
                    return ckpt_err_set(e, ENAMETOOLONG, "name too long: %s", target);
                if (!exists_at(pfd, other))
                    break;
            }
        }
        if (exists_at(pfd, other)) {
            if (!is_checkpoint(pfd, other, file))
                return ckpt_err_set(e, EEXIST, "backup %s exists and is not a checkpoint", other);
            if (!file && ckpt_rmtree_at(pfd, other) < 0)
                return ckpt_err_set(e, errno, "cannot replace backup %s: %s", other,
                                    strerror(errno));
        }
        if (renameat(pfd, base, pfd, other) < 0)
            return ckpt_err_set(e, errno, "cannot back up %s to %s: %s", target, other,
                                strerror(errno));
        if (renameat(pfd, tmp, pfd, base) < 0) {
            int err = errno;
            renameat(pfd, other, pfd, base);
            return ckpt_err_set(e, err, "cannot rename %s to %s: %s", tmp, target, strerror(err));
        }
        return 0;
    }
    /* A file is replaced in one step by rename itself. */
    if (file) {
        if (renameat(pfd, tmp, pfd, base) == 0)
            return 0;
        return ckpt_err_set(e, errno, "cannot replace %s: %s", target, strerror(errno));
    }
    /* Swap in one step: there is never a moment without a good checkpoint. */
    if (renameat2(pfd, tmp, pfd, base, RENAME_EXCHANGE) == 0) {
        ckpt_rmtree_at(pfd, tmp);
        return 0;
    }
    if (snprintf(other, sizeof(other), "%s.old.%d", tmp, (int)getpid()) >= (int)sizeof(other))
        return ckpt_err_set(e, ENAMETOOLONG, "name too long: %s", tmp);
    if (renameat(pfd, base, pfd, other) < 0 || renameat(pfd, tmp, pfd, base) < 0) {
        int err = errno;
        renameat(pfd, other, pfd, base);
        return ckpt_err_set(e, err, "cannot replace %s: %s", target, strerror(err));
    }
    ckpt_rmtree_at(pfd, other);
    return 0;
}

/* The context file: the finished directory packed into pfd's entry ctx
 * (created here, never followed), owned by the job's owner as BLCR's was,
 * 0400. */
static int pack(int tfd, int pfd, const char *ctx, uid_t uid, gid_t gid, bool sync,
                struct ckpt_err *e)
{
    int fd = openat(pfd, ctx, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0400);
    int rc = -1;

    if (fd < 0)
        return ckpt_err_set(e, errno, "cannot create %s: %s", ctx, strerror(errno));
    if (ckpt_archive_write(tfd, fd, uid, gid, sync, e) < 0)
        goto out;
    if (fchown(fd, uid, gid) < 0 || fchmod(fd, 0400) < 0 || (sync && fsync(fd) < 0)) {
        ckpt_err_set(e, errno, "cannot finish %s: %s", ctx, strerror(errno));
        goto out;
    }
    rc = 0;
out:
    if (close(fd) < 0 && rc == 0)
        rc = ckpt_err_set(e, errno, "cannot write %s: %s", ctx, strerror(errno));
    if (rc < 0)
        unlinkat(pfd, ctx, 0);
    return rc;
}

/* The directory the checkpoint goes into, open: the caller's, or path's
 * own walked by open_dir_noswap.  The job's owner may own it or the
 * directory above it and could swap a name on the way for a link between
 * our checks and our writes; from here on only this fd is used. */
static int open_parent(const struct ckpt_dump_opts *o, const char *parent, struct ckpt_err *e)
{
    char bad[4096];
    int fd;

    if (o->have_dir) {
        if ((fd = fcntl(o->dir, F_DUPFD_CLOEXEC, 3)) < 0)
            return ckpt_err_set(e, errno, "checkpoint directory %s: %s", parent, strerror(errno));
        return fd;
    }
    if ((fd = open_dir_noswap(parent, bad, sizeof(bad))) >= 0)
        return fd;
    switch (errno) {
    case ENOENT:
        return ckpt_err_set(e, ENOENT, "checkpoint directory %s does not exist", parent);
    case ENOTDIR:
        return ckpt_err_set(e, ENOTDIR, "%s is not a directory", bad);
    case ELOOP:
        return ckpt_err_set(e, ELOOP, "checkpoint directory %s: %s is a symbolic link that a "
                            "user other than root could have put there: refused", parent, bad);
    default:
        return ckpt_err_set(e, errno, "cannot open checkpoint directory %s: %s", parent,
                            strerror(errno));
    }
}

static int owner_ok(pid_t init, const char *owner, struct ckpt_err *e)
{
    uid_t uid;
    gid_t gid;
    struct passwd *pw = getpwnam(owner);
    if (!pw)
        return ckpt_err_setc(e, EINVAL, CKPT_FAIL_ARGS, "unknown user %s", owner);
    if (ckpt_proc_uid(init, &uid, &gid) < 0)
        return ckpt_err_set(e, ESRCH, "the job ended");
    if (uid != pw->pw_uid)
        return ckpt_err_set(e, EPERM, "the job runs as uid %u, not as %s (uid %u): refusing",
                            (unsigned)uid, owner, (unsigned)pw->pw_uid);
    return 0;
}

#define POSTCOPY_WAIT_S 120

/* --postcopy, once the images are committed: the job, stopped by CRIU,
 * waits while its memory is served.  It ends here once the target has it
 * all.  If no target came, it resumes here.  If one came and the stream
 * failed, the target kills its copy (ckpt_lazy.c) and so do we: the job
 * may have run on there past its image, and resuming it here would run
 * those steps twice.  Closes pc and reaps CRIU. */
static int postcopy_serve(struct ckpt_postcopy *pc, pid_t init, pid_t child,
                          const unsigned char key[CKPT_KEY_LEN], const unsigned char mac[32],
                          const struct ckpt_dump_opts *o, int gfd, const char *work,
                          bool *stopped, struct ckpt_err *e)
{
    struct ckpt_err ignore;
    bool connected = false;
    int ws = 0;

    /* CRIU resumes the job when it fails: a pending SIGSTOP keeps every
     * task from running until we have decided. */
    ckpt_after_action(init, CKPT_AFTER_STOP, 0, &ignore);
    printf("postcopy port %d\n", ckpt_postcopy_port(pc));
    fflush(stdout);
    int rc = ckpt_postcopy_serve(pc, key, mac, (o->timeout > 0 ? o->timeout : POSTCOPY_WAIT_S) * 1000,
                                 gfd, &connected, e);
    ckpt_postcopy_close(pc);
    ckpt_criu_wait(child, 0, &ws);
    if (rc == 0 && (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0)) {
        char log[128], errs[700];
        snprintf(log, sizeof(log), "%s/dump.log", work);
        int code = ckpt_criu_log_errors(log, errs, sizeof(errs));
        rc = ckpt_err_set(e, code, "CRIU could not serve the pages: %s",
                          errs[0] ? errs : "(no error in its log)");
    }
    if (rc == 0 || connected) {
        kill(init, SIGKILL);    /* moved, or lost: never twice */
        *stopped = false;
    }
    if (rc < 0) {
        char msg[sizeof(e->msg)];
        snprintf(msg, sizeof(msg), "%s", e->msg);
        ckpt_err_set(e, e->code, "post-copy failed: %s; %s", msg,
                     connected ? "the target had started the job, so it is lost: killed here, "
                                 "and there once its pages stopped"
                               : "no target started the job: it continues here");
    }
    return rc;
}

/* The final dump collided with another (ckpt_criu_collided): what it left
 * in tmp beside the layers goes, and a new tailer hashes the next try. */
static int next_try(int tfd, const char *tdir, struct ckpt_tailer **t,
                    const struct ckpt_hasher *h, bool writeback)
{
    struct ckpt_image *images = NULL;
    size_t n = 0;
    struct ckpt_err ignore;

    if (*t)
        ckpt_tailer_finish(*t, &images, &n, &ignore);
    *t = NULL;
    for (size_t i = 0; i < n; i++)
        free(images[i].name);
    free(images);
    if (ckpt_clear_files_at(tfd) < 0)
        return -1;
    *t = ckpt_tailer_start(tdir, h, writeback, &ignore);
    return *t ? 0 : -1;
}

static int dump_once(const struct ckpt_dump_opts *o, struct ckpt_err *e)
{
    char *pathcopy = NULL, *basecopy = NULL;
    char tmp[4200], target[4200], logpath[4300], tdir[64], tname[300], ctx[320];
    unsigned char key[CKPT_KEY_LEN];
    struct ckpt_manifest m;
    struct ckpt_tailer *tailer = NULL;
    struct ckpt_save_plan *saves = NULL;
    struct ckpt_ext_plan *exts = NULL;
    struct ckpt_live_result live;
    struct ckpt_hasher hasher;
    struct stat st;
    const char *criu = ckpt_criu_path(o->secure);
    bool tmp_made = false, stopped = false, file = false, committed = false;
    pid_t init = -1, child = -1, vpid = -1, guard = -1;
    struct ckpt_postcopy *pc = NULL;
    char pcwork[] = "/tmp/ckmig-postcopy.XXXXXX", psfd[16], stfd[16];
    int rc = -1, ws = 0, vfd = -1, tfd = -1, gfd = -1, pfd = -1;
    /* A post-copy checkpoint is worth nothing once its source is gone, so
     * nothing of it is synced: the job is stopped meanwhile. */
    bool sync = !o->nosync && !o->postcopy;

    memset(&m, 0, sizeof(m));
    memset(&live, 0, sizeof(live));
    tmp[0] = '\0';
    ckpt_phase("ckpt_dump", NULL);
    if (geteuid() != 0) {
        ckpt_err_set(e, EPERM, "checkpointing needs root (CRIU must be root)");
        goto out;
    }
    init = o->init > 0 ? o->init : ckpt_find_init(o->id, o->scope, e);
    if (init < 0)
        goto out;
    if (ckpt_init_omitted(init)) {
        /* BLCR: an omitted process is not there for a checkpoint. */
        ckpt_err_set(e, ESRCH, "process %d belongs to a job started with cr_run --omit: "
                     "it cannot be checkpointed", (int)(o->id > 0 ? o->id : init));
        goto out;
    }
    if (o->owner && owner_ok(init, o->owner, e) < 0)
        goto out;
    if (!o->path || !*o->path) {
        ckpt_err_setc(e, EINVAL, CKPT_FAIL_ARGS, "no checkpoint name");
        goto out;
    }
    pathcopy = strdup(o->path);
    basecopy = strdup(o->path);
    if (!pathcopy || !basecopy) {
        ckpt_err_set(e, ENOMEM, "out of memory");
        goto out;
    }
    const char *parent = dirname(pathcopy), *base = basename(basecopy);
    if (!strcmp(base, ".") || !strcmp(base, "..") || !strcmp(base, "/")) {
        ckpt_err_setc(e, EINVAL, CKPT_FAIL_ARGS, "bad checkpoint name %s", o->path);
        goto out;
    }
    if ((pfd = open_parent(o, parent, e)) < 0)
        goto out;
    snprintf(target, sizeof(target), "%s/%s", parent, base);
    if (o->form != CKPT_FORM_AUTO)
        file = o->form == CKPT_FORM_FILE;
    else if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0)
        file = !S_ISDIR(st.st_mode);    /* an earlier checkpoint keeps its form */
    else    /* a new name: --live (ckmig's own, never a BLCR script's) needs layers */
        file = o->new_form == CKPT_FORM_FILE && !o->live;
    if (o->postcopy && o->secure) {
        /* a listening socket and a page server of root's for whoever runs it */
        ckpt_err_setc(e, EPERM, CKPT_FAIL_ENV, "--postcopy needs root");
        goto out;
    }
    if (o->postcopy && (o->live || file || exists_at(pfd, base))) {
        /* Its memory is in no image: it must never stand in for a whole
         * checkpoint (replace one, or be packed as if it were one). */
        ckpt_err_setc(e, EINVAL, CKPT_FAIL_ARGS, "--postcopy makes a new checkpoint directory "
                      "(give a new NAME/), without --live: %s", o->path);
        goto out;
    }
    if (o->live && file) {
        /* The layers are directories; the context file holds one level. */
        ckpt_err_setc(e, EINVAL, CKPT_FAIL_ARGS,
                      "--live makes a checkpoint directory: give --context=dir or NAME/");
        goto out;
    }
    if (o->clobber == CKPT_NOCLOBBER && exists_at(pfd, base)) {
        ckpt_err_set(e, EEXIST, "%s exists and --noclobber was given", target);
        goto out;
    }
    if (ckpt_key_load(ckpt_key_path(o->secure), true, key, e) < 0)
        goto out;
    if (access(criu, X_OK) < 0) {
        ckpt_err_set(e, ENOENT, "cannot run CRIU %s: %s (set $CKMIG_CRIU)", criu, strerror(errno));
        goto out;
    }
    m.version = CKPT_FORMAT_VERSION;
    vfd = ckpt_criu_version_start(criu, &vpid);    /* read after the dump */
    ckpt_phase("ckpt_dump", "prepare");
    if (snprintf(tname, sizeof(tname), ".%s.tmp.%d", base, (int)getpid()) >= (int)sizeof(tname) ||
        strlen(tname) + 4 > NAME_MAX) {
        ckpt_err_setc(e, ENAMETOOLONG, CKPT_FAIL_ARGS, "checkpoint name %s is too long", base);
        goto out;
    }
    snprintf(tmp, sizeof(tmp), "%s/%s", parent, tname);
    fault_point(FAULT_CKPT_PREPARED);
    ckpt_rmtree_at(pfd, tname);
    if (mkdirat(pfd, tname, 0700) < 0) {
        ckpt_err_set(e, errno, "cannot create checkpoint in %s: %s", parent, strerror(errno));
        goto out;
    }
    /* From here on the directory is used through this fd (as
     * /proc/self/fd/N, by CRIU too): the job's owner may own the parent
     * and could swap the name for a link somewhere else meanwhile. */
    tfd = openat(pfd, tname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (tfd < 0 || fstat(tfd, &st) < 0) {
        ckpt_err_set(e, errno, "cannot open %s: %s", tmp, strerror(errno));
        goto out;
    }
    /* Only the empty directory we just made: one the owner put there
     * instead could hold links CRIU would write through as root. */
    if (st.st_uid != geteuid() || st.st_nlink != 2 || (st.st_mode & 077) || !dir_empty(tfd)) {
        ckpt_err_set(e, EACCES, "%s was replaced while it was being made: refused", tmp);
        goto out;
    }
    tmp_made = true;
    if (fchown(tfd, 0, 0) < 0) {   /* setuid: our gid */
        ckpt_err_set(e, errno, "cannot open %s: %s", tmp, strerror(errno));
        goto out;
    }
    snprintf(tdir, sizeof(tdir), "/proc/self/fd/%d", tfd);
    memset(&hasher, 0, sizeof(hasher));
    hasher.alg = ckpt_hash_alg_default(o->secure);
    memcpy(hasher.key, key, CKPT_KEY_LEN);
    if (getrandom(hasher.nonce, sizeof(hasher.nonce), 0) != (ssize_t)sizeof(hasher.nonce)) {
        ckpt_err_set(e, errno, "getrandom: %s", strerror(errno));
        goto out;
    }
    m.hash_alg = hasher.alg;
    memcpy(m.hash_nonce, hasher.nonce, sizeof(m.hash_nonce));
    /* before the tailer's threads: the guard is a plain fork */
    ckpt_stopped_note_live(init);
    guard = ckpt_guard_start(init, &gfd);
    if (guard < 0) {
        ckpt_err_set(e, errno, "cannot start the guard process: %s", strerror(errno));
        goto out;
    }
    tailer = ckpt_tailer_start(tdir, &hasher, sync && !file, e);
    if (!tailer)
        goto out;

    uid_t juid;
    gid_t jgid;
    char ids[48];
    if (ckpt_proc_uid(init, &juid, &jgid) < 0) {
        ckpt_err_set(e, ESRCH, "the job ended");
        goto out;
    }
    snprintf(ids, sizeof(ids), "%u:%u", (unsigned)juid, (unsigned)jgid);
    char pidbuf[16];
    snprintf(pidbuf, sizeof(pidbuf), "%d", (int)init);
    /* --save-*: what to copy, opened now; CRIU dumps those as external. */
    if (!(saves = ckpt_save_plan(init, o->save, e)))
        goto out;
    size_t nsave, next;
    char *const *savev = ckpt_save_criu_args(saves, &nsave);
    if (o->live > 0) {
        /* Pre-copy while the job runs; the final dump below then stops it
         * only for what was dirtied since the last round. */
        struct ckpt_live_ctx lc = {
            .criu = criu, .pid = pidbuf, .ids = ids, .tfd = tfd, .tdir = tdir,
            .hasher = &hasher, .rounds = o->live > CKPT_LIVE_MAX_ROUNDS ? CKPT_LIVE_MAX_ROUNDS
                                                                        : o->live,
            .timeout = o->timeout, .sync = sync, .verbose = o->verbose,
            .secure = o->secure, .extra = savev, .nextra = nsave,
        };
        if (ckpt_live_precopy(&lc, &live, e) < 0)
            goto out;
    }
    /* the job's open files: found at restore by CRIU's key, not by path */
    if (!(exts = ckpt_ext_plan(init, saves, e)))
        goto out;
    char *const *extv = ckpt_ext_criu_args(exts, &next);
    char *base_argv[] = { (char *)criu, "dump", "-t", pidbuf, "-D", tdir, "-W", tdir, "-o",
                          "dump.log", "--leave-stopped", "--file-locks",
                          o->verbose ? "-v4" : "-v2" };
    size_t nbase = sizeof(base_argv) / sizeof(base_argv[0]);
    char **argv = calloc(nbase + nsave + next + 8, sizeof(char *));
    if (!argv) {
        ckpt_err_set(e, ENOMEM, "out of memory");
        goto out;
    }
    memcpy(argv, base_argv, sizeof(base_argv));
    if (nsave)
        memcpy(argv + nbase, savev, nsave * sizeof(char *));
    if (next)
        memcpy(argv + nbase + nsave, extv, next * sizeof(char *));
    if (live.nlayers && live.tracked) {
        size_t k = nbase + nsave + next;
        argv[k++] = "--track-mem";
        argv[k++] = "--prev-images-dir";
        argv[k++] = live.layers[live.nlayers - 1].name;     /* CRIU: relative to -D */
    }
    int keepfds[3] = { tfd, -1, -1 };
    if (o->postcopy) {
        /* CRIU's log and stats go elsewhere: CRIU writes them after the
         * commit, and the directory holds only what the manifest lists. */
        if (!(pc = ckpt_postcopy_open(o->postcopy_port, e)) || !mkdtemp(pcwork)) {
            if (pc)
                ckpt_err_set(e, errno, "cannot create a work directory in /tmp: %s",
                             strerror(errno));
            pcwork[0] = '\0';
            free(argv);
            goto out;
        }
        ckpt_postcopy_criu_fds(pc, &keepfds[1], &keepfds[2]);
        snprintf(psfd, sizeof(psfd), "%d", keepfds[1]);
        snprintf(stfd, sizeof(stfd), "%d", keepfds[2]);
        size_t k = nbase + nsave + next;
        argv[7] = pcwork;   /* -W */
        argv[k++] = "--lazy-pages";
        argv[k++] = "--ps-socket";
        argv[k++] = psfd;
        argv[k++] = "--status-fd";
        argv[k++] = stfd;
    }

    fault_point(FAULT_CKPT_BEFORE_DUMP);
    char errs[700] = "";
    int code = 0, dumped = 0, ran = 0;
    for (int try = 1;; try++) {
        if (ckpt_criu_run(criu, argv, keepfds, o->postcopy ? 3 : 1, ids, &child) < 0) {
            ckpt_err_set(e, errno, "cannot start CRIU (%s): %s", criu, strerror(errno));
            break;
        }
        stopped = true;     /* from here on the job may be stopped: resume it on failure */
        ran = 1;
        if (pc)
            break;          /* CRIU serves the memory from here on (below) */
        if (ckpt_criu_wait(child, o->timeout, &ws) < 0) {
            ckpt_err_set(e, errno, errno == ETIMEDOUT ? "checkpoint timed out after %d s"
                                                      : "waiting for CRIU: %d", o->timeout);
            ran = 0;
            break;
        }
        if ((dumped = WIFEXITED(ws) && WEXITSTATUS(ws) == 0))
            break;
        snprintf(logpath, sizeof(logpath), "%s/dump.log", tdir);
        code = ckpt_criu_log_errors(logpath, errs, sizeof(errs));
        /* another dump held proc.crtools (CRIU resumed the job): the
         * final dump again, not the pre-copy rounds before it */
        if (!ckpt_criu_collided(errs, try) ||
            next_try(tfd, tdir, &tailer, &hasher, !o->nosync && !file) < 0)
            break;
        if (o->verbose)
            fprintf(stderr, "cr_checkpoint: the dump collided with another; again\n");
    }
    free(argv);
    if (!ran)
        goto out;
    if (pc) {
        /* CRIU serves the memory from here on: it runs on (and keeps the
         * job) until the target has it all, or our end of it closes. */
        if (ckpt_postcopy_ready(pc, o->timeout, e) < 0) {
            ckpt_postcopy_close(pc);
            pc = NULL;
            ckpt_criu_wait(child, 0, &ws);
            child = -1;
            snprintf(logpath, sizeof(logpath), "%s/dump.log", pcwork);
            char msg[sizeof(e->msg)];
            ckpt_criu_log_errors(logpath, errs, sizeof(errs));
            snprintf(msg, sizeof(msg), "%s", e->msg);
            ckpt_err_set(e, e->code, "CRIU could not dump the job: %s%s%s", msg,
                         errs[0] ? ": " : "", errs);
            goto out;
        }
        ws = 0;
        dumped = 1;
    }
    ckpt_phase("ckpt_dump", "criu");
    m.criu_version = ckpt_criu_version_finish(vfd, vpid);
    vfd = -1;
    struct ckpt_err herr;
    ckpt_err_clear(&herr);
    int hrc = tailer ? ckpt_tailer_finish(tailer, &m.images, &m.nimages, &herr) : -1;
    tailer = NULL;
    if (!dumped) {
        ckpt_err_set(e, code, "CRIU could not dump the job: %s", errs[0] ? errs : "(no error in its log)");
        goto out;
    }
    if (hrc < 0) {
        *e = herr;
        goto out;
    }
    /* which signal stopped each stopped process (else the noted set stays) */
    ckpt_stopped_note_images(init, tfd);
    if (!m.criu_version) {
        ckpt_err_set(e, ENOENT, "cannot tell the version of CRIU (%s)", criu);
        goto out;
    }
    /* Untracked test rounds (ckpt_live.c): the link CRIU would have made
     * (not before the dump: CRIU would take it for a tracked parent). */
    if (live.nlayers && !live.tracked &&
        symlinkat(live.layers[live.nlayers - 1].name, tfd, "parent") < 0) {
        ckpt_err_set(e, errno, "cannot link %s to its last layer: %s", tmp, strerror(errno));
        goto out;
    }
    ckpt_phase("ckpt_dump", "hash-tail");
    if (o->jobid && !(m.jobid = strdup(o->jobid))) {
        ckpt_err_set(e, ENOMEM, "out of memory");
        goto out;
    }
    if (ckpt_live_adopt(&live, &m, e) < 0)
        goto out;
    if (ckpt_save_copy(saves, tfd, tdir, &hasher, &m, e) < 0)
        goto out;
    if (scan_files(init, &m) < 0 || ckpt_ext_note(exts, &m) < 0) {
        ckpt_err_set(e, errno ? errno : ENOMEM, "cannot list the job's open files: %s", strerror(errno));
        goto out;
    }
    struct utsname u;
    uname(&u);
    m.host = strdup(u.nodename);
    m.kernel = strdup(u.release);
    m.time = (long long)time(NULL);
    m.requester = o->requester;
    m.name = strdup(base);  /* cr_restart --name checks the image is the one named */
    m.postcopy = o->postcopy;
    if (ckpt_proc_uid(init, &m.uid, &m.gid) < 0) {
        ckpt_err_set(e, ESRCH, "the job ended during its checkpoint");
        goto out;
    }
    ckpt_manifest_sign(&m, key);
    if (ckpt_manifest_write(tdir, &m, e) < 0)
        goto out;
    if (!file && sync && ckpt_fsync_tree(tdir) < 0) {
        ckpt_err_set(e, errno, "cannot sync %s: %s", tmp, strerror(errno));
        goto out;
    }
    ckpt_phase("ckpt_dump", "manifest");
    fault_point(FAULT_CKPT_DUMPED);
    if (file) {
        snprintf(ctx, sizeof(ctx), "%s.ctx", tname);
        if (pack(tfd, pfd, ctx, m.uid, m.gid, sync, e) < 0)
            goto out;
        ckpt_phase("ckpt_dump", "pack");
        if (commit(pfd, ctx, base, target, o, true, e) < 0) {
            unlinkat(pfd, ctx, 0);
            goto out;
        }
    } else {
        if (commit(pfd, tname, base, target, o, false, e) < 0)
            goto out;
        tmp_made = false;
        committed = true;
    }
    if (sync)
        fsync(pfd);
    fault_point(FAULT_CKPT_COMMITTED);
    if (pc) {
        rc = postcopy_serve(pc, init, child, key, m.mac, o, gfd, pcwork, &stopped, e);
        pc = NULL;
        child = -1;
        goto out;
    }
    stopped = false;
    if (ckpt_after_action(init, o->after, o->signo, e) < 0)
        goto out;
    ckpt_phase("ckpt_dump", "commit");
    rc = 0;
out:
    if (pc) {
        /* CRIU still serves: our end closes, it ends, then the job resumes */
        ckpt_postcopy_close(pc);
        if (child > 0)
            ckpt_criu_wait(child, 0, &ws);
    }
    if (committed && o->postcopy)
        ckpt_rmtree_at(pfd, base);  /* pages nobody can fetch any more */
    if (pcwork[0] && strcmp(pcwork, "/tmp/ckmig-postcopy.XXXXXX"))
        ckpt_rmtree(pcwork);
    if (vfd >= 0)
        free(ckpt_criu_version_finish(vfd, vpid));
    if (tailer) {
        struct ckpt_err ignore;
        ckpt_tailer_finish(tailer, &m.images, &m.nimages, &ignore);
    }
    if (stopped && init > 0) {
        struct ckpt_err ignore;
        ckpt_after_action(init, CKPT_AFTER_CONT, 0, &ignore);
    }
    ckpt_guard_release(guard, gfd);
    if (tmp_made)
        ckpt_rmtree_fd(pfd, tname, tfd);
    if (tfd >= 0)
        close(tfd);
    if (pfd >= 0)
        close(pfd);
    explicit_bzero(key, sizeof(key));
    explicit_bzero(&hasher, sizeof(hasher));
    ckpt_save_free(saves);
    ckpt_ext_free(exts);
    ckpt_live_result_free(&live);
    ckpt_manifest_free(&m);
    free(pathcopy);
    free(basecopy);
    return rc;
}

/* A post-copy dump that collided on proc.crtools (ckpt_criu_collided) is
 * tried again whole: its CRIU serves the pages and cannot be run again
 * alone. It has no pre-copy rounds (--postcopy refuses --live); any other
 * dump repeats only the CRIU run that collided (dump_once, ckpt_live.c). */
int ckpt_dump(const struct ckpt_dump_opts *o, struct ckpt_err *e)
{
    int rc = -1;

    for (int try = 1;; try++) {
        rc = dump_once(o, e);
        if (rc == 0 || !o->postcopy || !ckpt_criu_collided(e->msg, try))
            break;
    }
    return rc;
}
