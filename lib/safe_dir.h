/* Directories root works in on behalf of users who must not be trusted:
 * which entries a user could swap, and opening a directory by path so
 * that no link a user could have put on the way is ever followed.  The
 * fd it returns is then the only way root reaches that directory (the
 * *at() calls): a name swapped later cannot redirect anything. */
#ifndef CKMIG_LIB_SAFE_DIR_H
#define CKMIG_LIB_SAFE_DIR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Could a user other than root replace (rename, unlink, swap for a link)
 * the entry c of directory p?  p's owner can; anyone who may write p can,
 * unless p is sticky and c is root's.  c NULL: an entry root is about to
 * make (root's, so a sticky p protects it). */
bool dir_entry_swappable(const struct stat *p, const struct stat *c);

/* Opens the directory path (absolute, or relative to the working
 * directory) one component at a time without following links, except a
 * link nobody but root can have put where it is (dir_entry_swappable
 * false for it: an operator's /var/run -> /run), whose target is walked
 * by the same rule.  Returns an O_RDONLY|O_DIRECTORY fd, or -1 with errno;
 * ELOOP: a link a user could have put there (or too many links), and bad
 * (if given) names it. */
int open_dir_noswap(const char *path, char *bad, size_t badlen);

#ifdef __cplusplus
}
#endif
#endif
