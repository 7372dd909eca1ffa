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
