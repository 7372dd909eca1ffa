/* Preloaded into CRIU by libckpt only where root lacks CAP_SYS_RESOURCE
 * (containers, sandboxes).  There the kernel lets CRIU read another user's
 * rlimits (prlimit) only if CRIU's real uid and gid equal the task's, so
 * CRIU must run with the job owner's real ids and root's effective ones.
 * The switch happens here, after exec, because an exec with differing real
 * and effective ids turns on the loader's secure mode and makes shells drop
 * privileges; and getuid()/getgid() keep answering 0 so that CRIU's own
 * checks (and the libraries it uses) behave as under plain root. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static int switched;

__attribute__((constructor)) static void ckpt_switch_ids(void)
{
    const char *ids = getenv("CKMIG_CRIU_RUID");
    const char *name = program_invocation_short_name;
    unsigned long uid, gid;
    char *end;

    if (!ids || !name || strcmp(name, "criu") != 0)
        return;
    uid = strtoul(ids, &end, 10);
    if (*end != ':')
        return;
    gid = strtoul(end + 1, &end, 10);
    if (*end)
        return;
    if (syscall(SYS_setresgid, (gid_t)gid, 0, 0) == 0 && syscall(SYS_setresuid, (uid_t)uid, 0, 0) == 0)
        switched = 1;
}

uid_t getuid(void)
{
    return switched ? 0 : (uid_t)syscall(SYS_getuid);
}

gid_t getgid(void)
{
    return switched ? 0 : (gid_t)syscall(SYS_getgid);
}
