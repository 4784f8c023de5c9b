#!/usr/bin/python3
"""Python PyTorch reference of tint's training pipeline, for side-by-side throughput comparison.

Same architectures (the source's Figure 1), same data (the embedded horses, pixels / 256, grey = mean of RGB,
labels = nearest of a palette), same optimizer (Adam), batch size and thread count as tint's bench/throughput.
Prints one JSON line: {"impl": "python", "model": ..., "train_images_per_s": ..., "infer_images_per_s": ...}.
Runs with Debian's python3-torch (/usr/bin/python3), which wraps the same LibTorch 1.13 as tint.
"""
import argparse
import json
import pathlib
import sys
import time

import numpy as np
import torch
import torch.nn as nn

RECORD = 3073


def load_horses(path, limit):
    raw = np.fromfile(path, dtype=np.uint8).reshape(-1, RECORD)[:limit]
    return torch.from_numpy(raw[:, 1:].reshape(-1, 3, 32, 32).copy())


def conv_padding(k):
    return (k - 1) // 2


class PoolUpsampleNet(nn.Module):
    def __init__(self, k, nic, nf, nc):
        super().__init__()
        p = k // 2
        self.block1 = nn.Sequential(nn.Conv2d(nic, nf, k, padding=p), nn.MaxPool2d(2), nn.BatchNorm2d(nf), nn.ReLU())
        self.block2 = nn.Sequential(nn.Conv2d(nf, 2 * nf, k, padding=p), nn.MaxPool2d(2), nn.BatchNorm2d(2 * nf), nn.ReLU())
        self.block3 = nn.Sequential(nn.Conv2d(2 * nf, nf, k, padding=p), nn.Upsample(scale_factor=2), nn.BatchNorm2d(nf), nn.ReLU())
        self.block4 = nn.Sequential(nn.Conv2d(nf, nc, k, padding=p), nn.Upsample(scale_factor=2), nn.BatchNorm2d(nc), nn.ReLU())
        self.final = nn.Conv2d(nc, nc, k, padding=p)

    def forward(self, x):
        return self.final(self.block4(self.block3(self.block2(self.block1(x)))))


def down(i, o, k):
    return nn.Sequential(nn.Conv2d(i, o, k, stride=2, padding=conv_padding(k)), nn.BatchNorm2d(o), nn.ReLU())


def up(i, o, k):
    p = conv_padding(k)
    return nn.Sequential(nn.ConvTranspose2d(i, o, k, stride=2, padding=p, output_padding=1 + 2 * p - k + 1),
                         nn.BatchNorm2d(o), nn.ReLU())


class ConvTransposeNet(nn.Module):
    def __init__(self, k, nic, nf, nc):
        super().__init__()
        self.block1, self.block2 = down(nic, nf, k), down(nf, 2 * nf, k)
        self.block3, self.block4 = up(2 * nf, nf, k), up(nf, nc, k)
        self.final = nn.Conv2d(nc, nc, k, padding=k // 2)

    def forward(self, x):
        return self.final(self.block4(self.block3(self.block2(self.block1(x)))))


class UNet(nn.Module):
    def __init__(self, k, nic, nf, nc):
        super().__init__()
        self.block1, self.block2 = down(nic, nf, k), down(nf, 2 * nf, k)
        self.block3, self.block4 = up(2 * nf, nf, k), up(2 * nf, nc, k)
        self.final = nn.Conv2d(nc + nic, nc, k, padding=k // 2)

    def forward(self, x):
        out1 = self.block1(x)
        out3 = self.block3(self.block2(out1))
        out4 = self.block4(torch.cat([out3, out1], 1))
        return self.final(torch.cat([out4, x], 1))


MODELS = {"pool-upsample": PoolUpsampleNet, "conv-transpose": ConvTransposeNet, "unet": UNet}


def print_profile(body, args, top=12):
    """The same table as tint's bench/op_profile.h: operators by self CPU time (the legacy profiler both use)."""
    with torch.autograd.profiler.profile() as prof:
        start = time.perf_counter()
        body()
        total_us = (time.perf_counter() - start) * 1e6
    ops = sorted(prof.key_averages(), key=lambda e: e.self_cpu_time_total, reverse=True)
    b = args.profile
    out = [f"python {args.model} {args.precision}, {b} batches of {args.batch_size}:",
           "| operator | calls/batch | self ms/batch | share |", "|---|---|---|---|"]
    for e in ops[:top]:
        out.append(f"| {e.key} | {e.count / b:.1f} | {e.self_cpu_time_total / 1000 / b:.2f} | "
                   f"{100 * e.self_cpu_time_total / total_us:.1f} % |")
    shown = sum(e.self_cpu_time_total for e in ops[:top])
    every = sum(e.self_cpu_time_total for e in ops)
    out.append(f"| (other operators) | | {(every - shown) / 1000 / b:.2f} | {100 * (every - shown) / total_us:.1f} % |")
    out.append(f"| (outside operators) | | {(total_us - every) / 1000 / b:.2f} | {100 * (total_us - every) / total_us:.1f} % |")
    out.append(f"| **step** | | **{total_us / 1000 / b:.2f}** | 100 % |")
    print("\n".join(out), file=sys.stderr)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True, help="directory with train.bin (embedded horses)")
    ap.add_argument("--model", default="conv-transpose", choices=MODELS)
    ap.add_argument("--batches", type=int, default=20)
    ap.add_argument("--batch-size", type=int, default=100)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--colours", type=int, default=24)
    ap.add_argument("--precision", default="fp32", choices=["fp32", "bf16"])
    ap.add_argument("--channels-last", action="store_true", help="weights and inputs in channels-last (NHWC)")
    ap.add_argument("--profile", type=int, default=0, help="then profile this many batches: operator table on stderr")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    n = args.batches * args.batch_size
    images = load_horses(pathlib.Path(args.data) / "train.bin", 5000)
    rgb = images.float() / 256.0
    grey = rgb.mean(1, keepdim=True)
    palette = torch.rand(args.colours, 3)
    ids = torch.cdist(rgb.permute(0, 2, 3, 1).reshape(-1, 3), palette).argmin(1).view(-1, 32, 32)

    model = MODELS[args.model](3, 1, 32, args.colours)
    fmt = torch.channels_last if args.channels_last else torch.contiguous_format
    model = model.to(memory_format=fmt)

    def to_fmt(x):
        # empty_like + copy_: a 1-channel tensor already counts as channels-last without NHWC strides (see tint's
        # models/colour_net.cpp), and UNet's concatenation with it would come out NCHW.
        return torch.empty_like(x, memory_format=fmt).copy_(x) if args.channels_last else x
    opt = torch.optim.Adam(model.parameters(), lr=0.001)
    loss_fn = nn.CrossEntropyLoss()

    def step(b):
        idx = torch.arange(b * args.batch_size, (b + 1) * args.batch_size) % grey.shape[0]
        opt.zero_grad()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            logits = model(to_fmt(grey[idx]))
        loss = loss_fn(logits.float(), ids[idx])
        loss.backward()
        opt.step()

    bf16 = args.precision == "bf16"
    model.train()
    for b in range(2):  # warm-up: first-call allocations and oneDNN primitive creation
        step(b)
    start = time.perf_counter()
    for b in range(args.batches):
        step(b)
    train_rate = n / (time.perf_counter() - start)
    if args.profile > 0:
        print_profile(lambda: [step(b) for b in range(args.profile)], args)

    model.eval()
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        model(to_fmt(grey[: args.batch_size]))
        start = time.perf_counter()
        for b in range(args.batches):
            model(to_fmt(grey[(b * args.batch_size) % 4900:][: args.batch_size]))
        infer_rate = n / (time.perf_counter() - start)
    print(json.dumps({"impl": "python", "model": args.model, "train_images_per_s": train_rate,
                      "infer_images_per_s": infer_rate}))


if __name__ == "__main__":
    main()
