#!/usr/bin/python3
"""Video speed, end to end: `tint detect VIDEO` and `tint colourize VIDEO` against a reference pipeline of FFmpeg's
CLI and OpenCV's DNN in Python (bench/video_reference.py), on the same clips, models, threads and x264 settings.

    bench/video_compare.py [--sizes 1280x720,1920x1080] [--seconds 5] [--fps 25] [--threads 1,2] [--rounds 3]
                           [--grain 4] [--no-pin] [--data DIR] [--build build] [--json FILE] [--keep DIR]

The clips are made by the `ffmpeg` CLI into a temporary folder: the sample photo (DATA/samples/bus.jpg, 810x1080)
enlarged to 1.25 times the clip's width and panned across (down at a steady speed, sideways and back), light
temporal grain (--grain, FFmpeg's noise filter: a camera's noise, which is what makes x264 work), H.264 (crf 18) with
an AAC sine track, --seconds long at --fps.

For each size and thread count N, the measures run in turns for --rounds rounds (the order reversed every other
round, so that the machine's load drifts onto all alike); each is a whole process timed by the wall clock, start-up
and model loading included, and its rate is the clip's frames over that time:
  detect          tint detect CLIP --out-dir DIR --threads N (the shipped Yolo-Fastest 1.1, boxes drawn, JSON lines,
                  MOT text, H.264 out with the audio copied), against the reference's detect: ffmpeg -threads N
                  decoding to rgb24 on a pipe, cv2.dnn.readNetFromDarknet on the same cfg/weights (320x320 bilinear
                  stretch, NMSBoxes at conf 0.25, iou 0.45), the boxes drawn with cv2.rectangle/putText, ffmpeg
                  encoding rgb24 from a pipe with libx264 (crf 17, preset medium: tint's defaults, -threads N) with
                  the audio copied;
  detect --track  tint with ByteTrack, against the same reference detect (which does not track);
  colourize       tint colourize CLIP -o OUT --threads N (the default model and settings: shorter side 32, temporal
                  smoothing), against the reference's colourize: the same decode and encode, `tint export
                  --pretrained cifar10 --decode` run by cv2.dnn.readNetFromONNX at the same working size, the same
                  temporal smoothing, ab upsampled by cv2.resize and recombined with the frame's L by cv2.cvtColor;
  ffmpeg decode   ffmpeg -threads N decoding the clip to rgb24 and throwing the frames away (what tint's reader does
                  before the network);
  ffmpeg transcode  ffmpeg -threads N: decode to rgb24, encode with libx264 as above, audio copied: the whole
                  pipeline without a network, the rate neither side can pass on this machine.
With N below the machine's cores, every process (tint, the reference and its two ffmpeg processes) is pinned to the
first N cores with `taskset` (--no-pin: not), so that "1 thread" means one core for the reference's three processes
too. Prints, per size, threads and measure, tint's and the reference's frames/s, median (min-max over the rounds),
and the median of the rounds' ratios tint / reference (above 1: tint is faster). Once, at the first size, it checks
that both sides did the same work: the boxes found, and the mean absolute difference between tint's and the
reference's colourized frames (0-255 scale), beside the difference between tint's frames and the input's.
--data is the detection data folder (samples/bus.jpg): default $TINT_DETECTION_DIR, else ../shared/data/detection
beside the source tree. --json writes the table, the settings and every run. --measures times only some of the
measures (`--measures "colourize,ffmpeg transcode"`: what colourization's speed needs; "detect --track" brings the
reference's detect along, which it is compared with).
"""
import argparse
import json
import os
import pathlib
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

from bench_common import load_average, write_atomic

ROOT = pathlib.Path(__file__).resolve().parent.parent
PYTHON = "/usr/bin/python3"
MEASURES = ("detect", "detect --track", "colourize", "ffmpeg decode", "ffmpeg transcode")


def check(cmd, **kwargs):
    done = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    if done.returncode != 0:
        sys.exit(f"{' '.join(map(str, cmd))}\nfailed ({done.returncode}):\n{done.stderr[-3000:]}")
    return done.stdout


def make_clip(path, photo, width, height, seconds, fps, grain):
    # Enlarged to 1.25 x the width (the portrait photo then is far taller than the frame), panned down at a steady
    # speed and sideways and back.
    wide = int(width * 1.25) // 2 * 2
    video = (f"[0:v]scale={wide}:-2,crop={width}:{height}:x='(iw-ow)*0.5*(1-cos(t*6.283/{seconds}))'"
             f":y='(ih-oh)*t/{seconds}'" + (f",noise=alls={grain}:allf=t" if grain > 0 else "") + ",format=yuv420p[v]")
    check(["ffmpeg", "-v", "error", "-nostdin", "-y", "-loop", "1", "-framerate", str(fps), "-i", str(photo),
           "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-filter_complex", video, "-map", "[v]",
           "-map", "1:a", "-t", str(seconds), "-c:v", "libx264", "-preset", "fast", "-crf", "18", "-c:a", "aac",
           "-b:a", "128k", "-shortest", "-movflags", "+faststart", str(path)])


def frame_count(path):
    out = check(["ffprobe", "-v", "error", "-select_streams", "v:0", "-count_packets", "-show_entries",
                 "stream=nb_read_packets", "-of", "csv=p=0", str(path)])
    return int(out.strip())


def rgb_frames(path, width, height, indices):
    """The frames `indices` of the video at `path`, decoded to rgb24 by the CLI."""
    raw = subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-i", str(path), "-map", "0:v:0", "-f", "rawvideo",
                          "-pix_fmt", "rgb24", "-"], capture_output=True, check=True).stdout
    frames = np.frombuffer(raw, dtype=np.uint8).reshape(-1, height, width, 3)
    return [frames[i].astype(np.int16) for i in indices if i < len(frames)]


def timed(cmd):
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(map(str, cmd))}\nfailed ({done.returncode}):\n{done.stderr[-3000:]}")
    return seconds, done.stdout


def spread(values):
    return f"{statistics.median(values):6.1f} ({min(values):.1f}-{max(values):.1f})"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1280x720,1920x1080")
    ap.add_argument("--seconds", type=float, default=5.0, help="clip length")
    ap.add_argument("--fps", type=int, default=25)
    ap.add_argument("--grain", type=int, default=4, help="FFmpeg noise filter strength in the clips (0: none)")
    ap.add_argument("--threads", default="1,2", help="thread counts, each given to both sides")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--no-pin", action="store_true", help="do not pin N-thread runs to the first N cores")
    ap.add_argument("--crf", type=int, default=17, help="x264 rate factor of both sides (tint's default)")
    ap.add_argument("--preset", default="medium", help="x264 preset of both sides (tint's default)")
    ap.add_argument("--data", default=os.environ.get("TINT_DETECTION_DIR",
                                                     str(ROOT.parent / "shared" / "data" / "detection")))
    ap.add_argument("--build", default=str(ROOT / "build"))
    ap.add_argument("--measures", default=",".join(MEASURES),
                    help="which to time, comma-separated (default all): " + ", ".join(MEASURES))
    ap.add_argument("--json", help="also write the table, the settings and every run to this file")
    ap.add_argument("--keep", help="make the clips and outputs in this folder and keep them (default: a temporary one)")
    args = ap.parse_args()
    measures = [m.strip() for m in args.measures.split(",")]
    unknown = [m for m in measures if m not in MEASURES]
    if unknown:
        sys.exit(f"--measures: unknown {', '.join(unknown)}; expected some of {', '.join(MEASURES)}")

    tint = pathlib.Path(args.build) / "tint"
    if not tint.exists():
        sys.exit(f"{tint} is missing: build it (scripts/build.sh)")
    photo = pathlib.Path(args.data) / "samples" / "bus.jpg"
    if not photo.exists():
        sys.exit(f"{photo} is missing: give --data (the detection data folder)")
    detector = ROOT / "data" / "pretrained" / "yolo-fastest-1.1"  # what tint detect uses by default
    for name in ("yolo-fastest-1.1.cfg", "yolo-fastest-1.1.weights", "coco.names"):
        if not (detector / name).exists():
            sys.exit(f"{detector / name} is missing")
    work = pathlib.Path(args.keep) if args.keep else pathlib.Path(tempfile.mkdtemp(prefix="tint-video-compare-"))
    work.mkdir(parents=True, exist_ok=True)
    cores = os.cpu_count()
    threads_list = [int(t) for t in args.threads.split(",")]
    sizes = [tuple(int(v) for v in s.split("x")) for s in args.sizes.split(",")]
    x264 = ["--crf", str(args.crf), "--preset", args.preset]

    try:
        onnx = work / "colourizer.onnx"
        check([str(tint), "export", "--pretrained", "cifar10", "--decode", "-o", str(onnx)])
        reference = [PYTHON, str(ROOT / "bench" / "video_reference.py")]
        detect_files = ["--cfg", str(detector / "yolo-fastest-1.1.cfg"),
                        "--weights", str(detector / "yolo-fastest-1.1.weights"), "--names", str(detector / "coco.names")]

        print(f"tint vs FFmpeg CLI + OpenCV DNN, clips of {args.seconds:g} s at {args.fps} frames/s (bus.jpg panned, "
              f"grain {args.grain}, AAC), x264 crf {args.crf} preset {args.preset}, {args.rounds} rounds in turns, "
              f"{'pinned to N cores' if not args.no_pin else 'not pinned'}; {cores} cores, load average at start "
              f"{load_average():.2f}")
        print(f"{'size':>9} {'thr':>3} {'measure':>17} {'tint frames/s':>21} {'reference frames/s':>21} {'ratio':>6}")
        rows, runs, checks = [], [], {}
        for width, height in sizes:
            size = f"{width}x{height}"
            clip = work / f"clip-{size}.mp4"
            make_clip(clip, photo, width, height, args.seconds, args.fps, args.grain)
            frames = frame_count(clip)
            for threads in threads_list:
                pin = ["taskset", "-c", f"0-{threads - 1}"] if threads < cores and not args.no_pin else []
                n = str(threads)
                out = work / f"out-{size}-{threads}"
                out.mkdir(exist_ok=True)
                ff_in = ["ffmpeg", "-v", "error", "-nostdin", "-y", "-threads", n, "-i", str(clip)]
                # (measure, side, command)
                commands = [
                    ("detect", "tint", pin + [str(tint), "detect", str(clip), "--out-dir", str(out / "tint-detect"),
                                              "--threads", n] + x264),
                    ("detect", "reference", pin + reference + ["detect", str(clip), str(out / "ref-detect.mp4"),
                                                               "--threads", n] + detect_files + x264),
                    ("detect --track", "tint", pin + [str(tint), "detect", str(clip), "--track", "--out-dir",
                                                      str(out / "tint-track"), "--threads", n] + x264),
                    ("colourize", "tint", pin + [str(tint), "colourize", str(clip), "-o",
                                                 str(out / "tint-colourize.mp4"), "--threads", n] + x264),
                    ("colourize", "reference", pin + reference + ["colourize", str(clip),
                                                                  str(out / "ref-colourize.mp4"), "--threads", n,
                                                                  "--onnx", str(onnx)] + x264),
                    ("ffmpeg decode", "ffmpeg", pin + ff_in + ["-map", "0:v:0", "-f", "rawvideo", "-pix_fmt", "rgb24",
                                                               "/dev/null"]),
                    ("ffmpeg transcode", "ffmpeg", pin + ff_in + [
                        "-map", "0:v:0", "-map", "0:a", "-vf", "format=rgb24,format=yuv420p", "-c:v", "libx264",
                        "-preset", args.preset, "-crf", str(args.crf), "-threads", n, "-c:a", "copy",
                        str(out / "ffmpeg-transcode.mp4")]),
                ]
                # The reference's detect run is what "detect --track" is compared with, so it runs for either.
                wanted = set(measures) | ({"detect"} if "detect --track" in measures else set())
                commands = [c for c in commands if c[0] in wanted]
                fps = {}
                for r in range(args.rounds):
                    for measure, side, cmd in (commands if r % 2 == 0 else commands[::-1]):
                        load = load_average()
                        seconds, stdout = timed(cmd)
                        fps.setdefault((measure, side), []).append(frames / seconds)
                        run = {"size": size, "threads": threads, "round": r, "measure": measure, "side": side,
                               "seconds": seconds, "frames": frames, "fps": frames / seconds, "load_average": load}
                        if side == "reference":
                            run["reference"] = json.loads(stdout.strip().splitlines()[-1])
                        runs.append(run)
                if not checks:
                    checks = same_work(clip, out, width, height, runs)
                for measure in (m for m in MEASURES if m in measures):
                    base = "detect" if measure == "detect --track" else measure
                    mine = fps.get((measure, "tint")) or fps.get((measure, "ffmpeg"))
                    theirs = fps.get((base, "reference"))
                    row = {"size": size, "threads": threads, "measure": measure,
                           "tint_fps": statistics.median(mine), "tint_fps_min": min(mine), "tint_fps_max": max(mine)}
                    line = f"{size:>9} {threads:>3} {measure:>17} {spread(mine):>21}"
                    if (measure, "ffmpeg") in fps:
                        row["side"] = "ffmpeg"
                        line = f"{size:>9} {threads:>3} {measure:>17} {'':>21} {spread(mine):>21}"
                    elif theirs:
                        ratio = statistics.median(t / o for t, o in zip(mine, theirs))
                        row.update({"reference_fps": statistics.median(theirs), "reference_fps_min": min(theirs),
                                    "reference_fps_max": max(theirs), "ratio": ratio})
                        line += f" {spread(theirs):>21} {ratio:>6.2f}"
                    rows.append(row)
                    print(line, flush=True)
        print(f"load average at end {load_average():.2f}")
        if "tint_boxes" in checks:
            print(f"same work, {checks['size']} at {checks['threads']} thread(s): boxes over the clip tint "
                  f"{checks['tint_boxes']}, reference {checks['reference_boxes']}")
        if "colour_vs_reference" in checks:
            print(f"same work, {checks['size']} at {checks['threads']} thread(s): colourized frames "
                  f"{checks['frames']}: mean |tint - reference| {checks['colour_vs_reference']:.2f}, "
                  f"mean |tint - input| {checks['colour_vs_input']:.2f} (0-255)")
        if args.json:
            meta = {"date": time.strftime("%Y-%m-%d %H:%M:%S"), "machine": platform.processor() or platform.machine(),
                    "cores": cores, "sizes": args.sizes, "seconds": args.seconds, "fps": args.fps,
                    "grain": args.grain, "rounds": args.rounds, "pinned": not args.no_pin, "crf": args.crf,
                    "preset": args.preset}
            write_atomic(args.json, json.dumps({"settings": meta, "table": rows, "checks": checks, "runs": runs},
                                               indent=2) + "\n")
            print(f"written: {args.json}")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


def same_work(clip, out, width, height, runs):
    """Boxes found by both detects; tint's and the reference's colourized frames against each other."""
    size = f"{width}x{height}"
    checks = {"size": size, "threads": runs[0]["threads"]}
    jsonl = out / "tint-detect" / (clip.stem + "_detections.jsonl")
    if jsonl.exists():  # detect was measured
        checks["tint_boxes"] = sum(len(json.loads(line)["detections"]) for line in jsonl.read_text().splitlines())
        checks["reference_boxes"] = next(r["reference"]["boxes"] for r in runs
                                         if r["side"] == "reference" and r["measure"] == "detect" and r["size"] == size)
    if not (out / "tint-colourize.mp4").exists():  # colourize was not
        return checks
    picks = [5, 25, 50, 75]
    source = rgb_frames(clip, width, height, picks)
    mine = rgb_frames(out / "tint-colourize.mp4", width, height, picks)
    theirs = rgb_frames(out / "ref-colourize.mp4", width, height, picks)
    checks.update({"frames": picks[:len(mine)],
                   "colour_vs_reference": float(np.mean([np.abs(a - b).mean() for a, b in zip(mine, theirs)])),
                   "colour_vs_input": float(np.mean([np.abs(a - b).mean() for a, b in zip(mine, source)]))})
    return checks


if __name__ == "__main__":
    sys.exit(main())
