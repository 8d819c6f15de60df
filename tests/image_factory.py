"""Generated test images (every picture the tests use is made here, none is committed), and the CLI."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image
from support.layout import class_folders


def random_rgb(height: int, width: int, seed: int = 0) -> np.ndarray:
    """Smooth random colour image (JPEG-friendly), uint8 (H, W, 3)."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (max(2, height // 8), max(2, width // 8), 3), dtype=np.uint8)
    return np.asarray(Image.fromarray(small).resize((width, height), Image.Resampling.BILINEAR))


def encode(pixels_or_image, fmt: str, **params) -> bytes:
    """Encode an array or PIL image in `fmt` with Pillow."""
    image = pixels_or_image if isinstance(pixels_or_image, Image.Image) else Image.fromarray(pixels_or_image)
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def fakescope_command() -> list[str]:
    """The `fakescope` console script next to this interpreter (else `python -m fakescope`)."""
    script = Path(sys.executable).with_name("fakescope")
    return [str(script)] if script.exists() else [sys.executable, "-m", "fakescope"]


def run_fakescope(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """`fakescope ARGS` in a child process, its stdout and stderr captured as text."""
    return subprocess.run([*fakescope_command(), *args], capture_output=True, text=True, timeout=timeout)


def write_demo_layout(root, side: int = 25, per_class: int = 3):
    """The demo dataset's layout: train/valid/test, real/fake, greyscale `side` px PNG crops."""
    rng = np.random.default_rng(0)
    for folder, _ in class_folders(root):
        for i in range(per_class):
            pixels = rng.integers(0, 256, (side, side), dtype=np.uint8)
            Image.fromarray(pixels, "L").save(folder / f"{i:04d}.png")
    return root
