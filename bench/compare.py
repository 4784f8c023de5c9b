#!/usr/bin/python3
"""Side-by-side throughput: tint (build/bench/tint_throughput) against the Python PyTorch reference (bench/reference.py).

    bench/compare.py [--models pool-upsample,conv-transpose,unet] [--rounds 3] [--batches 20] [--threads N]
                     [--precision fp32|bf16] [--python-precision fp32|bf16] [--profile N]

Alternates the two implementations round by round (so machine noise hits both alike) and prints each one's median
images/s and the median of the rounds' ratios tint / Python, for training and inference (the Python reference's
speed drifts by a third within minutes on a shared machine; a round's two runs are seconds apart).
--precision bf16 --python-precision fp32 measures tint's bf16 against the plain notebook. --profile N: after the rounds, profiles
N training batches of each implementation and prints both operator tables (self time per operator).
"""
import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent


def run(cmd, show_stderr=False):
    done = subprocess.run(cmd, check=True, capture_output=True, text=True)
    if show_stderr:
        print(done.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default="pool-upsample,conv-transpose,unet")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--batches", type=int, default=20)
    ap.add_argument("--batch-size", type=int, default=100)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--build", default=str(ROOT / "build"))
    ap.add_argument("--precision", default="fp32", choices=["fp32", "bf16"],
                    help="bf16: autocast forward passes in both implementations")
    ap.add_argument("--python-precision", choices=["fp32", "bf16"],
                    help="the Python reference's precision (default: --precision)")
    ap.add_argument("--memory-format", default="channels-last", choices=["channels-last", "contiguous"],
                    help="tint's memory format (its default: channels-last)")
    ap.add_argument("--python-channels-last", action="store_true",
                    help="give the Python reference NHWC weights and inputs too (a notebook would not)")
    ap.add_argument("--profile", type=int, default=0, help="then profile this many batches of each implementation")
    args = ap.parse_args()
    data = ROOT / "data" / "cifar10-horse"
    python_precision = args.python_precision or args.precision
    common = ["--batches", str(args.batches), "--batch-size", str(args.batch_size), "--threads", str(args.threads)]
    tint = [str(pathlib.Path(args.build) / "bench" / "tint_throughput"), "--data", str(data),
            "--memory-format", args.memory_format, "--precision", args.precision] + common
    python = ["/usr/bin/python3", str(ROOT / "bench" / "reference.py"), "--data", str(data),
              "--precision", python_precision] + common + (["--channels-last"] if args.python_channels_last else [])

    print(f"tint {args.precision} {args.memory_format}, Python {python_precision} "
          f"{'channels-last' if args.python_channels_last else 'contiguous'}, threads {args.threads}, "
          f"batch {args.batch_size}, {args.batches} timed batches, {args.rounds} rounds (medians)")
    print(f"{'model':>15} {'train tint':>11} {'train py':>9} {'ratio':>6} {'infer tint':>11} {'infer py':>9} {'ratio':>6}")
    for model in args.models.split(","):
        results = {"tint": [], "python": []}
        for _ in range(args.rounds):
            results["tint"].append(run(tint + ["--model", model]))
            results["python"].append(run(python + ["--model", model]))
        keys = ("train_images_per_s", "infer_images_per_s")
        med = {impl: {key: statistics.median(r[key] for r in rs) for key in keys} for impl, rs in results.items()}
        ratio = {key: statistics.median(t[key] / p[key] for t, p in zip(results["tint"], results["python"]))
                 for key in keys}
        t, p = med["tint"], med["python"]
        print(f"{model:>15} {t['train_images_per_s']:>11.0f} {p['train_images_per_s']:>9.0f} "
              f"{ratio['train_images_per_s']:>6.2f} {t['infer_images_per_s']:>11.0f} "
              f"{p['infer_images_per_s']:>9.0f} {ratio['infer_images_per_s']:>6.2f}")
        if args.profile > 0:
            profile = ["--profile", str(args.profile), "--model", model]
            run(tint + profile, show_stderr=True)
            run(python + profile, show_stderr=True)
    label = results["tint"][-1].get("label_pixels_per_s")
    if label:
        print(f"palette labelling: {label / 1e6:.1f} M pixels/s (5,000 x 32 x 32 pixels in {5.12e6 / label:.2f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
