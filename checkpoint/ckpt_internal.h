/* Private interfaces between libckpt's files (not for the commands). */
#ifndef CKMIG_CKPT_INTERNAL_H
#define CKMIG_CKPT_INTERNAL_H

#include "checkpoint/libckpt.h"

#include <signal.h>
#include <sys/stat.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Signal a self-checkpointing process waits for; value = (kind << 16) | code. */
#define CKPT_SELF_SIGNAL     (SIGRTMIN + 6)
#define CKPT_SELF_DONE       1
#define CKPT_SELF_RESTARTED  2
/* si_value of the SIGCONT (sigqueue) that resumes a job's init after a
 * dump or a restore: the init does not forward that one to the job (it
 * would wake processes that were stopped before; ckpt_stopped.c). */
#define CKPT_RESUME_VALUE    0x636b7263

/* ckpt_hash.c: hashes the files CRIU writes into dir while it writes them. */
struct ckpt_tailer;
/* writeback: start writing each digested chunk to disk (for a later fsync). */
struct ckpt_tailer *ckpt_tailer_start(const char *dir, const struct ckpt_hasher *h,
                                      bool writeback, struct ckpt_err *e);
/* Stops after a final pass; fills images (sorted by name). Frees t. */
int ckpt_tailer_finish(struct ckpt_tailer *t, struct ckpt_image **images, size_t *n,
                       struct ckpt_err *e);

/* ckpt_hash.c: a set of image files whose chunks a pool of threads
 * digests (ckpt_vimages.c uses it to verify a checkpoint). */
struct ckpt_hash_set;
struct ckpt_hash_set *ckpt_hash_set_new(void);
/* Adds the image open on fd (dup'ed), named name in its checkpoint, of
 * size bytes; returns its index or -1. */
int ckpt_hash_set_add(struct ckpt_hash_set *s, int fd, long long size, const char *name,
                      const struct ckpt_hasher *h);
/* Starts up to threads threads in the background; returns how many. */
int ckpt_hash_set_start(struct ckpt_hash_set *s, int threads);
/* Joins in until every chunk is digested: 0, or the errno of image *bad. */
int ckpt_hash_set_wait(struct ckpt_hash_set *s, size_t *bad);
int ckpt_hash_set_digest(const struct ckpt_hash_set *s, size_t i, unsigned char out[32]);
/* Stops the threads (unfinished work is dropped) and frees s. */
void ckpt_hash_set_free(struct ckpt_hash_set *s);
/* Threads to start besides the caller's own: one per other core. */
int ckpt_hash_threads(void);

/* ckpt_vimages.c: verifying a list of images, from any layer of a
 * checkpoint.  The caller opens each (ckpt_verify.c: by name, without
 * following links, root's and not writable by others) and says what the
 * signed manifest records; the list may be checked at once, or, for page
 * contents only, while CRIU restores (ckpt_restore.c). */
struct ckpt_vimage {
    int fd;                 /* the very inode CRIU will read (not owned) */
    const char *path;       /* DIR/NAME, for messages */
    const char *name;       /* its name in its checkpoint (selects the hash key) */
    long long size;         /* as signed */
    const unsigned char *digest;    /* as signed */
    const struct ckpt_hasher *h;
};
/* pages-*.img: bytes CRIU only copies into the restored tasks' memory. */
bool ckpt_image_is_pages(const char *name);
struct ckpt_pending;
/* Starts verifying v[0..n) (copied; the fds are dup'ed) on threads
 * threads besides the caller's; NULL and e on failure to start. */
struct ckpt_pending *ckpt_vimages_start(const struct ckpt_vimage *v, size_t n, int threads,
                                        struct ckpt_err *e);
/* Joins in, waits, compares: 0, or -1 with e naming the first image
 * that does not verify (EBADMSG).  Frees p (NULL: nothing to do). */
int ckpt_pending_finish(struct ckpt_pending *p, struct ckpt_err *e);
/* Drops p unfinished. */
void ckpt_pending_free(struct ckpt_pending *p);
/* All at once: start and finish. */
int ckpt_vimages_check(const struct ckpt_vimage *v, size_t n, struct ckpt_err *e);

/* ckpt_criu.c: runs CRIU with argv; fds in keep stay open for it; ids
 * ("uid:gid" of the job, for a dump) lets it read the job's rlimits where
 * root lacks CAP_SYS_RESOURCE (see preload/ckpt_criu_ids.c). */
int ckpt_criu_run(const char *criu, char *const argv[], const int *keep, size_t nkeep,
                  const char *ids, pid_t *child);
int ckpt_criu_wait(pid_t child, int timeout, int *wstatus);
/* ckpt_guard.c: resumes the job if the dumper dies while CRIU has it
 * stopped. Start before any thread; release when the job is resumed or
 * signalled. */
pid_t ckpt_guard_start(pid_t init, int *fd);
/* From now on the guard kills the job rather than resume it. */
void ckpt_guard_kill_instead(int fd);
void ckpt_guard_release(pid_t guard, int fd);
char *ckpt_criu_version(const char *criu);
int ckpt_criu_version_start(const char *criu, pid_t *child);   /* returns a fd */
char *ckpt_criu_version_finish(int fd, pid_t child);
/* Reads CRIU's log, returns errno-ish code guessed from its errors and
 * copies its error lines into buf. */
int ckpt_criu_log_errors(const char *log, char *buf, size_t len);
/* A dump or pre-dump that failed (ERRS: ckpt_criu_log_errors') only
 * because another one on this node held proc.crtools at the same moment:
 * after a short random pause, 1 (run that CRIU again) while TRIES (runs
 * failed so far, from 1) leaves room; else 0. */
int ckpt_criu_collided(const char *errs, int tries);
/* Removes every entry of the directory dfd but its subdirectories (the
 * layers of a --live checkpoint): what a failed CRIU run left. */
int ckpt_clear_files_at(int dfd);

/* ckpt_owner.c: root takes the job owner's file-system ids and groups for
 * some opens (ckpt_become_owner), and its own back (ckpt_become_root,
 * which aborts rather than go on with the owner's groups). */
struct ckpt_owner_ids {
    gid_t groups[256];
    int ngroups;
    bool changed;
};
int ckpt_become_owner(uid_t uid, gid_t gid, struct ckpt_owner_ids *sv, struct ckpt_err *e);
void ckpt_become_root(struct ckpt_owner_ids *sv);

/* ckpt_fsutil.c */
int ckpt_fsync_path(const char *path, bool dir);
int ckpt_fsync_tree(const char *dir);
int ckpt_read_file(const char *path, char **buf, size_t *len);
int ckpt_mkdirs(const char *path, mode_t mode);
/* $CKMIG_TIMING: print the time since the last call, labelled name. */
void ckpt_phase(const char *who, const char *name);

/* ckpt_verify.c: verifies the checkpoint open on dfd (shown: its name).
 * With pin, the verified images are also hard-linked into a private
 * root-only directory inside dfd, open on pin->imgfd: CRIU reads that
 * (-D /proc/self/fd/N), so it reads exactly the inodes that were checked,
 * whatever the owner of dfd renames meanwhile.  ckpt_unpin removes it. */
struct ckpt_pinned {
    int dfd;                /* the checkpoint directory (not owned) */
    int imgfd;              /* the directory CRIU reads, or -1 */
    char linkdir[64];       /* its name inside dfd, "" when CRIU reads dfd itself */
};
/* With pages, the page images (ckpt_image_is_pages) are only opened,
 * size-checked and pinned, and their verification is left running in
 * *pages: the caller lets CRIU restore them into stopped tasks meanwhile,
 * and resumes the tasks only once ckpt_pending_finish succeeds.  Every
 * other image is verified before this returns.  Without pages, all are. */
int ckpt_verify_fd(int dfd, const char *shown, const unsigned char key[CKPT_KEY_LEN],
                   struct ckpt_manifest *m, struct ckpt_pinned *pin,
                   struct ckpt_pending **pages, struct ckpt_err *e);
void ckpt_unpin(struct ckpt_pinned *pin);

/* ckpt_criu_files.c: the reg_file_entry records of a verified image dir. */
struct ckpt_criu_file {
    uint32_t id;
    char *path;             /* absolute, as the kernel printed it at the dump */
    uint32_t flags;         /* open(2) flags */
    uint64_t pos;
    long long size;
    mode_t mode;
    bool has_size, has_mode;
    bool ext;               /* an --external file: not ours to open */
    bool remapped;          /* unlinked/ghost/link-remap: CRIU restores it */
    bool tty;               /* a terminal's path: CRIU opens its new pty itself */
    bool map_read, map_write;   /* what the job's mappings of it need (mm images) */
    bool fifo;              /* a FIFO's path ... */
    uint32_t pipe_id;       /* ... and the pipe whose data fifo-data.img holds */
};
int ckpt_criu_files(int imgfd, struct ckpt_criu_file **files, size_t *n, struct ckpt_err *e);
void ckpt_criu_files_free(struct ckpt_criu_file *files, size_t n);
/* Writes the data a FIFO held at the dump (fifo-data.img) into wfd. */
int ckpt_criu_fifo_data(int imgfd, uint32_t pipe_id, int wfd, struct ckpt_err *e);
/* The processes (PIDs in the job's namespace) that were stopped at the
 * dump and the signal that stopped each (0: not recorded), from their
 * core images; caller frees *v. */
struct ckpt_stop {
    uint32_t pid;
    int signo;
};
int ckpt_criu_stopped(int imgfd, struct ckpt_stop **v, size_t *n);

/* ckpt_stopped.c: processes of the job that stay stopped when the job is
 * resumed after a dump or a restore (CRIU runs with --leave-stopped, and
 * resuming every process would wake one the job or its user had stopped,
 * which CRIU itself leaves stopped).  One job per process: a set noted
 * before the dump (from /proc) or after the restore (from the images). */
void ckpt_stopped_note_live(pid_t init);
int ckpt_stopped_note_images(pid_t init, int imgfd);
bool ckpt_stopped_kept(pid_t pid);
/* CRIU's --leave-stopped stops every process with SIGSTOP, so one that was
 * stopped by SIGTSTP, SIGTTIN or SIGTTOU would come back stopped by
 * SIGSTOP (its parent's waitid, a shell's job table, see the difference):
 * stop those again with their own signal, before anything else runs. */
void ckpt_stopped_restop(void);

/* ckpt_reopen.c: descriptors handed to CRIU with --inherit-fd fd[N]:KEY.
 * CRIU looks a file up by its path without the leading '/', and uses our
 * descriptor as it is (flags, position) instead of opening the path. */
struct ckpt_inherit {
    int fd;
    char *key;
};
struct ckpt_inherits {
    struct ckpt_inherit *v;
    size_t n, cap;
};
/* Takes fd (closed on failure too); path: the absolute path CRIU recorded. */
int ckpt_inherit_add(struct ckpt_inherits *s, int fd, const char *path, struct ckpt_err *e);
bool ckpt_inherit_has(const struct ckpt_inherits *s, const char *path);
void ckpt_inherits_free(struct ckpt_inherits *s);
/* Opens every file CRIU would open by path (ckpt_criu_files) as the job's
 * owner (m->uid, m->gid and that user's groups), following no symbolic
 * link, at its relocated path, checks its type, size and mode as CRIU
 * would, and adds it to s.  Files already in s are left to their entry. */
int ckpt_reopen_files(int imgfd, const struct ckpt_manifest *m,
                      const struct ckpt_relocation *reloc, size_t nreloc,
                      struct ckpt_inherits *s, struct ckpt_err *e);

/* ckpt_archive.c: the context as one file (a ustar archive of the
 * checkpoint directory, manifest.xml first). */
int ckpt_archive_write(int dfd, int out, uid_t uid, gid_t gid, bool writeback, struct ckpt_err *e);
bool ckpt_archive_is(int fd);   /* leaves the offset at 0 */
int ckpt_archive_extract(int in, int dfd, const char *shown, struct ckpt_err *e);
/* Reads and parses the manifest of the context file open on fd (not
 * verified). */
int ckpt_archive_manifest_fd(int fd, const char *shown, struct ckpt_manifest *m, struct ckpt_err *e);

/* ckpt_source.c: a checkpoint of either form, opened for reading. */
struct ckpt_source {
    int dfd;            /* the checkpoint directory (for a context file: its unpacked copy) */
    bool file;          /* a context file */
    int xparent;        /* directory holding the unpacked copy, or -1 */
    char xname[64];     /* the copy's name there */
    char shown[4096];   /* the checkpoint's real path, for messages */
};
/* secure: a setuid caller must be able to read a context file itself. */
int ckpt_source_open(const char *path, bool secure, struct ckpt_source *s, struct ckpt_err *e);
/* Its two steps.  Opens path once, never through a link put on its way
 * after realpath (into shown), nor a device or FIFO: a directory, or a
 * regular file that is a context (fd at offset 0; st its fstat); *parent:
 * its directory, open.  Then makes fd and parent (both taken over, closed
 * on failure) a source: s->shown must hold the name already. */
int ckpt_checkpoint_open(const char *path, char shown[4096], struct stat *st, int *parent,
                         struct ckpt_err *e);
int ckpt_source_fd(int fd, int parent, const struct stat *st, bool secure,
                   struct ckpt_source *s, struct ckpt_err *e);
/* Closes; removes an unpacked copy. */
void ckpt_source_close(struct ckpt_source *s);

/* ckpt_pages.c: post-copy from the source's memory (see there). */
struct ckpt_page_source {
    char host[256];
    int port;
    unsigned char skey[32];     /* the stream's key, from the checkpoint key */
    char mac[65];               /* the manifest's MAC, hex: names the checkpoint */
};
int ckpt_pages_from_parse(const char *s, struct ckpt_page_source *ps, struct ckpt_err *e);
void ckpt_page_source_key(struct ckpt_page_source *ps, const unsigned char ckey[CKPT_KEY_LEN],
                          const unsigned char mac[32]);
/* Forks the relay that runs argv (`criu lazy-pages ... --ps-socket PSFD`,
 * the word PSFD replaced by its socket) and carries its page stream from
 * ps; the relay's exit status is the daemon's. */
int ckpt_pages_relay_run(const char *criu, char **argv, int imgfd, int status_fd,
                         const struct ckpt_page_source *ps, pid_t *pid);
struct ckpt_postcopy;
/* Listens on port (0: any; ckpt_postcopy_port says which). */
struct ckpt_postcopy *ckpt_postcopy_open(int port, struct ckpt_err *e);
int ckpt_postcopy_port(const struct ckpt_postcopy *pc);
/* CRIU's --ps-socket and --status-fd. */
void ckpt_postcopy_criu_fds(const struct ckpt_postcopy *pc, int *ps, int *status);
/* Once CRIU runs: waits until it has written its images and serves. */
int ckpt_postcopy_ready(struct ckpt_postcopy *pc, int timeout, struct ckpt_err *e);
/* Takes one authenticated target within wait_ms and carries the pages
 * until it says every page is in (0), or fails (-1, e; *connected says
 * whether a target had come, i.e. may have run the job: from then on the
 * guard, guard_fd, kills the job rather than resume it). */
int ckpt_postcopy_serve(struct ckpt_postcopy *pc, const unsigned char ckey[CKPT_KEY_LEN],
                        const unsigned char mac[32], int wait_ms, int guard_fd, bool *connected,
                        struct ckpt_err *e);
/* Closes everything (CRIU, still serving, then sees its stream end). */
void ckpt_postcopy_close(struct ckpt_postcopy *pc);

/* ckpt_lazy.c: `criu lazy-pages` reading ddir (open on imgfd) with its
 * socket in work; returns its pid once it listens, or -1 and e.  With ps,
 * the pages come from ps (ckpt_pages.c) and the pid is the relay's. */
pid_t ckpt_lazy_daemon_start(const char *criu, const char *ddir, int imgfd, const char *work,
                             bool verbose, const struct ckpt_page_source *ps,
                             struct ckpt_err *e);
void ckpt_lazy_daemon_stop(pid_t daemon);
/* Waits for the restore (*ws: its status).  If the daemon fails first,
 * kills the restore and what it restored (*daemon = -1, -1 and e); if it
 * ended well first (every page in), *daemon = 0. */
int ckpt_lazy_restore_wait(pid_t restore, pid_t *daemon, const char *work, int *ws,
                           struct ckpt_err *e);
/* Takes over pin, src and work (the daemon reads them) once the job runs. */
struct ckpt_lazy *ckpt_lazy_adopt(pid_t daemon, struct ckpt_pinned *pin, struct ckpt_source *src,
                                  const char *work, const struct timespec *start, bool quiet,
                                  struct ckpt_err *e);
pid_t ckpt_lazy_pid(const struct ckpt_lazy *l);
/* The daemon ended with status: cleans up; a failure kills init's job. */
void ckpt_lazy_reaped(struct ckpt_lazy *l, int status, pid_t init);

/* ckpt_save.c: --save-* (see there). */
struct ckpt_save_plan;
/* Before the dump: opens what is to be saved (what = CKPT_SAVE_*; files
 * saved by an earlier checkpoint are always saved again). */
struct ckpt_save_plan *ckpt_save_plan(pid_t init, unsigned what, struct ckpt_err *e);
/* CRIU's --external options for the plan (n strings). */
char *const *ckpt_save_criu_args(const struct ckpt_save_plan *p, size_t *n);
/* After the dump: copies into the checkpoint (tfd, reached as tdir), hashed
 * as images and listed in m->saved. */
int ckpt_save_copy(const struct ckpt_save_plan *p, int tfd, const char *tdir,
                   const struct ckpt_hasher *h, struct ckpt_manifest *m, struct ckpt_err *e);
void ckpt_save_free(struct ckpt_save_plan *p);
/* Is CRIU's external name ext among the files saved? */
bool ckpt_save_has(const struct ckpt_save_plan *p, const char *ext);
/* mnt_id of /proc/PID/fdinfo/N, or -1; *flags (if given) its open flags. */
int ckpt_fdinfo(const char *fdinfo, unsigned *flags);

/* ckpt_extfiles.c: the job's open regular files dumped as CRIU external
 * files, each found at restore by its key, not its path (see there). */
struct ckpt_ext_plan;
/* Before the dump: the job's open regular files (but those saved). */
struct ckpt_ext_plan *ckpt_ext_plan(pid_t init, const struct ckpt_save_plan *saves,
                                    struct ckpt_err *e);
/* CRIU's --external options for the plan (n strings). */
char *const *ckpt_ext_criu_args(const struct ckpt_ext_plan *p, size_t *n);
/* After the dump and scan of the job's files: each planned file's key in
 * m->files (ext); -1 when out of memory. */
int ckpt_ext_note(const struct ckpt_ext_plan *p, struct ckpt_manifest *m);
void ckpt_ext_free(struct ckpt_ext_plan *p);
/* At restore: a fresh copy of each saved file, added to s under CRIU's
 * external name (--inherit-fd fd[N]:file[MNT:INO]). */
struct ckpt_inherits;
int ckpt_saved_inherit(int imgfd, const struct ckpt_manifest *m, struct ckpt_inherits *s,
                       struct ckpt_err *e);

/* ckpt_live.c: pre-copy rounds (cr_checkpoint --live) into layers of the
 * temporary checkpoint directory tfd (reached as tdir), while the job runs. */
struct ckpt_live_ctx {
    const char *criu;
    const char *pid;        /* the init, as CRIU's -t takes it */
    const char *ids;        /* for ckpt_criu_run */
    int tfd;
    const char *tdir;
    const struct ckpt_hasher *hasher;
    int rounds;             /* at most */
    int timeout;            /* per round, seconds; 0 = none */
    bool sync;              /* fsync each layer once hashed */
    bool verbose;
    bool secure;
    char *const *extra;     /* more CRIU options (--external ...), nextra of them */
    size_t nextra;
};
struct ckpt_live_result {
    bool tracked;           /* CRIU tracked dirty pages: the final dump takes --track-mem */
    struct ckpt_layer *layers;
    size_t nlayers;
    struct ckpt_image *images;  /* "LAYER/NAME", hashed */
    size_t nimages;
};
/* True when the kernel tracks dirty pages (soft-dirty bits). */
bool ckpt_live_tracking(void);
int ckpt_live_precopy(const struct ckpt_live_ctx *c, struct ckpt_live_result *r,
                      struct ckpt_err *e);
/* Moves r's layers and images into m (images kept sorted by name). */
int ckpt_live_adopt(struct ckpt_live_result *r, struct ckpt_manifest *m, struct ckpt_err *e);
void ckpt_live_result_free(struct ckpt_live_result *r);
/* A layer's name as cr_checkpoint makes them: "pre" and 1..999. */
bool ckpt_layer_name_ok(const char *name);

/* ckpt_target.c */
int ckpt_proc_ns_inode(pid_t pid, unsigned long *ino);
int ckpt_proc_uid(pid_t pid, uid_t *uid, gid_t *gid);
char *ckpt_proc_environ_get(pid_t pid, const char *name);

/* ckpt_init.c */
extern const int ckpt_forwarded[];
void ckpt_forward_set(sigset_t *set);

/* ckpt_self.c: the supervisor's side */
int ckpt_self_listen(pid_t init, struct ckpt_err *e);
/* Handles one connection on the listening socket (runs the dump). */
void ckpt_self_serve(int lfd, pid_t init, bool secure);
/* After a restore: wake the process that asked for the checkpoint. */
void ckpt_self_notify(pid_t init, pid_t nspid, int kind, int code);

#ifdef __cplusplus
}
#endif
#endif
