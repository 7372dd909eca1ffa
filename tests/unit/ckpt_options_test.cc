// BLCR's command lines (cr_checkpoint, cr_restart) and --relocate.
#include <gtest/gtest.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <memory>
#include <string>
#include <vector>

#include "checkpoint/libckpt.h"

namespace {

// An argv whose strings outlive the parse (results point into them).
struct Argv {
    std::vector<std::string> s;
    std::vector<char *> v;
    explicit Argv(const std::vector<const char *> &a)
    {
        for (const char *x : a)
            s.push_back(x);
        for (auto &x : s)
            v.push_back(&x[0]);
        v.push_back(nullptr);
    }
    Argv(const Argv &) = delete;
    int argc() const { return static_cast<int>(s.size()); }
    char *const *argv() const { return v.data(); }
};

const Argv &keep(const std::vector<const char *> &a)
{
    static std::vector<std::unique_ptr<Argv>> kept;
    kept.emplace_back(new Argv(a));
    return *kept.back();
}

int ckpt(const std::vector<const char *> &args, ckpt_checkpoint_args *out, ckpt_err *e)
{
    const Argv &a = keep(args);
    ckpt_err_clear(e);
    return ckpt_parse_checkpoint_args(a.argc(), a.argv(), out, e);
}

int rst(const std::vector<const char *> &args, ckpt_restart_args *out, ckpt_err *e)
{
    const Argv &a = keep(args);
    ckpt_err_clear(e);
    return ckpt_parse_restart_args(a.argc(), a.argv(), out, e);
}

}  // namespace

TEST(CkptOptions, CheckpointDefaultsAreBlcrs)
{
    ckpt_checkpoint_args a;
    ckpt_err e;
    ASSERT_EQ(0, ckpt({ "cr_checkpoint", "1234" }, &a, &e)) << e.msg;
    EXPECT_EQ(1234, a.dump.id);
    EXPECT_EQ(CKPT_SCOPE_TREE, a.dump.scope);
    EXPECT_EQ(CKPT_AFTER_RUN, a.dump.after);
    EXPECT_EQ(CKPT_CLOBBER, a.dump.clobber);
    EXPECT_FALSE(a.dump.nosync);
    EXPECT_EQ(nullptr, a.file);
    EXPECT_EQ(-1, a.fd);
}

TEST(CkptOptions, TorquesCall)
{
    ckpt_checkpoint_args a;
    ckpt_err e;
    ASSERT_EQ(0, ckpt({ "cr_checkpoint", "--signal", "15", "--tree", "4242", "--file", "ckpt.42.head.1" }, &a, &e));
    EXPECT_EQ(CKPT_AFTER_SIGNAL, a.dump.after);
    EXPECT_EQ(15, a.dump.signo);
    EXPECT_EQ(4242, a.dump.id);
    EXPECT_STREQ("ckpt.42.head.1", a.file);
}

TEST(CkptOptions, ScopesOutputsAndAfterActions)
{
    ckpt_checkpoint_args a;
    ckpt_err e;
    ASSERT_EQ(0, ckpt({ "cr_checkpoint", "-s", "--kill", "--term", "-F", "5", "--nosync", "-t", "30", "9" }, &a, &e));
    EXPECT_EQ(CKPT_SCOPE_SID, a.dump.scope);
    EXPECT_EQ(CKPT_AFTER_TERM, a.dump.after);  // the last one wins
    EXPECT_EQ(5, a.fd);
    EXPECT_TRUE(a.dump.nosync);
    EXPECT_EQ(30, a.dump.timeout);
    ASSERT_EQ(0, ckpt({ "cr_checkpoint", "--pgid", "--backup=old", "--stop", "7" }, &a, &e));
    EXPECT_EQ(CKPT_SCOPE_PGID, a.dump.scope);
    EXPECT_EQ(CKPT_BACKUP, a.dump.clobber);
    EXPECT_STREQ("old", a.dump.backup);
    EXPECT_EQ(CKPT_AFTER_STOP, a.dump.after);
    ASSERT_EQ(0, ckpt({ "cr_checkpoint", "7", "--noclobber", "-p" }, &a, &e));  // options after the ID
    EXPECT_EQ(CKPT_NOCLOBBER, a.dump.clobber);
    EXPECT_EQ(CKPT_SCOPE_PID, a.dump.scope);
}

TEST(CkptOptions, MeaninglessBlcrOptionsAreAccepted)
{
    ckpt_checkpoint_args a;
    ckpt_err e;
    EXPECT_EQ(0, ckpt({ "cr_checkpoint", "--save-all", "--save-none", "--ptraced-allow", "--ptracer-skip",
                        "--kmsg-warning", "--atomic", "--sync", "--cont", "1" }, &a, &e))
        << e.msg;
    EXPECT_EQ(CKPT_AFTER_CONT, a.dump.after);
}

TEST(CkptOptions, CheckpointUsageErrors)
{
    const std::vector<std::vector<const char *>> bad = {
        { "cr_checkpoint" },
        { "cr_checkpoint", "1", "2" },
        { "cr_checkpoint", "--bogus", "1" },
        { "cr_checkpoint", "--signal", "abc", "1" },
        { "cr_checkpoint", "--signal", "0", "1" },
        { "cr_checkpoint", "--signal", "65", "1" },
        { "cr_checkpoint", "-d", "/tmp", "1" },
        { "cr_checkpoint", "--file" },
        { "cr_checkpoint", "-t", "x", "1" },
        { "cr_checkpoint", "pid" },
        { "cr_checkpoint", "0" },
    };
    for (const auto &a : bad) {
        ckpt_checkpoint_args out;
        ckpt_err e;
        EXPECT_EQ(-1, ckpt(a, &out, &e)) << a.back();
        EXPECT_EQ(CKPT_FAIL_ARGS, e.cls);
        EXPECT_NE('\0', e.msg[0]);
    }
}

TEST(CkptOptions, HelpAndVersionNeedNoId)
{
    ckpt_checkpoint_args a;
    ckpt_err e;
    ASSERT_EQ(0, ckpt({ "cr_checkpoint", "--help" }, &a, &e));
    EXPECT_TRUE(a.help);
    ASSERT_EQ(0, ckpt({ "cr_checkpoint", "--version" }, &a, &e));
    EXPECT_TRUE(a.version);
}

TEST(CkptOptions, ParsingLeavesTheCallersArgvAlone)
{
    const Argv &a = keep({ "cr_checkpoint", "7", "--kill" });
    std::vector<char *> before(a.v);
    ckpt_checkpoint_args out;
    ckpt_err e;
    ckpt_err_clear(&e);
    ASSERT_EQ(0, ckpt_parse_checkpoint_args(a.argc(), a.argv(), &out, &e));
    EXPECT_EQ(before, a.v);
    // and a second parse gives the same answer (getopt is re-initialised)
    ASSERT_EQ(0, ckpt_parse_checkpoint_args(a.argc(), a.argv(), &out, &e));
    EXPECT_EQ(7, out.dump.id);
    EXPECT_EQ(CKPT_AFTER_KILL, out.dump.after);
}

TEST(CkptOptions, RestartHooksAsTorquesScriptPassesThem)
{
    ckpt_restart_args a;
    ckpt_err e;
    ASSERT_EQ(0, rst({ "cr_restart", "--run-on-failure", "all", "--run-on-success", "ok", "--run-on-fail-temp",
                       "temp", "ckpt.42" }, &a, &e))
        << e.msg;
    EXPECT_STREQ("ckpt.42", a.file);
    EXPECT_STREQ("ok", a.hook_success);
    EXPECT_STREQ("all", a.hook_fail[CKPT_FAIL_ARGS]);
    EXPECT_STREQ("temp", a.hook_fail[CKPT_FAIL_TEMP]);
    EXPECT_STREQ("all", a.hook_fail[CKPT_FAIL_ENV]);
    EXPECT_STREQ("all", a.hook_fail[CKPT_FAIL_PERM]);
    ckpt_restart_args_free(&a);
}

TEST(CkptOptions, RestartSourcesAndFlags)
{
    ckpt_restart_args a;
    ckpt_err e;
    ASSERT_EQ(0, rst({ "cr_restart", "--no-restore-pid", "--restore-sid", "--omit-never", "--kill", "-f", "x" }, &a, &e));
    EXPECT_STREQ("x", a.file);
    EXPECT_EQ(CKPT_AFTER_KILL, a.after);
    ASSERT_EQ(0, rst({ "cr_restart", "-F", "3" }, &a, &e));
    EXPECT_EQ(3, a.fd);
    ASSERT_EQ(0, rst({ "cr_restart", "-v" }, &a, &e));  // BLCR: -v is --version here
    EXPECT_TRUE(a.version);
    ASSERT_EQ(0, rst({ "cr_restart", "--freeze", "x" }, &a, &e));
    EXPECT_EQ(CKPT_AFTER_STOP, a.after);
}

TEST(CkptOptions, RestartUsageErrors)
{
    const std::vector<std::vector<const char *>> bad = {
        { "cr_restart" },
        { "cr_restart", "a", "b" },
        { "cr_restart", "-f", "a", "b" },
        { "cr_restart", "--bogus", "a" },
        { "cr_restart", "--relocate", "nonsense", "a" },
        { "cr_restart", "--relocate", "rel=/abs", "a" },
        { "cr_restart", "--signal", "x", "a" },
        { "cr_restart", "-d", "x" },
    };
    for (const auto &a : bad) {
        ckpt_restart_args out;
        ckpt_err e;
        EXPECT_EQ(-1, rst(a, &out, &e)) << a.back();
        EXPECT_EQ(CKPT_FAIL_ARGS, e.cls);
    }
}

TEST(CkptOptions, AtMostSixteenRelocations)
{
    std::vector<std::string> s = { "cr_restart" };
    for (int i = 0; i < 17; i++) {
        s.push_back("--relocate");
        s.push_back("/a" + std::to_string(i) + "=/b");
    }
    s.push_back("x");
    std::vector<char *> v;
    for (auto &x : s)
        v.push_back(&x[0]);
    v.push_back(nullptr);
    ckpt_restart_args a;
    ckpt_err e;
    ckpt_err_clear(&e);
    EXPECT_EQ(-1, ckpt_parse_restart_args(static_cast<int>(s.size()), v.data(), &a, &e));
    EXPECT_NE(nullptr, strstr(e.msg, "16")) << e.msg;
}

TEST(CkptRelocate, WholeLeadingComponentsFirstMatchWins)
{
    ckpt_relocation r[3];
    ckpt_err e;
    ckpt_err_clear(&e);
    ASSERT_EQ(0, ckpt_parse_relocation("/old/spool/=/new/spool", &r[0], &e));
    ASSERT_EQ(0, ckpt_parse_relocation("/old=/elsewhere", &r[1], &e));
    ASSERT_EQ(0, ckpt_parse_relocation("/with\\=eq=/x", &r[2], &e));
    EXPECT_STREQ("/with=eq", r[2].from);
    struct {
        const char *in, *out;
    } cases[] = {
        { "/old/spool/42.OU", "/new/spool/42.OU" },
        { "/old/spool", "/new/spool" },
        { "/old/spoolx/a", "/elsewhere/spoolx/a" },
        { "/older/a", "/older/a" },
        { "/with=eq/f", "/x/f" },
        { "/unrelated", "/unrelated" },
    };
    for (const auto &c : cases) {
        char *got = ckpt_relocate(c.in, r, 3);
        EXPECT_STREQ(c.out, got) << c.in;
        free(got);
    }
    for (auto &x : r) {
        free(x.from);
        free(x.to);
    }
}
