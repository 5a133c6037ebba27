"""Engine nodes: the sample index."""

from ..graph import Node
from ..types import Tensor, scalar

__all__ = ["SampleIndex"]


class SampleIndex(Node):
    """The index of the sample being generated, an int64 scalar.

    Examples
    --------
    >>> with pp.Graph() as graph:
    ...     _ = pp.Output(pp.SampleIndex() * 2, "twice")
    >>> int(graph.compile().run(21)["twice"])
    42
    """

    kernel = "sample_index"
    pure = False

    def __init__(self, *, name=None):
        super().__init__(name=name)

    def infer(self) -> Tensor:
        return scalar("int64")
