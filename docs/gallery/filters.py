"""Gallery of the filters and image analysis operations.

``EXAMPLES`` lists ``(title, function)`` pairs: ``function(image)`` takes a
node holding an RGB uint8 photo and returns the node whose output shows the
operation (an RGB or gray uint8 image).  The reference pages render them on
a shipped photo.  What the analysis ops compute (a bounding box, moments, a
kernel) is drawn onto the photo with the helpers of ``_draw.py`` (pixelpipes
nodes).
"""

import math

import numpy as np

import pixelpipes as pp
from _draw import CYAN, RED, YELLOW, draw_outline, gray_to_rgb, paint, rectangle_mask, sized, tint

EMBOSS = np.array([[-2, -1, 0], [-1, 1, 1], [0, 1, 2]], np.float32)


def _gray(image):
    return pp.ConvertColor(image, "RGB2GRAY")


def _edges(image):
    return pp.Canny(pp.GaussianBlur(_gray(image), 1.5), 40, 120)


def _distance_to_edges(image):
    """Distance to the nearest Canny edge, 8 grey levels per pixel."""
    distance = pp.DistanceTransform(255 - _edges(image), "l2", 0)
    return pp.Cast(pp.Minimum(distance * 8.0, 255.0), "uint8")


def _components(image):
    """Connected components of the bright pixels, one grey level per label."""
    labels = pp.ConnectedComponents(pp.Cast(_gray(image) > 140, "uint8"), 8)
    return pp.Cast((labels * 47) % 200 + (labels > 0) * 55, "uint8")


def _nose(image):
    """A mask of the cat's nose and a reddish patch above it: where red
    exceeds green by more than 62, on average over a Gaussian of sigma 3."""
    red = pp.Cast(pp.SelectChannels(image, [0]), "float32")
    green = pp.Cast(pp.SelectChannels(image, [1]), "float32")
    return pp.Cast(pp.GaussianBlur(pp.Squeeze(red - green, 2), 3.0) > 62.0, "uint8")


DETAIL = (140, 120, 220, 160)   # x, y, width, height of the part shown


def _bounding_box(image):
    def build(im, h, w):
        mask = _nose(im)
        box = rectangle_mask(pp.MaskBoundingBox(mask), (h, w))
        return pp.Crop(draw_outline(tint(im, mask, CYAN, 0.7), box, YELLOW), *DETAIL)
    return sized(image, build)


def _moments(image):
    """Centroid (red) and the ellipse of twice the standard deviations
    (yellow) of the mask, from m00, m10, m01, mu20, mu11 and mu02."""
    def build(im, h, w):
        mask = _nose(im)
        m = pp.Moments(mask, binary=True)
        m00, m10, m01, mu20, mu11, mu02 = (m[k] for k in (0, 1, 2, 10, 11, 12))
        cx, cy = m10 / m00, m01 / m00
        a, b, c = mu20 / m00, mu11 / m00, mu02 / m00
        theta = pp.Atan2(2.0 * b, a - c) * 0.5
        root = pp.Sqrt(((a - c) * 0.5) ** 2.0 + b * b)
        major, minor = pp.Sqrt((a + c) * 0.5 + root) * 2.0, pp.Sqrt((a + c) * 0.5 - root) * 2.0
        t = np.linspace(0.0, 2.0 * math.pi, 72, endpoint=False)
        ct, st = np.cos(t), np.sin(t)
        cos_th, sin_th = pp.Cos(theta), pp.Sin(theta)
        xs = cx + major * cos_th * ct - minor * sin_th * st
        ys = cy + major * sin_th * ct + minor * cos_th * st
        ellipse = pp.PolygonMask(pp.Cast(pp.Stack(xs, ys, axis=1), "float32"), (h, w), value=1)
        centre = pp.PointsMask(pp.Cast(pp.Unsqueeze(pp.Stack(cx, cy), 0), "float32"), (h, w),
                               radius=3, value=1)
        shown = paint(draw_outline(tint(im, mask, CYAN, 0.7), ellipse, YELLOW), centre, RED)
        return pp.Crop(shown, *DETAIL)
    return sized(image, build)


def _motion_kernel(image):
    """MotionBlur's kernel, 4 times enlarged (white = the largest weight),
    in the corner of the photo it blurs."""
    def build(im, h, w):
        size, angle, scale = 31, 30.0, 4
        kernel = pp.MotionKernel(size, angle)
        level = pp.NormalizeMinMax(kernel, 0, 255, dtype=np.uint8)
        big = pp.Resize(level, (size * scale, size * scale), "nearest")
        side = size * scale + 8
        framed = pp.Pad(big, 4, 4, 4, 4, "constant", 255)
        at = 8
        patch = pp.Pad(gray_to_rgb(framed), at, h - at - side, at, w - at - side)
        region = pp.Pad(pp.ConstantImage((side, side), 1, dtype=np.uint8),
                        at, h - at - side, at, w - at - side)
        blurred = pp.MotionBlur(im, size, angle)
        return paint(blurred, region, (0, 0, 0)) + patch
    return sized(image, build)


EXAMPLES = [
    ("GaussianBlur (sigma 4)", lambda image: pp.GaussianBlur(image, 4.0)),
    ("BoxBlur (15 x 15)", lambda image: pp.BoxBlur(image, 15)),
    ("MedianBlur (ksize 15)", lambda image: pp.MedianBlur(image, 15)),
    ("BilateralFilter (d 15, sigmas 80)", lambda image: pp.BilateralFilter(image, 15, 80, 80)),
    ("MotionBlur (ksize 31, 30 degrees)", lambda image: pp.MotionBlur(image, 31, 30.0)),
    ("RandomMotionBlur (ksize 9..25, sample 0)",
     lambda image: pp.RandomMotionBlur(image, (9, 25))),
    ("Sharpen (alpha 1, lightness 1)", lambda image: pp.Sharpen(image, 1.0, 1.0)),
    ("Convolve (emboss kernel)", lambda image: pp.Convolve(image, EMBOSS)),
    ("Sobel dx of gray (scale 0.5, offset 128)",
     lambda image: pp.Sobel(_gray(image), 1, 0, 3, 0.5, 128, dtype="uint8")),
    ("Laplacian of gray (ksize 3, offset 128)",
     lambda image: pp.Laplacian(_gray(image), 3, 1.0, 128, dtype="uint8")),
    ("Canny (thresholds 40, 120, after a blur)", _edges),
    ("DistanceTransform to the Canny edges (x8)", _distance_to_edges),
    ("ConnectedComponents of gray > 140", _components),
    ("MaskBoundingBox (yellow) of a mask of reddish pixels (cyan), detail", _bounding_box,
     ("MaskBoundingBox",)),
    ("Moments of the same mask: centroid (red), 2-sigma ellipse (yellow), detail", _moments,
     ("Moments",)),
    ("MotionKernel (31, 30 degrees), 4x, on the MotionBlur it makes", _motion_kernel,
     ("MotionKernel",)),
]
