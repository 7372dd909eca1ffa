/* pbs_submit: QueueJob(1) with the job's attributes and its script. The
 * server answers with the new job's id. */
#include "qtools/lib/pbs_client.h"
#include "lib/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Scripts larger than this are refused here, before the frame limit. */
#define SCRIPT_MAX (8 * 1024 * 1024)

char *pbs_submit_buf(int connect, struct attropl *attrib, const char *script_text,
		     const char *destination, const char *extend)
{
	struct client_request rq = { .type = CLIENT_QueueJob, .attrs = attrib,
				     .script = script_text ? script_text : "" };
	struct client_reply rp;
	char *id = NULL;

	client_arg(&rq, "destination", (destination && *destination) ? destination : NULL);
	client_arg(&rq, "extend", extend);
	if (client_request(connect, &rq, &rp) == 0) {
		if (rp.objs && rp.objs->name)
			id = xstrdup(rp.objs->name);
		else if (rp.text && *rp.text)
			id = xstrdup(rp.text);
		else
			pbs_errno = PBSE_PROTOCOL;
	}
	client_reply_free(&rp);
	return id;
}

char *pbs_submit(int connect, struct attropl *attrib, const char *script,
		 const char *destination, const char *extend)
{
	char *text = NULL, *id = NULL;
	size_t len;

	if (script == NULL || read_file(script, SCRIPT_MAX, &text, &len) < 0) {
		pbs_errno = PBSE_BADSCRIPT;
		goto out;
	}
	if (memchr(text, '\0', len)) {
		pbs_errno = PBSE_BADSCRIPT;
		goto out;
	}
	id = pbs_submit_buf(connect, attrib, text, destination, extend);
out:
	free(text);
	return id;
}
