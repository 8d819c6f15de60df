"""Convert a checked Keras model to ONNX with tf2onnx, adding the exact Grad-CAM output inside the graph.

The traced function returns the model's own `prob_fake`, its `logit`, and `cam` = ReLU(Σ_k w_k A_k) / (h w)
computed as a 1x1 convolution of the feature map A with the logit kernel w (see `fakescope.export.head`).
The input is NHWC `image` (N, H, W, 3); tf2onnx runs the convolutions in NCHW behind one input Transpose.

Example:
    >>> onnx_model = convert(keras.models.load_model("best_model.keras"))
    >>> [o.name for o in onnx_model.graph.output]
    ['cam', 'logit', 'prob_fake']
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from fakescope.export.errors import ExportError
from fakescope.export.head import check_head
from fakescope.export.ood import GaussianStats, ood_graph
from fakescope.export.spec import DEFAULT_SPEC, ExportSpec
from fakescope.runtime.errors import first_line
from fakescope.runtime.spec import OUTPUT_CAM, OUTPUT_LOGIT, OUTPUT_OOD, OUTPUT_PROB

if TYPE_CHECKING:
    import keras
    import onnx


def convert(
    model: keras.Model, spec: ExportSpec = DEFAULT_SPEC, ood: GaussianStats | None = None
) -> onnx.ModelProto:
    """The ONNX graph of `model` with outputs prob_fake (N, 1), logit (N, 1) and cam (N, h, w), and with
    `ood` (then `spec.output_names` must name it) the out-of-distribution score ood_score (N,).

    Raises:
        UnsupportedHeadError: the head is not the contract's (see `check_head`).
        ExportError: tf2onnx fails, or the graph's inputs/outputs are not the spec's.
    """
    import keras
    import tensorflow as tf
    import tf2onnx

    head = check_head(model, spec)
    height, width, _ = head.feature_shape
    gap = model.get_layer(spec.head_layers[0]).output
    graph_model = keras.Model(
        model.inputs[0], [head.prob.output, head.logit.output, head.features.output, gap]
    )
    cam_kernel = head.kernel.reshape(1, 1, -1, 1)
    inv_area = np.float32(1.0 / (height * width))
    signature = [tf.TensorSpec((None, *head.input_shape), tf.float32, name=spec.input_name)]

    @tf.function(input_signature=signature)
    def serve(image):
        prob, logit, features, pooled = graph_model(image, training=False)
        # Constants built inside the body are embedded in the graph (captured tensors would become inputs).
        weighted = tf.nn.conv2d(features, tf.constant(cam_kernel), strides=1, padding="VALID")
        cam = tf.nn.relu(tf.squeeze(weighted, axis=-1)) * tf.constant(inv_area)
        outputs = {OUTPUT_PROB: prob, OUTPUT_LOGIT: logit, OUTPUT_CAM: cam}
        if ood is not None:
            outputs[OUTPUT_OOD] = ood_graph(pooled, ood)
        return outputs

    try:
        onnx_model, _ = tf2onnx.convert.from_function(serve, input_signature=signature, opset=spec.opset)
    except Exception as err:
        raise ExportError(f"tf2onnx could not convert the model: {first_line(err, 300)}") from err
    _embed_captured_constants(onnx_model, serve.get_concrete_function(*signature), len(signature))
    _name_batch_axis(onnx_model, spec)
    _canonical_names(onnx_model)
    return onnx_model


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
    keep = {value.name for value in (*graph.input, *graph.output)}
    renamed: dict[str, str] = {}
    constants = {tensor.name for tensor in graph.initializer}
    for index, node in enumerate(graph.node):
        node.name = f"{index:04d}_{node.op_type}"
        for i, name in enumerate(node.input):
            if name in constants and name not in renamed:
                renamed[name] = f"const_{len(renamed):04d}"
            node.input[i] = renamed.get(name, name)
        for k, name in enumerate(node.output):
            if name not in keep:
                renamed[name] = f"{node.name}:{k}"
                node.output[k] = renamed[name]
    for tensor in graph.initializer:
        tensor.name = renamed.get(tensor.name, tensor.name)
    del graph.value_info[:]
    graph.name, graph.doc_string = "fakescope", ""
