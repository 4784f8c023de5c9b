// Detections drawn on a photo: box outlines exact to the pixel, labels where they belong and in readable colours,
// the caller's image untouched, anything off the image clipped.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <limits>

#include "support/test_support.h"
#include "tint/core/error.h"
#include "tint/data/image_io.h"
#include "tint/detect/draw_detections.h"

namespace tint::detect {
namespace {
namespace draw_detections_tests {

using data::Box;
using data::Detection;
using report::Rgb;

const std::vector<std::string> kNames = {"person", "bicycle", "car", "motorbike", "aeroplane", "bus"};

torch::Tensor noise_image(int64_t h, int64_t w, uint64_t seed) {
  torch::manual_seed(seed);
  return torch::randint(0, 256, {3, h, w}, torch::kUInt8);
}

Rgb pixel(const torch::Tensor& image, int64_t x, int64_t y) {
  return {image[0][y][x].item<uint8_t>(), image[1][y][x].item<uint8_t>(), image[2][y][x].item<uint8_t>()};
}

// The outline of the pixel box [x1, x2) x [y1, y2), t wide, drawn into `image` one pixel at a time.
void brute_force_outline(torch::Tensor& image, int64_t x1, int64_t y1, int64_t x2, int64_t y2, int t, Rgb colour) {
  for (int64_t y = 0; y < image.size(1); ++y) {
    for (int64_t x = 0; x < image.size(2); ++x) {
      const bool inside = x >= x1 && x < x2 && y >= y1 && y < y2;
      const bool border = x < x1 + t || x >= x2 - t || y < y1 + t || y >= y2 - t;
      if (!inside || !border) continue;
      image[0][y][x] = colour.r;
      image[1][y][x] = colour.g;
      image[2][y][x] = colour.b;
    }
  }
}

// CIE L*a*b* of an sRGB colour (D65), for colour differences as people see them.
std::array<double, 3> lab(Rgb c) {
  auto linear = [](uint8_t v) {
    const double s = v / 255.0;
    return s <= 0.04045 ? s / 12.92 : std::pow((s + 0.055) / 1.055, 2.4);
  };
  const double r = linear(c.r), g = linear(c.g), b = linear(c.b);
  const double x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047;
  const double y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  const double z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883;
  auto f = [](double t) { return t > 216.0 / 24389 ? std::cbrt(t) : (24389.0 / 27 * t + 16) / 116; };
  return {116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))};
}

double delta_e(Rgb a, Rgb b) {
  const auto p = lab(a), q = lab(b);
  return std::sqrt((p[0] - q[0]) * (p[0] - q[0]) + (p[1] - q[1]) * (p[1] - q[1]) + (p[2] - q[2]) * (p[2] - q[2]));
}

TEST(DrawDetections, LabelsReadClassAndScore) {
  EXPECT_EQ(detection_label({Box{}, 0, 0.934f}, kNames), "person 0.93");
  EXPECT_EQ(detection_label({Box{}, 5, 0.999f}, kNames), "bus 1.00");
  EXPECT_EQ(detection_label({Box{}, 3, 0.5f}, {}), "3 0.50");
  EXPECT_NE(test::error_of([] { detection_label({Box{}, 6, 0.5f}, kNames); }).find("class id 6"), std::string::npos);
  EXPECT_THROW(detection_label({Box{}, -1, 0.5f}, kNames), Error);
}

TEST(DrawDetections, ClassColoursAreStableDistinctAndCarryReadableText) {
  for (int i = 0; i < kClassColourCount; ++i) {
    EXPECT_EQ(class_colour(i), class_colour(i));
    EXPECT_EQ(class_colour(i + kClassColourCount), class_colour(i));  // the palette repeats
    for (int j = 0; j < i; ++j) {
      EXPECT_GT(delta_e(class_colour(i), class_colour(j)), 10.0) << "classes " << i << " and " << j;
    }
    const Rgb c = class_colour(i);
    EXPECT_GE(report::contrast_ratio(c, report::text_colour_on(c)), 4.5) << "class " << i;
  }
  // Kelly's first colours, the ones the first classes get: vivid yellow, strong purple, vivid orange.
  EXPECT_EQ(class_colour(0), (Rgb{0xF3, 0xC3, 0x00}));
  EXPECT_EQ(class_colour(1), (Rgb{0x87, 0x56, 0x92}));
  EXPECT_EQ(class_colour(2), (Rgb{0xF3, 0x84, 0x00}));
  EXPECT_EQ(class_colour(-1), class_colour(kClassColourCount - 1));
}

TEST(DrawDetections, StyleScalesWithTheImage) {
  auto check = [](int64_t w, int64_t h, int thickness, int size) {
    const DrawStyle s = draw_style(w, h);
    EXPECT_EQ(s.line_thickness, thickness) << w << "x" << h;
    EXPECT_EQ(s.label_pixel_size, size) << w << "x" << h;
  };
  check(320, 320, 2, 12);
  check(810, 1080, 3, 21);
  check(2592, 1944, 7, 49);
  DrawOptions fixed;
  fixed.line_thickness = 5;
  fixed.label_pixel_size = 30;
  EXPECT_EQ(draw_style(10, 10, fixed).line_thickness, 5);
  EXPECT_EQ(draw_style(10, 10, fixed).label_pixel_size, 30);
  fixed.line_thickness = -1;
  EXPECT_THROW(draw_style(10, 10, fixed), Error);
  // The label's capitals stand at least 8 pixels tall on the smallest image (DejaVu's cap height: 0.73 em).
  EXPECT_GE(report::label_font().measure("H", draw_style(320, 320).label_pixel_size).ascent * 0.73 / 0.93, 8.0);
}

TEST(DrawDetections, InputIsUntouchedAndTheResultIsANewImage) {
  const std::vector<Detection> d = {{Box{10, 12, 60, 50}, 0, 0.9f}, {Box{30, 5, 90, 70}, 5, 0.6f}};
  auto image = noise_image(80, 100, 1);
  const auto copy = image.clone();
  const auto out = draw_detections(image, d, kNames);
  EXPECT_TRUE(image.equal(copy));
  EXPECT_NE(out.data_ptr(), image.data_ptr());
  EXPECT_EQ(out.sizes(), image.sizes());
  EXPECT_EQ(out.scalar_type(), torch::kUInt8);
  EXPECT_FALSE(out.equal(image));
  // Float in [0, 1] draws as its bytes would; grey comes back as RGB with the grey in all three channels.
  const auto as_float = image.to(torch::kFloat32) / 255;
  const auto float_copy = as_float.clone();
  EXPECT_TRUE(draw_detections(as_float, d, kNames).equal(out));
  EXPECT_TRUE(as_float.equal(float_copy));
  const auto grey = image.slice(0, 0, 1).clone();
  const auto from_grey = draw_detections(grey, {}, kNames);
  ASSERT_EQ(from_grey.sizes(), (std::vector<int64_t>{3, 80, 100}));
  for (int c = 0; c < 3; ++c) EXPECT_TRUE(from_grey[c].equal(grey[0]));
  EXPECT_THROW(draw_detections(torch::zeros({2, 8, 8}), d, kNames), Error);
}

// Boxes only: each outline is the brute-force one, in its class's colour, and nothing else changes.
TEST(DrawDetections, BoxOutlinesAreExact) {
  const std::vector<Detection> d = {{Box{10.2f, 20.0f, 49.6f, 60.4f}, 2, 0.8f}, {Box{55, 3, 95, 30}, 4, 0.4f}};
  auto image = noise_image(80, 100, 2);
  DrawOptions boxes_only;
  boxes_only.labels = false;
  boxes_only.line_thickness = 3;
  const auto out = draw_detections(image, d, kNames, boxes_only);
  auto expected = image.clone();
  brute_force_outline(expected, 55, 3, 95, 30, 3, class_colour(4));   // lower score first
  brute_force_outline(expected, 10, 20, 50, 60, 3, class_colour(2));  // corners rounded to pixels
  EXPECT_TRUE(out.equal(expected));
}

// The label: a block of the class colour standing on the box's top edge at its left, holding text in the
// contrasting colour; inside the box at the image's top; moved left at the right edge.
TEST(DrawDetections, LabelSitsOnTheBoxInItsColour) {
  const auto& font = report::label_font();
  const int64_t H = 200, W = 300;
  const auto image = torch::full({3, H, W}, 128, torch::kUInt8);
  const DrawStyle style = draw_style(W, H);
  const std::string label = "bus 0.88";
  const auto text = font.measure(label, style.label_pixel_size);
  const int64_t lw = text.width + 2 * style.label_pad_x, lh = text.height() + 2 * style.label_pad_y;
  const Rgb bus = class_colour(5), ink = report::text_colour_on(bus);
  auto check_label = [&](const torch::Tensor& out, int64_t x, int64_t y) {
    int64_t ink_pixels = 0;
    for (int64_t yy = y; yy < y + lh; ++yy) {
      for (int64_t xx = x; xx < x + lw; ++xx) {
        const Rgb p = pixel(out, xx, yy);
        // Every pixel lies between the background and the text colour (blending), channel by channel.
        for (auto [v, a, b] : {std::tuple{p.r, bus.r, ink.r}, {p.g, bus.g, ink.g}, {p.b, bus.b, ink.b}}) {
          ASSERT_GE(v, std::min(a, b)) << xx << "," << yy;
          ASSERT_LE(v, std::max(a, b)) << xx << "," << yy;
        }
        ink_pixels += p == ink;
      }
    }
    EXPECT_GT(ink_pixels, 20) << "no text in the label";
    // The pixels just outside the label block are not label-coloured (the block is where it was measured to be).
    if (x > 0) {
      EXPECT_NE(pixel(out, x - 1, y + lh / 2), bus);
    }
    if (x + lw < W) {
      EXPECT_NE(pixel(out, x + lw, y + lh / 2), bus);
    }
  };
  {  // Room above: the label's bottom row is the row above the box.
    const auto out = draw_detections(image, {{Box{40, 100, 200, 180}, 5, 0.88f}}, kNames);
    check_label(out, 40, 100 - lh);
    EXPECT_EQ(pixel(out, 40 + lw / 2, 100 - lh - 1), (Rgb{128, 128, 128}));
  }
  {  // At the top edge: inside the box, from its top row.
    const auto out = draw_detections(image, {{Box{40, 3, 200, 180}, 5, 0.88f}}, kNames);
    check_label(out, 40, 3);
  }
  {  // At the right edge: moved left to end on the image's last column.
    const auto out = draw_detections(image, {{Box{W - 20.0f, 100, float(W), 180}, 5, 0.88f}}, kNames);
    check_label(out, W - lw, 100 - lh);
  }
}

// Boxes across the edges are clipped exactly; boxes wholly off the image, or absurdly far, change nothing.
TEST(DrawDetections, BoxesOffTheImageAreClipped) {
  const auto image = noise_image(60, 80, 3);
  DrawOptions boxes_only;
  boxes_only.labels = false;
  boxes_only.line_thickness = 2;
  const std::vector<Detection> across = {{Box{-20, -10, 30, 25}, 0, 0.9f}, {Box{60, 40, 120, 90}, 1, 0.8f}};
  auto expected = image.clone();
  brute_force_outline(expected, 60, 40, 120, 90, 2, class_colour(1));
  brute_force_outline(expected, -20, -10, 30, 25, 2, class_colour(0));
  EXPECT_TRUE(draw_detections(image, across, kNames, boxes_only).equal(expected));

  const float huge = 1e30f;
  const std::vector<Detection> away = {{Box{-50, -50, -10, -10}, 0, 0.9f},
                                       {Box{100, 70, 200, 200}, 1, 0.8f},
                                       {Box{-huge, -huge, -huge / 2, -huge / 2}, 2, 0.7f},
                                       {Box{huge / 2, 10, huge, 20}, 3, 0.7f},
                                       {Box{30, 30, 30, 40}, 4, 0.6f}};  // empty
  EXPECT_TRUE(draw_detections(image, away, kNames).equal(image));        // labels on
  // A box enclosing the whole image draws no visible edge, but still labels what it holds.
  const auto enclosing = draw_detections(image, {{Box{-huge, -huge, huge, huge}, 0, 0.5f}}, kNames);
  EXPECT_FALSE(enclosing.equal(image));
  EXPECT_TRUE(enclosing.slice(1, 30, 60).equal(image.slice(1, 30, 60)));  // only the label, at the top
}

TEST(DrawDetections, BadDetectionsAreRefused) {
  const auto image = noise_image(20, 20, 4);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const auto message = test::error_of([&] {
    draw_detections(image, {{Box{1, 1, 5, 5}, 0, 0.9f}, {Box{nan, 1, 5, 5}, 0, 0.9f}}, kNames);
  });
  EXPECT_NE(message.find("detection 1"), std::string::npos) << message;
  EXPECT_THROW(draw_detections(image, {{Box{1, 1, 5, 5}, 0, std::numeric_limits<float>::infinity()}}, kNames), Error);
  EXPECT_THROW(draw_detections(image, {{Box{1, 1, 5, 5}, 6, 0.9f}}, kNames), Error);
  // Without names, the id is the label.
  EXPECT_FALSE(draw_detections(image, {{Box{1, 1, 15, 15}, 77, 0.9f}}, {}).equal(image));
}

// The course's bus photo with boxes placed by hand: every label stands where its box says, in its colour.
TEST(DrawDetections, BusPhotoWithHandMadeBoxes) {
  TINT_SKIP_WITHOUT_DETECTION_DATA(dir, "samples/bus.jpg");
  const auto photo = data::read_image(dir / "samples" / "bus.jpg");
  ASSERT_EQ(photo.sizes(), (std::vector<int64_t>{3, 1080, 810}));
  const auto copy = photo.clone();
  const std::vector<Detection> d = {{Box{17, 230, 801, 751}, 5, 0.93f},
                                    {Box{48, 399, 245, 903}, 0, 0.89f},
                                    {Box{670, 380, 810, 877}, 0, 0.84f},
                                    {Box{221, 407, 344, 857}, 0, 0.81f},
                                    {Box{0, 552, 78, 873}, 0, 0.41f}};
  const auto out = draw_detections(photo, d, kNames);
  EXPECT_TRUE(photo.equal(copy));
  const DrawStyle style = draw_style(810, 1080);
  const auto text = report::label_font().measure("bus 0.93", style.label_pixel_size);
  const int64_t lh = text.height() + 2 * style.label_pad_y;
  // The bus label's block, above its box at the left: its top-left pixel is the bus colour.
  EXPECT_EQ(pixel(out, 17, 230 - lh), class_colour(5));
  EXPECT_EQ(pixel(out, 17, 229), class_colour(5));
  EXPECT_NE(pixel(out, 17, 230 - lh - 1), class_colour(5));
  // The right person's box ends at the image's right edge: its line's inner column is the person colour.
  EXPECT_EQ(pixel(out, 809, 600), class_colour(0));
}

}  // namespace draw_detections_tests
}  // namespace
}  // namespace tint::detect
