// The server's job state machine: hold bits, evaluation, legal moves,
// and Torque's server-side checkpointability test.
#include <gtest/gtest.h>

#include "lib/pbs_error.h"
#include "server/server.h"

namespace {
time_t fixed_now() { return 1000000; }

struct Srv {
	server *s;
	Srv()
	{
		s = server_create("/nonexistent", "head");
		s->no_fsync = 1;
		s->now = fixed_now;
	}
	~Srv() { server_destroy(s); }
};
}  // namespace

TEST(ServerState, HoldBitsRoundTrip)
{
	EXPECT_EQ(HOLD_u, hold_bits("u"));
	EXPECT_EQ(HOLD_u | HOLD_o | HOLD_s, hold_bits("uos"));
	EXPECT_EQ(0, hold_bits("n"));
	EXPECT_EQ(-1, hold_bits("x"));
	char l[8];
	hold_letters(HOLD_s | HOLD_u, l, sizeof(l));
	EXPECT_STREQ("us", l);
	hold_letters(0, l, sizeof(l));
	EXPECT_STREQ("n", l);
}

TEST(ServerState, EvaluateHeldWaitingQueued)
{
	Srv v;
	job *j = job_alloc("1.head", 1);
	int st, sub;
	job_set(j, ATTR_h, "n");
	svr_evaljobstate(v.s, j, &st, &sub);
	EXPECT_EQ(JOB_STATE_QUEUED, st);
	EXPECT_EQ(JOB_SUBSTATE_QUEUED, sub);
	job_set(j, ATTR_a, "2000000");   // in the future
	svr_evaljobstate(v.s, j, &st, &sub);
	EXPECT_EQ(JOB_STATE_WAITING, st);
	EXPECT_EQ(JOB_SUBSTATE_WAITING, sub);
	job_set(j, ATTR_h, "s");         // a hold beats a start time
	svr_evaljobstate(v.s, j, &st, &sub);
	EXPECT_EQ(JOB_STATE_HELD, st);
	EXPECT_EQ(JOB_SUBSTATE_HELD, sub);
	job_free(j);
}

TEST(ServerState, TransitionsTorqueAllows)
{
	EXPECT_TRUE(job_state_change_ok(JOB_STATE_QUEUED, JOB_STATE_RUNNING));
	EXPECT_TRUE(job_state_change_ok(JOB_STATE_HELD, JOB_STATE_RUNNING));   // qrun of a held job
	EXPECT_TRUE(job_state_change_ok(JOB_STATE_RUNNING, JOB_STATE_HELD));   // checkpoint + hold
	EXPECT_TRUE(job_state_change_ok(JOB_STATE_RUNNING, JOB_STATE_QUEUED)); // requeue
	EXPECT_TRUE(job_state_change_ok(JOB_STATE_RUNNING, JOB_STATE_COMPLETE));
	EXPECT_FALSE(job_state_change_ok(JOB_STATE_COMPLETE, JOB_STATE_QUEUED));
	EXPECT_FALSE(job_state_change_ok(JOB_STATE_COMPLETE, JOB_STATE_RUNNING));
	EXPECT_FALSE(job_state_change_ok(JOB_STATE_QUEUED, JOB_STATE_EXITING));
	EXPECT_FALSE(job_state_change_ok(7, 1));
	EXPECT_EQ('R', job_state_letter(JOB_STATE_RUNNING));
	EXPECT_EQ('C', job_state_letter(JOB_STATE_COMPLETE));
}

TEST(ServerState, SetStateStampsTimesAndPurge)
{
	Srv v;
	job *j = job_alloc("2.head", 2);
	j->state = JOB_STATE_HELD;
	svr_setjobstate(v.s, j, JOB_STATE_QUEUED, JOB_SUBSTATE_QUEUED);
	EXPECT_STREQ("1000000", job_attr(j, ATTR_qtime));
	EXPECT_STREQ("1000000", job_attr(j, ATTR_mtime));
	svr_setjobstate(v.s, j, JOB_STATE_COMPLETE, JOB_SUBSTATE_COMPLETE);
	EXPECT_EQ(1000000 + 300, j->purge_at);   // keep_completed default
	job_free(j);
}

// One rule with the MOM (lib/ckpt_option.c): shutdown and periodic jobs
// run checkpointable there, so the server checkpoints them on request too.
TEST(ServerState, CheckpointableOneRuleWithMom)
{
	struct { const char *v; int ok; } cases[] = {
		{ "enabled", 1 }, { "s", 1 }, { "c", 1 }, { "c=30", 1 }, { "enabled,depth=2", 1 },
		{ "dir=/x,s", 1 }, { "u", 0 }, { "n", 0 }, { "shutdown", 1 }, { "periodic", 1 },
		{ "interval=5", 0 }, { "none", 0 }, { "cool", 0 },
		{ "n,enabled", 0 },   // stored before the door refused it: not checkpointable
	};
	for (auto &c : cases) {
		job *j = job_alloc("3.head", 3);
		job_set(j, ATTR_c, c.v);
		EXPECT_EQ(c.ok, job_checkpointable(j)) << c.v;
		job_free(j);
	}
	job *j = job_alloc("4.head", 4);
	EXPECT_EQ(0, job_checkpointable(j));   // unset
	job_free(j);
}

TEST(ServerState, PlacementRuleForCheckpoints)
{
	char msg[256];
	job *j = job_alloc("5.head", 5);
	job_set(j, ATTR_exechost, "node1/0+node1/1");
	job_set(j, ATTR_checkpoint_name, "ckpt.5.head.1");
	// no checkpoint flags: anything goes
	EXPECT_EQ(0, chk_checkpoint_placement(j, "node2", msg, sizeof(msg)));
	// CHECKPOINT_FILE only: Torque's rule, any spelling of the same host passes
	j->svrflags = JOB_SVFLG_CHECKPOINT_FILE;
	EXPECT_EQ(PBSE_EXECTHERE, chk_checkpoint_placement(j, "node2", msg, sizeof(msg)));
	EXPECT_STREQ("allocated nodes must match checkpoint location", msg);
	EXPECT_EQ(PBSE_EXECTHERE, chk_checkpoint_placement(j, "node2:ppn=2", msg, sizeof(msg)));
	EXPECT_EQ(0, chk_checkpoint_placement(j, "node1", msg, sizeof(msg)));
	EXPECT_EQ(0, chk_checkpoint_placement(j, "node1/0", msg, sizeof(msg)));
	EXPECT_EQ(0, chk_checkpoint_placement(j, "node1:ppn=2", msg, sizeof(msg)));
	EXPECT_EQ(0, chk_checkpoint_placement(j, NULL, msg, sizeof(msg)));
	// migratable: fresh nodes anywhere
	j->svrflags = JOB_SVFLG_CHECKPOINT_MIGRATEABLE;
	EXPECT_EQ(0, chk_checkpoint_placement(j, "node3+node2", msg, sizeof(msg)));
	job_free(j);
}
