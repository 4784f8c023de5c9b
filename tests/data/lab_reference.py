#!/usr/bin/python3
"""OpenCV's colour conversion (cv2.cvtColor on float32 input): the independent reference that
tests/data/test_lab.cpp compares tint's sRGB <-> CIELAB with. Needs Debian's python3-opencv (/usr/bin/python3).

    /usr/bin/python3 tests/data/lab_reference.py --rgb X.f32 --lab Y.f32 --output Z.f32

X.f32 holds P colours as raw little-endian float32 triples R, G, B in [0, 1]; Y.f32 holds P' triples L, a, b.
Z.f32 receives cv2.COLOR_RGB2Lab of X followed by cv2.COLOR_Lab2RGB of Y, as float32 triples (for float32 images
OpenCV applies the sRGB companding and uses white D65). One process for both, as importing cv2 takes a second.
"""
import argparse

import cv2
import numpy as np


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rgb", required=True)
    parser.add_argument("--lab", required=True)
    parser.add_argument("--output", required=True)
    args = parser.parse_args()
    rgb = np.fromfile(args.rgb, dtype="<f4").reshape(1, -1, 3)
    lab = np.fromfile(args.lab, dtype="<f4").reshape(1, -1, 3)
    out = np.concatenate([cv2.cvtColor(rgb, cv2.COLOR_RGB2Lab), cv2.cvtColor(lab, cv2.COLOR_Lab2RGB)], axis=1)
    out.astype("<f4").tofile(args.output)


if __name__ == "__main__":
    main()
