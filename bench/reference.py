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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True, help="directory with train.bin (embedded horses)")
    ap.add_argument("--model", default="conv-transpose", choices=MODELS)
    ap.add_argument("--batches", type=int, default=20)
    ap.add_argument("--batch-size", type=int, default=100)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--colours", type=int, default=24)
    ap.add_argument("--precision", default="fp32", choices=["fp32", "bf16"])
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
    opt = torch.optim.Adam(model.parameters(), lr=0.001)
    loss_fn = nn.CrossEntropyLoss()

    def step(b):
        idx = torch.arange(b * args.batch_size, (b + 1) * args.batch_size) % grey.shape[0]
        opt.zero_grad()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            logits = model(grey[idx])
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

    model.eval()
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        model(grey[: args.batch_size])
        start = time.perf_counter()
        for b in range(args.batches):
            model(grey[(b * args.batch_size) % 4900:][: args.batch_size])
        infer_rate = n / (time.perf_counter() - start)
    print(json.dumps({"impl": "python", "model": args.model, "train_images_per_s": train_rate,
                      "infer_images_per_s": infer_rate}))


if __name__ == "__main__":
    main()
