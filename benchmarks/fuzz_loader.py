"""Coverage-guided fuzzing of the image loader with atheris, within a time budget.

Anything other than a decoded RGB uint8 image or an `InvalidImageError` is a finding: atheris stops and prints
the input. Seeds are one small valid file per format, so the fuzzer starts inside every decoder.

Usage:
    python benchmarks/fuzz_loader.py --seconds 120
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

warnings.filterwarnings("ignore", category=UserWarning, module="PIL")


def _seed_corpus(folder: Path) -> None:
    from PIL import Image

    pixels = np.random.default_rng(0).integers(0, 256, (40, 40, 3), dtype=np.uint8)
    for fmt in ("PNG", "JPEG", "BMP", "TIFF", "WEBP", "GIF"):
        buffer = io.BytesIO()
        Image.fromarray(pixels).save(buffer, fmt)
        (folder / f"seed.{fmt.lower()}").write_bytes(buffer.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60)
    args, rest = parser.parse_known_args()

    import atheris

    with atheris.instrument_imports():
        from fakescope.runtime import InvalidImageError, load_image

    def one_input(data: bytes) -> None:
        try:
            decoded = load_image(data)
        except InvalidImageError:
            return
        pixels = decoded.pixels
        if pixels.dtype != np.uint8 or pixels.ndim != 3 or pixels.shape[2] != 3:
            raise AssertionError(f"bad output {pixels.dtype} {pixels.shape}")

    corpus = Path(tempfile.mkdtemp(prefix="fakescope-fuzz-"))
    _seed_corpus(corpus)
    started = time.time()
    sys.argv = [sys.argv[0], f"-max_total_time={args.seconds}", "-rss_limit_mb=2048", *rest, str(corpus)]
    atheris.Setup(sys.argv, one_input)
    try:
        atheris.Fuzz()
    finally:
        print(f"fuzzed for {time.time() - started:.0f} s; corpus at {corpus}", file=sys.stderr)


if __name__ == "__main__":
    main()
