/* Frames: length, MAC, and the one incremental frame reader (lib/protocol.h, "FRAME"). */
#include "lib/protocol.h"
#include "lib/pbs_error.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

/* --- keys and MAC ---------------------------------------------------------------- */

int proto_key_load(struct proto_key *k, const char *path, char *err, size_t errlen)
{
	k->key = NULL;
	k->len = 0;
	return key_load(path, &k->key, &k->len, err, errlen);
}

void proto_key_free(struct proto_key *k)
{
	if (k->key) {
		OPENSSL_cleanse(k->key, k->len);
		free(k->key);
	}
	k->key = NULL;
	k->len = 0;
}

/* HMAC-SHA256 over the 4 length bytes then the body. 0 or -1. */
static int frame_mac(const struct proto_key *key, const unsigned char hdr[PROTO_HDR_LEN],
		     const char *body, size_t len, unsigned char out[PROTO_MAC_LEN])
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = NULL;
	OSSL_PARAM params[2];
	size_t outl = 0;
	int rc = -1;

	if (!mac)
		goto out;
	ctx = EVP_MAC_CTX_new(mac);
	if (!ctx)
		goto out;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (!EVP_MAC_init(ctx, key->key, key->len, params) ||
	    !EVP_MAC_update(ctx, hdr, PROTO_HDR_LEN) ||
	    !EVP_MAC_update(ctx, (const unsigned char *)body, len) ||
	    !EVP_MAC_final(ctx, out, &outl, PROTO_MAC_LEN) || outl != PROTO_MAC_LEN)
		goto out;
	rc = 0;
out:
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return rc;
}

static int has_key(const struct proto_key *key)
{
	return key && key->key && key->len;
}

void proto_frame_body(struct buf *out, const char *body, size_t len, const struct proto_key *key)
{
	unsigned char hdr[PROTO_HDR_LEN], mac[PROTO_MAC_LEN];
	uint32_t n = htonl((uint32_t)len);

	memcpy(hdr, &n, sizeof(hdr));
	buf_append(out, hdr, sizeof(hdr));
	if (has_key(key)) {
		if (frame_mac(key, hdr, body, len, mac) < 0)
			memset(mac, 0, sizeof(mac));   /* the peer will refuse it */
		buf_append(out, mac, sizeof(mac));
	}
	buf_append(out, body, len);
}

void proto_frame_msg(struct buf *out, const struct pbs_msg *m, const struct proto_key *key)
{
	struct buf body;

	buf_init(&body);
	proto_encode(m, &body);
	proto_frame_body(out, body.data, body.len, key);
	buf_free(&body);
}

/* --- the one decoder of frames ------------------------------------------------------ */

void proto_reader_init(struct proto_reader *r, const struct proto_key *key)
{
	buf_init(&r->in);
	r->key = key;
}

void proto_reader_free(struct proto_reader *r)
{
	buf_free(&r->in);
}

int proto_reader_next(struct proto_reader *r, int eof, struct pbs_msg *m, int *pbse,
		      char *err, size_t errlen)
{
	size_t maclen = has_key(r->key) ? PROTO_MAC_LEN : 0, total;
	unsigned char mac[PROTO_MAC_LEN];
	uint32_t n;
	int rc;

	*pbse = 0;
	if (r->in.len < PROTO_HDR_LEN) {
		if (eof && r->in.len) {
			*pbse = PBSE_PREMATURE_EOF;
			snprintf(err, errlen, "connection closed inside a frame header");
			msg_init(m);
			return PROTO_FATAL;
		}
		return PROTO_MORE;
	}
	memcpy(&n, r->in.data, sizeof(n));
	n = ntohl(n);
	if (n > PROTO_MAX_BODY) {
		*pbse = PBSE_PROTOCOL;
		snprintf(err, errlen, "message of %u bytes exceeds the limit of %u", n,
			 PROTO_MAX_BODY);
		msg_init(m);
		return PROTO_FATAL;
	}
	total = PROTO_HDR_LEN + maclen + n;
	if (r->in.len < total) {
		if (eof) {
			*pbse = PBSE_PREMATURE_EOF;
			snprintf(err, errlen, "connection closed after %zu of %zu bytes of a frame",
				 r->in.len, total);
			msg_init(m);
			return PROTO_FATAL;
		}
		return PROTO_MORE;
	}
	if (maclen) {
		if (frame_mac(r->key, (const unsigned char *)r->in.data,
			      r->in.data + PROTO_HDR_LEN + maclen, n, mac) < 0 ||
		    CRYPTO_memcmp(mac, r->in.data + PROTO_HDR_LEN, maclen)) {
			*pbse = PBSE_BADCRED;
			snprintf(err, errlen, "message authentication failed");
			msg_init(m);
			return PROTO_FATAL;
		}
	}
	rc = proto_decode(r->in.data + PROTO_HDR_LEN + maclen, n, m, err, errlen);
	buf_consume(&r->in, total);
	if (rc) {
		*pbse = rc;
		return PROTO_BAD;
	}
	return PROTO_MSG;
}

