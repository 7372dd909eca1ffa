// qsub's reading of job scripts: #PBS directives as Torque's qsub reads
// them, and the options they carry with the command line winning.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "qtools/lib/cmds.h"
#include "qtools/lib/qsub_functions.h"

namespace {

std::vector<std::string> directives(const std::string &script, const char *prefix = nullptr,
				    std::string *error = nullptr)
{
	directive *d = nullptr;
	char err[256] = "";
	std::vector<std::string> out;
	if (script_directives(script.data(), script.size(), prefix, &d, err, sizeof(err)) < 0) {
		if (error)
			*error = err;
		return { "ERROR" };
	}
	for (directive *p = d; p; p = p->next) {
		std::string line = std::to_string(p->lineno) + ":";
		for (int i = 1; i < p->argc; i++)
			line += std::string(i > 1 ? "|" : "") + p->argv[i];
		out.push_back(line);
	}
	directives_free(d);
	return out;
}

TEST(QtoolsDirectives, ReadUntilFirstCommand)
{
	auto d = directives("#!/bin/sh\n"
			    "#PBS -N hello\n"
			    "\n"
			    "# a comment\n"
			    "   #PBS -l walltime=10\n"
			    ": a colon line\n"
			    "#PBS -j oe\n"
			    "echo start\n"
			    "#PBS -N ignored\n");
	ASSERT_EQ(d.size(), 3u);
	EXPECT_EQ(d[0], "2:-N|hello");
	EXPECT_EQ(d[1], "5:-l|walltime=10");
	EXPECT_EQ(d[2], "7:-j|oe");
}

TEST(QtoolsDirectives, QuotesAndContinuation)
{
	auto d = directives("#PBS -N \"two words\" -v 'A=x y'\n"
			    "#PBS -l walltime=10,\\\n"
			    "mem=1gb\n"
			    "#PBS -M a\\ b\n"
			    "true\n");
	ASSERT_EQ(d.size(), 3u);
	EXPECT_EQ(d[0], "1:-N|two words|-v|A=x y");
	EXPECT_EQ(d[1], "2:-l|walltime=10,mem=1gb");
	EXPECT_EQ(d[2], "4:-M|a b");
}

TEST(QtoolsDirectives, OtherPrefix)
{
	auto d = directives("#MY -N x\n#PBS -N y\ntrue\n", "#MY");
	ASSERT_EQ(d.size(), 1u);
	EXPECT_EQ(d[0], "1:-N|x");
}

TEST(QtoolsDirectives, Refusals)
{
	std::string err;
	EXPECT_EQ(directives("#PBS -N \"open\ntrue\n", nullptr, &err)[0], "ERROR");
	EXPECT_NE(err.find("unmatched"), std::string::npos);
	EXPECT_EQ(directives("#PBS -N x\r\ntrue\r\n", nullptr, &err)[0], "ERROR");
	EXPECT_NE(err.find("DOS/Windows"), std::string::npos);
	EXPECT_EQ(directives(std::string("#!/bin/sh\n\x01\x02", 12), nullptr, &err)[0], "ERROR");
	EXPECT_NE(err.find("ascii"), std::string::npos);
	EXPECT_EQ(directives("#PBS -l a=1,\\", nullptr, &err)[0], "ERROR");
}

TEST(QtoolsDirectives, EmptyScript)
{
	EXPECT_TRUE(directives("").empty());
}

struct Job {
	qsub_job j;
	Job() { qsub_job_init(&j, "subhost", "/home/alice/work"); }
	~Job() { qsub_job_free(&j); }
	const char *get(const char *n, const char *r = nullptr) { return qsub_get_attr(&j, n, r); }
};

int build(Job &job, std::vector<const char *> args, const std::string &script,
	  const char *name = nullptr, std::string *error = nullptr)
{
	std::vector<char *> argv;
	argv.push_back((char *)"qsub");
	for (auto a : args)
		argv.push_back((char *)a);
	argv.push_back(nullptr);
	char err[512] = "";
	int usage = 0;
	int rc = qsub_build(&job.j, (int)argv.size() - 1, argv.data(), script.data(), script.size(),
			    name, &usage, err, sizeof(err));
	if (error)
		*error = err;
	return rc;
}

TEST(QtoolsQsub, CommandLineWinsOverDirectives)
{
	Job job;
	ASSERT_EQ(build(job, { "-N", "fromcli", "-l", "mem=2gb" },
			"#PBS -N fromscript\n#PBS -l walltime=01:00:00,mem=1gb\n#PBS -c enabled\ntrue\n",
			"job.sh"), 0);
	EXPECT_STREQ(job.get(ATTR_N), "fromcli");
	EXPECT_STREQ(job.get(ATTR_l, "walltime"), "01:00:00");
	EXPECT_STREQ(job.get(ATTR_l, "mem"), "2gb");
	EXPECT_STREQ(job.get(ATTR_c), "enabled");
	EXPECT_STREQ(job.get(ATTR_submit_args), "-N fromcli -l mem=2gb");
}

TEST(QtoolsQsub, DefaultsAndPaths)
{
	Job job;
	ASSERT_EQ(build(job, { "-o", "out.txt", "-e", "/tmp/err", "-j", "oe", "-h", "-p", "5" },
			"true\n", "/path/to/run.sh"), 0);
	EXPECT_STREQ(job.get(ATTR_N), "run.sh");
	EXPECT_STREQ(job.get(ATTR_o), "subhost:/home/alice/work/out.txt");
	EXPECT_STREQ(job.get(ATTR_e), "subhost:/tmp/err");
	EXPECT_STREQ(job.get(ATTR_j), "oe");
	EXPECT_STREQ(job.get(ATTR_h), "u");
	EXPECT_STREQ(job.get(ATTR_p), "5");
	std::string vars = job.get(ATTR_v);
	EXPECT_NE(vars.find("PBS_O_WORKDIR=/home/alice/work"), std::string::npos);
	EXPECT_NE(vars.find("PBS_O_HOST=subhost"), std::string::npos);

	Job stdin_job;
	ASSERT_EQ(build(stdin_job, {}, "true\n"), 0);
	EXPECT_STREQ(stdin_job.get(ATTR_N), "STDIN");
	EXPECT_EQ(stdin_job.get(ATTR_c), nullptr);
}

// -c dir= names the job's checkpoint_dir, which wins over the server's
TEST(QtoolsQsub, CheckpointDirFromDirItem)
{
	Job job;
	ASSERT_EQ(build(job, { "-c", "enabled,dir=/var/spool/ckmig-shared/ck,depth=2" }, "true\n"), 0);
	EXPECT_STREQ(job.get(ATTR_c), "enabled,dir=/var/spool/ckmig-shared/ck,depth=2");
	EXPECT_STREQ(job.get(ATTR_checkpoint_dir), "/var/spool/ckmig-shared/ck");
	Job plain;
	ASSERT_EQ(build(plain, { "-c", "enabled" }, "true\n"), 0);
	EXPECT_EQ(plain.get(ATTR_checkpoint_dir), nullptr);
}

TEST(QtoolsQsub, DirectivePrefixFromCommandLine)
{
	Job job;
	ASSERT_EQ(build(job, { "-C", "#X" }, "#X -N viaX\n#PBS -N viaPBS\ntrue\n"), 0);
	EXPECT_STREQ(job.get(ATTR_N), "viaX");
}

TEST(QtoolsQsub, BadValuesRefusedWithTorqueWords)
{
	std::string err;
	Job a;
	EXPECT_EQ(build(a, { "-c", "sometimes" }, "true\n", nullptr, &err), -1);
	EXPECT_EQ(err.rfind("qsub: illegal -c value (unknown checkpoint item \"sometimes\"", 0), 0u)
		<< err;
	Job a2;   // issue 13: n beside enabled passed qsub and meant two things
	EXPECT_EQ(build(a2, { "-c", "n,enabled" }, "true\n", nullptr, &err), -1);
	EXPECT_NE(err.find("contradicts itself"), std::string::npos) << err;
	Job a3;
	EXPECT_EQ(build(a3, { "-c", "enabled,dir=relative/path" }, "true\n", nullptr, &err), -1);
	EXPECT_NE(err.find("not an absolute path"), std::string::npos) << err;
	Job b;
	EXPECT_EQ(build(b, {}, "#PBS -p 5000\ntrue\n", nullptr, &err), -1);
	EXPECT_NE(err.find("qsub: illegal -p value"), std::string::npos);
	EXPECT_NE(err.find("line 1"), std::string::npos);
	Job c;
	EXPECT_EQ(build(c, { "-I" }, "true\n", nullptr, &err), -1);
	EXPECT_NE(err.find("interactive"), std::string::npos);
	Job d;
	EXPECT_EQ(build(d, { "-j", "yes" }, "true\n", nullptr, &err), -1);
	EXPECT_EQ(err, "qsub: illegal -j value");
	Job e;
	EXPECT_EQ(build(e, {}, "#PBS -P alice\ntrue\n", nullptr, &err), -1);
	Job f;
	EXPECT_EQ(build(f, { "-l", "nodes=2:ppn=x" }, "true\n", nullptr, &err), -1);
	EXPECT_NE(err.find("qsub: illegal -l value"), std::string::npos);
}

TEST(QtoolsQsub, PreparePath)
{
	char *p = qsub_prepare_path("other:/x/y", "h", "/c");
	EXPECT_STREQ(p, "other:/x/y");
	free(p);
	p = qsub_prepare_path("rel/f", "h", "/c");
	EXPECT_STREQ(p, "h:/c/rel/f");
	free(p);
	p = qsub_prepare_path("/a:b/f", "h", "/c");
	EXPECT_STREQ(p, "h:/a:b/f");
	free(p);
}

} // namespace
