/* ckslurm_proto.h: what the SPANK plugin's waiting task and the root agent
 * (ckmig_slurm_agent) say to each other over their socket pair.
 *
 * First, once: the task sends what Slurm would have exec'd (argv, the
 * environment) with its working directory, stdio and the checkpoint
 * directory as descriptors (SCM_RIGHTS: cwd, 0, 1, 2, ckdir), all opened
 * by the user: the agent (root) never opens a path the user names.  Then two-byte messages: {kind, signal}.
 * The socket is the only way in: the agent listens to nothing else. */
#ifndef CKSLURM_PROTO_H
#define CKSLURM_PROTO_H

#ifdef __cplusplus
extern "C" {
#endif

#define CKSLURM_AGENT_FD 3

enum ckslurm_msg {
    CKSLURM_MSG_CHECKPOINT = 'C',  /* checkpoint, the job runs on (SIGUSR1) */
    CKSLURM_MSG_REQUEUE = 'M',     /* checkpoint, end the job, requeue it (SIGUSR2) */
    CKSLURM_MSG_SIGNAL = 'S',      /* pass this signal on to the job */
};

struct ckslurm_request {
    int cwd, in, out, err;   /* descriptors received (-1 if none) */
    int ckdir;               /* the checkpoint directory, opened by the user
                                (O_PATH); -1 when the user could not open it */
    int ckdir_errno;         /* why not */
    char **argv;             /* NULL-terminated, pointing into buf */
    char **env;
    char *buf;
};

/* 0, or -1 with errno. */
int ckslurm_send_request(int sock, int argc, char *const argv[], char *const env[], int cwd,
                         int ckdir, int ckdir_errno);
int ckslurm_recv_request(int sock, struct ckslurm_request *r);
void ckslurm_request_free(struct ckslurm_request *r);

#ifdef __cplusplus
}
#endif
#endif
