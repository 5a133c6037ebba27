"""Noise, dropout and synthetic images (``pixelpipes.image.noise``).

Most kernels are checked bit for bit against a NumPy/Python replay of their
documented draw rules, fed with the same Philox stream (NumPy's ``Philox``
reproduces it).  Distributions are checked over large samples with bounds
about six standard errors out; every pipeline has a fixed seed, so each check
is deterministic and cannot flake.
"""

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import pixelpipes as pp
from pixelpipes._core import _ops_noise
from pixelpipes.compiler import stable_hash

SETTINGS = settings(max_examples=30, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
MASK = 2 ** 64 - 1
INT_TYPES = [np.uint8, np.uint16, np.int16]
ALL_TYPES = INT_TYPES + [np.float32]
LIMITS = {np.dtype(np.uint8): (0, 255), np.dtype(np.uint16): (0, 65535),
          np.dtype(np.int16): (-32768, 32767)}
FULL = {np.dtype(np.uint8): 255, np.dtype(np.uint16): 65535, np.dtype(np.int16): 32767,
        np.dtype(np.float32): 1.0}


# ------------------------------------------------------------------ helpers

def outputs(seed=1, optimize=True, **nodes):
    with pp.Graph() as graph:
        for label, node in nodes.items():
            pp.Output(node, label)
    return graph.compile(seed=seed, optimize=optimize)


def run(node, seed=1, index=0, optimize=True):
    return outputs(seed=seed, optimize=optimize, x=node).run(index)["x"]


def node_key(key):
    """The stream key of a top-level node created with ``key=key``."""
    return stable_hash("key", 0, str(key))


def execution_error(pipeline, index=0):
    with pytest.raises(pp.ExecutionError) as info:
        pipeline.run(index)
    return info.value


class Words:
    """The stream of (seed, key, sample) from NumPy's Philox (which increments
    its counter before each block), with ``rng_below``/``rng_uniform``."""

    def __init__(self, seed, key, sample):
        value = (sample << 64) - 1 if sample else 2 ** 256 - 1
        counter = [(value >> (64 * i)) & MASK for i in range(4)]
        self.gen = np.random.Philox(key=np.array([seed, key], dtype=np.uint64),
                                    counter=np.array(counter, dtype=np.uint64))

    def next64(self):
        return int(self.gen.random_raw())

    def uniform(self):
        return (self.next64() >> 11) * 2.0 ** -53

    def below(self, n):
        m = self.next64() * n
        if m & MASK < n:
            threshold = (2 ** 64 - n) % n
            while m & MASK < threshold:
                m = self.next64() * n
        return m >> 64


class Halves(Words):
    """The same stream as 32-bit halves, low half first (``Stream``)."""

    def __init__(self, seed, key, sample):
        super().__init__(seed, key, sample)
        self.pending = []

    def next32(self):
        if not self.pending:
            w = self.next64()
            self.pending = [w >> 32, w & 0xFFFFFFFF]
        return self.pending.pop()

    def below32(self, n):
        m = self.next32() * n
        if m & 0xFFFFFFFF < n:
            threshold = (2 ** 32 - n) % n
            while m & 0xFFFFFFFF < threshold:
                m = self.next32() * n
        return m >> 32

    def decisions(self, n, t1, t2):
        """``gen_decisions``: lazy 40-bit uniforms against two thresholds."""
        out = []
        while len(out) < n:
            h = self.next32()
            for k in range(min(4, n - len(out))):
                b = (h >> (8 * k)) & 255
                v = b << 32
                if b == t1 >> 32 or b == t2 >> 32:
                    v |= self.next32()
                out.append(0 if v < t1 else (1 if v < t2 else 2))
        return np.array(out)


def threshold(p):
    return int(math.floor(p * 2.0 ** 40))


def normals(seed, key, sample, n):
    return np.array(_ops_noise._normals(seed, key, sample, n)[0])


def saturate(x, dtype):
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        return x.astype(dtype)
    lo, hi = LIMITS[dtype]
    return np.clip(np.rint(x), lo, hi).astype(dtype)


def chi2_critical(df, z=6.0):
    h = 2.0 / (9.0 * df)
    return df * (1.0 - h + z * math.sqrt(h)) ** 3


def assert_proportion(count, n, p, z=6.0):
    sd = math.sqrt(n * p * (1 - p))
    assert abs(count - n * p) <= z * sd + 1e-9, (count, n * p, sd)


def images(dtypes=ALL_TYPES, max_side=12, channels=(None, 1, 3, 4)):
    """Hypothesis strategy: small random images."""
    @st.composite
    def image(draw):
        dtype = np.dtype(draw(st.sampled_from(dtypes)))
        h = draw(st.integers(1, max_side))
        w = draw(st.integers(1, max_side))
        c = draw(st.sampled_from(channels))
        shape = (h, w) if c is None else (h, w, c)
        seed = draw(st.integers(0, 2 ** 32 - 1))
        rng = np.random.default_rng(seed)
        if dtype.kind == "f":
            return rng.random(shape, dtype=np.float32)
        lo, hi = LIMITS[dtype]
        return rng.integers(lo, hi + 1, shape).astype(dtype)
    return image()


# ------------------------------------------------------------------ random core

@pytest.mark.parametrize("seed,key,sample", [(1, 2, 3), (2 ** 64 - 1, 2 ** 63 + 5, 2 ** 40),
                                             (0, 0, 0)])
def test_stream_halves_are_the_philox_stream(seed, key, sample):
    ref = Halves(seed, key, sample)
    assert _ops_noise._stream_halves(seed, key, sample, 301) == [ref.next32()
                                                                 for _ in range(301)]


def test_det_exp_is_within_one_ulp():
    x = np.concatenate([np.linspace(-700, 700, 20001), np.linspace(-3, 3, 20001),
                        np.geomspace(1e-300, 1, 200)])
    got = np.array([_ops_noise._det_exp(v) for v in x])
    want = np.exp(x)
    ulp = np.spacing(want)
    assert np.all(np.abs(got - want) <= ulp)
    assert _ops_noise._det_exp(0.0) == 1.0


def test_ziggurat_distribution():
    z, used = np.concatenate([normals(7, k, 3, 400_000) for k in range(5)]), 0
    n = z.size
    # Moments: mean, variance, fourth moment within 6 standard errors.
    assert abs(z.mean()) < 6 / math.sqrt(n)
    assert abs(z.var() - 1) < 6 * math.sqrt(2 / n)
    assert abs((z ** 4).mean() - 3) < 6 * math.sqrt(96 / n)
    # Chi-square over 400 equiprobable bins (edges from the normal quantiles).
    from statistics import NormalDist

    edges = [NormalDist().inv_cdf(q) for q in np.linspace(0, 1, 401)[1:-1]]
    counts = np.bincount(np.searchsorted(edges, z), minlength=400)
    expected = n / 400
    chi2 = ((counts - expected) ** 2 / expected).sum()
    assert chi2 < chi2_critical(399)
    # Kolmogorov-Smirnov.
    x = np.sort(z)
    c = np.array([NormalDist().cdf(v) for v in x[::50]])
    d = np.max(np.abs(np.arange(0, n, 50) / n - c))
    assert math.sqrt(n) * d < 2.5
    # Tails: past the ziggurat's r = 3.654 and further.
    for t in (3.0, 3.6541528853610088, 4.0):
        p = 2 * (1 - NormalDist().cdf(t))
        assert_proportion((np.abs(z) > t).sum(), n, p)
    _, used = _ops_noise._normals(3, 4, 5, 100_000)
    assert 1.0 <= used / 100_000 < 1.03      # about one half per deviate


def test_ziggurat_is_deterministic_and_keyed():
    a = normals(1, 2, 3, 1000)
    assert np.array_equal(a, normals(1, 2, 3, 1000))
    assert not np.array_equal(a, normals(1, 2, 4, 1000))
    assert not np.array_equal(a, normals(1, 3, 3, 1000))


# ------------------------------------------------------------------ noise images

@pytest.mark.parametrize("dtype", ALL_TYPES)
@pytest.mark.parametrize("size", [(5, 7), (5, 7, 1), (5, 7, 3), (3, 2, 4), (1, 1)])
def test_gaussian_image_replays_the_ziggurat(dtype, size):
    mean, std = (100.0, 40.0) if np.dtype(dtype).kind != "f" else (0.5, 2.0)
    p = outputs(seed=9, x=pp.GaussianNoiseImage(size, mean, std, dtype=dtype, key="g"))
    for sample in (0, 5):
        out = p.run(sample)["x"]
        assert out.shape == size and out.dtype == dtype
        z = normals(9, node_key("g"), sample, math.prod(size)).reshape(size)
        assert np.array_equal(out, saturate(mean + std * z, dtype))


def test_gaussian_image_statistics():
    out = run(pp.GaussianNoiseImage((500, 400, 2), -1.5, 3.0, key="s"), seed=4)
    n = out.size
    assert out.dtype == np.float32
    assert abs(out.mean() + 1.5) < 6 * 3.0 / math.sqrt(n)
    assert abs(out.std() / 3.0 - 1) < 6 * math.sqrt(0.5 / n)


def test_gaussian_image_saturates_integer_types():
    for dtype in INT_TYPES:
        lo, hi = LIMITS[np.dtype(dtype)]
        out = run(pp.GaussianNoiseImage((64, 64), (lo + hi) / 2, (hi - lo) / 2, dtype=dtype))
        assert out.min() == lo and out.max() == hi


def test_gaussian_image_zero_std_is_the_mean():
    out = run(pp.GaussianNoiseImage((4, 4, 3), 7.4, 0.0, dtype=np.uint8))
    assert np.all(out == 7)


def test_gaussian_image_parameters_per_sample():
    i = pp.SampleIndex()
    p = outputs(x=pp.GaussianNoiseImage((i + 2, 3), i * 10.0, 0.0, key="k"))
    for k in range(3):
        out = p.run(k)["x"]
        assert out.shape == (k + 2, 3) and np.all(out == 10.0 * k)


def test_gaussian_image_bad_parameters():
    with pytest.raises(pp.GraphError, match="std must be >= 0"):
        run(pp.GaussianNoiseImage((4, 4), 0.0, -1.0))
    with pytest.raises(pp.GraphError, match="mean must be finite"):
        run(pp.GaussianNoiseImage((4, 4), float("nan"), 1.0))
    with pytest.raises(pp.GraphError, match="height must be > 0"):
        pp.GaussianNoiseImage((0, 4))
    with pytest.raises(pp.GraphError, match="width must be > 0"):
        pp.GaussianNoiseImage((4, -3))
    with pytest.raises(pp.GraphError, match="channels"):
        pp.GaussianNoiseImage((4, 4, 5))
    with pytest.raises(pp.GraphError, match="size must be"):
        pp.GaussianNoiseImage(4)
    with pytest.raises(pp.GraphError, match="dtype"):
        pp.GaussianNoiseImage((4, 4), dtype=np.int32)
    with pytest.raises(pp.GraphError, match="too large"):
        run(pp.GaussianNoiseImage((2 ** 20, 2 ** 20)))
    i = pp.SampleIndex()
    p = outputs(x=pp.GaussianNoiseImage((4, 4), 0.0, i - 1.0, name="noisy"))
    err = execution_error(p, 0)
    assert err.sample == 0 and "noisy" in str(err) and "GaussianNoiseImage" in str(err)
    assert "std must be >= 0, got -1" in str(err)
    p.run(1)
    p = outputs(x=pp.GaussianNoiseImage((i - 1, 4)))
    assert "image height must be > 0, got -1" in str(execution_error(p, 0))
    p = outputs(x=pp.GaussianNoiseImage((i * 2 ** 40 + 1, 2 ** 20)))
    assert "too large" in str(execution_error(p, 1))
    p = outputs(x=pp.GaussianNoiseImage((4, 4), i * float("nan"), 1.0))
    assert "mean must be finite" in str(execution_error(p, 0))


def test_uniform_image_float_replays_the_stream():
    p = outputs(seed=3, x=pp.UniformNoiseImage((6, 5, 3), -2.0, 3.0, key="u"))
    out = p.run(7)["x"]
    h = Halves(3, node_key("u"), 7)
    want = np.array([-2.0 + 5.0 * (h.next32() * 2.0 ** -32) for _ in range(90)])
    assert out.dtype == np.float32
    assert np.array_equal(out, want.astype(np.float32).reshape(6, 5, 3))


@pytest.mark.parametrize("dtype,low,high", [
    (np.uint8, 0, 256), (np.uint8, 10, 266 - 10), (np.uint8, 3, 17), (np.uint16, 0, 65536),
    (np.uint16, 1000, 1003), (np.int16, -32768, 32768), (np.int16, -100, 100),
    (np.int16, -32768, -32768 + 256)])
def test_uniform_image_integers_replay_the_stream(dtype, low, high):
    n = 7 * 9
    out = run(pp.UniformNoiseImage((7, 9), low, high, dtype=dtype, key="u"), seed=5, index=2)
    h = Halves(5, node_key("u"), 2)
    span = high - low
    want = []
    if span in (256, 65536):
        bits = 8 if span == 256 else 16
        while len(want) < n:
            word = h.next32()
            for k in range(min(32 // bits, n - len(want))):
                want.append(low + ((word >> (bits * k)) & (span - 1)))
    else:
        want = [low + h.below32(span) for _ in range(n)]
    assert out.dtype == dtype
    assert np.array_equal(out, np.array(want).reshape(7, 9))


def test_uniform_image_defaults_cover_the_type():
    for dtype, hi in ((np.uint8, 255), (np.uint16, 65535), (np.int16, 32767)):
        out = run(pp.UniformNoiseImage((256, 256), dtype=dtype))
        assert out.min() >= 0 and out.max() <= hi and out.max() > 0.99 * hi
    out = run(pp.UniformNoiseImage((64, 64)))
    assert out.dtype == np.float32 and 0 <= out.min() and out.max() < 1


def test_uniform_image_distribution():
    out = run(pp.UniformNoiseImage((300, 300, 3), 10, 60, dtype=np.uint8, key="d"), seed=8)
    counts = np.bincount(out.ravel().astype(int) - 10, minlength=50)
    assert counts.size == 50
    expected = out.size / 50
    assert ((counts - expected) ** 2 / expected).sum() < chi2_critical(49)
    f = run(pp.UniformNoiseImage((400, 400), 2.0, 6.0, key="f"), seed=8).astype(np.float64)
    assert abs(f.mean() - 4.0) < 6 * (4 / math.sqrt(12)) / 400


def test_uniform_image_bad_parameters():
    with pytest.raises(pp.GraphError, match="must be an integer"):
        run(pp.UniformNoiseImage((4, 4), 0.5, 10, dtype=np.uint8))
    with pytest.raises(pp.GraphError, match="high must be <= 256"):
        run(pp.UniformNoiseImage((4, 4), 0, 300, dtype=np.uint8))
    with pytest.raises(pp.GraphError, match="low must be >= -32768"):
        run(pp.UniformNoiseImage((4, 4), -40000, 0, dtype=np.int16))
    with pytest.raises(pp.GraphError, match="less than high"):
        run(pp.UniformNoiseImage((4, 4), 5, 5, dtype=np.uint8))
    with pytest.raises(pp.GraphError, match="must not exceed"):
        run(pp.UniformNoiseImage((4, 4), 2.0, 1.0))
    i = pp.SampleIndex()
    p = outputs(x=pp.UniformNoiseImage((4, 4), 0, i * 1000 + 10, dtype=np.uint8, name="u"))
    p.run(0)
    err = execution_error(p, 1)
    assert err.sample == 1 and "need 0 <= low < high <= 256" in str(err)
    p = outputs(x=pp.UniformNoiseImage((4, 4), i + 0.5, 10, dtype=np.uint8))
    assert "must be integers" in str(execution_error(p, 0))


@pytest.mark.parametrize("dtype", ALL_TYPES + [np.bool_])
def test_binary_image_replays_the_decisions(dtype):
    p = 0.3
    out = run(pp.BinaryNoiseImage((9, 7, 2), p, dtype=dtype, key="b"), seed=2, index=4)
    d = Halves(2, node_key("b"), 4).decisions(126, threshold(p), threshold(p))
    assert out.dtype == dtype
    assert np.array_equal(out, (d == 0).reshape(9, 7, 2).astype(dtype))


def test_salt_pepper_image_is_the_binary_mask_scaled():
    for dtype in ALL_TYPES:
        sp = run(pp.SaltPepperNoiseImage((16, 16), 0.4, dtype=dtype, key="m"))
        mask = run(pp.BinaryNoiseImage((16, 16), 0.4, key="m"))
        assert sp.dtype == dtype
        assert np.array_equal(sp, (mask.astype(np.float64) * FULL[np.dtype(dtype)]).astype(dtype))


def test_binary_image_proportions_and_extremes():
    for p in (0.001, 0.25, 0.5, 0.999):
        out = run(pp.BinaryNoiseImage((500, 500), p, key=str(p)), seed=11)
        assert_proportion(int(out.sum()), out.size, p)
    assert not run(pp.BinaryNoiseImage((64, 64), 0.0)).any()
    assert run(pp.BinaryNoiseImage((64, 64), 1.0)).all()


def test_binary_image_bad_probability():
    with pytest.raises(pp.GraphError, match=r"p must be in \[0, 1\]"):
        run(pp.BinaryNoiseImage((4, 4), 1.5))
    with pytest.raises(pp.GraphError, match=r"p must be in \[0, 1\]"):
        run(pp.SaltPepperNoiseImage((4, 4), -0.1))
    i = pp.SampleIndex()
    p = outputs(x=pp.BinaryNoiseImage((4, 4), i * float("nan")))
    assert "p must be in [0, 1], got nan" in str(execution_error(p, 0))


# ------------------------------------------------------------------ noise on images

@SETTINGS
@given(image=images(), std=st.floats(0, 3000), mean=st.floats(-100, 100),
       per_channel=st.booleans(), sample=st.integers(0, 10 ** 6))
def test_add_gaussian_noise_replays(image, std, mean, per_channel, sample):
    if image.dtype == np.float32:
        std, mean = std / 1000, mean / 100
    out = run(pp.AddGaussianNoise(pp.Constant(image), std, mean, per_channel, key="n"),
              seed=6, index=sample)
    assert out.dtype == image.dtype and out.shape == image.shape
    c = 1 if image.ndim == 2 else image.shape[2]
    if std == 0:
        noise = np.full(image.shape, mean)
    elif per_channel or c == 1:
        noise = mean + std * normals(6, node_key("n"), sample, image.size).reshape(image.shape)
    else:
        z = normals(6, node_key("n"), sample, image.size // c)
        noise = (mean + std * z).reshape(image.shape[:2] + (1,))
    assert np.array_equal(out, saturate(image.astype(np.float64) + noise, image.dtype))


@pytest.mark.parametrize("dtype", INT_TYPES)
def test_add_gaussian_noise_saturates(dtype):
    lo, hi = LIMITS[np.dtype(dtype)]
    image = np.linspace(lo, hi, 64 * 64).reshape(64, 64).astype(dtype)
    out = run(pp.AddGaussianNoise(image, (hi - lo) / 4, key="s"))
    z = normals(1, node_key("s"), 0, image.size).reshape(image.shape)
    x = image + (hi - lo) / 4 * z
    assert (x < lo).any() and (x > hi).any()
    assert np.array_equal(out, np.clip(np.rint(x), lo, hi).astype(dtype))
    # Rounding is half to even, as OpenCV's saturate_cast.
    half = np.array([[0, 1, 2, 3]], dtype)
    assert run(pp.AddGaussianNoise(half, 0.0, 0.5)).tolist() == [[0, 2, 2, 4]]


def test_add_gaussian_noise_statistics():
    image = np.full((400, 300, 3), 100, np.uint8)
    out = run(pp.AddGaussianNoise(image, 10.0, 2.0), seed=12).astype(np.float64) - 100
    n = out.size
    assert abs(out.mean() - 2.0) < 6 * 10 / math.sqrt(n)
    # Rounding to integers adds 1/12 to the variance.
    assert abs(out.var() / (100 + 1 / 12) - 1) < 6 * math.sqrt(2 / n)
    shared = run(pp.AddGaussianNoise(image, 10.0, per_channel=False))
    assert np.all(shared == shared[..., :1])
    assert not np.all(out == out[..., :1])


@pytest.mark.parametrize("dtype", ALL_TYPES)
def test_zero_strength_gives_the_input(dtype):
    image = run(pp.UniformNoiseImage((9, 8, 3), dtype=dtype)).copy()
    image[0, 0, 0] = 0
    for node in (pp.AddGaussianNoise(image, 0.0), pp.AddUniformNoise(image, 0.0, 0.0),
                 pp.SaltAndPepper(image, 0.0), pp.PixelDropout(image, 0.0),
                 pp.CoarseDropout(image, 0), pp.Cutout(image, 0),
                 pp.RandomErasing(image, 0.0), pp.EraseRectangles(image, np.zeros((0, 4), int))):
        out = run(node)
        assert out.dtype == image.dtype and out.tobytes() == image.tobytes()
    neg = np.array([[-0.0, 1.5]], np.float32)
    assert run(pp.AddGaussianNoise(neg, 0.0)).tobytes() == neg.tobytes()


def test_float_results_are_not_clipped():
    image = np.full((32, 32), 0.5, np.float32)
    out = run(pp.AddGaussianNoise(image, 2.0))
    assert out.min() < 0 and out.max() > 1
    out = run(pp.AddUniformNoise(image, 1.0, 2.0))
    assert out.min() >= 1.5 and out.max() <= 2.5


@SETTINGS
@given(image=images(), low=st.floats(-300, 300), width=st.floats(0, 300),
       per_channel=st.booleans(), sample=st.integers(0, 10 ** 6))
def test_add_uniform_noise_replays(image, low, width, per_channel, sample):
    if image.dtype == np.float32:
        low, width = low / 300, width / 300
    high = low + width
    out = run(pp.AddUniformNoise(image, low, high, per_channel, key="u"), seed=3, index=sample)
    c = 1 if image.ndim == 2 else image.shape[2]
    h = Halves(3, node_key("u"), sample)
    span = high - low
    if span == 0:
        noise = np.full(image.shape, low)
    elif per_channel or c == 1:
        noise = np.array([low + span * (h.next32() * 2.0 ** -32)
                          for _ in range(image.size)]).reshape(image.shape)
    else:
        noise = np.array([low + span * (h.next32() * 2.0 ** -32)
                          for _ in range(image.size // c)]).reshape(image.shape[:2] + (1,))
    if low == 0 and high == 0:
        assert out.tobytes() == image.tobytes()
    else:
        assert np.array_equal(out, saturate(image.astype(np.float64) + noise, image.dtype))


def test_add_noise_bad_parameters():
    image = np.zeros((4, 4, 3), np.uint8)
    with pytest.raises(pp.GraphError, match="std must be >= 0"):
        run(pp.AddGaussianNoise(image, -1.0))
    with pytest.raises(pp.GraphError, match="std must be finite"):
        run(pp.AddGaussianNoise(image, float("inf")))
    with pytest.raises(pp.GraphError, match="must not exceed"):
        run(pp.AddUniformNoise(image, 5, 1))
    with pytest.raises(pp.GraphError, match="image must be of"):
        run(pp.AddGaussianNoise(np.zeros((4, 4), np.int32), 1.0))
    with pytest.raises(pp.GraphError, match="1 to 4 channels"):
        run(pp.AddGaussianNoise(np.zeros((4, 4, 5), np.uint8), 1.0))
    i = pp.SampleIndex()
    p = outputs(x=pp.AddGaussianNoise(image, 1.0 - i, name="gn"))
    p.run(1)
    err = execution_error(p, 2)
    assert err.sample == 2 and "'gn'" in str(err) and "std must be >= 0, got -1" in str(err)
    p = outputs(x=pp.AddUniformNoise(image, i * float("nan"), 1.0))
    assert "low must be finite" in str(execution_error(p, 0))


@pytest.mark.parametrize("per_channel", [True, False])
@pytest.mark.parametrize("shape", [(7, 6), (7, 6, 1), (7, 6, 3), (5, 4, 4)])
def test_salt_and_pepper_replays(per_channel, shape):
    image = np.random.default_rng(0).integers(1, 250, shape).astype(np.uint8)
    amount, svp = 0.4, 0.3
    out = run(pp.SaltAndPepper(image, amount, svp, per_channel, key="sp"), seed=4, index=9)
    c = 1 if len(shape) == 2 else shape[2]
    n = image.size if per_channel or c == 1 else image.size // c
    d = Halves(4, node_key("sp"), 9).decisions(n, threshold(amount * svp), threshold(amount))
    d = d.reshape(shape if per_channel or c == 1 else shape[:2] + (1,))
    want = np.where(d == 0, 255, np.where(d == 1, 0, image)).astype(np.uint8)
    assert np.array_equal(out, np.broadcast_to(want, shape))


def test_salt_and_pepper_values_and_proportions():
    for dtype in ALL_TYPES:
        image = np.full((200, 200, 3), 7, dtype)
        out = run(pp.SaltAndPepper(image, 0.2, 0.3, key="k"), seed=13)
        salt, pepper = (out == FULL[np.dtype(dtype)]).sum(), (out == 0).sum()
        assert salt + pepper + (out == 7).sum() == out.size
        assert_proportion(salt, out.size, 0.2 * 0.3)
        assert_proportion(pepper, out.size, 0.2 * 0.7)
    out = run(pp.SaltAndPepper(np.full((50, 50, 3), 7, np.uint8), 1.0, 1.0))
    assert np.all(out == 255)
    out = run(pp.SaltAndPepper(np.full((50, 50, 3), 7, np.uint8), 1.0, 0.0))
    assert np.all(out == 0)


def test_salt_and_pepper_bad_parameters():
    image = np.zeros((4, 4), np.uint8)
    with pytest.raises(pp.GraphError, match=r"amount must be in \[0, 1\]"):
        run(pp.SaltAndPepper(image, 2.0))
    with pytest.raises(pp.GraphError, match=r"salt_vs_pepper must be in \[0, 1\]"):
        run(pp.SaltAndPepper(image, 0.1, -0.5))
    i = pp.SampleIndex()
    p = outputs(x=pp.SaltAndPepper(image, 0.1, i * float("nan")))
    assert "salt_vs_pepper must be in [0, 1], got nan" in str(execution_error(p, 0))


@pytest.mark.parametrize("per_channel", [True, False])
@pytest.mark.parametrize("dtype", ALL_TYPES)
def test_pixel_dropout_replays(per_channel, dtype):
    image = run(pp.UniformNoiseImage((8, 9, 3), dtype=dtype)) + np.array(1, dtype)
    value = [3, 300, -7]
    out = run(pp.PixelDropout(image, 0.35, value, per_channel, key="d"), seed=2, index=3)
    n = image.size if per_channel else image.size // 3
    d = Halves(2, node_key("d"), 3).decisions(n, threshold(0.35), threshold(0.35))
    d = d.reshape((8, 9, 3) if per_channel else (8, 9, 1))
    fill = saturate(np.array(value, np.float64), dtype)
    assert np.array_equal(out, np.where(d == 0, fill, image))


def test_pixel_dropout_extremes_and_values():
    image = np.full((30, 30, 3), 9, np.uint8)
    assert np.all(run(pp.PixelDropout(image, 1.0, [1, 2, 3])) == [1, 2, 3])
    out = run(pp.PixelDropout(image, 0.1, 0, key="p"), seed=5)
    dropped = np.all(out == 0, axis=2)
    assert np.all(out[~dropped] == 9)
    assert_proportion(dropped.sum(), dropped.size, 0.1)
    gray = np.full((30, 30), 9, np.uint16)
    assert np.all(run(pp.PixelDropout(gray, 1.0, 70000)) == 65535)
    v = pp.Constant(np.array([5.0, 6.0, 7.0]))
    assert np.all(run(pp.PixelDropout(image, 1.0, v)) == [5, 6, 7])


def test_pixel_dropout_bad_parameters():
    image = np.zeros((4, 4, 3), np.uint8)
    with pytest.raises(pp.GraphError, match="2 values for an image of 3 channels"):
        run(pp.PixelDropout(image, 0.1, [1, 2]))
    with pytest.raises(pp.GraphError, match="value must be finite"):
        run(pp.PixelDropout(image, 0.1, float("nan")))
    with pytest.raises(pp.GraphError, match=r"p must be in \[0, 1\]"):
        run(pp.PixelDropout(image, 1.01))
    with pytest.raises(pp.GraphError, match="value must be a number"):
        pp.PixelDropout(image, 0.1, "red")
    with pytest.raises(pp.GraphError, match="3 values for an image of 2 channels"):
        run(pp.PixelDropout(np.zeros((4, 4, 2), np.uint8), 0.5, pp.Constant(np.ones(3))))
    i = pp.SampleIndex()
    p = outputs(x=pp.PixelDropout(image, 0.1, pp.Constant(np.ones(3)) * i * float("inf")))
    assert "value must be finite" in str(execution_error(p, 1))


def test_pixel_dropout_value_length_checked_at_run_time():
    i = pp.SampleIndex()
    image = np.zeros((4, 4, 2), np.uint8)
    values = pp.Conditional(i > 0, np.ones(3), np.ones(2))      # length unknown statically
    p = outputs(x=pp.PixelDropout(image, 0.5, values, name="drop"))
    p.run(0)
    err = execution_error(p, 1)
    assert "'drop'" in str(err) and "value has 3 values for an image of 2 channels" in str(err)


# ------------------------------------------------------------------ rectangles

def holes_reference(words, H, W, n_range, h_range, w_range, centred):
    """The documented draws of DropoutHoles."""
    def size(extent, lo, hi):
        if isinstance(lo, float):
            s = int(extent * (lo + (hi - lo) * words.uniform()))
        else:
            a, b = min(lo, extent), min(hi, extent)
            s = a + words.below(b - a + 1)
        return min(s, extent)

    n = n_range[0] + words.below(n_range[1] - n_range[0] + 1)
    rows = []
    for _ in range(n):
        h, w = size(H, *h_range), size(W, *w_range)
        if centred:
            y0 = words.below(H) - h // 2
            x0 = words.below(W) - w // 2
            y1, x1 = y0 + h, x0 + w
            y0, x0, y1, x1 = max(y0, 0), max(x0, 0), min(y1, H), min(x1, W)
        else:
            y0, x0 = words.below(H - h + 1), words.below(W - w + 1)
            y1, x1 = y0 + h, x0 + w
        rows.append([x0, y0, x1, y1])
    return np.array(rows, dtype=np.int64).reshape(-1, 4)


@pytest.mark.parametrize("placement", ["inside", "centred"])
@pytest.mark.parametrize("n,h,w", [((1, 5), (2, 9), (0.1, 0.5)), ((3, 3), (0.0, 1.0), (40, 90)),
                                   ((0, 2), (100, 200), (1, 1)), ((2, 4), (0.3, 0.3), (5, 5))])
def test_dropout_holes_replay(placement, n, h, w):
    image = np.zeros((37, 61), np.uint8)
    p = outputs(seed=17, x=pp.DropoutHoles(image, n, h, w, placement=placement, key="h"))
    for sample in (0, 1, 99, 12345):
        got = p.run(sample)["x"]
        want = holes_reference(Words(17, node_key("h"), sample), 37, 61, n, h, w,
                               placement == "centred")
        assert got.dtype == np.int64 and np.array_equal(got, want)


def test_dropout_holes_static_count_and_geometry():
    image = np.zeros((40, 50, 3), np.uint8)
    assert pp.DropoutHoles(image, 3).inputs  # builds
    with pp.Graph() as graph:
        node = pp.DropoutHoles(image, 3, (5, 10), (0.2, 0.4), key="k")
        pp.Output(node, "x")
    b = graph.compile(seed=1).batch(range(300))["x"]
    assert b.shape == (300, 3, 4)
    w, h = b[..., 2] - b[..., 0], b[..., 3] - b[..., 1]
    assert h.min() == 5 and h.max() == 10 and w.min() >= 10 and w.max() <= 20
    assert b[..., 0].min() == 0 and b[..., 2].max() == 50      # reaches both borders
    assert (b[..., :2] >= 0).all() and (b[..., 2] <= 50).all() and (b[..., 3] <= 40).all()
    # The top-left corner is uniform over the possible positions.
    y0 = b[..., 1][h == 5]
    counts = np.bincount(y0, minlength=36)
    expected = y0.size / 36
    assert counts.size == 36 and ((counts - expected) ** 2 / expected).sum() < chi2_critical(35)


def test_dropout_holes_bad_parameters():
    image = np.zeros((10, 10), np.uint8)
    with pytest.raises(pp.GraphError, match="mixes integers"):
        run(pp.DropoutHoles(image, 1, (2, 0.5)))
    with pytest.raises(pp.GraphError, match="min > max"):
        run(pp.DropoutHoles(image, (3, 1)))
    with pytest.raises(pp.GraphError, match="must be >= 0"):
        run(pp.DropoutHoles(image, 1, (-2, 3)))
    with pytest.raises(pp.GraphError, match=r"fractions must be in \[0, 1\]"):
        run(pp.DropoutHoles(image, 1, (0.5, 1.5)))
    with pytest.raises(pp.GraphError, match="placement"):
        pp.DropoutHoles(image, placement="outside")
    with pytest.raises(pp.GraphError, match="at most"):
        run(pp.DropoutHoles(image, (1, 2 ** 30)))
    i = pp.SampleIndex()
    p = outputs(x=pp.DropoutHoles(image, (i * 5, 3), name="holes"))
    p.run(0)
    err = execution_error(p, 1)
    assert "'holes'" in str(err) and "number of holes must satisfy 0 <= min <= max" in str(err)
    p = outputs(x=pp.DropoutHoles(image, 1, (0.1, i * 2.0)))
    assert "fractions must satisfy" in str(execution_error(p, 1))


def erasing_reference(words, H, W, p, scale, ratio):
    """torchvision's RandomErasing.get_params with the documented draws."""
    if not words.uniform() < p:
        return np.zeros((0, 4), np.int64)
    area = H * W
    l0, l1 = math.log(ratio[0]), math.log(ratio[1])
    for _ in range(10):
        erase = area * (scale[0] + (scale[1] - scale[0]) * words.uniform())
        aspect = math.exp(l0 + (l1 - l0) * words.uniform())
        h = round(math.sqrt(erase * aspect))
        w = round(math.sqrt(erase / aspect))
        if not (h < H and w < W):
            continue
        y, x = words.below(H - h + 1), words.below(W - w + 1)
        return np.array([[x, y, x + w, y + h]], np.int64)
    return np.zeros((0, 4), np.int64)


@pytest.mark.parametrize("p,scale,ratio", [(0.5, (0.02, 0.33), (0.3, 3.3)),
                                           (1.0, (0.5, 0.9), (0.2, 5.0)),
                                           (1.0, (0.95, 1.0), (3.0, 4.0)),
                                           (0.9, (0.0, 0.0), (1.0, 1.0))])
def test_erasing_box_replays_torchvision_sampling(p, scale, ratio):
    image = np.zeros((45, 70, 3), np.uint8)
    pipe = outputs(seed=21, x=pp.ErasingBox(image, p, scale, ratio, key="e"))
    seen = 0
    for sample in range(60):
        got = pipe.run(sample)["x"]
        want = erasing_reference(Words(21, node_key("e"), sample), 45, 70, p, scale, ratio)
        assert np.array_equal(got, want), sample
        seen += len(got)
    assert (seen > 0) == (scale[0] < 0.9)


def test_random_erasing_probability_and_region():
    image = np.full((40, 50, 3), 200, np.uint8)
    with pp.Graph() as graph:
        pp.Output(pp.RandomErasing(image, 0.3, value=(1, 2, 3), key="r"), "x")
    b = graph.compile(seed=3).batch(range(2000))["x"]
    erased = (b != 200).any(axis=(1, 2, 3))
    assert_proportion(erased.sum(), 2000, 0.3, z=6)  # 10 attempts rarely all fail here
    one = b[np.argmax(erased)]
    mask = (one == [1, 2, 3]).all(axis=2)
    ys, xs = np.nonzero(mask)
    assert mask.sum() == (np.ptp(ys) + 1) * (np.ptp(xs) + 1)        # one rectangle
    assert np.all(one[~mask] == 200)


def test_erasing_box_bad_parameters():
    image = np.zeros((10, 10), np.uint8)
    with pytest.raises(pp.GraphError, match="min > max"):
        run(pp.ErasingBox(image, 0.5, (0.5, 0.1)))
    with pytest.raises(pp.GraphError, match="ratio must be > 0"):
        run(pp.ErasingBox(image, 0.5, (0.1, 0.2), (0.0, 1.0)))
    with pytest.raises(pp.GraphError, match=r"p must be in \[0, 1\]"):
        run(pp.RandomErasing(image, 2.0))
    with pytest.raises(pp.GraphError, match="scale must be finite"):
        run(pp.RandomErasing(image, 0.5, (0.1, float("nan"))))
    i = pp.SampleIndex()
    p = outputs(x=pp.ErasingBox(image, 0.5, (0.1, 0.2), (1.0 - i, 2.0), name="box"))
    err = execution_error(p, 1)
    assert "'box'" in str(err) and "ratio must satisfy 0 < min <= max, got (0, 2)" in str(err)


def fill_reference(image, rects, value):
    out = image.copy()
    H, W = image.shape[:2]
    fill = saturate(np.array(value, np.float64), image.dtype)
    for x0, y0, x1, y1 in np.asarray(rects).reshape(-1, 4):
        x0, x1 = np.clip([x0, x1], 0, W)
        y0, y1 = np.clip([y0, y1], 0, H)
        if x1 > x0 and y1 > y0:
            out[y0:y1, x0:x1] = fill
    return out


@SETTINGS
@given(image=images(), data=st.data())
def test_erase_rectangles_against_numpy(image, data):
    H, W = image.shape[:2]
    c = 1 if image.ndim == 2 else image.shape[2]
    coord = st.integers(-5, 20)
    rects = np.array(data.draw(st.lists(st.lists(coord, min_size=4, max_size=4), max_size=5)),
                     dtype=np.int64).reshape(-1, 4)
    value = data.draw(st.one_of(st.floats(-1e5, 1e5),
                                st.lists(st.floats(-1e5, 1e5), min_size=c, max_size=c)))
    want = fill_reference(image, rects, value)
    for optimize in (True, False):
        assert np.array_equal(run(pp.EraseRectangles(image, rects, value),
                                  optimize=optimize), want)


def test_erase_rectangles_forms_and_errors():
    image = np.arange(48, dtype=np.uint8).reshape(4, 4, 3)
    one = run(pp.EraseRectangles(image, np.array([1, 1, 3, 2]), 0))
    assert np.array_equal(one, fill_reference(image, [[1, 1, 3, 2]], 0))
    assert np.array_equal(run(pp.EraseRectangles(image, np.array([[-9, -9, 99, 99]]), 7)),
                          np.full_like(image, 7))
    with pytest.raises(pp.GraphError, match="rectangles must be integers"):
        run(pp.EraseRectangles(image, np.zeros((1, 4), np.float32)))
    with pytest.raises(pp.GraphError, match="n x 4"):
        run(pp.EraseRectangles(image, np.zeros((1, 3), np.int64)))
    with pytest.raises(pp.GraphError, match="value must be a number"):
        pp.EraseRectangles(image, np.zeros((1, 4), np.int64), "blue")


def test_erase_rectangles_random_fill():
    image = np.zeros((60, 80, 3), np.float32)
    rects = np.array([[10, 5, 70, 55], [-10, -10, 5, 5]])
    out = run(pp.EraseRectangles(image, rects, "random", key="r"), seed=2)
    z = normals(2, node_key("r"), 0, 60 * 50 * 3 + 5 * 5 * 3)
    assert np.array_equal(out[5:55, 10:70].ravel(), z[:9000].astype(np.float32))
    assert np.array_equal(out[0:5, 0:5].ravel(), z[9000:].astype(np.float32))
    assert np.all(out[55:] == 0)
    ints = run(pp.EraseRectangles(np.zeros((100, 100), np.uint8), np.array([[0, 0, 100, 100]]),
                                  "random", key="i"), seed=2)
    counts = np.bincount(ints.ravel(), minlength=256)
    assert counts.size == 256
    assert ((counts - 10000 / 256) ** 2 / (10000 / 256)).sum() < chi2_critical(255)
    s16 = run(pp.EraseRectangles(np.zeros((50, 50), np.int16), np.array([0, 0, 50, 50]),
                                 "random"))
    assert s16.min() >= 0 and s16.max() <= 32767 and s16.max() > 30000


@pytest.mark.parametrize("dtype", ALL_TYPES)
def test_coarse_dropout_and_cutout_geometry(dtype):
    image = np.full((30, 40, 3), 5, dtype)
    with pp.Graph() as graph:
        pp.Output(pp.CoarseDropout(image, 1, 7, 9, value=(1, 2, 3)), "coarse")
        pp.Output(pp.Cutout(image, 1, 8, value=0), "cutout")
    b = graph.compile(seed=4).batch(range(200))
    for out in b["coarse"]:
        mask = (out == np.array([1, 2, 3], dtype)).all(axis=2)
        ys, xs = np.nonzero(mask)
        assert mask.sum() == 63 and np.ptp(ys) == 6 and np.ptp(xs) == 8
        assert np.all(out[~mask] == 5)
    clipped = 0
    for out in b["cutout"]:
        mask = (out == 0).all(axis=2)
        ys, xs = np.nonzero(mask)
        assert 1 <= mask.sum() <= 64 and mask.sum() == (np.ptp(ys) + 1) * (np.ptp(xs) + 1)
        clipped += mask.sum() < 64
    assert 0.1 < clipped / 200 < 0.6      # centres near the border cut smaller holes


def test_same_holes_on_image_and_mask():
    image = run(pp.UniformNoiseImage((32, 32, 3), dtype=np.uint8))
    mask = np.ones((32, 32), np.uint8)
    holes = pp.DropoutHoles(image, (2, 4), (4, 8), (4, 8))
    p = outputs(i=pp.EraseRectangles(image, holes, 0), m=pp.EraseRectangles(mask, holes, 0),
                h=holes)
    s = p.run(3)
    assert np.array_equal(s["i"], fill_reference(image, s["h"], 0))
    assert np.array_equal(s["m"], fill_reference(mask, s["h"], 0))


def test_dropout_macros_fill_random_and_errors():
    image = np.zeros((20, 20), np.float32)
    out = run(pp.CoarseDropout(image, 2, 0.5, 0.5, value="random"))
    assert (out != 0).sum() >= 100
    with pytest.raises(pp.GraphError, match="'random'"):
        pp.CoarseDropout(image, value="noise")
    with pytest.raises(pp.GraphError, match="holes must be a number or a"):
        pp.Cutout(image, holes="many")


# ------------------------------------------------------------------ synthetic images

@pytest.mark.parametrize("dtype", ALL_TYPES)
def test_constant_image(dtype):
    for optimize in (True, False):
        out = run(pp.ConstantImage((3, 4, 3), [1.6, -5, 1e6], dtype=dtype), optimize=optimize)
        assert out.shape == (3, 4, 3) and out.dtype == dtype
        assert np.array_equal(out, np.broadcast_to(saturate(np.array([1.6, -5, 1e6]), dtype),
                                                   (3, 4, 3)))
    assert np.array_equal(run(pp.ConstantImage((2, 2), 2.5, dtype=np.uint8)),
                          np.full((2, 2), 2, np.uint8))
    assert run(pp.ConstantImage((1, 1, 1), 3.0)).shape == (1, 1, 1)
    i = pp.SampleIndex()
    p = outputs(x=pp.ConstantImage((i + 1, 2, 4), i * 1.0, dtype=np.int16))
    assert np.array_equal(p.run(3)["x"], np.full((4, 2, 4), 3, np.int16))


def test_constant_image_errors():
    with pytest.raises(pp.GraphError, match="3 values for an image of 4 channels"):
        run(pp.ConstantImage((2, 2, 4), [1, 2, 3]))
    with pytest.raises(pp.GraphError, match="value must be finite"):
        run(pp.ConstantImage((2, 2), float("inf")))
    i = pp.SampleIndex()
    p = outputs(x=pp.ConstantImage((2, i - 5), 1.0, name="c"))
    err = execution_error(p, 0)
    assert "'c'" in str(err) and "image width must be > 0, got -5" in str(err)


def gradient_reference(H, W, start, end, angle, dtype):
    a = angle % 360
    c, s = {0: (1, 0), 90: (0, 1), 180: (-1, 0), 270: (0, -1)}.get(
        a, (math.cos(math.radians(a)), math.sin(math.radians(a))))
    ax, by = min(0, c * (W - 1)), min(0, s * (H - 1))
    d = abs(c) * (W - 1) + abs(s) * (H - 1)
    x, y = np.arange(W), np.arange(H)
    tx = (c * x - ax) / d if d > 0 else np.zeros(W)
    ty = (s * y - by) / d if d > 0 else np.zeros(H)
    t = np.minimum(tx[None, :] + ty[:, None], 1.0)[..., None]
    start, end = np.atleast_1d(start).astype(float), np.atleast_1d(end).astype(float)
    return saturate((1 - t) * start + t * end, dtype)


@SETTINGS
@given(h=st.integers(1, 20), w=st.integers(1, 20), c=st.sampled_from([None, 1, 3]),
       dtype=st.sampled_from(ALL_TYPES), angle=st.one_of(
           st.sampled_from([0.0, 90.0, 180.0, 270.0, -90.0, 450.0]), st.floats(-720, 720)),
       start=st.floats(-1000, 1000), end=st.floats(-1000, 1000))
def test_linear_gradient_against_numpy(h, w, c, dtype, angle, start, end):
    size = (h, w) if c is None else (h, w, c)
    out = run(pp.LinearGradientImage(size, start, end, angle, dtype=dtype))
    want = np.broadcast_to(gradient_reference(h, w, start, end, angle, dtype),
                           (h, w, c or 1)).reshape(size)
    assert out.shape == size and out.dtype == dtype
    if np.dtype(dtype).kind == "f":
        np.testing.assert_allclose(out, want, rtol=1e-5, atol=1e-4 * max(abs(start), abs(end)))
    else:
        # Exact for the axis directions; within 1 (a rounding tie) for others.
        tol = 0 if angle % 90 == 0 else 1
        assert np.abs(out.astype(int) - want.astype(int)).max() <= tol


def test_linear_gradient_directions_and_channels():
    h = run(pp.LinearGradientImage((2, 5), 0, 100, dtype=np.uint8))
    assert h.tolist() == [[0, 25, 50, 75, 100]] * 2
    v = run(pp.LinearGradientImage((3, 2), 10, 30, "vertical", dtype=np.uint8), optimize=False)
    assert v.tolist() == [[10, 10], [20, 20], [30, 30]]
    d = run(pp.LinearGradientImage((3, 3, 2), [0, 1], [1, 0], 45))
    assert d[0, 0].tolist() == [0, 1] and np.allclose(d[2, 2], [1, 0], atol=1e-12)
    assert np.allclose(d[1, 1], 0.5) and np.allclose(d[0, 2], 0.5)
    assert np.all(run(pp.LinearGradientImage((1, 1), 7, 9)) == 7)
    i = pp.SampleIndex()
    p = outputs(x=pp.LinearGradientImage((2, 3), 0, 1, i * 180.0))
    assert p.run(1)["x"][0].tolist() == [1.0, 0.5, 0.0]


def test_linear_gradient_errors():
    with pytest.raises(pp.GraphError, match="direction must be"):
        pp.LinearGradientImage((2, 2), direction="diagonal")
    with pytest.raises(pp.GraphError, match="angle must be finite"):
        run(pp.LinearGradientImage((2, 2), 0, 1, float("nan")))
    with pytest.raises(pp.GraphError, match="end has 2 values"):
        run(pp.LinearGradientImage((2, 2, 3), 0, [1, 2]))
    i = pp.SampleIndex()
    p = outputs(x=pp.LinearGradientImage((2, 2), 0, 1, i * float("inf")))
    assert "angle must be finite" in str(execution_error(p, 1))


# ------------------------------------------------------------------ determinism

def all_random_ops():
    i = pp.SampleIndex()
    image = pp.UniformNoiseImage((24, 20, 3), dtype=np.uint8)
    return {
        "gauss": pp.GaussianNoiseImage((9, 11, 2), 1.0, 2.0),
        "unif": image,
        "bin": pp.BinaryNoiseImage((13, 7), 0.3),
        "sp_img": pp.SaltPepperNoiseImage((13, 7), 0.3, dtype=np.uint16),
        "add_g": pp.AddGaussianNoise(image, 15.0, per_channel=False),
        "add_u": pp.AddUniformNoise(image, -20, i % 7 * 3.0),
        "sap": pp.SaltAndPepper(image, 0.1),
        "drop": pp.PixelDropout(image, 0.2, (1, 2, 3)),
        "coarse": pp.CoarseDropout(image, (1, 3), (2, 6), (0.1, 0.3), value="random"),
        "cutout": pp.Cutout(image, 2, 5),
        "erase": pp.RandomErasing(image, 0.7),
    }


def test_threads_batches_and_order_do_not_matter():
    pipeline = outputs(seed=77, **all_random_ops())
    indices = [5, 0, 1000, 3, 3, 17, 2 ** 40, 8, 9, 10, 11, 12]
    single = [pipeline.run(k) for k in indices]
    for threads in (1, 2, 4):
        batch = pipeline.batch(indices, threads=threads)
        for pos, one in enumerate(single):
            for label, value in one.items():
                assert np.asarray(batch[label][pos]).tobytes() == value.tobytes(), (label,
                                                                                     threads)
    reverse = pipeline.batch(indices[::-1], threads=2)
    for pos, one in enumerate(single[::-1]):
        for label, value in one.items():
            assert np.asarray(reverse[label][pos]).tobytes() == value.tobytes()


def test_samples_and_seeds_differ():
    a = outputs(seed=1, **all_random_ops())
    b = outputs(seed=2, **all_random_ops())
    s0, s1, t0 = a.run(0), a.run(1), b.run(0)
    for label in ("gauss", "unif", "bin", "sp_img", "add_g", "sap", "drop"):
        assert s0[label].tobytes() != s1[label].tobytes(), label
        assert s0[label].tobytes() != t0[label].tobytes(), label


def test_random_nodes_draw_independently():
    image = np.full((30, 30), 100, np.uint8)
    p = outputs(a=pp.AddGaussianNoise(image, 5.0), b=pp.AddGaussianNoise(image, 5.0),
                c=pp.AddGaussianNoise(image, 5.0, key="k"),
                d=pp.AddGaussianNoise(image, 5.0, key="k"))
    s = p.run(0)
    assert not np.array_equal(s["a"], s["b"])
    assert np.array_equal(s["c"], s["d"])


# ------------------------------------------------------------------ robustness

def test_malformed_instructions_fail_cleanly():
    from pixelpipes.pipeline import Pipeline

    def edit(node, change):
        with pp.Graph() as graph:
            pp.Output(node, "x")
        program = graph.compile(seed=1, optimize=False).program
        change(program.code[-1])
        return Pipeline(program)

    image = np.zeros((4, 4, 3), np.uint8)
    edits = [
        (pp.GaussianNoiseImage((4, 4)), lambda op: op.iparams.__setitem__(0, 5)),
        (pp.GaussianNoiseImage((4, 4)), lambda op: op.iparams.__setitem__(2, 3)),
        (pp.UniformNoiseImage((4, 4)), lambda op: op.args.pop()),
        (pp.BinaryNoiseImage((4, 4)), lambda op: op.fparams.clear()),
        (pp.AddGaussianNoise(image, 1.0), lambda op: op.iparams.clear()),
        (pp.DropoutHoles(image), lambda op: op.args.pop()),
        (pp.ErasingBox(image), lambda op: op.iparams.append(1)),
        (pp.LinearGradientImage((4, 4)), lambda op: op.iparams.__setitem__(1, 7)),
    ]
    for node, change in edits:
        with pytest.raises(pp.ExecutionError, match="malformed instruction"):
            edit(node, change).run(0)


def test_one_pixel_and_four_channel_images():
    for shape in [(1, 1), (1, 1, 1), (1, 1, 4), (3, 1, 4)]:
        image = np.full(shape, 10, np.uint8)
        for node in (pp.AddGaussianNoise(image, 3.0), pp.SaltAndPepper(image, 0.5),
                     pp.PixelDropout(image, 0.5, 0), pp.CoarseDropout(image, 1, 1, 1),
                     pp.Cutout(image, 3, 2), pp.RandomErasing(image, 1.0)):
            out = run(node)
            assert out.shape == shape and out.dtype == np.uint8
