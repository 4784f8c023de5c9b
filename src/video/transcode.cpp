#include "tint/video/transcode.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <mutex>
#include <thread>

#include <ATen/Parallel.h>
#include <fmt/core.h>

#include "frame_queue.h"
#include "tint/core/error.h"
#include "tint/core/interrupt.h"
#include "tint/core/runtime.h"
#include "tint/video/video_reader.h"
#include "tint/video/video_writer.h"

namespace tint::video {

namespace {

// Frames queued between two stages: enough to ride out one slow frame, few enough that memory does not grow (two
// 1080p RGB frames are 12 MB).
constexpr size_t kQueued = 2;

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

struct ChangedFrame {
  torch::Tensor image;
  int64_t pts = 0;
};

// The first failure of any stage, kept for the caller's thread to raise; every queue is aborted so that the other
// stages stop instead of waiting for frames that will not come.
class Failure {
 public:
  Failure(FrameQueue<VideoFrame>& read, FrameQueue<ChangedFrame>& changed) : read_(read), changed_(changed) {}
  void record(std::exception_ptr error) {
    {
      std::lock_guard lock(mutex_);
      if (!first_) first_ = std::move(error);
    }
    read_.abort();
    changed_.abort();
  }
  void rethrow() {
    std::lock_guard lock(mutex_);
    if (first_) std::rethrow_exception(first_);
  }

 private:
  FrameQueue<VideoFrame>& read_;
  FrameQueue<ChangedFrame>& changed_;
  std::mutex mutex_;
  std::exception_ptr first_;
};

// A stage's thread, joined however the caller's stage ends (an error, an interrupt): the reader and writer it uses
// must outlive it.
class StageThread {
 public:
  template <typename Work>
  StageThread(Failure& failure, Work work)
      : thread_([&failure, work = std::move(work)]() mutable {
          try {
            work();
          } catch (...) {
            failure.record(std::current_exception());
          }
        }) {}
  ~StageThread() { join(); }
  StageThread(const StageThread&) = delete;
  StageThread& operator=(const StageThread&) = delete;
  void join() {
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::thread thread_;
};

}  // namespace

std::string TranscodeStats::describe(const std::string& changing_name) const {
  const double per_frame = frames > 0 ? 1000.0 / static_cast<double>(frames) : 0.0;
  return fmt::format("{:.1f} frames/s; per frame: reading {:.1f} ms, {} {:.1f} ms, writing {:.1f} ms",
                     frames_per_second(), reading * per_frame, changing_name, changing * per_frame,
                     writing * per_frame);
}

// Three stages overlap, each on its own thread, as the reference pipeline's three processes do (FFmpeg decoding,
// the network, FFmpeg encoding; bench/video_compare.py): decoding the next frames and encoding the last ones while
// the network works on this one. The caller's change runs on the calling thread, where LibTorch's intra-op threads
// live; the reader and writer threads use no LibTorch operator, so they start no OpenMP team of their own.
TranscodeStats transcode(const std::filesystem::path& input, const std::filesystem::path& output,
                         const VideoWriteOptions& options, const FrameChange& change, const FrameProgress& progress) {
  const auto start = Clock::now();
  TranscodeStats stats;
  VideoReader reader(input);
  VideoWriter writer(output, reader, options);
  // The change's share of the cores: half of them, at least one. The decoder and the encoder took as many threads as
  // the process has (--threads) when they opened above, and they work beside the change; a LibTorch team with a thread
  // for every core waits at each layer for whichever of its threads x264 has pushed off a core. On 2 cores at 720p one
  // thread for the network made the whole pass faster than two (docs/video.md, "Overlapping the stages").
  const IntraOpThreads change_threads(std::max(1, torch::get_num_threads() / 2));
  FrameQueue<VideoFrame> read(kQueued);
  FrameQueue<ChangedFrame> changed(kQueued);
  Failure failure(read, changed);
  const int64_t declared = reader.info().frame_count;
  int64_t done = 0;
  {
    StageThread decoding(failure, [&] {
      while (true) {
        const auto began = Clock::now();
        auto frame = reader.next();
        stats.reading += seconds_since(began);
        if (!frame || !read.push(std::move(*frame))) break;
      }
      read.close();
    });
    StageThread encoding(failure, [&] {
      while (auto frame = changed.pop()) {
        const auto began = Clock::now();
        writer.write(frame->image, frame->pts);
        stats.writing += seconds_since(began);
      }
    });
    try {
      while (auto frame = read.pop()) {
        if (interrupt_requested()) {
          throw Interrupted(
              fmt::format("interrupted at frame {} of {}: {} was not written (nothing half-written is left)", done,
                          input.string(), output.string()));
        }
        const auto began = Clock::now();
        // Contiguous here, on the thread whose LibTorch threads may copy it.
        auto image = change(*frame).contiguous();
        stats.changing += seconds_since(began);
        if (!changed.push({std::move(image), frame->pts})) break;
        ++done;
        if (progress) progress(done, declared);
      }
      changed.close();
      encoding.join();
      decoding.join();
    } catch (...) {
      failure.record(std::current_exception());
    }
  }
  failure.rethrow();
  const auto flushing = Clock::now();
  stats.frames = writer.finish();
  stats.writing += seconds_since(flushing);
  stats.seconds = seconds_since(start);
  return stats;
}

}  // namespace tint::video
