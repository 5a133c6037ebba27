"""The main job: an ImageNet-style training pipeline on the photos shipped
with the package, run as ``python -m pixelpipes.demo``.

Per sample: pick a photo, random resized crop to 224 x 224, random horizontal
flip, colour jitter, ImageNet normalisation, CHW float32 -- the usual
torchvision training transform.  It prints the compiled program, streams
batches, checks that samples are reproducible across thread counts, and
prints throughput.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import pixelpipes as pp
from pixelpipes.data import load_photo, photo_names

MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)


def build(photos, size: int = 224) -> pp.Graph:
    """The training graph over ``photos`` (a list of HWC uint8 RGB arrays)."""
    with pp.Graph() as graph:
        index = pp.RandomInteger(0, len(photos), name="photo")
        image = pp.GetElement(pp.Constant(photos), index)
        image = pp.RandomResizedCrop(image, (size, size), scale=(0.08, 1.0),
                                     ratio=(3 / 4, 4 / 3), interpolation="linear")
        image = pp.RandomFlip(image, p=0.5, horizontal=True)
        image = pp.ColorJitter(image, brightness=0.4, contrast=0.4, saturation=0.4)
        image = pp.Normalize(image, MEAN, STD)            # uint8 -> float32 in [0,1], then mean/std
        pp.Output(pp.ToCHW(image), "image")
        pp.Output(index, "label")
    return graph


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=1024)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args(argv)

    names = photo_names()
    photos = [load_photo(name) for name in names]
    pipeline = build(photos).compile(seed=args.seed)
    info = pp.build_info()
    print(f"pixelpipes {pp.__version__}: OpenMP {'on' if info['openmp'] else 'OFF'}, "
          f"{pp.effective_n_threads(args.threads)} threads; {len(photos)} photos: "
          + ", ".join(f"{n} {p.shape[1]}x{p.shape[0]}" for n, p in zip(names, photos)))
    print(pipeline.explain())

    batches = max(1, args.samples // args.batch_size)
    stream = pipeline.stream(batch_size=args.batch_size, threads=args.threads, prefetch=2)
    first = next(stream)                      # (includes start-up)
    t0 = time.perf_counter()
    for _ in range(batches - 1):
        batch = next(stream)
    elapsed = time.perf_counter() - t0
    stream.close()
    n = (batches - 1) * args.batch_size
    if n:
        print(f"{n} samples in {elapsed:.3f} s: {n / elapsed:,.0f} samples/s")
    images = first["image"]
    print(f"batch: image {images.shape} {images.dtype}, label {first['label'].shape}; "
          f"mean {images.mean():+.3f}, std {images.std():.3f}")

    again = pipeline.batch(first.indices, threads=1)
    same = (again["image"].tobytes() == images.tobytes()
            and again["label"].tobytes() == first["label"].tobytes())
    print(f"sample-for-sample identical with 1 thread and with {pp.effective_n_threads(args.threads)}: {same}")
    if not same:
        raise SystemExit("determinism check failed")


if __name__ == "__main__":
    main()
