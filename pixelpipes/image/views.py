"""Views (3 x 3 matrices), points, rectangles, and masks drawn from them.

Coordinates
-----------
**Points** are in pixel-centre coordinates, as in OpenCV: ``x`` is the
column, ``y`` the row, and the centre of pixel ``image[i, j]`` is the point
``(j, i)``.  A point set is an ``N x 2`` float32 tensor of ``(x, y)`` rows; a
single point (:class:`MakePoint`) is a ``(2,)`` tensor, accepted wherever a
point set is.

A **view** is a 3 x 3 float64 matrix ``V`` mapping a source point
``(x, y, 1)`` to the destination point ``V @ (x, y, 1)`` (divided by its third
coordinate ``w`` when the view is a perspective one).  Views compose by
matrix product: ``ChainView(a, b)`` is ``a @ b``, which applies ``b`` first.
A warp (``pp.Warp(image, view, size)``) makes the output pixel at ``p`` from
the source at ``inverse(V) @ p``, so ``TransformPoints(points, V)`` moves
keypoints exactly as the warp moves the image under them.

A **rectangle** is a float32 tensor ``(x0, y0, x1, y1)`` in pixel-*edge*
terms: it covers the pixels ``x0 <= column < x1`` and ``y0 <= row < y1``
(``x1`` and ``y1`` exclusive: for integer values it is the slice
``image[y0:y1, x0:x1]``, the convention of ``cv2.Rect`` and of PASCAL VOC /
albumentations ``pascal_voc`` boxes), so its width is ``x1 - x0``.  As an
area of the plane in point coordinates it is ``[x0 - 0.5, x1 - 0.5] x
[y0 - 0.5, y1 - 0.5]``, and every conversion between rectangles and points
uses that area:

* ``RectangleCorners((0, 0, 4, 3))`` are ``(-0.5, -0.5)``, ``(3.5, -0.5)``,
  ``(3.5, 2.5)``, ``(-0.5, 2.5)`` -- the corners of the 4 x 3 pixels;
* ``PointsBounds(points)`` is the rectangle whose area is the bounding box of
  the points: ``(min x + 0.5, min y + 0.5, max x + 0.5, max y + 0.5)``;
* ``TransformRectangle(r, V)`` bounds the transformed area, so a box around
  an object still bounds it after any flip, rotation or scaling of the image
  (a horizontal flip of a ``w``-wide image maps ``(0, 0, 3, 1)`` to
  ``(w - 3, 0, w, 1)``).

Several rectangles are an ``N x 4`` tensor.  Rectangles made by
:class:`MakeRectangle` must have ``x0 <= x1`` and ``y0 <= y1``.

Parameters and errors
---------------------
Every numeric parameter may be a plain number or a scalar node (a random
angle, a size computed from the image, ...).  Non-finite parameters or
coordinates fail the sample (or the compilation, when they are known then)
with a message naming the node.  Sizes are ``(height, width)`` pairs of
positive numbers; float sizes are rounded to the nearest integer (half to
even) like the other image nodes do.  All nodes here are pure, so views and
shapes built from constants are folded into constants when the pipeline
compiles.

The kernels are in ``pixelpipes/_core/_ops_view.pyx``.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ..errors import GraphError
from ..graph import Constant, Macro, Node, static_value
from ..ops.random import RandomUniform
from ..types import List, Tensor

__all__ = [
    "IdentityView", "TranslateView", "RotateView", "ScaleView", "ShearView", "AffineView",
    "ChainView", "InvertView", "CenterView", "FocusView", "RandomPatchView",
    "MakePoint", "MakePoints", "MakeRectangle", "MakeRectangles", "PointsBounds",
    "PointsCenter", "RectangleCorners", "TransformPoints", "TransformRectangle",
    "PolygonMask", "PointsMask", "GeometryView",
]

_FLOAT32 = np.dtype(np.float32)
_FLOAT64 = np.dtype(np.float64)
_UINT8 = np.dtype(np.uint8)
VIEW_TYPE = Tensor(_FLOAT64, (3, 3))

# View kinds of the ``view_make`` kernel (see _ops_view.pyx).
_IDENTITY, _TRANSLATE, _ROTATE, _SCALE, _SHEAR, _AFFINE = range(6)
#: Largest mask, in pixels; largest disc radius of PointsMask.
MAX_PIXELS = 2 ** 31
MAX_RADIUS = 2 ** 20


# ---------------------------------------------------------------- helpers

_known_value = static_value  # the compile-time value of a node, or None

def _known_number(node):
    value = _known_value(node)
    if value is None or isinstance(value, (str, list)):
        return None
    arr = np.asarray(value)
    return arr.item() if arr.size == 1 else None


def _check_number(t, what):
    """``t`` must be a numeric (not bool) scalar type."""
    if not isinstance(t, Tensor) or (t.shape is not None and t.shape != ()):
        raise GraphError(f"{what} must be a scalar, got {t}")
    if t.dtype is not None and t.dtype.kind not in "iuf":
        raise GraphError(f"{what} must be a number, got {t}")


def _check_numeric(t, what):
    if not isinstance(t, Tensor):
        raise GraphError(f"{what} must be a numeric tensor, got {t}")
    if t.dtype is not None and t.dtype.kind not in "iuf":
        raise GraphError(f"{what} must be numeric, got {t}")


def check_view(t, what="the view"):
    """Raise ``GraphError`` unless ``t`` can be a view: a numeric 3 x 3
    tensor (float64 is what the view nodes make).  For nodes of other
    modules that take a view."""
    _check_numeric(t, what)
    if t.shape is not None and (len(t.shape) != 2 or any(d not in (None, 3) for d in t.shape)):
        raise GraphError(f"{what} must be a 3 x 3 matrix, got {t}")
    return t


def _check_points(t, what="the points"):
    """A point set: ``N x 2`` (or a single point ``(2,)``); returns N or None."""
    _check_numeric(t, what)
    if t.shape is None:
        return None
    if len(t.shape) == 1 and t.shape[0] in (None, 2):
        return 1
    if len(t.shape) == 2 and t.shape[1] in (None, 2):
        return t.shape[0]
    raise GraphError(f"{what} must be an N x 2 tensor of (x, y) points, got {t}")


def _check_rectangles(t, what="the rectangle"):
    """A rectangle ``(4,)`` or rectangles ``N x 4``."""
    _check_numeric(t, what)
    if t.shape is None:
        return
    if len(t.shape) == 1 and t.shape[0] in (None, 4):
        return
    if len(t.shape) == 2 and t.shape[1] in (None, 4):
        return
    raise GraphError(f"{what} must be a tensor (x0, y0, x1, y1) or N x 4 rectangles, got {t}")


def _pair(value, what, names="(x, y)"):
    """Two entries (numbers or scalar nodes) of a pair argument."""
    if isinstance(value, (Node, str, bytes)) or not hasattr(value, "__len__"):
        raise GraphError(f"{what} must be a pair {names} of numbers or scalar nodes, "
                         f"got {value!r}")
    items = list(value)
    if len(items) != 2:
        raise GraphError(f"{what} must have two entries {names}, got {value!r}")
    return items[0], items[1]


def _check_finite_number(value, what):
    """A plain Python/NumPy number argument must be finite (nodes are
    checked when they are known)."""
    if isinstance(value, Node):
        return value
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise GraphError(f"{what} must be a number or a scalar node, got {value!r}")
    if not math.isfinite(float(value)):
        raise GraphError(f"{what} must be finite, got {value!r}")
    return value


def _static_size(node, what):
    """Compile-time value of a size input (rounded half to even), or None."""
    v = _known_number(node)
    if v is None:
        return None
    if isinstance(v, (bool, np.bool_)):
        raise GraphError(f"{what} must be a number, got {v!r}")
    if not math.isfinite(v):
        raise GraphError(f"{what} must be finite, got {v}")
    v = round(v)
    if v <= 0:
        raise GraphError(f"{what} must be > 0, got {v}")
    if v > 2 ** 31 - 1:
        raise GraphError(f"{what} is too large: {v}")
    return v


def _has_node(x):
    if isinstance(x, Node):
        return True
    return isinstance(x, (list, tuple)) and any(_has_node(i) for i in x)


def _coordinates(value, cols):
    """A plain Python sequence of coordinates as a node: a float32 array
    constant, or (when it holds nodes) a :class:`_Coordinates` node."""
    if not isinstance(value, (list, tuple)):
        return value
    if not _has_node(value):
        try:
            arr = np.asarray(value, dtype=np.float32)
        except (TypeError, ValueError):
            raise GraphError(f"expected coordinates, got {value!r}") from None
        if arr.size == 0:
            arr = arr.reshape(0, cols)
        return Constant(arr)
    return _Coordinates(value, cols)


def _check_value(value):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) \
            or not 0 <= int(value) <= 255:
        raise GraphError(f"value must be an integer in [0, 255], got {value!r}")
    return int(value)


# ---------------------------------------------------------------- views

class _MakeView(Node):
    """A view from scalar parameters (kernel ``view_make``)."""

    kernel = "view_make"
    _kind = _IDENTITY
    _names = ()

    def __init__(self, *params, name=None):
        params = [_check_finite_number(p, n) for p, n in zip(params, self._names)]
        super().__init__(*params, name=name)

    def infer(self, *params):
        for t, what in zip(params, self._names):
            _check_number(t, what)
        return VIEW_TYPE

    def encode(self, types, result):
        return [self._kind], []


class IdentityView(_MakeView):
    """The identity view, a 3 x 3 float64 identity matrix.

    Returns
    -------
    Node
        float64 tensor of shape (3, 3).
    """

    def __init__(self, *, name=None):
        super().__init__(name=name)


class TranslateView(_MakeView):
    """A translation by ``(x, y)``: ``[[1, 0, x], [0, 1, y], [0, 0, 1]]``.

    Parameters
    ----------
    x, y : float or Node
        Offsets in pixels (scalars).

    Returns
    -------
    Node
        float64 tensor of shape (3, 3).

    Examples
    --------
    >>> with pp.Graph() as graph:
    ...     _ = pp.Output(pp.TranslateView(2, -1), "view")
    >>> graph.compile().run(0)["view"][:2]
    array([[ 1.,  0.,  2.],
           [ 0.,  1., -1.]])
    """

    _kind = _TRANSLATE
    _names = ("translation x", "translation y")

    def __init__(self, x=0.0, y=0.0, *, name=None):
        super().__init__(x, y, name=name)


class RotateView(_MakeView):
    """A rotation by ``angle`` radians about the origin.

    Positive angles turn counter-clockwise as seen on screen (y pointing
    down), the convention of ``cv2.getRotationMatrix2D`` with a positive
    angle: the matrix is ``[[cos a, sin a, 0], [-sin a, cos a, 0], [0, 0, 1]]``.
    To rotate about a point ``c``, chain
    ``ChainView(TranslateView(cx, cy), RotateView(a), TranslateView(-cx, -cy))``
    (which equals ``cv2.getRotationMatrix2D(c, degrees(a), 1)``).

    Parameters
    ----------
    angle : float or Node
        Angle in radians (a scalar).

    Returns
    -------
    Node
        float64 tensor of shape (3, 3).
    """

    _kind = _ROTATE
    _names = ("rotation angle",)

    def __init__(self, angle, *, name=None):
        super().__init__(angle, name=name)


class ScaleView(_MakeView):
    """A scaling about the origin: ``[[sx, 0, 0], [0, sy, 0], [0, 0, 1]]``.

    Parameters
    ----------
    sx : float or Node
        Horizontal factor.  Negative factors mirror, 0 makes a singular view
        (allowed, but it cannot be inverted or warped by).
    sy : float or Node, optional
        Vertical factor; ``sx`` if omitted.

    Returns
    -------
    Node
        float64 tensor of shape (3, 3).
    """

    _kind = _SCALE
    _names = ("scale x", "scale y")

    def __init__(self, sx, sy=None, *, name=None):
        super().__init__(sx, sx if sy is None else sy, name=name)


class ShearView(_MakeView):
    """A shear: ``x' = x + kx * y``, ``y' = ky * x + y``, that is
    ``[[1, kx, 0], [ky, 1, 0], [0, 0, 1]]``.

    Parameters
    ----------
    kx, ky : float or Node
        Shear factors (the tangent of the shear angle), scalars.

    Returns
    -------
    Node
        float64 tensor of shape (3, 3).
    """

    _kind = _SHEAR
    _names = ("shear kx", "shear ky")

    def __init__(self, kx=0.0, ky=0.0, *, name=None):
        super().__init__(kx, ky, name=name)


class AffineView(_MakeView):
    """An affine view from parameters, about the origin.

    The view is ``T @ R @ Sh @ S``: a point is first scaled
    (:class:`ScaleView`), then sheared (:class:`ShearView`), then rotated
    (:class:`RotateView`), then translated (:class:`TranslateView`) -- the
    order of torchvision's affine transform.  To transform about the image
    centre, chain it with :class:`CenterView` and its inverse:
    ``ChainView(TranslateView(cx, cy), AffineView(...), CenterView(image))``.

    Parameters
    ----------
    translate : (float or Node, float or Node)
        ``(tx, ty)`` in pixels.
    rotate : float or Node
        Angle in radians, counter-clockwise on screen (see :class:`RotateView`).
    scale : float, Node, or a pair of them
        ``(sx, sy)``, or one factor for both axes.
    shear : (float or Node, float or Node)
        ``(kx, ky)`` as in :class:`ShearView`.

    Returns
    -------
    Node
        float64 tensor of shape (3, 3).
    """

    _kind = _AFFINE
    _names = ("translation x", "translation y", "rotation angle", "scale x", "scale y",
              "shear kx", "shear ky")

    def __init__(self, translate=(0.0, 0.0), rotate=0.0, scale=(1.0, 1.0), shear=(0.0, 0.0),
                 *, name=None):
        tx, ty = _pair(translate, "translate", "(tx, ty)")
        if isinstance(scale, Node) or not hasattr(scale, "__len__"):
            sx = sy = scale
        else:
            sx, sy = _pair(scale, "scale", "(sx, sy)")
        kx, ky = _pair(shear, "shear", "(kx, ky)")
        super().__init__(tx, ty, rotate, sx, sy, kx, ky, name=name)


class ChainView(Node):
    """The composition of views: ``views[0] @ views[1] @ ...``.

    The last view is applied first: ``ChainView(a, b)`` maps a point ``p``
    to ``a @ (b @ p)``.

    Parameters
    ----------
    *views : Node or array
        One or more 3 x 3 views (or a single list of them).

    Returns
    -------
    Node
        float64 tensor of shape (3, 3).

    Examples
    --------
    Rotate by 30 degrees about the point (50, 40):

    >>> import math
    >>> view = pp.ChainView(pp.TranslateView(50, 40), pp.RotateView(math.radians(30)),
    ...                     pp.TranslateView(-50, -40))
    """

    kernel = "view_chain"

    def __init__(self, *views, name=None):
        if len(views) == 1 and isinstance(views[0], (list, tuple)):
            views = tuple(views[0])
        if not views:
            raise GraphError("ChainView needs at least one view")
        super().__init__(*views, name=name)

    def infer(self, *views):
        for k, t in enumerate(views):
            check_view(t, f"view {k}")
        return VIEW_TYPE


class InvertView(Node):
    """The inverse of a view.

    A singular view (determinant 0, or a condition number above 1e15 in
    the max-row-sum norm) has no inverse and fails the sample.

    Parameters
    ----------
    view : Node or array
        A 3 x 3 view.

    Returns
    -------
    Node
        float64 tensor of shape (3, 3).
    """

    kernel = "view_invert"

    def __init__(self, view, *, name=None):
        super().__init__(view, name=name)

    def infer(self, view):
        check_view(view)
        return VIEW_TYPE


class _CenterViewOp(Node):
    kernel = "view_center"

    def __init__(self, source, kind, *, name=None):
        super().__init__(source, name=name)
        self.kind = kind

    def params(self):
        return (self.kind,)

    def infer(self, source):
        return VIEW_TYPE

    def encode(self, types, result):
        return [self.kind], []


def _is_rectangle_type(t):
    return isinstance(t, Tensor) and t.shape is not None and len(t.shape) == 1


class CenterView(Macro):
    """The translation that moves the centre of an image (or a rectangle) to
    the origin.

    For an ``H x W`` image the centre is ``((W - 1) / 2, (H - 1) / 2)`` (the
    middle between the first and the last pixel centre); for a rectangle
    ``(x0, y0, x1, y1)`` it is ``((x0 + x1 - 1) / 2, (y0 + y1 - 1) / 2)``,
    the centre of its pixel area (the same point for the whole-image
    rectangle ``(0, 0, W, H)``).  When the image shape is known at compile
    time the view is a constant.

    Parameters
    ----------
    source : Node
        An image (``H x W`` or ``H x W x C`` tensor of any element type; only
        its shape is used) or a rectangle ``(x0, y0, x1, y1)``.

    Returns
    -------
    Node
        float64 tensor of shape (3, 3).
    """

    def __init__(self, source, *, name=None):
        super().__init__(_coordinates(source, 4), name=name)

    def expand(self, source):
        t = source.type
        if _is_rectangle_type(t):
            _check_rectangles(t)
            return _CenterViewOp(source, 1, name=self.name)
        if not isinstance(t, Tensor) or (t.shape is not None and len(t.shape) not in (2, 3)):
            raise GraphError(f"CenterView needs an image (H x W or H x W x C) or a "
                             f"rectangle (x0, y0, x1, y1), got {t}")
        if t.shape is not None and t.shape[0] is not None and t.shape[1] is not None:
            h, w = t.shape[0], t.shape[1]
            return TranslateView(-(w - 1) / 2, -(h - 1) / 2, name=self.name)
        return _CenterViewOp(source, 0, name=self.name)


class FocusView(Node):
    """The view that maps a rectangle onto an output of the given size.

    The pixel area of ``rectangle`` ``(x0, y0, x1, y1)`` is mapped onto the
    whole ``height x width`` output: ``x' = (x - x0 + 0.5) * width / (x1 - x0)
    - 0.5`` (and the same for ``y``).  So ``pp.Warp(image,
    FocusView(rect, size), size)`` equals resizing the crop
    ``image[y0:y1, x0:x1]`` with ``cv2.resize`` (pixel centres map as
    ``cv2.resize`` maps them); a rectangle reaching outside the image takes
    the warp's border there.

    Parameters
    ----------
    rectangle : Node or array
        ``(x0, y0, x1, y1)`` with ``x1 > x0`` and ``y1 > y0``.
    size : (int or Node, int or Node)
        ``(height, width)`` of the output, > 0.

    Returns
    -------
    Node
        float64 tensor of shape (3, 3).
    """

    kernel = "view_focus"

    def __init__(self, rectangle, size, *, name=None):
        height, width = _pair(size, "size", "(height, width)")
        super().__init__(_coordinates(rectangle, 4), height, width, name=name)

    def infer(self, rect, height, width):
        if not _is_rectangle_type(rect) and rect.shape is not None:
            raise GraphError(f"the rectangle must be a tensor (x0, y0, x1, y1), got {rect}")
        _check_rectangles(rect)
        _check_number(height, "the output height")
        _check_number(width, "the output width")
        _static_size(self.inputs[1], "the output height")
        _static_size(self.inputs[2], "the output width")
        return VIEW_TYPE


class _RandomPatchViewOp(Node):
    kernel = "view_patch"

    def infer(self, image, u, height, width, lo, hi, padding):
        return VIEW_TYPE


class RandomPatchView(Macro):
    """A random view that maps a random patch of ``image`` onto an output of
    ``size``.

    Distribution: a scale ``s`` is drawn uniformly from ``scale``; the patch
    is ``s * height`` rows by ``s * width`` columns (``s = 1``: the output
    shows the patch pixel for pixel, as the original PixelPipes'
    ``RandomPatchView`` did; ``s = 2``: a patch twice as large, shrunk by 2).
    Its top-left corner ``x0`` is drawn uniformly from the interval between
    ``-padding`` and ``W - s * width + padding`` (``W`` the image width), and
    ``y0`` likewise with the heights; the three draws are independent and
    continuous (patches may start at fractional positions).  So with
    ``padding = 0`` a patch smaller than the image lies inside it, and a
    patch larger than the image contains it.  The view is
    ``FocusView((x0, y0, x0 + s * width, y0 + s * height), size)``.

    Parameters
    ----------
    image : Node
        The image the patch is taken from (only its shape is used).
    size : (int or Node, int or Node)
        ``(height, width)`` of the output.
    scale : (float or Node, float or Node), optional
        Range ``(low, high)`` of the patch scale, ``0 < low <= high``.
    padding : float or Node, optional
        How far (in pixels) the patch may reach beyond each image edge; a
        negative padding keeps it that far inside.
    key : str, optional
        Random key (see :mod:`pixelpipes.ops.random`).

    Returns
    -------
    Node
        float64 tensor of shape (3, 3).

    Examples
    --------
    >>> with pp.Graph() as graph:
    ...     image = pp.Constant(np.zeros((100, 200), np.uint8))
    ...     _ = pp.Output(pp.RandomPatchView(image, (32, 32), scale=(1, 2)), "view")
    >>> graph.compile(seed=3).run(0)["view"].shape
    (3, 3)
    """

    def __init__(self, image, size, scale=(1.0, 1.0), padding=0.0, *, name=None, key=None):
        height, width = _pair(size, "size", "(height, width)")
        lo, hi = _pair(scale, "scale", "(low, high)")
        lo, hi = _check_finite_number(lo, "scale low"), _check_finite_number(hi, "scale high")
        if not isinstance(lo, Node) and not isinstance(hi, Node) and not 0 < lo <= hi:
            raise GraphError(f"scale must satisfy 0 < low <= high, got {scale!r}")
        _check_finite_number(padding, "padding")
        super().__init__(image, height, width, lo, hi, padding, name=name, key=key)

    def expand(self, image, height, width, lo, hi, padding):
        t = image.type
        if not isinstance(t, Tensor) or (t.shape is not None and len(t.shape) not in (2, 3)):
            raise GraphError(f"RandomPatchView needs an image (H x W or H x W x C), got {t}")
        for node, what in ((height, "the output height"), (width, "the output width")):
            _check_number(node.type, what)
            _static_size(node, what)
        for node, what in ((lo, "scale low"), (hi, "scale high"), (padding, "padding")):
            _check_number(node.type, what)
        u = RandomUniform(0.0, 1.0, shape=(3,), name=self.name)
        return _RandomPatchViewOp(image, u, height, width, lo, hi, padding, name=self.name)


# ---------------------------------------------------------------- points and rectangles

class _Pack(Node):
    """Coordinates packed into a float32 tensor (kernel ``geom_pack``)."""

    kernel = "geom_pack"
    _cols = 2
    _ndim = 2
    _rect = 0

    def params(self):
        return (self._cols, self._ndim, self._rect)

    def infer(self, *inputs):
        total = 0
        for k, t in enumerate(inputs):
            items = [t]
            count = 1
            if isinstance(t, List):
                items = [t.item]
                count = t.length
            for item in items:
                _check_numeric(item, f"input {k}")
                if item.shape is None:
                    total = None
                    continue
                if item.shape and item.shape[-1] not in (None, self._cols):
                    raise GraphError(f"input {k} must be scalars or have rows of "
                                     f"{self._cols} coordinates, got {item}")
                if total is not None:
                    if count is None or any(d is None for d in item.shape):
                        total = None
                    else:
                        total += count * int(np.prod(item.shape, dtype=np.int64))
        if total is not None and total % self._cols:
            raise GraphError(f"{total} coordinates do not make rows of {self._cols}")
        if self._out_ndim(inputs) == 1:
            if total is not None and total != self._cols:
                raise GraphError(f"expected {self._cols} coordinates, got {total}")
            return Tensor(_FLOAT32, (self._cols,))
        return Tensor(_FLOAT32, (None if total is None else total // self._cols, self._cols))

    def _out_ndim(self, types):
        return self._ndim

    def encode(self, types, result):
        return [self._cols, self._out_ndim(types), self._rect], []


class _Coordinates(_Pack):
    """A Python sequence holding nodes, as coordinates: ``cols`` scalars make
    one row of shape ``(cols,)`` (a point or a rectangle), anything else the
    rows of an ``N x cols`` tensor (:class:`MakePoints` / :class:`MakeRectangles`)."""

    def __init__(self, value, cols):
        flat = len(value) == cols and not any(isinstance(v, (list, tuple, np.ndarray))
                                              for v in value)
        self._cols = cols
        self._rect = int(cols == 4)
        self._flat = flat
        super().__init__(*(value if flat else _rows(value, cols, "coordinates")))

    def params(self):
        return (self._cols, self._rect, self._flat)

    def _out_ndim(self, types):
        scalars = all(isinstance(t, Tensor) and t.shape == () for t in types)
        return 1 if self._flat and scalars else 2


def _rows(value, cols, what):
    """Inputs of a _Pack node from a node, an array, or a list of rows."""
    if isinstance(value, Node):
        return [value]
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "iuf":
            raise GraphError(f"{what} must be numeric, got {value.dtype}")
        if value.ndim != 2 or value.shape[1] != cols:
            raise GraphError(f"{what} must be an N x {cols} array, got shape {value.shape}")
        return [Constant(np.ascontiguousarray(value, dtype=np.float32))]
    if not isinstance(value, (list, tuple)):
        raise GraphError(f"{what} must be a node, an N x {cols} array or a list of rows, "
                         f"got {value!r}")

    def has_node(x):
        if isinstance(x, Node):
            return True
        return isinstance(x, (list, tuple)) and any(has_node(i) for i in x)

    if not has_node(value):
        try:
            arr = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            raise GraphError(f"{what} must be numbers, got {value!r}") from None
        if arr.size == 0:
            arr = arr.reshape(0, cols)
        if arr.ndim != 2 or arr.shape[1] != cols:
            raise GraphError(f"{what} must be a list of rows of {cols} coordinates, "
                             f"got shape {arr.shape}")
        return [Constant(arr.astype(np.float32))]
    inputs = []
    for row in value:
        if isinstance(row, Node):
            inputs.append(row)
        elif isinstance(row, (list, tuple, np.ndarray)) and len(row) == cols:
            inputs.extend(row)
        else:
            raise GraphError(f"each row of {what} must be a node or {cols} coordinates, "
                             f"got {row!r}")
    return inputs


class MakePoint(_Pack):
    """A point ``(x, y)``: a float32 tensor of shape ``(2,)``.

    Parameters
    ----------
    x, y : float or Node
        Coordinates (scalars, finite).

    Returns
    -------
    Node
        float32 tensor of shape (2,).
    """

    _ndim = 1

    def __init__(self, x, y, *, name=None):
        super().__init__(x, y, name=name)


class MakePoints(_Pack):
    """A point set: an ``N x 2`` float32 tensor of ``(x, y)`` rows.

    Parameters
    ----------
    points : Node, array, or list
        An ``N x 2`` numeric tensor (node or array; cast to float32), a list
        of point tensors (a node whose type is a list), or a Python list
        whose rows are ``(x, y)`` pairs of numbers or scalar nodes, or point
        nodes (e.g. :class:`MakePoint`).  Coordinates must be finite.

    Returns
    -------
    Node
        float32 tensor of shape (N, 2).

    Examples
    --------
    >>> with pp.Graph() as graph:
    ...     x = pp.RandomUniform(0, 10)
    ...     _ = pp.Output(pp.MakePoints([(0, 0), (x, 5), pp.MakePoint(1, 2)]), "p")
    >>> graph.compile().run(0)["p"].shape
    (3, 2)
    """

    def __init__(self, points, *, name=None):
        super().__init__(*_rows(points, 2, "points"), name=name)


class MakeRectangle(_Pack):
    """A rectangle ``(x0, y0, x1, y1)``: a float32 tensor of shape ``(4,)``.

    It covers the pixels ``x0 <= column < x1``, ``y0 <= row < y1`` (see the
    module documentation); ``x1 >= x0`` and ``y1 >= y0`` are required.

    Parameters
    ----------
    x0, y0, x1, y1 : float or Node
        Coordinates (scalars, finite).

    Returns
    -------
    Node
        float32 tensor of shape (4,).
    """

    _cols = 4
    _ndim = 1
    _rect = 1

    def __init__(self, x0, y0, x1, y1, *, name=None):
        super().__init__(x0, y0, x1, y1, name=name)


class MakeRectangles(_Pack):
    """Rectangles: an ``N x 4`` float32 tensor of ``(x0, y0, x1, y1)`` rows.

    Parameters
    ----------
    rectangles : Node, array, or list
        An ``N x 4`` numeric tensor, a list of rectangle tensors, or a
        Python list whose rows are 4 numbers/scalar nodes or rectangle
        nodes.  Every row needs ``x1 >= x0`` and ``y1 >= y0``.

    Returns
    -------
    Node
        float32 tensor of shape (N, 4).
    """

    _cols = 4
    _rect = 1

    def __init__(self, rectangles, *, name=None):
        super().__init__(*_rows(rectangles, 4, "rectangles"), name=name)


class PointsBounds(Node):
    """The bounding rectangle of a point set.

    The result is the rectangle whose pixel area is the bounding box of the
    points: ``(min x + 0.5, min y + 0.5, max x + 0.5, max y + 0.5)`` (see the
    module documentation), so ``PointsBounds(RectangleCorners(r)) == r``.
    An empty point set fails the sample.

    Parameters
    ----------
    points : Node or array
        ``N x 2`` points, N >= 1, finite.

    Returns
    -------
    Node
        float32 tensor of shape (4,).
    """

    kernel = "points_bounds"

    def __init__(self, points, *, name=None):
        super().__init__(_coordinates(points, 2), name=name)

    def infer(self, points):
        n = _check_points(points)
        if n == 0:
            raise GraphError("the bounds of an empty point set are undefined")
        return Tensor(_FLOAT32, (4,))


class PointsCenter(Node):
    """The centroid (mean) of a point set.

    Parameters
    ----------
    points : Node or array
        ``N x 2`` points, N >= 1, finite.

    Returns
    -------
    Node
        float32 tensor of shape (2,), computed in float64.
    """

    kernel = "points_center"

    def __init__(self, points, *, name=None):
        super().__init__(_coordinates(points, 2), name=name)

    def infer(self, points):
        n = _check_points(points)
        if n == 0:
            raise GraphError("the centre of an empty point set is undefined")
        return Tensor(_FLOAT32, (2,))


class RectangleCorners(Node):
    """The four corners of a rectangle's pixel area, as points.

    In order top-left, top-right, bottom-right, bottom-left (clockwise on
    screen): ``(x0 - 0.5, y0 - 0.5), (x1 - 0.5, y0 - 0.5), (x1 - 0.5,
    y1 - 0.5), (x0 - 0.5, y1 - 0.5)``.

    Parameters
    ----------
    rectangle : Node or array
        A rectangle ``(4,)``, or ``N x 4`` rectangles.

    Returns
    -------
    Node
        float32 tensor of shape (4, 2), or (N, 4, 2) for N rectangles.
    """

    kernel = "rect_corners"

    def __init__(self, rectangle, *, name=None):
        super().__init__(_coordinates(rectangle, 4), name=name)

    def infer(self, rect):
        _check_rectangles(rect)
        if rect.shape is None:
            return Tensor(_FLOAT32, None)
        if len(rect.shape) == 1:
            return Tensor(_FLOAT32, (4, 2))
        return Tensor(_FLOAT32, (rect.shape[0], 4, 2))


class TransformPoints(Node):
    """Points mapped by a view: ``(x', y') = (V @ (x, y, 1))[:2] / w``.

    Computed in float64, returned as float32.  Matches
    ``cv2.perspectiveTransform`` except that a point mapped to infinity
    (``w == 0``) fails the sample (OpenCV returns (0, 0) for it); points
    with ``w < 0`` (behind the camera of a perspective view) are mapped
    like the others.

    Parameters
    ----------
    points : Node or array
        ``N x 2`` points (any numeric type), or a single point ``(2,)``.
    view : Node or array
        A 3 x 3 view.

    Returns
    -------
    Node
        float32 tensor of the shape of ``points``.
    """

    kernel = "points_transform"

    def __init__(self, points, view, *, name=None):
        super().__init__(_coordinates(points, 2), view, name=name)

    def infer(self, points, view):
        _check_points(points)
        check_view(view)
        return Tensor(_FLOAT32, points.shape)


class TransformRectangle(Node):
    """The bounding rectangle of a rectangle's pixel area mapped by a view.

    The four corners of the area (:class:`RectangleCorners`) are mapped
    (:class:`TransformPoints`) and bounded (:class:`PointsBounds`).  A
    rectangle that a perspective view maps across infinity (corners with
    ``w`` of different signs, or 0) fails the sample.

    Parameters
    ----------
    rectangle : Node or array
        A rectangle ``(4,)``, or ``N x 4`` rectangles.
    view : Node or array
        A 3 x 3 view.

    Returns
    -------
    Node
        float32 tensor of the shape of ``rectangle``.
    """

    kernel = "rect_transform"

    def __init__(self, rectangle, view, *, name=None):
        super().__init__(_coordinates(rectangle, 4), view, name=name)

    def infer(self, rect, view):
        _check_rectangles(rect)
        check_view(view)
        return Tensor(_FLOAT32, rect.shape)


# ---------------------------------------------------------------- masks

class _Mask(Node):
    def _mask_type(self, points, height, width):
        _check_points(points)
        _check_number(height, "the mask height")
        _check_number(width, "the mask width")
        h = _static_size(self.inputs[1], "the mask height")
        w = _static_size(self.inputs[2], "the mask width")
        if h is not None and w is not None and h * w > MAX_PIXELS:
            raise GraphError(f"a mask of {h} x {w} pixels is too large "
                             "(more than 2**31 pixels)")
        return Tensor(_UINT8, (h, w))

    def params(self):
        return (self.value,)


class PolygonMask(_Mask):
    """A uint8 mask of a filled polygon.

    Pixels inside the polygon (even-odd rule, so self-intersecting polygons
    have holes where they overlap themselves) or on its outline are set to
    ``value``, the others are 0.  The result is exactly
    ``cv2.fillPoly(mask, [vertices], value)`` (``lineType=cv2.LINE_8``) for
    integer vertices, also for polygons reaching outside the mask: a pixel
    row is filled from ``ceil`` of its left crossing to ``floor`` of its
    right crossing, and the 8-connected outline between the vertices is
    added.  Sub-pixel vertices are rounded half up (``floor(v + 0.5)``), as
    ``cv2.fillPoly`` does with ``shift > 0``: the mask equals
    ``cv2.fillPoly(mask, [np.floor(points + 0.5).astype(np.int32)], value)``.

    Parameters
    ----------
    points : Node or array
        ``N x 2`` vertices, in order (any numeric type, finite, within
        +-2**30).  N = 0 gives an empty mask, N = 1 a single pixel, N = 2 a
        line.
    size : (int or Node, int or Node)
        ``(height, width)`` of the mask, > 0.
    value : int, optional
        Value of the pixels of the polygon, 0..255.

    Returns
    -------
    Node
        uint8 tensor of shape (height, width).

    Examples
    --------
    >>> with pp.Graph() as graph:
    ...     tri = pp.MakePoints([(1, 1), (6, 1), (1, 4)])
    ...     _ = pp.Output(pp.PolygonMask(tri, (6, 8), value=1), "mask")
    >>> graph.compile().run(0)["mask"]
    array([[0, 0, 0, 0, 0, 0, 0, 0],
           [0, 1, 1, 1, 1, 1, 1, 0],
           [0, 1, 1, 1, 1, 1, 0, 0],
           [0, 1, 1, 1, 0, 0, 0, 0],
           [0, 1, 0, 0, 0, 0, 0, 0],
           [0, 0, 0, 0, 0, 0, 0, 0]], dtype=uint8)
    """

    kernel = "polygon_mask"

    def __init__(self, points, size=None, value=255, *, name=None):
        if size is None:
            raise GraphError("PolygonMask needs size=(height, width)")
        height, width = _pair(size, "size", "(height, width)")
        super().__init__(_coordinates(points, 2), height, width, name=name)
        self.value = _check_value(value)

    def infer(self, points, height, width):
        return self._mask_type(points, height, width)

    def encode(self, types, result):
        return [self.value], []


class PointsMask(_Mask):
    """A uint8 mask marking points, or filled discs around them.

    Each point is rounded half up to a pixel (``floor(v + 0.5)``); with
    ``radius = 0`` that pixel is set to ``value``, with ``radius > 0`` the
    filled disc ``cv2.circle(mask, center, radius, value, thickness=-1)``
    draws (exactly, ``lineType=cv2.LINE_8``).  A point outside the mask sets
    nothing, except the part of its disc that reaches inside.

    Parameters
    ----------
    points : Node or array
        ``N x 2`` points (finite), or a single point ``(2,)``.
    size : (int or Node, int or Node)
        ``(height, width)`` of the mask, > 0.
    radius : int or Node, optional
        Disc radius in pixels, an integer in 0..2**20.
    value : int, optional
        Value of the marked pixels, 0..255.

    Returns
    -------
    Node
        uint8 tensor of shape (height, width).
    """

    kernel = "points_mask"

    def __init__(self, points, size=None, radius=0, value=255, *, name=None):
        if size is None:
            raise GraphError("PointsMask needs size=(height, width)")
        height, width = _pair(size, "size", "(height, width)")
        _check_finite_number(radius, "radius")
        super().__init__(_coordinates(points, 2), height, width, radius, name=name)
        self.value = _check_value(value)

    def infer(self, points, height, width, radius):
        _check_number(radius, "the radius")
        r = _known_number(self.inputs[3])
        if r is not None and not (float(r).is_integer() and 0 <= r <= MAX_RADIUS):
            raise GraphError(f"radius must be an integer in [0, 2**20], got {r}")
        return self._mask_type(points, height, width)

    def encode(self, types, result):
        return [self.value], []


from .geometry_chain import GeometryView  # noqa: E402  (the view of a geometric chain)
