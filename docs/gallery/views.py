"""Gallery of the views and geometry primitives (``pixelpipes/image/views.py``).

``EXAMPLES`` is a list of ``(title, function)``; ``function(image)`` takes a
node holding an RGB uint8 photo and returns the node whose output (uint8 RGB
or gray) illustrates the op.  The views are shown through ``pp.Warp``.
"""

import math

import numpy as np

import pixelpipes as pp


class _Sized(pp.Macro):
    """``build(image, height, width)`` with the photo's static size."""

    def __init__(self, image, build):
        super().__init__(image)
        self.build = build

    def params(self):
        # part of the macro's random key: must be the same in every process
        code = self.build.__code__
        return (code.co_name, code.co_firstlineno)

    def expand(self, image):
        height, width = image.type.shape[:2]
        return self.build(image, height, width)


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


EXAMPLES = [
    ("RotateView (about the centre, through Warp)", rotate),
    ("AffineView: scale, shear, rotate", affine),
    ("A perspective view", perspective),
    ("FocusView: a rectangle onto the whole output", focus),
    ("RandomPatchView (scale 0.8 to 1.6)", random_patch),
    ("PolygonMask: a star", polygon_mask),
    ("TransformPoints + PointsMask: keypoints follow the warp", points_follow_warp),
    ("TransformRectangle: a box follows the warp", rectangle_follows_warp),
]
