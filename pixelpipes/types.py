"""The static type model: what the compiler knows of a value before it runs.

Every node has a type, inferred at compile time from the types of its
inputs:

* :class:`Tensor` -- an n-dimensional array of one element type.  A scalar is
  a 0-d tensor.  ``shape`` is a tuple whose entries are ``int`` (known) or
  ``None`` (known only at run time); ``shape=None`` means even the rank is
  unknown.
* :class:`String` -- a text value.
* :class:`List` -- a list of values of one item type, with a length known at
  compile time or ``None``.

Element types are the eight NumPy dtypes in :data:`DTYPES`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Tuple

import numpy as np

#: The element types, in the order of their codes in compiled programs.
DTYPES = tuple(np.dtype(t) for t in (np.bool_, np.uint8, np.int16, np.uint16,
                                     np.int32, np.int64, np.float32, np.float64))
DTYPE_CODE = {dt: i for i, dt in enumerate(DTYPES)}

Shape = Optional[Tuple[Optional[int], ...]]


def as_dtype(dtype) -> np.dtype:
    """Normalise ``dtype`` (a NumPy dtype, type or name) to a supported dtype.

    Raises
    ------
    TypeError
        If it is not one of the eight element types pixelpipes supports.
    """
    if dtype is bool:
        dtype = np.bool_
    elif dtype is int:
        dtype = np.int64
    elif dtype is float:
        dtype = np.float64
    try:
        dt = np.dtype(dtype)
    except TypeError as exc:
        raise TypeError(f"not a dtype: {dtype!r}") from exc
    if dt not in DTYPE_CODE:
        names = ", ".join(d.name for d in DTYPES)
        raise TypeError(f"unsupported element type {dt.name} (supported: {names})")
    return dt


class Type:
    """Base class of static types."""

    def describe(self) -> str:  # pragma: no cover - overridden
        raise NotImplementedError

    def __str__(self):
        return self.describe()


@dataclass(frozen=True)
class Tensor(Type):
    """An n-dimensional array (a scalar when ``shape == ()``).

    Parameters
    ----------
    dtype : numpy.dtype or None
        Element type, ``None`` if not known.
    shape : tuple of (int or None), or None
        Static shape; ``None`` entries are known only at run time, and
        ``shape=None`` leaves even the rank open.
    weak : bool
        True for Python ``int``/``float`` literals, which take the type of
        the other operand as NumPy 2 does (``uint8_image + 3`` stays uint8).
    """

    dtype: Optional[np.dtype]
    shape: Shape = ()
    weak: bool = False

    @property
    def ndim(self) -> Optional[int]:
        return None if self.shape is None else len(self.shape)

    @property
    def is_scalar(self) -> bool:
        return self.shape == ()

    @property
    def fixed(self) -> bool:
        """True when dtype and every dimension are known at compile time."""
        return (self.dtype is not None and self.shape is not None
                and all(d is not None for d in self.shape))

    def describe(self) -> str:
        dt = self.dtype.name if self.dtype is not None else "?"
        if self.shape == ():
            return f"{dt} scalar"
        if self.shape is None:
            return f"{dt} tensor[...]"
        dims = ", ".join("?" if d is None else str(d) for d in self.shape)
        return f"{dt} tensor[{dims}]"


@dataclass(frozen=True)
class String(Type):
    """A text value."""

    def describe(self) -> str:
        return "string"


@dataclass(frozen=True)
class List(Type):
    """A list of items of one type.

    Parameters
    ----------
    item : Type
        The type every item has (the join of the item types).
    length : int or None
        Number of items when known at compile time.
    """

    item: Type
    length: Optional[int] = None

    def describe(self) -> str:
        n = "?" if self.length is None else str(self.length)
        return f"list[{n}] of {self.item.describe()}"


@dataclass(frozen=True)
class Anything(Type):
    """Unknown type (only during inference of unusual graphs)."""

    def describe(self) -> str:
        return "any"


def refine(inferred: Type, actual: Type) -> Type:
    """``inferred`` made more precise by ``actual``, the type of a value that
    has it (used when a node is folded into a constant): shapes and lengths
    come from the value, element types and weakness from the inference."""
    if isinstance(inferred, Tensor) and isinstance(actual, Tensor):
        return Tensor(inferred.dtype if inferred.dtype is not None else actual.dtype,
                      actual.shape, inferred.weak)
    if isinstance(inferred, List) and isinstance(actual, List):
        item = inferred.item if isinstance(actual.item, Anything) else refine(inferred.item, actual.item)
        return List(item, actual.length)
    return inferred


def scalar(dtype) -> Tensor:
    """The type of a scalar of ``dtype``."""
    return Tensor(as_dtype(dtype), ())


def is_numeric_scalar(t: Type) -> bool:
    return isinstance(t, Tensor) and t.shape == ()


def join(a: Type, b: Type) -> Type:
    """The most precise type that both ``a`` and ``b`` values have.

    Used for the result of conditionals and for list items; raises
    ``TypeError`` if the two kinds of value differ.
    """
    if a == b:
        return a
    if isinstance(a, Anything):
        return b
    if isinstance(b, Anything):
        return a
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        if a.dtype != b.dtype:
            raise TypeError(f"{a} and {b} have different element types")
        if a.shape is None or b.shape is None or len(a.shape) != len(b.shape):
            return Tensor(a.dtype, None)
        shape = tuple(x if x == y else None for x, y in zip(a.shape, b.shape))
        return Tensor(a.dtype, shape, a.weak and b.weak)
    if isinstance(a, String) and isinstance(b, String):
        return a
    if isinstance(a, List) and isinstance(b, List):
        return List(join(a.item, b.item), a.length if a.length == b.length else None)
    raise TypeError(f"{a} and {b} are different kinds of value")


def type_of_value(value) -> Type:
    """Static type of a Python constant (array, scalar, string or list)."""
    if isinstance(value, str):
        return String()
    if isinstance(value, (list, tuple)):
        if len(value) == 0:
            return List(Anything(), 0)
        item = type_of_value(value[0])
        for v in value[1:]:
            item = join(item, type_of_value(v))
        return List(item, len(value))
    if isinstance(value, (bool, np.bool_)) and not isinstance(value, np.ndarray):
        return Tensor(np.dtype(np.bool_), ())
    if isinstance(value, int) and not isinstance(value, np.integer):
        return Tensor(np.dtype(np.int64), (), weak=True)
    if isinstance(value, float) and not isinstance(value, np.floating):
        return Tensor(np.dtype(np.float64), (), weak=True)
    arr = np.asarray(value)
    return Tensor(as_dtype(arr.dtype), tuple(arr.shape))


def result_dtype(*types: Tensor) -> np.dtype:
    """NumPy 2 promotion of the operand types (weak literals included)."""
    args = []
    for t in types:
        if t.weak:
            args.append(1.0 if t.dtype.kind == "f" else (True if t.dtype.kind == "b" else 1))
        else:
            args.append(t.dtype)
    if all(t.weak for t in types):
        # Two literals: Python semantics, int64 or float64.
        return np.dtype(np.float64) if any(t.dtype.kind == "f" for t in types) else types[0].dtype
    return as_dtype(np.result_type(*args))


def broadcast_shapes(a: Shape, b: Shape) -> Shape:
    """Static NumPy broadcasting of two shapes.

    Raises
    ------
    ValueError
        If two known dimensions cannot broadcast.
    """
    if a is None or b is None:
        return None
    n = max(len(a), len(b))
    a = (1,) * (n - len(a)) + tuple(a)
    b = (1,) * (n - len(b)) + tuple(b)
    out = []
    for x, y in zip(a, b):
        if x == 1:
            out.append(y)
        elif y == 1:
            out.append(x)
        elif x is None or y is None:
            out.append(x if y is None else y)
        elif x == y:
            out.append(x)
        else:
            raise ValueError(f"shapes {a} and {b} do not broadcast")
    return tuple(out)
