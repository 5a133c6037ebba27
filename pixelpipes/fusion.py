"""The fusion pass: chains of operations that become one kernel call.

It runs on the lowered graph, after constant folding and common
sub-expression elimination and before scheduling (see
``docs/architecture.md``).  Two kinds of chains fuse, each under its own
switch of ``Graph.compile(optimize=...)``:

``fuse_geometry``
    Geometric operations -- crops, pads, resizes, flips (also the random
    flip, ``Conditional(c, Flip(x), x)``), transposes, quarter turns, warps,
    rotations -- become one :class:`~pixelpipes.image.geometry_chain.GeometryChain`
    that reads the source once (rules: ``geometry_chain.can_join``).
``fuse_pixels``
    Per-pixel operations (brightness, contrast, saturation, hue, gamma,
    invert, normalisation, depth conversion, HWC -> CHW) become one
    :class:`~pixelpipes.image.pixel_chain.PixelChain`.
``fuse_decode``
    A JPEG decode followed by a (linear) random resized crop becomes one
    :class:`~pixelpipes.image.decode_crop.DecodedCrop` that decodes at a
    reduced scale when the box allows (see that module).  It is tried
    first, so the ops after the crop fuse among themselves.

Only an intermediate image that nothing else uses is fused away: when a
value feeds two nodes, both read it as it is, and a chain ends there.  The
fused node keeps the name and definition site of the chain's last node, and
``Pipeline.explain()`` shows its stages.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Dict, List

from . import graph as g
from .errors import GraphError
from .ops.flow import Conditional


class Lowered(g.Node):
    """A graph node standing for an already lowered value (used to build
    fused nodes from the lowered graph)."""

    def __init__(self, ir):
        super().__init__()
        self.ir = ir


def count_uses(roots) -> Dict[int, int]:
    """How many times each lowered value is read (outputs count once)."""
    uses: Dict[int, int] = {}
    seen = set()
    stack = list(roots)
    for r in roots:
        uses[id(r)] = uses.get(id(r), 0) + 1
    while stack:
        ir = stack.pop()
        if id(ir) in seen:
            continue
        seen.add(id(ir))
        for i in ir.inputs:
            uses[id(i)] = uses.get(id(i), 0) + 1
            stack.append(i)
    return uses


def geometric_step(value, alone=lambda value: True):
    """``(stages, source, params, readers)`` when the lowered ``value`` is
    made by a fusable geometric node, or by a random flip
    ``Conditional(c, Flip(x), x)`` whose ``Flip`` is ``alone``, else None;
    ``readers``: how many readers ``source`` has inside it."""
    from .image.geometry import Flip
    from .image.geometry_chain import conditional_flip_stage, geometry_stages

    node = value.node
    if isinstance(node, Conditional):
        cond, on, off = value.inputs
        for flip, other, when in ((on, off, True), (off, on, False)):
            if isinstance(flip.node, Flip) and flip.inputs[0] is other and alone(flip):
                return conditional_flip_stage(flip.node, when), other, [cond], 2
        return None
    if node.kernel is None or not value.inputs:
        return None
    stages = geometry_stages(node, [i.type for i in value.inputs])
    if stages is None:
        return None
    return stages, value.inputs[0], list(value.inputs[1:]), 1


def shift_stages(stages, shift):
    """``stages`` with their input positions moved by ``shift``."""
    return [replace(s, inputs=tuple(k + shift for k in s.inputs)) for s in stages]


class Fuser:
    """Rewrites the lowered graph bottom-up, merging each fusable node into
    the chain that makes its input when that input has no other reader."""

    def __init__(self, compiler, roots):
        self.comp = compiler
        self.geometry = compiler.options["fuse_geometry"]
        self.pixels = compiler.options["fuse_pixels"]
        self.decode = compiler.options["fuse_decode"]
        self.uses = count_uses(roots)
        self.done: Dict[int, object] = {}
        self.origin: Dict[int, object] = {}     # rewritten value -> original

    def run(self, roots) -> List:
        if not (self.geometry or self.pixels or self.decode):
            return list(roots)
        return [self.rewrite(r) for r in roots]

    def rewrite(self, ir):
        out = self.done.get(id(ir))
        if out is not None:
            return out
        stack = [(ir, False)]
        while stack:
            x, ready = stack.pop()
            if id(x) in self.done:
                continue
            if not ready:
                stack.append((x, True))
                stack.extend((i, False) for i in x.inputs if id(i) not in self.done)
                continue
            self.done[id(x)] = self.fuse(x)
        return self.done[id(ir)]

    # -- one node ------------------------------------------------------------

    def fuse(self, ir):
        from .compiler import IR

        inputs = [self.done[id(i)] for i in ir.inputs]
        if any(a is not b for a, b in zip(inputs, ir.inputs)):
            new = IR(ir.node, inputs, ir.type, ir.key, ir.value)
        else:
            new = ir
        self.origin[id(new)] = ir
        fused = None
        if self.decode:
            fused = self.fuse_decode(ir, new)
        if fused is None and self.geometry:
            fused = self.fuse_geometry(ir, new)
        if fused is None and self.pixels:
            fused = self.fuse_pixels(ir, new)
        if fused is not None:
            self.origin[id(fused)] = ir
            return fused
        return new

    def alone(self, value, readers: int = 1) -> bool:
        """``value`` (rewritten) is read by ``readers`` nodes and no output."""
        original = self.origin.get(id(value), value)
        return self.uses.get(id(original), 0) == readers and not value.is_constant

    def lower(self, node, like):
        node.site = like.node.site
        return self.comp.lower(node)

    # -- decoding --------------------------------------------------------------

    def fuse_decode(self, ir, new):
        from .image.decode_crop import decoded_crop

        if len(new.inputs) != 7:
            return None
        found = decoded_crop(new, new.inputs, self.alone)
        if found is None:
            return None
        node, key = found
        fused = self.lower(node, ir)
        fused.key = key         # the box's key: the same box as unfused
        return fused

    # -- geometry --------------------------------------------------------------

    def geometric(self, value):
        return geometric_step(value, self.alone)

    def fuse_geometry(self, ir, new):
        from .image.geometry_chain import GeometryChain, can_join

        this = self.geometric(new)
        if this is None:
            return None
        stages, source, params, readers = this
        if not self.alone(source, readers):
            return None
        before = self.geometric(source)
        if before is None or not can_join(before[0], stages):
            return None
        first_stages, first, first_params, _ = before
        joined = list(first_stages) + shift_stages(stages, len(first_params))
        node = GeometryChain(Lowered(first), [Lowered(p) for p in first_params + params],
                             joined, ir.type, name=ir.node.name)
        return self.lower(node, ir)

    # -- per-pixel -------------------------------------------------------------

    def fuse_pixels(self, ir, new):
        from .image.pixel_chain import chain_stages, make_chain

        if ir.node.kernel is None or not new.inputs:
            return None
        stages = chain_stages(ir.node)
        if stages is None:
            return None
        source = new.inputs[0]
        if not (self.alone(source) and source.node.kernel is not None and source.inputs):
            return None
        before = chain_stages(source.node)
        if before is None:
            return None
        parts = ([(s, [Lowered(source.inputs[k]) for k in s.inputs]) for s in before]
                 + [(s, [Lowered(new.inputs[k]) for k in s.inputs]) for s in stages])
        try:
            chain = make_chain(Lowered(source.inputs[0]), parts, name=ir.node.name)
            return self.lower(chain, ir)
        except GraphError:          # longer than a chain may be: stop here
            return None
