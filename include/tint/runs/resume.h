// What `--resume DIR` continues from, shared by every kind of run (colourization and detection training).
#pragma once

#include <filesystem>
#include <string>

namespace tint {

// The bytes of DIR/`checkpoint_name`, or a tint::Error that says what DIR holds and what to run instead: no such
// directory; a run stopped before the end of its first epoch (config.json but no checkpoint yet: nothing to
// continue, so start it again with `fresh_command` -o DIR --force); or a directory that holds no run at all.
std::string read_checkpoint_to_resume(const std::filesystem::path& dir, const std::string& checkpoint_name,
                                      const std::string& fresh_command);

}  // namespace tint
