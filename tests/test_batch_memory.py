"""Batch arrays: written in place by the kernels, and their memory recycled.

A kernel making a fixed-shape output writes straight into the batch array's
row, and the memory of dropped batches is reused
(``pixelpipes.pipeline.BatchMemory``).  Neither may change a value anyone can
see: these tests hold on to arrays and views while later batches are made.
"""

import gc

import numpy as np

import pixelpipes as pp
from pixelpipes.pipeline import BatchMemory


def _graph():
    photo = np.arange(24 * 32 * 3, dtype=np.uint8).reshape(24, 32, 3)
    with pp.Graph() as graph:
        i = pp.SampleIndex()
        image = pp.GetElement(pp.Constant([photo, photo[::-1].copy()]), i % 2)
        small = pp.Resize(image, (12, 16))
        flipped = pp.Flip(small)
        pp.Output(small, "small")                       # also read by another output
        pp.Output(pp.Conditional(i % 3, flipped, small), "either")   # a moved value
        pp.Output(pp.Normalize(flipped, 0.5, 0.25), "norm")
        pp.Output(pp.Constant(np.ones((2, 2), np.float32)), "const")
        pp.Output(i * 2, "twice")
    return graph.compile(seed=3)


def test_batches_equal_single_samples_with_in_place_outputs():
    pipeline = _graph()
    for threads in (1, 2):
        batch = pipeline.batch(range(7), threads=threads)
        for b in range(7):
            one = pipeline.run(b)
            for label, value in one.items():
                assert np.array_equal(batch[label][b], value), (label, b)


def test_recycled_memory_never_changes_what_is_still_referenced():
    pipeline = _graph()
    first = pipeline.batch(range(0, 8))
    kept = first["norm"][3]                 # a view into the first batch
    copy = kept.copy()
    del first
    gc.collect()
    for start in range(8, 80, 8):           # later batches reuse dropped memory
        later = pipeline.batch(range(start, start + 8))
        assert np.array_equal(later["norm"][0], pipeline.run(start)["norm"])
        del later
        gc.collect()
    assert np.array_equal(kept, copy)


def test_memory_of_a_dropped_batch_is_reused_and_the_pool_is_bounded():
    pool = BatchMemory(keep=2)
    dtype = np.dtype(np.float32)
    a = pool.empty((4, 5), dtype)
    address = a.ctypes.data
    assert a.ctypes.data % 64 == 0 and a.flags.c_contiguous and a.flags.writeable
    view = a[1:]
    del a
    gc.collect()
    b = pool.empty((4, 5), dtype)           # the first block is still in use
    assert b.ctypes.data != address
    del view
    gc.collect()
    c = pool.empty((4, 5), dtype)
    assert c.ctypes.data == address
    arrays = [pool.empty((4, 5), dtype) for _ in range(5)]
    del arrays, b, c
    gc.collect()
    assert sum(len(v) for v in pool._free.values()) == 2
