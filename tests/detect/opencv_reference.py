#!/usr/bin/python3
"""OpenCV DNN's reading of a darknet model (cv2.dnn.readNetFromDarknet): the independent reference that
tests/detect/test_darknet_opencv.cpp compares tint's darknet model with. Needs Debian's python3-opencv
(/usr/bin/python3; the pyenv python3 on PATH may lack cv2).

Raw head outputs (what test_darknet_opencv.cpp runs):
    /usr/bin/python3 tests/detect/opencv_reference.py raw --cfg NET.cfg --weights NET.weights \
        --input X.f32 --shape N,C,H,W --output Y.f32
  X.f32 holds the network input as raw little-endian float32 (N, C, H, W), RGB in [0, 1], exactly as tint feeds it.
  Writes to Y.f32 the raw inputs of the yolo layers (the outputs of the layers feeding them), in cfg order, each
  (N, A*(5+C), H', W') as float32, one after the other; prints {"heads": [[N, A*(5+C), H', W'], ...]} on stdout.

Final detections (for comparing tint's decoding + NMS with OpenCV's):
    /usr/bin/python3 tests/detect/opencv_reference.py detect --cfg NET.cfg --weights NET.weights \
        (--image PHOTO.jpg [--size 320] | --input X.f32 --shape 1,C,H,W) [--conf 0.25] [--nms 0.45] [--classes all]
  Runs net.forward on the yolo output layers, keeps every (box, class) whose score (objectness x class probability,
  as OpenCV's region layer gives it) is > conf (--classes best: only each box's best class, as OpenCV's samples do),
  then cv2.dnn.NMSBoxes per class with the --nms IoU threshold. Prints JSON:
    {"width": W, "height": H, "space": "image" | "input",
     "detections": [{"class": c, "score": s, "x1": .., "y1": .., "x2": .., "y2": ..}, ...]}  (best first)
  With --image the photo is read by cv2.imread (EXIF orientation applied), resized to --size x --size by
  cv2.dnn.blobFromImage (bilinear, RGB, /255, no crop) and the boxes are in the photo's pixels; with --input the
  boxes are in network-input pixels. OpenCV's yolo layer zeroes scores below its own threshold, 0.2 (darknet_io.cpp's
  default `thresh`), so a --conf below 0.2 does not bring back what it removed.
"""
import argparse
import json
import sys

import numpy as np
import cv2


def read_net(args):
    net = cv2.dnn.readNetFromDarknet(args.cfg, args.weights)
    net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
    net.setPreferableTarget(cv2.dnn.DNN_TARGET_CPU)
    return net


def read_input(args):
    shape = [int(v) for v in args.shape.split(",")]
    if len(shape) != 4:
        sys.exit(f"--shape: expected N,C,H,W, got {args.shape}")
    data = np.fromfile(args.input, dtype="<f4")
    if data.size != np.prod(shape):
        sys.exit(f"{args.input}: {data.size} floats, expected {np.prod(shape)} for shape {shape}")
    return np.ascontiguousarray(data.reshape(shape))


def raw_head_names(net):
    # OpenCV's importer names the layers conv_<i>, bn_<i>, leaky_<i>, ..., and puts permute_<k> (not a darknet
    # layer) in front of each yolo_<k>: the layer added just before permute_<k> is the yolo layer's raw input.
    names = list(net.getLayerNames())
    heads = []
    for name in names:
        if name.startswith("yolo_"):
            permute = "permute_" + name[len("yolo_"):]
            p = names.index(permute)
            heads.append(names[p - 1])
    return heads


def run_raw(args):
    net = read_net(args)
    net.setInput(read_input(args))
    names = raw_head_names(net)
    outs = net.forward(names)
    with open(args.output, "wb") as f:
        for o in outs:
            f.write(np.ascontiguousarray(o, dtype="<f4").tobytes())
    print(json.dumps({"heads": [list(o.shape) for o in outs], "layers": names}))


def run_detect(args):
    net = read_net(args)
    if args.image:
        image = cv2.imread(args.image, cv2.IMREAD_COLOR)
        if image is None:
            sys.exit(f"{args.image}: cv2.imread cannot read it")
        height, width = image.shape[:2]
        blob = cv2.dnn.blobFromImage(image, 1 / 255.0, (args.size, args.size), swapRB=True, crop=False)
        space = "image"
    else:
        blob = read_input(args)
        height, width = blob.shape[2], blob.shape[3]
        space = "input"
    net.setInput(blob)
    outs = net.forward(net.getUnconnectedOutLayersNames())
    rows = np.concatenate([o.reshape(-1, o.shape[-1]) for o in outs], axis=0)
    per_class = {}
    for row in rows:
        cx, cy, w, h = row[0] * width, row[1] * height, row[2] * width, row[3] * height
        scores = row[5:]
        classes = [int(np.argmax(scores))] if args.classes == "best" else range(len(scores))
        for c in classes:
            if scores[c] > args.conf:
                per_class.setdefault(c, []).append((float(scores[c]), [cx - w / 2, cy - h / 2, w, h]))
    detections = []
    for c, found in sorted(per_class.items()):
        boxes = [b for _, b in found]
        scores = [s for s, _ in found]
        keep = cv2.dnn.NMSBoxes(boxes, scores, args.conf, args.nms)
        for i in np.array(keep).reshape(-1):
            x, y, w, h = boxes[i]
            detections.append({"class": c, "score": scores[i], "x1": x, "y1": y, "x2": x + w, "y2": y + h})
    detections.sort(key=lambda d: -d["score"])
    print(json.dumps({"width": width, "height": height, "space": space, "detections": detections}))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["raw", "detect"])
    parser.add_argument("--cfg", required=True)
    parser.add_argument("--weights", required=True)
    parser.add_argument("--input", help="raw float32 (N, C, H, W) network input")
    parser.add_argument("--shape", help="N,C,H,W of --input")
    parser.add_argument("--output", help="raw mode: where the heads' float32 values go")
    parser.add_argument("--image", help="detect mode: a photo instead of --input")
    parser.add_argument("--size", type=int, default=320)
    parser.add_argument("--conf", type=float, default=0.25)
    parser.add_argument("--nms", type=float, default=0.45)
    parser.add_argument("--classes", choices=["all", "best"], default="all")
    args = parser.parse_args()
    if args.mode == "raw":
        if not (args.input and args.shape and args.output):
            sys.exit("raw mode needs --input, --shape and --output")
        run_raw(args)
    else:
        if not args.image and not (args.input and args.shape):
            sys.exit("detect mode needs --image, or --input and --shape")
        run_detect(args)


if __name__ == "__main__":
    main()
