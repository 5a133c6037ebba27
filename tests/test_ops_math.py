"""Arithmetic nodes against NumPy: values, dtypes, broadcasting, errors.

Every op is checked on constant inputs (folded at compile time by running
the kernel once) and on run-time inputs (``optimize=False``), on shapes and
dtypes drawn by hypothesis, with values drawn from a NumPy generator that
favours the edges (0, -1, the integer limits, NaN, +-inf, -0.0, halves).
"""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import pixelpipes as pp
from pixelpipes.ops.arithmetic import FLOAT_RESULT
from pixelpipes.types import Tensor

DTYPES = [np.dtype(t) for t in (np.bool_, np.uint8, np.int16, np.uint16, np.int32,
                                np.int64, np.float32, np.float64)]
INTEGERS = [d for d in DTYPES if d.kind in "iu"]
MODES = ["folded", "runtime"]
SETTINGS = settings(max_examples=40, deadline=None)


# ------------------------------------------------------------------ helpers

class Opaque(pp.Node):
    """A run-time copy of its input whose static shape is forgotten (every
    dimension unknown, or the rank too with ``rank=False``): never folded."""

    kernel = "copy"
    pure = False

    def __init__(self, value, *, rank=True):
        super().__init__(value)
        self.rank = rank

    def params(self):
        return (self.rank,)

    def infer(self, t):
        shape = tuple(None for _ in t.shape) if self.rank else None
        return Tensor(t.dtype, shape, t.weak)


def evaluate(build, inputs, mode="runtime"):
    """``build(*nodes)`` on ``inputs`` (arrays become constants, Python
    numbers stay literals), compiled with folding (``"folded"``: the result
    must be a constant) or without (``"runtime"``)."""
    with pp.Graph() as graph:
        nodes = [pp.Constant(x) if isinstance(x, np.ndarray) else x for x in inputs]
        pp.Output(build(*nodes), "y")
    pipeline = graph.compile(seed=3, optimize=mode == "folded")
    if mode == "folded":
        assert pipeline.program.code == [], pipeline.explain()
    return pipeline.run(0)["y"]


def values(rng, dtype, shape):
    """Random values of ``dtype``, about half of them at the edges."""
    return np.asarray(_values(rng, np.dtype(dtype), shape), dtype)


def _values(rng, dtype, shape):
    pick = rng.random(shape)
    if dtype.kind == "b":
        return pick < 0.5
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        x = rng.integers(info.min, info.max, size=shape, dtype=dtype, endpoint=True)
        small = rng.integers(max(info.min, -4), 5, size=shape).astype(dtype)
        edges = np.array([info.min, info.max, info.min + 1, info.max - 1, 0, 1]
                         + ([-1] if info.min < 0 else []), dtype)
        x = np.where(pick < 0.35, small, x)
        return np.where(pick > 0.85, edges[rng.integers(0, len(edges), size=shape)], x)
    with np.errstate(all="ignore"):
        x = rng.standard_normal(shape) * 10.0 ** rng.integers(-3, 5, size=shape)
        x = np.where(pick < 0.2, np.round(x * 2) / 2, x)      # halves and integers
        edges = np.array([0.0, -0.0, np.nan, np.inf, -np.inf, 0.5, -0.5, 2.5, -1.0, 1.0,
                          3.0, 1e30, -1e-30, 7.0e5])
        x = np.where(pick > 0.85, edges[rng.integers(0, len(edges), size=shape)], x)
        return x.astype(dtype)


def assert_same(got, want, rtol=None):
    """Same shape and dtype; equal values (NaN where NaN, and the sign of
    zeros), or within ``rtol``."""
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    if want.dtype.kind != "f":
        np.testing.assert_array_equal(got, want)
        return
    nan = np.isnan(want)
    np.testing.assert_array_equal(np.isnan(got), nan)
    g, w = got[~nan], want[~nan]
    if rtol is None:
        np.testing.assert_array_equal(g, w)
        np.testing.assert_array_equal(np.signbit(g[w == 0]), np.signbit(w[w == 0]))
    else:
        np.testing.assert_allclose(g, w, rtol=rtol, atol=0)


def quiet(fn, *args):
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.asarray(fn(*args))


def float_of(*operands):
    """The dtype pixelpipes' float functions compute in (NumPy's, with
    float32 for NumPy's float16)."""
    return FLOAT_RESULT[np.result_type(*operands)]


# name: (node class, NumPy reference, rtol or None for exact)
BINARY = {
    "Add": (pp.Add, np.add, None),
    "Subtract": (pp.Subtract, np.subtract, None),
    "Multiply": (pp.Multiply, np.multiply, None),
    "Divide": (pp.Divide, np.true_divide, None),
    "FloorDivide": (pp.FloorDivide, np.floor_divide, None),
    "Modulo": (pp.Modulo, np.remainder, None),
    "Power": (pp.Power, np.power, 1e-6),
    "Minimum": (pp.Minimum, np.minimum, None),
    "Maximum": (pp.Maximum, np.maximum, None),
    "Atan2": (pp.Atan2, np.arctan2, 1e-6),
}
NO_BOOLS = {"Subtract", "FloorDivide", "Modulo", "Power"}

UNARY = {
    "Negate": (pp.Negate, np.negative, None),
    "Abs": (pp.Abs, np.abs, None),
    "Sqrt": (pp.Sqrt, np.sqrt, None),
    "Round": (pp.Round, np.round, None),
    "Floor": (pp.Floor, np.floor, None),
    "Ceil": (pp.Ceil, np.ceil, None),
    "Sin": (pp.Sin, np.sin, 1e-6),
    "Cos": (pp.Cos, np.cos, 1e-6),
    "Tan": (pp.Tan, np.tan, 1e-6),
    "Asin": (pp.Asin, np.arcsin, 1e-6),
    "Acos": (pp.Acos, np.arccos, 1e-6),
    "Atan": (pp.Atan, np.arctan, 1e-6),
}
FLOAT_FUNCTIONS = {"Sqrt", "Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Atan2"}


def reference(name, table, *operands):
    fn = table[name][1]
    if name in FLOAT_FUNCTIONS or (name == "Round" and np.result_type(*operands) == bool):
        dt = float_of(*operands)
        operands = [np.asarray(x, dt) for x in operands]
    return quiet(fn, *operands)


@st.composite
def operand_pairs(draw, max_side=6):
    """Two operands: arrays of broadcastable shapes (any ranks, up to 5
    dims) and dtypes, or Python numbers, plus a seed for their values."""
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=5,
                                                    max_side=max_side)).input_shapes
    dtypes = [draw(st.sampled_from(DTYPES)) for _ in range(2)]
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1)))
    out = [values(rng, d, s) for d, s in zip(dtypes, shapes)]
    for k in range(2):
        kind = draw(st.sampled_from(["array"] * 4 + ["int", "float"]))
        other = out[1 - k]
        if kind == "int":
            info = np.iinfo(other.dtype) if isinstance(other, np.ndarray) \
                and other.dtype.kind in "iu" else np.iinfo(np.int32)
            out[k] = draw(st.integers(int(info.min), int(info.max)))
        elif kind == "float":
            out[k] = draw(st.floats(width=64) | st.sampled_from([0.5, -2.5, 3.0]))
    return out


def is_bool(x):
    return isinstance(x, np.ndarray) and x.dtype == bool


def non_negative_exponent(base, exponent):
    """The exponent with its negative values flipped if the power is an
    integer one (NumPy and pixelpipes reject negative integer exponents)."""
    if np.result_type(base, exponent).kind not in "iu":
        return exponent
    if isinstance(exponent, np.ndarray):
        return np.where(exponent < 0, ~exponent, exponent) if exponent.dtype.kind == "i" \
            else exponent
    return abs(exponent) if isinstance(exponent, int) else exponent


# ------------------------------------------------------------------ values

@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", sorted(BINARY))
@SETTINGS
@given(pair=operand_pairs())
def test_binary_matches_numpy(name, mode, pair):
    a, b = pair
    node, _, rtol = BINARY[name]
    if name in NO_BOOLS and is_bool(a) and is_bool(b):
        with pytest.raises(pp.GraphError, match=f"{name} of two bools"):
            evaluate(node, [a, b], mode)
        return
    if name == "Power":
        b = non_negative_exponent(a, b)
    want = reference(name, BINARY, a, b)
    if name == "Power" and want.dtype.kind == "f":
        want = elementwise_power(a, b, want.dtype)
    assert_same(evaluate(node, [a, b], mode), want, rtol)


def elementwise_power(a, b, dtype):
    """``a ** b`` by NumPy's elementwise loop (C ``pow``).  NumPy turns a
    single-element exponent 0.5 into ``sqrt`` (so ``-inf ** 0.5`` is NaN,
    not C's inf, and ``-0.0 ** 0.5`` is -0.0): keep the exponent an array of
    several elements."""
    a, b = np.broadcast_arrays(np.asarray(a, dtype), np.asarray(b, dtype))
    one = np.ones(2, dtype)
    flat = quiet(np.power, np.concatenate([a.ravel(), one]), np.concatenate([b.ravel(), one]))
    return flat[:-2].reshape(a.shape)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", sorted(UNARY))
@SETTINGS
@given(shape=hnp.array_shapes(min_dims=0, max_dims=5, max_side=7),
       dtype=st.sampled_from(DTYPES), seed=st.integers(0, 2 ** 32 - 1))
def test_unary_matches_numpy(name, mode, shape, dtype, seed):
    a = values(np.random.default_rng(seed), dtype, shape)
    node, _, rtol = UNARY[name]
    if name == "Negate" and dtype == bool:
        with pytest.raises(pp.GraphError, match="cannot negate a bool"):
            evaluate(node, [a], mode)
        return
    assert_same(evaluate(node, [a], mode), reference(name, UNARY, a), rtol)


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("literal", [3, -2, 0.25, -1.5])
def test_unary_of_literals(name, literal):
    if name == "Negate" or name == "Abs" or np.asarray(literal).dtype.kind == "f" \
            or name not in FLOAT_FUNCTIONS:
        want = quiet(UNARY[name][1], literal)
    else:
        want = quiet(UNARY[name][1], float(literal))
    assert_same(evaluate(UNARY[name][0], [literal], "folded"), want, UNARY[name][2])


def test_documented_dtype_deviations():
    u8 = np.arange(4, dtype=np.uint8)
    assert evaluate(pp.Sqrt, [u8]).dtype == np.float32          # NumPy: float16
    assert evaluate(pp.Sin, [u8 > 1]).dtype == np.float32
    assert evaluate(pp.Round, [u8 > 1]).dtype == np.float32
    assert evaluate(pp.Atan2, [u8, 2]).dtype == np.float32
    assert evaluate(pp.Sqrt, [u8.astype(np.int16)]).dtype == np.float32  # as NumPy
    assert evaluate(pp.Sqrt, [u8.astype(np.int32)]).dtype == np.float64
    assert evaluate(pp.Divide, [u8, u8]).dtype == np.float64
    assert evaluate(pp.Floor, [u8]).dtype == np.uint8


@pytest.mark.parametrize("mode", MODES)
def test_bool_arithmetic_is_logic(mode):
    a = np.array([False, False, True, True])
    b = np.array([False, True, False, True])
    assert_same(evaluate(pp.Add, [a, b], mode), a | b)
    assert_same(evaluate(pp.Multiply, [a, b], mode), a & b)
    assert_same(evaluate(pp.Minimum, [a, b], mode), a & b)
    assert_same(evaluate(pp.Maximum, [a, b], mode), a | b)
    assert_same(evaluate(pp.Divide, [a, b], mode), quiet(np.true_divide, a, b))
    assert_same(evaluate(pp.Abs, [a], mode), a)
    assert_same(evaluate(pp.Floor, [a], mode), a)
    assert_same(evaluate(lambda x, y: pp.Add(x, y, saturate=True), [a, b], mode), a | b)


# ------------------------------------------------------------------ saturation

def clipped(values_, dtype):
    if dtype.kind == "f":
        return np.asarray(values_, dtype)
    info = np.iinfo(dtype)
    return np.asarray(np.clip(values_, int(info.min), int(info.max))).astype(dtype)


SATURATING = {"Add": (pp.Add, lambda x, y: x + y), "Subtract": (pp.Subtract, lambda x, y: x - y),
              "Multiply": (pp.Multiply, lambda x, y: x * y)}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", sorted(SATURATING))
@SETTINGS
@given(pair=operand_pairs())
def test_saturating_binary(name, mode, pair):
    a, b = pair
    node, exact = SATURATING[name]
    if name == "Subtract" and is_bool(a) and is_bool(b):
        return
    dtype = reference(name, BINARY, a, b).dtype
    got = evaluate(lambda x, y: node(x, y, saturate=True), [a, b], mode)
    if dtype.kind == "f":
        want = reference(name, BINARY, a, b)            # floats: unchanged
    elif dtype == bool:
        want = reference(name, BINARY, a, b)
    else:
        # exact products in Python integers, then clamped
        big = [np.asarray(x).astype(object) if isinstance(x, np.ndarray) else x for x in (a, b)]
        want = clipped(np.asarray(exact(*big)), dtype)
    assert_same(got, want)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dtype", INTEGERS + DTYPES[-2:])
def test_saturating_unary(mode, dtype):
    a = values(np.random.default_rng(5), dtype, (50,))
    big = a.astype(object)
    assert_same(evaluate(lambda x: pp.Negate(x, saturate=True), [a], mode),
                clipped(-big, dtype) if dtype.kind != "f" else -a)
    assert_same(evaluate(lambda x: pp.Abs(x, saturate=True), [a], mode),
                clipped(abs(big), dtype) if dtype.kind != "f" else np.abs(a))


def test_saturation_examples():
    u8 = np.array([0, 3, 250, 255], np.uint8)
    assert_same(evaluate(lambda x: pp.Add(x, 10, saturate=True), [u8]),
                np.array([10, 13, 255, 255], np.uint8))
    assert_same(evaluate(lambda x: pp.Subtract(x, 5, saturate=True), [u8]),
                np.array([0, 0, 245, 250], np.uint8))
    assert_same(evaluate(lambda x: pp.Add(x, 10), [u8]), np.array([10, 13, 4, 9], np.uint8))
    i64 = np.array([np.iinfo(np.int64).max, np.iinfo(np.int64).min, 3], np.int64)
    assert_same(evaluate(lambda x: pp.Multiply(x, 2, saturate=True), [i64]),
                np.array([i64[0], i64[1], 6]))
    assert_same(evaluate(lambda x: pp.Negate(x, saturate=True), [i64]),
                np.array([-i64[0], i64[0], -3]))


# ------------------------------------------------------------------ division

@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dtype", INTEGERS)
def test_integer_division_by_zero_is_zero(mode, dtype):
    a = values(np.random.default_rng(1), dtype, (40,))
    zero = np.zeros(40, dtype)
    assert_same(evaluate(pp.FloorDivide, [a, zero], mode), np.zeros(40, dtype))
    assert_same(evaluate(pp.Modulo, [a, zero], mode), np.zeros(40, dtype))
    assert_same(evaluate(pp.FloorDivide, [a, zero[0]], mode), np.zeros(40, dtype))
    assert_same(evaluate(pp.Divide, [a, zero], mode), quiet(np.true_divide, a, zero))


@pytest.mark.parametrize("dtype", [np.int16, np.int32, np.int64])
def test_integer_division_overflow_wraps(dtype):
    lo = np.iinfo(dtype).min
    a = np.array([lo, lo, 7, -7], dtype)
    b = np.array([-1, 1, -1, -1], dtype)
    assert_same(evaluate(pp.FloorDivide, [a, b]), quiet(np.floor_divide, a, b))
    assert_same(evaluate(pp.Modulo, [a, b]), quiet(np.remainder, a, b))


@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.uint16, np.int32])
def test_integer_division_exhaustively(dtype):
    """8- to 32-bit floor division and modulo go through float division:
    every pair of uint8 values, and pairs of edge-heavy values otherwise."""
    info = np.iinfo(dtype)
    if dtype == np.uint8:
        pool = np.arange(256)
    else:
        powers = [2 ** k + d for k in range(int(np.log2(info.max)) + 1) for d in (-1, 0, 1)]
        pool = np.concatenate([powers, np.negative(powers), [info.min, info.min + 1, info.max,
                               info.max - 1, 0], np.random.default_rng(0).integers(
                               info.min, info.max, 150, endpoint=True)])
        pool = pool[(pool >= info.min) & (pool <= info.max)]
    a, b = (x.astype(dtype) for x in np.meshgrid(pool, pool))
    assert_same(evaluate(pp.FloorDivide, [a, b]), quiet(np.floor_divide, a, b))
    assert_same(evaluate(pp.Modulo, [a, b]), quiet(np.remainder, a, b))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_float_division_special_values(dtype):
    special = np.array([0.0, -0.0, 1.0, -1.0, 2.5, -7.0, np.inf, -np.inf, np.nan, 1e-30], dtype)
    a, b = np.meshgrid(special, special)
    for node, fn in [(pp.Divide, np.true_divide), (pp.FloorDivide, np.floor_divide),
                     (pp.Modulo, np.remainder)]:
        assert_same(evaluate(node, [a, b]), quiet(fn, a, b))


def test_negative_integer_power_fails_the_sample():
    with pp.Graph() as graph:
        pp.Output(pp.Power(pp.Constant(np.array([2, 3])), pp.Constant(np.array([2, -1]))), "y")
    pipeline = graph.compile(optimize=False)
    with pytest.raises(pp.ExecutionError, match="negative integer powers") as info:
        pipeline.run(4)
    assert info.value.sample == 4 and "Power" in info.value.node
    # with constant folding the same error surfaces while compiling
    with pytest.raises(pp.GraphError, match="negative integer powers"):
        graph.compile()


def test_float_power_of_negative_exponent():
    assert_same(evaluate(pp.Power, [np.array([2, 4]), -1.0]), np.array([0.5, 0.25]))
    assert_same(evaluate(pp.Power, [np.array([2, 4], np.int16), np.array([0, 3], np.uint8)]),
                np.array([1, 64], np.int16))


# ------------------------------------------------------------------ shapes

@pytest.mark.parametrize("dtypes", [(np.float32, np.float32), (np.uint8, np.float32),
                                    (np.int16, np.uint16), (np.float64, np.int64),
                                    (np.bool_, np.int32)])
@pytest.mark.parametrize("shapes", [
    ((5000,), (5000,)),             # same shape, several blocks
    ((5000,), ()),                  # tensor and scalar
    ((), (3, 2100)),
    ((300, 40, 3), (3,)),           # short rows: several rows per block
    ((300, 40, 3), (40, 1)),
    ((700, 5), (700, 1)),           # column broadcast
    ((3, 3000), (3000,)),           # long rows
    ((3, 1, 3000), (1, 4, 1)),
    ((2, 3, 1, 5, 7), (1, 3, 4, 1, 7)),
    ((9, 1, 1, 2, 1, 3, 1, 2), (1, 2, 3, 1, 2, 1, 2, 1)),   # 8 dimensions
    ((0, 3), (1, 3)),               # empty
])
@pytest.mark.parametrize("name", ["Add", "Multiply", "Maximum", "FloorDivide"])
def test_large_and_broadcast_shapes(name, shapes, dtypes):
    rng = np.random.default_rng(0)
    a, b = (values(rng, d, s) for d, s in zip(dtypes, shapes))
    for mode in MODES:
        assert_same(evaluate(BINARY[name][0], [a, b], mode), reference(name, BINARY, a, b))


def test_static_shapes():
    with pp.Graph() as graph:
        a = Opaque(np.zeros((2, 1, 3), np.float32))
        b = pp.Constant(np.zeros((4, 1), np.uint8))
        pp.Output(a + b, "unknown")
        pp.Output(pp.Constant(np.zeros((2, 1, 3))) + b, "known")
        pp.Output(Opaque(np.zeros(3), rank=False) * 2, "rank")
        pp.Output(pp.Sqrt(a), "unary")
    types = {o.label: o.type for o in graph.compile(optimize=False).program.outputs}
    assert types == {"unknown": "float32 tensor[?, 4, ?]", "known": "float64 tensor[2, 4, 3]",
                     "rank": "float64 tensor[...]", "unary": "float32 tensor[?, ?, ?]"}


def test_static_shapes_that_do_not_broadcast_fail_to_compile():
    with pp.Graph() as graph:
        a = pp.Constant(np.zeros((2, 3)))
        pp.Output(pp.Add(a, np.zeros(4), name="bad"), "y")
    with pytest.raises(pp.GraphError) as info:
        graph.compile()
    message = str(info.value)
    assert "Add 'bad'" in message and "test_ops_math.py" in message
    assert "tensor[2, 3]" in message and "tensor[4]" in message


def test_run_time_shapes_that_do_not_broadcast_fail_the_sample():
    with pp.Graph() as graph:
        pp.Output(Opaque(np.zeros((2, 3))) - Opaque(np.zeros(4, np.int16)), "y")
    pipeline = graph.compile()
    with pytest.raises(pp.ExecutionError) as info:
        pipeline.batch([0, 1, 2], threads=2)
    assert info.value.sample == 0 and "Subtract" in info.value.node
    assert "(2, 3) and (4,) do not broadcast" in info.value.reason


def test_run_time_shapes_that_broadcast():
    a = values(np.random.default_rng(2), np.float32, (4, 1, 3))
    b = values(np.random.default_rng(3), np.int16, (5, 1))
    for rank in (True, False):
        got = evaluate(lambda x, y: Opaque(x, rank=rank) * Opaque(y, rank=rank), [a, b])
        assert_same(got, quiet(np.multiply, a, b))


# ------------------------------------------------------------------ literals

def test_python_literals_are_weak():
    u8 = np.array([1, 2, 200], np.uint8)
    assert evaluate(lambda x: x + 3, [u8]).dtype == np.uint8
    assert evaluate(lambda x: x * 1.5, [u8]).dtype == np.float64
    assert evaluate(lambda x: x * 1.5, [u8.astype(np.float32)]).dtype == np.float32
    assert evaluate(lambda x: x + np.int16(3), [u8]).dtype == np.int16
    assert evaluate(lambda x: x + 1, [u8 > 1]).dtype == np.int64
    assert evaluate(lambda: pp.Add(2, 3), []).dtype == np.int64


@pytest.mark.parametrize("literal", [300, -1])
def test_out_of_range_literal_fails_to_compile(literal):
    with pp.Graph() as graph:
        pp.Output(pp.Constant(np.array([1, 2], np.uint8)) + literal, "y")
    with pytest.raises(pp.GraphError, match=f"Python integer {literal} out of bounds for uint8"):
        graph.compile()
    with pytest.raises(OverflowError):
        np.array([1, 2], np.uint8) + literal


def test_out_of_range_literal_known_at_run_time_fails_the_sample():
    with pp.Graph() as graph:
        pp.Output(pp.Constant(np.array([1, 2], np.int16)) * Opaque(70000), "y")
    with pytest.raises(pp.ExecutionError, match="70000 out of bounds for int16"):
        graph.compile().run(0)
    # a literal that does not need to fit the integer type is fine
    assert_same(evaluate(lambda x: x / 300, [np.array([3], np.uint8)]), np.array([0.01]))


# ------------------------------------------------------------------ nodes

def test_operator_overloads():
    a = np.array([[5, -7, 9]], np.int32)
    b = np.array([[2], [-3]], np.int32)
    cases = [
        (lambda x, y: x + 1, pp.Add, a + 1), (lambda x, y: 2 * x, pp.Multiply, 2 * a),
        (lambda x, y: x - y, pp.Subtract, a - b), (lambda x, y: 1 - x, pp.Subtract, 1 - a),
        (lambda x, y: x / y, pp.Divide, a / b), (lambda x, y: 2 / x, pp.Divide, 2 / a),
        (lambda x, y: x // y, pp.FloorDivide, a // b),
        (lambda x, y: 7 // y, pp.FloorDivide, 7 // b),
        (lambda x, y: x % y, pp.Modulo, a % b), (lambda x, y: 7 % y, pp.Modulo, 7 % b),
        (lambda x, y: x ** 2, pp.Power, a ** 2), (lambda x, y: 2 ** abs(y), pp.Power, 2 ** abs(b)),
        (lambda x, y: -x, pp.Negate, -a), (lambda x, y: abs(x), pp.Abs, abs(a)),
        (lambda x, y: +x, pp.Constant, a),
    ]
    for build, cls, want in cases:
        with pp.Graph() as graph:
            node = build(pp.Constant(a), pp.Constant(b))
            assert type(node) is cls
            pp.Output(node, "y")
        for optimize in (True, False):
            assert_same(graph.compile(optimize=optimize).run(0)["y"], want)


def test_all_constant_expressions_fold():
    a = np.linspace(-2, 2, 12, dtype=np.float32).reshape(3, 4)
    with pp.Graph() as graph:
        x = pp.Constant(a)
        pp.Output(pp.Maximum(pp.Sqrt(abs(x)) * 2 - x // 0.5, pp.Atan2(x, 1.0)) % 3, "y")
    pipeline = graph.compile()
    assert pipeline.program.code == []
    assert "0 instructions" in pipeline.explain()
    want = np.remainder(np.maximum(np.sqrt(np.abs(a)) * 2 - a // np.float32(0.5),
                                   np.arctan2(a, np.float32(1.0))), 3)
    assert_same(pipeline.run(0)["y"], want, 1e-6)


def test_params_and_common_subexpressions():
    with pp.Graph() as graph:
        x = Opaque(np.array([250], np.uint8))
        pp.Output(pp.Add(x, 10), "wrap")
        pp.Output(pp.Add(x, 10, saturate=True), "clamp")
        pp.Output(x + 10, "again")
    pipeline = graph.compile()
    assert [op.kernel for op in pipeline.program.code].count("add") == 2
    out = pipeline.run(0)
    assert out["wrap"][0] == 4 and out["again"][0] == 4 and out["clamp"][0] == 255


def test_bad_arguments_fail_to_compile():
    with pytest.raises(pp.GraphError, match="saturate"):
        pp.Add(1, 2, saturate="yes")
    for build, match in [
        (lambda: pp.Add(pp.Constant("text"), 1), "numeric tensor"),
        (lambda: pp.Sqrt(pp.Constant([1, 2])), "numeric tensor"),
        (lambda: pp.Subtract(np.array([True]), np.array([False])), "Subtract of two bools"),
        (lambda: pp.Power(np.array([True]), True), "Power of two bools"),
        (lambda: -pp.Constant(np.array([True])), "cannot negate a bool"),
    ]:
        with pp.Graph() as graph:
            pp.Output(build(), "y")
        with pytest.raises(pp.GraphError, match=match) as info:
            graph.compile()
        assert "test_ops_math.py" in str(info.value)


@pytest.mark.parametrize("threads", [1, 2])
def test_batches_match_single_samples(threads):
    rng = np.random.default_rng(7)
    a, b = values(rng, np.uint8, (16, 9, 3)), values(rng, np.float32, (9, 1))
    with pp.Graph() as graph:
        x, y = Opaque(a), pp.Constant(b)
        index = pp.SampleIndex()
        pp.Output(pp.Add(x, 250, saturate=True), "sat")
        pp.Output(pp.Sin(x * y) + index, "sin")
        pp.Output(pp.Constant(a) // (index + 1), "floordiv")
    pipeline = graph.compile()
    batch = pipeline.batch(range(6), threads=threads)
    for i in range(6):
        single = pipeline.run(i)
        assert_same(np.asarray(batch["sat"][i]), single["sat"])
        assert_same(batch["sin"][i], single["sin"])
        assert_same(batch["floordiv"][i], a // np.int64(i + 1))   # int64: SampleIndex
        assert_same(single["sat"], clipped(a.astype(np.int64) + 250, np.dtype(np.uint8)))
