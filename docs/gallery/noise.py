"""Gallery of the noise, dropout and synthetic-image operations.

``EXAMPLES`` lists ``(title, function)`` pairs: ``function(image)`` takes a
node holding an RGB uint8 photo and returns the node whose output shows the
operation (an RGB or grey uint8 image).  The reference pages render them on a
shipped photo (the random ones in sample 0 of a fixed seed).
"""

import numpy as np

import pixelpipes as pp

SIZE = (256, 256, 3)


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
    ("RandomErasing (always)", lambda image: pp.RandomErasing(image, 1.0, value=(255, 0, 0))),
    ("ConstantImage (orange)",
     lambda image: pp.ConstantImage(SIZE, (255, 160, 0), dtype=np.uint8)),
    ("LinearGradientImage, horizontal, blue to yellow",
     lambda image: pp.LinearGradientImage(SIZE, (0, 0, 255), (255, 255, 0), dtype=np.uint8)),
    ("LinearGradientImage at 30 degrees, grey",
     lambda image: pp.LinearGradientImage(SIZE[:2], 0, 255, 30.0, dtype=np.uint8)),
]
