// A bounded queue between two stages of a video pipeline, each on its own thread (transcode.cpp: the reader, the
// caller's change, the writer). Bounded so that memory stays independent of the video's length: a stage that runs
// ahead waits when `capacity` items are queued. close() is the producer's end of items; abort() stops both sides at
// once (a stage failed, or the caller was interrupted): push() then refuses and pop() returns nothing.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>

namespace tint::video {

template <typename T>
class FrameQueue {
 public:
  explicit FrameQueue(size_t capacity) : capacity_(capacity < 1 ? 1 : capacity) {}

  // Waits for room; false (the item dropped) when the queue was aborted or closed.
  bool push(T item) {
    std::unique_lock lock(mutex_);
    room_.wait(lock, [&] { return stopped() || items_.size() < capacity_; });
    if (stopped()) return false;
    items_.push_back(std::move(item));
    ready_.notify_one();
    return true;
  }

  // Waits for an item; nothing once the queue is closed and empty, or aborted (its items then dropped).
  std::optional<T> pop() {
    std::unique_lock lock(mutex_);
    ready_.wait(lock, [&] { return aborted_ || closed_ || !items_.empty(); });
    if (aborted_ || items_.empty()) return std::nullopt;
    T item = std::move(items_.front());
    items_.pop_front();
    room_.notify_one();
    return item;
  }

  void close() { stop(closed_); }
  void abort() { stop(aborted_); }

 private:
  bool stopped() const { return aborted_ || closed_; }
  void stop(bool& flag) {
    {
      std::lock_guard lock(mutex_);
      flag = true;
    }
    ready_.notify_all();
    room_.notify_all();
  }

  const size_t capacity_;
  std::mutex mutex_;
  std::condition_variable ready_, room_;
  std::deque<T> items_;
  bool closed_ = false, aborted_ = false;
};

}  // namespace tint::video
