// The parsers behind qsub, qalter, qrun and qmigrate: resource lists,
// Torque's -c checkpoint items, job ids and destinations.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "qtools/lib/cmds.h"

namespace {

std::string dump(const attropl *a)
{
	std::string s;
	for (; a; a = a->next) {
		if (!s.empty())
			s += ";";
		s += std::string(a->name) + "." + (a->resource ? a->resource : "") + "=" + a->value;
	}
	return s;
}

std::string resc(const char *spec, bool *ok = nullptr)
{
	attropl *list = nullptr;
	char err[256] = "";
	int rc = parse_resource_list(spec, &list, err, sizeof(err));
	if (ok)
		*ok = rc == 0;
	std::string s = rc == 0 ? dump(list) : std::string("ERR:") + err;
	ifl_attropl_free(list);
	return s;
}

TEST(QtoolsResourceList, NodesWithPpnAndWalltime)
{
	EXPECT_EQ(resc("walltime=01:00:00,nodes=2:ppn=4"),
		  "Resource_List.walltime=01:00:00;Resource_List.nodes=2:ppn=4");
}

TEST(QtoolsResourceList, HostSpecsAndProperties)
{
	EXPECT_EQ(resc("nodes=node1:ppn=2+node2:fast"),
		  "Resource_List.nodes=node1:ppn=2+node2:fast");
	EXPECT_EQ(resc("nodes=1:gpus=2"), "Resource_List.nodes=1:gpus=2");
}

TEST(QtoolsResourceList, QuotedValueKeepsComma)
{
	EXPECT_EQ(resc("other=\"a,b\",mem=2gb"), "Resource_List.other=a,b;Resource_List.mem=2gb");
}

TEST(QtoolsResourceList, BlanksAroundItems)
{
	EXPECT_EQ(resc(" walltime = 10 , mem=1mb"),
		  "Resource_List.walltime=10;Resource_List.mem=1mb");
}

TEST(QtoolsResourceList, Refusals)
{
	bool ok = true;
	for (const char *bad : { "", "walltime=", "=5", "walltime=abc", "walltime=1:61:00",
				 "walltime=1:2:3:4", "mem=12xb", "nodes=2:ppn=0", "nodes=2:ppn=x",
				 "nodes=", "nodes=2::ppn=4", "nodes=+node1", "ncpus=-1",
				 "walltime=10,", "a b=1", "other=\"open" }) {
		resc(bad, &ok);
		EXPECT_FALSE(ok) << bad;
	}
}

TEST(QtoolsResourceList, AppendsToExistingList)
{
	attropl *list = nullptr;
	char err[256];
	ASSERT_EQ(parse_resource_list("walltime=5", &list, err, sizeof(err)), 0);
	ASSERT_EQ(parse_resource_list("mem=1gb", &list, err, sizeof(err)), 0);
	EXPECT_EQ(dump(list), "Resource_List.walltime=5;Resource_List.mem=1gb");
	// a refused list leaves what was there untouched
	EXPECT_EQ(parse_resource_list("mem=1gb,walltime=x", &list, err, sizeof(err)), -1);
	EXPECT_EQ(dump(list), "Resource_List.walltime=5;Resource_List.mem=1gb");
	ifl_attropl_free(list);
}

TEST(QtoolsTimeAndSize, Values)
{
	EXPECT_EQ(parse_time_value("01:00:00"), 3600);
	EXPECT_EQ(parse_time_value("90"), 90);
	EXPECT_EQ(parse_time_value("2:30"), 150);
	EXPECT_EQ(parse_time_value("100:00:00"), 360000);
	EXPECT_EQ(parse_time_value("10.5"), 10);
	EXPECT_EQ(parse_time_value("1:60"), -1);
	EXPECT_EQ(parse_time_value("-5"), -1);
	EXPECT_EQ(parse_size_value("1kb"), 1024);
	EXPECT_EQ(parse_size_value("2GB"), 2LL << 30);
	EXPECT_EQ(parse_size_value("1w"), 8);
	EXPECT_EQ(parse_size_value("512"), 512);
	EXPECT_EQ(parse_size_value("5pb"), -1);
	EXPECT_EQ(parse_size_value("kb"), -1);
}

// Torque's items: n,c,s,u,none,shutdown,periodic,enabled,interval,depth,dir
TEST(QtoolsCheckpointOption, TorqueItemsAccepted)
{
	for (const char *good : { "n", "c", "s", "u", "none", "shutdown", "periodic", "enabled",
				  "c=30", "interval=10", "depth=2", "dir=/var/spool/ckmig-shared/ckpt",
				  "enabled,periodic,interval=5", "shutdown,dir=/tmp/x,depth=1",
				  "enabled ,periodic", " enabled" })
		EXPECT_EQ(ckpt_option_valid(good), 0) << good;
}

TEST(QtoolsCheckpointOption, Refused)
{
	for (const char *bad : { "", "x", "enable", "enabledx", "checkpoint", "c=", "c=abc",
				 "interval", "interval=", "interval=-1", "depth=x", "dir", "dir=",
				 "enabled,", ",enabled", "enabled,,periodic", "n=3", "none=1",
				 "count", "n,enabled", "none,periodic", "u,s", "dir=relative/path",
				 "dir=/a/../etc", "c=5,interval=10", "depth=1,depth=2" })
		EXPECT_EQ(ckpt_option_valid(bad), -1) << bad;
}

TEST(QtoolsJobId, Parse)
{
	char seq[64], server[256];
	ASSERT_EQ(parse_jobid("42", seq, sizeof(seq), server, sizeof(server)), 0);
	EXPECT_STREQ(seq, "42");
	EXPECT_STREQ(server, "");
	ASSERT_EQ(parse_jobid("42.head", seq, sizeof(seq), server, sizeof(server)), 0);
	EXPECT_STREQ(seq, "42");
	EXPECT_STREQ(server, "head");
	ASSERT_EQ(parse_jobid("7[3].head.example.org", seq, sizeof(seq), server, sizeof(server)), 0);
	EXPECT_STREQ(seq, "7[3]");
	EXPECT_STREQ(server, "head.example.org");
	for (const char *bad : { "", "head", "42.", "x42", "42x", "42.he ad", "42[1" })
		EXPECT_EQ(parse_jobid(bad, seq, sizeof(seq), server, sizeof(server)), -1) << bad;
}

TEST(QtoolsJobId, FullId)
{
	char *s = jobid_full("42", "head");
	EXPECT_STREQ(s, "42.head");
	free(s);
	s = jobid_full("42.other", "head");
	EXPECT_STREQ(s, "42.other");
	free(s);
	s = jobid_full("42", nullptr);
	EXPECT_STREQ(s, "42");
	free(s);
	EXPECT_EQ(jobid_full("bad", "head"), nullptr);
}

TEST(QtoolsDestination, QueueAtServer)
{
	char q[64], s[64];
	ASSERT_EQ(parse_destination_id("batch", q, sizeof(q), s, sizeof(s)), 0);
	EXPECT_STREQ(q, "batch");
	EXPECT_STREQ(s, "");
	ASSERT_EQ(parse_destination_id("batch@head", q, sizeof(q), s, sizeof(s)), 0);
	EXPECT_STREQ(q, "batch");
	EXPECT_STREQ(s, "head");
	ASSERT_EQ(parse_destination_id("@head", q, sizeof(q), s, sizeof(s)), 0);
	EXPECT_STREQ(q, "");
	EXPECT_STREQ(s, "head");
	EXPECT_EQ(parse_destination_id("batch@", q, sizeof(q), s, sizeof(s)), -1);
	EXPECT_EQ(parse_destination_id("", q, sizeof(q), s, sizeof(s)), -1);
	EXPECT_EQ(parse_destination_id("ba tch", q, sizeof(q), s, sizeof(s)), -1);
}

// Run and migrate destinations as Torque users and Maui write them.
TEST(QtoolsDestination, RunLocations)
{
	for (const char *good : { "node2", "node2/0", "node2:ppn=1", "node1+node2",
				  "node1:ppn=2+node2:ppn=2", "n-1.example.org" })
		EXPECT_EQ(check_run_destination(good), 0) << good;
	for (const char *bad : { "", "+node1", "node1+", "node1/", "node1/x", "node1:", ":ppn=1",
				 "node 1", "node1;rm" })
		EXPECT_EQ(check_run_destination(bad), -1) << bad;
}

TEST(QtoolsOptions, HoldPriorityJoinSignalName)
{
	EXPECT_EQ(check_hold_list("uos", 0), 0);
	EXPECT_EQ(check_hold_list("n", 0), -1);
	EXPECT_EQ(check_hold_list("n", 1), 0);
	EXPECT_EQ(check_hold_list("x", 0), -1);
	EXPECT_EQ(check_hold_list("", 0), -1);
	EXPECT_EQ(check_priority("-1024"), 0);
	EXPECT_EQ(check_priority("1023"), 0);
	EXPECT_EQ(check_priority("1024"), -1);
	EXPECT_EQ(check_priority("high"), -1);
	EXPECT_EQ(check_join("oe"), 0);
	EXPECT_EQ(check_join("eo"), 0);
	EXPECT_EQ(check_join("n"), 0);
	EXPECT_EQ(check_join("y"), -1);
	EXPECT_EQ(check_signal("SIGUSR1"), 0);
	EXPECT_EQ(check_signal("usr1"), 0);
	EXPECT_EQ(check_signal("9"), 0);
	EXPECT_EQ(check_signal("suspend"), 0);
	EXPECT_EQ(check_signal("SIGFOO"), -1);
	EXPECT_EQ(check_signal("99"), -1);
	EXPECT_EQ(check_job_name("my-job_1"), 0);
	EXPECT_EQ(check_job_name("has space"), -1);
	EXPECT_EQ(check_job_name(""), -1);
}

TEST(QtoolsOptions, VariableAndEqualLists)
{
	buf b;
	char err[256];
	buf_init(&b);
	setenv("QTOOLS_TEST_VAR", "from,env", 1);
	ASSERT_EQ(parse_variable_list("A=1,QTOOLS_TEST_VAR,B=\"x,y\"", &b, err, sizeof(err)), 0);
	EXPECT_STREQ(b.data, "A=1,QTOOLS_TEST_VAR=from\\,env,B=x\\,y");
	buf_reset(&b);
	EXPECT_EQ(parse_variable_list("1A=2", &b, err, sizeof(err)), -1);
	EXPECT_EQ(parse_variable_list("", &b, err, sizeof(err)), -1);
	buf_free(&b);

	attropl *list = nullptr;
	ASSERT_EQ(parse_equal_string_list("depend=afterok:1.head,group_list=users", &list, err,
					  sizeof(err)), 0);
	EXPECT_EQ(dump(list), "depend.=afterok:1.head;group_list.=users");
	ifl_attropl_free(list);
	list = nullptr;
	EXPECT_EQ(parse_equal_string_list("depend", &list, err, sizeof(err)), -1);
	EXPECT_EQ(parse_equal_string_list("a=1,", &list, err, sizeof(err)), -1);
	EXPECT_EQ(list, nullptr);
}

} // namespace
