"""The inline random-number functions of ``_random.pxd``, callable from Python.

For the tests of the random-number core only (``tests/test_random_core.py``):
raw Philox blocks, the 64-bit stream of a (seed, key, sample), ``det_log``
over an array, and sequences of ``rng_below`` / ``rng_uniform`` /
``rng_normal`` draws.  Not part of the public API.
"""

from libc.stdint cimport int64_t, uint64_t

from pixelpipes._core._random cimport (
    Rng, rng_init, rng_next64, rng_uniform, rng_below, rng_normal, det_log,
    pp_philox4x64_10,
)

import numpy as np


def philox_block(counter, key):
    """Philox4x64-10 of ``counter`` (4 uint64) under ``key`` (2 uint64).

    Returns
    -------
    numpy.ndarray
        The four uint64 output words.
    """
    cdef uint64_t ctr[4]
    cdef uint64_t k[2]
    cdef uint64_t[::1] out
    cdef int i
    counter = [int(c) for c in counter]
    key = [int(x) for x in key]
    if len(counter) != 4 or len(key) != 2:
        raise ValueError("counter needs 4 words and key 2")
    for i in range(4):
        ctr[i] = <uint64_t>counter[i]
    for i in range(2):
        k[i] = <uint64_t>key[i]
    result = np.empty(4, dtype=np.uint64)
    out = result
    pp_philox4x64_10(ctr, k, &out[0])
    return result


def next64(uint64_t seed, uint64_t key, int64_t sample, Py_ssize_t count):
    """The first ``count`` words of the stream of (seed, key, sample)."""
    cdef Rng r
    cdef Py_ssize_t i
    cdef uint64_t[::1] out
    result = np.empty(count, dtype=np.uint64)
    out = result
    rng_init(&r, seed, key, sample)
    with nogil:
        for i in range(count):
            out[i] = rng_next64(&r)
    return result


def uniform(uint64_t seed, uint64_t key, int64_t sample, Py_ssize_t count):
    """``count`` successive ``rng_uniform`` draws."""
    cdef Rng r
    cdef Py_ssize_t i
    cdef double[::1] out
    result = np.empty(count, dtype=np.float64)
    out = result
    rng_init(&r, seed, key, sample)
    with nogil:
        for i in range(count):
            out[i] = rng_uniform(&r)
    return result


def below(uint64_t seed, uint64_t key, int64_t sample, uint64_t n, Py_ssize_t count):
    """``count`` successive ``rng_below(n)`` draws."""
    cdef Rng r
    cdef Py_ssize_t i
    cdef uint64_t[::1] out
    result = np.empty(count, dtype=np.uint64)
    out = result
    rng_init(&r, seed, key, sample)
    with nogil:
        for i in range(count):
            out[i] = rng_below(&r, n)
    return result


def normal(uint64_t seed, uint64_t key, int64_t sample, Py_ssize_t count):
    """``count`` successive ``rng_normal`` draws."""
    cdef Rng r
    cdef Py_ssize_t i
    cdef double[::1] out
    result = np.empty(count, dtype=np.float64)
    out = result
    rng_init(&r, seed, key, sample)
    with nogil:
        for i in range(count):
            out[i] = rng_normal(&r)
    return result


def log(x):
    """``det_log`` of every element of ``x`` (float64 array)."""
    cdef const double[::1] src = np.ascontiguousarray(x, dtype=np.float64).reshape(-1)
    cdef double[::1] out
    cdef Py_ssize_t i
    result = np.empty(src.shape[0], dtype=np.float64)
    out = result
    with nogil:
        for i in range(src.shape[0]):
            out[i] = det_log(src[i])
    return result.reshape(np.shape(x))
