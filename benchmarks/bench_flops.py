"""The physical limit: the model's FLOPs per image (counted from the ONNX graph) against one core's measured
peak FLOP/s (a large float32 matmul in numpy, one BLAS thread)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np


def model_flops(path: Path) -> int:
    """FLOPs (2 x multiply-adds) of Conv, Gemm and MatMul nodes for one image, from inferred shapes."""
    import onnx

    model = onnx.load(str(path))
    for value in model.graph.input:
        dims = value.type.tensor_type.shape.dim
        if dims and not dims[0].dim_value:
            dims[0].ClearField("dim_param")
            dims[0].dim_value = 1
    model = onnx.shape_inference.infer_shapes(model)
    shapes = {
        v.name: [d.dim_value for d in v.type.tensor_type.shape.dim]
        for v in (*model.graph.value_info, *model.graph.output, *model.graph.input)
    }
    weights = {init.name: list(init.dims) for init in model.graph.initializer}
    shapes.update(weights)
    macs = 0
    for node in model.graph.node:
        out = shapes.get(node.output[0])
        if not out or not all(out):
            continue
        if node.op_type in ("Conv", "ConvInteger", "QLinearConv"):
            weight = shapes[node.input[3] if node.op_type == "QLinearConv" else node.input[1]]
            macs += int(np.prod(out)) * weight[1] * int(np.prod(weight[2:]))  # weight[1] is C_in / group
        elif node.op_type in ("Gemm", "MatMul", "MatMulInteger", "QLinearMatMul"):
            left = shapes.get(node.input[0])
            if left and all(left):
                macs += int(np.prod(out)) * left[-1]
    return 2 * macs


def peak_flops_one_core(size: int = 2048, repeats: int = 5) -> float:
    """float32 FLOP/s of a size x size matmul with BLAS limited to one thread.

    Run it where OPENBLAS_CORETYPE is unset (see `benchmarks.__main__`): that override, set on this machine
    for old OpenBLAS builds, makes a current numpy pick a slower kernel.
    """
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(0)
    a = rng.random((size, size), dtype=np.float32)
    b = rng.random((size, size), dtype=np.float32)
    with threadpool_limits(limits=1):
        a @ b
        best = min(_timed(lambda: a @ b) for _ in range(repeats))
    return 2 * size**3 / best


def _timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started
