"""Flow control: lazy conditionals and random branches.

Only the branch that is taken runs: the compiler places the nodes that only a
branch needs inside that branch of the program.
"""

from __future__ import annotations

import numpy as np

from ..errors import GraphError
from ..graph import Macro, Node
from ..types import Tensor, join

__all__ = ["Conditional", "Select", "Switch", "Toggle"]


def _check_selector(t, what):
    if not (isinstance(t, Tensor) and t.shape == ()):
        raise GraphError(f"{what} must be a scalar, got {t}")


class Conditional(Node):
    """``true`` if ``condition`` is non-zero, else ``false``; lazily.

    Parameters
    ----------
    condition : Node
        A scalar.
    true, false : Node or value
        The two branches; they must have the same kind of value and
        element type.  Only the chosen one is computed.
    """

    branches = (1, 2)
    control = "jump_if_false"
    aliases = True

    def __init__(self, condition, true, false, *, name=None):
        super().__init__(condition, true, false, name=name)

    def infer(self, cond, a, b):
        _check_selector(cond, "the condition")
        return join(a, b)

    def choose(self, cond):
        return 1 if bool(np.asarray(cond)) else 2


class Select(Node):
    """Branch ``index`` of ``branches`` (0-based); only that branch runs.

    Parameters
    ----------
    index : Node
        An integer scalar; out-of-range values fail the sample.
    *branches : Node or value
        Values of the same kind and element type.
    """

    control = "jump_table"
    aliases = True

    def __init__(self, index, *branches, name=None):
        if len(branches) < 1:
            raise GraphError("Select needs at least one branch")
        super().__init__(index, *branches, name=name)
        self.branches = tuple(range(1, len(branches) + 1))

    def params(self):
        return (len(self.branches),)

    def infer(self, index, *branches):
        _check_selector(index, "the branch index")
        if index.dtype is not None and index.dtype.kind not in "iub":
            raise GraphError(f"the branch index must be an integer, got {index}")
        out = branches[0]
        for b in branches[1:]:
            out = join(out, b)
        return out

    def choose(self, index):
        k = int(np.asarray(index))
        if not 0 <= k < len(self.branches):
            raise GraphError(f"branch index {k} out of range [0, {len(self.branches)})")
        return k + 1


class Switch(Macro):
    """One of ``branches`` picked at random with probabilities proportional to
    ``weights``; only the picked branch runs.

    Parameters
    ----------
    branches : sequence of Node or value
        The alternatives.
    weights : sequence of float, optional
        Non-negative weights (equal if omitted).
    key : str, optional
        Random key (see :class:`~pixelpipes.graph.Node`).
    """

    def __init__(self, branches, weights=None, *, name=None, key=None):
        branches = list(branches)
        if not branches:
            raise GraphError("Switch needs at least one branch")
        if weights is None:
            weights = [1.0] * len(branches)
        weights = [float(w) for w in weights]
        if len(weights) != len(branches):
            raise GraphError("Switch needs one weight per branch")
        if any(not np.isfinite(w) or w < 0 for w in weights) or sum(weights) <= 0:
            raise GraphError(f"Switch weights must be finite, >= 0 and not all 0: {weights}")
        super().__init__(*branches, name=name, key=key)
        self.weights = tuple(weights)

    def params(self):
        return self.weights

    def expand(self, *branches):
        from .random import RandomChoiceIndex

        index = RandomChoiceIndex(list(self.weights), name=self.name)
        return Select(index, *branches, name=self.name)


class Toggle(Macro):
    """``on`` with probability ``p``, else ``off`` (lazily).

    Parameters
    ----------
    p : float or Node
        Probability of ``on``.
    on, off : Node or value
        The two branches.
    key : str, optional
        Random key.
    """

    def __init__(self, p, on, off, *, name=None, key=None):
        super().__init__(p, on, off, name=name, key=key)

    def expand(self, p, on, off):
        from .random import RandomBernoulli

        return Conditional(RandomBernoulli(p, name=self.name), on, off, name=self.name)
