// Issue 12: the context file (ckpt_archive.c), --save-* in the manifest,
// and the BLCR options that carry them.
#include <gtest/gtest.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <string>
#include <vector>

#include "checkpoint/ckpt_internal.h"

namespace {

std::string tmpdir()
{
    char t[] = "/tmp/ckmig-unit.XXXXXX";
    EXPECT_NE(nullptr, mkdtemp(t));
    return t;
}

void put(const std::string &path, const std::string &data)
{
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(static_cast<ssize_t>(data.size()), write(fd, data.data(), data.size()));
    close(fd);
}

std::string get(const std::string &path)
{
    std::string s;
    char buf[4096];
    int fd = open(path.c_str(), O_RDONLY);
    for (ssize_t n; fd >= 0 && (n = read(fd, buf, sizeof(buf))) > 0;)
        s.append(buf, static_cast<size_t>(n));
    if (fd >= 0)
        close(fd);
    return s;
}

std::map<std::string, std::string> listing(const std::string &dir)
{
    std::map<std::string, std::string> m;
    DIR *d = opendir(dir.c_str());
    for (struct dirent *de; d && (de = readdir(d));)
        if (de->d_name[0] != '.')
            m[de->d_name] = get(dir + "/" + de->d_name);
    if (d)
        closedir(d);
    return m;
}

void rmrf(const std::string &p)
{
    std::string cmd = "rm -rf '" + p + "'";
    ASSERT_EQ(0, system(cmd.c_str()));
}

struct ArchiveTest : ::testing::Test {
    std::string top, src, dst, ctx;
    void SetUp() override
    {
        top = tmpdir();
        src = top + "/src";
        dst = top + "/dst";
        ctx = top + "/ctx";
        mkdir(src.c_str(), 0700);
        mkdir(dst.c_str(), 0700);
        put(src + "/manifest.xml", "<checkpoint/>");
        put(src + "/pages-1.img", std::string(3 * 512, 'p'));     // a whole number of blocks
        put(src + "/core-1.img", std::string(1000, 'c'));          // padded
        put(src + "/empty.img", "");
    }
    void TearDown() override { rmrf(top); }
    int pack()
    {
        ckpt_err e;
        ckpt_err_clear(&e);
        int d = open(src.c_str(), O_RDONLY | O_DIRECTORY);
        int o = open(ctx.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int rc = ckpt_archive_write(d, o, 1234, 5678, false, &e);
        close(d);
        close(o);
        return rc;
    }
    int unpack(ckpt_err *e)
    {
        ckpt_err_clear(e);
        int i = open(ctx.c_str(), O_RDONLY);
        int d = open(dst.c_str(), O_RDONLY | O_DIRECTORY);
        int rc = ckpt_archive_extract(i, d, ctx.c_str(), e);
        close(i);
        close(d);
        return rc;
    }
};

TEST_F(ArchiveTest, RoundTripKeepsEveryFileAndTarReadsIt)
{
    ASSERT_EQ(0, pack());
    int fd = open(ctx.c_str(), O_RDONLY);
    EXPECT_TRUE(ckpt_archive_is(fd));
    close(fd);
    EXPECT_EQ(0, get(ctx).size() % 512);
    ckpt_err e;
    ASSERT_EQ(0, unpack(&e)) << e.msg;
    EXPECT_EQ(listing(src), listing(dst));
    // The manifest comes first, and tar agrees on the listing.
    std::string cmd = "tar -tf '" + ctx + "' > '" + top + "/list'";
    ASSERT_EQ(0, system(cmd.c_str()));
    EXPECT_EQ("manifest.xml\ncore-1.img\nempty.img\npages-1.img\n", get(top + "/list"));
}

TEST_F(ArchiveTest, NotAContextFile)
{
    put(ctx, "not a context file, just text\n");
    int fd = open(ctx.c_str(), O_RDONLY);
    EXPECT_FALSE(ckpt_archive_is(fd));
    close(fd);
    // A tar archive whose first member is not the manifest is not ours either.
    std::string cmd = "cd '" + src + "' && tar --format=ustar -cf '" + ctx + "' core-1.img manifest.xml";
    ASSERT_EQ(0, system(cmd.c_str()));
    fd = open(ctx.c_str(), O_RDONLY);
    EXPECT_FALSE(ckpt_archive_is(fd));
    close(fd);
    ckpt_err e;
    EXPECT_EQ(-1, unpack(&e));
    EXPECT_EQ(EBADMSG, e.code);
}

TEST_F(ArchiveTest, DamageIsRefused)
{
    ASSERT_EQ(0, pack());
    std::string whole = get(ctx);
    ckpt_err e;
    // cut short inside a member
    put(ctx, whole.substr(0, 512 + 512 + 700));
    EXPECT_EQ(-1, unpack(&e));
    EXPECT_EQ(EBADMSG, e.code);
    rmrf(dst);
    mkdir(dst.c_str(), 0700);
    // a header byte changed: its checksum no longer matches
    std::string bad = whole;
    bad[512 + 512 + 3] ^= 1;    // second header's name
    put(ctx, bad);
    EXPECT_EQ(-1, unpack(&e));
    EXPECT_EQ(EBADMSG, e.code);
}

TEST_F(ArchiveTest, MembersCannotEscapeOrRepeat)
{
    std::string cmd = "cd '" + src + "' && mkdir -p sub && cp core-1.img sub/x && tar --format=ustar -cf '" +
                      ctx + "' manifest.xml sub/x";
    ASSERT_EQ(0, system(cmd.c_str()));
    ckpt_err e;
    EXPECT_EQ(-1, unpack(&e));
    EXPECT_EQ(EBADMSG, e.code);
    rmrf(dst);
    mkdir(dst.c_str(), 0700);
    // the same member twice (tar would store the second as a link: append
    // a second copy of the archive's own members instead)
    rmrf(src + "/sub");
    ASSERT_EQ(0, pack());
    std::string whole = get(ctx);
    put(ctx, whole.substr(0, whole.size() - 1024) + whole.substr(0, whole.size()));
    EXPECT_EQ(-1, unpack(&e));
    EXPECT_EQ(EBADMSG, e.code);
    EXPECT_NE(nullptr, strstr(e.msg, "twice"));
}

ckpt_manifest sample()
{
    ckpt_manifest m;
    memset(&m, 0, sizeof(m));
    m.version = CKPT_FORMAT_VERSION;
    m.host = strdup("node1");
    m.criu_version = strdup("4.2.1");
    m.kernel = strdup("6.16");
    m.time = 1700000000;
    m.images = static_cast<ckpt_image *>(calloc(1, sizeof(ckpt_image)));
    m.images[0].name = strdup("ckmig-saved-001.img");
    m.images[0].size = 10;
    m.nimages = 1;
    return m;
}

TEST(CkptSaved, ManifestCarriesSavedFilesUnderItsMac)
{
    unsigned char key[CKPT_KEY_LEN] = { 7 };
    ckpt_manifest m = sample();
    size_t len0 = 0;
    char *c0 = ckpt_manifest_canonical(&m, &len0);
    ASSERT_NE(nullptr, c0);
    EXPECT_EQ(nullptr, strstr(c0, "saved="));   // older checkpoints' MACs stay what they were
    free(c0);
    m.saved = static_cast<ckpt_saved *>(calloc(1, sizeof(ckpt_saved)));
    m.saved[0].path = strdup("/home/u/a.out");
    m.saved[0].image = strdup("ckmig-saved-001.img");
    m.saved[0].ext = strdup("file[1b:e58006]");
    m.saved[0].mode = 0100755;
    m.saved[0].kind = CKPT_SAVE_EXE | CKPT_SAVE_PRIVATE;
    m.nsaved = 1;
    ckpt_manifest_sign(&m, key);
    size_t len = 0;
    char *xml = ckpt_manifest_to_xml(&m, &len);
    ASSERT_NE(nullptr, xml);
    ckpt_manifest p;
    ckpt_err e;
    ckpt_err_clear(&e);
    ASSERT_EQ(0, ckpt_manifest_parse(xml, len, &p, &e)) << e.msg;
    ASSERT_EQ(1u, p.nsaved);
    EXPECT_STREQ("/home/u/a.out", p.saved[0].path);
    EXPECT_STREQ("file[1b:e58006]", p.saved[0].ext);
    EXPECT_EQ(0100755u, p.saved[0].mode);
    EXPECT_TRUE(ckpt_manifest_mac_ok(&p, key));
    // Pointing a saved file at another CRIU file breaks the MAC.
    free(p.saved[0].ext);
    p.saved[0].ext = strdup("file[1b:1]");
    EXPECT_FALSE(ckpt_manifest_mac_ok(&p, key));
    ckpt_manifest_free(&p);
    // A saved entry naming a path instead of an image is refused.
    std::string bad(xml);
    size_t at = bad.find("image=\"ckmig-saved-001.img\" ext");
    ASSERT_NE(std::string::npos, at);
    bad.replace(at, strlen("image=\"ckmig-saved-001.img\""), "image=\"../x\"");
    EXPECT_EQ(-1, ckpt_manifest_parse(bad.data(), bad.size(), &p, &e));
    EXPECT_EQ(EBADMSG, e.code);
    free(xml);
    ckpt_manifest_free(&m);
}

TEST(CkptBlcrOptions, SaveOptionsAddUpAndSaveNoneClears)
{
    auto parse = [](std::vector<const char *> args, ckpt_checkpoint_args *a) {
        std::vector<char *> v;
        for (const char *s : args)
            v.push_back(const_cast<char *>(s));
        v.push_back(nullptr);
        ckpt_err e;
        ckpt_err_clear(&e);
        return ckpt_parse_checkpoint_args(static_cast<int>(args.size()), v.data(), a, &e);
    };
    ckpt_checkpoint_args a;
    ASSERT_EQ(0, parse({ "cr_checkpoint", "--save-exe", "--save-shared", "12" }, &a));
    EXPECT_EQ(CKPT_SAVE_EXE | CKPT_SAVE_SHARED, a.dump.save);
    ASSERT_EQ(0, parse({ "cr_checkpoint", "--save-all", "--save-none", "--save-private", "12" }, &a));
    EXPECT_EQ(CKPT_SAVE_PRIVATE, a.dump.save);
    ASSERT_EQ(0, parse({ "cr_checkpoint", "--save-all", "12" }, &a));
    EXPECT_EQ(CKPT_SAVE_ALL, a.dump.save);
    ASSERT_EQ(0, parse({ "cr_checkpoint", "12" }, &a));
    EXPECT_EQ(0u, a.dump.save);
    EXPECT_EQ(CKPT_FORM_AUTO, a.dump.form);
    ASSERT_EQ(0, parse({ "cr_checkpoint", "--context=file", "12" }, &a));
    EXPECT_EQ(CKPT_FORM_FILE, a.dump.form);
    ASSERT_EQ(0, parse({ "cr_checkpoint", "--context", "dir", "12" }, &a));
    EXPECT_EQ(CKPT_FORM_DIR, a.dump.form);
    EXPECT_EQ(-1, parse({ "cr_checkpoint", "--context=tape", "12" }, &a));
}

}  // namespace
