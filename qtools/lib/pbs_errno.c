/* pbs_errno and pbs_strerror, as Torque's libpbs exports them. The texts
 * are lib/pbs_error's, shared with the server, so client and server word
 * an error alike. */
#include "qtools/lib/pbs_ifl.h"

#include <string.h>

int pbs_errno;

const char *pbs_strerror(int err)
{
	if (err >= 15000)
		return pbse_to_txt(err);
	if (err == 0)
		return pbse_to_txt(PBSE_NONE);
	return strerror(err);
}
