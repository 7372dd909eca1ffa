// PBS error numbers and texts are Torque's.
#include <gtest/gtest.h>

#include "lib/pbs_error.h"

TEST(PbsError, NumbersMatchTorque)
{
	EXPECT_EQ(15001, PBSE_UNKJOBID);
	EXPECT_EQ(15004, PBSE_IVALREQ);
	EXPECT_EQ(15007, PBSE_PERM);
	EXPECT_EQ(15012, PBSE_SYSTEM);
	EXPECT_EQ(15017, PBSE_MODATRRUN);
	EXPECT_EQ(15018, PBSE_BADSTATE);
	EXPECT_EQ(15031, PBSE_NOSUP);
	EXPECT_EQ(15033, PBSE_PROTOCOL);
	EXPECT_EQ(15043, PBSE_MOMREJECT);
	EXPECT_EQ(15049, PBSE_CKPBSY);
	EXPECT_EQ(15059, PBSE_EXECTHERE);
	EXPECT_EQ(15063, PBSE_CKPSHORT);
	EXPECT_EQ(15072, PBSE_NORELYMOM);
	EXPECT_EQ(15086, PBSE_JOBNOTFOUND);
	EXPECT_EQ(15090, PBSE_RELAYED_TO_MOM);
	EXPECT_EQ(15204, PBSE_RMEXIST);
	EXPECT_EQ(15205, PBSE_RMSYSTEM);
}

TEST(PbsError, TextsAreTorques)
{
	EXPECT_STREQ("Unknown Job Id Error", pbse_to_txt(PBSE_UNKJOBID));
	EXPECT_STREQ("Cannot execute at specified host because of checkpoint or stagein files",
		     pbse_to_txt(PBSE_EXECTHERE));
	EXPECT_STREQ("Unknown error 99999", pbse_to_txt(99999));
}

TEST(PbsError, MessageWithMsgPart)
{
	char buf[512];
	EXPECT_STREQ("Cannot execute at specified host because of checkpoint or stagein files "
		     "MSG=allocated nodes must match checkpoint location",
		     pbse_message(buf, sizeof(buf), PBSE_EXECTHERE, MSG_CKPT_LOCATION));
	EXPECT_STREQ("Invalid request MSG=job not held since checkpointing is expected but "
		     "not enabled for job",
		     pbse_message(buf, sizeof(buf), PBSE_IVALREQ, MSG_HOLD_NOT_CHECKPOINTABLE));
	EXPECT_STREQ("Unauthorized Request ", pbse_message(buf, sizeof(buf), PBSE_PERM, NULL));
}
