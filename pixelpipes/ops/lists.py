"""List operations: build, index, slice, combine, filter and shuffle lists.

A list holds items of one kind (tensors, which may differ in shape, strings, or
lists).  Lists never copy their items: a list built by these operations points
at the values it was made from, and taking an item out of a list gives that
value back without a copy.

Indices follow Python: negative ones count from the end, and an index out of
range fails the sample (or the compilation, when it is known then).
"""

from __future__ import annotations

import numpy as np

from ..errors import GraphError
from ..graph import Node, as_node, static_value
from ..types import DTYPE_CODE, Anything, List, Tensor, Type, join, scalar

__all__ = [
    "MakeList", "GetElement", "Length", "Range", "Sublist", "ListConcat", "Repeat",
    "Filter", "Remap", "PermuteList", "ListToTensor", "TensorToList",
]


# ---------------------------------------------------------------- helpers
# (also used by pixelpipes.ops.tensors)

_constant_value = static_value  # the compile-time value of a node, or None

def _sequence_node(value):
    """``value`` as a node; a Python list or tuple holding nodes becomes a
    :class:`MakeList` (a plain list of numbers becomes a constant)."""
    if isinstance(value, (list, tuple)) and any(isinstance(v, Node) for v in value):
        return MakeList(*value)
    return as_node(value)


def _check_int_scalar(t: Type, what: str):
    if not isinstance(t, Tensor) or (t.shape is not None and t.shape != ()):
        raise GraphError(f"{what} must be an integer scalar, got {t}")
    if t.dtype is not None and t.dtype.kind not in "iu":
        raise GraphError(f"{what} must be an integer, got {t}")


def _static_int(node):
    """The Python int value of a constant integer scalar input, else None."""
    value = _constant_value(node)
    if value is None or isinstance(value, (str, list)):
        return None
    arr = np.asarray(value)
    return int(arr) if arr.ndim == 0 else None


def _check_list(t: Type, what: str = "the input"):
    if not isinstance(t, List):
        raise GraphError(f"{what} must be a list, got {t}")


def _join_items(items):
    """Join of item types, where an empty list's unknown item type
    (``Anything``) joins with everything."""
    out = None
    for t in items:
        if isinstance(t, Anything):
            continue
        out = t if out is None else _join(out, t)
    return Anything() if out is None else out


def _join(a: Type, b: Type) -> Type:
    if isinstance(a, List) and isinstance(b, List):
        return List(_join_items([a.item, b.item]), a.length if a.length == b.length else None)
    return join(a, b)


def _check_index(index: int, length):
    if length is not None and not -length <= index < length:
        raise GraphError(f"index {index} out of range for length {length}")


def _sequence_info(t: Type, what: str):
    """(length, element dtype or None) of a sequence argument: a list of
    scalars or a 1-d tensor."""
    if isinstance(t, List):
        if not isinstance(t.item, (Tensor, Anything)) or (
                isinstance(t.item, Tensor) and t.item.shape not in ((), None)):
            raise GraphError(f"{what} must be a list of scalars or a 1-d tensor, got {t}")
        return t.length, t.item.dtype if isinstance(t.item, Tensor) else None
    if isinstance(t, Tensor) and (t.shape is None or len(t.shape) == 1):
        return (t.shape[0] if t.shape is not None else None), t.dtype
    raise GraphError(f"{what} must be a list of scalars or a 1-d tensor, got {t}")


def _sequence_values(node):
    """Python ints/floats of a constant sequence argument, else None."""
    value = _constant_value(node)
    if value is None or isinstance(value, str):
        return None
    if isinstance(value, list):
        return [np.asarray(v).item() for v in value]
    return np.asarray(value).reshape(-1).tolist()


# ---------------------------------------------------------------- nodes

class MakeList(Node):
    """A list of the given values.

    The list points at its items; nothing is copied.

    Parameters
    ----------
    *items : Node or value
        Values of one kind: tensors of one dtype (their shapes may differ),
        strings, or lists.

    Examples
    --------
    >>> with pp.Graph() as graph:
    ...     _ = pp.Output(pp.MakeList(np.zeros(2), np.ones(3)), "parts")
    >>> [a.tolist() for a in graph.compile().run(0)["parts"]]
    [[0.0, 0.0], [1.0, 1.0, 1.0]]
    """

    kernel = "list_make"
    aliases = True

    def __init__(self, *items, name=None):
        super().__init__(*items, name=name)

    def infer(self, *items):
        try:
            item = _join_items(items)
        except TypeError as exc:
            raise GraphError(f"list items must be of one kind and dtype: {exc}") from None
        return List(item, len(items))


class GetElement(Node):
    """Item ``index`` of a list, or sub-array ``index`` along the first axis
    of a tensor.  Also written ``container[index]``.

    The result is a view of the container (no copy).

    Parameters
    ----------
    container : Node
        A list, or a tensor of rank >= 1.
    index : Node or int
        An integer scalar; negative values count from the end, as in Python.
        An index out of range fails the sample with
        ``index 7 out of range for length 3``.

    Examples
    --------
    >>> with pp.Graph() as graph:
    ...     words = pp.Constant(["a", "b", "c"])
    ...     _ = pp.Output(words[-1], "last")
    >>> graph.compile().run(0)["last"]
    'c'
    """

    kernel = "list_get"
    aliases = True

    def __init__(self, container, index, *, name=None):
        if isinstance(index, slice):
            super().__init__(container, name=name)    # for describe()
            raise GraphError(f"{self.describe()}: takes an integer index, not a slice; "
                             "use pp.Sublist(list, start, stop) for part of a list")
        super().__init__(container, index, name=name)

    def infer(self, container, index):
        _check_int_scalar(index, "the index")
        static = _static_int(self.inputs[1])
        if isinstance(container, List):
            # An unknown item type only comes from empty constant lists.
            if container.length == 0 or isinstance(container.item, Anything):
                raise GraphError("cannot take an item of an empty list")
            if static is not None:
                _check_index(static, container.length)
            return container.item
        if isinstance(container, Tensor):
            if container.shape is None:
                return Tensor(container.dtype, None)
            if container.shape == ():
                raise GraphError(f"a scalar cannot be indexed ({container})")
            if static is not None:
                _check_index(static, container.shape[0])
            return Tensor(container.dtype, container.shape[1:])
        raise GraphError(f"only lists and tensors can be indexed, got {container}")


class Length(Node):
    """The number of items of a list, or the first dimension of a tensor, as
    an int64 scalar.

    Parameters
    ----------
    container : Node
        A list, or a tensor of rank >= 1.
    """

    kernel = "list_length"

    def __init__(self, container, *, name=None):
        super().__init__(container, name=name)

    def infer(self, container):
        if isinstance(container, Tensor) and container.shape == ():
            raise GraphError(f"a scalar has no length ({container})")
        if not isinstance(container, (List, Tensor)):
            raise GraphError(f"only lists and tensors have a length, got {container}")
        return scalar("int64")


class Range(Node):
    """The list of int64 scalars ``range(start, stop, step)``, as in Python.

    ``Range(n)`` is ``0, 1, ..., n - 1``.

    Parameters
    ----------
    start : Node or int
        First value (or, when ``stop`` is omitted, the end and the start is 0).
    stop : Node or int, optional
        End (exclusive).
    step : Node or int
        Increment, positive or negative; zero fails.

    Examples
    --------
    >>> with pp.Graph() as graph:
    ...     _ = pp.Output(pp.ListToTensor(pp.Range(5, 0, -2)), "r")
    >>> graph.compile().run(0)["r"].tolist()
    [5, 3, 1]
    """

    kernel = "list_range"

    def __init__(self, start, stop=None, step=1, *, name=None):
        if stop is None:
            start, stop = 0, start
        super().__init__(start, stop, step, name=name)

    def infer(self, start, stop, step):
        for t, what in ((start, "start"), (stop, "stop"), (step, "step")):
            _check_int_scalar(t, f"the {what}")
        start, stop, step = [_static_int(n) for n in self.inputs]
        if step == 0:
            raise GraphError("the step of a range must not be zero")
        length = None
        if None not in (start, stop, step):
            # len(range(...)) overflows beyond sys.maxsize; this does not.
            length = max(0, -((start - stop) // step))
        return List(scalar("int64"), length)


class Sublist(Node):
    """``list[start:stop]``: a slice with Python's semantics.

    Negative bounds count from the end and bounds beyond either end are
    clipped, so the result is empty rather than an error when the range is
    empty or out of range.  The items are not copied.

    Parameters
    ----------
    list : Node
        A list.
    start : Node or int
        First item (default 0).
    stop : Node or int, optional
        End (exclusive); the end of the list if omitted.
    """

    kernel = "list_sublist"
    aliases = True

    def __init__(self, list, start=0, stop=None, *, name=None):  # noqa: A002 - API name
        self.has_stop = stop is not None
        inputs = (list, start, stop) if self.has_stop else (list, start)
        super().__init__(*inputs, name=name)

    def params(self):
        return (self.has_stop,)

    def infer(self, lst, start, stop=None):
        _check_list(lst)
        _check_int_scalar(start, "start")
        if stop is not None:
            _check_int_scalar(stop, "stop")
        length = None
        if lst.length is not None:
            lo = _static_int(self.inputs[1])
            hi = _static_int(self.inputs[2]) if self.has_stop else lst.length
            if lo is not None and hi is not None:
                length = len(range(lst.length)[lo:hi])
        return List(lst.item, length)

    def encode(self, types, result):
        return [int(self.has_stop)], []


class ListConcat(Node):
    """The items of several lists, in order (without copying them).

    Parameters
    ----------
    *lists : Node
        Lists with items of one kind and dtype.
    """

    kernel = "list_concat"
    aliases = True

    def __init__(self, *lists, name=None):
        super().__init__(*lists, name=name)
        if not lists:
            raise GraphError(f"{self.describe()}: needs at least one list")

    def infer(self, *lists):
        for k, t in enumerate(lists):
            _check_list(t, f"input {k}")
        try:
            item = _join_items([t.item for t in lists])
        except TypeError as exc:
            raise GraphError(f"the lists hold different kinds of items: {exc}") from None
        lengths = [t.length for t in lists]
        return List(item, None if None in lengths else sum(lengths))


class Repeat(Node):
    """A list of ``n`` times ``value`` (the same value, not copies).

    Parameters
    ----------
    value : Node or value
        Any value.
    n : Node or int
        Count, >= 0; a negative count fails (unlike ``[x] * n`` in Python,
        which would give an empty list).
    """

    kernel = "list_repeat"
    aliases = True

    def __init__(self, value, n, *, name=None):
        super().__init__(value, n, name=name)

    def infer(self, value, n):
        _check_int_scalar(n, "the count")
        count = _static_int(self.inputs[1])
        if count is not None and count < 0:
            raise GraphError(f"negative repeat count {count}")
        return List(value, count)


class Filter(Node):
    """The items of ``list`` whose ``mask`` entry is non-zero, in order.

    Parameters
    ----------
    list : Node
        A list.
    mask : Node or sequence
        A list of scalars, or a 1-d tensor (bool or numeric), with as many
        entries as ``list`` has items; a different length fails.
    """

    kernel = "list_filter"
    aliases = True

    def __init__(self, list, mask, *, name=None):  # noqa: A002 - API name
        super().__init__(list, _sequence_node(mask), name=name)

    def infer(self, lst, mask):
        _check_list(lst)
        n, _ = _sequence_info(mask, "the mask")
        if n is not None and lst.length is not None and n != lst.length:
            raise GraphError(f"the mask has length {n} but the list has length {lst.length}")
        values = _sequence_values(self.inputs[1])
        return List(lst.item, None if values is None else sum(1 for v in values if v != 0))


class Remap(Node):
    """Gather: item ``k`` of the result is ``list[indices[k]]``.

    Parameters
    ----------
    list : Node
        A list.
    indices : Node or sequence of int
        A list of integer scalars or a 1-d integer tensor.  Negative indices
        count from the end; an index out of range fails.
    """

    kernel = "list_remap"
    aliases = True

    def __init__(self, list, indices, *, name=None):  # noqa: A002 - API name
        super().__init__(list, _sequence_node(indices), name=name)

    def infer(self, lst, indices):
        _check_list(lst)
        n, dtype = _sequence_info(indices, "the indices")
        if dtype is not None and dtype.kind not in "iu":
            raise GraphError(f"the indices must be integers, got {indices}")
        values = _sequence_values(self.inputs[1])
        if values is not None:
            for i in values:
                _check_index(int(i), lst.length)
        return List(lst.item, n)


class PermuteList(Node):
    """The items of ``list`` in a random order, every permutation equally
    likely (Fisher-Yates).  Deterministic for a given seed, key and sample.

    Parameters
    ----------
    list : Node
        A list.
    key : str, optional
        Random key (see :class:`~pixelpipes.graph.Node`).
    """

    kernel = "list_permute"
    random = True
    pure = False
    aliases = True

    def __init__(self, list, *, key=None, name=None):  # noqa: A002 - API name
        super().__init__(list, name=name, key=key)

    def infer(self, lst):
        _check_list(lst)
        return lst


def _stack_params(from_list: bool, axis: int, item: Type):
    """Kernel parameters of ``tensor_stack``/``tensor_concat``: where the
    tensors come from, the axis, and the static item type (for an empty
    list)."""
    dtype = DTYPE_CODE[item.dtype] if isinstance(item, Tensor) and item.dtype is not None else -1
    if isinstance(item, Tensor) and item.shape is not None:
        dims = [-1 if d is None else d for d in item.shape]
        return [int(from_list), axis, dtype, len(dims), *dims], []
    return [int(from_list), axis, dtype, -1], []


class ListToTensor(Node):
    """Stack a list of scalars, or of tensors of one shape, into one tensor
    whose first axis runs over the items.

    Parameters
    ----------
    list : Node
        A list of tensors of one dtype and shape; items of different shapes
        fail.  An empty list gives shape ``(0, *item_shape)`` when the item
        shape is known at compile time, and fails otherwise.

    Examples
    --------
    >>> with pp.Graph() as graph:
    ...     _ = pp.Output(pp.ListToTensor([np.zeros(2), np.ones(2)]), "t")
    >>> graph.compile().run(0)["t"].shape
    (2, 2)
    """

    kernel = "tensor_stack"

    def __init__(self, list, *, name=None):  # noqa: A002 - API name
        super().__init__(_sequence_node(list), name=name)

    def infer(self, lst):
        _check_list(lst)
        item = lst.item
        if isinstance(item, Anything):
            raise GraphError("cannot make a tensor of an empty list whose item type is unknown")
        if not isinstance(item, Tensor):
            raise GraphError(f"the items must be tensors, got {item}")
        shape = None if item.shape is None else (lst.length,) + tuple(item.shape)
        return Tensor(item.dtype, shape)

    def encode(self, types, result):
        return _stack_params(True, 0, types[0].item)


class TensorToList(Node):
    """Split a tensor along its first axis into a list of views.

    Parameters
    ----------
    tensor : Node
        A tensor of rank >= 1.
    """

    kernel = "list_from_tensor"
    aliases = True

    def __init__(self, tensor, *, name=None):
        super().__init__(tensor, name=name)

    def infer(self, t):
        if not isinstance(t, Tensor):
            raise GraphError(f"the input must be a tensor, got {t}")
        if t.shape is None:
            return List(Tensor(t.dtype, None), None)
        if t.shape == ():
            raise GraphError(f"a scalar cannot be split ({t})")
        return List(Tensor(t.dtype, t.shape[1:]), t.shape[0])

