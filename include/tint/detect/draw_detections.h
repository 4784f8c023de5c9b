// Detections drawn on a photo, as `tint detect` saves it: a box per detection in its class's colour and a label
// "class score" (e.g. "person 0.93") on a filled background above the box, sized to the photo.
#pragma once

#include <string>
#include <vector>

#include <torch/types.h>

#include "tint/data/boxes.h"
#include "tint/report/draw.h"
#include "tint/report/text.h"

namespace tint::detect {

struct DrawOptions {
  int line_thickness = 0;              // pixels; 0: from the image size (draw_style)
  int label_pixel_size = 0;            // the label font's pixel size; 0: from the image size
  bool labels = true;                  // false: boxes only
  const report::Font* font = nullptr;  // nullptr: report::label_font() (DejaVu Sans Bold through fontconfig)
  // Tracked objects: an identity per detection, shown before the label ("#3 person 0.93"); nullptr or empty: none.
  const std::vector<int>* ids = nullptr;
};

// Sizes for an image of width x height: the line thickness and the label font, both proportional to the geometric
// mean side sqrt(W H) (a panorama gets labels for its area, not its long side), with floors that keep a 320 x 320
// network input readable. 320 x 320: 2 px lines, 12 px text; 810 x 1080: 3, 21; 2592 x 1944: 7, 49.
struct DrawStyle {
  int line_thickness = 2;
  int label_pixel_size = 12;
  int label_pad_x = 2, label_pad_y = 1;  // background around the text
};
DrawStyle draw_style(int64_t width, int64_t height, const DrawOptions& options = {});

// The colour of a class: Kenneth Kelly's 22 colours of maximum contrast (Kelly 1965, "Twenty-two colors of maximum
// contrast"; sRGB values as Green-Armytage 2010 lists them), in Kelly's order, which puts the most different colours
// first, without the four near-neutral ones (white, black, medium grey, buff): on a photo they vanish into walls,
// sky and shadow. 18 colours: class ids 18 apart share one.
inline constexpr int kClassColourCount = 18;
report::Rgb class_colour(int class_id);

// "person 0.93": the class name (or its id when `class_names` is empty) and the score with two decimals.
// Throws tint::Error when the id is outside `class_names`.
std::string detection_label(const data::Detection& detection, const std::vector<std::string>& class_names);

// A new (3, H, W) uint8 image: `image` ((C, H, W), C = 1 or 3, uint8 or float in [0, 1]; left untouched) with every
// detection drawn, boxes in image pixels (data::Box: x2, y2 exclusive). The outline lies inside the box; the label
// sits on the box's top edge, inside the box when there is no room above, moved left to stay on the image; its
// text is black or white, whichever contrasts more with the class colour. Lower scores are drawn first, so the
// best detection's label is never covered. Boxes partly or wholly outside the image are clipped. Throws
// tint::Error for a box or score that is not finite, or a class id outside `class_names`.
torch::Tensor draw_detections(const torch::Tensor& image, const std::vector<data::Detection>& detections,
                              const std::vector<std::string>& class_names, const DrawOptions& options = {});

}  // namespace tint::detect
