"""pixelpipes: repeatable, infinite streams of training samples.

Describe sampling and augmentation as a graph of nodes, compile it, and draw
samples, batches or streams from the compiled pipeline::

    import pixelpipes as pp

    with pp.Graph() as graph:
        pp.Output(pp.RandomUniform(0, 1), "x")
    pipeline = graph.compile(seed=7)
    pipeline.run(12)                  # {'x': array(0.37...)}
    pipeline.batch(range(64))         # {'x': array of shape (64,)}
"""

import os as _os

# Idle OpenMP threads sleep between batches instead of spinning: a spinning
# thread takes a core from the training loop that consumes the batches.  The
# OpenMP runtime reads OMP_WAIT_POLICY once, when it loads (with the first
# compiled module); the variable is removed again so that other OpenMP
# libraries loaded later keep their own default.  A value the user set wins.
_policy_added = "OMP_WAIT_POLICY" not in _os.environ
if _policy_added:
    _os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
try:
    from ._core import _parallel  # noqa: F401  (loads the OpenMP runtime)
finally:
    if _policy_added:
        del _os.environ["OMP_WAIT_POLICY"]

from .errors import ExecutionError, GraphError, PixelPipesError, ProgramFileError
from .graph import Constant, Graph, Macro, Node, Output, Variable, as_node, compile
from .parallel import build_info, effective_n_threads
from .pipeline import Batch, Pipeline, load
from .ops import *  # noqa: F401,F403
from .image import *  # noqa: F401,F403
from . import types
from .ops import __all__ as _ops_all
from .image import __all__ as _image_all

__version__ = "0.1.0"

__all__ = [
    "Batch", "Constant", "ExecutionError", "Graph", "GraphError", "Macro", "Node",
    "Output", "Pipeline", "PixelPipesError", "ProgramFileError", "Variable", "as_node",
    "build_info", "compile", "effective_n_threads", "load", "types",
] + list(_ops_all) + list(_image_all)
