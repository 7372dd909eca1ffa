/* Base64 (RFC 4648 alphabet, padded, no line breaks): binary inside the
 * XML bodies of the wire protocol (a node-local checkpoint's images going
 * from MOM to MOM, mom/mom_ckpt_xfer*.c). */
#ifndef CKMIG_LIB_BASE64_H
#define CKMIG_LIB_BASE64_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* n bytes as a NUL-terminated string (malloc'd; aborts when out of memory). */
char *base64_encode(const unsigned char *in, size_t n);
/* Decodes in into out (room bytes); the length, or -1 for anything but
 * canonical padded base64 or too little room. */
long base64_decode(const char *in, unsigned char *out, size_t room);

#ifdef __cplusplus
}
#endif
#endif
