"""Filters and image analysis: blurs, sharpening, convolution, derivatives,
edges, distance transform, connected components, moments, mask bounds.

Every op runs a nogil kernel of ``pixelpipes/_core/_ops_filter.pyx`` or
``_ops_analysis.pyx`` and matches the OpenCV function it is named after
(``cv2`` is the reference of the tests); the tolerance and any deliberate
difference are stated in each class.  Scalar parameters (sizes, sigmas,
angles, thresholds) may be nodes, so they can change from sample to sample;
values known at compile time are checked when the graph compiles, the others
when the sample runs.  Border modes are the names of
:data:`pixelpipes.image._common.BORDERS` (OpenCV's default ``"reflect_101"``);
with ``"constant"`` the border is ``border_value``, converted to the image's
element type.
"""

from __future__ import annotations

import numbers

import numpy as np

from ..errors import GraphError
from ..graph import Macro, Node, static_value
from ..types import DTYPE_CODE, Tensor
from ._common import IMAGE_DTYPES, border_code, channels_of, check_image, image_type

__all__ = [
    "BilateralFilter", "BoxBlur", "Canny", "ConnectedComponents", "Convolve",
    "DistanceTransform", "GaussianBlur", "Laplacian", "MaskBoundingBox", "MedianBlur",
    "Moments", "MotionBlur", "MotionKernel", "RandomMotionBlur", "Sharpen", "Sobel",
]

#: Largest kernel side the filters accept.
MAX_KSIZE = 8191

#: Names of the values in the vector :class:`Moments` returns, in order.
MOMENT_NAMES = ("m00", "m10", "m01", "m20", "m11", "m02", "m30", "m21", "m12", "m03",
                "mu20", "mu11", "mu02", "mu30", "mu21", "mu12", "mu03",
                "nu20", "nu11", "nu02", "nu30", "nu21", "nu12", "nu03")


# ------------------------------------------------------------------ helpers

def _static_number(node):
    """The value of scalar ``node`` if known at compile time, else None."""
    value = static_value(node)
    if value is None or isinstance(value, (str, list)):
        return None
    arr = np.asarray(value)
    return arr.item() if arr.size == 1 else None

def _check_scalar(t, what, kinds="iuf"):
    if not isinstance(t, Tensor) or (t.shape is not None and t.shape != ()):
        raise GraphError(f"{what} must be a scalar, got {t}")
    if t.dtype is not None and t.dtype.kind not in kinds + "b":
        raise GraphError(f"{what} must be a number, got {t}")


def _known(node, what):
    """Static value of a scalar input, with NaN and non-integers rejected
    for sizes."""
    v = _static_number(node)
    if v is not None and isinstance(v, float) and v != v:
        raise GraphError(f"{what} is NaN")
    return v


def _check_size(node, what, odd=True, minimum=1, maximum=MAX_KSIZE):
    v = _known(node, what)
    if v is None:
        return None
    if float(v) != int(v):
        raise GraphError(f"{what} must be an integer, got {v}")
    v = int(v)
    if v < minimum:
        raise GraphError(f"{what} must be >= {minimum}, got {v}")
    if v > maximum:
        raise GraphError(f"{what} must be <= {maximum}, got {v}")
    if odd and v % 2 == 0 and v != 0:
        raise GraphError(f"{what} must be odd, got {v}")
    return v


def _static_int(value, what):
    if isinstance(value, Node) or isinstance(value, bool) \
            or not isinstance(value, numbers.Integral):
        raise GraphError(f"{what} must be a plain int, got {value!r}")
    return int(value)


def _out_dtype(dtype, what="dtype"):
    if dtype is None:
        return None
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise GraphError(f"{what} must be one of uint8, uint16, int16, float32, "
                         f"got {dtype!r}") from None
    if dt not in IMAGE_DTYPES:
        raise GraphError(f"{what} must be one of uint8, uint16, int16, float32, got {dt}")
    return dt


def _border_value(value):
    if isinstance(value, Node):
        raise GraphError("border_value must be a number known when the graph is built")
    value = float(value)
    if value != value:
        raise GraphError("border_value is NaN")
    return value


def _check_mask(t, what="mask"):
    check_image(t, what)
    c = channels_of(t)
    if c is not None and c != 1:
        raise GraphError(f"{what} must have one channel, got {t}")
    return t


def _plane_type(t, dtype):
    """H x W type of a single-channel image type ``t``."""
    if t.shape is None:
        return Tensor(np.dtype(dtype), (None, None))
    return Tensor(np.dtype(dtype), tuple(t.shape[:2]))


class _BorderFilter(Node):
    """Base of the filters with a border mode: image first, scalar inputs
    after; ``params`` are the border code and value."""

    def _set_border(self, border, border_value):
        self.border = border_code(border)
        self.border_value = _border_value(border_value)

    def params(self):
        return (self.border, self.border_value)


# ------------------------------------------------------------------ smoothing

class GaussianBlur(_BorderFilter):
    """Gaussian blur, as ``cv2.GaussianBlur(image, (ksize, ksize), sigma)``.

    The kernel is OpenCV's: with ``ksize`` 0 (or None) its size is
    ``round(sigma * 3 * 2 + 1) | 1`` for uint8 images and
    ``round(sigma * 4 * 2 + 1) | 1`` otherwise; with ``sigma <= 0`` and an
    explicit ``ksize`` the sigma is ``0.3 * ((ksize - 1) * 0.5 - 1) + 0.8`` (and
    the fixed binomial kernels for sizes up to 9).  The filter is separable.

    Parameters
    ----------
    image : Node
        An image of uint8, uint16, int16 or float32, 1 to 4 channels.
    sigma : float or Node
        Standard deviation in pixels (same along both axes).
    ksize : int or Node, optional
        Odd kernel side; 0 or None derives it from ``sigma``.
    border : str
        Border mode (default ``"reflect_101"``).
    border_value : float
        Value outside the image with ``border="constant"``.

    Returns
    -------
    Node
        An image of the input's type and shape.

    Notes
    -----
    uint8 and uint16 images use OpenCV's bit-exact fixed-point arithmetic
    (coefficients with 8 or 16 fraction bits, rounded by error diffusion,
    integer sums, one rounding): results are equal to ``cv2.GaussianBlur``.
    int16 and float32 images are filtered in float32 as OpenCV does, in a
    different order: int16 within 1, float32 within 1e-5 of the image's
    largest magnitude.  An even ``ksize`` fails.

    Examples
    --------
    >>> image = np.zeros((32, 48, 3), np.uint8)
    >>> image[10:20, 10:20] = 255
    >>> with pp.Graph() as graph:
    ...     _ = pp.Output(pp.GaussianBlur(image, 2.0), "blurred")
    >>> graph.compile().run(0)["blurred"][15, 5:12, 0].tolist()
    [3, 10, 25, 56, 100, 151, 195]
    """

    kernel = "gaussian_blur"

    def __init__(self, image, sigma, ksize=None, *, border="reflect_101", border_value=0.0,
                 name=None):
        super().__init__(image, sigma, 0 if ksize is None else ksize, name=name)
        self._set_border(border, border_value)

    def infer(self, image, sigma, ksize):
        check_image(image)
        _check_scalar(sigma, "sigma")
        _check_scalar(ksize, "ksize", "iuf")
        s = _known(self.inputs[1], "sigma")
        k = _check_size(self.inputs[2], "ksize", minimum=0)
        if k == 0 and s is not None and not s > 0:
            raise GraphError(f"GaussianBlur needs sigma > 0 when ksize is 0, got sigma {s}")
        return image

    def encode(self, types, result):
        return [self.border], [self.border_value]


class BoxBlur(_BorderFilter):
    """Mean (box) filter, as ``cv2.boxFilter(image, -1, (kw, kh), normalize=...)``
    (``cv2.blur`` when normalised).

    Running sums along rows and down columns make the cost per pixel
    independent of the kernel size.

    Parameters
    ----------
    image : Node
        An image of uint8, uint16, int16 or float32, 1 to 4 channels.
    ksize : int, Node or (width, height)
        Kernel size; even sizes are allowed (anchor at ``ksize // 2``, as
        OpenCV).
    normalize : bool
        Divide by the kernel area (mean); otherwise the plain sum,
        saturated to the output type.
    dtype : dtype, optional
        Output element type (default: the image's); e.g. float32 for
        unsaturated sums.
    border, border_value
        Border mode and constant value.

    Returns
    -------
    Node
        An image of the input's shape.

    Notes
    -----
    uint8 sums are exact; the mean is rounded as OpenCV does (its 23-bit
    fixed-point division for areas up to 256, float otherwise), so results
    equal ``cv2.blur`` or differ by 1 where OpenCV's vector and scalar code
    paths themselves differ.  Other types sum in double: within 1 for
    integers, 1e-6 relative for float32.
    """

    kernel = "box_blur"

    def __init__(self, image, ksize, normalize=True, *, dtype=None, border="reflect_101",
                 border_value=0.0, name=None):
        if isinstance(ksize, (tuple, list)):
            if len(ksize) != 2:
                raise GraphError(f"ksize must be a size or a (width, height) pair, got {ksize!r}")
            kw, kh = ksize
        else:
            kw = kh = ksize
        super().__init__(image, kw, kh, name=name)
        self.normalize = bool(normalize)
        self.dtype = _out_dtype(dtype)
        self._set_border(border, border_value)

    def params(self):
        return super().params() + (self.normalize, self.dtype)

    def infer(self, image, kw, kh):
        check_image(image)
        _check_scalar(kw, "kernel width")
        _check_scalar(kh, "kernel height")
        _check_size(self.inputs[1], "kernel width", odd=False)
        _check_size(self.inputs[2], "kernel height", odd=False)
        return image_type(image, dtype=self.dtype)

    def encode(self, types, result):
        return [int(self.normalize), self.border, DTYPE_CODE[result.dtype]], [self.border_value]


class MedianBlur(Node):
    """Median filter, as ``cv2.medianBlur(image, ksize)``.

    Parameters
    ----------
    image : Node
        uint8 (any odd ``ksize``), or uint16, int16, float32 (``ksize`` 1, 3
        or 5), 1 to 4 channels.
    ksize : int or Node
        Odd kernel side.

    Returns
    -------
    Node
        An image of the input's type and shape.

    Notes
    -----
    Exact (a median has no rounding).  The border replicates the edge
    pixels, as OpenCV does.  3x3 and 5x5 use sorting networks; larger uint8
    kernels the constant-time histogram method of Perreault and Hebert, so
    the cost per pixel hardly grows with ``ksize``.
    """

    kernel = "median_blur"

    def __init__(self, image, ksize, *, name=None):
        super().__init__(image, ksize, name=name)

    def infer(self, image, ksize):
        check_image(image)
        _check_scalar(ksize, "ksize")
        k = _check_size(self.inputs[1], "ksize")
        if image.dtype is not None and image.dtype != np.uint8:
            if k is not None and k > 5:
                raise GraphError(f"MedianBlur of {image.dtype} images needs ksize 1, 3 or 5, "
                                 f"got {k} (larger kernels need uint8)")
        return image


class BilateralFilter(_BorderFilter):
    """Edge-preserving bilateral filter, as
    ``cv2.bilateralFilter(image, d, sigma_color, sigma_space)``.

    Parameters
    ----------
    image : Node
        uint8 or float32 with 1 or 3 channels.
    d : int or Node
        Diameter of the neighbourhood; ``d <= 0`` takes
        ``2 * round(1.5 * sigma_space) + 1``.  Taps lie in a disc.
    sigma_color : float or Node
        Range sigma: for 3 channels it applies to the sum of the absolute
        channel differences (OpenCV's L1 colour distance).
    sigma_space : float or Node
        Spatial sigma in pixels.
    border, border_value
        Border mode and constant value.

    Returns
    -------
    Node
        An image of the input's type and shape.

    Notes
    -----
    Same weights as OpenCV (a float colour table for uint8; for float32 a
    4096-bin-per-channel table interpolated linearly over the image's value
    range, which with ``border="constant"`` includes the border value, as
    OpenCV 5).  uint8 results are within 1 of ``cv2.bilateralFilter``:
    sums are float32 in a different order, and for ``d`` 3 and 5 (5 or 13
    taps) OpenCV 5 takes a vector path that rounds the final division down,
    where this op rounds to nearest (about half the pixels differ by 1
    there).  float32 results are within 1e-4 of the largest magnitude.  A
    sigma below 1e-6 copies the image, as OpenCV.  NaN float pixels are
    skipped as neighbours.
    """

    kernel = "bilateral_filter"

    def __init__(self, image, d, sigma_color, sigma_space, *, border="reflect_101",
                 border_value=0.0, name=None):
        super().__init__(image, d, sigma_color, sigma_space, name=name)
        self._set_border(border, border_value)

    def infer(self, image, d, sc, ss):
        check_image(image, dtypes=(np.dtype(np.uint8), np.dtype(np.float32)))
        c = channels_of(image)
        if c is not None and c not in (1, 3):
            raise GraphError(f"BilateralFilter needs 1 or 3 channels, got {image}")
        for t, what in ((d, "d"), (sc, "sigma_color"), (ss, "sigma_space")):
            _check_scalar(t, what)
        _check_size(self.inputs[1], "d", odd=False, minimum=-2 ** 31)
        _known(self.inputs[2], "sigma_color")
        _known(self.inputs[3], "sigma_space")
        return image

    def encode(self, types, result):
        return [self.border], [self.border_value]


# ------------------------------------------------------------------ kernels

class MotionKernel(Node):
    """The normalised line kernel :class:`MotionBlur` uses: a float32
    ``ksize x ksize`` tensor.

    Parameters
    ----------
    ksize : int or Node
        Odd kernel side, 1..1023.
    angle : float or Node
        Direction of the line in degrees (counter-clockwise in x-right,
        y-down image coordinates, as albumentations).
    direction : float or Node
        In [-1, 1]: 0 a line centred on the pixel, > 0 only its forward
        part, < 0 only its backward part.
    """

    kernel = "motion_kernel"

    def __init__(self, ksize, angle, direction=0.0, *, name=None):
        super().__init__(ksize, angle, direction, name=name)

    def infer(self, ksize, angle, direction):
        k = _check_motion(self.inputs, (ksize, angle, direction))
        return Tensor(np.dtype(np.float32), (k, k))


def _check_motion(nodes, types):
    """Checks of the (ksize, angle, direction) inputs; the static ksize."""
    for t, what in zip(types, ("ksize", "angle", "direction")):
        _check_scalar(t, what)
    k = _check_size(nodes[0], "ksize", maximum=1023)
    _known(nodes[1], "angle")
    d = _known(nodes[2], "direction")
    if d is not None and not -1 <= d <= 1:
        raise GraphError(f"direction must be in [-1, 1], got {d}")
    return k


class MotionBlur(_BorderFilter):
    """Motion blur: correlation with a normalised line kernel, like
    albumentations' ``MotionBlur``.

    The kernel marks the points ``centre + t * (cos a, sin a)`` for
    ``2 * ksize`` values of ``t`` evenly spaced in
    ``[-(ksize // 2), ksize // 2]``, rounded half to even and clipped to the
    kernel, each with weight ``1 / count`` (albumentations'
    ``create_motion_kernel`` without random shift).

    Parameters
    ----------
    image : Node
        An image of uint8, uint16, int16 or float32, 1 to 4 channels.
    ksize : int or Node
        Odd kernel side, 1..1023.
    angle : float or Node
        Angle of the motion in degrees.
    direction : float or Node
        In [-1, 1]; 0 (default) is a symmetric line.  Deliberate difference:
        albumentations only lengthens the (clipped) line by ``1 + |direction|``
        and ignores the sign; here ``direction > 0`` keeps the part of the
        line in front of the pixel, scaled ``t`` in ``[-L(1 - d), L]``, and
        ``direction < 0`` the part behind it, ``t`` in ``[-L, L(1 + d)]``.
    border, border_value
        Border mode and constant value.

    Returns
    -------
    Node
        An image of the input's type and shape.

    Notes
    -----
    Equal to ``cv2.filter2D`` with that kernel: integer results within 1
    (float sums), float32 within 1e-5 of the image's largest magnitude.
    Only the non-zero taps of the kernel are visited, so the cost grows with
    ``ksize``, not its square.
    """

    kernel = "motion_blur"

    def __init__(self, image, ksize, angle, direction=0.0, *, border="reflect_101",
                 border_value=0.0, name=None):
        super().__init__(image, ksize, angle, direction, name=name)
        self._set_border(border, border_value)

    def infer(self, image, ksize, angle, direction):
        check_image(image)
        _check_motion(self.inputs[1:], (ksize, angle, direction))
        return image

    def encode(self, types, result):
        return [self.border], [self.border_value]


class RandomMotionBlur(Macro):
    """:class:`MotionBlur` with a random odd size, angle and direction per
    sample (albumentations' ``MotionBlur`` transform).

    Parameters
    ----------
    image : Node
        An image.
    ksize : int or (int, int)
        Largest odd kernel size, or an inclusive range of odd sizes
        (default ``(3, 7)``, as albumentations' ``blur_limit``); sizes are
        drawn uniformly among the odd values of the range.
    angle : (float, float)
        Range of angles in degrees (default ``(0, 360)``).
    direction : float or (float, float)
        Direction, or a range in [-1, 1] (default 0).
    border, border_value
        Border mode and constant value.
    key : str, optional
        Random key.
    """

    def __init__(self, image, ksize=(3, 7), angle=(0.0, 360.0), direction=0.0, *,
                 border="reflect_101", border_value=0.0, name=None, key=None):
        super().__init__(image, name=name, key=key)
        lo, hi = (3, ksize) if not isinstance(ksize, (tuple, list)) else ksize
        lo, hi = _static_int(lo, "ksize"), _static_int(hi, "ksize")
        lo, hi = lo + (lo % 2 == 0), hi - (hi % 2 == 0)
        if lo < 1 or hi < lo or hi > 1023:
            raise GraphError(f"RandomMotionBlur ksize range must hold odd sizes in 1..1023, "
                             f"got {ksize!r}")
        self.ksize = (lo, hi)
        self.angle = tuple(float(a) for a in angle)
        if len(self.angle) != 2 or not all(np.isfinite(self.angle)) \
                or self.angle[1] < self.angle[0]:
            raise GraphError(f"angle must be a (low, high) range, got {angle!r}")
        d = (direction, direction) if not isinstance(direction, (tuple, list)) else direction
        self.direction = tuple(float(x) for x in d)
        if len(self.direction) != 2 or not -1 <= self.direction[0] <= self.direction[1] <= 1:
            raise GraphError(f"direction must be in [-1, 1], got {direction!r}")
        self.border, self.border_value = border, _border_value(border_value)
        border_code(border)

    def params(self):
        return (self.ksize, self.angle, self.direction, self.border, self.border_value)

    def expand(self, image):
        from ..ops.random import RandomInteger, RandomUniform

        lo, hi = self.ksize
        ksize = RandomInteger(0, (hi - lo) // 2 + 1) * 2 + lo if hi > lo else lo
        angle = RandomUniform(*self.angle) if self.angle[1] > self.angle[0] else self.angle[0]
        d0, d1 = self.direction
        direction = RandomUniform(d0, d1) if d1 > d0 else d0
        return MotionBlur(image, ksize, angle, direction, border=self.border,
                          border_value=self.border_value, name=self.name)


class Sharpen(_BorderFilter):
    """Sharpening with albumentations' ``Sharpen`` kernel (kernel method).

    The 3x3 kernel is ``(1 - alpha) * I + alpha * E`` with ``I`` the identity
    kernel and ``E = [[-1, -1, -1], [-1, 8 + lightness, -1], [-1, -1, -1]]``,
    computed in float32 as albumentations does, and applied like
    ``cv2.filter2D(image, -1, kernel)``.

    Parameters
    ----------
    image : Node
        An image of uint8, uint16, int16 or float32, 1 to 4 channels.
    alpha : float or Node
        Blend between the image (0) and the full effect (1).
    lightness : float or Node
        Centre weight offset; 1 (default) keeps the mean brightness.
    border, border_value
        Border mode and constant value.

    Returns
    -------
    Node
        An image of the input's type and shape (saturated for integers).

    Notes
    -----
    Integer results within 1 of ``cv2.filter2D`` with that kernel, float32
    within 1e-5 of the result's scale (the kernel's absolute sum times the
    image's largest magnitude).
    """

    kernel = "sharpen"

    def __init__(self, image, alpha, lightness=1.0, *, border="reflect_101", border_value=0.0,
                 name=None):
        super().__init__(image, alpha, lightness, name=name)
        self._set_border(border, border_value)

    def infer(self, image, alpha, lightness):
        check_image(image)
        _check_scalar(alpha, "alpha")
        _check_scalar(lightness, "lightness")
        _known(self.inputs[1], "alpha")
        _known(self.inputs[2], "lightness")
        return image

    def encode(self, types, result):
        return [self.border], [self.border_value]


class Convolve(_BorderFilter):
    """Correlation with a kernel, as ``cv2.filter2D(image, -1, kernel, anchor=anchor,
    delta=delta, borderType=border)``.

    As in OpenCV this is correlation, not convolution: the kernel is not
    flipped (flip it for a true convolution).

    Parameters
    ----------
    image : Node
        An image of uint8, uint16, int16 or float32, 1 to 4 channels; every
        channel is filtered with the same kernel.
    kernel : array or Node
        A 2-D numeric tensor (float32 or float64 usually), at most 8191 on a
        side; it may change from sample to sample.  NaN or infinite weights
        fail the sample.
    anchor : (int, int), optional
        ``(x, y)`` of the kernel element over the output pixel; default the
        centre ``(kw // 2, kh // 2)``.
    delta : float or Node
        Added to every result.
    dtype : dtype, optional
        Output element type (default: the image's), e.g. float32 to keep
        negative responses.
    border, border_value
        Border mode and constant value.

    Returns
    -------
    Node
        An image of the input's shape.

    Notes
    -----
    Weights are rounded to float32 and sums taken in float32, as OpenCV's
    direct method; integer outputs are rounded half to even and saturated.
    A uint8 image with small integer weights (``255 * sum |w| < 2**15``,
    an integer ``delta``) is summed exactly in 16-bit integers instead.
    Integer results are within 1 of ``cv2.filter2D`` (OpenCV switches to a
    DFT for large kernels, with its own rounding), float32 within 1e-5 of
    the result's scale (the kernel's absolute sum times the image's largest
    magnitude).  Only non-zero weights are visited.
    """

    kernel = "convolve"

    def __init__(self, image, kernel, anchor=None, *, delta=0.0, dtype=None,
                 border="reflect_101", border_value=0.0, name=None):
        if not isinstance(kernel, Node):
            kernel = np.asarray(kernel, dtype=np.float64 if np.asarray(kernel).dtype.kind != "f"
                                else None)
        super().__init__(image, kernel, delta, name=name)
        if anchor is None:
            self.anchor = (-1, -1)
        else:
            if len(anchor) != 2:
                raise GraphError(f"anchor must be an (x, y) pair, got {anchor!r}")
            self.anchor = (_static_int(anchor[0], "anchor"), _static_int(anchor[1], "anchor"))
        self.dtype = _out_dtype(dtype)
        self._set_border(border, border_value)

    def params(self):
        return super().params() + (self.anchor, self.dtype)

    def infer(self, image, kernel, delta):
        check_image(image)
        if not isinstance(kernel, Tensor) or (kernel.shape is not None and len(kernel.shape) != 2):
            raise GraphError(f"the kernel must be a 2-D tensor, got {kernel}")
        if kernel.dtype is not None and kernel.dtype.kind not in "iuf":
            raise GraphError(f"the kernel must be numeric, got {kernel}")
        _check_scalar(delta, "delta")
        _known(self.inputs[2], "delta")
        if kernel.shape is not None:
            kh, kw = kernel.shape
            for side in (kh, kw):
                if side is not None and not 1 <= side <= MAX_KSIZE:
                    raise GraphError(f"kernel sides must be in 1..{MAX_KSIZE}, got {kernel}")
            ax, ay = self.anchor
            if (kw is not None and ax >= kw) or (kh is not None and ay >= kh) \
                    or ax < -1 or ay < -1:
                raise GraphError(f"anchor {self.anchor} is outside the kernel {kernel}")
        return image_type(image, dtype=self.dtype)

    def encode(self, types, result):
        return ([self.anchor[0], self.anchor[1], self.border, DTYPE_CODE[result.dtype]],
                [self.border_value])


# ------------------------------------------------------------------ derivatives

def _derivative_dtype(image, dtype):
    if dtype is not None:
        return dtype
    if image.dtype is None:
        raise GraphError("the output dtype cannot be chosen for an image of unknown "
                         "element type: pass dtype=")
    return np.dtype(np.int16) if image.dtype == np.uint8 else np.dtype(np.float32)


class Sobel(_BorderFilter):
    """Image derivative with an extended Sobel (or Scharr) kernel, as
    ``cv2.Sobel(image, ddepth, dx, dy, ksize=ksize, scale=scale, delta=delta)``.

    Parameters
    ----------
    image : Node
        An image of uint8, uint16, int16 or float32, 1 to 4 channels.
    dx, dy : int
        Derivative orders, ``dx + dy >= 1``, each below ``ksize`` (for
        ``ksize`` 1: at most 2; for Scharr: ``dx + dy == 1``).
    ksize : int
        1, 3, 5 or 7; -1 for the 3x3 Scharr kernel.
    scale : float or Node
        Factor applied to the derivative.
    delta : float or Node
        Added to the result.
    dtype : dtype, optional
        Output type, OpenCV's ``ddepth``: default int16 for uint8 images
        (``cv2.CV_16S``) and float32 otherwise; any image type is allowed
        (integers saturate).
    border, border_value
        Border mode and constant value.

    Returns
    -------
    Node
        An image of the input's shape and type ``dtype``.

    Notes
    -----
    Separable sums: for uint8 images, integer kernels (``scale`` an integer)
    and an integer ``delta`` they are exact 16-bit integer sums when every
    result fits (all apertures but 7), so equal to OpenCV's; otherwise
    float32, with integer results within 1 and float32 within 1e-5 of the
    result's scale.
    """

    kernel = "sobel"

    def __init__(self, image, dx, dy, ksize=3, scale=1.0, delta=0.0, *, dtype=None,
                 border="reflect_101", border_value=0.0, name=None):
        super().__init__(image, scale, delta, name=name)
        self.dx, self.dy = _static_int(dx, "dx"), _static_int(dy, "dy")
        self.ksize = _static_int(ksize, "ksize")
        if self.ksize not in (-1, 1, 3, 5, 7):
            raise GraphError(f"Sobel ksize must be 1, 3, 5, 7 or -1 (Scharr), got {ksize}")
        if self.dx < 0 or self.dy < 0 or self.dx + self.dy < 1:
            raise GraphError(f"derivative orders must be >= 0 with dx + dy >= 1, "
                             f"got dx={dx}, dy={dy}")
        if self.ksize == -1:
            if self.dx + self.dy != 1:
                raise GraphError("the Scharr kernel (ksize=-1) needs dx + dy == 1")
        else:
            limit = 3 if self.ksize == 1 else self.ksize
            if self.dx >= limit or self.dy >= limit:
                raise GraphError(f"derivative orders must be < {limit} for ksize {self.ksize}, "
                                 f"got dx={dx}, dy={dy}")
        self.dtype = _out_dtype(dtype)
        self._set_border(border, border_value)

    def params(self):
        return super().params() + (self.dx, self.dy, self.ksize, self.dtype)

    def infer(self, image, scale, delta):
        check_image(image)
        _check_scalar(scale, "scale")
        _check_scalar(delta, "delta")
        _known(self.inputs[1], "scale")
        _known(self.inputs[2], "delta")
        return image_type(image, dtype=_derivative_dtype(image, self.dtype))

    def encode(self, types, result):
        return ([self.dx, self.dy, self.ksize, self.border, DTYPE_CODE[result.dtype]],
                [self.border_value])


class Laplacian(_BorderFilter):
    """Laplacian, as ``cv2.Laplacian(image, ddepth, ksize=ksize, scale=scale,
    delta=delta)``.

    Parameters
    ----------
    image : Node
        An image of uint8, uint16, int16 or float32, 1 to 4 channels.
    ksize : int
        1 (kernel ``[[0,1,0],[1,-4,1],[0,1,0]]``), 3
        (``[[2,0,2],[0,-8,0],[2,0,2]]``), 5 or 7 (sum of the second Sobel
        derivatives).
    scale, delta : float or Node
        Factor and offset of the result.
    dtype : dtype, optional
        Output type: default int16 for uint8 images, float32 otherwise.
    border, border_value
        Border mode and constant value.

    Returns
    -------
    Node
        An image of the input's shape and type ``dtype``.

    Notes
    -----
    Sums with the weights pre-multiplied by ``scale``: exact (16-bit
    integers) for uint8 images with an integer scale and delta and
    ``ksize`` up to 5, so equal to OpenCV's; otherwise float32, integers
    within 1 and float32 within 1e-5 of the result's scale.
    """

    kernel = "laplacian"

    def __init__(self, image, ksize=1, scale=1.0, delta=0.0, *, dtype=None,
                 border="reflect_101", border_value=0.0, name=None):
        super().__init__(image, scale, delta, name=name)
        self.ksize = _static_int(ksize, "ksize")
        if self.ksize not in (1, 3, 5, 7):
            raise GraphError(f"Laplacian ksize must be 1, 3, 5 or 7, got {ksize}")
        self.dtype = _out_dtype(dtype)
        self._set_border(border, border_value)

    def params(self):
        return super().params() + (self.ksize, self.dtype)

    def infer(self, image, scale, delta):
        check_image(image)
        _check_scalar(scale, "scale")
        _check_scalar(delta, "delta")
        _known(self.inputs[1], "scale")
        _known(self.inputs[2], "delta")
        return image_type(image, dtype=_derivative_dtype(image, self.dtype))

    def encode(self, types, result):
        return [self.ksize, self.border, DTYPE_CODE[result.dtype]], [self.border_value]


# ------------------------------------------------------------------ analysis

class Canny(Node):
    """Canny edges, as ``cv2.Canny(image, threshold1, threshold2,
    apertureSize=aperture, L2gradient=l2gradient)``.

    Sobel gradients (int16, replicated border), magnitude ``|dx| + |dy|`` (or
    ``dx**2 + dy**2`` against squared thresholds with ``l2gradient``),
    non-maximum suppression along the quantised gradient direction, and
    hysteresis: a pixel is an edge if its magnitude exceeds the high
    threshold, or the low one and it is 8-connected to an edge.

    Parameters
    ----------
    image : Node
        A uint8 single-channel image (H x W or H x W x 1).
    threshold1, threshold2 : float or Node
        The two hysteresis thresholds (in either order).
    aperture : int
        Sobel aperture: 3, 5 or 7.
    l2gradient : bool
        Use the L2 gradient magnitude.

    Returns
    -------
    Node
        A uint8 image of the input's shape: 255 on edges, 0 elsewhere.

    Notes
    -----
    The same integer arithmetic as OpenCV (including aperture 7's gradients
    scaled by 1/16 and thresholds with them): the tests find no differing
    pixel.

    Examples
    --------
    >>> square = np.zeros((16, 16), np.uint8)
    >>> square[4:12, 4:12] = 200
    >>> with pp.Graph() as graph:
    ...     _ = pp.Output(pp.Canny(square, 50, 150), "edges")
    >>> int((graph.compile().run(0)["edges"] > 0).sum())
    28
    """

    kernel = "canny"

    def __init__(self, image, threshold1, threshold2, aperture=3, l2gradient=False, *,
                 name=None):
        super().__init__(image, threshold1, threshold2, name=name)
        self.aperture = _static_int(aperture, "aperture")
        if self.aperture not in (3, 5, 7):
            raise GraphError(f"Canny aperture must be 3, 5 or 7, got {aperture}")
        self.l2gradient = bool(l2gradient)

    def params(self):
        return (self.aperture, self.l2gradient)

    def infer(self, image, t1, t2):
        check_image(image, dtypes=(np.dtype(np.uint8),))
        _check_mask(image, "the Canny image")
        _check_scalar(t1, "threshold1")
        _check_scalar(t2, "threshold2")
        _known(self.inputs[1], "threshold1")
        _known(self.inputs[2], "threshold2")
        return image

    def encode(self, types, result):
        return [self.aperture, int(self.l2gradient)], []


_METRICS = {"l2": 2, "l1": 1, "linf": 3}


class DistanceTransform(Node):
    """Distance of every non-zero pixel to the nearest zero pixel, as
    ``cv2.distanceTransform(mask, metric, mask_size)``.

    Parameters
    ----------
    mask : Node
        A single-channel image of any image type (zero / non-zero).
    metric : {"l2", "l1", "linf"}
        Euclidean, city-block or chessboard distance.
    mask_size : {0, 3, 5}
        ``0`` (``cv2.DIST_MASK_PRECISE``): exact Euclidean distance
        (Felzenszwalb & Huttenlocher's separable squared-distance
        transform); 3 or 5: OpenCV's chamfer approximation with its weights
        (l2: 0.955/1.3693 for 3x3, 1/1.4/2.1969 for 5x5).  l1 and linf are
        exact with a 3x3 mask (OpenCV also uses 3x3 for them whatever the
        size asked).

    Returns
    -------
    Node
        A float32 H x W image.

    Notes
    -----
    Matches ``cv2.distanceTransform`` within 1e-3 (exact l2 in double
    precision; chamfer masks with OpenCV's 16-bit fixed-point weights, so
    equal).  Pixels outside the image are not zeros.  Deliberate
    difference: when the mask has no zero pixel the result is +inf
    everywhere (OpenCV 5 returns FLT_MAX or 1.8e19).
    """

    kernel = "distance_transform"

    def __init__(self, mask, metric="l2", mask_size=0, *, name=None):
        super().__init__(mask, name=name)
        key = str(metric).lower()
        if key not in _METRICS:
            raise GraphError(f"unknown metric {metric!r}; choose from {sorted(_METRICS)}")
        self.metric = key
        self.mask_size = _static_int(mask_size, "mask_size")
        if self.mask_size not in (0, 3, 5):
            raise GraphError(f"mask_size must be 0 (precise), 3 or 5, got {mask_size}")

    def params(self):
        return (self.metric, self.mask_size)

    def infer(self, mask):
        _check_mask(mask)
        return _plane_type(mask, np.float32)

    def encode(self, types, result):
        size = self.mask_size if self.metric == "l2" else 3
        return [_METRICS[self.metric], size], []


class ConnectedComponents(Node):
    """Labels of the connected components of the non-zero pixels, as the
    label image of ``cv2.connectedComponents(mask, connectivity=...)``.

    Parameters
    ----------
    mask : Node
        A single-channel image of any image type (zero / non-zero).
    connectivity : {8, 4}
        Pixel neighbourhood.

    Returns
    -------
    Node
        An int32 H x W image: 0 for the background, components numbered
        1..n.

    Notes
    -----
    Labels are numbered in OpenCV's order, so the result is equal to
    OpenCV's: with 4-connectivity by the first pixel of each component in
    raster order; with 8-connectivity by the first 2x2 block (blocks in
    raster order of block rows, as OpenCV's block-based scan) holding a
    pixel of the component.  The number of components is the maximum
    label.
    """

    kernel = "connected_components"

    def __init__(self, mask, connectivity=8, *, name=None):
        super().__init__(mask, name=name)
        self.connectivity = _static_int(connectivity, "connectivity")
        if self.connectivity not in (4, 8):
            raise GraphError(f"connectivity must be 4 or 8, got {connectivity}")

    def params(self):
        return (self.connectivity,)

    def infer(self, mask):
        _check_mask(mask)
        return _plane_type(mask, np.int32)

    def encode(self, types, result):
        return [self.connectivity], []


class Moments(Node):
    """Image moments, as ``cv2.moments(image, binaryImage=binary)``, as a
    float64 vector of 24 values.

    The order is that of OpenCV's ``Moments`` (see
    :data:`MOMENT_NAMES`): spatial ``m00, m10, m01, m20, m11, m02, m30, m21,
    m12, m03``, central ``mu20, mu11, mu02, mu30, mu21, mu12, mu03`` and
    normalised central ``nu20, nu11, nu02, nu30, nu21, nu12, nu03``.

    Parameters
    ----------
    image : Node
        A single-channel image of any image type.
    binary : bool
        Count every non-zero pixel as 1.

    Returns
    -------
    Node
        A float64 tensor of shape (24,).

    Notes
    -----
    Sums in double with the pixel coordinates ``x, y`` (column, row) as
    OpenCV; central and normalised moments with OpenCV's formulas, all zero
    when ``m00`` is 0.  Within 1e-9 relative of OpenCV (exact for small
    integer images).

    Examples
    --------
    >>> image = np.zeros((8, 8), np.uint8)
    >>> image[2:4, 5] = 1
    >>> with pp.Graph() as graph:
    ...     _ = pp.Output(pp.Moments(image), "m")
    >>> m = dict(zip(pp.image.filters.MOMENT_NAMES, graph.compile().run(0)["m"]))
    >>> [float(m[k]) for k in ("m00", "m10", "m01")]
    [2.0, 10.0, 5.0]
    """

    kernel = "moments"

    def __init__(self, image, binary=False, *, name=None):
        super().__init__(image, name=name)
        self.binary = bool(binary)

    def params(self):
        return (self.binary,)

    def infer(self, image):
        _check_mask(image, "the image")
        return Tensor(np.dtype(np.float64), (24,))

    def encode(self, types, result):
        return [int(self.binary)], []


class MaskBoundingBox(Node):
    """Bounding rectangle of the non-zero pixels of a mask.

    Parameters
    ----------
    mask : Node
        An image of any image type with 1 to 4 channels; a pixel counts
        when any channel is non-zero.

    Returns
    -------
    Node
        A float32 vector ``(x0, y0, x1, y1)``: ``x0, y0`` the first column
        and row holding a non-zero pixel, ``x1, y1`` one past the last
        ones, so that ``(x0, y0, x1 - x0, y1 - y0)`` is
        ``cv2.boundingRect(mask)``.  An empty mask gives ``(0, 0, 0, 0)``.

    Examples
    --------
    >>> mask = np.zeros((10, 20), np.uint8)
    >>> mask[2:5, 3:9] = 1
    >>> with pp.Graph() as graph:
    ...     _ = pp.Output(pp.MaskBoundingBox(mask), "box")
    >>> graph.compile().run(0)["box"].tolist()
    [3.0, 2.0, 9.0, 5.0]
    """

    kernel = "mask_bounding_box"

    def __init__(self, mask, *, name=None):
        super().__init__(mask, name=name)

    def infer(self, mask):
        check_image(mask, "mask")
        return Tensor(np.dtype(np.float32), (4,))
