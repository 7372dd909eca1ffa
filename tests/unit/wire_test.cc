// lib/wire: the connection layer's own rules, on real sockets in one
// process: slots given back, per-peer limits that recover, strangers
// evicted oldest first, tasks.
#include <gtest/gtest.h>

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "lib/pbs_error.h"
#include "lib/protocol.h"
#include "lib/wire.h"

namespace {

struct Loop {
	wloop *l;
	int lfd = -1;
	std::string path;
	const proto_key *key = nullptr;
	int msgs = 0;
	explicit Loop(const wloop_cfg &cfg) : l(wloop_new(&cfg))
	{
		char tmpl[] = "/tmp/wire_test.XXXXXX";
		path = std::string(mkdtemp(tmpl)) + "/s";
		lfd = proto_unix_listen(path.c_str(), 0600);
		wloop_listen(l, lfd, on_accept, this);
	}
	~Loop()
	{
		wloop_free(l);
		close(lfd);
		unlink(path.c_str());
		rmdir(path.substr(0, path.size() - 2).c_str());
	}
	static void on_msg(wconn *c, pbs_msg *m)
	{
		Loop *self = (Loop *)c->data;
		pbs_msg r;
		self->msgs++;
		msg_free(m);
		msg_reply(&r, 0, 0, "");
		wconn_send(c, &r);
		msg_free(&r);
	}
	static void on_accept(wloop *l, int lfd, void *arg)
	{
		Loop *self = (Loop *)arg;
		wconn *c = wloop_accept(l, lfd, self->key);
		if (!c)
			return;
		c->data = self;
		c->on_msg = on_msg;
	}
	void turns(int n)
	{
		for (int i = 0; i < n; i++)
			wloop_turn(l, 0, NULL);
	}
};

wloop_cfg small_cfg()
{
	wloop_cfg c = WLOOP_CFG_DEFAULT;
	c.max_conns = 16;
	c.per_peer = 4;
	return c;
}

}  // namespace

TEST(Wire, SlotsAreGivenBack)
{
	Loop L(small_cfg());
	for (int i = 0; i < 200; i++) {
		int fd = proto_unix_connect(L.path.c_str());
		ASSERT_GE(fd, 0);
		L.turns(2);
		close(fd);
		L.turns(2);
	}
	EXPECT_EQ(0u, wloop_nconns(L.l));
	// and the table still takes a client that asks something
	int fd = proto_unix_connect(L.path.c_str());
	pbs_msg q, r;
	msg_request(&q, PBS_BATCH_StatusServer, "");
	ASSERT_EQ(0, proto_send(fd, &q, NULL));
	L.turns(3);
	char err[256];
	EXPECT_EQ(0, proto_recv(fd, &r, NULL, 1000, err, sizeof(err))) << err;
	msg_free(&q);
	msg_free(&r);
	close(fd);
}

TEST(Wire, PerPeerLimitRecoversWhenThePeerCloses)
{
	Loop L(small_cfg());
	std::vector<int> fds;
	for (int i = 0; i < 6; i++) {
		fds.push_back(proto_unix_connect(L.path.c_str()));
		L.turns(2);
	}
	EXPECT_EQ(4u, wloop_nconns(L.l));   // the 5th and 6th were refused
	for (int fd : fds)
		close(fd);
	L.turns(3);
	EXPECT_EQ(0u, wloop_nconns(L.l));
	int fd = proto_unix_connect(L.path.c_str());
	L.turns(2);
	EXPECT_EQ(1u, wloop_nconns(L.l));
	close(fd);
}

// A keyed listener: connections that never finish the handshake share a
// room; the oldest leaves when it is full.
TEST(Wire, StrangersAreEvictedOldestFirst)
{
	wloop_cfg cfg = small_cfg();
	cfg.per_peer = 100;
	cfg.max_conns = 100;
	cfg.preauth_per_addr = 3;
	Loop L(cfg);
	proto_key k;
	k.key = (unsigned char *)strdup("0123456789abcdef0123456789abcdef");
	k.len = 32;
	L.key = &k;
	std::vector<int> fds;
	for (int i = 0; i < 10; i++) {
		fds.push_back(proto_unix_connect(L.path.c_str()));
		L.turns(2);
	}
	EXPECT_EQ(3u, wloop_nconns(L.l));
	for (int fd : fds)
		close(fd);
	L.turns(3);
	EXPECT_EQ(0u, wloop_nconns(L.l));
	proto_key_free(&k);
}

namespace {
int ran;
void bump(void *) { ran++; }
}  // namespace

TEST(Wire, TasksRunWhenWokenAndWhenDue)
{
	wloop_cfg cfg = WLOOP_CFG_DEFAULT;
	wloop *l = wloop_new(&cfg);
	wtask *woken = wloop_task(l, "woken", bump, NULL, 0);
	ran = 0;
	wloop_turn(l, 0, NULL);
	EXPECT_EQ(0, ran);          // period 0: only when woken
	wtask_wake(woken);
	wloop_turn(l, 1000, NULL);  // does not sleep: the task is due
	EXPECT_EQ(1, ran);
	wtask_at(woken, now_ms() + 30);
	long long t0 = now_ms();
	while (ran == 1 && now_ms() - t0 < 2000)
		wloop_turn(l, 1000, NULL);   // sleeps until the task, not 1 s
	EXPECT_EQ(2, ran);
	EXPECT_LT(now_ms() - t0, 900);
	wloop_free(l);
}
