// The vocabulary of the hand-worked evaluation cases (average precision, COCO's summary): truths and detections
// written as one call each, per image and class.
#pragma once

#include <vector>

#include "tint/data/boxes.h"

namespace tint::detect::test_cases {

using data::Box;
using data::Detection;
using data::LabelledBox;
using Detections = std::vector<std::vector<Detection>>;  // per image
using Truths = std::vector<std::vector<LabelledBox>>;    // per image

inline LabelledBox truth(Box b, int cls = 0, bool difficult = false) { return {b, cls, difficult}; }
inline Detection detection(Box b, float score, int cls = 0) { return {b, cls, score}; }

}  // namespace tint::detect::test_cases
