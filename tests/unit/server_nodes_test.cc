// The nodes file, Maui-style destinations, and first-fit placement.
#include <gtest/gtest.h>

#include <stdlib.h>
#include <string.h>

#include "lib/pbs_error.h"
#include "server/server.h"

TEST(ServerNodes, ParseTorqueNodesFile)
{
	node *nodes = NULL;
	int n = 0;
	char err[256];
	const char *text =
		"# cluster\n"
		"node1 np=4 bigmem fast\n"
		"\n"
		"node2\t np=2   # trailing comment\n"
		"node3 gpus=1\n";
	ASSERT_EQ(0, nodes_parse(text, &nodes, &n, err, sizeof(err))) << err;
	ASSERT_EQ(3, n);
	EXPECT_STREQ("node1", nodes[0].name);
	EXPECT_EQ(4, nodes[0].np);
	EXPECT_STREQ("bigmem,fast", nodes[0].props);
	EXPECT_EQ(2, nodes[1].np);
	EXPECT_EQ(1, nodes[2].np);   // np defaults to 1
	EXPECT_TRUE(nodes[0].flags & NODE_DOWN);   // until the MOM reports
	nodes_free(nodes, n);
}

TEST(ServerNodes, ParseRefusesBadLines)
{
	node *nodes = NULL;
	int n = 0;
	char err[256];
	const char *bad[] = { "node1 np=0\n", "node1 np=x\n", "node1\nnode1\n", "bad/name np=1\n" };
	for (const char *b : bad) {
		EXPECT_EQ(-1, nodes_parse(b, &nodes, &n, err, sizeof(err))) << b;
		EXPECT_NE(nullptr, strstr(err, "line")) << err;
	}
}

TEST(ServerNodes, MauiDestinations)
{
	host_req *hr = NULL;
	int n = 0;
	char err[256];
	ASSERT_EQ(0, parse_destination("node2", 3, &hr, &n, err, sizeof(err)));
	ASSERT_EQ(1, n);
	EXPECT_STREQ("node2", hr[0].name);
	EXPECT_EQ(3, hr[0].count);   // the job's own ppn
	free(hr);
	ASSERT_EQ(0, parse_destination("node2:ppn=2+node3", 1, &hr, &n, err, sizeof(err)));
	ASSERT_EQ(2, n);
	EXPECT_EQ(2, hr[0].count);
	EXPECT_STREQ("node3", hr[1].name);
	EXPECT_EQ(1, hr[1].count);
	free(hr);
	ASSERT_EQ(0, parse_destination("node1/0+node1/1", 1, &hr, &n, err, sizeof(err)));
	ASSERT_EQ(1, n);
	EXPECT_EQ(2, hr[0].count);
	free(hr);
	EXPECT_EQ(PBSE_IVALREQ, parse_destination("", 1, &hr, &n, err, sizeof(err)));
	EXPECT_EQ(PBSE_IVALREQ, parse_destination("node1:ppn=0", 1, &hr, &n, err, sizeof(err)));
	EXPECT_EQ(PBSE_IVALREQ, parse_destination("node1;rm", 1, &hr, &n, err, sizeof(err)));
	EXPECT_EQ(PBSE_IVALREQ, parse_destination("node1/x", 1, &hr, &n, err, sizeof(err)));
}

namespace {
struct Cluster {
	server *s;
	Cluster(const char *nodes_text)
	{
		char err[256];
		s = server_create("/nonexistent", "head");
		s->no_fsync = 1;
		EXPECT_EQ(0, nodes_parse(nodes_text, &s->nodes, &s->nnodes, err, sizeof(err)));
		for (int i = 0; i < s->nnodes; i++)
			s->nodes[i].flags = 0;   // all up
	}
	~Cluster() { server_destroy(s); }
};
}  // namespace

TEST(ServerNodes, FirstFitAndAssignRelease)
{
	Cluster c("node1 np=1\nnode2 np=2 bigmem\nnode3 np=2\n");
	char err[256];
	buf eh;
	buf_init(&eh);
	job *a = job_alloc("1.head", 1);
	attrl_set(&a->attrs, ATTR_l, "nodes", "1:ppn=2");
	ASSERT_EQ(0, node_select(c.s, a, NULL, &eh, err, sizeof(err))) << err;
	EXPECT_STREQ("node2/0+node2/1", eh.data);   // node1 too small
	ASSERT_EQ(0, node_assign(c.s, a, eh.data));
	EXPECT_TRUE(a->svrflags & JOB_SVFLG_HasNodes);
	job *b = job_alloc("2.head", 2);
	attrl_set(&b->attrs, ATTR_l, "nodes", "1:ppn=2:bigmem");
	EXPECT_EQ(PBSE_RESCUNAV, node_select(c.s, b, NULL, &eh, err, sizeof(err)));
	attrl_set(&b->attrs, ATTR_l, "nodes", "2");
	ASSERT_EQ(0, node_select(c.s, b, NULL, &eh, err, sizeof(err))) << err;
	EXPECT_STREQ("node1/0+node3/0", eh.data);
	// an explicit destination that is full
	EXPECT_EQ(PBSE_RESCUNAV, node_select(c.s, b, "node2", &eh, err, sizeof(err)));
	EXPECT_EQ(PBSE_UNKNODE, node_select(c.s, b, "node9", &eh, err, sizeof(err)));
	// offline nodes take nothing new
	find_node(c.s, "node3")->flags |= NODE_OFFLINE;
	EXPECT_EQ(PBSE_RESCUNAV, node_select(c.s, b, "node3", &eh, err, sizeof(err)));
	node_release(c.s, a);
	EXPECT_EQ(2, node_free_slots(find_node(c.s, "node2")));
	EXPECT_FALSE(a->svrflags & JOB_SVFLG_HasNodes);
	buf_free(&eh);
	job_free(a);
	job_free(b);
}

TEST(ServerNodes, StateStrings)
{
	Cluster c("node1 np=1\n");
	node *n = find_node(c.s, "node1");
	char st[64];
	EXPECT_STREQ("free", node_state_str(n, st, sizeof(st)));
	job *j = job_alloc("1.head", 1);
	node_assign(c.s, j, "node1/0");
	EXPECT_STREQ("job-exclusive", node_state_str(n, st, sizeof(st)));
	n->flags |= NODE_OFFLINE | NODE_DOWN;
	EXPECT_STREQ("down,offline,job-exclusive", node_state_str(n, st, sizeof(st)));
	node_release(c.s, j);
	job_free(j);
	char first[64];
	EXPECT_EQ(0, exec_host_first("node7/3+node8/0", first, sizeof(first)));
	EXPECT_STREQ("node7", first);
	EXPECT_EQ(0, exec_host_first("node7:ppn=2", first, sizeof(first)));
	EXPECT_STREQ("node7", first);
}

// Issue 13: "a nodes file with np=2 np=3 or gpus=abc" was taken silently.
TEST(ServerNodes, ParseRefusesKeywordsTwiceOrMalformed)
{
	node *nodes = NULL;
	int n = 0;
	char err[256];
	struct { const char *text, *why; } bad[] = {
		{ "node1 np=2 np=3\n", "line 1: np given twice" },
		{ "node0\nnode1 gpus=abc\n", "line 2: bad gpus \"abc\"" },
		{ "node1 gpus=-1\n", "bad gpus" },
		{ "node1 mics=2x\n", "bad mics" },
		{ "node1 colour=red\n", "unknown node attribute \"colour\"" },
		{ "node1 gpus=1 gpus=1\n", "gpus given twice" },
	};
	for (auto &b : bad) {
		EXPECT_EQ(-1, nodes_parse(b.text, &nodes, &n, err, sizeof(err))) << b.text;
		EXPECT_NE(nullptr, strstr(err, b.why)) << err;
	}
	ASSERT_EQ(0, nodes_parse("node1 np=2 gpus=2 mics=0 numa_node_str=0,1 bigmem\n", &nodes, &n,
				 err, sizeof(err))) << err;
	EXPECT_EQ(2, nodes[0].np);
	EXPECT_STREQ("bigmem", nodes[0].props);
	nodes_free(nodes, n);
}

// The door's node check: what the configured nodes could ever hold.
TEST(ServerDoor, NodesFeasible)
{
	Cluster c("node1 np=2\nnode2 np=2 bigmem\n");
	char msg[512];
	EXPECT_EQ(0, job_check_nodes(c.s, "2", 1, msg, sizeof(msg)));
	EXPECT_EQ(0, job_check_nodes(c.s, "node1:ppn=2+node2", 1, msg, sizeof(msg)));
	EXPECT_EQ(0, job_check_nodes(c.s, "1:bigmem:ppn=2", 1, msg, sizeof(msg)));
	EXPECT_EQ(PBSE_EXCQRESC, job_check_nodes(c.s, "99999", 1, msg, sizeof(msg)));
	EXPECT_NE(nullptr, strstr(msg, "cannot locate feasible nodes")) << msg;
	EXPECT_EQ(PBSE_EXCQRESC, job_check_nodes(c.s, "node1:ppn=99", 1, msg, sizeof(msg)));
	EXPECT_NE(nullptr, strstr(msg, "node node1 has np=2, the job asks for ppn=99")) << msg;
	EXPECT_EQ(PBSE_UNKNODE, job_check_nodes(c.s, "nosuchnode", 1, msg, sizeof(msg)));
	EXPECT_STREQ("nosuchnode", msg);
	EXPECT_EQ(PBSE_EXCQRESC, job_check_nodes(c.s, "2:bigmem", 1, msg, sizeof(msg)));
	EXPECT_EQ(PBSE_EXCQRESC, job_check_nodes(c.s, "1", 3, msg, sizeof(msg)));  // ncpus=3
	EXPECT_EQ(PBSE_EXCQRESC, job_check_nodes(c.s, "node1+node2+node1", 1, msg, sizeof(msg)));
}

TEST(ServerDoor, QueueAndAttributes)
{
	Cluster c("node1 np=2\n");
	char msg[512];
	EXPECT_EQ(0, job_check_queue(c.s, "", msg, sizeof(msg)));
	EXPECT_EQ(0, job_check_queue(c.s, "batch", msg, sizeof(msg)));
	EXPECT_EQ(0, job_check_queue(c.s, "batch@head", msg, sizeof(msg)));
	EXPECT_EQ(0, job_check_queue(c.s, "@head", msg, sizeof(msg)));
	EXPECT_EQ(PBSE_UNKQUE, job_check_queue(c.s, "nosuchqueue", msg, sizeof(msg)));
	EXPECT_STREQ("nosuchqueue", msg);
	EXPECT_EQ(PBSE_UNKQUE, job_check_queue(c.s, "batchx", msg, sizeof(msg)));

	struct { const char *name, *res, *val; int code; } cases[] = {
		{ ATTR_l, "bogusresource", "5", PBSE_UNKRESC },
		{ ATTR_l, "walltime", "abc", PBSE_BADATVAL },
		{ ATTR_l, "nodes", "-1", PBSE_BADATVAL },
		{ ATTR_l, "nodes", "nosuchnode", PBSE_UNKNODE },
		{ ATTR_c, nullptr, "n,enabled", PBSE_BADATVAL },
		{ ATTR_c, nullptr, "enabled,dir=/boot", PBSE_PERM },
		{ ATTR_checkpoint_dir, nullptr, "/var", PBSE_PERM },
		{ ATTR_checkpoint_dir, nullptr, "rel/dir", PBSE_BADATVAL },
		{ ATTR_depend, nullptr, "afterok:99999.head", PBSE_BADDEPEND },
		{ ATTR_depend, nullptr, "whenever:1", PBSE_BADDEPEND },
		{ ATTR_l, "walltime", "10", 0 },
		{ ATTR_c, nullptr, "enabled", 0 },
	};
	for (auto &t : cases) {
		attr_list l;
		attrl_init(&l);
		attrl_add(&l, t.name, t.res, t.val, BATCH_SET);
		EXPECT_EQ(t.code, job_check_attrs(c.s, &l, &l, msg, sizeof(msg)))
			<< t.name << " " << (t.res ? t.res : "") << " " << t.val << ": " << msg;
		attrl_free(&l);
	}
	// the same resource twice in one request: Torque's "Duplicate entry in list"
	attr_list l;
	attrl_init(&l);
	attrl_add(&l, ATTR_l, "walltime", "10", BATCH_SET);
	attrl_add(&l, ATTR_l, "walltime", "20", BATCH_SET);
	EXPECT_EQ(PBSE_DUPLIST, job_check_attrs(c.s, &l, &l, msg, sizeof(msg)));
	EXPECT_STREQ("Resource_List.walltime", msg);
	attrl_free(&l);
	// the queue's resources_max
	attrl_set(&c.s->qattrs, ATTR_rescmax, "walltime", "01:00:00");
	attrl_init(&l);
	attrl_add(&l, ATTR_l, "walltime", "02:00:00", BATCH_SET);
	EXPECT_EQ(PBSE_EXCQRESC, job_check_attrs(c.s, &l, &l, msg, sizeof(msg)));
	attrl_free(&l);
}

// Issue 10 item 7: where root may write a memory image is the operator's.
TEST(ServerDoor, CheckpointDirPolicy)
{
	Cluster c("node1 np=2\n");
	char msg[512];
	EXPECT_EQ(PBSE_PERM, ckpt_dir_allowed(c.s, "/boot", msg, sizeof(msg)));
	EXPECT_NE(nullptr, strstr(msg, "allowed_checkpoint_dirs (none set)")) << msg;
	attrl_set(&c.s->attrs, ATTR_allowed_ckpt_dirs, NULL, "/scratch/ck, /shared");
	EXPECT_EQ(0, ckpt_dir_allowed(c.s, "/scratch/ck", msg, sizeof(msg)));
	EXPECT_EQ(0, ckpt_dir_allowed(c.s, "/shared/u1/x", msg, sizeof(msg)));
	EXPECT_EQ(PBSE_PERM, ckpt_dir_allowed(c.s, "/scratch/ckx", msg, sizeof(msg)));
	EXPECT_EQ(PBSE_BADATVAL, ckpt_dir_allowed(c.s, "/shared/../boot", msg, sizeof(msg)));
	EXPECT_EQ(PBSE_BADATVAL, ckpt_dir_allowed(c.s, "shared", msg, sizeof(msg)));
	attrl_set(&c.s->qattrs, ATTR_checkpoint_dir, NULL, "/queue/ck");
	EXPECT_EQ(0, ckpt_dir_allowed(c.s, "/queue/ck/mine", msg, sizeof(msg)));
}

// Every checkpoint path asks job_ckpt_refusal: no multi-node checkpoint.
TEST(ServerDoor, MultiNodeJobsAreNotCheckpointed)
{
	char msg[256];
	job *j = job_alloc("5.head", 5);
	job_set(j, ATTR_c, "enabled");
	attrl_set(&j->attrs, ATTR_l, "nodes", "2");
	EXPECT_EQ(2, job_node_count(j));
	EXPECT_EQ(PBSE_IVALREQ, job_ckpt_refusal(j, msg, sizeof(msg)));
	EXPECT_NE(nullptr, strstr(msg, "job runs on 2 nodes")) << msg;
	job_set(j, ATTR_exechost, "node1/0+node1/1");   // what it got decides
	EXPECT_EQ(1, job_node_count(j));
	EXPECT_EQ(0, job_ckpt_refusal(j, msg, sizeof(msg)));
	job_set(j, ATTR_exechost, "node1/0+node2/0");
	EXPECT_EQ(PBSE_IVALREQ, job_ckpt_refusal(j, msg, sizeof(msg)));
	job_set(j, ATTR_c, "n");
	EXPECT_EQ(PBSE_IVALREQ, job_ckpt_refusal(j, msg, sizeof(msg)));
	EXPECT_STREQ(MSG_NOT_CHECKPOINTABLE, msg);
	job_free(j);
}
