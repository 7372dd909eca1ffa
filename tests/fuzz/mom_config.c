/* libFuzzer target: mom_priv/config (mom/parse_config.c), and the two
 * lookups the MOM makes in what it parsed: $remote_checkpoint_dirs for a
 * migration and $usecp for output delivery. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mom/parse_config.h"

static void no_warning(void *arg, int line, const char *msg)
{
	(void)arg;
	(void)line;
	(void)msg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const paths[] = { "/var/spool/ckmig-shared/42.head.CK", "/", "",
					     "/home/ckmiga/out.OU" };
	struct mom_config c;
	char *text = malloc(size + 1), err[512];
	size_t i;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	mom_config_init(&c);
	if (mom_config_parse(&c, text, no_warning, NULL, err, sizeof(err)) == 0) {
		for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
			char *p = mom_config_usecp_map(&c, "head.cluster", paths[i]);

			(void)mom_config_is_remote_dir(&c, paths[i]);
			free(p);
		}
	}
	mom_config_free(&c);
	free(text);
	return 0;
}
