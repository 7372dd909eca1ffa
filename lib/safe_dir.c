/* See safe_dir.h. */
#include "lib/safe_dir.h"
#include "lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_LINKS 40    /* the kernel's own bound (MAXSYMLINKS) */

bool dir_entry_swappable(const struct stat *p, const struct stat *c)
{
	if (p->st_uid != 0)
		return true;
	if (!(p->st_mode & (S_IWGRP | S_IWOTH)))
		return false;
	return !(p->st_mode & S_ISVTX) || (c && c->st_uid != 0);
}

/* The link comp of dfd, if root alone can have put it there: its target
 * into target; else -1 with errno (ELOOP for a link a user could swap). */
static int trusted_link(int dfd, const char *comp, char *target, size_t len)
{
	struct stat pst, lst;
	ssize_t l;

	if (fstatat(dfd, comp, &lst, AT_SYMLINK_NOFOLLOW) < 0)
		return -1;
	if (!S_ISLNK(lst.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	if (fstat(dfd, &pst) < 0)
		return -1;
	if (dir_entry_swappable(&pst, &lst)) {
		errno = ELOOP;
		return -1;
	}
	l = readlinkat(dfd, comp, target, len - 1);
	if (l <= 0) {
		if (l == 0)
			errno = ENOENT;
		return -1;
	}
	target[l] = '\0';
	return 0;
}

int open_dir_noswap(const char *path, char *bad, size_t badlen)
{
	char *todo = xstrdup(path), *p = todo, comp[NAME_MAX + 1], target[PATH_MAX];
	struct buf at;          /* the directories walked so far, for messages */
	int dfd, links = 0, err = 0;

	buf_init(&at);
	if (bad && badlen)
		bad[0] = '\0';
	if (!*path) {
		free(todo);
		errno = ENOENT;
		return -1;
	}
	if (path[0] != '/')
		buf_puts(&at, ".");
	dfd = open(path[0] == '/' ? "/" : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		err = errno;
	while (dfd >= 0) {
		size_t n;
		int next;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		n = strcspn(p, "/");
		if (n > NAME_MAX) {
			err = ENAMETOOLONG;
			break;
		}
		memcpy(comp, p, n);
		comp[n] = '\0';
		p += n;
		if (!strcmp(comp, "."))
			continue;
		buf_printf(&at, "/%s", comp);
		next = openat(dfd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next >= 0) {
			close(dfd);
			dfd = next;
			continue;
		}
		err = errno;
		if ((err != ELOOP && err != ENOTDIR) ||
		    trusted_link(dfd, comp, target, sizeof(target)) < 0) {
			if (err == ELOOP || err == ENOTDIR)
				err = errno;
			break;
		}
		if (++links > MAX_LINKS) {
			err = ELOOP;
			break;
		}
		/* walk the link's target, then what was left after it */
		char *next_todo = xasprintf("%s/%s", target, p);

		free(todo);
		todo = p = next_todo;
		err = 0;
		if (target[0] == '/') {
			close(dfd);
			buf_reset(&at);
			dfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (dfd < 0)
				err = errno;
		} else {
			/* the link's own name is not a directory walked */
			char *slash = strrchr(at.data, '/');

			at.len = (size_t)(slash - at.data);
			at.data[at.len] = '\0';
		}
	}
	if (err && dfd >= 0) {
		close(dfd);
		dfd = -1;
	}
	if (err && bad && badlen)
		snprintf(bad, badlen, "%s", at.len ? at.data : path);
	buf_free(&at);
	free(todo);
	errno = err;
	return dfd;
}
