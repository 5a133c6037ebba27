"""Tensor operations: join, reshape, permute axes and convert element types.

These follow NumPy (``np.stack``, ``np.concatenate``, ``reshape``,
``np.transpose``, ``np.squeeze``, ``np.expand_dims``, ``astype``) with two
deliberate differences: tensors that are joined must already have one dtype
(no implicit promotion; use :class:`Cast`), and :class:`Cast` from floats to
integers saturates instead of being undefined out of range.

Reshape, Squeeze and Unsqueeze return views of their input; the others make
new tensors.
"""

from __future__ import annotations

import numpy as np

from ..errors import GraphError
from ..graph import Node
from ..types import DTYPE_CODE, Anything, List, Tensor, Type, as_dtype
from .lists import _constant_value, _sequence_node, _stack_params

__all__ = ["Stack", "Concatenate", "Reshape", "Transpose", "Squeeze", "Unsqueeze", "Cast"]

MAX_DIMS = 8


# ---------------------------------------------------------------- helpers

def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _axis(node: Node, value) -> int:
    if not _is_int(value):
        raise GraphError(f"{node.describe()}: axis must be an int, got {value!r}")
    return int(value)


def _axes(node: Node, value, what: str, allow_none: bool = False):
    """``value`` (an int or a sequence of ints) as a tuple of ints."""
    if value is None and allow_none:
        return None
    if _is_int(value):
        return (int(value),)
    if isinstance(value, (list, tuple)) and all(_is_int(a) for a in value):
        return tuple(int(a) for a in value)
    raise GraphError(f"{node.describe()}: {what} must be an int or a sequence of ints, "
                     f"got {value!r}")


def _normalize_axis(axis: int, ndim: int) -> int:
    if not -ndim <= axis < ndim:
        raise GraphError(f"axis {axis} is out of bounds for rank {ndim}")
    return axis + ndim if axis < 0 else axis


def _tensor(t: Type, what: str) -> Tensor:
    if not isinstance(t, Tensor):
        raise GraphError(f"{what} must be a tensor, got {t}")
    return t


def _unify(a, b, what):
    """Shapes that must be equal: the most precise shape both can be."""
    if a is None:
        return b
    if b is None:
        return a
    if len(a) != len(b):
        raise GraphError(f"{what}: shapes {_fmt(a)} and {_fmt(b)} have different ranks")
    out = []
    for x, y in zip(a, b):
        if x is not None and y is not None and x != y:
            raise GraphError(f"{what}: shapes {_fmt(a)} and {_fmt(b)} differ")
        out.append(x if x is not None else y)
    return tuple(out)


def _fmt(shape) -> str:
    dims = ", ".join("?" if d is None else str(d) for d in shape)
    return f"({dims},)" if len(shape) == 1 else f"({dims})"


def _join_inputs(types, concat_axis=None):
    """What :class:`Stack` and :class:`Concatenate` join: ``(from_list, item,
    count, items)`` -- whether the tensors are the items of one list input,
    their common static type (shapes unified; the ``concat_axis`` dimension
    left unknown), how many there are (None if unknown), and the input types
    (None for a list)."""
    if len(types) == 1 and isinstance(types[0], List):
        lst = types[0]
        if isinstance(lst.item, Anything):
            raise GraphError("cannot join an empty list whose item type is unknown")
        item = _tensor(lst.item, "every item of the list")
        return True, item, lst.length, None
    items = [_tensor(t, f"input {k}") for k, t in enumerate(types)]
    dtypes = {t.dtype for t in items if t.dtype is not None}
    if len(dtypes) > 1:
        names = " and ".join(sorted(d.name for d in dtypes))
        raise GraphError(f"the tensors have different dtypes ({names}); convert them "
                         "with pp.Cast first")
    rank = next((len(t.shape) for t in items if t.shape is not None), None)
    shape = None if rank is None else (None,) * rank
    for t in items:
        s = t.shape
        if concat_axis is not None and s is not None and rank is not None and len(s) == rank:
            if rank == 0:
                raise GraphError("scalars cannot be concatenated")
            ax = _normalize_axis(concat_axis, rank)
            s = s[:ax] + (None,) + s[ax + 1:]
        shape = _unify(shape, s, "the tensors must have one shape" if concat_axis is None
                       else "the tensors must have one shape except along the axis")
    return False, Tensor(dtypes.pop() if dtypes else None, shape), len(items), items


# ---------------------------------------------------------------- nodes

class Stack(Node):
    """Join tensors of one shape along a new axis, like ``np.stack``.

    Parameters
    ----------
    *tensors : Node or array, or one list
        Tensors of one dtype and shape, or a single list of them (a list
        node, or a Python list).  An empty list gives a size-0 axis when the
        item shape is known at compile time, and fails otherwise.
    axis : int
        Position of the new axis in the result, ``-(ndim + 1) <= axis <= ndim``.

    Examples
    --------
    >>> with pp.Graph() as graph:
    ...     _ = pp.Output(pp.Stack(np.zeros((2, 3)), np.ones((2, 3)), axis=-1), "s")
    >>> graph.compile().run(0)["s"].shape
    (2, 3, 2)
    """

    kernel = "tensor_stack"

    def __init__(self, *tensors, axis=0, name=None):
        if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
            tensors = (_sequence_node(tensors[0]),)
        super().__init__(*tensors, name=name)
        if not tensors:
            raise GraphError(f"{self.describe()}: needs tensors or a list of them")
        self.axis = _axis(self, axis)

    def params(self):
        return (self.axis,)

    def infer(self, *types):
        _, item, n, _ = _join_inputs(types)
        if item.shape is None:
            return Tensor(item.dtype, None)
        ax = _normalize_axis(self.axis, len(item.shape) + 1)
        if len(item.shape) + 1 > MAX_DIMS:
            raise GraphError("the result would have more than 8 dimensions")
        return Tensor(item.dtype, item.shape[:ax] + (n,) + item.shape[ax:])

    def encode(self, types, result):
        from_list, item, _, _ = _join_inputs(types)
        return _stack_params(from_list, self.axis, item)


class Concatenate(Node):
    """Join tensors along an existing axis, like ``np.concatenate``.

    Parameters
    ----------
    *tensors : Node or array, or one list
        Tensors of one dtype and rank whose shapes agree except along
        ``axis``, or a single list of them.  An empty list gives a size-0
        axis when the item shape is known at compile time, and fails
        otherwise.
    axis : int
        The axis, ``-ndim <= axis < ndim``.
    """

    kernel = "tensor_concat"

    def __init__(self, *tensors, axis=0, name=None):
        if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
            tensors = (_sequence_node(tensors[0]),)
        super().__init__(*tensors, name=name)
        if not tensors:
            raise GraphError(f"{self.describe()}: needs tensors or a list of them")
        self.axis = _axis(self, axis)

    def params(self):
        return (self.axis,)

    def infer(self, *types):
        from_list, item, n, items = _join_inputs(types, self.axis)
        if item.shape is None:
            return Tensor(item.dtype, None)
        if item.shape == ():
            raise GraphError("scalars cannot be concatenated")
        ax = _normalize_axis(self.axis, len(item.shape))
        if from_list:
            d = item.shape[ax]
            total = None if d is None or n is None else d * n
        else:
            sizes = [None if t.shape is None else t.shape[ax] for t in items]
            total = None if None in sizes else sum(sizes)
        return Tensor(item.dtype, item.shape[:ax] + (total,) + item.shape[ax + 1:])

    def encode(self, types, result):
        from_list, item, _, _ = _join_inputs(types, self.axis)
        return _stack_params(from_list, self.axis, item)


class Reshape(Node):
    """The tensor with a new shape and the same elements in C order, like
    ``ndarray.reshape``; a view, not a copy.

    Parameters
    ----------
    tensor : Node
        A tensor.
    shape : Node or sequence of int
        The new shape: a list of integer scalars, a 1-d integer tensor or an
        integer.  One dimension may be -1 and is then inferred.  A shape
        whose element count differs from the tensor's fails.

    Examples
    --------
    >>> with pp.Graph() as graph:
    ...     _ = pp.Output(pp.Reshape(np.arange(6), (3, -1)), "r")
    >>> graph.compile().run(0)["r"].tolist()
    [[0, 1], [2, 3], [4, 5]]
    """

    kernel = "tensor_reshape"
    aliases = True

    def __init__(self, tensor, shape, *, name=None):
        super().__init__(tensor, _sequence_node(shape), name=name)

    def infer(self, t, shape):
        t = _tensor(t, "the input")
        if isinstance(shape, List):
            item = shape.item
            if isinstance(item, Tensor) and (item.shape not in ((), None) or (
                    item.dtype is not None and item.dtype.kind not in "iu")):
                raise GraphError(f"the shape must hold integer scalars, got {shape}")
            if not isinstance(item, (Tensor, Anything)):
                raise GraphError(f"the shape must hold integer scalars, got {shape}")
            rank = shape.length
        elif isinstance(shape, Tensor):
            if shape.dtype is not None and shape.dtype.kind not in "iu":
                raise GraphError(f"the shape must hold integers, got {shape}")
            if shape.shape is not None and len(shape.shape) > 1:
                raise GraphError(f"the shape must be 1-d, got {shape}")
            rank = None if shape.shape is None else (1 if shape.shape == () else shape.shape[0])
        else:
            raise GraphError("the shape must be a list of integers or an integer tensor, "
                             f"got {shape}")
        if rank is not None and rank > MAX_DIMS:
            raise GraphError(f"a shape of {rank} dimensions (at most {MAX_DIMS})")
        value = _constant_value(self.inputs[1])
        if value is None:
            return Tensor(t.dtype, None if rank is None else (None,) * rank)
        if isinstance(value, list):
            dims = [int(np.asarray(v)) for v in value]
        else:
            dims = [int(d) for d in np.asarray(value).reshape(-1)]
        if dims.count(-1) > 1:
            raise GraphError(f"only one dimension can be -1, got {tuple(dims)}")
        if any(d < -1 for d in dims):
            raise GraphError(f"negative dimension in shape {tuple(dims)}")
        size = None
        if t.shape is not None and None not in t.shape:
            size = int(np.prod(t.shape, dtype=np.int64))
        known = int(np.prod([d for d in dims if d != -1], dtype=object))
        if size is not None:
            ok = (known == size) if -1 not in dims else (known > 0 and size % known == 0)
            if not ok:
                raise GraphError(f"cannot reshape a tensor of {size} elements into shape "
                                 f"{tuple(dims)}")
            return Tensor(t.dtype, tuple(size // known if d == -1 else d for d in dims))
        return Tensor(t.dtype, tuple(None if d == -1 else d for d in dims))


class Transpose(Node):
    """The tensor with its axes permuted, like ``np.transpose`` (a copy in C
    order).

    Parameters
    ----------
    tensor : Node
        A tensor.
    axes : sequence of int, optional
        A permutation of ``range(ndim)`` (negative entries count from the
        end): axis ``k`` of the result is axis ``axes[k]`` of the input.
        Default: the axes reversed.

    Examples
    --------
    >>> with pp.Graph() as graph:
    ...     _ = pp.Output(pp.Transpose(np.zeros((4, 5, 3)), (2, 0, 1)), "chw")
    >>> graph.compile().run(0)["chw"].shape
    (3, 4, 5)
    """

    kernel = "tensor_transpose"

    def __init__(self, tensor, axes=None, *, name=None):
        super().__init__(tensor, name=name)
        axes = _axes(self, axes, "axes", allow_none=True)
        if axes is not None:
            n = len(axes)
            norm = tuple(a + n if a < 0 else a for a in axes)
            if sorted(norm) != list(range(n)):
                raise GraphError(f"{self.describe()}: axes {axes} is not a permutation "
                                 f"of {tuple(range(n))}")
            axes = norm
        self.axes = axes

    def params(self):
        return (self.axes,)

    def infer(self, t):
        t = _tensor(t, "the input")
        if t.shape is None:
            return Tensor(t.dtype, None)
        axes = self.axes if self.axes is not None else tuple(reversed(range(len(t.shape))))
        if len(axes) != len(t.shape):
            raise GraphError(f"axes {axes} do not match a tensor of rank {len(t.shape)}")
        return Tensor(t.dtype, tuple(t.shape[a] for a in axes))

    def encode(self, types, result):
        if self.axes is None:
            return [-1], []
        return [len(self.axes), *self.axes], []


class Squeeze(Node):
    """The tensor without axes of size 1, like ``np.squeeze``; a view.

    Parameters
    ----------
    tensor : Node
        A tensor.
    axis : int or sequence of int, optional
        The axes to remove; each must have size 1 (else the sample, or the
        compilation when the size is known, fails).  Default: every axis of
        size 1.
    """

    kernel = "tensor_squeeze"
    aliases = True

    def __init__(self, tensor, axis=None, *, name=None):
        super().__init__(tensor, name=name)
        self.axis = _axes(self, axis, "axis", allow_none=True)
        if self.axis is not None and len(set(self.axis)) != len(self.axis):
            raise GraphError(f"{self.describe()}: repeated axis in {self.axis}")

    def params(self):
        return (self.axis,)

    def infer(self, t):
        t = _tensor(t, "the input")
        if t.shape is None:
            return Tensor(t.dtype, None)
        if self.axis is None:
            if None in t.shape:
                # Which unknown dimensions are 1 is only known at run time.
                return Tensor(t.dtype, None)
            return Tensor(t.dtype, tuple(d for d in t.shape if d != 1))
        axes = [_normalize_axis(a, len(t.shape)) for a in self.axis]
        if len(set(axes)) != len(axes):
            raise GraphError(f"repeated axis in {self.axis}")
        for a in axes:
            if t.shape[a] is not None and t.shape[a] != 1:
                raise GraphError(f"cannot squeeze axis {a} of size {t.shape[a]}")
        return Tensor(t.dtype, tuple(d for k, d in enumerate(t.shape) if k not in axes))

    def encode(self, types, result):
        if self.axis is None:
            return [-1], []
        return [len(self.axis), *self.axis], []


class Unsqueeze(Node):
    """The tensor with new axes of size 1, like ``np.expand_dims``; a view.

    Parameters
    ----------
    tensor : Node
        A tensor.
    axis : int or sequence of int
        Positions of the new axes in the result (negative ones count from
        the end of the result).
    """

    kernel = "tensor_unsqueeze"
    aliases = True

    def __init__(self, tensor, axis, *, name=None):
        super().__init__(tensor, name=name)
        self.axis = _axes(self, axis, "axis")
        if len(set(self.axis)) != len(self.axis):
            raise GraphError(f"{self.describe()}: repeated axis in {self.axis}")

    def params(self):
        return (self.axis,)

    def infer(self, t):
        t = _tensor(t, "the input")
        if t.shape is None:
            return Tensor(t.dtype, None)
        ndim = len(t.shape) + len(self.axis)
        if ndim > MAX_DIMS:
            raise GraphError(f"the result would have {ndim} dimensions (at most {MAX_DIMS})")
        axes = {_normalize_axis(a, ndim) for a in self.axis}
        if len(axes) != len(self.axis):
            raise GraphError(f"repeated axis in {self.axis}")
        dims = iter(t.shape)
        return Tensor(t.dtype, tuple(1 if k in axes else next(dims) for k in range(ndim)))

    def encode(self, types, result):
        return [len(self.axis), *self.axis], []


class Cast(Node):
    """The tensor converted to another element type (a copy).

    Conversions are NumPy's ``astype`` where NumPy defines them: integers wrap
    modulo 2**bits when narrowed, integers convert to the nearest float,
    anything converts to bool as ``!= 0`` (so NaN is True).  Floats convert
    to integers by truncating toward zero and **saturating** to the target's
    range, NaN giving 0; NumPy leaves out-of-range and NaN results undefined
    (they differ between machines), pixelpipes makes them the same
    everywhere.

    Parameters
    ----------
    tensor : Node
        A tensor.
    dtype : dtype or str
        One of bool, uint8, int16, uint16, int32, int64, float32, float64.

    Examples
    --------
    >>> with pp.Graph() as graph:
    ...     _ = pp.Output(pp.Cast(np.array([-1.5, 300.0, np.nan]), "uint8"), "c")
    >>> graph.compile().run(0)["c"].tolist()
    [0, 255, 0]
    """

    kernel = "tensor_cast"

    def __init__(self, tensor, dtype, *, name=None):
        super().__init__(tensor, name=name)
        try:
            self.dtype = as_dtype(dtype)
        except TypeError as exc:
            raise GraphError(f"{self.describe()}: {exc}") from None

    def params(self):
        return (self.dtype.name,)

    def infer(self, t):
        t = _tensor(t, "the input")
        return Tensor(self.dtype, t.shape)

    def encode(self, types, result):
        return [DTYPE_CODE[self.dtype]], []
