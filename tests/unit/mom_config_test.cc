// mom_priv/config parsing: Torque's keywords, bad input, warnings.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mom/parse_config.h"

namespace {

struct Parsed {
	mom_config c;
	int rc;
	char err[512];
	std::vector<std::string> warnings;
};

void collect(void *arg, int line, const char *msg)
{
	auto *w = static_cast<std::vector<std::string> *>(arg);
	w->push_back(std::to_string(line) + ": " + msg);
}

class MomConfig : public ::testing::Test {
protected:
	Parsed p;
	void SetUp() override { mom_config_init(&p.c); p.err[0] = '\0'; }
	void TearDown() override { mom_config_free(&p.c); }
	int parse(const char *text)
	{
		p.rc = mom_config_parse(&p.c, text, collect, &p.warnings, p.err, sizeof(p.err));
		return p.rc;
	}
};

TEST_F(MomConfig, DefaultsAreTorques)
{
	EXPECT_EQ(0, parse(""));
	EXPECT_EQ(15001, p.c.server_port);
	EXPECT_EQ(600, p.c.checkpoint_interval);
	EXPECT_EQ(45, p.c.status_update_time);
	EXPECT_EQ(nullptr, p.c.checkpoint_script);
	EXPECT_EQ(0, p.c.n_remote_checkpoint_dirs);
}

TEST_F(MomConfig, TorqueKeywords)
{
	ASSERT_EQ(0, parse("# a comment\n"
			   "$pbsserver head:16001\n"
			   "  $logevent 0x0ff\n"
			   "$checkpoint_script /usr/libexec/ckmig/checkpoint_script\n"
			   "$restart_script /usr/libexec/ckmig/restart_script\n"
			   "$checkpoint_run_exe /bin/true\n"
			   "$checkpoint_interval 2\n"
			   "$checkpoint_timeout 30\n"
			   "$remote_checkpoint_dirs /shared/ckpt, /other:/third\n"
			   "$usecp *:/home /home\n"
			   "$status_update_time 3\n"
			   "$mom_host node1\n"
			   "bigmem true\n"))
		<< p.err;
	EXPECT_STREQ("head", p.c.pbsserver);
	EXPECT_EQ(16001, p.c.server_port);
	EXPECT_EQ(0xffu, p.c.logevent);
	EXPECT_STREQ("/usr/libexec/ckmig/checkpoint_script", p.c.checkpoint_script);
	EXPECT_STREQ("/usr/libexec/ckmig/restart_script", p.c.restart_script);
	EXPECT_STREQ("/bin/true", p.c.checkpoint_run_exe);
	EXPECT_EQ(120, p.c.checkpoint_interval);
	EXPECT_EQ(30, p.c.checkpoint_timeout);
	ASSERT_EQ(3, p.c.n_remote_checkpoint_dirs);
	EXPECT_STREQ("/shared/ckpt", p.c.remote_checkpoint_dirs[0]);
	EXPECT_STREQ("/other", p.c.remote_checkpoint_dirs[1]);
	EXPECT_STREQ("/third", p.c.remote_checkpoint_dirs[2]);
	ASSERT_EQ(1, p.c.n_usecp);
	EXPECT_STREQ("node1", p.c.mom_host);
	EXPECT_EQ(3, p.c.status_update_time);
	ASSERT_EQ(1, p.c.n_static_res);
	EXPECT_STREQ("bigmem", p.c.static_res[0].name);
	EXPECT_TRUE(p.warnings.empty());
}

TEST_F(MomConfig, IntervalInSecondsIsCkmigExtension)
{
	ASSERT_EQ(0, parse("$checkpoint_interval 5s\n")) << p.err;
	EXPECT_EQ(5, p.c.checkpoint_interval);
}

TEST_F(MomConfig, UnknownKeywordsWarnNotFatal)
{
	ASSERT_EQ(0, parse("$frobnicate 1\n$ideal_load 2.0\n$pbsserver head\n")) << p.err;
	ASSERT_EQ(2u, p.warnings.size());
	EXPECT_EQ("1: unknown keyword $frobnicate; ignored", p.warnings[0]);
	EXPECT_NE(std::string::npos, p.warnings[1].find("2: Torque keyword $ideal_load"));
	EXPECT_STREQ("head", p.c.pbsserver);
}

struct BadCase {
	const char *text;
	const char *msg;
};

// issue 16: the checkpoint before walltime
TEST_F(MomConfig, WalltimeCheckpointKeywords)
{
	EXPECT_EQ(300, p.c.walltime_checkpoint_margin);
	EXPECT_EQ(0, p.c.checkpoint_at_walltime);
	ASSERT_EQ(0, parse("$walltime_checkpoint_margin 30\n$checkpoint_at_walltime true\n")) << p.err;
	EXPECT_EQ(30, p.c.walltime_checkpoint_margin);
	EXPECT_EQ(1, p.c.checkpoint_at_walltime);
	ASSERT_EQ(0, parse("$checkpoint_at_walltime off\n")) << p.err;
	EXPECT_EQ(0, p.c.checkpoint_at_walltime);
}

TEST_F(MomConfig, BadValuesAreErrorsWithLine)
{
	const BadCase cases[] = {
		{ "\n$checkpoint_interval ten\n", "line 2: $checkpoint_interval" },
		{ "$checkpoint_interval -1\n", "line 1: $checkpoint_interval" },
		{ "$checkpoint_interval 0\n", "line 1: $checkpoint_interval" },
		{ "$checkpoint_timeout 99999999999\n", "line 1: $checkpoint_timeout" },
		{ "$checkpoint_script relative/path\n", "needs an absolute path" },
		{ "$checkpoint_run_exe /nonexistent/cr_run\n", "is not executable" },
		{ "$pbsserver head:notaport\n", "bad port" },
		{ "$pbsserver head:0\n", "bad port" },
		{ "$pbsserver a\n$pbsserver b\n", "line 2: $pbsserver given twice" },
		{ "$pbsserver\n", "line 1: $pbsserver needs a value" },
		{ "$remote_checkpoint_dirs relative\n", "not an absolute path" },
		{ "$usecp nocolon /x\n", "$usecp needs" },
		{ "$logevent lots\n", "$logevent needs a number" },
		{ "$walltime_checkpoint_margin 0\n", "line 1: $walltime_checkpoint_margin" },
		{ "$walltime_checkpoint_margin soon\n", "$walltime_checkpoint_margin (seconds)" },
		{ "$checkpoint_at_walltime maybe\n", "$checkpoint_at_walltime needs true or false" },
		{ "lonely\n", "line 1: \"lonely\" has no value" },
	};
	for (const auto &bc : cases) {
		mom_config_free(&p.c);
		mom_config_init(&p.c);
		EXPECT_EQ(-1, parse(bc.text)) << bc.text;
		EXPECT_NE(nullptr, strstr(p.err, bc.msg)) << bc.text << " -> " << p.err;
	}
}

TEST_F(MomConfig, TooManyRemoteDirsRefused)
{
	std::string line = "$remote_checkpoint_dirs";
	for (int i = 0; i < 33; i++)
		line += " /d" + std::to_string(i);
	EXPECT_EQ(-1, parse((line + "\n").c_str()));
	EXPECT_NE(nullptr, strstr(p.err, "more than 32"));
}

TEST_F(MomConfig, RemoteDirMatchingAsTorque)
{
	ASSERT_EQ(0, parse("$remote_checkpoint_dirs /Shared/Ckpt\n"));
	// Torque: case-insensitive prefix of the job's checkpoint directory.
	EXPECT_TRUE(mom_config_is_remote_dir(&p.c, "/shared/ckpt/42.head.CK"));
	EXPECT_TRUE(mom_config_is_remote_dir(&p.c, "/SHARED/CKPT"));
	EXPECT_TRUE(mom_config_is_remote_dir(&p.c, "/shared/ckptx/1.CK")); // plain prefix, as Torque
	EXPECT_FALSE(mom_config_is_remote_dir(&p.c, "/var/spool/ckmig/checkpoint/42.head.CK"));
	EXPECT_FALSE(mom_config_is_remote_dir(&p.c, "/shared"));
	EXPECT_FALSE(mom_config_is_remote_dir(&p.c, ""));
	EXPECT_FALSE(mom_config_is_remote_dir(&p.c, nullptr));
}

TEST_F(MomConfig, RemoteDirStarMatchesAll)
{
	ASSERT_EQ(0, parse("$remote_checkpoint_dirs *\n"));
	EXPECT_TRUE(mom_config_is_remote_dir(&p.c, "/anything/at/all"));
}

TEST_F(MomConfig, NoRemoteDirsMatchesNothing)
{
	ASSERT_EQ(0, parse(""));
	EXPECT_FALSE(mom_config_is_remote_dir(&p.c, "/shared/x"));
}

TEST_F(MomConfig, UsecpMapping)
{
	ASSERT_EQ(0, parse("$usecp *.example.com:/home /net/home\n$usecp head:/data /data\n"));
	char *m = mom_config_usecp_map(&p.c, "login.example.com", "/home/ann/out");
	ASSERT_NE(nullptr, m);
	EXPECT_STREQ("/net/home/ann/out", m);
	free(m);
	m = mom_config_usecp_map(&p.c, "head", "/data/x");
	ASSERT_NE(nullptr, m);
	EXPECT_STREQ("/data/x", m);
	free(m);
	EXPECT_EQ(nullptr, mom_config_usecp_map(&p.c, "other", "/home/ann/out"));
}

TEST_F(MomConfig, LoadMissingFileIsError)
{
	EXPECT_EQ(-1, mom_config_load(&p.c, "/nonexistent/mom_priv/config", collect, &p.warnings,
				      p.err, sizeof(p.err)));
	EXPECT_NE(nullptr, strstr(p.err, "cannot read /nonexistent/mom_priv/config"));
}

} // namespace

namespace {
// Issue 13: a 70 000-character $mom_host was taken.
TEST_F(MomConfig, HostNamesAreHostNames)
{
	std::string big = "$mom_host " + std::string(70000, 'a') + "\n";
	EXPECT_EQ(-1, parse(big.c_str()));
	EXPECT_NE(std::string(p.err).find("$mom_host needs one host name"), std::string::npos) << p.err;
	EXPECT_EQ(nullptr, p.c.mom_host);
}

TEST_F(MomConfig, HostNameBadCharactersAndPbsserver)
{
	EXPECT_EQ(-1, parse("$mom_host node1;rm\n"));
	mom_config_free(&p.c);
	mom_config_init(&p.c);
	std::string big = "$pbsserver " + std::string(300, 'h') + ":15001\n";
	EXPECT_EQ(-1, parse(big.c_str()));
	mom_config_free(&p.c);
	mom_config_init(&p.c);
	EXPECT_EQ(0, parse("$mom_host node-1.example_x\n$pbsserver head:15001\n")) << p.err;
	EXPECT_STREQ("node-1.example_x", p.c.mom_host);
}

// Issue 10 item 7 at the MOM: which parents root may write a checkpoint under.
TEST_F(MomConfig, CheckpointDirPolicy)
{
	ASSERT_EQ(0, parse("$remote_checkpoint_dirs /shared *\n$allowed_checkpoint_dirs /scratch,/big/ck\n"))
		<< p.err;
	const char *base = "/var/spool/ckmig/checkpoint";
	EXPECT_STREQ(base, mom_config_ckpt_parent(&p.c, base, "/var/spool/ckmig/checkpoint/1.h.CK"));
	EXPECT_STREQ("/shared", mom_config_ckpt_parent(&p.c, base, "/shared/u/1.h.CK"));
	EXPECT_STREQ("/scratch", mom_config_ckpt_parent(&p.c, base, "/scratch/1.h.CK"));
	EXPECT_STREQ("/big/ck", mom_config_ckpt_parent(&p.c, base, "/big/ck/x/1.h.CK"));
	// "*" says every directory is shared, not that root may write anywhere
	EXPECT_EQ(nullptr, mom_config_ckpt_parent(&p.c, base, "/boot/1.h.CK"));
	EXPECT_EQ(nullptr, mom_config_ckpt_parent(&p.c, base, "/scratchy/1.h.CK"));
	EXPECT_EQ(nullptr, mom_config_ckpt_parent(&p.c, base, "/shared/../boot/1.h.CK"));
	EXPECT_EQ(nullptr, mom_config_ckpt_parent(&p.c, base, "rel/1.h.CK"));
}

TEST_F(MomConfig, AllowedCheckpointDirsMustBeAbsolute)
{
	EXPECT_EQ(-1, parse("$allowed_checkpoint_dirs scratch\n"));
	EXPECT_NE(std::string(p.err).find("not an absolute path"), std::string::npos) << p.err;
}
}  // namespace
