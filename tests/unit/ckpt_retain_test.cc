// Retention (keep the newest N checkpoints) and BLCR's error classes.
#include <gtest/gtest.h>

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <set>
#include <string>

#include "checkpoint/libckpt.h"

namespace {

std::string tmpdir()
{
    char d[] = "/tmp/ckpt_retainXXXXXX";
    EXPECT_NE(nullptr, mkdtemp(d));
    return d;
}

void make_checkpoint(const std::string &dir, const std::string &name, long long time)
{
    std::string p = dir + "/" + name;
    ASSERT_EQ(0, mkdir(p.c_str(), 0700));
    ckpt_manifest m;
    memset(&m, 0, sizeof(m));
    m.version = CKPT_FORMAT_VERSION;
    m.time = time;
    ckpt_err e;
    ckpt_err_clear(&e);
    ASSERT_EQ(0, ckpt_manifest_write(p.c_str(), &m, &e)) << e.msg;
}

std::set<std::string> entries(const std::string &dir)
{
    std::set<std::string> out;
    DIR *d = opendir(dir.c_str());
    while (struct dirent *de = d ? readdir(d) : nullptr)
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            out.insert(de->d_name);
    if (d)
        closedir(d);
    return out;
}

}  // namespace

TEST(CkptRetain, KeepsTheNewestNOfThePrefix)
{
    std::string d = tmpdir();
    make_checkpoint(d, "ckpt.42.head.100", 100);
    make_checkpoint(d, "ckpt.42.head.300", 300);
    make_checkpoint(d, "ckpt.42.head.200", 200);
    make_checkpoint(d, "ckpt.43.head.50", 50);     // another job's
    mkdir((d + "/ckpt.42.head.999").c_str(), 0700);  // incomplete: no manifest
    ckpt_err e;
    ckpt_err_clear(&e);
    EXPECT_EQ(1, ckpt_retain(d.c_str(), "ckpt.42.head.", 2, &e)) << e.msg;
    EXPECT_EQ((std::set<std::string>{ "ckpt.42.head.200", "ckpt.42.head.300", "ckpt.43.head.50",
                                      "ckpt.42.head.999" }),
              entries(d));
    EXPECT_EQ(0, ckpt_retain(d.c_str(), "ckpt.42.head.", 2, &e));
    ckpt_rmtree(d.c_str());
}

TEST(CkptRetain, SweepsTemporariesOfDeadWritersOnly)
{
    std::string d = tmpdir();
    make_checkpoint(d, "a", 1);
    mkdir((d + "/.a.tmp.999999999").c_str(), 0700);  // no such process
    std::string mine = "/.a.tmp." + std::to_string(getpid());
    mkdir((d + mine).c_str(), 0700);  // a writer that is alive
    ckpt_err e;
    ckpt_err_clear(&e);
    EXPECT_EQ(1, ckpt_retain(d.c_str(), nullptr, 5, &e)) << e.msg;
    EXPECT_EQ((std::set<std::string>{ "a", mine.substr(1) }), entries(d));
    ckpt_rmtree(d.c_str());
}

// A context file: a ustar archive, manifest.xml first (what ckpt_dump
// packs), made here from a checkpoint directory.
void make_context(const std::string &dir, const std::string &name, long long time)
{
    std::string tmp = dir + "/.src." + name;
    ASSERT_EQ(0, mkdir(tmp.c_str(), 0700));
    ckpt_manifest m;
    memset(&m, 0, sizeof(m));
    m.version = CKPT_FORMAT_VERSION;
    m.time = time;
    ckpt_err e;
    ckpt_err_clear(&e);
    ASSERT_EQ(0, ckpt_manifest_write(tmp.c_str(), &m, &e)) << e.msg;
    std::string cmd = "tar -C " + tmp + " --format=ustar -cf " + dir + "/" + name + " manifest.xml";
    ASSERT_EQ(0, system(cmd.c_str()));
    ckpt_rmtree(tmp.c_str());
}

TEST(CkptRetain, BothFormsCountAndGo)
{
    std::string d = tmpdir();
    make_context(d, "ckpt.9.100", 100);
    make_checkpoint(d, "ckpt.9.200", 200);
    make_context(d, "ckpt.9.300", 300);
    make_checkpoint(d, "ckpt.9.50", 50);
    make_context(d, ".ckpt.9.400.tmp.999999999.ctx", 400);   // a dead writer's, packed
    ASSERT_EQ(0, symlink((d + "/ckpt.9.300").c_str(), (d + "/ckpt.9.999").c_str()));
    FILE *junk = fopen((d + "/ckpt.9.junk").c_str(), "w");
    ASSERT_NE(nullptr, junk);
    fputs("not a checkpoint\n", junk);
    fclose(junk);
    ckpt_err e;
    ckpt_err_clear(&e);
    EXPECT_EQ(3, ckpt_retain(d.c_str(), "ckpt.9.", 2, &e)) << e.msg;
    EXPECT_EQ((std::set<std::string>{ "ckpt.9.200", "ckpt.9.300", "ckpt.9.999", "ckpt.9.junk" }),
              entries(d));
    ckpt_rmtree(d.c_str());
}

TEST(CkptRetain, BadDepthOrDirectory)
{
    ckpt_err e;
    ckpt_err_clear(&e);
    EXPECT_EQ(-1, ckpt_retain("/tmp", nullptr, 0, &e));
    EXPECT_EQ(EINVAL, e.code);
    EXPECT_EQ(CKPT_FAIL_ARGS, e.cls);
    EXPECT_EQ(-1, ckpt_retain("/nonexistent/ckmig", nullptr, 1, &e));
    EXPECT_EQ(ENOENT, e.code);
}

TEST(CkptErrors, BlcrsRestartFailureClasses)
{
    EXPECT_EQ(CKPT_FAIL_TEMP, ckpt_classify(ENOMEM));
    EXPECT_EQ(CKPT_FAIL_TEMP, ckpt_classify(EBUSY));
    for (int env : { EACCES, EPERM, ENOENT, EEXIST, EISDIR, ENOTDIR, ESTALE, ENOKEY })
        EXPECT_EQ(CKPT_FAIL_ENV, ckpt_classify(env)) << env;
    // BLCR: everything else, known or not, is permanent (EAGAIN too).
    for (int perm : { ENOSYS, EIO, EINVAL, EBADMSG, EPROTO, EAGAIN, ENOSPC, EROFS, ESRCH, ETIMEDOUT, 9999 })
        EXPECT_EQ(CKPT_FAIL_PERM, ckpt_classify(perm)) << perm;
    EXPECT_EQ(CKPT_OK, ckpt_classify(0));
}

TEST(CkptErrors, ClassNamesAreTorquesWords)
{
    EXPECT_STREQ("Temporary", ckpt_class_name(CKPT_FAIL_TEMP));
    EXPECT_STREQ("Permanent", ckpt_class_name(CKPT_FAIL_PERM));
    EXPECT_STREQ("Environment", ckpt_class_name(CKPT_FAIL_ENV));
    EXPECT_STREQ("Argument", ckpt_class_name(CKPT_FAIL_ARGS));
}

TEST(CkptErrors, SetKeepsCodeClassAndMessage)
{
    ckpt_err e;
    ckpt_err_clear(&e);
    EXPECT_EQ(-1, ckpt_err_set(&e, ENOSPC, "disk %s", "full"));
    EXPECT_EQ(ENOSPC, e.code);
    EXPECT_EQ(CKPT_FAIL_PERM, e.cls);
    EXPECT_STREQ("disk full", e.msg);
    ckpt_err_setc(&e, ENOENT, CKPT_FAIL_ARGS, "x");
    EXPECT_EQ(CKPT_FAIL_ARGS, e.cls);
    ckpt_err_set(&e, 0, "no code");
    EXPECT_EQ(EIO, e.code);  // a failure always has a code
}

TEST(CkptKey, CreatedRootOnlyAtFirstUseAndRefusedWhenOthersCanRead)
{
    if (geteuid() != 0)
        GTEST_SKIP() << "the key is root's";
    char d[] = "/tmp/ckpt_keyXXXXXX";
    ASSERT_NE(nullptr, mkdtemp(d));
    std::string path = std::string(d) + "/sub/checkpoint.key";
    unsigned char k1[CKPT_KEY_LEN], k2[CKPT_KEY_LEN];
    ckpt_err e;
    ckpt_err_clear(&e);
    EXPECT_EQ(-1, ckpt_key_load(path.c_str(), false, k1, &e));
    EXPECT_EQ(ENOKEY, e.code);
    ASSERT_EQ(0, ckpt_key_load(path.c_str(), true, k1, &e)) << e.msg;
    struct stat st;
    ASSERT_EQ(0, stat(path.c_str(), &st));
    EXPECT_EQ(0600u, st.st_mode & 07777);
    EXPECT_EQ(CKPT_KEY_LEN, st.st_size);
    ASSERT_EQ(0, ckpt_key_load(path.c_str(), true, k2, &e));
    EXPECT_EQ(0, memcmp(k1, k2, sizeof(k1)));  // created once, then reused
    chmod(path.c_str(), 0644);
    EXPECT_EQ(-1, ckpt_key_load(path.c_str(), false, k2, &e));
    EXPECT_EQ(EACCES, e.code);
    ckpt_rmtree(d);
}
