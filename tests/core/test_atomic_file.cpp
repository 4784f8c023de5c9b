// Atomic writes: the content lands whole, no temporary files remain, and a failed write keeps the old file.
#include <unistd.h>

#include <malloc.h>
#include <sched.h>

#include <cstdlib>

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

TEST(AtomicFile, ReadOnlyDirectoryGivesErrorAndKeepsOldContent) {
  if (::geteuid() == 0) {
    // root ignores directory permissions; simulate an unwritable destination with a missing folder instead.
    test::TempDir tmp;
    try {
      write_file_atomic(tmp / "no-such-dir" / "x.txt", "data");
      FAIL() << "write into a missing folder succeeded";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("x.txt"), std::string::npos) << e.what();
    }
    return;
  }
  test::TempDir tmp;
  write_file_atomic(tmp / "keep.txt", "old");
  fs::permissions(tmp.path(), fs::perms::owner_read | fs::perms::owner_exec);
  EXPECT_THROW(write_file_atomic(tmp / "keep.txt", "new"), Error);
  fs::permissions(tmp.path(), fs::perms::owner_all);
  EXPECT_EQ(read_file(tmp / "keep.txt"), "old");
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
