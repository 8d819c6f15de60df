"""The original app's per-image path, in its own process (TensorFlow fixes its thread pools at start):
preprocess, `model.predict(x)`, and a tf.GradientTape Grad-CAM of the logit at "last_conv".

Usage:
    python -m benchmarks.keras_path MODEL.keras IMAGE --threads 1 --runs 20
"""

from __future__ import annotations

import argparse
import json
import os
from dataclasses import asdict


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("image")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    import keras

    from benchmarks.timing import measure
    from fakescope.runtime import InputSpec, preprocess

    model = keras.models.load_model(args.model, compile=False)
    size = model.input_shape[1]
    spec = InputSpec(size, size)
    grad_model = keras.Model(
        model.inputs, [model.get_layer("last_conv").output, model.get_layer("logit").output]
    )

    def run():
        x = preprocess(args.image, spec)[None]
        prob = model.predict(x, verbose=0)
        with tf.GradientTape() as tape:
            features, logit = grad_model(x, training=False)
        grads = tape.gradient(logit, features)
        weights = tf.reduce_mean(grads, axis=(1, 2), keepdims=True)
        cam = tf.nn.relu(tf.reduce_sum(weights * features, axis=-1))
        return float(prob[0, 0]), cam.numpy()

    print(json.dumps(asdict(measure(run, runs=args.runs, warmup=3))))


if __name__ == "__main__":
    main()
