"""The tf.data pipeline: serving-identical tensors, skipped files, labels, seeded switchable augmentation."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from image_factory import random_rgb
from PIL import Image

from fakescope.data.layout import ImageRecord, discover
from fakescope.data.toy import write_toy_dataset
from fakescope.runtime import DEFAULT_LIMITS, InputSpec, preprocess
from fakescope.train.augment import Augment
from fakescope.train.datasets import TRAINING_LIMITS, DecodeReport, class_weights, make_dataset


def _records_of_every_kind(folder: Path) -> list[ImageRecord]:
    """PNG, RGBA PNG, a large JPEG (DCT draft decoding), an EXIF-rotated JPEG, a non-square WebP."""
    folder.mkdir(parents=True, exist_ok=True)
    Image.fromarray(random_rgb(50, 70, seed=1)).save(folder / "a.png")
    rgba = np.dstack([random_rgb(64, 64, seed=2), np.full((64, 64), 128, np.uint8)])
    Image.fromarray(rgba, "RGBA").save(folder / "b.png")
    Image.fromarray(random_rgb(900, 700, seed=3)).save(folder / "c.jpg", quality=90)
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(random_rgb(80, 120, seed=4)).save(folder / "d.jpg", exif=exif)
    Image.fromarray(random_rgb(40, 90, seed=5)).save(folder / "e.webp")
    paths = sorted(folder.iterdir())
    return [ImageRecord(p, i % 2, "train") for i, p in enumerate(paths)]


def _collect(ds):
    images, labels = [], []
    for x, y in ds:
        images.append(x.numpy())
        labels.append(y.numpy())
    return np.concatenate(images), np.concatenate(labels)


@pytest.mark.parametrize(
    "spec", [InputSpec(32, 32), InputSpec(48, 40, greyscale=True, value_range=(-1.0, 1.0))]
)
def test_training_tensors_are_byte_identical_to_the_runtime_preprocess(tmp_path, spec):
    records = _records_of_every_kind(tmp_path)
    images, labels = _collect(make_dataset(records, spec, batch_size=2))
    for record, image, label in zip(records, images, labels, strict=True):
        served = preprocess(record.path, spec)  # what `Detector` feeds the model, default limits
        assert image.dtype == served.dtype == np.float32
        assert image.tobytes() == served.tobytes()
        assert label.tolist() == [float(record.label)]


def test_training_limits_only_relax_the_minimum_side():
    assert TRAINING_LIMITS.min_side < DEFAULT_LIMITS.min_side
    for name in ("max_file_bytes", "max_pixels", "max_side"):
        assert getattr(TRAINING_LIMITS, name) == getattr(DEFAULT_LIMITS, name)


def test_unreadable_files_are_skipped_and_reported_without_stopping(tmp_path):
    good = [ImageRecord(tmp_path / f"ok{i}.png", i % 2, "train") for i in range(3)]
    for i, record in enumerate(good):
        Image.fromarray(random_rgb(40, 40, seed=i)).save(record.path)
    (tmp_path / "text.png").write_text("not an image")
    (tmp_path / "empty.jpg").write_bytes(b"")
    jpeg = io.BytesIO()
    Image.fromarray(random_rgb(64, 64)).save(jpeg, "JPEG")
    (tmp_path / "truncated.jpg").write_bytes(jpeg.getvalue()[:300])
    (tmp_path / "tiny.png").write_bytes(_png(np.zeros((4, 4, 3), np.uint8)))
    bad = [
        ImageRecord(tmp_path / n, 1, "train") for n in ("text.png", "empty.jpg", "truncated.jpg", "tiny.png")
    ]
    records = [good[0], *bad[:2], good[1], *bad[2:], good[2]]
    report = DecodeReport()
    images, labels = _collect(make_dataset(records, InputSpec(32, 32), batch_size=4, report=report))
    assert len(images) == 3
    assert labels.ravel().tolist() == [0.0, 1.0, 0.0]
    assert sorted(Path(path).name for path, _ in report.skipped) == sorted(r.path.name for r in bad)
    assert all(message for _, message in report.skipped)
    report.write_csv(tmp_path / "skipped.csv")
    assert len((tmp_path / "skipped.csv").read_text().splitlines()) == 1 + len(bad)


def _png(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG")
    return buffer.getvalue()


def test_labels_follow_the_folders_of_the_140k_layout(tmp_path):
    root = write_toy_dataset(tmp_path / "toy", counts=(3, 2, 2), size=32)
    records = [r for r in discover(root) if r.split == "train"]
    _, labels = _collect(make_dataset(records, InputSpec(32, 32), batch_size=4))
    assert labels.ravel().tolist() == [1.0 if r.path.parent.name == "fake" else 0.0 for r in records]


def test_class_weights_balance_the_classes():
    records = [ImageRecord(Path(f"{i}.png"), int(i < 3), "train") for i in range(12)]  # 3 fake, 9 real
    weights = class_weights(records)
    assert weights == {0: pytest.approx(12 / 18), 1: pytest.approx(12 / 6)}
    assert weights[0] * 9 == pytest.approx(weights[1] * 3)


@pytest.fixture(scope="module")
def toy_records(tmp_path_factory):
    root = write_toy_dataset(tmp_path_factory.mktemp("toy"), counts=(6, 1, 1), size=32)
    return [r for r in discover(root) if r.split == "train"]


def _epoch(records, augment, seed=7, spec=None):
    spec = spec or InputSpec(32, 32)
    return _collect(make_dataset(records, spec, batch_size=4, augment=augment, seed=seed))[0]


def test_augmentation_is_reproducible_for_a_seed_and_varies_with_it(toy_records):
    first = _epoch(toy_records, Augment(), seed=7)
    again = _epoch(toy_records, Augment(), seed=7)
    other = _epoch(toy_records, Augment(), seed=8)
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)


def test_augmentation_draws_anew_every_epoch(toy_records):
    ds = make_dataset(toy_records, InputSpec(32, 32), batch_size=16, augment=Augment(), seed=3)
    epoch1, epoch2 = (next(iter(ds))[0].numpy() for _ in range(2))
    assert not np.array_equal(epoch1, epoch2)


def test_flip_only_yields_the_image_or_its_mirror(toy_records):
    clean = {r.path: preprocess(r.path, InputSpec(32, 32)) for r in toy_records}
    ds = make_dataset(toy_records, InputSpec(32, 32), batch_size=16, augment=Augment.only("flip"), seed=1)
    images, _ = _collect(ds)
    flipped = 0
    for image, record in zip(images, toy_records, strict=True):
        original = clean[record.path]
        assert np.array_equal(image, original) or np.array_equal(image, original[:, ::-1])
        flipped += not np.array_equal(image, original)
    assert 0 < flipped < len(toy_records)


@pytest.mark.parametrize("name", ["crop", "colour", "jpeg", "blur", "resize"])
def test_each_augmentation_changes_images_alone_and_keeps_the_value_range(toy_records, name):
    spec = InputSpec(32, 32, value_range=(-1.0, 1.0))
    always = Augment(**{op: float(op == name) for op in ("flip", "crop", "colour", "jpeg", "blur", "resize")})
    images = _epoch(toy_records, always, spec=spec)
    clean = np.stack([preprocess(r.path, spec) for r in toy_records])
    assert images.min() >= -1.0 and images.max() <= 1.0
    changed = np.abs(images - clean).reshape(len(images), -1).max(axis=1)
    assert (changed > 1e-3).mean() > 0.5
    assert np.abs(images - clean).mean() < 0.5  # jitter, not a different picture


def test_greyscale_input_stays_greyscale_after_augmentation(toy_records):
    images = _epoch(
        toy_records,
        Augment(flip=1, crop=1, colour=1, jpeg=1, blur=1, resize=1),
        spec=InputSpec(32, 32, greyscale=True),
    )
    assert np.array_equal(images[..., 0], images[..., 1]) and np.array_equal(images[..., 1], images[..., 2])


def test_no_augmentation_switches_everything_off():
    assert not Augment.only().enabled
    with pytest.raises(ValueError, match="unknown"):
        Augment.only("sharpen")
    with pytest.raises(ValueError, match="jpeg_quality"):
        Augment(jpeg_quality=(90, 20))


def test_empty_split_is_refused():
    with pytest.raises(ValueError, match="empty"):
        make_dataset([], InputSpec(32, 32))
