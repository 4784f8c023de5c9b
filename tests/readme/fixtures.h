// The inputs a reader would bring to the pages' commands (photo.jpg, holiday/, old.png, raccoon.names, my-set/,
// coco128/ ...), made in the folder the commands run in.
#pragma once

#include <filesystem>
#include <optional>

namespace tint::test {

// Photos from the repository's own images (docs/images, tests/data/images); with `detection` (the folder
// $TINT_DETECTION_DIR names), coco128/ (linked) and 16-image copies of the raccoon set and of COCO128 as my-set/.
void make_fixtures(const std::filesystem::path& work, const std::filesystem::path& source,
                   const std::optional<std::filesystem::path>& detection);

}  // namespace tint::test
