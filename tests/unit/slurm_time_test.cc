// sbatch --time-total: Slurm's time format, and where a run's checkpoint
// before its time limit goes (slurm/ckslurm_time.h).
#include <gtest/gtest.h>

#include "slurm/ckslurm_time.h"

TEST(SlurmTime, SlurmsFormats)
{
	EXPECT_EQ(ckslurm_time_parse("30"), 30 * 60);
	EXPECT_EQ(ckslurm_time_parse("1:05"), 65);
	EXPECT_EQ(ckslurm_time_parse("2:00:10"), 2 * 3600 + 10);
	EXPECT_EQ(ckslurm_time_parse("2-3"), 2 * 86400 + 3 * 3600);
	EXPECT_EQ(ckslurm_time_parse("2-3:04"), 2 * 86400 + 3 * 3600 + 4 * 60);
	EXPECT_EQ(ckslurm_time_parse("1-00:00:01"), 86401);
	EXPECT_EQ(ckslurm_time_parse("UNLIMITED"), CKSLURM_TIME_UNLIMITED);
	EXPECT_EQ(ckslurm_time_parse("infinite"), CKSLURM_TIME_UNLIMITED);
}

TEST(SlurmTime, NotATime)
{
	const char *bads[] = { "", "soon", "0", "0:00", "-5", "1-", "1:2:3:4", "1:", ":5", "5m",
	                       "1 -2", "9999999999", "1-2-3", nullptr };
	for (const char *bad : bads)
		EXPECT_EQ(ckslurm_time_parse(bad), CKSLURM_TIME_BAD) << (bad ? bad : "(null)");
}

TEST(SlurmTime, RunsCheckpointAMarginBeforeTheirLimit)
{
	// 4 h runs, a 2-day budget, 300 s margin: checkpoint at 4 h - 300 s
	ckslurm_run_plan p = ckslurm_time_plan(4 * 3600, 2 * 86400, 0, 300);
	EXPECT_EQ(p.at, 4 * 3600 - 300);
	EXPECT_FALSE(p.last);
	p = ckslurm_time_plan(3600, CKSLURM_TIME_UNLIMITED, 1000000, 300);
	EXPECT_EQ(p.at, 3300);
	EXPECT_FALSE(p.last);
}

TEST(SlurmTime, TheRunWhereTheBudgetEndsIsTheLast)
{
	// 1000 s left of the budget, 3600 s limit: 700 s, then held
	ckslurm_run_plan p = ckslurm_time_plan(3600, 10000, 9000, 300);
	EXPECT_EQ(p.at, 700);
	EXPECT_TRUE(p.last);
	// exactly the limit left
	p = ckslurm_time_plan(3600, 7200, 3600, 300);
	EXPECT_EQ(p.at, 3300);
	EXPECT_TRUE(p.last);
	// used up (a release after the hold): one more run of the limit
	p = ckslurm_time_plan(3600, 7200, 7300, 300);
	EXPECT_EQ(p.at, 3300);
	EXPECT_TRUE(p.last);
}

TEST(SlurmTime, EveryRunKeepsATenthOfItsLimit)
{
	// the tests' margin=52 with --time=1
	EXPECT_EQ(ckslurm_time_plan(60, CKSLURM_TIME_UNLIMITED, 0, 52).at, 8);
	EXPECT_EQ(ckslurm_time_plan(60, CKSLURM_TIME_UNLIMITED, 0, 600).at, 6);
	// 57 s left, more than the margin would leave: a tenth of the limit
	EXPECT_EQ(ckslurm_time_plan(60, 65, 8, 52).at, 6);
	// 3 s left: all of it
	EXPECT_EQ(ckslurm_time_plan(60, 65, 62, 52).at, 3);
}
