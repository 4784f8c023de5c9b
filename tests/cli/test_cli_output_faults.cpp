// End-to-end output faults of `tint train`: an output that cannot be written (a file size limit, a full tmpfs, a
// read-only mount, a file where the run directory should be) ends the run with one line on stderr naming the file,
// exit 2, and leaves the files of the earlier run byte for byte as they were, with no temporary file left behind.
//
// How the faults are made: prlimit --fsize makes write() fail with EFBIG past a size, on any file system and without
// privileges (the same failing-write path as ENOSPC). Where a private mount namespace is allowed (unshare -m, with
// CAP_SYS_ADMIN or user namespaces), a small tmpfs gives a real ENOSPC and a read-only remount a real EROFS; elsewhere
// that test skips, saying why (with CAP_SYS_ADMIN it must not: then it fails). A directory without write permission
// gives EACCES anywhere: the tests run as root in CI, whose CAP_DAC_OVERRIDE ignores permissions, so there `tint`
// runs under setpriv with that capability (and its kin) dropped from its bounding set.
#include <linux/capability.h>
#include <unistd.h>

#include <cstdlib>
#include <sstream>

#include <fmt/core.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "support/small_run.h"
#include "support/test_support.h"
#include "tint/core/atomic_file.h"

namespace tint {
namespace {
namespace fs = std::filesystem;

using test::checkpoint_epoch;
using test::quoted;
using OutputFaults = test::SmallRunTest;

TEST_F(OutputFaults, AFileWhereTheRunDirectoryShouldBeIsRefused) {
  test::TempDir tmp;
  test::write_bytes(tmp / "taken", "not a directory\n");
  auto r = test::run_tint(train_args(tmp / "taken", 1));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find((tmp / "taken").string() + ": exists and is not a directory"), std::string::npos) << r.err;
  EXPECT_EQ(read_file(tmp / "taken"), "not a directory\n");
}

// Whether this process holds capability `cap` (linux/capability.h) in its effective set, from /proc/self/status.
bool has_effective_capability(int cap) {
  std::istringstream status(read_file("/proc/self/status"));
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("CapEff:", 0) == 0) return (std::stoull(line.substr(7), nullptr, 16) >> cap) & 1;
  }
  return false;
}

// A directory without write permission: `tint train --resume` into a finished run whose folder is r-x. Root ignores
// permissions (CAP_DAC_OVERRIDE), so as root tint runs with that capability and its kin out of its bounding set.
TEST_F(OutputFaults, AnUnwritableRunDirectoryKeepsTheEarlierRun) {
  test::TempDir tmp;
  const fs::path run = tmp / "run";
  ASSERT_EQ(test::run_tint(train_args(run, 1)).exit_code, 0);
  const auto before = test::read_tree(run);
  const std::string as_user =
      ::geteuid() == 0 ? "setpriv --bounding-set -dac_override,-dac_read_search,-fowner " : std::string();
  fs::permissions(run, fs::perms::owner_read | fs::perms::owner_exec | fs::perms::group_read | fs::perms::others_read);
  const auto r = test::run_tint("train --threads 1 --epochs 2 --resume " + quoted(run), as_user);
  fs::permissions(run, fs::perms::owner_all);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find("cannot write " + (run / "samples_epoch_02.png").string() + ": cannot create a file in " +
                       run.string() + ": Permission denied"),
            std::string::npos)
      << r.err;
  test::expect_same_files(before, test::read_tree(run));
  EXPECT_EQ(checkpoint_epoch(run / "checkpoint.pt"), 1);
}

// prlimit --fsize: every write past `bytes` fails with EFBIG (SIGXFSZ is ignored so that write() reports it).
std::string with_file_size_limit(size_t bytes) {
  return fmt::format("trap '' XFSZ; prlimit --fsize={}:{} --", bytes, bytes);
}

TEST_F(OutputFaults, AFailingWriteNamesTheFileAndKeepsTheEarlierRun) {
  TINT_SKIP_IF_MISSING(
      test::missing_tool(std::system("prlimit --version >/dev/null 2>&1") == 0, "prlimit (Debian's util-linux)"));
  test::TempDir tmp;
  const fs::path run = tmp / "run";
  ASSERT_EQ(test::run_tint(train_args(run, 1)).exit_code, 0);
  const auto before = test::read_tree(run);

  // 8 KB: the epoch's first output (a sample grid of about 15 KB) cannot be written; nothing else is touched.
  auto r = test::run_tint("train --threads 1 --epochs 2 --resume " + quoted(run), with_file_size_limit(8 << 10));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find("cannot write " + (run / "samples_epoch_02.png").string() + ": File too large"),
            std::string::npos)
      << r.err;
  test::expect_same_files(before, test::read_tree(run));  // no partial file, no temporary left behind

  // 100 KB: samples, metrics and plot fit, the checkpoint (about 165 KB) does not: the old one stays loadable.
  r = test::run_tint("train --threads 1 --epochs 2 --resume " + quoted(run), with_file_size_limit(100 << 10));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("cannot write " + (run / "checkpoint.pt").string() + ": File too large"), std::string::npos)
      << r.err;
  EXPECT_TRUE(read_file(run / "checkpoint.pt") == before.at("checkpoint.pt")) << "checkpoint.pt changed";
  EXPECT_EQ(checkpoint_epoch(run / "checkpoint.pt"), 1);
  for (const auto& entry : fs::directory_iterator(run)) {
    EXPECT_EQ(entry.path().filename().string().find(".tmp-"), std::string::npos) << "left behind: " << entry.path();
  }
  // With room again, the run resumes from epoch 1 and ends like an uninterrupted two-epoch run.
  r = test::run_tint("train --threads 1 --epochs 2 --resume " + quoted(run));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const fs::path straight = tmp / "straight";
  ASSERT_EQ(test::run_tint(train_args(straight, 2)).exit_code, 0);
  auto drop_seconds = [](const std::string& csv) {
    std::string out;
    for (size_t start = 0; start < csv.size();) {
      size_t end = csv.find('\n', start);
      std::string line = csv.substr(start, end - start);
      out += line.substr(0, line.rfind(',')) + "\n";
      start = end + 1;
    }
    return out;
  };
  EXPECT_EQ(drop_seconds(read_file(run / "metrics.csv")), drop_seconds(read_file(straight / "metrics.csv")));
}

// A real full disk and a real read-only file system: a tmpfs in a private mount namespace (unshare -m), holding a
// copy of a finished epoch-1 run. The shell script runs `tint train --resume` there and copies the result out.
TEST_F(OutputFaults, FullTmpfsAndReadOnlyMountKeepTheEarlierRun) {
  test::TempDir tmp;
  const fs::path mnt = tmp / "mnt";
  fs::create_directories(mnt);
  if (std::system(
          ("unshare -m sh -c \"mount -t tmpfs -o size=64k tint-probe " + quoted(mnt) + "\" 2>/dev/null").c_str()) !=
      0) {
    // CI (root on the machine itself) runs it. Holding CAP_SYS_ADMIN is not enough everywhere: in a chroot inside a
    // container (the fresh-Debian check) the outer sandbox refuses the mount, so the test says which case it is.
    GTEST_SKIP() << "cannot mount a tmpfs in a private mount namespace here ("
                 << (has_effective_capability(CAP_SYS_ADMIN)
                         ? "CAP_SYS_ADMIN is held, but the surrounding sandbox refused unshare -m or the mount"
                         : "unshare -m needs CAP_SYS_ADMIN or user namespaces")
                 << "); the prlimit and permission tests cover failing writes";
  }
  const fs::path run = tmp / "run";
  ASSERT_EQ(test::run_tint(train_args(run, 1)).exit_code, 0);
  const auto before = test::read_tree(run);
  size_t used = 0;
  for (const auto& [name, bytes] : before) used += (bytes.size() + 4095) / 4096 * 4096;

  struct Case {
    std::string name, mount_options, expected;
  };
  const fs::path inside = mnt / "run";
  const std::vector<Case> cases{
      // 8 KB free: the sample grid (about 15 KB) is the first write to fail.
      {"full", fmt::format("size={}k", used / 1024 + 8),
       "cannot write " + (inside / "samples_epoch_02.png").string() + ": No space left on device"},
      {"read-only", fmt::format("size={}k", used / 1024 + 1024),
       "cannot write " + (inside / "samples_epoch_02.png").string() + ": cannot create a file in " + inside.string() +
           ": Read-only file system"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const fs::path out = tmp / c.name;
    fs::create_directories(out);
    const std::string script = fmt::format(
        "set -e\n"
        "mount -t tmpfs -o {options} tint-test {mnt}\n"
        "cp -a {run} {mnt}/run\n"
        "{remount}\n"
        "set +e\n"
        "{bin} train --threads 1 --epochs 2 --resume {mnt}/run >{out}/stdout 2>{out}/stderr\n"
        "echo $? >{out}/rc\n"
        "cp -a {mnt}/run {out}/after\n",
        fmt::arg("options", c.mount_options), fmt::arg("mnt", quoted(mnt)), fmt::arg("run", quoted(run)),
        fmt::arg("remount", c.name == "read-only" ? "mount -o remount,ro " + quoted(mnt) : std::string(":")),
        fmt::arg("bin", quoted(test::tint_binary())), fmt::arg("out", quoted(out)));
    test::write_bytes(out / "script.sh", script);
    ASSERT_EQ(std::system(("unshare -m sh " + quoted(out / "script.sh")).c_str()), 0) << script;
    const std::string err = read_file(out / "stderr");
    EXPECT_EQ(read_file(out / "rc"), "2\n") << err;
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
    EXPECT_NE(err.find(c.expected), std::string::npos) << err;
    test::expect_same_files(before, test::read_tree(out / "after"));
    EXPECT_EQ(checkpoint_epoch(out / "after" / "checkpoint.pt"), 1);
  }
}

}  // namespace
}  // namespace tint
