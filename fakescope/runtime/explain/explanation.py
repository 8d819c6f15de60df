"""`Explanation`: the maps of several CAM methods on one picture, and how faithful each is to the model.

Example:
    >>> explanation = Detector().explain("face.jpg")
    >>> explanation            # e.g. Explanation(FAKE, prob_fake=0.981, ..., most faithful: layercam)
    Explanation(..., 'face.jpg' 640x480 JPEG, 7 methods, most faithful: ...)
    >>> len(explanation.ranked())
    7
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from html import escape
from types import MappingProxyType

import numpy as np

from fakescope.runtime.display import describe_image, one_line
from fakescope.runtime.explain.faithfulness import Faithfulness
from fakescope.runtime.heatmap import overlay
from fakescope.runtime.images import ImageInfo
from fakescope.runtime.results import FaceVerdict
from fakescope.runtime.spec import CLASS_NAMES

ROW_FIGURES = ("road_morf", "road_lerf", "road_combined", "deletion_auc", "insertion_auc")


@dataclass(frozen=True)
class Explanation:
    """The model's verdict on one picture (one face, with a face front-end) and every method's map of it.

    `maps[name]` is float32 (H, W) in [0, 1] aligned with `view`, the uint8 picture the model saw;
    `faithfulness[name]` holds that map's ROAD and deletion/insertion figures (empty when not computed);
    `face` is the face explained (None for a centre crop); `unavailable` names the methods this model
    cannot run (exported before the CAM family).
    """

    prob_fake: float
    threshold: float
    info: ImageInfo
    view: np.ndarray = field(repr=False, compare=False)
    maps: Mapping[str, np.ndarray] = field(repr=False, compare=False)
    faithfulness: Mapping[str, Faithfulness] = field(default_factory=dict, repr=False, compare=False)
    face: FaceVerdict | None = field(default=None, repr=False, compare=False)
    unavailable: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for array in (self.view, *self.maps.values()):
            array.flags.writeable = False
        object.__setattr__(self, "maps", MappingProxyType(dict(self.maps)))
        object.__setattr__(self, "faithfulness", MappingProxyType(dict(self.faithfulness)))

    @property
    def label(self) -> str:
        return CLASS_NAMES[1] if self.prob_fake >= self.threshold else CLASS_NAMES[0]

    @property
    def methods(self) -> tuple[str, ...]:
        return tuple(self.maps)

    def ranked(self) -> tuple[str, ...]:
        """The methods, most faithful first by ROAD's combined score (as computed; empty without it)."""
        return tuple(sorted(self.faithfulness, key=lambda m: -self.faithfulness[m].road_combined))

    def overlay(self, method: str, alpha: float = 0.45) -> np.ndarray:
        """The jet heatmap of `method`'s map blended over the view, uint8 (H, W, 3)."""
        if method not in self.maps:
            raise KeyError(f"no {method!r} map; this explanation has {', '.join(self.maps)}")
        return overlay(np.array(self.view), np.array(self.maps[method]), alpha)

    def as_rows(self) -> list[dict]:
        """One flat JSON-friendly record per method: path, method, prob_fake, the figures, error."""
        rows = []
        for method in self.maps:
            figures = self.faithfulness[method].as_dict() if method in self.faithfulness else {}
            row = {"path": self.info.name, "method": method, "prob_fake": round(self.prob_fake, 6)}
            rows.append({**row, **{k: figures.get(k) for k in ROW_FIGURES}, "error": ""})
        return rows

    def __repr__(self) -> str:
        count = len(self.maps)
        facts = [describe_image(self.info), f"{count} method{'s' if count != 1 else ''}"]
        if self.faithfulness:
            best = self.ranked()[0]
            facts.append(f"most faithful: {best} road={self.faithfulness[best].road_combined:+.3f}")
        return one_line("Explanation", self.label, prob_fake=self.prob_fake, extra=facts)

    def _repr_html_(self) -> str:
        words = {m: self.faithfulness[m].sentence() if m in self.faithfulness else "" for m in self.maps}
        cells = "".join(f"<tr><td>{escape(m)}</td><td>{escape(w)}</td></tr>" for m, w in words.items())
        return f"<p>{escape(repr(self))}</p><table>{cells}</table>"
