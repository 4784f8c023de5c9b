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

// Colourization training (train, sweep, compare): 100 training and 50 validation images, a tenth of the epochs, a
// palette of 20 k-means iterations.
void small_colour_training(Words& w) {
  tenth_of_the_epochs(w);
  if (has(w, "--resume")) return;  // the run's config holds its settings
  set_flag(w, "--train-limit", "100");
  set_flag(w, "--val-limit", "50");
  if (!has(w, "--palette")) set_flag(w, "--kmeans-iterations", "20");
}

const char* const kSmallTraining =
    "--train-limit 100 --val-limit 50 --kmeans-iterations 20 (not on --resume: the run keeps its own); --epochs E "
    "becomes ceil(E/10), 1 when not given";
const char* const kSmallTrainingWhy =
    "25 epochs of 5,000 images take a minute or more; fitting the palette to convergence over 5 million pixels "
    "takes most of a small run";

}  // namespace

std::string needs_name(Needs needs) {
  switch (needs) {
    case Needs::nothing: return "AsWritten";
    case Needs::detection_data: return "DetectionData";
    case Needs::python_torch: return "PythonTorch";
    case Needs::opencv_and_detection_data: return "OpenCvAndDetectionData";
  }
  return "?";
}

const std::vector<Rule>& command_rules() {
  static const std::vector<Rule> rules = {
      // Cheap commands: as written.
      {"tint palette", true, Needs::nothing, "", "k-means over the horses: about 3 s", nullptr},
      {"tint evaluate", true, Needs::nothing, "", "one pass over the validation images", nullptr},
      {"tint colourize", true, Needs::nothing, "", "photos are the test's fixtures (photo.jpg, holiday/, ...)", nullptr},
      {"tint detect", true, Needs::nothing, "",
       "the embedded Yolo-Fastest 1.1 on the test's photos; with --run, the run `tint detect train` made from the "
       "detection data",
       nullptr, [](const Words& w) { return has(w, "--run") ? Needs::detection_data : Needs::nothing; }},
      {"tint report", true, Needs::nothing, "", "reads runs an earlier command of the page made", nullptr},
      {"tint summary", true, Needs::nothing, "", "analysis: milliseconds", nullptr},
      {"tint conv", true, Needs::nothing, "", "analysis: milliseconds", nullptr},
      {"tint padding", true, Needs::nothing, "", "analysis: milliseconds", nullptr},
      {"tint optim", true, Needs::nothing, "", "each experiment takes about a second", nullptr},
      {"tint detect evaluate", true, Needs::detection_data, "", "COCO128 (128 images) from $TINT_DETECTION_DIR",
       nullptr},
      // Trainings: their own flags, on less data and fewer epochs.
      {"tint train", true, Needs::nothing, std::string(kSmallTraining) + "; --force unless --resume",
       std::string(kSmallTrainingWhy) + "; --force because a page shows alternative runs into the same folder "
       "(runs/conv-transpose), which a second run refuses by design",
       [](Words& w, const Places&) {
         small_colour_training(w);
         if (!has(w, "--resume")) add_switch(w, "--force");
       }},
      {"tint sweep", true, Needs::nothing, std::string(kSmallTraining) + "; --values as written",
       std::string(kSmallTrainingWhy) + ", once per value", [](Words& w, const Places&) { small_colour_training(w); }},
      {"tint compare", true, Needs::nothing, kSmallTraining, std::string(kSmallTrainingWhy) + ", once per network",
       [](Words& w, const Places&) { small_colour_training(w); }},
      {"tint detect train", true, Needs::detection_data,
       "--epochs 1 (--force unless --resume); its data folders are the test's 16-image fixtures",
       "an epoch of a detector over the 200 raccoon photos takes about half a minute on 2 cores",
       [](Words& w, const Places&) {
         set_flag(w, "--epochs", "1");
         if (!has(w, "--resume")) add_switch(w, "--force");
       }},
      // The quick start's launcher: runs the source tree's script against this build.
      {"scripts/tint", true, Needs::nothing, "TINT_BUILD_DIR is this build; its `tint` arguments as for tint",
       "the script installs what is missing (nothing, where the tests were built) and rebuilds what is stale",
       [](Words& w, const Places& places) {
         Words tint = w;
         tint[0] = "tint";
         if (const Rule* r = rule_for(tint); r != nullptr && r->adapt) r->adapt(tint, places);
         tint[0] = w[0];
         w = tint;
       }},
      // Benchmarks: one short round.
      {"bench/compare.py", true, Needs::python_torch, "--rounds 1 --batches 2 --build BUILD",
       "a benchmark; 5 rounds of 20 batches per model take minutes; needs the README's python3-torch",
       [](Words& w, const Places& p) {
         set_flag(w, "--rounds", "1");
         set_flag(w, "--batches", "2");
         set_flag(w, "--build", p.build.string());
       }},
      {"bench/detect_compare.py", true, Needs::opencv_and_detection_data,
       "--rounds 1 --repeats 2 --warmup 1 --train-steps 1 --threads 1 --data DETECTION --build BUILD, its json and "
       "csv in the test's folder",
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
      // Recognised, not run.
      {"scripts/test", false, Needs::nothing, "",
       "runs the whole suite, this test included; CI runs it (.ci/run)", nullptr},
      {"scripts/fuzz.sh", false, Needs::nothing, "",
       "builds a second, clang-instrumented tree (minutes) and fuzzes; scripts/test runs `scripts/fuzz.sh 30` after "
       "CTest, so CI runs it",
       nullptr},
      {"build-fuzz/fuzz/", false, Needs::nothing, "", "a harness that scripts/fuzz.sh builds (above)", nullptr},
      {"scripts/sanitize.sh", false, Needs::nothing, "",
       "an AddressSanitizer build of everything and the whole suite under it (15-20 min to build alone)", nullptr},
      {"apt-get", false, Needs::nothing, "", "installs packages: a test does not change the machine", nullptr},
  };
  return rules;
}

Needs Rule::needs_of(const Words& command) const { return needs_with ? needs_with(command) : needs; }

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
