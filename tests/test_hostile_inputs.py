"""The hostile-input corpus through the API, `fakescope predict` and `fakescope scan`: the expected outcome,
no traceback, bounded memory and time."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from bad_inputs import ACCEPT, write_corpus
from image_factory import run_fakescope

from fakescope.runtime import Detector, InvalidImageError, Prediction, Rejected
from fakescope.runtime import errors as error_types

CASES = write_corpus.__globals__["CASES"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple[Path, list]:
    folder = tmp_path_factory.mktemp("bad_inputs")
    return folder, write_corpus(folder)


def test_corpus_is_large_enough_and_covers_both_outcomes(corpus):
    _, cases = corpus
    assert len(cases) >= 30
    assert {c.expect for c in cases} >= {
        ACCEPT,
        "UnsupportedFormatError",
        "CorruptImageError",
        "ImageTooLargeError",
        "ImageTooSmallError",
    }


@pytest.mark.parametrize("case", [c for c, _ in CASES], ids=[c.name for c, _ in CASES])
def test_api_gives_each_file_its_expected_outcome(tiny_model_path, corpus, case):
    folder, _ = corpus
    detector = Detector(tiny_model_path)
    started = time.perf_counter()
    if case.expect == ACCEPT:
        result = detector.predict(folder / case.name)
        assert (result.info.width, result.info.height) == tuple(case.size)
        assert 0.0 <= result.prob_fake <= 1.0
    else:
        with pytest.raises(getattr(error_types, case.expect)) as caught:
            detector.predict(folder / case.name)
        message = str(caught.value)
        assert case.name in message and "\n" not in message
    assert time.perf_counter() - started < 2.0


def test_bombs_are_refused_without_allocating_their_pixels(corpus):
    folder, _ = corpus
    code = f"""
import resource, sys
from fakescope.runtime import load_image, ImageTooLargeError
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
for name in ("bomb.png", "huge_screen.gif"):
    try:
        load_image({str(folder)!r} + "/" + name)
    except ImageTooLargeError:
        pass
    else:
        sys.exit("accepted " + name)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert int(out.stdout.strip()) < 50_000  # kB: the 2.7 GB canvas was never allocated


def test_predict_cli_reports_every_file_without_a_traceback(tiny_model_path, corpus):
    folder, cases = corpus
    paths = [str(folder / c.name) for c in cases]
    out = run_fakescope("predict", *paths, "--model", str(tiny_model_path), "--format", "json")
    assert out.returncode == 2 and "Traceback" not in out.stderr
    rows = {Path(r["path"]).name: r for r in json.loads(out.stdout)}
    for case in cases:
        assert bool(rows[case.name]["error"]) == (case.expect != ACCEPT), case.name


def test_scan_records_every_file_once(tiny_model_path, corpus, tmp_path):
    folder, cases = corpus
    report = tmp_path / "report.csv"
    out = run_fakescope("scan", str(folder), "--model", str(tiny_model_path), "--out", str(report))
    assert out.returncode == 0 and "Traceback" not in out.stderr
    rows = {Path(r["path"]).name: r for r in csv.DictReader(report.open())}
    image_cases = [c for c in cases if not c.name.endswith((".svg", ".pdf", ".ico"))]
    assert set(rows) == {c.name for c in image_cases}
    for case in image_cases:
        assert bool(rows[case.name]["error"]) == (case.expect != ACCEPT), case.name


def test_batch_api_returns_rejections_in_place(tiny_model_path, corpus):
    folder, cases = corpus
    results = Detector(tiny_model_path).predict_batch(
        [folder / c.name for c in cases], batch_size=8, on_error="return"
    )
    for case, result in zip(cases, results, strict=True):
        expected = Prediction if case.expect == ACCEPT else Rejected
        assert isinstance(result, expected), case.name
        if isinstance(result, Rejected):
            assert isinstance(result.error, InvalidImageError)
            assert type(result.error).__name__ == case.expect


def test_dashboard_shows_each_outcome_and_stays_usable(tiny_model_path, corpus):
    """Every corpus file uploaded to the DetectorDashboard: a result card or its one-line reason."""
    import html
    from datetime import UTC, datetime

    pytest.importorskip("ipywidgets")
    from fakescope.widgets import DetectorDashboard

    folder, cases = corpus
    dashboard = DetectorDashboard(tiny_model_path, samples_folder=folder / "no-samples")
    when = datetime(2024, 1, 1, tzinfo=UTC)
    for case in cases:
        content = (folder / case.name).read_bytes()
        started = time.perf_counter()
        dashboard.upload.value = (
            {
                "name": case.name,
                "type": "",
                "size": len(content),
                "content": memoryview(content),
                "last_modified": when,
            },
        )
        assert time.perf_counter() - started < 2.0, case.name
        shown = dashboard.status.value
        if case.expect == ACCEPT:
            assert len(dashboard.results.children) == 1, case.name
            assert "fs-error" not in shown, case.name
        else:
            assert shown.count('class="fs-error"') == 1, case.name
            assert html.escape(case.name) in shown
    assert len(dashboard.history.entries) == len(cases)
