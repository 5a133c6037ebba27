"""Shared checks and names for the image nodes.

Images are HWC tensors: ``H x W`` or ``H x W x C`` with ``C`` in 1..4, of
uint8, uint16, int16 or float32 (float images hold values in [0, 1] where a
range matters).
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from ..errors import GraphError
from ..types import Tensor, Type

IMAGE_DTYPES = tuple(np.dtype(t) for t in (np.uint8, np.uint16, np.int16, np.float32))

#: Border modes and their kernel codes (see _core/_image.pxd).
BORDERS = {"constant": 0, "replicate": 1, "reflect": 2, "reflect_101": 3, "wrap": 4}
#: Interpolation modes and their kernel codes.
INTERPOLATIONS = {"nearest": 0, "linear": 1, "cubic": 2, "area": 3, "lanczos": 4}


def border_code(border: str) -> int:
    """Kernel code of a border mode name (``"reflect101"`` is accepted too)."""
    key = str(border).lower().replace("-", "_")
    if key == "reflect101":
        key = "reflect_101"
    if key not in BORDERS:
        raise GraphError(f"unknown border mode {border!r}; choose from {sorted(BORDERS)}")
    return BORDERS[key]


def interpolation_code(interpolation: str) -> int:
    """Kernel code of an interpolation name."""
    key = str(interpolation).lower()
    if key == "bilinear":
        key = "linear"
    if key == "bicubic":
        key = "cubic"
    if key not in INTERPOLATIONS:
        raise GraphError(f"unknown interpolation {interpolation!r}; "
                         f"choose from {sorted(INTERPOLATIONS)}")
    return INTERPOLATIONS[key]


def check_image(t: Type, what: str = "image", dtypes=IMAGE_DTYPES) -> Tensor:
    """Raise ``GraphError`` unless ``t`` can be an image of one of ``dtypes``."""
    if not isinstance(t, Tensor):
        raise GraphError(f"{what} must be an image tensor, got {t}")
    if t.shape is not None and len(t.shape) not in (2, 3):
        raise GraphError(f"{what} must be H x W or H x W x C, got {t}")
    if t.shape is not None and len(t.shape) == 3 and t.shape[2] is not None \
            and not 1 <= t.shape[2] <= 4:
        raise GraphError(f"{what} must have 1 to 4 channels, got {t}")
    if t.dtype is not None and t.dtype not in dtypes:
        names = ", ".join(d.name for d in dtypes)
        raise GraphError(f"{what} must be of {names}, got {t}")
    return t


def channels_of(t: Tensor) -> Optional[int]:
    """Channel count of an image type (1 for H x W), None if unknown."""
    if t.shape is None:
        return None
    return 1 if len(t.shape) == 2 else t.shape[2]


_KEEP = object()


def image_type(t: Tensor, height=_KEEP, width=_KEEP, dtype=None) -> Tensor:
    """``t`` with a new height/width/dtype, keeping layout and channels.

    A height or width that is not given is kept; ``None`` makes it unknown.
    """
    dtype = t.dtype if dtype is None else np.dtype(dtype)
    if t.shape is None:
        return Tensor(dtype, None)
    height = t.shape[0] if height is _KEEP else height
    width = t.shape[1] if width is _KEEP else width
    return Tensor(dtype, (height, width) + tuple(t.shape[2:]))
