// What the video layer shares about FFmpeg's C libraries (private to src/video/: no public header shows an FFmpeg
// type): owning handles for the structures FFmpeg allocates, and errors that name the file with av_strerror's text
// and FFmpeg's own last logged line (its reason, such as "moov atom not found").
#pragma once

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/avutil.h>
#include <libswscale/swscale.h>
}

#include <filesystem>
#include <memory>
#include <string>

namespace tint::video::ffmpeg {

struct InputCloser {
  void operator()(AVFormatContext* c) const { avformat_close_input(&c); }
};
struct CodecCloser {
  void operator()(AVCodecContext* c) const { avcodec_free_context(&c); }
};
struct FrameFree {
  void operator()(AVFrame* f) const { av_frame_free(&f); }
};
struct PacketFree {
  void operator()(AVPacket* p) const { av_packet_free(&p); }
};
struct ScalerFree {
  void operator()(SwsContext* s) const { sws_freeContext(s); }
};
// An output context and the file it writes through (closed first; none for formats without a file).
struct OutputCloser {
  void operator()(AVFormatContext* c) const {
    if (c->pb && !(c->oformat->flags & AVFMT_NOFILE)) avio_closep(&c->pb);
    avformat_free_context(c);
  }
};
// A custom I/O context (a video in memory) and its buffer, which FFmpeg may have replaced by one of its own.
struct IoFree {
  void operator()(AVIOContext* c) const {
    av_freep(&c->buffer);
    avio_context_free(&c);
  }
};
using Output = std::unique_ptr<AVFormatContext, OutputCloser>;
using Io = std::unique_ptr<AVIOContext, IoFree>;
using Input = std::unique_ptr<AVFormatContext, InputCloser>;
using Codec = std::unique_ptr<AVCodecContext, CodecCloser>;
using Frame = std::unique_ptr<AVFrame, FrameFree>;
using Packet = std::unique_ptr<AVPacket, PacketFree>;
using Scaler = std::unique_ptr<SwsContext, ScalerFree>;

Frame new_frame();
Packet new_packet();

// av_strerror's text for `code`, followed by FFmpeg's last logged error line when it adds something.
std::string describe(int code);

// Routes FFmpeg's log through tint (the library prints nothing itself): lines at error level or worse are kept, the
// last one per thread, for describe(); the rest are dropped. Idempotent; the first reader or writer calls it.
void capture_log();

// FFmpeg's last logged error line on this thread since clear_last_log(); "" when none.
const std::string& last_log();

// Forgets the last logged line, so that describe() reports only what the next call logs.
void clear_last_log();

// Seconds of `ts` in `time_base`, for messages ("at 1.240 s"); NaN-free: AV_NOPTS_VALUE gives 0.
double seconds(int64_t ts, AVRational time_base);

}  // namespace tint::video::ffmpeg
