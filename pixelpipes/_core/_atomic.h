/* The one atomic the executor needs: lower a shared int64 to ``v`` if ``v``
 * is smaller (the lowest failing sample of a batch). */
#ifndef PIXELPIPES_ATOMIC_H
#define PIXELPIPES_ATOMIC_H
#include <stdint.h>
#if defined(_MSC_VER)
#include <intrin.h>
static inline void pp_atomic_min_i64(volatile int64_t* p, int64_t v) {
    int64_t cur = *p;
    while (v < cur) {
        int64_t seen = _InterlockedCompareExchange64((volatile __int64*)p, v, cur);
        if (seen == cur) break;
        cur = seen;
    }
}
static inline int64_t pp_atomic_load_i64(volatile int64_t* p) {
    return _InterlockedOr64((volatile __int64*)p, 0);
}
#else
static inline void pp_atomic_min_i64(volatile int64_t* p, int64_t v) {
    int64_t cur = __atomic_load_n(p, __ATOMIC_RELAXED);
    while (v < cur && !__atomic_compare_exchange_n(p, &cur, v, 1, __ATOMIC_RELAXED,
                                                    __ATOMIC_RELAXED)) {
    }
}
static inline int64_t pp_atomic_load_i64(volatile int64_t* p) {
    return __atomic_load_n(p, __ATOMIC_RELAXED);
}
#endif
#endif
