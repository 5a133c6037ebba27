"""Fused geometric chains: several geometric operations as one pass.

The compiler (:mod:`pixelpipes.fusion`) replaces a chain such as
``RandomResizedCrop -> RandomFlip`` or ``SafeCrop -> Flip -> Crop`` by one
:class:`GeometryChain` node.  Its kernel composes, for every sample, what the
stages do to pixel coordinates -- crops and pads are translations (pads add
a border), flips, transposes and quarter turns are signed axis permutations,
a resize is an axis-aligned scale, a warp or rotation a 3 x 3 matrix -- and
then reads the source once:

* no resampling stage: every output pixel is one source pixel (or a border
  value); the result is exactly the unfused one;
* one resize (``Resize``, ``Scale``, ``ResizedCrop``): the separable resize
  engine with tap tables composed with the exact stages (a flip reverses a
  table, a crop takes part of it); equal to the unfused result except that
  a resampling position computed as one affine map may round differently
  from OpenCV's formula by one unit in the last place: uint8 within 1,
  float32 within 1e-4 relative (tested);
* one warp (``Warp``, ``Rotate``): the warp engine with the composed matrix
  over the source window; within the same tolerance.

A chain holds at most one resampling stage, so that fusing never changes
what the unfused pipeline computes beyond rounding.  Which chains may fuse is
decided by :func:`can_join`; the kernel is ``geometry_chain`` in
``pixelpipes/_core/_ops_geochain.pyx`` (its docstring gives the encoding).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

from ..errors import GraphError
from ..graph import Macro, Node
from ..ops.random import _static_number
from ..types import Type
from ._common import INTERPOLATIONS

__all__ = ["GeometryView", "GeometryChain", "GeoStage", "geometry_stages", "can_join"]

# Stage kinds: the kernel's codes.
CROP, PAD, RESIZE, FLIP, TRANSPOSE, ROT90, WARP, ROTATE = range(1, 9)
_CONSTANT_BORDER = 0
# Warps whose result jumps when a sample position moves by a rounding error.
_UNCOMPOSABLE = (INTERPOLATIONS["nearest"], INTERPOLATIONS["lanczos"])
_PAD_CENTRE = 2
#: the kernel's MAX_LEVELS
MAX_BORDER_LEVELS = 4


@dataclass(frozen=True)
class GeoStage:
    """One stage of a geometric chain.

    ``inputs`` are positions in the node's inputs (the image is 0) of the
    stage's run-time parameters; ``ints`` (4) and ``floats`` (4) its static
    parameters, as the kernel reads them; ``label`` names it in
    ``explain()`` (empty for the second stage of one node).
    """

    kind: int
    inputs: Tuple[int, ...]
    ints: Tuple[int, int, int, int] = (0, 0, 0, 0)
    floats: Tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
    label: str = ""
    #: for a PAD stage: known at compile time never to make border pixels
    inside: bool = False

    @property
    def resampler(self) -> Optional[str]:
        """``"axis"`` (resize), ``"general"`` (warp, rotate) or None."""
        if self.kind == RESIZE:
            return "axis"
        if self.kind in (WARP, ROTATE):
            return "general"
        return None

    @property
    def swaps(self) -> bool:
        """May exchange rows and columns."""
        return self.kind in (TRANSPOSE, ROT90)

    @property
    def borders(self) -> bool:
        """May make border pixels (a pad not known to stay inside)."""
        return self.kind == PAD and not self.inside


def _flip_stage(horizontal, vertical, when=0, inputs=(), label="Flip"):
    return GeoStage(FLIP, tuple(inputs), (int(horizontal), int(vertical), when, 0), label=label)


def _pad_inside(node, types) -> bool:
    """A CenterCrop whose window is known to lie inside its image."""
    from .geometry import CenterCrop

    if not isinstance(node, CenterCrop):
        return False
    shape = types[0].shape if types else None
    h, w = _static_number(node.inputs[1]), _static_number(node.inputs[2])
    return (shape is not None and None not in (h, w, shape[0], shape[1])
            and h <= shape[0] and w <= shape[1])


def geometry_stages(node, types: Sequence[Type] = ()) -> Optional[List[GeoStage]]:
    """The geometric stages that ``node`` applies to its image (input 0), in
    order, or None when it is not a fusable geometric node.

    ``types`` are the static types of the node's inputs (used to prove that
    a centre crop stays inside its image).  Not fusable: resizes with
    ``"area"`` interpolation (area averaging is not a tap filter); warps and
    rotations with ``"nearest"`` or ``"lanczos"``, whose result jumps when a
    sample position moves by a rounding error (nearest at positions exactly
    half way between pixels, as a rotation by 0 with ``expand`` makes;
    lanczos positions are rounded to 1/32 pixel as in OpenCV): composing
    their matrix with a flip or a crop could change pixels.
    """
    from . import geometry as geo
    from . import warp

    if isinstance(node, GeometryChain):
        return list(node.stages)
    if isinstance(node, geo.Crop):
        return [GeoStage(CROP, (1, 2, 3, 4), label="Crop")]
    if isinstance(node, (geo.SafeCrop, geo.Pad, geo.CenterCrop)):
        mode = {geo.SafeCrop: 0, geo.Pad: 1, geo.CenterCrop: 2}[type(node)]
        n = 2 if mode == _PAD_CENTRE else 4
        value = tuple(float(v) for v in node.value)
        return [GeoStage(PAD, tuple(range(1, n + 1)), (node.border, mode, 0, 0), value,
                         label=type(node).__name__, inside=_pad_inside(node, types))]
    if isinstance(node, (geo.Resize, geo.Scale)):
        if node.interpolation == INTERPOLATIONS["area"]:
            return None
        mode = 1 if isinstance(node, geo.Scale) else 0
        return [GeoStage(RESIZE, (1, 2), (node.interpolation, mode, 0, 0),
                         label=type(node).__name__)]
    if isinstance(node, geo.ResizedCrop):
        if node.interpolation == INTERPOLATIONS["area"]:
            return None
        return [GeoStage(CROP, (1, 2, 3, 4), label="ResizedCrop"),
                GeoStage(RESIZE, (5, 6), (node.interpolation, 0, 0, 0))]
    if isinstance(node, geo.Flip):
        return [_flip_stage(node.horizontal, node.vertical)]
    if isinstance(node, geo.TransposeImage):
        return [GeoStage(TRANSPOSE, (), label="Transpose")]
    if isinstance(node, geo.Rotate90):
        return [GeoStage(ROT90, (1,), label="Rotate90")]
    if isinstance(node, (warp.Warp, warp.Rotate)) and node.interpolation in _UNCOMPOSABLE:
        return None
    if isinstance(node, warp.Warp):
        n = 3 if node.has_size else 1
        perspective = {None: 0, True: 1, False: 2}[node.perspective]
        return [GeoStage(WARP, tuple(range(1, n + 1)),
                         (node.interpolation, node.border, perspective, int(node.has_size)),
                         tuple(node._value4()), label="Warp")]
    if isinstance(node, warp.Rotate):
        return [GeoStage(ROTATE, (1,), (node.interpolation, node.border, int(node.expand), 0),
                         tuple(node._value4()), label="Rotate")]
    return None


def conditional_flip_stage(flip_node, flip_when_true: bool) -> Optional[List[GeoStage]]:
    """The stage of ``Conditional(c, Flip(x), x)`` (``flip_when_true``) or
    ``Conditional(c, x, Flip(x))``: a flip decided at run time by input 1
    of the chain step, ``c``."""
    from .geometry import Flip

    if not isinstance(flip_node, Flip):
        return None
    return [_flip_stage(flip_node.horizontal, flip_node.vertical,
                        1 if flip_when_true else 2, (1,), label="RandomFlip")]


def can_join(first: Sequence[GeoStage], second: Sequence[GeoStage]) -> bool:
    """Whether the stages ``first`` then ``second`` may run as one chain.

    At most one resampling stage and four border-making pads; before a warp or rotation no border-making
    pad; after any resampling stage none either (its border would be
    resampled otherwise); a resize chain with border-making pads takes no
    constant border (the separable engine reads only source pixels) and no
    transposes or quarter turns (its tables are per axis).
    """
    stages = list(first) + list(second)
    if sum(s.borders for s in stages) > MAX_BORDER_LEVELS:
        return False
    resamplers = [k for k, s in enumerate(stages) if s.resampler]
    if len(resamplers) > 1:
        return False
    if not resamplers:
        return True
    r = resamplers[0]
    kind = stages[r].resampler
    before, after = stages[:r], stages[r + 1:]
    if any(s.borders for s in after):
        return False
    if kind == "general":
        return not any(s.borders for s in before)
    if any(s.swaps for s in stages):
        return False
    return not any(s.borders and s.ints[0] == _CONSTANT_BORDER for s in before)


class GeometryChain(Node):
    """Geometric stages applied in one pass (made by the compiler's fusion;
    see the module docstring).

    Parameters
    ----------
    image : Node
        The chain's source image.
    params : sequence of Node
        The stages' run-time parameters, in stage order.
    stages : sequence of GeoStage
        The stages; their ``inputs`` index ``(image, *params)``.
    result : Type
        The static type of the last stage's result.
    """

    kernel = "geometry_chain"

    def __init__(self, image, params, stages, result, *, name=None):
        super().__init__(image, *params, name=name)
        self.stages = tuple(stages)
        self.result = result

    def params(self):
        return (self.stages,)

    def infer(self, *types):
        return self.result

    @property
    def info_class(self) -> str:
        """How ``explain()`` names the node: the fused ops in order."""
        return "GeometryChain[" + " > ".join(s.label for s in self.stages if s.label) + "]"

    def encode(self, types, result):
        iparams, fparams = [len(self.stages)], []
        for s in self.stages:
            iparams += [s.kind, len(s.inputs), *s.ints]
            fparams += list(s.floats)
        for s in self.stages:
            iparams += list(s.inputs)
        return iparams, fparams


class _ChainView(GeometryChain):
    kernel = "geometry_chain_view"

    def __init__(self, image, params, stages, *, name=None):
        from .views import VIEW_TYPE

        super().__init__(image, params, stages, VIEW_TYPE, name=name)

    @property
    def info_class(self) -> str:
        return "GeometryView" + super().info_class[len("GeometryChain"):]


class GeometryView(Macro):
    """The 3 x 3 view of a chain of geometric operations: it maps pixel
    coordinates of ``source`` to those of ``image``, per sample.

    Use it to move points, rectangles or any geometry with the image, by
    the very parameters the chain drew (:class:`~pixelpipes.TransformPoints`,
    :class:`~pixelpipes.TransformRectangle`); a mask that goes through the
    same operations with the same keys gets the same transform.

    Parameters
    ----------
    image : Node
        The end of the chain: an image made from ``source`` by fusable
        geometric operations (crops, pads, resizes, flips incl.
        :class:`~pixelpipes.RandomFlip`, transposes, quarter turns, warps
        and rotations with linear or cubic interpolation), with at most one
        resizing or warping operation (the rules of compiler fusion, see
        ``docs/performance.md``).
    source : Node, optional
        The start of the chain; by default the longest chain ending at
        ``image`` that these rules allow.

    Returns
    -------
    Node
        A float64 3 x 3 matrix.  Pixel centres are at integer coordinates; a
        resize maps ``x -> (x + 0.5) * out / in - 0.5``; pads and crops
        translate; flips mirror about the centre of the pixel grid.

    Examples
    --------
    >>> photo = np.zeros((100, 200, 3), np.uint8)
    >>> with pp.Graph() as graph:
    ...     image = pp.Constant(photo)
    ...     small = pp.Flip(pp.Resize(image, (50, 100)), horizontal=True)
    ...     view = pp.GeometryView(small, image)
    ...     _ = pp.Output(pp.TransformPoints([[0.5, 0.5]], view), "p")
    >>> graph.compile().run(0)["p"].tolist()
    [[99.0, 0.0]]
    """

    def __init__(self, image, source=None, *, name=None):
        inputs = (image,) if source is None else (image, source)
        super().__init__(*inputs, name=name)

    def expand(self, image, source=None):
        from ..compiler import current_compiler

        comp = current_compiler()
        found = self._walk(comp, image, source)
        if comp.options["fold"] and (found is None or not found[2]):
            # Folding may have made the chain a constant: walk it again as
            # lowered without folding (same keys, so the same random draws).
            found = self._walk(comp.unfolded(), image, source)
        if found is None:
            raise GraphError(f"{self.describe()}: the image is not made from the source by a "
                             "chain of fusable geometric operations (see GeometryView)")
        value, params, stages = found
        if not stages:
            from .views import IdentityView

            return IdentityView(name=self.name)
        return _ChainView(value, params, stages, name=self.name)

    def _walk(self, comp, image, source):
        """``(source value, parameter nodes, stages)`` of the chain, or None."""
        from ..compiler import _local
        from ..fusion import Lowered, geometric_step, shift_stages

        previous = getattr(_local, "compiler", None)
        _local.compiler = comp
        try:
            value = comp.lower(image)
            stop = None if source is None else comp.lower(source)
        finally:
            _local.compiler = previous
        stages, params = [], []
        while value is not stop:
            step = geometric_step(value)
            if step is None or not can_join(step[0], stages):
                break
            before, value, before_params, _ = step
            stages = list(before) + shift_stages(stages, len(before_params))
            params = list(before_params) + params
        if stop is not None and value is not stop:
            return None
        return Lowered(value), [Lowered(p) for p in params], stages
