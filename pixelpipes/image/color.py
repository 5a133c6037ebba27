"""Photometric operations: colour conversion, colour adjustments, point
operations, histogram equalisation, normalisation, depth conversion, blending,
and channel and layout changes.

Three references define these operations, and each node says which it
follows and how closely:

* **OpenCV** for :class:`ConvertColor` (``cv2.cvtColor``), :class:`Threshold`,
  :class:`EqualizeHistogram`, :class:`CLAHE`, :class:`NormalizeMinMax`
  (``cv2.normalize``) and :class:`Blend` (``cv2.addWeighted``).  The uint8
  conversions use OpenCV's fixed-point arithmetic and tables, so most results
  are bit-identical to OpenCV's.
* **torchvision** for :class:`Brightness`, :class:`Contrast`,
  :class:`Saturation`, :class:`Hue`, :class:`ColorJitter`, :class:`Gamma`,
  :class:`Invert`, :class:`Solarize`, :class:`Posterize` and
  :class:`Normalize`: the same formulas in float32, operation for operation,
  with integer results truncated as ``convert_image_dtype`` and ``_blend``
  truncate them.
* **Value ranges** for :class:`ConvertDepth`: uint8 255, uint16 65535,
  int16 32767 and float32 1.0 are the same intensity.

Images are HWC tensors (``H x W`` or ``H x W x C``, ``C`` in 1..4) of uint8,
uint16, int16 or float32.  The colour adjustments treat a 4-channel image as
RGBA and leave its alpha channel unchanged; they reject 2-channel images.
Scalar parameters (factors, thresholds, ...) may be nodes, so that they can
change from sample to sample; values known at compile time are checked then,
the others when the sample runs (a NaN parameter fails the sample).
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ..compiler import current_compiler
from ..errors import GraphError
from ..graph import Macro, Node, as_node, static_value
from ..types import DTYPE_CODE, Tensor, as_dtype
from ._common import IMAGE_DTYPES, channels_of, check_image, image_type

__all__ = [
    "ConvertColor", "Brightness", "Contrast", "Saturation", "Hue", "ColorJitter",
    "Gamma", "Invert", "Solarize", "Posterize", "Threshold", "EqualizeHistogram",
    "CLAHE", "Normalize", "NormalizeMinMax", "ConvertDepth", "Blend",
    "ChannelShuffle", "SelectChannels", "MergeChannels", "ToCHW",
]

U8, I16, U16, F32 = (np.dtype(t) for t in (np.uint8, np.int16, np.uint16, np.float32))


# ------------------------------------------------------------------ helpers

_static_value = static_value  # the compile-time value of a node, or None

def _static_number(node):
    value = _static_value(node)
    if value is None or isinstance(value, (str, list)):
        return None
    arr = np.asarray(value)
    return arr.item() if arr.size == 1 else None


def _check_scalar(t, what: str, kinds: str = "biuf"):
    if not isinstance(t, Tensor) or (t.shape is not None and t.shape != ()):
        raise GraphError(f"{what} must be a scalar, got {t}")
    if t.dtype is not None and t.dtype.kind not in kinds:
        kind = "an integer" if kinds in ("iu", "biu") else "a number"
        raise GraphError(f"{what} must be {kind}, got {t}")


def _check_number(node, t, what: str, low=None, high=None, kinds: str = "biuf"):
    """A scalar parameter; when known, not NaN and within ``[low, high]``."""
    _check_scalar(t, what, kinds)
    v = _static_number(node)
    if v is None:
        return None
    if isinstance(v, float) and math.isnan(v):
        raise GraphError(f"{what} is NaN")
    if (low is not None and v < low) or (high is not None and v > high):
        lo = "-inf" if low is None else low
        hi = "inf" if high is None else high
        raise GraphError(f"{what} must be in [{lo}, {hi}], got {v}")
    return v


def _check_channels(t: Tensor, allowed, what: str):
    c = channels_of(t)
    if c is not None and c not in allowed:
        names = [str(a) for a in allowed]
        names = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
        noun = "channel" if tuple(allowed) == (1,) else "channels"
        raise GraphError(f"{what} needs {names} {noun}, got {c} ({t})")


def _as_dtype(node, dtype) -> np.dtype:
    try:
        dt = as_dtype(dtype)
    except TypeError as exc:
        raise GraphError(f"{node.describe()}: {exc}") from None
    if dt not in IMAGE_DTYPES:
        raise GraphError(f"{node.describe()}: image element type must be uint8, uint16, "
                         f"int16 or float32, got {dt.name}")
    return dt


def _vector(value):
    """A Python sequence of numbers becomes a 1-D array (a tensor constant,
    not a list); nodes and numbers pass through."""
    if isinstance(value, (list, tuple)):
        return np.asarray(value, dtype=np.float64 if any(
            isinstance(v, float) for v in value) else None)
    return value


COLOUR_CHANNELS = (1, 3, 4)
ALL = IMAGE_DTYPES
U8_U16_F32 = (U8, U16, F32)


class _PointOp(Node):
    """An image in, an image of the same type and shape out; scalar
    parameters as further inputs."""

    dtypes = ALL
    channels = COLOUR_CHANNELS
    what = "the image"

    def infer(self, image, *params):
        check_image(image, self.what, self.dtypes)
        _check_channels(image, self.channels, type(self).__name__)
        self.check_params(*params)
        return image_type(image)

    def check_params(self, *types):
        pass


# ------------------------------------------------------------------ ConvertColor

# name: (operation, blue index, input channels, dtypes); codes as _ops_color.pyx.
_SWAP, _TO_GRAY, _FROM_GRAY, _TO_HSV, _FROM_HSV, _TO_YCRCB, _FROM_YCRCB, _TO_LAB, _FROM_LAB = \
    range(9)
_CONVERSIONS = {}
for _rgb, _bidx in (("RGB", 2), ("BGR", 0)):
    _other = "BGR" if _rgb == "RGB" else "RGB"
    _CONVERSIONS.update({
        f"{_rgb}2{_other}": (_SWAP, _bidx, (3, 4), ALL),
        f"{_rgb}A2{_other}A": (_SWAP, _bidx, (4,), ALL),           # alpha kept
        f"{_rgb}2GRAY": (_TO_GRAY, _bidx, (3, 4), U8_U16_F32),
        f"{_rgb}A2GRAY": (_TO_GRAY, _bidx, (4,), U8_U16_F32),
        f"GRAY2{_rgb}": (_FROM_GRAY, _bidx, (1,), ALL),
        f"{_rgb}2HSV": (_TO_HSV, _bidx, (3,), (U8, F32)),
        f"HSV2{_rgb}": (_FROM_HSV, _bidx, (3,), (U8, F32)),
        f"{_rgb}2YCRCB": (_TO_YCRCB, _bidx, (3,), U8_U16_F32),
        f"YCRCB2{_rgb}": (_FROM_YCRCB, _bidx, (3,), U8_U16_F32),
        f"{_rgb}2LAB": (_TO_LAB, _bidx, (3,), (U8, F32)),
        f"LAB2{_rgb}": (_FROM_LAB, _bidx, (3,), (U8, F32)),
    })
del _rgb, _bidx, _other


def _conversion_key(code) -> str:
    if not isinstance(code, str):
        raise GraphError(f"colour conversion code must be a string such as 'RGB2HSV', "
                         f"got {code!r}")
    key = code.upper().replace("_", "").replace("-", "")
    if key.startswith("COLOR"):
        key = key[5:]
    if key not in _CONVERSIONS:
        raise GraphError(f"unknown colour conversion {code!r}; choose from "
                         f"{', '.join(sorted(_CONVERSIONS))}")
    return key


class ConvertColor(Node):
    """Colour space conversion, as ``cv2.cvtColor(image, cv2.COLOR_<code>)``.

    Parameters
    ----------
    image : Node
        The image.
    code : str
        ``"RGB2BGR"``/``"BGR2RGB"`` (3 or 4 channels; a 4th is dropped),
        ``"RGBA2BGRA"``/``"BGRA2RGBA"`` (4 channels; the 4th is kept),
        ``"RGB2GRAY"``/``"BGR2GRAY"`` (3 or 4 channels; a 4th is ignored),
        ``"GRAY2RGB"``/``"GRAY2BGR"`` (1 channel), and ``"RGB2HSV"``,
        ``"HSV2RGB"``, ``"RGB2YCrCb"``, ``"YCrCb2RGB"``, ``"RGB2Lab"``,
        ``"Lab2RGB"`` with their ``BGR`` twins (3 channels).  Case, ``_`` and a
        ``COLOR_`` prefix are ignored; ``"RGBA2GRAY"`` is accepted too.

    Returns
    -------
    Node
        An image of the input type: ``H x W`` for gray results, ``H x W x 3``
        otherwise (``H x W x 4`` for RGBA2BGRA).

    Notes
    -----
    Accepted types: uint8, uint16, int16 and float32 for the swaps and
    GRAY2RGB; uint8, uint16 and float32 for gray and YCrCb; uint8 and
    float32 for HSV and Lab (as OpenCV).

    Value conventions are OpenCV's.  uint8: HSV has H in [0, 180) and S, V
    in [0, 255]; Lab has L scaled by 255/100 and a, b offset by 128; YCrCb
    has Cr, Cb offset by 128 (32768 for uint16).  float32 (RGB in [0, 1]):
    HSV has H in degrees [0, 360); Lab has L in [0, 100] and a, b around 0
    (inputs clipped to [0, 1]); YCrCb has Cr, Cb offset by 0.5.

    Tolerance against OpenCV 5.0: every uint8 conversion is bit-identical
    (checked on all 2**24 colours), except HSV2RGB, which differs by 1 on
    0.01% of the colours (OpenCV's build fuses multiply-adds).  HSV2RGB
    truncates the final ``x * 255`` as OpenCV's vectorised code does;
    OpenCV's scalar code, which it runs on rows narrower than its vectors
    and on the last pixels of other rows, rounds instead, so there the
    results can also differ by 1.  uint16 gray and YCrCb are bit-identical.
    float32 gray, YCrCb and HSV agree within 1e-5 (relative, or absolute
    near 0).  float32 RGB2Lab is exact CIE L*a*b* (D65, sRGB gamma), within
    2e-4 of a float64 computation, where OpenCV interpolates in a 33**3
    table and is up to 0.6 off; Lab2RGB agrees with OpenCV within 1e-4.

    Examples
    --------
    >>> rgb = np.array([[[255, 0, 0], [0, 0, 255]]], np.uint8)
    >>> with pp.Graph() as graph:
    ...     _ = pp.Output(pp.ConvertColor(rgb, "RGB2HSV"), "hsv")
    >>> graph.compile().run(0)["hsv"].tolist()
    [[[0, 255, 255], [120, 255, 255]]]
    """

    kernel = "color_convert"

    def __init__(self, image, code, *, name=None):
        super().__init__(image, name=name)
        try:
            self.code = _conversion_key(code)
        except GraphError as exc:
            raise GraphError(f"{self.describe()}: {exc}") from None

    def params(self):
        return (self.code,)

    def infer(self, image):
        op, _, channels, dtypes = _CONVERSIONS[self.code]
        check_image(image, "the image", dtypes)
        _check_channels(image, channels, f"{self.code} conversion")
        if image.shape is None:
            return Tensor(image.dtype, None)
        h, w = image.shape[:2]
        if op == _TO_GRAY:
            return Tensor(image.dtype, (h, w))
        if self.code.endswith("A") and op == _SWAP:
            return Tensor(image.dtype, (h, w, 4))
        return Tensor(image.dtype, (h, w, 3))

    def encode(self, types, result):
        op, bidx, _, _ = _CONVERSIONS[self.code]
        return [op, bidx, int(self.code.endswith("A"))], []


# ------------------------------------------------------------------ torchvision adjustments

class _Adjustment(_PointOp):
    factor_name = "factor"
    factor_low = 0.0
    factor_high = None

    def __init__(self, image, factor, *, name=None):
        super().__init__(image, factor, name=name)

    def check_params(self, factor):
        _check_number(self.inputs[1], factor, self.factor_name, self.factor_low,
                      self.factor_high)


class Brightness(_Adjustment):
    """Brightness scaled by ``factor``, as torchvision's ``adjust_brightness``.

    ``clamp(factor * image, 0, max)`` computed in float32, where ``max`` is
    255, 65535, 32767 or 1.0; integer results are truncated toward zero.

    Parameters
    ----------
    image : Node
        A gray, RGB or RGBA image of uint8, uint16, int16 or float32 (alpha
        is left unchanged; negative int16 values become 0, as in torchvision).
    factor : float or Node
        ``>= 0``: 0 gives black, 1 the original image.

    Returns
    -------
    Node
        An image of the same type and shape.

    Notes
    -----
    The float32 arithmetic is torchvision's, operation for operation, so
    results are identical to ``torchvision.transforms.functional
    .adjust_brightness`` on the same tensor.

    Examples
    --------
    >>> with pp.Graph() as graph:
    ...     _ = pp.Output(pp.Brightness(np.array([[10, 100, 200]], np.uint8), 1.5), "b")
    >>> graph.compile().run(0)["b"].tolist()
    [[15, 150, 255]]
    """

    kernel = "color_brightness"
    factor_name = "brightness factor"


class Contrast(_Adjustment):
    """Contrast scaled by ``factor``, as torchvision's ``adjust_contrast``.

    ``clamp(factor * image + (1 - factor) * mean, 0, max)`` in float32, with
    ``mean`` the mean of the grayscale image (``0.2989 R + 0.587 G + 0.114 B``,
    truncated to the image type as torchvision does) or of the single channel.

    Parameters
    ----------
    image : Node
        A gray, RGB or RGBA image of uint8, uint16, int16 or float32 (alpha
        is left unchanged and does not enter the mean).
    factor : float or Node
        ``>= 0``: 0 gives a uniform gray image, 1 the original image.

    Returns
    -------
    Node
        An image of the same type and shape.

    Notes
    -----
    The mean is summed exactly (in integers or doubles) where torchvision
    sums in float32, so the two means can differ in their last bit; results
    are identical in practice and within 1 for integer images (float32:
    within 1e-6 absolute).
    """

    kernel = "color_contrast"
    factor_name = "contrast factor"


class Saturation(_Adjustment):
    """Saturation scaled by ``factor``, as torchvision's ``adjust_saturation``.

    Each pixel is blended with its grayscale value (``0.2989 R + 0.587 G +
    0.114 B``, truncated to the image type):
    ``clamp(factor * image + (1 - factor) * gray, 0, max)`` in float32.

    Parameters
    ----------
    image : Node
        A gray, RGB or RGBA image of uint8, uint16, int16 or float32; gray
        images are returned unchanged (as torchvision), alpha is left as is.
    factor : float or Node
        ``>= 0``: 0 gives a gray image, 1 the original image.

    Returns
    -------
    Node
        An image of the same type and shape, identical to torchvision's.
    """

    kernel = "color_saturation"
    factor_name = "saturation factor"


class Hue(_Adjustment):
    """Hue rotated by ``shift`` turns, as torchvision's ``adjust_hue``.

    The image is converted to float, to HSV (H in [0, 1)), H is shifted
    modulo 1, and the result is converted back (integer images as
    ``convert_image_dtype`` does: ``x * (max + 1 - 0.001)`` truncated).

    Parameters
    ----------
    image : Node
        A gray, RGB or RGBA image of uint8, uint16 or float32; gray images
        are returned unchanged (as torchvision), alpha is left as is.
    shift : float or Node
        In ``[-0.5, 0.5]``; 0.5 and -0.5 both give complementary colours.

    Returns
    -------
    Node
        An image of the same type and shape.

    Notes
    -----
    torchvision's float32 formulas, operation for operation (its sums of
    masked values included), so results are identical to torchvision's;
    tests allow 1 (uint8, uint16) and 1e-5 (float32) for differences of
    libm's ``floor``.  One deliberate difference: for uint16, torchvision's
    scale ``65535 + 1 - 0.001`` is 65536 in float32 and a value of 1.0 wraps
    to 0; pixelpipes saturates it to 65535.
    """

    kernel = "color_hue"
    dtypes = U8_U16_F32
    factor_name = "hue shift"
    factor_low = -0.5
    factor_high = 0.5


def _jitter_range(value, name, center=1.0, bound=(0.0, math.inf), clip_first=True):
    """torchvision's ColorJitter._check_input: None when the adjustment is
    off, else the (low, high) range of its factor."""
    if isinstance(value, numbers.Number) and not isinstance(value, bool):
        if not math.isfinite(value) or value < 0:
            raise GraphError(f"{name} must be a non-negative number, got {value}")
        lo, hi = center - float(value), center + float(value)
        if clip_first:
            lo = max(lo, 0.0)
    elif isinstance(value, (tuple, list)) and len(value) == 2 and all(
            isinstance(v, numbers.Number) and not isinstance(v, bool) for v in value):
        lo, hi = float(value[0]), float(value[1])
    else:
        raise GraphError(f"{name} must be a number or a (min, max) pair of numbers, "
                         f"got {value!r}")
    if not bound[0] <= lo <= hi <= bound[1]:
        raise GraphError(f"{name} range must satisfy {bound[0]} <= min <= max <= "
                         f"{bound[1]}, got ({lo}, {hi})")
    if lo == hi == center:
        return None
    return (lo, hi)


class ColorJitter(Macro):
    """Random brightness, contrast, saturation and hue, as torchvision's
    ``ColorJitter``.

    Each sample draws a brightness factor uniformly from
    ``[max(0, 1 - brightness), 1 + brightness]``, likewise contrast and
    saturation factors, a hue shift from ``[-hue, hue]``, and a random order
    of the four adjustments (a random permutation); then applies
    :class:`Brightness`, :class:`Contrast`, :class:`Saturation` and
    :class:`Hue` in that order.  An adjustment whose range is ``0`` (or the
    pair ``(1, 1)``, ``(0, 0)`` for hue) is skipped.

    Parameters
    ----------
    image : Node
        A gray, RGB or RGBA image (uint8, uint16 or float32 when ``hue`` is
        used; int16 too otherwise).
    brightness, contrast, saturation : float or (float, float), optional
        Non-negative jitter amount, or an explicit ``(min, max)`` range of
        the factor (``0 <= min <= max``).
    hue : float or (float, float), optional
        Jitter amount in ``[0, 0.5]``, or a ``(min, max)`` range within
        ``[-0.5, 0.5]``.
    name : str, optional
        Label for ``explain()`` and error messages.
    key : str or int, optional
        Random key (see :mod:`pixelpipes.ops.random`).

    Returns
    -------
    Node
        An image of the same type and shape.

    Notes
    -----
    The adjustments are exactly those of the single nodes.  The random
    numbers come from pixelpipes' generator (deterministic per sample), not
    torch's.  Only the chosen adjustment of each of the four stages runs.

    With the compiler's ``fuse_pixels`` optimisation (on by default) the
    jitter compiles into one :class:`~pixelpipes.image.pixel_chain.PixelChain`
    that applies the adjustments in one pass, in the order drawn for the
    sample, and merges with the per-pixel operations around it; the draws
    and the result are the same, bit for bit, as with the optimisation off.

    Examples
    --------
    >>> photo = np.zeros((4, 6, 3), np.uint8)
    >>> with pp.Graph() as graph:
    ...     _ = pp.Output(pp.ColorJitter(photo, 0.4, 0.4, 0.4, 0.1), "j")
    >>> graph.compile(seed=1).run(0)["j"].shape
    (4, 6, 3)
    """

    def __init__(self, image, brightness=0, contrast=0, saturation=0, hue=0, *,
                 name=None, key=None):
        super().__init__(image, name=name, key=key)
        try:
            self.ranges = (
                _jitter_range(brightness, "brightness"),
                _jitter_range(contrast, "contrast"),
                _jitter_range(saturation, "saturation"),
                _jitter_range(hue, "hue", center=0.0, bound=(-0.5, 0.5), clip_first=False),
            )
        except GraphError as exc:
            raise GraphError(f"{self.describe()}: {exc}") from None

    def params(self):
        return self.ranges

    def expand(self, image):
        from ..ops.flow import Select
        from ..ops.random import RandomPermutation, RandomUniform

        if all(r is None for r in self.ranges):
            return image
        # the same random nodes, made in the same order, fused or not: the
        # keys and so the draws are the same
        order = RandomPermutation(4, name=self.name)
        factors = [None if r is None else RandomUniform(r[0], r[1], name=self.name)
                   for r in self.ranges]
        if current_compiler().options["fuse_pixels"]:
            from .pixel_chain import Stage, make_chain

            on = tuple(fac is not None for fac in factors)
            stage = Stage("jitter", on, tuple(range(1 + sum(on))))
            params = [order] + [fac for fac in factors if fac is not None]
            return make_chain(image, [(stage, params)], name=self.name)
        x = image
        for stage in range(4):
            branches = [x if fac is None else op(x, fac, name=self.name)
                        for op, fac in zip((Brightness, Contrast, Saturation, Hue), factors)]
            x = Select(order[stage], *branches, name=self.name)
        return x


# ------------------------------------------------------------------ point operations

class Gamma(_PointOp):
    """Gamma correction, as torchvision's ``adjust_gamma``:
    ``clamp(gain * image ** gamma, 0, 1)`` on the image scaled to [0, 1].

    Parameters
    ----------
    image : Node
        A gray, RGB or RGBA image of uint8, uint16 or float32 (alpha is left
        unchanged).
    gamma : float or Node
        Exponent, ``>= 0``; below 1 brightens, above 1 darkens.
    gain : float or Node, optional
        Multiplier (default 1).

    Returns
    -------
    Node
        An image of the same type and shape.  Integer images are scaled to
        [0, 1] (``x / max`` in float32) and back as torchvision's
        ``convert_image_dtype`` does (``v * (max + 1 - 0.001)``, truncated).

    Notes
    -----
    As torchvision, ``gamma`` is rounded to float32 first (so a tiny gamma
    is 0 and ``0 ** 0`` is 1).  float32 images use ``powf`` (within 1e-5
    relative of torchvision); uint8 images (and large uint16 ones) use a
    table computed with a double ``pow`` rounded to float32, within 1 of
    torchvision.  uint16 saturates at 65535 where torchvision wraps (see
    :class:`Hue`).
    """

    kernel = "color_gamma"
    dtypes = U8_U16_F32

    def __init__(self, image, gamma, gain=1.0, *, name=None):
        super().__init__(image, gamma, gain, name=name)

    def check_params(self, gamma, gain):
        _check_number(self.inputs[1], gamma, "gamma", 0.0)
        _check_number(self.inputs[2], gain, "gain")


class Invert(_PointOp):
    """The negative image, as torchvision's ``invert``: ``max - image``.

    Parameters
    ----------
    image : Node
        A gray, RGB or RGBA image; uint8 ``255 - x``, uint16 ``65535 - x``,
        int16 ``32767 - x`` (saturating, so negative values give 32767),
        float32 ``1 - x``.  Alpha is left unchanged.

    Returns
    -------
    Node
        An image of the same type and shape.  Equal to ``cv2.bitwise_not``
        for uint8 and uint16.
    """

    kernel = "color_invert"

    def __init__(self, image, *, name=None):
        super().__init__(image, name=name)


class Solarize(_PointOp):
    """Inverts the pixels at or above ``threshold``, as torchvision's
    ``solarize``.

    Parameters
    ----------
    image : Node
        A gray, RGB or RGBA image of any image type (inversion as
        :class:`Invert`; alpha is left unchanged).
    threshold : float or Node
        In the image's scale (0..255 for uint8, 0..1 for float32); values
        ``>= threshold`` (compared in float32) are inverted.

    Returns
    -------
    Node
        An image of the same type and shape, identical to torchvision's.
    """

    kernel = "color_solarize"

    def __init__(self, image, threshold, *, name=None):
        super().__init__(image, threshold, name=name)

    def check_params(self, threshold):
        _check_number(self.inputs[1], threshold, "threshold")


class Posterize(_PointOp):
    """Keeps the ``bits`` high bits of each value, as torchvision's
    ``posterize``.

    Parameters
    ----------
    image : Node
        A gray, RGB or RGBA uint8 image (alpha is left unchanged).
    bits : int or Node
        Bits kept, 0..8 (0 gives black, 8 the original image).

    Returns
    -------
    Node
        A uint8 image of the same shape, identical to torchvision's.
    """

    kernel = "color_posterize"
    dtypes = (U8,)

    def __init__(self, image, bits, *, name=None):
        super().__init__(image, bits, name=name)

    def check_params(self, bits):
        _check_number(self.inputs[1], bits, "bits", 0, 8, kinds="biu")


_THRESHOLDS = {"binary": 0, "binary_inv": 1, "trunc": 2, "tozero": 3, "tozero_inv": 4}


class Threshold(_PointOp):
    """Fixed-level threshold, as ``cv2.threshold`` (without Otsu/triangle).

    ``binary``: ``maxval if x > thresh else 0``; ``binary_inv``: the
    opposite; ``trunc``: ``min(x, thresh)``; ``tozero``: ``x if x > thresh
    else 0``; ``tozero_inv``: ``0 if x > thresh else x``.

    Parameters
    ----------
    image : Node
        An image of any type and channel count (every channel is
        thresholded).
    thresh, maxval : float or Node
        As OpenCV: for integer images ``thresh`` is floored and ``maxval``
        rounded and saturated to the type; for float32 both are rounded to
        float32.
    type : str, optional
        ``"binary"`` (default), ``"binary_inv"``, ``"trunc"``, ``"tozero"``
        or ``"tozero_inv"``.

    Returns
    -------
    Node
        An image of the same type and shape, identical to OpenCV's
        (including OpenCV's special case: "trunc" with a threshold below
        the type's range gives 0).
    """

    kernel = "color_threshold"
    channels = (1, 2, 3, 4)

    def __init__(self, image, thresh, maxval, type="binary", *, name=None):  # noqa: A002
        super().__init__(image, thresh, maxval, name=name)
        key = str(type).lower()
        if key not in _THRESHOLDS:
            raise GraphError(f"{self.describe()}: unknown threshold type {type!r}; choose from "
                             f"{sorted(_THRESHOLDS)}")
        self.thresh_type = key

    def params(self):
        return (self.thresh_type,)

    def check_params(self, thresh, maxval):
        _check_number(self.inputs[1], thresh, "thresh")
        _check_number(self.inputs[2], maxval, "maxval")

    def encode(self, types, result):
        return [_THRESHOLDS[self.thresh_type]], []


class EqualizeHistogram(_PointOp):
    """Histogram equalisation, as ``cv2.equalizeHist``, of each channel.

    Parameters
    ----------
    image : Node
        A uint8 image; every channel is equalised on its own (so colours of
        RGB images shift -- equalise the Y of YCrCb or the L of Lab to keep
        them).

    Returns
    -------
    Node
        A uint8 image of the same shape; each channel identical to
        ``cv2.equalizeHist`` of that channel.
    """

    kernel = "color_equalize_hist"
    dtypes = (U8,)
    channels = (1, 2, 3, 4)

    def __init__(self, image, *, name=None):
        super().__init__(image, name=name)


class CLAHE(_PointOp):
    """Contrast-limited adaptive histogram equalisation, as
    ``cv2.createCLAHE(clip_limit, tile_grid).apply``, of each channel.

    Parameters
    ----------
    image : Node
        A uint8 image; every channel is processed on its own.
    clip_limit : float or Node, optional
        Contrast limit (OpenCV's ``clipLimit``, default 40); 0 or less turns
        clipping off.
    tile_grid : (int, int), optional
        Tiles across and down (OpenCV's ``tileGridSize``, default (8, 8)), at
        most 65536 tiles.  As in OpenCV, an image whose size is not a
        multiple of the grid is padded by reflection (reflect-101) to find
        the tiles' tables -- on both sides, a side that is a multiple by a
        whole tile.

    Returns
    -------
    Node
        A uint8 image of the same shape.

    Notes
    -----
    OpenCV's algorithm, float arithmetic included; results are identical to
    OpenCV's in practice, and within 1 where OpenCV's vectorised bilinear
    blend rounds differently.
    """

    kernel = "color_clahe"
    dtypes = (U8,)
    channels = (1, 2, 3, 4)

    def __init__(self, image, clip_limit=40.0, tile_grid=(8, 8), *, name=None):
        super().__init__(image, clip_limit, name=name)
        try:
            tx, ty = (int(t) for t in tile_grid)
            if any(t != v for t, v in zip((tx, ty), tile_grid)):
                raise ValueError
        except (TypeError, ValueError):
            raise GraphError(f"{self.describe()}: tile_grid must be two integers, "
                             f"got {tile_grid!r}") from None
        if tx < 1 or ty < 1 or tx * ty > 65536:
            raise GraphError(f"{self.describe()}: tile_grid must have >= 1 tile a side "
                             f"and at most 65536 tiles, got {tile_grid!r}")
        self.tile_grid = (tx, ty)

    def params(self):
        return self.tile_grid

    def check_params(self, clip):
        _check_number(self.inputs[1], clip, "clip_limit")

    def encode(self, types, result):
        return list(self.tile_grid), []


# ------------------------------------------------------------------ normalisation, depth

class Normalize(Node):
    """Per-channel standardisation ``(image / max - mean) / std``, as
    torchvision's ``Normalize`` after ``ToTensor``.

    Parameters
    ----------
    image : Node
        An image of any type.
    mean, std : float, sequence of float, or Node
        One value for all channels or one per channel (a node gives a scalar
        or 1-D tensor); ``std`` must not be zero.
    scale : bool, optional
        Divide integer images by their type's maximum first (255, 65535 or
        32767; default True), so that ``mean`` and ``std`` are in [0, 1]
        units as in torchvision.  With ``scale=False`` they are in the
        image's own units.  float32 images are never scaled.

    Returns
    -------
    Node
        A float32 image of the same shape.

    Notes
    -----
    uint8 images use a table computed exactly as torchvision computes
    (``x / 255``, ``- mean``, ``/ std`` in float32): identical results.
    Other types multiply by reciprocals: within 1e-6 relative.

    Examples
    --------
    >>> white = np.full((1, 1, 3), 255, np.uint8)
    >>> with pp.Graph() as graph:
    ...     _ = pp.Output(pp.Normalize(white, [0.5, 0.5, 0.5], [0.25, 0.5, 1.0]), "x")
    >>> graph.compile().run(0)["x"].tolist()
    [[[2.0, 1.0, 0.5]]]
    """

    kernel = "color_normalize"

    def __init__(self, image, mean, std, *, scale=True, name=None):
        super().__init__(image, _vector(mean), _vector(std), name=name)
        self.scale = bool(scale)

    def params(self):
        return (self.scale,)

    def infer(self, image, mean, std):
        check_image(image)
        c = channels_of(image)
        for node, t, what in ((self.inputs[1], mean, "mean"), (self.inputs[2], std, "std")):
            if not isinstance(t, Tensor) or (t.shape is not None and len(t.shape) > 1):
                raise GraphError(f"{what} must be a number, a sequence of numbers or a "
                                 f"scalar or 1-D tensor node, got {t}")
            if t.dtype is not None and t.dtype.kind not in "biuf":
                raise GraphError(f"{what} must be numbers, got {t}")
            n = 1 if t.shape == () else (t.shape[0] if t.shape is not None else None)
            if n is not None and c is not None and n not in (1, c):
                raise GraphError(f"{what} has {n} values for an image of {c} channels")
            if n == 0:
                raise GraphError(f"{what} is empty")
            value = _static_value(node)
            if value is not None:
                arr = np.asarray(value, dtype=np.float64)
                if np.isnan(arr).any():
                    raise GraphError(f"{what} is NaN")
                if what == "std" and (arr == 0).any():
                    raise GraphError("std must not be zero")
        return image_type(image, dtype=F32)

    def encode(self, types, result):
        return [int(self.scale)], []


class NormalizeMinMax(_PointOp):
    """Linear stretch of the image's value range onto ``[low, high]``, as
    ``cv2.normalize(image, None, low, high, cv2.NORM_MINMAX, dtype)``.

    The minimum and maximum are taken over all channels; the image is mapped
    by ``x * scale + shift``.  As in OpenCV, ``low`` and ``high`` may come in
    either order (the smaller is the minimum), and a constant image maps to
    the smaller of the two.

    Parameters
    ----------
    image : Node
        An image of any type and channel count (NaN values of float images
        are ignored for the range and stay NaN).
    low, high : float or Node, optional
        The target range (default 0 and 1).
    dtype : dtype or None, optional
        Output element type, float32 by default; ``None`` keeps the input's
        (``cv2.normalize``'s default), rounding to nearest and saturating.

    Returns
    -------
    Node
        An image of the same shape.

    Notes
    -----
    float32 outputs are computed in double, integer outputs in float32 as
    OpenCV does (uint8 inputs: a table computed in double).  Tolerance
    against OpenCV: float results within 1e-5 relative (1e-6 of the target
    range near 0), integer results within 1.
    """

    kernel = "color_normalize_minmax"
    channels = (1, 2, 3, 4)

    def __init__(self, image, low=0.0, high=1.0, dtype=np.float32, *, name=None):
        super().__init__(image, low, high, name=name)
        self.dtype = None if dtype is None else _as_dtype(self, dtype)

    def params(self):
        return (None if self.dtype is None else self.dtype.name,)

    def infer(self, image, low, high):
        out = super().infer(image, low, high)
        return out if self.dtype is None else image_type(image, dtype=self.dtype)

    def check_params(self, low, high):
        _check_number(self.inputs[1], low, "low")
        _check_number(self.inputs[2], high, "high")

    def encode(self, types, result):
        return [DTYPE_CODE[result.dtype]], []


class ConvertDepth(_PointOp):
    """The image in another element type, rescaled by the types' ranges:
    uint8 255, uint16 65535, int16 32767 and float32 1.0 are the same
    intensity.

    ``out = x * max(out) / max(in)``, rounded to nearest (ties to even) and
    saturated for integer outputs; float32 keeps values outside [0, 1].

    Parameters
    ----------
    image : Node
        An image of any type.
    dtype : dtype or str
        uint8, uint16, int16 or float32.

    Returns
    -------
    Node
        An image of the same shape in ``dtype``.

    Notes
    -----
    Like scikit-image's ``img_as_*`` for uint8 <-> uint16 (``x * 257``) and
    uint8/uint16 -> float32 (``x / max``; correctly rounded for uint8), with
    two deliberate differences: uint16 -> uint8 rounds (``round(x / 257)``)
    where ``img_as_ubyte`` truncates (``x >> 8``; ours is equal or one
    more), and int16 uses the range [0, 32767] (negative values become 0 in
    unsigned outputs) where scikit-image maps [-32768, 32767] onto [-1, 1].
    float32 -> integer is ``rint(clip(x) * max)`` as ``img_as_ubyte``, NaN
    giving 0.  uint8 inputs are converted exactly (a table computed in
    double); 16-bit and float32 inputs in float32 arithmetic, which can put
    a value that lies within float32 rounding of a .5 tie one off (within
    1 of the exact result).

    Examples
    --------
    >>> with pp.Graph() as graph:
    ...     _ = pp.Output(pp.ConvertDepth(np.array([[0, 128, 255]], np.uint8), "uint16"), "d")
    >>> graph.compile().run(0)["d"].tolist()
    [[0, 32896, 65535]]
    """

    kernel = "color_convert_depth"
    channels = (1, 2, 3, 4)

    def __init__(self, image, dtype, *, name=None):
        super().__init__(image, name=name)
        self.dtype = _as_dtype(self, dtype)

    def params(self):
        return (self.dtype.name,)

    def infer(self, image):
        super().infer(image)
        return image_type(image, dtype=self.dtype)

    def encode(self, types, result):
        return [DTYPE_CODE[self.dtype]], []


class Blend(Node):
    """``(1 - alpha) * a + alpha * b``, as ``cv2.addWeighted(a, 1 - alpha, b,
    alpha, 0)``.

    Parameters
    ----------
    a, b : Node
        Images of one type and shape (checked when known at compile time,
        else when the sample runs).
    alpha : float or Node
        Weight of ``b``; values outside [0, 1] extrapolate (finite values
        only).

    Returns
    -------
    Node
        An image of the same type and shape; integer results rounded to
        nearest (ties to even) and saturated.

    Notes
    -----
    Computed in float32 as OpenCV does: uint8 results equal OpenCV's in
    practice, within 1 where OpenCV's vectorised code fuses the
    multiply-adds; float32 within 1e-6 relative.
    """

    kernel = "color_blend"

    def __init__(self, a, b, alpha, *, name=None):
        super().__init__(a, b, alpha, name=name)

    def infer(self, a, b, alpha):
        check_image(a, "image a")
        check_image(b, "image b")
        if a.dtype is not None and b.dtype is not None and a.dtype != b.dtype:
            raise GraphError(f"blended images must have one type, got {a} and {b}")
        if a.shape is not None and b.shape is not None:
            if len(a.shape) != len(b.shape) or any(
                    x is not None and y is not None and x != y for x, y in zip(a.shape, b.shape)):
                raise GraphError(f"blended images must have one shape, got {a} and {b}")
        v = _check_number(self.inputs[2], alpha, "alpha")
        if v is not None and not math.isfinite(v):
            raise GraphError(f"alpha must be finite, got {v}")
        if a.shape is None:
            return b if b.dtype is not None else a
        shape = a.shape if b.shape is None else tuple(
            x if x is not None else y for x, y in zip(a.shape, b.shape))
        return Tensor(a.dtype if a.dtype is not None else b.dtype, shape)


# ------------------------------------------------------------------ channels and layout

def _channel_indices(node, channels):
    """A static channel selection: int -> 0-d array, sequence -> 1-D array."""
    if isinstance(channels, Node):
        return channels
    if isinstance(channels, (int, np.integer)) and not isinstance(channels, (bool, np.bool_)):
        return np.asarray(int(channels), dtype=np.int64)
    if isinstance(channels, (list, tuple)) and channels and all(
            isinstance(c, (int, np.integer)) and not isinstance(c, (bool, np.bool_))
            for c in channels):
        return np.asarray([int(c) for c in channels], dtype=np.int64)
    raise GraphError(f"{node.describe()}: channels must be an int, a non-empty sequence of "
                     f"ints or a node, got {channels!r}")


class SelectChannels(Node):
    """The listed channels of an image, in the listed order (``image[...,
    channels]`` in NumPy).

    Parameters
    ----------
    image : Node
        An image of any type.
    channels : int, sequence of int, or Node
        Channel indices, negative ones counting from the end.  An int (or a
        0-d integer node) gives an ``H x W`` image; a sequence (or 1-D node)
        of 1 to 4 indices gives ``H x W x len(channels)``; indices may
        repeat.

    Returns
    -------
    Node
        An image of the same type.

    Examples
    --------
    >>> rgba = np.array([[[1, 2, 3, 4]]], np.uint8)
    >>> with pp.Graph() as graph:
    ...     _ = pp.Output(pp.SelectChannels(rgba, [2, 1, 0]), "bgr")
    ...     _ = pp.Output(pp.SelectChannels(rgba, -1), "alpha")
    >>> out = graph.compile().run(0)
    >>> out["bgr"].tolist(), out["alpha"].tolist()
    ([[[3, 2, 1]]], [[4]])
    """

    kernel = "color_select_channels"

    def __init__(self, image, channels, *, name=None):
        super().__init__(image, name=name)
        self._mode = 0
        self.inputs = (self.inputs[0], as_node(_channel_indices(self, channels)))

    def params(self):
        return (self._mode,)

    def infer(self, image, channels):
        check_image(image)
        if not isinstance(channels, Tensor) or (channels.shape is not None
                                                and len(channels.shape) > 1):
            raise GraphError(f"channels must be an integer or a 1-D integer tensor, "
                             f"got {channels}")
        if channels.dtype is not None and channels.dtype.kind not in "iu":
            raise GraphError(f"channels must be integers, got {channels}")
        c = channels_of(image)
        if self._mode == 1:
            return image_type(image)
        value = _static_value(self.inputs[1])
        if value is not None:
            arr = np.asarray(value)
            if arr.ndim == 1 and not 1 <= arr.size <= 4:
                raise GraphError(f"select 1 to 4 channels, got {arr.size}")
            if c is not None and ((arr < -c) | (arr >= c)).any():
                raise GraphError(f"channels {arr.tolist()} out of range for an image of "
                                 f"{c} channels")
        if image.shape is None:
            return Tensor(image.dtype, None)
        h, w = image.shape[:2]
        if channels.shape is None:
            return Tensor(image.dtype, None)
        if channels.shape == ():
            return Tensor(image.dtype, (h, w))
        m = channels.shape[0]
        if m is not None and not 1 <= m <= 4:
            raise GraphError(f"select 1 to 4 channels, got {m}")
        return Tensor(image.dtype, (h, w, m))

    def encode(self, types, result):
        return [self._mode], []


class _PermuteChannels(SelectChannels):
    """The channels of ``image`` in the order of the entries below the
    channel count of ``permutation``, a permutation of range(4)."""

    def __init__(self, image, permutation, *, name=None):
        Node.__init__(self, image, permutation, name=name)
        self._mode = 1


class ChannelShuffle(Macro):
    """The channels of the image in a random order (a uniformly random
    permutation per sample).

    Parameters
    ----------
    image : Node
        An image of any type; the channel count need not be known at compile
        time.
    name : str, optional
        Label for ``explain()`` and error messages.
    key : str or int, optional
        Random key (see :mod:`pixelpipes.ops.random`).

    Returns
    -------
    Node
        An image of the same type and shape.

    Notes
    -----
    One :class:`~pixelpipes.RandomPermutation` of ``range(4)`` is drawn; the
    channels are taken in the order of its entries below the channel count,
    which is a uniformly random permutation of the channels whatever that
    count is.
    """

    def __init__(self, image, *, name=None, key=None):
        super().__init__(image, name=name, key=key)

    def expand(self, image):
        from ..ops.random import RandomPermutation

        check_image(image.type)
        return _PermuteChannels(image, RandomPermutation(4, name=self.name), name=self.name)


class MergeChannels(Node):
    """Single-channel images stacked into one multi-channel image
    (``cv2.merge``).

    Parameters
    ----------
    *images : Node
        1 to 4 images of one type and size, each ``H x W`` or ``H x W x 1``.

    Returns
    -------
    Node
        An ``H x W x len(images)`` image of the same type.
    """

    kernel = "color_merge_channels"

    def __init__(self, *images, name=None):
        if not 1 <= len(images) <= 4:
            raise GraphError(f"MergeChannels takes 1 to 4 images, got {len(images)}")
        super().__init__(*images, name=name)

    def infer(self, *images):
        h = w = dtype = None
        for k, t in enumerate(images):
            check_image(t, f"image {k}")
            c = channels_of(t)
            if c is not None and c != 1:
                raise GraphError(f"image {k} must have one channel, got {t}")
            if t.dtype is not None:
                if dtype is not None and t.dtype != dtype:
                    raise GraphError(f"images must have one type, got {dtype.name} "
                                     f"and {t.dtype.name}")
                dtype = t.dtype
            if t.shape is not None:
                for which, d in (("height", t.shape[0]), ("width", t.shape[1])):
                    if d is None:
                        continue
                    known = h if which == "height" else w
                    if known is not None and known != d:
                        raise GraphError(f"images must have one size: {which} {known} "
                                         f"and {d}")
                    if which == "height":
                        h = d
                    else:
                        w = d
        return Tensor(dtype, (h, w, len(images)))


class ToCHW(_PointOp):
    """HWC -> CHW layout change (``image.transpose(2, 0, 1)`` made
    contiguous), for feeding PyTorch.

    Parameters
    ----------
    image : Node
        An image of any type; ``H x W`` gives ``1 x H x W``.

    Returns
    -------
    Node
        A ``C x H x W`` tensor of the same type (not an image any more: the
        image operations do not accept it).
    """

    kernel = "color_to_chw"
    channels = (1, 2, 3, 4)

    def __init__(self, image, *, name=None):
        super().__init__(image, name=name)

    def infer(self, image):
        super().infer(image)
        if image.shape is None:
            return Tensor(image.dtype, (None, None, None))
        return Tensor(image.dtype, (channels_of(image),) + tuple(image.shape[:2]))
