#!/usr/bin/python3
"""OpenCV DNN's side of the detection speed comparison (bench/detect_compare.py runs it alternately with
build/bench/tint_detect_throughput). Needs Debian's python3-opencv (/usr/bin/python3).

    /usr/bin/python3 bench/detect_reference.py --cfg NET.cfg --weights NET.weights --image bus.jpg \
        [--size 320] [--threads N] [--batch-sizes 1,16] [--warmup 3] [--repeats 20]

Times, each call on its own clock after a warm-up, and prints the medians as one JSON line:
  forward  net.setInput(blob) + net.forward of the yolo layers' inputs (what tint's DarknetModel::forward returns;
           OpenCV computes no layer after them), the blob made once by cv2.dnn.blobFromImage(s) from bus.jpg;
  detect   what an OpenCV program does per photo: cv2.imread, blobFromImage (resize, RGB, /255), forward of the yolo
           layers (OpenCV decodes the boxes there), the (box, class) pairs whose score reaches --conf picked with
           numpy, cv2.dnn.NMSBoxes per class, boxes in the photo's pixels (as tests/detect/opencv_reference.py).
The backend is OpenCV's own on the CPU (DNN_BACKEND_OPENCV, DNN_TARGET_CPU), cv2.setNumThreads(--threads).
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import cv2


def median_ms(warmup, repeats, call):
    for _ in range(warmup):
        call()
    ms = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        call()
        ms.append((time.perf_counter() - t0) * 1000.0)
    ms.sort()
    n = len(ms)
    return ms[n // 2] if n % 2 == 1 else 0.5 * (ms[n // 2 - 1] + ms[n // 2])


def raw_head_names(net):
    # OpenCV's importer puts permute_<k> (not a darknet layer) in front of each yolo_<k>: the layer added just
    # before it is the yolo layer's raw input (tests/detect/opencv_reference.py).
    names = list(net.getLayerNames())
    return [names[names.index("permute_" + n[len("yolo_"):]) - 1] for n in names if n.startswith("yolo_")]


def detect(net, out_names, path, size, conf, nms):
    image = cv2.imread(path, cv2.IMREAD_COLOR)
    if image is None:
        sys.exit(f"{path}: cv2.imread cannot read it")
    net.setInput(cv2.dnn.blobFromImage(image, 1 / 255.0, (size, size), swapRB=True, crop=False))
    return postprocess(net.forward(out_names), image.shape[1], image.shape[0], conf, nms)


def postprocess(outs, width, height, conf, nms):
    rows = np.concatenate([o.reshape(-1, o.shape[-1]) for o in outs], axis=0)
    # Columns: cx, cy, w, h (fractions of the input), objectness, then objectness x class probability per class.
    scores = rows[:, 5:]
    box_index, classes = np.nonzero(scores >= conf)
    boxes = rows[box_index, :4] * np.array([width, height, width, height], dtype=np.float32)
    boxes[:, :2] -= boxes[:, 2:] / 2
    picked = scores[box_index, classes]
    found = []
    for c in np.unique(classes):
        of_class = np.nonzero(classes == c)[0]
        keep = cv2.dnn.NMSBoxes(boxes[of_class].tolist(), picked[of_class].tolist(), conf, nms)
        for k in np.array(keep, dtype=np.int64).reshape(-1):
            x, y, w, h = boxes[of_class[k]]
            found.append((float(picked[of_class[k]]), int(c), x, y, x + w, y + h))
    found.sort(key=lambda d: -d[0])
    return found


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cfg", required=True)
    ap.add_argument("--weights", required=True)
    ap.add_argument("--image", required=True)
    ap.add_argument("--size", type=int, default=320)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--batch-sizes", default="1,16")
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--conf", type=float, default=0.25)
    ap.add_argument("--nms", type=float, default=0.45)
    args = ap.parse_args()
    cv2.setNumThreads(args.threads)
    net = cv2.dnn.readNetFromDarknet(args.cfg, args.weights)
    net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
    net.setPreferableTarget(cv2.dnn.DNN_TARGET_CPU)
    photo = cv2.imread(args.image, cv2.IMREAD_COLOR)
    if photo is None:
        sys.exit(f"{args.image}: cv2.imread cannot read it")

    heads = raw_head_names(net)
    forward = {}
    for batch in (int(b) for b in args.batch_sizes.split(",")):
        blob = cv2.dnn.blobFromImages([photo] * batch, 1 / 255.0, (args.size, args.size), swapRB=True, crop=False)

        def run():
            net.setInput(blob)
            net.forward(heads)

        forward[str(batch)] = median_ms(args.warmup, args.repeats, run)

    out_names = net.getUnconnectedOutLayersNames()
    found = []

    def run_detect():
        found[:] = detect(net, out_names, args.image, args.size, args.conf, args.nms)

    detect_ms = median_ms(args.warmup, args.repeats, run_detect)
    # Where that time goes: its stages one by one. The forward of the yolo layers (with OpenCV's box decoding) is
    # timed apart from forward_ms, which stops at their inputs.
    decode_ms = median_ms(args.warmup, args.repeats, lambda: cv2.imread(args.image, cv2.IMREAD_COLOR))
    blob = cv2.dnn.blobFromImage(photo, 1 / 255.0, (args.size, args.size), swapRB=True, crop=False)
    resize_ms = median_ms(args.warmup, args.repeats, lambda: cv2.dnn.blobFromImage(
        photo, 1 / 255.0, (args.size, args.size), swapRB=True, crop=False))

    def run_yolo():
        net.setInput(blob)
        return net.forward(out_names)

    yolo_forward_ms = median_ms(args.warmup, args.repeats, run_yolo)
    outs = run_yolo()
    postprocess_ms = median_ms(args.warmup, args.repeats, lambda: postprocess(
        outs, photo.shape[1], photo.shape[0], args.conf, args.nms))
    print(json.dumps({"impl": "opencv", "opencv": cv2.__version__, "cfg": args.cfg, "size": args.size,
                      "threads": cv2.getNumThreads(), "repeats": args.repeats, "forward_ms": forward,
                      "detect_ms": detect_ms, "detections": len(found), "decode_ms": decode_ms,
                      "resize_ms": resize_ms, "yolo_forward_ms": yolo_forward_ms,
                      "postprocess_ms": postprocess_ms}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
