#!/usr/bin/env python3
"""OpenCV DNN's forward of Yolo-Fastest 1.1 from tint's ONNX export against OpenCV's own darknet reader, one thread,
in turns (5 rounds of 30 forwards of a 1 x 3 x 320 x 320 input). docs/export.md gives the numbers beside tint's
forward (build/bench/tint_detect_throughput --threads 1 --batch-sizes 1).
    build/tint export --detector -o raw.onnx
    /usr/bin/python3 bench/onnx_speed.py data/pretrained/yolo-fastest-1.1 raw.onnx
"""
import sys
import time

import cv2
import numpy as np

cv2.setNumThreads(1)
if len(sys.argv) != 3:
    sys.exit("usage: onnx_speed.py DETECTOR_DIR FILE.onnx (see the docstring)")
D, ONNX = sys.argv[1], sys.argv[2]
x=np.random.default_rng(0).random((1,3,320,320),dtype=np.float32)
nets={"OpenCV, tint's ONNX": cv2.dnn.readNetFromONNX(ONNX),
      "OpenCV, darknet files": cv2.dnn.readNetFromDarknet(f"{D}/yolo-fastest-1.1.cfg", f"{D}/yolo-fastest-1.1.weights")}
times={k:[] for k in nets}
for k,n in nets.items():
    n.setInput(x); n.forward(n.getUnconnectedOutLayersNames())
for r in range(5):
    for k,n in nets.items():
        t=time.perf_counter()
        for _ in range(30):
            n.setInput(x); n.forward(n.getUnconnectedOutLayersNames())
        times[k].append((time.perf_counter()-t)/30*1000)
for k,v in times.items(): print(f"{k}: {min(v):.2f}-{max(v):.2f} ms (median {sorted(v)[2]:.2f})")
