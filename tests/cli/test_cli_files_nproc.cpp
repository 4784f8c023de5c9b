// `tint colourize DIR --nproc N` and `tint detect DIR --nproc N` (issue 31 item 5): the files of a folder shared out
// among local workers. Each file is done once, by one worker, into the same output a single process writes (byte for
// byte); rank 0 prints one summary; a bad file fails the command once, after every worker has finished its share.
#include <gtest/gtest.h>

#include "support/test_support.h"
#include "tint/core/atomic_file.h"

namespace tint {
namespace {
namespace fs = std::filesystem;
using test::run_tint;

std::string q(const fs::path& p) { return test::shell_quote(p.string()); }

// The repository's three Kodak photos, a copy of one under another name, and a file that is no image.
fs::path mixed_folder(const fs::path& dir) {
  fs::create_directories(dir);
  for (const char* name : {"kodim06.jpg", "kodim12.jpg", "kodim14.jpg"})
    fs::copy_file(test::test_photo(name), dir / name);
  fs::copy_file(test::test_photo("kodim12.jpg"), dir / "again.jpg");
  write_file_atomic(dir / "broken.jpg", "not a picture at all");
  return dir;
}

size_t count_of(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

void expect_shared_run(const std::string& command, const fs::path& alone, const fs::path& shared) {
  auto one = run_tint(command + " --out-dir " + q(alone) + " --threads 1");
  auto two = run_tint(command + " --out-dir " + q(shared) + " --nproc 2");
  // broken.jpg fails both, each saying so once, and the exit status says the batch had a failure.
  for (const auto* r : {&one, &two}) {
    EXPECT_EQ(r->exit_code, 2) << r->err;
    EXPECT_EQ(count_of(r->err, "broken.jpg: not a JPEG, PNG or WebP file"), 1u) << r->err;
    EXPECT_EQ(count_of(r->err, "tint: error: 1 of 5 images failed"), 1u) << r->err;
    EXPECT_EQ(test::count_lines(r->err), 2u) << r->err;  // the file's error and the count; no worker's complaint
    EXPECT_EQ(count_of(r->out, "again.jpg"), 1u) << r->out;
  }
  EXPECT_NE(two.out.find("5 images shared by 2 workers: 4 done, 1 failed\n"), std::string::npos) << two.out;
  EXPECT_EQ(one.out.find("shared by"), std::string::npos) << one.out;
  const auto a = test::read_tree(alone), b = test::read_tree(shared);
  EXPECT_EQ(a.size(), b.size());
  EXPECT_GE(a.size(), 4u);
  for (const auto& [name, bytes] : a) {
    SCOPED_TRACE(name);
    ASSERT_EQ(b.count(name), 1u);
    EXPECT_TRUE(b.at(name) == bytes);
  }
}

TEST(CliFilesNproc, ColourizeSharesAFolderOutAndWritesWhatOneProcessWrites) {
  test::TempDir tmp;
  const auto in = mixed_folder(tmp / "in");
  expect_shared_run("colourize " + q(in), tmp / "alone", tmp / "shared");
  EXPECT_TRUE(fs::exists(tmp / "shared" / "again_colourized.png"));
}

TEST(CliFilesNproc, DetectSharesAFolderOutAndWritesWhatOneProcessWrites) {
  test::TempDir tmp;
  const auto in = mixed_folder(tmp / "in");
  // The JSON records no paths that differ between the two runs but the photo's own (the same input folder).
  expect_shared_run("detect " + q(in) + " --save-labels", tmp / "alone", tmp / "shared");
  EXPECT_TRUE(fs::exists(tmp / "shared" / "kodim14_detections.json"));
  EXPECT_TRUE(fs::exists(tmp / "shared" / "kodim14.txt"));
}

// One output file with several workers, and both ways of starting workers at once: one-line errors, nothing run.
TEST(CliFilesNproc, BadCombinationsAreOneLineErrors) {
  test::TempDir tmp;
  const auto in = mixed_folder(tmp / "in");
  auto o = run_tint("colourize " + q(in) + " -o " + q(tmp / "one.png") + " --nproc 2");
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_EQ(test::count_lines(o.err), 1u) << o.err;
  EXPECT_NE(o.err.find("-o/--out takes one input"), std::string::npos) << o.err;
  auto both = run_tint("detect " + q(in / "kodim06.jpg") + " --out-dir " + q(tmp / "d") + " --nproc 2",
                       "RANK=0 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=29500");
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_EQ(test::count_lines(both.err), 1u) << both.err;
  EXPECT_NE(both.err.find("--nproc 2: this process is already worker 0 of 2"), std::string::npos) << both.err;
  auto zero = run_tint("detect " + q(in) + " --nproc 0");
  EXPECT_NE(zero.exit_code, 0);
  EXPECT_EQ(test::count_lines(zero.err), 1u) << zero.err;
}

}  // namespace
}  // namespace tint
