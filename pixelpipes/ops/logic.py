"""Elementwise comparisons and logic, with NumPy semantics.

All nodes broadcast like NumPy (see :mod:`pixelpipes.ops.arithmetic`) and
return bool tensors.

* Comparisons compare in the NumPy 2 promoted type of their operands (so
  ``float32_image < 0.1`` compares with ``float32(0.1)``); a Python integer
  outside the range of an integer operand compares as the number it is
  (``uint8_image < 300`` is all true), as in NumPy 2.  NaN compares unequal
  to everything, itself included.
* Logic ops take the truth of any numeric value: non-zero (and NaN) is true.
  On nodes, ``a & b``, ``a | b``, ``a ^ b`` and ``~a`` are these logical
  operations (not bitwise ones).
"""

from __future__ import annotations

import numpy as np

from ..types import Tensor, result_dtype
from .arithmetic import _Binary, _Unary

__all__ = [
    "Equal", "NotEqual", "Less", "LessEqual", "Greater", "GreaterEqual",
    "LogicalAnd", "LogicalOr", "LogicalXor", "LogicalNot",
]

_BOOL = np.dtype(np.bool_)


class _Comparison(_Binary):
    _check_literals = False

    def dtypes(self, a: Tensor, b: Tensor):
        return result_dtype(a, b), _BOOL

    def _weak_result(self, a, b) -> bool:
        return False


class _Logic(_Binary):
    _check_literals = False

    def dtypes(self, a: Tensor, b: Tensor):
        # The kernel tests "!= 0" itself, so operands are only converted to
        # their common type (which keeps every value's truth).  A Python
        # number is converted to bool instead: 256 is true, uint8(256) is not.
        if a.weak or b.weak:
            return _BOOL, _BOOL
        return result_dtype(a, b), _BOOL

    def _weak_result(self, a, b) -> bool:
        return False


_COMPARISON_DOC = """``a {op} b``, elementwise with broadcasting (also ``a {op} b`` on nodes).

    Parameters
    ----------
    a, b : Node or value
        Tensors or scalars of any numeric dtypes.

    Returns
    -------
    Node
        A bool tensor of the broadcast shape.
    """


class Equal(_Comparison):
    __doc__ = _COMPARISON_DOC.format(op="==")
    kernel = "equal"


class NotEqual(_Comparison):
    __doc__ = _COMPARISON_DOC.format(op="!=")
    kernel = "not_equal"


class Less(_Comparison):
    __doc__ = _COMPARISON_DOC.format(op="<") + """
    Examples
    --------
    >>> with pp.Graph() as graph:
    ...     image = pp.Constant(np.array([[10, 200], [128, 0]], np.uint8))
    ...     _ = pp.Output(image < 128, "dark")
    >>> graph.compile().run(0)["dark"]
    array([[ True, False],
           [False,  True]])
    """
    kernel = "less"


class LessEqual(_Comparison):
    __doc__ = _COMPARISON_DOC.format(op="<=")
    kernel = "less_equal"


class Greater(_Comparison):
    __doc__ = _COMPARISON_DOC.format(op=">")
    kernel = "greater"


class GreaterEqual(_Comparison):
    __doc__ = _COMPARISON_DOC.format(op=">=")
    kernel = "greater_equal"


_LOGIC_DOC = """Logical {what} of the truth of ``a`` and ``b`` (also ``a {op} b`` on nodes).

    A value is true when it is non-zero (NaN is true), as in
    ``np.logical_{name}``.

    Parameters
    ----------
    a, b : Node or value
        Tensors or scalars of any numeric dtypes.

    Returns
    -------
    Node
        A bool tensor of the broadcast shape.
    """


class LogicalAnd(_Logic):
    __doc__ = _LOGIC_DOC.format(what="and", op="&", name="and") + """
    Examples
    --------
    >>> with pp.Graph() as graph:
    ...     x = pp.Constant(np.array([-1.0, 0.5, 2.0]))
    ...     _ = pp.Output((x > 0) & (x < 1), "inside")
    >>> graph.compile().run(0)["inside"]
    array([False,  True, False])
    """
    kernel = "logical_and"


class LogicalOr(_Logic):
    __doc__ = _LOGIC_DOC.format(what="or", op="|", name="or")
    kernel = "logical_or"


class LogicalXor(_Logic):
    __doc__ = _LOGIC_DOC.format(what="exclusive or", op="^", name="xor")
    kernel = "logical_xor"


class LogicalNot(_Unary):
    """Logical negation of the truth of ``a`` (also ``~a`` on nodes).

    A value is true when it is non-zero (NaN is true), as in
    ``np.logical_not``.

    Parameters
    ----------
    a : Node or value
        A tensor or scalar of any numeric dtype.

    Returns
    -------
    Node
        A bool tensor of the same shape.
    """

    kernel = "logical_not"

    def dtypes(self, a):
        return a.dtype, _BOOL

    def infer(self, a):
        t = super().infer(a)
        return Tensor(t.dtype, t.shape)
