"""Gallery of the photometric operations.

``EXAMPLES`` lists ``(title, function)`` pairs: ``function(image)`` takes a
node holding an RGB uint8 photo and returns the node whose output shows the
operation (an RGB or gray uint8 image).  The reference pages render them on
a shipped photo.
"""

import numpy as np

import pixelpipes as pp

IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]


def _equalize_luma(image):
    """Histogram equalisation of Y only (YCrCb), which keeps the colours."""
    ycc = pp.ConvertColor(image, "RGB2YCrCb")
    y = pp.EqualizeHistogram(pp.SelectChannels(ycc, 0))
    merged = pp.MergeChannels(y, pp.SelectChannels(ycc, 1), pp.SelectChannels(ycc, 2))
    return pp.ConvertColor(merged, "YCrCb2RGB")


def _clahe_lightness(image):
    """CLAHE of L (Lab), as usually done on colour photos."""
    lab = pp.ConvertColor(image, "RGB2Lab")
    light = pp.CLAHE(pp.SelectChannels(lab, 0), 3.0, (8, 8))
    merged = pp.MergeChannels(light, pp.SelectChannels(lab, 1), pp.SelectChannels(lab, 2))
    return pp.ConvertColor(merged, "Lab2RGB")


def _normalized(image):
    """ImageNet normalisation (float32), stretched back to 0..255 for display."""
    x = pp.Normalize(image, IMAGENET_MEAN, IMAGENET_STD)
    return pp.ConvertDepth(pp.NormalizeMinMax(x, 0.0, 1.0), np.uint8)


def _planes(image):
    """ToCHW: the R, G and B planes one above the other, as gray."""
    width = pp.Length(image[0])
    return pp.Reshape(pp.ToCHW(image), [-1, width])


EXAMPLES = [
    ("ConvertColor RGB2GRAY", lambda image: pp.ConvertColor(image, "RGB2GRAY")),
    ("ConvertColor RGB2BGR", lambda image: pp.ConvertColor(image, "RGB2BGR")),
    ("ConvertColor RGB2HSV (H, S, V shown as R, G, B)",
     lambda image: pp.ConvertColor(image, "RGB2HSV")),
    ("ConvertColor RGB2YCrCb (shown as RGB)", lambda image: pp.ConvertColor(image, "RGB2YCrCb")),
    ("ConvertColor RGB2Lab (shown as RGB)", lambda image: pp.ConvertColor(image, "RGB2Lab")),
    ("Brightness (factor 1.6)", lambda image: pp.Brightness(image, 1.6)),
    ("Contrast (factor 0.4)", lambda image: pp.Contrast(image, 0.4)),
    ("Saturation (factor 2)", lambda image: pp.Saturation(image, 2.0)),
    ("Saturation (factor 0)", lambda image: pp.Saturation(image, 0.0)),
    ("Hue (shift 0.25)", lambda image: pp.Hue(image, 0.25)),
    ("ColorJitter (0.4, 0.4, 0.4, 0.1)", lambda image: pp.ColorJitter(image, 0.4, 0.4, 0.4, 0.1)),
    ("Gamma (gamma 0.5)", lambda image: pp.Gamma(image, 0.5)),
    ("Invert", lambda image: pp.Invert(image)),
    ("Solarize (threshold 128)", lambda image: pp.Solarize(image, 128)),
    ("Posterize (2 bits)", lambda image: pp.Posterize(image, 2)),
    ("Threshold (gray, binary at 128)",
     lambda image: pp.Threshold(pp.ConvertColor(image, "RGB2GRAY"), 128, 255)),
    ("Threshold (trunc at 100)", lambda image: pp.Threshold(image, 100, 255, "trunc")),
    ("EqualizeHistogram (each channel)", lambda image: pp.EqualizeHistogram(image)),
    ("EqualizeHistogram of Y (YCrCb)", _equalize_luma),
    ("CLAHE (clip 3, 8 x 8 tiles, on L of Lab)", _clahe_lightness),
    ("Normalize (ImageNet mean and std, rescaled for display)", _normalized),
    ("NormalizeMinMax of a dark image (to 0..255)",
     lambda image: pp.NormalizeMinMax(pp.Brightness(image, 0.3), 0, 255, None)),
    ("ConvertDepth (to float32 for Gamma 2, and back to uint8)",
     lambda image: pp.ConvertDepth(pp.Gamma(pp.ConvertDepth(image, np.float32), 2.0), np.uint8)),
    ("Blend with a channel permutation (alpha 0.5)",
     lambda image: pp.Blend(image, pp.SelectChannels(image, [2, 0, 1]), 0.5)),
    ("ChannelShuffle", lambda image: pp.ChannelShuffle(image)),
    ("SelectChannels [2, 1, 0]", lambda image: pp.SelectChannels(image, [2, 1, 0])),
    ("SelectChannels 1 (green, as gray)", lambda image: pp.SelectChannels(image, 1)),
    ("MergeChannels (B, G, R planes)",
     lambda image: pp.MergeChannels(*[pp.SelectChannels(image, k) for k in (2, 1, 0)])),
    ("ToCHW (R, G, B planes stacked)", _planes),
]
