"""Decoding fused with the random resized crop that follows it.

The compiler's ``fuse_decode`` optimisation (on by default; see
:func:`pixelpipes.Graph.compile`) replaces::

    image = pp.DecodeImage(data)          # or pp.LoadImage(path, cache=False)
    image = pp.RandomResizedCrop(image, size, scale, ratio)   # linear

when nothing else reads the decoded image or the box, by one
:class:`DecodedCrop` node (kernel ``source_decode_rrc`` in
``_core/_ops_source.pyx``).  It reads the image size from the JPEG header,
draws the box exactly as :class:`~pixelpipes.RandomResizedCropBox` does (the
same key, so the same box), and decodes only as finely as the box needs:

* When the box is at least ``2 s`` times the output along both axes
  (``s`` = 2, 4 or 8, the largest that fits), the JPEG is decoded at ``1 /
  s`` of its size by libjpeg's DCT scaling -- each output block comes from
  the low frequencies of its 8 x 8 coefficients, which is an antialiasing
  downscale -- and the box, scaled by ``1 / s`` (fractional), is resized
  linearly from it.  Decoding costs less at a smaller scale (measured in
  ``docs/performance.md``), and the linear resize that follows downsamples
  by less, so it aliases less.
* Otherwise (a box less than twice the output along an axis, a file that is
  not a plain 8-bit JPEG, an Exif orientation other than 1) the image is
  decoded whole and the box resized exactly as ``ResizedCrop`` does: the
  same bytes as the unfused graph.

So a fused sample differs from the unfused one only when ``s > 1``, by what
DCT scaling does instead of a sharper decode (the tests bound it against an
``INTER_AREA`` reference).  It is deterministic like everything else.
``optimize={"fuse_decode": False}`` decodes every image whole.  With the
decoded-image cache on, a ``LoadImage`` is left alone: the cache holds whole
images.
"""

from __future__ import annotations

from ..graph import Node
from .sources import DEPTHS, MODES


class DecodedCrop(Node):
    """Decode and random resized crop in one kernel (made by the compiler's
    ``fuse_decode``; see the module docstring).

    Parameters
    ----------
    source : Node
        The encoded bytes (``from_path`` False) or the file's path.
    height, width : Node
        The output size (static integer scalars).
    from_path : bool
        Whether ``source`` is a path (a ``LoadImage``) or bytes.
    decoder : str
        Name of the decoding node that was fused (for ``explain()``).
    mode, depth : str
        The decoder's mode (``"color"`` or ``"gray"``) and depth (``"uint8"``).
    scale, ratio : (float, float)
        The box's area and aspect-ratio ranges.
    result : Type
        The static type of the resized crop.
    """

    kernel = "source_decode_rrc"
    random = True
    pure = False

    def __init__(self, source, height, width, *, from_path, decoder, mode, depth, scale,
                 ratio, result, name=None):
        super().__init__(source, height, width, name=name)
        self.from_path = bool(from_path)
        self.decoder = decoder
        self.mode = mode
        self.depth = depth
        self.scale = tuple(scale)
        self.ratio = tuple(ratio)
        self.result = result

    def params(self):
        return (self.from_path, self.mode, self.depth, self.scale, self.ratio)

    def infer(self, *types):
        return self.result

    @property
    def info_class(self) -> str:
        """How ``explain()`` names the node: the fused ops in order."""
        return f"DecodedCrop[{self.decoder} > RandomResizedCrop]"

    def encode(self, types, result):
        return ([int(self.from_path), MODES[self.mode], DEPTHS[self.depth]],
                [*self.scale, *self.ratio])


def decoded_crop(resized, inputs, alone):
    """The :class:`DecodedCrop` that replaces the lowered ``ResizedCrop``
    ``resized`` (with rewritten ``inputs``), and the key its box had; None
    when the pattern of the module docstring is not there.  ``alone(value,
    readers)`` tells whether a value has just that many readers."""
    from ..ops.lists import GetElement
    from .geometry import INTERPOLATIONS, RandomResizedCropBox, ResizedCrop
    from .sources import DecodeImage, LoadImage
    from ..fusion import Lowered

    node = resized.node
    if not isinstance(node, ResizedCrop) or node.interpolation != INTERPOLATIONS["linear"]:
        return None
    image, x, y, width, height, out_h, out_w = inputs
    decoder = image.node
    if isinstance(decoder, LoadImage):
        if decoder.cache:
            return None
    elif not isinstance(decoder, DecodeImage):
        return None
    if decoder.mode not in ("color", "gray") or decoder.depth != "uint8":
        return None
    box = None
    for value, k in ((x, 1), (y, 0), (width, 3), (height, 2)):
        if not (isinstance(value.node, GetElement) and value.inputs[1].is_constant
                and int(value.inputs[1].value) == k and alone(value, 1)):
            return None
        if box is None:
            box = value.inputs[0]
        elif value.inputs[0] is not box:
            return None
    if not (isinstance(box.node, RandomResizedCropBox) and box.inputs[0] is image
            and alone(box, 4) and alone(image, 2)):
        return None
    fused = DecodedCrop(Lowered(image.inputs[0]), Lowered(out_h), Lowered(out_w),
                        from_path=isinstance(decoder, LoadImage),
                        decoder=type(decoder).__name__, mode=decoder.mode,
                        depth=decoder.depth, scale=box.node.scale, ratio=box.node.ratio,
                        result=resized.type, name=node.name)
    return fused, box.key
