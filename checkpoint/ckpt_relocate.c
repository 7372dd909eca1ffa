/* cr_restart --relocate OLD=NEW: BLCR's rules (whole leading components,
 * "\=" escapes an '=', the first match wins). */
#include "checkpoint/libckpt.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static char *unescape(const char *s, size_t n)
{
    char *out = malloc(n + 1), *o = out;
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\\' && i + 1 < n && (s[i + 1] == '=' || s[i + 1] == '\\'))
            i++;
        *o++ = s[i];
    }
    *o = '\0';
    /* "/a/b/" and "/a/b" name the same prefix */
    while (o - out > 1 && o[-1] == '/')
        *--o = '\0';
    return out;
}

int ckpt_parse_relocation(const char *arg, struct ckpt_relocation *r, struct ckpt_err *e)
{
    const char *eq = NULL;
    for (const char *p = arg; *p; p++) {
        if (*p == '\\' && p[1]) {
            p++;
            continue;
        }
        if (*p == '=') {
            if (eq)
                return ckpt_err_setc(e, EINVAL, CKPT_FAIL_ARGS,
                                     "bad --relocate %s: more than one unescaped '='", arg);
            eq = p;
        }
    }
    if (!eq || eq == arg || !eq[1])
        return ckpt_err_setc(e, EINVAL, CKPT_FAIL_ARGS, "bad --relocate %s: want OLD=NEW", arg);
    r->from = unescape(arg, (size_t)(eq - arg));
    r->to = unescape(eq + 1, strlen(eq + 1));
    if (!r->from || !r->to || r->from[0] != '/' || r->to[0] != '/') {
        free(r->from);
        free(r->to);
        r->from = r->to = NULL;
        return ckpt_err_setc(e, EINVAL, CKPT_FAIL_ARGS,
                             "bad --relocate %s: OLD and NEW must be absolute paths", arg);
    }
    return 0;
}

char *ckpt_relocate(const char *path, const struct ckpt_relocation *r, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t fl = strlen(r[i].from);
        if (!strcmp(r[i].from, "/"))
            fl = 0;
        if (strncmp(path, r[i].from, fl) != 0 || (path[fl] != '/' && path[fl] != '\0'))
            continue;
        size_t tl = strlen(r[i].to);
        char *out = malloc(tl + strlen(path + fl) + 2);
        if (!out)
            return NULL;
        strcpy(out, r[i].to);
        if (tl == 1 && path[fl] == '/')
            out[0] = '\0';  /* NEW is "/": avoid a double slash */
        strcat(out, path + fl);
        return out;
    }
    return strdup(path);
}
