"""The compiler: from a graph of nodes to a flat :class:`~pixelpipes.program.Program`.

Passes, in order (see ``docs/architecture.md``):

1. **Keys** -- every random node and macro gets a stable 64-bit key.
2. **Lowering** -- variables become constants, macros expand (they may look at
   the inferred types of their inputs), every node's type is inferred, and --
   when optimising -- all-constant pure nodes are folded by running their
   kernel once and identical nodes are merged (CSE).  Only nodes reachable
   from an output are visited, which removes dead nodes.
3. **Scheduling** -- nodes are ordered; those needed only by one branch of a
   conditional are placed inside that branch, so only the branch taken runs.
4. **Slot allocation** -- values whose lifetimes do not overlap share a slot
   (and so the slot's memory); constants get slots of their own.
"""

from __future__ import annotations

import hashlib
import struct
import sys
import threading
from typing import Dict, List, Optional

import numpy as np

from . import graph as g
from .errors import GraphError, PixelPipesError
from .fusion import Fuser, Lowered
from .program import NodeInfo, Op, OutputSpec, Program
from .types import Tensor, Type, refine, type_of_value

_local = threading.local()


def current_compiler() -> "Compiler":
    comp = getattr(_local, "compiler", None)
    if comp is None:
        raise GraphError("node types are only known while a graph compiles "
                         "(inside Macro.expand)")
    return comp


def stable_hash(*parts) -> int:
    """64-bit hash of ``parts`` that is the same in every process."""
    h = hashlib.blake2b(digest_size=8)
    for p in parts:
        if isinstance(p, np.ndarray):
            h.update(b"a" + p.dtype.str.encode() + repr(p.shape).encode())
            h.update(np.ascontiguousarray(p).tobytes())
        elif isinstance(p, int) and not isinstance(p, bool):
            h.update(b"i" + p.to_bytes(16, "little", signed=True))
        else:
            h.update(b"r" + repr(p).encode())
        h.update(b"|")
    return struct.unpack("<Q", h.digest())[0]


class IR:
    """A lowered node: a kernel node, a flow-control node or a constant."""

    __slots__ = ("node", "inputs", "type", "key", "value", "index")

    def __init__(self, node, inputs, type_, key=0, value=None):
        self.node = node
        self.inputs: List[IR] = inputs
        self.type: Type = type_
        self.key = key
        self.value = value          # for constants
        self.index = -1             # position in the node table

    @property
    def is_constant(self):
        return isinstance(self.node, g.Constant)


def _wrap(node, exc) -> GraphError:
    if isinstance(exc, GraphError) and str(exc).startswith(node.describe()):
        return exc
    return GraphError(f"{node.describe()}: {exc}")


#: The optimisation switches of :func:`compile_graph` (all on by default).
OPTIMIZATIONS = ("fold", "cse", "fuse_geometry", "fuse_pixels", "fuse_decode")


def optimize_options(optimize) -> Dict[str, bool]:
    """The switches that ``optimize`` turns on: ``True`` (all), ``False``
    (none), or a mapping of some of :data:`OPTIMIZATIONS` to booleans (the
    ones not named stay on)."""
    if isinstance(optimize, (bool, np.bool_)):
        return {name: bool(optimize) for name in OPTIMIZATIONS}
    if not hasattr(optimize, "items"):
        raise GraphError(f"optimize must be True, False or a dict of switches "
                         f"{list(OPTIMIZATIONS)}, got {optimize!r}")
    unknown = sorted(set(optimize) - set(OPTIMIZATIONS))
    if unknown:
        raise GraphError(f"unknown optimize switches {unknown}; known: {list(OPTIMIZATIONS)}")
    options = {name: True for name in OPTIMIZATIONS}
    for name, on in optimize.items():
        if not isinstance(on, (bool, np.bool_)):
            raise GraphError(f"optimize[{name!r}] must be True or False, got {on!r}")
        options[name] = bool(on)
    return options


class Compiler:
    def __init__(self, seed: int, variables: Optional[dict], options: Dict[str, bool]):
        self.seed = seed
        self.variables = dict(variables or {})
        self.used_variables = set()
        self.options = options          # from optimize_options
        self.memo: Dict[int, IR] = {}
        self.keep = []              # user nodes, so that their ids stay unique
        self.keys: Dict[int, int] = {}
        self.shashes: Dict[int, int] = {}
        self.cse: Dict[tuple, IR] = {}
        self.scope = 0
        self._kernels = None
        self._fold_cache: Dict[tuple, object] = {}

    def unfolded(self) -> "Compiler":
        """A compiler like this one (same seed, variables, keys) that does not
        fold constants, to look at the structure folding would hide."""
        other = getattr(self, "_unfolded", None)
        if other is None:
            options = dict(self.options, fold=False)
            other = self._unfolded = Compiler(self.seed, self.variables, options)
            other.keys = self.keys
            other.shashes = self.shashes
            other.keep = self.keep
            other.used_variables = self.used_variables
        return other

    # -- keys ------------------------------------------------------------------

    def shash(self, node) -> int:
        """Structural hash: class, parameters and inputs, not names."""
        h = self.shashes.get(id(node))
        if h is None:
            if isinstance(node, g.Constant):
                h = stable_hash("const", *_flatten_constant(node.value))
            elif isinstance(node, g.Variable):
                h = stable_hash("var", node.variable)
            else:
                h = stable_hash(type(node).__module__, type(node).__qualname__,
                                node.params(), *[self.shash(i) for i in node.inputs])
            self.shashes[id(node)] = h
            self.keep.append(node)
        return h

    def assign_keys(self, roots, scope: int):
        """Keys of the random nodes and macros of ``scope`` reachable from
        ``roots``: an explicit key, else (structure, rank among structurally
        identical nodes of the scope in creation order)."""
        seen, keyed, stack = set(), [], list(roots)
        while stack:
            node = stack.pop()
            if id(node) in seen or id(node) in self.keys:
                continue
            seen.add(id(node))
            self.keep.append(node)
            if getattr(node, "scope", 0) != scope:
                continue
            if node.random or isinstance(node, g.Macro):
                keyed.append(node)
            stack.extend(node.inputs)
        groups: Dict[int, list] = {}
        for node in keyed:
            if node.key is not None:
                self.keys[id(node)] = stable_hash("key", scope, str(node.key))
            else:
                groups.setdefault(self.shash(node), []).append(node)
        for h, nodes in groups.items():
            for rank, node in enumerate(sorted(nodes, key=lambda n: n.serial)):
                self.keys[id(node)] = stable_hash("auto", scope, h, rank)

    # -- lowering --------------------------------------------------------------

    def lower(self, node) -> IR:
        ir = self.memo.get(id(node))
        if ir is not None:
            return ir
        if isinstance(node, Lowered):
            return node.ir
        if not isinstance(node, g.Node):
            raise GraphError(f"not a graph node: {node!r}")
        self.keep.append(node)
        if isinstance(node, g.Output):
            ir = self.lower(node.inputs[0])
        elif isinstance(node, g.Variable):
            if node.variable in self.variables:
                self.used_variables.add(node.variable)
                value = self.variables[node.variable]
            else:
                value = node.default
            try:
                const = g.Constant(value, name=node.name)
            except GraphError as exc:
                raise _wrap(node, exc) from None
            const.site = node.site
            ir = self.lower(const)
        elif isinstance(node, g.Macro):
            ir = self._expand(node)
        elif isinstance(node, g.Constant):
            ir = self._constant(node, node.value, node.value_type)
        else:
            ir = self._operation(node)
        self.memo[id(node)] = ir
        return ir

    def _constant(self, node, value, type_) -> IR:
        ident = ("const", self.shash(node), type_)
        if ident in self.cse:
            return self.cse[ident]
        ir = IR(node, [], type_, value=value)
        self.cse[ident] = ir
        return ir

    def _expand(self, node) -> IR:
        for i in node.inputs:
            self.lower(i)
        key = self.keys.get(id(node))
        if key is None:
            self.assign_keys([node], getattr(node, "scope", 0))
            key = self.keys[id(node)]
        outer = self.scope
        self.scope = key
        g._local.scope = key
        try:
            result = node.expand(*node.inputs)
        except PixelPipesError as exc:
            raise _wrap(node, exc) from None
        except (TypeError, ValueError) as exc:
            raise _wrap(node, exc) from exc
        finally:
            self.scope = outer
            g._local.scope = outer
        result = g.as_node(result)
        self.assign_keys([result], key)
        return self.lower(result)

    def _operation(self, node) -> IR:
        inputs = [self.lower(i) for i in node.inputs]
        types = [i.type for i in inputs]
        try:
            type_ = node.infer(*types)
        except NotImplementedError:
            raise
        except (GraphError, TypeError, ValueError, IndexError) as exc:
            raise _wrap(node, exc) from None
        key = 0
        if node.random:
            if id(node) not in self.keys:
                self.assign_keys([node], getattr(node, "scope", 0))
            key = self.keys[id(node)]
        if node.branches:
            cond = [inputs[k] for k in range(len(inputs)) if k not in node.branches]
            if self.options["fold"] and all(c.is_constant for c in cond):
                try:
                    chosen = node.choose(*[c.value for c in cond])
                except (GraphError, TypeError, ValueError) as exc:
                    raise _wrap(node, exc) from None
                if chosen is not None:
                    return inputs[chosen]
        ident = None
        if self.options["cse"]:
            ident = (type(node), node.params(), tuple(id(i) for i in inputs), key)
            if ident in self.cse:
                return self.cse[ident]
        ir = IR(node, inputs, type_, key)
        if (self.options["fold"] and node.pure and not node.random and not node.branches
                and node.kernel is not None and all(i.is_constant for i in inputs)):
            ir = self._fold(ir)
        if ident is not None:
            self.cse[ident] = ir
        return ir

    def _fold(self, ir: IR) -> IR:
        """Evaluate an all-constant pure node with its own kernel."""
        from .pipeline import evaluate_once

        node = ir.node
        try:
            iparams, fparams = node.encode([i.type for i in ir.inputs], ir.type)
            consts = [(k, i.value) for k, i in enumerate(ir.inputs)]
            n = len(consts)
            op = Op(node.kernel, n, list(range(n)), list(iparams), list(fparams), 0, 0)
            prog = Program(seed=self.seed, n_slots=n + 1, code=[op], constants=consts,
                           outputs=[OutputSpec("value", n, 0, None, None)],
                           nodes=[NodeInfo(type(node).__name__, node.name or "", node.site)])
            value = evaluate_once(prog)
        except PixelPipesError as exc:
            raise GraphError(f"{node.describe()}: while folding constants: "
                             f"{getattr(exc, 'reason', None) or exc}") from None
        const = g.Constant.__new__(g.Constant)
        g.Node.__init__(const, name=node.name)
        const.site = node.site
        const.value = g._normalise_constant(value) if not isinstance(value, np.ndarray) else value
        type_ = refine(ir.type, type_of_value(value))
        const.value_type = type_
        return self._constant(const, const.value, type_)


def _flatten_constant(value):
    if isinstance(value, list):
        out = ["list", len(value)]
        for v in value:
            out.extend(_flatten_constant(v))
        return out
    return [value]


# ------------------------------------------------------------------ scheduling

class _Emitter:
    def __init__(self):
        self.code: List[Op] = []
        self.vreg: Dict[int, int] = {}
        self.irs: List[IR] = []
        self.node_index: Dict[int, int] = {}
        self.nodes: List[NodeInfo] = []

    def reg(self, ir: IR) -> int:
        r = self.vreg.get(id(ir))
        if r is None:
            r = self.vreg[id(ir)] = len(self.irs)
            self.irs.append(ir)
        return r

    def info(self, ir: IR) -> int:
        k = self.node_index.get(id(ir.node))
        if k is None:
            node = ir.node
            k = self.node_index[id(node)] = len(self.nodes)
            cls = getattr(node, "info_class", None) or type(node).__name__
            self.nodes.append(NodeInfo(cls, node.name or "", node.site))
        return k

    def emit_scope(self, roots: List[IR], available: set):
        needed: Dict[int, IR] = {}

        def need(stack):
            while stack:
                ir = stack.pop()
                if id(ir) in needed or id(ir) in available or ir.is_constant:
                    continue
                needed[id(ir)] = ir
                br = ir.node.branches
                stack.extend(i for k, i in enumerate(ir.inputs) if k not in br)

        def reach(root):
            """Nodes a branch always uses that are not computed already (the
            branches of a nested flow-control node stay lazy inside it)."""
            seen, st = {}, [root]
            while st:
                x = st.pop()
                if id(x) in seen or id(x) in available or id(x) in needed or x.is_constant:
                    continue
                seen[id(x)] = x
                br = x.node.branches
                st.extend(i for k, i in enumerate(x.inputs) if k not in br)
            return seen

        need(list(roots))
        # A node that two branches of a flow-control node use is hoisted out
        # in front of it: computing it in each branch would copy the code
        # once per branch, and recursively, exponentially in the nesting.
        done = set()
        while True:
            pending = [ir for ir in needed.values() if ir.node.branches and id(ir) not in done]
            if not pending:
                break
            for ir in pending:
                done.add(id(ir))
                counts: Dict[int, int] = {}
                nodes: Dict[int, IR] = {}
                for k in ir.node.branches:
                    for key, x in reach(ir.inputs[k]).items():
                        counts[key] = counts.get(key, 0) + 1
                        nodes[key] = x
                shared = [nodes[key] for key, c in counts.items() if c > 1]
                if shared:
                    need(shared)

        def deps(ir):
            br = ir.node.branches
            d = [i for k, i in enumerate(ir.inputs) if k not in br]
            if br:
                # Nodes that run anyway and that a branch uses must run first.
                seen, st = set(), [ir.inputs[k] for k in br]
                while st:
                    x = st.pop()
                    if id(x) in seen or id(x) in available or x.is_constant:
                        continue
                    seen.add(id(x))
                    if id(x) in needed:
                        d.append(x)
                    else:
                        st.extend(x.inputs)
            return [x for x in d if id(x) in needed]

        order, state = [], {}
        for root in roots:
            if id(root) not in needed:
                continue
            stack = [(root, False)]
            while stack:
                ir, done = stack.pop()
                if done:
                    if state.get(id(ir)) != 2:
                        state[id(ir)] = 2
                        order.append(ir)
                    continue
                if state.get(id(ir)):
                    continue
                state[id(ir)] = 1
                stack.append((ir, True))
                for dep in reversed(deps(ir)):
                    if not state.get(id(dep)):
                        stack.append((dep, False))

        avail = set(available)
        for ir in order:
            if ir.node.branches:
                self.emit_control(ir, avail)
            else:
                iparams, fparams = ir.node.encode([i.type for i in ir.inputs], ir.type)
                self.code.append(Op(ir.node.kernel, self.reg(ir),
                                    [self.reg(i) for i in ir.inputs],
                                    [int(x) for x in iparams], [float(x) for x in fparams],
                                    ir.key, self.info(ir)))
            avail.add(id(ir))

    def emit_control(self, ir: IR, available: set):
        node, out = ir.node, self.reg(ir)
        selector = [i for k, i in enumerate(ir.inputs) if k not in node.branches]
        branches = [ir.inputs[k] for k in node.branches]
        info = self.info(ir)
        jump = Op(node.control, -1, [self.reg(s) for s in selector],
                  [0] * (1 if node.control == "jump_if_false" else len(branches)),
                  [], 0, info)
        self.code.append(jump)
        # jump_if_false falls through into branch 0 and jumps to branch 1.
        ends = []
        for b, branch in enumerate(branches):
            if node.control == "jump_table":
                jump.iparams[b] = len(self.code)
            elif b == 1:
                jump.iparams[0] = len(self.code)
            self.emit_scope([branch], available)
            self.code.append(Op("move", out, [self.reg(branch)], [], [], 0, info))
            if b < len(branches) - 1:
                ends.append(Op("jump", -1, [], [0], [], 0, info))
                self.code.append(ends[-1])
        for j in ends:
            j.iparams[0] = len(self.code)


def _allocate(em: _Emitter, outputs: List[IR]):
    """Slots for virtual registers: constants first, then a linear scan
    over lifetimes (aliasing ops keep their inputs alive)."""
    n = len(em.irs)
    end_pos = len(em.code)
    start = [None] * n
    end = [-1] * n
    for pos, op in enumerate(em.code):
        if op.out >= 0:
            start[op.out] = pos if start[op.out] is None else min(start[op.out], pos)
            end[op.out] = max(end[op.out], pos)
        for a in op.args:
            end[a] = max(end[a], pos)
    for ir in outputs:
        end[em.reg(ir)] = end_pos
    changed = True
    while changed:
        changed = False
        for op in reversed(em.code):
            if op.out < 0 or not (op.kernel == "move" or em.irs[op.out].node.aliases):
                continue
            for a in op.args:
                if end[a] < end[op.out]:
                    end[a] = end[op.out]
                    changed = True
    slot = [-1] * n
    constants = []
    n_slots = 0
    for r, ir in enumerate(em.irs):
        if ir.is_constant:
            slot[r] = n_slots
            constants.append((n_slots, ir.value))
            n_slots += 1
    order = sorted((r for r in range(n) if not em.irs[r].is_constant and start[r] is not None),
                   key=lambda r: (start[r], r))
    free, active = [], []
    import heapq

    for r in order:
        still = []
        for a in active:
            if end[a] < start[r]:
                heapq.heappush(free, slot[a])
            else:
                still.append(a)
        active = still
        if free:
            slot[r] = heapq.heappop(free)
        else:
            slot[r] = n_slots
            n_slots += 1
        active.append(r)
    for op in em.code:
        if op.out >= 0:
            op.out = slot[op.out]
        op.args = [slot[a] for a in op.args]
    return slot, constants, max(n_slots, 1)


def compile_graph(graph, seed: int = 0, variables: Optional[dict] = None,
                  optimize=True) -> Program:
    """Compile ``graph`` into a :class:`~pixelpipes.program.Program`.

    See :meth:`pixelpipes.graph.Graph.compile` for the parameters.
    """
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or not 0 <= seed < 2 ** 64:
        raise GraphError(f"seed must be an integer in [0, 2**64), got {seed!r}")
    if not graph.outputs:
        raise GraphError("the graph has no outputs; mark results with pp.Output(node, label)")
    comp = Compiler(int(seed), variables, optimize_options(optimize))
    previous = getattr(_local, "compiler", None)
    _local.compiler = comp
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 20000))
    try:
        comp.assign_keys(list(graph.outputs), 0)
        outs = [(o, comp.lower(o)) for o in graph.outputs]
        fused = Fuser(comp, [ir for _, ir in outs]).run([ir for _, ir in outs])
        outs = [(o, ir) for (o, _), ir in zip(outs, fused)]
    finally:
        _local.compiler = previous
        sys.setrecursionlimit(limit)
    unknown = set(comp.variables) - comp.used_variables
    if unknown:
        raise GraphError(f"variables {sorted(unknown)} are not used by the graph")

    em = _Emitter()
    em.emit_scope([ir for _, ir in outs], set())
    for _, ir in outs:
        em.reg(ir)
    slot, constants, n_slots = _allocate(em, [ir for _, ir in outs])
    outputs = []
    for o, ir in outs:
        t = ir.type
        fixed = isinstance(t, Tensor) and t.fixed
        outputs.append(OutputSpec(
            o.label, slot[em.reg(ir)], em.info(ir) if not ir.is_constant else _const_info(em, o),
            t.dtype.name if fixed else None, list(t.shape) if fixed else None,
            t.describe()))
    return Program(seed=int(seed), n_slots=n_slots, code=em.code, constants=constants,
                   outputs=outputs, nodes=em.nodes)


def _const_info(em: _Emitter, out) -> int:
    k = len(em.nodes)
    em.nodes.append(NodeInfo("Output", out.label, out.site))
    return k
