#!/usr/bin/python3
"""The reference side of the video speed comparison (bench/video_compare.py runs it in turns with `tint detect VIDEO`
and `tint colourize VIDEO`): what a Python program does with FFmpeg's CLI and OpenCV. Needs Debian's python3-opencv
(/usr/bin/python3).

    /usr/bin/python3 bench/video_reference.py detect CLIP OUT.mp4 --cfg NET.cfg --weights NET.weights \
        --names coco.names [--threads N] [--size 320] [--conf 0.25] [--nms 0.45] [--crf 17] [--preset medium]
    /usr/bin/python3 bench/video_reference.py colourize CLIP OUT.mp4 --onnx MODEL.onnx [--threads N] \
        [--working-side 32] [--temporal 0.8] [--still 0.03] [--scene-cut 0.12] [--crf 17] [--preset medium]

The pipeline, as tint's: `ffmpeg -threads N` decodes the clip to rgb24 frames on a pipe; each frame is changed in
Python; a second `ffmpeg` encodes the rgb24 frames from a pipe with libx264 (--crf, --preset, yuv420p, `-threads N`)
and copies the clip's audio stream. cv2.setNumThreads(N); OpenCV's own DNN backend on the CPU.
  detect     cv2.dnn.readNetFromDarknet; blobFromImage at --size x --size (bilinear stretch, /255), forward of the
             yolo layers, the (box, class) pairs reaching --conf, cv2.dnn.NMSBoxes per class at --nms (as
             bench/detect_reference.py); each box drawn with cv2.rectangle and its label with cv2.putText.
  colourize  cv2.dnn.readNetFromONNX of `tint export --pretrained NAME --decode` (input `grey`, output `ab`): the
             network input as tint's data::to_network_input (the mean of R, G, B over 256), shrunk by area averaging
             (cv2.INTER_AREA) to tint's working size (shorter side --working-side, both sides rounded to multiples of
             4); tint's temporal smoothing of the ab prediction at that size (colourize/temporal.h); the ab upsampled
             bilinearly (cv2.resize) and put beside the frame's own L (cv2.cvtColor of float32 RGB in [0, 1] to
             CIELAB and back).
Prints one JSON line: frames, seconds (from the first frame read to the encoder's end) and what was found.
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np
import cv2

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from detect_reference import postprocess  # noqa: E402


def probe_size(clip):
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                          "stream=width,height,avg_frame_rate", "-of", "json", clip],
                         capture_output=True, text=True, check=True)
    s = json.loads(out.stdout)["streams"][0]
    return s["width"], s["height"], s["avg_frame_rate"]


def decoder(clip, threads):
    return subprocess.Popen(["ffmpeg", "-v", "error", "-nostdin", "-threads", str(threads), "-i", clip,
                             "-map", "0:v:0", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                            stdout=subprocess.PIPE, bufsize=0)


def encoder(clip, out, width, height, rate, threads, crf, preset):
    # The frames from the pipe (input 0), the audio of the clip (input 1) copied as it is.
    return subprocess.Popen(["ffmpeg", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
                             "-s", f"{width}x{height}", "-framerate", rate, "-i", "-", "-i", clip,
                             "-map", "0:v", "-map", "1:a?", "-c:v", "libx264", "-preset", preset, "-crf", str(crf),
                             "-pix_fmt", "yuv420p", "-threads", str(threads), "-c:a", "copy", out],
                            stdin=subprocess.PIPE)


def read_frame(pipe, nbytes, shape):
    buf = bytearray(nbytes)
    view = memoryview(buf)
    got = 0
    while got < nbytes:
        n = pipe.readinto(view[got:])
        if not n:
            return None
        got += n
    return np.frombuffer(buf, dtype=np.uint8).reshape(shape)


def class_colour(c):
    return (int(37 * c + 80) % 256, int(91 * c + 160) % 256, int(173 * c + 40) % 256)


def make_detect(args, width, height):
    net = cv2.dnn.readNetFromDarknet(args.cfg, args.weights)
    net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
    net.setPreferableTarget(cv2.dnn.DNN_TARGET_CPU)
    out_names = net.getUnconnectedOutLayersNames()
    names = [n.strip() for n in open(args.names)] if args.names else []
    thickness = max(2, round(min(width, height) * 0.003))
    stats = {"boxes": 0}

    def change(frame):  # RGB (H, W, 3)
        net.setInput(cv2.dnn.blobFromImage(frame, 1 / 255.0, (args.size, args.size), swapRB=False, crop=False))
        found = postprocess(net.forward(out_names), width, height, args.conf, args.nms)
        stats["boxes"] += len(found)
        out = frame.copy()
        for score, c, x0, y0, x1, y1 in found:
            colour = class_colour(c)
            p0, p1 = (int(round(x0)), int(round(y0))), (int(round(x1)), int(round(y1)))
            cv2.rectangle(out, p0, p1, colour, thickness)
            label = f"{names[c] if c < len(names) else c} {score:.2f}"
            (tw, th), base = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, 0.6, 1)
            top = max(p0[1] - th - base, 0)
            cv2.rectangle(out, (p0[0], top), (p0[0] + tw, top + th + base), colour, cv2.FILLED)
            cv2.putText(out, label, (p0[0], top + th), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 255), 1,
                        cv2.LINE_AA)
        return out

    return change, stats


def round_to_4(v):
    return max(4, int(round(v / 4.0)) * 4)


def make_colourize(args, width, height):
    net = cv2.dnn.readNetFromONNX(args.onnx)
    net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
    net.setPreferableTarget(cv2.dnn.DNN_TARGET_CPU)
    scale = args.working_side / min(width, height)
    wh, ww = round_to_4(height * scale), round_to_4(width * scale)
    mean_over_256 = np.full((1, 3), 1.0 / 768.0, dtype=np.float32)
    state = {"carried": None, "last": None, "cuts": 0}
    stats = {"working_size": [wh, ww], "cuts": 0}

    def smooth(grey, ab):  # colourize/temporal.cpp's TemporalSmoother::smooth, at the working size
        last, state["last"] = state["last"], grey
        if last is None or args.temporal <= 0:
            state["carried"] = ab
            return ab
        change = np.abs(grey - last)
        if change.mean() > args.scene_cut:
            stats["cuts"] += 1
            state["carried"] = ab
            return ab
        weight = np.exp(-np.square(change / args.still)) * args.temporal
        state["carried"] = state["carried"] * weight + ab * (1.0 - weight)
        return state["carried"]

    def change(frame):  # RGB (H, W, 3)
        grey = cv2.transform(frame.astype(np.float32), mean_over_256)  # (H, W): mean of R, G, B / 256
        small = cv2.resize(grey, (ww, wh), interpolation=cv2.INTER_AREA)
        net.setInput(small[np.newaxis, np.newaxis], "grey")
        ab = smooth(small, net.forward("ab")[0])  # (2, wh, ww)
        ab_full = cv2.resize(np.ascontiguousarray(ab.transpose(1, 2, 0)), (width, height),
                             interpolation=cv2.INTER_LINEAR)  # (H, W, 2)
        lab = cv2.cvtColor(frame.astype(np.float32) * (1.0 / 255.0), cv2.COLOR_RGB2Lab)
        lab[:, :, 1:] = ab_full
        rgb = cv2.cvtColor(lab, cv2.COLOR_Lab2RGB)
        return cv2.convertScaleAbs(rgb, alpha=255.0)  # rounds and saturates to uint8

    return change, stats


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("task", choices=["detect", "colourize"])
    ap.add_argument("clip")
    ap.add_argument("out")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--crf", type=int, default=17)
    ap.add_argument("--preset", default="medium")
    ap.add_argument("--cfg")
    ap.add_argument("--weights")
    ap.add_argument("--names")
    ap.add_argument("--size", type=int, default=320)
    ap.add_argument("--conf", type=float, default=0.25)
    ap.add_argument("--nms", type=float, default=0.45)
    ap.add_argument("--onnx")
    ap.add_argument("--working-side", type=int, default=32)
    ap.add_argument("--temporal", type=float, default=0.8)
    ap.add_argument("--still", type=float, default=0.03)
    ap.add_argument("--scene-cut", type=float, default=0.12)
    args = ap.parse_args()
    cv2.setNumThreads(args.threads)
    width, height, rate = probe_size(args.clip)
    if args.task == "detect":
        if not (args.cfg and args.weights):
            sys.exit("detect needs --cfg and --weights")
        change, stats = make_detect(args, width, height)
    else:
        if not args.onnx:
            sys.exit("colourize needs --onnx")
        change, stats = make_colourize(args, width, height)

    start = time.perf_counter()
    dec = decoder(args.clip, args.threads)
    enc = encoder(args.clip, args.out, width, height, rate, args.threads, args.crf, args.preset)
    frames, nbytes, shape = 0, width * height * 3, (height, width, 3)
    while True:
        frame = read_frame(dec.stdout, nbytes, shape)
        if frame is None:
            break
        enc.stdin.write(np.ascontiguousarray(change(frame)).tobytes())
        frames += 1
    enc.stdin.close()
    if dec.wait() != 0 or enc.wait() != 0:
        sys.exit(f"ffmpeg failed (decoder {dec.returncode}, encoder {enc.returncode})")
    seconds = time.perf_counter() - start
    print(json.dumps({"impl": "reference", "task": args.task, "opencv": cv2.__version__,
                      "threads": cv2.getNumThreads(), "frames": frames, "seconds": seconds,
                      "width": width, "height": height, **stats}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
