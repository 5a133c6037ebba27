# The one door to OpenMP (see _openmp_shim.h).
cdef extern from "_openmp_shim.h" nogil:
    int PP_OPENMP_ENABLED
    int pp_omp_get_max_threads()
    int pp_omp_get_thread_num()
