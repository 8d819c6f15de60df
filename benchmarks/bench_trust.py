"""How often the bundled model says UNSURE, what answering costs, and what the checks cost at run time.

- non-face pictures (scikit-image's coffee, rocket, horse, coins, moon, brick, page), uniform noise, flat
  colours: share UNSURE (target >= 95%), with the reasons;
- the demo set's held-out faces (as tight crops, and placed in 256 px photos as `bench_front_end` does): share
  answered (target >= 80%) and accuracy on the answered vs on all;
- the in-graph `ood_score`: inference time of the bundled graph against the same graph without the OOD nodes
  (target <= 5% more), and end to end;
- `--tta`: the cost per image of judging the three degraded copies too.

Usage:
    python -m benchmarks.bench_trust [DATA_DIR]    (default data/demo, built by `fakescope data demo`)
"""

from __future__ import annotations

import io
import json
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from PIL import Image

from benchmarks.bench_front_end import _decoded, as_photo
from benchmarks.images import photo_like
from benchmarks.timing import measure
from fakescope.data.layout import TRAINING_LIMITS, discover
from fakescope.data.non_faces import FLAT_COLOURS, non_face_pictures
from fakescope.runtime import Detector, default_model_path
from fakescope.runtime.preprocess import model_view_to_tensor
from fakescope.runtime.spec import CARD_METADATA_KEY, INPUT_IMAGE, OUTPUT_CAM, OUTPUT_LOGIT, OUTPUT_OOD


def unsure_share(detector: Detector) -> dict:
    results = {
        name: detector.predict(pixels)
        for name, pixels in non_face_pictures(noise=5, colours=FLAT_COLOURS).items()
    }
    unsure = [name for name, r in results.items() if r.verdict == "UNSURE"]
    reasons = Counter(reason.split(" (")[0] for r in results.values() for reason in r.reasons)
    return {
        "pictures": len(results),
        "unsure": len(unsure),
        "share": len(unsure) / len(results),
        "definite": sorted(set(results) - set(unsure)),
        "reasons": dict(reasons),
    }


def answered(detector: Detector, images: list, labels: np.ndarray) -> dict:
    predictions = detector.with_limits(TRAINING_LIMITS).predict_batch(images)
    mask = np.array([p.verdict != "UNSURE" for p in predictions])
    right = np.array([(p.label == "FAKE") == bool(y) for p, y in zip(predictions, labels, strict=True)])
    reasons = Counter(reason.split(" (")[0] for p in predictions for reason in p.reasons)
    return {
        "images": len(predictions),
        "answered": float(mask.mean()),
        "accuracy_on_answered": float(right[mask].mean()) if mask.any() else None,
        "accuracy_on_all": float(right.mean()),
        "reasons": dict(reasons),
    }


def without_ood(model_bytes: bytes) -> bytes:
    """The same graph with the OOD nodes pruned away (outputs prob_fake, logit, cam)."""
    model = onnx.load_from_string(model_bytes)
    keep = [o for o in model.graph.output if o.name != OUTPUT_OOD]
    del model.graph.output[:]
    model.graph.output.extend(keep)
    needed = {o.name for o in keep}
    nodes = []
    for node in reversed(model.graph.node):  # keep only the nodes some kept output depends on
        if any(out in needed for out in node.output):
            nodes.append(node)
            needed.update(node.input)
    del model.graph.node[:]
    model.graph.node.extend(reversed(nodes))
    used = {name for node in model.graph.node for name in node.input}
    kept_init = [t for t in model.graph.initializer if t.name in used]
    del model.graph.initializer[:]
    model.graph.initializer.extend(kept_init)
    for prop in list(model.metadata_props):
        if prop.key == CARD_METADATA_KEY:
            model.metadata_props.remove(prop)
    return model.SerializeToString()


def ood_cost(detector: Detector) -> dict:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    with_ood = ort.InferenceSession(detector.model_path.read_bytes(), options)
    plain = ort.InferenceSession(without_ood(detector.model_path.read_bytes()), options)
    view = detector.prepare(photo_like(1, 256)).views[0]
    batch = {INPUT_IMAGE: model_view_to_tensor(view[None], detector.spec)}
    a = measure(lambda: with_ood.run([OUTPUT_LOGIT, OUTPUT_OOD, OUTPUT_CAM], batch), runs=400)
    b = measure(lambda: plain.run([OUTPUT_LOGIT, OUTPUT_CAM], batch), runs=400)
    jpeg = io.BytesIO()
    Image.fromarray(photo_like(2, 256)).save(jpeg, format="JPEG", quality=90)
    data = jpeg.getvalue()
    end = measure(lambda: detector.predict(data), runs=200)
    return {
        "graph_with_ood_ms": a.median_ms,
        "graph_without_ood_ms": b.median_ms,
        "graph_increase": a.median_ms / b.median_ms - 1.0,
        "end_to_end_ms": end.median_ms,
        "end_to_end_increase": (a.median_ms - b.median_ms) / end.median_ms,
    }


def tta_cost(detector: Detector) -> dict:
    jpeg = io.BytesIO()
    Image.fromarray(photo_like(3, 256)).save(jpeg, format="JPEG", quality=90)
    data = jpeg.getvalue()
    plain = measure(lambda: detector.predict(data), runs=200)
    tta = measure(lambda: detector.with_checks(tta=True).predict(data), runs=100)
    return {"plain_ms": plain.median_ms, "tta_ms": tta.median_ms, "extra_ms": tta.median_ms - plain.median_ms}


def run(data_dir: Path) -> dict:
    detector = Detector(default_model_path(), threads=1)
    records = [r for r in discover(data_dir) if r.split == "test"]
    labels = np.array([r.label for r in records])
    crops = [np.asarray(Image.open(r.path).convert("RGB")) for r in records]
    photos = [
        _decoded(as_photo(c, i), r.path.name) for i, (c, r) in enumerate(zip(crops, records, strict=True))
    ]
    return {
        "non-face pictures": unsure_share(detector),
        "held-out crops": answered(detector, [r.path for r in records], labels),
        "held-out faces in 256 px photos": answered(detector, photos, labels),
        "ood_score cost (1 thread)": ood_cost(detector),
        "tta cost (1 thread)": tta_cost(detector),
    }


if __name__ == "__main__":
    print(json.dumps(run(Path(sys.argv[1] if len(sys.argv) > 1 else "data/demo")), indent=2))
