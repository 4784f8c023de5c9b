#include "ffmpeg.h"

#include <cstdarg>
#include <mutex>

#include <fmt/core.h>

namespace tint::video::ffmpeg {

namespace {

thread_local std::string last_log_line;

void keep_errors(void* avcl, int level, const char* format, va_list args) {
  if (level > AV_LOG_ERROR) return;
  char line[1024];
  int print_prefix = 0;  // the message alone, not "[mov,mp4,... @ 0x55...]"
  av_log_format_line2(avcl, level, format, args, line, sizeof line, &print_prefix);
  std::string text(line);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
  if (!text.empty()) last_log_line = text;
}

}  // namespace

Frame new_frame() {
  Frame f(av_frame_alloc());
  if (!f) throw std::bad_alloc();
  return f;
}

Packet new_packet() {
  Packet p(av_packet_alloc());
  if (!p) throw std::bad_alloc();
  return p;
}

std::string describe(int code) {
  char text[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(code, text, sizeof text);
  std::string out = text;
  if (!last_log_line.empty() && last_log_line.find(out) == std::string::npos) out += " (" + last_log_line + ")";
  // One line: FFmpeg's log lines may carry their own line breaks.
  for (char& c : out) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return out;
}

void capture_log() {
  static std::once_flag once;
  std::call_once(once, [] { av_log_set_callback(keep_errors); });
}

const std::string& last_log() { return last_log_line; }

void clear_last_log() { last_log_line.clear(); }

double seconds(int64_t ts, AVRational time_base) {
  if (ts == AV_NOPTS_VALUE) return 0.0;
  return static_cast<double>(ts) * av_q2d(time_base);
}

}  // namespace tint::video::ffmpeg
