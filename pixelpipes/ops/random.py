"""Random sampling: numbers, tensors of numbers, choices and permutations.

Every node of this module draws from a stream of its own: the Philox
generator keyed by the pipeline seed and the node's *key*, counted by the
sample index.  So a node's value in sample ``i`` depends only on the seed,
the key and ``i`` -- not on threads, batches or the order samples are made
in.  Tensors of draws are filled in C order from the one stream.

Keys
----
A node gets a key from its structure (class, parameters and inputs) and its
rank among structurally identical nodes, so two ``RandomUniform(0, 1)`` nodes
of one graph draw independently.  ``key=`` sets it explicitly: random nodes
with equal keys draw from the same stream, whatever their class, and an
explicit key keeps a node's draws the same when the rest of the graph
changes.

The same decision in two places
-------------------------------
The picking nodes make one decision with one rule: an index drawn uniformly
when the weights are absent or all equal (like ``RandomInteger(0, n)``), else
by the cumulative weights.  So, given the same ``key=``:

* ``RandomChoice(images, key="k")`` and ``RandomChoice(labels, key="k")`` pick
  the same position of two lists of the same length -- an image and its
  label with the same draw;
* ``RandomChoice(items, weights, key="k")`` picks the item at
  ``RandomChoiceIndex(weights, key="k")``;
* ``RandomChoice(items, key="k")`` picks the item at
  ``RandomInteger(0, len(items), key="k")``.

Equivalently, one index node can feed several ``pp.GetElement(list, index)``
nodes::

    index = pp.RandomInteger(0, 100)
    image, label = pp.GetElement(images, index), pp.GetElement(labels, index)

Numeric parameters may be plain values or nodes (then they may change from
sample to sample).  Bad values that are known at compile time raise
:class:`~pixelpipes.GraphError`; at run time the sample fails with an
:class:`~pixelpipes.ExecutionError` naming the node and the sample.
"""

from __future__ import annotations

import math
import operator

import numpy as np

from ..errors import GraphError
from ..graph import Node, static_value
from ..types import DTYPE_CODE, List, Tensor, as_dtype, scalar

__all__ = [
    "RandomBernoulli", "RandomBinomial", "RandomChoice", "RandomChoiceIndex",
    "RandomInteger", "RandomNormal", "RandomPermutation", "RandomUniform",
]

#: Largest number of elements of a tensor of draws.
MAX_ELEMENTS = 2 ** 58

# How a picking kernel gets its weights (see _ops_random.pyx).
_WEIGHTS_NONE, _WEIGHTS_STATIC, _WEIGHTS_INPUT = 0, 1, 2


# ------------------------------------------------------------------ helpers

_static_value = static_value  # the compile-time value of a node, or None

def _static_number(node):
    value = _static_value(node)
    if value is None or isinstance(value, (str, list)):
        return None
    arr = np.asarray(value)
    return arr.item() if arr.size == 1 else None


def _check_scalar(t, what, kinds="iuf"):
    """``t`` must be a numeric scalar type whose dtype kind is in ``kinds``."""
    if not isinstance(t, Tensor) or (t.shape is not None and t.shape != ()):
        raise GraphError(f"{what} must be a scalar, got {t}")
    if t.dtype is not None and t.dtype.kind not in kinds:
        kind = "an integer" if kinds == "iu" else "a number"
        raise GraphError(f"{what} must be {kind}, got {t}")


def _check_probability(node, what="p"):
    p = _static_number(node)
    if p is not None and not 0.0 <= p <= 1.0:
        raise GraphError(f"probability {what} must be in [0, 1], got {p}")


def _static_shape(shape) -> tuple:
    if isinstance(shape, (bool, np.bool_)):
        raise GraphError(f"shape must be a tuple of ints, got {shape!r}")
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    try:
        dims = tuple(operator.index(d) for d in shape)
    except TypeError:
        raise GraphError(f"shape must be a tuple of ints, got {shape!r}") from None
    if any(d < 0 for d in dims):
        raise GraphError(f"shape must not have negative dimensions, got {dims}")
    if len(dims) > 8:
        raise GraphError(f"shape has more than 8 dimensions: {dims}")
    if math.prod(dims) > MAX_ELEMENTS:
        raise GraphError(f"shape {dims} has too many elements")
    return dims


def _float_dtype(dtype) -> np.dtype:
    try:
        dt = as_dtype(dtype)
    except TypeError as exc:
        raise GraphError(str(exc)) from None
    if dt.kind != "f":
        raise GraphError(f"dtype must be float32 or float64, got {dt.name}")
    return dt


def _weights(node, weights):
    """``(mode, static weights)`` of the ``weights`` argument of ``node``:
    None, a node, or a sequence of numbers."""
    if weights is None:
        return _WEIGHTS_NONE, ()
    if isinstance(weights, Node):
        return _WEIGHTS_INPUT, ()
    try:
        w = np.asarray(weights, dtype=np.float64)
    except (TypeError, ValueError):
        raise GraphError(f"{node.describe()}: weights must be a sequence of numbers or a "
                         f"node (a 1-D tensor), got {weights!r}") from None
    if w.ndim != 1:
        raise GraphError(f"{node.describe()}: weights must be one-dimensional, "
                         f"got shape {w.shape}")
    return _WEIGHTS_STATIC, tuple(float(x) for x in w)


def _check_static_weights(weights):
    if not weights:
        raise GraphError("weights must not be empty")
    total = 0.0
    for i, w in enumerate(weights):
        if not math.isfinite(w) or w < 0:
            raise GraphError(f"weight {i} is {w}; weights must be finite and >= 0")
        total += w
    if total == 0:
        raise GraphError("all weights are zero")
    if not math.isfinite(total):
        raise GraphError("the weights sum to more than the largest double")


def _check_weights_type(t, length):
    """A weights input: a numeric 1-D tensor of ``length`` items if known."""
    if not isinstance(t, Tensor) or (t.shape is not None and len(t.shape) != 1):
        raise GraphError(f"weights must be a 1-D tensor, got {t}")
    if t.dtype is not None and t.dtype.kind not in "biuf":
        raise GraphError(f"weights must be numbers, got {t}")
    if t.shape is not None and t.shape[0] is not None:
        if t.shape[0] == 0:
            raise GraphError("weights must not be empty")
        if length is not None and t.shape[0] != length:
            raise GraphError(f"{t.shape[0]} weights for a list of {length} items")


class _Random(Node):
    random = True
    pure = False


# ------------------------------------------------------------------ continuous

class RandomUniform(_Random):
    """Numbers drawn uniformly from ``[low, high)``.

    Parameters
    ----------
    low, high : float or Node, optional
        Bounds, scalars with ``low <= high`` (``low == high`` gives ``low``);
        they must be finite.  For float32 they are first rounded to float32.
    shape : tuple of int, optional
        Shape of the result; ``()`` (default) for a scalar.
    dtype : {numpy.float64, numpy.float32}, optional
        Element type.
    name : str, optional
        Label for ``explain()`` and error messages.
    key : str or int, optional
        Random key (see :mod:`pixelpipes.ops.random`).

    Notes
    -----
    Each element takes one 64-bit draw (53 random bits); the rare draw that
    rounds up to ``high`` is redrawn.  A scalar draws the same number as the
    first element of a tensor with the same key.

    Examples
    --------
    >>> with pp.Graph() as graph:
    ...     _ = pp.Output(pp.RandomUniform(-1, 1, shape=(2, 3)), "x")
    >>> graph.compile(seed=1).run(0)["x"].shape
    (2, 3)
    """

    kernel = "random_uniform"

    def __init__(self, low=0.0, high=1.0, *, shape=(), dtype=np.float64, name=None, key=None):
        super().__init__(low, high, name=name, key=key)
        try:
            self.shape = _static_shape(shape)
            self.dtype = _float_dtype(dtype)
        except GraphError as exc:
            raise GraphError(f"{self.describe()}: {exc}") from None

    def params(self):
        return (self.shape, self.dtype.name)

    def infer(self, low, high):
        _check_scalar(low, "low")
        _check_scalar(high, "high")
        lo, hi = _static_number(self.inputs[0]), _static_number(self.inputs[1])
        for v, what in ((lo, "low"), (hi, "high")):
            if v is not None and not math.isfinite(v):
                raise GraphError(f"{what} must be finite, got {v}")
        if lo is not None and hi is not None and lo > hi:
            raise GraphError(f"low ({lo}) must not exceed high ({hi})")
        return Tensor(self.dtype, self.shape)

    def encode(self, types, result):
        return [DTYPE_CODE[self.dtype], len(self.shape), *self.shape], []


class RandomNormal(_Random):
    """Numbers drawn from the normal distribution ``N(mean, std**2)``.

    Parameters
    ----------
    mean : float or Node, optional
        Mean, a finite scalar.
    std : float or Node, optional
        Standard deviation, a finite scalar ``>= 0``.
    shape : tuple of int, optional
        Shape of the result; ``()`` (default) for a scalar.
    dtype : {numpy.float64, numpy.float32}, optional
        Element type (float32 values are computed in double and rounded).
    name : str, optional
        Label for ``explain()`` and error messages.
    key : str or int, optional
        Random key.

    Notes
    -----
    Marsaglia's polar method; each element takes two or more draws.
    """

    kernel = "random_normal"

    def __init__(self, mean=0.0, std=1.0, *, shape=(), dtype=np.float64, name=None, key=None):
        super().__init__(mean, std, name=name, key=key)
        try:
            self.shape = _static_shape(shape)
            self.dtype = _float_dtype(dtype)
        except GraphError as exc:
            raise GraphError(f"{self.describe()}: {exc}") from None

    def params(self):
        return (self.shape, self.dtype.name)

    def infer(self, mean, std):
        _check_scalar(mean, "mean")
        _check_scalar(std, "std")
        m, s = _static_number(self.inputs[0]), _static_number(self.inputs[1])
        for v, what in ((m, "mean"), (s, "std")):
            if v is not None and not math.isfinite(v):
                raise GraphError(f"{what} must be finite, got {v}")
        if s is not None and s < 0:
            raise GraphError(f"std must be >= 0, got {s}")
        return Tensor(self.dtype, self.shape)

    def encode(self, types, result):
        return [DTYPE_CODE[self.dtype], len(self.shape), *self.shape], []


# ------------------------------------------------------------------ discrete

class RandomBernoulli(_Random):
    """True with probability ``p``: a bool scalar.

    Parameters
    ----------
    p : float or Node, optional
        Probability of True, in ``[0, 1]``; other values (or NaN) fail.
    name : str, optional
        Label for ``explain()`` and error messages.
    key : str or int, optional
        Random key.

    Notes
    -----
    One draw ``u`` in ``[0, 1)``; the result is ``u < p``.
    """

    kernel = "random_bernoulli"

    def __init__(self, p=0.5, *, name=None, key=None):
        super().__init__(p, name=name, key=key)

    def infer(self, p):
        _check_scalar(p, "p")
        _check_probability(self.inputs[0])
        return scalar(np.bool_)


class RandomBinomial(_Random):
    """The number of successes in ``n`` trials of probability ``p``: an int64
    scalar with the exact binomial distribution.

    Parameters
    ----------
    n : int or Node
        Number of trials, an integer ``>= 0``.
    p : float or Node
        Probability of success, in ``[0, 1]``.
    name : str, optional
        Label for ``explain()`` and error messages.
    key : str or int, optional
        Random key.

    Notes
    -----
    With ``r = min(p, 1 - p)`` (the result is mirrored for ``p > 1/2``):
    for ``n r < 30`` the geometric waiting times between successes are summed
    (about ``n r + 1`` draws); from there on Kachitvichyanukul and
    Schmeiser's BTPE rejection algorithm takes a few draws whatever ``n``.
    """

    kernel = "random_binomial"

    def __init__(self, n, p, *, name=None, key=None):
        super().__init__(n, p, name=name, key=key)

    def infer(self, n, p):
        _check_scalar(n, "n", "iu")
        _check_scalar(p, "p")
        nv = _static_number(self.inputs[0])
        if nv is not None and nv < 0:
            raise GraphError(f"number of trials n must be >= 0, got {nv}")
        _check_probability(self.inputs[1])
        return scalar(np.int64)


class RandomInteger(_Random):
    """An integer drawn uniformly from ``[low, high)``: an int64 scalar.

    Parameters
    ----------
    low, high : int or Node
        Integer scalars with ``low < high``; an empty range fails.
    name : str, optional
        Label for ``explain()`` and error messages.
    key : str or int, optional
        Random key.

    Notes
    -----
    ``low + rng_below(high - low)``: Lemire's unbiased method, usually one
    draw.  With the same key, ``RandomInteger(0, n)`` and a
    :class:`RandomChoice` of ``n`` items make the same decision.
    """

    kernel = "random_integer"

    def __init__(self, low, high, *, name=None, key=None):
        super().__init__(low, high, name=name, key=key)

    def infer(self, low, high):
        _check_scalar(low, "low", "iu")
        _check_scalar(high, "high", "iu")
        lo, hi = _static_number(self.inputs[0]), _static_number(self.inputs[1])
        if lo is not None and hi is not None and hi <= lo:
            raise GraphError(f"empty range [{lo}, {hi})")
        return scalar(np.int64)


class RandomPermutation(_Random):
    """A uniformly random permutation of ``range(n)``: a 1-D int64 tensor.

    Parameters
    ----------
    n : int or Node
        Length, an integer ``>= 0``.  When it is known at compile time the
        result has the static shape ``(n,)``.
    name : str, optional
        Label for ``explain()`` and error messages.
    key : str or int, optional
        Random key.

    Notes
    -----
    Fisher-Yates: position ``i`` (from ``n - 1`` down to 1) is swapped with
    position ``rng_below(i + 1)``.
    """

    kernel = "random_permutation"

    def __init__(self, n, *, name=None, key=None):
        super().__init__(n, name=name, key=key)

    def infer(self, n):
        _check_scalar(n, "n", "iu")
        nv = _static_number(self.inputs[0])
        if nv is not None:
            if nv < 0:
                raise GraphError(f"n must be >= 0, got {nv}")
            if nv > MAX_ELEMENTS:
                raise GraphError(f"n = {nv} is too large")
            return Tensor(np.dtype(np.int64), (int(nv),))
        return Tensor(np.dtype(np.int64), (None,))


# ------------------------------------------------------------------ choices

class RandomChoiceIndex(_Random):
    """An index in ``[0, len(weights))`` drawn with probabilities proportional
    to ``weights``: an int64 scalar.

    Parameters
    ----------
    weights : sequence of float, or Node
        Non-negative finite weights, not all zero: a Python sequence (checked
        at compile time) or a 1-D tensor node (checked in every sample).
    name : str, optional
        Label for ``explain()`` and error messages.
    key : str or int, optional
        Random key.

    Notes
    -----
    Equal weights draw ``rng_below(len(weights))``, as
    ``RandomInteger(0, len(weights))`` does; other weights invert the
    cumulative weights with one uniform draw.  A :class:`RandomChoice` with
    the same key and weights picks the item at this index.
    """

    kernel = "random_choice_index"

    def __init__(self, weights, *, name=None, key=None):
        super().__init__(*([weights] if isinstance(weights, Node) else []), name=name, key=key)
        if weights is None:
            raise GraphError(f"{self.describe()}: weights are required")
        self.mode, self.weights = _weights(self, weights)

    def params(self):
        return (self.mode, self.weights)

    def infer(self, *weights):
        if self.mode == _WEIGHTS_STATIC:
            _check_static_weights(self.weights)
        else:
            _check_weights_type(weights[0], None)
        return scalar(np.int64)

    def encode(self, types, result):
        return [self.mode], list(self.weights)


class RandomChoice(_Random):
    """One item of a list, drawn with probabilities proportional to
    ``weights`` (uniformly by default).

    The result is the list's item itself (no copy), so the items may be
    tensors of different shapes, strings, scalars or lists.

    Parameters
    ----------
    items : list or Node
        A Python list of constants, or a list node.
    weights : sequence of float, or Node, optional
        One non-negative finite weight per item, not all zero: a Python
        sequence (checked at compile time) or a 1-D tensor node (checked in
        every sample).
    name : str, optional
        Label for ``explain()`` and error messages.
    key : str or int, optional
        Random key.  Two ``RandomChoice`` nodes with the same key and weights
        (or, without weights, lists of the same length) pick the same
        position: give an image list and its label list the same key to draw
        matching pairs.

    Notes
    -----
    The same decision as ``RandomChoiceIndex(weights)`` -- or, without
    weights, ``RandomInteger(0, len(items))`` -- with the same key.

    Examples
    --------
    >>> with pp.Graph() as graph:
    ...     _ = pp.Output(pp.RandomChoice(["cat", "dog"], key="pair"), "name")
    ...     _ = pp.Output(pp.RandomChoice([0, 1], key="pair"), "label")
    >>> s = graph.compile(seed=3).run(0)
    >>> ["cat", "dog"].index(s["name"]) == int(s["label"])
    True
    """

    kernel = "random_choice"
    aliases = True

    def __init__(self, items, weights=None, *, name=None, key=None):
        super().__init__(items, *([weights] if isinstance(weights, Node) else []),
                         name=name, key=key)
        self.mode, self.weights = _weights(self, weights)

    def params(self):
        return (self.mode, self.weights)

    def infer(self, items, *weights):
        if not isinstance(items, List):
            raise GraphError(f"items must be a list, got {items}; to pick along the first "
                             "axis of a tensor, index it with a RandomInteger")
        if items.length == 0:
            raise GraphError("cannot choose from an empty list")
        if self.mode == _WEIGHTS_STATIC:
            _check_static_weights(self.weights)
            if items.length is not None and len(self.weights) != items.length:
                raise GraphError(f"{len(self.weights)} weights for a list of "
                                 f"{items.length} items")
        elif self.mode == _WEIGHTS_INPUT:
            _check_weights_type(weights[0], items.length)
        return items.item

    def encode(self, types, result):
        return [self.mode], list(self.weights)
