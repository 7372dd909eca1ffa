/* Base64 (see base64.h). */
#include "lib/base64.h"
#include "lib/util.h"

#include <string.h>

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *base64_encode(const unsigned char *in, size_t n)
{
	char *out = xmalloc(4 * ((n + 2) / 3) + 1), *o = out;
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];

		*o++ = alphabet[v >> 18];
		*o++ = alphabet[(v >> 12) & 63];
		*o++ = alphabet[(v >> 6) & 63];
		*o++ = alphabet[v & 63];
	}
	if (i < n) {
		unsigned v = (unsigned)in[i] << 16 | (i + 1 < n ? (unsigned)in[i + 1] << 8 : 0);

		*o++ = alphabet[v >> 18];
		*o++ = alphabet[(v >> 12) & 63];
		*o++ = i + 1 < n ? alphabet[(v >> 6) & 63] : '=';
		*o++ = '=';
	}
	*o = '\0';
	return out;
}

static int value(char c)
{
	const char *p = c ? strchr(alphabet, c) : NULL;

	return p ? (int)(p - alphabet) : -1;
}

long base64_decode(const char *in, unsigned char *out, size_t room)
{
	size_t n = strlen(in), i, k = 0;

	if (n % 4)
		return -1;
	for (i = 0; i < n; i += 4) {
		int pad = (in[i + 3] == '=') + (in[i + 2] == '=');
		int a = value(in[i]), b = value(in[i + 1]);
		int c = in[i + 2] == '=' ? 0 : value(in[i + 2]);
		int d = in[i + 3] == '=' ? 0 : value(in[i + 3]);
		unsigned v;

		if (a < 0 || b < 0 || c < 0 || d < 0 || (pad && i + 4 != n) ||
		    (in[i + 2] == '=' && in[i + 3] != '=') || k + 3 - (size_t)pad > room)
			return -1;
		v = (unsigned)a << 18 | (unsigned)b << 12 | (unsigned)c << 6 | (unsigned)d;
		out[k++] = (unsigned char)(v >> 16);
		if (pad < 2)
			out[k++] = (unsigned char)(v >> 8);
		if (pad < 1)
			out[k++] = (unsigned char)v;
	}
	return (long)k;
}
