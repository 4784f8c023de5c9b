#include <optional>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "colourizer_flags.h"
#include "commands.h"
#include "decoding_flags.h"
#include "settings_flags.h"
#include "tint/colourize/photo_evaluation.h"
#include "tint/colourize/video_evaluation.h"
#include "tint/core/error.h"
#include "tint/data/image_io.h"
#include "tint/distributed/group.h"
#include "tint/report/progress.h"
#include "tint/runs/run_kind.h"
#include "tint/train/console_observer.h"
#include "tint/train/evaluation.h"
#include "tint/train/photo_set.h"
#include "tint/video/video_reader.h"

namespace tint::cli {

void add_train(CLI::App& app, SharedFlags& shared) {
  struct Flags {
    train::TrainConfig config;
    std::string out;
    std::string resume;
    bool force = false;
    int nproc = 0;
  };
  auto f = std::make_shared<Flags>();
  auto* cmd =
      app.add_subcommand("train", "Train a colourization network (defaults: the source's ConvTransposeNet run)");
  add_settings(*cmd, train::train_settings(), f->config);
  add_data_flag(*cmd, shared);
  add_threads_flag(*cmd, shared);
  cmd->add_option("-o,--out", f->out, "Run directory (default: runs/<model>)");
  cmd->add_option("--resume", f->resume, "Continue the run in this directory (its config wins; --epochs extends it)");
  cmd->add_flag("--force", f->force, "Start afresh even if --out already holds a run");
  add_nproc_flag(*cmd, f->nproc);
  cmd->callback([f, cmd, &shared] {
    // Flags the chosen --target cannot use (the rows say which: --num-colours, --decode, ...), before any worker
    // starts; a resumed run's config.json decides its target.
    if (f->resume.empty()) check_given_settings(*cmd, train::train_settings(), f->config);
    run_data_parallel(shared, f->nproc, [&](distributed::Group* group) {
      train::TrainJob job;
      job.group = group;
      job.config = f->config;
      job.data_dir = resolve_data_dir(shared);
      set_run_directory(job, *cmd, f->resume, f->out.empty() ? "runs/" + f->config.model : f->out, f->config.epochs,
                        f->force);
      train::ConsoleObserver observer;
      auto result = train::train(job, &observer);
      if (group != nullptr && group->rank() != 0) return;
      const auto& last = result.history.back();
      fmt::print("final: val loss {:.4f}, val acc {:.2f}% after {} epochs; run saved in {}\n", last.val_loss,
                 last.val_acc, last.epoch, result.run_dir.string());
      if (last.colour) {
        fmt::print(
            "final colour: AuC {:.2f}%, rebalanced AuC {:.2f}%, PSNR {:.2f} dB, colourfulness {:.2f} (ground truth "
            "{:.2f})\n",
            last.colour->auc, last.colour->auc_rebalanced, last.colour->psnr, last.colour->colourfulness,
            last.colour->truth_colourfulness);
      }
    });
  });
}

void add_evaluate(CLI::App& app, SharedFlags& shared) {
  struct Flags {
    colourize::ColourizerChoice model;
    colourize::ColourizeOptions colourize;  // --size and the upsampling are bound (photos, videos)
    std::string category, images, sheet, video;
    colourize::TemporalOptions temporal;
    int64_t limit = -1;
    bool json = false;
    train::TrainConfig decoding;  // only --decode and --temperature are bound
  };
  auto f = std::make_shared<Flags>();
  auto* cmd =
      app.add_subcommand("evaluate",
                         "Validation loss, accuracy and colour scores (AuC, PSNR, colourfulness) of a saved run "
                         "on CIFAR-10, or of any colourizer on your colour photos (--images) or a colour video "
                         "(--video: accuracy and flicker, frame by frame and smoothed)");
  add_colourizer_flags(*cmd, f->model,
                       "Run directory holding checkpoint.pt (on CIFAR-10 its category, limit and decoding are the "
                       "defaults; a run trained on photos is scored on the photos it held out)");
  cmd->add_option("--images", f->images,
                  "Score on the colour photos of this folder instead: each made grey, colourized as `tint colourize` "
                  "writes it, compared with its own colours (with --run, --checkpoint or --pretrained)");
  auto* video =
      cmd->add_option("--video", f->video,
                      "Score on this colour video instead: each frame made grey, colourized frame by frame and "
                      "smoothed (--temporal) as `tint colourize` writes it; AuC, PSNR, colourfulness, flicker")
          ->excludes(cmd->get_option("--images"));
  for (auto* option : add_settings(*cmd, colourize::temporal_settings(), f->temporal)) option->needs(video);
  cmd->add_option("--category", f->category,
                  "Evaluate on this CIFAR-10 category's test images (name, index or all; default: the run's own)");
  cmd->add_option("--limit", f->limit,
                  "Evaluate on the first N test images, photos or frames (0 = all; default: the run's --val-limit, all "
                  "photos and frames)")
      ->check(CLI::NonNegativeNumber);
  // --size applies to photos and videos alike (CLI11's needs() would ask for both).
  add_settings(*cmd, colourize::colourize_settings(), f->colourize, {"raw", "side-by-side"});
  cmd->add_option("--sheet", f->sheet,
                  "With --images, or --run of a photo run: also write a sample sheet (truth | grey | colourized) here");
  add_decoding_flags(*cmd, f->decoding);
  cmd->add_flag("--json", f->json, "Print one JSON object instead of text");
  add_data_flag(*cmd, shared);
  add_threads_flag(*cmd, shared);
  cmd->callback([f, cmd, &shared] {
    apply_threads(shared);
    const auto decoding = decoding_flags(*cmd, f->decoding);
    // A run trained on photos (`tint train --images`) is scored on the photos it held out, not on CIFAR-10.
    std::optional<train::TrainConfig> photo_run;
    // (A folder without config.json is left to the checks below, which name what is wrong with it.)
    if (f->images.empty() && f->video.empty() && !f->model.run.empty() &&
        std::filesystem::is_regular_file(std::filesystem::path(f->model.run) / "config.json")) {
      auto config = train::config_from_json(runs::read_config(f->model.run, runs::RunKind::colourization),
                                            (std::filesystem::path(f->model.run) / "config.json").string());
      if (!config.images_dir.empty()) photo_run = std::move(config);
    }
    for (const char* flag : {"--size", "--upsample", "--guide-radius", "--guide-eps", "--sheet"}) {
      if (f->images.empty() && f->video.empty() && !photo_run && cmd->count(flag) > 0) {
        throw Error(fmt::format("{}: colourizing photos and videos: give --images DIR or --video FILE", flag));
      }
    }
    if (!f->video.empty()) {
      if (cmd->count("--category") > 0) throw Error("--category: CIFAR-10's; --video scores the frames of a video");
      video::VideoReader reader(f->video);
      const auto colourizer = chosen_colourizer(f->model, decoding);
      colourize::VideoEvaluationOptions options;
      options.colourize = f->colourize;
      options.colourize.working_side = working_side(*cmd, colourizer, f->colourize.working_side);
      options.colourize.decoding = decoding;
      options.temporal = f->temporal;
      const int64_t limit = f->limit > 0 ? f->limit : 0;
      const int64_t declared = reader.info().frame_count;  // 0 when the container does not say
      const int64_t total = limit > 0 && declared > 0 ? std::min(limit, declared) : std::max(limit, declared);
      report::ProgressBar bar;
      options.progress = [&](int64_t done) { bar.update("scoring frames", done, total, "frames"); };
      int64_t read = 0;
      const auto evaluation = colourize::evaluate_video(
          colourizer,
          [&]() -> std::optional<torch::Tensor> {
            if (limit > 0 && read == limit) return std::nullopt;
            auto frame = reader.next();
            if (!frame) return std::nullopt;
            ++read;
            return frame->image;
          },
          options);
      bar.clear();
      if (f->json) {
        auto j = colourize::video_evaluation_to_json(evaluation);
        j["video"] = f->video;
        j["model"] = colourizer.model_name();
        j["temporal"] = f->temporal.strength;
        fmt::print("{}\n", j.dump(2));
      } else {
        fmt::print("{}: {}", f->video, colourize::format_video_evaluation(evaluation));
      }
      return;
    }
    // Photos: those of --images DIR, or the photos a photo run (`tint train --images`) held out for validation.
    const auto score_photos = [&](std::vector<std::filesystem::path> files, nlohmann::json where) {
      if (f->limit > 0 && size_t(f->limit) < files.size()) files.resize(size_t(f->limit));
      const auto colourizer = chosen_colourizer(f->model, decoding);
      colourize::PhotoEvaluationOptions options;
      options.colourize = f->colourize;
      options.colourize.working_side = working_side(*cmd, colourizer, f->colourize.working_side);
      options.colourize.decoding = decoding;
      report::ProgressBar bar;
      options.progress = [&bar](int64_t done, int64_t total) { bar.update("scoring photos", done, total); };
      const auto evaluation = colourize::evaluate_photos(colourizer, files, options);
      bar.clear();
      if (!f->sheet.empty()) {
        data::write_image(f->sheet, colourize::photo_sheet(colourizer, files, options));
      }
      if (f->json) {
        auto j = colourize::photo_evaluation_to_json(evaluation);
        j.update(where);
        j["model"] = colourizer.model_name();
        fmt::print("{}\n", j.dump(2));
      } else {
        fmt::print("{}", colourize::format_photo_evaluation(evaluation));
        if (!f->sheet.empty()) fmt::print("wrote {}\n", f->sheet);
      }
    };
    if (!f->images.empty()) {
      if (cmd->count("--category") > 0) throw Error("--category: CIFAR-10's; --images scores the photos of a folder");
      if (!std::filesystem::is_directory(f->images)) throw Error(fmt::format("--images {}: not a folder", f->images));
      auto files = expand_inputs({f->images});
      if (files.empty()) throw Error(fmt::format("--images {}: no JPEG, PNG or WebP photos there", f->images));
      score_photos(std::move(files), {{"images", f->images}});
      return;
    }
    if (photo_run) {
      if (cmd->count("--category") > 0)
        throw Error("--category: CIFAR-10's; --run " + f->model.run + " trained on photos");
      const auto& config = *photo_run;
      if (!std::filesystem::is_directory(config.images_dir)) {
        throw Error(fmt::format("--run {}: its photos ({}, config.json's images) are not a folder here", f->model.run,
                                config.images_dir.string()));
      }
      const auto set = train::read_photo_set(config.images_dir, config.val_fraction);
      if (!f->json) {
        fmt::print(
            "{} held-out photos of {} (1 in {:g} of its colour photos, in name order; the run trained on the other "
            "{})\n",
            set.val_files.size(), config.images_dir.string(), 1.0 / config.val_fraction, set.train_files.size());
      }
      score_photos(set.val_files, {{"run", f->model.run}, {"images", config.images_dir.string()}, {"held_out", true}});
      return;
    }
    if (f->model.run.empty()) {
      throw Error(
          "--run DIR: evaluating on CIFAR-10 reads a run's settings (or score any colourizer on photos with "
          "--images DIR, on a video with --video FILE)");
    }
    train::EvaluateRunOptions options;
    options.category = f->category;
    options.decoding = decoding;
    if (f->limit >= 0) options.limit = f->limit;
    auto r = train::evaluate_run(f->model.run, resolve_data_dir(shared), options);
    if (f->json) {
      auto j = train::evaluation_to_json(r);
      j["run"] = f->model.run;
      fmt::print("{}\n", j.dump(2));
    } else {
      fmt::print("{}", train::format_evaluation(r));
    }
  });
}

}  // namespace tint::cli
