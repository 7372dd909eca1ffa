/* qmgr's command language, the subset ckmig's server understands:
 *   create|delete|set|unset|list|print  server|queue|node  [name]
 *       [attr[.resource] =|+=|-= value [, ...]]     (set, create)
 *       [attr[, attr]...]                            (unset, list)
 * Words may be abbreviated to their first letter as in Torque's qmgr
 * (c, d, s, u, l, p; s, q, n). */
#ifndef CKMIG_QTOOLS_QMGR_PARSE_H
#define CKMIG_QTOOLS_QMGR_PARSE_H

#include <stddef.h>
#include "qtools/lib/pbs_ifl.h"

#ifdef __cplusplus
extern "C" {
#endif

struct qmgr_cmd {
	int command;             /* MGR_CMD_* */
	int objtype;             /* MGR_OBJ_* */
	char *name;              /* queue/node name, or NULL */
	struct attropl *attrs;   /* ops SET, INCR, DECR; UNSET/list: names only */
};

/* Parse one line. Returns 1 with cmd filled, 0 for an empty line or a
 * comment, 2 for quit/exit, -1 with a message in err. */
int qmgr_parse(const char *line, struct qmgr_cmd *cmd, char *err, size_t errlen);
void qmgr_cmd_free(struct qmgr_cmd *cmd);

#ifdef __cplusplus
}
#endif
#endif
