/* The -c (Checkpoint) option as qsub and qalter accept it: the one parser
 * in lib/ckpt_option.c, which the server and the MOM use too, so what
 * qsub takes means the same at every step. */
#include "qtools/lib/cmds.h"
#include "lib/ckpt_option.h"

#include <stdio.h>

int ckpt_option_check(const char *value, char *dir, size_t dirlen, char *why, size_t whylen)
{
	struct ckpt_opts o;

	if (value == NULL || ckpt_opts_parse(value, &o, why, whylen) < 0)
		return -1;
	if (!o.none && !o.u && !ckpt_checkpointable(&o) && !o.dir[0] && !o.depth && !o.interval) {
		snprintf(why, whylen, "empty checkpoint list");
		return -1;
	}
	if (dir)
		snprintf(dir, dirlen, "%s", o.dir);
	return 0;
}

int ckpt_option_valid(const char *value)
{
	char why[256];

	return ckpt_option_check(value, NULL, 0, why, sizeof(why));
}
