"""Image operations, one module per group.

Every public node class here is also available as ``pixelpipes.<Name>``.
Images are HWC tensors (``H x W`` or ``H x W x C``, ``C`` in 1..4) of uint8,
uint16, int16 or float32; see ``pixelpipes.image._common``.
"""

from .geometry import *  # noqa: F401,F403
from .warp import *  # noqa: F401,F403
from .views import *  # noqa: F401,F403
from .color import *  # noqa: F401,F403
from .filters import *  # noqa: F401,F403
from .noise import *  # noqa: F401,F403
from .sources import *  # noqa: F401,F403
from . import geometry, warp, views, color, filters, noise, sources

MODULES = (geometry, warp, views, color, filters, noise, sources)
__all__ = [name for mod in MODULES for name in mod.__all__]
