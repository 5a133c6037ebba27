"""Exceptions raised by pixelpipes.

Every error names where it happened: the node (its class, label and the
``file:line`` where the user created it), and for run-time errors the sample
index.
"""


class PixelPipesError(Exception):
    """Base class of all pixelpipes errors."""


class GraphError(PixelPipesError, TypeError):
    """The graph is wrong: a type or shape error, a bad argument, a cycle.

    Raised while building or compiling, before any sample runs.
    """


class ExecutionError(PixelPipesError, RuntimeError):
    """A sample failed while running.

    Attributes
    ----------
    sample : int
        Index of the (lowest) failing sample.
    node : str
        Description of the failing node (class, label, definition site).
    reason : str
        What the kernel reported.
    """

    def __init__(self, message, sample=None, node=None, reason=None):
        super().__init__(message)
        self.sample = sample
        self.node = node
        self.reason = reason


class ProgramFileError(PixelPipesError, ValueError):
    """A saved pipeline file is truncated, corrupted, foreign or too new."""
