"""Tensor operations against NumPy.

Every operation runs three ways: with constant inputs folded at compile time
(``graph.compile()``), with the same constants run by the kernels
(``optimize=False``), and with inputs only known at run time (picked from a
constant list by ``pp.SampleIndex()``, so that their static shapes are vaguer).
"""

import doctest
import os
import re
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import pixelpipes as pp
import pixelpipes.ops.tensors
from pixelpipes.types import Tensor

SETTINGS = settings(max_examples=40, deadline=None)
MODES = ["fold", "kernel", "dynamic"]
HERE = os.path.basename(__file__)   # error messages name the file that built the node
SITE = re.escape(HERE)
DTYPES = [np.bool_, np.uint8, np.int16, np.uint16, np.int32, np.int64, np.float32, np.float64]


# ---------------------------------------------------------------- helpers

def dynamic(value, decoy):
    """A value known only at run time: ``value`` in sample 0 and ``decoy`` in
    sample 1, so its static type is the join of both."""
    return pp.GetElement(pp.Constant([value, decoy]), pp.SampleIndex())


def decoy_of(arr):
    """An array of the same dtype and rank, of another shape."""
    return np.zeros(tuple(d + 1 for d in arr.shape), arr.dtype)


def make_input(value, mode):
    if mode == "dynamic":
        if isinstance(value, list):
            return dynamic(value, [decoy_of(v) for v in value] + value[:1])
        return dynamic(value, decoy_of(value))
    return pp.Constant(value)


def evaluate(build, mode="fold", *, index=0, with_type=False, threads=None):
    with pp.Graph() as graph:
        pp.Output(build(), "out")
    pipeline = graph.compile(seed=3, optimize=(mode == "fold"))
    value = pipeline.run(index)["out"]
    if threads is not None:
        batch = pipeline.batch([index] * 3, threads=threads)["out"]
        for row in batch:
            assert np.array_equal(np.asarray(row), value, equal_nan=value.dtype.kind == "f")
    if with_type:
        return value, pipeline.program.outputs[0].type
    return value


def assert_same(got, want):
    want = np.asarray(want)
    assert isinstance(got, np.ndarray)
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    assert got.shape == want.shape, (got.shape, want.shape)
    assert np.array_equal(got, want, equal_nan=want.dtype.kind == "f")


@st.composite
def arrays(draw, min_rank=0, max_rank=4, max_dim=4, dtypes=DTYPES, min_dim=0):
    dtype = np.dtype(draw(st.sampled_from(dtypes)))
    rank = draw(st.integers(min_rank, max_rank))
    shape = tuple(draw(st.lists(st.integers(min_dim, max_dim), min_size=rank, max_size=rank)))
    return random_array(draw, dtype, shape)


def random_array(draw, dtype, shape):
    n = int(np.prod(shape))
    data = draw(st.lists(st.integers(-300, 300), min_size=n, max_size=n))
    with np.errstate(all="ignore"):
        return np.array(data, dtype=np.int64).reshape(shape).astype(dtype)


def raises_execution(build, sample, *words, mode="kernel"):
    with pytest.raises(pp.ExecutionError) as err:
        evaluate(build, mode, index=sample)
    message = str(err.value)
    assert err.value.sample == sample and f"sample {sample}" in message
    assert HERE in message
    for w in words:
        assert w in message, message


def raises_graph(build, cls_name, *words, optimize=True):
    with pytest.raises(pp.GraphError) as err:
        with pp.Graph() as graph:
            pp.Output(build(), "out")
        graph.compile(optimize=optimize)
    message = str(err.value)
    assert cls_name in message and HERE in message, message
    for w in words:
        assert w in message, message


# ---------------------------------------------------------------- Stack

@st.composite
def same_shape_arrays(draw, max_rank=3):
    first = draw(arrays(max_rank=max_rank))
    n = draw(st.integers(1, 4))
    return [first] + [random_array(draw, first.dtype, first.shape) for _ in range(n - 1)]


@SETTINGS
@given(items=same_shape_arrays(), data=st.data(), mode=st.sampled_from(MODES),
       as_list=st.booleans())
def test_stack_is_np_stack(items, data, mode, as_list):
    axis = data.draw(st.integers(-items[0].ndim - 1, items[0].ndim))
    def build():
        if as_list:
            return pp.Stack(make_input(items, mode), axis=axis)
        return pp.Stack(*[make_input(a, mode) for a in items], axis=axis)

    got, t = evaluate(build, mode, with_type=True)
    want = np.stack(items, axis=axis)
    assert_same(got, want)
    if mode != "dynamic":
        assert t == str(Tensor(want.dtype, want.shape))


def test_stack_of_a_python_list_and_of_list_nodes():
    a, b = np.arange(6).reshape(2, 3), np.ones((2, 3), np.int64)
    assert_same(evaluate(lambda: pp.Stack([a, b], axis=1)), np.stack([a, b], axis=1))
    assert_same(evaluate(lambda: pp.Stack([a, pp.Constant(b)], axis=2), "kernel"),
                np.stack([a, b], axis=2))
    assert_same(evaluate(lambda: pp.Stack(pp.TensorToList(a), axis=-1), "kernel"),
                np.stack(list(a), axis=-1))


def test_stack_of_an_empty_list():
    items = [np.ones((2, 3), np.int16)] * 2
    got = evaluate(lambda: pp.Stack(pp.Sublist(items, pp.SampleIndex()), axis=1), index=9)
    assert_same(got, np.zeros((2, 0, 3), np.int16))


def test_stack_errors():
    raises_graph(lambda: pp.Stack(np.zeros(2), np.zeros(3)), "Stack", "differ")
    raises_graph(lambda: pp.Stack(np.zeros(2), np.zeros(2, np.float32)), "Stack",
                 "different dtypes", "Cast")
    raises_graph(lambda: pp.Stack(np.zeros(2), axis=2), "Stack", "axis 2 is out of bounds")
    raises_graph(lambda: pp.Stack(np.zeros((1,) * 8)), "Stack", "8 dimensions")
    raises_graph(lambda: pp.Stack(["a", "b"]), "Stack", "tensor")
    raises_graph(lambda: pp.Stack([np.zeros(2), np.zeros(3)]), "Stack", "item 1 has shape (3,)")
    with pytest.raises(pp.GraphError, match=rf"Stack .*{SITE}.*axis"):
        pp.Stack(np.zeros(2), axis=1.0)
    with pytest.raises(pp.GraphError, match=rf"Stack .*{SITE}"):
        pp.Stack()
    raises_execution(lambda: pp.Stack(dynamic(np.zeros(2), np.zeros(3)), np.zeros(3)), 0,
                     "Stack", "item 1 has shape (3,), item 0 has (2,)")
    raises_execution(lambda: pp.Stack(dynamic(np.zeros(2), np.zeros((3, 3))), axis=2), 0,
                     "Stack", "axis 2 is out of bounds for rank 2")
    raises_execution(lambda: pp.Stack([np.zeros(2), np.zeros(3)]), 0, "Stack", "item 1")


# ---------------------------------------------------------------- Concatenate

@st.composite
def concatenable(draw):
    dtype = np.dtype(draw(st.sampled_from(DTYPES)))
    rank = draw(st.integers(1, 4))
    shape = list(draw(st.lists(st.integers(0, 3), min_size=rank, max_size=rank)))
    axis = draw(st.integers(-rank, rank - 1))
    items = []
    for _ in range(draw(st.integers(1, 4))):
        shape[axis] = draw(st.integers(0, 3))
        items.append(random_array(draw, dtype, tuple(shape)))
    return items, axis


@SETTINGS
@given(case=concatenable(), mode=st.sampled_from(MODES), as_list=st.booleans())
def test_concatenate_is_np_concatenate(case, mode, as_list):
    items, axis = case
    def build():
        if as_list:
            return pp.Concatenate(make_input(items, mode), axis=axis)
        return pp.Concatenate(*[make_input(a, mode) for a in items], axis=axis)

    got, t = evaluate(build, mode, with_type=True)
    want = np.concatenate(items, axis=axis)
    assert_same(got, want)
    if mode == "kernel" and not as_list:
        assert t == str(Tensor(want.dtype, want.shape))


def test_concatenate_static_shapes():
    _, t = evaluate(lambda: pp.Concatenate(dynamic(np.zeros((2, 3)), np.zeros((4, 3))),
                                           np.zeros((5, 3))), "kernel", with_type=True)
    assert t == "float64 tensor[?, 3]"
    _, t = evaluate(lambda: pp.Concatenate(pp.Repeat(np.zeros((2, 3)), 4), axis=1), "kernel",
                    with_type=True)
    assert t == "float64 tensor[2, 12]"


def test_concatenate_errors():
    raises_graph(lambda: pp.Concatenate(np.zeros((2, 3)), np.zeros((2, 4))), "Concatenate",
                 "except along the axis")
    raises_graph(lambda: pp.Concatenate(np.zeros(2), np.zeros((2, 1))), "Concatenate", "ranks")
    raises_graph(lambda: pp.Concatenate(np.zeros(()), np.zeros(())), "Concatenate", "scalars")
    raises_graph(lambda: pp.Concatenate(np.zeros(2), axis=1), "Concatenate", "out of bounds")
    raises_execution(lambda: pp.Concatenate(dynamic(np.zeros((2, 3)), np.zeros((3, 4))),
                                            np.zeros((2, 4))), 0, "Concatenate",
                     "item 1 has size 4 in dimension 1, item 0 has 3")
    raises_execution(lambda: pp.Concatenate(pp.Sublist([np.zeros(2), np.zeros(3)],
                                                       pp.SampleIndex())), 5,
                     "Concatenate", "empty list whose item shape is not known")
    raises_execution(lambda: pp.Concatenate([np.zeros(2), np.zeros(())]), 0, "Concatenate")


def test_concatenate_of_an_empty_list():
    items = [np.ones((2, 3), np.float32)] * 2
    got = evaluate(lambda: pp.Concatenate(pp.Sublist(items, pp.SampleIndex()), axis=1), index=3)
    assert_same(got, np.zeros((2, 0), np.float32))


# ---------------------------------------------------------------- Reshape

@st.composite
def reshapes(draw):
    arr = draw(arrays(max_rank=4))
    n = arr.size
    dims = []
    rest = n
    for _ in range(draw(st.integers(0, 3))):
        divisors = [d for d in range(1, max(rest, 1) + 1) if rest % d == 0] if rest else [0, 1, 2]
        d = draw(st.sampled_from(divisors))
        dims.append(d)
        rest = rest // d if d else rest
    if rest != 1 or not dims or n == 0:
        dims.append(rest if n else 0)
    if n == 0 and 0 not in dims:
        dims.append(0)
    if n > 0 and draw(st.booleans()):
        dims[draw(st.integers(0, len(dims) - 1))] = -1
    return arr, tuple(dims)


@SETTINGS
@given(case=reshapes(), mode=st.sampled_from(MODES),
       shape_kind=st.sampled_from(["tuple", "array", "node"]))
def test_reshape_is_numpy_reshape(case, mode, shape_kind):
    arr, dims = case
    def shape():
        if shape_kind == "array":
            return np.array(dims, np.int32)
        if shape_kind == "node" and mode == "dynamic":
            return dynamic(list(dims), [0] * len(dims))
        if shape_kind == "node":
            return pp.Constant(list(dims))
        return dims

    got, t = evaluate(lambda: pp.Reshape(make_input(arr, mode), shape()), mode, with_type=True)
    want = arr.reshape(dims)
    assert_same(got, want)
    if mode != "dynamic":
        assert t == str(Tensor(arr.dtype, want.shape))


def test_reshape_with_run_time_dims_and_scalar_shape():
    arr = np.arange(12, dtype=np.uint16)
    got = evaluate(lambda: pp.Reshape(arr, (pp.Length(pp.Range(pp.SampleIndex())), -1)), index=4)
    assert_same(got, arr.reshape(4, 3))
    assert_same(evaluate(lambda: pp.Reshape(arr.reshape(3, 4), 12), "kernel"), arr)
    _, t = evaluate(lambda: pp.Reshape(dynamic(arr, arr[:6]), (2, -1)), "kernel", with_type=True)
    assert t == "uint16 tensor[2, ?]"


def test_reshape_errors():
    arr = np.zeros(6)
    raises_graph(lambda: pp.Reshape(arr, (4, -1)), "Reshape", "6 elements into shape (4, -1)")
    raises_graph(lambda: pp.Reshape(arr, (4, 2)), "Reshape", "6 elements")
    raises_graph(lambda: pp.Reshape(arr, (-1, -1)), "Reshape", "only one")
    raises_graph(lambda: pp.Reshape(arr, (-2, -3)), "Reshape", "negative")
    raises_graph(lambda: pp.Reshape(arr, (1.5, 4.0)), "Reshape", "integer")
    raises_graph(lambda: pp.Reshape(arr, (1,) * 9), "Reshape", "at most 8")
    raises_graph(lambda: pp.Reshape(arr, np.zeros((2, 3), np.int64)), "Reshape", "1-d")
    raises_graph(lambda: pp.Reshape("abc", (3,)), "Reshape", "tensor")
    dyn = lambda: dynamic(arr, np.zeros(8))  # noqa: E731
    raises_execution(lambda: pp.Reshape(dyn(), (4, -1)), 0, "Reshape",
                     "cannot reshape a tensor of 6 elements into shape (4, -1)")
    raises_execution(lambda: pp.Reshape(dyn(), (2 ** 40, 2 ** 40, 0, 1)), 0, "Reshape",
                     "6 elements")
    raises_execution(lambda: pp.Reshape(dyn(), (pp.SampleIndex(), -1)), 0, "Reshape",
                     "6 elements into shape (0, -1)")
    raises_execution(lambda: pp.Reshape(dyn(), dynamic([-1, -1], [1, 6])), 0, "Reshape",
                     "only one dimension can be -1")
    raises_execution(lambda: pp.Reshape(dyn(), dynamic([-2, -3], [1, 6])), 0, "Reshape",
                     "negative dimension -2")
    nine = np.ones(9, np.int64)
    raises_execution(lambda: pp.Reshape(dyn(), dynamic(nine, np.ones(2, np.int64))),
                     0, "Reshape", "more than 8")


def test_reshape_of_zero_size_tensors():
    arr = np.zeros((0, 3), np.int32)
    assert_same(evaluate(lambda: pp.Reshape(arr, (3, 0, 5)), "kernel"), arr.reshape(3, 0, 5))
    assert_same(evaluate(lambda: pp.Reshape(arr, (-1,)), "kernel"), arr.reshape(-1))
    raises_execution(lambda: pp.Reshape(dynamic(arr, np.zeros((1, 3), np.int32)), (0, -1)), 0,
                     "Reshape", "0 elements into shape (0, -1)")


# ---------------------------------------------------------------- Transpose

@SETTINGS
@given(arr=arrays(max_rank=5), data=st.data(), mode=st.sampled_from(MODES))
def test_transpose_is_np_transpose(arr, data, mode):
    axes = data.draw(st.none() | st.permutations(range(arr.ndim)))
    if axes is not None and data.draw(st.booleans()):
        axes = [a - arr.ndim if data.draw(st.booleans()) else a for a in axes]
    got, t = evaluate(lambda: pp.Transpose(make_input(arr, mode), axes), mode, with_type=True)
    want = np.transpose(arr, axes)
    assert_same(got, want)
    if mode != "dynamic":
        assert t == str(Tensor(arr.dtype, want.shape))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("axes", [(2, 0, 1), (1, 2, 0), (1, 0, 2), (0, 2, 1), None])
def test_transpose_image_layouts(dtype, axes):
    arr = (np.arange(5 * 7 * 3) % 251).reshape(5, 7, 3).astype(dtype)
    assert_same(evaluate(lambda: pp.Transpose(arr, axes), "kernel", threads=2),
                np.transpose(arr, axes))


def test_transpose_errors():
    with pytest.raises(pp.GraphError, match=rf"Transpose .*{SITE}.*permutation"):
        pp.Transpose(np.zeros((2, 3)), (0, 0))
    with pytest.raises(pp.GraphError, match=rf"Transpose .*{SITE}"):
        pp.Transpose(np.zeros((2, 3)), "ab")
    raises_graph(lambda: pp.Transpose(np.zeros((2, 3)), (0, 1, 2)), "Transpose", "rank 2")
    raises_execution(lambda: pp.Transpose(dynamic(np.zeros((2, 3)), np.zeros(2)), (1, 0, 2)), 0,
                     "Transpose", "axes has 3 entries but the tensor has rank 2")


# ---------------------------------------------------------------- Squeeze / Unsqueeze

@st.composite
def squeezable(draw):
    arr = draw(arrays(max_rank=5, max_dim=2))
    ones = [k for k, d in enumerate(arr.shape) if d == 1]
    if draw(st.booleans()) or not ones:
        return arr, None
    axes = draw(st.lists(st.sampled_from(ones), min_size=1, unique=True))
    axes = tuple(a - arr.ndim if draw(st.booleans()) else a for a in axes)
    return arr, axes[0] if len(axes) == 1 and draw(st.booleans()) else axes


@SETTINGS
@given(case=squeezable(), mode=st.sampled_from(MODES))
def test_squeeze_is_np_squeeze(case, mode):
    arr, axis = case
    got, t = evaluate(lambda: pp.Squeeze(make_input(arr, mode), axis), mode, with_type=True)
    want = np.squeeze(arr, axis)
    assert_same(got, want)
    if mode != "dynamic":
        assert t == str(Tensor(arr.dtype, want.shape))


def test_squeeze_errors():
    raises_graph(lambda: pp.Squeeze(np.zeros((2, 1)), 0), "Squeeze",
                 "cannot squeeze axis 0 of size 2")
    raises_graph(lambda: pp.Squeeze(np.zeros((2, 1)), 2), "Squeeze", "out of bounds")
    raises_graph(lambda: pp.Squeeze(np.zeros((1, 1)), (0, -2)), "Squeeze", "repeated")
    with pytest.raises(pp.GraphError, match=rf"Squeeze .*{SITE}.*repeated"):
        pp.Squeeze(np.zeros((1, 1)), (1, 1))
    dyn = lambda: dynamic(np.zeros((1, 3)), np.zeros((2, 4)))  # noqa: E731
    raises_execution(lambda: pp.Squeeze(dyn(), 1), 0, "Squeeze", "cannot squeeze axis 1 of size 3")
    raises_execution(lambda: pp.Squeeze(dynamic(np.zeros((1, 1)), np.zeros(2)), (0, -2)), 0,
                     "Squeeze", "axis 0 is repeated")
    raises_execution(lambda: pp.Squeeze(dynamic(np.zeros((1, 3)), np.zeros(2)), 2), 0, "Squeeze",
                     "axis 2 is out of bounds for rank 2")


@SETTINGS
@given(arr=arrays(max_rank=4), data=st.data(), mode=st.sampled_from(MODES))
def test_unsqueeze_is_np_expand_dims(arr, data, mode):
    k = data.draw(st.integers(1, 8 - arr.ndim))
    out_ndim = arr.ndim + k
    axes = data.draw(st.lists(st.integers(0, out_ndim - 1), min_size=k, max_size=k, unique=True))
    axes = [a - out_ndim if data.draw(st.booleans()) else a for a in axes]
    axis = axes[0] if k == 1 and data.draw(st.booleans()) else tuple(axes)
    got, t = evaluate(lambda: pp.Unsqueeze(make_input(arr, mode), axis), mode, with_type=True)
    want = np.expand_dims(arr, axis)
    assert_same(got, want)
    if mode != "dynamic":
        assert t == str(Tensor(arr.dtype, want.shape))


def test_unsqueeze_errors():
    raises_graph(lambda: pp.Unsqueeze(np.zeros((2, 1)), 3), "Unsqueeze", "out of bounds")
    raises_graph(lambda: pp.Unsqueeze(np.zeros((2, 1)), (0, -4)), "Unsqueeze", "repeated")
    raises_graph(lambda: pp.Unsqueeze(np.zeros((1,) * 7), (0, 1)), "Unsqueeze", "9 dimensions")
    dyn = lambda: dynamic(np.zeros((1,) * 7), np.zeros(2))  # noqa: E731
    raises_execution(lambda: pp.Unsqueeze(dyn(), (0, 1)), 0, "Unsqueeze", "more than 8")
    raises_execution(lambda: pp.Unsqueeze(dynamic(np.zeros(2), np.zeros((1,) * 7)), 3), 0,
                     "Unsqueeze", "axis 3 is out of bounds for rank 2")
    raises_execution(lambda: pp.Unsqueeze(dynamic(np.zeros(2), np.zeros((1, 1))), (0, -3)), 0,
                     "Unsqueeze", "repeated")


def test_views_share_memory_with_their_input_without_corrupting_it():
    """Reshape/Squeeze/Unsqueeze/GetElement alias; the aliased input must stay
    alive while the view is used, even when later ops reuse slots."""
    arr = np.arange(24, dtype=np.int32)

    with pp.Graph() as graph:
        t = pp.Cast(pp.ListToTensor(pp.Range(pp.SampleIndex())), "int32")
        v = pp.Unsqueeze(pp.Squeeze(pp.Reshape(t, (1, 2, -1)), 0), 0)
        w = pp.Cast(pp.Transpose(v), "float64")    # later ops that allocate
        pp.Output(v, "v")
        pp.Output(pp.Reshape(w, (-1,)), "w")
        pp.Output(pp.MakeList(v, pp.Cast(w, "int32"), pp.TensorToList(v)[0]), "list")
    pipeline = graph.compile(optimize=False)
    samples = [24, 12, 24, 6]
    got = pipeline.batch(samples, threads=2)
    for b, n in enumerate(samples):
        v = arr[:n].reshape(1, 2, -1)
        assert_same(got["v"][b], v)
        assert_same(got["w"][b], np.transpose(v).astype(np.float64).reshape(-1))
        assert_same(got["list"][b][0], v)
        assert_same(got["list"][b][1], np.transpose(v))
        assert_same(got["list"][b][2], v[0])


@pytest.mark.parametrize("build,words", [
    (lambda: pp.Stack(dynamic(np.zeros((1,) * 8), np.zeros(1))),
     ("Stack", "more than 8 dimensions")),
    (lambda: pp.Concatenate(dynamic(np.zeros(()), np.zeros(2))),
     ("Concatenate", "scalars cannot")),
    (lambda: pp.Concatenate(dynamic(np.zeros(2), np.zeros((2, 2))), axis=1),
     ("Concatenate", "axis 1 is out of bounds for rank 1")),
    (lambda: pp.Reshape(np.zeros(6), dynamic(np.ones((1, 1), np.int64), np.array([6]))),
     ("Reshape", "the shape must be a list of integers or a 1-d integer tensor")),
    (lambda: pp.Reshape(np.zeros(6), dynamic([np.array([6])], [np.array(6)])),
     ("Reshape", "item 0 of the shape is not an integer scalar")),
])
def test_run_time_kind_errors(build, words):
    raises_execution(build, 0, *words)


# ---------------------------------------------------------------- Cast

def reference_cast(arr, dtype):
    """NumPy's astype, plus saturating float -> int with NaN -> 0."""
    dtype = np.dtype(dtype)
    if arr.dtype.kind == "f" and dtype.kind in "iu":
        info = np.iinfo(dtype)

        def one(x):
            if math.isnan(x):
                return 0
            if math.isinf(x):
                return info.max if x > 0 else info.min
            return min(max(math.trunc(x), info.min), info.max)

        return np.array([one(float(x)) for x in arr.reshape(-1)], dtype).reshape(arr.shape)
    with np.errstate(all="ignore"):
        return arr.astype(dtype)


FLOAT_SPECIALS = [0.0, -0.0, 0.5, -0.5, 0.99999, -0.99999, 127.5, 128.0, 255.5, 256.0, -129.0,
                  32767.9, 32768.0, -32769.0, 65535.5, 65536.0, 2 ** 31 - 0.5, 2.0 ** 31,
                  -2.0 ** 31, -2.0 ** 31 - 1, 2.0 ** 63, -2.0 ** 63, 2.0 ** 63 - 1024, 1e30,
                  -1e30, 3.4e38, 1e300, math.inf, -math.inf, math.nan]
INT_SPECIALS = [0, 1, -1, 127, 128, 255, 256, -129, 32767, 32768, 65535, 65536, -65536,
                2 ** 31 - 1, 2 ** 31, -2 ** 31, 2 ** 53 + 1, 2 ** 62 + 2 ** 40 + 1,
                2 ** 63 - 1, -2 ** 63, 16777217, -16777217]


def special_values(dtype):
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        with np.errstate(all="ignore"):
            return np.array(FLOAT_SPECIALS, np.float64).astype(dtype)
    if dtype.kind == "b":
        return np.array([True, False])
    with np.errstate(all="ignore"):
        return np.array(INT_SPECIALS, dtype=object).astype(np.int64).astype(dtype)


@pytest.mark.parametrize("src", DTYPES)
@pytest.mark.parametrize("dst", DTYPES)
@pytest.mark.parametrize("mode", MODES)
def test_cast_every_pair_on_edge_values(src, dst, mode):
    arr = special_values(src)
    got = evaluate(lambda: pp.Cast(make_input(arr, mode), dst), mode)
    assert_same(got, reference_cast(arr, dst))


@SETTINGS
@given(arr=arrays(max_rank=3), dst=st.sampled_from(DTYPES), mode=st.sampled_from(MODES))
def test_cast_random(arr, dst, mode):
    got, t = evaluate(lambda: pp.Cast(make_input(arr, mode), dst), mode, with_type=True)
    assert_same(got, reference_cast(arr, dst))
    if mode != "dynamic":
        assert t == str(Tensor(np.dtype(dst), arr.shape))


@SETTINGS
@given(values=st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=1, max_size=20),
       dst=st.sampled_from(DTYPES))
def test_cast_random_floats(values, dst):
    arr = np.array(values, np.float64)
    assert_same(evaluate(lambda: pp.Cast(arr, dst), "kernel"), reference_cast(arr, dst))
    arr32 = reference_cast(arr, np.float32)
    assert_same(evaluate(lambda: pp.Cast(arr32, dst), "kernel"), reference_cast(arr32, dst))


def test_cast_agrees_with_numpy_where_numpy_is_defined():
    arr = np.array([-3.7, -0.2, 0.0, 0.9, 2.5, 200.99])
    assert_same(evaluate(lambda: pp.Cast(arr, np.int32)), arr.astype(np.int32))
    assert_same(evaluate(lambda: pp.Cast(np.array([2 ** 53 + 1], np.int64), "float64")),
                np.array([2 ** 53 + 1], np.int64).astype(np.float64))
    assert_same(evaluate(lambda: pp.Cast(np.array([np.nan, -0.0, 1e-300]), bool)),
                np.array([True, False, True]))


def test_cast_errors():
    with pytest.raises(pp.GraphError, match=rf"Cast .*{SITE}.*float16"):
        pp.Cast(np.zeros(2), "float16")
    raises_graph(lambda: pp.Cast("abc", "uint8"), "Cast", "tensor")
    raises_graph(lambda: pp.Cast([1, 2], "uint8"), "Cast", "tensor")


def test_cast_of_a_scalar_and_a_literal():
    got, t = evaluate(lambda: pp.Cast(pp.SampleIndex(), "float32"), "fold", index=7,
                      with_type=True)
    assert_same(got, np.float32(7))
    assert t == "float32 scalar"
    assert_same(evaluate(lambda: pp.Cast(300, "uint8")), np.uint8(44))


# ---------------------------------------------------------------- threads, docs

def test_batches_are_identical_for_one_and_two_threads():
    images = [np.arange(k * 6, dtype=np.uint8).reshape(k, 6) for k in range(1, 6)]

    def build():
        img = pp.GetElement(pp.Constant(images), pp.SampleIndex())
        chw = pp.Transpose(pp.Reshape(img, (-1, 2, 3)), (2, 0, 1))
        joined = pp.Concatenate(chw, chw, axis=2)
        return pp.Cast(pp.Stack(joined, pp.Cast(joined, "uint8")), "float32")

    with pp.Graph() as graph:
        pp.Output(build(), "x")
    for optimize in (True, False):
        pipeline = graph.compile(optimize=optimize)
        samples = [4, 0, 3, 1, 2, 4, 0]
        one = pipeline.batch(samples, threads=1)["x"]
        two = pipeline.batch(samples, threads=2)["x"]
        for a, b, i in zip(one, two, samples):
            assert_same(a, b)
            chw = np.transpose(images[i].reshape(-1, 2, 3), (2, 0, 1))
            joined = np.concatenate([chw, chw], axis=2)
            assert_same(a, np.stack([joined, joined]).astype(np.float32))


def test_docstring_examples():
    result = doctest.testmod(pixelpipes.ops.tensors, extraglobs={"pp": pp, "np": np})
    assert result.attempted > 0 and result.failed == 0


def test_every_class_documented_and_exported():
    for name in pixelpipes.ops.tensors.__all__:
        cls = getattr(pp, name)
        assert cls.__doc__ and "Parameters" in cls.__doc__, name
