/* ckpt_info [-x] [-q] CHECKPOINT...   print a checkpoint's manifest and
 *                                     whether it verifies
 * ckpt_info --keep N DIR [PREFIX]     retention: keep the newest N */
#include "checkpoint/ckpt_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: ckpt_info [-x] [-q] CHECKPOINT...\n"
               "       ckpt_info --keep N DIR [PREFIX]\n"
               "Prints a checkpoint's manifest (-x: as XML) and checks its MAC and image\n"
               "hashes (needs root: the key is root's).  Exit 0 when every CHECKPOINT\n"
               "verifies, else the errno of the first failure.\n"
               "--keep deletes all but the newest N complete checkpoints in DIR whose\n"
               "names start with PREFIX, and temporaries left by interrupted ones.\n");
}

static void human_size(long long n, char *out, size_t len)
{
    if (n >= (1LL << 30))
        snprintf(out, len, "%.1f GiB", n / (double)(1LL << 30));
    else if (n >= (1LL << 20))
        snprintf(out, len, "%.1f MiB", n / (double)(1LL << 20));
    else
        snprintf(out, len, "%lld bytes", n);
}

static void print_human(const char *path, const struct ckpt_manifest *m)
{
    char when[64], sz[32];
    time_t t = (time_t)m->time;
    long long total = 0;
    strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", gmtime(&t));
    for (size_t i = 0; i < m->nimages; i++)
        total += m->images[i].size;
    human_size(total, sz, sizeof(sz));
    printf("checkpoint  %s\n", path);
    printf("format      %d\n", m->version);
    printf("job         %s (uid %u, gid %u)\n", m->jobid ? m->jobid : "-", (unsigned)m->uid,
           (unsigned)m->gid);
    printf("taken       %s on %s\n", when, m->host ? m->host : "?");
    printf("criu        %s, kernel %s\n", m->criu_version ? m->criu_version : "?",
           m->kernel ? m->kernel : "?");
    if (m->requester)
        printf("requested   by the job itself (its process %d)\n", (int)m->requester);
    printf("open files  %zu\n", m->nfiles);
    for (size_t i = 0; i < m->nfiles; i++)
        if (m->files[i].dir)
            printf("  %s (working directory)\n", m->files[i].path);
        else
            printf("  %s (%lld bytes)\n", m->files[i].path, m->files[i].size);
    printf("images      %zu files, %s, digests %s\n", m->nimages, sz, ckpt_hash_alg_name(m->hash_alg));
}

/* The manifest as written (not verified) and, when the key can be read,
 * the verdict, both through one descriptor: the caller may be root, the
 * checkpoint the job owner's, who could put a link, a FIFO or another
 * checkpoint in its place between two opens by name.  What is shown is
 * the manifest that verified, when one did. */
static int info(const char *path, bool xml, bool quiet)
{
    struct ckpt_manifest m, vm;
    struct ckpt_err e, ve;
    struct ckpt_source src;
    struct stat st;
    unsigned char key[CKPT_KEY_LEN];
    int rc = -1;

    ckpt_err_clear(&e);
    ckpt_err_clear(&ve);
    memset(&src, 0, sizeof(src));
    int parent = -1;
    int fd = ckpt_checkpoint_open(path, src.shown, &st, &parent, &e);
    if (fd < 0 || (S_ISDIR(st.st_mode) ? ckpt_manifest_read_at(fd, src.shown, &m, &e)
                                        : ckpt_archive_manifest_fd(fd, src.shown, &m, &e)) < 0) {
        if (fd >= 0)
            close(fd);
        if (parent >= 0)
            close(parent);
        fprintf(stderr, "ckpt_info: %s: %s\n", path, e.msg);
        return e.code;
    }
    if (ckpt_key_load(ckpt_key_path(false), false, key, &ve) < 0) {
        close(fd);
        close(parent);
    } else if (ckpt_source_fd(fd, parent, &st, false, &src, &ve) == 0) {
        rc = ckpt_verify_fd(src.dfd, src.shown, key, &vm, NULL, NULL, &ve);
        ckpt_source_close(&src);
    }
    explicit_bzero(key, sizeof(key));
    const struct ckpt_manifest *shown = rc == 0 ? &vm : &m;
    if (!quiet) {
        if (xml) {
            size_t len = 0;
            char *x = ckpt_manifest_to_xml(shown, &len);
            if (x)
                fwrite(x, 1, len, stdout);
            free(x);
        } else {
            print_human(path, shown);
        }
    }
    if (rc == 0) {
        fprintf(xml ? stderr : stdout, "verified    yes (MAC and %zu image hashes)\n", vm.nimages);
        ckpt_manifest_free(&vm);
    } else {
        fprintf(xml ? stderr : stdout, "verified    NO: %s\n", ve.msg);
    }
    ckpt_manifest_free(&m);
    return rc == 0 ? 0 : ve.code;
}

int main(int argc, char **argv)
{
    bool xml = false, quiet = false;
    int i = 1, rc = 0;

    if (argc >= 2 && !strcmp(argv[1], "--keep")) {
        struct ckpt_err e;
        char *end;
        long keep = argc >= 4 ? strtol(argv[2], &end, 10) : 0;
        if (argc < 4 || argc > 5 || *end || keep < 1) {
            usage(stderr);
            return 255;
        }
        ckpt_err_clear(&e);
        int n = ckpt_retain(argv[3], argc == 5 ? argv[4] : NULL, (int)keep, &e);
        if (n < 0) {
            fprintf(stderr, "ckpt_info: %s\n", e.msg);
            return e.code;
        }
        printf("deleted %d\n", n);
        return 0;
    }
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "-x"))
            xml = true;
        else if (!strcmp(argv[i], "-q"))
            quiet = true;
        else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(argv[i], "--version")) {
            printf("ckpt_info: %s\n", CKPT_VERSION_STRING);
            return 0;
        } else {
            fprintf(stderr, "ckpt_info: unknown option %s\n", argv[i]);
            usage(stderr);
            return 255;
        }
    }
    if (i >= argc) {
        usage(stderr);
        return 255;
    }
    for (; i < argc; i++) {
        int r = info(argv[i], xml, quiet);
        if (r && !rc)
            rc = r;
    }
    return rc > 0 && rc < 255 ? rc : rc ? 1 : 0;
}
