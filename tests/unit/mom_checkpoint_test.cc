// The MOM's checkpoint rules: Checkpoint attribute, directory and image
// names, the scripts' argument vectors (Torque's contract), retention.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <set>
#include <string>
#include <vector>

#include <dirent.h>

#include "checkpoint/libckpt.h"
#include "mom/checkpoint_util.h"
#include "mom/mom.h"

namespace {

std::vector<std::string> argv_vec(char **argv)
{
	std::vector<std::string> v;
	for (char **p = argv; *p; p++)
		v.push_back(*p);
	return v;
}

// The parser itself is lib/ckpt_option.c (tests/unit/ckpt_option_test.cc);
// the MOM adds only "and it has a $checkpoint_script".
TEST(MomCkptOpts, NeedsScript)
{
	ckpt_opts o;
	ASSERT_EQ(0, ckpt_opts_parse("c=30,depth=2,dir=/shared/ck", &o, nullptr, 0));
	EXPECT_TRUE(ckpt_mom_checkpointable(&o, 1));
	EXPECT_FALSE(ckpt_mom_checkpointable(&o, 0));  // no $checkpoint_script
}

TEST(MomCkptNames, DirAndImage)
{
	char *d = ckpt_job_dir(nullptr, "/var/spool/ckmig/checkpoint", "42.head");
	EXPECT_STREQ("/var/spool/ckmig/checkpoint/42.head.CK", d);
	free(d);
	d = ckpt_job_dir("/shared/ckpt/", "/var/spool/ckmig/checkpoint", "42.head");
	EXPECT_STREQ("/shared/ckpt/42.head.CK", d);
	free(d);
	// Torque leaves a dir that already names the job's .CK alone.
	d = ckpt_job_dir("/shared/ckpt/42.head.CK", "/base", "42.head");
	EXPECT_STREQ("/shared/ckpt/42.head.CK", d);
	free(d);
	// ...but not one that merely ends in the same characters.
	d = ckpt_job_dir("/shared/x142.head.CK", "/base", "42.head");
	EXPECT_STREQ("/shared/x142.head.CK/42.head.CK", d);
	free(d);
	char *n = ckpt_image_name("42.head", 1700000000);
	EXPECT_STREQ("ckpt.42.head.1700000000", n);
	free(n);
}

TEST(MomCkptArgs, CheckpointScriptGetsEightArgs)
{
	char **a = ckpt_checkpoint_argv("/s/checkpoint_script", 1234, "42.head", "ann", "users",
					"/ck/42.head.CK", "ckpt.42.head.1700000000", 15, 0);
	auto v = argv_vec(a);
	ckpt_argv_free(a);
	std::vector<std::string> want = { "/s/checkpoint_script", "1234", "42.head", "ann", "users",
					  "/ck/42.head.CK", "ckpt.42.head.1700000000", "15", "-" };
	EXPECT_EQ(want, v);

	a = ckpt_checkpoint_argv("/s/cs", 0, "42.head", "", nullptr, "/d", "n", 0, 3);
	v = argv_vec(a);
	ckpt_argv_free(a);
	want = { "/s/cs", "-", "42.head", "-", "-", "/d", "n", "0", "3" };
	EXPECT_EQ(want, v);
}

TEST(MomCkptArgs, RestartScriptGetsSixArgs)
{
	char **a = ckpt_restart_argv("/s/restart_script", 99, "42.head", "ann", "users",
				     "/ck/42.head.CK", "ckpt.42.head.1");
	auto v = argv_vec(a);
	ckpt_argv_free(a);
	std::vector<std::string> want = { "/s/restart_script", "99", "42.head", "ann", "users",
					  "/ck/42.head.CK", "ckpt.42.head.1" };
	EXPECT_EQ(want, v);
}

class MomCkptDepth : public ::testing::Test {
protected:
	char dir[64];
	void SetUp() override
	{
		strcpy(dir, "/tmp/mom_ckpt_depth.XXXXXX");
		ASSERT_NE(nullptr, mkdtemp(dir));
	}
	void TearDown() override
	{
		std::string cmd = std::string("rm -rf ") + dir;
		ASSERT_EQ(0, system(cmd.c_str()));
	}
	// A complete checkpoint as cr_checkpoint leaves it: a directory with
	// a manifest (written by libckpt), taken at `when`.
	void mkimage(const std::string &name, long long when, bool complete = true)
	{
		std::string p = std::string(dir) + "/" + name;
		ASSERT_EQ(0, mkdir(p.c_str(), 0700));
		if (!complete)
			return;
		ckpt_manifest m;
		memset(&m, 0, sizeof(m));
		m.version = CKPT_FORMAT_VERSION;
		m.time = when;
		m.host = (char *)"node1";
		m.criu_version = (char *)"4.2";
		m.kernel = (char *)"6.18";
		ckpt_err e;
		ckpt_err_clear(&e);
		ASSERT_EQ(0, ckpt_manifest_write(p.c_str(), &m, &e)) << e.msg;
	}
	std::set<std::string> names()
	{
		std::set<std::string> s;
		DIR *d = opendir(dir);
		while (dirent *e = readdir(d))
			if (e->d_name[0] != '.')
				s.insert(e->d_name);
		closedir(d);
		return s;
	}
};

TEST_F(MomCkptDepth, KeepsNewestNOfThisJob)
{
	char err[256] = "";
	mkimage("ckpt.42.head.999", 999);
	mkimage("ckpt.42.head.1000", 1000);
	mkimage("ckpt.42.head.1001", 1001);
	mkimage("ckpt.42.head.1002", 1002, false);   // being written: no manifest yet
	mkimage("ckpt.7.head.5", 5);                 // another job
	EXPECT_EQ(1, mom_ckpt_retain(dir, "42.head", 2, err, sizeof(err))) << err;
	std::set<std::string> want = { "ckpt.42.head.1000", "ckpt.42.head.1001",
				       "ckpt.42.head.1002", "ckpt.7.head.5" };
	EXPECT_EQ(want, names());
	EXPECT_EQ(0, mom_ckpt_retain(dir, "42.head", 0, err, sizeof(err))); // 0 = keep all
	EXPECT_EQ(4u, names().size());
	EXPECT_EQ(1, mom_ckpt_retain(dir, "42.head", 1, err, sizeof(err)));
	EXPECT_EQ(0u, names().count("ckpt.42.head.1000"));
	EXPECT_EQ(1u, names().count("ckpt.42.head.1001"));
	EXPECT_EQ(1u, names().count("ckpt.7.head.5"));
}

TEST_F(MomCkptDepth, MissingDirIsError)
{
	char err[256] = "";
	EXPECT_EQ(-1, mom_ckpt_retain("/nonexistent/dir", "42.head", 1, err, sizeof(err)));
	EXPECT_NE(nullptr, strstr(err, "/nonexistent/dir"));
}

} // namespace

// The walltime margin's image size (mom/walltime_ckpt.c): root reads
// <dir>/<name>, which the job's owner owns after a restart or may replace
// (JOBID.CK is theirs).  A link in its place is not followed (before
// 99e36da it was: root walked whatever directory it named), and only
// root's files count: an owner's look-alike cannot set the MOM's dump
// rate for every job on the node.
TEST(MomCkptBytes, NoLinkFollowedOnlyRootsFilesCount)
{
	if (geteuid() != 0)
		GTEST_SKIP() << "needs root (chown)";
	char t[] = "/tmp/ckmig-ckbytes.XXXXXX";
	ASSERT_NE(nullptr, mkdtemp(t));
	std::string d = t, img = d + "/ckpt.1", other = d + "/elsewhere";
	ASSERT_EQ(0, mkdir(img.c_str(), 0700));
	ASSERT_EQ(0, mkdir(other.c_str(), 0700));
	auto put = [](const std::string &p, size_t n) {
		int fd = open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
		ASSERT_GE(fd, 0);
		ASSERT_EQ(0, ftruncate(fd, static_cast<off_t>(n)));
		close(fd);
	};
	put(img + "/pages-1.img", 3000);
	put(img + "/manifest.xml", 100);
	put(img + "/owners", 1 << 20);
	ASSERT_EQ(0, chown((img + "/owners").c_str(), 65534, 65534));
	put(other + "/big", 7000);
	EXPECT_EQ(3100, ckpt_dir_bytes(img.c_str()));
	// the owner (of JOBID.CK, here d) renames it and puts a link in its
	// place; a link only root can have put there is followed
	ASSERT_EQ(0, rename(img.c_str(), (img + ".moved").c_str()));
	ASSERT_EQ(0, symlink(other.c_str(), img.c_str()));
	EXPECT_EQ(7000, ckpt_dir_bytes(img.c_str()));
	ASSERT_EQ(0, lchown(img.c_str(), 65534, 65534));
	ASSERT_EQ(0, chown(d.c_str(), 65534, 65534));
	EXPECT_EQ(0, ckpt_dir_bytes(img.c_str()));
	// and so is one in its place on the way
	ASSERT_EQ(0, unlink(img.c_str()));
	ASSERT_EQ(0, symlink(d.c_str(), (d + "/via").c_str()));
	EXPECT_EQ(0, ckpt_dir_bytes((d + "/via/ckpt.1.moved").c_str()));
	EXPECT_EQ(3100, ckpt_dir_bytes((d + "/ckpt.1.moved").c_str()));
	EXPECT_EQ(0, ckpt_rmtree(t));
}
