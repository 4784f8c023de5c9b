// Atomic writes: the content lands whole, no temporary files remain, and a failed write keeps the old file.
#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <malloc.h>
#include <sched.h>

#include <cstdlib>

#include <ATen/Parallel.h>
#include <gtest/gtest.h>

#include "support/test_support.h"
#include "tint/core/atomic_file.h"
#include "tint/core/error.h"
#include "tint/core/runtime.h"

namespace tint {
namespace {
namespace fs = std::filesystem;

TEST(AtomicFile, WritesReplacesAndLeavesNoTemporaries) {
  test::TempDir tmp;
  write_file_atomic(tmp / "a.txt", "first");
  write_file_atomic(tmp / "a.txt", "second");
  EXPECT_EQ(read_file(tmp / "a.txt"), "second");
  int files = 0;
  for ([[maybe_unused]] auto& e : fs::directory_iterator(tmp.path())) ++files;
  EXPECT_EQ(files, 1);
}

// Root writes into any directory through CAP_DAC_OVERRIDE (the tests run as root in CI). Capabilities belong to a
// thread: this lowers the calling thread's effective set, keeping the permitted one, so that directory permissions
// apply to it as to any user, and raises it again when it goes. Without such capabilities it changes nothing.
class WithoutPermissionOverrides {
 public:
  WithoutPermissionOverrides() {
    if (::syscall(SYS_capget, &header_, saved_) != 0) return;
    __user_cap_data_struct lowered[2] = {saved_[0], saved_[1]};
    for (int cap : {CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER}) {
      lowered[CAP_TO_INDEX(cap)].effective &= ~CAP_TO_MASK(cap);
    }
    lowered_ = ::syscall(SYS_capset, &header_, lowered) == 0;
  }
  ~WithoutPermissionOverrides() {
    if (lowered_) ::syscall(SYS_capset, &header_, saved_);
  }
  WithoutPermissionOverrides(const WithoutPermissionOverrides&) = delete;
  WithoutPermissionOverrides& operator=(const WithoutPermissionOverrides&) = delete;

 private:
  __user_cap_header_struct header_{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct saved_[2] = {};
  bool lowered_ = false;
};

TEST(AtomicFile, ReadOnlyDirectoryGivesErrorAndKeepsOldContent) {
  test::TempDir tmp;
  write_file_atomic(tmp / "keep.txt", "old");
  fs::permissions(tmp.path(), fs::perms::owner_read | fs::perms::owner_exec);
  std::string error;
  {
    WithoutPermissionOverrides as_a_user;
    error = test::error_of([&] { write_file_atomic(tmp / "keep.txt", "new"); });
  }
  fs::permissions(tmp.path(), fs::perms::owner_all);
  EXPECT_EQ(error, "cannot write " + (tmp / "keep.txt").string() + ": cannot create a file in " + tmp.path().string() +
                       ": Permission denied");
  EXPECT_EQ(test::read_tree(tmp.path()), (std::map<std::string, std::string>{{"keep.txt", "old"}}));
  // Raised again: the same write goes through.
  fs::permissions(tmp.path(), fs::perms::owner_read | fs::perms::owner_exec);
  if (::geteuid() == 0) {
    write_file_atomic(tmp / "keep.txt", "new");
    EXPECT_EQ(read_file(tmp / "keep.txt"), "new");
  }
  fs::permissions(tmp.path(), fs::perms::owner_all);
}

TEST(AtomicFile, MissingFolderGivesError) {
  test::TempDir tmp;
  const auto dir = tmp / "no-such-dir";
  EXPECT_EQ(test::error_of([&] { write_file_atomic(dir / "x.txt", "data"); }),
            "cannot write " + (dir / "x.txt").string() + ": cannot create a file in " + dir.string() +
                ": No such file or directory");
}

TEST(AtomicFile, EnsureDirectoryRefusesAFile) {
  test::TempDir tmp;
  write_file_atomic(tmp / "f", "x");
  EXPECT_THROW(ensure_directory(tmp / "f"), Error);
  ensure_directory(tmp / "a" / "b");
  EXPECT_TRUE(fs::is_directory(tmp / "a" / "b"));
}

TEST(Runtime, ThreadsDefaultToCoreCount) {
  EXPECT_EQ(configure_threads(0), core_count());
  EXPECT_EQ(configure_threads(1), 1);
  configure_threads(0);
}

TEST(Runtime, IntraOpThreadsHoldForAScopeAndComeBack) {
  configure_threads(3);
  {
    const IntraOpThreads network(1);
    EXPECT_EQ(torch::get_num_threads(), 1);
    {
      const IntraOpThreads none(0);  // at least one
      EXPECT_EQ(torch::get_num_threads(), 1);
    }
    const IntraOpThreads more(2);
    EXPECT_EQ(torch::get_num_threads(), 2);
  }
  EXPECT_EQ(torch::get_num_threads(), 3);
  configure_threads(0);
}

// After tune_allocator, a 10 MB block (a ConvTransposeNet activation) comes from the heap, not from a fresh mapping.
TEST(Runtime, TunedAllocatorKeepsActivationsInTheHeap) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "AddressSanitizer replaces malloc; mallopt does not apply";
#else
  ASSERT_TRUE(tune_allocator());
  const auto mapped_before = mallinfo2().hblkhd;
  void* block = std::malloc(10 << 20);
  ASSERT_NE(block, nullptr);
  const auto mapped_during = mallinfo2().hblkhd;
  std::free(block);
  EXPECT_EQ(mapped_during, mapped_before) << "the block was mmapped";
#endif
}

// Pinned to one core (as `taskset -c N` does), the default is one thread.
TEST(Runtime, CoreCountFollowsTheAffinityMask) {
  cpu_set_t all;
  ASSERT_EQ(sched_getaffinity(0, sizeof(all), &all), 0);
  int first = 0;
  while (!CPU_ISSET(first, &all)) ++first;
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(first, &one);
  ASSERT_EQ(sched_setaffinity(0, sizeof(one), &one), 0);
  const int pinned = core_count();
  ASSERT_EQ(sched_setaffinity(0, sizeof(all), &all), 0);
  EXPECT_EQ(pinned, 1);
  EXPECT_EQ(core_count(), CPU_COUNT(&all));
}

}  // namespace
}  // namespace tint
