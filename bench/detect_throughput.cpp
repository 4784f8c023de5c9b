// tint's side of the detection speed comparison (bench/detect_compare.py runs it alternately with
// bench/detect_reference.py, OpenCV's DNN on the same darknet files). Times, each call on its own clock after a
// warm-up, and prints the medians as one JSON line:
//   forward   the network alone on a prepared input (bus.jpg as tint makes it, repeated to the batch), as OpenCV's
//             net.forward of the yolo layers' inputs;
//   detect    the whole per-photo path of `tint detect` but drawing and writing: read and decode the file, resize,
//             forward, decode, NMS, boxes back onto the photo (Detector::detect); detect_scaled the same with the
//             JPEG decoded by DCT scaling at the smallest size keeping --size (data::read_image_reduced);
//   train     one fine-tuning step as `tint detect train` takes it (fine_tune.cpp): forward in train mode with the
//             first --freeze layers frozen and their batchnorm statistics fixed, the YOLO loss, backward, Adam step.
//             Images come from a labelled dataset (COCO128), decoded and resized once beforehand as fine_tune
//             caches them; augmentation is left out.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include <torch/torch.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "tint/core/error.h"
#include "tint/core/runtime.h"
#include "tint/data/detection_dataset.h"
#include "tint/data/detection_labels.h"
#include "tint/data/image_io.h"
#include "tint/data/reduced_image.h"
#include "tint/detect/darknet_model.h"
#include "tint/detect/darknet_weights.h"
#include "tint/detect/detector.h"
#include "tint/detect/fine_tune_config.h"
#include "tint/detect/network_input.h"
#include "tint/detect/postprocess.h"
#include "tint/detect/yolo_loss.h"

namespace {

using Clock = std::chrono::steady_clock;

// Milliseconds of each of `repeats` calls after `warmup` untimed ones; the median is what is reported (a shared
// machine's stalls land in the tail, not in the middle).
double median_ms(int warmup, int repeats, const std::function<void()>& call) {
  for (int i = 0; i < warmup; ++i) call();
  std::vector<double> ms;
  for (int i = 0; i < repeats; ++i) {
    const auto t0 = Clock::now();
    call();
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  const size_t n = ms.size();
  return n % 2 == 1 ? ms[n / 2] : 0.5 * (ms[n / 2 - 1] + ms[n / 2]);
}

struct TrainImage {
  torch::Tensor pixels;                        // (3, S, S) uint8, as fine_tune caches it
  std::vector<tint::data::LabelledBox> boxes;  // in network-input pixels
};

std::vector<TrainImage> cache_train_images(const std::string& dir, const std::vector<std::string>& names, int side,
                                           tint::detect::Resample resample) {
  const auto set = tint::data::read_detection_dataset(dir, names);
  if (set.images.empty()) throw tint::Error(dir + ": no training images");
  std::vector<TrainImage> images;
  for (const auto& image : set.images) {
    const auto in = tint::detect::network_input(tint::data::read_image(image.path), side, side,
                                                tint::detect::ResizeMode::stretch, resample);
    TrainImage t{tint::data::to_bytes(in.pixels), {}};
    for (auto b : image.objects) {
      b.box = {b.box.x1 * in.placement.scale_x, b.box.y1 * in.placement.scale_y, b.box.x2 * in.placement.scale_x,
               b.box.y2 * in.placement.scale_y};
      t.boxes.push_back(b);
    }
    images.push_back(std::move(t));
  }
  return images;
}

}  // namespace

int main(int argc, char** argv) {
  std::string cfg, weights, names, image_path, train_data, memory_format = "channels-last";
  std::vector<int> batch_sizes = {1, 16};
  int size = 320, threads = 0, warmup = 3, repeats = 20, train_batch = 16, train_steps = 8, freeze = 10;
  CLI::App app{"tint detection throughput: forward, the per-photo detect path, a fine-tuning step"};
  app.add_option("--cfg", cfg, "Darknet .cfg")->required();
  app.add_option("--weights", weights, "Darknet .weights")->required();
  app.add_option("--names", names, "Class names of the model (coco.names)")->required();
  app.add_option("--image", image_path, "The photo of the detect path (and the forward input)")->required();
  app.add_option("--train-data", train_data, "Labelled dataset for the training step (empty: no training)");
  app.add_option("--size", size, "Network input side")->capture_default_str();
  app.add_option("--threads", threads, "Intra-op threads (0: every core)")->capture_default_str();
  app.add_option("--batch-sizes", batch_sizes, "Forward batch sizes")->delimiter(',')->capture_default_str();
  app.add_option("--warmup", warmup, "Untimed calls before each measure")->capture_default_str();
  app.add_option("--repeats", repeats, "Timed calls of forward and detect")->check(CLI::PositiveNumber);
  app.add_option("--train-batch", train_batch, "Training batch size")->check(CLI::PositiveNumber);
  app.add_option("--train-steps", train_steps, "Timed training steps")->check(CLI::PositiveNumber);
  app.add_option("--freeze", freeze, "Layers frozen in training, as `tint detect train --freeze`");
  app.add_option("--memory-format", memory_format, "channels-last (tint's default) or contiguous")
      ->check(CLI::IsMember({"channels-last", "contiguous"}));
  std::string resample_name = tint::detect::to_string(tint::detect::DetectOptions{}.resample);
  app.add_option("--resample", resample_name, "darknet or antialias, as `tint detect --resample`")
      ->check(CLI::IsMember({"darknet", "antialias"}))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  try {
    tint::configure_threads(threads);
    tint::tune_allocator();  // as the tint binary does
    torch::manual_seed(0);
    const auto format =
        memory_format == "contiguous" ? torch::MemoryFormat::Contiguous : torch::MemoryFormat::ChannelsLast;
    const auto class_names = tint::data::read_names(names);

    auto model = tint::detect::build_darknet_model(cfg);
    tint::detect::load_weights(*model, weights);
    model->set_memory_format(format);
    const tint::detect::Detector detector(model, class_names);
    tint::detect::DetectOptions options;
    options.size = size;
    options.resample = resample_name == "darknet" ? tint::detect::Resample::darknet : tint::detect::Resample::antialias;
    nlohmann::json result{{"impl", "tint"},
                          {"cfg", cfg},
                          {"size", size},
                          {"threads", torch::get_num_threads()},
                          {"repeats", repeats},
                          {"memory_format", memory_format},
                          {"resample", resample_name}};

    // (a) The network alone: the same input tensor every call, as the reference's blob.
    const auto photo = tint::data::read_image(image_path);
    const auto input =
        tint::detect::network_input(photo, size, size, tint::detect::ResizeMode::stretch, options.resample).pixels;
    nlohmann::json forward = nlohmann::json::object();
    {
      torch::NoGradGuard no_grad;  // as Detector::detect
      model->eval();
      for (int batch : batch_sizes) {
        const auto x = input.unsqueeze(0).expand({batch, -1, -1, -1}).contiguous();
        forward[std::to_string(batch)] = median_ms(warmup, repeats, [&] { model->forward(x); });
      }
    }
    result["forward_ms"] = forward;

    // (b) `tint detect` on one photo, from the file's bytes to boxes on the photo.
    size_t found = 0;
    result["detect_ms"] = median_ms(
        warmup, repeats, [&] { found = detector.detect(tint::data::read_image(image_path), options).size(); });
    result["detections"] = found;
    // The same with the JPEG decoded by DCT scaling at the smallest size that keeps the input size
    // (data::read_image_reduced), the boxes mapped onto the full photo.
    size_t found_scaled = 0;
    result["detect_scaled_ms"] = median_ms(warmup, repeats, [&] {
      found_scaled = detector.detect(tint::data::read_image_reduced(image_path, size, size), options).size();
    });
    result["detections_scaled"] = found_scaled;
    result["decode_scaled_ms"] =
        median_ms(warmup, repeats, [&] { tint::data::read_image_reduced(image_path, size, size); });
    // Where that time goes: its stages one by one (the forward is forward_ms at batch 1).
    result["decode_ms"] = median_ms(warmup, repeats, [&] { tint::data::read_image(image_path); });
    result["resize_ms"] = median_ms(warmup, repeats, [&] {
      tint::detect::network_input(photo, size, size, tint::detect::ResizeMode::stretch, options.resample);
    });
    {
      torch::NoGradGuard no_grad;
      const auto raw = model->forward(input.unsqueeze(0));
      result["postprocess_ms"] =
          median_ms(warmup, repeats, [&] { tint::detect::postprocess(raw, model->heads(), size, size, options.post); });
    }

    // (c) A fine-tuning step, as fine_tune.cpp runs one.
    if (!train_data.empty()) {
      const auto images = cache_train_images(train_data, class_names, size, options.resample);
      auto trainee = tint::detect::build_darknet_model(cfg);
      tint::detect::load_weights(*trainee, weights);
      trainee->set_memory_format(format);
      tint::detect::freeze_layers(*trainee, freeze);
      trainee->train();
      for (int i = 0; i < std::min(freeze, trainee->num_layers()); ++i)
        if (auto conv = trainee->conv(i)) conv->eval();
      std::vector<torch::Tensor> trainable;
      for (auto& p : trainee->parameters())
        if (p.requires_grad()) trainable.push_back(p);
      const tint::detect::FineTuneConfig defaults;  // `tint detect train`'s optimizer settings
      torch::optim::Adam adam(trainable,
                              torch::optim::AdamOptions(defaults.learning_rate).weight_decay(defaults.weight_decay));
      int64_t next = 0;
      double loss_sum = 0;
      auto step = [&] {
        std::vector<torch::Tensor> pixels;
        std::vector<std::vector<tint::data::LabelledBox>> targets;
        for (int k = 0; k < train_batch; ++k, ++next) {
          const auto& t = images[size_t(next % int64_t(images.size()))];
          pixels.push_back(t.pixels.to(torch::kFloat).div(255));
          targets.push_back(t.boxes);
        }
        adam.zero_grad();
        const auto raw = trainee->forward(torch::stack(pixels));
        const auto loss = tint::detect::compute_yolo_loss(raw, trainee->heads(), targets, size, size);
        const double value = loss.total.item<double>();
        if (!std::isfinite(value)) throw tint::Error("the training loss became " + std::to_string(value));
        loss_sum += value;
        loss.total.backward();
        adam.step();
      };
      const double step_ms = median_ms(std::min(warmup, 2), train_steps, step);
      result["train_step_ms"] = step_ms;
      result["train_images_per_s"] = 1000.0 * train_batch / step_ms;
      result["train_batch"] = train_batch;
      result["freeze"] = freeze;
      result["train_mean_loss"] = loss_sum / double(next / train_batch);
    }
    std::printf("%s\n", result.dump().c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tint_detect_throughput: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
