"""Median milliseconds per image of the face front-end (`FaceFinder.find`, 1 thread) on 256² and 1024² images.

Target: under 3 ms per image. The pictures are `benchmarks.images.photo_like` with the astronaut's head pasted
in the middle when scikit-image is installed (so NMS has a face to merge). On a shared CPU the wall-clock
median includes time spent waiting for a core, so the median CPU time of the process is printed too, with the
load average.

Example:
    $ python -m benchmarks.faces_speed --runs 300
    find_faces    256x256    1.25 ms (p90 1.40, n=300)  cpu 1.21 ms  1 face
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

import numpy as np
from PIL import Image

from benchmarks.images import photo_like
from benchmarks.timing import measure
from fakescope.runtime.face_crop import crop_face
from fakescope.runtime.faces import FaceFinder


def with_face(side: int) -> np.ndarray:
    """A side x side photo-like picture, with the astronaut's head on its middle half if skimage is there."""
    pixels = photo_like(0, side)
    try:
        from skimage import data
    except ImportError:
        return pixels
    head = Image.fromarray(data.astronaut()[20:240, 120:330]).resize((side // 2, side // 2))
    pixels[side // 4 : side // 4 + side // 2, side // 4 : side // 4 + side // 2] = np.asarray(head)
    return pixels


def cpu_ms(fn: Callable[[], object], runs: int) -> float:
    """Median CPU time of the process per call of `fn`, in ms (waiting for a core does not count)."""
    samples = []
    for _ in range(runs):
        started = time.process_time()
        fn()
        samples.append((time.process_time() - started) * 1000.0)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300)
    args = parser.parse_args()
    finder = FaceFinder(threads=1)
    print(f"load average before: {os.getloadavg()[0]:.1f}")
    for side in (256, 1024):
        pixels = with_face(side)
        found = finder.find(pixels)
        stats = measure(lambda pixels=pixels: finder.find(pixels), runs=args.runs, warmup=10)
        cpu = cpu_ms(lambda pixels=pixels: finder.find(pixels), args.runs)
        print(f"find_faces    {side}x{side:<6} {stats}  cpu {cpu:.2f} ms  {len(found)} face")
        for align in (False, True) if found else ():
            crop = measure(
                lambda p=pixels, f=found[0], a=align: crop_face(p, f, 0.3, a), runs=args.runs, warmup=10
            )
            print(f"crop_face     {side}x{side:<6} {crop}  align={align}")
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
