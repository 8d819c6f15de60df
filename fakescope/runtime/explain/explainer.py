"""Run the CAM family and the faithfulness measures on one picture with a detector's onnxruntime session.

`Detector.explain` calls `explain`; this module owns the work so the detector stays small.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from fakescope.runtime.calibrated import calibrated_prob
from fakescope.runtime.explain.base import CamInputs, available_methods, cam_method, method_names
from fakescope.runtime.explain.explanation import Explanation
from fakescope.runtime.explain.faithfulness import faithfulness as measure
from fakescope.runtime.explain.imputation import NOISE
from fakescope.runtime.images import ImageInfo
from fakescope.runtime.preprocess import model_view_to_tensor
from fakescope.runtime.results import FaceVerdict
from fakescope.runtime.spec import INPUT_IMAGE, OUTPUT_LOGIT

if TYPE_CHECKING:
    from fakescope.runtime.detector import Detector
    from fakescope.runtime.framing import FacePlacement
    from fakescope.runtime.images import DecodedImage, ImageSource

BATCH = 64
"""Perturbed or masked inputs per session run."""


def explain(
    detector: Detector,
    image: ImageSource | DecodedImage,
    methods: Sequence[str] | None = None,
    faithfulness: bool = True,
    *,
    face: int | None = None,
    name: str | None = None,
    options: dict[str, dict[str, Any]] | None = None,
) -> Explanation:
    """See `Detector.explain`."""
    available, missing = available_methods(detector.output_names)
    names = _chosen(methods, available, missing, detector)
    framed = detector.prepare(image, name)
    probs, _ = detector.predict_views(np.stack(framed.views), with_cam=False)
    index = int(np.argmax(probs)) if face is None else face
    if not 0 <= index < len(framed.views):
        raise ValueError(f"`face` must be in [0, {len(framed.views) - 1}]. Received: face={face}")
    placement = framed.faces[index] if framed.faces else None
    return explain_view(
        detector,
        framed.views[index],
        names,
        faithfulness,
        info=framed.info,
        placement=placement,
        options=options,
    )


def explain_view(
    detector: Detector,
    view: np.ndarray,
    methods: Sequence[str] | None = None,
    faithfulness: bool = True,
    *,
    info: ImageInfo | None = None,
    placement: FacePlacement | None = None,
    options: dict[str, dict[str, Any]] | None = None,
) -> Explanation:
    """The explanation of one uint8 (H, W, 3) model view, as `Detector.explain` gives for one picture.

    For a picture the model has already judged (a result card's `Prediction.view` or a face's view).
    """
    available, missing = available_methods(detector.output_names)
    names = _chosen(methods, available, missing, detector)
    tensor = model_view_to_tensor(np.asarray(view, dtype=np.uint8)[None], detector.spec)
    built = {n: cam_method(n, **(options or {}).get(n, {})) for n in names}
    needed = sorted({OUTPUT_LOGIT, *(output for method in built.values() for output in method.needs)})
    outputs = dict(zip(needed, detector.session.run(needed, {INPUT_IMAGE: tensor}), strict=True))
    prob = float(calibrated_prob(outputs[OUTPUT_LOGIT].reshape(-1), detector.temperature)[0])
    inputs = CamInputs(tensor, outputs, lambda batch: _run(detector, OUTPUT_LOGIT, batch))
    maps = {n: method(inputs)[0] for n, method in built.items()}
    figures = {}
    if faithfulness:
        low, high = detector.spec.value_range
        for n, method in built.items():
            real = method.target == "REAL"
            figures[n] = measure(
                tensor[0],
                maps[n],
                lambda batch, real=real: _probabilities(detector, batch, real),
                target=method.target,
                noise=NOISE * (high - low),
                baseline=low,
            )
    verdict = None
    if placement is not None:
        f = placement
        verdict = FaceVerdict(f.box, f.crop, f.score, prob, maps[names[0]], np.array(view), f.transform)
    height, width = view.shape[:2]
    info = info or ImageInfo(width, height, "array", "RGB", None)
    return Explanation(prob, detector.threshold, info, np.array(view), maps, figures, verdict, tuple(missing))


def unavailable_line(missing: dict[str, tuple[str, ...]]) -> str:
    """One line naming the methods a model cannot run and why."""
    lacking = sorted({output for outputs in missing.values() for output in outputs})
    return (
        f"unavailable with this model: {', '.join(missing)} (it lacks the outputs {', '.join(lacking)}; "
        "re-export it with `fakescope export` to get them)"
    )


def _chosen(methods, available, missing, detector) -> list[str]:
    if methods is None:
        if missing:
            warnings.warn(unavailable_line(missing), stacklevel=4)
        return list(available)
    if isinstance(methods, str):
        methods = [methods]
    names = list(dict.fromkeys(methods))
    if not names:
        raise ValueError("`methods` must name at least one method")
    unknown = [n for n in names if n not in method_names()]
    if unknown:
        raise ValueError(f"unknown CAM method {unknown[0]!r}; choose from {', '.join(method_names())}")
    lacking = {n: missing[n] for n in names if n in missing}
    if lacking:
        raise ValueError(f"{detector.model_path.name}: {unavailable_line(lacking)}")
    return names


def _run(detector: Detector, output: str, batch: np.ndarray) -> np.ndarray:
    parts = [
        detector.session.run([output], {INPUT_IMAGE: batch[start : start + BATCH].astype(np.float32)})[0]
        for start in range(0, len(batch), BATCH)
    ]
    return np.concatenate(parts).reshape(-1)


def _probabilities(detector: Detector, batch: np.ndarray, real: bool) -> np.ndarray:
    """P(fake) as `predict` gives it (temperature-scaled as the card says), or P(real)."""
    prob_fake = calibrated_prob(_run(detector, OUTPUT_LOGIT, batch), detector.temperature)
    return 1.0 - prob_fake if real else prob_fake
