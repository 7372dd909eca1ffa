// Torque's log line format and the daily files.
#include <gtest/gtest.h>

#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <string>

#include "lib/log.h"
#include "lib/util.h"

TEST(Log, LineFormatIsTorques)
{
	char line[512];
	setenv("TZ", "UTC", 1);
	tzset();
	log_format_line(line, sizeof(line), 1700000000, PBSEVENT_JOB, "PBS_Server", 4242,
			"Job", "42.head", "Job Queued at request of alice@head");
	EXPECT_STREQ("11/14/2023 22:13:20;0008;PBS_Server.4242;Job;42.head;"
		     "Job Queued at request of alice@head", line);
}

TEST(Log, WritesDailyFileWithSourceStamp)
{
	char dir[] = "/tmp/ckmig_logXXXXXX";
	ASSERT_NE(nullptr, mkdtemp(dir));
	std::string logdir = std::string(dir) + "/server_logs";
	ASSERT_EQ(0, log_open("PBS_Server", logdir.c_str(), 0));
	errno = ENOENT;
	pr_perror("cannot open %s", "jobs/1.JB");
	pr_debug("not written by default");
	log_job(PBSEVENT_JOB, "1.head", "Job Run at request of root@head");
	ASSERT_NE(nullptr, log_current_path());
	std::string path = log_current_path();
	// file name is YYYYMMDD
	std::string base = path.substr(path.rfind('/') + 1);
	EXPECT_EQ(8u, base.size());
	char *data;
	size_t len;
	ASSERT_EQ(0, read_file(path.c_str(), 1 << 20, &data, &len));
	regex_t re;
	ASSERT_EQ(0, regcomp(&re,
		"^[0-9]{2}/[0-9]{2}/[0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2};0001;PBS_Server\\.[0-9]+;Svr;"
		"PBS_Server;Error \\(log_test\\.cc:[0-9]+\\): cannot open jobs/1\\.JB: "
		"No such file or directory\n"
		"[0-9/: ]+;0008;PBS_Server\\.[0-9]+;Job;1\\.head;Job Run at request of root@head\n$",
		REG_EXTENDED));
	EXPECT_EQ(0, regexec(&re, data, 0, NULL, 0)) << data;
	regfree(&re);
	free(data);
	// debug lines appear once the mask asks for them
	log_set_mask(log_get_mask() | PBSEVENT_DEBUG);
	pr_debug("now written");
	ASSERT_EQ(0, read_file(path.c_str(), 1 << 20, &data, &len));
	EXPECT_NE(nullptr, strstr(data, ";0080;PBS_Server."));
	free(data);
	log_close();
	EXPECT_EQ(nullptr, log_current_path());
	unlink(path.c_str());
	rmdir(logdir.c_str());
	rmdir(dir);
}
