"""`DetectorDashboard`: upload face images (or try a sample) and see the verdict, P(fake) and Grad-CAM.

What the old Streamlit app did, plus: several files at once, a threshold that re-labels without re-running the
model, a CAM opacity slider, a session history with CSV download, and a model picker with the model card.

Example (a notebook cell; `fakescope dashboard` serves it with Voila):
    >>> from fakescope.widgets import DetectorDashboard
    >>> DetectorDashboard()          # the model in $FAKESCOPE_MODEL, else the bundled one
"""

from __future__ import annotations

from pathlib import Path

import ipywidgets as ipw
import numpy as np

from fakescope.runtime import Detector, InvalidImageError, Prediction, Rejected
from fakescope.widgets.checks_panel import ChecksPanel
from fakescope.widgets.env import MODEL_ENV, SAMPLES_ENV, env_path, upload_limits
from fakescope.widgets.history import HistoryEntry, HistoryTable
from fakescope.widgets.limits import MAX_FILES_PER_UPLOAD, max_message_bytes, too_many_files
from fakescope.widgets.markup import header_html, message_html, title_html
from fakescope.widgets.method_picker import MethodPicker
from fakescope.widgets.model_panel import ModelPanel
from fakescope.widgets.pictures import fit
from fakescope.widgets.result_card import SIDE, ResultCard
from fakescope.widgets.samples import SamplePicker
from fakescope.widgets.theme import APP_CLASS, style_sheet, styled
from fakescope.widgets.threshold import ThresholdSlider
from fakescope.widgets.uploads import ACCEPT, uploaded_files
from fakescope.widgets.video_card import VideoCard
from fakescope.widgets.video_upload import VIDEO_ACCEPT, VideoPrediction, analyse_video, is_video_upload

TITLE = "fakescope · deepfake image detector"
SUBTITLE = (
    "Upload face images to see whether the model thinks they are real or generated, "
    "and where it looked (Grad-CAM). Everything runs on this machine."
)


class DetectorDashboard(ipw.VBox):
    """The detector's web page.

    Args:
        model: ONNX model to open first. Defaults to $FAKESCOPE_MODEL, else the bundled model.
        models_folder: folder whose ONNX files the model picker offers. Defaults to the bundled models.
        samples_folder: images for the "try a sample" picker. Defaults to $FAKESCOPE_SAMPLES, else the bundled
            samples.
    """

    def __init__(
        self,
        model: str | Path | None = None,
        *,
        models_folder: str | Path | None = None,
        samples_folder: str | Path | None = None,
    ) -> None:
        super().__init__()
        styled(self, APP_CLASS)
        self.model_panel = ModelPanel(model if model is not None else env_path(MODEL_ENV), models_folder)
        self.threshold = ThresholdSlider(style={"description_width": "80px"}, layout=ipw.Layout(width="100%"))
        self.opacity = ipw.FloatSlider(
            value=0.45,
            min=0.0,
            max=1.0,
            step=0.05,
            description="Opacity",
            readout_format=".2f",
            style={"description_width": "80px"},
            layout=ipw.Layout(width="100%"),
        )
        self.upload = ipw.FileUpload(
            accept=f"{ACCEPT},{VIDEO_ACCEPT}",
            multiple=True,
            description="Upload images",
            tooltip="Choose one or more image files to analyse",
            icon="",
            button_style="primary",
            layout=ipw.Layout(width="180px"),
        )
        self.checks = ChecksPanel()
        message_limit = max_message_bytes(upload_limits().max_file_bytes)
        self.upload_refused = ipw.HTML(_upload_refused_html(message_limit))
        self.samples = SamplePicker(samples_folder if samples_folder is not None else env_path(SAMPLES_ENV))
        self.status = ipw.HTML()
        self.results = ipw.VBox()
        self.history = HistoryTable()
        self._links: list[ipw.dlink] = []
        ipw.dlink((self.threshold, "value"), (self.history, "threshold"))
        self.model_panel.observe(self._on_detector, "detector")
        self.upload.observe(self._on_upload, "value")
        self.samples.on_pick(self._on_sample)
        self.children = [style_sheet(), ipw.HTML(header_html(TITLE, SUBTITLE)), self._layout()]
        self._on_detector()

    @property
    def detector(self) -> Detector | None:
        return self.model_panel.detector

    def analyse(self, files: list[tuple[str, bytes]]) -> list[Prediction | Rejected]:
        """Analyse (name, content) pairs: show a card per image, a one-line reason per rejected file."""
        detector = self.detector
        if detector is None or not files:
            return []
        detector = detector.with_checks(alpha=self.checks.alpha, tta=self.checks.tta)
        self._busy(True)
        try:
            outcomes = [_analyse_one(detector, name, content) for name, content in files]
        finally:
            self._busy(False)
        self._show(outcomes)
        model = f"{detector.card.name} v{detector.card.version}"
        self.history.extend(HistoryEntry.of(outcome, model) for outcome, _ in outcomes)
        return [outcome for outcome, _ in outcomes]

    def reset(self) -> None:
        """Clear the results, the messages and the history."""
        self._clear_results()
        self.status.value = ""
        self.history.reset()
        self.checks.reset()

    def _layout(self) -> ipw.HBox:
        sidebar = styled(
            ipw.VBox(
                [
                    ipw.HTML(title_html("Model")),
                    self.model_panel,
                    ipw.HTML(title_html("Decision")),
                    self.threshold,
                    self.opacity,
                    ipw.HTML(
                        '<div class="fs-muted">The threshold re-labels every result without re-running the '
                        "model; P(fake) at or above it is FAKE.</div>"
                    ),
                    ipw.HTML(title_html("Checks")),
                    self.checks,
                ],
                layout=ipw.Layout(width="310px", min_width="310px"),
            ),
            "fs-sidebar",
        )
        analyse = styled(
            ipw.VBox(
                [
                    ipw.HTML(title_html("Analyse")),
                    styled(
                        ipw.HBox(
                            [self.upload, ipw.HTML('<span class="fs-muted">or</span>'), self.samples],
                            layout=ipw.Layout(align_items="center", flex_flow="row wrap"),
                        ),
                        "fs-row",
                    ),
                    ipw.HTML(
                        '<div class="fs-muted">PNG, JPEG, BMP, TIFF, WebP or GIF; up to 10 MB and at least '
                        "32 px a side; several files at once. Videos (MP4, MOV, MKV, WebM, AVI) too.</div>"
                    ),
                    self.upload_refused,
                ]
            ),
            "fs-panel",
        )
        history = styled(ipw.VBox([ipw.HTML(title_html("History")), self.history]), "fs-panel")
        main = ipw.VBox(
            [analyse, self.status, self.results, history],
            layout=ipw.Layout(flex="1 1 auto", margin="0 0 0 14px", min_width="0"),
        )
        return ipw.HBox([sidebar, main], layout=ipw.Layout(align_items="flex-start"))

    def _on_detector(self, _change: dict | None = None) -> None:
        detector = self.detector
        self._clear_results()
        self.status.value = ""
        if detector is not None:
            self.threshold.adopt(detector.threshold)
        self.checks.adopt(detector)
        self._busy(False)

    def _on_upload(self, change: dict) -> None:
        files = uploaded_files(change["new"])
        if len(files) > MAX_FILES_PER_UPLOAD:
            self.upload.value = ()
            self.status.value = message_html(too_many_files(len(files)), "error")
        elif files:
            self.upload.value = ()
            self.analyse(files)

    def _on_sample(self, path: Path) -> None:
        try:
            content = path.read_bytes()
        except OSError as err:
            self.status.value = message_html(f"{path.name}: cannot read the sample ({err.strerror})", "error")
            return
        self.analyse([(path.name, content)])

    def _show(self, outcomes: list[tuple[Prediction | Rejected, np.ndarray | None]]) -> None:
        self._clear_results()
        cards = []
        for outcome, picture in outcomes:
            if isinstance(outcome, Prediction):
                card = ResultCard(
                    outcome,
                    picture,
                    alpha=self.opacity.value,
                    faces_searched=self.detector.face_finder is not None,
                    methods=MethodPicker(self.detector, outcome.view, alpha=self.opacity.value),
                )
                self._links += [
                    ipw.dlink((self.threshold, "value"), (card, "threshold")),
                    ipw.dlink((self.opacity, "value"), (card, "alpha")),
                ]
                cards.append(card)
            elif isinstance(outcome, VideoPrediction):
                card = VideoCard(outcome)
                self._links.append(ipw.dlink((self.threshold, "value"), (card, "threshold")))
                cards.append(card)
        self.results.children = cards
        rejected = [o for o, _ in outcomes if isinstance(o, Rejected)]
        lines = [message_html(f"Rejected {r.message}", "error") for r in rejected]
        if cards:
            lines.insert(0, message_html(f"Analysed {len(cards)} of {len(outcomes)} file(s).", "note"))
        self.status.value = "".join(lines)

    def _clear_results(self) -> None:
        for link in self._links:
            link.unlink()
        self._links = []
        self.results.children = []

    def _busy(self, busy: bool) -> None:
        off = busy or self.detector is None
        self.upload.disabled = off
        self.samples.disabled = off


def _analyse_one(
    detector: Detector, name: str, content: bytes
) -> tuple[Prediction | Rejected, np.ndarray | None]:
    """(Prediction, picture) for an image, or (Rejected, None) with the one-line reason.

    The file is decoded once, as the detector decodes it, and the card's picture is drawn from those pixels.
    A video (told by its content) gets its `VideoPrediction` instead, within the video upload limit.
    """
    if is_video_upload(name, content):
        return analyse_video(detector, name, content, upload_limits().max_file_bytes), None
    try:
        decoded = detector.decode(content, name=name)
        prediction = detector.predict(decoded, name=name)
        picture = _display_copy(decoded.pixels)
    except InvalidImageError as err:
        return Rejected(name, err), None
    except Exception as err:  # never lose the batch: anything unexpected is this file's one-line reason
        reason = f"{name}: unexpected error ({type(err).__name__}: {err})"
        return Rejected(name, InvalidImageError(reason)), None
    return prediction, picture


def _display_copy(pixels: np.ndarray) -> np.ndarray:
    """`pixels` shrunk to twice the card's picture side (never enlarged), so a batch holds no full images."""
    return fit(pixels, 2 * SIDE) if max(pixels.shape[:2]) > 2 * SIDE else pixels


def _upload_refused_html(max_bytes: int) -> str:
    """Where the page's upload guard (the `fakescope` Voila template) says which files were not sent: a batch
    larger together than one websocket message of `max_bytes` would be dropped by the server."""
    return f'<div class="fs-upload-refused" data-max-bytes="{max_bytes}"></div>'
