"""One analysed clip: the verdict (UNSURE with its reasons), the P(fake) timeline per track, a thumbnail per
track, the most fake frame with its Grad-CAM, and a slider to scrub the sampled frames.

The card renders a `VideoPrediction` at `threshold` (a dashboard links its slider there: tracks and verdict
are relabelled without re-running the model); it computes nothing the video package does not already hold.
Scrubbing needs the frames kept (`predict_video(..., keep_frames=True)`); without them the slider is hidden.

Example:
    >>> card = VideoCard(predict_video(detector, "clip.mp4", keep_frames=True))
    >>> card.scrubber.value = 5          # show the sixth sampled frame, its faces boxed
"""

from __future__ import annotations

import ipywidgets as ipw
import numpy as np
import traitlets
from PIL import Image, ImageDraw

from fakescope.report.style import CLASS_COLORS
from fakescope.video.figures import timeline_figure
from fakescope.video.results import VideoPrediction
from fakescope.widgets.markup import esc
from fakescope.widgets.pictures import fit, png_bytes
from fakescope.widgets.plots import figure_output
from fakescope.widgets.theme import styled

FRAME_SIDE = 320
THUMB_SIDE = 96
UNSURE_COLOR = "#b9770e"


class VideoCard(ipw.VBox):
    """The verdict on one clip, with its timeline, tracks, most fake frame and a frame scrubber."""

    result = traitlets.Instance(VideoPrediction)
    threshold = traitlets.Float(0.5)

    def __init__(self, result: VideoPrediction) -> None:
        super().__init__(layout=ipw.Layout(margin="0 0 10px 0"))
        styled(self, "fs-panel", "fs-result")
        self.heading = ipw.HTML(_heading_html(result))
        self.timeline = figure_output(timeline_figure(result))
        self.tracks = ipw.HBox([_track_box(track) for track in result.tracks])
        self.most_fake = ipw.VBox(_most_fake(result), layout=ipw.Layout(margin="0 12px 0 0"))
        self.frame = ipw.Image(format="png", layout=ipw.Layout(width=f"{FRAME_SIDE}px"))
        self.frame_caption = ipw.HTML()
        self.scrubber = ipw.IntSlider(
            min=0,
            max=max(0, len(result.frames) - 1),
            description="Frame",
            continuous_update=False,
            layout=ipw.Layout(width="100%", display="" if result.frames else "none"),
        )
        self.scrubber.observe(self._on_scrub, "value")
        self.result = result
        self._judged = result
        self.threshold = result.threshold
        self.observe(self._on_threshold, "threshold")
        scrub = [self.scrubber, self.frame, self.frame_caption] if result.frames else []
        pictures = ipw.HBox([self.most_fake, self.tracks], layout=ipw.Layout(flex_flow="row wrap"))
        self.children = [self.heading, self.timeline, pictures, *scrub]
        self._on_scrub()

    def _on_threshold(self, _change: dict | None = None) -> None:
        if self.threshold == self.result.threshold or not 0.0 < self.threshold < 1.0:
            return
        self.result = self._judged.with_threshold(self.threshold)
        self.heading.value = _heading_html(self.result)
        self.tracks.children = [_track_box(track) for track in self.result.tracks]
        self._on_scrub()

    def _on_scrub(self, _change: dict | None = None) -> None:
        result = self.result
        if not result.frames:
            return
        index = self.scrubber.value
        point = result.timeline[index]
        self.frame.value = png_bytes(_boxed(result, index))
        faces = f"{point.faces} face{'' if point.faces == 1 else 's'}"
        self.frame_caption.value = (
            f'<div class="fs-muted">{point.time:.2f} s · {faces} · P(fake) {point.prob_fake:.3f}</div>'
        )


def _heading_html(result: VideoPrediction) -> str:
    colour = CLASS_COLORS.get(result.verdict, UNSURE_COLOR)
    info = result.info
    reasons = "".join(f'<div class="fs-warn">UNSURE: {esc(r)}</div>' for r in result.reasons)
    facts = (
        f"{info.width}x{info.height}, {info.duration_s:.1f} s, {info.codec}; {len(result.timeline)} frames "
        f"sampled ({esc(result.sampling)}), analysed in {result.timings.total_ms / 1000:.1f} s"
    )
    return (
        f'<div class="fs-card-title">{esc(info.name or "video")}</div>'
        f'<div style="font-size:1.4em;font-weight:700;color:{colour}">{esc(result.verdict)}</div>'
        f"<div>P(fake) {result.prob_fake:.3f} · threshold {result.threshold:.3f}</div>{reasons}"
        f'<div class="fs-muted">{facts}</div>'
    )


def _track_box(track) -> ipw.VBox:
    shown = fit(np.asarray(track.thumbnail), THUMB_SIDE)
    picture = ipw.Image(value=png_bytes(shown), format="png", layout=_size(shown))
    caption = ipw.HTML(
        f'<div style="color:{CLASS_COLORS[track.label]}"><b>track {track.id}</b> {track.label}</div>'
        f'<div class="fs-muted">{track.score:.3f} · {len(track.times)} frames</div>'
    )
    return ipw.VBox([picture, caption], layout=ipw.Layout(margin="0 8px 0 0"))


def _most_fake(result: VideoPrediction) -> list[ipw.Widget]:
    most = result.most_fake
    if most is None:
        return []
    shown = fit(most.overlay(), FRAME_SIDE)
    picture = ipw.Image(value=png_bytes(shown), format="png", layout=_size(shown))
    caption = ipw.HTML(
        f'<div class="fs-muted">most fake frame: {most.time:.2f} s, track {most.track}, '
        f"P(fake) {most.face.prob_fake:.3f} (Grad-CAM)</div>"
    )
    return [picture, caption]


def _boxed(result: VideoPrediction, index: int) -> np.ndarray:
    """The kept frame `index` with the box of every track seen at its time, coloured by the track's label."""
    pixels = np.asarray(result.frames[index])
    time = result.timeline[index].time
    image = Image.fromarray(pixels)
    draw = ImageDraw.Draw(image)
    scale = pixels.shape[1] / result.info.width
    for track in result.tracks:
        for seen, box in zip(track.times, track.boxes, strict=True):
            if seen == time:
                draw.rectangle([v * scale for v in box], outline=CLASS_COLORS[track.label], width=2)
    return fit(np.asarray(image), FRAME_SIDE)


def _size(pixels: np.ndarray) -> ipw.Layout:
    """Show a picture at its own size (an `Image` widget otherwise stretches to its container)."""
    return ipw.Layout(width=f"{pixels.shape[1]}px", height=f"{pixels.shape[0]}px")
