"""Gallery of the noise, dropout and synthetic-image operations.

``EXAMPLES`` lists ``(title, function)`` pairs: ``function(image)`` takes a
node holding an RGB uint8 photo and returns the node whose output shows the
operation (an RGB or grey uint8 image).  The reference pages render them on a
shipped photo (the random ones in sample 0 of a fixed seed).  The ops that
return rectangles are drawn onto the photo with the helpers of ``_draw.py``
(pixelpipes nodes).
"""

import numpy as np

import pixelpipes as pp
from _draw import YELLOW, boxes_mask, draw_outline, gray_to_rgb, sized, thumbnail, tiles, tint

SIZE = (256, 256, 3)


def _holes(image):
    """The holes of a coarse dropout, outlined and tinted on the photo."""
    holes = pp.DropoutHoles(image, (4, 8), (0.05, 0.15), (0.05, 0.15))
    mask = boxes_mask(image, holes)
    return draw_outline(tint(image, mask, YELLOW, 0.35), mask, YELLOW)


def _holes_image_and_mask(image):
    """One set of holes cut out of the photo and out of a mask alike."""
    def build(im, h, w):
        disc = pp.PointsMask([((w - 1) / 2, (h - 1) / 2)], (h, w), radius=min(h, w) // 3)
        holes = pp.DropoutHoles(im, 6, 0.15, 0.15, key="holes")
        return tiles([thumbnail(pp.EraseRectangles(im, holes), h // 2, w // 2),
                      thumbnail(gray_to_rgb(pp.EraseRectangles(disc, holes, 128)),
                                h // 2, w // 2)], 2)
    return sized(image, build)


def _erasing_boxes(image):
    """Six draws of ErasingBox (p = 0.5): no box, or one, tinted and outlined."""
    small = thumbnail(image, 120, 120)
    shown = []
    for k in range(6):
        mask = boxes_mask(small, pp.ErasingBox(small, 0.5, key=f"erase{k}"))
        shown.append(draw_outline(tint(small, mask, YELLOW, 0.35), mask, YELLOW))
    return tiles(shown, 3)


RECTANGLES = np.array([[40, 60, 200, 140], [300, 250, 470, 330], [120, 380, 260, 500]])


EXAMPLES = [
    ("GaussianNoiseImage (mean 128, std 40)",
     lambda image: pp.GaussianNoiseImage(SIZE, 128, 40, dtype=np.uint8)),
    ("UniformNoiseImage (full uint8 range)",
     lambda image: pp.UniformNoiseImage(SIZE, dtype=np.uint8)),
    ("SaltPepperNoiseImage, p = 0.5 (grey)",
     lambda image: pp.SaltPepperNoiseImage(SIZE[:2], 0.5, dtype=np.uint8)),
    ("BinaryNoiseImage, p = 0.2 (times 255)",
     lambda image: pp.BinaryNoiseImage(SIZE[:2], 0.2, dtype=np.uint8) * 255),
    ("AddGaussianNoise, std 25", lambda image: pp.AddGaussianNoise(image, 25.0)),
    ("AddGaussianNoise, std 25, per pixel (grey noise)",
     lambda image: pp.AddGaussianNoise(image, 25.0, per_channel=False)),
    ("AddUniformNoise in [-40, 40)", lambda image: pp.AddUniformNoise(image, -40, 40)),
    ("SaltAndPepper, amount 0.05", lambda image: pp.SaltAndPepper(image, 0.05)),
    ("SaltAndPepper, amount 0.05, per pixel",
     lambda image: pp.SaltAndPepper(image, 0.05, per_channel=False)),
    ("PixelDropout, p = 0.1", lambda image: pp.PixelDropout(image, 0.1)),
    ("CoarseDropout, 4-8 holes of 5-15% of the size",
     lambda image: pp.CoarseDropout(image, (4, 8), (0.05, 0.15), (0.05, 0.15))),
    ("CoarseDropout filled with noise",
     lambda image: pp.CoarseDropout(image, (4, 8), (0.05, 0.15), (0.05, 0.15), "random")),
    ("Cutout, 3 holes of 120 px (clipped at the border)",
     lambda image: pp.Cutout(image, 3, 120, value=(128, 128, 128))),
    ("DropoutHoles (4-8 holes of 5-15%), outlined", _holes, ("DropoutHoles",)),
    ("DropoutHoles + EraseRectangles: the same 6 holes in the photo and in a mask",
     _holes_image_and_mask, ("DropoutHoles", "EraseRectangles")),
    ("ErasingBox (p = 0.5): six draws, each no box or one", _erasing_boxes, ("ErasingBox",)),
    ("EraseRectangles: three rectangles, value 'random'",
     lambda image: pp.EraseRectangles(image, RECTANGLES, "random")),
    ("RandomErasing (always)", lambda image: pp.RandomErasing(image, 1.0, value=(255, 0, 0))),
    ("ConstantImage (orange)",
     lambda image: pp.ConstantImage(SIZE, (255, 160, 0), dtype=np.uint8)),
    ("LinearGradientImage, horizontal, blue to yellow",
     lambda image: pp.LinearGradientImage(SIZE, (0, 0, 255), (255, 255, 0), dtype=np.uint8)),
    ("LinearGradientImage at 30 degrees, grey",
     lambda image: pp.LinearGradientImage(SIZE[:2], 0, 255, 30.0, dtype=np.uint8)),
]
