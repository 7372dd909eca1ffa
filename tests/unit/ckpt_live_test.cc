// Pre-copy layers (cr_checkpoint --live, issue 15): the manifest lists the
// layers and their parent links under its MAC, and refuses any layer chain
// that could lead CRIU out of the checkpoint; the --live option.
#include <gtest/gtest.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <string>
#include <vector>

#include "checkpoint/ckpt_internal.h"
#include "checkpoint/libckpt.h"

namespace {

const unsigned char kKey[CKPT_KEY_LEN] = { 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2, 3, 4, 5, 6,
                                           7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2 };

// A manifest of a checkpoint with two pre-copy layers: pre1 <- pre2 <- top.
struct Layered {
    ckpt_manifest m;
    Layered()
    {
        memset(&m, 0, sizeof(m));
        m.version = CKPT_FORMAT_VERSION;
        m.jobid = strdup("7.head");
        m.name = strdup("ckpt.7.head.1");
        m.uid = 1001;
        m.gid = 1001;
        m.host = strdup("node1");
        m.criu_version = strdup("4.2.1");
        m.kernel = strdup("6.18");
        m.files = static_cast<ckpt_file *>(calloc(1, sizeof(ckpt_file)));
        const char *names[] = { "pages-1.img", "pre1/pages-1.img", "pre2/pages-1.img" };
        m.nimages = 3;
        m.images = static_cast<ckpt_image *>(calloc(3, sizeof(ckpt_image)));
        for (int i = 0; i < 3; i++) {
            m.images[i].name = strdup(names[i]);
            m.images[i].size = 4096 * (i + 1);
            memset(m.images[i].digest, 0x30 + i, 32);
        }
        m.nlayers = 2;
        m.layers = static_cast<ckpt_layer *>(calloc(2, sizeof(ckpt_layer)));
        m.layers[0].name = strdup("pre1");
        m.layers[1].name = strdup("pre2");
        m.layers[1].parent = strdup("pre1");
        m.parent = strdup("pre2");
        m.hash_alg = CKPT_HASH_GMAC;
        ckpt_manifest_sign(&m, kKey);
    }
    ~Layered() { ckpt_manifest_free(&m); }
    std::string xml() const
    {
        size_t len = 0;
        char *x = ckpt_manifest_to_xml(&m, &len);
        std::string s(x, len);
        free(x);
        return s;
    }
};

std::string replace(std::string s, const std::string &from, const std::string &to)
{
    size_t at = s.find(from);
    if (at != std::string::npos)
        s.replace(at, from.size(), to);
    return s;
}

int parse(const std::string &x, ckpt_manifest *b, ckpt_err *e)
{
    ckpt_err_clear(e);
    return ckpt_manifest_parse(x.data(), x.size(), b, e);
}

}  // namespace

TEST(CkptLive, LayersRoundTripUnderTheMac)
{
    Layered a;
    ckpt_manifest b;
    ckpt_err e;
    ASSERT_EQ(0, parse(a.xml(), &b, &e)) << e.msg;
    ASSERT_EQ(2u, b.nlayers);
    EXPECT_STREQ("pre1", b.layers[0].name);
    EXPECT_EQ(nullptr, b.layers[0].parent);
    EXPECT_STREQ("pre1", b.layers[1].parent);
    EXPECT_STREQ("pre2", b.parent);
    EXPECT_STREQ("pre2/pages-1.img", b.images[2].name);
    EXPECT_TRUE(ckpt_manifest_mac_ok(&b, kKey));
    ckpt_manifest_free(&b);
}

TEST(CkptLive, AnEditedLinkOrLayerBreaksTheMac)
{
    Layered a;
    std::string xml = a.xml();
    // each still parses (a consistent chain), none verifies
    const std::vector<std::pair<std::string, std::string>> edits = {
        { "<layers parent=\"pre2\"", "<layers parent=\"pre1\"" },
        { "<layer name=\"pre2\" parent=\"pre1\"/>", "<layer name=\"pre2\"/>" },
        { "pre2/pages-1.img", "pre1/pages-1.img" },
    };
    for (const auto &ed : edits) {
        std::string bad = replace(xml, ed.first, ed.second);
        ASSERT_NE(xml, bad) << ed.first;
        ckpt_manifest b;
        ckpt_err e;
        ASSERT_EQ(0, parse(bad, &b, &e)) << ed.first << ": " << e.msg;
        EXPECT_FALSE(ckpt_manifest_mac_ok(&b, kKey)) << ed.first;
        ckpt_manifest_free(&b);
    }
}

TEST(CkptLive, ChainsLeadingOutOfTheCheckpointAreRefused)
{
    Layered a;
    std::string xml = a.xml();
    const std::vector<std::pair<std::string, std::string>> edits = {
        { "<layer name=\"pre1\"/>", "<layer name=\"../x\"/>" },     // a name that is a path
        { "<layer name=\"pre1\"/>", "<layer name=\"/tmp\"/>" },
        { "<layer name=\"pre1\"/>", "<layer name=\"pre01\"/>" },
        { "<layer name=\"pre1\"/>", "<layer name=\"pre1\" parent=\"pre2\"/>" },  // a cycle
        { "parent=\"pre1\"/>", "parent=\"../pre1\"/>" },            // not a layer
        { "parent=\"pre1\"/>", "parent=\"pre2\"/>" },               // itself
        { "<layers parent=\"pre2\"", "<layers parent=\"/etc\"" },
        { "<layers parent=\"pre2\"", "<layers" },                   // no top link
        { "pre2/pages-1.img", "pre3/pages-1.img" },                 // unlisted layer
        { "pre2/pages-1.img", "pre2/../../x.img" },
        { "<layer name=\"pre2\" parent=\"pre1\"/>", "<layer name=\"pre1\"/>" },  // twice
    };
    for (const auto &ed : edits) {
        std::string bad = replace(xml, ed.first, ed.second);
        ASSERT_NE(xml, bad) << ed.first;
        ckpt_manifest b;
        ckpt_err e;
        EXPECT_EQ(-1, parse(bad, &b, &e)) << ed.first << " -> " << ed.second;
        EXPECT_EQ(EBADMSG, e.code) << ed.second;
    }
}

TEST(CkptLive, ManifestsWithoutLayersKeepTheirMac)
{
    // the canonical text of a checkpoint without layers is what it was
    Layered a;
    for (size_t i = 0; i < a.m.nlayers; i++) {
        free(a.m.layers[i].name);
        free(a.m.layers[i].parent);
    }
    free(a.m.layers);
    free(a.m.parent);
    a.m.layers = nullptr;
    a.m.parent = nullptr;
    a.m.nlayers = 0;
    size_t len = 0;
    char *c = ckpt_manifest_canonical(&a.m, &len);
    ASSERT_NE(nullptr, c);
    EXPECT_EQ(nullptr, strstr(c, "layer"));
    free(c);
}

TEST(CkptLive, LiveOption)
{
    auto run = [](std::vector<const char *> args, ckpt_checkpoint_args *a) {
        std::vector<char *> v;
        for (const char *s : args)
            v.push_back(const_cast<char *>(s));
        v.push_back(nullptr);
        ckpt_err e;
        ckpt_err_clear(&e);
        return ckpt_parse_checkpoint_args(static_cast<int>(args.size()), v.data(), a, &e);
    };
    ckpt_checkpoint_args a;
    ASSERT_EQ(0, run({ "cr_checkpoint", "12" }, &a));
    EXPECT_EQ(0, a.dump.live);
    ASSERT_EQ(0, run({ "cr_checkpoint", "--live", "12" }, &a));
    EXPECT_EQ(CKPT_LIVE_DEFAULT_ROUNDS, a.dump.live);
    ASSERT_EQ(0, run({ "cr_checkpoint", "--live=3", "12" }, &a));
    EXPECT_EQ(3, a.dump.live);
    ASSERT_EQ(0, run({ "cr_checkpoint", "--live=3", "--nolive", "12" }, &a));
    EXPECT_EQ(0, a.dump.live);
    EXPECT_EQ(-1, run({ "cr_checkpoint", "--live=many", "12" }, &a));
    EXPECT_EQ(-1, run({ "cr_checkpoint", "--live=33", "12" }, &a));
}

TEST(CkptLive, LayerNames)
{
    EXPECT_TRUE(ckpt_layer_name_ok("pre1"));
    EXPECT_TRUE(ckpt_layer_name_ok("pre32"));
    EXPECT_FALSE(ckpt_layer_name_ok("pre"));
    EXPECT_FALSE(ckpt_layer_name_ok("pre0"));
    EXPECT_FALSE(ckpt_layer_name_ok("pre1/"));
    EXPECT_FALSE(ckpt_layer_name_ok("pre1000"));
    EXPECT_FALSE(ckpt_layer_name_ok(".."));
    EXPECT_FALSE(ckpt_layer_name_ok(nullptr));
}
