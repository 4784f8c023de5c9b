// Checkpoint archives (core/checkpoint_archive.h): what is saved reads back exactly, and a checkpoint of another
// network or optimizer is refused by name before anything is loaded (LibTorch's Module::load would put tensors of
// any shape in place; found by fuzz/fuzz_checkpoint.cpp), as is a file LibTorch cannot read.
#include <caffe2/serialize/inline_container.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "support/test_support.h"
#include "tint/core/atomic_file.h"
#include "tint/core/checkpoint_archive.h"
#include "tint/core/error.h"

namespace tint {
namespace {
namespace fs = std::filesystem;
namespace nn = torch::nn;

constexpr const char* kMagic = "test-checkpoint";

nn::Sequential network(int filters, bool bias = true) {
  return nn::Sequential(nn::Conv2d(nn::Conv2dOptions(1, filters, 3).bias(bias)), nn::BatchNorm2d(filters));
}

// Saves `model` with an Adam state after one step, and an epoch.
void save(const fs::path& path, nn::Module& model, int64_t epoch = 3) {
  torch::optim::Adam adam(model.parameters(), torch::optim::AdamOptions(0.1));
  for (auto& p : model.parameters()) p.mutable_grad() = torch::ones_like(p);
  adam.step();
  CheckpointWriter writer(kMagic, 1);
  writer.put("epoch", epoch);
  writer.put_state(model, adam);
  writer.save(path);
}

std::vector<torch::Tensor> values(nn::Module& model) {
  std::vector<torch::Tensor> v;
  for (const auto& t : model.parameters()) v.push_back(t.clone());
  for (const auto& t : model.buffers()) v.push_back(t.clone());
  return v;
}

void expect_unchanged(const std::vector<torch::Tensor>& before, nn::Module& model) {
  const auto after = values(model);
  ASSERT_EQ(before.size(), after.size());
  for (size_t i = 0; i < before.size(); ++i) EXPECT_TRUE(before[i].equal(after[i])) << "tensor " << i << " changed";
}

TEST(CheckpointArchive, RestoresWeightsBuffersAndAdamStateExactly) {
  test::TempDir tmp;
  torch::manual_seed(1);
  auto saved = network(2);
  save(tmp / "c.pt", *saved);
  CheckpointArchive archive(tmp / "c.pt", kMagic, 1);
  EXPECT_EQ(archive.integer("epoch"), 3);
  auto model = network(2);
  archive.restore_model(*model);
  const auto want = values(*saved), got = values(*model);
  for (size_t i = 0; i < want.size(); ++i) EXPECT_TRUE(want[i].equal(got[i])) << "tensor " << i;
  torch::optim::Adam adam(model->parameters(), torch::optim::AdamOptions(0.1));
  archive.restore_optimizer(adam);
  const auto first = model->parameters().front();
  const auto& state = static_cast<const torch::optim::AdamParamState&>(
      *adam.state().at(c10::guts::to_string(first.unsafeGetTensorImpl())));
  EXPECT_EQ(state.step(), 1);
  // After one step from zero with a gradient of ones: exp_avg = (1 - beta1) * 1, exp_avg_sq = (1 - beta2) * 1.
  EXPECT_TRUE(state.exp_avg().equal(torch::full_like(first, 1 - 0.9)));
  EXPECT_TRUE(state.exp_avg_sq().allclose(torch::full_like(first, 1 - 0.999), 0, 1e-9));
}

TEST(CheckpointArchive, RefusesTheWeightsOfAnotherNetworkBeforeLoadingAny) {
  test::TempDir tmp;
  auto two = network(2);
  save(tmp / "c.pt", *two);
  const std::string name = (tmp / "c.pt").string();

  auto four = network(4);
  const auto before = values(*four);
  EXPECT_EQ(test::error_of([&] { CheckpointArchive(tmp / "c.pt", kMagic, 1).restore_model(*four); }),
            name +
                ": model weights do not match its config: '0.weight' is 2x1x3x3 Float in the checkpoint, 4x1x3x3 "
                "Float in the network");
  expect_unchanged(before, *four);

  auto without_bias = network(2, /*bias=*/false);
  auto with_bias = network(2);
  save(tmp / "c.pt", *without_bias);
  EXPECT_EQ(test::error_of([&] { CheckpointArchive(tmp / "c.pt", kMagic, 1).restore_model(*with_bias); }),
            name + ": model weights do not match its config: no '0.bias' in the checkpoint");

  auto doubles = network(2);
  doubles->to(torch::kDouble);
  save(tmp / "c.pt", *doubles);
  auto floats = network(2);
  EXPECT_EQ(test::error_of([&] { CheckpointArchive(tmp / "c.pt", kMagic, 1).restore_model(*floats); }),
            name +
                ": model weights do not match its config: '0.weight' is 2x1x3x3 Double in the checkpoint, 2x1x3x3 "
                "Float in the network");

  // Buffers too: batchnorm statistics of another size (a batchnorm without weights, so that they come first).
  auto other_norm =
      nn::Sequential(nn::Conv2d(nn::Conv2dOptions(1, 2, 3)), nn::BatchNorm2d(nn::BatchNormOptions(3).affine(false)));
  EXPECT_EQ(test::error_of([&] {
              CheckpointArchive archive(tmp / "c.pt", kMagic, 1);
              other_norm->to(torch::kDouble);
              archive.restore_model(*other_norm);
            }),
            name +
                ": model weights do not match its config: '1.running_mean' is 2 Double in the checkpoint, 3 Double "
                "in the network");
}

TEST(CheckpointArchive, RefusesAdamStateOfOtherParameters) {
  test::TempDir tmp;
  // The same number of parameters as network(2), other shapes: Optimizer::load pairs states with parameters by
  // position, so only the shapes can tell.
  auto other = nn::Sequential(nn::Conv2d(nn::Conv2dOptions(1, 3, 1)), nn::BatchNorm2d(3));
  save(tmp / "c.pt", *other);
  auto model = network(2);
  torch::optim::Adam adam(model->parameters(), torch::optim::AdamOptions(0.1));
  EXPECT_EQ(test::error_of([&] { CheckpointArchive(tmp / "c.pt", kMagic, 1).restore_optimizer(adam); }),
            (tmp / "c.pt").string() +
                ": optimizer state does not match: Adam's exp_avg of parameter 0 is 3x1x1x1 Float, the parameter "
                "2x1x3x3 Float");
}

TEST(CheckpointArchive, RefusesANegativeAdamStep) {
  test::TempDir tmp;
  auto model = network(2);
  torch::optim::Adam adam(model->parameters(), torch::optim::AdamOptions(0.1));
  for (auto& p : model->parameters()) p.mutable_grad() = torch::ones_like(p);
  adam.step();
  for (auto& [key, state] : adam.state()) static_cast<torch::optim::AdamParamState&>(*state).step(-1);
  CheckpointWriter writer(kMagic, 1);
  writer.put_state(*model, adam);
  writer.save(tmp / "c.pt");
  torch::optim::Adam again(model->parameters(), torch::optim::AdamOptions(0.1));
  EXPECT_EQ(test::error_of([&] { CheckpointArchive(tmp / "c.pt", kMagic, 1).restore_optimizer(again); }),
            (tmp / "c.pt").string() + ": optimizer state does not match: step -1 of parameter 0");
}

TEST(CheckpointArchive, RefusesSgdMomentumOfOtherParameters) {
  test::TempDir tmp;
  auto other = nn::Sequential(nn::Conv2d(nn::Conv2dOptions(1, 3, 1)), nn::BatchNorm2d(3));
  torch::optim::SGD sgd(other->parameters(), torch::optim::SGDOptions(0.1).momentum(0.9));
  for (auto& p : other->parameters()) p.mutable_grad() = torch::ones_like(p);
  sgd.step();
  CheckpointWriter writer(kMagic, 1);
  writer.put_state(*other, sgd);
  writer.save(tmp / "c.pt");
  auto model = network(2);
  torch::optim::SGD mine(model->parameters(), torch::optim::SGDOptions(0.1).momentum(0.9));
  EXPECT_EQ(test::error_of([&] { CheckpointArchive(tmp / "c.pt", kMagic, 1).restore_optimizer(mine); }),
            (tmp / "c.pt").string() +
                ": optimizer state does not match: SGD's momentum buffer of parameter 0 is 3x1x1x1 Float, the "
                "parameter 2x1x3x3 Float");
}

TEST(CheckpointArchive, IntegersOutsideTheirRangeAreRefused) {
  test::TempDir tmp;
  auto model = network(2);
  save(tmp / "c.pt", *model, /*epoch=*/int64_t{1} << 40);
  CheckpointArchive archive(tmp / "c.pt", kMagic, 1);
  EXPECT_EQ(archive.integer("epoch", 0), int64_t{1} << 40);
  EXPECT_EQ(test::error_of([&] { archive.integer("epoch", 0, 1000); }),
            (tmp / "c.pt").string() + ": checkpoint has no valid 'epoch' (an integer in 0..1000)");
  EXPECT_EQ(test::error_of([&] { archive.integer("missing"); }),
            (tmp / "c.pt").string() + ": checkpoint has no valid 'missing' (an integer from 0)");
}

// A checkpoint holds TorchScript source (code/...: the types of its modules' attributes) that LibTorch compiles on
// load. Some corrupt code crashed LibTorch 1.13's importer (found by fuzz/fuzz_checkpoint.cpp: see
// fuzz/regressions/checkpoint_corrupt_code.pt), so code of any other form than OutputArchive's declarations is refused
// before LibTorch reads it; code of that form that does not compile fails in the compiler, whose errors are not
// c10::Error. (The small code entries are stored uncompressed, so they can be edited in place.)
TEST(CheckpointArchive, AFileLibTorchCannotReadIsNamed) {
  test::TempDir tmp;
  auto model = network(2);
  save(tmp / "c.pt", *model);
  const auto edited = [&](const std::string& from, const std::string& to) {
    std::string bytes = read_file(tmp / "c.pt");
    const size_t at = bytes.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) bytes.replace(at, from.size(), to);  // same length: the zip directory stays valid
    write_file_atomic(tmp / "corrupt.pt", bytes);
    return test::error_of([&] { CheckpointArchive(tmp / "corrupt.pt", kMagic, 1); });
  };
  const std::string corrupt = (tmp / "corrupt.pt").string();
  // Adam's state of the first parameter: "step : int" becomes a method.
  EXPECT_EQ(edited("  step : int\n", "  def s(): 1\n"),
            corrupt + ": not a tint checkpoint (unexpected TorchScript code in code/__torch__/___torch_mangle_5.py)");
  // The optimizer's "state : __torch__.___torch_mangle_4.Module" names a type no entry defines.
  EXPECT_EQ(edited(".Module\n", ".Modulx\n"), corrupt + ": not a tint checkpoint (cannot read the archive)");
  write_file_atomic(tmp / "short.pt", read_file(tmp / "c.pt").substr(0, 1000));
  EXPECT_EQ(test::error_of([&] { CheckpointArchive(tmp / "short.pt", kMagic, 1); }),
            (tmp / "short.pt").string() + ": not a tint checkpoint (cannot read the archive)");
  EXPECT_EQ(test::error_of([&] { CheckpointArchive(tmp / "c.pt", "other-magic", 1); }),
            (tmp / "c.pt").string() + ": not a tint checkpoint of this kind (other-magic expected)");
}

// The code check itself must not fail on what it checks: libstdc++'s std::regex recurses per character, and matching a
// line of 100000 characters against the declarations' pattern overflowed the stack (SIGSEGV). Such lines are refused
// unmatched. The archive is written here with LibTorch's own zip writer, its one entry a declaration of that form.
TEST(CheckpointArchive, AVeryLongLineOfCodeIsRefusedWithoutMatchingIt) {
  std::string bytes;
  {
    caffe2::serialize::PyTorchStreamWriter writer([&](const void* data, size_t n) {
      bytes.append(static_cast<const char*>(data), n);
      return n;
    });
    const std::string code = "class Module(Module):\n  __parameters__ = [\"" + std::string(100000, 'w') + "\", ]\n";
    writer.writeRecord("code/__torch__.py", code.data(), code.size());
    writer.writeEndOfFile();
  }
  EXPECT_EQ(test::error_of([&] { CheckpointArchive("long.pt", bytes, kMagic, 1); }),
            "long.pt: not a tint checkpoint (unexpected TorchScript code in code/__torch__.py)");
}

// What LibTorch's unpickler trusts in data.pkl (stored uncompressed, so editable in place). A string length of 2^31
// made it allocate that much before finding the entry shorter (found by fuzz/fuzz_checkpoint.cpp, 25 GB): pickles are
// walked first. A tensor's storage offset (or sizes, strides) beyond the bytes stored for it gave a parameter viewing
// memory past them.
TEST(CheckpointArchive, CorruptPicklesAreRefusedBeforeLibTorchTrustsThem) {
  test::TempDir tmp;
  auto model = network(2);
  save(tmp / "c.pt", *model);
  const std::string corrupt = (tmp / "corrupt.pt").string();
  const auto edited = [&](const std::string& from, const std::string& to) {
    std::string bytes = read_file(tmp / "c.pt");
    const size_t at = bytes.find(from);
    EXPECT_NE(at, std::string::npos);
    if (at != std::string::npos) bytes.replace(at, from.size(), to);
    write_file_atomic(corrupt, bytes);
  };
  // BINUNICODE (X), 4-byte length, then the magic: the length becomes 2^31 - 1.
  edited(std::string("X\x0f\x00\x00\x00test-checkpoint", 20), std::string("X\xff\xff\xff\x7ftest-checkpoint", 20));
  const std::string error = test::error_of([&] { CheckpointArchive(corrupt, kMagic, 1); });
  EXPECT_EQ(error.rfind(corrupt + ": not a tint checkpoint (corrupt data.pkl: opcode 0x58 at byte 38 says 2147483647 "
                                  "bytes follow, ",
                        0),
            0u)
      << error;
  // The first tensor (0.weight, 2x1x3x3 in a storage of 18 floats): BINPERSID, BINPUT, then its storage offset
  // (BININT1 0) and sizes; the offset becomes 5.
  edited(std::string("Qq\x0eK\x00(K\x02K\x01K\x03K\x03t", 15), std::string("Qq\x0eK\x05(K\x02K\x01K\x03K\x03t", 15));
  auto same = network(2);
  EXPECT_EQ(test::error_of([&] { CheckpointArchive(corrupt, kMagic, 1).restore_model(*same); }),
            corrupt + ": corrupt checkpoint: '0.weight' reaches past the data stored for it");
}

}  // namespace
}  // namespace tint
