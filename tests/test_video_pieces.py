"""The video pieces that never touch a decoder: the sampler's plans, the IoU tracker, the aggregation rules
and the clip verdict, each driven with plain numbers against an independent computation."""

from __future__ import annotations

import numpy as np
import pytest

from fakescope.video import AGGREGATIONS, IoUTracker, Track, aggregate, box_iou, evenly_spaced, plan_reads
from fakescope.video.sampler import estimated_decodes, keyframe_reads
from fakescope.video.verdict import clip_verdict


def test_samples_are_the_centres_of_equal_slices_of_the_clip():
    times = evenly_spaced(10.0, 4)
    np.testing.assert_allclose(times, [1.25, 3.75, 6.25, 8.75])
    assert np.allclose(np.diff(evenly_spaced(7.3, 32)), 7.3 / 32)
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="count"):
            evenly_spaced(1.0, bad)


def sequential_cost(times, fps):
    return int(np.ceil(times[-1] * fps)) + 1


def seek_cost(times, keyframes, fps):
    return sum((t - keyframes[keyframes <= t][-1]) * fps + 1 for t in times)


@pytest.mark.parametrize(
    ("duration", "gop_s", "count"), [(10.0, 10.0, 32), (10.0, 0.5, 4), (600.0, 2.0, 32), (60.0, 8.0, 32)]
)
def test_the_plan_never_decodes_more_than_sequential_or_seek_always(duration, gop_s, count):
    fps = 30.0
    keyframes = np.arange(0.0, duration, gop_s)
    times = evenly_spaced(duration, count)
    reads = plan_reads(times, keyframes, 1 / fps)
    cost = estimated_decodes(reads, keyframes, 1 / fps)
    assert cost <= sequential_cost(times, fps) + count
    assert cost <= seek_cost(times, keyframes, fps) + count
    assert [r.time for r in reads] == list(times)


def test_long_gops_decode_sequentially_and_sparse_samples_seek():
    one_gop = plan_reads(evenly_spaced(10.0, 32), np.array([0.0]), 1 / 30)
    assert not any(r.seek for r in one_gop)
    sparse = plan_reads(evenly_spaced(600.0, 8), np.arange(0.0, 600.0, 2.0), 1 / 30)
    assert all(r.seek for r in sparse)
    assert not any(r.seek for r in plan_reads(evenly_spaced(600.0, 8), None, 1 / 30))


def test_keyframes_only_seeks_only_past_keyframes_it_would_decode_for_nothing():
    keyframes = np.array([0.0, 4.0, 8.0, 12.0, 16.0])
    reads = keyframe_reads(np.array([1.0, 2.0, 5.0, 17.0]), keyframes)
    # 5.0: only 4.0 lies ahead (decoded anyway); 17.0: decoding on would pass 8.0 and 12.0
    assert [(r.time, r.seek) for r in reads] == [(1.0, False), (2.0, False), (5.0, False), (17.0, True)]
    assert not any(r.seek for r in keyframe_reads(np.array([1.0, 17.0]), np.array([0.0])))  # sparse index
    assert not any(r.seek for r in keyframe_reads(np.array([1.0, 17.0]), None))


def test_box_iou_matches_a_direct_computation():
    rng = np.random.default_rng(0)
    corners = rng.uniform(0, 100, (6, 2, 2))
    boxes = np.concatenate([corners.min(axis=1), corners.max(axis=1)], axis=1)
    matrix = box_iou(boxes[:3], boxes[3:])
    for i in range(3):
        for j in range(3):
            a, b = boxes[i], boxes[3 + j]
            w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
            h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
            union = np.prod(a[2:] - a[:2]) + np.prod(b[2:] - b[:2]) - w * h
            assert matrix[i, j] == pytest.approx(w * h / union)


def test_two_faces_keep_their_tracks_whatever_order_they_are_found_in():
    tracker = IoUTracker()
    left, right = np.array([10, 10, 50, 50]), np.array([200, 10, 240, 50])
    assert tracker.update(np.stack([left, right])) == [0, 1]
    assert tracker.update(np.stack([right + 3, left + 2])) == [1, 0]
    assert tracker.update(np.stack([left + 30])) == [0]  # no overlap left, but within a box width
    assert tracker.update(np.stack([right + 6])) == [1]  # a missed frame does not close the track
    assert tracker.update(np.stack([[400, 300, 440, 340]])) == [2]  # a newcomer far away


def test_a_track_closes_after_max_gap_updates():
    tracker = IoUTracker(max_gap=1)
    box = np.array([[10, 10, 50, 50]])
    assert tracker.update(box) == [0]
    tracker.update(np.zeros((0, 4)))
    tracker.update(np.zeros((0, 4)))
    assert tracker.update(box) == [1]


def dfdc_confident_strategy(pred, t=0.8):
    """Selim Seferbekov's DFDC-winning rule, as published in his repository (kernel_utils.py)."""
    pred = np.array(pred)
    sz = len(pred)
    fakes = np.count_nonzero(pred > t)
    if fakes > sz // 2.5 and fakes > 11:
        return np.mean(pred[pred > t])
    elif np.count_nonzero(pred < 0.2) > 0.9 * sz:
        return np.mean(pred[pred < 0.2])
    else:
        return np.mean(pred)


@pytest.mark.parametrize("seed", range(8))
def test_the_confident_rule_is_the_dfdc_winners(seed):
    rng = np.random.default_rng(seed)
    kind = seed % 3
    scores = (
        rng.uniform(0.81, 1.0, 32)
        if kind == 0
        else rng.uniform(0.0, 0.19, 32)
        if kind == 1
        else rng.random(32)
    )
    scores[:3] = rng.random(3)
    assert aggregate(scores, "confident") == pytest.approx(dfdc_confident_strategy(scores))
    assert aggregate(scores, "mean") == pytest.approx(np.mean(scores))


def test_aggregations_are_enumerated_by_name_and_refuse_unknown_ones():
    assert {"mean", "confident"} <= set(AGGREGATIONS)
    with pytest.raises(ValueError, match="mean"):
        aggregate([0.5], "median-of-nothing")
    with pytest.raises(ValueError, match="empty"):
        aggregate([], "mean")


def track(id: int, scores: list[float], threshold: float = 0.5) -> Track:
    n = len(scores)
    return Track(
        id, tuple(np.arange(n) / 10), ((0, 0, 10, 10),) * n, tuple(scores), float(np.mean(scores)),
        threshold, "mean", np.zeros((4, 4, 3), np.uint8),
    )  # fmt: skip


def test_the_most_fake_track_decides_the_clip():
    assert clip_verdict([track(0, [0.1] * 8), track(1, [0.9] * 8)], 0.5, 8) == ("FAKE", ())
    assert clip_verdict([track(0, [0.1] * 8), track(1, [0.3] * 8)], 0.5, 8) == ("REAL", ())


def test_no_face_or_a_track_that_disagrees_with_itself_is_unsure():
    verdict, reasons = clip_verdict([], 0.5, 32)
    assert verdict == "UNSURE" and reasons == ("no face in any of the 32 sampled frames",)
    split = track(3, [0.1, 0.9, 0.2, 0.8, 0.1, 0.95, 0.05, 0.3])
    verdict, reasons = clip_verdict([track(0, [0.1] * 8), split], 0.5, 8)
    assert verdict == "UNSURE" and reasons == ("track 3 disagrees with itself: 3 of 8 frames fake",)
    # a confidently fake track decides even when another one wavers
    assert clip_verdict([track(0, [0.95] * 8), split], 0.5, 8) == ("FAKE", ())


def test_a_face_seen_in_one_frame_does_not_decide_against_a_long_track():
    assert clip_verdict([track(0, [0.1] * 16), track(1, [0.99])], 0.5, 16) == ("REAL", ())


def test_the_runtime_never_imports_video_support_or_pyav():
    import subprocess
    import sys

    code = (
        "import sys, fakescope.runtime, fakescope.runtime.scan; a = 'fakescope.video' in sys.modules; "
        "import fakescope.video; print(a, 'av' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]  # PyAV is imported only when a video is read
