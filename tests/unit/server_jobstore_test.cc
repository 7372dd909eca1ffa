// The job store: a job written and read back is the same job, a damaged
// file is set aside without costing the others, and a server restarted
// on the same home recovers every job.
#include <gtest/gtest.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <string>

#include "lib/log.h"
#include "lib/util.h"
#include "server/server.h"

namespace {
std::string make_home()
{
	char t[] = "/tmp/ckmig_srvXXXXXX";
	EXPECT_NE(nullptr, mkdtemp(t));
	return t;
}
void rm_rf(const std::string &p)
{
	std::string cmd = "rm -rf '" + p + "'";
	EXPECT_EQ(0, system(cmd.c_str()));
}
}  // namespace

TEST(ServerJobStore, EncodeDecodeRoundTrip)
{
	job *j = job_alloc("42.head", 42);
	j->state = JOB_STATE_HELD;
	j->substate = JOB_SUBSTATE_HELD;
	j->svrflags = JOB_SVFLG_HERE | JOB_SVFLG_HASRUN | JOB_SVFLG_CHECKPOINT_MIGRATEABLE;
	job_set(j, ATTR_N, "name with <xml> & \"quotes\"");
	attrl_set(&j->attrs, ATTR_l, "walltime", "01:00:00");
	attrl_set(&j->attrs, ATTR_l, "nodes", "1:ppn=2");
	job_set(j, ATTR_exechost, "node1/0+node1/1");
	job_set(j, ATTR_checkpoint_name, "ckpt.42.head.1700000000");
	j->script = xstrdup("#!/bin/sh\nfor i in 1 2; do echo \"$i\" > /dev/null; done\n\ttab\n");
	buf b;
	buf_init(&b);
	job_encode(j, &b);
	char err[256];
	job *k = job_decode(b.data, b.len, err, sizeof(err));
	ASSERT_NE(nullptr, k) << err;
	EXPECT_STREQ(j->id, k->id);
	EXPECT_EQ(42, k->seq);
	EXPECT_EQ(JOB_STATE_HELD, k->state);
	EXPECT_EQ(JOB_SUBSTATE_HELD, k->substate);
	EXPECT_EQ(j->svrflags, k->svrflags);
	EXPECT_STREQ(job_attr(j, ATTR_N), job_attr(k, ATTR_N));
	EXPECT_STREQ("01:00:00", job_resc(k, ATTR_l, "walltime"));
	EXPECT_STREQ("1:ppn=2", job_resc(k, ATTR_l, "nodes"));
	EXPECT_STREQ(j->script, k->script);
	EXPECT_EQ(j->attrs.count, k->attrs.count);
	buf_free(&b);
	job_free(j);
	job_free(k);
}

TEST(ServerJobStore, DecodeRefusesDamage)
{
	char err[256];
	const char *bad[] = {
		"", "<job/>", "<job v=\"3\" id=\"1.h\" seq=\"1\" state=\"1\" substate=\"10\" svrflags=\"0\"/>",
		"<job v=\"2\" id=\"1.h\" seq=\"1\" state=\"1\" substate=\"10\" svrflags=\"0\"><ckmig state=\"bogus\" cause=\"none\" migratable=\"-1\"/></job>",
		"<job v=\"1\" id=\"1.h\" seq=\"1\" state=\"9\" substate=\"10\" svrflags=\"0\"/>",
		"<job v=\"1\" id=\"1.h\" seq=\"1\" state=\"1\" substate=\"10\" svrflags=\"0\">",
	};
	for (const char *b : bad) {
		job *j = job_decode(b, strlen(b), err, sizeof(err));
		EXPECT_EQ(nullptr, j) << b;
		job_free(j);
	}
}

TEST(ServerJobStore, RestartRecoversAllJobsAndSetsAsideBadFile)
{
	std::string home = make_home();
	char err[512];
	log_open("PBS_Server", NULL, 0);
	server *s = server_create(home.c_str(), "head");
	ASSERT_EQ(0, pbsd_init(s, err, sizeof(err))) << err;
	for (int i = 0; i < 3; i++) {
		char id[32];
		snprintf(id, sizeof(id), "%ld.head", s->next_seq);
		job *j = job_alloc(id, s->next_seq++);
		j->state = JOB_STATE_QUEUED;
		j->substate = JOB_SUBSTATE_QUEUED;
		job_setf(j, ATTR_N, "job%d", i);
		j->script = xstrdup("true\n");
		ASSERT_EQ(0, job_save(s, j));
		job_link(s, j);
	}
	long next = s->next_seq;
	server_destroy(s);
	// a damaged file next to the good ones
	std::string bad = home + "/server_priv/jobs/77.head.JB";
	FILE *f = fopen(bad.c_str(), "w");
	fputs("<job v=\"1\" id=\"77.head\"", f);
	fclose(f);

	s = server_create(home.c_str(), "head");
	ASSERT_EQ(0, pbsd_init(s, err, sizeof(err))) << err;
	EXPECT_EQ(3u, s->njobs);
	ASSERT_NE(nullptr, find_job(s, "1"));
	EXPECT_STREQ("job1", job_attr(find_job(s, "1.head"), ATTR_N));
	EXPECT_EQ(nullptr, find_job(s, "77"));
	EXPECT_EQ(0, access((bad + ".bad").c_str(), F_OK));
	// ids are never handed out twice
	EXPECT_GE(s->next_seq, next);
	// submission order kept
	EXPECT_STREQ("0.head", s->jobs->id);
	EXPECT_STREQ("2.head", s->jobs_tail->id);
	server_destroy(s);
	log_close();
	rm_rf(home);
}

TEST(ServerJobStore, RunningJobGetsItsSlotsBackAfterRestart)
{
	std::string home = make_home();
	char err[512];
	log_open("PBS_Server", NULL, 0);
	ASSERT_EQ(0, mkdir_p((home + "/server_priv").c_str(), 0755));
	FILE *f = fopen((home + "/server_priv/nodes").c_str(), "w");
	fputs("node1 np=2\nnode2 np=1\n", f);
	fclose(f);
	server *s = server_create(home.c_str(), "head");
	ASSERT_EQ(0, pbsd_init(s, err, sizeof(err))) << err;
	job *j = job_alloc("0.head", 0);
	j->state = JOB_STATE_RUNNING;
	j->substate = JOB_SUBSTATE_RUNNING;
	job_set(j, ATTR_exechost, "node1/0+node1/1");
	ASSERT_EQ(0, job_save(s, j));
	job_free(j);
	server_destroy(s);
	s = server_create(home.c_str(), "head");
	ASSERT_EQ(0, pbsd_init(s, err, sizeof(err))) << err;
	node *n = find_node(s, "node1");
	ASSERT_NE(nullptr, n);
	EXPECT_EQ(0, node_free_slots(n));
	char st[64];
	EXPECT_STREQ("down,job-exclusive", node_state_str(n, st, sizeof(st)));
	server_destroy(s);
	log_close();
	rm_rf(home);
}
