"""Elementwise arithmetic with NumPy semantics.

Every node here works on tensors and scalars alike:

* **Broadcasting** as in NumPy, for any ranks up to 8.  Shapes that cannot
  broadcast are a compile-time error when the dimensions are known, and fail
  the sample (naming both shapes) when they are only known at run time.
* **Result dtype** by NumPy 2 promotion (:func:`pixelpipes.types.result_dtype`),
  with Python numbers as *weak* operands: ``uint8_image + 3`` stays uint8.  A
  Python integer that does not fit the integer dtype it is combined with is
  an error, as in NumPy (``uint8_image + 300``): at compile time when its
  value is known then, else in the sample.
* **Integers wrap** like NumPy's.  :class:`Add`, :class:`Subtract`,
  :class:`Multiply`, :class:`Negate` and :class:`Abs` take ``saturate=True``
  to clamp integer results to the dtype's range instead (for float results
  the flag changes nothing: IEEE arithmetic already saturates at +-inf).
  Integer division and modulo by zero give 0, as in NumPy.

Deviations from NumPy:

* Float functions (:class:`Sqrt`, :class:`Sin`, ..., :class:`Atan2`, and
  :class:`Round` of bool) return float32 where NumPy returns float16 (bool
  and uint8 inputs): pixelpipes has no float16.
* Arithmetic on two bools follows NumPy where NumPy returns bool (``+`` is
  *or*, ``*`` is *and*, :class:`Minimum`/:class:`Maximum` are *and*/*or*) and
  :class:`Divide` gives float64; :class:`Subtract` (an error in NumPy too),
  :class:`FloorDivide`, :class:`Modulo` and :class:`Power` (int8 in NumPy, a
  type pixelpipes lacks) of two bools are compile-time errors.
* :class:`Power` is C's ``pow`` for every element.  NumPy replaces a
  single-element exponent 0.5 by ``sqrt``, which differs for ``-inf``
  (NumPy NaN, pixelpipes +inf) and ``-0.0`` (NumPy -0.0, pixelpipes 0.0).
* No warnings: division by zero, overflow and invalid float operations
  silently give what NumPy gives.
"""

from __future__ import annotations

import numpy as np

from ..errors import GraphError
from ..graph import Node, static_value
from ..types import DTYPE_CODE, Tensor, broadcast_shapes, result_dtype

__all__ = [
    "Add", "Subtract", "Multiply", "Divide", "FloorDivide", "Modulo", "Power",
    "Negate", "Abs", "Sqrt", "Round", "Floor", "Ceil", "Minimum", "Maximum",
    "Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Atan2",
]

_BOOL = np.dtype(np.bool_)
_FLOAT32 = np.dtype(np.float32)
_FLOAT64 = np.dtype(np.float64)

#: dtype of a float function of a value of each dtype (NumPy's, except
#: float32 for bool and uint8 where NumPy gives float16).
FLOAT_RESULT = {np.dtype(k): np.dtype(v) for k, v in [
    (np.bool_, np.float32), (np.uint8, np.float32), (np.int16, np.float32),
    (np.uint16, np.float32), (np.int32, np.float64), (np.int64, np.float64),
    (np.float32, np.float32), (np.float64, np.float64)]}


def _check_operand(t, what: str) -> None:
    if not isinstance(t, Tensor):
        raise GraphError(f"{what} must be a numeric tensor or scalar, got {t}")
    if t.dtype is None:
        raise GraphError(f"the element type of {what} must be known at compile time")


_known_value = static_value  # the compile-time value of a node, or None

class _Binary(Node):
    """Two operands broadcast against each other.

    Subclasses set ``kernel`` and may override :meth:`dtypes`; the kernel
    parameters are ``[compute dtype, output dtype, weak-literal mask]``.
    """

    #: whether a Python integer outside the integer compute dtype is an
    #: error (arithmetic) or simply compares as the number it is (False).
    _check_literals = True

    def __init__(self, a, b, *, name=None):
        super().__init__(a, b, name=name)

    def dtypes(self, a: Tensor, b: Tensor):
        """``(compute dtype, output dtype)`` for operand types ``a``, ``b``."""
        dt = result_dtype(a, b)
        return dt, dt

    def _weak_result(self, a, b) -> bool:
        return a.weak and b.weak

    def infer(self, a, b):
        _check_operand(a, "the first operand")
        _check_operand(b, "the second operand")
        compute, out = self.dtypes(a, b)
        if self._check_literals and compute.kind in "iu" and compute != np.int64:
            info = np.iinfo(compute)
            for node, t in zip(self.inputs, (a, b)):
                if t.weak and t.dtype.kind == "i":
                    value = _known_value(node)
                    if value is not None and not info.min <= int(value) <= info.max:
                        raise GraphError(
                            f"Python integer {int(value)} out of bounds for {compute.name}")
        try:
            shape = broadcast_shapes(a.shape, b.shape)
        except ValueError:
            raise GraphError(f"operands {a} and {b} do not broadcast") from None
        return Tensor(out, shape, self._weak_result(a, b))

    def encode(self, types, result):
        compute, out = self.dtypes(*types)
        weak = sum(1 << k for k, t in enumerate(types) if t.weak)
        return [DTYPE_CODE[compute], DTYPE_CODE[out], weak], []


class _Saturating(_Binary):
    """A binary op with a ``saturate`` flag (kernel parameter 3)."""

    def __init__(self, a, b, *, saturate: bool = False, name=None):
        if not isinstance(saturate, (bool, np.bool_)):
            raise GraphError(f"saturate must be True or False, got {saturate!r}")
        super().__init__(a, b, name=name)
        self.saturate = bool(saturate)

    def params(self):
        return (self.saturate,)

    def encode(self, types, result):
        iparams, fparams = super().encode(types, result)
        return iparams + [int(self.saturate)], fparams


def _no_bools(name, a, b, why):
    if a.dtype == _BOOL and b.dtype == _BOOL:
        raise GraphError(f"{name} of two bools is not supported ({why}); "
                         "cast an operand to an integer type first")


class _Unary(Node):
    """One operand; kernel parameters ``[compute dtype, output dtype]``."""

    def __init__(self, a, *, name=None):
        super().__init__(a, name=name)

    def dtypes(self, a: Tensor):
        return a.dtype, a.dtype

    def infer(self, a):
        _check_operand(a, "the operand")
        _, out = self.dtypes(a)
        return Tensor(out, a.shape, a.weak)

    def encode(self, types, result):
        compute, out = self.dtypes(types[0])
        return [DTYPE_CODE[compute], DTYPE_CODE[out]], []


class _FloatFunction(_Unary):
    """A float function: integers are computed in float (see FLOAT_RESULT)."""

    def dtypes(self, a):
        dt = FLOAT_RESULT[a.dtype]
        return dt, dt


# ------------------------------------------------------------------- binary


class Add(_Saturating):
    """``a + b``, elementwise with broadcasting (also ``a + b`` on nodes).

    Parameters
    ----------
    a, b : Node or value
        Tensors or scalars; Python numbers take the other operand's type.
    saturate : bool
        Clamp integer results to the range of the dtype instead of wrapping.

    Returns
    -------
    Node
        dtype by NumPy promotion; for two bools, logical *or* (as NumPy).

    Examples
    --------
    >>> with pp.Graph() as graph:
    ...     a = pp.Constant(np.array([100, 200], np.uint8))
    ...     _ = pp.Output(a + 100, "wrap")
    ...     _ = pp.Output(pp.Add(a, 100, saturate=True), "clamp")
    >>> out = graph.compile().run(0)
    >>> out["wrap"], out["clamp"]
    (array([200,  44], dtype=uint8), array([200, 255], dtype=uint8))
    """

    kernel = "add"


class Subtract(_Saturating):
    """``a - b``, elementwise with broadcasting (also ``a - b`` on nodes).

    Parameters
    ----------
    a, b : Node or value
        Tensors or scalars, not both bool.
    saturate : bool
        Clamp integer results to the range of the dtype instead of wrapping
        (``uint8(3) - 5`` is 0).

    Returns
    -------
    Node
        dtype by NumPy promotion.
    """

    kernel = "subtract"

    def dtypes(self, a, b):
        _no_bools("Subtract", a, b, "NumPy raises too; use LogicalXor")
        return super().dtypes(a, b)


class Multiply(_Saturating):
    """``a * b``, elementwise with broadcasting (also ``a * b`` on nodes).

    Parameters
    ----------
    a, b : Node or value
        Tensors or scalars.
    saturate : bool
        Clamp integer results to the range of the dtype instead of wrapping.

    Returns
    -------
    Node
        dtype by NumPy promotion; for two bools, logical *and* (as NumPy).
    """

    kernel = "multiply"


class Divide(_Binary):
    """True division ``a / b`` (also ``a / b`` on nodes).

    Parameters
    ----------
    a, b : Node or value
        Tensors or scalars.

    Returns
    -------
    Node
        float64 for integer and bool operands (as NumPy), else the promoted
        float type.  Division by zero gives +-inf or NaN.
    """

    kernel = "divide"

    def dtypes(self, a, b):
        dt = result_dtype(a, b)
        if dt.kind != "f":
            dt = _FLOAT64
        return dt, dt


class FloorDivide(_Binary):
    """Floor division ``a // b`` (also ``a // b`` on nodes), rounding
    toward minus infinity as Python and NumPy do.

    Integer division by zero gives 0 (NumPy also gives 0, with a warning);
    ``INT_MIN // -1`` wraps to ``INT_MIN``.  Float results are NumPy's bit
    for bit (``npy_divmod``).

    Parameters
    ----------
    a, b : Node or value
        Tensors or scalars, not both bool.

    Returns
    -------
    Node
        dtype by NumPy promotion.

    Examples
    --------
    >>> with pp.Graph() as graph:
    ...     _ = pp.Output(pp.Constant(np.array([7, -7, 7])) // np.array([2, 2, 0]), "q")
    >>> graph.compile().run(0)["q"]
    array([ 3, -4,  0])
    """

    kernel = "floor_divide"

    def dtypes(self, a, b):
        _no_bools("FloorDivide", a, b, "NumPy returns int8, which pixelpipes lacks")
        return super().dtypes(a, b)


class Modulo(_Binary):
    """Remainder ``a % b`` with the sign of ``b`` (Python and NumPy
    convention; also ``a % b`` on nodes).

    Integer modulo by zero gives 0, as in NumPy.

    Parameters
    ----------
    a, b : Node or value
        Tensors or scalars, not both bool.

    Returns
    -------
    Node
        dtype by NumPy promotion.

    Examples
    --------
    >>> with pp.Graph() as graph:
    ...     _ = pp.Output(pp.Constant(np.array([7, -7])) % 3, "r")
    >>> graph.compile().run(0)["r"]
    array([1, 2])
    """

    kernel = "modulo"

    def dtypes(self, a, b):
        _no_bools("Modulo", a, b, "NumPy returns int8, which pixelpipes lacks")
        return super().dtypes(a, b)


class Power(_Binary):
    """``a ** b`` (also ``a ** b`` on nodes).

    Integer powers wrap like NumPy's.  A negative integer exponent fails the
    sample (NumPy raises ``ValueError`` too); use a float operand for
    reciprocals.

    Parameters
    ----------
    a, b : Node or value
        Base and exponent, not both bool.

    Returns
    -------
    Node
        dtype by NumPy promotion.
    """

    kernel = "power"

    def dtypes(self, a, b):
        _no_bools("Power", a, b, "NumPy returns int8, which pixelpipes lacks")
        return super().dtypes(a, b)


class Minimum(_Binary):
    """Elementwise minimum, propagating NaN like ``np.minimum``.

    Parameters
    ----------
    a, b : Node or value
        Tensors or scalars.

    Returns
    -------
    Node
        dtype by NumPy promotion.
    """

    kernel = "minimum"


class Maximum(_Binary):
    """Elementwise maximum, propagating NaN like ``np.maximum``.

    Parameters
    ----------
    a, b : Node or value
        Tensors or scalars.

    Returns
    -------
    Node
        dtype by NumPy promotion.

    Examples
    --------
    Clip an image to ``[0, 1]``:

    >>> with pp.Graph() as graph:
    ...     x = pp.Constant(np.array([-0.5, 0.25, 2.0], np.float32))
    ...     _ = pp.Output(pp.Minimum(pp.Maximum(x, 0.0), 1.0), "clipped")
    >>> graph.compile().run(0)["clipped"]
    array([0.  , 0.25, 1.  ], dtype=float32)
    """

    kernel = "maximum"


class Atan2(_Binary):
    """Elementwise ``arctan(y / x)`` in the right quadrant (``np.arctan2``).

    Parameters
    ----------
    y, x : Node or value
        Tensors or scalars.

    Returns
    -------
    Node
        The promoted float type; integers as in :class:`Sqrt`.
    """

    kernel = "atan2"

    def dtypes(self, a, b):
        dt = FLOAT_RESULT[result_dtype(a, b)]
        return dt, dt


# ------------------------------------------------------------------- unary


class _SaturatingUnary(_Unary):
    """A unary op with a ``saturate`` flag (kernel parameter 2)."""

    def __init__(self, a, *, saturate: bool = False, name=None):
        if not isinstance(saturate, (bool, np.bool_)):
            raise GraphError(f"saturate must be True or False, got {saturate!r}")
        super().__init__(a, name=name)
        self.saturate = bool(saturate)

    def params(self):
        return (self.saturate,)

    def encode(self, types, result):
        iparams, fparams = super().encode(types, result)
        return iparams + [int(self.saturate)], fparams


class Negate(_SaturatingUnary):
    """``-a`` (also ``-a`` on nodes).

    Parameters
    ----------
    a : Node or value
        A tensor or scalar, not bool (NumPy rejects it too; use
        :class:`~pixelpipes.LogicalNot`).
    saturate : bool
        Clamp integer results to the dtype's range: ``-INT_MIN`` gives
        ``INT_MAX`` and unsigned values negate to 0.  Without it integers
        wrap like NumPy's (``-uint8(1)`` is 255).

    Returns
    -------
    Node
        Same dtype as ``a``.
    """

    kernel = "negate"

    def dtypes(self, a):
        if a.dtype == _BOOL:
            raise GraphError("cannot negate a bool (NumPy rejects it too); use LogicalNot")
        return a.dtype, a.dtype


class Abs(_SaturatingUnary):
    """Absolute value (also ``abs(a)`` on nodes).

    Parameters
    ----------
    a : Node or value
        A tensor or scalar; bool and unsigned values are returned unchanged.
    saturate : bool
        ``abs(INT_MIN)`` gives ``INT_MAX`` instead of wrapping to ``INT_MIN``
        (as NumPy does).

    Returns
    -------
    Node
        Same dtype as ``a``.
    """

    kernel = "abs"


class Sqrt(_FloatFunction):
    """Square root; NaN for negative values.

    Parameters
    ----------
    a : Node or value
        A tensor or scalar.

    Returns
    -------
    Node
        Floats keep their type; int32/int64 give float64, int16/uint16
        float32 (as NumPy), bool/uint8 float32 (NumPy: float16).
    """

    kernel = "sqrt"


class Round(_Unary):
    """Round to the nearest integer, halves to even (``np.round``).

    Parameters
    ----------
    a : Node or value
        A tensor or scalar.

    Returns
    -------
    Node
        Same dtype as ``a`` (integers are unchanged), except bool, which
        gives float32 (NumPy: float16).

    Examples
    --------
    >>> with pp.Graph() as graph:
    ...     _ = pp.Output(pp.Round(np.array([0.5, 1.5, 2.5, -0.5])), "r")
    >>> graph.compile().run(0)["r"]
    array([ 0.,  2.,  2., -0.])
    """

    kernel = "round"

    def dtypes(self, a):
        dt = _FLOAT32 if a.dtype == _BOOL else a.dtype
        return dt, dt


class Floor(_Unary):
    """Round toward minus infinity.

    Parameters
    ----------
    a : Node or value
        A tensor or scalar.

    Returns
    -------
    Node
        Same dtype as ``a`` (integers and bools are unchanged, as in NumPy 2).
    """

    kernel = "floor"


class Ceil(_Unary):
    """Round toward plus infinity.

    Parameters
    ----------
    a : Node or value
        A tensor or scalar.

    Returns
    -------
    Node
        Same dtype as ``a`` (integers and bools are unchanged, as in NumPy 2).
    """

    kernel = "ceil"


class Sin(_FloatFunction):
    """Sine (radians).

    Parameters
    ----------
    a : Node or value
        A tensor or scalar.

    Returns
    -------
    Node
        Float dtype as for :class:`Sqrt`.
    """

    kernel = "sin"


class Cos(_FloatFunction):
    """Cosine (radians).

    Parameters
    ----------
    a : Node or value
        A tensor or scalar.

    Returns
    -------
    Node
        Float dtype as for :class:`Sqrt`.
    """

    kernel = "cos"


class Tan(_FloatFunction):
    """Tangent (radians).

    Parameters
    ----------
    a : Node or value
        A tensor or scalar.

    Returns
    -------
    Node
        Float dtype as for :class:`Sqrt`.
    """

    kernel = "tan"


class Asin(_FloatFunction):
    """Inverse sine; NaN outside ``[-1, 1]``.

    Parameters
    ----------
    a : Node or value
        A tensor or scalar.

    Returns
    -------
    Node
        Float dtype as for :class:`Sqrt`.
    """

    kernel = "asin"


class Acos(_FloatFunction):
    """Inverse cosine; NaN outside ``[-1, 1]``.

    Parameters
    ----------
    a : Node or value
        A tensor or scalar.

    Returns
    -------
    Node
        Float dtype as for :class:`Sqrt`.
    """

    kernel = "acos"


class Atan(_FloatFunction):
    """Inverse tangent.

    Parameters
    ----------
    a : Node or value
        A tensor or scalar.

    Returns
    -------
    Node
        Float dtype as for :class:`Sqrt`.
    """

    kernel = "atan"
