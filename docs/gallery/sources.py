"""Gallery of the image sources (pixelpipes.image.sources).

The sources make images rather than change them, so these examples ignore
the photo they are given and decode a shipped photo file instead.
"""

import pixelpipes as pp
from pixelpipes.data import photo_path

PHOTO = str(photo_path("astronaut"))


def load_color(image):
    return pp.LoadImage(PHOTO)


def load_gray(image):
    return pp.LoadImage(PHOTO, mode="gray")


def read_and_decode(image):
    return pp.DecodeImage(pp.ReadFile(PHOTO), mode="color")


EXAMPLES = [
    ("LoadImage (mode='color')", load_color),
    ("LoadImage (mode='gray')", load_gray),
    ("DecodeImage(ReadFile(path))", read_and_decode),
]
