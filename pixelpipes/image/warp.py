"""Warps and deformations: matrix warps, rotation, remapping by coordinate
maps, and the random deformations (elastic, grid distortion, piecewise affine).

Every op here samples the source image at computed coordinates with one
shared sampler (``pixelpipes/_core/_ops_warp.pyx``), which follows OpenCV 5's
``cv2.warpAffine`` / ``cv2.warpPerspective`` / ``cv2.remap``:

* **nearest** takes the pixel at the source coordinate rounded half to even;
* **linear** interpolates the 2 x 2 neighbours at the exact coordinate, in
  float32 (uint8: in fixed point, the coordinate in 1/2048 pixel and 11-bit
  weights); **area** is linear, as in OpenCV's warps;
* **cubic** is Keys' kernel with ``a = -0.75`` over 4 x 4 neighbours at the
  exact coordinate (uint8: 14-bit integer weights at the coordinate rounded
  to 1/1024 pixel);
* **lanczos** is Lanczos-4 over 8 x 8 neighbours at the coordinate rounded to
  1/32 pixel, with weights from a 32-entry table (OpenCV does the same; for
  affine warps the coordinates are computed with OpenCV's 10-bit fixed point).

Pixels outside the source are taken from the border mode: ``"constant"``
(``value``), ``"replicate"``, ``"reflect"``, ``"reflect_101"`` or
``"wrap"``.  Integer results are rounded (half to even; uint8 fixed point:
half up) and saturated.

Why the coordinates are exact: OpenCV up to 4.x rounded every source
coordinate to 1/32 pixel (``INTER_BITS = 5``) and used 15-bit weights for
8-bit images.  OpenCV 5.0's new warp kernels (``warp_kernels.simd.hpp``)
compute nearest, linear and cubic at the float32 coordinate, with float32
weights; only Lanczos (all types) and int16 nearest/linear still go through
the 1/32-pixel path.  Measured on random images, the exact coordinate is
within 1 of OpenCV 5.0 and the 1/32-pixel one up to 6 off (uint8), so
pixelpipes follows 5.0.

Accuracy against OpenCV 5.0 (the tests' oracle): uint8 within 1; uint16
within 1; float32 within 1e-4 (relative to the value range).  Deliberate
differences:

* **int16** images are interpolated like the other types, whereas OpenCV
  routes int16 nearest/linear through its older fixed-point path (source
  coordinates rounded to 1/32 pixel, 1/1024 for nearest); the int16 results
  match OpenCV's float32 result, rounded, within 1.
* **reflect, reflect_101, wrap** fold a coordinate any distance from the
  image; OpenCV's warp kernels fold it once, so source coordinates more than
  one image size outside the image differ.
* **nearest** decides rounding ties from the double-precision coordinate,
  OpenCV from its float32 one: a source coordinate within about 1e-5 of a
  half-pixel may round the other way.
* Source coordinates are clamped to +-2**28 pixels and NaN coordinates count
  as far outside, so a degenerate matrix or map never reads out of bounds.
* OpenCV 5.0 loops forever on cubic + reflect_101 when the source has one
  row or one column; pixelpipes does not.
"""

from __future__ import annotations

import math
import numbers
from typing import Optional

import numpy as np

from ..errors import GraphError
from ..graph import Macro, Node, static_value
from ..types import Tensor
from ._common import border_code, channels_of, check_image, image_type, interpolation_code

__all__ = [
    "Warp", "Rotate", "RemapImage", "ElasticField", "ElasticDeformation",
    "GridDistortionMap", "GridDistortion", "PiecewiseAffineMap", "PiecewiseAffine",
]

_PERSPECTIVE = {None: 0, True: 1, False: 2}
_DISTRIBUTIONS = {"uniform": 0, "normal": 1}


# ---------------------------------------------------------------- helpers

_static_value = static_value  # the compile-time value of a node, or None

def _static_number(node) -> Optional[float]:
    value = _static_value(node)
    if value is None or isinstance(value, (str, list)):
        return None
    arr = np.asarray(value)
    return arr.item() if arr.size == 1 else None


def _check_scalar(t, what):
    if not isinstance(t, Tensor) or (t.shape is not None and t.shape != ()):
        raise GraphError(f"{what} must be a scalar, got {t}")
    if t.dtype is not None and t.dtype.kind not in "biuf":
        raise GraphError(f"{what} must be a number, got {t}")


def _border_value(value) -> tuple:
    """``value`` as a tuple of 1..4 finite floats."""
    if isinstance(value, Node):
        raise GraphError("the border value must be a number or a sequence of numbers, "
                         "not a node")
    if isinstance(value, numbers.Real):
        values = (float(value),)
    else:
        try:
            values = tuple(float(v) for v in value)
        except (TypeError, ValueError):
            raise GraphError(f"the border value must be a number or a sequence of 1 to 4 "
                             f"numbers, got {value!r}") from None
        if not 1 <= len(values) <= 4:
            raise GraphError(f"the border value must have 1 to 4 numbers, got {value!r}")
    if not all(math.isfinite(v) for v in values):
        raise GraphError(f"the border value must be finite, got {value!r}")
    return values


def _range(value, what, symmetric):
    """``(low, high)`` from a pair, or from a number ``v``: ``(-v, v)`` when
    ``symmetric``, else ``(v, v)``."""
    if isinstance(value, numbers.Real):
        v = float(value)
        pair = (-abs(v), abs(v)) if symmetric else (v, v)
    else:
        try:
            pair = tuple(float(v) for v in value)
        except (TypeError, ValueError):
            raise GraphError(f"{what} must be a number or a (low, high) pair, "
                             f"got {value!r}") from None
        if len(pair) != 2:
            raise GraphError(f"{what} must be a number or a (low, high) pair, got {value!r}")
    if not all(math.isfinite(v) for v in pair) or pair[0] > pair[1]:
        raise GraphError(f"{what} must be finite with low <= high, got {value!r}")
    return pair


def _check_sampling(node, interpolation, border, value):
    """Validate sampling options early (macros pass them on to RemapImage)."""
    try:
        interpolation_code(interpolation)
        border_code(border)
        _border_value(value)
    except GraphError as exc:
        raise GraphError(f"{node.describe()}: {exc}") from None


class _Sampling(Node):
    """Base of the nodes that sample an image: interpolation, border, value.
    Their kernels take iparams (interpolation, border, ...) and fparams
    (value[4], ...)."""

    def _set_sampling(self, interpolation, border, value):
        try:
            self.interpolation = interpolation_code(interpolation)
            self.border = border_code(border)
            self.value = _border_value(value)
        except GraphError as exc:
            raise GraphError(f"{self.describe()}: {exc}") from None

    def _sampling_params(self):
        return (self.interpolation, self.border, self.value)

    def _check_value(self, image: Tensor):
        cn = channels_of(image)
        if len(self.value) > 1 and cn is not None and len(self.value) != cn:
            raise GraphError(f"the border value has {len(self.value)} numbers for an image "
                             f"of {cn} channels")

    def _value4(self):
        v = self.value
        return list(v) * 4 if len(v) == 1 else list(v) + [0.0] * (4 - len(v))


def _static_dim(node, what) -> Optional[int]:
    v = _static_number(node)
    if v is None:
        return None
    if not math.isfinite(v) or v != int(v):
        raise GraphError(f"{what} must be a whole number, got {v}")
    if v <= 0:
        raise GraphError(f"{what} must be > 0, got {int(v)}")
    if v > 2 ** 31:
        raise GraphError(f"{what} {int(v)} is too large")
    return int(v)


def _check_matrix(t, what="the view"):
    if not isinstance(t, Tensor):
        raise GraphError(f"{what} must be a 3 x 3 matrix, got {t}")
    if t.shape is not None and (len(t.shape) != 2 or t.shape[1] not in (3, None)
                                or t.shape[0] not in (2, 3, None)):
        raise GraphError(f"{what} must be a 3 x 3 (or 2 x 3) matrix, got {t}")
    if t.dtype is not None and t.dtype.kind not in "iuf":
        raise GraphError(f"{what} must be numeric, got {t}")


def _check_static_matrix(node, perspective):
    m = _static_value(node)
    if m is None:
        return
    m = np.asarray(m, dtype=np.float64)
    if not np.all(np.isfinite(m)):
        raise GraphError("the view matrix has a NaN or infinite entry")
    if m.shape == (2, 3):
        m = np.vstack([m, [0.0, 0.0, 1.0]])
    affine = perspective is False or (perspective is None and np.array_equal(m[2], [0, 0, 1]))
    det = m[0, 0] * m[1, 1] - m[0, 1] * m[1, 0] if affine else np.linalg.det(m)
    if det == 0:
        raise GraphError("the view matrix is singular (determinant 0)")


# ---------------------------------------------------------------- warps

class Warp(_Sampling):
    """Warp an image by a 3 x 3 view matrix, like ``cv2.warpAffine`` /
    ``cv2.warpPerspective`` (without ``WARP_INVERSE_MAP``).

    The view maps source pixel coordinates ``(x, y, 1)`` to destination
    coordinates; every output pixel is sampled at the inverse image of its
    coordinate.  Pixel centres are at integer coordinates.

    Parameters
    ----------
    image : Node
        H x W or H x W x C image (C in 1..4) of uint8, uint16, int16 or
        float32.
    view : Node or array_like
        3 x 3 matrix (or the 2 x 3 affine part), any numeric type.  A
        singular matrix (determinant 0) or a NaN/infinite entry fails the
        sample (or the compilation when the matrix is a constant).
    size : (int or Node, int or Node), optional
        ``(height, width)`` of the output; the input's size by default.
        Each must be a positive whole number.
    interpolation : {"linear", "nearest", "cubic", "lanczos", "area"}
        ``"area"`` is ``"linear"`` (as in OpenCV's warps).
    border : {"constant", "replicate", "reflect", "reflect_101", "wrap"}
        How pixels outside the source are filled.
    value : float or sequence of float
        Border value for ``"constant"``: one number for every channel, or
        one per channel.  Converted to the image type (rounded, saturated).
    perspective : bool, optional
        ``None`` (default): a perspective warp unless the last row of the
        view is exactly ``(0, 0, 1)``, then an affine one.  ``True``: always
        perspective (divide by ``w``; output pixels whose ``w`` is 0 are
        border).  ``False``: always affine, using only the top two rows (as
        ``cv2.warpAffine``); the last row is ignored.

    Returns
    -------
    Node
        An image of the input's type, layout and channels, of the given size.

    Notes
    -----
    See the module notes for the interpolation rules and the accuracy
    against OpenCV (uint8 within 1, float32 within 1e-4).

    Examples
    --------
    >>> import numpy as np, pixelpipes as pp
    >>> shear = np.array([[1, 0.2, 0], [0, 1, 0], [0, 0, 1]])
    >>> with pp.Graph() as graph:
    ...     image = pp.Constant(np.zeros((32, 48, 3), np.uint8))
    ...     _ = pp.Output(pp.Warp(image, shear, size=(32, 64)), "out")
    >>> graph.compile().run(0)["out"].shape
    (32, 64, 3)
    """

    kernel = "warp"

    def __init__(self, image, view, size=None, interpolation="linear", border="constant",
                 value=0, perspective=None, *, name=None):
        if perspective not in _PERSPECTIVE:
            raise GraphError(f"perspective must be None, True or False, got {perspective!r}")
        if size is None:
            super().__init__(image, view, name=name)
        else:
            try:
                height, width = size
            except (TypeError, ValueError):
                raise GraphError(f"size must be a (height, width) pair, got {size!r}") from None
            super().__init__(image, view, height, width, name=name)
        self.has_size = size is not None
        self.perspective = perspective
        self._set_sampling(interpolation, border, value)

    def params(self):
        return self._sampling_params() + (self.perspective, self.has_size)

    def infer(self, image, view, *size):
        check_image(image)
        self._check_value(image)
        _check_matrix(view)
        _check_static_matrix(self.inputs[1], self.perspective)
        if not size:
            return image
        for t, what in zip(size, ("height", "width")):
            _check_scalar(t, what)
        h = _static_dim(self.inputs[2], "height")
        w = _static_dim(self.inputs[3], "width")
        return image_type(image, h, w)

    def encode(self, types, result):
        return ([self.interpolation, self.border, _PERSPECTIVE[self.perspective],
                 int(self.has_size)], self._value4())


class Rotate(_Sampling):
    """Rotate an image about its centre by ``angle`` degrees.

    The rotation is ``cv2.getRotationMatrix2D(centre, angle, 1)`` (positive
    angles turn the image counter-clockwise on screen) about the centre of
    the pixel grid, ``((W - 1) / 2, (H - 1) / 2)``, applied as by
    :class:`Warp`.

    Parameters
    ----------
    image : Node
        H x W or H x W x C image (C in 1..4) of uint8, uint16, int16 or
        float32.
    angle : float or Node
        Angle in degrees, a finite scalar.
    interpolation, border, value
        As for :class:`Warp`.
    expand : bool
        False (default): the output has the input's size (corners are cut
        off).  True: the output is the smallest canvas that holds the whole
        rotated image, ``ceil(|cos a| W + |sin a| H)`` wide and ``ceil(|sin
        a| W + |cos a| H)`` high (up to 1e-6, so quarter turns give exactly
        H x W), with the image centre at the canvas centre.

    Returns
    -------
    Node
        An image of the input's type, layout and channels.

    Notes
    -----
    Accuracy as for :class:`Warp` (the tests compare with
    ``cv2.warpAffine`` of ``cv2.getRotationMatrix2D``).
    """

    kernel = "warp_rotate"

    def __init__(self, image, angle, interpolation="linear", border="constant", value=0,
                 expand=False, *, name=None):
        super().__init__(image, angle, name=name)
        self.expand = bool(expand)
        self._set_sampling(interpolation, border, value)

    def params(self):
        return self._sampling_params() + (self.expand,)

    def infer(self, image, angle):
        check_image(image)
        self._check_value(image)
        _check_scalar(angle, "angle")
        a = _static_number(self.inputs[1])
        if a is not None and not math.isfinite(a):
            raise GraphError(f"angle must be finite, got {a}")
        if not self.expand:
            return image
        if a is None or image.shape is None or image.shape[0] is None or image.shape[1] is None:
            return image_type(image, None, None)
        h, w = image.shape[:2]
        r = math.radians(a)
        c, s = abs(math.cos(r)), abs(math.sin(r))
        nw = max(1, math.ceil(c * w + s * h - 1e-6))
        nh = max(1, math.ceil(s * w + c * h - 1e-6))
        return image_type(image, nh, nw)

    def encode(self, types, result):
        return [self.interpolation, self.border, int(self.expand)], self._value4()


class RemapImage(_Sampling):
    """Sample an image at the coordinates given by maps, like ``cv2.remap``.

    Output pixel ``(y, x)`` is the source sampled at ``(map_x[y, x],
    map_y[y, x])`` (with ``relative=True``, at ``(x + map_x[y, x], y +
    map_y[y, x])``, OpenCV's ``WARP_RELATIVE_MAP``).

    Parameters
    ----------
    image : Node
        H x W or H x W x C image (C in 1..4) of uint8, uint16, int16 or
        float32.
    map_x : Node or array_like
        H' x W' float32 or float64 x coordinates; or, when ``map_y`` is None,
        one H' x W' x 2 map of ``(x, y)`` pairs (OpenCV's CV_32FC2 map).
    map_y : Node or array_like, optional
        H' x W' y coordinates, same type and shape as ``map_x``.
    interpolation, border, value
        As for :class:`Warp`.
    relative : bool
        The maps hold displacements from each output pixel, not absolute
        coordinates.

    Returns
    -------
    Node
        An H' x W' image of the input's type, layout and channels.

    Notes
    -----
    Accuracy as for :class:`Warp`.  Named ``RemapImage`` because
    ``pp.Remap`` gathers list items.
    """

    kernel = "warp_remap"

    def __init__(self, image, map_x, map_y=None, interpolation="linear", border="constant",
                 value=0, relative=False, *, name=None):
        if map_y is None:
            super().__init__(image, map_x, name=name)
        else:
            super().__init__(image, map_x, map_y, name=name)
        self.separate = map_y is not None
        self.relative = bool(relative)
        self._set_sampling(interpolation, border, value)

    def params(self):
        return self._sampling_params() + (self.relative, self.separate)

    def infer(self, image, map_x, *map_y):
        check_image(image)
        self._check_value(image)
        for t, what in [(map_x, "map_x")] + [(t, "map_y") for t in map_y]:
            if not isinstance(t, Tensor) or (t.dtype is not None and t.dtype not in (
                    np.dtype(np.float32), np.dtype(np.float64))):
                raise GraphError(f"{what} must be a float32 or float64 tensor, got {t}")
        shape = map_x.shape
        if map_y:
            my = map_y[0]
            for t, what in ((map_x, "map_x"), (my, "map_y")):
                if t.shape is not None and len(t.shape) != 2:
                    raise GraphError(f"{what} must be H x W, got {t}")
            if map_x.dtype is not None and my.dtype is not None and map_x.dtype != my.dtype:
                raise GraphError(f"map_x and map_y must have one element type, got "
                                 f"{map_x.dtype} and {my.dtype}")
            if shape is not None and my.shape is not None and any(
                    a is not None and b is not None and a != b for a, b in zip(shape, my.shape)):
                raise GraphError(f"map_x and map_y have different shapes: {map_x} and {my}")
            if shape is None:
                shape = my.shape
        elif shape is not None and (len(shape) != 3 or shape[2] not in (2, None)):
            raise GraphError(f"a single map must be H x W x 2, got {map_x}")
        if shape is None:
            return image_type(image, None, None)
        for d in shape[:2]:
            if d is not None and d <= 0:
                raise GraphError(f"the map must not be empty, got {Tensor(map_x.dtype, shape)}")
        return image_type(image, shape[0], shape[1])

    def encode(self, types, result):
        return ([self.interpolation, self.border, int(self.relative),
                 0 if self.separate else 1], self._value4())


# ---------------------------------------------------------------- deformation maps

def _map_type(image: Tensor) -> Tensor:
    if image.shape is None:
        return Tensor(np.dtype(np.float32), (None, None, 2))
    return Tensor(np.dtype(np.float32), (image.shape[0], image.shape[1], 2))


class ElasticField(Node):
    """A random smooth displacement field for an image: H x W x 2 float32
    ``(dx, dy)`` in pixels, for :class:`RemapImage` with ``relative=True``.

    Each of ``dx`` and ``dy`` is white noise -- uniform in ``[-1, 1)``
    (``distribution="uniform"``, as torchvision's ``ElasticTransform`` and
    albumentations' before 1.4) or standard normal (``"normal"``, as
    albumentations' ``noise_distribution="gaussian"``) -- convolved with a
    normalised Gaussian of standard deviation ``sigma`` pixels (taps out to
    ``ceil(3 sigma)``, reflect-101 borders), then multiplied by ``alpha``.

    Parameters
    ----------
    image : Node
        The image whose height and width the field takes (any image type).
    alpha : float or Node
        Scale of the displacements, finite.
    sigma : float or Node
        Smoothness, in ``[0, 1000]`` pixels; 0 leaves the noise unsmoothed.
    distribution : {"uniform", "normal"}
        Distribution of the noise.
    key : str or int, optional
        Random key.

    Returns
    -------
    Node
        H x W x 2 float32 tensor.

    Notes
    -----
    The draws are made in C order, all ``dx`` values then all ``dy`` values:
    one 64-bit Philox draw per uniform value (``2 u - 1`` with ``u`` in [0,
    1) of 53 bits), Marsaglia's polar method for normal values.  The cost is
    ``O(H W sigma)``.
    """

    kernel = "warp_elastic_field"
    random = True
    pure = False

    def __init__(self, image, alpha, sigma, distribution="uniform", *, name=None, key=None):
        super().__init__(image, alpha, sigma, name=name, key=key)
        if distribution not in _DISTRIBUTIONS:
            raise GraphError(f"{self.describe()}: distribution must be 'uniform' or 'normal', "
                             f"got {distribution!r}")
        self.distribution = distribution

    def params(self):
        return (self.distribution,)

    def infer(self, image, alpha, sigma):
        check_image(image)
        _check_scalar(alpha, "alpha")
        _check_scalar(sigma, "sigma")
        a = _static_number(self.inputs[1])
        if a is not None and not math.isfinite(a):
            raise GraphError(f"alpha must be finite, got {a}")
        s = _static_number(self.inputs[2])
        if s is not None and not 0 <= s <= 1000:
            raise GraphError(f"sigma must be in [0, 1000], got {s}")
        return _map_type(image)

    def encode(self, types, result):
        return [_DISTRIBUTIONS[self.distribution]], []


class ElasticDeformation(Macro):
    """Random elastic deformation, like albumentations' ``ElasticTransform``
    and torchvision's ``ElasticTransform``: an :class:`ElasticField` applied
    with :class:`RemapImage` (``relative=True``).

    Parameters
    ----------
    image : Node
        H x W or H x W x C image (C in 1..4) of uint8, uint16, int16 or
        float32.
    alpha : float or Node
        Scale of the displacements in pixels (the field is ``alpha`` times
        smoothed noise of amplitude <= 1).  0 gives the identity.  The
        defaults, ``alpha=120, sigma=6`` (Simard et al. 2003, the values of
        albumentations' examples), displace pixels by about 3 pixels (standard
        deviation ``alpha / (2 sqrt(3 pi) sigma)`` for uniform noise).
    sigma : float or Node
        Standard deviation of the smoothing Gaussian, in ``[0, 1000]``.
    interpolation, border, value
        As for :class:`Warp` (albumentations uses ``"reflect_101"``).
    distribution : {"uniform", "normal"}
        Noise distribution (see :class:`ElasticField`).
    key : str or int, optional
        Random key.

    Returns
    -------
    Node
        An image of the input's type and shape.
    """

    def __init__(self, image, alpha=120.0, sigma=6.0, interpolation="linear",
                 border="reflect_101", value=0, distribution="uniform", *, name=None, key=None):
        super().__init__(image, alpha, sigma, name=name, key=key)
        self.options = dict(interpolation=interpolation, border=border, value=value)
        if distribution not in _DISTRIBUTIONS:
            raise GraphError(f"{self.describe()}: distribution must be 'uniform' or 'normal', "
                             f"got {distribution!r}")
        self.distribution = distribution
        _check_sampling(self, interpolation, border, value)

    def params(self):
        return (tuple(sorted((k, str(v)) for k, v in self.options.items())), self.distribution)

    def expand(self, image, alpha, sigma):
        field = ElasticField(image, alpha, sigma, self.distribution, name=self.name)
        return RemapImage(image, field, None, relative=True, name=self.name, **self.options)


class GridDistortionMap(Node):
    """The absolute H x W x 2 float32 sampling map of a grid distortion, for
    :class:`RemapImage`.

    Each axis of the image is split into equal cells (``len(x_steps)``
    columns, ``len(y_steps)`` rows); cell ``j`` is stretched in proportion to
    its step, and the steps are normalised so that the first and last pixel
    stay in place: with cell boundaries ``c_j = j (W - 1) / n`` and source
    positions ``p_j = (W - 1) (s_0 + ... + s_{j-1}) / (s_0 + ... +
    s_{n-1})``, column ``x`` of cell ``j`` samples the source at ``p_j + (x -
    c_j) (p_{j+1} - p_j) / (c_{j+1} - c_j)``.  Equal steps give exactly the
    identity map.

    Parameters
    ----------
    image : Node
        The image whose height and width the map takes (any image type).
    x_steps, y_steps : Node or array_like
        1-D tensors of 1 to 4096 finite values ``>= 0``, not all 0.

    Returns
    -------
    Node
        H x W x 2 float32 map of ``(x, y)``.

    Notes
    -----
    albumentations' ``GridDistortion(normalized=True)`` also keeps the image
    edges fixed, but its classic map (``normalized=False``) is not the
    identity for zero distortion (each cell is filled with ``np.linspace``
    including its end point); this one is.
    """

    kernel = "warp_grid_distortion_map"

    def __init__(self, image, x_steps, y_steps, *, name=None):
        super().__init__(image, x_steps, y_steps, name=name)

    def infer(self, image, xs, ys):
        check_image(image)
        for t, what in ((xs, "x_steps"), (ys, "y_steps")):
            if not isinstance(t, Tensor) or (t.shape is not None and len(t.shape) != 1):
                raise GraphError(f"{what} must be a 1-D tensor, got {t}")
            if t.dtype is not None and t.dtype.kind not in "iuf":
                raise GraphError(f"{what} must be numeric, got {t}")
        return _map_type(image)


class GridDistortion(Macro):
    """Random grid distortion, like albumentations' ``GridDistortion`` (with
    the image edges kept in place): every cell of a ``num_steps x num_steps``
    grid is stretched by a random factor per column and per row.

    The factors are ``1 + d`` with ``d`` drawn uniformly from
    ``distort_limit`` (a :class:`~pixelpipes.RandomUniform` tensor per axis);
    the map is :class:`GridDistortionMap`, applied with :class:`RemapImage`.

    Parameters
    ----------
    image : Node
        H x W or H x W x C image (C in 1..4) of uint8, uint16, int16 or
        float32.
    num_steps : int
        Cells per axis, 1 to 4096.
    distort_limit : float or (float, float)
        Range of ``d``: ``(-limit, limit)`` for a number, else ``(low,
        high)``, with ``-1 <= low <= high`` and ``high > -1``.  0 gives the
        identity.
    interpolation, border, value
        As for :class:`Warp` (albumentations uses ``"reflect_101"``).
    key : str or int, optional
        Random key.

    Returns
    -------
    Node
        An image of the input's type and shape.
    """

    def __init__(self, image, num_steps=5, distort_limit=0.3, interpolation="linear",
                 border="reflect_101", value=0, *, name=None, key=None):
        super().__init__(image, name=name, key=key)
        if isinstance(num_steps, bool) or not isinstance(num_steps, numbers.Integral) \
                or not 1 <= num_steps <= 4096:
            raise GraphError(f"{self.describe()}: num_steps must be an int in 1..4096, "
                             f"got {num_steps!r}")
        try:
            low, high = _range(distort_limit, "distort_limit", True)
        except GraphError as exc:
            raise GraphError(f"{self.describe()}: {exc}") from None
        if low < -1 or high <= -1:
            raise GraphError(f"{self.describe()}: distort_limit must keep the steps >= 0 "
                             f"(low >= -1, high > -1), got {distort_limit!r}")
        self.num_steps = int(num_steps)
        self.limits = (low, high)
        self.options = dict(interpolation=interpolation, border=border, value=value)
        _check_sampling(self, interpolation, border, value)

    def params(self):
        return (self.num_steps, self.limits,
                tuple(sorted((k, str(v)) for k, v in self.options.items())))

    def expand(self, image):
        from ..ops.random import RandomUniform

        low, high = 1.0 + self.limits[0], 1.0 + self.limits[1]
        xs = RandomUniform(low, high, shape=(self.num_steps,), name=self.name)
        ys = RandomUniform(low, high, shape=(self.num_steps,), name=self.name)
        grid = GridDistortionMap(image, xs, ys, name=self.name)
        return RemapImage(image, grid, None, name=self.name, **self.options)


class PiecewiseAffineMap(Node):
    """The absolute H x W x 2 float32 sampling map of a piecewise-affine
    warp, for :class:`RemapImage`.

    A regular grid of ``rows x cols`` control points spans the image (point
    ``(i, j)`` at ``(j (W - 1) / (cols - 1), i (H - 1) / (rows - 1))``);
    point ``(i, j)`` samples the source ``jitter[i, j] * (W, H)`` away from
    itself.  Every grid cell is split into two triangles along its top-left
    to bottom-right diagonal, and inside each triangle the map is the affine
    map through its three corners.  Zero jitter gives exactly the identity.

    Parameters
    ----------
    image : Node
        The image whose height and width the map takes (any image type).
    jitter : Node or array_like
        ``rows x cols x 2`` numeric tensor of ``(dx, dy)`` as fractions of
        the image width and height; 2 to 1024 rows and columns.

    Returns
    -------
    Node
        H x W x 2 float32 map of ``(x, y)``.
    """

    kernel = "warp_piecewise_affine_map"

    def __init__(self, image, jitter, *, name=None):
        super().__init__(image, jitter, name=name)

    def infer(self, image, jitter):
        check_image(image)
        if not isinstance(jitter, Tensor) or (jitter.shape is not None and (
                len(jitter.shape) != 3 or jitter.shape[2] not in (2, None))):
            raise GraphError(f"jitter must be a rows x cols x 2 tensor, got {jitter}")
        if jitter.dtype is not None and jitter.dtype.kind not in "iuf":
            raise GraphError(f"jitter must be numeric, got {jitter}")
        if jitter.shape is not None:
            for d, what in zip(jitter.shape[:2], ("rows", "columns")):
                if d is not None and not 2 <= d <= 1024:
                    raise GraphError(f"the control grid must have 2 to 1024 {what}, got {d}")
        return _map_type(image)


class PiecewiseAffine(Macro):
    """Random piecewise-affine warp, like imgaug's and albumentations'
    ``PiecewiseAffine``: the points of a regular ``rows x cols`` grid are
    moved by normal jitter and the image follows, affinely per triangle.

    Per sample, ``s`` is drawn uniformly from ``scale`` (a
    :class:`~pixelpipes.RandomUniform`) and each control point gets a jitter
    ``(dx, dy) ~ N(0, s^2)`` in fractions of the image width and height (a
    :class:`~pixelpipes.RandomNormal` tensor); the map is
    :class:`PiecewiseAffineMap`, applied with :class:`RemapImage`.

    Parameters
    ----------
    image : Node
        H x W or H x W x C image (C in 1..4) of uint8, uint16, int16 or
        float32.
    grid : (int, int)
        ``(rows, cols)`` of control points, each 2 to 1024.
    scale : float or (float, float)
        Standard deviation of the jitter, or a ``(low, high)`` range it is
        drawn from per sample; ``>= 0``.  0 gives the identity.
    interpolation, border, value
        As for :class:`Warp`.
    key : str or int, optional
        Random key.

    Returns
    -------
    Node
        An image of the input's type and shape.

    Notes
    -----
    imgaug triangulates the control points with Delaunay (scikit-image);
    the regular grid here is always split along the same diagonal.
    """

    def __init__(self, image, grid=(4, 4), scale=(0.03, 0.05), interpolation="linear",
                 border="constant", value=0, *, name=None, key=None):
        super().__init__(image, name=name, key=key)
        try:
            rows, cols = (int(g) for g in grid)
        except (TypeError, ValueError):
            raise GraphError(f"{self.describe()}: grid must be (rows, cols), got {grid!r}") \
                from None
        if not (2 <= rows <= 1024 and 2 <= cols <= 1024):
            raise GraphError(f"{self.describe()}: grid must have 2 to 1024 rows and columns, "
                             f"got {grid!r}")
        try:
            low, high = _range(scale, "scale", False)
        except GraphError as exc:
            raise GraphError(f"{self.describe()}: {exc}") from None
        if low < 0:
            raise GraphError(f"{self.describe()}: scale must be >= 0, got {scale!r}")
        self.grid = (rows, cols)
        self.scale = (low, high)
        self.options = dict(interpolation=interpolation, border=border, value=value)
        _check_sampling(self, interpolation, border, value)

    def params(self):
        return (self.grid, self.scale,
                tuple(sorted((k, str(v)) for k, v in self.options.items())))

    def expand(self, image):
        from ..ops.random import RandomNormal, RandomUniform

        low, high = self.scale
        std = low if low == high else RandomUniform(low, high, name=self.name)
        jitter = RandomNormal(0.0, std, shape=self.grid + (2,), name=self.name)
        grid = PiecewiseAffineMap(image, jitter, name=self.name)
        return RemapImage(image, grid, None, name=self.name, **self.options)
