"""The random-number core (``pixelpipes/_core/_random.pxd``, ``_philox.h``).

Checked through ``pixelpipes._core._rng_testing``, which exposes the inline
functions kernels use: Philox4x64-10 blocks against NumPy's ``Philox``, the
block/counter layout of a stream, ``det_log`` against ``numpy.log``, and the
range and uniformity of ``rng_below`` / ``rng_uniform`` / ``rng_normal``.
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from pixelpipes._core import _rng_testing as rt

U64 = st.integers(0, 2 ** 64 - 1)
SAMPLE = st.integers(0, 2 ** 63 - 1)
MASK = 2 ** 64 - 1


def chi2_critical(df, z=6.0):
    """Upper critical value of chi-square with ``df`` degrees of freedom, ``z``
    standard deviations out (Wilson-Hilferty); z=6 is a false-alarm rate of
    about 1e-9, and every test here runs on a fixed seed anyway."""
    h = 2.0 / (9.0 * df)
    return df * (1.0 - h + z * math.sqrt(h)) ** 3


def numpy_block(key, counter):
    """NumPy's Philox output for the block at ``counter``.

    NumPy increments its 256-bit counter (word 0 least significant) *before*
    producing a block, so the block for counter ``c`` comes from a generator
    whose state is ``c - 1`` (mod 2**256)."""
    value = sum(int(w) << (64 * i) for i, w in enumerate(counter))
    value = (value - 1) % 2 ** 256
    state = [(value >> (64 * i)) & MASK for i in range(4)]
    gen = np.random.Philox(key=np.array(key, dtype=np.uint64),
                           counter=np.array(state, dtype=np.uint64))
    return gen.random_raw(4)


# ---------------------------------------------------------------- Philox

def test_philox_known_block():
    # Block (0, 0, 0, 0) under key (1, 2): NumPy wraps its counter from all
    # ones to zero to produce it.
    gen = np.random.Philox(key=np.array([1, 2], dtype=np.uint64),
                           counter=np.array([MASK] * 4, dtype=np.uint64))
    expected = gen.random_raw(4)
    np.testing.assert_array_equal(rt.philox_block([0, 0, 0, 0], [1, 2]), expected)


@settings(max_examples=200, deadline=None)
@given(st.lists(U64, min_size=4, max_size=4), st.lists(U64, min_size=2, max_size=2))
def test_philox_matches_numpy(counter, key):
    np.testing.assert_array_equal(rt.philox_block(counter, key), numpy_block(key, counter))


@settings(max_examples=100, deadline=None)
@given(U64, U64, SAMPLE)
def test_stream_is_philox_blocks(seed, key, sample):
    """The stream of (seed, key, sample) is the Philox blocks keyed by
    (seed, key) at counters (0, sample, 0, 0), (1, sample, 0, 0), ..."""
    words = rt.next64(seed, key, sample, 12)
    for block in range(3):
        np.testing.assert_array_equal(words[4 * block:4 * block + 4],
                                      numpy_block([seed, key], [block, sample, 0, 0]))


def test_stream_as_numpy_generator():
    """Equivalently, NumPy's Philox with counter (-1, s, 0, 0) ... but for
    s = 0 the -1 borrows through every word: state (2**64-1,)*4."""
    seed, key = 7, 12345
    for sample in (0, 1, 99, 2 ** 40):
        counter = ([MASK] * 4 if sample == 0 else [MASK, sample - 1, 0, 0])
        gen = np.random.Philox(key=np.array([seed, key], dtype=np.uint64),
                               counter=np.array(counter, dtype=np.uint64))
        np.testing.assert_array_equal(rt.next64(seed, key, sample, 40), gen.random_raw(40))


def test_streams_differ():
    base = rt.next64(1, 2, 3, 8)
    for other in (rt.next64(0, 2, 3, 8), rt.next64(1, 0, 3, 8), rt.next64(1, 2, 4, 8)):
        assert not np.array_equal(base, other)


# ---------------------------------------------------------------- det_log

def ulp_error(x):
    got = rt.log(x)
    ref = np.log(x)
    ulp = np.spacing(np.abs(ref))
    ulp[ref == 0] = np.spacing(0.0)
    return np.abs(got - ref) / ulp


def test_det_log_random_bit_patterns():
    """Every positive finite double is equally likely as a bit pattern:
    subnormals, tiny and huge values."""
    rng = np.random.default_rng(1)
    bits = rng.integers(1, 0x7FF0000000000000, size=400_000, dtype=np.int64)
    assert ulp_error(bits.view(np.float64)).max() <= 2.0


@pytest.mark.parametrize("low, high", [(0.5, 2.0), (1 - 1e-3, 1 + 1e-3), (1 - 1e-12, 1 + 1e-12),
                                       (0.0, 1.0), (1.0, 1e6)])
def test_det_log_near_one_and_ranges(low, high):
    """Near 1 the result is small and every rounding error counts."""
    rng = np.random.default_rng(2)
    x = rng.uniform(low, high, 400_000)
    x = x[x > 0]
    assert ulp_error(x).max() <= 2.0


def test_det_log_special_values():
    tiny = np.array([5e-324, 1e-320, 2.2250738585072014e-308, np.nextafter(1, 0), 1.0,
                     np.nextafter(1, 2), 2.0, 0.5, np.e, 10.0, 1.7976931348623157e308])
    assert ulp_error(tiny).max() <= 2.0
    assert rt.log(np.array([1.0]))[0] == 0.0
    np.testing.assert_allclose(rt.log(np.array([2.0 ** k for k in range(-1074, 1024, 37)])),
                               np.arange(-1074, 1024, 37) * math.log(2), rtol=1e-15)


@settings(max_examples=300, deadline=None)
@given(st.floats(min_value=5e-324, max_value=1.7976931348623157e308,
                 allow_nan=False, allow_infinity=False, allow_subnormal=True))
def test_det_log_hypothesis(x):
    assert ulp_error(np.array([x]))[0] <= 2.0


# ---------------------------------------------------------------- draws

@pytest.mark.parametrize("n", [1, 2, 3, 7, 10, 1000, 2 ** 32 + 15, 2 ** 63 + 1, 2 ** 64 - 1])
def test_below_in_range(n):
    draws = rt.below(5, 6, 7, n, 20_000)
    assert draws.dtype == np.uint64
    assert int(draws.max()) < n
    if n == 1:
        assert not draws.any()


def test_below_zero_is_zero():
    assert not rt.below(1, 1, 1, 0, 10).any()


@pytest.mark.parametrize("n", [2, 3, 6, 7, 10, 37])
def test_below_unbiased(n):
    count = 12_000 * n
    draws = rt.below(11, 22, 3, n, count).astype(np.int64)
    observed = np.bincount(draws, minlength=n)
    expected = count / n
    chi2 = ((observed - expected) ** 2 / expected).sum()
    assert chi2 < chi2_critical(n - 1)


def test_below_unbiased_for_large_n():
    """n = 3 * 2**62 rejects a quarter of the raw words: a biased (modulo)
    reduction would favour [0, 2**62) by 2:1; the top two bits of the draw
    must instead split evenly into three classes."""
    n = 3 * 2 ** 62
    draws = rt.below(1, 2, 3, n, 60_000)
    classes = (draws >> np.uint64(62)).astype(np.int64)
    observed = np.bincount(classes, minlength=3)
    assert observed.size == 3
    expected = draws.size / 3
    chi2 = ((observed - expected) ** 2 / expected).sum()
    assert chi2 < chi2_critical(2)


@settings(max_examples=50, deadline=None)
@given(U64, U64, SAMPLE, st.integers(1, 2 ** 64 - 1))
def test_below_hypothesis(seed, key, sample, n):
    assert int(rt.below(seed, key, sample, n, 64).max()) < n


def test_uniform_range_and_distribution():
    u = rt.uniform(3, 4, 5, 200_000)
    assert u.min() >= 0.0 and u.max() < 1.0
    # 53-bit resolution: multiples of 2**-53.
    assert np.all(u * 2.0 ** 53 == np.floor(u * 2.0 ** 53))
    observed = np.bincount((u * 50).astype(np.int64), minlength=50)
    expected = u.size / 50
    assert ((observed - expected) ** 2 / expected).sum() < chi2_critical(49)


def test_uniform_is_top_53_bits():
    words = rt.next64(9, 8, 7, 100)
    u = rt.uniform(9, 8, 7, 100)
    np.testing.assert_array_equal(u, (words >> np.uint64(11)).astype(np.float64) * 2.0 ** -53)


@settings(max_examples=50, deadline=None)
@given(U64, U64, SAMPLE)
def test_uniform_hypothesis(seed, key, sample):
    u = rt.uniform(seed, key, sample, 64)
    assert u.min() >= 0.0 and u.max() < 1.0


def test_normal_moments_and_ks():
    z = rt.normal(1, 2, 3, 100_000)
    assert np.all(np.isfinite(z))
    assert abs(z.mean()) < 6 / math.sqrt(z.size)
    assert abs(z.var() - 1) < 6 * math.sqrt(2 / z.size)
    z.sort()
    cdf = 0.5 * (1 + np.vectorize(math.erf)(z / math.sqrt(2)))
    n = z.size
    d = max((np.arange(1, n + 1) / n - cdf).max(), (cdf - np.arange(n) / n).max())
    assert d < 1.95 / math.sqrt(n) * 1.5   # 1.95: the 0.1% point; 1.5: margin


def test_functions_are_deterministic():
    for fn in (rt.uniform, rt.normal, rt.next64):
        np.testing.assert_array_equal(fn(1, 2, 3, 50), fn(1, 2, 3, 50))
    np.testing.assert_array_equal(rt.below(1, 2, 3, 10, 50), rt.below(1, 2, 3, 10, 50))
