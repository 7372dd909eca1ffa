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

/* BLCR's cr_restart: temp = ENOMEM, EBUSY; env = EACCES, EPERM, ENOENT,
 * EEXIST, EISDIR, ENOTDIR; everything else is permanent.  Argument failures
 * are classified where they are detected (ckpt_err_setc). */
enum ckpt_class ckpt_classify(int code)
{
    switch (code) {
    case 0:
        return CKPT_OK;
    case ENOMEM:
    case EBUSY:
    case EAGAIN:
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
