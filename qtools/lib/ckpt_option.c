/* The -c (Checkpoint) option as qsub and qalter accept it. Torque's rule
 * (cmds/qsub_functions.c): each comma separated item, up to '=', must be
 * one of the known words; an item matches when it starts with the word
 * and the next character is not a letter. */
#include "qtools/lib/cmds.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static const char *const ckpt_words[] = {
	"n", "c", "s", "u", "none", "shutdown", "periodic", "enabled",
	"interval", "depth", "dir", NULL
};

const char *ckpt_item_find(const char *csv, const char *key)
{
	size_t klen = strlen(key);
	const char *item = csv;

	while (item) {
		const char *p = item;

		while (isspace((unsigned char)*p))
			p++;
		if (strncmp(p, key, klen) == 0 && !isalpha((unsigned char)p[klen]))
			return p;
		item = strchr(item, ',');
		if (item)
			item++;
	}
	return NULL;
}

static int is_uint(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}

/* key (one of ckpt_words, exactly: every word is letters only, so Torque's
 * prefix-then-non-letter match is an exact match) and its value */
static int item_valid(const char *item, size_t len)
{
	char buf[256];
	char *eq, *end;
	int i;

	if (len >= sizeof(buf))
		return 0;
	memcpy(buf, item, len);
	buf[len] = '\0';
	eq = strchr(buf, '=');
	end = eq ? eq : buf + len;
	while (end > buf && end[-1] == ' ')  /* Torque trims blanks before '=' */
		*--end = '\0';
	if (eq)
		*eq = '\0';
	for (i = 0; ckpt_words[i]; i++)
		if (strcmp(buf, ckpt_words[i]) == 0)
			break;
	if (ckpt_words[i] == NULL)
		return 0;
	if (eq == NULL)
		return strcmp(buf, "interval") && strcmp(buf, "depth") && strcmp(buf, "dir");
	eq++;
	while (*eq == ' ')
		eq++;
	if (strcmp(buf, "c") == 0 || strcmp(buf, "interval") == 0 || strcmp(buf, "depth") == 0)
		return is_uint(eq);
	if (strcmp(buf, "dir") == 0)
		return *eq != '\0';
	return 0;  /* n=, s=, none=, enabled=... take no value */
}

int ckpt_option_valid(const char *value)
{
	const char *p = value;

	while (value && isspace((unsigned char)*p))
		p++;
	if (value == NULL || *p == '\0')
		return -1;
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);

		if (!item_valid(p, len))
			return -1;
		if (!comma)
			return 0;
		p = comma + 1;
	}
}
