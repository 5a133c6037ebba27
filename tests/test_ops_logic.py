"""Comparison and logic nodes against NumPy.

As in ``test_ops_math.py``: constant inputs (folded at compile time) and
run-time inputs (``optimize=False``), shapes and dtypes drawn by hypothesis,
values that favour the edges.
"""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import pixelpipes as pp
from pixelpipes.types import Tensor

DTYPES = [np.dtype(t) for t in (np.bool_, np.uint8, np.int16, np.uint16, np.int32,
                                np.int64, np.float32, np.float64)]
MODES = ["folded", "runtime"]
SETTINGS = settings(max_examples=40, deadline=None)

COMPARISONS = {
    "Equal": (pp.Equal, np.equal), "NotEqual": (pp.NotEqual, np.not_equal),
    "Less": (pp.Less, np.less), "LessEqual": (pp.LessEqual, np.less_equal),
    "Greater": (pp.Greater, np.greater), "GreaterEqual": (pp.GreaterEqual, np.greater_equal),
}
LOGIC = {
    "LogicalAnd": (pp.LogicalAnd, np.logical_and), "LogicalOr": (pp.LogicalOr, np.logical_or),
    "LogicalXor": (pp.LogicalXor, np.logical_xor),
}
BINARY = {**COMPARISONS, **LOGIC}


class Opaque(pp.Node):
    """A run-time copy of its input with its static shape forgotten."""

    kernel = "copy"
    pure = False

    def infer(self, t):
        return Tensor(t.dtype, tuple(None for _ in t.shape), t.weak)


def evaluate(build, inputs, mode="runtime"):
    with pp.Graph() as graph:
        nodes = [pp.Constant(x) if isinstance(x, np.ndarray) else x for x in inputs]
        pp.Output(build(*nodes), "y")
    pipeline = graph.compile(optimize=mode == "folded")
    if mode == "folded":
        assert pipeline.program.code == [], pipeline.explain()
    return pipeline.run(0)["y"]


def values(rng, dtype, shape):
    """Random values of ``dtype`` with many repeats and edge values, so that
    equal operands are common."""
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return np.asarray(rng.random(shape) < 0.5)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        pool = [info.min, info.max, 0, 1, 2, 100] + ([-1, -2] if info.min < 0 else [])
    else:
        pool = [0.0, -0.0, 1.0, -1.0, 0.5, 2.0, np.nan, np.inf, -np.inf, 0.1, 1e30, 255.0]
    with np.errstate(all="ignore"):
        return np.asarray(np.array(pool)[rng.integers(0, len(pool), size=shape)].astype(dtype))


def reference(fn, a, b):
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.asarray(fn(a, b))


def assert_same(got, want):
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype == np.bool_
    assert got.shape == want.shape
    np.testing.assert_array_equal(got, want)


@st.composite
def operand_pairs(draw):
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=5,
                                                    max_side=6)).input_shapes
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1)))
    out = [values(rng, draw(st.sampled_from(DTYPES)), s) for s in shapes]
    for k in range(2):
        kind = draw(st.sampled_from(["array"] * 4 + ["int", "float"]))
        if kind == "int":
            # any Python integer, also outside the other operand's range
            out[k] = draw(st.integers(-2 ** 40, 2 ** 40) | st.sampled_from([0, 1, 255, 256, -1]))
        elif kind == "float":
            out[k] = draw(st.floats(width=64) | st.sampled_from([0.5, 0.1, 255.0]))
    return out


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", sorted(BINARY))
@SETTINGS
@given(pair=operand_pairs())
def test_binary_matches_numpy(name, mode, pair):
    node, fn = BINARY[name]
    assert_same(evaluate(node, pair, mode), reference(fn, *pair))


@pytest.mark.parametrize("mode", MODES)
@SETTINGS
@given(shape=hnp.array_shapes(min_dims=0, max_dims=5, max_side=7),
       dtype=st.sampled_from(DTYPES), seed=st.integers(0, 2 ** 32 - 1))
def test_logical_not_matches_numpy(mode, shape, dtype, seed):
    a = values(np.random.default_rng(seed), dtype, shape)
    assert_same(evaluate(pp.LogicalNot, [a], mode), np.logical_not(a))


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("shapes", [((5000,), ()), ((300, 40, 3), (3,)), ((700, 5), (700, 1)),
                                    ((3, 1, 3000), (1, 4, 1))])
@pytest.mark.parametrize("dtypes", [(np.uint8, np.uint8), (np.float32, np.int16),
                                    (np.int64, np.float64), (np.bool_, np.uint16)])
def test_large_and_broadcast_shapes(name, shapes, dtypes):
    rng = np.random.default_rng(1)
    a, b = (values(rng, d, s) for d, s in zip(dtypes, shapes))
    for mode in MODES:
        assert_same(evaluate(BINARY[name][0], [a, b], mode), reference(BINARY[name][1], a, b))


@pytest.mark.parametrize("name", sorted(COMPARISONS))
@pytest.mark.parametrize("literal", [300, -1, 2 ** 40, -70000, 255, 0])
@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.uint16, np.int32])
def test_out_of_range_literals_compare_as_numbers(name, literal, dtype):
    """NumPy 2: ``uint8_array < 300`` is all true, ``uint8_array == -1`` all
    false; also when the literal only arrives at run time."""
    a = values(np.random.default_rng(2), dtype, (3, 4))
    node, fn = COMPARISONS[name]
    for mode in MODES:
        assert_same(evaluate(node, [a, literal], mode), reference(fn, a, literal))
        assert_same(evaluate(node, [literal, a], mode), reference(fn, literal, a))
    assert_same(evaluate(lambda x: node(x, Opaque(literal)), [a]), reference(fn, a, literal))
    assert_same(evaluate(lambda x: node(Opaque(literal), x), [a]), reference(fn, literal, a))


def test_float32_compares_with_a_float32_literal():
    a = np.array([0.1, 0.2], np.float32)
    assert_same(evaluate(lambda x: x == 0.1, [a]), np.array([True, False]))
    assert_same(evaluate(lambda x: x == 0.1, [a.astype(np.float64)]), a.astype(np.float64) == 0.1)


def test_nan_and_truthiness():
    x = np.array([np.nan, 0.0, -0.0, 2.0])
    assert_same(evaluate(lambda v: v == v, [x]), np.array([False, True, True, True]))
    assert_same(evaluate(lambda v: v != v, [x]), np.array([True, False, False, False]))
    assert_same(evaluate(pp.LogicalNot, [x]), np.array([False, True, True, False]))
    assert_same(evaluate(lambda v: pp.LogicalAnd(v, 3), [x]), np.array([True, False, False, True]))


def test_operator_overloads():
    a = np.array([[1, 5, 9]], np.int16)
    b = np.array([[5], [0]], np.float32)
    cases = [
        (lambda x, y: x < y, pp.Less, a < b), (lambda x, y: x <= y, pp.LessEqual, a <= b),
        (lambda x, y: x > y, pp.Greater, a > b), (lambda x, y: x >= y, pp.GreaterEqual, a >= b),
        (lambda x, y: x == y, pp.Equal, a == b), (lambda x, y: x != y, pp.NotEqual, a != b),
        (lambda x, y: 3 < x, pp.Greater, 3 < a), (lambda x, y: x == 5, pp.Equal, a == 5),
        (lambda x, y: x & y, pp.LogicalAnd, np.logical_and(a, b)),
        (lambda x, y: x | y, pp.LogicalOr, np.logical_or(a, b)),
        (lambda x, y: x ^ y, pp.LogicalXor, np.logical_xor(a, b)),
        (lambda x, y: 0 | x, pp.LogicalOr, np.logical_or(0, a)),
        (lambda x, y: True & y, pp.LogicalAnd, np.logical_and(True, b)),
        (lambda x, y: 1 ^ y, pp.LogicalXor, np.logical_xor(1, b)),
        (lambda x, y: ~y, pp.LogicalNot, np.logical_not(b)),
        (lambda x, y: (x > 1) & ~(y > 1), pp.LogicalAnd, (a > 1) & ~(b > 1)),
    ]
    for build, cls, want in cases:
        with pp.Graph() as graph:
            node = build(pp.Constant(a), pp.Constant(b))
            assert type(node) is cls
            pp.Output(node, "y")
        for optimize in (True, False):
            assert_same(graph.compile(optimize=optimize).run(0)["y"], want)


def test_all_constant_expressions_fold():
    a = np.arange(-3, 9, dtype=np.int32).reshape(3, 4)
    with pp.Graph() as graph:
        x = pp.Constant(a)
        pp.Output(((x > 0) & (x % 2 == 0)) | ~(x < 7), "y")
    pipeline = graph.compile()
    assert pipeline.program.code == [] and "0 instructions" in pipeline.explain()
    assert_same(pipeline.run(0)["y"], ((a > 0) & (a % 2 == 0)) | ~(a < 7))


def test_static_types():
    with pp.Graph() as graph:
        x = Opaque(np.zeros((2, 3), np.float32))
        pp.Output(x < np.zeros((4, 1, 1)), "cmp")
        pp.Output(~x, "not")
        pp.Output(pp.LogicalXor(1, 2.5), "literals")
    types = {o.label: o.type for o in graph.compile().program.outputs}
    assert types == {"cmp": "bool tensor[4, ?, ?]", "not": "bool tensor[?, ?]",
                     "literals": "bool scalar"}


def test_errors():
    with pp.Graph() as graph:
        pp.Output(pp.Less(np.zeros((2, 3)), np.zeros((2, 2))), "y")
    with pytest.raises(pp.GraphError, match="do not broadcast") as info:
        graph.compile()
    assert "Less" in str(info.value) and "test_ops_logic.py" in str(info.value)

    with pp.Graph() as graph:
        pp.Output(pp.LogicalAnd(pp.Constant("yes"), True), "y")
    with pytest.raises(pp.GraphError, match="LogicalAnd.*numeric tensor"):
        graph.compile()

    with pp.Graph() as graph:
        pp.Output(Opaque(np.zeros(3)) == Opaque(np.zeros((2, 2))), "y")
    with pytest.raises(pp.ExecutionError, match=r"\(3,\) and \(2, 2\) do not broadcast") as info:
        graph.compile().run(5)
    assert info.value.sample == 5 and "Equal" in info.value.node


@pytest.mark.parametrize("threads", [1, 2])
def test_batches(threads):
    a = values(np.random.default_rng(3), np.float32, (8, 5))
    with pp.Graph() as graph:
        index = pp.SampleIndex()
        pp.Output((Opaque(a) > index) | (index == 3), "y")
    batch = graph.compile().batch(range(6), threads=threads)
    for i in range(6):
        assert_same(batch["y"][i], (a > i) | (i == 3))
