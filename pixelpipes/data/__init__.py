"""Sample photos shipped with pixelpipes, so that examples, docs and the
README quickstart work offline.  See ``photos/LICENSES.md`` for sources and
licences (public domain and CC0)."""

from __future__ import annotations

from pathlib import Path
from typing import List

import numpy as np

PHOTOS_DIR = Path(__file__).parent / "photos"


def photo_names() -> List[str]:
    """Names of the shipped photos, sorted (``"astronaut"``, ``"chelsea"``, ...)."""
    return sorted(p.stem for p in PHOTOS_DIR.glob("*.jpg"))


def photo_path(name: str) -> Path:
    """Path of the shipped photo ``name``.

    Raises
    ------
    ValueError
        If there is no such photo.
    """
    path = PHOTOS_DIR / f"{name}.jpg"
    if not path.is_file():
        raise ValueError(f"no shipped photo {name!r}; choose from {photo_names()}")
    return path


def load_photo(name: str) -> np.ndarray:
    """The shipped photo ``name`` as an RGB ``uint8`` array of shape (H, W, 3)."""
    import cv2

    image = cv2.imread(str(photo_path(name)), cv2.IMREAD_COLOR)
    if image is None:  # pragma: no cover - the package is damaged
        raise OSError(f"cannot decode {photo_path(name)}")
    return np.ascontiguousarray(image[:, :, ::-1])
