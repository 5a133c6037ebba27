"""Chains of per-pixel operations run as one pass over the pixels.

The compiler's ``fuse_pixels`` optimisation replaces a chain of point
operations -- :class:`~pixelpipes.Brightness`, :class:`~pixelpipes.Contrast`,
:class:`~pixelpipes.Saturation`, :class:`~pixelpipes.Hue`,
:class:`~pixelpipes.Gamma`, :class:`~pixelpipes.Invert`,
:class:`~pixelpipes.Solarize`, :class:`~pixelpipes.Posterize`,
:class:`~pixelpipes.Normalize`, :class:`~pixelpipes.ConvertDepth`,
:class:`~pixelpipes.ToCHW` and the whole of :class:`~pixelpipes.ColorJitter`
-- by one :class:`PixelChain` node, whose kernel (``_core/_ops_pixel.pyx``)
streams the image once through an L1-resident buffer and gives the same
bits as the single nodes run one after the other.  ``explain()`` shows such
a node with its stages, e.g. ``PixelChain [Jitter(Brightness, Contrast,
Saturation) > Normalize > ToCHW]``.

The pieces the compiler uses are :class:`Stage`, :func:`chain_stages` and
:func:`make_chain`; users do not normally build a :class:`PixelChain`
themselves (``optimize={"fuse_pixels": False}`` turns the fusion off).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional

import numpy as np

from ..errors import GraphError
from ..graph import Node, as_node
from ..types import DTYPE_CODE, Tensor
from . import color

__all__ = ["Stage", "PixelChain", "chain_stages", "make_chain", "MAX_STAGES"]


@dataclass(frozen=True)
class Stage:
    """One per-pixel operation of a :class:`PixelChain`.

    Parameters
    ----------
    kind : str
        One of :data:`STAGE_CODES`: ``"brightness"``, ``"contrast"``,
        ``"saturation"``, ``"hue"``, ``"gamma"``, ``"invert"``,
        ``"solarize"``, ``"posterize"``, ``"normalize"``,
        ``"convert_depth"``, ``"to_chw"`` or ``"jitter"``.
    static : tuple
        Compile-time parameters: ``(scale,)`` for normalize (a bool),
        ``(dtype_name,)`` for convert_depth, four bools (brightness,
        contrast, saturation, hue on) for jitter, ``()`` otherwise.
    inputs : tuple of int
        Indices into the node's inputs of the stage's run-time parameters,
        in the order of the single node's parameters (gamma: gamma, gain;
        normalize: mean, std; jitter: the permutation, then the factors of
        the adjustments that are on).
    """

    kind: str
    static: tuple = ()
    inputs: tuple = ()


#: Stage kinds and their codes in the kernel (``_ops_pixel.pyx``: ``ST_*``).
STAGE_CODES = {
    "brightness": 0, "contrast": 1, "saturation": 2, "hue": 3, "gamma": 4, "invert": 5,
    "solarize": 6, "posterize": 7, "normalize": 8, "convert_depth": 9, "to_chw": 10,
    "jitter": 11,
}

#: Most operations one chain runs (a jitter counts its adjustments); the
#: kernel's ``MAX_MICRO``.
MAX_STAGES = 64

# kind: (single node class, number of run-time parameters); jitter is special
_SINGLE = {
    "brightness": (color.Brightness, 1),
    "contrast": (color.Contrast, 1),
    "saturation": (color.Saturation, 1),
    "hue": (color.Hue, 1),
    "gamma": (color.Gamma, 2),
    "invert": (color.Invert, 0),
    "solarize": (color.Solarize, 1),
    "posterize": (color.Posterize, 1),
    "normalize": (color.Normalize, 2),
    "convert_depth": (color.ConvertDepth, 0),
    "to_chw": (color.ToCHW, 0),
}
_KIND_OF = {cls: kind for kind, (cls, _) in _SINGLE.items()}
_JITTER = (color.Brightness, color.Contrast, color.Saturation, color.Hue)


def _check_stage(stage) -> Stage:
    if not isinstance(stage, Stage):
        raise GraphError(f"a pixel chain stage must be a Stage, got {stage!r}")
    if stage.kind not in STAGE_CODES:
        raise GraphError(f"unknown pixel chain stage {stage.kind!r}; known: "
                         f"{sorted(STAGE_CODES)}")
    static = tuple(stage.static)
    if stage.kind == "jitter":
        if len(static) != 4 or not all(isinstance(b, (bool, np.bool_)) for b in static):
            raise GraphError(f"a jitter stage needs four bools (brightness, contrast, "
                             f"saturation, hue on), got {static!r}")
        n = 1 + sum(static)
    else:
        n = _SINGLE[stage.kind][1]
        want = {"normalize": 1, "convert_depth": 1}.get(stage.kind, 0)
        if len(static) != want:
            raise GraphError(f"a {stage.kind} stage takes {want} static parameters, "
                             f"got {static!r}")
        if stage.kind == "convert_depth":
            np.dtype(static[0])
    if len(stage.inputs) != n:
        raise GraphError(f"a {stage.kind} stage takes {n} inputs, got {len(stage.inputs)}")
    return Stage(stage.kind, static, tuple(int(k) for k in stage.inputs))


def _label(stage: Stage) -> str:
    if stage.kind == "jitter":
        on = [cls.__name__ for cls, b in zip(_JITTER, stage.static) if b]
        return "Jitter(" + ", ".join(on) + ")"
    return _SINGLE[stage.kind][0].__name__


class PixelChain(Node):
    """A chain of per-pixel operations applied in one pass; the same result,
    bit for bit, as the single nodes one after the other.

    Built by the compiler when ``fuse_pixels`` is on (see
    :func:`make_chain`); the stages are those of :data:`STAGE_CODES`.

    Parameters
    ----------
    image : Node
        The image (uint8, uint16, int16 or float32, ``H x W`` or ``H x W x C``).
    stages : sequence of Stage
        The operations, in order; their ``inputs`` index ``(image,) +
        tuple(params)``, so they are ``>= 1``.  ``"to_chw"`` may only be the
        last stage.
    params : sequence of Node or value
        The run-time parameters of the stages.
    name : str, optional
        Label for ``explain()`` and error messages.

    Returns
    -------
    Node
        What the last stage's single node returns: an image of the type the
        chain ends in, or a ``C x H x W`` tensor after ``"to_chw"``.

    Notes
    -----
    Types are inferred, and parameters known at compile time checked, by the
    single nodes' own rules; run-time parameters fail the sample with the
    single kernels' messages (a NaN factor, a hue shift outside [-0.5, 0.5],
    a zero std, ...).
    """

    kernel = "pixel_chain"

    def __init__(self, image, stages, params=(), *, name=None):
        super().__init__(image, *params, name=name)
        try:
            self.stages = tuple(_check_stage(s) for s in stages)
            for k, s in enumerate(self.stages):
                if any(not 1 <= i < len(self.inputs) for i in s.inputs):
                    raise GraphError(f"stage {k} ({s.kind}) refers to inputs {s.inputs}, "
                                     f"but the chain has {len(self.inputs) - 1} parameters")
                if s.kind == "to_chw" and k != len(self.stages) - 1:
                    raise GraphError("to_chw must be the last stage of a pixel chain")
            n = sum(sum(s.static) if s.kind == "jitter" else 1 for s in self.stages)
            if n > MAX_STAGES:
                raise GraphError(f"a pixel chain runs at most {MAX_STAGES} stages, got {n}")
        except (GraphError, TypeError) as exc:
            raise GraphError(f"{self.describe()}: {exc}") from None
        self._proxies = None

    def params(self):
        return self.stages

    @property
    def info_class(self) -> str:
        """How ``explain()`` and error messages name the node."""
        return f"PixelChain[{self.describe_stages()}]"

    def describe_stages(self) -> str:
        """The stages as ``"Brightness > Contrast > Normalize > ToCHW"``."""
        return " > ".join(_label(s) for s in self.stages)

    def _single_nodes(self):
        """Per stage, the single nodes whose rules type it (never lowered)."""
        if self._proxies is None:
            image = self.inputs[0]
            proxies = []
            for s in self.stages:
                params = [self.inputs[k] for k in s.inputs]
                if s.kind == "jitter":
                    factors = iter(params[1:])
                    proxies.append([cls(image, next(factors)) for cls, on in
                                    zip(_JITTER, s.static) if on])
                elif s.kind == "normalize":
                    proxies.append([color.Normalize(image, *params, scale=s.static[0])])
                elif s.kind == "convert_depth":
                    proxies.append([color.ConvertDepth(image, s.static[0])])
                else:
                    proxies.append([_SINGLE[s.kind][0](image, *params)])
            self._proxies = proxies
        return self._proxies

    def infer(self, image, *params):
        t = image
        for s, singles in zip(self.stages, self._single_nodes()):
            types = [params[k - 1] for k in s.inputs]
            if s.kind == "jitter":
                order = types[0]
                if not isinstance(order, Tensor) or (order.shape is not None and (
                        len(order.shape) != 1 or order.shape[0] not in (None, 4))) \
                        or (order.dtype is not None and order.dtype.kind not in "iu"):
                    raise GraphError(f"the jitter order must be a permutation of 4 "
                                     f"integers, got {order}")
                for node, ft in zip(singles, types[1:]):
                    t = node.infer(t, ft)
            else:
                t = singles[0].infer(t, *types)
        return t

    def encode(self, types, result):
        iparams = [len(self.stages)]
        for s in self.stages:
            if s.kind == "normalize":
                static = [int(bool(s.static[0]))]
            elif s.kind == "convert_depth":
                static = [DTYPE_CODE[np.dtype(s.static[0])]]
            else:
                static = [int(bool(b)) for b in s.static]
            iparams += [STAGE_CODES[s.kind], len(static), *static, len(s.inputs), *s.inputs]
        return iparams, []


def chain_stages(node) -> Optional[List[Stage]]:
    """The per-pixel stages that ``node`` applies to its input 0 (its image).

    Parameters
    ----------
    node : Node
        Any graph node.

    Returns
    -------
    list of Stage or None
        The stages, in order, with ``inputs`` indexing ``node.inputs``; for a
        :class:`PixelChain`, its own stages (so that chains of chains merge).
        None when ``node`` is not a per-pixel operation.
    """
    if isinstance(node, PixelChain):
        return list(node.stages)
    kind = _KIND_OF.get(type(node))
    if kind is None:
        return None
    if kind == "normalize":
        static = (node.scale,)
    elif kind == "convert_depth":
        static = (node.dtype.name,)
    else:
        static = ()
    return [Stage(kind, static, tuple(range(1, 1 + _SINGLE[kind][1])))]


def make_chain(image, parts, *, name=None) -> PixelChain:
    """A :class:`PixelChain` applying the stages of ``parts`` to ``image``.

    Parameters
    ----------
    image : Node
        The image the first stage reads.
    parts : sequence of (Stage, sequence of Node)
        Each stage with its run-time parameter nodes, one per entry of
        ``stage.inputs`` (whose values are ignored: the chain numbers its own
        inputs; a node given to several stages becomes one input).
    name : str, optional
        Label for ``explain()`` and error messages.

    Returns
    -------
    PixelChain
    """
    params: List[Node] = []
    index = {}
    stages = []
    for stage, nodes in parts:
        stage = _check_stage(stage)
        nodes = list(nodes)
        if len(nodes) != len(stage.inputs):
            raise GraphError(f"a {stage.kind} stage takes {len(stage.inputs)} parameter "
                             f"nodes, got {len(nodes)}")
        refs = []
        for n in nodes:
            n = as_node(n)
            k = index.get(id(n))
            if k is None:
                params.append(n)
                k = index[id(n)] = len(params)
            refs.append(k)
        stages.append(Stage(stage.kind, stage.static, tuple(refs)))
    return PixelChain(image, stages, params, name=name)
