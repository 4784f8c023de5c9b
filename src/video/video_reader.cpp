#include "tint/video/video_reader.h"

extern "C" {
#include <libavutil/display.h>
#include <libavutil/parseutils.h>
#include <libavutil/pixdesc.h>
}

#include <algorithm>
#include <cmath>
#include <cstring>
#include <system_error>

#include <ATen/Parallel.h>
#include <fmt/core.h>

#include "pixel_layout.h"
#include "tint/core/error.h"
#include "video_reader_impl.h"

namespace tint::video {
namespace fs = std::filesystem;

namespace {

// Degrees clockwise that show the stored picture upright, from the stream's display matrix: what FFmpeg's own
// player and CLI apply (fftools' get_rotation: the matrix gives the angle counterclockwise), rounded to a quarter
// turn. A matrix with a mirror in it is read for its rotation alone.
int display_rotation(const AVStream* stream) {
  const uint8_t* matrix = av_stream_get_side_data(stream, AV_PKT_DATA_DISPLAYMATRIX, nullptr);
  if (!matrix) return 0;
  const double counterclockwise = av_display_rotation_get(reinterpret_cast<const int32_t*>(matrix));
  if (std::isnan(counterclockwise)) return 0;
  int clockwise = static_cast<int>(std::lround(-counterclockwise / 90.0)) * 90 % 360;
  if (clockwise < 0) clockwise += 360;
  return clockwise;
}

// An enum field of an FFmpeg struct, read as the int it holds. FFmpeg copies a frame's YUV matrix from the bitstream (an
// 8-bit code in an H.264 or MPEG-4 header) without checking it against AVColorSpace, and loading an enum variable
// that holds no enumerator is undefined behaviour in C++ (fuzz_video, UBSan: "load of value 191, which is not a valid
// value for type 'enum AVColorSpace'"). Copying the bytes reads no enum; sws_getCoefficients takes an int and gives
// its default matrix for codes it does not know.
template <typename Enum>
int enum_value(const Enum& field) {
  static_assert(sizeof(Enum) == sizeof(int), "FFmpeg's enums are ints");
  int value = 0;
  std::memcpy(&value, &field, sizeof value);
  return value;
}

// Seconds of the video stream as its container declares them: MP4's track duration, Matroska's DURATION tag (which
// FFmpeg and mkvmerge write per track); 0 when it declares none.
double declared_duration(const AVStream* stream) {
  if (stream->duration != AV_NOPTS_VALUE && stream->duration > 0) {
    return ffmpeg::seconds(stream->duration, stream->time_base);
  }
  if (const AVDictionaryEntry* tag = av_dict_get(stream->metadata, "DURATION", nullptr, 0)) {
    int64_t microseconds = 0;
    if (av_parse_time(&microseconds, tag->value, 1) == 0 && microseconds > 0) return microseconds / 1e6;
  }
  return 0.0;
}

}  // namespace

void VideoReader::Impl::check_complete() const {
  const double declared = declared_duration(stream);
  if (declared <= 0.0 || video_end == AV_NOPTS_VALUE) return;
  const double start =
      stream->start_time != AV_NOPTS_VALUE ? ffmpeg::seconds(stream->start_time, stream->time_base) : 0.0;
  const double end = ffmpeg::seconds(video_end, stream->time_base) - start;
  // Rounding of a container's durations is a frame or two, not half a second.
  const double slack = std::max(0.5, info.frame_rate > 0 ? 2.0 / info.frame_rate : 0.0);
  if (end + slack < declared) {
    throw Error(fmt::format("{}: truncated: its video stream ends at {:.3f} s of the {:.3f} s it declares",
                            path.string(), end, declared));
  }
}

void VideoReader::Impl::fail_at(const std::string& what, int code) const {
  throw Error(fmt::format("{}: {} at {:.3f} s: {}", path.string(), what, ffmpeg::seconds(last_pts, stream->time_base),
                          ffmpeg::describe(code)));
}

bool VideoReader::Impl::read_packet() {
  if (end_of_input) return false;
  ffmpeg::clear_last_log();
  const int rc = av_read_frame(input.get(), packet.get());
  if (rc == AVERROR_EOF) {
    end_of_input = true;
    // A demuxer that met the file's end inside a packet says so in its log and still reports a clean end (MP4:
    // "partial file").
    if (!ffmpeg::last_log().empty()) fail_at("truncated or corrupt stream", rc);
    check_complete();
    return false;
  }
  if (rc < 0) fail_at("corrupt or truncated stream", rc);
  if (packet->stream_index == stream->index) {
    if (packet->pts != AV_NOPTS_VALUE) {
      last_pts = packet->pts;
      const int64_t end = packet->pts + std::max<int64_t>(packet->duration, 0);
      if (video_end == AV_NOPTS_VALUE || end > video_end) video_end = end;
    }
    const int sent = avcodec_send_packet(decoder.get(), packet.get());
    av_packet_unref(packet.get());
    if (sent < 0) fail_at("corrupt video data", sent);
  } else {
    if (other_packet) other_packet(packet.get());
    av_packet_unref(packet.get());
  }
  return true;
}

void VideoReader::Impl::drain() {
  // The frames after the caller's last one are not wanted: the video packets are skipped, not decoded.
  while (!end_of_input) {
    ffmpeg::clear_last_log();
    const int rc = av_read_frame(input.get(), packet.get());
    if (rc == AVERROR_EOF) {
      end_of_input = true;
      break;
    }
    if (rc < 0) fail_at("corrupt or truncated stream", rc);
    if (packet->stream_index != stream->index && other_packet) other_packet(packet.get());
    av_packet_unref(packet.get());
  }
}

VideoReader::VideoReader(const fs::path& path) : impl_(std::make_unique<Impl>()) {
  ffmpeg::capture_log();
  Impl& r = *impl_;
  r.path = path;
  std::error_code ec;
  if (!fs::exists(path, ec)) throw Error(fmt::format("{}: no such file", path.string()));
  if (fs::is_directory(path, ec)) throw Error(fmt::format("{}: is a directory, expected a video", path.string()));
  r.open(nullptr);
}

namespace {

// FFmpeg's reads and seeks of a video in memory (AVIOContext's callbacks), over the bytes the reader keeps.
int read_memory(void* opaque, uint8_t* buffer, int size) {
  auto& m = *static_cast<VideoReader::Impl::Memory*>(opaque);
  const int64_t left = static_cast<int64_t>(m.bytes.size()) - m.position;
  if (left <= 0) return AVERROR_EOF;
  const int n = static_cast<int>(std::min<int64_t>(size, left));
  std::memcpy(buffer, m.bytes.data() + m.position, static_cast<size_t>(n));
  m.position += n;
  return n;
}

int64_t seek_memory(void* opaque, int64_t offset, int whence) {
  auto& m = *static_cast<VideoReader::Impl::Memory*>(opaque);
  const auto size = static_cast<int64_t>(m.bytes.size());
  whence &= ~AVSEEK_FORCE;
  if (whence == AVSEEK_SIZE) return size;
  const int64_t from = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? m.position : whence == SEEK_END ? size : -1;
  if (from < 0 || offset < -from || offset > size - from) return AVERROR(EINVAL);
  m.position = from + offset;
  return m.position;
}

}  // namespace

VideoReader::VideoReader(VideoBytes source) : impl_(std::make_unique<Impl>()) {
  ffmpeg::capture_log();
  Impl& r = *impl_;
  r.path = source.name;
  r.memory = std::make_unique<Impl::Memory>();
  r.memory->bytes = std::move(source.bytes);
  constexpr int kBlock = 1 << 16;
  auto* block = static_cast<unsigned char*>(av_malloc(kBlock));
  if (!block) throw std::bad_alloc();
  r.io.reset(avio_alloc_context(block, kBlock, 0, r.memory.get(), read_memory, nullptr, seek_memory));
  if (!r.io) {
    av_free(block);
    throw std::bad_alloc();
  }
  AVFormatContext* prepared = avformat_alloc_context();
  if (!prepared) throw std::bad_alloc();
  prepared->pb = r.io.get();
  prepared->flags |= AVFMT_FLAG_CUSTOM_IO;
  r.open(prepared);
}

void VideoReader::Impl::open(AVFormatContext* prepared) {
  Impl& r = *this;
  ffmpeg::clear_last_log();
  AVFormatContext* raw = prepared;  // freed by avformat_open_input when it fails
  int rc = avformat_open_input(&raw, path.c_str(), nullptr, nullptr);
  if (rc < 0) throw Error(fmt::format("{}: not a video FFmpeg can read: {}", path.string(), ffmpeg::describe(rc)));
  r.input.reset(raw);
  rc = avformat_find_stream_info(raw, nullptr);
  if (rc < 0) throw Error(fmt::format("{}: cannot read its streams: {}", path.string(), ffmpeg::describe(rc)));

  const AVCodec* codec = nullptr;
  const int index = av_find_best_stream(raw, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
  if (index == AVERROR_STREAM_NOT_FOUND) throw Error(fmt::format("{}: has no video stream", path.string()));
  if (index < 0 || !codec) {
    throw Error(fmt::format("{}: no decoder for its video stream ({})", path.string(),
                            avcodec_get_name(raw->streams[index < 0 ? 0 : index]->codecpar->codec_id)));
  }
  r.stream = raw->streams[index];
  r.decoder.reset(avcodec_alloc_context3(codec));
  if (!r.decoder) throw std::bad_alloc();
  rc = avcodec_parameters_to_context(r.decoder.get(), r.stream->codecpar);
  if (rc >= 0) {
    r.decoder->pkt_timebase = r.stream->time_base;
    // As many decoding threads as the process's intra-op threads (--threads), as FFmpeg's CLI decodes with -threads N;
    // libavcodec's default is one.
    r.decoder->thread_count = std::max(1, torch::get_num_threads());
    rc = avcodec_open2(r.decoder.get(), codec, nullptr);
  }
  if (rc < 0) {
    throw Error(fmt::format("{}: cannot open the {} decoder: {}", path.string(), codec->name, ffmpeg::describe(rc)));
  }
  r.stored_width = r.stream->codecpar->width;
  r.stored_height = r.stream->codecpar->height;
  if (r.stored_width <= 0 || r.stored_height <= 0) {
    throw Error(fmt::format("{}: its video stream declares no frame size", path.string()));
  }

  VideoInfo& info = r.info;
  info.rotation = display_rotation(r.stream);
  const bool turned = info.rotation == 90 || info.rotation == 270;
  info.width = turned ? r.stored_height : r.stored_width;
  info.height = turned ? r.stored_width : r.stored_height;
  info.time_base_num = r.stream->time_base.num;
  info.time_base_den = r.stream->time_base.den;
  const AVRational rate = av_guess_frame_rate(raw, r.stream, nullptr);
  info.frame_rate = rate.den > 0 ? av_q2d(rate) : 0.0;
  info.frame_count = r.stream->nb_frames;
  if (r.stream->duration != AV_NOPTS_VALUE) {
    info.duration = ffmpeg::seconds(r.stream->duration, r.stream->time_base);
  } else if (raw->duration != AV_NOPTS_VALUE) {
    info.duration = static_cast<double>(raw->duration) / AV_TIME_BASE;
  }
  info.codec = codec->name;
  info.container = raw->iformat->name;
}

VideoReader::~VideoReader() = default;

const VideoInfo& VideoReader::info() const { return impl_->info; }
const fs::path& VideoReader::path() const { return impl_->path; }

std::optional<VideoFrame> VideoReader::next() {
  Impl& r = *impl_;
  AVFrame* frame = r.frame.get();
  while (true) {
    ffmpeg::clear_last_log();
    const int rc = avcodec_receive_frame(r.decoder.get(), frame);
    if (rc == AVERROR_EOF) return std::nullopt;
    if (rc == AVERROR(EAGAIN)) {
      if (!r.read_packet() && r.end_of_input) {
        // The decoder holds frames back (reordering, threads): the end of input tells it to give them up.
        const int flushed = avcodec_send_packet(r.decoder.get(), nullptr);
        if (flushed < 0 && flushed != AVERROR_EOF) r.fail_at("corrupt video data", flushed);
      }
      continue;
    }
    if (rc < 0) r.fail_at("corrupt video data", rc);
    break;
  }

  // Every frame becomes RGB at the stream's size (a mid-stream size change is scaled back to it), with the YUV
  // matrix and range the frame declares, as FFmpeg's CLI converts (its scale filter: bicubic, the frame's matrix).
  if (!r.scaler || r.scaler_width != frame->width || r.scaler_height != frame->height ||
      r.scaler_format != frame->format) {
    r.scaler.reset(sws_getContext(frame->width, frame->height, static_cast<AVPixelFormat>(frame->format),
                                  static_cast<int>(r.stored_width), static_cast<int>(r.stored_height), AV_PIX_FMT_RGB24,
                                  SWS_BICUBIC, nullptr, nullptr, nullptr));
    if (!r.scaler) {
      const char* name = av_get_pix_fmt_name(static_cast<AVPixelFormat>(frame->format));
      throw Error(fmt::format("{}: cannot convert its frames ({}) to RGB", r.path.string(), name ? name : "?"));
    }
    r.scaler_width = frame->width;
    r.scaler_height = frame->height;
    r.scaler_format = frame->format;
  }
  const int full_range = enum_value(frame->color_range) == AVCOL_RANGE_JPEG ? 1 : 0;
  sws_setColorspaceDetails(r.scaler.get(), sws_getCoefficients(enum_value(frame->colorspace)), full_range,
                           sws_getCoefficients(SWS_CS_DEFAULT), 1, 0, 1 << 16, 1 << 16);
  // swscale's SIMD writes whole vectors, past a row's last pixel and past the last row's end: rows 64-byte aligned
  // and a vector's slack after the last one, as av_frame_get_buffer lays out a frame. (A 540-pixel-wide clip, 1,620
  // bytes a row, once corrupted the heap here.)
  const int64_t row_bytes = (r.stored_width * 3 + 63) / 64 * 64;
  r.packed.resize(static_cast<size_t>(r.stored_height * row_bytes + 64));
  uint8_t* planes[4] = {r.packed.data(), nullptr, nullptr, nullptr};
  int strides[4] = {static_cast<int>(row_bytes), 0, 0, 0};
  sws_scale(r.scaler.get(), frame->data, frame->linesize, 0, frame->height, planes, strides);

  VideoFrame out;
  out.pts = frame->best_effort_timestamp;
  out.seconds = ffmpeg::seconds(out.pts, r.stream->time_base);
  av_frame_unref(frame);
  out.image = torch::empty({3, r.info.height, r.info.width}, torch::kUInt8);  // (3, H, W) upright
  packed_to_planar(r.packed.data(), r.stored_height, r.stored_width, row_bytes, r.info.rotation,
                   out.image.data_ptr<uint8_t>());
  return out;
}

}  // namespace tint::video
