"""Gallery of the views and geometry primitives (``pixelpipes/image/views.py``).

``EXAMPLES`` is a list of ``(title, function)``; ``function(image)`` takes a
node holding an RGB uint8 photo and returns the node whose output (uint8 RGB
or gray) illustrates the op.  The views are shown through ``pp.Warp``; points
and rectangles are drawn onto the photo as masks (``pp.PointsMask``,
``pp.PolygonMask``) with the helpers of ``_draw.py``.
"""

import math

import numpy as np

import pixelpipes as pp
from _draw import (CYAN, GREEN, RED, YELLOW, COLOURS, dim, draw_outline, paint,
                   rectangle_mask, tiles, thumbnail)
from _draw import sized as _Sized


def _about_centre(image, height, width, view):
    """``view`` applied about the image centre, warped to the same size."""
    centred = pp.ChainView(pp.TranslateView((width - 1) / 2, (height - 1) / 2), view,
                           pp.CenterView(image))
    return pp.Warp(image, centred, (height, width))


def _with_mask(image, mask):
    """The photo where ``mask`` is set, dimmed to a quarter elsewhere."""
    keep = pp.Unsqueeze(mask, 2)                    # 0 or 1, H x W x 1
    return image // 4 + (image - image // 4) * keep


def rotate(image):
    return _Sized(image, lambda im, h, w: _about_centre(im, h, w, pp.RotateView(math.radians(20))))


def affine(image):
    return _Sized(image, lambda im, h, w: _about_centre(
        im, h, w, pp.AffineView(rotate=-0.3, scale=(0.8, 0.6), shear=(0.3, 0.0))))


def perspective(image):
    def build(im, h, w):
        tilt = np.array([[1.0, 0.15, 0.0], [0.0, 1.1, 0.0], [0.0, 0.0015, 1.0]])
        return _about_centre(im, h, w, tilt)
    return _Sized(image, build)


def focus(image):
    def build(im, h, w):
        rect = pp.MakeRectangle(w * 0.35, h * 0.1, w * 0.65, h * 0.4)
        return pp.Warp(im, pp.FocusView(rect, (h, w)), (h, w))
    return _Sized(image, build)


def random_patch(image):
    def build(im, h, w):
        size = (h // 2, w // 2)
        return pp.Warp(im, pp.RandomPatchView(im, size, scale=(0.8, 1.6), key="gallery"), size)
    return _Sized(image, build)


def polygon_mask(image):
    def build(im, h, w):
        r = 0.45 * min(h, w)
        star = [((w - 1) / 2 + r * (1 if k % 2 == 0 else 0.45) * math.sin(k * math.pi / 5),
                 (h - 1) / 2 - r * (1 if k % 2 == 0 else 0.45) * math.cos(k * math.pi / 5))
                for k in range(10)]
        return _with_mask(im, pp.PolygonMask(star, (h, w), value=1))
    return _Sized(image, build)


def points_follow_warp(image):
    def build(im, h, w):
        view = pp.ChainView(pp.TranslateView((w - 1) / 2, (h - 1) / 2), pp.RotateView(0.35),
                            pp.ScaleView(0.8), pp.CenterView(im))
        grid = [(w * (i + 1) / 6, h * (j + 1) / 6) for i in range(5) for j in range(5)]
        dots = pp.PointsMask(pp.TransformPoints(grid, view), (h, w), radius=max(2, w // 80))
        return pp.Maximum(pp.Warp(im, view, (h, w)), pp.Unsqueeze(dots, 2))
    return _Sized(image, build)


def rectangle_follows_warp(image):
    def build(im, h, w):
        view = pp.ChainView(pp.TranslateView((w - 1) / 2, (h - 1) / 2), pp.RotateView(-0.5),
                            pp.ScaleView(0.7), pp.CenterView(im))
        box = pp.MakeRectangle(w * 0.3, h * 0.15, w * 0.7, h * 0.6)
        # Full brightness in the rotated box, 2/3 in its axis-aligned bounds
        # (TransformRectangle), 1/3 elsewhere.
        rotated = pp.PolygonMask(pp.TransformPoints(pp.RectangleCorners(box), view), (h, w),
                                 value=1)
        bounds = pp.PolygonMask(pp.RectangleCorners(pp.TransformRectangle(box, view)), (h, w),
                                value=1)
        return pp.Warp(im, view, (h, w)) // 3 * pp.Unsqueeze(1 + rotated + bounds, 2)
    return _Sized(image, build)



def _warped(view):
    """The photo warped by the view ``view(image, height, width)``."""
    return lambda image: _Sized(image, lambda im, h, w: pp.Warp(im, view(im, h, w), (h, w)))


def _shear(im, h, w):
    centre = pp.CenterView(im)
    return pp.ChainView(pp.InvertView(centre), pp.ShearView(0.4, 0.0), centre)


def _chain(im, h, w):
    # applied right to left: centre to the origin, halve, move back
    return pp.ChainView(pp.TranslateView((w - 1) / 2, (h - 1) / 2), pp.ScaleView(0.5),
                        pp.CenterView(im))


def invert(image):
    def build(im, h, w):
        view = pp.ChainView(pp.TranslateView((w - 1) / 2, (h - 1) / 2),
                            pp.AffineView(rotate=0.5, scale=(0.9, 0.7)), pp.CenterView(im))
        there = pp.Warp(im, view, (h, w))
        back = pp.Warp(there, pp.InvertView(view), (h, w))
        half = (h // 2, w // 2)
        return tiles([thumbnail(there, *half), thumbnail(back, *half)], 2)
    return _Sized(image, build)


# Places on the photo "rocket" (fractions of its width and height).
NOSE = (0.502, 0.315)
LIGHTS = [(0.127, 0.82), (0.172, 0.974), (0.234, 0.877), (0.303, 0.927), (0.566, 0.927),
          (0.678, 0.924), (0.703, 0.98)]
TOWERS = [(0.0, 0.0, 0.145, 1.0), (0.265, 0.28, 0.325, 0.94), (0.68, 0.28, 0.735, 0.94),
          (0.865, 0.0, 1.0, 1.0)]


def _at(point, h, w):
    return (point[0] * w, point[1] * h)


def _dots(im, h, w, points, colour, radius=6):
    return paint(im, pp.PointsMask(points, (h, w), radius=radius, value=1), colour)


def make_point(image):
    def build(im, h, w):
        nose = pp.MakePoint(*_at(NOSE, h, w))
        return _dots(im, h, w, pp.Unsqueeze(nose, 0), RED, radius=8)
    return _Sized(image, build)


def make_points(image):
    def build(im, h, w):
        lights = pp.MakePoints([_at(p, h, w) for p in LIGHTS])
        return _dots(im, h, w, lights, RED)
    return _Sized(image, build)


def _rectangle(box, h, w):
    x0, y0, x1, y1 = box
    return pp.MakeRectangle(x0 * w, y0 * h, x1 * w, y1 * h)


def make_rectangle(image):
    def build(im, h, w):
        mask = rectangle_mask(_rectangle((0.468, 0.29, 0.535, 0.965), h, w), (h, w))
        return draw_outline(dim(im, mask), mask, YELLOW)
    return _Sized(image, build)


def make_rectangles(image):
    def build(im, h, w):
        boxes = pp.MakeRectangles([[x0 * w, y0 * h, x1 * w, y1 * h]
                                   for x0, y0, x1, y1 in TOWERS])
        for k in range(len(TOWERS)):
            im = draw_outline(im, rectangle_mask(boxes[k], (h, w)), COLOURS[k], 2)
        return im
    return _Sized(image, build)


def points_bounds(image):
    def build(im, h, w):
        lights = pp.MakePoints([_at(p, h, w) for p in LIGHTS])
        bounds = rectangle_mask(pp.PointsBounds(lights), (h, w))
        return _dots(draw_outline(im, bounds, YELLOW), h, w, lights, RED)
    return _Sized(image, build)


def points_center(image):
    def build(im, h, w):
        lights = pp.MakePoints([_at(p, h, w) for p in LIGHTS])
        centre = pp.Unsqueeze(pp.PointsCenter(lights), 0)
        return _dots(_dots(im, h, w, lights, RED), h, w, centre, CYAN, radius=9)
    return _Sized(image, build)


def rectangle_corners(image):
    def build(im, h, w):
        box = _rectangle((0.3, 0.25, 0.7, 0.75), h, w)
        view = pp.ChainView(pp.TranslateView((w - 1) / 2, (h - 1) / 2), pp.RotateView(0.4),
                            pp.CenterView(im))
        corners = pp.TransformPoints(pp.RectangleCorners(box), view)
        area = pp.PolygonMask(corners, (h, w), value=1)
        return _dots(draw_outline(im, area, GREEN), h, w, corners, RED, radius=7)
    return _Sized(image, build)


def geometry_view(image):
    """Keypoints drawn on the photo, then the photo through a random resized
    crop and a flip: GeometryView moves the points with the pixels."""
    def build(im, h, w):
        points = pp.Constant(np.array([[0.3 * w, 0.35 * h], [0.62 * w, 0.3 * h],
                                       [0.48 * w, 0.6 * h], [0.5 * w, 0.85 * h]],
                                      np.float32))
        marked = paint(im, pp.PointsMask(points, (h, w), radius=max(2, w // 60), value=1), RED)
        out = pp.Flip(pp.ResizedCrop(im, w // 8, h // 10, 3 * w // 4, 3 * h // 4, (h, w)))
        moved = pp.TransformPoints(points, pp.GeometryView(out, im))
        dots = pp.PointsMask(moved, (h, w), radius=max(2, w // 60), value=1)
        return tiles([thumbnail(marked, h // 2, w // 2),
                      thumbnail(paint(out, dots, CYAN), h // 2, w // 2)], 2)
    return _Sized(image, build)


EXAMPLES = [
    ("RotateView (about the centre, through Warp)", rotate),
    ("AffineView: scale, shear, rotate", affine),
    ("A perspective view", perspective),
    ("FocusView: a rectangle onto the whole output", focus),
    ("RandomPatchView (scale 0.8 to 1.6)", random_patch),
    ("PolygonMask: a star", polygon_mask),
    ("TransformPoints + PointsMask: keypoints follow the warp", points_follow_warp),
    ("GeometryView: keypoints follow a crop, resize and flip", geometry_view),
    ("TransformRectangle: a box follows the warp", rectangle_follows_warp),
    ("IdentityView: Warp by it leaves the photo as it is",
     _warped(lambda im, h, w: pp.IdentityView())),
    ("TranslateView(80, 40)", _warped(lambda im, h, w: pp.TranslateView(80, 40))),
    ("ScaleView(0.5): about the origin, the top-left corner",
     _warped(lambda im, h, w: pp.ScaleView(0.5))),
    ("ShearView(0.4, 0) about the centre", _warped(_shear), ("ShearView",)),
    ("CenterView: the photo's centre moved to the origin",
     _warped(lambda im, h, w: pp.CenterView(im))),
    ("ChainView: CenterView, ScaleView(0.5), TranslateView back", _warped(_chain),
     ("ChainView",)),
    ("InvertView: warped by a view (left), then by its inverse (right)", invert),
    ("MakePoint: the nose of the rocket", make_point),
    ("MakePoints: the launch-pad lights", make_points),
    ("MakeRectangle: the rocket, the rest dimmed", make_rectangle),
    ("MakeRectangles: the four towers", make_rectangles),
    ("PointsBounds: the rectangle around the lights", points_bounds),
    ("PointsCenter (cyan) of the lights (red)", points_center),
    ("RectangleCorners of a box, rotated with TransformPoints", rectangle_corners,
     ("RectangleCorners",)),
]
