// The MOM's job: Torque's environment for the job, the job file round
// trip, walltime and exec_host helpers.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "lib/attr_names.h"
#include "lib/protocol.h"
#include "lib/util.h"
#include "mom/mom.h"
#include "mom/mom_util.h"

namespace {

std::map<std::string, std::string> env_map(char **env)
{
	std::map<std::string, std::string> m;
	for (char **p = env; *p; p++) {
		std::string s = *p;
		size_t eq = s.find('=');
		EXPECT_NE(std::string::npos, eq) << s;
		EXPECT_EQ(0u, m.count(s.substr(0, eq))) << "duplicate " << s;
		m[s.substr(0, eq)] = s.substr(eq + 1);
	}
	return m;
}

mom_job *sample_job()
{
	mom_job *j = mom_job_alloc("42.head");
	attrl_set(&j->attrs, ATTR_N, NULL, "sim");
	attrl_set(&j->attrs, ATTR_owner, NULL, "ann@login");
	attrl_set(&j->attrs, ATTR_euser, NULL, "ann");
	attrl_set(&j->attrs, ATTR_queue, NULL, "batch");
	attrl_set(&j->attrs, ATTR_exechost, NULL, "node1/0+node1/1+node2/0+node2/1");
	attrl_set(&j->attrs, ATTR_l, "walltime", "01:00:00");
	attrl_set(&j->attrs, ATTR_v, NULL,
		  "PBS_O_HOME=/home/ann,PBS_O_WORKDIR=/home/ann/run,PBS_O_HOST=login,"
		  "PBS_O_PATH=/usr/bin:/bin,PBS_O_LOGNAME=ann,LIST=a\\,b\\,c,PBS_JOBID=forged,HOME=/evil");
	return j;
}

TEST(MomJobEnv, TorquesVariables)
{
	mom_job *j = sample_job();
	char **env = exec_build_env(j, "/home/ann", "/bin/bash", "/var/spool/ckmig/aux/42.head", "node1");
	auto m = env_map(env);
	exec_free_env(env);
	mom_job_free(j);
	EXPECT_EQ("42.head", m["PBS_JOBID"]);      // the MOM's, not the user's forged one
	EXPECT_EQ("sim", m["PBS_JOBNAME"]);
	EXPECT_EQ("batch", m["PBS_QUEUE"]);
	EXPECT_EQ("PBS_BATCH", m["PBS_ENVIRONMENT"]);
	EXPECT_EQ("/var/spool/ckmig/aux/42.head", m["PBS_NODEFILE"]);
	EXPECT_EQ("/home/ann/run", m["PBS_O_WORKDIR"]);
	EXPECT_EQ("/home/ann", m["PBS_O_HOME"]);
	EXPECT_EQ("login", m["PBS_O_HOST"]);
	EXPECT_EQ("ann", m["PBS_O_LOGNAME"]);
	EXPECT_EQ("/usr/bin:/bin", m["PBS_O_PATH"]);
	EXPECT_EQ("/home/ann", m["HOME"]);         // the owner's, not Variable_List's
	EXPECT_EQ("ann", m["USER"]);
	EXPECT_EQ("ann", m["LOGNAME"]);
	EXPECT_EQ("/bin/bash", m["SHELL"]);
	EXPECT_EQ("a,b,c", m["LIST"]);
	EXPECT_EQ("4", m["PBS_NP"]);
	EXPECT_EQ("2", m["PBS_NUM_NODES"]);
	EXPECT_EQ("2", m["PBS_NUM_PPN"]);
	EXPECT_EQ("3600", m["PBS_WALLTIME"]);
	EXPECT_EQ("head", m["PBS_SERVER"]);
	EXPECT_FALSE(m["PATH"].empty());
}

TEST(MomJobEnv, MinimalJobStillGetsTheBasics)
{
	mom_job *j = mom_job_alloc("7.srv");
	attrl_set(&j->attrs, ATTR_owner, NULL, "bob@somewhere");
	char **env = exec_build_env(j, "/home/bob", "/bin/sh", "/n", "node3");
	auto m = env_map(env);
	exec_free_env(env);
	mom_job_free(j);
	EXPECT_EQ("bob", m["USER"]);                // from Job_Owner without euser
	EXPECT_EQ("/home/bob", m["PBS_O_WORKDIR"]);
	EXPECT_EQ("1", m["PBS_NP"]);
	EXPECT_EQ(0u, m.count("PBS_WALLTIME"));
}

TEST(MomJobFile, RoundTripKeepsAttributesScriptAndState)
{
	mom_job *j = sample_job();
	j->script = xstrdup("#!/bin/sh\necho \"<&>\" 'x'\n");
	j->substate = 42;
	j->sid = 4242;
	j->sup_pid = 4241;
	j->sup_start = 123456789ULL;
	j->start_time = 1700000000;
	j->walltime_prior = 30;
	j->held = 1;
	j->exit_status = -11;
	j->end_comment = xstrdup("job killed: walltime 65 exceeded limit 60");
	size_t len;
	char *xml = mom_job_to_xml(j, &len);
	char err[256];
	mom_job *k = mom_job_from_xml(xml, len, err, sizeof(err));
	free(xml);
	ASSERT_NE(nullptr, k) << err;
	EXPECT_STREQ("42.head", k->jobid);
	EXPECT_STREQ(j->script, k->script);
	EXPECT_STREQ("01:00:00", attrl_get(&k->attrs, ATTR_l, "walltime"));
	EXPECT_STREQ(attrl_get(&j->attrs, ATTR_v, NULL), attrl_get(&k->attrs, ATTR_v, NULL));
	EXPECT_EQ(42, k->substate);
	EXPECT_EQ(4242, k->sid);
	EXPECT_EQ(4241, k->sup_pid);
	EXPECT_EQ(123456789ULL, k->sup_start);
	EXPECT_EQ(1700000000, k->start_time);
	EXPECT_EQ(30, k->walltime_prior);
	EXPECT_EQ(1, k->held);
	EXPECT_EQ(-11, k->exit_status);
	EXPECT_STREQ(j->end_comment, k->end_comment);
	mom_job_free(j);
	mom_job_free(k);
}

TEST(MomJobFile, BadFilesRefused)
{
	char err[256];
	const char *notjob = "<?xml version=\"1.0\"?><reply v=\"1\" code=\"0\" aux=\"0\" text=\"\"/>";
	EXPECT_EQ(nullptr, mom_job_from_xml(notjob, strlen(notjob), err, sizeof(err)));
	const char *escape = "<?xml version=\"1.0\"?><req v=\"1\" type=\"QueueJob\" id=\"../../etc\"/>";
	EXPECT_EQ(nullptr, mom_job_from_xml(escape, strlen(escape), err, sizeof(err)));
	EXPECT_EQ(nullptr, mom_job_from_xml("garbage", 7, err, sizeof(err)));
}

TEST(MomUtil, WalltimeParsing)
{
	EXPECT_EQ(3600, mom_parse_hms("01:00:00"));
	EXPECT_EQ(90, mom_parse_hms("1:30"));
	EXPECT_EQ(45, mom_parse_hms("45"));
	EXPECT_EQ(360000, mom_parse_hms("100:00:00"));
	EXPECT_EQ(-1, mom_parse_hms(""));
	EXPECT_EQ(-1, mom_parse_hms("1:2:3:4"));
	EXPECT_EQ(-1, mom_parse_hms("ten"));
	EXPECT_EQ(-1, mom_parse_hms("1:"));
	EXPECT_EQ(-1, mom_parse_hms(nullptr));
	char b[32];
	mom_format_hms(3725, b, sizeof(b));
	EXPECT_STREQ("01:02:05", b);
}

TEST(MomUtil, ExecHostCounting)
{
	int np, nn;
	mom_count_exec_host("node1/0+node1/1+node2/0", &np, &nn);
	EXPECT_EQ(3, np);
	EXPECT_EQ(2, nn);
	mom_count_exec_host("", &np, &nn);
	EXPECT_EQ(0, np);
	EXPECT_EQ(0, nn);
}

TEST(MomUtil, JobUserFromOwner)
{
	mom_job *j = mom_job_alloc("1.s");
	attrl_set(&j->attrs, ATTR_owner, NULL, "carol@host");
	EXPECT_STREQ("carol", mom_job_user(j));
	attrl_set(&j->attrs, ATTR_euser, NULL, "dave");
	EXPECT_STREQ("dave", mom_job_user(j));
	mom_job_free(j);
}

} // namespace
