// The checkpoint/migration state machine (server/svr_ckmig.c): its table,
// the three news paths as inputs in either order, failures, recovery
// after a server restart, and job files of version 1 read into it.
#include <gtest/gtest.h>

#include <string.h>

#include "lib/log.h"
#include "lib/pbs_error.h"
#include "server/server.h"

namespace {
time_t fixed_now() { return 1000000; }

struct Srv {
	server *s;
	Srv()
	{
		log_open("PBS_Server", NULL, 0);
		s = server_create("/nonexistent", "head");
		s->no_fsync = 1;
		s->now = fixed_now;
	}
	~Srv() { server_destroy(s); }
};

job *running_job(const char *id)
{
	job *j = job_alloc(id, 1);
	j->state = JOB_STATE_RUNNING;
	j->substate = JOB_SUBSTATE_RUNNING;
	job_set(j, ATTR_c, "enabled");
	job_set(j, ATTR_h, "n");
	return j;
}

job *decode(const std::string &xml)
{
	char err[256];
	job *j = job_decode(xml.data(), xml.size(), err, sizeof(err));
	EXPECT_NE(nullptr, j) << err;
	return j;
}
}  // namespace

TEST(ServerCkmig, NamesRoundTrip)
{
	for (int i = 0; i < CKMIG_NSTATES; i++)
		EXPECT_EQ(i, ckmig_state_parse(ckmig_state_name((ckmig_state)i)));
	for (int i = 0; i < CKMIG_NCAUSES; i++)
		EXPECT_EQ(i, ckmig_cause_parse(ckmig_cause_name((ckmig_cause)i)));
	EXPECT_EQ(-1, ckmig_state_parse("migrating"));
	EXPECT_EQ(-1, ckmig_state_parse(NULL));
}

TEST(ServerCkmig, IllegalMovesAreRefusedAndLeaveTheState)
{
	EXPECT_FALSE(ckmig_transition_ok(CKMIG_PENDING, CKMIG_RESTARTING));
	EXPECT_FALSE(ckmig_transition_ok(CKMIG_STOPPING, CKMIG_PENDING));
	EXPECT_FALSE(ckmig_transition_ok(CKMIG_RESTARTING, CKMIG_STOPPING));
	EXPECT_FALSE(ckmig_transition_ok(CKMIG_CHECKPOINTED, CKMIG_CHECKPOINTING));
	EXPECT_FALSE(ckmig_transition_ok(CKMIG_NSTATES, CKMIG_NONE));
	EXPECT_TRUE(ckmig_transition_ok(CKMIG_FAILED, CKMIG_CHECKPOINTING));   // a user may retry
	Srv v;
	job *j = running_job("1.head");
	j->ck.state = CKMIG_STOPPING;
	EXPECT_EQ(-1, ckmig_set(v.s, j, CKMIG_PENDING, "test"));
	EXPECT_EQ(CKMIG_STOPPING, j->ck.state);
	job_free(j);
}

TEST(ServerCkmig, HoldAnswerThenReportThenObit)
{
	Srv v;
	job *j = running_job("2.head");
	ckmig_requested(v.s, j, CKMIG_BY_HOLD, NULL, NULL);
	EXPECT_EQ(CKMIG_CHECKPOINTING, j->ck.state);
	EXPECT_TRUE(ckmig_busy(j));
	ckmig_answered(v.s, j, 0, PBS_CHECKPOINT_MIGRATE, HOLD_u, NULL);
	EXPECT_EQ(CKMIG_STOPPING, j->ck.state);
	EXPECT_EQ(JOB_SUBSTATE_RERUN, j->substate);
	EXPECT_STREQ("u", job_attr(j, ATTR_h));
	EXPECT_TRUE(j->svrflags & JOB_SVFLG_CHECKPOINT_MIGRATEABLE);
	EXPECT_FALSE(j->svrflags & JOB_SVFLG_CHECKPOINT_FILE);
	job_set(j, ATTR_checkpoint_name, "ckpt.2.head.1");
	ckmig_reported(v.s, j, 1, -1, CKMIG_BY_NONE, NULL);   // no "migratable" word: the answer's stays
	EXPECT_TRUE(j->svrflags & JOB_SVFLG_CHECKPOINT_MIGRATEABLE);
	EXPECT_EQ(CKMIG_STOPPING, j->ck.state);
	EXPECT_EQ(1, ckmig_ended(v.s, j, 0, NULL));
	EXPECT_EQ(CKMIG_CHECKPOINTED, j->ck.state);
	EXPECT_EQ(JOB_STATE_HELD, j->state);
	EXPECT_FALSE(ckmig_busy(j));
	job_free(j);
}

// issue 16: the MOM's checkpoint before walltime, run on or held
job *walltime_job(const char *id, const char *budget, const char *used)
{
	job *j = running_job(id);
	job_set(j, ATTR_checkpoint_name, "ckpt.1");
	attrl_set(&j->attrs, ATTR_l, "walltime", "00:00:12");
	attrl_set(&j->attrs, ATTR_used, "walltime", used);
	job_set(j, ATTR_run_count, "2");
	job_set(j, ATTR_start_time, "999990");
	if (budget)
		job_set(j, ATTR_walltime_total, budget);
	return j;
}

TEST(ServerCkmig, WalltimeRunIsRequeuedFromItsCheckpoint)
{
	Srv v;
	job *j = walltime_job("20.head", "00:10:00", "00:00:18");
	ckmig_reported(v.s, j, 1, 1, walltime_word("run"), NULL);
	EXPECT_EQ(CKMIG_BY_WALLTIME, j->ck.cause);
	EXPECT_EQ(CKMIG_STOPPING, j->ck.state);
	EXPECT_EQ(1, ckmig_ended(v.s, j, 0, NULL));
	EXPECT_EQ(CKMIG_CHECKPOINTED, j->ck.state);
	EXPECT_EQ(JOB_STATE_QUEUED, j->state);
	EXPECT_STREQ("n", job_attr(j, ATTR_h));
	EXPECT_EQ(582, walltime_budget_left(j));
	EXPECT_STREQ("run 2 reached its walltime 00:00:12: checkpointed and requeued to run on; "
		     "walltime_total 00:10:00, used 00:00:18, left 00:09:42", job_attr(j, ATTR_comment));
	job_free(j);
}

TEST(ServerCkmig, WalltimeEndIsHeldForTheOwner)
{
	Srv v;
	job *j = walltime_job("21.head", "00:00:20", "00:00:17");
	ckmig_reported(v.s, j, 1, 1, walltime_word("end"), NULL);
	EXPECT_EQ(1, ckmig_ended(v.s, j, 0, NULL));
	EXPECT_EQ(JOB_STATE_HELD, j->state);
	EXPECT_STREQ("u", job_attr(j, ATTR_h));
	EXPECT_EQ(CKMIG_CHECKPOINTED, j->ck.state);
	EXPECT_EQ(0, strncmp(job_attr(j, ATTR_comment), "walltime_total 00:00:20 used up after 2 runs "
			     "(00:00:17); checkpointed and held: qalter -W walltime_total=", 86));
	job_free(j);
}

TEST(ServerCkmig, WalltimeBudgetGoneHoldsWhateverTheMomSaid)
{
	Srv v;
	job *j = walltime_job("22.head", "00:00:20", "00:00:25");
	ckmig_reported(v.s, j, 1, 1, walltime_word("run"), NULL);
	EXPECT_EQ(1, ckmig_ended(v.s, j, 0, NULL));
	EXPECT_EQ(JOB_STATE_HELD, j->state);
	EXPECT_EQ(0, walltime_budget_left(j));
	job_free(j);
}

TEST(ServerCkmig, WalltimeWithoutBudgetIsHeldNotKilled)
{
	Srv v;
	job *j = walltime_job("23.head", NULL, "00:00:11");
	EXPECT_EQ(-1, walltime_budget_left(j));
	ckmig_reported(v.s, j, 1, 0, walltime_word("end"), NULL);
	EXPECT_EQ(1, ckmig_ended(v.s, j, 0, NULL));
	EXPECT_EQ(JOB_STATE_HELD, j->state);
	EXPECT_TRUE(j->svrflags & JOB_SVFLG_CHECKPOINT_FILE);
	EXPECT_EQ(0, strncmp(job_attr(j, ATTR_comment), "reached its walltime 00:00:12; checkpointed "
			     "and held, not killed", 62));
	EXPECT_EQ(CKMIG_BY_NONE, walltime_word(NULL));
	EXPECT_EQ(CKMIG_BY_NONE, walltime_word("later"));
	job_free(j);
}

TEST(ServerCkmig, ReportBeforeAnswerStillHolds)
{
	Srv v;
	job *j = running_job("3.head");
	ckmig_requested(v.s, j, CKMIG_BY_HOLD, NULL, NULL);
	job_set(j, ATTR_checkpoint_name, "ckpt.3.head.1");
	ckmig_reported(v.s, j, 1, 0, CKMIG_BY_NONE, NULL);
	EXPECT_EQ(CKMIG_STOPPING, j->ck.state);
	EXPECT_EQ(JOB_SUBSTATE_RERUN, j->substate);
	EXPECT_EQ(CKMIG_BY_HOLD, j->ck.cause);
	ckmig_answered(v.s, j, 0, 0, HOLD_u, NULL);
	EXPECT_STREQ("u", job_attr(j, ATTR_h));
	EXPECT_TRUE(j->svrflags & JOB_SVFLG_CHECKPOINT_FILE);
	EXPECT_EQ(1, ckmig_ended(v.s, j, 0, NULL));
	EXPECT_EQ(JOB_STATE_HELD, j->state);
	job_free(j);
}

TEST(ServerCkmig, ObitBeforeAnswerIsHeldWhenTheAnswerComes)
{
	Srv v;
	job *j = running_job("4.head");
	ckmig_requested(v.s, j, CKMIG_BY_HOLD, NULL, NULL);
	job_set(j, ATTR_checkpoint_name, "ckpt.4.head.1");
	ckmig_reported(v.s, j, 1, 1, CKMIG_BY_NONE, NULL);
	EXPECT_EQ(1, ckmig_ended(v.s, j, 0, NULL));
	EXPECT_EQ(JOB_STATE_QUEUED, j->state);   // no hold bits yet
	ckmig_answered(v.s, j, 0, PBS_CHECKPOINT_MIGRATE, HOLD_u, NULL);
	EXPECT_EQ(JOB_STATE_HELD, j->state);
	EXPECT_EQ(CKMIG_CHECKPOINTED, j->ck.state);
	job_free(j);
}

// The obit and the checkpoint_hold report come on the MOM's connection,
// the hold's answer on the server's own: the answer can be read last. The
// restart of a migration must not then be refused as "being checkpointed"
// (the job waited in Q for ever with the scheduler off).
TEST(ServerCkmig, ObitBeforeAnswerStillRestartsAMigration)
{
	Srv v;
	job *j = running_job("5.head");
	job_set(j, ATTR_exechost, "node1/0");
	ckmig_requested(v.s, j, CKMIG_BY_MIGRATE, "node2", NULL);
	j->call = MOM_CALL_CHECKPOINT;   // the HoldJob is out, its answer unread
	job_set(j, ATTR_checkpoint_name, "ckpt.5.head.1");
	ckmig_reported(v.s, j, 1, 1, CKMIG_BY_NONE, NULL);
	EXPECT_EQ(1, ckmig_ended(v.s, j, 0, NULL));
	EXPECT_NE(MOM_CALL_CHECKPOINT, j->call);
	// (no node2 here: the start fails, but for that reason, not as busy)
	const char *c = job_attr(j, ATTR_comment);
	ASSERT_NE(nullptr, c);
	EXPECT_EQ(nullptr, strstr(c, "being started or checkpointed")) << c;
	ckmig_answered(v.s, j, 0, PBS_CHECKPOINT_MIGRATE, 0, NULL);
	EXPECT_EQ(CKMIG_CHECKPOINTED, j->ck.state);
	EXPECT_TRUE(j->svrflags & JOB_SVFLG_CHECKPOINT_MIGRATEABLE);
	job_free(j);
}

TEST(ServerCkmig, QchkptContinues)
{
	Srv v;
	job *j = running_job("5.head");
	ckmig_requested(v.s, j, CKMIG_BY_QCHKPT, NULL, NULL);
	ckmig_answered(v.s, j, 0, 0, 0, NULL);
	EXPECT_EQ(CKMIG_NONE, j->ck.state);
	EXPECT_EQ(JOB_SUBSTATE_RUNNING, j->substate);
	EXPECT_TRUE(j->svrflags & JOB_SVFLG_CHECKPOINT_FILE);
	ckmig_reported(v.s, j, 0, 1, CKMIG_BY_NONE, NULL);   // periodic report: shared after all
	EXPECT_TRUE(j->svrflags & JOB_SVFLG_CHECKPOINT_MIGRATEABLE);
	EXPECT_EQ(CKMIG_NONE, j->ck.state);
	// a refused qchkpt leaves the job as it was, not FAILED
	ckmig_requested(v.s, j, CKMIG_BY_QCHKPT, NULL, NULL);
	ckmig_answered(v.s, j, PBSE_CKPBSY, 0, 0, "busy");
	EXPECT_EQ(CKMIG_NONE, j->ck.state);
	job_free(j);
}

TEST(ServerCkmig, FailedMoveKeepsReasonAndWhoAsked)
{
	Srv v;
	job *j = running_job("6.head");
	ckmig_requested(v.s, j, CKMIG_BY_MIGRATE, "node2", NULL);
	EXPECT_STREQ("node2", j->ck.dest);
	ckmig_answered(v.s, j, PBSE_IVALREQ, 0, 0, "checkpoint dir is not shared");
	EXPECT_EQ(CKMIG_FAILED, j->ck.state);
	EXPECT_STREQ("checkpoint dir is not shared", j->ck.reason);
	EXPECT_EQ(nullptr, j->ck.dest);
	EXPECT_FALSE(ckmig_refused_move(j));   // a user's request: drain may try
	ckmig_requested(v.s, j, CKMIG_BY_DRAIN, "", NULL);
	EXPECT_EQ(nullptr, j->ck.reason);
	ckmig_answered(v.s, j, PBSE_IVALREQ, 0, 0, "not shared");
	EXPECT_TRUE(ckmig_refused_move(j));    // drain and preemption do not retry
	job_free(j);
}

TEST(ServerCkmig, MomShutdownCheckpointWithoutRequest)
{
	Srv v;
	job *j = running_job("7.head");
	job_set(j, ATTR_checkpoint_name, "ckpt.7.head.1");
	ckmig_reported(v.s, j, 1, 1, CKMIG_BY_NONE, NULL);
	EXPECT_EQ(CKMIG_STOPPING, j->ck.state);
	EXPECT_EQ(CKMIG_BY_MOM, j->ck.cause);
	EXPECT_EQ(1, ckmig_ended(v.s, j, 0, NULL));
	EXPECT_EQ(JOB_STATE_QUEUED, j->state);
	EXPECT_EQ(CKMIG_CHECKPOINTED, j->ck.state);
	job_free(j);
}

TEST(ServerCkmig, DeleteCancelsAPendingRequeue)
{
	Srv v;
	job *j = running_job("8.head");
	ckmig_requested(v.s, j, CKMIG_BY_HOLD, NULL, NULL);
	ckmig_answered(v.s, j, 0, 0, HOLD_u, NULL);
	ckmig_cancel(v.s, j, "deleted");
	EXPECT_EQ(CKMIG_NONE, j->ck.state);
	EXPECT_EQ(JOB_SUBSTATE_RUNNING, j->substate);
	EXPECT_EQ(0, ckmig_ended(v.s, j, 271, NULL));   // so its obit completes it
	job_free(j);
}

TEST(ServerCkmig, BadRestartIsHeldWithTheReason)
{
	Srv v;
	job *j = running_job("9.head");
	j->ck.state = CKMIG_RESTARTING;
	EXPECT_EQ(1, ckmig_ended(v.s, j, JOB_EXEC_BADRESRT, "manifest MAC mismatch"));
	EXPECT_EQ(CKMIG_FAILED, j->ck.state);
	EXPECT_EQ(JOB_STATE_HELD, j->state);
	EXPECT_NE(nullptr, strstr(j->ck.reason, "manifest MAC mismatch"));
	job_free(j);
}

TEST(ServerCkmig, RecoveryRelaysPendingAndForgetsALostAnswer)
{
	Srv v;
	job *p = running_job("10.head"), *c = running_job("11.head");
	p->ck.state = CKMIG_PENDING;
	c->ck.state = CKMIG_CHECKPOINTING;
	c->ck.cause = CKMIG_BY_MIGRATE;
	c->ck.dest = xstrdup("node3");
	ckmig_recover(v.s, p);
	ckmig_recover(v.s, c);
	EXPECT_EQ(1, v.s->ckmig_pending);
	EXPECT_EQ(0u, p->ck.pend_serial);
	EXPECT_EQ(CKMIG_NONE, c->ck.state);
	EXPECT_EQ(CKMIG_BY_MIGRATE, c->ck.cause);   // the MOM's report still leads to node3
	EXPECT_STREQ("node3", c->ck.dest);
	ckmig_reported(v.s, c, 1, 1, CKMIG_BY_NONE, NULL);
	EXPECT_EQ(CKMIG_STOPPING, c->ck.state);
	EXPECT_EQ(CKMIG_BY_MIGRATE, c->ck.cause);
	job_free(p);
	job_free(c);
}

TEST(ServerCkmig, Version2FileRoundTrip)
{
	job *j = running_job("12.head");
	j->ck.state = CKMIG_FAILED;
	j->ck.cause = CKMIG_BY_DRAIN;
	j->ck.migratable = 1;
	j->ck.reason = xstrdup("dir <not> \"shared\" & such");
	j->ck.lost_node = xstrdup("node1");
	j->ck.lost_session = xstrdup("4242");
	buf b;
	buf_init(&b);
	job_encode(j, &b);
	job *k = decode(std::string(b.data, b.len));
	ASSERT_NE(nullptr, k);
	EXPECT_EQ(CKMIG_FAILED, k->ck.state);
	EXPECT_EQ(CKMIG_BY_DRAIN, k->ck.cause);
	EXPECT_EQ(1, k->ck.migratable);
	EXPECT_STREQ(j->ck.reason, k->ck.reason);
	EXPECT_STREQ("node1", k->ck.lost_node);
	EXPECT_STREQ("4242", k->ck.lost_session);
	EXPECT_EQ(nullptr, k->ck.dest);
	buf_free(&b);
	job_free(j);
	job_free(k);
}

TEST(ServerCkmig, Version1FilesLoadIntoTheStateMachine)
{
	const std::string head = "<job v=\"1\" id=\"13.head\" seq=\"13\" ";
	// a qmigrate accepted, not yet relayed
	job *j = decode(head + "state=\"4\" substate=\"42\" svrflags=\"0x0\">"
			"<attr name=\"ckmig_migrate\">node2</attr><attr name=\"ckmig_lost_session\">77</attr>"
			"</job>");
	ASSERT_NE(nullptr, j);
	EXPECT_EQ(CKMIG_PENDING, j->ck.state);
	EXPECT_EQ(CKMIG_BY_MIGRATE, j->ck.cause);
	EXPECT_STREQ("node2", j->ck.dest);
	EXPECT_STREQ("77", j->ck.lost_session);
	EXPECT_EQ(nullptr, job_attr(j, "ckmig_migrate"));
	EXPECT_EQ(nullptr, job_attr(j, "ckmig_lost_session"));
	job_free(j);
	// checkpoint taken, waiting for the obit
	j = decode(head + "state=\"4\" substate=\"60\" svrflags=\"0x101\">"
		   "<attr name=\"checkpoint_name\">ckpt.13</attr></job>");
	EXPECT_EQ(CKMIG_STOPPING, j->ck.state);
	EXPECT_EQ(1, j->ck.migratable);
	job_free(j);
	// held with its checkpoint
	j = decode(head + "state=\"2\" substate=\"20\" svrflags=\"0x11\">"
		   "<attr name=\"checkpoint_name\">ckpt.13</attr></job>");
	EXPECT_EQ(CKMIG_CHECKPOINTED, j->ck.state);
	EXPECT_EQ(0, j->ck.migratable);
	job_free(j);
	// a drain that could not move it
	j = decode(head + "state=\"4\" substate=\"42\" svrflags=\"0x0\">"
		   "<attr name=\"ckmig_nomove\">not shared</attr>"
		   "<attr name=\"ckmig_lost\">node1</attr></job>");
	EXPECT_EQ(CKMIG_FAILED, j->ck.state);
	EXPECT_TRUE(ckmig_refused_move(j));
	EXPECT_STREQ("not shared", j->ck.reason);
	EXPECT_STREQ("node1", j->ck.lost_node);
	EXPECT_EQ(0u, j->attrs.count);
	job_free(j);
}
