/* Every OpenMP call goes through here, so a build without OpenMP still
 * compiles: prange then runs serially and these report one thread. */
#ifndef PIXELPIPES_OPENMP_SHIM_H
#define PIXELPIPES_OPENMP_SHIM_H
#ifdef _OPENMP
#include <omp.h>
#define PP_OPENMP_ENABLED 1
static inline int pp_omp_get_max_threads(void) { return omp_get_max_threads(); }
static inline int pp_omp_get_thread_num(void) { return omp_get_thread_num(); }
#else
#define PP_OPENMP_ENABLED 0
static inline int pp_omp_get_max_threads(void) { return 1; }
static inline int pp_omp_get_thread_num(void) { return 0; }
#endif
#endif
