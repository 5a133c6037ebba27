"""Gallery of the image sources (pixelpipes.image.sources).

The sources make images rather than change them, so these examples ignore
the photo they are given and decode the shipped photo files instead
(``pixelpipes/data/photos``).  The file sources are shown as contact sheets
of the images they give, made with the helpers of ``_draw.py`` (pixelpipes
nodes).
"""

import pixelpipes as pp
from pixelpipes.data import PHOTOS_DIR, photo_path
from _draw import tiles

PHOTO = str(photo_path("astronaut"))
TILE = 120


def _square(image, side=TILE):
    """The centred square of an image whose size is only known when the
    sample runs, scaled to ``side x side``: the size is read off
    ``CenterView`` (its translation is ``-(W - 1) / 2, -(H - 1) / 2``)."""
    centre = pp.CenterView(image)
    width, height = 1.0 - 2.0 * centre[0][2], 1.0 - 2.0 * centre[1][2]
    scaled = pp.Scale(image, side / pp.Minimum(width, height), "area")
    return pp.CenterCrop(scaled, side, side)


def load_color(image):
    return pp.LoadImage(PHOTO)


def load_gray(image):
    return pp.LoadImage(PHOTO, mode="gray")


def read_and_decode(image):
    return pp.DecodeImage(pp.ReadFile(PHOTO), mode="color")


def image_folder(image):
    folder = pp.ImageFolder(PHOTOS_DIR, labels=False)
    return tiles([_square(folder.image(k)) for k in range(len(folder))], 3)


def image_files(image):
    names = ["rocket", "coffee", "chelsea"]
    files = pp.ImageFiles([photo_path(n) for n in names], mode="gray")
    return tiles([_square(files.image(k)) for k in range(len(files))], 3)


EXAMPLES = [
    ("LoadImage (mode='color')", load_color),
    ("LoadImage (mode='gray')", load_gray),
    ("DecodeImage(ReadFile(path))", read_and_decode),
    ("ImageFolder(pixelpipes/data/photos, labels=False): its images, in order",
     image_folder, ("ImageFolder", "LoadImage")),
    ("ImageFiles([rocket, coffee, chelsea], mode='gray')", image_files, ("ImageFiles",)),
]
