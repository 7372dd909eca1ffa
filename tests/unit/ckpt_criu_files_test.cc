// checkpoint/ckpt_criu_files.c: CRIU's list of files it would open by path,
// read from files.img and remap-fpath.img (protobuf records).
#include <gtest/gtest.h>

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <map>
#include <string>
#include <string.h>
#include <vector>
#include <sys/stat.h>
#include <unistd.h>

#include "checkpoint/ckpt_internal.h"

namespace {

void varint(std::string &s, uint64_t v)
{
    while (v >= 0x80) {
        s += static_cast<char>((v & 0x7f) | 0x80);
        v >>= 7;
    }
    s += static_cast<char>(v);
}
void vfield(std::string &s, unsigned num, uint64_t v)
{
    varint(s, num << 3);
    varint(s, v);
}
void bfield(std::string &s, unsigned num, const std::string &b)
{
    varint(s, (num << 3) | 2);
    varint(s, b.size());
    s += b;
}
std::string reg(uint32_t id, const std::string &name, uint32_t flags, uint64_t pos, uint64_t size,
                uint32_t mode)
{
    std::string r, fown;
    vfield(fown, 1, 0);
    vfield(r, 1, id);
    vfield(r, 2, flags);
    vfield(r, 3, pos);
    bfield(r, 5, fown);
    bfield(r, 6, name);
    vfield(r, 8, size);
    vfield(r, 10, mode);
    return r;
}
std::string file_entry(unsigned type, uint32_t id, const std::string &regmsg)
{
    std::string f;
    vfield(f, 1, type);
    vfield(f, 2, id);
    if (!regmsg.empty())
        bfield(f, 3, regmsg);
    return f;
}
std::string image(uint32_t magic, const std::vector<std::string> &recs)
{
    std::string s;
    uint32_t m[2] = { 0x54564319u, magic };
    s.append(reinterpret_cast<const char *>(m), 8);
    for (auto &r : recs) {
        uint32_t n = static_cast<uint32_t>(r.size());
        s.append(reinterpret_cast<const char *>(&n), 4);
        s += r;
    }
    return s;
}
void put(const std::string &path, const std::string &data)
{
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(static_cast<ssize_t>(data.size()), write(fd, data.data(), data.size()));
    close(fd);
}

struct Dir {
    std::string path;
    int fd;
    Dir()
    {
        char t[] = "/tmp/ckmig-criufiles.XXXXXX";
        path = mkdtemp(t);
        fd = open(path.c_str(), O_RDONLY | O_DIRECTORY);
    }
    ~Dir()
    {
        close(fd);
        ckpt_rmtree(path.c_str());
    }
};

// ckpt_criu_files over a directory: the list (freed at the end), or the error.
struct Listing {
    ckpt_criu_file *f = nullptr;
    size_t n = 0;
    ckpt_err e;
    int rc;
    explicit Listing(int dirfd)
    {
        ckpt_err_clear(&e);
        rc = ckpt_criu_files(dirfd, &f, &n, &e);
    }
    ~Listing()
    {
        if (rc == 0)
            ckpt_criu_files_free(f, n);
    }
};

}  // namespace

TEST(CkptCriuFiles, ListsRegEntriesAndMarksWhatCriuRestoresItself)
{
    Dir d;
    put(d.path + "/files.img",
        image(0x56303138u, { file_entry(1, 1, reg(1, "/home/u/data", O_RDWR, 12, 100, S_IFREG | 0600)),
                             file_entry(2, 2, ""),  // a pipe: not a path
                             file_entry(1, 3, reg(3, "/home/u/gone", O_RDONLY, 0, 5, S_IFREG | 0600)),
                             file_entry(1, 4, reg(4, "/home/u", O_PATH, 0, 4096, S_IFDIR | 0755)) }));
    std::string remap;
    vfield(remap, 1, 3);
    vfield(remap, 2, 77);
    vfield(remap, 3, 1);
    put(d.path + "/remap-fpath.img", image(0x59133954u, { remap }));
    Listing l(d.fd);
    ASSERT_EQ(0, l.rc) << l.e.msg;
    ckpt_criu_file *f = l.f;
    size_t n = l.n;
    ASSERT_EQ(3u, n);
    EXPECT_STREQ("/home/u/data", f[0].path);
    EXPECT_EQ(static_cast<uint32_t>(O_RDWR), f[0].flags);
    EXPECT_EQ(12u, f[0].pos);
    EXPECT_EQ(100, f[0].size);
    EXPECT_TRUE(f[0].has_size && f[0].has_mode);
    EXPECT_FALSE(f[0].remapped);
    EXPECT_STREQ("/home/u/gone", f[1].path);
    EXPECT_TRUE(f[1].remapped);
    EXPECT_TRUE(S_ISDIR(f[2].mode));
}

// A ghost's remap_id numbers its ghost-file image and a /proc remap's is a
// PID: neither is a file id (fd01 of CRIU's zdtm: 13 ghosts numbered 1..13
// marked the job's live /dev/null, id 1, as deleted).  A link remap's is.
// A terminal's path entry (regf_id of a tty entry) is CRIU's to open.
TEST(CkptCriuFiles, OnlyLinkRemapIdsAreFilesAndTerminalsAreCriusOwn)
{
    Dir d;
    std::string tty, ttyrec;
    vfield(tty, 1, 9);
    vfield(tty, 2, 1);
    vfield(tty, 3, O_RDWR);
    bfield(tty, 4, std::string("\x08\x00", 2));
    vfield(tty, 6, 6);
    vfield(ttyrec, 1, 11);
    vfield(ttyrec, 2, 9);
    bfield(ttyrec, 19, tty);
    put(d.path + "/files.img",
        image(0x56303138u, { file_entry(1, 1, reg(1, "/dev/null", O_RDWR, 0, 0, S_IFCHR | 0666)),
                             file_entry(1, 2, reg(2, "/tmp/gone", O_RDWR, 0, 5, S_IFREG | 0600)),
                             file_entry(1, 3, reg(3, "/tmp/linked", O_RDWR, 0, 5, S_IFREG | 0600)),
                             file_entry(1, 4, reg(4, "/tmp/link_remap.4", O_RDONLY, 0, 5, S_IFREG | 0600)),
                             file_entry(1, 5, reg(5, "/proc/77/status", O_RDONLY, 0, 0, S_IFREG | 0444)),
                             file_entry(1, 6, reg(6, "/dev/pts/3", O_RDWR, 0, 0, S_IFCHR | 0620)),
                             ttyrec }));
    std::string ghost, linked, procfs, old_ghost;
    vfield(ghost, 1, 2);
    vfield(ghost, 2, 1);        // ghost-file-1.img, not file 1
    vfield(ghost, 3, 1);
    vfield(linked, 1, 3);
    vfield(linked, 2, 4);       // the link's own file entry
    vfield(linked, 3, 0);
    vfield(procfs, 1, 5);
    vfield(procfs, 2, 1);       // PID 1
    vfield(procfs, 3, 2);
    vfield(old_ghost, 1, 2);
    vfield(old_ghost, 2, 0x80000001u);  // older images: no type, REMAP_GHOST bit
    put(d.path + "/remap-fpath.img", image(0x59133954u, { ghost, linked, procfs, old_ghost }));
    Listing l(d.fd);
    ASSERT_EQ(0, l.rc) << l.e.msg;
    ckpt_criu_file *f = l.f;
    size_t n = l.n;
    ASSERT_EQ(6u, n);
    EXPECT_FALSE(f[0].remapped);    // /dev/null
    EXPECT_TRUE(f[1].remapped);
    EXPECT_TRUE(f[2].remapped);
    EXPECT_TRUE(f[3].remapped);
    EXPECT_TRUE(f[4].remapped);
    EXPECT_FALSE(f[5].remapped);
    for (size_t i = 0; i < 5; i++)
        EXPECT_FALSE(f[i].tty) << f[i].path;
    EXPECT_TRUE(f[5].tty);
}

// A FIFO's file entry names its path entry and its pipe; the data it held
// (fifo-data.img: a pipe_data_entry, then its bytes) is written back for
// that pipe only.
TEST(CkptCriuFiles, FifoPathAndItsData)
{
    Dir d;
    std::string fifo, fiforec;
    vfield(fifo, 1, 7);
    vfield(fifo, 2, 0x55);
    vfield(fifo, 3, 2);
    vfield(fiforec, 1, 3);
    vfield(fiforec, 2, 7);
    bfield(fiforec, 17, fifo);
    put(d.path + "/files.img",
        image(0x56303138u, { file_entry(1, 1, reg(1, "/home/u/data", O_RDWR, 0, 0, S_IFREG | 0600)),
                             file_entry(1, 2, reg(2, "/home/u/f", O_RDONLY, 0, 0, S_IFIFO | 0600)),
                             fiforec }));
    std::string other, mine;
    vfield(other, 1, 0x66);
    vfield(other, 2, 5);
    vfield(mine, 1, 0x55);
    vfield(mine, 2, 6);
    std::string data = image(0x59333054u, {});
    for (auto [rec, bytes] : { std::pair{ other, std::string("other") }, std::pair{ mine, std::string("hello\n") } }) {
        uint32_t n = static_cast<uint32_t>(rec.size());
        data.append(reinterpret_cast<const char *>(&n), 4);
        data += rec + bytes;
    }
    put(d.path + "/fifo-data.img", data);
    Listing l(d.fd);
    ASSERT_EQ(0, l.rc) << l.e.msg;
    ckpt_criu_file *f = l.f;
    size_t n = l.n;
    ASSERT_EQ(2u, n);
    EXPECT_FALSE(f[0].fifo);
    EXPECT_TRUE(f[1].fifo);
    EXPECT_EQ(0x55u, f[1].pipe_id);
    int p[2];
    ASSERT_EQ(0, pipe(p));
    ckpt_err e;
    ASSERT_EQ(0, ckpt_criu_fifo_data(d.fd, f[1].pipe_id, p[1], &e)) << e.msg;
    close(p[1]);
    char buf[32] = { 0 };
    EXPECT_EQ(6, read(p[0], buf, sizeof(buf)));
    EXPECT_STREQ("hello\n", buf);
    close(p[0]);
    data.resize(data.size() - 3);   // cut short: refused
    put(d.path + "/fifo-data.img", data);
    EXPECT_EQ(-1, ckpt_criu_fifo_data(d.fd, 0x55, 1, &e));
    EXPECT_EQ(EBADMSG, e.code);
}

// A file mapping's vma (mm-PID.img: mm_entry vmas = 14; shmid = 4 the file
// id, status = 7, fdflags = 10) says how CRIU reopens the file: a shared
// writable mapping of a file whose descriptor was read-only needs write.
// Anonymous vmas and vmas without fdflags say nothing; the last value of a
// field repeated wins (protobuf's rule).
TEST(CkptCriuFiles, MappingsGiveTheAccessTheirVmasNeed)
{
    Dir d;
    put(d.path + "/files.img",
        image(0x56303138u, { file_entry(1, 1, reg(1, "/home/u/ro", O_RDONLY, 0, 0, S_IFREG | 0600)),
                             file_entry(1, 2, reg(2, "/home/u/rw", O_RDONLY, 0, 0, S_IFREG | 0600)),
                             file_entry(1, 3, reg(3, "/home/u/anon", O_RDONLY, 0, 0, S_IFREG | 0600)),
                             file_entry(1, 4, reg(4, "/home/u/noflags", O_RDONLY, 0, 0, S_IFREG | 0600)) }));
    auto vma = [](uint32_t shmid, uint32_t status, int fdflags) {
        std::string v;
        vfield(v, 1, 0x400000);
        vfield(v, 4, shmid);
        vfield(v, 7, status);
        if (fdflags >= 0)
            vfield(v, 10, static_cast<uint32_t>(fdflags));
        return v;
    };
    std::string mm, dup = vma(2, 1u << 7, O_RDONLY);
    vfield(dup, 10, O_RDWR);                            // repeated: O_RDWR wins
    vfield(mm, 1, 0x400000);
    bfield(mm, 14, vma(1, 1u << 6, O_RDONLY));          // private file mapping
    bfield(mm, 14, dup);                                // shared file mapping
    bfield(mm, 14, vma(3, 1u << 5, O_RDWR));            // anonymous: not a file
    bfield(mm, 14, vma(4, 1u << 7, -1));                // no fdflags
    put(d.path + "/mm-7.img", image(0x57492820u, { mm }));
    Listing l(d.fd);
    ASSERT_EQ(0, l.rc) << l.e.msg;
    ckpt_criu_file *f = l.f;
    size_t n = l.n;
    ASSERT_EQ(4u, n);
    EXPECT_TRUE(f[0].map_read);
    EXPECT_FALSE(f[0].map_write);
    EXPECT_TRUE(f[1].map_read && f[1].map_write);
    EXPECT_FALSE(f[2].map_read || f[2].map_write);
    EXPECT_FALSE(f[3].map_read || f[3].map_write);
    // a vma cut short inside its fdflags: the mm image is refused
    std::string cut;
    std::string v = vma(1, 1u << 6, O_RDONLY);
    vfield(cut, 1, 0x400000);
    bfield(cut, 14, v.substr(0, v.size() - 1));
    put(d.path + "/mm-7.img", image(0x57492820u, { cut }));
    Listing bad(d.fd);
    EXPECT_EQ(-1, bad.rc);
    EXPECT_NE(nullptr, strstr(bad.e.msg, "mm images")) << bad.e.msg;
}

TEST(CkptCriuFiles, RefusesDamagedImagesEveryWay)
{
    Dir d;
    std::string good =
        image(0x56303138u, { file_entry(1, 1, reg(1, "/a", O_RDONLY, 0, 1, S_IFREG | 0644)) });
    // every truncation (8 bytes alone is a valid empty image), and a wrong magic
    for (size_t cut = 1; cut < good.size(); cut++) {
        if (cut == 8)
            continue;
        put(d.path + "/files.img", good.substr(0, cut));
        EXPECT_EQ(-1, Listing(d.fd).rc) << "cut at " << cut;
    }
    std::string bad = good;
    bad[4] ^= 1;
    put(d.path + "/files.img", bad);
    Listing wrong_magic(d.fd);
    EXPECT_EQ(-1, wrong_magic.rc);
    EXPECT_NE(nullptr, strstr(wrong_magic.e.msg, "files.img")) << wrong_magic.e.msg;
    // a name with a NUL in it, or none at all
    put(d.path + "/files.img",
        image(0x56303138u, { file_entry(1, 1, reg(1, std::string("/a\0b", 4), 0, 0, 1, 0)) }));
    EXPECT_EQ(-1, Listing(d.fd).rc);
    std::string noname;
    vfield(noname, 1, 1);
    put(d.path + "/files.img", image(0x56303138u, { file_entry(1, 1, noname) }));
    EXPECT_EQ(-1, Listing(d.fd).rc);
}

// core-PID.img: core_entry.tc (3) holds task_core_entry.task_state (1);
// 3 = TASK_STOPPED, and stop_signo (21) the signal that stopped it.
// Threads' core images have no tc.  The resume after a dump or a restore
// leaves those processes stopped, by that signal (ckpt_stopped.c).
TEST(CkptCriuFiles, CoreImagesSayWhichProcessesWereStoppedAndBySignal)
{
    Dir d;
    auto core = [](uint32_t state, bool with_tc, int signo) {
        std::string tc, c, ti;
        vfield(tc, 1, state);
        vfield(tc, 2, 0);
        bfield(tc, 13, "sh");   // comm: a length-delimited field inside tc
        if (signo >= 0)
            vfield(tc, 21, (uint32_t)signo);
        vfield(c, 1, 1);        // mtype
        bfield(ti, 1, std::string(8, '\0'));
        bfield(c, 2, ti);
        if (with_tc)
            bfield(c, 3, tc);
        return image(0x55053847u, { c });
    };
    put(d.path + "/core-1.img", core(1, true, -1));    // alive: the init
    put(d.path + "/core-7.img", core(3, true, 20));    // stopped by SIGTSTP
    put(d.path + "/core-8.img", core(3, false, -1));   // a thread: no tc
    put(d.path + "/core-10.img", core(3, true, -1));   // stopped, older CRIU
    put(d.path + "/core-12.img", core(2, true, -1));   // dead (zombie)
    put(d.path + "/mm-7.img", image(0x57492820u, {}));
    struct ckpt_stop *v = nullptr;
    size_t n = 0;
    ASSERT_EQ(0, ckpt_criu_stopped(d.fd, &v, &n));
    ASSERT_EQ(2u, n);
    std::map<uint32_t, int> got;
    for (size_t i = 0; i < n; i++)
        got[v[i].pid] = v[i].signo;
    EXPECT_EQ((std::map<uint32_t, int>{ { 7, 20 }, { 10, 0 } }), got);
    free(v);
    std::string bad = core(3, true, 19);
    put(d.path + "/core-9.img", bad.substr(0, bad.size() - 1));
    EXPECT_EQ(-1, ckpt_criu_stopped(d.fd, &v, &n));
}
