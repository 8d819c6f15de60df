"""The forward-only members, computed by the runtime from the feature map A (the graph's `features` output).

Score-CAM needs masked forward passes, so it needs A: the masks are A's channels, and the masked images go
through the model's own `image` input. Exporting A as an output costs one NHWC copy of a tensor the graph
computes anyway (the session only returns it when asked); feeding masked *features* instead would need a
second graph for the head. Eigen-CAM needs A alone.
"""

from __future__ import annotations

import numpy as np

from fakescope.runtime.explain.base import CamInputs, CamMethod, register
from fakescope.runtime.heatmap import normalize_cams
from fakescope.runtime.spec import OUTPUT_FEATURES

DEFAULT_TOP_K = 32


@register
class ScoreCam(CamMethod):
    """Score-CAM (Wang et al. 2020) over the `top_k` channels of A with the largest mean activation.

    Each chosen channel, upsampled to the input and min-max normalised, masks the input; the model's logit on
    each masked input s_k gives the weights softmax(s)_k, and the map is ReLU(Σ_k softmax(s)_k A_k). Each
    image's masked inputs go through the model in one call of `CamInputs.logits` (which batches them).

    Args:
        top_k: channels scored per image (all of them when A has fewer). Defaults to 32.
    """

    name, title, needs = "scorecam", "Score-CAM", (OUTPUT_FEATURES,)

    def __init__(self, top_k: int = DEFAULT_TOP_K) -> None:
        if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1:
            raise ValueError(f"`top_k` must be an integer >= 1. Received: top_k={top_k!r}")
        self.top_k = top_k

    def __repr__(self) -> str:
        return f"ScoreCam(top_k={self.top_k})"

    def raw(self, inputs: CamInputs) -> np.ndarray:
        if inputs.logits is None:
            raise ValueError("scorecam needs a model to score masked inputs (CamInputs.logits)")
        features = np.asarray(inputs.outputs[OUTPUT_FEATURES], dtype=np.float32)
        batch = np.asarray(inputs.batch, dtype=np.float32)
        n, _, _, channels = features.shape
        k = min(self.top_k, channels)
        chosen = np.argsort(-features.mean(axis=(1, 2), dtype=np.float64), axis=1, kind="stable")[:, :k]
        scores = np.empty((n, k))
        for i in range(n):  # one image's k masked inputs at a time: memory k x H x W x 3
            masks = normalize_cams(np.moveaxis(features[i][..., chosen[i]], -1, 0), batch.shape[1:3])
            scores[i] = np.asarray(inputs.logits(batch[i][None] * masks[..., None]), dtype=np.float64)
        weights = np.exp(scores - scores.max(axis=1, keepdims=True))
        weights /= weights.sum(axis=1, keepdims=True)
        chosen_maps = np.take_along_axis(features, chosen[:, None, None, :], axis=3)
        return np.maximum(np.einsum("nhwk,nk->nhw", chosen_maps, weights), 0.0)


@register
class EigenCam(CamMethod):
    """Eigen-CAM (Muhammad & Yeasin 2020): A's projection on its first principal component, per image.

    The positions (h w) are the samples and the channels the variables; the centred map is projected on the
    first right singular vector. Its sign is arbitrary, so it is chosen to agree with the total activation
    Σ_k A_k; then ReLU. Eigen-CAM is class-agnostic: the same map whatever the verdict.
    """

    name, title, needs = "eigencam", "Eigen-CAM", (OUTPUT_FEATURES,)

    def raw(self, inputs: CamInputs) -> np.ndarray:
        features = np.asarray(inputs.outputs[OUTPUT_FEATURES], dtype=np.float64)
        n, height, width, channels = features.shape
        out = np.zeros((n, height, width))
        for i in range(n):
            flat = features[i].reshape(-1, channels)
            centred = flat - flat.mean(axis=0)
            if not np.any(centred):
                continue
            projection = centred @ np.linalg.svd(centred, full_matrices=False)[2][0]
            total = flat.sum(axis=1)
            if projection @ (total - total.mean()) < 0:
                projection = -projection
            out[i] = np.maximum(projection, 0.0).reshape(height, width)
        return out
