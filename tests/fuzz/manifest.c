/* libFuzzer target: the checkpoint manifest parser (ckpt_manifest_parse).
 * cr_restart and restart_script parse manifest.xml from a directory the
 * job's owner may write, before its MAC is checked, so every byte here is
 * the user's.
 *
 * A manifest that parses is written again (ckpt_manifest_to_xml) and must
 * parse to the same canonical text, the bytes its MAC covers: what
 * cr_checkpoint writes, cr_restart reads back. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint/ckpt_internal.h"
#include "checkpoint/libckpt.h"

static const unsigned char key[CKPT_KEY_LEN] = "ckmig-fuzz-checkpoint-key-01234";

static void round_trip(const struct ckpt_manifest *m)
{
	struct ckpt_manifest m2;
	struct ckpt_err e;
	size_t xlen = 0, c1len = 0, c2len = 0;
	char *xml = ckpt_manifest_to_xml(m, &xlen), *c1, *c2;

	memset(&e, 0, sizeof(e));
	if (!xml)
		abort();
	if (ckpt_manifest_parse(xml, xlen, &m2, &e) < 0) {
		fprintf(stderr, "written manifest does not parse: %s\n%.*s\n", e.msg, (int)xlen,
			xml);
		abort();
	}
	c1 = ckpt_manifest_canonical(m, &c1len);
	c2 = ckpt_manifest_canonical(&m2, &c2len);
	if (!c1 || !c2 || c1len != c2len || memcmp(c1, c2, c1len) ||
	    memcmp(m->mac, m2.mac, sizeof(m->mac))) {
		fprintf(stderr, "manifest changed on the way through XML:\n%s\n---\n%s\n",
			c1 ? c1 : "?", c2 ? c2 : "?");
		abort();
	}
	(void)ckpt_manifest_mac_ok(&m2, key);
	free(c1);
	free(c2);
	free(xml);
	ckpt_manifest_free(&m2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ckpt_manifest m;
	struct ckpt_err e;

	memset(&e, 0, sizeof(e));
	if (ckpt_manifest_parse((const char *)data, size, &m, &e) == 0) {
		round_trip(&m);
		ckpt_manifest_free(&m);
	}
	return 0;
}
