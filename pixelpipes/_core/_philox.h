/* Philox4x64-10 (Salmon et al., SC'11), the counter-based generator behind
 * every random decision in pixelpipes.  Bit-compatible with numpy.random.Philox
 * (tests/test_random_core.py checks this).  Only integer arithmetic, so it is
 * the same on every machine. */
#ifndef PIXELPIPES_PHILOX_H
#define PIXELPIPES_PHILOX_H
#include <stdint.h>

#if defined(_MSC_VER) && defined(_M_X64)
#include <intrin.h>
static inline uint64_t pp_mulhilo64(uint64_t a, uint64_t b, uint64_t* hi) {
    return _umul128(a, b, hi);
}
#elif defined(__SIZEOF_INT128__)
static inline uint64_t pp_mulhilo64(uint64_t a, uint64_t b, uint64_t* hi) {
    unsigned __int128 p = (unsigned __int128)a * b;
    *hi = (uint64_t)(p >> 64);
    return (uint64_t)p;
}
#else
static inline uint64_t pp_mulhilo64(uint64_t a, uint64_t b, uint64_t* hi) {
    uint64_t a0 = a & 0xffffffffu, a1 = a >> 32, b0 = b & 0xffffffffu, b1 = b >> 32;
    uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    uint64_t mid = (p00 >> 32) + (p01 & 0xffffffffu) + (p10 & 0xffffffffu);
    *hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
    return (mid << 32) | (p00 & 0xffffffffu);
}
#endif

static inline void pp_philox4x64_10(const uint64_t ctr_in[4], const uint64_t key_in[2],
                                    uint64_t out[4]) {
    uint64_t c0 = ctr_in[0], c1 = ctr_in[1], c2 = ctr_in[2], c3 = ctr_in[3];
    uint64_t k0 = key_in[0], k1 = key_in[1];
    int r;
    for (r = 0; r < 10; r++) {
        uint64_t hi0, hi1, lo0, lo1;
        if (r > 0) {
            k0 += 0x9E3779B97F4A7C15ULL;
            k1 += 0xBB67AE8584CAA73BULL;
        }
        lo0 = pp_mulhilo64(0xD2E7470EE14C6C93ULL, c0, &hi0);
        lo1 = pp_mulhilo64(0xCA5A826395121157ULL, c2, &hi1);
        c0 = hi1 ^ c1 ^ k0;
        c1 = lo1;
        c2 = hi0 ^ c3 ^ k1;
        c3 = lo0;
    }
    out[0] = c0; out[1] = c1; out[2] = c2; out[3] = c3;
}
#endif
