"""The compiled program, its readable form, and its file format.

A :class:`Program` is a flat list of :class:`Op` instructions over numbered
slots, a table of constants (slot, value), the outputs, and a table of the
nodes the instructions came from (for error messages).  It holds no Python
graph objects, so a saved program loads without the code that built it.

File format (version 1), all integers little-endian::

    8 bytes   magic b"PIXPIPE1"
    u32       format version
    u64       payload length
    u32       CRC-32 of the payload
    payload:  u32 header length, UTF-8 JSON header, then the constant arrays,
              each in NumPy's ``.npy`` format (pickles refused)
"""

from __future__ import annotations

import io
import json
import struct
import zlib
from dataclasses import dataclass, field
from typing import List, Optional

import numpy as np

from .errors import ProgramFileError

MAGIC = b"PIXPIPE1"
FORMAT_VERSION = 1
_HEAD = struct.Struct("<8sIQI")


@dataclass
class Op:
    """One instruction: ``out = kernel(args..., iparams, fparams)``.

    ``kernel`` is a kernel name or a control op (``jump``, ``jump_if_false``,
    ``jump_table``, ``move``); ``out`` is -1 for jumps, whose targets are in
    ``iparams``.  ``key`` is the node's random key; ``node`` indexes
    :attr:`Program.nodes`.
    """

    kernel: str
    out: int
    args: List[int]
    iparams: List[int]
    fparams: List[float]
    key: int
    node: int


@dataclass
class OutputSpec:
    """An output: its label, slot, node, and -- for fixed-shape tensors --
    dtype and shape (outputs without them come back as lists)."""

    label: str
    slot: int
    node: int
    dtype: Optional[str]
    shape: Optional[List[int]]
    type: str = ""


@dataclass
class NodeInfo:
    """Where an instruction came from: node class, label, ``file:line``."""

    cls: str
    label: str
    site: str

    def describe(self) -> str:
        label = f" {self.label!r}" if self.label else ""
        return f"{self.cls}{label} (defined at {self.site})"


@dataclass
class Program:
    """A compiled pipeline program (see the module docstring)."""

    seed: int
    n_slots: int
    code: List[Op]
    constants: list
    outputs: List[OutputSpec]
    nodes: List[NodeInfo] = field(default_factory=list)

    # -- checks ------------------------------------------------------------------

    def check_dataflow(self) -> None:
        """Raise ``ValueError`` unless every slot an instruction (or an output)
        reads holds a value on every path to it: a constant, or the output of
        an instruction before it on that path.

        The executor runs this on every program it is given, so a program
        file put together by hand cannot make a kernel read a slot nothing
        wrote.  Jumps only go forward (the executor checks), so one pass in
        program order meets every predecessor of an instruction before it.
        """
        n = len(self.code)
        reach: List[Optional[frozenset]] = [None] * (n + 1)
        reach[0] = frozenset(slot for slot, _ in self.constants)

        def flow(target, defined):
            if 0 <= target <= n:
                reach[target] = defined if reach[target] is None else reach[target] & defined

        for pc, op in enumerate(self.code):
            defined = reach[pc]
            if defined is None:         # unreachable: never runs
                continue
            for slot in op.args:
                if slot not in defined:
                    raise ValueError(f"instruction {pc} ({op.kernel}) reads slot {slot} "
                                     "before any value is written to it")
            if op.out >= 0:
                defined = defined | {op.out}
            if op.kernel in ("jump", "jump_if_false", "jump_table"):
                for target in op.iparams:
                    flow(target, defined)
            if op.kernel not in ("jump", "jump_table"):
                flow(pc + 1, defined)
        end = reach[n] if reach[n] is not None else frozenset()
        for o in self.outputs:
            if o.slot not in end:
                raise ValueError(f"output {o.label!r} reads slot {o.slot}, which is not "
                                 "written on every path")

    # -- readable form ---------------------------------------------------------

    def explain(self) -> str:
        """The program as text: one line per instruction."""
        lines = [f"program: {len(self.code)} instructions, {self.n_slots} slots, "
                 f"{len(self.constants)} constants, seed {self.seed}"]
        for slot, value in self.constants:
            lines.append(f"  const s{slot} = {_short(value)}")
        for pc, op in enumerate(self.code):
            node = self.nodes[op.node] if 0 <= op.node < len(self.nodes) else None
            args = ", ".join(f"s{a}" for a in op.args)
            params = ""
            if op.iparams or op.fparams:
                params = " [" + ", ".join([str(x) for x in op.iparams]
                                          + [repr(x) for x in op.fparams]) + "]"
            if op.kernel == "jump":
                text = f"jump -> {op.iparams[0]}"
            elif op.kernel == "jump_if_false":
                text = f"if not {args}: jump -> {op.iparams[0]}"
            elif op.kernel == "jump_table":
                text = f"jump by {args} -> {op.iparams}"
            else:
                text = f"s{op.out} = {op.kernel}({args}){params}"
            where = f"   # {node.cls} {node.label!r}".rstrip() if node else ""
            if node and not node.label:
                where = f"   # {node.cls}"
            key = f" key={op.key:016x}" if op.key else ""
            lines.append(f"  {pc:4d}: {text}{key}{where}")
        for o in self.outputs:
            lines.append(f"  output {o.label!r} = s{o.slot} : {o.type}")
        return "\n".join(lines)

    # -- file format -----------------------------------------------------------

    def to_bytes(self) -> bytes:
        blobs: List[bytes] = []

        def enc(value):
            if isinstance(value, str):
                return {"t": "str", "v": value}
            if isinstance(value, (list, tuple)):
                return {"t": "list", "v": [enc(v) for v in value]}
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.asarray(value, order="C"), allow_pickle=False)
            blobs.append(buf.getvalue())
            return {"t": "array", "i": len(blobs) - 1}

        header = {
            "seed": self.seed,
            "n_slots": self.n_slots,
            "code": [[o.kernel, o.out, o.args, o.iparams, o.fparams, o.key, o.node]
                     for o in self.code],
            "constants": [[slot, enc(v)] for slot, v in self.constants],
            "outputs": [[o.label, o.slot, o.node, o.dtype, o.shape, o.type]
                        for o in self.outputs],
            "nodes": [[n.cls, n.label, n.site] for n in self.nodes],
            "blobs": [len(b) for b in blobs],
        }
        head = json.dumps(header, separators=(",", ":")).encode("utf-8")
        payload = struct.pack("<I", len(head)) + head + b"".join(blobs)
        return _HEAD.pack(MAGIC, FORMAT_VERSION, len(payload), zlib.crc32(payload)) + payload

    @classmethod
    def from_bytes(cls, data: bytes, source: str = "<bytes>") -> "Program":
        if data[:8] != MAGIC[:len(data)] or not data:
            raise ProgramFileError(f"{source}: not a pixelpipes pipeline file")
        if len(data) < _HEAD.size:
            raise ProgramFileError(f"{source}: file is truncated ({len(data)} bytes)")
        magic, version, length, crc = _HEAD.unpack_from(data)
        if version > FORMAT_VERSION:
            raise ProgramFileError(
                f"{source}: file format version {version} is newer than this "
                f"pixelpipes understands ({FORMAT_VERSION}); upgrade pixelpipes")
        if version < 1:
            raise ProgramFileError(f"{source}: invalid format version {version}")
        payload = data[_HEAD.size:]
        if len(payload) < length:
            raise ProgramFileError(f"{source}: file is truncated "
                                   f"({len(payload)} of {length} payload bytes)")
        if len(payload) > length:
            raise ProgramFileError(f"{source}: unexpected bytes after the payload")
        if zlib.crc32(payload) != crc:
            raise ProgramFileError(f"{source}: file is corrupted (checksum mismatch)")
        try:
            (hlen,) = struct.unpack_from("<I", payload)
            header = json.loads(payload[4:4 + hlen].decode("utf-8"))
            offsets, pos = [], 4 + hlen
            for n in header["blobs"]:
                offsets.append((pos, pos + n))
                pos += n
            if pos != len(payload):
                raise ValueError("blob sizes do not add up")

            def dec(obj):
                t = obj["t"]
                if t == "str":
                    return str(obj["v"])
                if t == "list":
                    return [dec(v) for v in obj["v"]]
                if t == "array":
                    a, b = offsets[obj["i"]]
                    return np.lib.format.read_array(io.BytesIO(payload[a:b]), allow_pickle=False)
                raise ValueError(f"unknown constant kind {t!r}")

            code = [Op(str(k), int(o), [int(x) for x in a], [int(x) for x in ip],
                       [float(x) for x in fp], int(key), int(node))
                    for k, o, a, ip, fp, key, node in header["code"]]
            prog = cls(
                seed=int(header["seed"]),
                n_slots=int(header["n_slots"]),
                code=code,
                constants=[(int(s), dec(v)) for s, v in header["constants"]],
                outputs=[OutputSpec(str(lb), int(s), int(n), dt, sh, str(ty))
                         for lb, s, n, dt, sh, ty in header["outputs"]],
                nodes=[NodeInfo(str(c), str(lb), str(st)) for c, lb, st in header["nodes"]],
            )
        except ProgramFileError:
            raise
        except Exception as exc:  # noqa: BLE001 - any decoding failure
            raise ProgramFileError(f"{source}: file is corrupted ({exc})") from None
        return prog


def _short(value) -> str:
    if isinstance(value, str):
        return repr(value if len(value) < 40 else value[:37] + "...")
    if isinstance(value, list):
        return f"list[{len(value)}]"
    arr = np.asarray(value)
    if arr.ndim == 0:
        return f"{arr.dtype.name} {arr.item()!r}"
    if arr.size <= 6:
        return f"{arr.dtype.name} {arr.tolist()!r}"
    return f"{arr.dtype.name} array{tuple(arr.shape)}"
