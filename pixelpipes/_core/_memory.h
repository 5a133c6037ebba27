/* Cache-line aligned allocation.  Per-thread buffers are aligned and padded
 * to 64 bytes so that two threads never write to one cache line (false
 * sharing made small-value pipelines scale badly across threads). */
#ifndef PIXELPIPES_MEMORY_H
#define PIXELPIPES_MEMORY_H
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#define PP_CACHE_LINE 64
/* Values larger than this are refused before allocating (2**48 bytes). */
#define PP_MAX_TENSOR_BYTES ((long long)1 << 48)

static inline size_t pp_round_up(size_t n) {
    return (n + PP_CACHE_LINE - 1) & ~(size_t)(PP_CACHE_LINE - 1);
}

#ifdef _WIN32
#include <malloc.h>
static inline void* pp_aligned_alloc(size_t n) {
    return _aligned_malloc(pp_round_up(n ? n : 1), PP_CACHE_LINE);
}
static inline void pp_aligned_free(void* p) { _aligned_free(p); }
#else
static inline void* pp_aligned_alloc(size_t n) {
    void* p = NULL;
    if (posix_memalign(&p, PP_CACHE_LINE, pp_round_up(n ? n : 1)) != 0) return NULL;
    return p;
}
static inline void pp_aligned_free(void* p) { free(p); }
#endif

static inline void* pp_aligned_calloc(size_t n) {
    void* p = pp_aligned_alloc(n);
    if (p != NULL) memset(p, 0, pp_round_up(n ? n : 1));
    return p;
}
#endif
