// lib/safe_dir.c: which links root follows when it opens a directory by
// path on a user's behalf; lib/fault.c's test gate never follows a link.
#include <gtest/gtest.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "checkpoint/libckpt.h"
#include "lib/fault.h"
#include "lib/safe_dir.h"

namespace {

const uid_t kUser = 65534;  // nobody: an ordinary user

struct SafeDir : ::testing::Test {
    std::string d;
    void SetUp() override
    {
        if (geteuid() != 0)
            GTEST_SKIP() << "needs root (owners are the point)";
        char t[] = "/tmp/safe_dirXXXXXX";
        ASSERT_NE(nullptr, mkdtemp(t));
        d = t;
        ASSERT_EQ(0, chmod(d.c_str(), 0755));
        ASSERT_EQ(0, mkdir((d + "/real").c_str(), 0755));
    }
    void TearDown() override
    {
        if (!d.empty())
            ckpt_rmtree(d.c_str());
    }
    // the inode open_dir_noswap reached, or -errno
    long long reach(const std::string &path, std::string *bad = nullptr)
    {
        char b[4096];
        int fd = open_dir_noswap(path.c_str(), b, sizeof(b));
        if (fd < 0) {
            if (bad)
                *bad = b;
            return -errno;
        }
        struct stat st;
        EXPECT_EQ(0, fstat(fd, &st));
        close(fd);
        return (long long)st.st_ino;
    }
    long long ino(const std::string &path)
    {
        struct stat st;
        EXPECT_EQ(0, stat(path.c_str(), &st));
        return (long long)st.st_ino;
    }
};

TEST_F(SafeDir, FollowsALinkOnlyRootCanHavePut)
{
    ASSERT_EQ(0, symlink("real", (d + "/l").c_str()));
    EXPECT_EQ(ino(d + "/real"), reach(d + "/l"));
    EXPECT_EQ(ino(d + "/real"), reach(d + "/l/"));
    EXPECT_EQ(ino(d), reach(d + "/l/.."));
    ASSERT_EQ(0, symlink((d + "/real").c_str(), (d + "/abs").c_str()));
    EXPECT_EQ(ino(d + "/real"), reach(d + "/./abs"));
}

TEST_F(SafeDir, RefusesALinkAUserCouldHavePut)
{
    std::string bad;
    // a directory the user owns
    std::string u = d + "/user";
    ASSERT_EQ(0, mkdir(u.c_str(), 0755));
    ASSERT_EQ(0, chown(u.c_str(), kUser, kUser));
    ASSERT_EQ(0, symlink((d + "/real").c_str(), (u + "/l").c_str()));
    EXPECT_EQ(-ELOOP, reach(u + "/l", &bad));
    EXPECT_EQ(u + "/l", bad);
    // root's, writable by others: any entry; sticky: only the user's own
    ASSERT_EQ(0, chown(u.c_str(), 0, 0));
    ASSERT_EQ(0, chmod(u.c_str(), 0777));
    EXPECT_EQ(-ELOOP, reach(u + "/l"));
    ASSERT_EQ(0, chmod(u.c_str(), 01777));
    EXPECT_EQ(ino(d + "/real"), reach(u + "/l"));
    ASSERT_EQ(0, lchown((u + "/l").c_str(), kUser, kUser));
    EXPECT_EQ(-ELOOP, reach(u + "/l/"));
    // a link to a link: each one by its own directory
    ASSERT_EQ(0, symlink((u + "/l").c_str(), (d + "/l2").c_str()));
    EXPECT_EQ(-ELOOP, reach(d + "/l2", &bad));
    EXPECT_EQ(u + "/l", bad);
}

TEST_F(SafeDir, ErrorsSayWhere)
{
    std::string bad;
    EXPECT_EQ(-ENOENT, reach(d + "/none/x", &bad));
    EXPECT_EQ(d + "/none", bad);
    int fd = open((d + "/file").c_str(), O_WRONLY | O_CREAT, 0600);
    ASSERT_GE(fd, 0);
    close(fd);
    EXPECT_EQ(-ENOTDIR, reach(d + "/file/x", &bad));
    EXPECT_EQ(d + "/file", bad);
    ASSERT_EQ(0, symlink("loop", (d + "/loop").c_str()));
    EXPECT_EQ(-ELOOP, reach(d + "/loop"));
    EXPECT_EQ(-ENOENT, reach(""));
}

TEST_F(SafeDir, EntrySwappable)
{
    struct stat p = {}, c = {};
    p.st_mode = S_IFDIR | 0755;
    EXPECT_FALSE(dir_entry_swappable(&p, &c));
    p.st_uid = kUser;
    EXPECT_TRUE(dir_entry_swappable(&p, &c));
    p.st_uid = 0;
    p.st_mode = S_IFDIR | 0775;
    EXPECT_TRUE(dir_entry_swappable(&p, &c));
    p.st_mode = S_IFDIR | 01777;
    EXPECT_FALSE(dir_entry_swappable(&p, &c));
    EXPECT_FALSE(dir_entry_swappable(&p, nullptr));
    c.st_uid = kUser;
    EXPECT_TRUE(dir_entry_swappable(&p, &c));
}

// The gate's GATE.reached is made by root in a test's directory: a link
// planted there (dangling, to where root may write) is not followed.
TEST_F(SafeDir, TestGateFollowsNoLink)
{
    std::string gate = d + "/gate", target = d + "/real/made-through-the-link";
    ASSERT_EQ(0, symlink(target.c_str(), (gate + ".reached").c_str()));
    int fd = open(gate.c_str(), O_WRONLY | O_CREAT, 0600);   // open: no wait
    ASSERT_GE(fd, 0);
    close(fd);
    test_gate(gate.c_str());
    struct stat st;
    EXPECT_EQ(-1, lstat(target.c_str(), &st));
    ASSERT_EQ(0, lstat((gate + ".reached").c_str(), &st));
    EXPECT_TRUE(S_ISLNK(st.st_mode));
}

}  // namespace
