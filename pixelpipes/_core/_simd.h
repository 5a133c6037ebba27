/* SIMD helpers shared by the kernel modules.
 *
 * The build targets baseline x86-64, whose SSE2 is always there: the helpers
 * below use SSE2 intrinsics directly (PP_SSE2), with plain C loops computing
 * the same values elsewhere.  For wider vectors:
 *
 * - PP_CLONES: put it before a C function (or a Cython ``cdef extern``
 *   typedef'd return type, as _ops_color.pyx does) whose loops GCC vectorises
 *   by itself; GCC builds an AVX2 clone and a baseline clone and the dynamic
 *   loader picks one at load time (GNU ifunc).  Only integer arithmetic, or
 *   float without contraction (the build forbids it), so both clones compute
 *   the same bits.  Helpers it calls must be inlined (``always_inline``).
 *
 * Every helper here computes exactly the integers (or the float operations,
 * in the same order) of its scalar version, so results never depend on the
 * machine.  Define PIXELPIPES_NO_CLONES to build without clones.
 */
#ifndef PP_SIMD_H
#define PP_SIMD_H

#include <stdint.h>
#include <stddef.h>

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) \
    && defined(__linux__) && !defined(PIXELPIPES_NO_CLONES)
#define PP_CLONES __attribute__((target_clones("avx2", "default")))
/* Pure byte shuffles (channel swaps, layout changes) run faster on 16-byte
   vectors, which GCC keeps to when given AVX but not AVX2. */
#define PP_SHUFFLE_CLONES __attribute__((target_clones("avx", "default")))
#else
#define PP_CLONES
#define PP_SHUFFLE_CLONES
#endif

/* Helpers of cloned loops must be inlined into each clone. */
#if defined(__GNUC__)
#define PP_ALWAYS_INLINE __attribute__((always_inline))
#else
#define PP_ALWAYS_INLINE
#endif

#if defined(__SSE2__)
#include <emmintrin.h>
#define PP_SSE2 1       /* always on x86-64 */
#else
#define PP_SSE2 0
#endif

/* ---- two-tap horizontal passes of uint8 linear resampling ---------------
 *
 * Per output pixel dx: element offsets o0[dx], o1[dx] of its two source
 * pixels (already times cn) and their Q11 weights packed as
 * w[dx] = (uint16)a0 | a1 << 16, with a0, a1 >= 0 and a0 + a1 <= 2049
 * (OpenCV's weights), in any order.  SSE2 (the x86-64 baseline): the pixels'
 * channels are loaded whole, interleaved as (p0, p1) int16 pairs and combined
 * with one pmaddwd -- the same integer sums as the scalar loops, which other
 * platforms use.  Pixels are written 4 elements at a time, each store
 * overlapping the next pixel (written after it); a row's last pixel is
 * written exactly.
 */

/* Q7 sums of a uint8 row: d = (p0 a0 + p1 a1) >> 4  (< 2**15). */
static inline void pp_hlin_u8_q7_px(const uint8_t* s, int16_t* d, ptrdiff_t cn,
                                    int32_t o0, int32_t o1, int32_t w) {
    int32_t a0 = (int16_t)w, a1 = w >> 16;
    for (ptrdiff_t c = 0; c < cn; c++)
        d[c] = (int16_t)((s[o0 + c] * a0 + s[o1 + c] * a1) >> 4);
}

/* Pixels from Q7 sums: d = (t0 a0 + t1 a1 + 2**17) >> 18  (0..255). */
static inline void pp_hlin_q7_u8_px(const int16_t* t, uint8_t* d, ptrdiff_t cn,
                                    int32_t o0, int32_t o1, int32_t w) {
    int32_t a0 = (int16_t)w, a1 = w >> 16;
    for (ptrdiff_t c = 0; c < cn; c++)
        d[c] = (uint8_t)((t[o0 + c] * a0 + t[o1 + c] * a1 + (1 << 17)) >> 18);
}


/* ``rowlen``: readable elements of the source row at ``s`` (a 4-byte load
 * at an offset past rowlen - 4 would leave it: such pixels go scalar). */
static void pp_hlin_u8_q7(const uint8_t* s, int16_t* d, ptrdiff_t dw, ptrdiff_t cn,
                          const int32_t* o0, const int32_t* o1, const int32_t* w,
                          ptrdiff_t rowlen) {
    ptrdiff_t x = 0;
#if PP_SSE2
    const __m128i z = _mm_setzero_si128();
    if (cn == 1) {
        for (; x + 4 <= dw; x += 4) {
            __m128i p = _mm_setr_epi16(s[o0[x]], s[o1[x]], s[o0[x + 1]], s[o1[x + 1]],
                                       s[o0[x + 2]], s[o1[x + 2]], s[o0[x + 3]], s[o1[x + 3]]);
            __m128i ww = _mm_loadu_si128((const __m128i*)(w + x));
            __m128i r = _mm_srai_epi32(_mm_madd_epi16(p, ww), 4);
            _mm_storel_epi64((__m128i*)(d + x), _mm_packs_epi32(r, r));
        }
    } else {
        /* d rows have room for a stray lane past the last pixel */
        for (; x < dw; x++) {
            if (o0[x] > rowlen - 4 || o1[x] > rowlen - 4) {
                pp_hlin_u8_q7_px(s, d + x * cn, cn, o0[x], o1[x], w[x]);
                continue;
            }
            int32_t v0, v1;
            __builtin_memcpy(&v0, s + o0[x], 4);      /* the pixel's channels (and a stray byte) */
            __builtin_memcpy(&v1, s + o1[x], 4);
            __m128i p = _mm_unpacklo_epi16(_mm_unpacklo_epi8(_mm_cvtsi32_si128(v0), z),
                                           _mm_unpacklo_epi8(_mm_cvtsi32_si128(v1), z));
            __m128i r = _mm_srai_epi32(_mm_madd_epi16(p, _mm_set1_epi32(w[x])), 4);
            _mm_storel_epi64((__m128i*)(d + x * cn), _mm_packs_epi32(r, r));
        }
    }
#endif
    for (; x < dw; x++)
        pp_hlin_u8_q7_px(s, d + x * cn, cn, o0[x], o1[x], w[x]);
}

/* ``t`` must have 3 readable int16 after its last element. */
static void pp_hlin_q7_u8(const int16_t* t, uint8_t* d, ptrdiff_t dw, ptrdiff_t cn,
                          const int32_t* o0, const int32_t* o1, const int32_t* w) {
    ptrdiff_t x = 0;
#if PP_SSE2
    const __m128i half = _mm_set1_epi32(1 << 17);
    if (cn == 1) {
        for (; x + 4 <= dw; x += 4) {
            __m128i p = _mm_setr_epi16(t[o0[x]], t[o1[x]], t[o0[x + 1]], t[o1[x + 1]],
                                       t[o0[x + 2]], t[o1[x + 2]], t[o0[x + 3]], t[o1[x + 3]]);
            __m128i r = _mm_madd_epi16(p, _mm_loadu_si128((const __m128i*)(w + x)));
            r = _mm_srai_epi32(_mm_add_epi32(r, half), 18);
            r = _mm_packs_epi32(r, r);
            int32_t v = _mm_cvtsi128_si32(_mm_packus_epi16(r, r));
            __builtin_memcpy(d + x, &v, 4);
        }
    } else {
        for (; x + 1 < dw; x++) {          /* the last pixel: exactly, below */
            __m128i p = _mm_unpacklo_epi16(_mm_loadl_epi64((const __m128i*)(t + o0[x])),
                                           _mm_loadl_epi64((const __m128i*)(t + o1[x])));
            __m128i r = _mm_madd_epi16(p, _mm_set1_epi32(w[x]));
            r = _mm_srai_epi32(_mm_add_epi32(r, half), 18);
            r = _mm_packs_epi32(r, r);
            int32_t v = _mm_cvtsi128_si32(_mm_packus_epi16(r, r));
            __builtin_memcpy(d + x * cn, &v, 4);   /* cn bytes and a stray one */
        }
    }
#endif
    for (; x < dw; x++)
        pp_hlin_q7_u8_px(t, d + x * cn, cn, o0[x], o1[x], w[x]);
}

/* ---- bilinear uint8 sample (warps) -------------------------------------
 *
 * One output pixel of ``cn`` channels (a constant where it is inlined) from
 * the 2 x 2 source pixels p00 p01 / p10 p11 and the fractions wx, wy in
 * 1/2048 pixel (0..2047): each row is combined with Q11 weights and kept in
 * Q7, t = (p0 (2048 - wx) + p1 wx + 8) >> 4, then the rows give
 * (t0 (2048 - wy) + t1 wy + 2**17) >> 18.  Within 0.01 of the exact
 * bilinear value; the SSE2 version computes the same integers.
 */
static inline int32_t pp_lin_q7(int32_t a, int32_t b, int32_t w) {
    return (a * (2048 - w) + b * w + 8) >> 4;
}

static inline uint8_t pp_lin_final(int32_t t0, int32_t t1, int32_t w) {
    return (uint8_t)((t0 * (2048 - w) + t1 * w + (1 << 17)) >> 18);
}

/* The 2 cn bytes at p, zero-extended, built in registers (a copy through
 * memory of 6 bytes then read as 8 would stall store forwarding). */
__attribute__((always_inline)) static inline uint64_t pp_load_pair(const uint8_t* p, int cn) {
    uint16_t h;
    uint32_t w;
    uint64_t q;
    if (cn == 1) {
        __builtin_memcpy(&h, p, 2);
        return h;
    }
    if (cn == 2) {
        __builtin_memcpy(&w, p, 4);
        return w;
    }
    if (cn == 3) {
        __builtin_memcpy(&w, p, 4);
        __builtin_memcpy(&h, p + 4, 2);
        return w | (uint64_t)h << 32;
    }
    __builtin_memcpy(&q, p, 8);
    return q;
}

/* Pixels p00, p01 adjacent at r0 and p10, p11 adjacent at r1. */
__attribute__((always_inline)) static inline void pp_lin_u8_px(const uint8_t* r0,
                                                               const uint8_t* r1, int cn,
                                                               int32_t wx, int32_t wy,
                                                               uint8_t* d) {
#if PP_SSE2
    uint64_t a = pp_load_pair(r0, cn), b = pp_load_pair(r1, cn);
    const __m128i z = _mm_setzero_si128();
    __m128i va = _mm_unpacklo_epi8(_mm_cvtsi64_si128((int64_t)a), z);
    __m128i vb = _mm_unpacklo_epi8(_mm_cvtsi64_si128((int64_t)b), z);
    __m128i wxx = _mm_set1_epi32((int32_t)(((uint32_t)wx << 16) | (uint32_t)(2048 - wx)));
    __m128i wyy = _mm_set1_epi32((int32_t)(((uint32_t)wy << 16) | (uint32_t)(2048 - wy)));
    __m128i eight = _mm_set1_epi32(8);
    /* (p0, p1) int16 pairs per channel: the second pixel moved under the first */
    __m128i pa, pb;
    if (cn == 1) {
        pa = va;
        pb = vb;
    } else if (cn == 2) {
        pa = _mm_unpacklo_epi16(va, _mm_srli_si128(va, 4));
        pb = _mm_unpacklo_epi16(vb, _mm_srli_si128(vb, 4));
    } else if (cn == 3) {
        pa = _mm_unpacklo_epi16(va, _mm_srli_si128(va, 6));
        pb = _mm_unpacklo_epi16(vb, _mm_srli_si128(vb, 6));
    } else {
        pa = _mm_unpacklo_epi16(va, _mm_srli_si128(va, 8));
        pb = _mm_unpacklo_epi16(vb, _mm_srli_si128(vb, 8));
    }
    __m128i t0 = _mm_srai_epi32(_mm_add_epi32(_mm_madd_epi16(pa, wxx), eight), 4);
    __m128i t1 = _mm_srai_epi32(_mm_add_epi32(_mm_madd_epi16(pb, wxx), eight), 4);
    __m128i t = _mm_packs_epi32(t0, t1);        /* t0 lanes, then t1 lanes */
    __m128i r = _mm_madd_epi16(_mm_unpacklo_epi16(t, _mm_srli_si128(t, 8)), wyy);
    r = _mm_srai_epi32(_mm_add_epi32(r, _mm_set1_epi32(1 << 17)), 18);
    r = _mm_packs_epi32(r, r);
    uint32_t v = (uint32_t)_mm_cvtsi128_si32(_mm_packus_epi16(r, r));
    __builtin_memcpy(d, &v, cn);
#else
    for (int c = 0; c < cn; c++)
        d[c] = pp_lin_final(pp_lin_q7(r0[c], r0[c + cn], wx), pp_lin_q7(r1[c], r1[c + cn], wx),
                            wy);
#endif
}

/* Four one-channel pixels at source coordinates xs[k], ys[k] (k < 4): when
 * all four have their 2 x 2 taps inside the h x w source (rows rowlen apart),
 * writes d[0..3] and returns 1, else returns 0 and writes nothing.  The
 * coordinates go to 1/2048 pixel as lrint(v * 2048) does (cvtpd2dq rounds
 * half to even; used only for |v| < 2**19, where the result fits int32), and
 * the pixels are the integers of pp_lin_u8_px. */
static inline int pp_lin_u8_gray4(const uint8_t* src, ptrdiff_t rowlen, ptrdiff_t w,
                                  ptrdiff_t h, const double* xs, const double* ys, uint8_t* d) {
#if PP_SSE2
    if (w > (1 << 19) || h > (1 << 19))
        return 0;
    const __m128d lim = _mm_set1_pd(524288.0), nlim = _mm_set1_pd(-524288.0);
    const __m128d s = _mm_set1_pd(2048.0);
    __m128d x0 = _mm_loadu_pd(xs), x1 = _mm_loadu_pd(xs + 2);
    __m128d y0 = _mm_loadu_pd(ys), y1 = _mm_loadu_pd(ys + 2);
    __m128d ok = _mm_and_pd(_mm_and_pd(_mm_cmplt_pd(x0, lim), _mm_cmpgt_pd(x0, nlim)),
                            _mm_and_pd(_mm_cmplt_pd(x1, lim), _mm_cmpgt_pd(x1, nlim)));
    ok = _mm_and_pd(ok, _mm_and_pd(_mm_and_pd(_mm_cmplt_pd(y0, lim), _mm_cmpgt_pd(y0, nlim)),
                                   _mm_and_pd(_mm_cmplt_pd(y1, lim), _mm_cmpgt_pd(y1, nlim))));
    if (_mm_movemask_pd(ok) != 3)
        return 0;
    __m128i X = _mm_unpacklo_epi64(_mm_cvtpd_epi32(_mm_mul_pd(x0, s)),
                                   _mm_cvtpd_epi32(_mm_mul_pd(x1, s)));
    __m128i Y = _mm_unpacklo_epi64(_mm_cvtpd_epi32(_mm_mul_pd(y0, s)),
                                   _mm_cvtpd_epi32(_mm_mul_pd(y1, s)));
    __m128i ix = _mm_srai_epi32(X, 11), iy = _mm_srai_epi32(Y, 11);
    const __m128i m1 = _mm_set1_epi32(-1);
    const __m128i wm1 = _mm_set1_epi32((int32_t)(w - 1)), hm1 = _mm_set1_epi32((int32_t)(h - 1));
    __m128i in = _mm_and_si128(_mm_and_si128(_mm_cmpgt_epi32(ix, m1), _mm_cmplt_epi32(ix, wm1)),
                               _mm_and_si128(_mm_cmpgt_epi32(iy, m1), _mm_cmplt_epi32(iy, hm1)));
    if (_mm_movemask_epi8(in) != 0xffff)
        return 0;
    const __m128i frac = _mm_set1_epi32(2047), one = _mm_set1_epi32(2048);
    __m128i wx = _mm_and_si128(X, frac), wy = _mm_and_si128(Y, frac);
    /* (2048 - w, w) int16 pairs */
    __m128i vwx = _mm_or_si128(_mm_sub_epi32(one, wx), _mm_slli_epi32(wx, 16));
    __m128i vwy = _mm_or_si128(_mm_sub_epi32(one, wy), _mm_slli_epi32(wy, 16));
    int32_t cx[4], cy[4];
    _mm_storeu_si128((__m128i*)cx, ix);
    _mm_storeu_si128((__m128i*)cy, iy);
    __m128i pa = _mm_setzero_si128(), pb = _mm_setzero_si128();
    uint16_t q;
#define PP_TAPS(k)                                                          \
    {                                                                       \
        const uint8_t* p = src + (ptrdiff_t)cy[k] * rowlen + cx[k];         \
        __builtin_memcpy(&q, p, 2);                                         \
        pa = _mm_insert_epi16(pa, q, k);                                    \
        __builtin_memcpy(&q, p + rowlen, 2);                                \
        pb = _mm_insert_epi16(pb, q, k);                                    \
    }
    PP_TAPS(0) PP_TAPS(1) PP_TAPS(2) PP_TAPS(3)
#undef PP_TAPS
    const __m128i z = _mm_setzero_si128(), eight = _mm_set1_epi32(8);
    /* word k holds pixel k's bytes (p00, p01): widen them to an int16 pair */
    pa = _mm_unpacklo_epi8(pa, z);
    pb = _mm_unpacklo_epi8(pb, z);
    __m128i t0 = _mm_srai_epi32(_mm_add_epi32(_mm_madd_epi16(pa, vwx), eight), 4);
    __m128i t1 = _mm_srai_epi32(_mm_add_epi32(_mm_madd_epi16(pb, vwx), eight), 4);
    __m128i t = _mm_packs_epi32(t0, t1);
    __m128i r = _mm_madd_epi16(_mm_unpacklo_epi16(t, _mm_srli_si128(t, 8)), vwy);
    r = _mm_srai_epi32(_mm_add_epi32(r, _mm_set1_epi32(1 << 17)), 18);
    r = _mm_packs_epi32(r, r);
    uint32_t v = (uint32_t)_mm_cvtsi128_si32(_mm_packus_epi16(r, r));
    __builtin_memcpy(d, &v, 4);
    return 1;
#else
    return 0;
#endif
}

/* ---- horizontal float pass of the vertical-first resize ----------------
 *
 * Output pixel dx of cn = 3 or 4 channels from the float row t:
 * sum_k t[xofs[K dx + k] + c] a[K dx + k], K = 2 or 4, summed left to right
 * as the scalar loop does (no contraction: the same float operations on 4
 * lanes, the 4th a stray for cn = 3).  uint8 output rounds half to even
 * ((x + 1.5 * 2**23) - 1.5 * 2**23) and saturates; float32 stores the sum.
 * t must have one readable float after its last element.  A pixel's stray
 * lane lands on the next pixel, written after it; the last pixel exactly.
 */
#if PP_SSE2
static inline __m128 pp_hsum4(const float* t, const ptrdiff_t* o, const float* a, int K) {
    __m128 acc = _mm_add_ps(_mm_mul_ps(_mm_loadu_ps(t + o[0]), _mm_set1_ps(a[0])),
                            _mm_mul_ps(_mm_loadu_ps(t + o[1]), _mm_set1_ps(a[1])));
    if (K == 4) {
        acc = _mm_add_ps(acc, _mm_mul_ps(_mm_loadu_ps(t + o[2]), _mm_set1_ps(a[2])));
        acc = _mm_add_ps(acc, _mm_mul_ps(_mm_loadu_ps(t + o[3]), _mm_set1_ps(a[3])));
    }
    return acc;
}
#endif

/* Returns the number of pixels done (the caller does the rest). */
static inline ptrdiff_t pp_hfin_u8(const float* t, uint8_t* d, ptrdiff_t dw, int cn, int K,
                                   const ptrdiff_t* xofs, const float* a) {
    ptrdiff_t x = 0;
#if PP_SSE2
    const __m128 magic = _mm_set1_ps(12582912.0f);
    for (; x + 1 < dw; x++) {
        __m128 v = _mm_sub_ps(_mm_add_ps(pp_hsum4(t, xofs + K * x, a + K * x, K), magic), magic);
        __m128i r = _mm_cvtps_epi32(v);       /* integral already: exact */
        r = _mm_packs_epi32(r, r);
        uint32_t u = (uint32_t)_mm_cvtsi128_si32(_mm_packus_epi16(r, r));
        __builtin_memcpy(d + x * cn, &u, 4);
    }
#endif
    return x;
}

static inline ptrdiff_t pp_hfin_f32(const float* t, float* d, ptrdiff_t dw, int cn, int K,
                                    const ptrdiff_t* xofs, const float* a) {
    ptrdiff_t x = 0;
#if PP_SSE2
    for (; x + 1 < dw; x++)
        _mm_storeu_ps(d + x * cn, pp_hsum4(t, xofs + K * x, a + K * x, K));
#endif
    return x;
}

/* ---- bilinear float32 sample (warps) ------------------------------------
 *
 * One pixel of 3 or 4 channels as the scalar code computes it, lane by lane:
 * v0 = p00 + fx (p01 - p00), v1 = p10 + fx (p11 - p10), v0 + fy (v1 - v0)
 * (no contraction).  Reads 4 floats at each of p00, p01 = p00 + cn, p10,
 * p11 and writes 4 at d: for cn = 3 the caller makes sure the 4th float after
 * p01 and p11 is inside the source and that the stray 4th lane at d is
 * written again later.
 */
static inline void pp_lin_f32_px(const float* p0, const float* p1, int cn, float fx, float fy,
                                 float* d) {
#if PP_SSE2
    __m128 vx = _mm_set1_ps(fx);
    __m128 a0 = _mm_loadu_ps(p0), a1 = _mm_loadu_ps(p0 + cn);
    __m128 b0 = _mm_loadu_ps(p1), b1 = _mm_loadu_ps(p1 + cn);
    __m128 v0 = _mm_add_ps(a0, _mm_mul_ps(vx, _mm_sub_ps(a1, a0)));
    __m128 v1 = _mm_add_ps(b0, _mm_mul_ps(vx, _mm_sub_ps(b1, b0)));
    _mm_storeu_ps(d, _mm_add_ps(v0, _mm_mul_ps(_mm_set1_ps(fy), _mm_sub_ps(v1, v0))));
#else
    for (int c = 0; c < cn; c++) {
        float v0 = p0[c] + fx * (p0[c + cn] - p0[c]);
        float v1 = p1[c] + fx * (p1[c + cn] - p1[c]);
        d[c] = v0 + fy * (v1 - v0);
    }
#endif
}

/* ---- reversing a row of 3-byte pixels (horizontal flips) ---------------
 *
 * dst pixel i = src pixel n - 1 - i.  Blocks of 5 pixels (15 bytes) move with
 * one 16-byte pshufb (SSSE3, checked at run time; a byte permutation, so the
 * same bytes as a plain copy).  A block's 16th byte is the first byte of the
 * next destination pixel, written again later; blocks never touch
 * destination pixel 0 nor read the source's last byte, so no access leaves
 * either row.
 */
#if defined(__GNUC__) && defined(__x86_64__)
#include <tmmintrin.h>
__attribute__((target("ssse3"))) static ptrdiff_t pp_reverse3_ssse3(uint8_t* dst,
                                                                    const uint8_t* src,
                                                                    ptrdiff_t n) {
    const __m128i order = _mm_setr_epi8(12, 13, 14, 9, 10, 11, 6, 7, 8, 3, 4, 5, 0, 1, 2, 15);
    ptrdiff_t i = 1;
    for (; i + 5 <= n - 1; i += 5) {
        __m128i v = _mm_loadu_si128((const __m128i*)(src + 3 * (n - 5 - i)));
        _mm_storeu_si128((__m128i*)(dst + 3 * i), _mm_shuffle_epi8(v, order));
    }
    return i;           /* the first pixel not written */
}

/* Run-time CPU checks for hand-written SIMD paths (each path gives the same
 * bytes as the portable code it replaces).  Racy but idempotent: every thread
 * stores the same answer. */
static inline int pp_has_ssse3(void) {
    static int known = -1;
    if (known < 0) {
        __builtin_cpu_init();
        known = __builtin_cpu_supports("ssse3") ? 1 : 0;
    }
    return known;
}
static inline int pp_has_avx2(void) {
    static int known = -1;
    if (known < 0) {
        __builtin_cpu_init();
        known = __builtin_cpu_supports("avx2") ? 1 : 0;
    }
    return known;
}
#define PP_REVERSE3_SSSE3 1
#else
#define PP_REVERSE3_SSSE3 0
#endif

static inline void pp_reverse3(uint8_t* dst, const uint8_t* src, ptrdiff_t n) {
    ptrdiff_t i = 0;
#if PP_REVERSE3_SSSE3
    if (n >= 7 && pp_has_ssse3()) {
        i = pp_reverse3_ssse3(dst, src, n);
        __builtin_memcpy(dst, src + 3 * (n - 1), 3);
    }
#endif
    for (; i < n; i++)
        __builtin_memcpy(dst + 3 * i, src + 3 * (n - 1 - i), 3);
}

#endif
