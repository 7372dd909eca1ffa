// The checkpoint manifest: XML round trip, the keyed MAC, verification of
// images, and the chunked image hash.
#include <gtest/gtest.h>

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "checkpoint/ckpt_internal.h"
#include "checkpoint/libckpt.h"

namespace {

const unsigned char kKey[CKPT_KEY_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                           17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30,
                                           31, 32 };

struct Manifest {
    ckpt_manifest m;
    Manifest()
    {
        memset(&m, 0, sizeof(m));
        m.version = CKPT_FORMAT_VERSION;
        m.jobid = strdup("42.head");
        m.uid = 1001;
        m.gid = 1001;
        m.host = strdup("node1");
        m.time = 1795319094;
        m.criu_version = strdup("4.2.1");
        m.kernel = strdup("6.18.44");
        m.nfiles = 2;
        m.files = static_cast<ckpt_file *>(calloc(2, sizeof(ckpt_file)));
        m.files[0].path = strdup("/var/spool/ckmig/spool/42.head.OU");
        m.files[0].size = 123;
        m.files[1].path = strdup("/home/alice");
        m.files[1].dir = true;
        m.nimages = 2;
        m.images = static_cast<ckpt_image *>(calloc(2, sizeof(ckpt_image)));
        m.images[0].name = strdup("core-1.img");
        m.images[0].size = 10;
        memset(m.images[0].digest, 0xab, 32);
        m.images[1].name = strdup("pages-1.img");
        m.images[1].size = 1 << 20;
        memset(m.images[1].digest, 0xcd, 32);
        m.hash_alg = CKPT_HASH_GMAC;
        memset(m.hash_nonce, 0x11, sizeof(m.hash_nonce));
    }
    ~Manifest() { ckpt_manifest_free(&m); }
};

std::string to_xml(const ckpt_manifest &m)
{
    size_t len = 0;
    char *x = ckpt_manifest_to_xml(&m, &len);
    std::string s(x, len);
    free(x);
    return s;
}

std::string replace(std::string s, const std::string &from, const std::string &to)
{
    size_t at = s.find(from);
    if (at != std::string::npos)
        s.replace(at, from.size(), to);
    return s;
}

}  // namespace

TEST(CkptManifest, RoundTripKeepsEveryFieldAndTheMac)
{
    Manifest a;
    ckpt_manifest_sign(&a.m, kKey);
    std::string xml = to_xml(a.m);
    ckpt_manifest b;
    ckpt_err e;
    ckpt_err_clear(&e);
    ASSERT_EQ(0, ckpt_manifest_parse(xml.data(), xml.size(), &b, &e)) << e.msg;
    EXPECT_STREQ("42.head", b.jobid);
    EXPECT_EQ(1001u, b.uid);
    EXPECT_EQ(1795319094, b.time);
    ASSERT_EQ(2u, b.nfiles);
    EXPECT_STREQ("/var/spool/ckmig/spool/42.head.OU", b.files[0].path);
    EXPECT_EQ(123, b.files[0].size);
    EXPECT_FALSE(b.files[0].dir);
    EXPECT_TRUE(b.files[1].dir);
    ASSERT_EQ(2u, b.nimages);
    EXPECT_EQ(0, memcmp(a.m.images[1].digest, b.images[1].digest, 32));
    EXPECT_EQ(CKPT_HASH_GMAC, b.hash_alg);
    EXPECT_EQ(0, memcmp(a.m.hash_nonce, b.hash_nonce, 16));
    EXPECT_TRUE(ckpt_manifest_mac_ok(&b, kKey));
    ckpt_manifest_free(&b);
}

TEST(CkptManifest, AnyEditedFieldBreaksTheMac)
{
    Manifest a;
    ckpt_manifest_sign(&a.m, kKey);
    std::string xml = to_xml(a.m);
    const std::vector<std::pair<std::string, std::string>> edits = {
        { "uid=\"1001\"", "uid=\"0\"" },
        { "size=\"123\"", "size=\"124\"" },
        { "42.head.OU", "42.head.ER" },
        { "abababab", "abababac" },
        { "host=\"node1\"", "host=\"node2\"" },
        { " kind=\"dir\"", "" },
        { "hash=\"aes256-gmac-8m\"", "hash=\"sha256-8m\"" },
        { "nonce=\"1111", "nonce=\"1112" },
    };
    for (const auto &ed : edits) {
        std::string bad = replace(xml, ed.first, ed.second);
        ASSERT_NE(xml, bad) << ed.first;
        ckpt_manifest b;
        ckpt_err e;
        ckpt_err_clear(&e);
        ASSERT_EQ(0, ckpt_manifest_parse(bad.data(), bad.size(), &b, &e)) << e.msg;
        EXPECT_FALSE(ckpt_manifest_mac_ok(&b, kKey)) << ed.first << " -> " << ed.second;
        ckpt_manifest_free(&b);
    }
}

// An open file dumped as CRIU's external file[MNT:INO] (ckpt_extfiles.c):
// the key the restore hands the file's path under is MAC-covered, keyless
// manifests verify as before, and a key not of CRIU's form is refused.
TEST(CkptManifest, ExternalFileKeysAreCoveredAndChecked)
{
    Manifest a;
    ckpt_manifest_sign(&a.m, kKey);
    const std::string plain = to_xml(a.m);
    a.m.files[0].ext = strdup("file[1b:3f2a]");
    ckpt_manifest_sign(&a.m, kKey);
    const std::string xml = to_xml(a.m);
    ckpt_manifest b;
    ckpt_err e;
    ckpt_err_clear(&e);
    ASSERT_EQ(0, ckpt_manifest_parse(xml.data(), xml.size(), &b, &e)) << e.msg;
    EXPECT_STREQ("file[1b:3f2a]", b.files[0].ext);
    EXPECT_EQ(nullptr, b.files[1].ext);
    EXPECT_TRUE(ckpt_manifest_mac_ok(&b, kKey));
    ckpt_manifest_free(&b);
    // another key, or none: the MAC says no
    for (const auto &bad : { replace(xml, "file[1b:3f2a]", "file[1b:3f2b]"),
                             replace(xml, " ext=\"file[1b:3f2a]\"", "") }) {
        ASSERT_NE(xml, bad);
        ASSERT_EQ(0, ckpt_manifest_parse(bad.data(), bad.size(), &b, &e)) << e.msg;
        EXPECT_FALSE(ckpt_manifest_mac_ok(&b, kKey));
        ckpt_manifest_free(&b);
    }
    // a manifest without keys is the text it always was
    ASSERT_EQ(0, ckpt_manifest_parse(plain.data(), plain.size(), &b, &e)) << e.msg;
    EXPECT_TRUE(ckpt_manifest_mac_ok(&b, kKey));
    ckpt_manifest_free(&b);
    for (const char *key : { "file[1b:]", "file[:3f2a]", "file[1B:3f2a]", "/etc/passwd",
                             "file[1b:3f2a]x", "file[1b:3f:2a]", "" }) {
        std::string bad = replace(xml, "file[1b:3f2a]", key);
        EXPECT_EQ(-1, ckpt_manifest_parse(bad.data(), bad.size(), &b, &e)) << key;
    }
}

TEST(CkptManifest, AnotherKeyDoesNotVerify)
{
    Manifest a;
    ckpt_manifest_sign(&a.m, kKey);
    unsigned char other[CKPT_KEY_LEN];
    memcpy(other, kKey, sizeof(other));
    other[0] ^= 1;
    EXPECT_TRUE(ckpt_manifest_mac_ok(&a.m, kKey));
    EXPECT_FALSE(ckpt_manifest_mac_ok(&a.m, other));
}

TEST(CkptManifest, FieldBoundariesCannotBeForged)
{
    // "ab" + "c" must not sign like "a" + "bc"
    Manifest a, b;
    free(a.m.host);
    a.m.host = strdup("ab");
    free(a.m.criu_version);
    a.m.criu_version = strdup("c");
    free(b.m.host);
    b.m.host = strdup("a");
    free(b.m.criu_version);
    b.m.criu_version = strdup("bc");
    ckpt_manifest_sign(&a.m, kKey);
    memcpy(b.m.mac, a.m.mac, 32);
    EXPECT_FALSE(ckpt_manifest_mac_ok(&b.m, kKey));
}

TEST(CkptManifest, RejectsBadInputWithTheRightCode)
{
    Manifest a;
    ckpt_manifest_sign(&a.m, kKey);
    std::string xml = to_xml(a.m);
    struct Case {
        std::string text;
        int code;
    } cases[] = {
        { "", EBADMSG },
        { "not xml at all", EBADMSG },
        { "<other/>", EBADMSG },
        { replace(xml, "version=\"1\"", "version=\"2\""), EPROTO },
        { replace(xml, "core-1.img", "../core-1.img"), EBADMSG },
        { replace(xml, "size=\"123\"", "size=\"-5\""), EBADMSG },
        { replace(xml, "<mac", "<nomac"), EBADMSG },
        { replace(xml, "aes256-gmac-8m", "md5"), EBADMSG },
        { replace(xml, "/var/spool", "var/spool"), EBADMSG },
        { xml.substr(0, xml.size() / 2), EBADMSG },
    };
    for (const auto &c : cases) {
        ckpt_manifest b;
        ckpt_err e;
        ckpt_err_clear(&e);
        EXPECT_EQ(-1, ckpt_manifest_parse(c.text.data(), c.text.size(), &b, &e)) << c.text;
        EXPECT_EQ(c.code, e.code) << c.text << ": " << e.msg;
        EXPECT_NE('\0', e.msg[0]);
    }
}

// cr_checkpoint --postcopy: the flag survives the round trip under the
// MAC, dropping or adding it breaks the MAC, a manifest without it signs
// as before (no "postcopy" in the canonical text), and only 0/1 parse.
TEST(CkptManifest, PostcopyFlagIsSignedAndOnlyThere)
{
    Manifest a;
    size_t len = 0;
    char *plain = ckpt_manifest_canonical(&a.m, &len);
    ASSERT_NE(nullptr, plain);
    EXPECT_EQ(nullptr, strstr(plain, "postcopy"));
    free(plain);
    ckpt_manifest_sign(&a.m, kKey);
    EXPECT_EQ(std::string::npos, to_xml(a.m).find("postcopy"));
    a.m.postcopy = true;
    ckpt_manifest_sign(&a.m, kKey);
    std::string xml = to_xml(a.m);
    ckpt_manifest b;
    ckpt_err e;
    ckpt_err_clear(&e);
    ASSERT_EQ(0, ckpt_manifest_parse(xml.data(), xml.size(), &b, &e)) << e.msg;
    EXPECT_TRUE(b.postcopy);
    EXPECT_TRUE(ckpt_manifest_mac_ok(&b, kKey));
    ckpt_manifest_free(&b);
    std::string dropped = replace(xml, " postcopy=\"1\"", "");
    ASSERT_NE(xml, dropped);
    ASSERT_EQ(0, ckpt_manifest_parse(dropped.data(), dropped.size(), &b, &e)) << e.msg;
    EXPECT_FALSE(b.postcopy);
    EXPECT_FALSE(ckpt_manifest_mac_ok(&b, kKey));
    ckpt_manifest_free(&b);
    std::string bad = replace(xml, "postcopy=\"1\"", "postcopy=\"2\"");
    EXPECT_EQ(-1, ckpt_manifest_parse(bad.data(), bad.size(), &b, &e));
    EXPECT_EQ(EBADMSG, e.code) << e.msg;
}

TEST(CkptManifest, UnknownVersionMessageNamesIt)
{
    Manifest a;
    std::string xml = replace(to_xml(a.m), "version=\"1\"", "version=\"9\"");
    ckpt_manifest b;
    ckpt_err e;
    ckpt_err_clear(&e);
    ASSERT_EQ(-1, ckpt_manifest_parse(xml.data(), xml.size(), &b, &e));
    EXPECT_NE(nullptr, strstr(e.msg, "version 9")) << e.msg;
}

TEST(CkptHash, HexRoundTrip)
{
    unsigned char in[4] = { 0x00, 0x7f, 0xab, 0xff }, out[4];
    char hex[9];
    ckpt_hash_hex(in, 4, hex);
    EXPECT_STREQ("007fabff", hex);
    ASSERT_EQ(0, ckpt_hex_decode(hex, out, 4));
    EXPECT_EQ(0, memcmp(in, out, 4));
    EXPECT_EQ(-1, ckpt_hex_decode("007fabf", out, 4));
    EXPECT_EQ(-1, ckpt_hex_decode("007fabfg", out, 4));
}

namespace {

void sha256(const void *p, size_t n, unsigned char out[32])
{
    unsigned int l = 32;
    EVP_Digest(p, n, out, &l, EVP_sha256(), nullptr);
}

// The documented digest, computed independently: SHA-256 over the chunk
// digests; a chunk's digest is its SHA-256, or its AES-256-GMAC tag under
// HMAC-SHA256(key, "ckmig-image-gmac\0" || nonce || name) with IV = the
// chunk number (big-endian, 12 bytes).
void tree_hash(const ckpt_hasher &h, const char *name, const std::vector<unsigned char> &data,
               unsigned char out[32])
{
    unsigned char ikey[32];
    std::vector<unsigned char> msg(std::begin("ckmig-image-gmac"), std::end("ckmig-image-gmac"));
    msg.insert(msg.end(), h.nonce, h.nonce + 16);
    msg.insert(msg.end(), name, name + strlen(name));
    unsigned int kl = 32;
    HMAC(EVP_sha256(), h.key, CKPT_KEY_LEN, msg.data(), msg.size(), ikey, &kl);
    std::vector<unsigned char> digests;
    uint64_t idx = 0;
    for (size_t off = 0; off < data.size(); off += CKPT_HASH_CHUNK, idx++) {
        size_t n = std::min<size_t>(CKPT_HASH_CHUNK, data.size() - off);
        if (h.alg == CKPT_HASH_SHA256) {
            unsigned char d[32];
            sha256(data.data() + off, n, d);
            digests.insert(digests.end(), d, d + 32);
        } else {
            unsigned char iv[12] = { 0 }, tag[16];
            for (int i = 0; i < 8; i++)
                iv[11 - i] = static_cast<unsigned char>(idx >> (8 * i));
            EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
            int l;
            EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), nullptr, ikey, iv);
            EVP_EncryptUpdate(c, nullptr, &l, data.data() + off, static_cast<int>(n));
            EVP_EncryptFinal_ex(c, nullptr, &l);
            EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag);
            EVP_CIPHER_CTX_free(c);
            digests.insert(digests.end(), tag, tag + 16);
        }
    }
    sha256(digests.data(), digests.size(), out);
}

ckpt_hasher hasher(enum ckpt_hash_alg alg)
{
    ckpt_hasher h;
    h.alg = alg;
    memcpy(h.key, kKey, CKPT_KEY_LEN);
    for (int i = 0; i < 16; i++)
        h.nonce[i] = static_cast<unsigned char>(0xa0 + i);
    return h;
}

std::string tmpdir()
{
    char d[] = "/tmp/ckpt_unitXXXXXX";
    EXPECT_NE(nullptr, mkdtemp(d));
    return d;
}

void write_file(const std::string &path, const void *p, size_t n)
{
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(static_cast<ssize_t>(n), write(fd, p, n));
    close(fd);
}

}  // namespace

TEST(CkptHash, WholeFileHashIsTheChunkTree)
{
    std::string d = tmpdir();
    for (auto alg : { CKPT_HASH_GMAC, CKPT_HASH_SHA256 })
    for (size_t size : { size_t(0), size_t(5), size_t(CKPT_HASH_CHUNK), size_t(2 * CKPT_HASH_CHUNK + 77) }) {
        ckpt_hasher h = hasher(alg);
        std::vector<unsigned char> data(size);
        for (size_t i = 0; i < size; i++)
            data[i] = static_cast<unsigned char>(i * 131 + 7);
        write_file(d + "/f", data.data(), data.size());
        unsigned char want[32], got[32];
        long long n = -1;
        ckpt_err e;
        ckpt_err_clear(&e);
        tree_hash(h, "f", data, want);
        ASSERT_EQ(0, ckpt_hash_file((d + "/f").c_str(), "f", &h, &n, got, &e)) << e.msg;
        EXPECT_EQ(static_cast<long long>(size), n);
        EXPECT_EQ(0, memcmp(want, got, 32)) << "size " << size << " alg " << alg;
    }
    ckpt_rmtree(d.c_str());
}

TEST(CkptHash, TailerHashesFilesWhileTheyGrow)
{
    std::string d = tmpdir();
    ckpt_err e;
    ckpt_err_clear(&e);
    ckpt_hasher h = hasher(CKPT_HASH_GMAC);
    ckpt_tailer *t = ckpt_tailer_start(d.c_str(), &h, true, &e);
    ASSERT_NE(nullptr, t) << e.msg;
    std::vector<unsigned char> data(3 * CKPT_HASH_CHUNK + 12345);
    for (size_t i = 0; i < data.size(); i++)
        data[i] = static_cast<unsigned char>(i ^ (i >> 9));
    int fd = open((d + "/pages-1.img").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ASSERT_GE(fd, 0);
    for (size_t off = 0; off < data.size(); off += 1000003) {
        size_t n = std::min<size_t>(1000003, data.size() - off);
        ASSERT_EQ(static_cast<ssize_t>(n), write(fd, data.data() + off, n));
        usleep(1000);
    }
    close(fd);
    write_file(d + "/core-1.img", "core", 4);
    ckpt_image *images = nullptr;
    size_t n = 0;
    ASSERT_EQ(0, ckpt_tailer_finish(t, &images, &n, &e)) << e.msg;
    ASSERT_EQ(2u, n);
    EXPECT_STREQ("core-1.img", images[0].name);
    EXPECT_STREQ("pages-1.img", images[1].name);
    EXPECT_EQ(static_cast<long long>(data.size()), images[1].size);
    unsigned char want[32];
    tree_hash(h, "pages-1.img", data, want);
    EXPECT_EQ(0, memcmp(want, images[1].digest, 32));
    // the same bytes under another name or nonce give another digest
    tree_hash(h, "pages-2.img", data, want);
    EXPECT_NE(0, memcmp(want, images[1].digest, 32));
    for (size_t i = 0; i < n; i++)
        free(images[i].name);
    free(images);
    ckpt_rmtree(d.c_str());
}

TEST(CkptVerify, AcceptsAGoodCheckpointAndRefusesEachDamage)
{
    if (geteuid() != 0)
        GTEST_SKIP() << "checkpoints are root's: needs root";
    std::string d = tmpdir();
    chmod(d.c_str(), 0700);
    std::vector<unsigned char> pages(CKPT_HASH_CHUNK + 100, 0x5a);
    write_file(d + "/pages-1.img", pages.data(), pages.size());
    write_file(d + "/core-1.img", "core", 4);
    Manifest a;
    ckpt_hasher h = hasher(CKPT_HASH_GMAC);
    memcpy(a.m.hash_nonce, h.nonce, 16);
    const char *names[] = { "core-1.img", "pages-1.img" };
    for (int i = 0; i < 2; i++) {
        ckpt_err e;
        ckpt_err_clear(&e);
        ASSERT_EQ(0, ckpt_hash_file((d + "/" + names[i]).c_str(), names[i], &h, &a.m.images[i].size,
                                    a.m.images[i].digest, &e));
    }
    ckpt_manifest_sign(&a.m, kKey);
    ckpt_err e;
    ckpt_err_clear(&e);
    ASSERT_EQ(0, ckpt_manifest_write(d.c_str(), &a.m, &e)) << e.msg;
    ckpt_manifest got;
    ASSERT_EQ(0, ckpt_verify(d.c_str(), kKey, &got, &e)) << e.msg;
    ckpt_manifest_free(&got);

    // an edited byte
    pages[CKPT_HASH_CHUNK + 3] ^= 1;
    write_file(d + "/pages-1.img", pages.data(), pages.size());
    EXPECT_EQ(-1, ckpt_verify(d.c_str(), kKey, &got, &e));
    EXPECT_EQ(EBADMSG, e.code);
    EXPECT_NE(nullptr, strstr(e.msg, "does not match its hash")) << e.msg;
    // a truncated image
    write_file(d + "/pages-1.img", pages.data(), pages.size() - 1);
    EXPECT_EQ(-1, ckpt_verify(d.c_str(), kKey, &got, &e));
    EXPECT_NE(nullptr, strstr(e.msg, "truncated")) << e.msg;
    // an unlisted file
    pages[CKPT_HASH_CHUNK + 3] ^= 1;
    write_file(d + "/pages-1.img", pages.data(), pages.size());
    write_file(d + "/extra.img", "x", 1);
    EXPECT_EQ(-1, ckpt_verify(d.c_str(), kKey, &got, &e));
    EXPECT_NE(nullptr, strstr(e.msg, "extra.img")) << e.msg;
    unlink((d + "/extra.img").c_str());
    // a missing image
    unlink((d + "/core-1.img").c_str());
    EXPECT_EQ(-1, ckpt_verify(d.c_str(), kKey, &got, &e));
    EXPECT_NE(nullptr, strstr(e.msg, "missing")) << e.msg;
    write_file(d + "/core-1.img", "core", 4);
    ASSERT_EQ(0, ckpt_verify(d.c_str(), kKey, &got, &e)) << e.msg;
    ckpt_manifest_free(&got);
    // writable by others
    chmod(d.c_str(), 0777);
    EXPECT_EQ(-1, ckpt_verify(d.c_str(), kKey, &got, &e));
    EXPECT_EQ(EACCES, e.code);
    ckpt_rmtree(d.c_str());
}
