/* A job holding a listening TCP socket and a bound UDP socket.  Prints
 * "ready tcp=PORT udp=PORT", then each tick sends itself a datagram and
 * prints "tick N udp=ok" when it comes back; a TCP client gets
 * "hello tick=N".  After a restore the same ports answer.
 *
 * usage: ckpt_sockets TICKS INTERVAL_MS */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int bound(int type, struct sockaddr_in *sa)
{
    socklen_t l = sizeof(*sa);
    int fd = socket(AF_INET, type, 0);
    memset(sa, 0, sizeof(*sa));
    sa->sin_family = AF_INET;
    sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)sa, sizeof(*sa)) < 0 ||
        getsockname(fd, (struct sockaddr *)sa, &l) < 0)
        exit(3);
    return fd;
}

int main(int argc, char **argv)
{
    struct sockaddr_in tsa, usa;
    long ticks = argc > 1 ? atol(argv[1]) : 100, interval = argc > 2 ? atol(argv[2]) : 100;
    int lfd = bound(SOCK_STREAM, &tsa), ufd = bound(SOCK_DGRAM, &usa);
    if (listen(lfd, 8) < 0)
        return 3;
    printf("ready tcp=%d udp=%d\n", ntohs(tsa.sin_port), ntohs(usa.sin_port));
    fflush(stdout);
    for (long t = 1; t <= ticks; t++) {
        char msg[64], got[64] = "";
        int ml = snprintf(msg, sizeof(msg), "ping %ld", t);
        sendto(ufd, msg, (size_t)ml, 0, (struct sockaddr *)&usa, sizeof(usa));
        struct pollfd p[2] = { { .fd = lfd, .events = POLLIN }, { .fd = ufd, .events = POLLIN } };
        long waited = 0;
        int udp_ok = 0;
        while (waited < interval) {
            struct timespec a, b;
            clock_gettime(CLOCK_MONOTONIC, &a);
            if (poll(p, 2, (int)(interval - waited)) > 0) {
                if (p[0].revents & POLLIN) {
                    int c = accept(lfd, NULL, NULL);
                    if (c >= 0) {
                        char hello[64];
                        int hl = snprintf(hello, sizeof(hello), "hello tick=%ld\n", t);
                        if (write(c, hello, (size_t)hl) < 0)
                            perror("write");
                        close(c);
                    }
                }
                if (p[1].revents & POLLIN) {
                    ssize_t r = recv(ufd, got, sizeof(got) - 1, 0);
                    if (r > 0) {
                        got[r] = '\0';
                        udp_ok = udp_ok || strcmp(got, msg) == 0;
                    }
                }
            }
            clock_gettime(CLOCK_MONOTONIC, &b);
            waited += (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
        }
        printf("tick %ld udp=%s\n", t, udp_ok ? "ok" : "lost");
        fflush(stdout);
    }
    printf("done\n");
    return 0;
}
