// PendingFile (core/pending_file.h): a file another library writes by its own path, published by a rename as
// write_file_atomic publishes, or removed when never published.
#include <gtest/gtest.h>

#include "support/test_support.h"
#include "tint/core/atomic_file.h"
#include "tint/core/error.h"
#include "tint/core/pending_file.h"

namespace tint {
namespace {
namespace fs = std::filesystem;

TEST(PendingFile, PublishRenamesTheTemporaryOverTheDestination) {
  test::TempDir dir("tint-pending");
  const fs::path out = dir / "video.mp4";
  test::write_bytes(out, "earlier");
  {
    PendingFile file(out);
    EXPECT_EQ(file.temporary().parent_path(), dir.path());  // the same folder: rename() stays atomic
    EXPECT_NE(file.temporary(), out);
    test::write_bytes(file.temporary(), "new contents");
    EXPECT_EQ(read_file(out), "earlier");  // nothing visible before publish()
    file.publish();
  }
  EXPECT_EQ(read_file(out), "new contents");
  EXPECT_EQ(test::read_tree(dir.path()).size(), 1u);
}

TEST(PendingFile, UnpublishedIsRemovedAndTheDestinationUntouched) {
  test::TempDir dir("tint-pending");
  const fs::path out = dir / "video.mp4";
  test::write_bytes(out, "earlier");
  {
    PendingFile file(out);
    test::write_bytes(file.temporary(), "half-written");
  }
  const auto tree = test::read_tree(dir.path());
  ASSERT_EQ(tree.size(), 1u);
  EXPECT_EQ(tree.begin()->second, "earlier");
}

TEST(PendingFile, PublishingWhatWasNeverWrittenNamesTheDestination) {
  test::TempDir dir("tint-pending");
  PendingFile file(dir / "video.mp4");
  const std::string message = test::error_of([&] { file.publish(); });
  EXPECT_EQ(message, "cannot write " + (dir / "video.mp4").string() + ": No such file or directory");
  EXPECT_FALSE(fs::exists(dir / "video.mp4"));
}

}  // namespace
}  // namespace tint
