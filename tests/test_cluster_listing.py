"""The Dask engine's listing streams: a flat folder's keys reach partitions as `os.scandir` reads them, so the
client never holds more than about one partition of keys, however many files the folder has."""

from __future__ import annotations

import os

import pytest

from fakescope.cluster.engine import _partitions
from fakescope.cluster.sources import Source
from fakescope.runtime import listing
from fakescope.runtime.listing import find_image_files, stream_image_files


class CountingScandir:
    """The real `os.scandir`, counting the image entries it has handed out so far."""

    def __init__(self):
        self.read = 0
        self.scandir = os.scandir

    def __call__(self, path):
        counter = self
        real = self.scandir(path)

        class Entries:
            def __enter__(self):
                return self

            def __exit__(self, *exc):
                real.close()

            def __iter__(self):
                for entry in real:
                    counter.read += listing.is_image_name(entry.name)
                    yield entry

        return Entries()


def test_a_flat_folder_yields_partitions_before_it_is_read_whole(tmp_path, monkeypatch):
    files, size = 1200, 50
    for i in range(files):
        (tmp_path / f"{i:05d}.png").write_bytes(b"")
        if i % 7 == 0:
            (tmp_path / f"{i:05d}.txt").write_bytes(b"")
    scandir = CountingScandir()
    monkeypatch.setattr(listing.os, "scandir", scandir)
    partitions = _partitions(Source.parse(tmp_path).entries(), size)
    handed, peak, seen = 0, 0, []
    for partition in partitions:
        assert len(partition) == size
        peak = max(peak, scandir.read - handed)  # image paths read from the folder, not yet handed on
        handed += len(partition)
        seen.extend(entry.key for entry in partition)
        if handed == size:
            assert scandir.read < files / 4, "the whole folder was read before its first partition"
    assert peak <= size + 1, peak
    assert scandir.read == handed == files
    assert sorted(seen) == [str(p) for p in find_image_files(tmp_path).images]


def test_streaming_lists_what_the_sorted_walk_lists(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    for folder in (tmp_path, tmp_path / "a", tmp_path / "a" / "b"):
        for name in ("x.jpg", "Y.PNG", "z.txt"):
            (folder / name).write_bytes(b"")
    (tmp_path / "link").symlink_to(tmp_path / "a")
    (tmp_path / "broken.jpg").symlink_to(tmp_path / "missing.jpg")
    for recursive in (False, True):
        streamed = sorted(stream_image_files(tmp_path, recursive))
        assert streamed == find_image_files(tmp_path, recursive).images
    with pytest.raises(NotADirectoryError):
        next(stream_image_files(tmp_path / "x.jpg"))
