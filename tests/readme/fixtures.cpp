#include "readme/fixtures.h"

#include <algorithm>
#include <cstdlib>
#include <stdexcept>
#include <vector>

#include "support/test_support.h"

namespace tint::test {
namespace fs = std::filesystem;

namespace {

void copy_into(const fs::path& from, const fs::path& to) {
  fs::create_directories(to.parent_path());
  fs::copy_file(from, to, fs::copy_options::overwrite_existing);
}

// The first `count` images of a detection set (by name) with their labels: a small set of the same layout.
void copy_first_images(const fs::path& from, const fs::path& to, const std::string& labels, const std::string& ext,
                       size_t count) {
  std::vector<fs::path> images;
  for (const auto& e : fs::directory_iterator(from / "images")) images.push_back(e.path());
  std::sort(images.begin(), images.end());
  images.resize(std::min(images.size(), count));
  for (const auto& image : images) {
    copy_into(image, to / "images" / image.filename());
    const fs::path label = from / labels / image.filename().replace_extension(ext);
    if (fs::exists(label)) copy_into(label, to / labels / label.filename());  // COCO128 has images without objects
  }
}

}  // namespace

void make_fixtures(const fs::path& work, const fs::path& source, const std::optional<fs::path>& detection) {
  const fs::path docs = source / "docs" / "images", images = source / "tests" / "data" / "images";
  // A street photo and a photo of pets (shrunk copies of the course's two; detect finds people, a bus, cats).
  copy_into(docs / "colourize_bus_cifar10.jpg", work / "photo.jpg");
  copy_into(docs / "colourize_bus_cifar10.jpg", work / "holiday" / "bus.jpg");
  copy_into(docs / "colourize_cats_cifar10.jpg", work / "holiday" / "cats.jpg");
  copy_into(docs / "colourize_bus_horse.jpg", work / "photos" / "bus.jpg");
  copy_into(docs / "colourize_cats_horse.jpg", work / "photos" / "cats.jpg");
  copy_into(images / "upright.png", work / "old.png");
  // A phone's photos: JPEGs whose EXIF orientation turns them.
  copy_into(images / "orientation_6.jpg", work / "phone" / "IMG_0001.jpg");
  copy_into(images / "orientation_3.jpg", work / "phone" / "IMG_0002.jpg");
  // A PNG whose header declares 100,000 x 100,000 pixels (docs/images.md's refusal).
  copy_into(images / "bomb.png", work / "bomb.png");
  write_bytes(work / "raccoon.names", "raccoon\n");
  // A colour clip with a sound track: 2 s at 10 frames/s panning over the street photo, a 440 Hz tone.
  const std::string clip = "ffmpeg -v error -y -loop 1 -i '" + (work / "photo.jpg").string() +
                           "' -f lavfi -i sine=frequency=440:sample_rate=44100 -vf "
                           "\"scale=320:-2,crop=240:160:x='20*t':y=0,format=yuv420p\" -t 2 -r 10 -c:v libx264 -preset "
                           "ultrafast -c:a aac -shortest '" +
                           (work / "clip.mp4").string() + "'";
  if (std::system(clip.c_str()) != 0) throw std::runtime_error("the README test's clip: ffmpeg failed: " + clip);
  if (!detection) return;
  fs::create_directory_symlink(*detection / "coco128", work / "coco128");
  copy_first_images(*detection / "raccoon", work / "raccoon", "annotations", ".xml", 16);
  copy_first_images(*detection / "coco128", work / "my-set", "labels", ".txt", 16);
}

}  // namespace tint::test
