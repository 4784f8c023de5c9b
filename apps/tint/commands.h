// The subcommands of `tint`. Each add_* function declares one subcommand's flags and the callback that turns them
// into a library call; nothing here computes results.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace tint::distributed {
class Group;
}

namespace tint::cli {

// The values of the flags several subcommands share (--threads, --data), and the command line itself: one instance
// for the process, bound by each subcommand that offers them (add_threads_flag, add_data_flag).
struct SharedFlags {
  int threads = 0;                     // 0 = number of cores
  std::string data;                    // CIFAR-10 directory; empty = $TINT_DATA, then the embedded horses
  std::vector<std::string> arguments;  // argv[1..], for `--nproc` to start workers with the same command
};

// Ends `tint` with this exit status, its messages already printed (a data-parallel launcher passes its workers' on).
struct ExitStatus {
  int code;
};

// --nproc N: run the command as N data-parallel workers on this machine (`help` says what each worker does).
void add_nproc_flag(CLI::App& cmd, int& nproc, const std::string& help = "");
// The help of --nproc for commands that share files out (colourize, detect).
extern const char* const kFilesNprocHelp;
// Runs `job` once: as N local workers (--nproc N > 1: this process launches and waits for them), as one worker of
// the job the torchrun environment describes (RANK, WORLD_SIZE, ...; `job` gets its group), or alone (nullptr).
// Threads per worker default to the cores / workers on this machine.
void run_data_parallel(SharedFlags& shared, int nproc, const std::function<void(distributed::Group*)>& job);

// Where a training job (train::TrainJob, detect::FineTuneJob) runs: `--resume DIR` continues DIR (to --epochs when
// given), else a fresh run in `out`; `--force` allows it over an earlier run.
template <class Job>
void set_run_directory(Job& job, const CLI::App& cmd, const std::string& resume, const std::string& out, int epochs,
                       bool force) {
  job.overwrite = force;
  if (!resume.empty()) {
    job.resume = true;
    job.run_dir = resume;
    if (cmd.count("--epochs") > 0) job.epochs_override = epochs;
  } else {
    job.run_dir = out;
  }
}

void add_threads_flag(CLI::App& cmd, SharedFlags& shared);
void add_data_flag(CLI::App& cmd, SharedFlags& shared);

// The CIFAR-10 directory to use: --data, else $TINT_DATA, else the embedded horses (installed or in the source tree).
std::filesystem::path resolve_data_dir(const SharedFlags& shared);

// A file shipped with tint (a pretrained model): installed beside the binary (bin/../install_suffix), else in the
// source tree it was built from; else an error saying `missing`.
std::filesystem::path shipped_file(const std::filesystem::path& install_suffix,
                                   const std::filesystem::path& source_path, const std::string& missing);

// Files as given; folders expand to the image files they hold, and the videos too `with_videos` (sorted, not
// recursive).
std::vector<std::filesystem::path> expand_inputs(const std::vector<std::string>& inputs, bool with_videos = false);

// Runs `each` on every file under a progress bar labelled `label`, printing the line it returns. A file whose `each`
// throws is reported on stderr and skipped, so one bad file does not stop the batch; the message returned then counts
// them (empty when none failed), for the caller to raise once the workers have finished together.
// With workers (`group`: --nproc or torchrun), worker r takes files r, r + size, r + 2 size, ...; the counts are summed
// over the workers, and rank 0 prints one summary line and alone returns the message.
[[nodiscard]] std::string for_each_file(const std::vector<std::filesystem::path>& files, const std::string& label,
                                        const std::function<std::string(const std::filesystem::path&)>& each,
                                        distributed::Group* group = nullptr);

// for_each_file over `files` as --nproc N local workers or torchrun's (run_data_parallel), or alone: each worker takes
// its share, and the command fails once (rank 0's Error) after every worker has finished, when a file failed.
void for_each_file_on_workers(SharedFlags& shared, int nproc, const std::vector<std::filesystem::path>& files,
                              const std::string& label,
                              const std::function<std::string(const std::filesystem::path&)>& each);

// Applies --threads; returns the count in effect.
int apply_threads(const SharedFlags& shared);

void add_palette(CLI::App& app, SharedFlags& shared);
void add_train(CLI::App& app, SharedFlags& shared);
void add_evaluate(CLI::App& app, SharedFlags& shared);
void add_sweep(CLI::App& app, SharedFlags& shared);
void add_compare(CLI::App& app, SharedFlags& shared);
void add_colourize(CLI::App& app, SharedFlags& shared);
// detect: finding objects with a darknet YOLO model; detect evaluate, detect train (cmd_detect*.cpp).
void add_detect(CLI::App& app, SharedFlags& shared);
void add_detect_train(CLI::App& detect, SharedFlags& shared);
// detect anchors, detect convert: tools for one's own detection data (cmd_detect_data.cpp).
void add_detect_data_tools(CLI::App& detect);
// The folder of the shipped Yolo-Fastest 1.1 (cfg, weights, coco.names).
std::filesystem::path shipped_detector_dir();
void add_report(CLI::App& app, SharedFlags& shared);
void add_optim(CLI::App& app, SharedFlags& shared);
// summary, conv, padding: network analysis (cmd_analysis.cpp).
void add_analysis(CLI::App& app, SharedFlags& shared);
// export: a model as an ONNX file (cmd_export.cpp).
void add_export(CLI::App& app, SharedFlags& shared);

}  // namespace tint::cli
