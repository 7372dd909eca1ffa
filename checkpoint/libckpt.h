/* libckpt: run, checkpoint and restart jobs with CRIU, BLCR-style.
 *
 * A checkpointable job runs as PID 1's child in its own PID namespace (see
 * ckpt_spawn); a checkpoint is a root-only directory of CRIU images plus a
 * manifest.xml whose keyed MAC and per-image hashes are checked before CRIU
 * reads anything on restore.  Every function reports failure through a
 * struct ckpt_err: an errno-style code (what BLCR's commands exit with), the
 * BLCR failure class, and a message that names the thing at fault. */
#ifndef CKMIG_LIBCKPT_H
#define CKMIG_LIBCKPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CKPT_MANIFEST       "manifest.xml"
#define CKPT_FORMAT_VERSION 1
#define CKPT_KEY_DEFAULT    "/etc/ckmig/checkpoint.key"
#define CKPT_KEY_LEN        32
#define CKPT_HASH_CHUNK     (8u << 20)  /* images are hashed in 8 MiB chunks */
#define CKPT_INIT_COMM      "ckmig-init"
/* The init of a job started with cr_run --omit (BLCR: cannot be
 * checkpointed).  Only root and the init itself can rename the init: it
 * keeps root's capabilities, so the job's own processes may not write its
 * /proc/PID/comm; so the mark cannot be set on anyone else's job. */
#define CKPT_OMIT_COMM      "ckmig-omit"
#define CKPT_VERSION_STRING "ckmig 0.1 (BLCR-compatible command line, CRIU engine)"

/* ---- errors (BLCR's classes decide which --run-on-fail-* hook runs) ---- */
enum ckpt_class {
    CKPT_OK = 0,
    CKPT_FAIL_ARGS,  /* bad options, unreadable checkpoint, bad --relocate */
    CKPT_FAIL_TEMP,  /* ENOMEM, EBUSY: may work later */
    CKPT_FAIL_ENV,   /* EACCES, EPERM, ENOENT, EEXIST, EISDIR, ENOTDIR, missing files */
    CKPT_FAIL_PERM,  /* everything else: corrupt or tampered images, CRIU errors */
};

struct ckpt_err {
    int code;               /* errno value; 0 = no error */
    enum ckpt_class cls;
    char msg[1024];
};

void ckpt_err_clear(struct ckpt_err *e);
/* Sets code, class (by ckpt_classify) and a printf-style message. Returns -1. */
int ckpt_err_set(struct ckpt_err *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int ckpt_err_setc(struct ckpt_err *e, int code, enum ckpt_class cls, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
enum ckpt_class ckpt_classify(int code);
const char *ckpt_class_name(enum ckpt_class cls);  /* "Permanent", "Temporary", ... */

/* ---- environment: which CRIU and which key (secure: ignore env) ---- */
const char *ckpt_criu_path(bool secure);
const char *ckpt_key_path(bool secure);
/* Loads the MAC key; with create, makes a fresh root-only key if missing. */
int ckpt_key_load(const char *path, bool create, unsigned char key[CKPT_KEY_LEN],
                  struct ckpt_err *e);

/* ---- running a job: cr_run ---- */
struct ckpt_cred {
    bool set;               /* false: keep the caller's credentials */
    uid_t uid;
    gid_t gid;
    int ngroups;
    gid_t groups[64];
};
/* Fills cred for user NAME (uid and groups from the user database). */
int ckpt_cred_for_user(const char *name, struct ckpt_cred *cred, struct ckpt_err *e);
/* Starts argv as the child of a small init that is PID 1 of a new PID
 * namespace; the job runs in its own session with fds 0-2 only.  Returns
 * the init's pid (in the caller's namespace). */
pid_t ckpt_spawn(char *const argv[], const struct ckpt_cred *cred, struct ckpt_err *e);
/* As ckpt_spawn; omit marks the job as one that cannot be checkpointed
 * (cr_run --omit): cr_checkpoint of it fails with ESRCH, as in BLCR. */
pid_t ckpt_spawn_omit(char *const argv[], const struct ckpt_cred *cred, bool omit,
                      struct ckpt_err *e);
/* True when init (a job's namespace init) was started with cr_run --omit. */
bool ckpt_init_omitted(pid_t init);

struct ckpt_supervise_opts {
    bool serve_self;        /* accept checkpoint requests from inside the job */
    bool secure;            /* setuid caller: ignore $CKMIG_CRIU / $CKMIG_CKPT_KEY */
    bool quiet;
    /* cr_restart --lazy: the job needs this daemon until its last page
     * is in; if it fails, the job is killed (ckpt_lazy.c). */
    struct ckpt_lazy *lazy;
};
/* A lazy restore's pages daemon and what it reads, until it ends. */
struct ckpt_lazy;
/* After the job has ended: stops the daemon if it still runs, cleans up. */
void ckpt_lazy_end(struct ckpt_lazy *l);
/* Forwards signals to the job, serves self-checkpoint requests, reaps, and
 * returns the job's wait status (as waitpid would give it for the job). */
int ckpt_supervise(pid_t init, const struct ckpt_supervise_opts *o, struct ckpt_err *e);
/* Exits like a process whose child ended with wstatus (re-raising signals). */
void ckpt_exit_like(int wstatus) __attribute__((noreturn));

/* ---- finding the job ---- */
enum ckpt_scope { CKPT_SCOPE_TREE, CKPT_SCOPE_PID, CKPT_SCOPE_PGID, CKPT_SCOPE_SID };
/* Maps any process of a cr_run job (the cr_run process outside, or anything
 * inside the namespace) to the namespace's init. */
pid_t ckpt_find_init(pid_t id, enum ckpt_scope scope, struct ckpt_err *e);
/* Processes of init's namespace (host pids), init first.  Caller frees. */
int ckpt_ns_members(pid_t init, pid_t **pids, size_t *n);
/* Host pid of the process that is nspid inside init's namespace, or -1. */
pid_t ckpt_ns_to_host(pid_t init, pid_t nspid);
/* True when the calling process runs inside a ckmig job namespace. */
bool ckpt_inside_job(void);
/* A process's /proc/PID/stat, what ckmig reads of it. */
struct ckpt_proc_stat {
    pid_t ppid, pgrp, sid;
    unsigned long long starttime;   /* clock ticks after boot */
    long long rss_bytes;
};
int ckpt_proc_stat(pid_t pid, struct ckpt_proc_stat *st);
/* Resident memory (bytes) of top and every process below it. */
long long ckpt_tree_rss(pid_t top);

/* ---- checkpoint: cr_checkpoint ---- */
enum ckpt_after { CKPT_AFTER_RUN, CKPT_AFTER_SIGNAL, CKPT_AFTER_STOP, CKPT_AFTER_TERM,
                  CKPT_AFTER_ABORT, CKPT_AFTER_KILL, CKPT_AFTER_CONT };
enum ckpt_clobber { CKPT_CLOBBER, CKPT_NOCLOBBER, CKPT_BACKUP };
/* A checkpoint is a directory or one context file (BLCR's form: a ustar
 * archive of the directory, owned by the job's owner, mode 0400, so scripts
 * may rm -f, cp, mv and stat it).  AUTO: an existing checkpoint of that
 * name keeps its form; a new one takes new_form. */
enum ckpt_form { CKPT_FORM_AUTO = 0, CKPT_FORM_DIR, CKPT_FORM_FILE };
/* --save-* (BLCR): copies of the executable and of mapped files go into the
 * checkpoint and are handed back to CRIU at restore. */
#define CKPT_SAVE_EXE     1u
#define CKPT_SAVE_PRIVATE 2u
#define CKPT_SAVE_SHARED  4u
#define CKPT_SAVE_ALL     (CKPT_SAVE_EXE | CKPT_SAVE_PRIVATE | CKPT_SAVE_SHARED)

struct ckpt_dump_opts {
    pid_t id;
    enum ckpt_scope scope;
    const char *path;       /* checkpoint to create (a directory or a context file) */
    /* have_dir: the directory path's last component goes into, open (the
     * caller checked it; not closed).  Else path's own directory, opened
     * without following a link a user could have put on the way
     * (open_dir_noswap).  Either way only that fd is used from then on. */
    bool have_dir;
    int dir;
    enum ckpt_after after;
    int signo;              /* CKPT_AFTER_SIGNAL */
    enum ckpt_clobber clobber;
    const char *backup;     /* CKPT_BACKUP: NULL = NAME.~N~ */
    bool nosync;
    int timeout;            /* seconds; 0 = none */
    bool verbose;
    bool secure;
    const char *owner;      /* refuse unless the job runs as this user */
    const char *jobid;      /* the job's id for the manifest (else the job's $PBS_JOBID,
                               which the job itself could have changed) */
    pid_t requester;        /* ns pid of a self-checkpointing process, or 0 */
    pid_t init;             /* known init (skips ckpt_find_init), or 0 */
    enum ckpt_form form;    /* DIR, FILE, or AUTO (see enum ckpt_form) */
    enum ckpt_form new_form;    /* AUTO: the form of a new name (DIR unless FILE) */
    unsigned save;          /* CKPT_SAVE_* */
    /* --live[=N]: pre-copy.  Up to N rounds of CRIU pre-dump while the job
     * runs (each into a layer of the checkpoint, see struct ckpt_layer),
     * ending early once the dirty set stops shrinking; then the final dump
     * writes only what was dirtied since.  0: off. */
    int live;
    /* --postcopy[=PORT]: the pages stay in the job's memory and are served
     * from there, on PORT (0: any free one), to one cr_restart --pages-from
     * (ckpt_pages.c); the job ends here once the last page is there. */
    bool postcopy;
    int postcopy_port;
};
#define CKPT_LIVE_DEFAULT_ROUNDS 5
#define CKPT_LIVE_MAX_ROUNDS     32
int ckpt_dump(const struct ckpt_dump_opts *o, struct ckpt_err *e);

/* ---- the manifest ---- */
struct ckpt_file {
    char *path;
    long long size;
    bool dir;               /* a working directory (size unused) */
    /* The inode the job held (when known): at restore, root reopens a file
     * the owner may not open (a log root handed the job) only if the path
     * still leads, without links, to this very inode. */
    bool has_id;
    unsigned long long dev, ino;
    uid_t owner;
    /* CRIU's key for it when dumped as an external file ("file[MNT:INO]",
     * ckpt_extfiles.c): the restore hands CRIU this path, opened by the
     * owner, under that key.  NULL: CRIU knows it by its path. */
    char *ext;
};
/* A file saved into the checkpoint by --save-*: CRIU dumped it as the
 * external file ext ("file[MNT:INO]"), and the restore hands CRIU a copy of
 * image under that name. */
struct ckpt_saved {
    char *path;             /* where it was, for people */
    char *image;            /* its copy among the images (hashed like them) */
    char *ext;              /* CRIU's external name */
    unsigned mode;          /* st_mode, which CRIU checks */
    unsigned kind;          /* CKPT_SAVE_EXE, _PRIVATE or _SHARED */
};
/* A pre-copy layer (cr_checkpoint --live): one pre-dump round's images in
 * the subdirectory `name` ("pre1", "pre2", ...) of the checkpoint, listed
 * among the images as "name/IMAGE".  parent: the layer whose pages this
 * one's are relative to (CRIU's `parent` link), NULL for the first. */
struct ckpt_layer {
    char *name;
    char *parent;
};
struct ckpt_image {
    char *name;             /* "IMAGE", or "LAYER/IMAGE" for a pre-copy layer's */
    long long size;
    unsigned char digest[32];   /* SHA-256 over the image's chunk digests (ckpt_hash.c) */
};

/* How an image's 8 MiB chunks are digested.  GMAC (AES-256-GCM over the
 * chunk as associated data, with a per-image key derived from the
 * checkpoint key and a per-checkpoint nonce) is the default: it runs about
 * five times faster than SHA-256 on CPUs with AES and carry-less multiply
 * instructions, fast enough to keep up with CRIU.  $CKMIG_IMAGE_HASH=sha256
 * picks plain SHA-256 chunks instead. */
enum ckpt_hash_alg { CKPT_HASH_SHA256 = 0, CKPT_HASH_GMAC = 1 };
struct ckpt_hasher {
    enum ckpt_hash_alg alg;
    unsigned char key[CKPT_KEY_LEN];
    unsigned char nonce[16];
};
const char *ckpt_hash_alg_name(enum ckpt_hash_alg alg);
int ckpt_hash_alg_parse(const char *name, enum ckpt_hash_alg *alg);
/* The algorithm $CKMIG_IMAGE_HASH asks for (secure: the default). */
enum ckpt_hash_alg ckpt_hash_alg_default(bool secure);
struct ckpt_manifest {
    int version;
    enum ckpt_hash_alg hash_alg;
    unsigned char hash_nonce[16];
    char *jobid;            /* NULL when unknown */
    char *name;             /* the checkpoint's own name (last path component); NULL in
                               manifests written before ckmig recorded it */
    uid_t uid;
    gid_t gid;
    char *host;
    long long time;
    char *criu_version;
    char *kernel;
    pid_t requester;        /* 0 unless the job asked for this checkpoint itself */
    struct ckpt_file *files;
    size_t nfiles;
    struct ckpt_image *images;
    size_t nimages;
    struct ckpt_saved *saved;   /* --save-* copies (none: not in the MAC text at all) */
    size_t nsaved;
    /* Pre-copy layers, oldest first (none: not in the MAC text at all), and
     * the layer the final images' `parent` link names (NULL: none). */
    struct ckpt_layer *layers;
    size_t nlayers;
    char *parent;
    /* cr_checkpoint --postcopy: the anonymous memory is in no image, it is
     * fetched from the source's memory (ckpt_pages.c); false in older
     * manifests, and then not in the MAC text at all. */
    bool postcopy;
    unsigned char mac[32];
};
void ckpt_manifest_free(struct ckpt_manifest *m);
/* The exact bytes the MAC covers (canonical text); caller frees. */
char *ckpt_manifest_canonical(const struct ckpt_manifest *m, size_t *len);
void ckpt_manifest_sign(struct ckpt_manifest *m, const unsigned char key[CKPT_KEY_LEN]);
bool ckpt_manifest_mac_ok(const struct ckpt_manifest *m, const unsigned char key[CKPT_KEY_LEN]);
/* XML text of m (with its MAC); caller frees with free(). */
char *ckpt_manifest_to_xml(const struct ckpt_manifest *m, size_t *len);
int ckpt_manifest_parse(const char *buf, size_t len, struct ckpt_manifest *m,
                        struct ckpt_err *e);
/* Reads and parses (does not verify) a manifest: from fd, a regular file
 * of at most 64 MiB; or dfd's manifest.xml, never through a link and never
 * waiting on a FIFO.  shown names the checkpoint in messages. */
int ckpt_manifest_read_fd(int fd, const char *shown, struct ckpt_manifest *m, struct ckpt_err *e);
int ckpt_manifest_read_at(int dfd, const char *shown, struct ckpt_manifest *m, struct ckpt_err *e);
/* The same for the checkpoint directory dir (itself not a link). */
int ckpt_manifest_read(const char *dir, struct ckpt_manifest *m, struct ckpt_err *e);
/* Writes dir/manifest.xml (temp name, fsync, rename). */
int ckpt_manifest_write(const char *dir, const struct ckpt_manifest *m, struct ckpt_err *e);
/* Reads the manifest, checks its version and MAC, that the directory holds
 * exactly the listed images, and every image's size and hash. */
int ckpt_verify(const char *dir, const unsigned char key[CKPT_KEY_LEN],
                struct ckpt_manifest *m, struct ckpt_err *e);

/* ---- hashing ---- */
/* Digest of image file path (named name in its checkpoint), its chunks
 * spread over threads. */
int ckpt_hash_file(const char *path, const char *name, const struct ckpt_hasher *h,
                   long long *size, unsigned char out[32], struct ckpt_err *e);
/* The same for an image already open on fd (path: how to name it). */
int ckpt_hash_fd(int fd, const char *path, const char *name, const struct ckpt_hasher *h,
                 long long *size, unsigned char out[32], struct ckpt_err *e);
void ckpt_hash_hex(const unsigned char *in, size_t n, char *out);
int ckpt_hex_decode(const char *hex, unsigned char *out, size_t n);

/* ---- restart: cr_restart ---- */
struct ckpt_relocation {
    char *from;
    char *to;
};
int ckpt_parse_relocation(const char *arg, struct ckpt_relocation *r, struct ckpt_err *e);
/* Applies the first matching relocation (whole leading path components) to
 * path; returns a new string (or a copy of path). */
char *ckpt_relocate(const char *path, const struct ckpt_relocation *r, size_t n);

struct ckpt_inherits;
struct ckpt_restore_opts {
    const char *path;
    const struct ckpt_relocation *reloc;
    size_t nreloc;
    bool secure;
    bool verbose;
    /* When set, the checkpoint must be this job's, this user's, and have
     * been written under this name (cr_restart --job, --owner, --name). */
    const char *jobid;
    const char *owner;
    const char *name;
    /* Descriptors to hand CRIU for paths it would otherwise open (saved
     * copies, say); see struct ckpt_inherits in ckpt_internal.h.  NULL: none. */
    const struct ckpt_inherits *inherit;
    /* --lazy: the job runs before its memory is in (ckpt_lazy.c); the
     * pages' daemon is handed back in *lazy_out, for ckpt_supervise. */
    bool lazy;
    struct ckpt_lazy **lazy_out;
    /* --pages-from HOST:PORT: a --postcopy checkpoint's pages (implies lazy). */
    const char *pages_from;
};
/* Verifies, checks the job's files, restores with CRIU as our child (the
 * caller must be a child subreaper); returns the restored init's pid. */
pid_t ckpt_restore(const struct ckpt_restore_opts *o, struct ckpt_manifest *m,
                   struct ckpt_err *e);
/* Sends after-action signals to every process of init's namespace. */
int ckpt_after_action(pid_t init, enum ckpt_after after, int signo, struct ckpt_err *e);
/* Resumes a job its dump left stopped (CRIU's --leave-stopped, then
 * cr_checkpoint --signal SIGSTOP) as cr_checkpoint's own resume does:
 * every process but those the dump's images (imgfd: the checkpoint's
 * directory) record as stopped when it was taken (ckpt_stopped.c). */
int ckpt_resume_from_images(pid_t init, int imgfd, struct ckpt_err *e);

/* ---- retention ---- */
/* Keeps the newest `keep` complete checkpoints in dir whose names start with
 * prefix (NULL = any), deletes older ones and stale temporaries; returns the
 * number deleted or -1. */
int ckpt_retain(const char *dir, const char *prefix, int keep, struct ckpt_err *e);
int ckpt_rmtree(const char *path);
/* The same for dfd's entry name: nothing outside dfd is reached by name. */
int ckpt_rmtree_at(int dfd, const char *name);
/* The directory open on fd (pfd's entry name): emptied through fd, then
 * name removed if it still is that directory. */
int ckpt_rmtree_fd(int pfd, const char *name, int fd);

/* ---- self-checkpoint (a job checkpointing itself from inside) ---- */
struct ckpt_self_request {
    enum ckpt_after after;
    int signo;
    enum ckpt_clobber clobber;
    char backup[1024];
    bool nosync;
    char path[4096];        /* absolute, as seen by the job */
    enum ckpt_form form;    /* AUTO: a new name becomes a context file */
    unsigned save;          /* CKPT_SAVE_* */
};
/* Called inside the job: asks the supervisor (cr_run / cr_restart) to
 * checkpoint this job; returns 0 after the checkpoint and after a restart. */
int ckpt_self_checkpoint(const struct ckpt_self_request *r, struct ckpt_err *e);

/* ---- BLCR command lines ---- */
struct ckpt_checkpoint_args {
    struct ckpt_dump_opts dump;
    const char *file;       /* -f */
    int fd;                 /* -F, or -1 */
    bool quiet;
    bool help, version;
};
/* 0 = ok, -1 = usage error (message in e, exit 255). argv is not modified. */
int ckpt_parse_checkpoint_args(int argc, char *const argv[], struct ckpt_checkpoint_args *a,
                               struct ckpt_err *e);

struct ckpt_restart_args {
    const char *file;
    int fd;
    enum ckpt_after after;
    int signo;
    const char *hook_success;
    const char *hook_fail[5];   /* indexed by enum ckpt_class */
    struct ckpt_relocation reloc[16];
    size_t nreloc;
    bool quiet, verbose, help, version;
    bool lazy;              /* --lazy: post-copy (ckpt_lazy.c) */
    const char *pages_from; /* --pages-from HOST:PORT (ckpt_pages.c) */
};
int ckpt_parse_restart_args(int argc, char *const argv[], struct ckpt_restart_args *a,
                            struct ckpt_err *e);
void ckpt_restart_args_free(struct ckpt_restart_args *a);

#ifdef __cplusplus
}
#endif
#endif
