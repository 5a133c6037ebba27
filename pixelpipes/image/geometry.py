"""Resizing and the axis-aligned geometry operations.

Every node here takes an image (``H x W`` or ``H x W x C``, ``C`` in 1..4, of
uint8, uint16, int16 or float32) and returns an image of the same element
type, channel count and layout.  Sizes, coordinates and factors may be plain
numbers or scalar nodes (then they may change from sample to sample);
integer scalars are used as they are and float scalars are rounded to the
nearest integer (half to even).  Values known at compile time are checked
then; the others when the sample is made (an :class:`~pixelpipes.ExecutionError`
naming the node and the sample).

Resizing follows ``cv2.resize``: pixel centres map as ``x_src = (x_dst + 0.5)
* scale - 0.5`` (rounded to float as OpenCV does), taps beyond the image edge
repeat the edge pixel, and uint8 images use OpenCV's weights rounded to
multiples of 1/2048.  Padding follows ``cv2.copyMakeBorder``; the crops
follow torchvision.

The kernels are in ``pixelpipes/_core/_ops_geometry.pyx``.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import GraphError
from ..graph import Macro, Node
from ..ops.flow import Toggle
from ..ops.random import RandomInteger, _static_number
from ..types import Tensor
from ._common import (
    BORDERS, INTERPOLATIONS, border_code, channels_of, check_image, image_type,
    interpolation_code,
)

__all__ = [
    "Resize", "Scale", "ResizedCrop", "Crop", "SafeCrop", "Pad", "CenterCrop",
    "RandomCrop", "RandomResizedCropBox", "RandomResizedCrop", "Flip", "RandomFlip",
    "TransposeImage", "Rotate90",
]

#: Largest output image, in pixels.
MAX_PIXELS = 2 ** 31

_BORDER_NAMES = {code: name for name, code in BORDERS.items()}


# ---------------------------------------------------------------- helpers

def _check_scalar(t, what, kinds="iuf"):
    if not isinstance(t, Tensor) or (t.shape is not None and t.shape != ()):
        raise GraphError(f"{what} must be a scalar, got {t}")
    if t.dtype is not None and t.dtype.kind not in kinds:
        kind = "an integer" if kinds == "iu" else "a number"
        raise GraphError(f"{what} must be {kind}, got {t}")


def _static_int(node, what):
    """The compile-time value of an integer-valued input (float values are
    rounded half to even, as the kernels do), or None."""
    v = _static_number(node)
    if v is None:
        return None
    if isinstance(v, (bool, np.bool_)):
        raise GraphError(f"{what} must be a number, got {v!r}")
    if isinstance(v, float):
        if not math.isfinite(v):
            raise GraphError(f"{what} must be a finite number, got {v}")
        return round(v)
    return int(v)


def _static_size(node, what):
    v = _static_int(node, what)
    if v is not None and v <= 0:
        raise GraphError(f"{what} must be > 0, got {v}")
    if v is not None and v > MAX_PIXELS:
        raise GraphError(f"{what} is too large: {v}")
    return v


def _check_area(h, w):
    if h is not None and w is not None and h * w > MAX_PIXELS:
        raise GraphError(f"the output image of {h} x {w} pixels is too large "
                         "(more than 2**31 pixels)")


def _pair(value, what):
    """``(a, b)`` from a pair of numbers/nodes."""
    if isinstance(value, (Node, str)) or not hasattr(value, "__len__"):
        raise GraphError(f"{what} must be a pair (height, width) of numbers or scalar "
                         f"nodes, got {value!r}")
    items = list(value)
    if len(items) != 2:
        raise GraphError(f"{what} must have two entries (height, width), got {value!r}")
    return items[0], items[1]


def _image_hw(t):
    """Static ``(H, W)`` of an image type (entries None if unknown)."""
    if t.shape is None:
        return None, None
    return t.shape[0], t.shape[1]


def _fill_value(value, what="value"):
    """4 per-channel floats from a number or a sequence of 1..4 numbers."""
    if isinstance(value, Node):
        raise GraphError(f"{what} must be a number or a sequence of numbers, not a node")
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise GraphError(f"{what} must be a number or a sequence of numbers, "
                         f"got {value!r}") from None
    if arr.ndim > 1 or arr.size < 1 or arr.size > 4:
        raise GraphError(f"{what} must be a number or 1 to 4 numbers, got {value!r}")
    if not np.all(np.isfinite(arr)):
        raise GraphError(f"{what} must be finite, got {value!r}")
    vals = [float(v) for v in arr.reshape(-1)]
    n = len(vals)
    if n == 1:
        vals = vals * 4
    return tuple(vals + [0.0] * (4 - len(vals))), n


def _check_fill(n_values, t):
    c = channels_of(t)
    if n_values > 1 and c is not None and n_values != c:
        raise GraphError(f"the fill value has {n_values} entries for an image with "
                         f"{c} channels")


def _border(node, border):
    try:
        return border_code(border)
    except GraphError as exc:
        raise GraphError(f"{node.describe()}: {exc}") from None


def _interp(node, interpolation):
    try:
        return interpolation_code(interpolation)
    except GraphError as exc:
        raise GraphError(f"{node.describe()}: {exc}") from None


def _range(node, value, what):
    """``(low, high)`` with ``0 < low <= high``, both finite."""
    try:
        lo, hi = (float(v) for v in value)
    except (TypeError, ValueError):
        raise GraphError(f"{node.describe()}: {what} must be a pair of numbers, "
                         f"got {value!r}") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and 0 < lo <= hi):
        raise GraphError(f"{node.describe()}: {what} must satisfy 0 < low <= high "
                         f"(finite), got {value!r}")
    return lo, hi


def _is_number(x):
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(
        x, (bool, np.bool_))


# ---------------------------------------------------------------- resize

class Resize(Node):
    """Resize an image to ``size = (height, width)``, as ``cv2.resize``.

    Parameters
    ----------
    image : Node
        An image of uint8, uint16, int16 or float32.
    size : (height, width)
        Output size; each entry an integer (or float, rounded) or a scalar
        node, > 0.  At most 2**31 output pixels.
    interpolation : {"linear", "nearest", "cubic", "area", "lanczos"}
        See below.

    Returns
    -------
    Node
        The resized image: same element type, channels and layout, shape
        ``height x width (x C)``.

    Notes
    -----
    Same as ``cv2.resize(image, (width, height), interpolation=...)`` (note
    OpenCV's (width, height) order).

    Interpolation (``cv2.resize`` equivalents):

    ``"nearest"``
        INTER_NEAREST: source pixel ``floor(x_dst * scale)`` (OpenCV's
        convention, not the pixel-centre one), exact.
    ``"linear"`` (``"bilinear"``)
        INTER_LINEAR: 2 x 2 taps, no antialiasing when shrinking.
    ``"cubic"`` (``"bicubic"``)
        INTER_CUBIC: 4 x 4 taps of Keys' kernel with a = -0.75.
    ``"area"``
        INTER_AREA: when shrinking (both factors <= 1) each output pixel is
        the mean of the source pixels it covers, fractional pixels weighted by
        the part covered; otherwise OpenCV's linear variant of it.
    ``"lanczos"``
        INTER_LANCZOS4: 8 x 8 taps of sinc(x) sinc(x / 4), weights normalised.

    Agreement with OpenCV: uint8, uint16 and int16 results within 1 of
    ``cv2.resize`` (the sums are OpenCV's up to the rounding of
    intermediate values, which OpenCV's own SIMD paths vary too), float32
    within 1e-4 relative (1e-4 absolute near 0); nearest is exact.  As in
    OpenCV, a linear resize to exactly half the size is the 2 x 2 mean
    (which is what linear interpolation gives there), and a resize to the
    same size is a copy.

    Examples
    --------
    >>> with pp.Graph() as graph:
    ...     img = pp.Constant(np.zeros((48, 64, 3), np.uint8))
    ...     _ = pp.Output(pp.Resize(img, (24, 32), "area"), "small")
    >>> graph.compile().run(0)["small"].shape
    (24, 32, 3)
    """

    kernel = "image_resize"

    def __init__(self, image, size, interpolation="linear", *, name=None):
        h, w = _pair(size, "size")
        super().__init__(image, h, w, name=name)
        self.interpolation = _interp(self, interpolation)

    def params(self):
        return (self.interpolation,)

    def infer(self, image, h, w):
        check_image(image)
        _check_scalar(h, "the output height")
        _check_scalar(w, "the output width")
        hv = _static_size(self.inputs[1], "the output height")
        wv = _static_size(self.inputs[2], "the output width")
        _check_area(hv, wv)
        return image_type(image, hv, wv)

    def encode(self, types, result):
        return [self.interpolation, 0], []


class Scale(Node):
    """Scale an image by a factor, as ``cv2.resize(image, None, fx=..., fy=...)``.

    Parameters
    ----------
    image : Node
        An image of uint8, uint16, int16 or float32.
    factor : float or Node, or (fy, fx)
        One factor for both axes, or a pair (vertical, horizontal); each a
        finite number > 0 or a scalar node.
    interpolation : {"linear", "nearest", "cubic", "area", "lanczos"}
        As :class:`Resize`.

    Returns
    -------
    Node
        The image of size ``round(H * fy) x round(W * fx)`` (rounded half to
        even, as OpenCV's ``cvRound``); a size that rounds to 0 or exceeds
        2**31 pixels is an error.

    Notes
    -----
    Coordinates map with the factors as given (``x_src = (x_dst + 0.5) / fx -
    0.5``), exactly as ``cv2.resize`` with ``fx``/``fy`` -- which differs
    slightly from :class:`Resize` to the rounded size when ``W * fx`` is not
    an integer.  Tolerance as :class:`Resize`.

    Examples
    --------
    >>> with pp.Graph() as graph:
    ...     img = pp.Constant(np.zeros((5, 7), np.uint8))
    ...     _ = pp.Output(pp.Scale(img, 0.5), "half")
    >>> graph.compile().run(0)["half"].shape
    (2, 4)
    """

    kernel = "image_resize"

    def __init__(self, image, factor, interpolation="linear", *, name=None):
        if isinstance(factor, (tuple, list)):
            fy, fx = _pair(factor, "factor")
        else:
            fy = fx = factor
        super().__init__(image, fy, fx, name=name)
        self.interpolation = _interp(self, interpolation)

    def params(self):
        return (self.interpolation,)

    def infer(self, image, fy, fx):
        check_image(image)
        _check_scalar(fy, "the vertical factor")
        _check_scalar(fx, "the horizontal factor")
        H, W = _image_hw(image)
        out = []
        for node, n, what in ((self.inputs[1], H, "vertical"), (self.inputs[2], W, "horizontal")):
            v = _static_number(node)
            if v is not None and not (math.isfinite(v) and v > 0):
                raise GraphError(f"the {what} scale factor must be a finite number > 0, got {v}")
            size = None
            if v is not None and n is not None:
                size = round(float(n) * float(v))
                if size < 1:
                    raise GraphError(f"scaling by {v} gives an empty image (size {n} -> 0)")
            out.append(size)
        _check_area(*out)
        return image_type(image, out[0], out[1])

    def encode(self, types, result):
        return [self.interpolation, 1], []



class ResizedCrop(Node):
    """Resize a region of an image: ``Resize(Crop(image, x, y, width, height),
    size)`` in one pass, reading the region in place.

    Parameters
    ----------
    image : Node
        An image of uint8, uint16, int16 or float32.
    x, y : int or Node
        Top-left corner of the region (column, row).
    width, height : int or Node
        Size of the region, > 0.  The region is clipped to the image as in
        :class:`Crop`; a region wholly outside the image is an error.
    size : (height, width)
        Output size, as :class:`Resize`.
    interpolation : {"linear", "nearest", "cubic", "area", "lanczos"}
        As :class:`Resize`; taps beyond the region's edge repeat the region's
        edge pixel (the crop is resized as an image of its own, like
        ``torchvision.transforms.functional.resized_crop``).

    Returns
    -------
    Node
        The resized region, ``height x width (x C)``; tolerance as
        :class:`Resize` of the cropped array.
    """

    kernel = "image_resized_crop"

    def __init__(self, image, x, y, width, height, size, interpolation="linear", *, name=None):
        h, w = _pair(size, "size")
        super().__init__(image, x, y, width, height, h, w, name=name)
        self.interpolation = _interp(self, interpolation)

    def params(self):
        return (self.interpolation,)

    def infer(self, image, x, y, width, height, h, w):
        check_image(image)
        for t, what in ((x, "crop x"), (y, "crop y"), (width, "crop width"),
                        (height, "crop height"), (h, "the output height"),
                        (w, "the output width")):
            _check_scalar(t, what)
        _static_int(self.inputs[1], "crop x")
        _static_int(self.inputs[2], "crop y")
        _static_size(self.inputs[3], "crop width")
        _static_size(self.inputs[4], "crop height")
        hv = _static_size(self.inputs[5], "the output height")
        wv = _static_size(self.inputs[6], "the output width")
        _check_area(hv, wv)
        return image_type(image, hv, wv)

    def encode(self, types, result):
        return [self.interpolation], []


# ---------------------------------------------------------------- crops, padding

def _clip(start, length, n):
    """Clipped ``[a, b)`` of ``[start, start + length)`` in ``[0, n)``."""
    return max(start, 0), min(start + length, n)


class Crop(Node):
    """The part of the box ``(x, y, width, height)`` that lies inside the image.

    Parameters
    ----------
    image : Node
        An image of uint8, uint16, int16 or float32.
    x, y : int or Node
        Top-left corner of the box (column, row); may be negative.
    width, height : int or Node
        Size of the box, > 0 (0 or less is an error).

    Returns
    -------
    Node
        ``image[max(y, 0):y + height, max(x, 0):x + width]``: the box clipped
        to the image, so it may be smaller than ``height x width``.  A box
        that lies wholly outside the image is an error ("the crop ... lies
        outside the image"); use :class:`SafeCrop` to always get
        ``height x width``.

    Examples
    --------
    >>> with pp.Graph() as graph:
    ...     img = pp.Constant(np.zeros((10, 10), np.uint8))
    ...     _ = pp.Output(pp.Crop(img, 6, -2, 8, 5), "c")
    >>> graph.compile().run(0)["c"].shape
    (3, 4)
    """

    kernel = "image_crop"

    def __init__(self, image, x, y, width, height, *, name=None):
        super().__init__(image, x, y, width, height, name=name)

    def infer(self, image, x, y, width, height):
        check_image(image)
        for t, what in ((x, "crop x"), (y, "crop y"), (width, "crop width"),
                        (height, "crop height")):
            _check_scalar(t, what)
        xv = _static_int(self.inputs[1], "crop x")
        yv = _static_int(self.inputs[2], "crop y")
        wv = _static_size(self.inputs[3], "crop width")
        hv = _static_size(self.inputs[4], "crop height")
        H, W = _image_hw(image)
        oh = ow = None
        if None not in (xv, wv, W):
            a, b = _clip(xv, wv, W)
            if b <= a:
                raise GraphError(f"the crop (x={xv}, width={wv}) lies outside the image "
                                 f"of width {W}")
            ow = b - a
        if None not in (yv, hv, H):
            a, b = _clip(yv, hv, H)
            if b <= a:
                raise GraphError(f"the crop (y={yv}, height={hv}) lies outside the image "
                                 f"of height {H}")
            oh = b - a
        return image_type(image, oh, ow)


class SafeCrop(Node):
    """The box ``(x, y, width, height)`` of the image, always ``height x
    width``: the part outside the image is filled by a border mode.

    Parameters
    ----------
    image : Node
        An image of uint8, uint16, int16 or float32.
    x, y : int or Node
        Top-left corner of the box (column, row); may be negative or beyond
        the image.
    width, height : int or Node
        Size of the box, > 0.
    border : {"constant", "replicate", "reflect", "reflect_101", "wrap"}
        How pixels outside the image are made, as OpenCV's border modes
        (``cv2.BORDER_*``; ``"reflect101"`` is accepted too).
    value : float or sequence of float
        The constant border's value: one number for every channel, or one
        per channel; rounded and saturated to the element type.

    Returns
    -------
    Node
        The ``height x width (x C)`` window, equal to ``cv2.copyMakeBorder``
        of the image, cut at the box (exactly).  The other border modes need
        a non-empty image.
    """

    kernel = "image_pad"

    def __init__(self, image, x, y, width, height, border="constant", value=0, *, name=None):
        super().__init__(image, x, y, width, height, name=name)
        self.border = _border(self, border)
        self.value, self.n_values = _fill_value(value)

    def params(self):
        return (self.border, self.value)

    def infer(self, image, x, y, width, height):
        check_image(image)
        _check_fill(self.n_values, image)
        for t, what in ((x, "crop x"), (y, "crop y"), (width, "crop width"),
                        (height, "crop height")):
            _check_scalar(t, what)
        _static_int(self.inputs[1], "crop x")
        _static_int(self.inputs[2], "crop y")
        wv = _static_size(self.inputs[3], "crop width")
        hv = _static_size(self.inputs[4], "crop height")
        _check_area(hv, wv)
        return image_type(image, hv, wv)

    def encode(self, types, result):
        return [self.border, 0], list(self.value)


class Pad(Node):
    """Add borders to an image, as ``cv2.copyMakeBorder``.

    Parameters
    ----------
    image : Node
        An image of uint8, uint16, int16 or float32.
    top, bottom, left, right : int or Node
        Border widths, >= 0; they may exceed the image size (the border modes
        then repeat periodically, as in OpenCV).
    border : {"constant", "replicate", "reflect", "reflect_101", "wrap"}
        ``cv2.BORDER_CONSTANT``, ``BORDER_REPLICATE`` (``aaa|abc|ccc``),
        ``BORDER_REFLECT`` (``cba|abc|cba``), ``BORDER_REFLECT_101``
        (``dcb|abcd|cba``) and ``BORDER_WRAP`` (``abc|abc|abc``).
    value : float or sequence of float
        The constant border's value, one for every channel or one per
        channel, rounded and saturated to the element type.

    Returns
    -------
    Node
        The ``(H + top + bottom) x (W + left + right) (x C)`` image, equal to
        ``cv2.copyMakeBorder`` (exactly).

    Notes
    -----
    Deliberate difference: one number ``value`` fills every channel; from
    Python, ``cv2.copyMakeBorder(..., value=5)`` fills only the first channel
    (OpenCV makes the Scalar ``(5, 0, 0, 0)``).
    """

    kernel = "image_pad"

    def __init__(self, image, top, bottom, left, right, border="constant", value=0, *,
                 name=None):
        super().__init__(image, top, bottom, left, right, name=name)
        self.border = _border(self, border)
        self.value, self.n_values = _fill_value(value)

    def params(self):
        return (self.border, self.value)

    def infer(self, image, *pads):
        check_image(image)
        _check_fill(self.n_values, image)
        names = ("top", "bottom", "left", "right")
        values = []
        for t, node, what in zip(pads, self.inputs[1:], names):
            _check_scalar(t, f"the {what} padding")
            v = _static_int(node, f"the {what} padding")
            if v is not None and v < 0:
                raise GraphError(f"the {what} padding must be >= 0, got {v}")
            values.append(v)
        H, W = _image_hw(image)
        oh = H + values[0] + values[1] if None not in (H, values[0], values[1]) else None
        ow = W + values[2] + values[3] if None not in (W, values[2], values[3]) else None
        _check_area(oh, ow)
        return image_type(image, oh, ow)

    def encode(self, types, result):
        return [self.border, 1], list(self.value)


class CenterCrop(Node):
    """The centred ``height x width`` window of an image, as
    ``torchvision.transforms.CenterCrop``.

    Parameters
    ----------
    image : Node
        An image of uint8, uint16, int16 or float32.
    height, width : int or Node
        Size of the window, > 0.
    border : str
        How a window larger than the image is filled (torchvision pads with
        the constant 0), as :class:`SafeCrop`.
    value : float or sequence of float
        The constant border's value.

    Returns
    -------
    Node
        ``height x width (x C)``.  Along an axis of length ``n`` the window
        starts at ``round((n - c) / 2)`` (half to even, as Python's ``round``)
        when ``c <= n``; when it is larger, ``(c - n) // 2`` border pixels come
        before the image and the rest after -- both exactly torchvision's
        placement.
    """

    kernel = "image_pad"

    def __init__(self, image, height, width, border="constant", value=0, *, name=None):
        super().__init__(image, height, width, name=name)
        self.border = _border(self, border)
        self.value, self.n_values = _fill_value(value)

    def params(self):
        return (self.border, self.value)

    def infer(self, image, height, width):
        check_image(image)
        _check_fill(self.n_values, image)
        _check_scalar(height, "crop height")
        _check_scalar(width, "crop width")
        hv = _static_size(self.inputs[1], "crop height")
        wv = _static_size(self.inputs[2], "crop width")
        _check_area(hv, wv)
        return image_type(image, hv, wv)

    def encode(self, types, result):
        return [self.border, 2], list(self.value)


def _padding4(padding):
    """torchvision's padding argument as (left, top, right, bottom)."""
    if _is_number(padding):
        p = [padding] * 4
    elif isinstance(padding, (tuple, list)) and len(padding) == 2:
        p = [padding[0], padding[1], padding[0], padding[1]]
    elif isinstance(padding, (tuple, list)) and len(padding) == 4:
        p = list(padding)
    else:
        raise GraphError(f"padding must be an int, (left/right, top/bottom) or "
                         f"(left, top, right, bottom), got {padding!r}")
    out = []
    for v in p:
        if not isinstance(v, (int, np.integer)) or isinstance(v, (bool, np.bool_)) or v < 0:
            raise GraphError(f"padding must be integers >= 0, got {padding!r}")
        if v > MAX_PIXELS:
            raise GraphError(f"padding is too large: {padding!r}")
        out.append(int(v))
    return tuple(out)


class _CropRange(Node):
    """int64 ``[ny, nx, oy, ox]`` of a torchvision RandomCrop (kernel docs)."""

    kernel = "image_crop_range"

    def __init__(self, image, height, width, padding, pad_if_needed, *, name=None):
        super().__init__(image, height, width, name=name)
        self.padding = padding
        self.pad_if_needed = bool(pad_if_needed)

    def params(self):
        return (self.padding, self.pad_if_needed)

    def infer(self, image, height, width):
        check_image(image)
        _check_scalar(height, "crop height")
        _check_scalar(width, "crop width")
        hv = _static_size(self.inputs[1], "crop height")
        wv = _static_size(self.inputs[2], "crop width")
        H, W = _image_hw(image)
        pl, pt, pr, pb = self.padding
        for n, c, before, after, what in ((H, hv, pt, pb, "height"), (W, wv, pl, pr, "width")):
            if n is None or c is None:
                continue
            n = n + before + after
            if self.pad_if_needed and n < c:
                n = c + (c - n)
            if n < c:
                raise GraphError(f"the crop {what} {c} is larger than the padded image "
                                 f"{what} {n}")
        return Tensor(np.dtype(np.int64), (4,))

    def encode(self, types, result):
        return [*self.padding, int(self.pad_if_needed)], []


class RandomCrop(Macro):
    """A ``height x width`` window at a uniformly random position, as
    ``torchvision.transforms.RandomCrop``.

    Parameters
    ----------
    image : Node
        An image of uint8, uint16, int16 or float32.
    height, width : int or Node
        Window size, > 0.
    padding : int, (lr, tb) or (left, top, right, bottom)
        Border added around the image first (torchvision's ``padding``).
    pad_if_needed : bool
        Pad both sides of an axis by the shortfall when the (padded) image is
        smaller than the window, as torchvision; otherwise that is an error.
    border : str
        Border mode of the padding, as :class:`SafeCrop` (torchvision's
        ``padding_mode``; its ``"symmetric"`` is ``"reflect"`` here and its
        ``"reflect"`` is ``"reflect_101"``).
    value : float or sequence of float
        Constant border value (torchvision's ``fill``).
    key : str, optional
        Random key.

    Returns
    -------
    Node
        ``height x width (x C)``.

    Notes
    -----
    The padded image is never made: the top row is
    ``RandomInteger(0, H' - height + 1)`` (``H'`` the padded height) and the
    left column likewise, then a :class:`SafeCrop` reads the window with the
    border mode.  Draws are per sample and reproducible; they are not the
    same numbers as torch's generator.
    """

    def __init__(self, image, height, width, padding=0, pad_if_needed=False,
                 border="constant", value=0, *, name=None, key=None):
        super().__init__(image, height, width, name=name, key=key)
        self.padding = _padding4(padding)
        self.pad_if_needed = bool(pad_if_needed)
        self.border = _border(self, border)
        self.value, self.n_values = _fill_value(value)

    def params(self):
        return (self.padding, self.pad_if_needed, self.border, self.value)

    def expand(self, image, height, width):
        r = _CropRange(image, height, width, self.padding, self.pad_if_needed, name=self.name)
        y = RandomInteger(0, r[0], name=self.name) + r[2]
        x = RandomInteger(0, r[1], name=self.name) + r[3]
        return SafeCrop(image, x, y, width, height, _BORDER_NAMES[self.border],
                        list(self.value[:self.n_values]), name=self.name)


class RandomResizedCropBox(Node):
    """The crop box of ``torchvision.transforms.RandomResizedCrop``: an int64
    tensor ``[top, left, height, width]`` (torchvision's ``(i, j, h, w)``).

    Parameters
    ----------
    image : Node
        An image of uint8, uint16, int16 or float32 (only its size is used).
    scale : (float, float)
        Range of the box area as a fraction of the image area, ``0 < low <=
        high``.
    ratio : (float, float)
        Range of the box aspect ratio ``width / height``, ``0 < low <= high``.
    key : str, optional
        Random key: boxes with the same key (and image size) are the same, so
        an image and its mask can be cropped alike.

    Returns
    -------
    Node
        int64 tensor of 4 entries.

    Notes
    -----
    torchvision's rule exactly: up to 10 attempts, each drawing the area
    fraction ``s ~ U(scale)`` and ``log r ~ U(log ratio)``, with ``w =
    round(sqrt(s A r))`` and ``h = round(sqrt(s A / r))`` (half to even, as
    Python's ``round``); the first box with ``0 < w <= W`` and ``0 < h <= H``
    is placed at ``top ~ U{0..H-h}``, ``left ~ U{0..W-w}``.  If none fits,
    the centred box of the whole image clamped to the ratio range.  The
    draws come from the pipeline's generator (doubles; logarithm and
    exponential from IEEE operations only), so they are reproducible per
    sample and machine-independent, not torch's numbers.
    """

    kernel = "image_rrc_box"
    random = True
    pure = False

    def __init__(self, image, scale=(0.08, 1.0), ratio=(3.0 / 4.0, 4.0 / 3.0), *, name=None,
                 key=None):
        super().__init__(image, name=name, key=key)
        self.scale = _range(self, scale, "scale")
        self.ratio = _range(self, ratio, "ratio")

    def params(self):
        return (self.scale, self.ratio)

    def infer(self, image):
        check_image(image)
        return Tensor(np.dtype(np.int64), (4,))

    def encode(self, types, result):
        return [], [*self.scale, *self.ratio]


class RandomResizedCrop(Macro):
    """A random box of random area and aspect ratio, resized to ``size``, as
    ``torchvision.transforms.RandomResizedCrop``.

    Parameters
    ----------
    image : Node
        An image of uint8, uint16, int16 or float32.
    size : (height, width)
        Output size (integers or scalar nodes).
    scale : (float, float)
        Range of the box area relative to the image, default (0.08, 1).
    ratio : (float, float)
        Range of the box's width / height, default (3/4, 4/3).
    interpolation : {"linear", "nearest", "cubic", "area", "lanczos"}
        As :class:`Resize`; torchvision's default is bilinear.
    key : str, optional
        Random key; with equal keys, two RandomResizedCrops of images of one
        size pick the same box (use ``"nearest"`` for a label mask).  The box
        is drawn inside the macro, so it is not the one of a
        ``RandomResizedCropBox`` with that key; to use the box elsewhere too,
        build the two steps yourself (see Notes).

    Returns
    -------
    Node
        ``height x width (x C)``.

    Notes
    -----
    :class:`RandomResizedCropBox` draws the box by torchvision's rule; then
    :class:`ResizedCrop` resizes the box in one pass, without making the
    crop::

        box = pp.RandomResizedCropBox(image, scale, ratio)
        out = pp.ResizedCrop(image, box[1], box[0], box[3], box[2], size)

    The resampling is OpenCV's (``cv2.resize`` of the box, tolerance as
    :class:`Resize`), not PIL's antialiased one.
    """

    def __init__(self, image, size, scale=(0.08, 1.0), ratio=(3.0 / 4.0, 4.0 / 3.0),
                 interpolation="linear", *, name=None, key=None):
        h, w = _pair(size, "size")
        super().__init__(image, h, w, name=name, key=key)
        self.scale = _range(self, scale, "scale")
        self.ratio = _range(self, ratio, "ratio")
        self.interpolation = _interp(self, interpolation)

    def params(self):
        return (self.scale, self.ratio, self.interpolation)

    def expand(self, image, h, w):
        box = RandomResizedCropBox(image, self.scale, self.ratio, name=self.name)
        interp = _INTERPOLATION_NAMES[self.interpolation]
        return ResizedCrop(image, box[1], box[0], box[3], box[2], (h, w), interp,
                           name=self.name)


_INTERPOLATION_NAMES = {code: name for name, code in INTERPOLATIONS.items()}


# ---------------------------------------------------------------- flips and turns

class Flip(Node):
    """Mirror an image left-right and/or top-bottom, as ``cv2.flip``.

    Parameters
    ----------
    image : Node
        An image of uint8, uint16, int16 or float32.
    horizontal : bool
        Reverse the columns (``np.flip(image, 1)``).
    vertical : bool
        Reverse the rows (``np.flip(image, 0)``).

    Returns
    -------
    Node
        The flipped image (exact); a copy when both are False.
    """

    kernel = "image_flip"

    def __init__(self, image, horizontal=True, vertical=False, *, name=None):
        super().__init__(image, name=name)
        self.horizontal = bool(horizontal)
        self.vertical = bool(vertical)

    def params(self):
        return (self.horizontal, self.vertical)

    def infer(self, image):
        return check_image(image)

    def encode(self, types, result):
        return [int(self.horizontal), int(self.vertical)], []


class RandomFlip(Macro):
    """:class:`Flip` with probability ``p``, else the image unchanged (as
    torchvision's ``RandomHorizontalFlip`` / ``RandomVerticalFlip``).

    Parameters
    ----------
    image : Node
        An image of uint8, uint16, int16 or float32.
    p : float or Node
        Probability of flipping, in [0, 1].
    horizontal, vertical : bool
        Which flip, as :class:`Flip`.
    key : str, optional
        Random key: flips with the same key decide alike.

    Returns
    -------
    Node
        The image, flipped or not (a :class:`~pixelpipes.Toggle`; only the
        taken branch runs).
    """

    def __init__(self, image, p=0.5, horizontal=True, vertical=False, *, name=None, key=None):
        super().__init__(image, p, name=name, key=key)
        self.horizontal = bool(horizontal)
        self.vertical = bool(vertical)

    def params(self):
        return (self.horizontal, self.vertical)

    def expand(self, image, p):
        return Toggle(p, Flip(image, self.horizontal, self.vertical, name=self.name), image,
                      name=self.name)


class TransposeImage(Node):
    """Swap the rows and columns of an image: ``np.swapaxes(image, 0, 1)``
    (``cv2.transpose``); channels stay last.

    Parameters
    ----------
    image : Node
        An image of uint8, uint16, int16 or float32.

    Returns
    -------
    Node
        The ``W x H (x C)`` image (exact).  For general axis permutations of
        tensors use :class:`~pixelpipes.Transpose`.
    """

    kernel = "image_transpose"

    def __init__(self, image, *, name=None):
        super().__init__(image, name=name)

    def infer(self, image):
        check_image(image)
        if image.shape is None:
            return image
        return Tensor(image.dtype, (image.shape[1], image.shape[0]) + tuple(image.shape[2:]))


class Rotate90(Node):
    """Rotate an image by ``k`` quarter turns counter-clockwise, as
    ``np.rot90(image, k)``.

    Parameters
    ----------
    image : Node
        An image of uint8, uint16, int16 or float32.
    k : int or Node
        Number of quarter turns (any integer; negative turns clockwise; taken
        modulo 4).  ``cv2.ROTATE_90_COUNTERCLOCKWISE`` is ``k=1``,
        ``ROTATE_180`` ``k=2`` and ``ROTATE_90_CLOCKWISE`` ``k=3``.

    Returns
    -------
    Node
        The rotated image (exact), ``W x H`` for odd ``k``.
    """

    kernel = "image_rotate90"

    def __init__(self, image, k=1, *, name=None):
        super().__init__(image, k, name=name)

    def infer(self, image, k):
        check_image(image)
        _check_scalar(k, "k", "iu")
        if image.shape is None:
            return image
        H, W = image.shape[0], image.shape[1]
        kv = _static_number(self.inputs[1])
        if kv is not None and int(kv) % 2 == 0:
            return image
        if kv is None and H != W:
            return Tensor(image.dtype, (None, None) + tuple(image.shape[2:]))
        return Tensor(image.dtype, (W, H) + tuple(image.shape[2:]))
