#!/usr/bin/python3
"""PyTorch's side of the data-parallel comparison: what bench/data_parallel_throughput measures in tint, done with
torch.nn.parallel.DistributedDataParallel and torch.distributed.all_reduce on the gloo backend.

    bench/data_parallel_reference.py train [--nproc N] [--threads T] [--steps 300] [--seconds S] [--warmup 5]
                                           [--probe-every 4] [--batch 100] [--first-bucket-kb 1024] [--bucket-kb 25600]
    bench/data_parallel_reference.py allreduce --nproc N [--threads T] [--sizes-kb 4,16,...] [--budget-mb 64]

Same model (the source's ConvTransposeNet, bench/reference.py's definition), data (the embedded horses, grey = mean
of RGB / 256, labels = nearest of a random palette), fp32, channels-last weights and inputs, Adam, global batch split
into contiguous shares, and per step the small allreduce of [loss, interrupt] tint's trainer makes. DDP broadcasts
the buffers inside forward and waits for its buckets inside backward (its reducer's final autograd callback), so its
forward_ms holds the broadcast and its backward_ms the wait; the probe steps (a plain copy of the model, no DDP, one
after every --probe-every steps) give the compute alone, as in tint. --nproc N > 1 starts N processes of this script
with the torchrun variables (RANK, WORLD_SIZE, MASTER_ADDR=127.0.0.1, MASTER_PORT); the launcher never imports
torch. Prints rank 0's JSON line.
"""
import argparse
import datetime
import json
import os
import pathlib
import socket
import statistics
import subprocess
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent


def median_ms(values):
    return 1000.0 * statistics.median(values) if values else 0.0


def mean_ms(values):
    return 1000.0 * statistics.fmean(values) if values else 0.0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch(nproc):
    """Runs this command as nproc workers; returns the first failing worker's status (0 when all succeeded)."""
    port = free_port()
    argv, kept, skip = sys.argv[1:], [], False
    for a in argv:
        if skip:
            skip = False
        elif a == "--nproc":
            skip = True
        elif not a.startswith("--nproc="):
            kept.append(a)
    workers = []
    for rank in range(nproc):
        env = dict(os.environ, RANK=str(rank), WORLD_SIZE=str(nproc), LOCAL_RANK=str(rank),
                   LOCAL_WORLD_SIZE=str(nproc), MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
        workers.append(subprocess.Popen([sys.executable, str(pathlib.Path(__file__).resolve())] + kept, env=env))
    status = 0
    while workers:
        for w in list(workers):
            code = w.poll()
            if code is None:
                continue
            workers.remove(w)
            if code != 0 and status == 0:
                status = code if code > 0 else 128 - code
                for other in workers:
                    other.kill()
        time.sleep(0.02)
    return status


def share(rank, size, begin, end):
    """tint's DataParallel::share: contiguous parts, the first (end - begin) % size workers one image more."""
    n = end - begin
    base, extra = divmod(n, size)
    first = begin + rank * base + min(rank, extra)
    return first, first + base + (1 if rank < extra else 0)


def train(args, rank, size):
    import torch
    import torch.distributed as dist
    import torch.nn as nn
    sys.path.insert(0, str(HERE))
    sys.dont_write_bytecode = True  # no __pycache__ in the source tree
    from reference import MODELS, load_horses

    torch.manual_seed(0)
    images = load_horses(pathlib.Path(args.data) / "train.bin", 5000)
    rgb = images.float() / 256.0
    grey = rgb.mean(1, keepdim=True)
    palette = torch.rand(args.colours, 3)
    ids = torch.cdist(rgb.permute(0, 2, 3, 1).reshape(-1, 3), palette).argmin(1).view(-1, 32, 32)
    n = grey.shape[0]
    cl = torch.channels_last

    def make():
        return MODELS[args.model](3, 1, 32, args.colours).to(memory_format=cl).train()

    def batch(b):
        first, last = share(rank, size, b * args.batch, (b + 1) * args.batch)
        idx = torch.arange(first, last) % n
        # empty_like + copy_: a 1-channel tensor counts as channels-last without NHWC strides (bench/reference.py).
        return torch.empty_like(grey[idx], memory_format=cl).copy_(grey[idx]), ids[idx]

    distributed = size > 1
    plain = make()
    parameters = sum(p.numel() for p in plain.parameters() if p.requires_grad)
    if distributed:
        dist._DEFAULT_FIRST_BUCKET_BYTES = args.first_bucket_kb * 1024  # read by DDP's constructor
        model = nn.parallel.DistributedDataParallel(plain, bucket_cap_mb=args.bucket_kb / 1024.0)
    else:
        model = plain
    opt = torch.optim.Adam(model.parameters(), lr=0.001)
    loss_fn = nn.CrossEntropyLoss()
    local = make()  # no DDP: its steps are this worker's compute alone
    local_opt = torch.optim.Adam(local.parameters(), lr=0.001)
    probing = distributed and args.probe_every > 0
    times = {k: [] for k in ("step", "forward", "backward", "loss_sum", "optimizer", "probe")}
    timed_start = [None]

    def step(b, record):
        """One global batch; returns whether rank 0's time budget is spent (summed where tint sums its interrupt)."""
        x, y = batch(b)
        t0 = time.perf_counter()
        opt.zero_grad()
        t1 = time.perf_counter()
        loss = loss_fn(model(x), y)  # DDP averages the workers' gradients: the global batch's mean
        forward = time.perf_counter() - t1
        t1 = time.perf_counter()
        loss.backward()
        backward = time.perf_counter() - t1
        t1 = time.perf_counter()
        out_of_time = record and args.seconds > 0 and rank == 0 and t1 - timed_start[0] > args.seconds
        values = torch.tensor([loss.item(), 1.0 if out_of_time else 0.0], dtype=torch.float64)
        if distributed:
            dist.all_reduce(values)  # tint's [loss, interrupt]
        loss_sum = time.perf_counter() - t1
        t1 = time.perf_counter()
        opt.step()
        optimize = time.perf_counter() - t1
        if record:
            for k, v in (("step", time.perf_counter() - t0), ("forward", forward), ("backward", backward),
                         ("loss_sum", loss_sum), ("optimizer", optimize)):
                times[k].append(v)
        return values[1].item() > 0

    def local_step(b):
        x, y = batch(b)
        t0 = time.perf_counter()
        local_opt.zero_grad()
        loss = loss_fn(local(x), y) / size  # this worker's share of the global mean
        loss.backward()
        loss.item()
        local_opt.step()
        return time.perf_counter() - t0

    for b in range(args.warmup):
        step(b, False)
    for b in range(2 if probing else 0):
        local_step(b)
    if distributed:
        dist.barrier()
    # Probe steps between the timed steps, fenced by barriers and left out of images/s (as in tint).
    steps, elapsed = 0, 0.0
    timed_start[0] = segment = time.perf_counter()
    for s in range(args.steps):
        stop = step(args.warmup + s, True)
        steps += 1
        if stop:
            break
        if probing and (s + 1) % args.probe_every == 0 and s + 1 < args.steps:
            elapsed += time.perf_counter() - segment
            dist.barrier()
            times["probe"].append(local_step(args.warmup + s))
            dist.barrier()
            segment = time.perf_counter()
    if distributed:
        dist.barrier()
    elapsed += time.perf_counter() - segment
    probe = times.pop("probe")

    def per_rank(values):
        slots = torch.zeros(size, dtype=torch.float64)
        slots[rank] = median_ms(values)
        if distributed:
            dist.all_reduce(slots)
        return slots.tolist()

    buckets, grad_bytes = 0, 0
    if distributed:
        info = model._get_ddp_logging_data()
        sizes = info.get("rebuilt_bucket_sizes") or info.get("bucket_sizes", "")
        buckets = len([s for s in str(sizes).split(",") if s.strip()])
        grad_bytes = sum(p.numel() * p.element_size() for p in plain.parameters() if p.requires_grad)
    compute = [f + b for f, b in zip(times["forward"], times["backward"])]
    return {"impl": "python", "mode": "train", "model": args.model, "nproc": size, "threads": args.threads,
            "global_batch": args.batch, "steps": steps, "probe_steps": len(probe),
            "images_per_s": args.batch * steps / elapsed,
            "parameters": parameters, "allreduce_bytes": grad_bytes, "buckets": buckets,
            **{f"{k}_ms": median_ms(v) for k, v in times.items()}, "probe_step_ms": median_ms(probe),
            "mean_ms": {**{k: mean_ms(v) for k, v in times.items()}, "probe_step": mean_ms(probe)},
            "compute_ms_by_rank": per_rank(compute), "probe_step_ms_by_rank": per_rank(probe)}


def allreduce(args, rank, size):
    import torch
    import torch.distributed as dist
    torch.manual_seed(0)
    out = []
    for kb in (int(s) for s in args.sizes_kb.split(",")):
        nbytes = kb * 1024
        calls = max(5, min(100, args.budget_mb * 1024 // kb))  # tint's rule
        t = torch.rand(nbytes // 4)
        for _ in range(2):
            dist.all_reduce(t)
        dist.barrier()
        times = []
        for _ in range(calls):
            t0 = time.perf_counter()
            dist.all_reduce(t)
            times.append(time.perf_counter() - t0)
        s = statistics.median(times)
        out.append({"bytes": nbytes, "calls": calls, "ms": 1000.0 * s, "gbytes_per_s": nbytes / s / 1e9})
    return {"impl": "python", "mode": "allreduce", "nproc": size, "threads": args.threads, "sizes": out}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="mode", required=True)
    tr, ar = sub.add_parser("train"), sub.add_parser("allreduce")
    for p in (tr, ar):
        p.add_argument("--nproc", type=int, default=1)
        p.add_argument("--threads", type=int, default=1)
    tr.add_argument("--data", default=str(ROOT / "data" / "cifar10-horse"))
    tr.add_argument("--model", default="conv-transpose")
    tr.add_argument("--batch", type=int, default=100)
    tr.add_argument("--steps", type=int, default=300, help="timed steps (at most)")
    tr.add_argument("--seconds", type=float, default=0.0, help="stop the timed steps after this long (0: no limit)")
    tr.add_argument("--warmup", type=int, default=5)
    tr.add_argument("--probe-every", type=int, default=4,
                    help="after every this many steps, one step of an unsynchronised copy (0: none)")
    tr.add_argument("--colours", type=int, default=24)
    tr.add_argument("--first-bucket-kb", type=int, default=1024)
    tr.add_argument("--bucket-kb", type=int, default=25 * 1024)
    ar.add_argument("--sizes-kb", default="4,16,64,256,1024,4096,16384,65536")
    ar.add_argument("--budget-mb", type=int, default=64)
    args = ap.parse_args()

    if "RANK" not in os.environ and args.nproc > 1:
        return launch(args.nproc)
    rank, size = int(os.environ.get("RANK", "0")), int(os.environ.get("WORLD_SIZE", "1"))
    import torch
    import torch.distributed as dist
    torch.set_num_threads(args.threads)
    if size > 1:
        dist.init_process_group("gloo", rank=rank, world_size=size, timeout=datetime.timedelta(seconds=60))
    elif args.mode == "allreduce":
        sys.exit("allreduce: needs --nproc 2 or more (or the torchrun environment)")
    result = train(args, rank, size) if args.mode == "train" else allreduce(args, rank, size)
    if size > 1:
        dist.barrier()
        dist.destroy_process_group()
    if rank == 0:
        print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
