"""Graph description: nodes, graphs, outputs, constants, variables, macros.

A pipeline is described by building :class:`Node` objects inside a
:class:`Graph` context and marking results with :class:`Output`::

    with pp.Graph() as graph:
        x = pp.RandomUniform(0, 1)
        pp.Output(x * 2, "x")
    pipeline = graph.compile(seed=7)

Nodes accept other nodes or plain Python values (numbers, strings, arrays,
lists) as inputs; plain values become :class:`Constant` nodes.  Nodes support
the arithmetic, comparison and logic operators, and indexing.
"""

from __future__ import annotations

import itertools
import os
import sys
import threading
from typing import List, Optional, Sequence, Tuple

import numpy as np

from .errors import GraphError, PixelPipesError
from .types import Type, type_of_value

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
_serial = itertools.count()
_local = threading.local()


def _definition_site() -> str:
    """``file:line`` of the first caller outside the pixelpipes package."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not os.path.abspath(filename).startswith(_PACKAGE_DIR):
            return f"{filename}:{frame.f_lineno}"
        frame = frame.f_back
    return "<pixelpipes>"


def _graph_stack() -> list:
    stack = getattr(_local, "graphs", None)
    if stack is None:
        stack = _local.graphs = []
    return stack


class Node:
    """Base class of every graph node.

    Subclasses declare how they run through class attributes and methods:

    ``kernel``
        Name of the C kernel that computes the node.
    ``random``
        True if the node draws random numbers; it then gets a stable key
        (see ``docs/architecture.md``).
    ``pure``
        False if the value depends on the sample (random, sample index):
        such nodes are never folded into constants.
    ``aliases``
        True if the output may point into the memory of an input.
    ``branches``
        Indices of inputs evaluated lazily (flow control only).
    ``infer(*types)``
        Static type of the result, from the static types of the inputs.
    ``encode(types, result)``
        ``(iparams, fparams)``: integer and float parameters of the kernel.
    ``params()``
        Hashable tuple of the node's non-input parameters, for common
        sub-expression elimination, keys and ``explain()``.

    Parameters
    ----------
    *inputs : Node or value
        Input nodes; plain values become :class:`Constant` nodes.
    name : str, optional
        A label shown by ``explain()`` and in error messages.
    key : str or int, optional
        Explicit random key.  Random nodes with equal keys (and parameters)
        draw the same numbers; a key also makes the node's draws independent
        of the rest of the graph's structure.
    """

    kernel: Optional[str] = None
    random: bool = False
    pure: bool = True
    aliases: bool = False
    branches: Tuple[int, ...] = ()

    def __init__(self, *inputs, name: Optional[str] = None, key=None):
        self.inputs: Tuple[Node, ...] = tuple(as_node(i) for i in inputs)
        self.name = name
        self.key = key
        self.site = _definition_site()
        self.serial = next(_serial)
        self.scope = getattr(_local, "scope", 0)

    # -- description --------------------------------------------------------

    def params(self) -> tuple:
        return ()

    def infer(self, *types: Type) -> Type:  # pragma: no cover - abstract
        raise NotImplementedError(type(self).__name__ + ".infer")

    def encode(self, types: Sequence[Type], result: Type) -> Tuple[list, list]:
        return [], []

    def describe(self) -> str:
        """``Class 'label' (defined at file:line)`` for error messages."""
        label = f" {self.name!r}" if self.name else ""
        return f"{type(self).__name__}{label} (defined at {self.site})"

    def __repr__(self):
        return f"<{self.describe()}>"

    @property
    def type(self) -> Type:
        """Static type of this node; available while a graph compiles
        (inside :meth:`Macro.expand`)."""
        from .compiler import current_compiler

        return current_compiler().lower(self).type

    # -- operators ------------------------------------------------------------

    def __bool__(self):
        raise GraphError(
            f"{self.describe()}: a node has no truth value while the graph is "
            "built; use pp.Conditional to branch on a value at run time")

    __hash__ = object.__hash__

    def _bin(self, cls, other, reverse=False):
        return cls(other, self) if reverse else cls(self, other)

    def __add__(self, o): return self._bin(_ops().Add, o)
    def __radd__(self, o): return self._bin(_ops().Add, o, True)
    def __sub__(self, o): return self._bin(_ops().Subtract, o)
    def __rsub__(self, o): return self._bin(_ops().Subtract, o, True)
    def __mul__(self, o): return self._bin(_ops().Multiply, o)
    def __rmul__(self, o): return self._bin(_ops().Multiply, o, True)
    def __truediv__(self, o): return self._bin(_ops().Divide, o)
    def __rtruediv__(self, o): return self._bin(_ops().Divide, o, True)
    def __floordiv__(self, o): return self._bin(_ops().FloorDivide, o)
    def __rfloordiv__(self, o): return self._bin(_ops().FloorDivide, o, True)
    def __mod__(self, o): return self._bin(_ops().Modulo, o)
    def __rmod__(self, o): return self._bin(_ops().Modulo, o, True)
    def __pow__(self, o): return self._bin(_ops().Power, o)
    def __rpow__(self, o): return self._bin(_ops().Power, o, True)
    def __neg__(self): return _ops().Negate(self)
    def __pos__(self): return self
    def __abs__(self): return _ops().Abs(self)
    def __lt__(self, o): return self._bin(_ops().Less, o)
    def __le__(self, o): return self._bin(_ops().LessEqual, o)
    def __gt__(self, o): return self._bin(_ops().Greater, o)
    def __ge__(self, o): return self._bin(_ops().GreaterEqual, o)
    def __eq__(self, o): return self._bin(_ops().Equal, o)  # type: ignore[override]
    def __ne__(self, o): return self._bin(_ops().NotEqual, o)  # type: ignore[override]
    def __and__(self, o): return self._bin(_ops().LogicalAnd, o)
    def __rand__(self, o): return self._bin(_ops().LogicalAnd, o, True)
    def __or__(self, o): return self._bin(_ops().LogicalOr, o)
    def __ror__(self, o): return self._bin(_ops().LogicalOr, o, True)
    def __xor__(self, o): return self._bin(_ops().LogicalXor, o)
    def __rxor__(self, o): return self._bin(_ops().LogicalXor, o, True)
    def __invert__(self): return _ops().LogicalNot(self)

    def __getitem__(self, index):
        return _ops().GetElement(self, index)


def _ops():
    from . import ops

    return ops


def static_value(node):
    """Compile-time value of ``node`` if it is a constant (possibly folded),
    else None.  Only meaningful while a graph compiles: inside ``infer`` of a
    node (pass one of ``self.inputs``) or ``Macro.expand``."""
    from .compiler import current_compiler

    try:
        ir = current_compiler().lower(as_node(node))
    except PixelPipesError:
        return None
    return ir.value if ir.is_constant else None


class Constant(Node):
    """A value fixed when the graph is built: scalar, string, array, or a list
    of them (items may have different shapes).  Arrays are used without a
    copy; do not modify them after compiling.

    Parameters
    ----------
    value : scalar, str, numpy.ndarray, or list of these
        The value.
    """

    def __init__(self, value, *, name=None):
        super().__init__(name=name)
        value = _promote_numbers(value)
        try:
            self.value_type = type_of_value(value)
        except (TypeError, ValueError) as exc:
            raise GraphError(f"{self.describe()}: {exc}") from None
        self.value = _normalise_constant(value)

    def infer(self):
        return self.value_type

    def describe(self):
        value = getattr(self, "value", None)
        if isinstance(value, np.ndarray) and value.ndim == 0:
            return f"Constant {value!r} (defined at {self.site})"
        return super().describe()


def _promote_numbers(value):
    """A list of Python numbers mixing ints and floats becomes all floats,
    as in NumPy (``[1.5, 4]`` is a list of float64)."""
    if isinstance(value, (list, tuple)):
        items = [_promote_numbers(v) for v in value]
        plain = [v for v in items if isinstance(v, (int, float)) and not isinstance(v, bool)]
        if len(plain) == len(items) and any(isinstance(v, float) for v in plain):
            items = [float(v) for v in items]
        return items
    return value


def _normalise_constant(value):
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        return [_normalise_constant(v) for v in value]
    if isinstance(value, Node):
        raise GraphError("a Constant cannot hold a node")
    if isinstance(value, bool):
        return np.asarray(value, dtype=np.bool_)
    if isinstance(value, int):
        if not -(2 ** 63) <= value < 2 ** 63:
            raise GraphError(f"integer constant {value} does not fit in int64")
        return np.asarray(value, dtype=np.int64)
    if isinstance(value, float):
        return np.asarray(value, dtype=np.float64)
    arr = np.asarray(value)
    if arr.dtype == object:
        raise GraphError(f"cannot make a constant of {type(value).__name__}")
    from .types import as_dtype

    try:
        as_dtype(arr.dtype)
    except TypeError as exc:
        raise GraphError(str(exc)) from None
    return arr


def as_node(value) -> Node:
    """``value`` itself if it is a node, else a :class:`Constant` of it."""
    if isinstance(value, Node):
        return value
    return Constant(value)


class Variable(Node):
    """A named compile-time constant, set by ``graph.compile(variables=...)``.

    Parameters
    ----------
    variable : str
        Name used in ``variables``.
    default : value
        Value used when ``variables`` does not name it.
    """

    def __init__(self, variable: str, default, *, name=None):
        super().__init__(name=name or variable)
        self.variable = variable
        self.default = default


class Macro(Node):
    """A node that expands into a sub-graph at compile time.

    Subclasses implement :meth:`expand`, which receives the input nodes (their
    static types are available as ``node.type``) and returns the node that
    replaces the macro.  Random nodes built inside ``expand`` get keys scoped
    by the macro's own key, so two uses of a macro draw independently.
    """

    def expand(self, *inputs: Node) -> Node:  # pragma: no cover - abstract
        raise NotImplementedError


class Output(Node):
    """Marks ``node`` as an output of the current graph, under ``label``.

    Parameters
    ----------
    node : Node or value
        The value to output.
    label : str
        Key of this output in the dictionaries that pipelines return.
    """

    def __init__(self, node, label: str):
        if not isinstance(label, str) or not label:
            raise GraphError("an output label must be a non-empty string")
        super().__init__(node, name=label)
        self.label = label
        stack = _graph_stack()
        if not stack:
            raise GraphError(f"{self.describe()}: Output must be created inside "
                             "a `with pp.Graph():` block")
        stack[-1]._add_output(self)


class Graph:
    """A set of labelled outputs and everything they depend on.

    Use as a context manager; :class:`Output` nodes created inside it belong
    to it.  Other nodes may be created anywhere: the graph holds whatever its
    outputs reach.
    """

    def __init__(self):
        self.outputs: List[Output] = []

    def __enter__(self):
        _graph_stack().append(self)
        return self

    def __exit__(self, *exc):
        _graph_stack().pop()
        return False

    def _add_output(self, out: Output):
        if any(o.label == out.label for o in self.outputs):
            raise GraphError(f"{out.describe()}: duplicate output label {out.label!r}")
        self.outputs.append(out)

    def compile(self, seed: int = 0, *, variables: Optional[dict] = None,
                optimize=True):
        """Compile the graph into a :class:`~pixelpipes.pipeline.Pipeline`.

        Parameters
        ----------
        seed : int
            Pipeline seed (0 <= seed < 2**64); with the sample index and each
            random node's key it determines every random draw.
        variables : dict, optional
            Values of :class:`Variable` nodes.
        optimize : bool or dict, optional
            ``True`` (default) turns on every optimisation, ``False`` none;
            a dict switches single ones off (or on), by name:

            ``"fold"``
                Evaluate nodes whose inputs are all constants once, at
                compile time (and pick the branch of a constant condition).
            ``"cse"``
                Merge identical nodes (common sub-expression elimination).
            ``"fuse_geometry"``
                Compile chains of geometric operations into one warp (see
                ``docs/performance.md``).
            ``"fuse_pixels"``
                Compile chains of per-pixel operations into one pass.
            ``"fuse_decode"``
                Decode a JPEG followed by a linear random resized crop at
                the coarsest scale the box allows (DCT scaling; see
                :mod:`pixelpipes.image.decode_crop`).  The one optimisation
                that changes pixels: by the antialiasing of the reduced
                decode, on samples whose box is at least twice the output.

            For example ``optimize={"fuse_pixels": False}``.

        Returns
        -------
        Pipeline
        """
        from .compiler import compile_graph
        from .pipeline import Pipeline

        return Pipeline(compile_graph(self, seed=seed, variables=variables,
                                      optimize=optimize))


def compile(graph: Graph, seed: int = 0, **kwargs):  # noqa: A001 - public name
    """Compile ``graph``; same as ``graph.compile(seed, **kwargs)``."""
    return graph.compile(seed, **kwargs)
