/* Job ids, destinations and run locations as users and schedulers write
 * them (Torque's Libcmds parse_jobid / parse_destination_id). */
#include "qtools/lib/cmds.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_host_char(int c)
{
	return isalnum(c) || c == '-' || c == '_' || c == '.';
}

static int copy_out(char *dst, size_t dlen, const char *src, size_t n)
{
	if (n >= dlen)
		return -1;
	memcpy(dst, src, n);
	dst[n] = '\0';
	return 0;
}

int parse_jobid(const char *id, char *seq, size_t seqlen, char *server, size_t serverlen)
{
	const char *p = id, *dot, *c;
	size_t n;

	if (id == NULL)
		return -1;
	while (*p == ' ')
		p++;
	n = strspn(p, "0123456789");
	if (n == 0)
		return -1;
	c = p + n;
	if (*c == '[') {  /* array index: kept as part of the sequence */
		const char *close = strchr(c, ']');

		if (close == NULL)
			return -1;
		c = close + 1;
	}
	if (*c != '\0' && *c != '.')
		return -1;
	if (copy_out(seq, seqlen, p, (size_t)(c - p)) < 0)
		return -1;
	dot = *c == '.' ? c + 1 : NULL;
	if (dot) {
		if (*dot == '\0')
			return -1;
		for (c = dot; *c; c++)
			if (!is_host_char((unsigned char)*c))
				return -1;
		return copy_out(server, serverlen, dot, strlen(dot));
	}
	return copy_out(server, serverlen, "", 0);
}

char *jobid_full(const char *id, const char *server_name)
{
	char seq[64], server[256];

	if (parse_jobid(id, seq, sizeof(seq), server, sizeof(server)) < 0)
		return NULL;
	if (server[0] || server_name == NULL || *server_name == '\0')
		return xasprintf("%s%s%s", seq, server[0] ? "." : "", server);
	return xasprintf("%s.%s", seq, server_name);
}

int parse_destination_id(const char *dest, char *queue, size_t qlen, char *server, size_t slen)
{
	const char *at = strchr(dest, '@');
	size_t ql = at ? (size_t)(at - dest) : strlen(dest);
	const char *c;

	for (c = dest; c < dest + ql; c++)
		if (!is_host_char((unsigned char)*c))
			return -1;
	if (at) {
		if (at[1] == '\0')
			return -1;
		for (c = at + 1; *c; c++)
			if (!is_host_char((unsigned char)*c) && *c != ':')
				return -1;
	}
	if (ql == 0 && at == NULL)
		return -1;
	if (copy_out(queue, qlen, dest, ql) < 0)
		return -1;
	return copy_out(server, slen, at ? at + 1 : "", at ? strlen(at + 1) : 0);
}

/* host[/N][:ppn=N|:prop]... */
static int check_run_element(const char *s, size_t len)
{
	size_t i = 0;

	if (len == 0)
		return -1;
	while (i < len && is_host_char((unsigned char)s[i]))
		i++;
	if (i == 0)
		return -1;
	if (i < len && s[i] == '/') {
		size_t d = ++i;

		while (i < len && isdigit((unsigned char)s[i]))
			i++;
		if (i == d)
			return -1;
	}
	while (i < len) {
		size_t start;

		if (s[i] != ':')
			return -1;
		start = ++i;
		while (i < len && (is_host_char((unsigned char)s[i]) || s[i] == '='))
			i++;
		if (i == start)
			return -1;
	}
	return 0;
}

int check_run_destination(const char *dest)
{
	const char *p = dest;

	if (dest == NULL || *dest == '\0')
		return -1;
	for (;;) {
		const char *plus = strchr(p, '+');
		size_t len = plus ? (size_t)(plus - p) : strlen(p);

		if (check_run_element(p, len) < 0)
			return -1;
		if (!plus)
			return 0;
		p = plus + 1;
	}
}
