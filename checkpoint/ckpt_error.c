/* Error reporting and BLCR's classification of restart failures. */
#include "checkpoint/libckpt.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void ckpt_err_clear(struct ckpt_err *e)
{
    e->code = 0;
    e->cls = CKPT_OK;
    e->msg[0] = '\0';
}

static int vset(struct ckpt_err *e, int code, enum ckpt_class cls, const char *fmt, va_list ap)
{
    e->code = code ? code : EIO;
    e->cls = cls;
    vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
    return -1;
}

int ckpt_err_set(struct ckpt_err *e, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vset(e, code, ckpt_classify(code ? code : EIO), fmt, ap);
    va_end(ap);
    return -1;
}

int ckpt_err_setc(struct ckpt_err *e, int code, enum ckpt_class cls, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vset(e, code, cls, fmt, ap);
    va_end(ap);
    return -1;
}

/* BLCR's cr_restart (util/cr_restart/cr_restart.c, failure()): temporary =
 * ENOMEM, EBUSY ("PID in use"); environmental = EACCES, EPERM, ENOENT,
 * EEXIST, EISDIR, ENOTDIR; every other errno, known or not, is permanent.
 * Two codes BLCR never produced are ckmig's own and environmental, since a
 * person can put them right: ESTALE (a file the job had open changed after
 * the checkpoint) and ENOKEY (this node lacks the checkpoint key).  Argument
 * failures are classified where they are detected (ckpt_err_setc). */
enum ckpt_class ckpt_classify(int code)
{
    switch (code) {
    case 0:
        return CKPT_OK;
    case ENOMEM:
    case EBUSY:
        return CKPT_FAIL_TEMP;
    case EACCES:
    case EPERM:
    case ENOENT:
    case EEXIST:
    case EISDIR:
    case ENOTDIR:
    case ESTALE:
    case ENOKEY:
        return CKPT_FAIL_ENV;
    default:
        return CKPT_FAIL_PERM;
    }
}

/* Words Torque's contrib/blcr restart script puts into checkpoint_restart_status. */
const char *ckpt_class_name(enum ckpt_class cls)
{
    switch (cls) {
    case CKPT_OK:        return "Success";
    case CKPT_FAIL_ARGS: return "Argument";
    case CKPT_FAIL_TEMP: return "Temporary";
    case CKPT_FAIL_ENV:  return "Environment";
    case CKPT_FAIL_PERM: return "Permanent";
    }
    return "General";
}
