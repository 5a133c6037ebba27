"""Gallery of the filters and image analysis operations.

``EXAMPLES`` lists ``(title, function)`` pairs: ``function(image)`` takes a
node holding an RGB uint8 photo and returns the node whose output shows the
operation (an RGB or gray uint8 image).  The reference pages render them on
a shipped photo.
"""

import numpy as np

import pixelpipes as pp

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
]
