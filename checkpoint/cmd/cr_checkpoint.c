/* cr_checkpoint [OPTIONS] ID: BLCR's command line, CRIU underneath. */
#include "checkpoint/libckpt.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdbool.h>
#include <sys/fsuid.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: cr_checkpoint [OPTIONS] ID\n"
            "Checkpoints the cr_run job that ID belongs to (one context file, or a directory).\n"
            "Scope:  -T, --tree (default)  -p, --pid  -g, --pgid  -s, --sid\n"
            "Output: -c, --cwd (default: context.ID)  -f, --file NAME  -F, --fd DIRFD\n"
            "        --atomic (always)  --backup[=NAME]  --clobber (default)  --noclobber\n"
            "After:  --run (default)  -S, --signal N  --stop  --term  --abort  --kill  --cont\n"
            "Other:  --sync (default)  --nosync  -t, --time SEC  --owner USER  --job JOBID\n"
            "        -q, --quiet  -v, --verbose  -h, --help  --version\n"
            "Form:   NAME/ or --context=dir: a directory; --context=file: one context file\n"
            "        (an existing NAME keeps its form; a new NAME is a context file)\n"
            "Live:   --live[=N]  pre-copy up to N rounds (default 5) while the job runs,\n"
            "        then stop it only for the final dump; --nolive (default)\n"
            "Post:   --postcopy[=PORT]  write every image but the memory, then serve the\n"
            "        memory from here to one `cr_restart --pages-from HOST:PORT`; the job\n"
            "        ends here once the last page is there (prints \"postcopy port P\")\n"
            "Saved:  --save-exe  --save-private  --save-shared  --save-all  --save-none\n"
            "Accepted and ignored: --ptraced-*, --ptracer-*, --kmsg-*\n"
            "Exit status: 0, the errno of the failure, or 255 for bad usage.\n");
}

static int fail(const struct ckpt_checkpoint_args *a, const struct ckpt_err *e)
{
    if (!a->quiet)
        fprintf(stderr, "cr_checkpoint: %s\n", e->msg);
    return e->code > 0 && e->code < 255 ? e->code : 1;
}

/* The name, absolute: CRIU runs in another working directory. */
static int output_path(const struct ckpt_checkpoint_args *a, char *out, size_t len,
                       struct ckpt_err *e)
{
    char cwd[4096], link[64];
    if (a->fd >= 0) {
        snprintf(link, sizeof(link), "/proc/self/fd/%d", a->fd);
        ssize_t n = readlink(link, cwd, sizeof(cwd) - 1);
        if (n <= 0 || cwd[0] != '/')
            return ckpt_err_setc(e, EBADF, CKPT_FAIL_ARGS,
                                 "-F %d: not an open directory (checkpoints are directories)", a->fd);
        cwd[n] = '\0';
        if (snprintf(out, len, "%s/context.%d", cwd, (int)a->dump.id) >= (int)len)
            goto too_long;
        return 0;
    }
    if (a->file && a->file[0] == '/') {
        if (snprintf(out, len, "%s", a->file) >= (int)len)
            goto too_long;
        return 0;
    }
    if (!getcwd(cwd, sizeof(cwd)))
        return ckpt_err_set(e, errno, "getcwd: %s", strerror(errno));
    if (a->file ? snprintf(out, len, "%s/%s", cwd, a->file) >= (int)len
                : snprintf(out, len, "%s/context.%d", cwd, (int)a->dump.id) >= (int)len)
        goto too_long;
    return 0;
too_long:
    return ckpt_err_setc(e, ENAMETOOLONG, CKPT_FAIL_ARGS, "checkpoint path too long");
}

/* ckmig's --job JOBID (the checkpoint script knows it; the job's own
 * $PBS_JOBID is the job's to change), taken out before BLCR's parser. */
static int take_job(int *argc, char **argv, const char **job)
{
    int out = 1;
    for (int i = 1; i < *argc; i++) {
        if (!strcmp(argv[i], "--")) {
            while (i < *argc)
                argv[out++] = argv[i++];
            break;
        }
        if (!strcmp(argv[i], "--job") || !strncmp(argv[i], "--job=", 6)) {
            *job = argv[i][5] == '=' ? argv[i] + 6 : i + 1 < *argc ? argv[++i] : NULL;
            if (!*job || !**job) {
                fprintf(stderr, "cr_checkpoint: --job needs a job id\nTry 'cr_checkpoint --help'.\n");
                return -1;
            }
            continue;
        }
        argv[out++] = argv[i];
    }
    argv[out] = NULL;
    *argc = out;
    return 0;
}

/* May the caller (real ids) write into the directory open on fd? */
static int caller_may_write(int fd, const char *parent, struct ckpt_err *e)
{
    if (faccessat(fd, ".", W_OK | X_OK, 0) < 0)
        return ckpt_err_set(e, errno, "you may not write to %s: %s", parent, strerror(errno));
    return 0;
}

/* The directory of path, opened with the caller's ids (the links on the
 * way are theirs to follow, with their rights) and writable by them. */
static int caller_dir(const char *path, struct ckpt_err *e)
{
    char parent[4096];
    snprintf(parent, sizeof(parent), "%s", path);
    char *slash = strrchr(parent, '/');
    if (slash == parent)
        slash[1] = '\0';
    else
        *slash = '\0';
    uid_t ou = (uid_t)setfsuid(getuid());
    gid_t og = (gid_t)setfsgid(getgid());
    int fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int err = errno;
    setfsuid(ou);
    setfsgid(og);
    if (fd < 0)
        return ckpt_err_set(e, err, "cannot open %s: %s", parent, strerror(err));
    if (caller_may_write(fd, parent, e) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int main(int argc, char **argv)
{
    struct ckpt_checkpoint_args a;
    struct ckpt_err e;
    char path[4096];
    const char *job = NULL;

    ckpt_err_clear(&e);
    if (take_job(&argc, argv, &job) < 0)
        return 255;
    if (ckpt_parse_checkpoint_args(argc, argv, &a, &e) < 0) {
        fprintf(stderr, "cr_checkpoint: %s\n", e.msg);
        fprintf(stderr, "Try 'cr_checkpoint --help'.\n");
        return 255;
    }
    if (a.help) {
        usage(stdout);
        return 0;
    }
    if (a.version) {
        printf("cr_checkpoint: %s\n", CKPT_VERSION_STRING);
        return 0;
    }
    if (output_path(&a, path, sizeof(path), &e) < 0)
        return fail(&a, &e);
    /* NAME/ asks for a directory (the slash goes: the name is NAME). */
    size_t pl = strlen(path);
    if (pl > 1 && path[pl - 1] == '/') {
        while (pl > 1 && path[pl - 1] == '/')
            path[--pl] = '\0';
        if (a.dump.form == CKPT_FORM_AUTO)
            a.dump.form = CKPT_FORM_DIR;
    }
    /* BLCR's context is always one file, and BLCR-era scripts rm -f, cp,
     * mv and stat it whoever runs them: the job's owner (Torque's contrib
     * scripts, Open MPI) or root (Slurm's checkpoint/blcr, site scripts).
     * So a new name is a file for every caller; ckmig's own batch scripts,
     * which want the faster directory, say so with --context=dir. */
    a.dump.new_form = CKPT_FORM_FILE;
    if (ckpt_inside_job()) {
        /* A job checkpointing itself: the supervisor outside does it.  A
         * setuid cr_checkpoint drops root first: this process is part of
         * the dump, and must be as much the job's as the rest of it. */
        if ((getegid() != getgid() && setresgid(getgid(), getgid(), getgid()) < 0) ||
            (geteuid() != getuid() && setresuid(getuid(), getuid(), getuid()) < 0)) {
            ckpt_err_set(&e, errno, "cannot drop privileges: %s", strerror(errno));
            return fail(&a, &e);
        }
        if (kill(a.dump.id, 0) < 0 && errno == ESRCH) {
            ckpt_err_set(&e, ESRCH, "no process %d in this job", (int)a.dump.id);
            return fail(&a, &e);
        }
        struct ckpt_self_request r = { .after = a.dump.after, .signo = a.dump.signo,
                                       .clobber = a.dump.clobber, .nosync = a.dump.nosync,
                                       .form = a.dump.form, .save = a.dump.save };
        memcpy(r.path, path, sizeof(r.path));
        if (a.dump.backup)
            snprintf(r.backup, sizeof(r.backup), "%s", a.dump.backup);
        if (ckpt_self_checkpoint(&r, &e) < 0)
            return fail(&a, &e);
        return 0;
    }
    a.dump.path = path;
    a.dump.jobid = job;
    a.dump.secure = getuid() != geteuid();
    int pfd = -1;
    bool caller = a.dump.secure && getuid() != 0;
    if (a.fd >= 0) {
        /* -F: that very directory, never a path made from it */
        a.dump.have_dir = true;
        a.dump.dir = a.fd;
        if (caller && caller_may_write(a.fd, path, &e) < 0)
            return fail(&a, &e);
    } else if (caller) {
        /* Installed setuid root for an ordinary user (BLCR's habit: users
         * checkpoint their own jobs): only where they may write
         * themselves, through the directory's fd.  Root's own callers get
         * path's directory walked without a user's links (ckpt_dump). */
        if ((pfd = caller_dir(path, &e)) < 0)
            return fail(&a, &e);
        a.dump.have_dir = true;
        a.dump.dir = pfd;
    }
    if (caller) {
        /* and only their own job */
        struct passwd *pw = getpwuid(getuid());
        if (!pw) {
            ckpt_err_set(&e, EPERM, "who are you (uid %u)?", (unsigned)getuid());
            return fail(&a, &e);
        }
        a.dump.owner = pw->pw_name;
    }
    int rc = ckpt_dump(&a.dump, &e);
    if (pfd >= 0)
        close(pfd);
    return rc < 0 ? fail(&a, &e) : 0;
}
