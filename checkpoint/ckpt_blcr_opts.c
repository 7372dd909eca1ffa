/* BLCR's command lines for cr_checkpoint and cr_restart.  Options that
 * have no meaning under CRIU are accepted (scripts pass them) and ignored;
 * the man pages say which. */
#include "checkpoint/libckpt.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

enum {
    O_ATOMIC = 1000, O_BACKUP, O_CLOBBER, O_NOCLOBBER, O_RUN, O_STOP, O_TERM, O_ABORT, O_KILL,
    O_CONT, O_SYNC, O_NOSYNC, O_IGNORED, O_VERSION, O_OWNER, O_HOOK_OK, O_HOOK_ARGS,
    O_HOOK_TEMP, O_HOOK_ENV, O_HOOK_PERM, O_HOOK_ALL, O_RELOCATE, O_VERBOSE, O_SAVE_EXE,
    O_SAVE_PRIVATE, O_SAVE_SHARED, O_SAVE_ALL, O_SAVE_NONE, O_CONTEXT, O_LIVE, O_NOLIVE,
    O_LAZY, O_POSTCOPY, O_PAGES_FROM,
};

static int parse_int(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static int usage(struct ckpt_err *e, const char *fmt, const char *arg)
{
    ckpt_err_setc(e, EINVAL, CKPT_FAIL_ARGS, fmt, arg ? arg : "");
    return -1;
}

/* getopt_long permutes its argv: work on a copy so the caller's stays. */
static char **copy_argv(int argc, char *const argv[])
{
    char **v = calloc((size_t)argc + 1, sizeof(char *));
    if (v)
        memcpy(v, argv, (size_t)argc * sizeof(char *));
    return v;
}

static const struct option ckpt_longopts[] = {
    { "tree", no_argument, NULL, 'T' },
    { "pid", no_argument, NULL, 'p' },
    { "process", no_argument, NULL, 'p' },
    { "pgid", no_argument, NULL, 'g' },
    { "group", no_argument, NULL, 'g' },
    { "sid", no_argument, NULL, 's' },
    { "session", no_argument, NULL, 's' },
    { "cwd", no_argument, NULL, 'c' },
    { "file", required_argument, NULL, 'f' },
    { "fd", required_argument, NULL, 'F' },
    { "dir", required_argument, NULL, 'd' },
    { "atomic", no_argument, NULL, O_ATOMIC },
    { "backup", optional_argument, NULL, O_BACKUP },
    { "clobber", no_argument, NULL, O_CLOBBER },
    { "noclobber", no_argument, NULL, O_NOCLOBBER },
    { "run", no_argument, NULL, O_RUN },
    { "signal", required_argument, NULL, 'S' },
    { "stop", no_argument, NULL, O_STOP },
    { "term", no_argument, NULL, O_TERM },
    { "abort", no_argument, NULL, O_ABORT },
    { "kill", no_argument, NULL, O_KILL },
    { "cont", no_argument, NULL, O_CONT },
    { "sync", no_argument, NULL, O_SYNC },
    { "nosync", no_argument, NULL, O_NOSYNC },
    { "save-exe", no_argument, NULL, O_SAVE_EXE },
    { "save-private", no_argument, NULL, O_SAVE_PRIVATE },
    { "save-shared", no_argument, NULL, O_SAVE_SHARED },
    { "save-all", no_argument, NULL, O_SAVE_ALL },
    { "save-none", no_argument, NULL, O_SAVE_NONE },
    { "context", required_argument, NULL, O_CONTEXT },
    { "live", optional_argument, NULL, O_LIVE },
    { "nolive", no_argument, NULL, O_NOLIVE },
    { "postcopy", optional_argument, NULL, O_POSTCOPY },
    { "ptraced-error", no_argument, NULL, O_IGNORED },
    { "ptraced-skip", no_argument, NULL, O_IGNORED },
    { "ptraced-allow", no_argument, NULL, O_IGNORED },
    { "ptracer-error", no_argument, NULL, O_IGNORED },
    { "ptracer-skip", no_argument, NULL, O_IGNORED },
    { "kmsg-none", no_argument, NULL, O_IGNORED },
    { "kmsg-error", no_argument, NULL, O_IGNORED },
    { "kmsg-warning", no_argument, NULL, O_IGNORED },
    { "time", required_argument, NULL, 't' },
    { "quiet", no_argument, NULL, 'q' },
    { "verbose", no_argument, NULL, 'v' },
    { "help", no_argument, NULL, 'h' },
    { "version", no_argument, NULL, O_VERSION },
    { "owner", required_argument, NULL, O_OWNER },
    { NULL, 0, NULL, 0 },
};

/* BLCR's after-actions, the same for cr_checkpoint and cr_restart (the last
 * one given wins). 1: c was one of them; 0: it was not; -1: bad signal. */
static int parse_after(int c, const char *arg, enum ckpt_after *after, int *signo,
                       struct ckpt_err *e)
{
    long n;

    switch (c) {
    case O_RUN: *after = CKPT_AFTER_RUN; return 1;
    case O_STOP: *after = CKPT_AFTER_STOP; return 1;
    case O_TERM: *after = CKPT_AFTER_TERM; return 1;
    case O_ABORT: *after = CKPT_AFTER_ABORT; return 1;
    case O_KILL: *after = CKPT_AFTER_KILL; return 1;
    case O_CONT: *after = CKPT_AFTER_CONT; return 1;
    case 'S':
        if (parse_int(arg, 1, NSIG - 1, &n) < 0) {
            usage(e, "bad signal number '%s' (BLCR takes a number, 1..64)", arg);
            return -1;
        }
        *after = CKPT_AFTER_SIGNAL;
        *signo = (int)n;
        return 1;
    default:
        return 0;
    }
}

int ckpt_parse_checkpoint_args(int argc, char *const argv[], struct ckpt_checkpoint_args *a,
                               struct ckpt_err *e)
{
    char **v = copy_argv(argc, argv);
    int rc = -1, c;
    long n;

    memset(a, 0, sizeof(*a));
    a->fd = -1;
    a->dump.scope = CKPT_SCOPE_TREE;
    a->dump.after = CKPT_AFTER_RUN;
    a->dump.clobber = CKPT_CLOBBER;
    if (!v)
        return ckpt_err_set(e, ENOMEM, "out of memory");
    optind = 0;     /* full re-initialisation of getopt */
    opterr = 0;
    while ((c = getopt_long(argc, v, "Tpgscf:F:d:S:t:qvh?", ckpt_longopts, NULL)) != -1) {
        int r = parse_after(c, optarg, &a->dump.after, &a->dump.signo, e);

        if (r < 0)
            goto out;
        if (r > 0)
            continue;
        switch (c) {
        case 'T': a->dump.scope = CKPT_SCOPE_TREE; break;
        case 'p': a->dump.scope = CKPT_SCOPE_PID; break;
        case 'g': a->dump.scope = CKPT_SCOPE_PGID; break;
        case 's': a->dump.scope = CKPT_SCOPE_SID; break;
        case 'c': a->file = NULL; a->fd = -1; break;
        case 'f': a->file = optarg; a->fd = -1; break;
        case 'F':
            if (parse_int(optarg, 0, 1 << 20, &n) < 0)
                goto bad_arg;
            a->fd = (int)n;
            a->file = NULL;
            break;
        case 'd':
            usage(e, "--dir is not implemented (as in BLCR): use --file%s", NULL);
            goto out;
        case O_ATOMIC: break;
        case O_BACKUP:
            a->dump.clobber = CKPT_BACKUP;
            a->dump.backup = optarg;
            break;
        case O_CLOBBER: a->dump.clobber = CKPT_CLOBBER; break;
        case O_NOCLOBBER: a->dump.clobber = CKPT_NOCLOBBER; break;
        case O_SYNC: a->dump.nosync = false; break;
        case O_NOSYNC: a->dump.nosync = true; break;
        case O_IGNORED: break;
        /* BLCR: the --save-* options add up; --save-none clears them. */
        case O_SAVE_EXE: a->dump.save |= CKPT_SAVE_EXE; break;
        case O_SAVE_PRIVATE: a->dump.save |= CKPT_SAVE_PRIVATE; break;
        case O_SAVE_SHARED: a->dump.save |= CKPT_SAVE_SHARED; break;
        case O_SAVE_ALL: a->dump.save |= CKPT_SAVE_ALL; break;
        case O_SAVE_NONE: a->dump.save = 0; break;
        case O_CONTEXT:
            if (!strcmp(optarg, "file")) {
                a->dump.form = CKPT_FORM_FILE;
            } else if (!strcmp(optarg, "dir") || !strcmp(optarg, "directory")) {
                a->dump.form = CKPT_FORM_DIR;
            } else {
                usage(e, "bad --context '%s': file or dir", optarg);
                goto out;
            }
            break;
        case 't':
            if (parse_int(optarg, 0, 1 << 30, &n) < 0)
                goto bad_arg;
            a->dump.timeout = (int)n;
            break;
        /* --live[=N] in the manner of --backup[=NAME]; --nolive undoes it
         * (the last one wins, as with --clobber/--noclobber). */
        case O_LIVE:
            if (!optarg) {
                a->dump.live = CKPT_LIVE_DEFAULT_ROUNDS;
            } else if (parse_int(optarg, 0, CKPT_LIVE_MAX_ROUNDS, &n) < 0) {
                usage(e, "bad --live '%s': the most pre-copy rounds, 0..32", optarg);
                goto out;
            } else {
                a->dump.live = (int)n;
            }
            break;
        case O_NOLIVE: a->dump.live = 0; break;
        case O_POSTCOPY:
            if (optarg && parse_int(optarg, 0, 65535, &n) < 0) {
                usage(e, "bad --postcopy '%s': the port to serve the pages on, 0..65535", optarg);
                goto out;
            }
            a->dump.postcopy = true;
            a->dump.postcopy_port = optarg ? (int)n : 0;
            break;
        case 'q': a->quiet = true; break;
        case 'v': a->dump.verbose = true; break;
        case 'h': a->help = true; break;
        case O_VERSION: a->version = true; break;
        case O_OWNER: a->dump.owner = optarg; break;
        default:
            usage(e, "unknown or incomplete option '%s'", optopt ? (char[]){ (char)optopt, 0 }
                                                                  : v[optind - 1]);
            goto out;
        }
    }
    if (a->help || a->version) {
        rc = 0;
        goto out;
    }
    if (optind != argc - 1) {
        usage(e, "%s", optind >= argc ? "exactly one ID (process, group or session) is needed"
                                      : "exactly one ID is allowed");
        goto out;
    }
    if (parse_int(v[optind], 1, 1 << 30, &n) < 0) {
        usage(e, "bad ID '%s': a process, group or session number is needed", v[optind]);
        goto out;
    }
    a->dump.id = (pid_t)n;
    rc = 0;
    goto out;
bad_arg:
    usage(e, "bad number '%s'", optarg);
out:
    free(v);
    return rc;
}

static const struct option rst_longopts[] = {
    { "file", required_argument, NULL, 'f' },
    { "fd", required_argument, NULL, 'F' },
    { "dir", required_argument, NULL, 'd' },
    { "run", no_argument, NULL, O_RUN },
    { "signal", required_argument, NULL, 'S' },
    { "stop", no_argument, NULL, O_STOP },
    { "freeze", no_argument, NULL, O_STOP },
    { "term", no_argument, NULL, O_TERM },
    { "abort", no_argument, NULL, O_ABORT },
    { "kill", no_argument, NULL, O_KILL },
    { "cont", no_argument, NULL, O_CONT },
    { "omit-maybe", no_argument, NULL, O_IGNORED },
    { "omit-always", no_argument, NULL, O_IGNORED },
    { "omit-never", no_argument, NULL, O_IGNORED },
    { "run-on-success", required_argument, NULL, O_HOOK_OK },
    { "run-on-fail-args", required_argument, NULL, O_HOOK_ARGS },
    { "run-on-fail-temp", required_argument, NULL, O_HOOK_TEMP },
    { "run-on-fail-env", required_argument, NULL, O_HOOK_ENV },
    { "run-on-fail-perm", required_argument, NULL, O_HOOK_PERM },
    { "run-on-failure", required_argument, NULL, O_HOOK_ALL },
    { "relocate", required_argument, NULL, O_RELOCATE },
    { "lazy", no_argument, NULL, O_LAZY },      /* ckmig's own: post-copy */
    { "pages-from", required_argument, NULL, O_PAGES_FROM },
    { "restore-pid", no_argument, NULL, O_IGNORED },
    { "no-restore-pid", no_argument, NULL, O_IGNORED },
    { "restore-pgid", no_argument, NULL, O_IGNORED },
    { "no-restore-pgid", no_argument, NULL, O_IGNORED },
    { "restore-sid", no_argument, NULL, O_IGNORED },
    { "no-restore-sid", no_argument, NULL, O_IGNORED },
    { "kmsg-none", no_argument, NULL, O_IGNORED },
    { "kmsg-error", no_argument, NULL, O_IGNORED },
    { "kmsg-warning", no_argument, NULL, O_IGNORED },
    { "quiet", no_argument, NULL, 'q' },
    { "verbose", no_argument, NULL, O_VERBOSE },
    { "version", no_argument, NULL, 'v' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

void ckpt_restart_args_free(struct ckpt_restart_args *a)
{
    for (size_t i = 0; i < a->nreloc; i++) {
        free(a->reloc[i].from);
        free(a->reloc[i].to);
    }
    a->nreloc = 0;
}

int ckpt_parse_restart_args(int argc, char *const argv[], struct ckpt_restart_args *a,
                            struct ckpt_err *e)
{
    char **v = copy_argv(argc, argv);
    int rc = -1, c;
    long n;

    memset(a, 0, sizeof(*a));
    a->fd = -1;
    a->after = CKPT_AFTER_RUN;
    if (!v)
        return ckpt_err_set(e, ENOMEM, "out of memory");
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, v, "f:F:d:S:qvh?", rst_longopts, NULL)) != -1) {
        int r = parse_after(c, optarg, &a->after, &a->signo, e);

        if (r < 0)
            goto out;
        if (r > 0)
            continue;
        switch (c) {
        case 'f': a->file = optarg; a->fd = -1; break;
        case 'F':
            if (parse_int(optarg, 0, 1 << 20, &n) < 0) {
                usage(e, "bad file descriptor '%s'", optarg);
                goto out;
            }
            a->fd = (int)n;
            a->file = NULL;
            break;
        case 'd':
            usage(e, "--dir is not implemented (as in BLCR): give the checkpoint%s", NULL);
            goto out;
        case O_IGNORED: break;
        case O_HOOK_OK: a->hook_success = optarg; break;
        case O_HOOK_ARGS: a->hook_fail[CKPT_FAIL_ARGS] = optarg; break;
        case O_HOOK_TEMP: a->hook_fail[CKPT_FAIL_TEMP] = optarg; break;
        case O_HOOK_ENV: a->hook_fail[CKPT_FAIL_ENV] = optarg; break;
        case O_HOOK_PERM: a->hook_fail[CKPT_FAIL_PERM] = optarg; break;
        case O_HOOK_ALL:
            for (int k = CKPT_FAIL_ARGS; k <= CKPT_FAIL_PERM; k++)
                a->hook_fail[k] = optarg;
            break;
        case O_RELOCATE:
            if (a->nreloc == sizeof(a->reloc) / sizeof(a->reloc[0])) {
                usage(e, "too many --relocate options (at most 16)%s", NULL);
                goto out;
            }
            if (ckpt_parse_relocation(optarg, &a->reloc[a->nreloc], e) < 0)
                goto out;
            a->nreloc++;
            break;
        case O_LAZY: a->lazy = true; break;
        case O_PAGES_FROM: a->pages_from = optarg; a->lazy = true; break;
        case 'q': a->quiet = true; break;
        case O_VERBOSE: a->verbose = true; break;
        case 'v': a->version = true; break;
        case 'h': a->help = true; break;
        default:
            usage(e, "unknown or incomplete option '%s'", optopt ? (char[]){ (char)optopt, 0 }
                                                                  : v[optind - 1]);
            goto out;
        }
    }
    if (a->help || a->version) {
        rc = 0;
        goto out;
    }
    if (optind < argc) {
        if (a->file || a->fd >= 0 || optind != argc - 1) {
            usage(e, "%s", "exactly one checkpoint is allowed");
            goto out;
        }
        a->file = v[optind];
    }
    if (!a->file && a->fd < 0) {
        usage(e, "%s", "no checkpoint given");
        goto out;
    }
    rc = 0;
out:
    if (rc < 0)
        ckpt_restart_args_free(a);
    free(v);
    return rc;
}
