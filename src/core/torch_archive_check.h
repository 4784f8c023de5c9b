// Checks of a LibTorch archive (the zip that torch::serialize::OutputArchive writes, as checkpoints are) that LibTorch
// 1.13 does not make before torch::jit::load trusts the entries: a corrupt entry could crash it or make it allocate
// what a length field says (both found by fuzz/fuzz_checkpoint.cpp). Private to core (checkpoint_archive.cpp).
#pragma once

#include <string>

namespace tint::detail {

// Reads the archive's entries and throws tint::Error naming `name` and the entry when
//   - a code/ entry (TorchScript compiled on load) is anything but what OutputArchive writes: a class per module whose
//     body declares its attributes and their types (so no checkpoint brings TorchScript methods either);
//   - a pickle (data.pkl, constants.pkl, the debug pickles) has an opcode that is not pickle's, a length that runs
//     past the entry, or no STOP at its end.
// Throws c10::Error when the bytes are not a zip archive LibTorch can open.
void check_torch_archive(const std::string& bytes, const std::string& name);

}  // namespace tint::detail
