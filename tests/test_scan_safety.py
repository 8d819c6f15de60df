"""A scan never damages a file that is not its report, never shares a report with another scan, never skips a
folder in silence, and never writes a CSV cell that a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import tracemalloc
from pathlib import Path

import pytest
from image_factory import encode, fakescope_command, random_rgb, run_fakescope

from fakescope.runtime import Detector
from fakescope.runtime.cells import FORMULA_START
from fakescope.runtime.errors import ReportError
from fakescope.runtime.report_file import REPORT_COLUMNS, ReportFile, read_reported_paths
from fakescope.runtime.scan import scan_folder

FAKESCOPE = fakescope_command()
HEADER = ",".join(REPORT_COLUMNS) + "\r\n"
LINES = 200_000


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "photos"
    root.mkdir()
    for i in range(6):
        (root / f"{i}.png").write_bytes(encode(random_rgb(40, 40, seed=i), "PNG"))
    return root


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("notes.csv", b"notes"),  # no newline at all
        ("notes.csv", b'title,"unclosed\nsecond line\nthird line\n'),  # odd number of quotes on line 1
        ("notes.csv", b'"a\n' + b"x,y\n" * 1000),
        ("notes.csv", HEADER.encode() + b"/a.png,REAL\r\n"),  # our header, then a record that is not a row
        ("notes.csv", HEADER.encode() + b'"/a.png\n' + b"more\n" * LINES),  # an unbalanced quote, 200k lines
        ("notes.jsonl", b"notes"),
        ("notes.jsonl", b'{"path": "/a.png", "label": "REAL"}\n'),  # not the report's keys
    ],
)
def test_resuming_into_a_file_that_is_not_a_report_leaves_it_byte_for_byte(
    tiny_model_path, folder, tmp_path, name, content
):
    report = tmp_path / name
    report.write_bytes(content)
    with pytest.raises(ReportError, match="is not a fakescope scan report"):
        scan_folder(Detector(tiny_model_path), folder, report, resume=True)
    assert report.read_bytes() == content


def test_the_cli_refuses_a_foreign_file_in_one_line_and_leaves_it(tiny_model_path, folder, tmp_path):
    report = tmp_path / "notes.csv"
    report.write_bytes(b"notes")
    out = run_fakescope(
        "scan", str(folder), "--model", str(tiny_model_path), "--out", str(report), "--resume"
    )
    assert out.returncode == 1 and report.read_bytes() == b"notes"
    (line,) = [line for line in out.stderr.splitlines() if line.startswith("Error")]
    assert "is not a fakescope scan report" in line and "Traceback" not in out.stderr


def test_a_200k_row_report_resumes_with_only_its_torn_row_cut(tmp_path):
    report = tmp_path / "big.csv"
    cells = {"verdict": "REAL", "label": "REAL", "prob_fake": "0.1", "threshold": "0.5", "format": "PNG"}
    tail = ",".join(cells.get(column, "") for column in REPORT_COLUMNS[1:])
    rows = "".join(f"/data/{i:06d}.png,{tail}\r\n" for i in range(LINES))
    torn = '"/data/odd\nname.png",FA'  # killed inside a row whose quoted name holds a newline
    report.write_bytes((HEADER + rows + torn).encode())
    paths = read_reported_paths(report)
    assert len(paths) == LINES and "/data/199999.png" in paths
    assert report.read_bytes() == (HEADER + rows).encode()


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_resuming_a_large_report_reads_it_in_chunks_not_whole(tmp_path, suffix):
    """30 MB of rows (long error cells) are checked and resumed in a few MB: only their paths are kept."""
    report = tmp_path / f"big{suffix}"
    rows = [
        dict(dict.fromkeys(REPORT_COLUMNS, ""), path=f"/data/{i:04d}.png", error="x" * 60_000)
        for i in range(500)
    ]
    torn = '{"path": "/data/torn.png", "ver' if suffix == ".jsonl" else '"/data/torn.png",FA'
    with ReportFile(report, resume=False) as writer:
        writer.write(rows)
    whole = report.read_bytes()
    with report.open("ab") as handle:
        handle.write(torn.encode())
    tracemalloc.start()
    try:
        paths = read_reported_paths(report)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert paths == {row["path"] for row in rows}
    assert report.read_bytes() == whole
    assert len(whole) > 30e6 and peak < 8e6, f"resuming a {len(whole)}-byte report took {peak} bytes"


def test_a_second_scan_of_the_same_report_is_refused_while_the_first_runs(tiny_model_path, folder, tmp_path):
    report = tmp_path / "r.csv"
    first = subprocess.Popen(
        [sys.executable, "-c", _PAUSED_SCAN, str(tiny_model_path), str(folder), str(report)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert first.stdout.readline().strip() == "first batch written"
        for resume in ([], ["--resume"]):
            second = run_fakescope(
                "scan", str(folder), "--model", str(tiny_model_path), "--out", str(report), *resume
            )
            assert second.returncode == 1, second.stderr
            busy = "is being written by another scan: wait for it to end or choose another report"
            assert second.stderr.strip() == f"Error: {report} {busy}"
        first.communicate("go on\n", timeout=120)
    finally:
        first.kill()
    assert first.returncode == 0
    rows = list(csv.DictReader(report.open(newline="")))
    assert sorted(r["path"] for r in rows) == sorted(str(p) for p in folder.iterdir())


_PAUSED_SCAN = """
import sys
from fakescope.runtime import Detector
from fakescope.runtime.scan import scan_folder

paused = []
def pause(count):
    if not paused:
        paused.append(count)
        print("first batch written", flush=True)
        sys.stdin.readline()

scan_folder(Detector(sys.argv[1]), sys.argv[2], sys.argv[3], batch_size=2, progress=pause)
"""


@pytest.mark.parametrize("engine", ["thread", "dask"])
def test_a_folder_that_cannot_be_listed_gets_an_error_row_and_exit_2(tiny_model_path, engine):
    """Root reads a mode-000 folder, so as root the scan runs without the capabilities that override file
    permissions (util-linux `setpriv`), still as root so it reads a checkout only root may enter."""
    unprivileged = []
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("running as root, where mode 000 does not stop a listing, and setpriv is missing")
        unprivileged = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search"]
    base = Path(tempfile.mkdtemp(prefix="fakescope-unreadable-"))
    photos = base / "photos"
    try:
        base.chmod(0o777)
        (photos / "locked").mkdir(parents=True)
        (photos / "a.png").write_bytes(encode(random_rgb(40, 40), "PNG"))
        (photos / "locked" / "b.png").write_bytes(encode(random_rgb(40, 40), "PNG"))
        model = Path(shutil.copy(tiny_model_path, base / "tiny.onnx"))
        for path in (photos, model):
            path.chmod(0o755)
        (photos / "locked").chmod(0)
        report = base / ("r.csv" if engine == "thread" else "report")
        env = {**os.environ, "HOME": str(base), "PYTHONPATH": str(Path(__file__).parents[1])}
        command = [*FAKESCOPE, "scan", str(photos), "-r", "--model", str(model), "--out", str(report)]
        if engine == "dask":  # the client lists: its workers run as threads of the same unprivileged process
            command = [sys.executable, "-c", _DASK_SCAN, str(model), str(photos), str(report)]
        out = subprocess.run(
            [*unprivileged, *command], capture_output=True, text=True, timeout=180, env=env, cwd=base
        )
        assert out.returncode == 2, out.stderr
        if engine == "dask":
            from fakescope.cluster import write_csv

            write_csv(report, base / "r.csv")
        rows = {r["path"]: r for r in csv.DictReader((base / "r.csv").open(newline=""))}
        assert set(rows) == {str(photos / "a.png"), str(photos / "locked")}
        assert rows[str(photos / "locked")]["error"] == "locked: cannot list the folder (Permission denied)"
        assert "1 folder(s) could not be listed" in out.stderr or engine == "dask"
    finally:
        (photos / "locked").chmod(0o755)
        shutil.rmtree(base)


_DASK_SCAN = """
import sys
from fakescope.cluster import scan_dask

summary = scan_dask(sys.argv[1], sys.argv[2], sys.argv[3], recursive=True, workers=1, processes=False)
sys.exit(2 if summary.unreadable_folders == 1 else 1)
"""


def test_report_cells_that_would_be_formulas_are_defused(tiny_model_path, tmp_path):
    folder = tmp_path / "hostile"
    folder.mkdir()
    names = ["=HYPERLINK(1).png", "+1.png", "-x.png", "@SUM(A1).png"]
    for name in names:
        (folder / name).write_bytes(b"not an image")
    (folder / "=ok.png").write_bytes(encode(random_rgb(40, 40), "PNG"))
    detector = Detector(tiny_model_path)
    scan_folder(detector, folder, tmp_path / "r.csv")
    scan_folder(detector, folder, tmp_path / "r.jsonl")
    raw = {row["path"]: row for row in map(json.loads, (tmp_path / "r.jsonl").read_text().splitlines())}
    cells = list(csv.reader((tmp_path / "r.csv").open(newline="")))
    assert len(cells) == len(names) + 2
    assert not [cell for row in cells for cell in row if cell.startswith(FORMULA_START)]
    defused = {row[0]: row[-1] for row in cells[1:]}
    for name in names:
        error = raw[str(folder / name)]["error"]
        assert error.startswith(name) and defused[str(folder / name)] == "'" + error
    assert scan_folder(detector, folder, tmp_path / "r.csv", resume=True).resumed == len(names) + 1


def test_predict_csv_defuses_formula_names(tiny_model_path, tmp_path):
    (tmp_path / "=cmd.png").write_bytes(encode(random_rgb(40, 40), "PNG"))
    out = subprocess.run(
        [*FAKESCOPE, "predict", "=cmd.png", "--model", str(tiny_model_path), "--format", "csv"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    (row,) = list(csv.DictReader(out.stdout.splitlines()))
    assert row["path"] == "'=cmd.png"
