"""Worst-case decoding cost per format: time and peak RSS of `load_image` on the costliest file each format
can pack under the default limits (10 MiB, 40 megapixels), each decoded in a fresh process.

The files are generated once into a cache folder (smooth pictures so they compress under 10 MiB): 7800x5000
(39 megapixels) unless the name says otherwise, in the mode that costs the most memory per pixel for that
format. "time" is wall-clock (the process's CPU time in brackets: steadier on a busy machine); "estimated
cost" is `decode_cost`, which the budget (`ImageLimits.max_decode_bytes`) is checked against.

Usage:
    python -m benchmarks.decode_cost [--cache DIR] [--only png-i16,webp-rgba]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
WIDTH, HEIGHT = 7800, 5000
WEBP_SIZE = (4000, 2800)
"""The largest WebP RGBA within the default budget is about 11 megapixels (libwebp holds three canvases)."""

DECODE = """
import json, os, sys, time
from benchmarks.peak import peak_rss_mb
from fakescope.runtime.errors import InvalidImageError
from fakescope.runtime.images import load_image
from PIL import Image
try:
    from fakescope.runtime.budget import decode_cost
    from fakescope.runtime.images import DEFAULT_LIMITS, _fit_size
except ImportError:  # a fakescope from before the budget (for "before" figures)
    decode_cost = None
estimate = float("nan")
if decode_cost is not None:
    with Image.open(sys.argv[1]) as probe:
        declared = probe.size
        if probe.format == "JPEG":
            probe.draft("RGB" if probe.mode in ("RGB", "YCbCr") else None, probe.size)
        size = _fit_size(probe.size, DEFAULT_LIMITS.max_side)
        estimate = decode_cost(probe, size, declared, os.path.getsize(sys.argv[1])).total
base = peak_rss_mb()
started, cpu = time.perf_counter(), time.process_time()
try:
    image = load_image(sys.argv[1])
    outcome = "%dx%d" % image.pixels.shape[1::-1]
except InvalidImageError as err:
    outcome = "refused: " + str(err)[:90]
seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
print(json.dumps({"seconds": seconds, "cpu_seconds": cpu, "peak_rss_mb": peak_rss_mb(), "base_rss_mb": base,
                  "estimate_mb": estimate / 1e6, "outcome": outcome}))
"""


def _gradient(channels: int, dtype=np.uint8, size: tuple[int, int] = (WIDTH, HEIGHT)) -> np.ndarray:
    top = np.iinfo(dtype).max if np.issubdtype(dtype, np.integer) else 1.0
    x = np.linspace(0, 1, size[0], dtype=np.float32)[None, :]
    y = np.linspace(0, 1, size[1], dtype=np.float32)[:, None]
    planes = [(x * (0.5 + 0.5 * c / max(1, channels)) + y * 0.3) % 1.0 for c in range(channels)]
    stacked = np.stack(planes, axis=2) if channels > 1 else planes[0]
    return (stacked * top).astype(dtype)


def _rows(dtype, top: float = 1.0) -> np.ndarray:
    """Identical rows of eight steps up to `top`: compresses well even where a format has no predictor."""
    ramp = np.floor(np.linspace(0, 8, WIDTH, endpoint=False)) / 8 * top
    return np.broadcast_to(ramp.astype(dtype), (HEIGHT, WIDTH)).copy()


def _save(path: Path, image: Image.Image, fmt: str, **options) -> None:
    image.save(path, fmt, **options)


CASES: dict[str, tuple[str, Callable[[Path], None]]] = {
    "png-i16": ("PNG 16-bit greyscale", lambda p: _save(p, Image.fromarray(_gradient(1, np.uint16)), "PNG")),
    "png-rgba": ("PNG RGBA", lambda p: _save(p, Image.fromarray(_gradient(4), "RGBA"), "PNG")),
    "png-1bit": ("PNG 1-bit", lambda p: _save(p, Image.fromarray(_gradient(1) > 127), "PNG")),
    "png-la-interlaced": (
        "PNG LA, interlaced",
        lambda p: _save(p, Image.fromarray(_gradient(4), "RGBA").convert("LA"), "PNG", interlace=1),
    ),
    "gif-transparent": (
        "GIF palette with transparency",
        lambda p: _save(p, Image.fromarray(_gradient(1)).convert("P"), "GIF", transparency=0),
    ),
    "jpeg-rgb": ("JPEG RGB", lambda p: _save(p, Image.fromarray(_gradient(3)), "JPEG", quality=50)),
    "jpeg-cmyk": (
        "JPEG CMYK",
        lambda p: _save(p, Image.fromarray(_gradient(4), "RGBA").convert("CMYK"), "JPEG", quality=50),
    ),
    "jpeg-progressive": (
        "JPEG progressive",
        lambda p: _save(
            p, Image.fromarray(_gradient(3)), "JPEG", quality=50, progressive=True, subsampling=0
        ),
    ),
    "jpeg-progressive-25mp": (
        "JPEG progressive 4:2:0 6000x4000",
        lambda p: _save(
            p, Image.fromarray(_gradient(3, size=(6000, 4000))), "JPEG", progressive=True, subsampling=2
        ),
    ),
    "webp-rgba-small": (
        "WebP RGBA 4000x2800",
        lambda p: _save(
            p, Image.fromarray(_gradient(4, size=WEBP_SIZE), "RGBA"), "WEBP", quality=10, method=0
        ),
    ),
    "webp-rgba": (
        "WebP RGBA",
        lambda p: _save(p, Image.fromarray(_gradient(4), "RGBA"), "WEBP", quality=10, method=0),
    ),
    "tiff-float": (
        "TIFF 32-bit float",
        lambda p: _save(p, Image.fromarray(_rows(np.float32)), "TIFF", compression="tiff_adobe_deflate"),
    ),
    "tiff-rgba": (
        "TIFF RGBA",
        lambda p: _save(p, Image.fromarray(_gradient(4), "RGBA"), "TIFF", compression="tiff_adobe_deflate"),
    ),
    "tiff-int32": (
        "TIFF 32-bit integer",
        lambda p: _save(p, Image.fromarray(_rows(np.int32, 70000)), "TIFF", compression="tiff_adobe_deflate"),
    ),
    "gif": ("GIF palette", lambda p: _save(p, Image.fromarray(_gradient(1)).convert("P"), "GIF")),
    "bmp-1bit": ("BMP 1-bit", lambda p: _save(p, Image.fromarray(_gradient(1) > 127), "BMP")),
}


def make_files(cache: Path, only: list[str]) -> dict[str, Path]:
    cache.mkdir(parents=True, exist_ok=True)
    paths = {}
    for key in only:
        ext = key.split("-")[0]
        path = cache / f"{key}.{'jpg' if ext == 'jpeg' else ext}"
        if not path.exists():
            CASES[key][1](path)
        paths[key] = path
    return paths


def measure(path: Path) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", DECODE, str(path)], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "fakescope-decode-cost")
    parser.add_argument("--only", default=",".join(CASES), help="comma-separated cases")
    args = parser.parse_args()
    only = [key for key in args.only.split(",") if key]
    started = time.perf_counter()
    paths = make_files(args.cache, only)
    print(f"files ready in {time.perf_counter() - started:.1f} s ({args.cache})", file=sys.stderr)
    print("| file | size | time (CPU) | peak RSS (after imports) | estimated cost | outcome |")
    print("| --- | --- | --- | --- | --- | --- |")
    for key, path in paths.items():
        row = measure(path)
        print(
            f"| {CASES[key][0]} | {path.stat().st_size / 2**20:.1f} MiB | "
            f"{row['seconds']:.2f} s ({row['cpu_seconds']:.2f} s) | "
            f"{row['peak_rss_mb']:.0f} MB ({row['base_rss_mb']:.0f}) | {row['estimate_mb']:.0f} MB | "
            f"{row['outcome']} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
