#!/usr/bin/python3
"""Side-by-side data-parallel speed: tint (build/bench/tint_data_parallel_throughput) against PyTorch's
DistributedDataParallel (bench/data_parallel_reference.py), both on Gloo over loopback.

    bench/data_parallel_compare.py [--rounds 3] [--seconds 6] [--steps 300] [--configs 1x1,1x2,2x1]
                                   [--no-allreduce] [--sizes-kb 4,16,...,65536] [--cfgs A.cfg,B.cfg] [--build build]
                                   [--json FILE]

Training: the source's ConvTransposeNet, global batch 100 of the embedded horses, fp32, channels-last, Adam, run as
P processes x T threads (1x1: the baseline; 1x2: one process using both cores; 2x1: two workers, each its half of
every batch), each run timing up to --steps steps or --seconds, whichever comes first. Allreduce: the time of one
allreduce between 2 processes for each size, and bytes / time (algorithmic bandwidth). Every round runs every
measure in both implementations, the one going first alternating from run to run, so that a change in the machine's
load (printed) falls on all measures and both implementations alike; the tables show medians over the rounds (and the
range), ratios tint / PyTorch and the scaling ratios are the medians of the rounds' ratios (tint / PyTorch above 1:
tint is faster). Both bind Gloo to the loopback interface (GLOO_SOCKET_IFNAME=lo).

Per step of the 2-worker runs: forward, backward, finish (tint: after_backward, of which `wait` is the time spent
waiting for the allreduce after backward returned, i.e. what backward did not hide), the buffer broadcast, the small
[loss, interrupt] allreduce, the optimizer; `probe` is a step of an identical model without any synchronisation (the
compute alone; one after every --probe-every steps, fenced by barriers, not counted in images/s), so step - probe is
what data parallelism costs per step. PyTorch's DDP broadcasts the buffers inside forward and waits for the gradients
inside backward. `wait r0/r1` is each rank's own wait: the worker that finishes backward first waits for the other,
so on a loaded machine the wait holds the two workers' imbalance as well as the transfer.

Then a model of a bigger machine or a cluster: a ring allreduce moves 2 (N-1)/N x the gradient bytes in and out of
each worker; the time that takes at 1, 10 and 25 Gbit/s against the compute time of a step (measured here for
ConvTransposeNet; the darknet models' gradient sizes are counted from their cfgs).
"""
import argparse
import json
import os
import pathlib
import platform
import statistics
import sys
import time

from bench_common import load_average, run, write_atomic

ROOT = pathlib.Path(__file__).resolve().parent.parent
DETECTION = ROOT.parent / "shared" / "data" / "detection" / "yolo-fastest-1.1"


def med(values):
    return statistics.median(values) if values else float("nan")


def in_turns(rounds, measures, env, log):
    """measures: {name: {impl: argv}}. Every round runs every measure once per implementation, the implementation
    going first alternating from one run to the next, so that a change in the machine's load falls on all measures
    and both implementations alike. Returns {name: {impl: [result of each round]}}."""
    results = {name: {impl: [] for impl in commands} for name, commands in measures.items()}
    turn = 0
    for r in range(rounds):
        for name, commands in measures.items():
            order = list(commands.items())
            for impl, cmd in (order if turn % 2 == 0 else order[::-1]):
                load = load_average()
                result = run(cmd, env)
                result["load_average"] = load
                result["round"] = r
                results[name][impl].append(result)
                log.append(result)
            turn += 1
        print(f"round {r + 1} of {rounds} done, load average {load_average():.2f}", file=sys.stderr, flush=True)
    return results


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--steps", type=int, default=300, help="timed training steps per run, at most")
    ap.add_argument("--seconds", type=float, default=6.0, help="a run stops its timed steps after this long")
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--probe-every", type=int, default=4, help="2-worker runs: one unsynchronised step after every N")
    ap.add_argument("--batch", type=int, default=100, help="global batch")
    ap.add_argument("--configs", default="1x1,1x2,2x1", help="processes x threads each")
    ap.add_argument("--bucket-kb", type=int, default=25 * 1024, help="DDP's bucket cap (25 MB)")
    ap.add_argument("--first-bucket-kb", type=int, default=1024, help="DDP's first bucket (1 MB)")
    ap.add_argument("--no-allreduce", action="store_true")
    ap.add_argument("--sizes-kb", default="4,16,64,256,1024,4096,16384,65536")
    ap.add_argument("--cfgs", default=",".join(str(DETECTION / f"{m}.cfg")
                                               for m in ("yolo-fastest-1.1", "yolo-fastest-1.1-xl")),
                    help="darknet cfgs whose gradient size enters the cluster model (missing ones are left out)")
    ap.add_argument("--build", default=str(ROOT / "build"))
    ap.add_argument("--json", help="default: BUILD/data_parallel_compare.json")
    args = ap.parse_args()
    binary = pathlib.Path(args.build) / "bench" / "tint_data_parallel_throughput"
    if not binary.exists():
        sys.exit(f"{binary} is missing: build it (cmake --build {args.build} --target tint_data_parallel_throughput)")
    env = dict(os.environ, GLOO_SOCKET_IFNAME="lo")
    for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(name, None)
    tint = [str(binary)]
    python = ["/usr/bin/python3", str(ROOT / "bench" / "data_parallel_reference.py")]
    configs = [tuple(int(v) for v in c.split("x")) for c in args.configs.split(",")]
    began = time.time()
    print(f"tint vs PyTorch DDP (gloo), ConvTransposeNet fp32 channels-last, global batch {args.batch}, up to "
          f"{args.steps} timed steps or {args.seconds:g} s per run, {args.rounds} rounds in turns; "
          f"{os.cpu_count()} cores, load average at start {load_average():.2f}")

    train_args = ["--steps", str(args.steps), "--seconds", str(args.seconds), "--warmup", str(args.warmup),
                  "--batch", str(args.batch), "--probe-every", str(args.probe_every),
                  "--bucket-kb", str(args.bucket_kb), "--first-bucket-kb", str(args.first_bucket_kb)]
    measures = {}
    for nproc, threads in configs:
        common = ["train", "--nproc", str(nproc), "--threads", str(threads)] + train_args
        measures[(nproc, threads)] = {"tint": tint + common, "python": python + common}
    if not args.no_allreduce:
        common = ["allreduce", "--nproc", "2", "--threads", "1", "--sizes-kb", args.sizes_kb]
        measures["allreduce"] = {"tint": tint + common, "python": python + common}
    log = []
    results = in_turns(args.rounds, measures, env, log)
    train = {c: results[c] for c in configs}

    rows = []
    print(f"\n{'procs x threads':>15} {'tint images/s':>14} {'PyTorch images/s':>17} {'tint / PyTorch':>15} "
          f"{'steps t/Py':>11} {'load avg':>9}")
    for (nproc, threads), res in train.items():
        t = [r["images_per_s"] for r in res["tint"]]
        p = [r["images_per_s"] for r in res["python"]]
        ratio = med([a / b for a, b in zip(t, p)])
        load = med([r["load_average"] for r in res["tint"] + res["python"]])
        done = [sum(r["steps"] for r in res[impl]) for impl in ("tint", "python")]
        rows.append({"config": f"{nproc}x{threads}", "tint_images_per_s": med(t), "python_images_per_s": med(p),
                     "ratio": ratio, "tint_range": [min(t), max(t)], "python_range": [min(p), max(p)],
                     "tint_steps": done[0], "python_steps": done[1], "load_average": load})
        print(f"{f'{nproc} x {threads}':>15} {med(t):>8.0f} {min(t):>4.0f}-{max(t):<4.0f} {med(p):>8.0f} "
              f"{min(p):>4.0f}-{max(p):<4.0f}  {ratio:>13.2f} {done[0]:>5}/{done[1]:<5} {load:>9.2f}")
    scaling = {}
    for impl in ("tint", "python"):
        rate = {c: [r["images_per_s"] for r in res[impl]] for c, res in train.items()}
        line = []
        for a, b in (((2, 1), (1, 2)), ((2, 1), (1, 1)), ((1, 2), (1, 1))):
            if a in rate and b in rate:
                s = med([x / y for x, y in zip(rate[a], rate[b])])
                scaling[f"{impl} {a[0]}x{a[1]} / {b[0]}x{b[1]}"] = s
                line.append(f"{a[0]}x{a[1]} / {b[0]}x{b[1]} = {s:.2f}")
        if line:
            print(f"scaling {impl:>6}: " + ", ".join(line))

    steps = []
    multi = [c for c in train if c[0] > 1]
    parts = ["step", "forward", "backward", "finish", "wait", "broadcast", "loss_sum", "optimizer", "probe_step"]
    for stat in ("median", "mean") if multi else ():
        print(f"\nper step, ms: {stat}s of each run's steps, medians over the rounds (PyTorch's forward holds the "
              f"buffer broadcast, its backward the wait)" + ("; means add up to the step" if stat == "mean" else ""))
        print(f"{'run':>13} {'step':>6} {'fwd':>6} {'bwd':>6} {'finish':>6} {'wait':>6} {'bcast':>6} {'loss':>6} "
              f"{'adam':>6} {'probe':>6} {'-probe':>6} {'wait r0/r1':>11} {'buckets':>7} {'bytes':>8}")
        for c in multi:
            for impl in ("tint", "python"):
                res = train[c][impl]

                def value(r, k):
                    return r.get(f"{k}_ms", float("nan")) if stat == "median" else r["mean_ms"].get(k, float("nan"))
                row = {"config": f"{c[0]}x{c[1]}", "impl": impl, "statistic": stat}
                for k in parts:
                    row[f"{k}_ms"] = med([value(r, k) for r in res])
                row["sync_cost_ms"] = med([value(r, "step") - value(r, "probe_step") for r in res])
                by_rank = [med([r["wait_ms_by_rank"][k] for r in res]) for k in range(c[0])] \
                    if "wait_ms_by_rank" in res[0] else []
                row["wait_ms_by_rank"] = by_rank
                row["buckets"], row["allreduce_bytes"] = res[0]["buckets"], res[0]["allreduce_bytes"]
                row["parameters"] = res[0]["parameters"]
                steps.append(row)
                cells = " ".join(f"{row[f'{k}_ms']:>6.2f}" if row[f"{k}_ms"] == row[f"{k}_ms"] else f"{'-':>6}"
                                 for k in parts)
                ranks = "/".join(f"{w:.2f}" for w in by_rank) if by_rank and stat == "median" else "-"
                print(f"{impl + ' ' + row['config']:>13} {cells} {row['sync_cost_ms']:>6.2f} {ranks:>11} "
                      f"{row['buckets']:>7} {row['allreduce_bytes']:>8}")

    for c in multi:
        # A synchronous step waits for the slower worker: a worker whose core is shared with another process slows
        # both, which the per-rank numbers show.
        print(f"\neach {c[0]}x{c[1]} run: images/s, per-rank median compute (forward + backward), wait and probe ms")
        for r in sorted(train[c]["tint"] + train[c]["python"], key=lambda r: (r["round"], r["impl"])):
            ranks = {k: "/".join(f"{v:.1f}" for v in r[k]) if k in r else "-"
                     for k in ("compute_ms_by_rank", "wait_ms_by_rank", "probe_step_ms_by_rank")}
            print(f"  round {r['round'] + 1} {r['impl']:>6}: {r['images_per_s']:>5.0f} images/s, compute "
                  f"{ranks['compute_ms_by_rank']}, wait {ranks['wait_ms_by_rank']}, probe "
                  f"{ranks['probe_step_ms_by_rank']}, load average {r['load_average']:.2f}")

    bandwidth = []
    if not args.no_allreduce:
        res = results["allreduce"]
        print(f"\nallreduce between 2 processes on loopback (medians over rounds of each run's median call; best: the "
              f"fastest round, what the link gives when the load lets it)")
        print(f"{'size':>8} {'tint ms':>9} {'PyTorch ms':>11} {'tint GB/s':>10} {'PyTorch GB/s':>13} "
              f"{'tint / PyTorch':>15} {'best tint / PyTorch GB/s':>25}")
        for i, size in enumerate(res["tint"][0]["sizes"]):
            t = [r["sizes"][i] for r in res["tint"]]
            p = [r["sizes"][i] for r in res["python"]]
            row = {"bytes": size["bytes"], "tint_ms": med([x["ms"] for x in t]),
                   "python_ms": med([x["ms"] for x in p]),
                   "tint_gbytes_per_s": med([x["gbytes_per_s"] for x in t]),
                   "python_gbytes_per_s": med([x["gbytes_per_s"] for x in p]),
                   "ratio": med([y["ms"] / x["ms"] for x, y in zip(t, p)]),
                   "tint_best_gbytes_per_s": max(x["gbytes_per_s"] for x in t),
                   "python_best_gbytes_per_s": max(x["gbytes_per_s"] for x in p)}
            bandwidth.append(row)
            b = size["bytes"]
            label = f"{b // 1024 ** 2} MB" if b >= 1024 ** 2 else f"{b // 1024} KB"
            print(f"{label:>8} {row['tint_ms']:>9.3f} {row['python_ms']:>11.3f} {row['tint_gbytes_per_s']:>10.3f} "
                  f"{row['python_gbytes_per_s']:>13.3f} {row['ratio']:>15.2f} "
                  f"{row['tint_best_gbytes_per_s']:>16.3f} / {row['python_best_gbytes_per_s']:<6.3f}")

    # The communication model: per step, each worker of a ring allreduce sends and receives 2 (N-1)/N x the
    # gradient bytes; against it, the compute of one step of a worker.
    models = []
    one = train.get((1, 1), {}).get("tint")
    if one:
        models.append({"model": "conv-transpose", "parameters": one[0]["parameters"],
                       "gradient_bytes": 4 * one[0]["parameters"], "compute_ms": med([r["step_ms"] for r in one]),
                       "compute_note": f"tint, 1 thread, batch {args.batch}"})
    cfgs = [c for c in args.cfgs.split(",") if c and pathlib.Path(c).exists()]
    if cfgs:
        for entry in run(tint + ["count-weights"] + cfgs, env):
            models.append({"model": pathlib.Path(entry["cfg"]).stem, "parameters": entry["parameters"],
                           "gradient_bytes": entry["gradient_bytes"]})
    links = (1, 10, 25)
    if models:
        print(f"\nring allreduce per step and worker: 2 (N-1)/N x gradient bytes; ms at 1 / 10 / 25 Gbit/s "
              f"(bandwidth term only)")
        print(f"{'model':>20} {'parameters':>10} {'MB':>6} {'N=2':>20} {'N large':>20} {'compute / step':>28}")
        for m in models:
            b = m["gradient_bytes"]
            # Each worker sends (and receives) 2 (N-1)/N x the bytes: 1 x at N = 2, nearly 2 x for many workers.
            factors = {"N=2": 1.0, "N large": 2.0}
            m["comm_ms"] = {name: {f"{g} Gbit/s": 1000.0 * f * b * 8 / (g * 1e9) for g in links}
                            for name, f in factors.items()}
            cells = ["/".join(f"{v:.2f}" for v in m["comm_ms"][name].values()) for name in factors]
            compute = f"{m['compute_ms']:.1f} ms ({m['compute_note']})" if "compute_ms" in m else "-"
            print(f"{m['model']:>20} {m['parameters']:>10} {b / 1e6:>6.2f} {cells[0]:>20} {cells[1]:>20} {compute:>28}")
    print(f"load average at end {load_average():.2f}; {time.time() - began:.0f} s")

    json_path = args.json or str(pathlib.Path(args.build) / "data_parallel_compare.json")
    meta = {"date": time.strftime("%Y-%m-%d %H:%M:%S"), "machine": platform.processor() or platform.machine(),
            "cores": os.cpu_count(), "rounds": args.rounds, "steps": args.steps, "batch": args.batch,
            "seconds": time.time() - began}
    write_atomic(json_path, json.dumps({"settings": meta, "train": rows, "scaling": scaling, "steps": steps,
                                        "allreduce": bandwidth, "models": models, "runs": log}, indent=2) + "\n")
    print(f"written: {json_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
