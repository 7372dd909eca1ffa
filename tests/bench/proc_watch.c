/* proc_watch NAME...: for the migration benchmark, print when processes
 * named NAME start and end, from the kernel's process events (netlink proc
 * connector), with the kernel's own timestamps, so a migration's phases
 * (checkpoint script, cr_checkpoint, criu dump, restart script, cr_restart,
 * criu restore) can be placed next to the job's own timestamps.
 *
 * A process matches when the base name of argv[0], argv[1] or argv[2] is
 * one of the NAMEs (argv[1..2]: scripts run through "env tclsh SCRIPT").
 * Lines, on stdout (line buffered), times in CLOCK_REALTIME seconds, MNT
 * the inode of the process's mount namespace (which virtual node it is on):
 *   exec SEC.NSEC PID MNT NAME ARG1 ARG2
 *   exit SEC.NSEC PID NAME
 * "ready" is printed once listening.  Ends on SIGTERM/SIGINT.  Needs root
 * (CAP_NET_ADMIN) in the host's network namespace. */
#include <errno.h>
#include <fcntl.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_WATCHED 1024

struct watched {
    int pid;
    char name[32];
};

static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
    (void)sig;
    stop = 1;
}

static long long offset_ns;     /* CLOCK_REALTIME - CLOCK_MONOTONIC */

static void print_time(unsigned long long mono_ns)
{
    long long t = (long long)mono_ns + offset_ns;
    printf("%lld.%09lld", t / 1000000000LL, t % 1000000000LL);
}

static const char *base(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* argv[0..2] of pid (NUL-separated in /proc), count returned */
static int read_args(int pid, char *buf, size_t len, const char *args[3])
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, len - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    int c = 0;
    for (char *p = buf; p < buf + n && c < 3; p += strlen(p) + 1)
        args[c++] = p;
    return c;
}

/* inode of pid's mount namespace, 0 if unknown */
static unsigned long long mnt_ns(int pid)
{
    char path[64], link[64];
    unsigned long long ino = 0;
    snprintf(path, sizeof(path), "/proc/%d/ns/mnt", pid);
    ssize_t n = readlink(path, link, sizeof(link) - 1);
    if (n > 0) {
        link[n] = '\0';
        sscanf(link, "mnt:[%llu]", &ino);
    }
    return ino;
}

static int send_listen(int sk)
{
    struct {
        struct nlmsghdr nl;
        struct cn_msg cn;
        enum proc_cn_mcast_op op;
    } __attribute__((packed)) m;
    memset(&m, 0, sizeof(m));
    m.nl.nlmsg_len = sizeof(m);
    m.nl.nlmsg_type = NLMSG_DONE;
    m.nl.nlmsg_pid = (uint32_t)getpid();
    m.cn.id.idx = CN_IDX_PROC;
    m.cn.id.val = CN_VAL_PROC;
    m.cn.len = sizeof(enum proc_cn_mcast_op);
    m.op = PROC_CN_MCAST_LISTEN;
    return send(sk, &m, sizeof(m), 0) == (ssize_t)sizeof(m) ? 0 : -1;
}

int main(int argc, char **argv)
{
    static struct watched w[MAX_WATCHED];
    int nw = 0, rc = 1;
    struct timespec rt, mt;
    struct sigaction sa;

    if (argc < 2) {
        fprintf(stderr, "usage: proc_watch NAME...\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    clock_gettime(CLOCK_REALTIME, &rt);
    clock_gettime(CLOCK_MONOTONIC, &mt);
    offset_ns = (rt.tv_sec - mt.tv_sec) * 1000000000LL + (rt.tv_nsec - mt.tv_nsec);

    int sk = socket(PF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_CONNECTOR);
    if (sk < 0) {
        fprintf(stderr, "proc_watch: netlink connector: %s\n", strerror(errno));
        goto out;
    }
    int big = 4 << 20;
    setsockopt(sk, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
    struct sockaddr_nl sa_nl = { .nl_family = AF_NETLINK, .nl_groups = CN_IDX_PROC,
                                 .nl_pid = (uint32_t)getpid() };
    if (bind(sk, (struct sockaddr *)&sa_nl, sizeof(sa_nl)) < 0 || send_listen(sk) < 0) {
        fprintf(stderr, "proc_watch: cannot listen to process events: %s\n", strerror(errno));
        goto out;
    }
    printf("ready\n");
    while (!stop) {
        char buf[8192] __attribute__((aligned(NLMSG_ALIGNTO)));
        ssize_t n = recv(sk, buf, sizeof(buf), 0);
        if (n < 0) {
            if (errno == EINTR || errno == ENOBUFS)
                continue;   /* ENOBUFS: events lost under load; go on */
            fprintf(stderr, "proc_watch: recv: %s\n", strerror(errno));
            goto out;
        }
        for (struct nlmsghdr *nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (size_t)n);
             nh = NLMSG_NEXT(nh, n)) {
            struct cn_msg *cn = NLMSG_DATA(nh);
            struct proc_event *ev = (struct proc_event *)cn->data;
            if (ev->what == PROC_EVENT_EXEC) {
                int pid = ev->event_data.exec.process_pid, known = 0;
                char args[4096];
                const char *a[3] = { "", "", "" };
                int na = read_args(pid, args, sizeof(args), a);
                for (int i = 0; i < nw; i++)
                    if (w[i].pid == pid)
                        known = 1;
                for (int k = 0; !known && k < na; k++)
                    for (int j = 1; j < argc; j++) {
                        if (strcmp(base(a[k]), argv[j]))
                            continue;
                        printf("exec ");
                        print_time(ev->timestamp_ns);
                        printf(" %d %llu %s %s %s\n", pid, mnt_ns(pid), argv[j], na > k + 1 ? a[k + 1] : "-",
                               na > k + 2 ? a[k + 2] : "-");
                        if (nw < MAX_WATCHED) {
                            w[nw].pid = pid;
                            snprintf(w[nw].name, sizeof(w[nw].name), "%s", argv[j]);
                            nw++;
                        }
                        known = 1;
                        break;
                    }
            } else if (ev->what == PROC_EVENT_EXIT) {
                int pid = ev->event_data.exit.process_pid;
                if (pid != ev->event_data.exit.process_tgid)
                    continue;   /* a thread */
                for (int i = 0; i < nw; i++)
                    if (w[i].pid == pid) {
                        printf("exit ");
                        print_time(ev->timestamp_ns);
                        printf(" %d %s\n", pid, w[i].name);
                        w[i] = w[--nw];
                        break;
                    }
            }
        }
    }
    rc = 0;
out:
    if (sk >= 0)
        close(sk);
    return rc;
}
