// Detecting on a photo read reduced (data::read_image_reduced): the boxes come back in the full photo's pixels.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "support/test_support.h"
#include "tint/data/image_io.h"
#include "tint/data/reduced_image.h"
#include "tint/detect/detector.h"

namespace tint::detect {
namespace {

Detector embedded_detector() {
  const auto dir = test::embedded_yolo_fastest_dir();
  return Detector::from_files(dir / "yolo-fastest-1.1.cfg", dir / "yolo-fastest-1.1.weights", dir / "coco.names");
}

// A photo presented as the half-size decode of a photo twice its size finds the same objects at twice the
// coordinates, clipped to the larger photo.
TEST(DetectorReduced, BoxesAreScaledOntoTheFullPhoto) {
  const auto detector = embedded_detector();
  const auto photo = data::read_image(test::source_dir() / "tests" / "data" / "photos" / "kodim12.jpg");
  for (const auto resample : {Resample::darknet, Resample::antialias}) {
    DetectOptions options;
    options.resample = resample;
    const auto direct = detector.detect(photo, options);
    ASSERT_GE(direct.size(), 1u);
    const data::ReducedImage half{photo, 2 * photo.size(2), 2 * photo.size(1), 2};
    const auto mapped = detector.detect(half, options);
    ASSERT_EQ(mapped.size(), direct.size());
    for (size_t i = 0; i < direct.size(); ++i) {
      EXPECT_EQ(mapped[i].class_id, direct[i].class_id);
      EXPECT_EQ(mapped[i].score, direct[i].score);
      EXPECT_NEAR(mapped[i].box.x1, 2 * direct[i].box.x1, 1e-3);
      EXPECT_NEAR(mapped[i].box.y1, 2 * direct[i].box.y1, 1e-3);
      EXPECT_NEAR(mapped[i].box.x2, 2 * direct[i].box.x2, 1e-3);
      EXPECT_NEAR(mapped[i].box.y2, 2 * direct[i].box.y2, 1e-3);
    }
    // The whole path at a 160 x 160 input: the 400 x 500 photo decodes at half its size, and the boxes lie within
    // the full photo.
    options.size = 160;
    const auto reduced =
        data::read_image_reduced(test::source_dir() / "tests" / "data" / "photos" / "kodim12.jpg", 160, 160);
    EXPECT_EQ(reduced.scale, 2);
    EXPECT_EQ(reduced.width, photo.size(2));
    EXPECT_EQ(reduced.height, photo.size(1));
    for (const auto& d : detector.detect(reduced, options)) {
      EXPECT_GE(d.box.x1, 0);
      EXPECT_LE(d.box.x2, float(photo.size(2)));
      EXPECT_LE(d.box.y2, float(photo.size(1)));
    }
  }
}

}  // namespace
}  // namespace tint::detect
