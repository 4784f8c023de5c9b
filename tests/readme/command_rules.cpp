#include "readme/command_rules.h"

#include <algorithm>
#include <cmath>
#include <optional>

namespace tint::test {
namespace {

std::optional<size_t> flag_at(const Words& w, const std::string& flag) {
  const auto it = std::find(w.begin(), w.end(), flag);
  if (it == w.end()) return std::nullopt;
  return static_cast<size_t>(it - w.begin());
}

bool has(const Words& w, const std::string& flag) { return flag_at(w, flag).has_value(); }

// Replaces the value of `flag`, or appends the flag with it.
void set_flag(Words& w, const std::string& flag, const std::string& value) {
  const auto at = flag_at(w, flag);
  if (at && *at + 1 < w.size()) {
    w[*at + 1] = value;
  } else {
    w.push_back(flag);
    w.push_back(value);
  }
}

// Lowers the value of `flag` to `most`, or appends the flag with it; a smaller value stays.
void cap_flag(Words& w, const std::string& flag, int most) {
  const auto at = flag_at(w, flag);
  if (!at || *at + 1 >= w.size() || std::stoi(w[*at + 1]) > most) set_flag(w, flag, std::to_string(most));
}

void add_switch(Words& w, const std::string& flag) {
  if (!has(w, flag)) w.push_back(flag);
}

// A tenth of the epochs, rounded up (a resume's target stays beyond the epochs it continues from); 1 when not given.
void tenth_of_the_epochs(Words& w) {
  const auto at = flag_at(w, "--epochs");
  if (at && *at + 1 < w.size()) {
    w[*at + 1] = std::to_string(static_cast<int>(std::ceil(std::stoi(w[*at + 1]) / 10.0)));
  } else if (!has(w, "--resume")) {
    set_flag(w, "--epochs", "1");
  }
}

// A LibTorch process of 2 threads stalls whenever another process holds one of the 2 cores (docs/performance.md, "On
// a busy machine"), and CTest runs tests side by side: COCO128's evaluation took 50 s with 2 threads against 3 s with
// one.
void one_thread(Words& w) {
  if (!has(w, "--threads")) set_flag(w, "--threads", "1");
}

const char* const kOneThread = "--threads 1";
const char* const kOneThreadWhy =
    "tests run side by side on 2 cores, where a 2-thread LibTorch process stalls whenever another holds a core";

// Colourization training (train, sweep, compare): 100 training and 50 validation images, a tenth of the epochs, a
// palette of 20 k-means iterations, one thread.
void small_colour_training(Words& w) {
  tenth_of_the_epochs(w);
  one_thread(w);
  if (has(w, "--resume")) return;  // the run's config holds its settings
  cap_flag(w, "--train-limit", 100);
  cap_flag(w, "--val-limit", 50);
  if (!has(w, "--palette")) set_flag(w, "--kmeans-iterations", "20");
}

Rule as_written(const std::string& words, const std::string& why) { return {words, true, Needs::nothing, "", why}; }

// As written but on one thread.
Rule one_thread_rule(const std::string& words, Needs needs, const std::string& why) {
  return {words, true, needs, kOneThread, why + "; " + kOneThreadWhy, [](Words& w, const Places&) { one_thread(w); }};
}

Rule not_run(const std::string& words, const std::string& why) { return {words, false, Needs::nothing, "", why}; }

const char* const kSmallTraining =
    "--train-limit and --val-limit at most 100 and 50, --kmeans-iterations 20 (not on --resume: the run keeps its "
    "own); --epochs E becomes ceil(E/10), 1 when not given; --threads 1";
const char* const kSmallTrainingWhy =
    "25 epochs of 5,000 images take a minute or more, and fitting the palette to convergence over 5 million pixels "
    "most of a small run's time; one thread as above";

}  // namespace

std::string needs_name(Needs needs) {
  switch (needs) {
    case Needs::nothing:
      return "AsWritten";
    case Needs::detection_data:
      return "DetectionData";
    case Needs::python_torch:
      return "PythonTorch";
    case Needs::opencv_and_detection_data:
      return "OpenCvAndDetectionData";
  }
  return "?";
}

Needs Rule::needs_of(const Words& command) const { return needs_with ? needs_with(command) : needs; }

const std::vector<Rule>& command_rules() {
  static const std::vector<Rule> rules = [] {
    std::vector<Rule> r = {
        // Cheap: as written (on one thread where the command computes with LibTorch).
        as_written("tint summary", "analysis: under a second"),
        as_written("tint conv", "analysis: under a second"),
        as_written("tint padding", "analysis: under a second"),
        as_written("tint report", "reads runs an earlier command of the page made"),
        as_written("tint export", "one shipped model to one file: about a second"),
        one_thread_rule("tint palette", Needs::nothing, "k-means over the horses: a few seconds"),
        {"tint evaluate", true, Needs::nothing,
         std::string(kOneThread) + "; --images becomes the repository's three Kodak photos (tests/data/photos)",
         std::string("one pass over the validation images or the photos; the pages' photo folders "
                     "(../shared/data/photos/...) are data outside the repository, of which tests/data/photos holds "
                     "three; ") +
             kOneThreadWhy,
         [](Words& w, const Places& p) {
           one_thread(w);
           if (has(w, "--images")) set_flag(w, "--images", (p.source / "tests" / "data" / "photos").string());
         },
         // A --video other than the test's own clip.mp4 is one the page made with ffmpeg from the sample photos.
         [](const Words& w) {
           const auto at = flag_at(w, "--video");
           return at && *at + 1 < w.size() && w[*at + 1] != "clip.mp4" ? Needs::detection_data : Needs::nothing;
         }},
        one_thread_rule("tint colourize", Needs::nothing,
                        "the photos are the test's fixtures (photo.jpg, holiday/...)"),
        one_thread_rule("tint detect", Needs::nothing,
                        "the embedded Yolo-Fastest 1.1 on the test's photos; with --run, a run that `tint detect "
                        "train` made from the detection data"),
        one_thread_rule("tint optim", Needs::nothing, "about a second each (one thread is their default)"),
        one_thread_rule("tint detect evaluate", Needs::detection_data, "COCO128 (128 images) from $TINT_DETECTION_DIR"),
        {"tint detect anchors", true, Needs::detection_data, "",
         "k-means over COCO128's 929 boxes (or the raccoon fixture's): under a second; no LibTorch work to thread"},
        {"tint detect convert", true, Needs::detection_data, "",
         "hard-links the 16-image fixtures and writes their labels: under a second"},
        // Trainings: their own flags, on less data and fewer epochs.
        {"tint train", true, Needs::nothing,
         std::string(kSmallTraining) +
             "; --force unless --resume; --images becomes the repository's three Kodak photos (tests/data/photos) "
             "with --val-fraction 0.5",
         std::string(kSmallTrainingWhy) + "; --force because a page shows alternative runs into one folder "
                                          "(runs/conv-transpose), which a second run refuses by design; the pages' "
                                          "photo folders are data outside the repository",
         [](Words& w, const Places& p) {
           small_colour_training(w);
           if (!has(w, "--resume")) add_switch(w, "--force");
           if (has(w, "--images")) {
             set_flag(w, "--images", (p.source / "tests" / "data" / "photos").string());
             set_flag(w, "--val-fraction", "0.5");  // one of the three photos held out
           }
         }},
        {"tint sweep", true, Needs::nothing, std::string(kSmallTraining) + "; --values as written",
         std::string(kSmallTrainingWhy) + "; once per value",
         [](Words& w, const Places&) { small_colour_training(w); }},
        {"tint compare", true, Needs::nothing, kSmallTraining, std::string(kSmallTrainingWhy) + "; once per network",
         [](Words& w, const Places&) { small_colour_training(w); }},
        {"tint detect train", true, Needs::detection_data,
         "--epochs 1, --threads 1, --force unless --resume; its data folders are the test's 16-image fixtures",
         std::string("an epoch over the 200 raccoon photos takes about half a minute on 2 cores; ") + kOneThreadWhy,
         [](Words& w, const Places&) {
           set_flag(w, "--epochs", "1");
           one_thread(w);
           if (!has(w, "--resume")) add_switch(w, "--force");
         }},
        // The quick start's launcher, run from the source tree against this build.
        {"scripts/tint", true, Needs::nothing, "TINT_BUILD_DIR is this build; its tint arguments adapted as tint's",
         "the script installs what is missing (nothing, where the tests were built) and rebuilds what is stale",
         [](Words& w, const Places& places) {
           Words tint = w;
           tint[0] = "tint";
           if (const Rule* rule = rule_for(tint); rule != nullptr && rule->adapt) rule->adapt(tint, places);
           tint[0] = w[0];
           w = tint;
         }},
        // Test clips for the video pages, from the sample photos.
        {"ffmpeg", true, Needs::detection_data, "../shared/data/detection becomes $TINT_DETECTION_DIR",
         "a few seconds of 320x240 video from the sample photos (bus.jpg, Cats_and_dog.jpg), which live in the "
         "detection data outside the repository",
         [](Words& w, const Places& p) {
           const std::string from = "../shared/data/detection";
           for (auto& word : w) {
             if (word.rfind(from, 0) == 0) word = p.detection.string() + word.substr(from.size());
           }
         }},
        // Benchmarks: one short round.
        {"bench/compare.py", true, Needs::python_torch, "--rounds 1 --batches 2 --build BUILD",
         "a benchmark: 5 rounds of 20 batches per model take minutes; needs the README's python3-torch",
         [](Words& w, const Places& p) {
           set_flag(w, "--rounds", "1");
           set_flag(w, "--batches", "2");
           set_flag(w, "--build", p.build.string());
         }},
        {"bench/detect_compare.py", true, Needs::opencv_and_detection_data,
         "--rounds 1 --repeats 2 --warmup 1 --train-steps 1 --threads 1 --data DETECTION --build BUILD, its json "
         "and csv in the test's folder",
         "a benchmark of minutes; needs python3-opencv and the detection data (1.1-xl, bus.jpg, COCO128)",
         [](Words& w, const Places& p) {
           set_flag(w, "--rounds", "1");
           set_flag(w, "--repeats", "2");
           set_flag(w, "--warmup", "1");
           set_flag(w, "--train-steps", "1");
           set_flag(w, "--threads", "1");
           set_flag(w, "--data", p.detection.string());
           set_flag(w, "--build", p.build.string());
           set_flag(w, "--json", (p.work / "detect_compare.json").string());
           set_flag(w, "--csv", (p.work / "detect_compare.csv").string());
         }},
        {"bench/video_compare.py", true, Needs::opencv_and_detection_data,
         "--seconds 1 --rounds 1 --sizes 1280x720 --threads 1 --data DETECTION --build BUILD, its json in the "
         "test's folder",
         "a benchmark of tens of minutes (clips of seconds at 720p and 1080p, x264 at preset medium, in turns); "
         "needs python3-opencv, FFmpeg's CLI and the detection data (bus.jpg)",
         [](Words& w, const Places& p) {
           set_flag(w, "--seconds", "1");
           set_flag(w, "--rounds", "1");
           set_flag(w, "--sizes", "1280x720");
           set_flag(w, "--threads", "1");
           set_flag(w, "--data", p.detection.string());
           set_flag(w, "--build", p.build.string());
           if (has(w, "--json")) set_flag(w, "--json", (p.work / "video_compare.json").string());
         }},
        {"bench/detect_map.py", true, Needs::opencv_and_detection_data,
         "--limit 8 --conf 0.25 --resample darknet --data DETECTION/coco128 --build BUILD",
         "tint detect and OpenCV over COCO128 at each floor and resampling take minutes; needs python3-opencv and "
         "the detection data",
         [](Words& w, const Places& p) {
           set_flag(w, "--limit", "8");
           set_flag(w, "--conf", "0.25");
           set_flag(w, "--resample", "darknet");
           set_flag(w, "--data", (p.detection / "coco128").string());
           set_flag(w, "--build", p.build.string());
         }},
        // Recognised, not run.
        not_run("scripts/test", "runs the whole suite, this test included; CI runs it (.ci/run)"),
        not_run("scripts/fuzz.sh",
                "builds a second, clang-instrumented tree (minutes) and fuzzes; scripts/test runs `scripts/fuzz.sh 30` "
                "after CTest, so CI runs it"),
        not_run("build-fuzz/fuzz/", "a harness that scripts/fuzz.sh builds (above)"),
        not_run("scripts/sanitize.sh",
                "an AddressSanitizer build of everything and the whole suite under it (15-20 min to build alone)"),
        not_run("apt-get", "installs packages: a test does not change the machine"),
    };
    // `tint detect --run DIR` reads what `tint detect train` made from the detection data.
    for (auto& rule : r)
      if (rule.words == "tint detect")
        rule.needs_with = [](const Words& w) { return has(w, "--run") ? Needs::detection_data : Needs::nothing; };
    return r;
  }();
  return rules;
}

const Rule* rule_for(const Words& command) {
  const Rule* best = nullptr;
  size_t best_words = 0;
  for (const auto& rule : command_rules()) {
    // A rule's words match whole words, except a trailing '/' (a folder of programs), which matches a prefix.
    Words want;
    for (size_t b = 0, e; b < rule.words.size(); b = e + 1) {
      e = rule.words.find(' ', b);
      if (e == std::string::npos) e = rule.words.size();
      want.push_back(rule.words.substr(b, e - b));
    }
    if (want.size() > command.size()) continue;
    bool match = true;
    for (size_t i = 0; i < want.size() && match; ++i) {
      const bool folder = want[i].back() == '/';
      match = folder ? command[i].rfind(want[i], 0) == 0 : command[i] == want[i];
    }
    if (match && want.size() > best_words) {
      best = &rule;
      best_words = want.size();
    }
  }
  return best;
}

}  // namespace tint::test
