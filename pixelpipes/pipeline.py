"""Compiled pipelines: run single samples, batches and endless streams.

A :class:`Pipeline` wraps a :class:`~pixelpipes.program.Program` and the C
executor built from it.  Sample ``i`` is a pure function of the program, its
seed and ``i``: the same bytes for any thread count, batch composition or
order, with or without prefetching, after save/load and in another process.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import queue
import threading
from typing import Dict, Iterable, Iterator, Optional, Tuple

import numpy as np

from ._core import _executor
from .errors import ExecutionError
from .parallel import batch_threads, effective_n_threads
from .program import Program

_KERNELS: Optional[Dict[str, int]] = None


def kernel_table() -> Dict[str, int]:
    """Kernel name -> C function address, from every ``_core._ops_*`` module."""
    global _KERNELS
    if _KERNELS is None:
        from . import _core

        table: Dict[str, int] = {}
        for mod in sorted(m.name for m in pkgutil.iter_modules(_core.__path__)):
            if not mod.startswith("_ops_"):
                continue
            kernels = importlib.import_module(f"{_core.__name__}.{mod}").KERNELS
            clash = set(kernels) & set(table)
            if clash:  # pragma: no cover - a packaging mistake
                raise RuntimeError(f"kernels defined twice: {sorted(clash)}")
            table.update(kernels)
        _KERNELS = table
    return _KERNELS


class _Block:
    """Owner of one block of a :class:`BatchMemory` while any array made from
    it lives (NumPy keeps it as the ``base`` of the array and of every view),
    then gives the block back."""

    __slots__ = ("block", "pool", "__array_interface__")

    def __init__(self, block, pool, shape, dtype):
        self.block = block
        self.pool = pool
        address = block.ctypes.data
        self.__array_interface__ = {
            "shape": shape, "typestr": dtype.str, "version": 3,
            "data": (address + (-address) % 64, False),
        }

    def __del__(self):
        self.pool.give_back(self.block)


class BatchMemory:
    """Recycled memory for batch arrays.

    A fresh large array costs the kernel zeroing every page on first touch
    (about a tenth of an ImageNet-style batch's time); a stream's batches
    all have the same size, so the memory of a batch the caller has dropped
    is handed to a later one.  A block returns only when no array or view of
    it is left, so recycling never changes data anyone can see.  At most
    ``keep`` free blocks per size are kept.
    """

    def __init__(self, keep: int = 4):
        self.keep = keep
        self._free: Dict[int, list] = {}
        self._lock = threading.Lock()

    def empty(self, shape, dtype: np.dtype) -> np.ndarray:
        """An uninitialised C-contiguous array, 64-byte aligned."""
        nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize + 64
        with self._lock:
            free = self._free.get(nbytes)
            block = free.pop() if free else None
        if block is None:
            block = np.empty(nbytes, np.uint8)
        return np.asarray(_Block(block, self, tuple(shape), dtype))

    def give_back(self, block):
        with self._lock:
            free = self._free.setdefault(block.nbytes, [])
            if len(free) < self.keep:
                free.append(block)


class Batch(dict):
    """A batch: label -> array with a leading batch axis (or a list, for
    outputs whose shape varies between samples).

    Attributes
    ----------
    indices : numpy.ndarray
        Sample indices of the batch, in order.
    resume : int or None
        For batches from :meth:`Pipeline.stream`: the ``start`` that makes a
        new stream (with the same batch size and shard) continue right after
        this batch.
    """

    indices: np.ndarray
    resume: Optional[int] = None


class Pipeline:
    """A compiled pipeline.

    Parameters
    ----------
    program : Program
        Output of the compiler or of :func:`load`.
    """

    def __init__(self, program: Program):
        self.program = program
        self._executor = _executor.Executor(program, kernel_table())
        self._fixed = [(i, o) for i, o in enumerate(program.outputs) if o.dtype is not None]
        self._pool = BatchMemory()
        self._variable = [(i, o) for i, o in enumerate(program.outputs) if o.dtype is None]

    @property
    def outputs(self) -> Tuple[str, ...]:
        """Output labels, in the order they were declared."""
        return tuple(o.label for o in self.program.outputs)

    @property
    def seed(self) -> int:
        return self.program.seed

    def explain(self) -> str:
        """The compiled program in readable form (also printed by ``print``)."""
        return self.program.explain()

    def __repr__(self):
        return (f"<Pipeline outputs={list(self.outputs)} seed={self.seed} "
                f"instructions={len(self.program.code)}>")

    # -- running ---------------------------------------------------------------

    def _raise(self, failure):
        sample, instr, output, message = failure
        if instr >= 0:
            info = self.program.nodes[self.program.code[instr].node]
        else:
            out = self.program.outputs[output]
            info = self.program.nodes[out.node]
            message = f"output {out.label!r}: {message}"
        raise ExecutionError(f"{info.describe()} failed in sample {sample}: {message}",
                             sample=sample, node=info.describe(), reason=message)

    def _check_indices(self, indices) -> np.ndarray:
        idx = np.asarray(indices)
        if idx.ndim != 1:
            idx = idx.reshape(-1)
        if idx.size and not np.issubdtype(idx.dtype, np.integer):
            raise TypeError(f"sample indices must be integers, got {idx.dtype}")
        idx = idx.astype(np.int64, copy=False)
        if idx.size and idx.min() < 0:
            raise ValueError(f"sample indices must be >= 0, got {int(idx.min())}")
        return idx

    def run(self, index: int) -> dict:
        """One sample.

        Parameters
        ----------
        index : int
            Sample index (>= 0).

        Returns
        -------
        dict
            label -> numpy array (0-d for scalars), str, or list.
        """
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
            raise TypeError(f"sample index must be an int, got {index!r}")
        idx = self._check_indices([index])
        slots = [o.slot for o in self.program.outputs]
        values, failure = self._executor.run_batch(idx, [], slots, 1)
        if failure is not None:
            self._raise(failure)
        if values is None:
            raise KeyboardInterrupt
        return {o.label: v for o, v in zip(self.program.outputs, values[0])}

    def batch(self, indices: Iterable[int], threads: Optional[int] = None) -> Batch:
        """Samples ``indices`` stacked into arrays.

        Parameters
        ----------
        indices : iterable of int
            Sample indices, any order, repeats allowed.
        threads : int or None
            Threads to use; ``None`` as in
            :func:`~pixelpipes.parallel.effective_n_threads`.

        Returns
        -------
        Batch
            label -> array of shape ``(len(indices), ...)`` for fixed-shape
            outputs, or a list of per-sample values otherwise.

        Raises
        ------
        ExecutionError
            If a sample fails; names the node and the lowest failing sample.
            Nothing of the batch is returned.
        """
        return self._batch(indices, threads, self._executor)

    def _batch(self, indices, threads, executor) -> Batch:
        if isinstance(indices, range):
            indices = np.arange(indices.start, indices.stop, indices.step, dtype=np.int64)
        elif not isinstance(indices, np.ndarray):
            indices = list(indices)
        idx = self._check_indices(indices)
        n = batch_threads(threads)
        B = idx.shape[0]
        arrays = [self._pool.empty((B,) + tuple(o.shape), np.dtype(o.dtype))
                  for _, o in self._fixed]
        fixed = [(o.slot, a) for (_, o), a in zip(self._fixed, arrays)]
        variable = [o.slot for _, o in self._variable]
        values, failure = executor.run_batch(idx, fixed, variable, n)
        if failure is not None:
            self._raise(failure)
        if values is None:
            raise KeyboardInterrupt("batch cancelled")
        by_index = {i: a for (i, _), a in zip(self._fixed, arrays)}
        for j, (i, _) in enumerate(self._variable):
            by_index[i] = [row[j] for row in values]
        result = Batch((o.label, by_index[i]) for i, o in enumerate(self.program.outputs))
        result.indices = idx
        return result

    def stream(self, batch_size: int, start: int = 0, threads: Optional[int] = None,
               prefetch: int = 2, shard: Optional[Tuple[int, int]] = None) -> Iterator[Batch]:
        """An endless iterator of batches.

        Batch ``j`` holds the samples at positions ``m`` in
        ``[j * batch_size, (j + 1) * batch_size)`` of the stream, where
        position ``m`` is sample index ``start + m * n + k`` for
        ``shard=(k, n)`` (``(0, 1)`` by default).  So the ``n`` shards of one
        ``start`` cover the indices from ``start`` on with no overlap and no
        gap, and ``batch.resume`` restarts a stream right after ``batch``.

        Parameters
        ----------
        batch_size : int
            Samples per batch (> 0).
        start : int
            First sample index (>= 0).
        threads : int or None
            Threads per batch.
        prefetch : int
            Batches built ahead in a background thread (0: build on demand).
        shard : (int, int), optional
            ``(k, n)``: this is shard ``k`` of ``n``.

        Yields
        ------
        Batch
        """
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
        if isinstance(start, bool) or not isinstance(start, (int, np.integer)) or start < 0:
            raise ValueError(f"start must be an int >= 0, got {start!r}")
        if isinstance(prefetch, bool) or not isinstance(prefetch, int) or prefetch < 0:
            raise ValueError(f"prefetch must be an int >= 0, got {prefetch!r}")
        k, n = (0, 1) if shard is None else shard
        if not (isinstance(k, int) and isinstance(n, int) and n >= 1 and 0 <= k < n):
            raise ValueError(f"shard must be (k, n) with 0 <= k < n, got {shard!r}")
        effective_n_threads(threads)  # validate now, not in the background
        start = int(start)

        # A stream has an executor of its own, so that closing it cancels
        # only its own batches.
        executor = _executor.Executor(self.program, kernel_table())

        def make(j: int) -> Batch:
            positions = np.arange(j * batch_size, (j + 1) * batch_size, dtype=np.int64)
            b = self._batch(start + positions * n + k, threads, executor)
            b.resume = start + (j + 1) * batch_size * n
            return b

        if prefetch == 0:
            return _SyncStream(make)
        return _PrefetchStream(make, prefetch, executor)

    # -- files -----------------------------------------------------------------

    def save(self, path) -> None:
        """Write the compiled pipeline to ``path`` (see :func:`load`)."""
        with open(os.fspath(path), "wb") as fh:
            fh.write(self.program.to_bytes())


class _SyncStream:
    def __init__(self, make):
        self._make = make
        self._j = 0

    def __iter__(self):
        return self

    def __next__(self) -> Batch:
        b = self._make(self._j)
        self._j += 1
        return b

    def close(self):
        pass


class _PrefetchStream:
    """Builds batches ahead in a background thread (the GIL is released while
    a batch builds).  Stops promptly on ``close()``, garbage collection or
    Ctrl-C in the consumer."""

    def __init__(self, make, depth, executor):
        self._queue: "queue.Queue" = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._executor = executor
        self._thread = threading.Thread(target=self._work, args=(make,), daemon=True,
                                        name="pixelpipes-prefetch")
        self._thread.start()

    def _work(self, make):
        j = 0
        while not self._stop.is_set():
            try:
                item = (True, make(j))
            except KeyboardInterrupt:
                return
            except BaseException as exc:  # noqa: BLE001 - handed to the consumer
                item = (False, exc)
            while not self._stop.is_set():
                try:
                    self._queue.put(item, timeout=0.05)
                    break
                except queue.Full:
                    continue
            if not item[0]:
                return
            j += 1

    def __iter__(self):
        return self

    def __next__(self) -> Batch:
        try:
            while True:
                try:
                    ok, item = self._queue.get(timeout=0.05)
                    break
                except queue.Empty:
                    if not self._thread.is_alive() and self._queue.empty():
                        raise StopIteration from None
        except BaseException:
            self.close()
            raise
        if not ok:
            self.close()
            raise item
        return item

    def close(self):
        self._stop.set()
        self._executor.cancel()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join()

    def __del__(self):
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass


def load(path) -> Pipeline:
    """Load a pipeline saved with :meth:`Pipeline.save`.

    Raises
    ------
    ProgramFileError
        If the file is truncated, corrupted, not a pipeline, or written by a
        newer format version.
    """
    path = os.fspath(path)
    with open(path, "rb") as fh:
        data = fh.read()
    return Pipeline(Program.from_bytes(data, source=path))


def evaluate_once(program: Program):
    """Run a one-output program for sample 0 (constant folding)."""
    ex = _executor.Executor(program, kernel_table())
    values, failure = ex.run_batch(np.zeros(1, np.int64), [], [program.outputs[0].slot], 1)
    if failure is not None:
        info = program.nodes[0]
        raise ExecutionError(f"{info.describe()}: {failure[3]}", sample=0,
                             node=info.describe(), reason=failure[3])
    return values[0][0]
