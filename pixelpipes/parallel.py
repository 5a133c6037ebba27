"""Thread counts and how this copy of pixelpipes was built."""

from __future__ import annotations

import os
from typing import Optional

from ._core import _parallel


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
    """
    if threads is not None:
        if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
            raise ValueError(f"threads must be None or a positive int, got {threads!r}")
    if not _parallel.openmp_enabled():
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
