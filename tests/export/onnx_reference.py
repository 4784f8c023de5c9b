#!/usr/bin/python3
"""The independent readers of the ONNX files `tint export` writes, for tests/export/: onnx's own checker (Debian's
python3-onnx 1.12) and OpenCV's DNN module (cv2.dnn.readNetFromONNX, Debian's python3-opencv 4.6). Needs Debian's
/usr/bin/python3 (the pyenv python3 on PATH may lack both); tests run it through $TINT_PYTHON or that.

    /usr/bin/python3 tests/export/onnx_reference.py MODEL.onnx [--input X.f32 --shape N,C,H,W --output Y.f32]

Checks MODEL.onnx with onnx.checker.check_model(full_check=True) (which also runs ONNX's shape inference), then
prints one JSON object on stdout:
    {"opset": 13, "ir_version": 7, "nodes": n, "weights": float32 values in the initializers, "ops": {op: count},
     "inputs": {name: [dims]}, "outputs": {name: [dims]}, "metadata": {key: value}, "doc": the docstring,
     "opencv": [[N, C, H, W], ...]}
dims are numbers or the symbolic names. With --input, X.f32 (raw little-endian float32 of --shape) is run through
OpenCV's reading of the file (CPU, its own backend); every graph output, in the graph's order, is written to Y.f32
one after the other and its shape listed under "opencv".
"""
import argparse
import json
import sys

import numpy as np
import onnx
import onnx.checker


def dims(value):
    return [d.dim_param if d.dim_param else d.dim_value for d in value.type.tensor_type.shape.dim]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("--input")
    parser.add_argument("--shape")
    parser.add_argument("--output")
    args = parser.parse_args()

    model = onnx.load(args.model)
    onnx.checker.check_model(model, full_check=True)
    graph = model.graph
    ops = {}
    for node in graph.node:
        ops[node.op_type] = ops.get(node.op_type, 0) + 1
    weights = sum(int(np.prod(t.dims)) for t in graph.initializer if t.data_type == onnx.TensorProto.FLOAT)
    result = {
        "opset": [o.version for o in model.opset_import if o.domain in ("", "ai.onnx")][0],
        "ir_version": model.ir_version,
        "nodes": len(graph.node),
        "weights": weights,
        "ops": ops,
        "inputs": {v.name: dims(v) for v in graph.input},
        "outputs": {v.name: dims(v) for v in graph.output},
        "metadata": {p.key: p.value for p in model.metadata_props},
        "doc": model.doc_string,
        "opencv": [],
    }
    if args.input:
        import cv2

        shape = [int(v) for v in args.shape.split(",")]
        data = np.fromfile(args.input, dtype="<f4")
        if data.size != np.prod(shape):
            sys.exit(f"{args.input}: {data.size} floats, expected {np.prod(shape)} for shape {shape}")
        net = cv2.dnn.readNetFromONNX(args.model)
        net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
        net.setPreferableTarget(cv2.dnn.DNN_TARGET_CPU)
        net.setInput(np.ascontiguousarray(data.reshape(shape)))
        names = [v.name for v in graph.output]
        outputs = net.forward(names)
        with open(args.output, "wb") as out:
            for y in outputs:
                y = np.ascontiguousarray(y, dtype="<f4")
                result["opencv"].append(list(y.shape))
                out.write(y.tobytes())
    print(json.dumps(result))


if __name__ == "__main__":
    main()
