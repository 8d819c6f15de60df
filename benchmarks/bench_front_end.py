"""What the face front-end buys: the bundled model's ROC AUC on the demo set's held-out split, as tight crops
and as "photos" (each held-out face enlarged and placed at a random spot of a 256x256 textured picture), with
the face front-end and with a plain centre crop.

Both classes are placed the same way (same enlargement, same backgrounds, same positions per index), so the
difference between the two columns is the front-end's doing, not a shortcut.

Usage:
    python -m benchmarks.bench_front_end [DATA_DIR]    (default data/demo, built by `fakescope data demo`)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
from PIL import Image
from sklearn.metrics import roc_auc_score

from benchmarks.images import photo_like
from fakescope.data.layout import discover
from fakescope.runtime import DecodedImage, Detector, ImageInfo

CANVAS = 256
FACE_SIDE = 100


def as_photo(crop: np.ndarray, index: int) -> np.ndarray:
    """The crop enlarged to FACE_SIDE and pasted at a random (seeded by index) spot of a textured canvas."""
    rng = np.random.default_rng(index)
    canvas = photo_like(10_000 + index, CANVAS)
    face = np.asarray(Image.fromarray(crop).resize((FACE_SIDE, FACE_SIDE), Image.Resampling.BICUBIC))
    x, y = rng.integers(0, CANVAS - FACE_SIDE, 2)
    canvas[y : y + FACE_SIDE, x : x + FACE_SIDE] = face
    return canvas


def _decoded(pixels: np.ndarray, name: str) -> DecodedImage:
    height, width = pixels.shape[:2]
    return DecodedImage(pixels, ImageInfo(width, height, "PNG", "RGB", None, name))


def run(data_dir: Path) -> dict:
    records = [r for r in discover(data_dir) if r.split == "test"]
    labels = np.array([r.label for r in records])
    crops = [np.asarray(Image.open(r.path).convert("RGB")) for r in records]
    inputs = {
        "held-out crops": [_decoded(c, r.path.name) for c, r in zip(crops, records, strict=True)],
        "held-out faces in 256 px photos": [
            _decoded(as_photo(c, i), r.path.name) for i, (c, r) in enumerate(zip(crops, records, strict=True))
        ],
    }
    result = {"images": len(records), "real": int((labels == 0).sum()), "fake": int((labels == 1).sum())}
    for face_crop in (True, False):
        detector = Detector(face_crop=face_crop)
        column = "face front-end" if face_crop else "centre crop"
        for name, images in inputs.items():
            predictions = detector.predict_batch(images)
            probs = [p.prob_fake for p in predictions]
            found = sum(1 for p in predictions if p.face is not None)
            result[f"{name} / {column}"] = {
                "roc_auc": float(roc_auc_score(labels, probs)),
                "faces_found": found,
            }
    return result


if __name__ == "__main__":
    print(json.dumps(run(Path(sys.argv[1] if len(sys.argv) > 1 else "data/demo")), indent=2))
