/* Frames and sessions: length, MAC, the handshake that makes every TCP
 * connection a session of its own, and the one incremental frame reader
 * (lib/protocol.h, "FRAME" and "SESSION").
 *
 * For a fuzz target or a unit test the reader is a pure function of a
 * byte buffer:
 *     struct proto_session s; struct proto_reader r;
 *     proto_session_init(&s, NULL, PROTO_ACCEPTOR);        (Unix framing)
 *       or proto_session_fixed(&s, &key, PROTO_ACCEPTOR, na, ni) (MAC'd)
 *     proto_reader_init(&r, &s);
 *     buf_append(&r.in, data, size);
 *     while ((rc = proto_reader_next(&r, 1, &m, &pbse, err, sizeof(err)))
 *            != PROTO_MORE) { msg_free(&m); if (rc == PROTO_FATAL) break; }
 *     proto_reader_free(&r);
 * A session made with proto_session_init(&s, &key, PROTO_ACCEPTOR) and
 * never started takes the handshake record first, as a daemon does. */
#include "lib/protocol.h"
#include "lib/pbs_error.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
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

/* HMAC-SHA256 over the concatenation of n pieces. 0 or -1. */
struct piece {
	const void *p;
	size_t len;
};

static int hmac(const unsigned char *key, size_t keylen, const struct piece *pc, int n,
		unsigned char out[PROTO_MAC_LEN])
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = NULL;
	OSSL_PARAM params[2];
	size_t outl = 0;
	int rc = -1, i;

	if (!mac)
		goto out;
	ctx = EVP_MAC_CTX_new(mac);
	if (!ctx)
		goto out;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (!EVP_MAC_init(ctx, key, keylen, params))
		goto out;
	for (i = 0; i < n; i++)
		if (!EVP_MAC_update(ctx, pc[i].p, pc[i].len))
			goto out;
	if (!EVP_MAC_final(ctx, out, &outl, PROTO_MAC_LEN) || outl != PROTO_MAC_LEN)
		goto out;
	rc = 0;
out:
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return rc;
}

static int keyed(const struct proto_session *s)
{
	return s && s->key && s->key->key && s->key->len;
}

/* --- sessions ------------------------------------------------------------------------ */

enum { SES_PLAIN, SES_NEW, SES_WAIT_HELLO_A, SES_WAIT_HELLO_I, SES_WAIT_OK, SES_READY,
       SES_FAILED };

static const char magic_hello[4] = { 'C', 'K', 'H', '1' };
static const char magic_ok[4] = { 'C', 'K', 'O', 'K' };
static const char magic_no[4] = { 'C', 'K', 'N', 'O' };

/* A proof binds the key to both nonces and to what it proves. */
static int proof(const struct proto_session *s, const char *label, unsigned char out[PROTO_MAC_LEN])
{
	struct piece pc[3] = { { label, strlen(label) + 1 }, { s->na, PROTO_NONCE_LEN },
			       { s->ni, PROTO_NONCE_LEN } };

	return hmac(s->key->key, s->key->len, pc, 3, out);
}

static int derive(struct proto_session *s)
{
	return proof(s, "ckmig session key", s->skey);
}

void proto_session_init(struct proto_session *s, const struct proto_key *key, int role)
{
	memset(s, 0, sizeof(*s));
	s->key = key;
	s->role = role;
	s->state = keyed(s) ? (role == PROTO_INITIATOR ? SES_WAIT_HELLO_A : SES_NEW) : SES_PLAIN;
}

void proto_session_wipe(struct proto_session *s)
{
	OPENSSL_cleanse(s, sizeof(*s));
}

int proto_session_keyed(const struct proto_session *s)
{
	return keyed(s);
}

int proto_session_can_send(const struct proto_session *s)
{
	return !keyed(s) || s->state == SES_READY ||
	       (s->role == PROTO_INITIATOR && s->state == SES_WAIT_OK);
}

int proto_session_ready(const struct proto_session *s)
{
	return !keyed(s) || s->state == SES_READY;
}

int proto_session_start(struct proto_session *s, struct buf *out)
{
	if (!keyed(s) || s->role != PROTO_ACCEPTOR || s->state != SES_NEW)
		return 0;
	if (getrandom(s->na, PROTO_NONCE_LEN, 0) != PROTO_NONCE_LEN)
		return -1;
	buf_append(out, magic_hello, 4);
	buf_append(out, s->na, PROTO_NONCE_LEN);
	s->state = SES_WAIT_HELLO_I;
	return 0;
}

void proto_session_refuse(struct proto_session *s, struct buf *out, int pbse)
{
	unsigned char rec[PROTO_HELLO_R_LEN];
	uint32_t code = htonl((uint32_t)pbse);

	if (!keyed(s) || s->role != PROTO_ACCEPTOR || s->state == SES_READY)
		return;
	memset(rec, 0, sizeof(rec));
	memcpy(rec, magic_no, 4);
	memcpy(rec + 4, &code, 4);
	buf_append(out, rec, sizeof(rec));
	s->state = SES_FAILED;
}

void proto_session_fixed(struct proto_session *s, const struct proto_key *key, int role,
			 const unsigned char na[PROTO_NONCE_LEN],
			 const unsigned char ni[PROTO_NONCE_LEN])
{
	proto_session_init(s, key, role);
	if (!keyed(s))
		return;
	memcpy(s->na, na, PROTO_NONCE_LEN);
	memcpy(s->ni, ni, PROTO_NONCE_LEN);
	derive(s);
	s->state = SES_READY;
}

/* One handshake record in r->in: check it, move the session on, and put
 * what the peer must get now into s->answer. */
static int session_step(struct proto_session *s, struct buf *in, struct buf *answer, int eof,
			int *pbse, char *err, size_t errlen)
{
	size_t need = s->state == SES_WAIT_HELLO_I ? PROTO_HELLO_I_LEN : PROTO_HELLO_A_LEN;
	const unsigned char *p = (const unsigned char *)in->data;
	unsigned char mac[PROTO_MAC_LEN];

	if (s->state == SES_NEW || s->state == SES_FAILED) {
		*pbse = PBSE_PROTOCOL;
		snprintf(err, errlen, "bytes before the session started");
		return PROTO_FATAL;
	}
	if (in->len < need) {
		if (!eof)
			return PROTO_MORE;
		*pbse = PBSE_PREMATURE_EOF;
		snprintf(err, errlen, "connection closed inside the session handshake");
		return PROTO_FATAL;
	}
	*pbse = PBSE_BADCRED;
	if (s->state == SES_WAIT_OK) {
		if (!memcmp(p, magic_no, 4)) {
			uint32_t code;

			memcpy(&code, p + 4, 4);
			*pbse = (int)ntohl(code) ? (int)ntohl(code) : PBSE_BADCRED;
			snprintf(err, errlen, "the peer refused our credentials (cluster key)");
			return PROTO_FATAL;
		}
		if (memcmp(p, magic_ok, 4) || proof(s, "ckmig acceptor proof", mac) < 0 ||
		    CRYPTO_memcmp(mac, p + 4, PROTO_MAC_LEN)) {
			snprintf(err, errlen, "the peer could not prove the cluster key");
			return PROTO_FATAL;
		}
		s->state = SES_READY;
		buf_consume(in, need);
		return PROTO_HELLO;
	}
	if (memcmp(p, magic_hello, 4)) {
		*pbse = PBSE_PROTOCOL;
		snprintf(err, errlen, "not a ckmig session handshake");
		return PROTO_FATAL;
	}
	if (s->state == SES_WAIT_HELLO_A) {
		memcpy(s->na, p + 4, PROTO_NONCE_LEN);
		if (getrandom(s->ni, PROTO_NONCE_LEN, 0) != PROTO_NONCE_LEN ||
		    proof(s, "ckmig initiator proof", mac) < 0 || derive(s) < 0) {
			snprintf(err, errlen, "cannot make a session: %s", strerror(errno));
			return PROTO_FATAL;
		}
		buf_append(answer, magic_hello, 4);
		buf_append(answer, s->ni, PROTO_NONCE_LEN);
		buf_append(answer, mac, PROTO_MAC_LEN);
		s->state = SES_WAIT_OK;
		buf_consume(in, need);
		return PROTO_HELLO;
	}
	/* SES_WAIT_HELLO_I: the acceptor checks the initiator's proof */
	memcpy(s->ni, p + 4, PROTO_NONCE_LEN);
	if (proof(s, "ckmig initiator proof", mac) < 0 ||
	    CRYPTO_memcmp(mac, p + 4 + PROTO_NONCE_LEN, PROTO_MAC_LEN)) {
		snprintf(err, errlen, "message authentication failed (session handshake)");
		return PROTO_FATAL;
	}
	if (derive(s) < 0 || proof(s, "ckmig acceptor proof", mac) < 0) {
		snprintf(err, errlen, "cannot make a session");
		return PROTO_FATAL;
	}
	buf_append(answer, magic_ok, 4);
	buf_append(answer, mac, PROTO_MAC_LEN);
	s->state = SES_READY;
	buf_consume(in, need);
	return PROTO_HELLO;
}

/* The frame MAC: direction (who sent it), sequence number, length, body. */
static int frame_mac(const struct proto_session *s, int from_initiator, uint64_t seq,
		     const unsigned char hdr[PROTO_HDR_LEN], const char *body, size_t len,
		     unsigned char out[PROTO_MAC_LEN])
{
	unsigned char dir = from_initiator ? 'I' : 'A', sq[8];
	struct piece pc[4] = { { &dir, 1 }, { sq, 8 }, { hdr, PROTO_HDR_LEN }, { body, len } };
	int i;

	for (i = 0; i < 8; i++)
		sq[i] = (unsigned char)(seq >> (56 - 8 * i));
	return hmac(s->skey, sizeof(s->skey), pc, 4, out);
}

/* --- frames ------------------------------------------------------------------------- */

void proto_frame_body(struct buf *out, const char *body, size_t len, struct proto_session *s)
{
	unsigned char hdr[PROTO_HDR_LEN], mac[PROTO_MAC_LEN];
	uint32_t n = htonl((uint32_t)len);

	memcpy(hdr, &n, sizeof(hdr));
	buf_append(out, hdr, sizeof(hdr));
	if (keyed(s)) {
		/* a frame before the session exists cannot verify: the
		 * zeroed MAC makes the peer refuse it rather than us guess */
		if (!proto_session_can_send(s) ||
		    frame_mac(s, s->role == PROTO_INITIATOR, s->tx_seq, hdr, body, len, mac) < 0)
			memset(mac, 0, sizeof(mac));
		s->tx_seq++;
		buf_append(out, mac, sizeof(mac));
	}
	buf_append(out, body, len);
}

void proto_frame_msg(struct buf *out, const struct pbs_msg *m, struct proto_session *s)
{
	struct buf body;

	buf_init(&body);
	proto_encode(m, &body);
	proto_frame_body(out, body.data, body.len, s);
	buf_free(&body);
}

/* --- the one decoder of frames ------------------------------------------------------ */

void proto_reader_init(struct proto_reader *r, struct proto_session *s)
{
	buf_init(&r->in);
	buf_init(&r->answer);
	r->ses = s;
	r->sink = NULL;
}

void proto_reader_free(struct proto_reader *r)
{
	buf_free(&r->in);
	buf_free(&r->answer);
}

size_t proto_reader_want(const struct proto_reader *r)
{
	const struct proto_session *s = r->ses;
	size_t maclen = keyed(s) ? PROTO_MAC_LEN : 0, total;
	uint32_t n;

	if (keyed(s) && s->state != SES_READY) {
		size_t need = s->state == SES_WAIT_HELLO_I ? PROTO_HELLO_I_LEN : PROTO_HELLO_A_LEN;

		return r->in.len < need ? need - r->in.len : 0;
	}
	if (r->in.len < PROTO_HDR_LEN)
		return PROTO_HDR_LEN - r->in.len;
	memcpy(&n, r->in.data, sizeof(n));
	n = ntohl(n);
	if (n > PROTO_MAX_BODY)
		return 0;   /* refused at the header */
	total = PROTO_HDR_LEN + maclen + n;
	return r->in.len < total ? total - r->in.len : 0;
}

int proto_reader_next(struct proto_reader *r, int eof, struct pbs_msg *m, int *pbse,
		      char *err, size_t errlen)
{
	struct proto_session *s = r->ses;
	size_t maclen = keyed(s) ? PROTO_MAC_LEN : 0, total;
	unsigned char mac[PROTO_MAC_LEN];
	uint32_t n;
	int rc;

	*pbse = 0;
	if (keyed(s) && s->state != SES_READY) {
		rc = session_step(s, &r->in, &r->answer, eof, pbse, err, errlen);
		if (rc == PROTO_FATAL)
			msg_init(m);
		return rc;
	}
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
		/* the peer's sequence number: a frame replayed, dropped,
		 * reordered or reflected back does not verify */
		if (frame_mac(s, s->role != PROTO_INITIATOR, s->rx_seq,
			      (const unsigned char *)r->in.data, r->in.data + PROTO_HDR_LEN + maclen,
			      n, mac) < 0 ||
		    CRYPTO_memcmp(mac, r->in.data + PROTO_HDR_LEN, maclen)) {
			*pbse = PBSE_BADCRED;
			snprintf(err, errlen, "message authentication failed");
			msg_init(m);
			return PROTO_FATAL;
		}
		s->rx_seq++;
	}
	rc = proto_decode_each(r->in.data + PROTO_HDR_LEN + maclen, n, m, r->sink, err, errlen);
	buf_consume(&r->in, total);
	if (rc) {
		*pbse = rc;
		return PROTO_BAD;
	}
	return PROTO_MSG;
}
