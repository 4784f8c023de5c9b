#!/usr/bin/python3
"""Side-by-side detection speed: tint (build/bench/tint_detect_throughput) against OpenCV's DNN
(bench/detect_reference.py, cv2.dnn.readNetFromDarknet) on the same darknet files, input size and threads.

    bench/detect_compare.py [--models yolo-fastest-1.1,yolo-fastest-1.1-xl] [--threads 1,2] [--rounds 3]
                            [--repeats 20] [--size N] [--batch-sizes 1,16] [--train-steps 8] [--no-train]
                            [--generated-weights] [--data DIR] [--build build] [--json FILE] [--csv FILE]

A model's files are DATA/yolo-fastest-1.1/MODEL.{cfg,weights} for the Yolo-Fastest models; for the others (yolov4-tiny,
yolov3-tiny) the cfg and names embedded in the repository (data/darknet/) and the weights DATA/MODEL/MODEL.weights; the
input side is the cfg's width unless --size is given.
--generated-weights: a model whose .weights file is absent is timed with generated values instead
(build/bench/tint_darknet_generated_weights writes them into the build folder, and both implementations read that
file). They detect nothing, so only the forward rows are kept for such a model (its detect and post times would
depend on how many boxes the values happen to give), marked "generated" in the table, and it has no training step.

For each model and thread count, runs the two implementations alternately for --rounds rounds (the one going first
switches every round, so the machine's load drifts onto both alike); each run times every measure --repeats times
after a warm-up and reports medians. Prints, per measure, the median over rounds of each one's milliseconds and the
median of the rounds' speed ratios OpenCV ms / tint ms (above 1: tint is faster); then each one's best round and
the ratio of those, which is what the machine gives when no other process competes for its cores (at 2 threads on a
2-core machine, a process holding one core slows LibTorch's OpenMP, whose threads wait for each other at every
layer, far more than OpenCV's TBB, which hands the work to the thread that is running). Then the fine-tuning
step's images/s (tint only: OpenCV's DNN does not train). Measures:
  forward b1, b16  the network alone on a prepared input, batch 1 and 16;
  detect           one photo from its file to boxes on it: decode, resize, forward, decode + NMS (no drawing);
  detect DCT       tint's detect with the JPEG decoded by libjpeg-turbo's DCT scaling at the smallest of 1/2, 1/4,
                   1/8 that keeps --size (data::read_image_reduced), against OpenCV's usual detect;
  decode, resize, post   the detect path's stages one by one (post: box decoding and NMS); decode DCT: tint's
                   reduced decode against OpenCV's cv2.imread;
  train            forward + YOLO loss + backward + Adam, batch 16 of COCO128 at --size, the first --freeze 10
                   layers frozen, as `tint detect train` (augmentation left out).
--data is the detection data folder (yolo-fastest-1.1/, samples/bus.jpg, coco128/): default $TINT_DETECTION_DIR,
else ../shared/data/detection beside the source tree. The table is also written as JSON (every run's numbers) and
CSV (the table), by default to detect_compare.json / .csv in the build folder.
"""
import argparse
import csv
import io
import json
import os
import pathlib
import platform
import statistics
import subprocess
import sys
import time

from bench_common import load_average, run, write_atomic

ROOT = pathlib.Path(__file__).resolve().parent.parent


def cfg_width(cfg):
    """The [net] section's width= (the network's input side)."""
    with open(cfg) as f:
        for line in f:
            key, _, value = line.partition("=")
            if key.strip() == "width":
                return int(value.split("#")[0])
    sys.exit(f"{cfg}: no width= in [net]")


def generate_weights(cfg, build, model):
    """Generated values for a cfg without its weights, written by tint into the build folder (see the docstring)."""
    tool = build / "bench" / "tint_darknet_generated_weights"
    if not tool.exists():
        sys.exit(f"{tool} is missing: build it (cmake --build {build} --target tint_darknet_generated_weights)")
    out = build / f"{model}-generated.weights"
    run_text([str(tool), "--cfg", cfg, "--out", str(out), "--seed", "1"])
    return str(out)


def run_text(cmd):
    """Runs cmd; exits naming it and its stderr when it fails; returns its stdout."""
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed: {done.stderr.strip()}")
    return done.stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default="yolo-fastest-1.1,yolo-fastest-1.1-xl")
    ap.add_argument("--threads", default="1,2", help="thread counts, each given to both implementations")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--size", type=int, help="network input side (default: each model's cfg width)")
    ap.add_argument("--batch-sizes", default="1,16")
    ap.add_argument("--train-steps", type=int, default=8)
    ap.add_argument("--train-batch", type=int, default=16)
    ap.add_argument("--freeze", type=int, default=10)
    ap.add_argument("--no-train", action="store_true", help="leave the training step out")
    ap.add_argument("--generated-weights", action="store_true",
                    help="time a model without its .weights file on generated values (forward rows only)")
    ap.add_argument("--data", default=os.environ.get("TINT_DETECTION_DIR",
                                                     str(ROOT.parent / "shared" / "data" / "detection")))
    ap.add_argument("--image", help="the photo (default: DATA/samples/bus.jpg)")
    ap.add_argument("--build", default=str(ROOT / "build"))
    ap.add_argument("--json", help="default: BUILD/detect_compare.json")
    ap.add_argument("--csv", help="default: BUILD/detect_compare.csv")
    args = ap.parse_args()
    data = pathlib.Path(args.data)
    image = args.image or str(data / "samples" / "bus.jpg")
    tint_binary = pathlib.Path(args.build) / "bench" / "tint_detect_throughput"
    if not tint_binary.exists():
        sys.exit(f"{tint_binary} is missing: build it (cmake --build {args.build} --target tint_detect_throughput)")
    batches = [b for b in args.batch_sizes.split(",")]

    # (tint's key in the runs' JSON, OpenCV's key, label): ms measures both implementations report. "detect DCT"
    # and "decode DCT" are tint's path with the JPEG decoded by DCT scaling (OpenCV's side: its usual path).
    measures = [(("forward_ms", b), ("forward_ms", b), f"forward b{b}") for b in batches] + [
        (("detect_ms",), ("detect_ms",), "detect"), (("detect_scaled_ms",), ("detect_ms",), "detect DCT"),
        (("decode_ms",), ("decode_ms",), "decode"), (("decode_scaled_ms",), ("decode_ms",), "decode DCT"),
        (("resize_ms",), ("resize_ms",), "resize"), (("postprocess_ms",), ("postprocess_ms",), "post")]

    def value(result, key):
        v = result
        for k in key:
            v = v[k]
        return v

    print(f"tint vs OpenCV DNN, photo {pathlib.Path(image).name}, {args.rounds} rounds "
          f"alternating, medians of {args.repeats} calls; load average at start {load_average():.2f}")
    print(f"{'':>20} {'':>3} {'':>10} {'median of rounds':>28} {'best round':>28}")
    print(f"{'model':>20} {'thr':>3} {'size':>4} {'measure':>10} {'tint ms':>9} {'OpenCV ms':>10} {'speed':>7} "
          f"{'tint ms':>9} {'OpenCV ms':>10} {'speed':>7}")
    rows, runs = [], []
    for model in args.models.split(","):
        if model.startswith("yolo-fastest"):
            files = data / "yolo-fastest-1.1"
            cfg, weights, names = files / f"{model}.cfg", files / f"{model}.weights", files / "coco.names"
        else:
            embedded = ROOT / "data" / "darknet"
            cfg, weights, names = embedded / f"{model}.cfg", data / model / f"{model}.weights", embedded / "coco.names"
        cfg, weights, names = str(cfg), str(weights), str(names)
        if not pathlib.Path(cfg).exists():
            sys.exit(f"{cfg} is missing")
        size = args.size or cfg_width(cfg)
        generated = not pathlib.Path(weights).exists()
        if generated:
            if not args.generated_weights:
                sys.exit(f"{weights} is missing (--generated-weights times the network on generated values)")
            weights = generate_weights(cfg, pathlib.Path(args.build), model)
        common = ["--image", image, "--size", str(size), "--batch-sizes", args.batch_sizes,
                  "--warmup", str(args.warmup), "--repeats", str(args.repeats)]
        label_model = f"{model} generated" if generated else model
        for threads in (int(t) for t in args.threads.split(",")):
            tint = [str(tint_binary), "--cfg", cfg, "--weights", weights, "--names", names,
                    "--threads", str(threads)] + common
            train = not args.no_train and not generated
            if train:
                tint += ["--train-data", str(data / "coco128"), "--train-steps", str(args.train_steps),
                         "--train-batch", str(args.train_batch), "--freeze", str(args.freeze)]
            opencv = ["/usr/bin/python3", str(ROOT / "bench" / "detect_reference.py"), "--cfg", cfg,
                      "--weights", weights, "--threads", str(threads)] + common
            results = {"tint": [], "opencv": []}
            for r in range(args.rounds):
                order = [("tint", tint), ("opencv", opencv)]
                for impl, cmd in (order if r % 2 == 0 else order[::-1]):
                    load = load_average()
                    result = run(cmd)
                    result["load_average"] = load
                    results[impl].append(result)
                    runs.append({"model": label_model, "threads": threads, "round": r, "size": size, **result})
            for tint_key, opencv_key, label in measures:
                if generated and not label.startswith("forward"):
                    continue
                tints = [value(x, tint_key) for x in results["tint"]]
                opencvs = [value(x, opencv_key) for x in results["opencv"]]
                row = {"model": label_model, "threads": threads, "size": size, "measure": label,
                       "tint_ms": statistics.median(tints), "opencv_ms": statistics.median(opencvs),
                       "speed_ratio": statistics.median(o / t for t, o in zip(tints, opencvs)),
                       "tint_best_ms": min(tints), "opencv_best_ms": min(opencvs)}
                row["best_speed_ratio"] = row["opencv_best_ms"] / row["tint_best_ms"]
                rows.append(row)
                print(f"{label_model:>20} {threads:>3} {size:>4} {label:>10} {row['tint_ms']:>9.2f} {row['opencv_ms']:>10.2f} "
                      f"{row['speed_ratio']:>7.2f} {row['tint_best_ms']:>9.2f} {row['opencv_best_ms']:>10.2f} "
                      f"{row['best_speed_ratio']:>7.2f}")
            if train:
                steps = [x["train_step_ms"] for x in results["tint"]]
                rate = 1000.0 * args.train_batch / statistics.median(steps)
                best_rate = 1000.0 * args.train_batch / min(steps)
                rows.append({"model": model, "threads": threads, "size": size, "measure": f"train b{args.train_batch}",
                             "tint_ms": statistics.median(steps), "tint_best_ms": min(steps),
                             "tint_images_per_s": rate, "tint_best_images_per_s": best_rate})
                print(f"{model:>20} {threads:>3} {size:>4} {'train b' + str(args.train_batch):>10} "
                      f"{statistics.median(steps):>9.1f} {'':>10} {'':>7} {min(steps):>9.1f}   "
                      f"tint: {rate:.1f} images/s, best round {best_rate:.1f} (--freeze {args.freeze})")
    print(f"load average at end {load_average():.2f}")

    build = pathlib.Path(args.build)
    json_path = args.json or str(build / "detect_compare.json")
    csv_path = args.csv or str(build / "detect_compare.csv")
    meta = {"date": time.strftime("%Y-%m-%d %H:%M:%S"), "machine": platform.processor() or platform.machine(),
            "cores": os.cpu_count(), "rounds": args.rounds, "repeats": args.repeats,
            "image": image}
    write_atomic(json_path, json.dumps({"settings": meta, "table": rows, "runs": runs}, indent=2) + "\n")
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["model", "threads", "size", "measure", "tint_ms", "opencv_ms", "speed_ratio",
                                             "tint_best_ms", "opencv_best_ms", "best_speed_ratio",
                                             "tint_images_per_s", "tint_best_images_per_s"])
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    write_atomic(csv_path, out.getvalue())
    print(f"written: {json_path}, {csv_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
