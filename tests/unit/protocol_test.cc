// The wire protocol: round trips and the one decoder's refusals.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "lib/pbs_error.h"
#include "lib/protocol.h"

namespace {

// Zeroed, not initialised: every test fills it with msg_request,
// msg_reply, proto_decode or the reader, which initialise it themselves.
struct Msg {
	pbs_msg m;
	Msg() { memset(&m, 0, sizeof(m)); }
	~Msg() { msg_free(&m); }
};

proto_key test_key(const char *s)
{
	proto_key k;
	k.len = strlen(s);
	k.key = (unsigned char *)strdup(s);
	return k;
}

// Fixed nonces: both ends of one session, without a handshake.
const unsigned char NA[PROTO_NONCE_LEN] = { 1, 2, 3 };
const unsigned char NI[PROTO_NONCE_LEN] = { 4, 5, 6 };

// Frame a body and run it through the reader (the acceptor's side of a
// session with key, or plain framing); returns the reader's verdict.
int feed(const std::string &frame, const proto_key *key, pbs_msg *m, int *pbse, int eof = 0)
{
	proto_session s;
	proto_reader r;
	char err[256];
	proto_session_fixed(&s, key, PROTO_ACCEPTOR, NA, NI);
	proto_reader_init(&r, key ? &s : NULL);
	buf_append(&r.in, frame.data(), frame.size());
	int rc = proto_reader_next(&r, eof, m, pbse, err, sizeof(err));
	proto_reader_free(&r);
	return rc;
}

// The initiator's first frame of that session.
std::string frame_of(const std::string &body, const proto_key *key)
{
	proto_session s;
	buf b;
	buf_init(&b);
	proto_session_fixed(&s, key, PROTO_INITIATOR, NA, NI);
	proto_frame_body(&b, body.data(), body.size(), key ? &s : NULL);
	std::string out(b.data, b.len);
	buf_free(&b);
	return out;
}

}  // namespace

TEST(Protocol, RequestRoundTrip)
{
	Msg a, b;
	msg_request(&a.m, PBS_BATCH_HoldJob, "42.head");
	msg_add_attr(&a.m, "Hold_Types", NULL, "u");
	msg_add_attr(&a.m, "Resource_List", "walltime", "00:10:00");
	attrl_add(&a.m.attrs, "Priority", NULL, "10", BATCH_INCR);
	msg_add_arg(&a.m, "destination", "node2:ppn=2+node3");
	msg_set_script(&a.m, "#!/bin/sh\necho \"<&>\" 'x'\n\ttab\n");
	buf body;
	buf_init(&body);
	proto_encode(&a.m, &body);
	char err[256];
	ASSERT_EQ(0, proto_decode(body.data, body.len, &b.m, err, sizeof(err))) << err;
	buf_free(&body);
	EXPECT_FALSE(b.m.is_reply);
	EXPECT_EQ(PBS_BATCH_HoldJob, b.m.type);
	EXPECT_STREQ("42.head", b.m.id);
	EXPECT_STREQ("u", msg_attr(&b.m, "Hold_Types", NULL));
	EXPECT_STREQ("00:10:00", msg_attr(&b.m, "Resource_List", "walltime"));
	EXPECT_EQ(BATCH_INCR, attrl_find(&b.m.attrs, "Priority", NULL)->op);
	EXPECT_STREQ("node2:ppn=2+node3", msg_arg(&b.m, "destination"));
	EXPECT_STREQ(a.m.script, b.m.script);
	EXPECT_EQ(3u, b.m.attrs.count);
}

// A checkpoint's bytes travel raw after the XML (CkptXfer): NULs, '<'
// and anything else come back as sent, and are never parsed; a body
// without a NUL has no blob.
TEST(Protocol, BlobAfterTheXmlRoundTrips)
{
	Msg a, b, c;
	unsigned char bytes[512];
	for (size_t i = 0; i < sizeof(bytes); i++)
		bytes[i] = (unsigned char)(i * 7);
	bytes[10] = 0;
	memcpy(bytes + 20, "</req><!DOCTYPE x>", 18);
	msg_request(&a.m, PBS_BATCH_CkptXfer, "7.head");
	msg_add_arg(&a.m, "op", "data");
	msg_set_blob(&a.m, bytes, sizeof(bytes));
	buf body;
	buf_init(&body);
	proto_encode(&a.m, &body);
	char err[256];
	ASSERT_EQ(0, proto_decode(body.data, body.len, &b.m, err, sizeof(err))) << err;
	EXPECT_STREQ("data", msg_arg(&b.m, "op"));
	ASSERT_EQ(sizeof(bytes), b.m.blob_len);
	EXPECT_EQ(0, memcmp(bytes, b.m.blob, sizeof(bytes)));
	buf_reset(&body);
	msg_free(&a.m);
	msg_request(&a.m, PBS_BATCH_CkptXfer, "7.head");
	proto_encode(&a.m, &body);
	ASSERT_EQ(0, proto_decode(body.data, body.len, &c.m, err, sizeof(err))) << err;
	EXPECT_EQ(nullptr, c.m.blob);
	EXPECT_EQ(0u, c.m.blob_len);
	buf_free(&body);
}

TEST(Protocol, ReplyRoundTripWithObjects)
{
	Msg a, b;
	msg_reply(&a.m, PBSE_EXECTHERE, 1, "Cannot execute MSG=allocated nodes must match");
	pbs_obj *o = msg_add_obj(&a.m, "job", "7.head");
	obj_add_attr(o, "job_state", NULL, "R");
	obj_add_attr(o, "comment", NULL, "line1\nline2 \x01 bad byte \xff");
	msg_add_obj(&a.m, "node", "node1");
	buf body;
	buf_init(&body);
	proto_encode(&a.m, &body);
	char err[256];
	ASSERT_EQ(0, proto_decode(body.data, body.len, &b.m, err, sizeof(err))) << err;
	buf_free(&body);
	EXPECT_TRUE(b.m.is_reply);
	EXPECT_EQ(PBSE_EXECTHERE, b.m.code);
	EXPECT_EQ(1, b.m.aux);
	EXPECT_STREQ(a.m.text, b.m.text);
	ASSERT_EQ(2u, b.m.nobjs);
	EXPECT_STREQ("7.head", b.m.objs->name);
	EXPECT_STREQ("R", attrl_get(&b.m.objs->attrs, "job_state", NULL));
	// bytes XML cannot carry arrive as '?', the rest intact
	EXPECT_STREQ("line1\nline2 ? bad byte ?", attrl_get(&b.m.objs->attrs, "comment", NULL));
	EXPECT_STREQ("node", b.m.objs->next->kind);
}

namespace {

// A sink that keeps what it is handed, in order.
struct Kept {
	std::vector<std::string> names;
	size_t attrs = 0;
	static void take(pbs_obj *o, void *arg)
	{
		Kept *k = (Kept *)arg;
		EXPECT_EQ(nullptr, o->next);
		k->names.push_back(o->name);
		k->attrs += o->attrs.count;
		obj_free(o);
	}
};

// A reply of n jobs, each with a few attributes, as the server writes it.
std::string status_body(int n)
{
	buf b;
	buf_init(&b);
	proto_reply_open(&b, 0, 0, "");
	for (int i = 0; i < n; i++) {
		std::string id = std::to_string(i) + ".head";
		proto_obj_open(&b, "job", id.c_str());
		proto_obj_attr(&b, "Job_Name", NULL, "a<b&c");
		proto_obj_attr(&b, "Resource_List", "walltime", "00:01:00");
		proto_obj_attr(&b, "Variable_List", NULL, std::string(300, 'v').c_str());
		proto_obj_close(&b);
	}
	proto_reply_close(&b);
	std::string out(b.data, b.len);
	buf_free(&b);
	return out;
}

}  // namespace

TEST(Protocol, ObjectsGoToTheSinkOneByOne)
{
	// 2 000 jobs: ~1 MB, many of the decoder's 64 KiB pieces
	std::string body = status_body(2000);
	ASSERT_GT(body.size(), 10u * 65536);
	Kept k;
	proto_obj_sink sink = { Kept::take, &k };
	Msg m, whole;
	char err[256];
	ASSERT_EQ(0, proto_decode_each(body.data(), body.size(), &m.m, &sink, err, sizeof(err)))
		<< err;
	EXPECT_EQ(nullptr, m.m.objs);
	EXPECT_EQ(0u, m.m.nobjs);
	ASSERT_EQ(2000u, k.names.size());
	EXPECT_EQ("0.head", k.names[0]);
	EXPECT_EQ("1999.head", k.names[1999]);
	EXPECT_EQ(3u * 2000, k.attrs);
	// the same body decoded whole gives the same objects
	ASSERT_EQ(0, proto_decode(body.data(), body.size(), &whole.m, err, sizeof(err))) << err;
	ASSERT_EQ(2000u, whole.m.nobjs);
	EXPECT_STREQ("a<b&c", attrl_get(&whole.m.objs_tail->attrs, "Job_Name", NULL));
}

TEST(Protocol, ReplyMalformedAfterSomeObjectsStillFails)
{
	std::string body = status_body(3);
	body.resize(body.size() - strlen("</reply>"));
	body += "<obj kind=\"job\" name=\"x\"><bogus/></obj></reply>";
	Kept k;
	proto_obj_sink sink = { Kept::take, &k };
	Msg m;
	char err[256];
	EXPECT_EQ(PBSE_IVALREQ,
		  proto_decode_each(body.data(), body.size(), &m.m, &sink, err, sizeof(err)));
	// the three good ones were handed over; the caller drops them
	EXPECT_EQ(3u, k.names.size());
	EXPECT_EQ(nullptr, m.m.objs);
}

TEST(Protocol, CallEachOverSocketpair)
{
	int sv[2];
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	std::string body = status_body(5000);   // ~2.5 MB: read straight into the frame
	buf f;
	buf_init(&f);
	proto_frame_body(&f, body.data(), body.size(), NULL);
	pid_t pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		char b[4096];
		// the request first, then the reply
		(void)!read(sv[1], b, sizeof(b));
		_exit(write_full(sv[1], f.data, f.len) < 0);
	}
	buf_free(&f);
	Msg req, rep;
	Kept k;
	proto_obj_sink sink = { Kept::take, &k };
	char err[256];
	msg_request(&req.m, PBS_BATCH_StatusJob, "");
	EXPECT_EQ(0, proto_call_each(sv[0], &req.m, &rep.m, NULL, 10000, &sink, err, sizeof(err)))
		<< err;
	EXPECT_TRUE(rep.m.is_reply);
	EXPECT_EQ(5000u, k.names.size());
	int st;
	waitpid(pid, &st, 0);
	close(sv[0]);
	close(sv[1]);
}

TEST(Protocol, DefaultReplyTextIsTorques)
{
	Msg a;
	msg_reply(&a.m, PBSE_UNKJOBID, 0, NULL);
	EXPECT_STREQ("Unknown Job Id Error", a.m.text);
}

TEST(Protocol, MalformedBodiesAreInvalidRequests)
{
	const char *bad[] = {
		"",
		"not xml at all",
		"<req v=\"1\" type=\"HoldJob\" id=\"1\">",            // truncated XML
		"<req v=\"1\" type=\"NoSuchType\" id=\"1\"/>",
		"<req v=\"1\" id=\"1\"/>",                            // no type
		"<foo v=\"1\"/>",
		"<req v=\"1\" type=\"HoldJob\"><attr>x</attr></req>",  // attr without name
		"<req v=\"1\" type=\"HoldJob\"><attr name=\"a\" op=\"zap\">x</attr></req>",
		"<req v=\"1\" type=\"HoldJob\"><bogus/></req>",
		"<reply v=\"1\" code=\"x\"/>",
		"<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY a \"aaaa\">]><req v=\"1\" type=\"HoldJob\">&a;</req>",
	};
	for (const char *b : bad) {
		Msg m;
		char err[256] = "";
		EXPECT_EQ(PBSE_IVALREQ, proto_decode(b, strlen(b), &m.m, err, sizeof(err)))
			<< "accepted: " << b;
		EXPECT_NE('\0', err[0]) << b;
	}
}

TEST(Protocol, WrongVersionIsProtocolError)
{
	const char *b = "<req v=\"2\" type=\"HoldJob\" id=\"1\"/>";
	Msg m;
	char err[256];
	EXPECT_EQ(PBSE_PROTOCOL, proto_decode(b, strlen(b), &m.m, err, sizeof(err)));
	EXPECT_NE(nullptr, strstr(err, "version 2"));
	msg_free(&m.m);
	const char *c = "<req type=\"HoldJob\" id=\"1\"/>";
	EXPECT_EQ(PBSE_PROTOCOL, proto_decode(c, strlen(c), &m.m, err, sizeof(err)));
}

TEST(Protocol, NumericTypeAccepted)
{
	const char *b = "<req v=\"1\" type=\"27\" id=\"5.h\"/>";
	Msg m;
	char err[256];
	ASSERT_EQ(0, proto_decode(b, strlen(b), &m.m, err, sizeof(err))) << err;
	EXPECT_EQ(PBS_BATCH_CheckpointJob, m.m.type);
}

TEST(Protocol, OversizedFrameIsFatal)
{
	uint32_t n = htonl(PROTO_MAX_BODY + 1);
	std::string f((const char *)&n, 4);
	f += "<req";
	Msg m;
	int pbse;
	EXPECT_EQ(PROTO_FATAL, feed(f, NULL, &m.m, &pbse));
	EXPECT_EQ(PBSE_PROTOCOL, pbse);
}

TEST(Protocol, TruncatedFrame)
{
	std::string f = frame_of("<req v=\"1\" type=\"HoldJob\" id=\"1\"/>", NULL);
	for (size_t cut = 1; cut < f.size(); cut++) {
		Msg m;
		int pbse;
		EXPECT_EQ(PROTO_MORE, feed(f.substr(0, cut), NULL, &m.m, &pbse)) << cut;
		EXPECT_EQ(PROTO_FATAL, feed(f.substr(0, cut), NULL, &m.m, &pbse, 1)) << cut;
		EXPECT_EQ(PBSE_PREMATURE_EOF, pbse);
	}
	Msg m;
	int pbse;
	EXPECT_EQ(PROTO_MSG, feed(f, NULL, &m.m, &pbse));
}

TEST(Protocol, BadFrameBodyIsConsumedAndNextFrameDecodes)
{
	std::string f = frame_of("garbage", NULL) + frame_of("<req v=\"1\" type=\"StatusJob\" id=\"\"/>", NULL);
	proto_reader r;
	proto_reader_init(&r, NULL);
	buf_append(&r.in, f.data(), f.size());
	Msg a, b;
	int pbse;
	char err[256];
	EXPECT_EQ(PROTO_BAD, proto_reader_next(&r, 0, &a.m, &pbse, err, sizeof(err)));
	EXPECT_EQ(PBSE_IVALREQ, pbse);
	EXPECT_EQ(PROTO_MSG, proto_reader_next(&r, 0, &b.m, &pbse, err, sizeof(err)));
	EXPECT_EQ(PBS_BATCH_StatusJob, b.m.type);
	EXPECT_EQ(PROTO_MORE, proto_reader_next(&r, 0, &b.m, &pbse, err, sizeof(err)));
	proto_reader_free(&r);
}

TEST(Protocol, MacVerified)
{
	proto_key k = test_key("0123456789abcdef0123456789abcdef");
	proto_key other = test_key("fedcba9876543210fedcba9876543210");
	std::string body = "<req v=\"1\" type=\"JobObit\" id=\"3.head\"/>";
	std::string f = frame_of(body, &k);
	Msg m;
	int pbse;
	ASSERT_EQ(PROTO_MSG, feed(f, &k, &m.m, &pbse));
	EXPECT_EQ(PBS_BATCH_JobObit, m.m.type);
	// wrong key
	Msg m2;
	EXPECT_EQ(PROTO_FATAL, feed(f, &other, &m2.m, &pbse));
	EXPECT_EQ(PBSE_BADCRED, pbse);
	// flipped body byte, flipped MAC byte, flipped length
	for (size_t pos : { f.size() - 3, (size_t)4 + 5, (size_t)3 }) {
		std::string g = f;
		g[pos] ^= 0x01;
		Msg m3;
		int rc = feed(g, &k, &m3.m, &pbse);
		if (pos == 3) {   // a longer length: not yet complete, or a bad MAC
			EXPECT_TRUE(rc == PROTO_MORE || (rc == PROTO_FATAL && pbse == PBSE_BADCRED));
		} else {
			EXPECT_EQ(PROTO_FATAL, rc);
			EXPECT_EQ(PBSE_BADCRED, pbse);
		}
	}
	// a frame without a MAC where one is required
	Msg m4;
	std::string plain = frame_of(body, NULL);
	EXPECT_NE(PROTO_MSG, feed(plain, &k, &m4.m, &pbse));
	proto_key_free(&k);
	proto_key_free(&other);
}

TEST(Protocol, BlockingCallOverSocketpair)
{
	int sv[2];
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	proto_key k = test_key("0123456789abcdef0123456789abcdef");
	Msg req, got, rep;
	proto_session tx, rx;
	proto_session_fixed(&tx, &k, PROTO_INITIATOR, NA, NI);
	proto_session_fixed(&rx, &k, PROTO_ACCEPTOR, NA, NI);
	msg_request(&req.m, PBS_BATCH_IsStatus, "node1");
	pbs_obj *o = msg_add_obj(&req.m, "job", "1.head");
	obj_add_attr(o, "session_id", NULL, "1234");
	ASSERT_EQ(0, proto_send(sv[0], &req.m, &tx));
	// two frames back to back must come out as two messages
	ASSERT_EQ(0, proto_send(sv[0], &req.m, &tx));
	char err[256];
	ASSERT_EQ(0, proto_recv(sv[1], &got.m, &rx, 1000, err, sizeof(err))) << err;
	EXPECT_EQ(PBS_BATCH_IsStatus, got.m.type);
	ASSERT_EQ(1u, got.m.nobjs);
	EXPECT_STREQ("1234", attrl_get(&got.m.objs->attrs, "session_id", NULL));
	msg_free(&got.m);
	ASSERT_EQ(0, proto_recv(sv[1], &got.m, &rx, 1000, err, sizeof(err))) << err;
	// nothing more: timeout, then EOF
	msg_free(&got.m);
	EXPECT_EQ(PBSE_TIMEOUT, proto_recv(sv[1], &got.m, &rx, 50, err, sizeof(err)));
	msg_free(&got.m);
	close(sv[0]);
	EXPECT_EQ(PBSE_SOCKET_CLOSE, proto_recv(sv[1], &got.m, &rx, 1000, err, sizeof(err)));
	close(sv[1]);
	proto_key_free(&k);
}

TEST(Protocol, AttrListSetFindRemove)
{
	attr_list l;
	attrl_init(&l);
	attrl_add(&l, "Resource_List", "walltime", "10", BATCH_SET);
	attrl_add(&l, "Resource_List", "nodes", "1", BATCH_SET);
	attrl_set(&l, "Resource_List", "walltime", "20");
	attrl_set(&l, "comment", "", "hi");
	EXPECT_STREQ("20", attrl_get(&l, "Resource_List", "walltime"));
	EXPECT_STREQ("hi", attrl_get(&l, "comment", NULL));
	EXPECT_EQ(nullptr, attrl_get(&l, "Resource_List", NULL));
	EXPECT_EQ(3u, l.count);
	EXPECT_EQ(1, attrl_remove(&l, "Resource_List", "walltime"));
	EXPECT_EQ(2u, l.count);
	attrl_add(&l, "x", NULL, "y", BATCH_SET);   // tail still valid after remove
	EXPECT_STREQ("y", l.tail->value);
	attrl_free(&l);
}

TEST(Protocol, KeyFileMustBeRootOnly)
{
	char dir[] = "/tmp/ckmig_keyXXXXXX";
	ASSERT_NE(nullptr, mkdtemp(dir));
	std::string p = std::string(dir) + "/cluster.key";
	FILE *f = fopen(p.c_str(), "w");
	fputs("0123456789abcdef0123456789abcdef\n", f);
	fclose(f);
	proto_key k;
	char err[256];
	chmod(p.c_str(), 0644);
	EXPECT_EQ(-1, proto_key_load(&k, p.c_str(), err, sizeof(err)));
	EXPECT_NE(nullptr, strstr(err, "0644"));
	chmod(p.c_str(), 0600);
	if (geteuid() == 0) {
		ASSERT_EQ(0, proto_key_load(&k, p.c_str(), err, sizeof(err))) << err;
		EXPECT_EQ(32u, k.len);   // newline stripped
		proto_key_free(&k);
		ASSERT_EQ(0, chown(p.c_str(), 1, 1));
		EXPECT_EQ(-1, proto_key_load(&k, p.c_str(), err, sizeof(err)));
	}
	unlink(p.c_str());
	rmdir(dir);
}

// Mutated frames: the one decoder answers every one with 0 or a PBSE
// code, never a crash (the sanitizer build runs this too).
TEST(Protocol, MutatedBodiesNeverCrash)
{
	Msg a;
	msg_request(&a.m, PBS_BATCH_QueueJob, "1.head");
	msg_add_attr(&a.m, "Resource_List", "walltime", "00:10:00");
	msg_add_arg(&a.m, "destination", "node1:ppn=2");
	pbs_obj *o = msg_add_obj(&a.m, "job", "1.head");
	obj_add_attr(o, "x", "y", "z&<>");
	msg_set_script(&a.m, "#!/bin/sh\necho hi\n");
	buf body;
	buf_init(&body);
	proto_encode(&a.m, &body);
	std::string good(body.data, body.len);
	buf_free(&body);
	unsigned seed = 12345;
	auto rnd = [&seed]() { seed = seed * 1103515245u + 12345u; return (seed >> 16) & 0x7fff; };
	const char pool[] = "<>/=\"'&;!?#x \n\0\xff\xc3";
	for (int i = 0; i < 20000; i++) {
		std::string s = good;
		int edits = 1 + rnd() % 4;
		for (int e = 0; e < edits; e++) {
			size_t pos = rnd() % s.size();
			switch (rnd() % 3) {
			case 0: s[pos] = pool[rnd() % (sizeof(pool) - 1)]; break;
			case 1: s.erase(pos, 1 + rnd() % 8); break;
			default: s.insert(pos, 1, pool[rnd() % (sizeof(pool) - 1)]); break;
			}
			if (s.empty())
				s = "<";
		}
		pbs_msg m;
		char err[256];
		int rc = proto_decode(s.data(), s.size(), &m, err, sizeof(err));
		EXPECT_TRUE(rc == 0 || rc == PBSE_IVALREQ || rc == PBSE_PROTOCOL) << rc;
		msg_free(&m);
	}
}

// Found by tests/fuzz/frame.c: libxml2 hands SAX2 an attribute's '&' as
// "&#38;", which came out as such in reply texts, ids and object names.
TEST(Protocol, AmpersandInXmlAttributesRoundTrips)
{
	Msg a, b, c, d;
	msg_reply(&a.m, PBSE_IVALREQ, 0, "a & b &amp; &#38; <c>");
	msg_add_obj(&a.m, "job", "x&y");
	buf body;
	buf_init(&body);
	proto_encode(&a.m, &body);
	char err[256];
	ASSERT_EQ(0, proto_decode(body.data, body.len, &b.m, err, sizeof(err))) << err;
	EXPECT_STREQ(a.m.text, b.m.text);
	EXPECT_STREQ("x&y", b.m.objs->name);
	buf_reset(&body);
	msg_request(&c.m, PBS_BATCH_StatusJob, "1&2");
	msg_add_attr(&c.m, "Resource_List", "r&d", "v&w");
	proto_encode(&c.m, &body);
	ASSERT_EQ(0, proto_decode(body.data, body.len, &d.m, err, sizeof(err))) << err;
	EXPECT_STREQ("1&2", d.m.id);
	EXPECT_STREQ("v&w", msg_attr(&d.m, "Resource_List", "r&d"));
	buf_free(&body);
}

// --- sessions (issue 10: replay) -------------------------------------------

namespace {

// Move what one side wrote into the other side's reader and step it.
int step(proto_reader *r, buf *from, pbs_msg *m, int *pbse)
{
	char err[256];
	buf_append(&r->in, from->data, from->len);
	buf_reset(from);
	return proto_reader_next(r, 0, m, pbse, err, sizeof(err));
}

struct Ends {
	proto_key k;
	proto_session a, i;
	proto_reader ra, ri;
	buf to_i, to_a;
	Ends(const char *ka, const char *ki) : k(test_key(ka)), other(test_key(ki))
	{
		proto_session_init(&a, &k, PROTO_ACCEPTOR);
		proto_session_init(&i, &other, PROTO_INITIATOR);
		proto_reader_init(&ra, &a);
		proto_reader_init(&ri, &i);
		buf_init(&to_i);
		buf_init(&to_a);
	}
	~Ends()
	{
		proto_reader_free(&ra);
		proto_reader_free(&ri);
		buf_free(&to_i);
		buf_free(&to_a);
		proto_key_free(&k);
		proto_key_free(&other);
	}
	proto_key other;
	// run the handshake; returns the acceptor's verdict on the hello
	int shake(int *pbse)
	{
		Msg m;
		EXPECT_EQ(0, proto_session_start(&a, &to_i));
		EXPECT_EQ(PROTO_HELLO_A_LEN, (int)to_i.len);
		EXPECT_FALSE(proto_session_can_send(&i));
		EXPECT_EQ(PROTO_HELLO, step(&ri, &to_i, &m.m, pbse));
		EXPECT_TRUE(proto_session_can_send(&i));
		buf_append(&to_a, ri.answer.data, ri.answer.len);
		buf_reset(&ri.answer);
		EXPECT_EQ(PROTO_HELLO_I_LEN, (int)to_a.len);
		int rc = step(&ra, &to_a, &m.m, pbse);
		if (rc == PROTO_HELLO) {
			buf_append(&to_i, ra.answer.data, ra.answer.len);
			buf_reset(&ra.answer);
		} else {
			proto_session_refuse(&a, &to_i, *pbse);
		}
		return rc;
	}
};

std::string frame_in(proto_session *s, const char *body)
{
	buf b;
	buf_init(&b);
	proto_frame_body(&b, body, strlen(body), s);
	std::string out(b.data, b.len);
	buf_free(&b);
	return out;
}

}  // namespace

TEST(ProtocolSession, HandshakeThenFramesBothWays)
{
	const char *key = "0123456789abcdef0123456789abcdef";
	Ends e(key, key);
	int pbse;
	ASSERT_EQ(PROTO_HELLO, e.shake(&pbse));
	EXPECT_TRUE(proto_session_ready(&e.a));
	Msg m, r;
	// the acceptor's proof reaches the initiator: now it is ready too
	ASSERT_EQ(PROTO_HELLO, step(&e.ri, &e.to_i, &m.m, &pbse));
	EXPECT_TRUE(proto_session_ready(&e.i));
	std::string f = frame_in(&e.i, "<req v=\"1\" type=\"QueueJob\" id=\"1.head\"/>");
	buf_append(&e.to_a, f.data(), f.size());
	ASSERT_EQ(PROTO_MSG, step(&e.ra, &e.to_a, &m.m, &pbse));
	EXPECT_EQ(PBS_BATCH_QueueJob, m.m.type);
	std::string g = frame_in(&e.a, "<reply v=\"1\" code=\"0\" aux=\"0\" text=\"\"/>");
	buf_append(&e.to_i, g.data(), g.size());
	ASSERT_EQ(PROTO_MSG, step(&e.ri, &e.to_i, &r.m, &pbse));
	EXPECT_TRUE(r.m.is_reply);
}

TEST(ProtocolSession, WrongKeyIsRefusedWithItsCode)
{
	Ends e("0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210");
	int pbse;
	ASSERT_EQ(PROTO_FATAL, e.shake(&pbse));
	EXPECT_EQ(PBSE_BADCRED, pbse);
	EXPECT_FALSE(proto_session_ready(&e.a));
	// the initiator reads the refusal and reports the acceptor's code
	Msg m;
	EXPECT_EQ(PROTO_FATAL, step(&e.ri, &e.to_i, &m.m, &pbse));
	EXPECT_EQ(PBSE_BADCRED, pbse);
}

TEST(ProtocolSession, ReplayedReorderedAndReflectedFramesFail)
{
	const char *key = "0123456789abcdef0123456789abcdef";
	Ends e(key, key);
	int pbse;
	ASSERT_EQ(PROTO_HELLO, e.shake(&pbse));
	Msg m1, m2, m3, m4;
	ASSERT_EQ(PROTO_HELLO, step(&e.ri, &e.to_i, &m1.m, &pbse));
	std::string q1 = frame_in(&e.i, "<req v=\"1\" type=\"QueueJob\" id=\"1.head\"/>");
	std::string q2 = frame_in(&e.i, "<req v=\"1\" type=\"StatusJob\" id=\"\"/>");
	// out of order: the second frame first
	buf_append(&e.to_a, q2.data(), q2.size());
	EXPECT_EQ(PROTO_FATAL, step(&e.ra, &e.to_a, &m2.m, &pbse));
	EXPECT_EQ(PBSE_BADCRED, pbse);
	// the same frame twice in one session
	Ends f(key, key);
	ASSERT_EQ(PROTO_HELLO, f.shake(&pbse));
	ASSERT_EQ(PROTO_HELLO, step(&f.ri, &f.to_i, &m1.m, &pbse));
	std::string x = frame_in(&f.i, "<req v=\"1\" type=\"QueueJob\" id=\"2.head\"/>");
	buf_append(&f.to_a, x.data(), x.size());
	ASSERT_EQ(PROTO_MSG, step(&f.ra, &f.to_a, &m3.m, &pbse));
	buf_append(&f.to_a, x.data(), x.size());
	EXPECT_EQ(PROTO_FATAL, step(&f.ra, &f.to_a, &m4.m, &pbse));
	// a frame of one session in another: fresh nonces, no match
	Ends g(key, key);
	Msg m5, m6;
	ASSERT_EQ(PROTO_HELLO, g.shake(&pbse));
	buf_append(&g.to_a, x.data(), x.size());
	EXPECT_EQ(PROTO_FATAL, step(&g.ra, &g.to_a, &m5.m, &pbse));
	// sent back to its sender
	ASSERT_EQ(PROTO_HELLO, step(&g.ri, &g.to_i, &m6.m, &pbse));
	std::string y = frame_in(&g.i, "<reply v=\"1\" code=\"0\" aux=\"0\" text=\"\"/>");
	Msg m7;
	buf_append(&g.to_i, y.data(), y.size());
	EXPECT_EQ(PROTO_FATAL, step(&g.ri, &g.to_i, &m7.m, &pbse));
}

// Before the handshake an acceptor wants at most its hello record, and a
// stranger's 16 MiB header is refused at its first bytes.
TEST(ProtocolSession, NothingLargeBeforeAuthentication)
{
	proto_key k = test_key("0123456789abcdef0123456789abcdef");
	proto_session a;
	proto_reader r;
	buf out;
	buf_init(&out);
	proto_session_init(&a, &k, PROTO_ACCEPTOR);
	proto_reader_init(&r, &a);
	ASSERT_EQ(0, proto_session_start(&a, &out));
	EXPECT_EQ((size_t)PROTO_HELLO_I_LEN, proto_reader_want(&r));
	uint32_t n = htonl(PROTO_MAX_BODY);
	std::string junk((const char *)&n, 4);
	junk += std::string(PROTO_HELLO_I_LEN - 4, 'x');
	buf_append(&r.in, junk.data(), junk.size());
	EXPECT_EQ(0u, proto_reader_want(&r));
	Msg m;
	int pbse;
	char err[256];
	EXPECT_EQ(PROTO_FATAL, proto_reader_next(&r, 0, &m.m, &pbse, err, sizeof(err)));
	EXPECT_EQ(PBSE_PROTOCOL, pbse);
	proto_reader_free(&r);
	buf_free(&out);
	proto_key_free(&k);
}

// The blocking handshake of tools and tests, over a socketpair.
TEST(ProtocolSession, BlockingHandshake)
{
	int sv[2];
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	proto_key k = test_key("0123456789abcdef0123456789abcdef");
	pid_t pid = fork();
	if (pid == 0) {
		proto_session a;
		Msg m, r;
		char err[256];
		proto_session_init(&a, &k, PROTO_ACCEPTOR);
		if (proto_handshake(sv[1], &a, 5000, err, sizeof(err)) ||
		    proto_recv(sv[1], &m.m, &a, 5000, err, sizeof(err)))
			_exit(1);
		msg_reply(&r.m, 0, 7, "ok");
		_exit(proto_send(sv[1], &r.m, &a) ? 1 : 0);
	}
	proto_session i;
	Msg req, rep;
	char err[256];
	proto_session_init(&i, &k, PROTO_INITIATOR);
	ASSERT_EQ(0, proto_handshake(sv[0], &i, 5000, err, sizeof(err))) << err;
	msg_request(&req.m, PBS_BATCH_StatusJob, "");
	ASSERT_EQ(0, proto_call(sv[0], &req.m, &rep.m, &i, 5000, err, sizeof(err))) << err;
	EXPECT_EQ(7, rep.m.aux);
	int st;
	waitpid(pid, &st, 0);
	EXPECT_EQ(0, st);
	close(sv[0]);
	close(sv[1]);
	proto_key_free(&k);
}
