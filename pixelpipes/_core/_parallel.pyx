"""How this build runs in parallel: whether OpenMP is compiled in, and how many
threads a ``threads=None`` request resolves to."""

from pixelpipes._core._openmp cimport PP_OPENMP_ENABLED, pp_omp_get_max_threads


def openmp_enabled():
    """True when the extension modules were compiled with OpenMP."""
    return bool(PP_OPENMP_ENABLED)


def omp_max_threads():
    """``omp_get_max_threads()`` of the OpenMP runtime we link (1 without
    OpenMP).  It honours ``OMP_NUM_THREADS`` and threadpoolctl limits."""
    return pp_omp_get_max_threads()
