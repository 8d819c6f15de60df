"""`Detector`: load a verified ONNX model and turn images into verdicts with Grad-CAM.

Example:
    >>> detector = Detector("model.onnx")          # Detector() loads the bundled model
    >>> result = detector.predict("face.jpg")
    >>> result.label in ("REAL", "FAKE"), 0.0 <= result.prob_fake <= 1.0, result.cam.shape
    (True, True, (32, 32))
"""

from __future__ import annotations

import copy
import os
import time
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
import onnxruntime as ort

from fakescope.runtime.calibrated import calibrated_prob
from fakescope.runtime.card import ModelCard
from fakescope.runtime.checks import Evidence
from fakescope.runtime.conformal import check_alpha, class_thresholds, prediction_set, too_few_for_alpha
from fakescope.runtime.degrade import DEGRADATIONS, TTA_COPIES
from fakescope.runtime.errors import InvalidImageError, ModelCardError, ModelError
from fakescope.runtime.faces import FaceFinder
from fakescope.runtime.framing import Framed, frame
from fakescope.runtime.heatmap import normalize_cams
from fakescope.runtime.images import DEFAULT_LIMITS, DecodedImage, ImageLimits, ImageSource, load_image
from fakescope.runtime.models import default_model_path
from fakescope.runtime.preprocess import draft_size_for, model_view_to_tensor
from fakescope.runtime.provenance import C2paCheck
from fakescope.runtime.results import FaceVerdict, Prediction, Rejected, Timings, check_threshold
from fakescope.runtime.seal import ModelVerifier, check_signature, open_sealed
from fakescope.runtime.sessions import make_session, read_model_bytes
from fakescope.runtime.spec import (
    INPUT_IMAGE,
    OUTPUT_CAM,
    OUTPUT_LOGIT,
    OUTPUT_NAMES,
    OUTPUT_OOD,
)

if TYPE_CHECKING:
    from fakescope.runtime.explain import Explanation

FACE_DECODE_SIDE = 1024
"""With a face front-end, JPEGs are DCT-decoded to no less than this, so face crops keep their detail."""


class Detector:
    """Runs an exported fakescope model on onnxruntime; safe to share between threads.

    Args:
        model: path of an ONNX model with a fakescope card. Defaults to the bundled model.
        threads: intra-op threads. Defaults to onnxruntime's choice (all physical cores).
        providers: onnxruntime execution providers. Defaults to ["CPUExecutionProvider"].
        limits: image decoding limits. Defaults to `DEFAULT_LIMITS`.
        threshold: decision threshold overriding the card's. Defaults to the card's.
        face_crop: find and crop faces first (True), never (False), or as the card declares (None).
            Defaults to None.
        c2pa: validates C2PA manifests for each result's `provenance` (`fakescope.provenance.C2paChecker`,
            from the `provenance` extra). Defaults to None: provenance is read, C2PA is not checked.
        alpha: error level of the conformal check (a prediction set with both labels or neither means
            UNSURE). Defaults to the card's; needs a card with conformal calibration.
        tta: also judge a JPEG-75 re-encoding, a half-size copy and a mirror image, in the same batch; labels
            that disagree mean UNSURE. Defaults to False.
        trust: also require a signature by a trusted key, checked by this object's
            `verify(message, signature)` (e.g. `fakescope.signing.TrustedKeys.from_file("publisher.pub")`).
            Defaults to None: the seal is checked, no signature is asked for.

    Raises:
        ModelError: the file is missing, not ONNX, keeps data in other files, or is not a fakescope model.
        ModelSealError: the graph or the card was changed after export.
        ModelSignatureError: `trust` was given and the model is not signed by a key it trusts.
    """

    def __init__(
        self,
        model: str | os.PathLike | None = None,
        threads: int | None = None,
        providers: Sequence[str] | None = None,
        limits: ImageLimits = DEFAULT_LIMITS,
        threshold: float | None = None,
        face_crop: bool | None = None,
        c2pa: C2paCheck | None = None,
        alpha: float | None = None,
        tta: bool = False,
        trust: ModelVerifier | None = None,
    ) -> None:
        self.model_path = Path(model) if model is not None else default_model_path()
        model_bytes = read_model_bytes(self.model_path)
        self.sealed = open_sealed(model_bytes, str(self.model_path))
        if trust is not None:
            check_signature(self.sealed, trust, str(self.model_path))
        self.card = self.sealed.card
        self.session = make_session(model_bytes, self.model_path, threads=threads, providers=providers)
        _check_io(self.session, self.card, self.model_path)
        self.output_names = tuple(o.name for o in self.session.get_outputs())
        self.spec = self.card.input_spec
        if not isinstance(limits, ImageLimits):
            raise TypeError(f"`limits` must be an ImageLimits. Received: {type(limits).__name__}")
        self.limits = limits
        if threshold is not None:
            check_threshold(threshold)
        self.threshold = float(threshold if threshold is not None else self.card.threshold)
        declared = self.card.face_crop
        self.face_crop = declared if face_crop is None else replace(declared, enabled=bool(face_crop))
        self.face_finder = FaceFinder(threads=1) if self.face_crop.enabled else None
        self.c2pa = c2pa
        self.temperature = float(self.card.temperature)
        self.has_ood = OUTPUT_OOD in {o.name for o in self.session.get_outputs()}
        self.alpha, self.conformal = _conformal(self.card, alpha)
        self.tta = bool(tta)

    def __repr__(self) -> str:
        return f"Detector(model={str(self.model_path)!r}, card={self.card.name!r} v{self.card.version})"

    def with_limits(self, limits: ImageLimits) -> Detector:
        """This detector (same session, card and threshold) decoding with other image limits.

        Example:
            >>> Detector().with_limits(ImageLimits(min_side=8)).limits.min_side
            8
        """
        if not isinstance(limits, ImageLimits):
            raise TypeError(f"`limits` must be an ImageLimits. Received: {type(limits).__name__}")
        clone = copy.copy(self)
        clone.limits = limits
        return clone

    def with_checks(self, alpha: float | None = None, tta: bool | None = None) -> Detector:
        """This detector (same session and card) with another conformal `alpha` and/or test-time augmentation.

        Example:
            >>> Detector().with_checks(alpha=0.3, tta=True).alpha
            0.3
        """
        clone = copy.copy(self)
        if alpha is not None:
            clone.alpha, clone.conformal = _conformal(self.card, alpha)
        if tta is not None:
            clone.tta = bool(tta)
        return clone

    def decode(self, image: ImageSource | DecodedImage, name: str | None = None) -> DecodedImage:
        """Decode and validate an input with this detector's limits (JPEGs decoded at a reduced scale)."""
        if isinstance(image, DecodedImage):
            return image
        draft = (FACE_DECODE_SIDE, FACE_DECODE_SIDE) if self.face_finder else draft_size_for(self.spec)
        return load_image(image, self.limits, draft_size=draft, name=name or _name_of(image), c2pa=self.c2pa)

    def prepare(self, image: ImageSource | DecodedImage, name: str | None = None) -> Framed:
        """Decode an input and cut the views the model will see (each face, or the centre crop); with `tta`,
        the degraded copies are framed too."""
        decoded = self.decode(image, name)
        if name and decoded.info.name != name:
            decoded = DecodedImage(decoded.pixels, replace(decoded.info, name=name))
        framed = frame(decoded, self.spec, self.face_finder, self.face_crop)
        if not self.tta:
            return framed
        copies = tuple(
            frame(
                DecodedImage(DEGRADATIONS[name](decoded.pixels), decoded.info),
                self.spec,
                self.face_finder,
                self.face_crop,
            )
            for name in TTA_COPIES
        )
        return replace(framed, copies=copies)

    def predict(self, image: ImageSource | DecodedImage, name: str | None = None) -> Prediction:
        """Analyse one image. Raises `InvalidImageError` for input that cannot be analysed."""
        return self.predict_batch([image], names=[name] if name else None)[0]

    def predict_batch(
        self,
        images: Iterable[ImageSource | DecodedImage],
        batch_size: int = 32,
        names: Sequence[str | None] | None = None,
        on_error: Literal["raise", "return"] = "raise",
    ) -> list[Prediction | Rejected]:
        """Analyse many images with one session run per batch.

        Args:
            images: inputs, each anything `predict` accepts.
            batch_size: images per session run. Defaults to 32.
            names: display names, one per image. Defaults to the file names of paths.
            on_error: "raise" the first `InvalidImageError`, or "return" a `Rejected` in its place.

        Returns:
            One `Prediction` (or `Rejected`) per input, in order.
        """
        if batch_size < 1:
            raise ValueError(f"`batch_size` must be >= 1. Received: batch_size={batch_size}")
        if on_error not in ("raise", "return"):
            raise ValueError(f"`on_error` must be 'raise' or 'return'. Received: on_error={on_error!r}")
        if isinstance(images, (str, bytes, os.PathLike)):
            raise TypeError("`images` must be a sequence of images; for one image call `predict`")
        images = list(images)
        names = list(names) if names is not None else [None] * len(images)
        if len(names) != len(images):
            raise ValueError(f"got {len(names)} names for {len(images)} images")
        results: list[Prediction | Rejected] = []
        for start in range(0, len(images), batch_size):
            chunk = zip(images[start : start + batch_size], names[start : start + batch_size], strict=True)
            results.extend(self._predict_chunk(list(chunk), on_error))
        return results

    def predict_views(self, views: np.ndarray, with_cam: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
        """Run the model on uint8 model views (N, H, W, 3).

        Returns:
            P(fake) as float64 (N,) (temperature-scaled as the card says), and the CAMs (N, H, W) in [0, 1]
            (None when `with_cam` is False).
        """
        prob, _logit, _ood, cam = self.score_views(views, with_cam)
        return prob, cam

    def score_views(self, views: np.ndarray, with_cam: bool = True):
        """Like `predict_views`, also returning the raw logits (N,) and OOD scores (N,) (None without OOD):
        (prob, logit, ood, cam)."""
        batch = model_view_to_tensor(views, self.spec)
        names = [OUTPUT_LOGIT] + ([OUTPUT_OOD] if self.has_ood else []) + ([OUTPUT_CAM] if with_cam else [])
        outputs = dict(zip(names, self.session.run(names, {INPUT_IMAGE: batch}), strict=True))
        logit = outputs[OUTPUT_LOGIT].reshape(-1).astype(np.float64)
        ood = outputs[OUTPUT_OOD].reshape(-1).astype(np.float64) if self.has_ood else None
        cam = normalize_cams(outputs[OUTPUT_CAM], (self.spec.height, self.spec.width)) if with_cam else None
        return calibrated_prob(logit, self.temperature), logit, ood, cam

    def judge(
        self, framed: Sequence[Framed], with_cam: bool = True, decode_ms: float = 0.0
    ) -> list[Prediction]:
        """Run the model once on every view of `framed` and build one `Prediction` per image.

        Without `with_cam`, the CAMs are empty (0x0) arrays: for scans that only need the verdicts.
        """
        started = time.perf_counter()
        copies = [copy for item in framed for copy in item.copies]
        views = np.stack([view for item in (*framed, *copies) for view in item.views])
        probs, logits, ood, cams = self.score_views(views, with_cam)
        if cams is None:
            cams = np.zeros((len(views), 0, 0), np.float32)
        copy_probs = iter(_most_fake(probs[sum(len(item.views) for item in framed) :], copies))
        share = (time.perf_counter() - started) * 1000.0 / max(1, len(framed))
        timings = Timings(decode_ms=decode_ms, inference_ms=share, total_ms=decode_ms + share)
        results, index = [], 0
        for item in framed:
            count = len(item.views)
            p, c, v = probs[index : index + count], cams[index : index + count], views[index : index + count]
            index += count
            best = int(np.argmax(p))
            faces = tuple(
                FaceVerdict(f.box, f.crop, f.score, float(p[k]), c[k], v[k], f.transform)
                for k, f in enumerate(item.faces)
            )
            evidence = self._evidence(
                float(p[best]),
                float(logits[index - count + best]),
                None if ood is None else float(ood[index - count + best]),
                tuple(next(copy_probs) for _ in item.copies),
            )
            results.append(
                Prediction(
                    float(p[best]), self.threshold, c[best], v[best], item.info, timings, faces, evidence
                )
            )
        return results

    @property
    def cam_methods(self) -> tuple[str, ...]:
        """The CAM methods this model can run (older exports lack the outputs of all but `gradcam`)."""
        from fakescope.runtime.explain import available_methods

        return available_methods(self.output_names)[0]

    def explain(
        self,
        image: ImageSource | DecodedImage,
        methods: Sequence[str] | None = None,
        faithfulness: bool = True,
        *,
        face: int | None = None,
        name: str | None = None,
        options: dict[str, dict] | None = None,
    ) -> Explanation:
        """Every chosen CAM method's map of one picture, and how faithful each is (ROAD, deletion/insertion).

        Args:
            image: anything `predict` accepts.
            methods: names from `fakescope.runtime.explain.method_names()`. Defaults to every method this
                model can run (warning in one line about those it cannot).
            faithfulness: also compute ROAD and deletion/insertion per method. Defaults to True.
            face: with a face front-end, which face (largest first). Defaults to the most fake one.
            name: display name. Defaults to the file name of a path.
            options: per-method options, e.g. {"scorecam": {"top_k": 16}}. Defaults to none.

        Raises:
            InvalidImageError: the input cannot be analysed.
            ValueError: an unknown method, or one this model lacks the outputs for.
        """
        from fakescope.runtime.explain.explainer import explain

        return explain(self, image, methods, faithfulness, face=face, name=name, options=options)

    def _evidence(self, prob: float, logit: float, ood: float | None, tta: tuple[float, ...]) -> Evidence:
        return Evidence(
            face_front_end=self.face_finder is not None,
            logit=logit,
            ood_score=ood,
            ood_threshold=float(self.card.ood["threshold"]) if self.card.ood else None,
            prediction_set=prediction_set(prob, self.conformal) if self.conformal else None,
            alpha=self.alpha,
            tta_probs=tta,
        )

    def _predict_chunk(self, chunk, on_error) -> list[Prediction | Rejected]:
        started = time.perf_counter()
        framed, slots, out = [], [], [None] * len(chunk)
        for i, (image, name) in enumerate(chunk):
            try:
                framed.append(self.prepare(image, name))
                slots.append(i)
            except InvalidImageError as err:
                if on_error == "raise":
                    raise
                out[i] = Rejected(name or _name_of(image), err)
        if framed:
            decode_ms = (time.perf_counter() - started) * 1000.0 / len(framed)
            for slot, prediction in zip(slots, self.judge(framed, decode_ms=decode_ms), strict=True):
                out[slot] = prediction
        return out


def _most_fake(probs: np.ndarray, framed: Sequence[Framed]) -> list[float]:
    """The highest P(fake) among each framing's views (`probs` holds their views in order)."""
    out, index = [], 0
    for item in framed:
        out.append(float(np.max(probs[index : index + len(item.views)])))
        index += len(item.views)
    return out


def _conformal(card: ModelCard, alpha: float | None) -> tuple[float | None, dict[str, float] | None]:
    """The conformal check's alpha and class thresholds (None, None when the card has no calibration)."""
    if not card.conformal:
        if alpha is not None:
            raise ValueError(f"`alpha` needs a model with conformal calibration; {card.name!r} has none")
        return None, None
    alpha = float(card.conformal["alpha"]) if alpha is None else check_alpha(alpha)
    scores = card.conformal["scores"]
    short = too_few_for_alpha({name: len(values) for name, values in scores.items()}, alpha)
    if short:
        warnings.warn(f"{card.name}: {short}", stacklevel=3)
    return alpha, class_thresholds(scores, alpha)


def _check_io(session: ort.InferenceSession, card: ModelCard, path: Path) -> None:
    inputs = {i.name: i for i in session.get_inputs()}
    outputs = {o.name for o in session.get_outputs()}
    missing = [n for n in OUTPUT_NAMES if n not in outputs]
    if INPUT_IMAGE not in inputs or missing:
        raise ModelError(
            f"{path} is not a fakescope model: needs input {INPUT_IMAGE!r} "
            f"and outputs {', '.join(OUTPUT_NAMES)}"
        )
    shape = inputs[INPUT_IMAGE].shape
    expected = [card.input_height, card.input_width, 3]
    if len(shape) != 4 or [d if isinstance(d, int) else None for d in shape[1:]] != expected:
        raise ModelCardError(f"{path}: input shape {shape} does not match the card's (N, {expected})")


def _name_of(image) -> str | None:
    if isinstance(image, (str, os.PathLike)):
        return Path(image).name
    raw = getattr(image, "name", None)
    return Path(raw).name if isinstance(raw, str) else None
