"""The main job: a real augmentation pipeline on the photos shipped with the
package, run as ``python -m pixelpipes.demo``.

It picks a photo per sample, applies brightness and contrast jitter, converts
to normalised float32 in CHW layout, checks that the stream is reproducible,
and prints throughput.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import pixelpipes as pp
from pixelpipes.data import load_photo, photo_names

MEAN = np.array([0.485, 0.456, 0.406], np.float32) * 255
STD = np.array([0.229, 0.224, 0.225], np.float32) * 255


def build(photos) -> pp.Graph:
    """The demo graph over ``photos`` (a list of HWC uint8 arrays)."""
    with pp.Graph() as graph:
        image = pp.RandomChoice(photos, name="photo")
        pixels = pp.Cast(image, "float32")
        brightness = pp.RandomUniform(-0.2, 0.2, name="brightness") * 255
        contrast = pp.RandomUniform(0.8, 1.2, name="contrast")
        jittered = pp.Minimum(pp.Maximum(pixels * contrast + brightness, 0), 255)
        normalised = (jittered - MEAN) / STD
        pp.Output(pp.Transpose(normalised, (2, 0, 1)), "image")
        pp.Output(brightness, "brightness")
    return graph


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=256)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    photos = [load_photo(name) for name in photo_names()]
    pipeline = build(photos).compile(seed=args.seed)
    info = pp.build_info()
    print(f"pixelpipes {pp.__version__}: OpenMP {'on' if info['openmp'] else 'OFF'}, "
          f"{info['threads']} threads; {len(photos)} photos "
          f"({', '.join(photo_names())})")
    print(pipeline.explain())

    batches = max(1, args.samples // args.batch_size)
    stream = pipeline.stream(batch_size=args.batch_size, prefetch=2)
    t0 = time.perf_counter()
    first = None
    for _ in range(batches):
        batch = next(stream)
        first = first if first is not None else batch
    elapsed = time.perf_counter() - t0
    stream.close()
    n = batches * args.batch_size
    print(f"{n} samples in {elapsed:.3f} s: {n / elapsed:,.0f} samples/s")

    again = pipeline.batch(range(args.batch_size), threads=1)
    same = all(a.tobytes() == b.tobytes() for a, b in zip(first["image"], again["image"]))
    shapes = sorted({img.shape for img in first["image"]})
    print(f"first batch: {len(first['image'])} images, shapes {shapes}")
    print(f"reproducible across thread counts and runs: {same}")
    if not same:
        raise SystemExit("determinism check failed")


if __name__ == "__main__":
    main()
