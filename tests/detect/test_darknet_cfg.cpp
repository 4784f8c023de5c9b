// The cfg reader: sections, lines and options as written, typed getters, and an error naming file, line and layer
// for whatever tint does not know, checked against hand-written cfgs and the two real Yolo-Fastest files.
#include <map>

#include <gtest/gtest.h>

#include "support/test_support.h"
#include "tint/core/error.h"
#include "tint/detect/darknet_cfg.h"

namespace tint::detect {
namespace darknet_cfg_test {
namespace {
namespace fs = std::filesystem;

DarknetCfg parse_cfg_text(const std::string& text) { return parse_cfg(text, "test.cfg"); }
std::string cfg_error(const std::string& text) {
  return test::error_of([&] { parse_cfg_text(text); });
}

TEST(DarknetCfg, ReadsSectionsLinesAndOptionsAsWritten) {
  const std::string text =
      "# a comment\n"                      // 1
      "[net]\n"                            // 2
      "width = 320\n"                      // 3
      "height=256\n"                       // 4
      "  channels =3  \n"                  // 5
      "learning_rate=0.001\n"              // 6
      "\n"                                 // 7
      "; another comment\n"                // 8
      "[convolutional]\n"                  // 9
      "filters=8   # trailing comment\n"   // 10
      "size=3\r\n"                         // 11
      "activation=leaky\n"                 // 12
      "[yolo]\n"                           // 13
      "mask = 0, 1,2\n"                    // 14
      "anchors = 10,14,  23,27, 37,58\n";  // 15
  const auto cfg = parse_cfg_text(text);
  ASSERT_EQ(cfg.sections.size(), 3u);
  EXPECT_EQ(cfg.num_layers(), 2);
  EXPECT_EQ(cfg.net().type, "net");
  EXPECT_EQ(cfg.net().line, 2);
  EXPECT_EQ(cfg.net().index, -1);
  EXPECT_EQ(cfg.net().get_int("width", 0), 320);
  EXPECT_EQ(cfg.net().get_int("height", 0), 256);
  EXPECT_EQ(cfg.net().get_int("channels", 0), 3);
  EXPECT_FLOAT_EQ(cfg.net().get_float("learning_rate", 0), 0.001f);
  const auto& conv = cfg.layer(0);
  EXPECT_EQ(conv.type, "convolutional");
  EXPECT_EQ(conv.line, 9);
  EXPECT_EQ(conv.index, 0);
  EXPECT_EQ(conv.get_int("filters", 0), 8);
  EXPECT_EQ(conv.find("filters")->line, 10);
  EXPECT_EQ(conv.get_int("size", 0), 3);
  EXPECT_EQ(conv.get_int("stride", 7), 7);  // absent: the fallback
  EXPECT_EQ(conv.get_activation("logistic"), Activation::leaky);
  const auto& yolo = cfg.layer(1);
  EXPECT_EQ(yolo.index, 1);
  EXPECT_EQ(yolo.line, 13);
  EXPECT_EQ(yolo.get_ints("mask"), (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(yolo.get_floats("anchors"), (std::vector<float>{10, 14, 23, 27, 37, 58}));
  EXPECT_EQ(yolo.find("anchors")->value, "10,14,  23,27, 37,58");
}

// Both Yolo-Fastest cfgs have the same layers (the xl one has more filters).
void expect_yolo_fastest_layers(const fs::path& path) {
  const auto cfg = read_cfg(path);
  // Section counts as `grep -c '^\[type' FILE` gives them for both files.
  std::map<std::string, int> count;
  for (const auto& s : cfg.sections) ++count[s.type];
  EXPECT_EQ(count, (std::map<std::string, int>{{"net", 1},
                                               {"convolutional", 84},
                                               {"dropout", 18},
                                               {"maxpool", 3},
                                               {"route", 5},
                                               {"shortcut", 18},
                                               {"upsample", 1},
                                               {"yolo", 2}}));
  EXPECT_EQ(cfg.num_layers(), 131);
  EXPECT_EQ(cfg.net().get_int("width", 0), 320);
  // The last section: the second [yolo], layer 130, `mask = 0,1,2` as the file writes it.
  EXPECT_EQ(cfg.sections.back().type, "yolo");
  EXPECT_EQ(cfg.sections.back().index, 130);
  EXPECT_EQ(cfg.sections.back().get_ints("mask"), (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(cfg.sections.back().get_string("iou_loss", ""), "ciou");
  EXPECT_EQ(cfg.sections.back().get_string("nms_kind", ""), "greedynms");  // known, post-processing only
}

TEST(DarknetCfg, ReadsTheYoloFastestCfg) {
  expect_yolo_fastest_layers(test::embedded_yolo_fastest_dir() / "yolo-fastest-1.1.cfg");
}

TEST(DarknetCfg, ReadsTheYoloFastestXlCfg) {
  TINT_SKIP_WITHOUT_DETECTION_DATA(data, "yolo-fastest-1.1/yolo-fastest-1.1-xl.cfg");
  expect_yolo_fastest_layers(data / "yolo-fastest-1.1" / "yolo-fastest-1.1-xl.cfg");
}

TEST(DarknetCfg, FormatReadsBackToTheSameSections) {
  const auto cfg = read_cfg(test::embedded_yolo_fastest_dir() / "yolo-fastest-1.1.cfg");
  const auto again = parse_cfg(format_cfg(cfg), "again.cfg");
  ASSERT_EQ(again.sections.size(), cfg.sections.size());
  for (size_t i = 0; i < cfg.sections.size(); ++i) {
    EXPECT_EQ(again.sections[i].type, cfg.sections[i].type);
    ASSERT_EQ(again.sections[i].options.size(), cfg.sections[i].options.size()) << i;
    for (size_t k = 0; k < cfg.sections[i].options.size(); ++k) {
      EXPECT_EQ(again.sections[i].options[k].key, cfg.sections[i].options[k].key);
      EXPECT_EQ(again.sections[i].options[k].value, cfg.sections[i].options[k].value);
    }
  }
  test::TempDir tmp;
  write_cfg(tmp / "out.cfg", cfg);
  EXPECT_EQ(read_cfg(tmp / "out.cfg").sections.size(), cfg.sections.size());
}

TEST(DarknetCfg, DarknetsOtherSectionNamesReadAsTheUsualOnes) {
  const auto cfg = parse_cfg_text("[network]\nwidth=8\n[conv]\nfilters=2\n[max]\nsize=2\n");
  EXPECT_EQ(cfg.sections[0].type, "net");
  EXPECT_EQ(cfg.sections[1].type, "convolutional");
  EXPECT_EQ(cfg.sections[2].type, "maxpool");
}

TEST(DarknetCfg, AnUnknownSectionTypeNamesFileLineAndLayer) {
  const auto e = cfg_error("[net]\nwidth=8\n[convolutional]\nfilters=2\n\n[local]\nsize=3\n");
  EXPECT_NE(e.find("test.cfg:6"), std::string::npos) << e;
  EXPECT_NE(e.find("layer 1"), std::string::npos) << e;
  EXPECT_NE(e.find("[local]"), std::string::npos) << e;
  EXPECT_NE(e.find("[convolutional]"), std::string::npos) << e;  // says what is supported
}

TEST(DarknetCfg, AnUnknownOptionNamesFileLineLayerAndOption) {
  const auto e = cfg_error("[net]\nwidth=8\n[convolutional]\nfilters=2\n[yolo]\nmask=0\nnew_coords=1\n");
  EXPECT_NE(e.find("test.cfg:7"), std::string::npos) << e;
  EXPECT_NE(e.find("layer 1 [yolo]"), std::string::npos) << e;
  EXPECT_NE(e.find("'new_coords'"), std::string::npos) << e;
  // A typo is not read as darknet's default either.
  const auto typo = cfg_error("[net]\nwidth=8\n[convolutional]\nfliters=2\n");
  EXPECT_NE(typo.find("test.cfg:4: layer 0 [convolutional]"), std::string::npos) << typo;
  EXPECT_NE(typo.find("'fliters'"), std::string::npos) << typo;
}

TEST(DarknetCfg, TrainingOnlyOptionsAreKnown) {
  const auto cfg = parse_cfg_text(
      "[net]\nwidth=8\nbatch=64\nlearning_rate=0.001\nburn_in=1000\npolicy=steps\nsteps=1,2\nscales=.1,.1\nhue=.1\n"
      "[convolutional]\nfilters=2\n"
      "[yolo]\nmask=0\njitter=.3\nrandom=1\nnms_kind=greedynms\nbeta_nms=0.6\nignore_thresh=.7\n");
  EXPECT_EQ(cfg.net().get_int("batch", 0), 64);
  EXPECT_EQ(cfg.layer(1).get_string("jitter", ""), ".3");
}

TEST(DarknetCfg, AnUnknownActivationOrEnumeratedValueIsAnError) {
  auto e = cfg_error("[net]\nwidth=8\n[convolutional]\nfilters=2\nactivation=gelu\n");
  EXPECT_NE(e.find("test.cfg:5: layer 0 [convolutional]"), std::string::npos) << e;
  EXPECT_NE(e.find("'gelu'"), std::string::npos) << e;
  EXPECT_NE(e.find("leaky, linear, relu, logistic, mish or swish"), std::string::npos) << e;
  e = cfg_error("[net]\nwidth=8\n[convolutional]\nfilters=2\n[yolo]\niou_loss=cioo\n");
  EXPECT_NE(e.find("test.cfg:6: layer 1 [yolo]"), std::string::npos) << e;
  EXPECT_NE(e.find("'cioo'"), std::string::npos) << e;
  e = cfg_error("[net]\nwidth=8\n[convolutional]\nfilters=2\n[shortcut]\nfrom=-1\nweights_type=per_channel\n");
  EXPECT_NE(e.find("test.cfg:7: layer 1 [shortcut]"), std::string::npos) << e;
  EXPECT_NE(e.find("per_channel"), std::string::npos) << e;
}

TEST(DarknetCfg, MalformedFilesAreErrorsWithTheirLine) {
  EXPECT_NE(cfg_error("").find("no sections"), std::string::npos);
  EXPECT_NE(cfg_error("# only a comment\n").find("no sections"), std::string::npos);
  EXPECT_NE(cfg_error("width=8\n[net]\n").find("test.cfg:1: expected the [net] section"), std::string::npos);
  EXPECT_NE(cfg_error("[convolutional]\nfilters=2\n").find("test.cfg:1: the first section must be [net]"),
            std::string::npos);
  EXPECT_NE(cfg_error("[net]\nwidth=8\n[net]\n").find("test.cfg:3: layer 0: [net] may only be the first"),
            std::string::npos);
  EXPECT_NE(cfg_error("[net]\nwidth=8\n[convolutional\n").find("test.cfg:3: expected a section header"),
            std::string::npos);
  auto e = cfg_error("[net]\nwidth=8\n[convolutional]\nfilters 2\n");
  EXPECT_NE(e.find("test.cfg:4: layer 0 [convolutional]: expected key=value"), std::string::npos) << e;
  e = cfg_error("[net]\nwidth=8\n[convolutional]\nsize=3\nfilters=2\nsize=5\n");
  EXPECT_NE(e.find("test.cfg:6: layer 0 [convolutional]: option 'size' is given twice (first at line 4)"),
            std::string::npos)
      << e;
  e = cfg_error("[net]\nwidth=\n");
  EXPECT_NE(e.find("test.cfg:2: [net]: option 'width' has no value"), std::string::npos) << e;
}

TEST(DarknetCfg, TypedGettersNameTheLineLayerAndWhatWasExpected) {
  const auto cfg = parse_cfg_text(
      "[net]\nwidth=8\n[convolutional]\nfilters=2\nsize=3x\nstride=1.5\n[yolo]\nmask=0,a,2\nanchors=1,2,x\n");
  auto e = test::error_of([&] { cfg.layer(0).get_int("size", 1); });
  EXPECT_EQ(e, "test.cfg:5: layer 0 [convolutional]: option 'size': expected an integer, got '3x'");
  e = test::error_of([&] { cfg.layer(0).get_int("stride", 1); });
  EXPECT_EQ(e, "test.cfg:6: layer 0 [convolutional]: option 'stride': expected an integer, got '1.5'");
  e = test::error_of([&] { cfg.layer(1).get_ints("mask"); });
  EXPECT_EQ(e, "test.cfg:8: layer 1 [yolo]: option 'mask': expected comma-separated integers, got 'a' in '0,a,2'");
  e = test::error_of([&] { cfg.layer(1).get_floats("anchors"); });
  EXPECT_NE(e.find("test.cfg:9: layer 1 [yolo]: option 'anchors': expected comma-separated numbers"), std::string::npos)
      << e;
  e = test::error_of([&] { cfg.layer(1).require_int("classes"); });
  EXPECT_EQ(e, "test.cfg:7: layer 1 [yolo]: option 'classes' (an integer) is required");
  e = test::error_of([&] { cfg.net().get_float("width", 0); });
  EXPECT_EQ(e, "<no error>");
  EXPECT_EQ(test::error_of([&] { cfg.layer(1).get_floats("scale_x_y"); }),
            "test.cfg:7: layer 1 [yolo]: option 'scale_x_y' (a list of numbers) is required");
}

TEST(DarknetCfg, SetChangesOrAddsAnOption) {
  auto cfg = parse_cfg_text("[net]\nwidth=8\n[yolo]\nclasses=80\n");
  cfg.layer(0).set("classes", "1");
  cfg.layer(0).set("mask", "0");
  EXPECT_EQ(format_cfg(cfg), "[net]\nwidth=8\n\n[yolo]\nclasses=1\nmask=0\n");
}

}  // namespace

// Found by fuzz/fuzz_darknet.cpp: a NUL byte inside a value used to end the number silently (width=32<NUL>junk read
// as 32); the whole value must be the number.
TEST(DarknetCfg, ANulByteInsideANumberIsRefused) {
  const std::string text("[net]\nwidth=32\0junk\nheight=32\nchannels=3\n", 40);
  const auto cfg = parse_cfg(text, "nul.cfg");
  EXPECT_NE(test::error_of([&] { cfg.net().require_int("width"); }).find("width"), std::string::npos);
  EXPECT_EQ(cfg.net().require_int("height"), 32);
}

}  // namespace darknet_cfg_test
}  // namespace tint::detect
