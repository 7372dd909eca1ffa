/* The job owner's file-system identity (fsuid, fsgid and that user's
 * groups), for root's opens on the owner's behalf: what the owner names is
 * reached with the owner's rights, never with root's. */
#include "checkpoint/ckpt_internal.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <unistd.h>

int ckpt_become_owner(uid_t uid, gid_t gid, struct ckpt_owner_ids *sv, struct ckpt_err *e)
{
    gid_t groups[256];
    int ng = 256;
    struct passwd *pw = getpwuid(uid);

    sv->changed = false;
    sv->ngroups = getgroups(256, sv->groups);
    if (sv->ngroups < 0)
        return ckpt_err_set(e, errno, "getgroups: %s", strerror(errno));
    if (!pw || getgrouplist(pw->pw_name, gid, groups, &ng) < 0) {
        groups[0] = gid;
        ng = 1;
    }
    if (setgroups((size_t)ng, groups) < 0)
        return ckpt_err_set(e, errno, "cannot take the job owner's groups: %s", strerror(errno));
    sv->changed = true;
    setfsgid(gid);
    setfsuid(uid);
    /* setfsuid reports the old id whatever happens: ask again. */
    if ((uid_t)setfsuid((uid_t)-1) != uid || (gid_t)setfsgid((gid_t)-1) != gid)
        return ckpt_err_set(e, EPERM, "cannot take the job owner's ids (uid %u, gid %u)",
                            (unsigned)uid, (unsigned)gid);
    return 0;
}

void ckpt_become_root(struct ckpt_owner_ids *sv)
{
    if (!sv->changed)
        return;
    setfsuid(geteuid());
    setfsgid(getegid());
    if (setgroups((size_t)sv->ngroups, sv->groups) < 0)
        abort();    /* never go on with the owner's groups as root */
    sv->changed = false;
}
