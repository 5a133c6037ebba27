"""Noise, dropout and synthetic images.

Noise images
    :class:`GaussianNoiseImage`, :class:`UniformNoiseImage`,
    :class:`BinaryNoiseImage`, :class:`SaltPepperNoiseImage`.
Noise on images
    :class:`AddGaussianNoise`, :class:`AddUniformNoise`,
    :class:`SaltAndPepper`, :class:`PixelDropout`.
Rectangles cut out of images
    :class:`CoarseDropout`, :class:`Cutout`, :class:`RandomErasing`, built from
    :class:`DropoutHoles` / :class:`ErasingBox` (the rectangles, so that the
    same ones can be cut out of an image and its mask) and
    :class:`EraseRectangles` (the pixel work).
Synthetic images
    :class:`ConstantImage`, :class:`LinearGradientImage`.

Images are ``H x W`` or ``H x W x C`` (C in 1..4) tensors of uint8, uint16,
int16 or float32.  Values written into an integer image are rounded half to
even and saturated to the element type's range (as OpenCV's
``saturate_cast``); float32 values are stored as they are, not clipped.
Rectangles are int64 ``n x 4`` tensors of rows ``[x0, y0, x1, y1]``
(half-open: columns ``x0 <= x < x1``, rows ``y0 <= y < y1``).

Random numbers
--------------
Every random node here draws from its own stream (pipeline seed, node key,
sample index; see :mod:`pixelpipes.ops.random`), so a sample's noise is the
same bytes for any thread count, batch or order.  The pixel kernels read the
stream as 32-bit halves (the low half of each 64-bit word first), filling
elements in C order:

* a probability decision compares a 40-bit uniform number ``v`` with
  ``floor(p * 2**40)`` (so p is used to 2**-40, and 0 and 1 are exact),
  drawn lazily: the top byte of ``v`` is the next byte of a half (four
  decisions per half, low byte first) and its low 32 bits are the next half
  of the stream, drawn only when that byte equals the threshold's top byte;
* a uniform float takes one half, ``u = h * 2**-32``;
* a uniform integer in ``[0, n)`` takes one half (Lemire's method,
  ``(h * n) >> 32``, redrawn in the rare biased case); for ``n == 256`` a
  half gives four elements (its bytes, low first), for ``n == 65536`` two;
* a normal deviate comes from a 256-layer ziggurat (Marsaglia and Tsang,
  2000): one half per deviate 98.5% of the time, a few more in the wedges
  and the tail, whose tests use a logarithm built from IEEE operations only,
  so the deviates are the same bits on every machine.

Parameters may be plain values or nodes (then they may change from sample to
sample).  Bad values known at compile time raise
:class:`~pixelpipes.GraphError`; at run time the sample fails with an
:class:`~pixelpipes.ExecutionError` naming the node and the sample.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ..errors import GraphError
from ..graph import Macro, Node, as_node
from ..ops.random import _check_scalar, _static_number, _static_value
from ..types import DTYPE_CODE, Tensor, as_dtype
from ._common import IMAGE_DTYPES, channels_of, check_image

__all__ = [
    "GaussianNoiseImage", "UniformNoiseImage", "BinaryNoiseImage", "SaltPepperNoiseImage",
    "AddGaussianNoise", "AddUniformNoise", "SaltAndPepper", "PixelDropout",
    "DropoutHoles", "ErasingBox", "EraseRectangles", "CoarseDropout", "Cutout",
    "RandomErasing", "ConstantImage", "LinearGradientImage",
]

#: Most elements an image made here may have.
MAX_ELEMENTS = 2 ** 31
#: Most rectangles a dropout may cut.
MAX_HOLES = 2 ** 20

_FULL_SCALE = {np.dtype(np.uint8): 255.0, np.dtype(np.uint16): 65535.0,
               np.dtype(np.int16): 32767.0, np.dtype(np.float32): 1.0,
               np.dtype(np.bool_): 1.0}
_TYPE_MIN = {np.dtype(np.uint8): 0, np.dtype(np.uint16): 0, np.dtype(np.int16): -32768}


# ------------------------------------------------------------------ helpers

def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def _is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def _image_dtype(dtype, allow_bool=False) -> np.dtype:
    try:
        dt = as_dtype(dtype)
    except TypeError as exc:
        raise GraphError(str(exc)) from None
    allowed = IMAGE_DTYPES + ((np.dtype(np.bool_),) if allow_bool else ())
    if dt not in allowed:
        names = ", ".join(d.name for d in allowed)
        raise GraphError(f"dtype must be one of {names}, got {dt.name}")
    return dt


def _split_size(size):
    """``(height, width, channels or None)`` of a size argument."""
    if isinstance(size, (Node, str)) or not hasattr(size, "__len__"):
        raise GraphError(f"size must be (height, width) or (height, width, channels), "
                         f"got {size!r}")
    dims = tuple(size)
    if len(dims) not in (2, 3):
        raise GraphError(f"size must be (height, width) or (height, width, channels), "
                         f"got {size!r}")
    for d, what in zip(dims[:2], ("height", "width")):
        if not (isinstance(d, Node) or _is_int(d)):
            raise GraphError(f"image {what} must be an int or a node, got {d!r}")
        if _is_int(d) and d <= 0:
            raise GraphError(f"image {what} must be > 0, got {d}")
    channels = None
    if len(dims) == 3:
        channels = dims[2]
        if not _is_int(channels) or not 1 <= channels <= 4:
            raise GraphError(f"channels must be an int in 1..4, got {channels!r}")
        channels = int(channels)
    return dims[0], dims[1], channels


def _number(node, t, what, minimum=None, kinds="iuf"):
    """Check a scalar parameter; its value if known at compile time."""
    _check_scalar(t, what, kinds)
    v = _static_number(node)
    if v is not None:
        if not math.isfinite(v):
            raise GraphError(f"{what} must be finite, got {v}")
        if minimum is not None and v < minimum:
            raise GraphError(f"{what} must be >= {minimum}, got {v}")
    return v


def _probability(node, t, what):
    _check_scalar(t, what)
    v = _static_number(node)
    if v is not None and not 0.0 <= v <= 1.0:
        raise GraphError(f"{what} must be in [0, 1], got {v}")
    return v


def _values_input(value, what):
    """A fill value argument (number, per-channel sequence or node) as an input."""
    if isinstance(value, Node):
        return value
    if isinstance(value, str):
        raise GraphError(f"{what} must be a number or a sequence of numbers, got {value!r}")
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise GraphError(f"{what} must be a number or a sequence of numbers, "
                         f"got {value!r}") from None
    if arr.ndim > 1 or arr.size == 0:
        raise GraphError(f"{what} must be a number or a non-empty sequence of numbers, "
                         f"got {value!r}")
    return float(arr) if arr.ndim == 0 else arr


def _check_values(node, t, channels, what):
    """A fill value input: a number or one number per channel."""
    if not isinstance(t, Tensor) or (t.shape is not None and len(t.shape) > 1):
        raise GraphError(f"{what} must be a number or a vector of one number per channel, "
                         f"got {t}")
    if t.dtype is not None and t.dtype.kind not in "biuf":
        raise GraphError(f"{what} must be numbers, got {t}")
    n = None if t.shape is None else (1 if t.shape == () else t.shape[0])
    if n == 0:
        raise GraphError(f"{what} must not be empty")
    if n is not None and channels is not None and n not in (1, channels):
        raise GraphError(f"{what} has {n} values for an image of {channels} channels")
    value = _static_value(node)
    if value is not None and not np.all(np.isfinite(np.asarray(value, dtype=np.float64))):
        raise GraphError(f"{what} must be finite, got {value}")


def _range(value, what):
    """``(min, max)`` of a range argument: one number or node (min == max), or a pair."""
    if isinstance(value, Node) or _is_number(value):
        return value, value
    try:
        lo, hi = value
    except (TypeError, ValueError):
        raise GraphError(f"{what} must be a number or a (min, max) pair, got {value!r}") from None
    return lo, hi


def _image_result(t) -> Tensor:
    check_image(t)
    return Tensor(t.dtype, t.shape)


class _Random(Node):
    random = True
    pure = False


# ------------------------------------------------------------------ image makers

class _ImageMaker(Node):
    """A node whose first two inputs are the height and width of the image it
    makes; ``size`` is ``(height, width)`` or ``(height, width, channels)``."""

    allow_bool = False

    def __init__(self, size, *params, dtype, name=None, key=None):
        super().__init__(name=name, key=key)
        try:
            height, width, self.channels = _split_size(size)
            self.dtype = _image_dtype(dtype, self.allow_bool)
        except GraphError as exc:
            raise GraphError(f"{self.describe()}: {exc}") from None
        self.inputs = tuple(as_node(i) for i in (height, width, *params))

    def params(self):
        return (self.dtype.name, self.channels)

    def _size_type(self, th, tw) -> Tensor:
        _check_scalar(th, "image height", "iu")
        _check_scalar(tw, "image width", "iu")
        h, w = _static_number(self.inputs[0]), _static_number(self.inputs[1])
        for v, what in ((h, "height"), (w, "width")):
            if v is not None and v <= 0:
                raise GraphError(f"image {what} must be > 0, got {v}")
        if h is not None and w is not None and h * w * (self.channels or 1) > MAX_ELEMENTS:
            raise GraphError(f"an image of {h} x {w} x {self.channels or 1} is too large "
                             f"(more than 2**31 elements)")
        shape = (h, w) if self.channels is None else (h, w, self.channels)
        return Tensor(self.dtype, shape)

    def _layout(self):
        return [DTYPE_CODE[self.dtype], 2 if self.channels is None else 3, self.channels or 1]

    def encode(self, types, result):
        return self._layout(), []


class GaussianNoiseImage(_ImageMaker):
    """An image of normally distributed noise, ``mean + std * z`` per element.

    Parameters
    ----------
    size : tuple
        ``(height, width)`` or ``(height, width, channels)``; height and width
        are ints > 0 or integer nodes, channels an int in 1..4.
    mean : float or Node, optional
        Mean, finite.
    std : float or Node, optional
        Standard deviation, finite and ``>= 0``.
    dtype : {numpy.float32, numpy.uint8, numpy.uint16, numpy.int16}, optional
        Element type of the image.
    name : str, optional
        Label for ``explain()`` and error messages.
    key : str or int, optional
        Random key (see :mod:`pixelpipes.ops.random`).

    Returns
    -------
    Node
        An image of ``dtype``; integer types are rounded half to even and
        saturated (so ``mean=128, std=30`` makes a grey uint8 noise image).

    Notes
    -----
    ``z`` is one ziggurat deviate per element, in C order (see the module
    docstring); ``mean + std * z`` is computed in double precision.
    """

    kernel = "noise_gaussian_image"
    random = True
    pure = False

    def __init__(self, size, mean=0.0, std=1.0, *, dtype=np.float32, name=None, key=None):
        super().__init__(size, mean, std, dtype=dtype, name=name, key=key)

    def infer(self, th, tw, mean, std):
        _number(self.inputs[2], mean, "mean")
        _number(self.inputs[3], std, "std", minimum=0)
        return self._size_type(th, tw)


class UniformNoiseImage(_ImageMaker):
    """An image of uniformly distributed noise.

    Parameters
    ----------
    size : tuple
        ``(height, width)`` or ``(height, width, channels)`` (see
        :class:`GaussianNoiseImage`).
    low : float or Node, optional
        Lower bound.
    high : float or Node, optional
        Upper bound (excluded).  Default: 1 for float32, else the type's
        maximum plus one (256, 65536, 32768), so an integer image covers its
        whole range from ``low``.
    dtype : {numpy.float32, numpy.uint8, numpy.uint16, numpy.int16}, optional
        Element type.
    name : str, optional
        Label for ``explain()`` and error messages.
    key : str or int, optional
        Random key.

    Returns
    -------
    Node
        float32: ``low + (high - low) * u`` with ``u = h * 2**-32`` from one
        32-bit draw ``h`` (``low <= high``; the float32 rounding may give
        ``high`` itself, as NumPy's may).  Integer types: integers uniform in
        ``[low, high)``, where ``low < high`` must be integers within the
        type's range plus one (as ``cv2.randu`` on integer images).
    """

    kernel = "noise_uniform_image"
    random = True
    pure = False

    def __init__(self, size, low=0.0, high=None, *, dtype=np.float32, name=None, key=None):
        if high is None:
            try:
                dt = _image_dtype(dtype)
            except GraphError:
                dt = np.dtype(np.float32)
            high = 1.0 if dt.kind == "f" else int(_FULL_SCALE[dt]) + 1
        super().__init__(size, low, high, dtype=dtype, name=name, key=key)

    def infer(self, th, tw, low, high):
        lo = _number(self.inputs[2], low, "low")
        hi = _number(self.inputs[3], high, "high")
        if self.dtype.kind == "f":
            if lo is not None and hi is not None and lo > hi:
                raise GraphError(f"low ({lo}) must not exceed high ({hi})")
        else:
            tmin, tmax = _TYPE_MIN[self.dtype], int(_FULL_SCALE[self.dtype]) + 1
            for v, what in ((lo, "low"), (hi, "high")):
                if v is not None and v != int(v):
                    raise GraphError(f"{what} must be an integer for a {self.dtype.name} "
                                     f"image, got {v}")
            if lo is not None and lo < tmin:
                raise GraphError(f"low must be >= {tmin} for {self.dtype.name}, got {lo}")
            if hi is not None and hi > tmax:
                raise GraphError(f"high must be <= {tmax} for {self.dtype.name}, got {hi}")
            if lo is not None and hi is not None and lo >= hi:
                raise GraphError(f"low ({lo}) must be less than high ({hi})")
        return self._size_type(th, tw)


class _BinaryImage(_ImageMaker):
    kernel = "noise_binary_image"
    random = True
    pure = False
    full_scale = False

    def __init__(self, size, p=0.5, *, dtype=np.uint8, name=None, key=None):
        super().__init__(size, p, dtype=dtype, name=name, key=key)

    def infer(self, th, tw, p):
        _probability(self.inputs[2], p, "p")
        return self._size_type(th, tw)

    def encode(self, types, result):
        return self._layout(), [_FULL_SCALE[self.dtype] if self.full_scale else 1.0]


class BinaryNoiseImage(_BinaryImage):
    """A random mask: each element is 1 with probability ``p``, else 0.

    Parameters
    ----------
    size : tuple
        ``(height, width)`` or ``(height, width, channels)`` (see
        :class:`GaussianNoiseImage`).
    p : float or Node, optional
        Probability of a 1, in ``[0, 1]``.
    dtype : {numpy.uint8, numpy.bool_, numpy.uint16, numpy.int16, numpy.float32}, optional
        Element type (bool gives True/False).
    name : str, optional
        Label for ``explain()`` and error messages.
    key : str or int, optional
        Random key.

    Returns
    -------
    Node
        A mask of 0 and 1 (for an image of 0 and the type's maximum, see
        :class:`SaltPepperNoiseImage`).

    Notes
    -----
    One probability decision per element (see the module docstring), so
    ``P(1) = floor(p * 2**40) / 2**40``.
    """

    allow_bool = True


class SaltPepperNoiseImage(_BinaryImage):
    """A black-and-white noise image: each element is the type's maximum
    (salt) with probability ``p``, else 0 (pepper).

    Parameters
    ----------
    size : tuple
        ``(height, width)`` or ``(height, width, channels)`` (see
        :class:`GaussianNoiseImage`); give ``(h, w)`` for grey salt and pepper.
    p : float or Node, optional
        Probability of salt, in ``[0, 1]``.
    dtype : {numpy.uint8, numpy.uint16, numpy.int16, numpy.float32}, optional
        Element type; the maximum is 255, 65535, 32767 or 1.0.
    name : str, optional
        Label for ``explain()`` and error messages.
    key : str or int, optional
        Random key.

    Returns
    -------
    Node
        The image.  The same draws as :class:`BinaryNoiseImage` with the same
        key: its 1s are this image's salt.
    """

    full_scale = True


# ------------------------------------------------------------------ noise on images

class _AddNoise(_Random):
    def __init__(self, image, a, b, per_channel, *, name=None, key=None):
        super().__init__(image, a, b, name=name, key=key)
        self.per_channel = bool(per_channel)

    def params(self):
        return (self.per_channel,)

    def encode(self, types, result):
        return [int(self.per_channel)], []


class AddGaussianNoise(_AddNoise):
    """The image plus Gaussian noise, ``x + (mean + std * z)``, saturated.

    Parameters
    ----------
    image : Node
        An image of uint8, uint16, int16 or float32.
    std : float or Node
        Standard deviation of the noise in pixel units (255 is full scale for
        uint8, 1.0 for float32), finite and ``>= 0``.
    mean : float or Node, optional
        Mean of the noise, finite.
    per_channel : bool, optional
        True: independent noise for every element.  False: one deviate per
        pixel, added to all its channels (albumentations' ``GaussNoise`` with
        ``per_channel=False``).
    name : str, optional
        Label for ``explain()`` and error messages.
    key : str or int, optional
        Random key.

    Returns
    -------
    Node
        An image of the input's type and shape.  Integer results are rounded
        half to even and saturated (``_image.pxd``'s ``store_pixel``); float32
        results are not clipped.

    Notes
    -----
    The sum is computed in double precision, so it equals NumPy's
    ``np.clip(np.rint(x + noise), lo, hi)`` for the same noise exactly.  With
    ``std == 0`` nothing is drawn, and with ``std == 0`` and ``mean == 0`` the
    result is the input, bit for bit.  ``std`` is absolute, unlike
    albumentations' fractions of the maximum.
    """

    kernel = "noise_add_gaussian"

    def __init__(self, image, std, mean=0.0, per_channel=True, *, name=None, key=None):
        super().__init__(image, mean, std, per_channel, name=name, key=key)

    def infer(self, image, mean, std):
        _number(self.inputs[1], mean, "mean")
        _number(self.inputs[2], std, "std", minimum=0)
        return _image_result(image)


class AddUniformNoise(_AddNoise):
    """The image plus uniform noise, ``x + (low + (high - low) * u)``, saturated.

    Parameters
    ----------
    image : Node
        An image of uint8, uint16, int16 or float32.
    low, high : float or Node
        Range of the noise in pixel units, finite, ``low <= high``.
    per_channel : bool, optional
        True: independent noise for every element; False: one draw per pixel
        for all its channels.
    name : str, optional
        Label for ``explain()`` and error messages.
    key : str or int, optional
        Random key.

    Returns
    -------
    Node
        An image of the input's type and shape, rounded and saturated as in
        :class:`AddGaussianNoise` (float32 not clipped).

    Notes
    -----
    ``u = h * 2**-32`` from one 32-bit draw ``h``.  With ``low == high``
    nothing is drawn; ``low == high == 0`` gives the input unchanged.
    """

    kernel = "noise_add_uniform"

    def __init__(self, image, low, high, per_channel=True, *, name=None, key=None):
        super().__init__(image, low, high, per_channel, name=name, key=key)

    def infer(self, image, low, high):
        lo = _number(self.inputs[1], low, "low")
        hi = _number(self.inputs[2], high, "high")
        if lo is not None and hi is not None and lo > hi:
            raise GraphError(f"low ({lo}) must not exceed high ({hi})")
        return _image_result(image)


class SaltAndPepper(_Random):
    """Salt-and-pepper noise: a random fraction of the elements becomes the
    type's maximum (salt) or 0 (pepper).

    scikit-image's ``random_noise(mode="s&p")`` semantics: every element is
    replaced independently with probability ``amount``, by salt with
    probability ``salt_vs_pepper`` and otherwise by pepper.  With
    ``per_channel=False`` the decision is made per pixel and applies to all
    its channels (as albumentations' ``SaltAndPepper``, which however cuts an
    exact number of pixels).

    Parameters
    ----------
    image : Node
        An image of uint8, uint16, int16 or float32.
    amount : float or Node, optional
        Probability that an element (pixel) is replaced, in ``[0, 1]``.
    salt_vs_pepper : float or Node, optional
        Fraction of the replaced ones that become salt, in ``[0, 1]``.
    per_channel : bool, optional
        Decide per element (True) or per pixel (False).
    name : str, optional
        Label for ``explain()`` and error messages.
    key : str or int, optional
        Random key.

    Returns
    -------
    Node
        An image of the input's type and shape.  Salt is 255, 65535, 32767
        (int16) or 1.0 (float32); pepper is 0 for every type (also int16,
        whose "black" is 0 like float32's; scikit-image uses -1 for signed
        images that hold negatives).

    Notes
    -----
    One decision per element (pixel) with two thresholds (see the module
    docstring): its 40-bit uniform ``v`` gives salt if
    ``v < floor(amount * salt_vs_pepper * 2**40)``, else pepper if
    ``v < floor(amount * 2**40)``, else the element is unchanged.
    ``amount == 0`` gives the input.
    """

    kernel = "noise_salt_pepper"

    def __init__(self, image, amount=0.05, salt_vs_pepper=0.5, per_channel=True, *,
                 name=None, key=None):
        super().__init__(image, amount, salt_vs_pepper, name=name, key=key)
        self.per_channel = bool(per_channel)

    def params(self):
        return (self.per_channel,)

    def infer(self, image, amount, svp):
        _probability(self.inputs[1], amount, "amount")
        _probability(self.inputs[2], svp, "salt_vs_pepper")
        return _image_result(image)

    def encode(self, types, result):
        return [int(self.per_channel)], []


class PixelDropout(_Random):
    """Pixel dropout: each pixel (or element) is set to ``value`` with
    probability ``p`` (albumentations' ``PixelDropout`` with a fixed
    ``drop_value``).

    Parameters
    ----------
    image : Node
        An image of uint8, uint16, int16 or float32.
    p : float or Node, optional
        Dropout probability, in ``[0, 1]``.
    value : float, sequence of float, or Node, optional
        The value of dropped pixels: a number, or one per channel; rounded
        and saturated to the image type.
    per_channel : bool, optional
        False: one decision per pixel, for all its channels; True: one per
        element.
    name : str, optional
        Label for ``explain()`` and error messages.
    key : str or int, optional
        Random key.

    Returns
    -------
    Node
        An image of the input's type and shape.

    Notes
    -----
    One probability decision per pixel (element), see the module docstring.
    ``p == 0`` gives the input.
    """

    kernel = "noise_pixel_dropout"

    def __init__(self, image, p=0.01, value=0, per_channel=False, *, name=None, key=None):
        super().__init__(image, p, name=name, key=key)
        try:
            self.inputs += (as_node(_values_input(value, "value")),)
        except GraphError as exc:
            raise GraphError(f"{self.describe()}: {exc}") from None
        self.per_channel = bool(per_channel)

    def params(self):
        return (self.per_channel,)

    def infer(self, image, p, value):
        t = _image_result(image)
        _probability(self.inputs[1], p, "p")
        _check_values(self.inputs[2], value, channels_of(t), "value")
        return t

    def encode(self, types, result):
        return [int(self.per_channel)], []


# ------------------------------------------------------------------ rectangles

def _is_fraction(lo_t, hi_t) -> bool:
    """A hole size range of floats is a fraction of the image size; of ints, pixels."""
    return any(t.dtype is not None and t.dtype.kind == "f" for t in (lo_t, hi_t))


def _check_size_range(lo_node, hi_node, lo_t, hi_t, what) -> bool:
    """Check a hole size range; True when it is a fraction of the image size."""
    _check_scalar(lo_t, what)
    _check_scalar(hi_t, what)
    kinds = {t.dtype.kind for t in (lo_t, hi_t) if t.dtype is not None}
    if not (kinds <= {"f"} or kinds <= {"i", "u"}):
        raise GraphError(f"{what} range mixes integers (pixels) and floats (fractions of "
                         f"the image size)")
    fraction = _is_fraction(lo_t, hi_t)
    lo, hi = _static_number(lo_node), _static_number(hi_node)
    for v in (lo, hi):
        if v is not None and not math.isfinite(v):
            raise GraphError(f"{what} must be finite, got {v}")
    if fraction:
        if lo is not None and not 0 <= lo <= 1 or hi is not None and not 0 <= hi <= 1:
            raise GraphError(f"{what} fractions must be in [0, 1], got ({lo}, {hi})")
    elif (lo is not None and lo < 0) or (hi is not None and hi < 0):
        raise GraphError(f"{what} must be >= 0, got ({lo}, {hi})")
    if lo is not None and hi is not None and lo > hi:
        raise GraphError(f"{what} range ({lo}, {hi}) has min > max")
    return fraction


class DropoutHoles(_Random):
    """The random rectangles of a coarse dropout or a cutout: an int64
    ``n x 4`` tensor of rows ``[x0, y0, x1, y1]``.

    Use it with :class:`EraseRectangles` to cut the same holes out of an
    image and its mask; :class:`CoarseDropout` and :class:`Cutout` do both
    steps for one image.

    Parameters
    ----------
    image : Node
        The image the holes are for (only its height H and width W are used).
    holes : int, (int, int), or Node, optional
        Number of holes, or a ``(min, max)`` range (both included), ``>= 0``.
    height, width : int, float, pair, or Node, optional
        Hole size or ``(min, max)`` range: ints are pixels (an integer drawn
        uniformly in ``[min, max]``), floats are fractions in ``[0, 1]`` of
        the image size (``floor(H * U(min, max))``), as in albumentations'
        ``CoarseDropout``.  A size larger than the image is clamped to it.
    placement : {"inside", "centred"}, optional
        "inside": the hole lies wholly in the image, its top-left corner
        uniform over ``[0, H - h] x [0, W - w]`` (albumentations'
        ``CoarseDropout``).  "centred": its centre pixel ``(cy, cx)`` is
        uniform over the image and the hole ``[cy - h // 2, cy - h // 2 + h)``
        (likewise in x) is clipped to it, so holes at the border are smaller
        (DeVries and Taylor's Cutout; their code uses ``cy +- h // 2``, one
        pixel short for odd sizes).
    name : str, optional
        Label for ``explain()`` and error messages.
    key : str or int, optional
        Random key.

    Returns
    -------
    Node
        int64 tensor ``n x 4``; ``n`` is static when ``holes`` is one number.

    Notes
    -----
    Draws, with ``below(k)`` Lemire's unbiased integer in ``[0, k)`` and
    ``U`` a 53-bit uniform float (``_random.pxd``'s ``rng_below`` and
    ``rng_uniform``): ``n = min + below(max - min + 1)``; then for each hole
    its height, its width (pixels: ``min + below(max - min + 1)`` after
    clamping the range to the image; fractions: one ``U``), then
    ``y0 = below(H - h + 1)``, ``x0 = below(W - w + 1)`` ("inside") or
    ``cy = below(H)``, ``cx = below(W)`` ("centred").
    """

    kernel = "noise_dropout_holes"
    PLACEMENTS = {"inside": 0, "centred": 1, "centered": 1}

    def __init__(self, image, holes=(1, 1), height=(8, 8), width=(8, 8), *,
                 placement="inside", name=None, key=None):
        super().__init__(name=name, key=key)
        try:
            ranges = [_range(holes, "holes"), _range(height, "height"), _range(width, "width")]
            if placement not in self.PLACEMENTS:
                raise GraphError(f"placement must be 'inside' or 'centred', got {placement!r}")
        except GraphError as exc:
            raise GraphError(f"{self.describe()}: {exc}") from None
        self.placement = self.PLACEMENTS[placement]
        self.inputs = (as_node(image),) + tuple(as_node(v) for r in ranges for v in r)

    def params(self):
        return (self.placement,)

    def infer(self, image, n_lo, n_hi, h_lo, h_hi, w_lo, w_hi):
        check_image(image)
        _check_scalar(n_lo, "number of holes", "iu")
        _check_scalar(n_hi, "number of holes", "iu")
        lo, hi = _static_number(self.inputs[1]), _static_number(self.inputs[2])
        if lo is not None and lo < 0 or hi is not None and hi < 0:
            raise GraphError(f"number of holes must be >= 0, got ({lo}, {hi})")
        if lo is not None and hi is not None and lo > hi:
            raise GraphError(f"number of holes ({lo}, {hi}) has min > max")
        if hi is not None and hi > MAX_HOLES:
            raise GraphError(f"at most {MAX_HOLES} holes, got {hi}")
        _check_size_range(self.inputs[3], self.inputs[4], h_lo, h_hi, "hole height")
        _check_size_range(self.inputs[5], self.inputs[6], w_lo, w_hi, "hole width")
        n = lo if lo is not None and lo == hi else None
        return Tensor(np.dtype(np.int64), (n, 4))

    def encode(self, types, result):
        return [self.placement, int(_is_fraction(types[3], types[4])),
                int(_is_fraction(types[5], types[6]))], []


class ErasingBox(_Random):
    """The rectangle torchvision's ``RandomErasing`` would erase: an int64
    ``n x 4`` tensor with ``n`` 0 (no erasing) or 1, rows ``[x0, y0, x1, y1]``.

    Parameters
    ----------
    image : Node
        The image (only its height H and width W are used).
    p : float or Node, optional
        Probability of erasing, in ``[0, 1]``.
    scale : (float, float), optional
        Range of the erased area as a fraction of ``H * W``,
        ``0 <= min <= max``.
    ratio : (float, float), optional
        Range of the aspect ratio h / w, ``0 < min <= max``, sampled
        log-uniformly.
    name : str, optional
        Label for ``explain()`` and error messages.
    key : str or int, optional
        Random key.

    Returns
    -------
    Node
        int64 tensor ``n x 4``.

    Notes
    -----
    torchvision's ``RandomErasing.get_params`` with ``U`` a 53-bit uniform and
    ``below(k)`` Lemire's integer in ``[0, k)``: erase if ``U < p``; then up
    to 10 attempts of ``area = H * W * (s0 + (s1 - s0) * U)``,
    ``aspect = exp(l0 + (l1 - l0) * U)`` with ``l = log(ratio)``,
    ``h = round(sqrt(area * aspect))``, ``w = round(sqrt(area / aspect))``
    (half to even, as Python's ``round``); an attempt with ``h < H`` and
    ``w < W`` gives ``y0 = below(H - h + 1)``, ``x0 = below(W - w + 1)``;
    after 10 failures nothing is erased.  Computed in double precision
    (torchvision: float32 uniforms and logarithms) with ``log`` and ``exp``
    built from IEEE operations, so the box is the same on every machine.
    ``h`` or ``w`` may be 0, as in torchvision.
    """

    kernel = "noise_erasing_box"

    def __init__(self, image, p=0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), *, name=None,
                 key=None):
        super().__init__(name=name, key=key)
        try:
            ranges = [_range(scale, "scale"), _range(ratio, "ratio")]
        except GraphError as exc:
            raise GraphError(f"{self.describe()}: {exc}") from None
        self.inputs = (as_node(image), as_node(p)) + tuple(as_node(v) for r in ranges for v in r)

    def infer(self, image, p, s_lo, s_hi, r_lo, r_hi):
        check_image(image)
        _probability(self.inputs[1], p, "p")
        s0 = _number(self.inputs[2], s_lo, "scale", minimum=0)
        s1 = _number(self.inputs[3], s_hi, "scale", minimum=0)
        r0 = _number(self.inputs[4], r_lo, "ratio")
        r1 = _number(self.inputs[5], r_hi, "ratio")
        if s0 is not None and s1 is not None and s0 > s1:
            raise GraphError(f"scale ({s0}, {s1}) has min > max")
        for r in (r0, r1):
            if r is not None and r <= 0:
                raise GraphError(f"ratio must be > 0, got {r}")
        if r0 is not None and r1 is not None and r0 > r1:
            raise GraphError(f"ratio ({r0}, {r1}) has min > max")
        return Tensor(np.dtype(np.int64), (None, 4))


class EraseRectangles(Node):
    """The image with rectangles set to a value or filled with noise.

    Parameters
    ----------
    image : Node
        An image of uint8, uint16, int16 or float32.
    rectangles : Node or array
        Integer ``n x 4`` tensor (or one rectangle of 4) of rows
        ``[x0, y0, x1, y1]``, half-open; parts outside the image are ignored
        and empty rectangles do nothing.
    value : float, sequence of float, Node, or "random", optional
        A number or one per channel (rounded and saturated to the image
        type); or "random": float32 images get standard normal noise per
        element (torchvision's ``value="random"``), integer images integers
        uniform in ``[0, max]`` (max 255, 65535 or 32767).
    name : str, optional
        Label for ``explain()`` and error messages.
    key : str or int, optional
        Random key (for ``value="random"``).

    Returns
    -------
    Node
        An image of the input's type and shape.

    Notes
    -----
    "random" fills the visible part of each rectangle in order, row by row,
    one draw per element (later rectangles overwrite earlier ones).
    """

    kernel = "noise_erase_rectangles"

    def __init__(self, image, rectangles, value=0, *, name=None, key=None):
        super().__init__(image, rectangles, name=name, key=key)
        self.fill_random = isinstance(value, str) and value == "random"
        if self.fill_random:
            self.kernel = "noise_erase_rectangles_random"
            self.random = True
            self.pure = False
        else:
            try:
                self.inputs += (as_node(_values_input(value, "value")),)
            except GraphError as exc:
                raise GraphError(f"{self.describe()}: {exc}") from None

    def params(self):
        return (self.fill_random,)

    def infer(self, image, rects, *value):
        t = _image_result(image)
        if not isinstance(rects, Tensor) or (
                rects.shape is not None and not (
                    (len(rects.shape) == 2 and rects.shape[1] in (4, None))
                    or (len(rects.shape) == 1 and rects.shape[0] in (4, None)))):
            raise GraphError(f"rectangles must be an n x 4 tensor of [x0, y0, x1, y1] rows, "
                             f"got {rects}")
        if rects.dtype is not None and rects.dtype.kind not in "iu":
            raise GraphError(f"rectangles must be integers, got {rects}")
        if value:
            _check_values(self.inputs[2], value[0], channels_of(t), "value")
        return t


def _value_arg(value, what="value"):
    """A Macro input for a fill value: "random" stays a parameter."""
    if isinstance(value, str):
        if value != "random":
            raise GraphError(f"{what} must be a number, a sequence, a node or 'random', "
                             f"got {value!r}")
        return None
    return _values_input(value, what)


class _Dropout(Macro):
    """Shared by the macros that cut rectangles: inputs are the image, the
    parameters of the rectangle node, then the fill value (unless "random")."""

    def _setup(self, image, params, value):
        try:
            fill = _value_arg(value)
        except GraphError as exc:
            raise GraphError(f"{self.describe()}: {exc}") from None
        self.fill_random = fill is None
        self.inputs = (as_node(image),) + tuple(as_node(p) for p in params) + (
            () if self.fill_random else (as_node(fill),))

    def params(self):
        return (self.fill_random,)

    def _erase(self, image, rects, value):
        return EraseRectangles(image, rects, "random" if self.fill_random else value[0],
                               name=self.name)


class CoarseDropout(_Dropout):
    """Coarse dropout (albumentations' ``CoarseDropout``): a random number of
    rectangles of random sizes, wholly inside the image, set to ``value``.

    Parameters
    ----------
    image : Node
        An image of uint8, uint16, int16 or float32.
    holes : int or (int, int), optional
        Number of holes or its ``(min, max)`` range, both included.
    height, width : int, float or pair, optional
        Hole size range: ints in pixels, floats as fractions of the image
        size (see :class:`DropoutHoles`).
    value : float, sequence of float, Node, or "random", optional
        Fill value (see :class:`EraseRectangles`).
    name : str, optional
        Label for ``explain()`` and error messages.
    key : str or int, optional
        Random key.

    Returns
    -------
    Node
        An image of the input's type and shape.

    Notes
    -----
    ``EraseRectangles(image, DropoutHoles(image, holes, height, width), value)``.
    Unlike albumentations there is no ``p``: wrap it in :class:`~pixelpipes.Toggle`.
    """

    def __init__(self, image, holes=(1, 2), height=(0.1, 0.2), width=(0.1, 0.2), value=0, *,
                 name=None, key=None):
        super().__init__(name=name, key=key)
        try:
            params = [*_range(holes, "holes"), *_range(height, "height"),
                      *_range(width, "width")]
        except GraphError as exc:
            raise GraphError(f"{self.describe()}: {exc}") from None
        self._setup(image, params, value)

    def expand(self, image, n_lo, n_hi, h_lo, h_hi, w_lo, w_hi, *value):
        rects = DropoutHoles(image, (n_lo, n_hi), (h_lo, h_hi), (w_lo, w_hi),
                             placement="inside", name=self.name)
        return self._erase(image, rects, value)


class Cutout(_Dropout):
    """Cutout (DeVries and Taylor, 2017): holes centred anywhere in the image,
    clipped at its border, set to ``value``.

    Parameters
    ----------
    image : Node
        An image of uint8, uint16, int16 or float32.
    holes : int or (int, int), optional
        Number of holes or its ``(min, max)`` range.
    height : int, float or pair, optional
        Hole height or range, pixels (int) or fraction of the image (float).
    width : int, float, pair or None, optional
        Hole width or range; None: the same as ``height`` (square holes of
        independently drawn sides when it is a range).
    value : float, sequence of float, Node, or "random", optional
        Fill value (see :class:`EraseRectangles`).
    name : str, optional
        Label for ``explain()`` and error messages.
    key : str or int, optional
        Random key.

    Returns
    -------
    Node
        An image of the input's type and shape.

    Notes
    -----
    ``EraseRectangles(image, DropoutHoles(..., placement="centred"), value)``:
    the hole's centre pixel is uniform over the image, so holes may reach
    past the border and are clipped there.
    """

    def __init__(self, image, holes=1, height=16, width=None, value=0, *, name=None,
                 key=None):
        super().__init__(name=name, key=key)
        try:
            params = [*_range(holes, "holes"), *_range(height, "height"),
                      *_range(height if width is None else width, "width")]
        except GraphError as exc:
            raise GraphError(f"{self.describe()}: {exc}") from None
        self._setup(image, params, value)

    def expand(self, image, n_lo, n_hi, h_lo, h_hi, w_lo, w_hi, *value):
        rects = DropoutHoles(image, (n_lo, n_hi), (h_lo, h_hi), (w_lo, w_hi),
                             placement="centred", name=self.name)
        return self._erase(image, rects, value)


class RandomErasing(_Dropout):
    """Random erasing as torchvision's ``RandomErasing`` defines it: with
    probability ``p`` a rectangle of random area and aspect ratio is set to
    ``value``; if 10 attempts find none that fits, the image is unchanged.

    Parameters
    ----------
    image : Node
        An image of uint8, uint16, int16 or float32.
    p : float or Node, optional
        Probability of erasing.
    scale : (float, float), optional
        Range of the erased fraction of the image area.
    ratio : (float, float), optional
        Range of the aspect ratio h / w (log-uniform).
    value : float, sequence of float, Node, or "random", optional
        Fill value (see :class:`EraseRectangles`; "random" is torchvision's
        normal noise for float32 images).
    name : str, optional
        Label for ``explain()`` and error messages.
    key : str or int, optional
        Random key.

    Returns
    -------
    Node
        An image of the input's type and shape.

    Notes
    -----
    ``EraseRectangles(image, ErasingBox(image, p, scale, ratio), value)``;
    :class:`ErasingBox` gives the exact sampling rules.
    """

    def __init__(self, image, p=0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), value=0, *,
                 name=None, key=None):
        super().__init__(name=name, key=key)
        try:
            params = [p, *_range(scale, "scale"), *_range(ratio, "ratio")]
        except GraphError as exc:
            raise GraphError(f"{self.describe()}: {exc}") from None
        self._setup(image, params, value)

    def expand(self, image, p, s_lo, s_hi, r_lo, r_hi, *value):
        box = ErasingBox(image, p, (s_lo, s_hi), (r_lo, r_hi), name=self.name)
        return self._erase(image, box, value)


# ------------------------------------------------------------------ synthetic images

class ConstantImage(_ImageMaker):
    """An image of one value, or one value per channel.

    Parameters
    ----------
    size : tuple
        ``(height, width)`` or ``(height, width, channels)`` (see
        :class:`GaussianNoiseImage`).
    value : float, sequence of float, or Node, optional
        A number, or one per channel; rounded half to even and saturated to
        ``dtype``.
    dtype : {numpy.float32, numpy.uint8, numpy.uint16, numpy.int16}, optional
        Element type.
    name : str, optional
        Label for ``explain()`` and error messages.

    Returns
    -------
    Node
        The image.

    Examples
    --------
    >>> with pp.Graph() as graph:
    ...     _ = pp.Output(pp.ConstantImage((2, 3, 3), [255, 128, 0], dtype="uint8"), "red")
    >>> graph.compile().run(0)["red"][1, 2].tolist()
    [255, 128, 0]
    """

    kernel = "noise_constant_image"

    def __init__(self, size, value=0, *, dtype=np.float32, name=None):
        super().__init__(size, dtype=dtype, name=name)
        try:
            self.inputs += (as_node(_values_input(value, "value")),)
        except GraphError as exc:
            raise GraphError(f"{self.describe()}: {exc}") from None

    def infer(self, th, tw, value):
        t = self._size_type(th, tw)
        _check_values(self.inputs[2], value, self.channels or 1, "value")
        return t


class LinearGradientImage(_ImageMaker):
    """A linear gradient from ``start`` to ``end`` along a direction.

    Parameters
    ----------
    size : tuple
        ``(height, width)`` or ``(height, width, channels)`` (see
        :class:`GaussianNoiseImage`).
    start, end : float, sequence of float, or Node, optional
        Values at the two ends: numbers or one per channel, finite.
    direction : {"horizontal", "vertical"}, float or Node, optional
        "horizontal" (left to right, angle 0), "vertical" (top to bottom,
        angle 90), or an angle in degrees, counted from the x axis towards
        the y axis (which points down), so 45 runs from the top-left corner
        to the bottom-right one.
    dtype : {numpy.float32, numpy.uint8, numpy.uint16, numpy.int16}, optional
        Element type.
    name : str, optional
        Label for ``explain()`` and error messages.

    Returns
    -------
    Node
        The image: pixel ``(y, x)`` is ``(1 - t) * start + t * end``, rounded
        half to even and saturated for integer types, with
        ``t = ((c x - a) + (s y - b)) / D`` computed as
        ``(c x - a) / D + (s y - b) / D`` (clipped to at most 1), where
        ``c, s = cos, sin(angle)`` (exact for multiples of 90 degrees),
        ``a = min(0, c (W - 1))``, ``b = min(0, s (H - 1))`` and
        ``D = |c| (W - 1) + |s| (H - 1)``; ``t = 0`` everywhere when
        ``D == 0``.  So ``t`` is 0 at the first pixel centre the direction
        reaches and 1 at the last; horizontally ``t = x / (W - 1)``.

    Examples
    --------
    >>> with pp.Graph() as graph:
    ...     _ = pp.Output(pp.LinearGradientImage((1, 5), 0, 100, dtype="uint8"), "g")
    >>> graph.compile().run(0)["g"].tolist()
    [[0, 25, 50, 75, 100]]
    """

    kernel = "noise_linear_gradient_image"
    DIRECTIONS = {"horizontal": 0.0, "vertical": 90.0}

    def __init__(self, size, start=0.0, end=1.0, direction="horizontal", *,
                 dtype=np.float32, name=None):
        super().__init__(size, dtype=dtype, name=name)
        try:
            if isinstance(direction, str):
                if direction not in self.DIRECTIONS:
                    raise GraphError(f"direction must be 'horizontal', 'vertical' or an "
                                     f"angle in degrees, got {direction!r}")
                direction = self.DIRECTIONS[direction]
            elif not (isinstance(direction, Node) or _is_number(direction)):
                raise GraphError(f"direction must be 'horizontal', 'vertical' or an angle in "
                                 f"degrees, got {direction!r}")
            self.inputs += (as_node(_values_input(start, "start")),
                            as_node(_values_input(end, "end")), as_node(direction))
        except GraphError as exc:
            raise GraphError(f"{self.describe()}: {exc}") from None

    def infer(self, th, tw, start, end, angle):
        t = self._size_type(th, tw)
        _check_values(self.inputs[2], start, self.channels or 1, "start")
        _check_values(self.inputs[3], end, self.channels or 1, "end")
        _number(self.inputs[4], angle, "angle")
        return t
