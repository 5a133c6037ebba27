"""Random sampling operations (``pixelpipes.ops.random``).

Distributions are checked over many samples with chi-square or
Kolmogorov-Smirnov statistics against bounds about six standard deviations
out; every pipeline has a fixed seed, so each check is deterministic and
cannot flake.
"""

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import pixelpipes as pp

N = 20_000
SETTINGS = settings(max_examples=20, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


# ------------------------------------------------------------------ helpers

def sample(node_or_fn, n=N, seed=1, threads=2, label="x"):
    """``n`` samples of one output."""
    with pp.Graph() as graph:
        node = node_or_fn() if callable(node_or_fn) else node_or_fn
        pp.Output(node, label)
    return graph.compile(seed=seed).batch(range(n), threads=threads)[label]


def outputs(seed=1, **nodes):
    """A pipeline with one output per keyword."""
    with pp.Graph() as graph:
        for label, node in nodes.items():
            pp.Output(node, label)
    return graph.compile(seed=seed)


def chi2_critical(df, z=6.0):
    """Chi-square critical value ``z`` standard deviations out (Wilson-Hilferty)."""
    h = 2.0 / (9.0 * df)
    return df * (1.0 - h + z * math.sqrt(h)) ** 3


def assert_chi2(observed, probs, min_expected=10.0):
    """Observed counts against probabilities; sparse categories are merged
    (in order) until each bin expects at least ``min_expected``."""
    observed = np.asarray(observed, dtype=np.float64)
    probs = np.asarray(probs, dtype=np.float64)
    total = observed.sum()
    assert abs(probs.sum() - 1) < 1e-9
    expected = probs * total
    assert not observed[probs == 0].any(), "a category of probability 0 occurred"
    bins_o, bins_e, acc_o, acc_e = [], [], 0.0, 0.0
    for o, e in zip(observed, expected):
        acc_o += o
        acc_e += e
        if acc_e >= min_expected:
            bins_o.append(acc_o)
            bins_e.append(acc_e)
            acc_o = acc_e = 0.0
    if acc_e > 0 or acc_o > 0:
        bins_o[-1] += acc_o
        bins_e[-1] += acc_e
    bins_o, bins_e = np.array(bins_o), np.array(bins_e)
    df = len(bins_o) - 1
    if df == 0:     # one possible outcome: nothing more to test
        return
    chi2 = float(((bins_o - bins_e) ** 2 / bins_e).sum())
    assert chi2 < chi2_critical(df), (chi2, chi2_critical(df), df)


def assert_ks(values, cdf):
    """One-sample Kolmogorov-Smirnov: sqrt(n) D < 2.5 (p ~ 1e-5)."""
    x = np.sort(np.asarray(values, dtype=np.float64).ravel())
    n = x.size
    c = cdf(x)
    d = max((np.arange(1, n + 1) / n - c).max(), (c - np.arange(n) / n).max())
    assert math.sqrt(n) * d < 2.5, d


_erf = np.vectorize(math.erf)


def normal_cdf(mean, std):
    return lambda x: 0.5 * (1 + _erf((x - mean) / (std * math.sqrt(2))))


def binomial_pmf(n, p):
    k = np.arange(n + 1)
    if p in (0.0, 1.0):
        return (k == (0 if p == 0 else n)).astype(float)
    logs = [math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1)
            + i * math.log(p) + (n - i) * math.log1p(-p) for i in k]
    return np.exp(logs)


def assert_binomial(values, n, p):
    values = np.asarray(values)
    assert values.dtype == np.int64
    assert values.min() >= 0 and values.max() <= n
    if n <= 5000:
        assert_chi2(np.bincount(values, minlength=n + 1), binomial_pmf(n, p))
        return
    # Large n: bin on the window where the mass is (the pmf outside it is
    # below 1e-30 and counted with the nearest bin).
    mean, sd = n * p, math.sqrt(n * p * (1 - p))
    lo, hi = max(0, int(mean - 12 * sd)), min(n, int(mean + 12 * sd) + 1)
    k = np.arange(lo, hi + 1)
    logs = np.array([math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1)
                     + i * math.log(p) + (n - i) * math.log1p(-p) for i in k])
    probs = np.exp(logs)
    probs /= probs.sum()
    assert values.min() >= lo and values.max() <= hi
    assert_chi2(np.bincount(values - lo, minlength=k.size), probs)


def execution_error(pipeline, index):
    with pytest.raises(pp.ExecutionError) as info:
        pipeline.run(index)
    return info.value


# ------------------------------------------------------------------ uniform

@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_uniform_distribution(dtype):
    x = sample(pp.RandomUniform(-2.0, 3.0, dtype=dtype))
    assert x.dtype == dtype and x.shape == (N,)
    assert x.min() >= -2.0 and x.max() < 3.0
    assert_ks(x, lambda v: (v + 2.0) / 5.0)


def test_uniform_defaults_and_tensor_shape():
    x = sample(pp.RandomUniform(shape=(4, 5)), n=2000)
    assert x.dtype == np.float64 and x.shape == (2000, 4, 5)
    assert x.min() >= 0.0 and x.max() < 1.0
    # Elements of one sample are independent draws: chi-square on a grid of
    # (element, decile).
    deciles = (x.reshape(2000, 20) * 10).astype(np.int64)
    for e in range(20):
        assert_chi2(np.bincount(deciles[:, e], minlength=10), np.full(10, 0.1))
    assert_ks(x, lambda v: v)


def test_uniform_scalar_is_first_element_with_same_key():
    p = outputs(a=pp.RandomUniform(0, 1, key="k"), b=pp.RandomUniform(0, 1, shape=(3,), key="k"))
    batch = p.batch(range(50))
    np.testing.assert_array_equal(batch["a"], batch["b"][:, 0])


@pytest.mark.parametrize("low, high", [(1.0, 2.0), (1.0, 1.0 + 2 ** -50), (-1e308, 1e308),
                                       (0.0, 5e-324), (1e300, 1.0000000000000002e300)])
def test_uniform_float64_bounds(low, high):
    x = sample(pp.RandomUniform(low, high), n=5000)
    assert np.all(np.isfinite(x))
    assert x.min() >= low and x.max() < high


@pytest.mark.parametrize("low, high", [(1.0, 2.0), (1.0, 1.0 + 2 ** -21), (0.0, 1e-45),
                                       (-3e38, 3e38), (1.0, 1.00000011920928955)])
def test_uniform_float32_bounds(low, high):
    """Values are rounded to float32; the ones that would round up to
    ``high`` are redrawn."""
    x = sample(pp.RandomUniform(low, high, dtype=np.float32), n=5000)
    lo, hi = np.float32(low), np.float32(high)
    assert x.dtype == np.float32
    assert x.min() >= lo and x.max() < hi


def test_uniform_adjacent_float32_bounds_split_evenly():
    lo = np.float32(1.0)
    hi = np.nextafter(lo, np.float32(2))
    x = sample(pp.RandomUniform(float(lo), float(hi), dtype=np.float32), n=2000)
    assert np.all(x == lo)


def test_uniform_degenerate_range_is_low():
    x = sample(pp.RandomUniform(2.5, 2.5, shape=(2,)), n=10)
    assert np.all(x == 2.5)
    x = sample(pp.RandomUniform(1.0, 1.0 + 1e-12, dtype=np.float32), n=10)
    assert np.all(x == 1.0)


@SETTINGS
@given(low=st.floats(-1e6, 1e6), width=st.floats(0, 1e6), seed=st.integers(0, 2 ** 64 - 1))
def test_uniform_range_hypothesis(low, width, seed):
    high = low + width
    x = sample(pp.RandomUniform(low, high, shape=(8,)), n=64, seed=seed)
    if low == high:
        assert np.all(x == low)
    else:
        assert x.min() >= low and x.max() < high


def test_uniform_parameters_from_nodes():
    """Bounds that change per sample: high = the sample index."""
    x = sample(lambda: pp.RandomUniform(0.0, pp.SampleIndex(), shape=(3,)), n=500)
    idx = np.arange(500)[:, None]
    assert np.all(x[0] == 0.0)
    assert np.all((x[1:] >= 0) & (x[1:] < idx[1:]))
    scaled = (x[1:] / idx[1:]).ravel()
    assert_ks(scaled, lambda v: v)


# ------------------------------------------------------------------ normal

@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_normal_distribution(dtype):
    x = sample(pp.RandomNormal(2.0, 3.0, dtype=dtype))
    assert x.dtype == dtype and x.shape == (N,)
    assert_ks(x, normal_cdf(2.0, 3.0))
    assert abs(x.mean() - 2.0) < 6 * 3.0 / math.sqrt(N)
    assert abs(x.std() / 3.0 - 1.0) < 6 / math.sqrt(2 * N)


def test_normal_defaults_shape_and_independence():
    x = sample(pp.RandomNormal(shape=(2, 3)), n=5000)
    assert x.shape == (5000, 2, 3) and x.dtype == np.float64
    assert_ks(x, normal_cdf(0.0, 1.0))
    flat = x.reshape(5000, 6)
    corr = np.corrcoef(flat.T)
    assert np.abs(corr - np.eye(6)).max() < 6 / math.sqrt(5000)


def test_normal_zero_std_is_mean():
    assert np.all(sample(pp.RandomNormal(-1.5, 0.0, shape=(4,)), n=20) == -1.5)


def test_normal_parameters_from_nodes():
    x = sample(lambda: pp.RandomNormal(pp.SampleIndex(), 0.5), n=4000)
    assert_ks(x - np.arange(4000), normal_cdf(0.0, 0.5))


# ------------------------------------------------------------------ bernoulli

@pytest.mark.parametrize("p", [0.0, 0.03, 0.3, 0.5, 0.97, 1.0])
def test_bernoulli_distribution(p):
    x = sample(pp.RandomBernoulli(p))
    assert x.dtype == np.bool_ and x.shape == (N,)
    k = int(x.sum())
    if p in (0.0, 1.0):
        assert k == N * p
    else:
        assert abs(k - N * p) < 6 * math.sqrt(N * p * (1 - p))


def test_bernoulli_default_is_half():
    x = sample(pp.RandomBernoulli())
    assert abs(x.sum() - N / 2) < 6 * math.sqrt(N / 4)


def test_bernoulli_probability_from_a_node():
    """p picked per sample from {0, 1}: the coin must follow it exactly."""
    p = outputs(p=(q := pp.RandomChoice([0.0, 1.0])), coin=pp.RandomBernoulli(q))
    b = p.batch(range(1000))
    np.testing.assert_array_equal(b["coin"], b["p"] == 1.0)
    assert 0 < b["coin"].sum() < 1000


@pytest.mark.parametrize("p", [-0.1, 1.5, float("nan"), float("inf")])
def test_bernoulli_static_bad_p_is_a_graph_error(p):
    with pp.Graph() as graph:
        pp.Output(pp.RandomBernoulli(p), "x")
    with pytest.raises(pp.GraphError, match=r"RandomBernoulli.*probability p must be in \[0, 1\]"):
        graph.compile()


def test_bernoulli_bad_p_at_run_time():
    pipeline = outputs(x=pp.RandomBernoulli(pp.RandomChoice([0.5, 2.0], key="p")))
    choice = outputs(c=pp.RandomChoice([0, 1], key="p")).batch(range(50))["c"]
    bad = int(np.flatnonzero(choice == 1)[0])
    good = int(np.flatnonzero(choice == 0)[0])
    pipeline.run(good)
    err = execution_error(pipeline, bad)
    assert err.sample == bad
    assert "RandomBernoulli" in str(err) and f"sample {bad}" in str(err)
    assert "probability p must be in [0, 1], got 2" in str(err)


# ------------------------------------------------------------------ binomial

@pytest.mark.parametrize("n, p", [
    (1, 0.5), (10, 0.3), (20, 0.9), (50, 0.7), (59, 0.5),     # waiting times (n r < 30)
    (61, 0.5), (100, 0.4), (300, 0.2), (1000, 0.5),          # BTPE
    (1000, 0.97), (5000, 0.01),
    (10 ** 6, 1e-5), (10 ** 6, 0.3), (10 ** 9, 1e-3),        # large n
])
def test_binomial_distribution(n, p):
    assert_binomial(sample(pp.RandomBinomial(n, p)), n, p)


def test_binomial_tiny_p_keeps_its_low_bits():
    """p = 1e-12 with n = 1e13: mean 10; log(1 - p) must not lose p."""
    assert_binomial(sample(pp.RandomBinomial(10 ** 13, 1e-12)), 10 ** 13, 1e-12)


def test_binomial_edges():
    p = outputs(zero_n=pp.RandomBinomial(0, 0.5), zero_p=pp.RandomBinomial(7, 0.0),
                one_p=pp.RandomBinomial(7, 1.0), huge=pp.RandomBinomial(2 ** 40, 0.5))
    b = p.batch(range(2000))
    assert np.all(b["zero_n"] == 0) and np.all(b["zero_p"] == 0) and np.all(b["one_p"] == 7)
    sd = math.sqrt(2 ** 40 / 4)
    assert np.all(np.abs(b["huge"] - 2 ** 39) < 7 * sd)
    assert abs(b["huge"].mean() - 2 ** 39) < 6 * sd / math.sqrt(2000)


def test_binomial_parameters_from_nodes():
    x = sample(lambda: pp.RandomBinomial(pp.SampleIndex(), 0.5), n=2000)
    assert np.all((x >= 0) & (x <= np.arange(2000)))
    z = (x[100:] - np.arange(100, 2000) / 2) / np.sqrt(np.arange(100, 2000) / 4)
    assert abs(z.mean()) < 6 / math.sqrt(z.size)
    assert abs(z.std() - 1) < 0.1


@pytest.mark.parametrize("n, p, message", [
    (-1, 0.5, "n must be >= 0"), (5, 1.5, r"probability p must be in \[0, 1\]"),
    (5, float("nan"), r"probability p must be in \[0, 1\]"), (2.0, 0.5, "n must be an integer"),
])
def test_binomial_static_errors(n, p, message):
    with pp.Graph() as graph:
        pp.Output(pp.RandomBinomial(n, p), "x")
    with pytest.raises(pp.GraphError, match="RandomBinomial.*" + message):
        graph.compile()


def test_binomial_negative_n_at_run_time():
    pipeline = outputs(x=pp.RandomBinomial(pp.RandomInteger(-1, 0), 0.5))
    err = execution_error(pipeline, 3)
    assert err.sample == 3 and "RandomBinomial" in str(err)
    assert "number of trials n must be >= 0, got -1" in str(err)


# ------------------------------------------------------------------ integer

@pytest.mark.parametrize("low, high", [(0, 1), (0, 2), (-3, 4), (10, 17), (0, 1000)])
def test_integer_distribution(low, high):
    x = sample(pp.RandomInteger(low, high))
    assert x.dtype == np.int64 and x.shape == (N,)
    assert x.min() >= low and x.max() < high
    if high - low > 1:
        assert_chi2(np.bincount(x - low, minlength=high - low), np.full(high - low, 1 / (high - low)))


def test_integer_full_int64_range():
    lo, hi = -(2 ** 63), 2 ** 63 - 1
    x = sample(pp.RandomInteger(lo, hi), n=4000)
    assert x.dtype == np.int64
    assert x.max() < hi
    # The top three bits split evenly (eight classes).
    classes = ((x.astype(np.uint64) ^ np.uint64(2 ** 63)) >> np.uint64(61)).astype(np.int64)
    assert_chi2(np.bincount(classes, minlength=8), np.full(8, 1 / 8))


@SETTINGS
@given(low=st.integers(-(2 ** 63), 2 ** 63 - 2), width=st.integers(1, 2 ** 64), seed=st.integers(0, 2 ** 64 - 1))
def test_integer_range_hypothesis(low, width, seed):
    high = min(low + width, 2 ** 63 - 1)
    x = sample(pp.RandomInteger(low, high), n=64, seed=seed)
    assert x.min() >= low and x.max() < high


def test_integer_parameters_from_nodes_and_empty_range():
    pipeline = outputs(x=pp.RandomInteger(0, pp.SampleIndex()))
    x = pipeline.batch(range(1, 500))["x"]
    assert np.all((x >= 0) & (x < np.arange(1, 500)))
    err = execution_error(pipeline, 0)
    assert err.sample == 0
    assert "RandomInteger" in str(err) and "sample 0" in str(err) and "empty range [0, 0)" in str(err)
    with pytest.raises(pp.ExecutionError, match=r"RandomInteger.*failed in sample 0"):
        pipeline.batch([5, 0, 7], threads=1)


@pytest.mark.parametrize("low, high, message", [
    (3, 3, r"empty range \[3, 3\)"), (5, 1, r"empty range \[5, 1\)"),
    (0.0, 3, "low must be an integer"), (0, 2.5, "high must be an integer"),
    (np.zeros(2, np.int64), 3, "low must be a scalar"),
])
def test_integer_static_errors(low, high, message):
    with pp.Graph() as graph:
        pp.Output(pp.RandomInteger(low, high), "x")
    with pytest.raises(pp.GraphError, match="RandomInteger.*" + message):
        graph.compile()


# ------------------------------------------------------------------ permutation

def test_permutation_is_uniform():
    x = sample(pp.RandomPermutation(4), n=24_000)
    assert x.dtype == np.int64 and x.shape == (24_000, 4)
    assert np.all(np.sort(x, axis=1) == np.arange(4))
    codes = (x * np.array([64, 16, 4, 1])).sum(axis=1)
    import itertools
    perms = [sum(v * w for v, w in zip(q, (64, 16, 4, 1))) for q in itertools.permutations(range(4))]
    observed = np.array([(codes == c).sum() for c in perms])
    assert observed.sum() == 24_000
    assert_chi2(observed, np.full(24, 1 / 24))


def test_permutation_positions_are_uniform():
    x = sample(pp.RandomPermutation(10), n=5000)
    assert np.all(np.sort(x, axis=1) == np.arange(10))
    for value in range(10):
        pos = np.argmax(x == value, axis=1)
        assert_chi2(np.bincount(pos, minlength=10), np.full(10, 0.1))


def test_permutation_sizes_and_static_shape():
    p = outputs(empty=pp.RandomPermutation(0), one=pp.RandomPermutation(1),
                big=pp.RandomPermutation(1000))
    b = p.batch(range(3))
    assert b["empty"].shape == (3, 0) and b["one"].tolist() == [[0], [0], [0]]
    assert np.all(np.sort(b["big"], axis=1) == np.arange(1000))
    assert p.program.outputs[2].shape == [1000]


def test_permutation_length_from_a_node():
    pipeline = outputs(x=pp.RandomPermutation(pp.SampleIndex()))
    b = pipeline.batch(range(20))
    assert isinstance(b["x"], list)
    for i, perm in enumerate(b["x"]):
        assert perm.dtype == np.int64 and sorted(perm.tolist()) == list(range(i))


def test_permutation_errors():
    with pp.Graph() as graph:
        pp.Output(pp.RandomPermutation(-2), "x")
    with pytest.raises(pp.GraphError, match="RandomPermutation.*n must be >= 0"):
        graph.compile()
    pipeline = outputs(x=pp.RandomPermutation(pp.RandomInteger(-3, -2)))
    err = execution_error(pipeline, 9)
    assert err.sample == 9 and "RandomPermutation" in str(err) and "n must be >= 0, got -3" in str(err)
    pipeline = outputs(x=pp.RandomPermutation(pp.RandomInteger(2 ** 62, 2 ** 62 + 1)))
    with pytest.raises(pp.ExecutionError, match="too large"):
        pipeline.run(0)


# ------------------------------------------------------------------ choices

def test_choice_uniform_distribution():
    x = sample(pp.RandomChoice([10, 20, 30, 40, 50]))
    assert x.dtype == np.int64
    assert set(np.unique(x).tolist()) == {10, 20, 30, 40, 50}
    assert_chi2(np.bincount(x // 10 - 1, minlength=5), np.full(5, 0.2))


@pytest.mark.parametrize("weights", [[1, 0, 3, 6], [0.5, 0.25, 0.25, 0], [0, 0, 1e-300, 0],
                                     [1e300, 1e300, 2e300, 0], [2, 2, 2, 2.0000001]])
def test_choice_weighted_distribution(weights):
    x = sample(pp.RandomChoice(["a", "b", "c", "d"], weights=weights))
    assert isinstance(x, list) and all(isinstance(s, str) for s in x)
    counts = [x.count(s) for s in "abcd"]
    w = np.asarray(weights, dtype=np.float64)
    assert_chi2(counts, w / w.sum())


def test_choice_index_distribution():
    w = [3, 1, 0, 4, 2]
    x = sample(pp.RandomChoiceIndex(w))
    assert x.dtype == np.int64 and x.shape == (N,)
    assert_chi2(np.bincount(x, minlength=5), np.array(w) / sum(w))


def test_choice_of_tensors_strings_and_lists():
    images = [np.zeros((2, 3), np.uint8), np.ones((4,), np.uint8), np.full((1, 1, 2), 7, np.uint8)]
    p = outputs(img=pp.RandomChoice(images), name=pp.RandomChoice(["x", "yy", "zzz"]),
                nested=pp.RandomChoice([[1, 2], [3, 4]]))
    b = p.batch(range(60))
    shapes = {a.shape for a in b["img"]}
    assert shapes == {(2, 3), (4,), (1, 1, 2)}
    for a in b["img"]:
        assert any(a.dtype == im.dtype and a.shape == im.shape and np.array_equal(a, im)
                   for im in images)
    assert set(b["name"]) == {"x", "yy", "zzz"}
    assert {tuple(int(v) for v in item) for item in b["nested"]} == {(1, 2), (3, 4)}


def test_choice_from_a_list_node():
    lst = pp.Constant([np.arange(3), np.arange(5)])
    b = outputs(x=pp.RandomChoice(lst)).batch(range(40))
    assert {len(a) for a in b["x"]} == {3, 5}


def test_choice_type_is_the_item_type():
    p = outputs(x=pp.RandomChoice([np.zeros(3, np.float32), np.ones(3, np.float32)]))
    assert p.program.outputs[0].dtype == "float32" and p.program.outputs[0].shape == [3]
    assert p.batch(range(10))["x"].shape == (10, 3)


def test_choice_weights_from_a_node_match_static_weights():
    w = [1.0, 4.0, 0.0, 2.0]
    p = outputs(static=pp.RandomChoice(list("abcd"), w, key="k"),
                node=pp.RandomChoice(list("abcd"), pp.Constant(np.array(w)), key="k"),
                index=pp.RandomChoiceIndex(pp.Constant(np.array([1, 4, 0, 2], np.int32)), key="k"))
    b = p.batch(range(2000))
    assert b["static"] == b["node"]
    assert b["static"] == ["abcd"[i] for i in b["index"]]
    assert "c" not in b["static"]


@pytest.mark.parametrize("weights, message", [
    ([1, -1], "weight 1 is -1.0"), ([0, 0], "all weights are zero"),
    ([1, float("nan")], "weight 1 is nan"), ([1, float("inf")], "weight 1 is inf"),
    ([1, 2, 3], "3 weights for a list of 2 items"), ([], "weights must not be empty"),
    ([[1, 2]], "one-dimensional"), (["a", "b"], "sequence of numbers"),
    ([1.5e308, 1.5e308], "sum to more than the largest double"),
])
def test_choice_static_weight_errors(weights, message):
    with pytest.raises(pp.GraphError, match=message):
        with pp.Graph() as graph:
            pp.Output(pp.RandomChoice(["x", "y"], weights), "x")
        graph.compile()
    if message not in ("3 weights for a list of 2 items", "one-dimensional"):
        with pytest.raises(pp.GraphError, match="RandomChoiceIndex.*" + message):
            with pp.Graph() as graph:
                pp.Output(pp.RandomChoiceIndex(weights), "x")
            graph.compile()


def test_choice_bad_items():
    for items, message in (([], "empty list"), (np.arange(3), "items must be a list"),
                           ("abc", "items must be a list")):
        with pp.Graph() as graph:
            pp.Output(pp.RandomChoice(items), "x")
        with pytest.raises(pp.GraphError, match="RandomChoice.*" + message):
            graph.compile()
    with pytest.raises(pp.GraphError, match="weights are required"):
        pp.RandomChoiceIndex(None)


def test_choice_weight_node_errors_at_compile_time():
    with pp.Graph() as graph:
        pp.Output(pp.RandomChoice(["x", "y"], pp.Constant(np.ones(3))), "x")
    with pytest.raises(pp.GraphError, match="3 weights for a list of 2 items"):
        graph.compile()
    with pp.Graph() as graph:
        pp.Output(pp.RandomChoice(["x", "y"], pp.Constant(np.ones((2, 1)))), "x")
    with pytest.raises(pp.GraphError, match="weights must be a 1-D tensor"):
        graph.compile()


def test_choice_weight_node_errors_at_run_time():
    """Weights chosen per sample: some samples get bad ones."""
    sets = [np.array([1.0, 2.0]), np.array([-1.0, 2.0]), np.array([0.0, 0.0]),
            np.array([1.0, np.nan]), np.array([1.0, 1.0, 1.0])]
    which = outputs(w=pp.RandomInteger(0, 5, key="w")).batch(range(200))["w"]
    pipeline = outputs(x=pp.RandomChoice(["a", "b"], pp.RandomChoice(sets, key="w")))
    index = outputs(x=pp.RandomChoiceIndex(pp.RandomChoice(sets, key="w")))
    expected = {1: "weight 0 is -1; weights must be finite and >= 0", 2: "all weights are zero",
                3: "weight 1 is nan", 4: "3 weights for a list of 2 items"}
    for k, message in expected.items():
        s = int(np.flatnonzero(which == k)[0])
        err = execution_error(pipeline, s)
        assert err.sample == s and "RandomChoice " in str(err) and message in str(err)
        if k != 4:
            err = execution_error(index, s)
            assert "RandomChoiceIndex" in str(err) and message in str(err)
    s = int(np.flatnonzero(which == 0)[0])
    assert pipeline.run(s)["x"] in ("a", "b")
    assert int(index.run(s)["x"]) in (0, 1)
    assert int(outputs(x=pp.RandomChoiceIndex(pp.RandomChoice(sets, key="w"))).run(
        int(np.flatnonzero(which == 4)[0]))["x"]) in (0, 1, 2)


# ------------------------------------------------------------------ the same decision

def test_same_key_same_decision_across_picking_nodes():
    n = 7
    images = [np.full(2, k) for k in range(n)]
    labels = list(range(100, 100 + n))
    p = outputs(image=pp.RandomChoice(images, key="pair"),
                label=pp.RandomChoice(labels, key="pair"),
                integer=pp.RandomInteger(0, n, key="pair"),
                index=pp.RandomChoiceIndex([2.5] * n, key="pair"),
                other=pp.RandomChoice(labels))
    b = p.batch(range(3000))
    np.testing.assert_array_equal(b["image"][:, 0] + 100, b["label"])
    np.testing.assert_array_equal(b["label"] - 100, b["integer"])
    np.testing.assert_array_equal(b["integer"], b["index"])
    assert (b["other"] != b["label"]).mean() > 0.5


def test_same_key_same_weighted_decision():
    w = [1, 2, 3, 4]
    p = outputs(a=pp.RandomChoice(["a", "b", "c", "d"], w, key=5),
                b=pp.RandomChoice([0, 1, 2, 3], w, key=5),
                i=pp.RandomChoiceIndex(w, key=5),
                scaled=pp.RandomChoiceIndex([0.5, 1, 1.5, 2], key=5))
    b = p.batch(range(3000))
    assert b["a"] == ["abcd"[k] for k in b["b"]]
    np.testing.assert_array_equal(b["b"], b["i"])
    # Proportional weights: the same probabilities, and with these values
    # (exact halves) the same decisions.
    np.testing.assert_array_equal(b["i"], b["scaled"])


def test_switch_uses_choice_index():
    """``pp.Switch`` picks its branch with RandomChoiceIndex."""
    x = sample(lambda: pp.Switch([0, 1, 2], weights=[1, 0, 3]))
    assert_chi2(np.bincount(x, minlength=3), [0.25, 0.0, 0.75])


# ------------------------------------------------------------------ determinism

def every_op():
    with pp.Graph() as graph:
        pp.Output(pp.RandomUniform(-1, 1, shape=(3,)), "uniform")
        pp.Output(pp.RandomUniform(0, 1, dtype=np.float32), "uniform32")
        pp.Output(pp.RandomNormal(0, 2, shape=(2,)), "normal")
        pp.Output(pp.RandomBernoulli(0.3), "bernoulli")
        pp.Output(pp.RandomBinomial(10, 0.4), "binomial")
        pp.Output(pp.RandomBinomial(10 ** 6, 0.4), "btpe")
        pp.Output(pp.RandomInteger(-5, 5), "integer")
        pp.Output(pp.RandomPermutation(5), "permutation")
        pp.Output(pp.RandomChoiceIndex([1, 2, 3]), "index")
        pp.Output(pp.RandomChoice([np.zeros(2), np.ones(3)], weights=[1, 3]), "choice")
        pp.Output(pp.RandomChoice(["a", "b", "c"]), "name")
    return graph


def as_bytes(value):
    if isinstance(value, list):
        return [as_bytes(v) for v in value]
    if isinstance(value, str):
        return value
    return np.asarray(value).tobytes()


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2 ** 64 - 1),
       indices=st.lists(st.integers(0, 2 ** 40), min_size=1, max_size=24),
       threads=st.sampled_from([1, 2, 4]))
def test_same_seed_and_index_same_bytes(seed, indices, threads):
    pipeline = every_op().compile(seed=seed)
    batch = pipeline.batch(indices, threads=threads)
    reversed_batch = pipeline.batch(indices[::-1], threads=1)
    for pos, index in enumerate(indices):
        one = pipeline.run(index)
        for label, value in one.items():
            assert as_bytes(batch[label][pos]) == as_bytes(value)
            assert as_bytes(reversed_batch[label][len(indices) - 1 - pos]) == as_bytes(value)


def test_recompiled_and_saved_pipelines_agree(tmp_path):
    a = every_op().compile(seed=5)
    b = every_op().compile(seed=5)
    a.save(tmp_path / "p.ppl")
    c = pp.load(tmp_path / "p.ppl")
    ba, bb, bc = (p.batch(range(200, 260), threads=2) for p in (a, b, c))
    for label in ba:
        assert as_bytes(ba[label]) == as_bytes(bb[label]) == as_bytes(bc[label])


def test_seeds_and_indices_change_the_draws():
    a = every_op().compile(seed=1).batch(range(300))
    b = every_op().compile(seed=2).batch(range(300))
    for label in ("uniform", "uniform32", "normal"):
        assert len({row.tobytes() for row in a[label]}) == 300
        assert not np.array_equal(a[label], b[label])
    for label in ("bernoulli", "binomial", "btpe", "integer", "permutation", "index"):
        assert not np.array_equal(a[label], b[label])
        assert len({np.asarray(row).tobytes() for row in a[label]}) > 1
    assert as_bytes(a["choice"]) != as_bytes(b["choice"])
    assert a["name"] != b["name"]


def test_structurally_identical_nodes_draw_differently():
    makers = [lambda **k: pp.RandomUniform(0, 1, **k), lambda **k: pp.RandomNormal(**k),
              lambda **k: pp.RandomInteger(0, 10 ** 9, **k),
              lambda **k: pp.RandomPermutation(10, **k),
              lambda **k: pp.RandomChoiceIndex([1] * 1000, **k),
              lambda **k: pp.RandomBinomial(10 ** 6, 0.5, **k)]
    for make in makers:
        p = outputs(a=make(), b=make(), c=make(key="same"), d=make(key="same"))
        b = p.batch(range(100))
        assert not np.array_equal(b["a"], b["b"])
        np.testing.assert_array_equal(b["c"], b["d"])
        assert not np.array_equal(b["a"], b["c"])


def test_explicit_key_is_independent_of_the_rest_of_the_graph():
    def build(extra):
        with pp.Graph() as graph:
            if extra:
                pp.Output(pp.RandomUniform(0, 1), "before")
            pp.Output(pp.RandomUniform(0, 1, key="mine"), "x")
            pp.Output(pp.RandomChoice(list(range(50)), key="pick"), "c")
        return graph.compile(seed=3).batch(range(100))

    a, b = build(False), build(True)
    np.testing.assert_array_equal(a["x"], b["x"])
    np.testing.assert_array_equal(a["c"], b["c"])


def test_golden_values():
    """Pinned draws: a change here changes every pipeline's samples."""
    p = outputs(seed=42, u=pp.RandomUniform(0, 1, key="golden"),
                i=pp.RandomInteger(0, 1000, key="golden"),
                n=pp.RandomNormal(0, 1, key="golden"),
                b=pp.RandomBinomial(1000, 0.5, key="golden"),
                perm=pp.RandomPermutation(5, key="golden"))
    b = p.batch(range(4))
    assert b["i"].tolist() == GOLDEN["i"]
    assert b["u"].tolist() == GOLDEN["u"]
    assert b["n"].tolist() == GOLDEN["n"]
    assert b["b"].tolist() == GOLDEN["b"]
    assert b["perm"].tolist() == GOLDEN["perm"]


GOLDEN = {
    "u": [0.06519835916486305, 0.08422492084888333, 0.6376812464217223, 0.20067513291059957],
    "i": [65, 84, 637, 200],
    "n": [0.1979920447275264, -0.8337875773396102, 1.090777613585633, -1.4311033148162313],
    "b": [502, 489, 508, 493],
    "perm": [[3, 2, 1, 4, 0], [3, 2, 4, 1, 0], [0, 1, 4, 2, 3], [0, 3, 4, 2, 1]],
}


# ------------------------------------------------------------------ NumPy reference

MASK = 2 ** 64 - 1


class ReferenceStream:
    """The stream of (seed, key, sample) from NumPy's Philox: block c is
    NumPy's output for counter (c, sample, 0, 0) - 1 (NumPy increments its
    256-bit counter before each block)."""

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


def node_key(key):
    from pixelpipes.compiler import stable_hash

    return stable_hash("key", 0, str(key))


def test_against_a_numpy_reference():
    seed, key = 2 ** 63 + 12345, node_key("ref")
    p = outputs(seed=seed,
                u=pp.RandomUniform(-3.0, 5.0, shape=(2, 3), key="ref"),
                i=pp.RandomInteger(-10, 10 ** 15, key="ref"),
                coin=pp.RandomBernoulli(0.4, key="ref"),
                perm=pp.RandomPermutation(9, key="ref"),
                pick=pp.RandomChoiceIndex([0.5, 0.0, 2.0, 1.5], key="ref"))
    b = p.batch(range(0, 10 ** 6, 9973))
    for pos, sample in enumerate(b.indices.tolist()):
        r = ReferenceStream(seed, key, sample)
        u = [-3.0 + 8.0 * r.uniform() for _ in range(6)]
        assert b["u"][pos].ravel().tolist() == u
        r = ReferenceStream(seed, key, sample)
        assert int(b["i"][pos]) == -10 + r.below(10 ** 15 + 10)
        r = ReferenceStream(seed, key, sample)
        assert bool(b["coin"][pos]) == (r.uniform() < 0.4)
        r = ReferenceStream(seed, key, sample)
        perm = list(range(9))
        for k in range(8, 0, -1):
            j = r.below(k + 1)
            perm[k], perm[j] = perm[j], perm[k]
        assert b["perm"][pos].tolist() == perm
        r = ReferenceStream(seed, key, sample)
        target, acc = r.uniform() * 4.0, 0.0
        for k, w in enumerate([0.5, 0.0, 2.0, 1.5]):
            acc += w
            if target < acc:
                break
        assert int(b["pick"][pos]) == k


def test_malformed_instructions_fail_cleanly():
    """A hand-edited program must fail the sample, not crash the process."""
    from pixelpipes.pipeline import Pipeline

    def edit(node, change):
        with pp.Graph() as graph:
            pp.Output(node, "x")
        program = graph.compile(seed=1).program
        change(program.code[-1])
        return Pipeline(program)

    edits = [
        (pp.RandomUniform(0, 1, shape=(2,)), lambda op: op.iparams.__setitem__(1, 9)),
        (pp.RandomUniform(0, 1, shape=(2,)), lambda op: op.iparams.__setitem__(0, 0)),
        (pp.RandomNormal(0, 1, shape=(2,)), lambda op: op.iparams.__setitem__(2, 2 ** 62)),
        (pp.RandomNormal(0, 1), lambda op: op.args.pop()),
        (pp.RandomInteger(0, 3), lambda op: op.args.pop()),
        (pp.RandomBernoulli(0.5), lambda op: op.iparams.append(1)),
        (pp.RandomChoice([1, 2]), lambda op: op.iparams.__setitem__(0, 2)),
        (pp.RandomChoiceIndex([1, 2]), lambda op: op.iparams.__setitem__(0, 7)),
    ]
    for node, change in edits:
        with pytest.raises(pp.ExecutionError, match="malformed instruction|too many"):
            edit(node, change).run(0)
