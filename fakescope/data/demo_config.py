"""`DemoConfig` (the options of `fakescope data demo`) and `DemoReport` (what the build wrote and measured).

Example:
    >>> DemoConfig(n_fake=50).fractions
    (0.7, 0.15, 0.15)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

from fakescope.data.shortcut import ShortcutReport
from fakescope.data.stylegan import MEAN_STYLE_SEEDS


@dataclass(frozen=True)
class DemoConfig:
    """Options of `build_demo`.

    Args:
        n_fake: generated faces to keep (the real class has 101: every LFW crop scikit-image ships, and the
            astronaut). Defaults to 500.
        first_seed: first latent seed; seeds that yield no usable crop are skipped. Defaults to 0.
        truncation: MobileStyleGAN truncation psi; 0.5 is what the `random_face` package itself uses.
            Defaults to 0.5.
        split_seed: seed of the stratified split. Defaults to 1337.
        fractions: train/valid/test fractions per class. Defaults to (0.7, 0.15, 0.15).
    """

    n_fake: int = 500
    first_seed: int = 0
    truncation: float = 0.5
    split_seed: int = 1337
    fractions: tuple[float, float, float] = (0.7, 0.15, 0.15)

    def __post_init__(self) -> None:
        if self.n_fake < 5:
            raise ValueError(f"`n_fake` must be >= 5. Received: n_fake={self.n_fake}")
        if not 0 <= self.first_seed < MEAN_STYLE_SEEDS.start:
            raise ValueError(
                f"`first_seed` must be in 0..{MEAN_STYLE_SEEDS.start - 1}. Received: {self.first_seed}"
            )
        if abs(sum(self.fractions) - 1.0) > 1e-6 or min(self.fractions) <= 0:
            raise ValueError(f"`fractions` must be > 0 and sum to 1. Received: fractions={self.fractions}")


@dataclass(frozen=True)
class DemoReport:
    """What `build_demo` wrote and measured."""

    out_dir: Path
    counts: dict[str, dict[str, int]]
    skipped_seeds: tuple[int, ...]
    framing: dict[str, float]
    intensity_map: dict[str, float]
    shortcut: ShortcutReport
    manifest_sha256: str
    seconds: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict:
        data = asdict(self)
        data["out_dir"] = str(self.out_dir)
        data["shortcut"] = self.shortcut.as_dict()
        return data
