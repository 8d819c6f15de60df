"""One analysed image: the picture, its facts, the verdict, P(fake)/P(real), a meter with the threshold,
and the Grad-CAM heatmap and overlay side by side. When the face front-end found faces, the overlay shows
every face's Grad-CAM drawn back onto the photo, and a gallery gives each face its own verdict and CAM.

`methods` (a `MethodPicker`) adds the CAM method picker beside the pictures. The card shows `result` judged
at `threshold` (a dashboard links its slider there, so moving it re-labels
without re-running the model) and blends the overlay at `alpha`.

Example:
    >>> card = ResultCard(detector.predict("face.jpg"), picture=pixels)
    >>> card.threshold = 0.7
"""

from __future__ import annotations

import ipywidgets as ipw
import numpy as np
import traitlets

from fakescope.runtime import FaceVerdict, Prediction
from fakescope.runtime.spec import class_name
from fakescope.widgets.markup import esc, info_html, meter_html, probabilities_html, verdict_html
from fakescope.widgets.pictures import (
    cam_pictures,
    face_overlay_png,
    fit,
    mark_faces,
    overlay_png,
    photo_overlay_png,
    png_bytes,
)
from fakescope.widgets.provenance_panel import ProvenancePanel
from fakescope.widgets.theme import styled

SIDE = 180
FACE_SIDE = 96


class ResultCard(ipw.VBox):
    """The verdict on one image, with its explanation."""

    result = traitlets.Instance(Prediction)
    threshold = traitlets.Float(0.5)
    alpha = traitlets.Float(0.45)

    def __init__(
        self,
        result: Prediction,
        picture: np.ndarray,
        *,
        alpha: float = 0.45,
        faces_searched: bool = False,
        methods: ipw.Widget | None = None,
    ) -> None:
        super().__init__(layout=ipw.Layout(margin="0 0 10px 0"))
        styled(self, "fs-panel", "fs-result")
        name = result.info.name or "image"
        self.heading = ipw.HTML(
            f'<div class="fs-card-title">{esc(name)}</div>'
            f'<div class="fs-muted">analysed in {_milliseconds(result.timings.total_ms)}</div>'
        )
        self._picture = fit(picture, SIDE)
        self.picture = _image(png_bytes(mark_faces(self._picture, result)), "fs-picture")
        heatmap, blended = cam_pictures(result, SIDE, alpha)
        if result.faces:
            blended = photo_overlay_png(self._picture, result, alpha)
        self.heatmap = _image(heatmap, "fs-heatmap")
        self.overlay = _image(blended, "fs-overlay")
        self.gallery = styled(ipw.HBox(layout=ipw.Layout(flex_flow="row wrap")), "fs-row", "fs-face-gallery")
        self.verdict = styled(ipw.HTML(), "fs-verdict-box")
        self.probabilities = ipw.HTML()
        self.meter = ipw.HTML()
        self.info = ipw.HTML(info_html(result.info, faces=_faces_text(result, faces_searched)))
        self.provenance = ProvenancePanel(result.provenance)
        pictures = styled(
            ipw.HBox(
                [
                    _figure(self.picture, "Input"),
                    _figure(self.heatmap, "Grad-CAM (red = high attention)"),
                    _figure(
                        self.overlay,
                        "Each face's Grad-CAM on the photo"
                        if result.faces
                        else "Overlay on what the model saw",
                    ),
                    *([methods] if methods is not None else []),
                ]
            ),
            "fs-row",
            "fs-pictures",
        )
        details = ipw.VBox(
            [self.verdict, self.probabilities, self.meter, self.info, self.provenance],
            layout=ipw.Layout(flex="1 1 260px", max_width="380px", margin="0 0 0 14px"),
        )
        # the face gallery sits under the pictures, beside the details, so a tall details column leaves no gap
        explanation = ipw.VBox([pictures, self.gallery], layout=ipw.Layout(flex="0 1 auto"))
        self.children = [
            self.heading,
            ipw.HBox([explanation, details], layout=ipw.Layout(align_items="flex-start")),
        ]
        self.set_trait("result", result)
        self.set_trait("threshold", result.threshold)
        self.set_trait("alpha", alpha)
        self.observe(self._on_decision, ["result", "threshold"])
        self.observe(self._on_alpha, "alpha")
        self._on_decision()

    @property
    def shown(self) -> Prediction:
        """The result as displayed: judged at the card's threshold."""
        return self.result.with_threshold(self.threshold)

    def _on_decision(self, _change: dict | None = None) -> None:
        shown = self.shown
        self.verdict.value = verdict_html(shown)
        self.probabilities.value = probabilities_html(shown)
        self.meter.value = meter_html(shown.prob_fake, shown.threshold)
        if shown.faces:
            self.picture.value = png_bytes(mark_faces(self._picture, shown))
        self.gallery.children = [
            _face_tile(i, face, shown, self.alpha) for i, face in enumerate(shown.faces, 1)
        ]

    def _on_alpha(self, change: dict) -> None:
        if self.result.faces:
            self.overlay.value = photo_overlay_png(self._picture, self.result, change["new"])
            self._on_decision()
        else:
            self.overlay.value = overlay_png(self.result, SIDE, change["new"])


def _image(png: bytes, css_class: str) -> ipw.Image:
    return styled(
        ipw.Image(value=png, format="png", layout=ipw.Layout(width=f"{SIDE}px")), "fs-image", css_class
    )


def _figure(image: ipw.Image, caption: str) -> ipw.VBox:
    caption_html = ipw.HTML(f'<div class="fs-caption">{esc(caption)}</div>')
    return ipw.VBox([image, caption_html], layout=ipw.Layout(width=f"{SIDE}px"))


def _face_tile(index: int, face: FaceVerdict, shown: Prediction, alpha: float) -> ipw.VBox:
    """One face of a group photo: its crop with its Grad-CAM, its verdict and P(fake)."""
    label = class_name(face.prob_fake, shown.threshold)
    picture = ipw.Image(
        value=face_overlay_png(face.view, face.cam, FACE_SIDE, alpha),
        format="png",
        layout=ipw.Layout(width=f"{FACE_SIDE}px"),
    )
    caption = ipw.HTML(
        f'<div class="fs-caption">face {index} · <b class="fs-face-{label.lower()}">{label}</b> · '
        f"P(fake) {face.prob_fake:.3f}</div>"
    )
    return ipw.VBox([styled(picture, "fs-image"), caption], layout=ipw.Layout(width=f"{FACE_SIDE + 20}px"))


def _faces_text(result: Prediction, searched: bool) -> str | None:
    if not searched:
        return None
    if not result.faces:
        return "none found: the model saw the centre crop"
    return f"{len(result.faces)} (the verdict is the most fake face's, thick box)"


def _milliseconds(value: float) -> str:
    return f"{value:.0f} ms" if value >= 10 else f"{value:.1f} ms"
