"""Gallery of the resize and axis-aligned geometry operations.

``EXAMPLES`` lists ``(title, function)`` pairs: ``function(image)`` takes a
node holding an RGB uint8 photo and returns the node whose output shows the
operation (an RGB uint8 image).  The reference pages render them on a
shipped photo.  Ops that return boxes or decide at random are drawn with the
helpers of ``_draw.py`` (pixelpipes nodes).
"""

import pixelpipes as pp
from _draw import COLOURS, draw_outline, rectangle_mask, sized, thumbnail, tiles


def _upscaled_detail(interpolation):
    """A 48 x 48 detail enlarged 5 times, so the interpolation shows."""
    def make(image):
        return pp.ResizedCrop(image, 200, 80, 48, 48, (240, 240), interpolation)
    return make


def _crop_boxes(image):
    """Four RandomResizedCropBox boxes of one sample (four keys), outlined."""
    def build(im, h, w):
        for k in range(4):
            top, left, height, width = (pp.RandomResizedCropBox(im, key=f"box{k}")[j]
                                        for j in range(4))
            box = pp.MakeRectangle(left, top, left + width, top + height)
            im = draw_outline(im, rectangle_mask(box, (h, w)), COLOURS[k], 2)
        return im
    return sized(image, build)


def _random_flips(image):
    """Six RandomFlip draws (six keys) of a small copy of the photo."""
    small = thumbnail(image, 120, 120)
    return tiles([pp.RandomFlip(small, 0.5, key=f"flip{k}") for k in range(6)], 3)


EXAMPLES = [
    ("Resize to 128 x 256 (linear)", lambda image: pp.Resize(image, (128, 256))),
    ("Scale by 0.25 (area)", lambda image: pp.Scale(image, 0.25, "area")),
    ("Detail enlarged 5x, nearest", _upscaled_detail("nearest")),
    ("Detail enlarged 5x, linear", _upscaled_detail("linear")),
    ("Detail enlarged 5x, cubic", _upscaled_detail("cubic")),
    ("Detail enlarged 5x, lanczos", _upscaled_detail("lanczos")),
    ("Crop (x=150, y=40, 220 x 200)", lambda image: pp.Crop(image, 150, 40, 220, 200)),
    ("SafeCrop reaching past the corner (reflect)",
     lambda image: pp.SafeCrop(image, 300, -120, 320, 320, "reflect")),
    ("Pad 60 px, constant grey", lambda image: pp.Pad(image, 60, 60, 60, 60, "constant", 128)),
    ("Pad 60 px, replicate", lambda image: pp.Pad(image, 60, 60, 60, 60, "replicate")),
    ("Pad 60 px, reflect", lambda image: pp.Pad(image, 60, 60, 60, 60, "reflect")),
    ("Pad 60 px, reflect_101", lambda image: pp.Pad(image, 60, 60, 60, 60, "reflect_101")),
    ("Pad 60 px, wrap", lambda image: pp.Pad(image, 60, 60, 60, 60, "wrap")),
    ("CenterCrop 256 x 256", lambda image: pp.CenterCrop(image, 256, 256)),
    ("RandomCrop 256 x 256 (sample 0)", lambda image: pp.RandomCrop(image, 256, 256)),
    ("RandomResizedCrop to 224 x 224 (sample 0)",
     lambda image: pp.RandomResizedCrop(image, (224, 224))),
    ("Flip horizontal", lambda image: pp.Flip(image, horizontal=True)),
    ("Flip vertical", lambda image: pp.Flip(image, horizontal=False, vertical=True)),
    ("RandomResizedCropBox: four boxes of one sample (four keys)", _crop_boxes),
    ("RandomFlip (p = 0.5, horizontal): six draws", _random_flips),
    ("TransposeImage", lambda image: pp.TransposeImage(image)),
    ("Rotate90, k=1 (counter-clockwise)", lambda image: pp.Rotate90(image, 1)),
    ("Rotate90, k=3 (clockwise)", lambda image: pp.Rotate90(image, 3)),
]
