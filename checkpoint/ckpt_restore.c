/* Restoring a job: verify the manifest and every image CRIU parses, check
 * the files the job had open, then let CRIU restore the namespace as our
 * child (-d -S from a child subreaper) so its exit status can be waited
 * for.  The page images are verified meanwhile: CRIU leaves the restored
 * tasks stopped (--leave-stopped), and they are resumed only once every
 * chunk has verified, or killed before they ever ran (NOTES section 5). */
#include "checkpoint/ckpt_internal.h"
#include "lib/fault.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The image must be the one the caller restarts: a directory its owner
 * controls may hold another job's checkpoint, or an older one of this job. */
static int check_identity(const struct ckpt_restore_opts *o, const struct ckpt_manifest *m,
                          const char *dir, struct ckpt_err *e)
{
    if (o->jobid && (!m->jobid || strcmp(o->jobid, m->jobid) != 0))
        return ckpt_err_set(e, EACCES, "checkpoint %s is of job %s, not of job %s: refused", dir,
                            m->jobid ? m->jobid : "(none recorded)", o->jobid);
    if (o->owner) {
        struct passwd *pw = getpwnam(o->owner);
        if (!pw)
            return ckpt_err_setc(e, EINVAL, CKPT_FAIL_ARGS, "unknown user %s", o->owner);
        if (pw->pw_uid != m->uid)
            return ckpt_err_set(e, EACCES,
                                "checkpoint %s belongs to uid %u, not to %s: refused",
                                dir, (unsigned)m->uid, o->owner);
    }
    /* setuid cr_restart: the caller's own checkpoint only (CRIU restores
     * the credentials the image records) */
    if (o->secure && m->uid != getuid())
        return ckpt_err_set(e, EACCES, "checkpoint %s belongs to uid %u, not to you (uid %u): "
                            "refused", dir, (unsigned)m->uid, (unsigned)getuid());
    /* Manifests written before names were recorded carry none. */
    if (o->name && m->name && strcmp(o->name, m->name) != 0)
        return ckpt_err_set(e, EACCES, "checkpoint %s was written as %s, not as %s: refused", dir,
                            m->name, o->name);
    return 0;
}

pid_t ckpt_restore(const struct ckpt_restore_opts *o, struct ckpt_manifest *m, struct ckpt_err *e)
{
    unsigned char key[CKPT_KEY_LEN];
    char work[] = "/tmp/ckmig-restore.XXXXXX";
    char ddir[64], pidfile[64], logpath[64], keptlog[64];
    struct ckpt_source src = { .dfd = -1, .xparent = -1 };
    const char *dir = src.shown;
    struct ckpt_inherits inh = { 0 };
    char **argv = NULL, **fdargs = NULL;
    int *keep = NULL;
    const char *criu = ckpt_criu_path(o->secure);
    bool work_made = false, keep_work = false;
    pid_t child, init = -1;
    int ws = 0, dfd = -1;
    struct ckpt_pinned pin = { .dfd = -1, .imgfd = -1 };
    struct ckpt_pending *pages = NULL;
    pid_t lazyd = -1;
    struct ckpt_page_source ps;
    bool lazy = o->lazy || o->pages_from;
    struct timespec start;

    clock_gettime(CLOCK_MONOTONIC, &start);
    memset(m, 0, sizeof(*m));
    ckpt_phase("ckpt_restore", NULL);
    if (geteuid() != 0) {
        ckpt_err_set(e, EPERM, "restarting needs root (CRIU must be root)");
        goto out;
    }
    /* Everything below goes through this one descriptor: what is verified
     * is what the identity checks read and what CRIU restores, whatever
     * happens to the name meanwhile.  A context file (one file, BLCR's
     * form) is unpacked into a fresh root-only directory first, and
     * anything that is neither is a permanent failure (ckpt_source.c). */
    if (o->pages_from && o->secure) {
        /* a connection of root's, wherever its caller points it */
        ckpt_err_setc(e, EPERM, CKPT_FAIL_ENV, "--pages-from needs root");
        goto out;
    }
    if (o->pages_from && ckpt_pages_from_parse(o->pages_from, &ps, e) < 0)
        goto out;
    if (ckpt_source_open(o->path, o->secure, &src, e) < 0)
        goto out;
    dfd = src.dfd;
    if (ckpt_key_load(ckpt_key_path(o->secure), false, key, e) < 0)
        goto out;
    if (access(criu, X_OK) < 0) {
        ckpt_err_set(e, ENOENT, "cannot run CRIU %s: %s (set $CKMIG_CRIU)", criu, strerror(errno));
        goto out;
    }
    ckpt_phase("ckpt_restore", "prepare");
    int vr = ckpt_verify_fd(dfd, dir, key, m, &pin, &pages, e);
    if (vr == 0 && o->pages_from)
        ckpt_page_source_key(&ps, key, m->mac);
    explicit_bzero(key, sizeof(key));
    if (vr < 0)
        goto out;
    /* A post-copy checkpoint's memory is in no image: only its source has
     * it, and a checkpoint that has it needs no source. */
    if (m->postcopy != (o->pages_from != NULL)) {
        ckpt_err_setc(e, EINVAL, CKPT_FAIL_ARGS, m->postcopy
                          ? "%s was taken with --postcopy: its memory is only in the source's "
                            "cr_checkpoint (restart it with --pages-from HOST:PORT while that runs)"
                          : "%s has its memory in its images: --pages-from is for --postcopy "
                            "checkpoints", dir);
        goto out;
    }
    snprintf(ddir, sizeof(ddir), "/proc/self/fd/%d", pin.imgfd);
    ckpt_phase("ckpt_restore", "verify");
    fault_point(FAULT_RESTART_VERIFIED);
    if (check_identity(o, m, dir, e) < 0)
        goto out;
    if (o->inherit) {
        for (size_t i = 0; i < o->inherit->n; i++) {
            int fd = fcntl(o->inherit->v[i].fd, F_DUPFD_CLOEXEC, 0);
            char path[4200];
            snprintf(path, sizeof(path), "/%s", o->inherit->v[i].key);
            if (fd < 0 || ckpt_inherit_add(&inh, fd, path, e) < 0) {
                if (fd < 0)
                    ckpt_err_set(e, errno, "dup: %s", strerror(errno));
                goto out;
            }
        }
    }
    /* --save-*: fresh copies of the saved files stand in for them. */
    if (ckpt_saved_inherit(pin.imgfd, m, &inh, e) < 0)
        goto out;
    if (ckpt_reopen_files(pin.imgfd, m, o->reloc, o->nreloc, &inh, e) < 0)
        goto out;
    ckpt_phase("ckpt_restore", "files");
    if (!mkdtemp(work)) {
        ckpt_err_set(e, errno, "cannot create a work directory in /tmp: %s", strerror(errno));
        goto out;
    }
    work_made = true;
    snprintf(pidfile, sizeof(pidfile), "%s/pid", work);
    snprintf(logpath, sizeof(logpath), "%s/restore.log", work);

    /* --lazy: the daemon must listen before CRIU restores (it connects
     * to the daemon's socket in the same work directory). */
    if (lazy &&
        (lazyd = ckpt_lazy_daemon_start(criu, ddir, pin.imgfd, work, o->verbose,
                                        o->pages_from ? &ps : NULL, e)) < 0)
        goto out;
    argv = calloc(17 + 2 * inh.n, sizeof(*argv));
    fdargs = calloc(inh.n + 1, sizeof(*fdargs));
    keep = calloc(inh.n + 1, sizeof(*keep));
    if (!argv || !fdargs || !keep) {
        ckpt_err_set(e, ENOMEM, "out of memory");
        goto out;
    }
    size_t a = 0;
    argv[a++] = (char *)criu;
    argv[a++] = "restore";
    argv[a++] = "-D";
    argv[a++] = ddir;
    argv[a++] = "-W";
    argv[a++] = work;
    argv[a++] = "-o";
    argv[a++] = "restore.log";
    argv[a++] = o->verbose ? "-v4" : "-v2";
    argv[a++] = "-d";
    argv[a++] = "-S";
    argv[a++] = "--pidfile";
    argv[a++] = pidfile;
    argv[a++] = "--file-locks";
    argv[a++] = "--leave-stopped";     /* until the pages have verified */
    if (lazy)
        argv[a++] = "--lazy-pages";
    for (size_t i = 0; i < inh.n; i++) {
        if (asprintf(&fdargs[i], "fd[%d]:%s", inh.v[i].fd, inh.v[i].key) < 0) {
            fdargs[i] = NULL;
            ckpt_err_set(e, ENOMEM, "out of memory");
            goto out;
        }
        argv[a++] = "--inherit-fd";
        argv[a++] = fdargs[i];
        keep[i] = inh.v[i].fd;
    }
    argv[a] = NULL;
    /* CRIU makes the restored init a sibling of itself, i.e. our child;
     * as a subreaper we also collect anything it leaves behind. */
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    keep[inh.n] = pin.imgfd;
    if (ckpt_criu_run(criu, argv, keep, inh.n + 1, NULL, &child) < 0) {
        ckpt_err_set(e, errno, "cannot start CRIU (%s): %s", criu, strerror(errno));
        goto out;
    }
    if (lazy && ckpt_lazy_restore_wait(child, &lazyd, work, &ws, e) < 0)
        goto out;
    if ((!lazy && ckpt_criu_wait(child, 0, &ws) < 0) || !WIFEXITED(ws) ||
        WEXITSTATUS(ws) != 0) {
        char errs[700];
        int code = ckpt_criu_log_errors(logpath, errs, sizeof(errs));
        /* The work directory goes; its log stays beside it, as
         * /tmp/ckmig-restore.XXXXXX.log (cr_restart(1)). */
        snprintf(keptlog, sizeof(keptlog), "%s.log", work);
        const char *shown = logpath;
        if (renameat2(AT_FDCWD, logpath, AT_FDCWD, keptlog, RENAME_NOREPLACE) == 0)
            shown = keptlog;
        else
            keep_work = true;
        ckpt_err_set(e, code, "CRIU could not restore %s: %s (log: %s)", dir,
                     errs[0] ? errs : "(no error in its log)", shown);
        goto out;
    }
    ckpt_phase("ckpt_restore", "criu");
    FILE *f = fopen(pidfile, "re");
    int pid = 0;
    if (!f || fscanf(f, "%d", &pid) != 1 || pid <= 0)
        ckpt_err_set(e, EIO, "CRIU restored %s but wrote no pid file", dir);
    else
        init = pid;
    if (f)
        fclose(f);
    if (init < 0)
        goto out;
    /* The restored tasks have not run yet: they run only on verified
     * images, else they die here. */
    int pr = ckpt_pending_finish(pages, e);
    pages = NULL;
    if (pr == 0 && ckpt_stopped_note_images(init, pin.imgfd) < 0)
        pr = ckpt_err_set(e, EBADMSG, "cannot read the checkpoint's core images: %s",
                          strerror(errno));
    if (pr < 0 || ckpt_after_action(init, CKPT_AFTER_CONT, 0, e) < 0) {
        kill(init, SIGKILL);    /* the namespace goes with its init */
        waitpid(init, NULL, 0);
        init = -1;
        char msg[sizeof(e->msg)];
        snprintf(msg, sizeof(msg), "%s", e->msg);
        ckpt_err_set(e, e->code, "%s; the restored job was killed before it ran", msg);
        goto out;
    }
    ckpt_phase("ckpt_restore", "pages");
    if (lazyd > 0) {
        /* the daemon still reads the pinned images: they stay until it ends */
        struct ckpt_lazy *l = ckpt_lazy_adopt(lazyd, &pin, &src, work, &start, false, e);
        if (!l) {
            kill(init, SIGKILL);
            waitpid(init, NULL, 0);
            init = -1;
            goto out;
        }
        *o->lazy_out = l;
        lazyd = -1;
        work_made = false;
    }
out:
    explicit_bzero(&ps, sizeof(ps));
    ckpt_lazy_daemon_stop(lazyd);
    ckpt_pending_free(pages);
    explicit_bzero(key, sizeof(key));
    ckpt_unpin(&pin);
    ckpt_source_close(&src);    /* an unpacked context file goes: CRIU has read it */
    ckpt_inherits_free(&inh);
    for (size_t i = 0; fdargs && fdargs[i]; i++)
        free(fdargs[i]);
    free(fdargs);
    free(argv);
    free(keep);
    if (work_made && !keep_work)
        ckpt_rmtree(work);
    if (init < 0)
        ckpt_manifest_free(m);
    return init;
}
