/* libFuzzer target: the one frame decoder (proto_reader_next, and behind
 * it proto_decode), as the server and the MOM run it on bytes from a peer.
 *
 * The first input byte picks how the rest is used:
 *   bit 0-1  0: raw bytes on a Unix socket (no MAC: what any local user
 *               can send the server);
 *            1: raw bytes on a keyed TCP connection from a stranger: the
 *               session handshake comes first (lib/protocol.h, SESSION);
 *            2: the rest is one body, framed with the right MAC of an
 *               established session first (proto_session_fixed), so the
 *               decoder behind the MAC is reached too;
 *            3: as 0, without the final EOF.
 *   bit 2-7  chunk size - 1 for feeding the reader (partial frames).
 * Every message decoded is encoded again, and that encoding must decode
 * to the same encoding: what one peer sends, the other reads back. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/protocol.h"
#include "lib/util.h"

static unsigned char key_bytes[32] = "ckmig-fuzz-key-0123456789abcdef";
static const struct proto_key key = { key_bytes, sizeof(key_bytes) };
static const unsigned char na[PROTO_NONCE_LEN] = "fuzz-acceptor-nonce";
static const unsigned char ni[PROTO_NONCE_LEN] = "fuzz-initiator-nonce";

static void round_trip(const struct pbs_msg *m)
{
	struct buf a, b;
	struct pbs_msg m2;
	char err[256];

	buf_init(&a);
	buf_init(&b);
	proto_encode(m, &a);
	if (proto_decode(a.data, a.len, &m2, err, sizeof(err))) {
		fprintf(stderr, "re-encoded message does not decode: %s\n%.*s\n", err,
			(int)a.len, a.data);
		abort();
	}
	proto_encode(&m2, &b);
	if (a.len != b.len || memcmp(a.data, b.data, a.len)) {
		fprintf(stderr, "encode/decode not stable:\n%.*s\n%.*s\n", (int)a.len, a.data,
			(int)b.len, b.data);
		abort();
	}
	msg_free(&m2);
	buf_free(&a);
	buf_free(&b);
}

/* Drain every complete frame; returns 1 when the connection must close. */
static int drain(struct proto_reader *r, int eof)
{
	for (;;) {
		struct pbs_msg m;
		char err[256];
		int pbse, rc = proto_reader_next(r, eof, &m, &pbse, err, sizeof(err));

		if (rc == PROTO_MORE)
			return 0;
		if (rc == PROTO_HELLO)
			continue;   /* a handshake record; m untouched */
		if (rc == PROTO_MSG)
			round_trip(&m);
		msg_free(&m);
		if (rc == PROTO_FATAL)
			return 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proto_reader r;
	struct proto_session s, tx;
	struct buf framed, hello;
	const char *p;
	size_t n, chunk, off;
	int mode, closed = 0;

	if (size < 1)
		return 0;
	mode = data[0] & 3;
	chunk = (size_t)(data[0] >> 2) + 1;
	p = (const char *)data + 1;
	n = size - 1;
	buf_init(&framed);
	buf_init(&hello);
	if (mode == 2) {
		proto_session_fixed(&tx, &key, PROTO_INITIATOR, na, ni);
		proto_session_fixed(&s, &key, PROTO_ACCEPTOR, na, ni);
		proto_frame_body(&framed, p, n, &tx);
		p = framed.data;
		n = framed.len;
	} else if (mode == 1) {
		proto_session_init(&s, &key, PROTO_ACCEPTOR);
		proto_session_start(&s, &hello);
	}
	proto_reader_init(&r, mode == 1 || mode == 2 ? &s : NULL);
	for (off = 0; off < n && !closed; off += chunk) {
		size_t len = n - off < chunk ? n - off : chunk;

		buf_append(&r.in, p + off, len);
		closed = drain(&r, 0);
	}
	if (!closed && mode != 3)
		drain(&r, 1);
	proto_reader_free(&r);
	buf_free(&framed);
	buf_free(&hello);
	return 0;
}
