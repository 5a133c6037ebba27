"""Operation nodes, one module per family.

Every public node class of these modules is also available as
``pixelpipes.<Name>``.
"""

from .core import *  # noqa: F401,F403
from .arithmetic import *  # noqa: F401,F403
from .logic import *  # noqa: F401,F403
from .random import *  # noqa: F401,F403
from .flow import *  # noqa: F401,F403
from .lists import *  # noqa: F401,F403
from .tensors import *  # noqa: F401,F403
from . import core, arithmetic, logic, random, flow, lists, tensors

__all__ = [name for mod in (core, arithmetic, logic, random, flow, lists, tensors)
           for name in mod.__all__]
