"""Convert a checked Keras model to ONNX with tf2onnx, adding the exact CAM family inside the graph.

The traced function returns the model's own `prob_fake`, its `logit`, `cam` = ReLU(Σ_k w_k A_k) / (h w)
computed as a 1x1 convolution of the feature map A with the logit kernel w, the other closed-form maps
(LayerCAM, Grad-CAM++, Ablation-CAM, the evidence for REAL; derived in `fakescope.export.head`), and A itself
as `features` for the runtime's forward-only methods. The input is NHWC `image` (N, H, W, 3); tf2onnx runs
the convolutions in NCHW behind one input Transpose.

Example:
    >>> onnx_model = convert(keras.models.load_model("best_model.keras"))
    >>> sorted(o.name for o in onnx_model.graph.output)[:3]
    ['cam', 'cam_ablationcam', 'cam_gradcampp']
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from fakescope.export.errors import ExportError
from fakescope.export.head import check_head
from fakescope.export.ood import GaussianStats, ood_graph
from fakescope.export.spec import DEFAULT_SPEC, ExportSpec
from fakescope.runtime.errors import first_line
from fakescope.runtime.spec import (
    OUTPUT_CAM,
    OUTPUT_CAM_ABLATION,
    OUTPUT_CAM_LAYER,
    OUTPUT_CAM_PLUSPLUS,
    OUTPUT_CAM_REAL,
    OUTPUT_FEATURES,
    OUTPUT_LOGIT,
    OUTPUT_OOD,
    OUTPUT_PROB,
)

if TYPE_CHECKING:
    import keras
    import onnx


def convert(
    model: keras.Model, spec: ExportSpec = DEFAULT_SPEC, ood: GaussianStats | None = None
) -> onnx.ModelProto:
    """The ONNX graph of `model`: prob_fake (N, 1), logit (N, 1), CAM maps (N, h, w), features (N, h, w, K),
    and with `ood` (then `spec.output_names` must name it) the out-of-distribution score ood_score (N,).

    Raises:
        UnsupportedHeadError: the head is not the contract's (see `check_head`).
        ExportError: tf2onnx fails, or the graph's inputs/outputs are not the spec's.
    """
    import keras
    import tensorflow as tf
    import tf2onnx

    head = check_head(model, spec)
    height, width, _ = head.feature_shape
    outputs = [head.prob.output, head.logit.output, head.features.output, head.gap.output]
    graph_model = keras.Model(model.inputs[0], outputs)
    kernel = head.kernel[:, 0]
    inv_area = np.float32(1.0 / (height * width))
    signature = [tf.TensorSpec((None, *head.input_shape), tf.float32, name=spec.input_name)]

    @tf.function(input_signature=signature)
    def serve(image):
        prob, logit, features, pooled = graph_model(image, training=False)
        # Constants built inside the body are embedded in the graph (captured tensors would become inputs).
        w = tf.constant(kernel)
        two_maps = tf.constant(np.stack([kernel, np.maximum(kernel, 0)], axis=1).reshape(1, 1, -1, 2))
        weighted = tf.nn.conv2d(features, two_maps, strides=1, padding="VALID") * tf.constant(inv_area)
        # Per-image channel weights (N, K): Grad-CAM++'s max(w, 0) / (2 + w ā) and Ablation-CAM's w ā.
        plusplus = tf.constant(np.maximum(kernel, 0)) / (2.0 + w * pooled)
        ablation = w * pooled * tf.constant(inv_area)
        outputs = {
            OUTPUT_PROB: prob,
            OUTPUT_LOGIT: logit,
            OUTPUT_CAM: tf.nn.relu(weighted[..., 0]),
            OUTPUT_CAM_LAYER: tf.nn.relu(weighted[..., 1]),
            OUTPUT_CAM_PLUSPLUS: tf.nn.relu(_weighted_sum(features, plusplus)),
            OUTPUT_CAM_ABLATION: tf.nn.relu(_weighted_sum(features, ablation)),
            OUTPUT_CAM_REAL: tf.nn.relu(-weighted[..., 0]),
            OUTPUT_FEATURES: tf.identity(features),
        }
        if ood is not None:
            outputs[OUTPUT_OOD] = ood_graph(pooled, ood)
        # The spec is the contract: a graph has exactly its outputs (the others are pruned by tf2onnx).
        return {name: value for name, value in outputs.items() if name in spec.output_names}

    try:
        onnx_model, _ = tf2onnx.convert.from_function(serve, input_signature=signature, opset=spec.opset)
    except Exception as err:
        raise ExportError(f"tf2onnx could not convert the model: {first_line(err, 300)}") from err
    _embed_captured_constants(onnx_model, serve.get_concrete_function(*signature), len(signature))
    _drop_inverse_transposes(onnx_model)
    _name_batch_axis(onnx_model, spec)
    _canonical_names(onnx_model)
    return onnx_model


def _weighted_sum(features, weights):
    """Σ_k weights[n, k] A[n, :, :, k]: a multiply and a channel sum, which tf2onnx keeps in NCHW."""
    import tensorflow as tf

    return tf.reduce_sum(features * weights[:, None, None, :], axis=-1)


def _drop_inverse_transposes(onnx_model: onnx.ModelProto) -> None:
    """Read X directly where the graph computes Transpose(Transpose(X)) back to X's layout.

    tf2onnx keeps the head in NCHW but must transpose the `features` output to NHWC; it then transposes that
    output back to NCHW for the maps, which costs a copy of A per image for nothing.
    """
    graph = onnx_model.graph
    producers = {out: node for node in graph.node for out in node.output}
    for node in list(graph.node):
        first = producers.get(node.input[0]) if node.op_type == "Transpose" else None
        if first is None or first.op_type != "Transpose":
            continue
        outer, inner = (list(next(a.ints for a in n.attribute if a.name == "perm")) for n in (node, first))
        if [inner[axis] for axis in outer] != list(range(len(outer))):
            continue
        for consumer in graph.node:
            consumer.input[:] = [first.input[0] if i == node.output[0] else i for i in consumer.input]
        graph.node.remove(node)


def _embed_captured_constants(onnx_model: onnx.ModelProto, concrete, n_args: int) -> None:
    """Turn the graph inputs tf2onnx made of captured constant tensors into initializers.

    tf2onnx freezes variables, but constant tensors a layer computed eagerly (e.g. the mean and variance of
    keras' Normalization layer) are captured by the traced function and surface as extra graph inputs.
    """
    import tensorflow as tf
    from onnx import numpy_helper

    captured = {
        placeholder.name: value.numpy()
        for placeholder, value in zip(concrete.inputs[n_args:], concrete.captured_inputs, strict=True)
        if value.dtype != tf.resource
    }
    extra = [value for value in onnx_model.graph.input if value.name in captured]
    for value in extra:
        onnx_model.graph.input.remove(value)
        onnx_model.graph.initializer.append(numpy_helper.from_array(captured[value.name], value.name))


def _name_batch_axis(onnx_model: onnx.ModelProto, spec: ExportSpec) -> None:
    inputs = [i.name for i in onnx_model.graph.input]
    outputs = sorted(o.name for o in onnx_model.graph.output)
    if inputs != [spec.input_name] or outputs != sorted(spec.output_names):
        raise ExportError(f"converted graph has inputs {inputs} and outputs {outputs}; expected the spec's")
    for value in (*onnx_model.graph.input, *onnx_model.graph.output):
        value.type.tensor_type.shape.dim[0].dim_param = spec.batch_axis


def _canonical_names(onnx_model: onnx.ModelProto) -> None:
    """Name nodes, tensors and constants by position, so the same weights give the same bytes.

    tf2onnx's names carry process-wide counters (Keras layer suffixes, unique-name ids, the traced function's
    number), which would make two exports of one model differ.
    """
    graph = onnx_model.graph
    _deterministic_order(graph)
    rename_by_first_use(graph, digits=4, nodes=True)
    del graph.value_info[:]
    graph.name, graph.doc_string = "fakescope", ""


def rename_by_first_use(graph: onnx.GraphProto, *, digits: int, nodes: bool = False) -> None:
    """Rename initializers `const_<n>` (`n` `digits` wide, counting every name given so far) by first use in
    node order and store them sorted by name; with `nodes`, also name each node `<index>_<op>` and its outputs
    `<node>:<k>` (the graph's inputs and outputs keep theirs). tf2onnx's own names change from run to run.

    The exporter (`digits=4, nodes=True`) and the face detector's build (`export/faces_build.py`,
    `digits=3`, constants only: the committed BlazeFace file's sha256 depends on those names) both use it.

    Example:
        >>> from onnx import helper, numpy_helper
        >>> add = helper.make_node("Add", ["x", "tf_7"], ["y"])
        >>> weight = numpy_helper.from_array(np.ones(1, np.float32), "tf_7")
        >>> graph = helper.make_graph([add], "g", [], [], [weight])
        >>> rename_by_first_use(graph, digits=3)
        >>> list(graph.node[0].input), graph.initializer[0].name
        (['x', 'const_000'], 'const_000')
    """
    keep = {value.name for value in (*graph.input, *graph.output)}
    constants = {tensor.name for tensor in graph.initializer}
    renamed: dict[str, str] = {}
    for index, node in enumerate(graph.node):
        if nodes:
            node.name = f"{index:04d}_{node.op_type}"
        for i, name in enumerate(node.input):
            if name in constants and name not in renamed:
                renamed[name] = f"const_{len(renamed):0{digits}d}"
            node.input[i] = renamed.get(name, name)
        for k, name in enumerate(node.output if nodes else ()):
            if name not in keep:
                renamed[name] = f"{node.name}:{k}"
                node.output[k] = renamed[name]
    for tensor in graph.initializer:
        tensor.name = renamed.get(tensor.name, tensor.name)
    tensors = sorted(graph.initializer, key=lambda tensor: tensor.name)
    del graph.initializer[:]
    graph.initializer.extend(tensors)


def _deterministic_order(graph) -> None:
    """Sort the nodes topologically, ties broken by the graph outputs each node leads to, then by position.

    tf2onnx orders independent branches (the head's maps) differently from run to run.
    """
    import heapq

    producers = {out: i for i, node in enumerate(graph.node) for out in node.output}
    reaches: list[set[str]] = [set() for _ in graph.node]
    for output in graph.output:
        frontier = [producers[output.name]] if output.name in producers else []
        while frontier:
            index = frontier.pop()
            if output.name not in reaches[index]:
                reaches[index].add(output.name)
                frontier.extend(producers[n] for n in graph.node[index].input if n in producers)
    parents = [{producers[n] for n in node.input if n in producers} for node in graph.node]
    children: list[list[int]] = [[] for _ in graph.node]
    for index, ps in enumerate(parents):
        for parent in ps:
            children[parent].append(index)
    waiting = [len(ps) for ps in parents]
    ready = [(tuple(sorted(reaches[i])), i) for i, count in enumerate(waiting) if count == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        _, index = heapq.heappop(ready)
        order.append(index)
        for child in children[index]:
            waiting[child] -= 1
            if waiting[child] == 0:
                heapq.heappush(ready, (tuple(sorted(reaches[child])), child))
    nodes = [graph.node[i] for i in order]
    del graph.node[:]
    graph.node.extend(nodes)
