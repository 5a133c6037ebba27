"""Drawing helpers of the galleries, made of pixelpipes nodes only.

Ops whose output is not an image (views, points, rectangles, maps, kernels,
moments, random decisions) are shown by drawing what they compute onto the
photo inside the same graph: a view by warping the photo with it, points and
rectangles as masks painted or blended onto it, a map by remapping the photo
(with a grid drawn on it) and several random draws as a grid of tiles.  The
pictures are therefore made by pixelpipes itself, with no NumPy drawing.

``docs/generate_reference.py`` puts this folder on ``sys.path`` before it
imports a gallery, so a gallery says ``from _draw import ...``.  This file
is not a gallery (no group is called ``_draw``).
"""

import numpy as np

import pixelpipes as pp

RED = (255, 40, 40)
GREEN = (40, 230, 40)
BLUE = (40, 120, 255)
YELLOW = (255, 230, 0)
CYAN = (0, 230, 230)
MAGENTA = (255, 60, 220)
WHITE = (255, 255, 255)
COLOURS = (RED, YELLOW, CYAN, GREEN, MAGENTA, BLUE)


class _Sized(pp.Macro):
    """``build(image, height, width)`` with the photo's static size."""

    def __init__(self, image, build):
        super().__init__(image)
        self.build = build

    def params(self):
        # part of the macro's random key: must be the same in every process
        code = self.build.__code__
        return (code.co_filename.rsplit("/", 1)[-1], code.co_name, code.co_firstlineno)

    def expand(self, image):
        height, width = image.type.shape[:2]
        return self.build(image, height, width)


def sized(image, build):
    """A node computing ``build(image, height, width)``, the photo's size
    known when the graph is compiled (inside a macro)."""
    return _Sized(image, build)


def _mask3(mask):
    """A 0/1 uint8 H x W mask (any non-zero value counts) as H x W x 1."""
    return pp.Unsqueeze(pp.Cast(mask > 0, "uint8"), 2)


def paint(image, mask, colour):
    """``image`` (RGB uint8) with the pixels where ``mask`` is non-zero set to
    ``colour``."""
    m = _mask3(mask)
    return image * (1 - m) + m * np.array(colour, np.uint8)


def tint(image, mask, colour, alpha=0.45):
    """``image`` blended (``pp.Blend``) with ``colour`` where ``mask`` is set."""
    return pp.Blend(image, paint(image, mask, colour), alpha)


def dim(image, mask, keep=0.3):
    """``image`` where ``mask`` is set, darkened to ``keep`` elsewhere."""
    dark = pp.Cast(pp.Round(image * keep), "uint8")
    m = _mask3(mask)
    return image * m + dark * (1 - m)


def outline(mask, width=1):
    """The boundary of a mask as a 0/1 uint8 ring about ``2 width`` pixels
    wide, half inside and half outside (so that it shows also where the mask
    touches the image border): a dilation minus an erosion, both made by a
    box blur with a black border."""
    on = pp.Cast(mask > 0, "uint8") * 255
    blurred = pp.BoxBlur(on, 2 * width + 1, border="constant")
    return pp.Cast(pp.LogicalAnd(blurred > 0, blurred < 255), "uint8")


def rectangle_mask(rectangle, size):
    """The pixel area of a rectangle ``(x0, y0, x1, y1)`` (a node; corners
    rounded to whole pixels), as a 0/1 uint8 mask of ``size = (height,
    width)``: ``pp.EraseRectangles`` of a black image.

    (``pp.PolygonMask(pp.RectangleCorners(r))`` would also fill the row and
    column just past the area: PolygonMask, as ``cv2.fillPoly``, fills the
    pixels on the outline too.)"""
    box = pp.Cast(pp.Round(rectangle), "int64")
    blank = pp.ConstantImage(tuple(size), 0, dtype=np.uint8)
    return pp.EraseRectangles(blank, box, 1)


def boxes_mask(image, boxes):
    """Integer ``n x 4`` boxes ``[x0, y0, x1, y1]`` (any ``n``, also only
    known when the sample runs) as a 0/1 uint8 mask of the image's size:
    ``pp.EraseRectangles`` of a black image."""
    blank = pp.Cast(pp.SelectChannels(image, [0]) * 0, "uint8")
    return pp.Squeeze(pp.EraseRectangles(blank, boxes, 1), 2)


def draw_outline(image, mask, colour, width=1):
    """``image`` with the outline of ``mask`` painted in ``colour``."""
    return paint(image, outline(mask, width), colour)


def grid_lines(height, width, step=32, thickness=2):
    """A 0/1 uint8 mask of horizontal and vertical lines every ``step`` px."""
    xs = pp.LinearGradientImage((height, width), 0.0, float(width - 1), "horizontal")
    ys = pp.LinearGradientImage((height, width), 0.0, float(height - 1), "vertical")
    on = pp.LogicalOr(pp.Modulo(pp.Round(xs), step) < thickness,
                      pp.Modulo(pp.Round(ys), step) < thickness)
    return pp.Cast(on, "uint8")


def with_grid(image, height, width, step=32, colour=WHITE):
    """The photo with a grid drawn on it, so that a deformation shows."""
    return paint(image, grid_lines(height, width, step), colour)


def gray_to_rgb(gray):
    """A uint8 H x W (or H x W x 1) image as RGB, to sit beside photos."""
    return pp.ConvertColor(gray, "GRAY2RGB")


def tiles(images, columns, gap=4, value=255):
    """Images of one shape side by side, ``columns`` per row, separated and
    framed by ``gap`` pixels of ``value`` (a contact sheet; a short last row
    is filled with blank tiles)."""
    images = list(images)
    images += [images[0] * 0 + value] * (-len(images) % columns)
    images = [pp.Pad(im, gap, 0, gap, 0, "constant", value) for im in images]
    rows = [pp.Concatenate(*images[k:k + columns], axis=1)
            for k in range(0, len(images), columns)]
    sheet = pp.Concatenate(*rows, axis=0) if len(rows) > 1 else rows[0]
    return pp.Pad(sheet, 0, gap, 0, gap, "constant", value)


def thumbnail(image, height, width):
    """The image resized to exactly ``height x width`` (area interpolation)."""
    return pp.Resize(image, (height, width), "area")
