"""Gallery of the warps and deformations.

``EXAMPLES`` lists ``(title, function)`` pairs: ``function(image)`` takes a
node holding an RGB uint8 photo and returns the node whose output shows the
operation (an RGB uint8 image).  The reference pages render them on a shipped
photo.  The maps are shown by remapping the photo with a grid drawn on it
(so the deformation shows) and the elastic field also as colours; the
drawing is done with the helpers of ``_draw.py`` (pixelpipes nodes).
"""

import numpy as np

import pixelpipes as pp
from _draw import RED, paint, sized, with_grid

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


def _ripple(image):
    """A relative map: every row shifted by ``8 sin(y / 10)`` pixels."""
    def build(im, h, w):
        ys = pp.LinearGradientImage((h, w), 0.0, float(h - 1), "vertical")
        dx = pp.Sin(ys / 10.0) * 8.0
        return pp.RemapImage(with_grid(im, h, w), dx, dx * 0.0, relative=True)
    return sized(image, build)


def _field_colours(image):
    """dx and dy of an elastic field as red and green, 128 for no move."""
    def build(im, h, w):
        field = pp.ElasticField(im, 300.0, 10.0, key="field")
        colour = pp.Concatenate(field * 6.0 + 128.0, pp.ConstantImage((h, w, 1), 128.0),
                                axis=2)
        return pp.Cast(pp.Round(pp.Maximum(pp.Minimum(colour, 255.0), 0.0)), "uint8")
    return sized(image, build)


def _field_remap(image):
    def build(im, h, w):
        field = pp.ElasticField(im, 300.0, 10.0, key="field")
        return pp.RemapImage(with_grid(im, h, w), field, relative=True)
    return sized(image, build)


X_STEPS = np.array([1.0, 2.0, 1.0, 0.5, 1.0])
Y_STEPS = np.array([0.6, 1.4, 1.0, 1.0])


def _grid_map(image):
    def build(im, h, w):
        grid = pp.GridDistortionMap(im, X_STEPS, Y_STEPS)
        return pp.RemapImage(with_grid(im, h, w), grid)
    return sized(image, build)


# rows x cols x 2 jitter of the control points, fractions of the size
# (fixed numbers, so that the picture is the same in every run)
JITTER = np.random.default_rng(3).uniform(-0.04, 0.04, (4, 5, 2))


def _piecewise_map(image):
    def build(im, h, w):
        rows, cols = JITTER.shape[:2]
        nodes = [((w - 1) * j / (cols - 1), (h - 1) * i / (rows - 1))
                 for i in range(rows) for j in range(cols)]
        warped = pp.RemapImage(with_grid(im, h, w), pp.PiecewiseAffineMap(im, JITTER))
        dots = pp.PointsMask(np.array(nodes, np.float32), (h, w), radius=6, value=1)
        return paint(warped, dots, RED)
    return sized(image, build)


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
    ("RemapImage: rows shifted by 8 sin(y / 10) (relative map), on a grid", _ripple,
     ("RemapImage",)),
    ("ElasticField (alpha 300, sigma 10): dx red, dy green, 6 levels per pixel",
     _field_colours, ("ElasticField",)),
    ("The same ElasticField through RemapImage (relative): the grid follows",
     _field_remap, ("ElasticField", "RemapImage")),
    ("GridDistortionMap (x steps 1, 2, 1, 0.5, 1; y steps 0.6, 1.4, 1, 1) remaps the grid",
     _grid_map, ("GridDistortionMap",)),
    ("PiecewiseAffineMap (4 x 5 points, jitter 4%): the grid, control points red",
     _piecewise_map, ("PiecewiseAffineMap",)),
]
