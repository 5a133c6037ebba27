"""Thread counts and how this copy of pixelpipes was built."""

from __future__ import annotations

import os
import warnings
from typing import Optional

from ._core import _parallel

# GCC's OpenMP runtime keeps its worker threads between parallel regions.  A
# forked child inherits the pool's bookkeeping but not its threads, and its
# first parallel region on more than one thread waits for them forever.  So a
# child forked after this process ran a batch on several threads runs its
# batches on one thread (and says so once).
_pool_started = False
_forked_after_pool = False
_fork_warned = False


def _after_fork_in_child() -> None:
    global _forked_after_pool
    _forked_after_pool = _forked_after_pool or _pool_started


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def batch_threads(threads: Optional[int]) -> int:
    """``effective_n_threads(threads)`` for a batch about to run: notes that
    the OpenMP pool is in use (see above)."""
    global _pool_started
    n = effective_n_threads(threads)
    if n > 1:
        _pool_started = True
    return n


def effective_n_threads(threads: Optional[int] = None) -> int:
    """Number of threads a batch will use.

    Parameters
    ----------
    threads : int or None
        ``None`` means as many as the OpenMP runtime allows (which honours
        ``OMP_NUM_THREADS`` and threadpoolctl limits), capped by the CPUs
        this process may run on (its affinity mask).  A positive int is
        used as given.  Without OpenMP the answer is always 1.

    Returns
    -------
    int
        Also 1 in a process forked after its parent ran batches on several
        threads: GCC's OpenMP runtime cannot start threads again after a
        fork (a ``RuntimeWarning`` says so once).  Worker processes started
        with the ``"spawn"`` or ``"forkserver"`` method (e.g.
        ``DataLoader(..., multiprocessing_context="spawn")``), or forked
        before the parent's first multi-threaded batch, use every thread.
    """
    global _fork_warned
    if threads is not None:
        if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
            raise ValueError(f"threads must be None or a positive int, got {threads!r}")
    if not _parallel.openmp_enabled():
        return 1
    if _forked_after_pool:
        if not _fork_warned and threads != 1:
            _fork_warned = True
            warnings.warn("pixelpipes: this process was forked after its parent ran batches "
                          "on several OpenMP threads, which GCC's OpenMP runtime cannot "
                          "resume after a fork; its batches run on one thread.  Start worker "
                          "processes with the 'spawn' or 'forkserver' method to use several.",
                          RuntimeWarning, stacklevel=5)
        return 1
    if threads is not None:
        return threads
    n = _parallel.omp_max_threads()
    try:
        n = min(n, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        n = min(n, os.cpu_count() or 1)
    return max(1, n)


def build_info() -> dict:
    """How the compiled core was built.

    Returns
    -------
    dict
        ``openmp`` (bool): OpenMP compiled in; ``threads`` (int): what
        ``threads=None`` resolves to now; ``omp_max_threads`` (int): the
        OpenMP runtime's limit.
    """
    return {
        "openmp": _parallel.openmp_enabled(),
        "threads": effective_n_threads(None),
        "omp_max_threads": _parallel.omp_max_threads(),
    }
