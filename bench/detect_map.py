#!/usr/bin/python3
"""COCO128 mAP of tint's detections and of OpenCV DNN's, counted by one evaluator, at each score floor.

    /usr/bin/python3 bench/detect_map.py [--data DIR/coco128] [--conf 0.001,0.25] [--iou 0.6] [--size 320]
        [--resample darknet,antialias] [--cfg NET.cfg --weights NET.weights --names coco.names] [--build build]
        [--limit N] [--no-opencv]
    /usr/bin/python3 bench/detect_map.py --check-evaluate [--data DIR/coco128] [--limit N] [model flags]

tint: `build/tint detect DATA/images --conf C --iou I --resample R --threads 1`, its *_detections.json read back.
OpenCV: Debian's python3-opencv, cv2.dnn.readNetFromDarknet on the same cfg and weights, blobFromImage (cv::resize
INTER_LINEAR on pixel centres, RGB, / 255), the (box, class) pairs whose score reaches C, cv2.dnn.NMSBoxes per class at
I, the best 300 per image (tint's cap). The evaluator is COCO's as tint detect evaluate counts it
(src/detect/average_precision.h): per class and IoU 0.50..0.95, detections ranked by score matched greedily to the
best-overlapping unmatched truth; the precision envelope read at recall k / 100; classes without truths left out.
At the floor 0.001 its tint row must equal `tint detect evaluate`'s mAP (the check of this evaluator).
Prints one line per (source, floor): mAP@0.5 and mAP@0.5:0.95 in %.

--check-evaluate: COCO's summary as pycocotools' COCOeval computes it (evaluateImg per image and class, then
accumulate; rewritten here in numpy, pycocotools itself not being installed) on tint's detections at the floor 0.001
(`tint detect --conf 0.001 --iou 0.6`): mAP@0.5 and @0.5:0.95 (no cap on detections per image, as tint's), AP@0.5:0.95
for small / medium / large objects (box area, at most 100 detections per image and class) and AR@1/10/100 and AR@100
by size, beside `tint detect evaluate --json`'s numbers on the same images, and their largest difference. Two
deliberate departures from pycocotools, both tint's: recall points k / 100 exactly (not linspace's), and boxes' area
for segments' area.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def iou_matrix(a, b):
    """IoU of each box of a (n, 4) against each of b (m, 4), boxes x1 y1 x2 y2."""
    x1 = np.maximum(a[:, None, 0], b[None, :, 0])
    y1 = np.maximum(a[:, None, 1], b[None, :, 1])
    x2 = np.minimum(a[:, None, 2], b[None, :, 2])
    y2 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area = lambda r: (r[:, 2] - r[:, 0]) * (r[:, 3] - r[:, 1])
    union = area(a)[:, None] + area(b)[None, :] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def average_precision(tp, n_truths):
    """tp: 0/1 per detection in rank order. Recall points k / 100, precision envelope."""
    tp = np.asarray(tp, dtype=np.float64)
    ctp = np.cumsum(tp)
    cfp = np.cumsum(1 - tp)
    recall = ctp / n_truths
    precision = ctp / np.maximum(ctp + cfp, np.finfo(np.float64).eps)
    envelope = np.maximum.accumulate(precision[::-1])[::-1] if len(precision) else precision
    total = 0.0
    for k in range(101):
        i = np.searchsorted(recall, k / 100.0, side="left")
        if i < len(recall):
            total += envelope[i]
    return total / 101


def mean_ap(detections, truths, num_classes):
    """detections[i]: list of (score, class, x1, y1, x2, y2); truths[i]: list of (class, x1, y1, x2, y2).
    Returns (mAP@0.5, mAP@0.5:0.95) over the classes that have truths."""
    thresholds = [(50 + 5 * t) / 100.0 for t in range(10)]
    aps = []
    for c in range(num_classes):
        gts = {i: np.array([t[1:] for t in ts if t[0] == c], dtype=np.float64).reshape(-1, 4)
               for i, ts in enumerate(truths)}
        n = sum(len(g) for g in gts.values())
        if n == 0:
            continue
        dets = [(d[0], i, np.array(d[2:], dtype=np.float64)) for i, ds in enumerate(detections) for d in ds
                if d[1] == c]
        dets.sort(key=lambda d: -d[0])  # stable: equal scores keep image order
        per_threshold = []
        for t in thresholds:
            matched = {i: np.zeros(len(g), dtype=bool) for i, g in gts.items()}
            tp = []
            for _, i, box in dets:
                g = gts[i]
                if len(g) == 0:
                    tp.append(0)
                    continue
                ious = iou_matrix(box[None, :], g)[0]
                ious[matched[i]] = -1
                best = int(np.argmax(ious))  # the first of equal bests
                if ious[best] >= t:
                    matched[i][best] = True
                    tp.append(1)
                else:
                    tp.append(0)
            per_threshold.append(average_precision(tp, n))
        aps.append(per_threshold)
    aps = np.array(aps)
    return 100 * aps[:, 0].mean(), 100 * aps.mean()


# pycocotools' areaRng (bounds inclusive: an area of exactly 32^2 is small and medium).
AREA_RANGES = {"all": (0.0, 1e10), "small": (0.0, 32.0 ** 2), "medium": (32.0 ** 2, 96.0 ** 2),
               "large": (96.0 ** 2, 1e10)}


def box_area(b):
    return max(0.0, b[2] - b[0]) * max(0.0, b[3] - b[1])


def evaluate_img(dts, gts, area_range, max_det, thresholds):
    """COCOeval.evaluateImg for one image and class. dts: [(score, box)]; gts: [box]. Returns the kept detections'
    scores, matched (T, D) and ignored (T, D) flags, and the number of truths that count, or None without either."""
    if not dts and not gts:
        return None
    lo, hi = area_range
    gt_ignore = np.array([box_area(g) < lo or box_area(g) > hi for g in gts], dtype=bool)
    gt_order = np.argsort(gt_ignore, kind="mergesort")  # counted truths first
    gts = [gts[i] for i in gt_order]
    gt_ignore = gt_ignore[gt_order]
    dt_order = np.argsort([-d[0] for d in dts], kind="mergesort")
    dts = [dts[i] for i in dt_order]
    if max_det is not None:
        dts = dts[:max_det]
    ious = (iou_matrix(np.array([d[1] for d in dts], dtype=np.float64).reshape(-1, 4),
                       np.array(gts, dtype=np.float64).reshape(-1, 4)) if dts and gts else None)
    T, D, G = len(thresholds), len(dts), len(gts)
    gtm = np.zeros((T, G), dtype=bool)
    dtm = np.zeros((T, D), dtype=bool)
    dt_ignore = np.zeros((T, D), dtype=bool)
    if ious is not None:
        for ti, t in enumerate(thresholds):
            for di in range(D):
                best_iou, m = min(t, 1 - 1e-10), -1
                for gi in range(G):
                    if gtm[ti, gi]:
                        continue
                    if m > -1 and not gt_ignore[m] and gt_ignore[gi]:
                        break
                    if ious[di, gi] < best_iou:
                        continue
                    best_iou, m = ious[di, gi], gi
                if m == -1:
                    continue
                dt_ignore[ti, di] = gt_ignore[m]
                dtm[ti, di] = True
                gtm[ti, m] = True
    outside = np.array([box_area(d[1]) < lo or box_area(d[1]) > hi for d in dts], dtype=bool).reshape(1, -1)
    dt_ignore = np.logical_or(dt_ignore, np.logical_and(~dtm, outside))
    return np.array([d[0] for d in dts]), dtm, dt_ignore, int((~gt_ignore).sum())


def accumulate(per_image, max_det, n_thresholds):
    """COCOeval.accumulate for one class, area range and maxDet: (precision at the 101 recall points per threshold,
    final recall per threshold), or None when no truth counts (pycocotools' -1)."""
    per_image = [e for e in per_image if e is not None]
    if not per_image:
        return None
    cut = (lambda a: a) if max_det is None else (lambda a: a[..., :max_det])
    scores = np.concatenate([cut(e[0]) for e in per_image])
    order = np.argsort(-scores, kind="mergesort")
    dtm = np.concatenate([cut(e[1]) for e in per_image], axis=1)[:, order]
    dt_ignore = np.concatenate([cut(e[2]) for e in per_image], axis=1)[:, order]
    npig = sum(e[3] for e in per_image)
    if npig == 0:
        return None
    tps = np.cumsum(np.logical_and(dtm, ~dt_ignore), axis=1).astype(np.float64)
    fps = np.cumsum(np.logical_and(~dtm, ~dt_ignore), axis=1).astype(np.float64)
    points = np.array([k / 100.0 for k in range(101)])
    precision = np.zeros((n_thresholds, 101))
    recall = np.zeros(n_thresholds)
    for t in range(n_thresholds):
        tp, fp = tps[t], fps[t]
        nd = len(tp)
        rc = tp / npig
        pr = tp / (fp + tp + np.spacing(1))
        recall[t] = rc[-1] if nd else 0
        pr = pr.tolist()
        for i in range(nd - 1, 0, -1):
            if pr[i] > pr[i - 1]:
                pr[i - 1] = pr[i]
        idx = np.searchsorted(rc, points, side="left")
        for ri, pi in enumerate(idx):
            if pi < nd:
                precision[t, ri] = pr[pi]
    return precision, recall


def coco_summary(detections, truths, num_classes):
    """detections[i]: list of (score, class, x1, y1, x2, y2); truths[i]: list of (class, x1, y1, x2, y2). COCO's
    numbers as tint detect evaluate --json names them (fractions)."""
    thresholds = [(50 + 5 * t) / 100.0 for t in range(10)]
    runs = {"all": [("all", None)], "size": [(a, 100) for a in ("small", "medium", "large")],
            "ar": [("all", m) for m in (1, 10, 100)]}
    sums = {}  # key -> list of per-class (precision, recall)
    for c in range(num_classes):
        dts = [[(d[0], d[2:]) for d in ds if d[1] == c] for ds in detections]
        gts = [[t[1:] for t in ts if t[0] == c] for ts in truths]
        for kind, passes in runs.items():
            for area, max_det in passes:
                per_image = [evaluate_img(d, g, AREA_RANGES[area], max_det, thresholds) for d, g in zip(dts, gts)]
                r = accumulate(per_image, max_det, len(thresholds))
                if r is not None:
                    sums.setdefault((area, max_det), []).append(r)
    mean = lambda key, f: float(np.mean([f(r) for r in sums[key]])) if key in sums else None
    out = {"map50": mean(("all", None), lambda r: r[0][0].mean()), "map50_95": mean(("all", None), lambda r: r[0].mean())}
    for a in ("small", "medium", "large"):
        out["ap_" + a] = mean((a, 100), lambda r: r[0].mean())
        out["ar100_" + a] = mean((a, 100), lambda r: r[1].mean())
    for m in (1, 10, 100):
        out[f"ar{m}"] = mean(("all", m), lambda r: r[1].mean())
    return out


def check_evaluate(args, images, truths, names):
    """COCO's summary of tint's detections here beside tint detect evaluate's; returns the largest difference."""
    found = tint_detections(args, images, 0.001, "darknet")
    ours = coco_summary(found, truths, len(names))
    with tempfile.TemporaryDirectory() as work:
        listed = Path(work) / "images.txt"
        listed.write_text("".join(p.name + "\n" for p in images))
        report = Path(work) / "evaluation.json"
        subprocess.run([str(Path(args.build) / "tint"), "detect", "evaluate", "--data", str(args.data), "--images",
                        str(listed), "--json", str(report), "--threads", "1", "--iou", str(args.iou), "--size",
                        str(args.size), "--resample", "darknet", "--cfg", args.cfg, "--weights", args.weights,
                        "--names", args.names], check=True, stdout=subprocess.DEVNULL)
        theirs = json.loads(report.read_text())
    worst = 0.0
    print(f"{'':12s} {'this evaluator':>15s} {'tint evaluate':>15s}")
    for key, value in ours.items():
        other = theirs.get(key)
        show = lambda v: "-" if v is None else f"{100 * v:.3f} %"
        print(f"{key:12s} {show(value):>15s} {show(other):>15s}")
        if (value is None) != (other is None):
            worst = float("inf")
        elif value is not None:
            worst = max(worst, abs(value - other))
    print(f"largest difference: {100 * worst:.2g} points")
    return worst


def read_truths(data, limit):
    import cv2
    images = sorted(p for p in (data / "images").iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    images = images[:limit] if limit > 0 else images
    truths, sizes = [], []
    for p in images:
        h, w = cv2.imread(str(p), cv2.IMREAD_COLOR).shape[:2]
        sizes.append((w, h))
        label = data / "labels" / (p.stem + ".txt")
        boxes = []
        if label.exists():
            for line in label.read_text().split("\n"):
                if line.strip():
                    c, cx, cy, bw, bh = line.split()
                    cx, cy, bw, bh = float(cx), float(cy), float(bw), float(bh)
                    boxes.append((int(c), (cx - bw / 2) * w, (cy - bh / 2) * h, (cx + bw / 2) * w, (cy + bh / 2) * h))
        truths.append(boxes)
    return images, truths


def tint_detections(args, images, conf, resample):
    with tempfile.TemporaryDirectory() as out:
        listed = [str(p) for p in images]  # the images themselves: --limit may leave some of the folder out
        cmd = [str(Path(args.build) / "tint"), "detect", *listed, "--out-dir", out, "--conf",
               str(conf), "--iou", str(args.iou), "--resample", resample, "--threads", "1", "--size", str(args.size),
               "--cfg", args.cfg, "--weights", args.weights, "--names", args.names]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        found = []
        for p in images:
            j = json.loads((Path(out) / (p.stem + "_detections.json")).read_text())
            found.append([(d["score"], d["class_id"], d["x1"], d["y1"], d["x2"], d["y2"]) for d in j["detections"]])
        return found


def opencv_detections(args, images, conf):
    import cv2
    sys.path.insert(0, str(ROOT / "bench"))
    from detect_reference import postprocess  # the comparison's own OpenCV program
    cv2.setNumThreads(1)
    net = cv2.dnn.readNetFromDarknet(args.cfg, args.weights)
    net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
    net.setPreferableTarget(cv2.dnn.DNN_TARGET_CPU)
    out_names = net.getUnconnectedOutLayersNames()
    found = []
    for p in images:
        image = cv2.imread(str(p), cv2.IMREAD_COLOR)
        net.setInput(cv2.dnn.blobFromImage(image, 1 / 255.0, (args.size, args.size), swapRB=True, crop=False))
        dets = postprocess(net.forward(out_names), image.shape[1], image.shape[0], conf, args.iou)
        found.append(dets[:300])
    return found


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    detection = Path(os.environ.get("TINT_DETECTION_DIR") or ROOT.parent / "shared" / "data" / "detection")
    model = ROOT / "data" / "pretrained" / "yolo-fastest-1.1"
    ap.add_argument("--data", type=Path, default=detection / "coco128")
    ap.add_argument("--cfg", default=str(model / "yolo-fastest-1.1.cfg"))
    ap.add_argument("--weights", default=str(model / "yolo-fastest-1.1.weights"))
    ap.add_argument("--names", default=str(model / "coco.names"))
    ap.add_argument("--conf", default="0.001,0.25", help="score floors")
    ap.add_argument("--iou", type=float, default=0.6, help="NMS IoU (tint detect evaluate's)")
    ap.add_argument("--size", type=int, default=320)
    ap.add_argument("--resample", default="darknet,antialias", help="tint's resamplings to measure")
    ap.add_argument("--limit", type=int, default=0, help="only the first N images (0: all)")
    ap.add_argument("--no-opencv", action="store_true")
    ap.add_argument("--check-evaluate", action="store_true",
                    help="COCO's summary (AP by size, AR) of tint's detections beside tint detect evaluate's")
    ap.add_argument("--build", default=str(ROOT / "build"))
    args = ap.parse_args()
    names = [n for n in Path(args.names).read_text().split("\n") if n.strip()]
    images, truths = read_truths(args.data, args.limit)
    if args.check_evaluate:
        return 0 if check_evaluate(args, images, truths, names) < 1e-4 else 1
    for conf in (float(c) for c in args.conf.split(",")):
        rows = [(f"tint --resample {r}", lambda r=r: tint_detections(args, images, conf, r))
                for r in args.resample.split(",") if r]
        if not args.no_opencv:
            rows.append(("OpenCV DNN (blobFromImage)", lambda: opencv_detections(args, images, conf)))
        for label, run in rows:
            m50, m = mean_ap(run(), truths, len(names))
            print(f"{label:32s} conf >= {conf:<6g} mAP@0.5 {m50:6.2f} %  mAP@0.5:0.95 {m:6.2f} %", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
