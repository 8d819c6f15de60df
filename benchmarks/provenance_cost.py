"""What provenance adds per image: `read_provenance` on an opened, decoded file (the part `load_image` adds),
and the offline C2PA check of the `provenance` extra, each the median of many runs.

Files (generated here, 1024x768): a camera JPEG with EXIF Make/Model, a JPEG with an XMP DigitalSourceType,
an AUTOMATIC1111 PNG, a plain JPEG, and, with c2pa-python installed, the camera JPEG signed with a test
certificate (C2PA valid) and unsigned (the checker skips files with no C2PA segment).

Usage:
    python -m benchmarks.provenance_cost [--repeats 300]
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from provenance_factory import GENERATOR_CHUNKS, exif, xmp_packet  # noqa: E402

from fakescope.runtime.metadata import read_provenance  # noqa: E402


def _picture() -> Image.Image:
    rng = np.random.default_rng(0)
    small = rng.integers(0, 256, (96, 128, 3), dtype=np.uint8)
    return Image.fromarray(small).resize((1024, 768), Image.Resampling.BILINEAR)


def _encode(fmt: str, **params) -> bytes:
    buffer = io.BytesIO()
    _picture().save(buffer, fmt, **params)
    return buffer.getvalue()


def files() -> dict[str, bytes]:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    for key, value in GENERATOR_CHUNKS["AUTOMATIC1111"][0].items():
        info.add_text(key, value)
    return {
        "camera JPEG (EXIF Make/Model)": _encode("JPEG", exif=exif(make="Canon", model="EOS R5").tobytes()),
        "JPEG with XMP DigitalSourceType": _encode(
            "JPEG", xmp=xmp_packet("trainedAlgorithmicMedia", "Firefly")
        ),
        "AUTOMATIC1111 PNG": _encode("PNG", pnginfo=info),
        "plain JPEG": _encode("JPEG"),
    }


def median_ms(call, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000.0)
    return statistics.median(times)


def read_cost(data: bytes, repeats: int, c2pa=None) -> float:
    image = Image.open(io.BytesIO(data))
    image.load()
    return median_ms(lambda: read_provenance(image, data, c2pa), repeats)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=300)
    args = parser.parse_args()
    print(f"{'file':44s} {'provenance ms':>14s}")
    for name, data in files().items():
        print(f"{name:44s} {read_cost(data, args.repeats):14.3f}")
    try:
        from c2pa_factory import make_credentials, sign

        from fakescope.provenance import C2paChecker
    except ImportError:
        print("C2PA: c2pa-python is not installed (pip install 'fakescope[provenance]')")
        return
    credentials = make_credentials()
    checker = C2paChecker(trust_anchors=credentials.ca_pem)
    camera = files()["camera JPEG (EXIF Make/Model)"]
    signed = sign(camera, credentials)
    repeats = max(20, args.repeats // 5)
    print(f"{'C2PA-signed JPEG, checked (valid)':44s} {read_cost(signed, repeats, checker):14.3f}")
    print(f"{'unsigned JPEG, checker installed':44s} {read_cost(camera, args.repeats, checker):14.3f}")


if __name__ == "__main__":
    main()
