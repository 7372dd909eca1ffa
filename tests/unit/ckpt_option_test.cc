// lib/ckpt_option.c: the one reading of the Checkpoint attribute (qsub -c)
// that qsub, the server and the MOM share.
#include <gtest/gtest.h>

#include <string>

#include "lib/ckpt_option.h"

namespace {

TEST(CkptOption, TorqueItems)
{
	ckpt_opts o;
	char err[256];
	ASSERT_EQ(0, ckpt_opts_parse("c=30,depth=2,dir=/shared/ck", &o, err, sizeof(err))) << err;
	EXPECT_TRUE(o.c);
	EXPECT_EQ(1800, o.interval);
	EXPECT_EQ(2, o.depth);
	EXPECT_STREQ("/shared/ck", o.dir);
	EXPECT_TRUE(ckpt_checkpointable(&o));
	EXPECT_EQ(1800, ckpt_periodic_interval(&o, 600));
}

TEST(CkptOption, WhoQualifies)
{
	struct {
		const char *val;
		int ckpt, shutdown, periodic;
	} cases[] = {
		{ "enabled", 1, 0, 0 },
		{ "s", 1, 1, 0 },
		{ "c", 1, 0, 600 },
		{ "shutdown", 1, 1, 0 },
		{ "periodic", 1, 0, 600 },
		{ "periodic,interval=1", 1, 0, 60 },
		{ "enabled,interval=5s", 1, 0, 0 },  // interval alone is not periodic
		{ "periodic,interval=5s", 1, 0, 5 },
		{ "c=2m", 1, 0, 120 },
		{ "c=10,interval=10", 1, 0, 600 },  // both, agreeing
		{ "n", 0, 0, 0 },
		{ "none", 0, 0, 0 },
		{ "u", 0, 0, 0 },
		{ "", 0, 0, 0 },
		{ " enabled , periodic ", 1, 0, 600 },
		{ "enabled,enabled", 1, 0, 0 },
		{ "depth=3", 0, 0, 0 },
		{ "n,dir=/x", 0, 0, 0 },
	};
	for (auto &tc : cases) {
		ckpt_opts o;
		char err[256];
		ASSERT_EQ(0, ckpt_opts_parse(tc.val, &o, err, sizeof(err))) << tc.val << ": " << err;
		EXPECT_EQ(tc.ckpt, ckpt_checkpointable(&o)) << tc.val;
		EXPECT_EQ(tc.shutdown, ckpt_at_shutdown(&o)) << tc.val;
		EXPECT_EQ(tc.periodic, ckpt_periodic_interval(&o, 600)) << tc.val;
	}
	ckpt_opts o;
	EXPECT_EQ(0, ckpt_opts_parse(nullptr, &o, nullptr, 0));
	EXPECT_FALSE(ckpt_checkpointable(&o));
}

// Issue 13: "-c n,enabled passes qsub, the server treats the job as
// checkpointable and the MOM does not". Now refused, with the reason.
TEST(CkptOption, RefusedWithReason)
{
	struct {
		const char *val, *why;
	} cases[] = {
		{ "n,enabled", "contradicts" },
		{ "none,periodic", "contradicts" },
		{ "u,s", "contradicts" },
		{ "c=5,interval=10", "disagree" },
		{ "c=5,c=6", "twice" },
		{ "depth=1,depth=2", "twice" },
		{ "dir=/a,dir=/b", "twice" },
		{ "dir=relative/path", "absolute" },
		{ "dir=/var/../boot", "\"..\"" },
		{ "dir=/var/./x", "\"..\"" },
		{ "dir=", "empty" },
		{ "depth", "needs a value" },
		{ "enabled=1", "takes no value" },
		{ "c=x", "minutes" },
		{ "interval=10h", "minutes" },
		{ "depth=-1", "0..10000" },
		{ "checkpoint", "unknown" },
		{ "enable", "unknown" },
		{ "enabled,,periodic", "empty item" },
		{ "enabled,", "empty item" },
	};
	for (auto &tc : cases) {
		ckpt_opts o;
		char err[256];
		EXPECT_EQ(-1, ckpt_opts_parse(tc.val, &o, err, sizeof(err))) << tc.val;
		EXPECT_NE(std::string(err).find(tc.why), std::string::npos) << tc.val << ": " << err;
		EXPECT_FALSE(ckpt_checkpointable(&o)) << tc.val;  // nothing half-set
	}
}

TEST(CkptOption, DirRules)
{
	char err[256];
	EXPECT_EQ(0, ckpt_dir_check("/var/spool/ckmig-shared/ck", err, sizeof(err)));
	EXPECT_EQ(0, ckpt_dir_check("/a/..b/c.", err, sizeof(err)));  // names, not dots
	EXPECT_EQ(-1, ckpt_dir_check("ck", err, sizeof(err)));
	EXPECT_EQ(-1, ckpt_dir_check("/a/..", err, sizeof(err)));
	EXPECT_EQ(-1, ckpt_dir_check("", err, sizeof(err)));
	EXPECT_EQ(-1, ckpt_dir_check(std::string(5000, '/').c_str(), err, sizeof(err)));

	EXPECT_TRUE(ckpt_dir_under("/shared/ck", "/shared"));
	EXPECT_TRUE(ckpt_dir_under("/shared", "/shared/"));
	EXPECT_TRUE(ckpt_dir_under("/shared/ck/1.head.CK", "/shared/ck"));
	EXPECT_FALSE(ckpt_dir_under("/sharedother", "/shared"));
	EXPECT_FALSE(ckpt_dir_under("/boot", "/shared"));
	EXPECT_TRUE(ckpt_dir_under("/anything", "/"));
}

TEST(CkptOption, NodesSpecCount)
{
	EXPECT_EQ(1, nodes_spec_count("1"));
	EXPECT_EQ(2, nodes_spec_count("2:ppn=4"));
	EXPECT_EQ(3, nodes_spec_count("2:ppn=1+node3"));
	EXPECT_EQ(1, nodes_spec_count("node1:ppn=2"));
	EXPECT_EQ(2, nodes_spec_count("node1+node2"));
	EXPECT_EQ(0, nodes_spec_count(nullptr));
	EXPECT_EQ(0, nodes_spec_count(""));
	EXPECT_EQ(0, nodes_spec_count("0"));
	EXPECT_EQ(0, nodes_spec_count("+node1"));
	EXPECT_EQ(0, nodes_spec_count("2x"));
}

}  // namespace
