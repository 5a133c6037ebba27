"""Gallery of the warps and deformations.

``EXAMPLES`` lists ``(title, function)`` pairs: ``function(image)`` takes a
node holding an RGB uint8 photo and returns the node whose output shows the
operation (an RGB uint8 image).  The reference pages render them on a shipped
photo.
"""

import numpy as np

import pixelpipes as pp

# A gentle perspective tilt about the image centre (for photos of a few
# hundred pixels).
TILT = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0012, 1.0]])


def _perspective(image):
    centre = pp.CenterView(image)
    view = pp.ChainView(pp.InvertView(centre), TILT, centre)
    return pp.Warp(image, view, border="constant", interpolation="cubic")


def _shear_reflect(image):
    centre = pp.CenterView(image)
    view = pp.ChainView(pp.InvertView(centre), pp.ShearView(0.3, 0.0), centre)
    return pp.Warp(image, view, border="reflect_101")


def _patch(image):
    view = pp.RandomPatchView(image, (256, 256), scale=(1.2, 1.6))
    return pp.Warp(image, view, size=(256, 256), interpolation="lanczos")


EXAMPLES = [
    ("Rotate by 30 degrees", lambda image: pp.Rotate(image, 30.0)),
    ("Rotate by 30 degrees, expanded canvas",
     lambda image: pp.Rotate(image, 30.0, expand=True, value=(255, 255, 255))),
    ("Warp: perspective tilt", _perspective),
    ("Warp: shear with reflect-101 border", _shear_reflect),
    ("Warp: random patch view, Lanczos", _patch),
    ("Elastic deformation (alpha 300, sigma 10)",
     lambda image: pp.ElasticDeformation(image, 300.0, 10.0)),
    ("Grid distortion (5 steps, limit 0.4)",
     lambda image: pp.GridDistortion(image, 5, 0.4)),
    ("Piecewise affine (5 x 5 grid, scale 0.03)",
     lambda image: pp.PiecewiseAffine(image, (5, 5), 0.03)),
]
