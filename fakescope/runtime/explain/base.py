"""One base for the CAM family: a method reads one session run's outputs and returns maps in [0, 1].

Each member is a small `CamMethod` subclass registered by name, so the CLI, the dashboard and the tests
enumerate `CAM_METHODS` instead of repeating lists. The base owns the pipeline's end (upsample to the model's
input, min-max normalise); a member only says which graph outputs it needs and computes its raw map.

Example:
    >>> import numpy as np
    >>> method = cam_method("gradcam")
    >>> batch = np.zeros((2, 32, 32, 3), np.float32)
    >>> names = [o.name for o in detector.session.get_outputs()]
    >>> outputs = dict(zip(names, detector.session.run(names, {"image": batch})))
    >>> maps = method(CamInputs(batch, outputs))    # float32 (N, H, W) in [0, 1]
    >>> maps.shape[0], maps.dtype
    (2, dtype('float32'))
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from fakescope.runtime.heatmap import normalize_cams

CAM_METHODS: dict[str, type[CamMethod]] = {}
"""Every method by its lower-case name, in registration order."""


@dataclass(frozen=True)
class CamInputs:
    """What the methods read: the model's input batch, its outputs on it, and a way to score more inputs.

    Args:
        batch: float32 (N, H, W, 3), the tensors the model saw.
        outputs: graph outputs on `batch` by name (at least those the methods need).
        logits: runs the model on float32 (M, H, W, 3) and returns its logits (M,); for forward-only methods.
    """

    batch: np.ndarray
    outputs: Mapping[str, np.ndarray]
    logits: Callable[[np.ndarray], np.ndarray] | None = field(default=None, repr=False)


class CamMethod(ABC):
    """A CAM method: `needs` names its graph outputs, `raw` computes (N, h, w) maps at the feature resolution.

    `target` is the class the map explains ("FAKE", or "REAL" for the evidence for REAL), which is the score
    the faithfulness measures watch.
    """

    name: ClassVar[str]
    title: ClassVar[str]
    needs: ClassVar[tuple[str, ...]]
    target: ClassVar[str] = "FAKE"

    @abstractmethod
    def raw(self, inputs: CamInputs) -> np.ndarray:
        """Unnormalised maps (N, h, w), non-negative."""

    def __call__(self, inputs: CamInputs) -> np.ndarray:
        """float32 (N, H, W) in [0, 1] at the model's input resolution (a constant map becomes all zeros)."""
        missing = [name for name in self.needs if name not in inputs.outputs]
        if missing:
            raise ValueError(f"{self.name} needs the graph outputs {', '.join(missing)}")
        _, height, width, _ = inputs.batch.shape
        return normalize_cams(np.asarray(self.raw(inputs), dtype=np.float32), (height, width))

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def register(cls: type[CamMethod]) -> type[CamMethod]:
    """Class decorator adding a method to `CAM_METHODS` under its `name`."""
    CAM_METHODS[cls.name] = cls
    return cls


def method_names() -> tuple[str, ...]:
    """The registered names: gradcam, gradcam++, layercam, ablationcam, realcam, scorecam, eigencam."""
    _load_members()
    return tuple(CAM_METHODS)


def cam_method(name: str, **options: Any) -> CamMethod:
    """The method registered as `name`, built with `options` (e.g. `top_k` for Score-CAM).

    Raises:
        ValueError: no method has that name.
    """
    _load_members()
    if name not in CAM_METHODS:
        raise ValueError(f"unknown CAM method {name!r}; choose from {', '.join(CAM_METHODS)}")
    return CAM_METHODS[name](**options)


def available_methods(outputs: Collection[str]) -> tuple[tuple[str, ...], dict[str, tuple[str, ...]]]:
    """(names a model with these graph outputs can run, {unavailable name: the outputs it lacks})."""
    _load_members()
    available, missing = [], {}
    for name, cls in CAM_METHODS.items():
        lacking = tuple(n for n in cls.needs if n not in outputs)
        if lacking:
            missing[name] = lacking
        else:
            available.append(name)
    return tuple(available), missing


def _load_members() -> None:
    from fakescope.runtime.explain import closed_form, forward  # noqa: F401  (registers the members)
