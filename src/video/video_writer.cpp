#include "tint/video/video_writer.h"

extern "C" {
#include <libavutil/opt.h>
}

#include <algorithm>
#include <cctype>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include <ATen/Parallel.h>
#include <fmt/core.h>

#include "pixel_layout.h"
#include "tint/core/error.h"
#include "tint/core/pending_file.h"
#include "video_reader_impl.h"

namespace tint::video {
namespace fs = std::filesystem;

namespace {

std::string lowercase_extension(const fs::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext;
}

// The metadata of the source worth carrying over: all of it but what described the source's encoding or geometry
// (the rotation is applied to the frames, the encoder is now libx264).
void copy_metadata(AVDictionary** to, const AVDictionary* from) {
  av_dict_copy(to, from, 0);
  for (const char* stale : {"rotate", "encoder"}) av_dict_set(to, stale, nullptr, 0);
}

}  // namespace

struct VideoWriter::Impl {
  explicit Impl(const fs::path& path) : file(path) {}

  PendingFile file;
  VideoReader::Impl* source = nullptr;
  ffmpeg::Output output;
  ffmpeg::Codec encoder;
  AVStream* video = nullptr;    // the encoded stream, owned by `output`
  std::vector<int> stream_map;  // source stream index -> output stream index, or -1 when not copied
  ffmpeg::Frame yuv = ffmpeg::new_frame();
  ffmpeg::Packet packet = ffmpeg::new_packet();
  ffmpeg::Scaler scaler;
  std::vector<uint8_t> packed;  // the frame being written, as sws_scale reads RGB: (H, W, 3)
  // The encoder's packets (the writer's thread) and the copied streams' (the reader's thread, as it meets them) go
  // into one container, which FFmpeg's muxers do not guard.
  std::mutex muxing;
  int64_t width = 0, height = 0, frames = 0;
  int64_t last_pts = AV_NOPTS_VALUE;
  bool finished = false;

  std::string name() const { return file.destination().string(); }
  [[noreturn]] void fail(const std::string& what, int code) const {
    throw Error(fmt::format("{}: {}: {}", name(), what, ffmpeg::describe(code)));
  }
  void write_packet(AVPacket* p) {
    std::lock_guard lock(muxing);
    ffmpeg::clear_last_log();
    const int rc = av_interleaved_write_frame(output.get(), p);
    if (rc < 0) fail("cannot write a packet", rc);
  }
  void copy_packet(AVPacket* p) {
    const int to = p->stream_index < static_cast<int>(stream_map.size()) ? stream_map[p->stream_index] : -1;
    if (to < 0) return;
    // The packet's bytes go out as they came; only its timestamps change unit.
    av_packet_rescale_ts(p, source->input->streams[p->stream_index]->time_base, output->streams[to]->time_base);
    p->stream_index = to;
    p->pos = -1;
    write_packet(p);
  }
  // Sends `frame` (nullptr: the end) to the encoder and writes every packet it has ready.
  void encode(const AVFrame* frame) {
    ffmpeg::clear_last_log();
    int rc = avcodec_send_frame(encoder.get(), frame);
    if (rc < 0) fail("the H.264 encoder refused a frame", rc);
    while (true) {
      rc = avcodec_receive_packet(encoder.get(), packet.get());
      if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return;
      if (rc < 0) fail("the H.264 encoder failed", rc);
      av_packet_rescale_ts(packet.get(), encoder->time_base, video->time_base);
      packet->stream_index = video->index;
      write_packet(packet.get());
    }
  }
};

VideoWriter::VideoWriter(const fs::path& path, VideoReader& source, const VideoWriteOptions& options)
    : impl_(std::make_unique<Impl>(path)) {
  ffmpeg::capture_log();
  Impl& w = *impl_;
  w.source = source.impl_.get();
  const VideoReader::Impl& in = *w.source;
  const std::string name = path.string();

  const AVOutputFormat* format = av_guess_format(nullptr, path.filename().c_str(), nullptr);
  if (!format) throw Error(fmt::format("{}: unknown video container (write .mp4, .mkv or .mov)", name));
  if (avformat_query_codec(format, AV_CODEC_ID_H264, FF_COMPLIANCE_NORMAL) != 1) {
    throw Error(fmt::format("{}: a {} file cannot hold H.264 video (write .mp4, .mkv or .mov)", name,
                            lowercase_extension(path)));
  }
  AVFormatContext* raw = nullptr;
  int rc = avformat_alloc_output_context2(&raw, format, nullptr, nullptr);
  if (rc < 0) w.fail("cannot prepare the container", rc);
  w.output.reset(raw);

  const AVCodec* x264 = avcodec_find_encoder_by_name("libx264");
  if (!x264) throw Error(fmt::format("{}: this FFmpeg (libavcodec) was built without libx264", name));
  w.encoder.reset(avcodec_alloc_context3(x264));
  if (!w.encoder) throw std::bad_alloc();
  AVCodecContext* enc = w.encoder.get();
  w.width = in.info.width;
  w.height = in.info.height;
  enc->width = static_cast<int>(w.width);
  enc->height = static_cast<int>(w.height);
  // 4:2:0 halves both chroma dimensions, which x264 refuses for an odd size: then 4:4:4, which keeps every pixel.
  enc->pix_fmt = w.width % 2 == 0 && w.height % 2 == 0 ? AV_PIX_FMT_YUV420P : AV_PIX_FMT_YUV444P;
  enc->time_base = in.stream->time_base;  // the frames keep the source's timestamps as they are
  enc->framerate = av_guess_frame_rate(in.input.get(), in.stream, nullptr);
  AVRational aspect = in.stream->codecpar->sample_aspect_ratio;
  if (aspect.num > 0 && (in.info.rotation == 90 || in.info.rotation == 270)) aspect = av_inv_q(aspect);
  enc->sample_aspect_ratio = aspect;
  // What write() converts RGB with (BT.601, limited range), said in the stream so that players convert back alike.
  enc->colorspace = AVCOL_SPC_SMPTE170M;
  enc->color_primaries = AVCOL_PRI_SMPTE170M;
  enc->color_trc = AVCOL_TRC_SMPTE170M;
  enc->color_range = AVCOL_RANGE_MPEG;
  if (format->flags & AVFMT_GLOBALHEADER) enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  // x264's frame threads, as many as the process's intra-op threads (--threads, core/runtime.h): libavcodec's
  // default is one, which left the encoder, the slowest stage at 720p and above, on one core whatever --threads
  // said (docs/video.md, "Speed"). The frames are encoded on x264's threads while the next frame's network runs.
  enc->thread_count = std::max(1, torch::get_num_threads());
  av_opt_set(enc->priv_data, "preset", options.preset.c_str(), 0);
  av_opt_set(enc->priv_data, "crf", std::to_string(options.crf).c_str(), 0);
  ffmpeg::clear_last_log();
  rc = avcodec_open2(enc, x264, nullptr);
  if (rc < 0) w.fail("cannot open the H.264 encoder", rc);

  // The streams in the source's order: its video stream encoded, audio and subtitles copied, the rest (data
  // streams, attachments, other video such as a cover picture) left out.
  const AVFormatContext* input = in.input.get();
  w.stream_map.assign(input->nb_streams, -1);
  for (unsigned i = 0; i < input->nb_streams; ++i) {
    const AVStream* from = input->streams[i];
    const AVMediaType type = from->codecpar->codec_type;
    const bool is_video = static_cast<int>(i) == in.stream->index;
    if (!is_video && type != AVMEDIA_TYPE_AUDIO && type != AVMEDIA_TYPE_SUBTITLE) continue;
    if (!is_video && avformat_query_codec(format, from->codecpar->codec_id, FF_COMPLIANCE_NORMAL) != 1) {
      throw Error(
          fmt::format("{}: a {} file cannot hold stream #{} of {} ({} {}), which is copied untouched; write "
                      "the input's own container",
                      name, lowercase_extension(path), i, in.path.string(), av_get_media_type_string(type),
                      avcodec_get_name(from->codecpar->codec_id)));
    }
    AVStream* to = avformat_new_stream(raw, nullptr);
    if (!to) throw std::bad_alloc();
    if (is_video) {
      rc = avcodec_parameters_from_context(to->codecpar, enc);
      to->time_base = enc->time_base;
      to->avg_frame_rate = from->avg_frame_rate;
      w.video = to;
    } else {
      rc = avcodec_parameters_copy(to->codecpar, from->codecpar);
      to->codecpar->codec_tag = 0;  // the output container's own tag for the codec (remux.c)
      to->time_base = from->time_base;
    }
    if (rc < 0) w.fail(fmt::format("cannot set up stream #{}", i), rc);
    to->disposition = from->disposition;
    copy_metadata(&to->metadata, from->metadata);
    w.stream_map[i] = to->index;
  }
  copy_metadata(&raw->metadata, input->metadata);

  if (!(format->flags & AVFMT_NOFILE)) {
    ffmpeg::clear_last_log();
    rc = avio_open(&raw->pb, w.file.temporary().c_str(), AVIO_FLAG_WRITE);
    if (rc < 0) w.fail(fmt::format("cannot create a file in {}", w.file.temporary().parent_path().string()), rc);
  }
  ffmpeg::clear_last_log();
  rc = avformat_write_header(raw, nullptr);
  if (rc < 0) w.fail("cannot write the container's header", rc);

  w.yuv->format = enc->pix_fmt;
  w.yuv->width = enc->width;
  w.yuv->height = enc->height;
  rc = av_frame_get_buffer(w.yuv.get(), 0);
  if (rc < 0) w.fail("cannot allocate a frame", rc);
  w.scaler.reset(sws_getContext(enc->width, enc->height, AV_PIX_FMT_RGB24, enc->width, enc->height, enc->pix_fmt,
                                SWS_BICUBIC, nullptr, nullptr, nullptr));
  if (!w.scaler) throw Error(fmt::format("{}: cannot convert RGB frames for the encoder", name));
  sws_setColorspaceDetails(w.scaler.get(), sws_getCoefficients(SWS_CS_DEFAULT), 1, sws_getCoefficients(SWS_CS_ITU601),
                           0, 0, 1 << 16, 1 << 16);

  w.source->other_packet = [&w](AVPacket* p) { w.copy_packet(p); };
}

VideoWriter::~VideoWriter() {
  // Unfinished: the source stops feeding this writer; the temporary file goes with impl_->file.
  if (impl_ && impl_->source) impl_->source->other_packet = nullptr;
}

void VideoWriter::write(const torch::Tensor& image, int64_t pts) {
  Impl& w = *impl_;
  if (w.finished) throw Error(fmt::format("{}: written to after finish()", w.name()));
  if (image.dim() != 3 || image.size(0) != 3 || image.size(1) != w.height || image.size(2) != w.width ||
      image.scalar_type() != torch::kUInt8) {
    std::ostringstream got;
    got << image.sizes() << " " << image.scalar_type();
    throw Error(fmt::format("{}: a frame must be (3, {}, {}) uint8, got {}", w.name(), w.height, w.width, got.str()));
  }
  if (w.last_pts != AV_NOPTS_VALUE && pts <= w.last_pts) {
    throw Error(fmt::format("{}: frame timestamps must increase: {} after {}", w.name(), pts, w.last_pts));
  }
  w.packed.resize(static_cast<size_t>(w.height * w.width * 3 + 64));  // swscale's SIMD reads a vector past the end
  planar_to_packed(image.contiguous().data_ptr<uint8_t>(), w.height, w.width, w.packed.data());
  const uint8_t* planes[4] = {w.packed.data(), nullptr, nullptr, nullptr};
  const int strides[4] = {static_cast<int>(w.width * 3), 0, 0, 0};
  // The encoder may still hold the last frame's buffers: write into fresh ones when it does.
  const int rc = av_frame_make_writable(w.yuv.get());
  if (rc < 0) w.fail("cannot allocate a frame", rc);
  sws_scale(w.scaler.get(), planes, strides, 0, static_cast<int>(w.height), w.yuv->data, w.yuv->linesize);
  w.yuv->pts = pts;
  w.encode(w.yuv.get());
  w.last_pts = pts;
  ++w.frames;
}

int64_t VideoWriter::finish() {
  Impl& w = *impl_;
  if (w.finished) return w.frames;
  w.encode(nullptr);
  w.source->drain();
  w.source->other_packet = nullptr;
  ffmpeg::clear_last_log();
  int rc = av_write_trailer(w.output.get());
  if (rc < 0) w.fail("cannot finish the container", rc);
  if (w.output->pb) {
    rc = avio_closep(&w.output->pb);
    if (rc < 0) w.fail("cannot close the file", rc);
  }
  w.file.publish();
  w.finished = true;
  return w.frames;
}

std::string default_video_extension(const fs::path& input) {
  const std::string ext = lowercase_extension(input);
  if (ext == ".mp4" || ext == ".mkv" || ext == ".mov") return ext;
  return ".mkv";
}

bool is_video_name(const fs::path& path) {
  const std::string ext = lowercase_extension(path);
  return ext == ".mp4" || ext == ".mkv" || ext == ".webm" || ext == ".mov" || ext == ".avi";
}

}  // namespace tint::video
