"""Kernels of the axis-aligned geometry operations (``pixelpipes.image.geometry``):
resize and scale, crop, padding with border modes, flips, transposition and
quarter turns, and the crop boxes of the random crops.

Conventions follow OpenCV's ``cv::resize`` and ``cv::copyMakeBorder``
(``imgproc/src/resize.cpp``): pixel centres map as ``sx = (dx + 0.5) * scale
- 0.5`` (coordinates rounded to float first), taps outside the image repeat
the edge pixel, uint8 images use OpenCV's weights rounded to Q11
(``RESIZE_COEF_BITS``).  Nearest neighbour picks ``floor(dx * scale)`` as
OpenCV's INTER_NEAREST does; area downscaling averages the source pixels each
output pixel covers (whole-factor and fractional), and area upscaling is
OpenCV's linear variant.

The separable filters sum in float (exact for uint8 with Q11 weights) and
choose per call between filtering source rows horizontally first (reused by
several output rows when enlarging) and combining source rows vertically
first (contiguous, so vectorised, when shrinking).  uint8 linear enlarging
uses OpenCV's 16-bit vertical pass.  The hot row loops are specialised for
1..4 channels through fused "tag" types; the horizontal passes of uint8
linear, and of 3-4 channel uint8/float32 rows after a vertical pass, use the
SSE2 helpers of _simd.h (the same integers and float operations as the
scalar loops).  The separable engine, ``resample_separable``, takes tap
tables in any order and is exported in _ops_geometry.pxd.

Wider paths, in C below, chosen at run time by what the CPU has and giving
the same bytes as the paths they replace: one-channel uint8 linear rows 8
outputs per window load and pshufb (SSSE3), uint8 cubic rows combined in
int32 (pmaddwd; the float sums exactly) and filtered two pixels per AVX2
vector, uint8 2 x 2 means (exact halvings) of 1-, 3- and 4-channel rows by
pshufb and pmaddubsw, quarter turns of 3- and 4-byte pixels in 4 x 4 blocks,
flips of 1-, 2- and 4-byte pixels 16 bytes at a time, and row copies in
32-byte moves.

Pixels are moved as units of 1 to 16 bytes (``pix_t``), so flips, crops,
transposition and nearest resizing are one code path per pixel size, not per
element type and channel count.
"""

from libc.stdint cimport (
    uint8_t, int16_t, uint16_t, int32_t, uint32_t, int64_t, uint64_t, uintptr_t,
)
from libc.string cimport memcpy, memset
from libc.math cimport floor

from pixelpipes._core._kernel cimport (
    Frame, Instr, Value, ERROR_SIZE, KIND_TENSOR, DT_UINT8, DT_INT16, DT_UINT16,
    DT_INT64, DT_FLOAT32, arg, iparam, fparam, new_tensor, scratch, fail,
    snprintf, itemsize, is_float, load_double, load_int,
)
from pixelpipes._core._image cimport (
    ImageView, as_image, new_image, border_index, store_pixel, pixel_t,
    BORDER_CONSTANT, BORDER_WRAP, INTERP_NEAREST, INTERP_LINEAR, INTERP_CUBIC,
    INTERP_AREA, INTERP_LANCZOS,
)
from pixelpipes._core._interpolation cimport (
    interp_weights, interp_taps, RESIZE_COEF_BITS, RESIZE_COEF_SCALE,
)
from pixelpipes._core._random cimport Rng, rng_init, round_even
from pixelpipes._core._boxes cimport rrc_box

cdef extern from "_simd.h" nogil:
    # return type of the vectorised row passes: built for AVX2 and the
    # baseline, picked at load time (integer or uncontracted float: the same
    # bits either way)
    ctypedef void cloned_void "PP_CLONES void"
    # Two-tap horizontal passes of uint8 linear resampling (SSE2; see the header).
    void pp_hlin_u8_q7(const uint8_t* s, int16_t* d, Py_ssize_t dw, Py_ssize_t cn,
                       const int32_t* o0, const int32_t* o1, const int32_t* w,
                       Py_ssize_t rowlen)
    void pp_hlin_q7_u8(const int16_t* t, uint8_t* d, Py_ssize_t dw, Py_ssize_t cn,
                       const int32_t* o0, const int32_t* o1, const int32_t* w)
    # horizontal float pass of 3- and 4-channel rows, 2 or 4 taps (SSE2)
    Py_ssize_t pp_hfin_u8(const float* t, uint8_t* d, Py_ssize_t dw, int cn, int K,
                          const Py_ssize_t* xofs, const float* a)
    Py_ssize_t pp_hfin_f32(const float* t, float* d, Py_ssize_t dw, int cn, int K,
                           const Py_ssize_t* xofs, const float* a)
    # reverse a row of 3-byte pixels (SSSE3 shuffles when the CPU has them)
    void pp_reverse3(uint8_t* dst, const uint8_t* src, Py_ssize_t n)


cdef extern from * nogil:
    """
    #include "_simd.h"
    #if defined(__GNUC__) && defined(__x86_64__)
    #include <immintrin.h>
    /* Quarter turns of 3- and 4-byte pixels: dst (w x h) [i, j] = src (h x w)
       [r(j), c(i)], r(j) = h - 1 - j if flip_rows, c(i) = w - 1 - i if
       flip_cols.  4 x 4 pixel blocks: four source rows give 4 pixels each,
       widened to one pixel per 32-bit lane (pshufb, reversing the lanes for
       flip_cols), transposed as 4 x 4 dwords and narrowed again: byte moves
       only, so the same bytes as the scalar loops.  Tiles of 8 output rows x
       32 output columns (3-byte pixels; 16 x 64 for 4-byte pixels) keep the
       lines read and written in L1; the source rows of the tile's next
       blocks and the output lines of the next tile are prefetched (both are
       rows apart, which the hardware prefetcher follows poorly; each takes
       about a tenth off the time into a cold batch array).  The ragged
       strips go pixel by pixel. */
    static inline __attribute__((always_inline)) __m128i pp_load12(const uint8_t* p) {
        int32_t v;
        __builtin_memcpy(&v, p + 8, 4);
        return _mm_unpacklo_epi64(_mm_loadl_epi64((const __m128i*)p), _mm_cvtsi32_si128(v));
    }

    /* 12 bytes; with ``wide`` 16, the 4 past them written again later. */
    static inline __attribute__((always_inline)) void pp_store12(uint8_t* q, __m128i v,
                                                                 int wide) {
        if (wide) {
            _mm_storeu_si128((__m128i*)q, v);
        } else {
            _mm_storel_epi64((__m128i*)q, v);
            uint32_t u = (uint32_t)_mm_cvtsi128_si32(_mm_srli_si128(v, 8));
            __builtin_memcpy(q + 8, &u, 4);
        }
    }

    __attribute__((target("ssse3"))) static void pp_turn34_ssse3(
            uint8_t* dst, const uint8_t* src, ptrdiff_t h, ptrdiff_t w, int ps,
            int flip_rows, int flip_cols) {
        const ptrdiff_t h4 = h & ~(ptrdiff_t)3, w4 = w & ~(ptrdiff_t)3;
        const ptrdiff_t rowb = w * ps, qs = h * ps;
        const ptrdiff_t rstep = flip_rows ? -rowb : rowb;
        const uint8_t* base = src + (flip_rows ? (h - 1) * rowb : 0);
        const __m128i wide = flip_cols
            ? _mm_setr_epi8(9, 10, 11, -1, 6, 7, 8, -1, 3, 4, 5, -1, 0, 1, 2, -1)
            : _mm_setr_epi8(0, 1, 2, -1, 3, 4, 5, -1, 6, 7, 8, -1, 9, 10, 11, -1);
        const __m128i narrow = _mm_setr_epi8(0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14,
                                             -1, -1, -1, -1);
        /* tile: ti output rows x tj output columns (measured best) */
        const ptrdiff_t ti = ps == 3 ? 8 : 16, tj = ps == 3 ? 32 : 64;
        for (ptrdiff_t i0 = 0; i0 < w4; i0 += ti) {
            ptrdiff_t i1 = i0 + ti < w4 ? i0 + ti : w4;
            for (ptrdiff_t jt = 0; jt < h4; jt += tj) {
                ptrdiff_t jt1 = jt + tj < h4 ? jt + tj : h4;
                if (jt1 + tj <= h4) {       /* the next tile's output lines, for writing */
                    for (ptrdiff_t i = i0; i < i1; i++) {
                        uint8_t* q = dst + (i * h + jt1) * ps;
                        for (ptrdiff_t b = 0; b < tj * ps; b += 64)
                            __builtin_prefetch(q + b, 1);
                    }
                }
                for (ptrdiff_t j0 = jt; j0 < jt1; j0 += 4) {
                    const uint8_t* s0 = base + j0 * rstep;
                    int wide_store = ps == 3 && j0 + 6 <= h;
                    if (j0 + 20 <= h4) {
                        const uint8_t* pf = base + (j0 + 16) * rstep
                                            + (flip_cols ? w - i1 : i0) * ps;
                        for (int t = 0; t < 4; t++) {
                            __builtin_prefetch(pf + t * rstep);
                            __builtin_prefetch(pf + t * rstep + (i1 - i0) * ps - 1);
                        }
                    }
                    for (ptrdiff_t i = i0; i < i1; i += 4) {
                        const uint8_t* p = s0 + (flip_cols ? w - 4 - i : i) * ps;
                        __m128i r0, r1, r2, r3;
                        if (ps == 3) {
                            r0 = _mm_shuffle_epi8(pp_load12(p), wide);
                            r1 = _mm_shuffle_epi8(pp_load12(p + rstep), wide);
                            r2 = _mm_shuffle_epi8(pp_load12(p + 2 * rstep), wide);
                            r3 = _mm_shuffle_epi8(pp_load12(p + 3 * rstep), wide);
                        } else {
                            r0 = _mm_loadu_si128((const __m128i*)p);
                            r1 = _mm_loadu_si128((const __m128i*)(p + rstep));
                            r2 = _mm_loadu_si128((const __m128i*)(p + 2 * rstep));
                            r3 = _mm_loadu_si128((const __m128i*)(p + 3 * rstep));
                            if (flip_cols) {
                                r0 = _mm_shuffle_epi32(r0, 0x1B);
                                r1 = _mm_shuffle_epi32(r1, 0x1B);
                                r2 = _mm_shuffle_epi32(r2, 0x1B);
                                r3 = _mm_shuffle_epi32(r3, 0x1B);
                            }
                        }
                        __m128i a = _mm_unpacklo_epi32(r0, r1), b = _mm_unpacklo_epi32(r2, r3);
                        __m128i c = _mm_unpackhi_epi32(r0, r1), d = _mm_unpackhi_epi32(r2, r3);
                        __m128i o0 = _mm_unpacklo_epi64(a, b), o1 = _mm_unpackhi_epi64(a, b);
                        __m128i o2 = _mm_unpacklo_epi64(c, d), o3 = _mm_unpackhi_epi64(c, d);
                        uint8_t* q = dst + (i * h + j0) * ps;
                        if (ps == 3) {
                            pp_store12(q, _mm_shuffle_epi8(o0, narrow), wide_store);
                            pp_store12(q + qs, _mm_shuffle_epi8(o1, narrow), wide_store);
                            pp_store12(q + 2 * qs, _mm_shuffle_epi8(o2, narrow), wide_store);
                            pp_store12(q + 3 * qs, _mm_shuffle_epi8(o3, narrow), wide_store);
                        } else {
                            _mm_storeu_si128((__m128i*)q, o0);
                            _mm_storeu_si128((__m128i*)(q + qs), o1);
                            _mm_storeu_si128((__m128i*)(q + 2 * qs), o2);
                            _mm_storeu_si128((__m128i*)(q + 3 * qs), o3);
                        }
                    }
                }
            }
        }
        for (ptrdiff_t i = 0; i < w; i++) {
            ptrdiff_t c = flip_cols ? w - 1 - i : i;
            for (ptrdiff_t j = (i < w4 ? h4 : 0); j < h; j++) {
                ptrdiff_t r = flip_rows ? h - 1 - j : j;
                __builtin_memcpy(dst + (i * h + j) * ps, src + r * rowb + c * ps, (size_t)ps);
            }
        }
    }

    static inline int pp_turn34(uint8_t* dst, const uint8_t* src, ptrdiff_t h, ptrdiff_t w,
                                int ps, int flip_rows, int flip_cols) {
        if (!pp_has_ssse3())
            return 0;
        pp_turn34_ssse3(dst, src, h, w, ps, flip_rows, flip_cols);
        return 1;
    }
    /* ---- one-channel two-tap passes, 8 outputs per pshufb ------------------
       For each group of 8 outputs whose 16 taps lie in a window of 16
       elements (any order: enlarging, and shrinking down to about 0.55x),
       ``gbase[g]`` is the window's first element (-1: the group goes pixel by
       pixel) and ``gmask`` the pshufb masks that lay the taps out as the
       (p0, p1) pairs of pp_hlin_*: one window load replaces 16 element
       loads.  The pairs meet the same packed weights in one pmaddwd, so the
       integers are those of pp_hlin_u8_q7 / pp_hlin_q7_u8. */
    #define PP_GROUP_U8_MASK 16     /* mask bytes per group: uint8 source */
    #define PP_GROUP_Q7_MASK 64     /* ... int16 Q7 source (2 quads x 2 halves) */

    /* ``elem`` 1: uint8 rows of ``rowlen`` readable elements; 2: Q7 int16 rows
       with 16 readable elements past any tap. Returns the number of groups. */
    static ptrdiff_t pp_lin_groups(const int32_t* o0, const int32_t* o1, ptrdiff_t dw,
                                   ptrdiff_t rowlen, int elem, int32_t* gbase,
                                   uint8_t* gmask) {
        ptrdiff_t ng = dw / 8;
        for (ptrdiff_t g = 0; g < ng; g++) {
            const int32_t* a = o0 + 8 * g;
            const int32_t* b = o1 + 8 * g;
            int32_t lo = a[0], hi = a[0];
            for (int k = 0; k < 8; k++) {
                lo = a[k] < lo ? a[k] : lo;
                lo = b[k] < lo ? b[k] : lo;
                hi = a[k] > hi ? a[k] : hi;
                hi = b[k] > hi ? b[k] : hi;
            }
            gbase[g] = -1;
            if (hi - lo > 15 || (elem == 1 && lo + 16 > rowlen))
                continue;
            gbase[g] = lo;
            if (elem == 1) {
                uint8_t* m = gmask + PP_GROUP_U8_MASK * g;
                for (int k = 0; k < 8; k++) {
                    m[2 * k] = (uint8_t)(a[k] - lo);
                    m[2 * k + 1] = (uint8_t)(b[k] - lo);
                }
                continue;
            }
            uint8_t* m = gmask + PP_GROUP_Q7_MASK * g;
            for (int s = 0; s < 16; s++) {      /* int16 slot s of quad s / 8 */
                int k = s >> 1, e = (s & 1 ? b[k] : a[k]) - lo;
                uint8_t* lm = m + 32 * (s >> 3) + 2 * (s & 7);
                uint8_t* hm = lm + 16;
                lm[0] = e < 8 ? (uint8_t)(2 * e) : 0x80;
                lm[1] = e < 8 ? (uint8_t)(2 * e + 1) : 0x80;
                hm[0] = e < 8 ? 0x80 : (uint8_t)(2 * e - 16);
                hm[1] = e < 8 ? 0x80 : (uint8_t)(2 * e - 15);
            }
        }
        return ng;
    }

    /* pp_hlin_u8_q7 for one channel, through the group tables. */
    __attribute__((target("ssse3"))) static void pp_hlin1_u8_q7_ssse3(
            const uint8_t* s, int16_t* d, ptrdiff_t dw, const int32_t* o0,
            const int32_t* o1, const int32_t* w, ptrdiff_t rowlen, ptrdiff_t ng,
            const int32_t* gbase, const uint8_t* gmask) {
        const __m128i z = _mm_setzero_si128();
        for (ptrdiff_t g = 0; g < ng; g++) {
            ptrdiff_t x = 8 * g;
            if (gbase[g] < 0) {
                pp_hlin_u8_q7(s, d + x, 8, 1, o0 + x, o1 + x, w + x, rowlen);
                continue;
            }
            const __m128i* m = (const __m128i*)(gmask + PP_GROUP_U8_MASK * g);
            __m128i v = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i*)(s + gbase[g])),
                                         _mm_loadu_si128(m));
            __m128i r0 = _mm_madd_epi16(_mm_unpacklo_epi8(v, z),
                                        _mm_loadu_si128((const __m128i*)(w + x)));
            __m128i r1 = _mm_madd_epi16(_mm_unpackhi_epi8(v, z),
                                        _mm_loadu_si128((const __m128i*)(w + x + 4)));
            _mm_storeu_si128((__m128i*)(d + x), _mm_packs_epi32(_mm_srai_epi32(r0, 4),
                                                                _mm_srai_epi32(r1, 4)));
        }
        ptrdiff_t x = 8 * ng;
        pp_hlin_u8_q7(s, d + x, dw - x, 1, o0 + x, o1 + x, w + x, rowlen);
    }

    /* pp_hlin_q7_u8 for one channel, through the group tables. */
    __attribute__((target("ssse3"))) static void pp_hlin1_q7_u8_ssse3(
            const int16_t* t, uint8_t* d, ptrdiff_t dw, const int32_t* o0,
            const int32_t* o1, const int32_t* w, ptrdiff_t ng, const int32_t* gbase,
            const uint8_t* gmask) {
        const __m128i half = _mm_set1_epi32(1 << 17);
        for (ptrdiff_t g = 0; g < ng; g++) {
            ptrdiff_t x = 8 * g;
            if (gbase[g] < 0) {
                pp_hlin_q7_u8(t, d + x, 8, 1, o0 + x, o1 + x, w + x);
                continue;
            }
            const int16_t* p = t + gbase[g];
            const uint8_t* m = gmask + PP_GROUP_Q7_MASK * g;
            __m128i lo = _mm_loadu_si128((const __m128i*)p);
            __m128i hi = _mm_loadu_si128((const __m128i*)(p + 8));
            __m128i q0 = _mm_or_si128(
                _mm_shuffle_epi8(lo, _mm_loadu_si128((const __m128i*)m)),
                _mm_shuffle_epi8(hi, _mm_loadu_si128((const __m128i*)(m + 16))));
            __m128i q1 = _mm_or_si128(
                _mm_shuffle_epi8(lo, _mm_loadu_si128((const __m128i*)(m + 32))),
                _mm_shuffle_epi8(hi, _mm_loadu_si128((const __m128i*)(m + 48))));
            __m128i r0 = _mm_madd_epi16(q0, _mm_loadu_si128((const __m128i*)(w + x)));
            __m128i r1 = _mm_madd_epi16(q1, _mm_loadu_si128((const __m128i*)(w + x + 4)));
            r0 = _mm_srai_epi32(_mm_add_epi32(r0, half), 18);
            r1 = _mm_srai_epi32(_mm_add_epi32(r1, half), 18);
            __m128i r = _mm_packs_epi32(r0, r1);
            _mm_storel_epi64((__m128i*)(d + x), _mm_packus_epi16(r, r));
        }
        ptrdiff_t x = 8 * ng;
        pp_hlin_q7_u8(t, d + x, dw - x, 1, o0 + x, o1 + x, w + x);
    }

    static inline int pp_lin_groups_usable(void) {
        return pp_has_ssse3();
    }
    static inline void pp_hlin1_u8_q7(const uint8_t* s, int16_t* d, ptrdiff_t dw,
                                      const int32_t* o0, const int32_t* o1, const int32_t* w,
                                      ptrdiff_t rowlen, ptrdiff_t ng, const int32_t* gbase,
                                      const uint8_t* gmask) {
        pp_hlin1_u8_q7_ssse3(s, d, dw, o0, o1, w, rowlen, ng, gbase, gmask);
    }
    static inline void pp_hlin1_q7_u8(const int16_t* t, uint8_t* d, ptrdiff_t dw,
                                      const int32_t* o0, const int32_t* o1, const int32_t* w,
                                      ptrdiff_t ng, const int32_t* gbase, const uint8_t* gmask) {
        pp_hlin1_q7_u8_ssse3(t, d, dw, o0, o1, w, ng, gbase, gmask);
    }
    /* ---- uint8 four-tap rows, vertical pass first ------------------------
       pp_vcub_u8: T[i] = sum_k s_k[i] q_k / 2048 for Q11 int16 weights q_k,
       summed exactly in int32 (pmaddwd) and converted once.  Equal to the
       float sums of v_float with the weights q_k / 2048: every product and
       partial sum there is a multiple of 2**-11 below 2**12, exact in float.

       pp_hfin2_u8: pp_hfin_u8 two pixels per 256-bit vector (AVX2), the
       same float operations lane by lane; ``a4`` holds each weight 4 times,
       by pairs of pixels: ``a4[8 (K p + k) + 4 j + c] = a[K (2 p + j) + k]``. */
    /* the int16 pair (a, b) as one int32 lane, for pmaddwd */
    static inline int32_t pp_pair16(int16_t a, int16_t b) {
        return (int32_t)((uint16_t)a | ((uint32_t)(uint16_t)b << 16));
    }

    static inline void pp_vcub_u8_px(const uint8_t* const* S, const int16_t* q, float* T,
                                     ptrdiff_t i) {
        int32_t v = S[0][i] * q[0] + S[1][i] * q[1] + S[2][i] * q[2] + S[3][i] * q[3];
        T[i] = (float)v * (1.0f / 2048.0f);
    }

    __attribute__((target("avx2"))) static void pp_vcub_u8_avx2(
            const uint8_t* const* S, const int16_t* q, float* T, ptrdiff_t n) {
        const __m256i w01 = _mm256_set1_epi32(pp_pair16(q[0], q[1]));
        const __m256i w23 = _mm256_set1_epi32(pp_pair16(q[2], q[3]));
        const __m256 sc = _mm256_set1_ps(1.0f / 2048.0f);
        ptrdiff_t i = 0;
        for (; i + 16 <= n; i += 16) {
            __m256i a = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i*)(S[0] + i)));
            __m256i b = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i*)(S[1] + i)));
            __m256i c = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i*)(S[2] + i)));
            __m256i d = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i*)(S[3] + i)));
            /* lanes: elements 0-3 | 8-11 (lo) and 4-7 | 12-15 (hi) */
            __m256i lo = _mm256_add_epi32(_mm256_madd_epi16(_mm256_unpacklo_epi16(a, b), w01),
                                          _mm256_madd_epi16(_mm256_unpacklo_epi16(c, d), w23));
            __m256i hi = _mm256_add_epi32(_mm256_madd_epi16(_mm256_unpackhi_epi16(a, b), w01),
                                          _mm256_madd_epi16(_mm256_unpackhi_epi16(c, d), w23));
            __m256 flo = _mm256_mul_ps(_mm256_cvtepi32_ps(lo), sc);
            __m256 fhi = _mm256_mul_ps(_mm256_cvtepi32_ps(hi), sc);
            _mm256_storeu_ps(T + i, _mm256_permute2f128_ps(flo, fhi, 0x20));
            _mm256_storeu_ps(T + i + 8, _mm256_permute2f128_ps(flo, fhi, 0x31));
        }
        for (; i < n; i++)
            pp_vcub_u8_px(S, q, T, i);
    }

    static void pp_vcub_u8_sse2(const uint8_t* const* S, const int16_t* q, float* T,
                                ptrdiff_t n) {
        const __m128i w01 = _mm_set1_epi32(pp_pair16(q[0], q[1]));
        const __m128i w23 = _mm_set1_epi32(pp_pair16(q[2], q[3]));
        const __m128 sc = _mm_set1_ps(1.0f / 2048.0f);
        const __m128i z = _mm_setzero_si128();
        ptrdiff_t i = 0;
        for (; i + 8 <= n; i += 8) {
            __m128i a = _mm_unpacklo_epi8(_mm_loadl_epi64((const __m128i*)(S[0] + i)), z);
            __m128i b = _mm_unpacklo_epi8(_mm_loadl_epi64((const __m128i*)(S[1] + i)), z);
            __m128i c = _mm_unpacklo_epi8(_mm_loadl_epi64((const __m128i*)(S[2] + i)), z);
            __m128i d = _mm_unpacklo_epi8(_mm_loadl_epi64((const __m128i*)(S[3] + i)), z);
            __m128i lo = _mm_add_epi32(_mm_madd_epi16(_mm_unpacklo_epi16(a, b), w01),
                                       _mm_madd_epi16(_mm_unpacklo_epi16(c, d), w23));
            __m128i hi = _mm_add_epi32(_mm_madd_epi16(_mm_unpackhi_epi16(a, b), w01),
                                       _mm_madd_epi16(_mm_unpackhi_epi16(c, d), w23));
            _mm_storeu_ps(T + i, _mm_mul_ps(_mm_cvtepi32_ps(lo), sc));
            _mm_storeu_ps(T + i + 4, _mm_mul_ps(_mm_cvtepi32_ps(hi), sc));
        }
        for (; i < n; i++)
            pp_vcub_u8_px(S, q, T, i);
    }

    static void pp_vcub_u8(const uint8_t* const* S, const int16_t* q, float* T, ptrdiff_t n) {
        if (pp_has_avx2())
            pp_vcub_u8_avx2(S, q, T, n);
        else
            pp_vcub_u8_sse2(S, q, T, n);
    }

    /* Returns the number of pixels done (the caller does the rest, at least
       the last pixel, which has no stray lane). */
    __attribute__((target("avx2"))) static ptrdiff_t pp_hfin2_u8_avx2(
            const float* t, uint8_t* d, ptrdiff_t dw, int cn, int K, const ptrdiff_t* xofs,
            const float* a4) {
        const __m256 magic = _mm256_set1_ps(12582912.0f);
        ptrdiff_t x = 0;
    #define PP_TAP2(k) _mm256_mul_ps(                                                \
            _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_loadu_ps(t + o[k])),     \
                                 _mm_loadu_ps(t + o[K + (k)]), 1),                   \
            _mm256_loadu_ps(w + 8 * (k)))
        for (; x + 2 < dw; x += 2) {
            const ptrdiff_t* o = xofs + K * x;
            const float* w = a4 + 4 * K * x;     /* the pair's taps: 8 floats each */
            __m256 acc = _mm256_add_ps(PP_TAP2(0), PP_TAP2(1));
            if (K == 4) {
                acc = _mm256_add_ps(acc, PP_TAP2(2));
                acc = _mm256_add_ps(acc, PP_TAP2(3));
            }
            __m256i r = _mm256_cvtps_epi32(_mm256_sub_ps(_mm256_add_ps(acc, magic), magic));
            r = _mm256_packs_epi32(r, r);
            r = _mm256_packus_epi16(r, r);
            uint32_t u0 = (uint32_t)_mm256_cvtsi256_si32(r);
            uint32_t u1 = (uint32_t)_mm_cvtsi128_si32(_mm256_extracti128_si256(r, 1));
            __builtin_memcpy(d + x * cn, &u0, 4);           /* a stray lane on pixel x + 1 */
            __builtin_memcpy(d + (x + 1) * cn, &u1, 4);     /* ... on x + 2, written later */
        }
    #undef PP_TAP2
        return x;
    }

    static inline ptrdiff_t pp_hfin2_u8(const float* t, uint8_t* d, ptrdiff_t dw, int cn,
                                        int K, const ptrdiff_t* xofs, const float* a4) {
        if (!pp_has_avx2())
            return 0;
        return pp_hfin2_u8_avx2(t, d, dw, cn, K, xofs, a4);
    }

    /* ---- reversing rows of 1-, 2- and 4-byte pixels (horizontal flips) ---
       16 bytes per pshufb; returns the number of pixels written (the first
       ones of dst, from the end of src), the caller reverses the rest. */
    __attribute__((target("ssse3"))) static ptrdiff_t pp_reverse124_ssse3(
            uint8_t* dst, const uint8_t* src, ptrdiff_t n, int ps) {
        const __m128i order = ps == 1
            ? _mm_setr_epi8(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0)
            : ps == 2 ? _mm_setr_epi8(14, 15, 12, 13, 10, 11, 8, 9, 6, 7, 4, 5, 2, 3, 0, 1)
                      : _mm_setr_epi8(12, 13, 14, 15, 8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3);
        ptrdiff_t bytes = n * ps, i = 0;
        for (; i + 32 <= bytes; i += 32) {
            __m128i a = _mm_loadu_si128((const __m128i*)(src + bytes - i - 16));
            __m128i b = _mm_loadu_si128((const __m128i*)(src + bytes - i - 32));
            _mm_storeu_si128((__m128i*)(dst + i), _mm_shuffle_epi8(a, order));
            _mm_storeu_si128((__m128i*)(dst + i + 16), _mm_shuffle_epi8(b, order));
        }
        for (; i + 16 <= bytes; i += 16) {
            __m128i a = _mm_loadu_si128((const __m128i*)(src + bytes - i - 16));
            _mm_storeu_si128((__m128i*)(dst + i), _mm_shuffle_epi8(a, order));
        }
        return i / ps;
    }

    static inline ptrdiff_t pp_reverse124(uint8_t* dst, const uint8_t* src, ptrdiff_t n,
                                          int ps) {
        if (!pp_has_ssse3())
            return 0;
        return pp_reverse124_ssse3(dst, src, n, ps);
    }

    /* ---- row copies (crops, pads, vertical flips) -------------------------
       Rows of a few hundred bytes to a few kB: a plain loop of unaligned
       32-byte moves copied 256 rows of 768 bytes in 5.4 us where glibc's
       memcpy took 7.4 (rows in cache; into a cold batch array the two are
       equal, bound by memory). */
    __attribute__((target("avx2"))) static void pp_copy_avx2(uint8_t* d, const uint8_t* s,
                                                             size_t n) {
        size_t i = 0;
        for (; i + 128 <= n; i += 128) {
            __m256i a = _mm256_loadu_si256((const __m256i*)(s + i));
            __m256i b = _mm256_loadu_si256((const __m256i*)(s + i + 32));
            __m256i c = _mm256_loadu_si256((const __m256i*)(s + i + 64));
            __m256i e = _mm256_loadu_si256((const __m256i*)(s + i + 96));
            _mm256_storeu_si256((__m256i*)(d + i), a);
            _mm256_storeu_si256((__m256i*)(d + i + 32), b);
            _mm256_storeu_si256((__m256i*)(d + i + 64), c);
            _mm256_storeu_si256((__m256i*)(d + i + 96), e);
        }
        for (; i + 32 <= n; i += 32)
            _mm256_storeu_si256((__m256i*)(d + i),
                                _mm256_loadu_si256((const __m256i*)(s + i)));
        if (i < n)      /* the last 32 bytes again (n >= 32) */
            _mm256_storeu_si256((__m256i*)(d + n - 32),
                                _mm256_loadu_si256((const __m256i*)(s + n - 32)));
    }

    static inline void pp_copy_row(void* d, const void* s, size_t n) {
        if (n >= 32 && n <= 65536 && pp_has_avx2())
            pp_copy_avx2((uint8_t*)d, (const uint8_t*)s, n);
        else
            __builtin_memcpy(d, s, n);
    }

    /* ---- uint8 2 x 2 means (exact halving) -------------------------------
       d = (a + b + c + e + 2) >> 2 of each element's 2 x 2 block, as the
       scalar halve_row.  Elements to add are made neighbours by pshufb (3-
       and 4-channel pixels) and pmaddubsw with ones sums each pair of a row
       into 16-bit lanes (at most 510), the two rows then added.  Returns the
       number of output pixels written; the caller does the rest. */
    static inline __attribute__((always_inline, target("ssse3"))) __m128i pp_halve_pair(
            __m128i a, __m128i b, __m128i m, __m128i ones, __m128i two) {
        __m128i s = _mm_add_epi16(_mm_maddubs_epi16(_mm_shuffle_epi8(a, m), ones),
                                  _mm_maddubs_epi16(_mm_shuffle_epi8(b, m), ones));
        return _mm_srli_epi16(_mm_add_epi16(s, two), 2);
    }

    __attribute__((target("ssse3"))) static ptrdiff_t pp_halve_u8_ssse3(
            const uint8_t* r0, const uint8_t* r1, uint8_t* d, ptrdiff_t pairs, int cn) {
        const __m128i ones = _mm_set1_epi8(1), two = _mm_set1_epi16(2);
        const ptrdiff_t nb = 2 * pairs * cn;        /* source bytes read per row */
        ptrdiff_t i = 0;                            /* source byte offset */
        if (cn == 1 || cn == 4) {
            const __m128i m = cn == 1
                ? _mm_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
                : _mm_setr_epi8(0, 4, 1, 5, 2, 6, 3, 7, 8, 12, 9, 13, 10, 14, 11, 15);
            for (; i + 32 <= nb; i += 32) {
                __m128i lo = pp_halve_pair(_mm_loadu_si128((const __m128i*)(r0 + i)),
                                           _mm_loadu_si128((const __m128i*)(r1 + i)),
                                           m, ones, two);
                __m128i hi = pp_halve_pair(_mm_loadu_si128((const __m128i*)(r0 + i + 16)),
                                           _mm_loadu_si128((const __m128i*)(r1 + i + 16)),
                                           m, ones, two);
                _mm_storeu_si128((__m128i*)(d + i / 2), _mm_packus_epi16(lo, hi));
            }
        } else if (cn == 3) {
            /* 4 pixels (12 bytes) per load: 6 lanes, the last 2 zero */
            const __m128i m = _mm_setr_epi8(0, 3, 1, 4, 2, 5, 6, 9, 7, 10, 8, 11,
                                            -1, -1, -1, -1);
            const __m128i narrow = _mm_setr_epi8(0, 1, 2, 3, 4, 5, 8, 9, 10, 11, 12, 13,
                                                 -1, -1, -1, -1);
            for (; i + 52 <= nb; i += 48) {
    #define PP_HALVE3(o) pp_halve_pair(_mm_loadu_si128((const __m128i*)(r0 + i + (o))), \
                                       _mm_loadu_si128((const __m128i*)(r1 + i + (o))), \
                                       m, ones, two)
                __m128i a = _mm_shuffle_epi8(_mm_packus_epi16(PP_HALVE3(0), PP_HALVE3(12)),
                                             narrow);
                __m128i b = _mm_shuffle_epi8(_mm_packus_epi16(PP_HALVE3(24), PP_HALVE3(36)),
                                             narrow);
    #undef PP_HALVE3
                uint8_t* q = d + i / 2;
                _mm_storeu_si128((__m128i*)q, a);       /* 4 zero bytes, written next */
                _mm_storel_epi64((__m128i*)(q + 12), b);
                uint32_t u = (uint32_t)_mm_cvtsi128_si32(_mm_srli_si128(b, 8));
                __builtin_memcpy(q + 20, &u, 4);
            }
        } else {
            return 0;
        }
        return i / (2 * cn);
    }

    static inline ptrdiff_t pp_halve_u8(const uint8_t* r0, const uint8_t* r1, uint8_t* d,
                                        ptrdiff_t pairs, int cn) {
        if (!pp_has_ssse3())
            return 0;
        return pp_halve_u8_ssse3(r0, r1, d, pairs, cn);
    }

    #else
    static inline int pp_turn34(uint8_t* dst, const uint8_t* src, ptrdiff_t h, ptrdiff_t w,
                                int ps, int flip_rows, int flip_cols) {
        return 0;
    }
    #define PP_GROUP_U8_MASK 16
    #define PP_GROUP_Q7_MASK 64
    static inline int pp_lin_groups_usable(void) { return 0; }
    static inline int pp_has_avx2(void) { return 0; }
    static inline void pp_copy_row(void* d, const void* s, size_t n) {
        __builtin_memcpy(d, s, n);
    }
    static inline ptrdiff_t pp_reverse124(uint8_t* dst, const uint8_t* src, ptrdiff_t n,
                                          int ps) {
        return 0;
    }
    static inline ptrdiff_t pp_halve_u8(const uint8_t* r0, const uint8_t* r1, uint8_t* d,
                                        ptrdiff_t pairs, int cn) {
        return 0;
    }
    static void pp_vcub_u8(const uint8_t* const* S, const int16_t* q, float* T, ptrdiff_t n) {
        for (ptrdiff_t i = 0; i < n; i++) {
            int32_t v = S[0][i] * q[0] + S[1][i] * q[1] + S[2][i] * q[2] + S[3][i] * q[3];
            T[i] = (float)v * (1.0f / 2048.0f);
        }
    }
    static inline ptrdiff_t pp_hfin2_u8(const float* t, uint8_t* d, ptrdiff_t dw, int cn,
                                        int K, const ptrdiff_t* xofs, const float* a4) {
        return 0;
    }
    static inline ptrdiff_t pp_lin_groups(const int32_t* o0, const int32_t* o1, ptrdiff_t dw,
                                          ptrdiff_t rowlen, int elem, int32_t* gbase,
                                          uint8_t* gmask) { return 0; }
    static inline void pp_hlin1_u8_q7(const uint8_t* s, int16_t* d, ptrdiff_t dw,
                                      const int32_t* o0, const int32_t* o1, const int32_t* w,
                                      ptrdiff_t rowlen, ptrdiff_t ng, const int32_t* gbase,
                                      const uint8_t* gmask) {
        pp_hlin_u8_q7(s, d, dw, 1, o0, o1, w, rowlen);
    }
    static inline void pp_hlin1_q7_u8(const int16_t* t, uint8_t* d, ptrdiff_t dw,
                                      const int32_t* o0, const int32_t* o1, const int32_t* w,
                                      ptrdiff_t ng, const int32_t* gbase, const uint8_t* gmask) {
        pp_hlin_q7_u8(t, d, dw, 1, o0, o1, w);
    }
    #endif
    """
    # One-channel two-tap uint8 passes, 8 outputs per window load and pshufb:
    # the group tables (bytes per group: 4 + PP_GROUP_*_MASK) and the passes.
    int PP_GROUP_Q7_MASK
    bint pp_lin_groups_usable()
    Py_ssize_t pp_lin_groups(const int32_t* o0, const int32_t* o1, Py_ssize_t dw,
                             Py_ssize_t rowlen, int elem, int32_t* gbase, uint8_t* gmask)
    void pp_hlin1_u8_q7(const uint8_t* s, int16_t* d, Py_ssize_t dw, const int32_t* o0,
                        const int32_t* o1, const int32_t* w, Py_ssize_t rowlen, Py_ssize_t ng,
                        const int32_t* gbase, const uint8_t* gmask)
    void pp_hlin1_q7_u8(const int16_t* t, uint8_t* d, Py_ssize_t dw, const int32_t* o0,
                        const int32_t* o1, const int32_t* w, Py_ssize_t ng,
                        const int32_t* gbase, const uint8_t* gmask)
    # uint8 four-tap vertical pass in int32 (the float sums of v_float, exactly)
    void pp_vcub_u8(const uint8_t** S, const int16_t* q, float* T, Py_ssize_t n)
    # pp_hfin_u8 two pixels at a time where the CPU has AVX2 (else returns 0);
    # a4: the weights, each 4 times, by pairs of pixels
    bint pp_has_avx2()
    Py_ssize_t pp_hfin2_u8(const float* t, uint8_t* d, Py_ssize_t dw, int cn, int K,
                           const Py_ssize_t* xofs, const float* a4)
    # Reverse the first pixels of a row of 1-, 2- or 4-byte pixels (SSSE3, 16
    # bytes at a time); returns how many were written (0 without SSSE3).
    Py_ssize_t pp_reverse124(uint8_t* dst, const uint8_t* src, Py_ssize_t n, int ps)
    # memcpy for rows (non-overlapping; faster for rows of up to 64 kB)
    void pp_copy_row(void* d, const void* s, size_t n)
    # Quarter turns of 3- and 4-byte pixels in SSSE3 4 x 4 blocks; returns 0
    # (nothing done) on a CPU without SSSE3.
    int pp_turn34(uint8_t* dst, const uint8_t* src, Py_ssize_t h, Py_ssize_t w, int ps,
                  int flip_rows, int flip_cols)
    # uint8 2 x 2 means of 1-, 3- and 4-channel rows (SSSE3); returns the
    # number of output pixels written (0 without SSSE3)
    Py_ssize_t pp_halve_u8(const uint8_t* r0, const uint8_t* r1, uint8_t* d,
                           Py_ssize_t pairs, int cn)


# Largest output image, in pixels (the issue's bound on absurd sizes).
cdef Py_ssize_t MAX_PIXELS = (<Py_ssize_t>1) << 31
cdef const char* BAD_PARAMS = "malformed instruction parameters"

# Whole pixels of 1 to 16 bytes: every pixel of an image of one of the four
# element types with 1 to 4 channels.
ctypedef struct px3_t:
    uint8_t v[3]
ctypedef struct px6_t:
    uint16_t v[3]
ctypedef struct px12_t:
    uint32_t v[3]
ctypedef struct px16_t:
    uint64_t v[2]

ctypedef fused pix_t:
    uint8_t
    uint16_t
    px3_t
    uint32_t
    px6_t
    uint64_t
    px12_t
    px16_t


# ---------------------------------------------------------------- helpers

cdef inline bint isfinite(double x) noexcept nogil:
    return x == x and x - x == 0.0



cdef inline int check_params(Frame* f, const Instr* ins, int nargs, int nip,
                             int nfp) noexcept nogil:
    """A program file can be edited: a kernel checks that its instruction has
    what it reads."""
    if ins.n_args != nargs or ins.n_iparams < nip or ins.n_fparams < nfp:
        return fail(f, BAD_PARAMS)
    return 0


cdef int get_number(Frame* f, Value* v, const char* what, double* out) noexcept nogil:
    if v.kind != KIND_TENSOR or v.length != 1:
        snprintf(f.error, ERROR_SIZE, "%s must be a scalar", what)
        return -1
    out[0] = load_double(v.data, v.dtype)
    if not isfinite(out[0]):
        snprintf(f.error, ERROR_SIZE, "%s must be a finite number, got %g", what, out[0])
        return -1
    return 0


cdef int get_coord(Frame* f, Value* v, const char* what, Py_ssize_t* out) noexcept nogil:
    """An integer coordinate or size: integer scalars as they are, float
    scalars rounded half to even; NaN, infinities and values beyond +-2**40
    fail."""
    cdef double x
    if v.kind != KIND_TENSOR or v.length != 1:
        snprintf(f.error, ERROR_SIZE, "%s must be a scalar", what)
        return -1
    if is_float(v.dtype):
        x = load_double(v.data, v.dtype)
        if not isfinite(x):
            snprintf(f.error, ERROR_SIZE, "%s must be a finite number, got %g", what, x)
            return -1
        if x > 1099511627776.0 or x < -1099511627776.0:
            snprintf(f.error, ERROR_SIZE, "%s is out of range: %g", what, x)
            return -1
        out[0] = <Py_ssize_t>round_even(x)
        return 0
    out[0] = <Py_ssize_t>load_int(v.data, v.dtype)
    if out[0] > (<Py_ssize_t>1) << 40 or out[0] < -((<Py_ssize_t>1) << 40):
        snprintf(f.error, ERROR_SIZE, "%s is out of range: %zd", what, out[0])
        return -1
    return 0


cdef int get_size(Frame* f, Value* v, const char* what, Py_ssize_t* out) noexcept nogil:
    """A size (> 0), as ``get_coord``."""
    if get_coord(f, v, what, out) != 0:
        return -1
    if out[0] <= 0:
        snprintf(f.error, ERROR_SIZE, "%s must be > 0, got %zd", what, out[0])
        return -1
    return 0


cdef int check_out_size(Frame* f, Py_ssize_t h, Py_ssize_t w) noexcept nogil:
    if h <= 0 or w <= 0:
        snprintf(f.error, ERROR_SIZE, "the output image would be empty (%zd x %zd)", h, w)
        return -1
    if h > MAX_PIXELS or w > MAX_PIXELS or h * w > MAX_PIXELS:
        snprintf(f.error, ERROR_SIZE,
                 "the output image of %zd x %zd pixels is too large (more than 2**31 pixels)",
                 h, w)
        return -1
    return 0


cdef int check_not_empty(Frame* f, const ImageView* im) noexcept nogil:
    if im.height <= 0 or im.width <= 0:
        snprintf(f.error, ERROR_SIZE, "the image is empty (%zd x %zd)", im.height, im.width)
        return -1
    return 0


cdef int clip_box(Frame* f, const ImageView* im, Py_ssize_t* x, Py_ssize_t* y, Py_ssize_t w,
                  Py_ssize_t h, Py_ssize_t* x1, Py_ssize_t* y1) noexcept nogil:
    """Clip the box (x, y, w, h) to the image: ``[x, x1) x [y, y1)``; fails
    when nothing is left."""
    x1[0] = x[0] + w if x[0] + w < im.width else im.width
    y1[0] = y[0] + h if y[0] + h < im.height else im.height
    if x1[0] <= x[0] or y1[0] <= y[0] or x1[0] <= 0 or y1[0] <= 0:
        snprintf(f.error, ERROR_SIZE,
                 "the crop (x=%zd, y=%zd, width=%zd, height=%zd) lies outside the "
                 "%zd x %zd (width x height) image", x[0], y[0], w, h, im.width, im.height)
        return -1
    if x[0] < 0:
        x[0] = 0
    if y[0] < 0:
        y[0] = 0
    return 0


cdef inline Py_ssize_t pixel_bytes(const ImageView* im) noexcept nogil:
    return im.channels * itemsize(im.dtype)


cdef inline Py_ssize_t clamp_index(Py_ssize_t i, Py_ssize_t n) noexcept nogil:
    if i < 0:
        return 0
    if i >= n:
        return n - 1
    return i


# ---------------------------------------------------------------- pixel moves

cdef void gather_row(pix_t* dst, const pix_t* src, const Py_ssize_t* ofs,
                     Py_ssize_t n) noexcept nogil:
    """``dst[i] = src[ofs[i]]``."""
    cdef Py_ssize_t i
    for i in range(n):
        dst[i] = src[ofs[i]]


cdef void reverse_row(pix_t* dst, const pix_t* src, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    src += n - 1
    for i in range(n):
        dst[i] = src[-i]


cdef void fill_row(pix_t* dst, const pix_t* value, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    cdef pix_t v = value[0]
    for i in range(n):
        dst[i] = v


cdef void turn_pixels(pix_t* dst, const pix_t* src, Py_ssize_t h, Py_ssize_t w,
                      bint flip_rows, bint flip_cols) noexcept nogil:
    """Transpose an ``h x w`` image into ``w x h``, optionally reading the
    source rows and/or columns in reverse: ``dst[i, j] = src[r(j), c(i)]``
    with ``r(j) = h - 1 - j`` if ``flip_rows`` and ``c(i) = w - 1 - i`` if
    ``flip_cols``.  Tiles of 16 x 64 output pixels are gathered into a local
    buffer and copied out row by row: ``dst`` is often a cold batch array,
    where scattered short stores stall on cache misses."""
    cdef Py_ssize_t i0, j0, i, j, i1, j1
    cdef Py_ssize_t rs = -w if flip_rows else w          # source step along j
    cdef Py_ssize_t cs = -1 if flip_cols else 1          # source step along i
    cdef const pix_t* base = src + (h - 1) * w * flip_rows + (w - 1) * flip_cols
    cdef const pix_t* s
    cdef pix_t* t
    cdef pix_t tile[16 * 64]
    for i0 in range(0, w, 16):
        i1 = i0 + 16 if i0 + 16 < w else w
        for j0 in range(0, h, 64):
            j1 = j0 + 64 if j0 + 64 < h else h
            for i in range(i0, i1):
                t = tile + (i - i0) * 64
                s = base + i * cs
                for j in range(j0, j1):
                    t[j - j0] = s[j * rs]
            for i in range(i0, i1):
                memcpy(dst + i * h + j0, tile + (i - i0) * 64, <size_t>(j1 - j0) * sizeof(pix_t))


# Dispatch on the pixel size: ``psize`` is 1, 2, 3, 4, 6, 8, 12 or 16 bytes.

cdef int gather_any(char* dst, const char* src, const Py_ssize_t* ofs, Py_ssize_t n,
                    Py_ssize_t psize) noexcept nogil:
    if psize == 1:
        gather_row(<uint8_t*>dst, <const uint8_t*>src, ofs, n)
    elif psize == 2:
        gather_row(<uint16_t*>dst, <const uint16_t*>src, ofs, n)
    elif psize == 3:
        gather_row(<px3_t*>dst, <const px3_t*>src, ofs, n)
    elif psize == 4:
        gather_row(<uint32_t*>dst, <const uint32_t*>src, ofs, n)
    elif psize == 6:
        gather_row(<px6_t*>dst, <const px6_t*>src, ofs, n)
    elif psize == 8:
        gather_row(<uint64_t*>dst, <const uint64_t*>src, ofs, n)
    elif psize == 12:
        gather_row(<px12_t*>dst, <const px12_t*>src, ofs, n)
    elif psize == 16:
        gather_row(<px16_t*>dst, <const px16_t*>src, ofs, n)
    else:
        return -1
    return 0


cdef int reverse_any(char* dst, const char* src, Py_ssize_t n, Py_ssize_t psize) noexcept nogil:
    if psize == 1:
        reverse_row(<uint8_t*>dst, <const uint8_t*>src, n)
    elif psize == 2:
        reverse_row(<uint16_t*>dst, <const uint16_t*>src, n)
    elif psize == 3:
        reverse_row(<px3_t*>dst, <const px3_t*>src, n)
    elif psize == 4:
        reverse_row(<uint32_t*>dst, <const uint32_t*>src, n)
    elif psize == 6:
        reverse_row(<px6_t*>dst, <const px6_t*>src, n)
    elif psize == 8:
        reverse_row(<uint64_t*>dst, <const uint64_t*>src, n)
    elif psize == 12:
        reverse_row(<px12_t*>dst, <const px12_t*>src, n)
    elif psize == 16:
        reverse_row(<px16_t*>dst, <const px16_t*>src, n)
    else:
        return -1
    return 0


cdef int fill_any(char* dst, const char* value, Py_ssize_t n, Py_ssize_t psize) noexcept nogil:
    if psize == 1:
        fill_row(<uint8_t*>dst, <const uint8_t*>value, n)
    elif psize == 2:
        fill_row(<uint16_t*>dst, <const uint16_t*>value, n)
    elif psize == 3:
        fill_row(<px3_t*>dst, <const px3_t*>value, n)
    elif psize == 4:
        fill_row(<uint32_t*>dst, <const uint32_t*>value, n)
    elif psize == 6:
        fill_row(<px6_t*>dst, <const px6_t*>value, n)
    elif psize == 8:
        fill_row(<uint64_t*>dst, <const uint64_t*>value, n)
    elif psize == 12:
        fill_row(<px12_t*>dst, <const px12_t*>value, n)
    elif psize == 16:
        fill_row(<px16_t*>dst, <const px16_t*>value, n)
    else:
        return -1
    return 0


cdef int turn_any(char* dst, const char* src, Py_ssize_t h, Py_ssize_t w, bint flip_rows,
                  bint flip_cols, Py_ssize_t psize) noexcept nogil:
    if psize == 1:
        turn_bytes(<uint8_t*>dst, <const uint8_t*>src, h, w, flip_rows, flip_cols)
    elif psize == 2:
        turn_pixels(<uint16_t*>dst, <const uint16_t*>src, h, w, flip_rows, flip_cols)
    elif psize == 3:
        if not pp_turn34(<uint8_t*>dst, <const uint8_t*>src, h, w, 3, flip_rows, flip_cols):
            turn_pixels(<px3_t*>dst, <const px3_t*>src, h, w, flip_rows, flip_cols)
    elif psize == 4:
        if not pp_turn34(<uint8_t*>dst, <const uint8_t*>src, h, w, 4, flip_rows, flip_cols):
            turn_pixels(<uint32_t*>dst, <const uint32_t*>src, h, w, flip_rows, flip_cols)
    elif psize == 6:
        turn_pixels(<px6_t*>dst, <const px6_t*>src, h, w, flip_rows, flip_cols)
    elif psize == 8:
        turn_pixels(<uint64_t*>dst, <const uint64_t*>src, h, w, flip_rows, flip_cols)
    elif psize == 12:
        turn_pixels(<px12_t*>dst, <const px12_t*>src, h, w, flip_rows, flip_cols)
    elif psize == 16:
        turn_pixels(<px16_t*>dst, <const px16_t*>src, h, w, flip_rows, flip_cols)
    else:
        return -1
    return 0


# Byte-level fast paths (64-bit words; the shift-and-mask byte swaps
# compile to single bswap instructions).

cdef inline uint64_t load64(const void* p) noexcept nogil:
    cdef uint64_t x
    memcpy(&x, p, 8)
    return x


cdef inline void store64(void* p, uint64_t x) noexcept nogil:
    memcpy(p, &x, 8)


cdef inline uint64_t reverse_bytes(uint64_t x) noexcept nogil:
    x = ((x & 0x00FF00FF00FF00FFULL) << 8) | ((x >> 8) & 0x00FF00FF00FF00FFULL)
    x = ((x & 0x0000FFFF0000FFFFULL) << 16) | ((x >> 16) & 0x0000FFFF0000FFFFULL)
    return (x << 32) | (x >> 32)


cdef inline uint64_t reverse_shorts(uint64_t x) noexcept nogil:
    x = ((x & 0x0000FFFF0000FFFFULL) << 16) | ((x >> 16) & 0x0000FFFF0000FFFFULL)
    return (x << 32) | (x >> 32)


cdef void reverse_fast(char* dst, const char* src, Py_ssize_t n, Py_ssize_t psize) noexcept nogil:
    """Reverse ``n`` pixels of ``psize`` bytes.  1-, 2- and 4-byte pixels go
    16 bytes at a time with SSSE3 (``pp_reverse124``; else 1- and 2-byte
    pixels 8 bytes at a time), 3-byte pixels 5 at a time (``pp_reverse3``); 6- and
    12-byte pixels are copied as 8 and 16 byte units whose extra bytes the
    next pixel overwrites (the first and last pixel exactly, so nothing
    outside the row is touched)."""
    cdef Py_ssize_t i, m
    cdef uint64_t a, b
    if psize == 1 or psize == 2 or psize == 4:
        # dst's first m pixels are src's last m, reversed
        m = pp_reverse124(<uint8_t*>dst, <const uint8_t*>src, n, <int>psize)
        if m > 0:
            reverse_any(dst + m * psize, src, n - m, psize)
            return
    if psize == 1:
        m = n // 8
        for i in range(m):
            store64(dst + 8 * i, reverse_bytes(load64(src + n - 8 * (i + 1))))
        reverse_row(<uint8_t*>(dst + 8 * m), <const uint8_t*>src, n - 8 * m)
    elif psize == 2:
        m = n // 4
        for i in range(m):
            store64(dst + 8 * i, reverse_shorts(load64(src + 2 * (n - 4 * (i + 1)))))
        reverse_row(<uint16_t*>(dst + 8 * m), <const uint16_t*>src, n - 4 * m)
    elif psize == 3:
        pp_reverse3(<uint8_t*>dst, <const uint8_t*>src, n)
    elif (psize == 6 or psize == 12) and n >= 3:
        memcpy(dst, src + (n - 1) * psize, <size_t>psize)
        for i in range(1, n - 1):
            if psize == 6:
                a = load64(src + (n - 1 - i) * 6)
                store64(dst + 6 * i, a)
            else:
                a = load64(src + (n - 1 - i) * 12)
                b = load64(src + (n - 1 - i) * 12 + 8)
                store64(dst + 12 * i, a)
                store64(dst + 12 * i + 8, b)
        memcpy(dst + (n - 1) * psize, src, <size_t>psize)
    else:
        reverse_any(dst, src, n, psize)


cdef inline void transpose8x8(uint64_t* r) noexcept nogil:
    """Transpose the 8 x 8 bytes of ``r`` (byte k of word i is element
    (i, k)) by swapping 1-, 2- and 4-byte blocks."""
    cdef uint64_t t
    cdef int i, j
    for i in range(0, 8, 2):
        t = ((r[i] >> 8) ^ r[i + 1]) & 0x00FF00FF00FF00FFULL
        r[i + 1] ^= t
        r[i] ^= t << 8
    for j in range(4):
        i = j + (j & 2)         # 0, 1, 4, 5
        t = ((r[i] >> 16) ^ r[i + 2]) & 0x0000FFFF0000FFFFULL
        r[i + 2] ^= t
        r[i] ^= t << 16
    for i in range(4):
        t = ((r[i] >> 32) ^ r[i + 4]) & 0x00000000FFFFFFFFULL
        r[i + 4] ^= t
        r[i] ^= t << 32


cdef void turn_bytes(uint8_t* dst, const uint8_t* src, Py_ssize_t h, Py_ssize_t w,
                     bint flip_rows, bint flip_cols) noexcept nogil:
    """``turn_pixels`` for 1-byte pixels in 8 x 8 blocks of 64-bit words;
    the ragged right and bottom strips go pixel by pixel."""
    cdef Py_ssize_t i0, j0, t, i, j, h8 = h - h % 8, w8 = w - w % 8, c0
    cdef uint64_t r[8]
    for i0 in range(0, w8, 8):
        c0 = w - 8 - i0 if flip_cols else i0
        for j0 in range(0, h8, 8):
            for t in range(8):
                r[t] = load64(src + (h - 1 - j0 - t if flip_rows else j0 + t) * w + c0)
                if flip_cols:
                    r[t] = reverse_bytes(r[t])
            transpose8x8(r)
            for t in range(8):
                store64(dst + (i0 + t) * h + j0, r[t])
        for i in range(i0, i0 + 8):
            for j in range(h8, h):
                dst[i * h + j] = src[(h - 1 - j if flip_rows else j) * w
                                     + (w - 1 - i if flip_cols else i)]
    for i in range(w8, w):
        for j in range(h):
            dst[i * h + j] = src[(h - 1 - j if flip_rows else j) * w
                                 + (w - 1 - i if flip_cols else i)]


cdef void constant_pixel(const ImageView* im, const double* value, char* out) noexcept nogil:
    """The pixel whose channels are ``value[c]``, rounded and saturated to the
    image's element type."""
    cdef Py_ssize_t c
    for c in range(im.channels):
        if im.dtype == DT_UINT8:
            store_pixel(<uint8_t*>out + c, value[c])
        elif im.dtype == DT_UINT16:
            store_pixel(<uint16_t*>out + c, value[c])
        elif im.dtype == DT_INT16:
            store_pixel(<int16_t*>out + c, value[c])
        else:
            store_pixel(<float*>out + c, value[c])


# ---------------------------------------------------------------- border copy

cdef int border_copy(Frame* f, const ImageView* im, Py_ssize_t y0, Py_ssize_t x0,
                     Py_ssize_t oh, Py_ssize_t ow, int border, const double* value,
                     char* dst) noexcept nogil:
    """``dst`` (``oh x ow``) = the window of the image whose top-left corner
    is at (``x0``, ``y0``), pixels outside the image taken by the border mode
    (constant: ``value`` per channel).  The part inside is copied by rows
    (a window wholly inside, such as a centre crop, needs nothing else);
    the constant border comes from one prepared row of constant pixels, the
    other borders from a column map made once with ``border_index``."""
    cdef Py_ssize_t psize = pixel_bytes(im)
    cdef Py_ssize_t H = im.height, W = im.width
    cdef Py_ssize_t rowbytes = ow * psize
    cdef Py_ssize_t left, right, r, c, sr
    cdef Py_ssize_t* cmap
    cdef char* crow = NULL
    cdef char cpix[16]
    cdef char* drow
    cdef const char* srow
    if (H <= 0 or W <= 0) and border != BORDER_CONSTANT:
        snprintf(f.error, ERROR_SIZE,
                 "the image is empty (%zd x %zd): only the constant border can pad it", H, W)
        return -1
    # Output columns [left, right) come straight from source columns.
    left = -x0 if x0 < 0 else 0
    if left > ow:
        left = ow
    right = W - x0
    if right > ow:
        right = ow
    if right < left:
        right = left
    if left == 0 and right == ow and y0 >= 0 and y0 + oh <= H:
        # all inside (a crop): rows only
        for r in range(oh):
            pp_copy_row(dst + r * rowbytes, im.data + ((y0 + r) * W + x0) * psize,
                        <size_t>rowbytes)
        return 0
    cmap = <Py_ssize_t*>scratch(f, 0, <size_t>(ow + 1) * sizeof(Py_ssize_t))
    if cmap == NULL:
        return -1
    if border == BORDER_CONSTANT:
        constant_pixel(im, value, cpix)
        crow = scratch(f, 1, <size_t>rowbytes)
        if crow == NULL:
            return -1
        fill_any(crow, cpix, ow, psize)
    else:
        for c in range(left):
            cmap[c] = border_index(x0 + c, W, border)
        for c in range(right, ow):
            cmap[c] = border_index(x0 + c, W, border)
    for r in range(oh):
        drow = dst + r * rowbytes
        sr = border_index(y0 + r, H, border) if H > 0 else -1
        if sr < 0:
            pp_copy_row(drow, crow, <size_t>rowbytes)
            continue
        srow = im.data + sr * W * psize
        if right > left:
            pp_copy_row(drow + left * psize, srow + (x0 + left) * psize,
                        <size_t>((right - left) * psize))
        if left > 0:
            if border == BORDER_CONSTANT:
                memcpy(drow, crow, <size_t>(left * psize))
            else:
                gather_any(drow, srow, cmap, left, psize)
        if right < ow:
            if border == BORDER_CONSTANT:
                memcpy(drow + right * psize, crow, <size_t>((ow - right) * psize))
            else:
                gather_any(drow + right * psize, srow, cmap + right, ow - right, psize)
    return 0


cdef int load_border_params(Frame* f, const Instr* ins, int first, int* border,
                            double* value) noexcept nogil:
    """Border mode (iparam ``first``) and the 4 per-channel constant values
    (fparams 0..3)."""
    cdef int c
    border[0] = <int>iparam(f, ins, first)
    if border[0] < 0 or border[0] > BORDER_WRAP:
        return fail(f, BAD_PARAMS)
    for c in range(4):
        value[c] = fparam(f, ins, c)
    return 0


cdef int k_image_crop(Frame* f, const Instr* ins) noexcept nogil:
    """Crop clipped to the image: inputs image, x, y, width, height."""
    cdef ImageView im
    cdef Py_ssize_t x, y, w, h, x1, y1, r, psize
    cdef Value* out
    if check_params(f, ins, 5, 0, 0) != 0 or as_image(f, arg(f, ins, 0), &im) != 0:
        return -1
    if (get_coord(f, arg(f, ins, 1), "crop x", &x) != 0
            or get_coord(f, arg(f, ins, 2), "crop y", &y) != 0
            or get_size(f, arg(f, ins, 3), "crop width", &w) != 0
            or get_size(f, arg(f, ins, 4), "crop height", &h) != 0):
        return -1
    if clip_box(f, &im, &x, &y, w, h, &x1, &y1) != 0:
        return -1
    out = new_image(f, ins, im.dtype, y1 - y, x1 - x, im.channels, im.ndim)
    if out == NULL:
        return -1
    psize = pixel_bytes(&im)
    for r in range(y1 - y):
        pp_copy_row(out.data + r * (x1 - x) * psize,
                    im.data + ((y + r) * im.width + x) * psize, <size_t>((x1 - x) * psize))
    return 0


cdef int pad_window(Frame* f, int mode, Value* a, Value* b, Value* c, Value* d,
                    Py_ssize_t h, Py_ssize_t w, Py_ssize_t* y0, Py_ssize_t* x0,
                    Py_ssize_t* oh, Py_ssize_t* ow) noexcept nogil:
    """The window ``(y0, x0, oh, ow)`` of an ``h x w`` image that a pad reads
    (it may reach outside).  Mode 0: ``a..d`` are x, y, width, height (safe
    crop); 1: top, bottom, left, right (pad); 2: height, width (centre crop,
    torchvision's placement; ``c``, ``d`` unused)."""
    cdef Py_ssize_t p, q, r, s
    if mode == 0:
        if (get_coord(f, a, "crop x", x0) != 0 or get_coord(f, b, "crop y", y0) != 0
                or get_size(f, c, "crop width", ow) != 0
                or get_size(f, d, "crop height", oh) != 0):
            return -1
    elif mode == 1:
        if (get_coord(f, a, "top padding", &p) != 0
                or get_coord(f, b, "bottom padding", &q) != 0
                or get_coord(f, c, "left padding", &r) != 0
                or get_coord(f, d, "right padding", &s) != 0):
            return -1
        if p < 0 or q < 0 or r < 0 or s < 0:
            snprintf(f.error, ERROR_SIZE,
                     "padding must be >= 0, got top=%zd, bottom=%zd, left=%zd, right=%zd",
                     p, q, r, s)
            return -1
        y0[0] = -p
        x0[0] = -r
        oh[0] = h + p + q
        ow[0] = w + r + s
    elif mode == 2:
        if (get_size(f, a, "crop height", oh) != 0
                or get_size(f, b, "crop width", ow) != 0):
            return -1
        # torchvision.transforms.functional.center_crop: pad (c - n) // 2
        # before when the crop is larger, else start at round((n - c) / 2).
        if oh[0] > h:
            y0[0] = -((oh[0] - h) // 2)
        else:
            y0[0] = <Py_ssize_t>round_even((h - oh[0]) * 0.5)
        if ow[0] > w:
            x0[0] = -((ow[0] - w) // 2)
        else:
            x0[0] = <Py_ssize_t>round_even((w - ow[0]) * 0.5)
    else:
        return fail(f, BAD_PARAMS)
    return 0


cdef int k_image_pad(Frame* f, const Instr* ins) noexcept nogil:
    """Window with borders.  iparam 0: border; iparam 1: how the four scalar
    inputs after the image are read (``pad_window``'s mode).  fparams 0..3:
    constant value per channel."""
    cdef ImageView im
    cdef int border, mode
    cdef double value[4]
    cdef Py_ssize_t x0, y0, oh, ow
    cdef Value* out
    if ins.n_iparams < 2:
        return fail(f, BAD_PARAMS)
    mode = <int>iparam(f, ins, 1)
    if check_params(f, ins, 3 if mode == 2 else 5, 2, 4) != 0:
        return -1
    if as_image(f, arg(f, ins, 0), &im) != 0 or load_border_params(f, ins, 0, &border, value) != 0:
        return -1
    if pad_window(f, mode, arg(f, ins, 1), arg(f, ins, 2), arg(f, ins, 3), arg(f, ins, 4),
                  im.height, im.width, &y0, &x0, &oh, &ow) != 0:
        return -1
    if check_out_size(f, oh, ow) != 0:
        return -1
    out = new_image(f, ins, im.dtype, oh, ow, im.channels, im.ndim)
    if out == NULL:
        return -1
    return border_copy(f, &im, y0, x0, oh, ow, border, value, out.data)


cdef int k_image_crop_range(Frame* f, const Instr* ins) noexcept nogil:
    """torchvision RandomCrop's ranges: inputs image, height, width; iparams
    padding left, top, right, bottom and pad_if_needed.  Output int64
    ``[ny, nx, oy, ox]``: the crop's top-left corner is
    ``(RandomInteger(0, ny) + oy, RandomInteger(0, nx) + ox)`` in the
    coordinates of the unpadded image."""
    cdef ImageView im
    cdef Py_ssize_t th, tw, pl, pt, pr, pb, H, W, extra
    cdef Py_ssize_t shape[1]
    cdef int64_t* o
    cdef Value* out
    if check_params(f, ins, 3, 5, 0) != 0 or as_image(f, arg(f, ins, 0), &im) != 0:
        return -1
    if (get_size(f, arg(f, ins, 1), "crop height", &th) != 0
            or get_size(f, arg(f, ins, 2), "crop width", &tw) != 0):
        return -1
    pl = iparam(f, ins, 0)
    pt = iparam(f, ins, 1)
    pr = iparam(f, ins, 2)
    pb = iparam(f, ins, 3)
    H = im.height + pt + pb
    W = im.width + pl + pr
    if iparam(f, ins, 4):
        # torchvision pads both sides by the shortfall
        if W < tw:
            extra = tw - W
            pl += extra
            W += 2 * extra
        if H < th:
            extra = th - H
            pt += extra
            H += 2 * extra
    if H < th or W < tw:
        snprintf(f.error, ERROR_SIZE,
                 "the crop (%zd x %zd, height x width) is larger than the padded image "
                 "(%zd x %zd)", th, tw, H, W)
        return -1
    shape[0] = 4
    out = new_tensor(f, ins, DT_INT64, 1, shape)
    if out == NULL:
        return -1
    o = <int64_t*>out.data
    o[0] = H - th + 1
    o[1] = W - tw + 1
    o[2] = -pt
    o[3] = -pl
    return 0


# ---------------------------------------------------------------- flips, turns

cdef int k_image_flip(Frame* f, const Instr* ins) noexcept nogil:
    """iparams: horizontal, vertical."""
    cdef ImageView im
    cdef Value* out
    cdef bint hor, ver
    cdef Py_ssize_t r, sr, psize, rowbytes
    if check_params(f, ins, 1, 2, 0) != 0 or as_image(f, arg(f, ins, 0), &im) != 0:
        return -1
    hor = iparam(f, ins, 0) != 0
    ver = iparam(f, ins, 1) != 0
    out = new_image(f, ins, im.dtype, im.height, im.width, im.channels, im.ndim)
    if out == NULL:
        return -1
    psize = pixel_bytes(&im)
    rowbytes = im.width * psize
    for r in range(im.height):
        sr = im.height - 1 - r if ver else r
        if hor:
            reverse_fast(out.data + r * rowbytes, im.data + sr * rowbytes, im.width, psize)
        else:
            pp_copy_row(out.data + r * rowbytes, im.data + sr * rowbytes, <size_t>rowbytes)
    return 0


cdef int turn(Frame* f, const Instr* ins, const ImageView* im, int k) noexcept nogil:
    """``np.rot90(image, k)`` for k in 0..3 (counter-clockwise quarter
    turns); k = -1 is the plain transpose."""
    cdef Value* out
    cdef Py_ssize_t psize = pixel_bytes(im)
    if k == 0 or k == 2:
        out = new_image(f, ins, im.dtype, im.height, im.width, im.channels, im.ndim)
        if out == NULL:
            return -1
        if k == 0:
            memcpy(out.data, im.data, <size_t>(im.height * im.width * psize))
            return 0
        # half turn: both flips; reversing the whole pixel array does it
        reverse_fast(out.data, im.data, im.height * im.width, psize)
        return 0
    out = new_image(f, ins, im.dtype, im.width, im.height, im.channels, im.ndim)
    if out == NULL:
        return -1
    if k == 1:      # out[i, j] = in[j, W - 1 - i]
        turn_any(out.data, im.data, im.height, im.width, False, True, psize)
    elif k == 3:    # out[i, j] = in[H - 1 - j, i]
        turn_any(out.data, im.data, im.height, im.width, True, False, psize)
    else:           # transpose: out[i, j] = in[j, i]
        turn_any(out.data, im.data, im.height, im.width, False, False, psize)
    return 0


cdef int k_image_transpose(Frame* f, const Instr* ins) noexcept nogil:
    cdef ImageView im
    if check_params(f, ins, 1, 0, 0) != 0 or as_image(f, arg(f, ins, 0), &im) != 0:
        return -1
    return turn(f, ins, &im, -1)


cdef int k_image_rotate90(Frame* f, const Instr* ins) noexcept nogil:
    """Inputs image, k (integer scalar; any value, taken modulo 4)."""
    cdef ImageView im
    cdef Value* kv
    cdef int64_t k
    if check_params(f, ins, 2, 0, 0) != 0 or as_image(f, arg(f, ins, 0), &im) != 0:
        return -1
    kv = arg(f, ins, 1)
    if kv.kind != KIND_TENSOR or kv.length != 1 or is_float(kv.dtype):
        return fail(f, "the number of quarter turns k must be an integer scalar")
    k = load_int(kv.data, kv.dtype) % 4
    if k < 0:
        k += 4
    return turn(f, ins, &im, <int>k)


# ---------------------------------------------------------------- resize

cdef enum:
    MAX_TAPS = 8


cdef int axis_table(Frame* f, Py_ssize_t ssize, Py_ssize_t dsize, double scale,
                    double inv_scale, int taps, bint area_mode, Py_ssize_t* ofs,
                    double* w) noexcept nogil:
    """Source index (clamped: taps past the edge repeat it) and weight of
    each of the ``taps`` taps of every output position along one axis.

    As ``cv::resize``: ``s = (d + 0.5) * scale - 0.5`` rounded to float,
    split into ``floor`` and fraction; for area upscaling ("area mode")
    ``s0 = floor(d * scale)`` and the fraction is ``(d + 1) - (s0 + 1) /
    scale`` wrapped to [0, 1).  Linear taps are pinned at the edges."""
    cdef Py_ssize_t d, k, s, first = -(taps // 2 - 1)
    cdef float ft
    cdef double t
    for d in range(dsize):
        if area_mode:
            s = <Py_ssize_t>floor(d * scale)
            ft = <float>((d + 1) - (s + 1) * inv_scale)
            if ft <= 0:
                ft = 0
            else:
                ft = ft - <float>floor(ft)
        else:
            ft = <float>((d + 0.5) * scale - 0.5)
            s = <Py_ssize_t>floor(ft)
            ft = ft - <float>s
        if taps == 2:
            if s < 0:
                ft = 0
                s = 0
            if s >= ssize - 1:
                ft = 0
                s = ssize - 1
        t = ft
        interp_weights(taps, t, w + d * taps)
        for k in range(taps):
            ofs[d * taps + k] = clamp_index(s + first + k, ssize)
    return 0


# -- channel-count tags ---------------------------------------------------------
# The hot row loops are specialised for 1..4 channels through a fused "tag"
# type: each specialisation sees its channel count as a constant, so the
# per-pixel channel loop unrolls (and vectorises where it can).

ctypedef struct cn1_t:
    char c
ctypedef struct cn2_t:
    char c
ctypedef struct cn3_t:
    char c
ctypedef struct cn4_t:
    char c

ctypedef fused cn_t:
    cn1_t
    cn2_t
    cn3_t
    cn4_t


cdef inline float round_f(float x) noexcept nogil:
    """Round half to even for ``|x| < 2**22`` in float arithmetic."""
    cdef float magic = 12582912.0        # 1.5 * 2**23
    return (x + magic) - magic


cdef inline void store_f(pixel_t* p, float x) noexcept nogil:
    """Round half to even and saturate (integer types: ``|x| < 2**22``, never
    NaN there); float32 as is.  Clamping after the conversion to int lets
    the compiler vectorise loops of it."""
    cdef int32_t v
    if pixel_t is uint8_t:
        # branch-free: cubic and Lanczos overshoot at random, so branches
        # would mispredict
        v = <int32_t>round_f(x)
        v = v & ~(v >> 31)
        p[0] = <uint8_t>((v | ((255 - v) >> 31)) & 255)
    elif pixel_t is uint16_t:
        v = <int32_t>round_f(x)
        v = 0 if v < 0 else v
        p[0] = <uint16_t>(65535 if v > 65535 else v)
    elif pixel_t is int16_t:
        v = <int32_t>round_f(x)
        v = -32768 if v < -32768 else v
        p[0] = <int16_t>(32767 if v > 32767 else v)
    else:
        p[0] = x


# -- the passes ------------------------------------------------------------------------
#
# Sums are in float for every element type.  uint8 images use OpenCV's Q11
# weights (multiples of 1/2048, exact in float), so a product of a pixel and
# two weights is exact and the sums carry OpenCV's rounding of the weights.

cdef void h_float(cn_t* tag, const pixel_t* S, float* D, Py_ssize_t dw,
                  const Py_ssize_t* xofs, const float* a, int K) noexcept nogil:
    cdef Py_ssize_t cn, dx, c, k
    cdef float acc, a0, a1, a2, a3
    cdef const pixel_t* p0
    cdef const pixel_t* p1
    cdef const pixel_t* p2
    cdef const pixel_t* p3
    if cn_t is cn1_t:
        cn = 1
    elif cn_t is cn2_t:
        cn = 2
    elif cn_t is cn3_t:
        cn = 3
    else:
        cn = 4
    if K == 2:
        for dx in range(dw):
            a0 = a[2 * dx]
            a1 = a[2 * dx + 1]
            p0 = S + xofs[2 * dx]
            p1 = S + xofs[2 * dx + 1]
            for c in range(cn):
                D[dx * cn + c] = p0[c] * a0 + p1[c] * a1
        return
    if K == 4:
        for dx in range(dw):
            a0 = a[4 * dx]
            a1 = a[4 * dx + 1]
            a2 = a[4 * dx + 2]
            a3 = a[4 * dx + 3]
            p0 = S + xofs[4 * dx]
            p1 = S + xofs[4 * dx + 1]
            p2 = S + xofs[4 * dx + 2]
            p3 = S + xofs[4 * dx + 3]
            for c in range(cn):
                D[dx * cn + c] = p0[c] * a0 + p1[c] * a1 + p2[c] * a2 + p3[c] * a3
        return
    for dx in range(dw):
        for c in range(cn):
            acc = 0
            for k in range(K):
                acc = acc + S[xofs[K * dx + k] + c] * a[K * dx + k]
            D[dx * cn + c] = acc


cdef void h_float_final(cn_t* tag, const float* T, pixel_t* D, Py_ssize_t dw,
                        const Py_ssize_t* xofs, const float* a, int K) noexcept nogil:
    cdef Py_ssize_t cn, dx, c, k
    cdef float acc, a0, a1, a2, a3
    cdef const float* t0
    cdef const float* t1
    cdef const float* t2
    cdef const float* t3
    if cn_t is cn1_t:
        cn = 1
    elif cn_t is cn2_t:
        cn = 2
    elif cn_t is cn3_t:
        cn = 3
    else:
        cn = 4
    if K == 2:
        for dx in range(dw):
            a0 = a[2 * dx]
            a1 = a[2 * dx + 1]
            for c in range(cn):
                store_f(D + dx * cn + c, T[xofs[2 * dx] + c] * a0 + T[xofs[2 * dx + 1] + c] * a1)
        return
    if K == 4:
        for dx in range(dw):
            a0 = a[4 * dx]
            a1 = a[4 * dx + 1]
            a2 = a[4 * dx + 2]
            a3 = a[4 * dx + 3]
            t0 = T + xofs[4 * dx]
            t1 = T + xofs[4 * dx + 1]
            t2 = T + xofs[4 * dx + 2]
            t3 = T + xofs[4 * dx + 3]
            for c in range(cn):
                store_f(D + dx * cn + c, t0[c] * a0 + t1[c] * a1 + t2[c] * a2 + t3[c] * a3)
        return
    for dx in range(dw):
        for c in range(cn):
            acc = 0
            for k in range(K):
                acc = acc + T[xofs[K * dx + k] + c] * a[K * dx + k]
            store_f(D + dx * cn + c, acc)


cdef cloned_void v_float(const pixel_t** S, const float* b, int K, float* T,
                  Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i, k
    cdef float b0 = b[0], b1
    cdef const pixel_t* s0 = S[0]
    cdef const pixel_t* s1
    if K == 2:
        s1 = S[1]
        b1 = b[1]
        for i in range(n):
            T[i] = s0[i] * b0 + s1[i] * b1
        return
    if K == 4:
        s1 = S[1]
        b1 = b[1]
        for i in range(n):
            T[i] = s0[i] * b0 + s1[i] * b1 + S[2][i] * b[2] + S[3][i] * b[3]
        return
    for i in range(n):
        T[i] = s0[i] * b0
    for k in range(1, K):
        s1 = S[k]
        b1 = b[k]
        for i in range(n):
            T[i] += s1[i] * b1


cdef cloned_void v_float_final(const float** R, const float* b, int K, pixel_t* D,
                        Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i, k
    cdef float b0 = b[0], b1, b2, b3, acc
    cdef const float* r0 = R[0]
    cdef const float* r1
    cdef const float* r2
    cdef const float* r3
    if K == 1:
        for i in range(n):
            store_f(D + i, r0[i] * b0)
        return
    r1 = R[1]
    b1 = b[1]
    if K == 2:
        for i in range(n):
            store_f(D + i, r0[i] * b0 + r1[i] * b1)
        return
    if K == 4:
        r2 = R[2]
        r3 = R[3]
        b2 = b[2]
        b3 = b[3]
        for i in range(n):
            store_f(D + i, r0[i] * b0 + r1[i] * b1 + r2[i] * b2 + r3[i] * b3)
        return
    for i in range(n):
        acc = 0
        for k in range(K):
            acc = acc + R[k][i] * b[k]
        store_f(D + i, acc)


# -- uint8 linear, horizontal first: OpenCV's 16-bit vertical pass ----------------

cdef cloned_void v_lin_u8(const int16_t* r0, const int16_t* r1, int16_t b0, int16_t b1,
                   uint8_t* D, Py_ssize_t n) noexcept nogil:
    """Two-tap vertical pass of Q7 rows with Q11 weights, as OpenCV's
    VResizeLinearVec_32s8u: ``((b0 r0 >> 16) + (b1 r1 >> 16) + 2) >> 2``
    (16-bit high multiplies; within 1 of the exact rounding)."""
    cdef Py_ssize_t i
    cdef int16_t m0, m1, v
    # written in 16-bit steps so that the compiler keeps 8 lanes per vector
    for i in range(n):
        m0 = <int16_t>((<int32_t>r0[i] * b0) >> 16)
        m1 = <int16_t>((<int32_t>r1[i] * b1) >> 16)
        v = <int16_t>(<int16_t>(m0 + m1 + 2) >> 2)
        v = 0 if v < 0 else v
        D[i] = <uint8_t>(255 if v > 255 else v)


cdef void h_cub_u8(cn_t* tag, const uint8_t* S, int32_t* D, Py_ssize_t dw,
                   const Py_ssize_t* xofs, const int16_t* a) noexcept nogil:
    """Four-tap horizontal pass into Q11 int32 sums (integer multiplies are
    cheaper than converting every tap to float)."""
    cdef Py_ssize_t cn, dx, c
    cdef int32_t a0, a1, a2, a3
    cdef const uint8_t* p0
    cdef const uint8_t* p1
    cdef const uint8_t* p2
    cdef const uint8_t* p3
    if cn_t is cn1_t:
        cn = 1
    elif cn_t is cn2_t:
        cn = 2
    elif cn_t is cn3_t:
        cn = 3
    else:
        cn = 4
    for dx in range(dw):
        a0 = a[4 * dx]
        a1 = a[4 * dx + 1]
        a2 = a[4 * dx + 2]
        a3 = a[4 * dx + 3]
        p0 = S + xofs[4 * dx]
        p1 = S + xofs[4 * dx + 1]
        p2 = S + xofs[4 * dx + 2]
        p3 = S + xofs[4 * dx + 3]
        for c in range(cn):
            D[dx * cn + c] = p0[c] * a0 + p1[c] * a1 + p2[c] * a2 + p3[c] * a3


cdef void h_cub_u8_any(Py_ssize_t cn, const uint8_t* S, int32_t* D, Py_ssize_t dw,
                       const Py_ssize_t* xofs, const int16_t* a) noexcept nogil:
    if cn == 1:
        h_cub_u8(<cn1_t*>NULL, S, D, dw, xofs, a)
    elif cn == 2:
        h_cub_u8(<cn2_t*>NULL, S, D, dw, xofs, a)
    elif cn == 3:
        h_cub_u8(<cn3_t*>NULL, S, D, dw, xofs, a)
    else:
        h_cub_u8(<cn4_t*>NULL, S, D, dw, xofs, a)


cdef cloned_void v_cub_u8(const int32_t** R, const float* b, uint8_t* D, Py_ssize_t n) noexcept nogil:
    """Four-tap vertical pass of Q11 int32 rows, in float (as OpenCV's
    VResizeCubicVec_32s8u); ``b`` are the Q11 weights as floats."""
    cdef Py_ssize_t i
    cdef float s = 1.0 / RESIZE_COEF_SCALE
    cdef float b0 = b[0] * s, b1 = b[1] * s, b2 = b[2] * s, b3 = b[3] * s
    cdef const int32_t* r0 = R[0]
    cdef const int32_t* r1 = R[1]
    cdef const int32_t* r2 = R[2]
    cdef const int32_t* r3 = R[3]
    for i in range(n):
        store_f(D + i, r0[i] * b0 + r1[i] * b1 + r2[i] * b2 + r3[i] * b3)


cdef cloned_void v_lin_u8_first(const uint8_t* s0, const uint8_t* s1, int32_t b0, int32_t b1,
                         int16_t* T, Py_ssize_t n) noexcept nogil:
    """Two-tap vertical pass first (shrinking): Q7 int16 sums of two source
    rows with Q11 weights, ``(s0 b0 + s1 b1) >> 4``.

    In 16-bit lanes (twice as many per vector): with ``b = 16 bh + bl``,
    the sum is ``s0 bh0 + s1 bh1 + ((s0 bl0 + s1 bl1) >> 4)`` exactly, and
    for weights >= 0 summing to at most 2049 (``fixed_weights_fit``) every
    term fits 16 bits."""
    cdef Py_ssize_t i
    cdef uint16_t h0 = <uint16_t>(b0 >> 4), l0 = <uint16_t>(b0 & 15)
    cdef uint16_t h1 = <uint16_t>(b1 >> 4), l1 = <uint16_t>(b1 & 15)
    cdef uint16_t a, b
    for i in range(n):
        a = s0[i]
        b = s1[i]
        T[i] = <int16_t>(<uint16_t>(a * h0 + b * h1)
                         + (<uint16_t>(a * l0 + b * l1) >> 4))


# -- dispatch on the channel count ----------------------------------------------------

cdef void h_float_any(Py_ssize_t cn, const pixel_t* S, float* D, Py_ssize_t dw,
                      const Py_ssize_t* xofs, const float* a, int K) noexcept nogil:
    if cn == 1:
        h_float(<cn1_t*>NULL, S, D, dw, xofs, a, K)
    elif cn == 2:
        h_float(<cn2_t*>NULL, S, D, dw, xofs, a, K)
    elif cn == 3:
        h_float(<cn3_t*>NULL, S, D, dw, xofs, a, K)
    else:
        h_float(<cn4_t*>NULL, S, D, dw, xofs, a, K)


cdef void h_float_final_any(Py_ssize_t cn, const float* T, pixel_t* D, Py_ssize_t dw,
                            const Py_ssize_t* xofs, const float* a, int K) noexcept nogil:
    if cn == 1:
        h_float_final(<cn1_t*>NULL, T, D, dw, xofs, a, K)
    elif cn == 2:
        h_float_final(<cn2_t*>NULL, T, D, dw, xofs, a, K)
    elif cn == 3:
        h_float_final(<cn3_t*>NULL, T, D, dw, xofs, a, K)
    else:
        h_float_final(<cn4_t*>NULL, T, D, dw, xofs, a, K)


# -- the row ring of the horizontal-first order --------------------------------------
#
# Horizontal first keeps the filtered source rows in a ring of ``K`` slots.
# The tap tables may come in any order (increasing, decreasing for a flipped
# output, repeated or permuted rows), so a slot is chosen in two phases per
# output row: first every tap whose row is already in a slot claims ("pins")
# it, then each missing row goes into the unpinned slot used least recently.
# An output row has at most ``K`` distinct rows, so a free slot always
# exists and every tap reads its own row, whatever the order.  When the
# tables move monotonically in either direction, a row is filtered once
# (rows still needed are pinned before any slot is given up).

ctypedef struct Ring:
    Py_ssize_t row[MAX_TAPS]     # source row held by each slot (-1: none)
    Py_ssize_t last[MAX_TAPS]    # last output row that used each slot


cdef inline void ring_init(Ring* r, int K) noexcept nogil:
    cdef int j
    for j in range(K):
        r.row[j] = -1
        r.last[j] = -1


cdef Py_ssize_t ring_step(Ring* r, const Py_ssize_t* taps, int K, Py_ssize_t dy,
                          int* slot, bint* load) noexcept nogil:
    """Slots of the ``K`` taps (source rows ``taps``) of output row ``dy``:
    ``slot[k]``, and ``load[k]`` when the row must be filtered into it (the
    first tap of a row new to the ring).  Returns the number of loads."""
    cdef int k, j, best
    cdef Py_ssize_t loads = 0
    for k in range(K):
        slot[k] = -1
        load[k] = False
        for j in range(K):
            if r.row[j] == taps[k]:
                slot[k] = j
                r.last[j] = dy           # pinned for this output row
                break
    for k in range(K):
        if slot[k] >= 0:
            continue
        best = -1
        for j in range(K):
            if r.row[j] == taps[k]:      # loaded by an earlier tap of this row
                best = j
                break
            if r.last[j] < dy and (best < 0 or r.last[j] < r.last[best]):
                best = j
        slot[k] = best
        if r.row[best] != taps[k]:
            r.row[best] = taps[k]
            load[k] = True
            loads += 1
        r.last[best] = dy
    return loads


cdef void sep_rows(const pixel_t* src, Py_ssize_t sstep, Py_ssize_t sw, Py_ssize_t cn,
                   pixel_t* dst, Py_ssize_t dh, Py_ssize_t dw, const Py_ssize_t* xofs,
                   const Py_ssize_t* yofs, const float* fax, const float* fby,
                   const int16_t* ia, const int16_t* ib, const int32_t* lin, int K,
                   bint vertical_first, bint fixed_u8, char* work, Py_ssize_t ng,
                   const int32_t* gbase, const uint8_t* gmask, const float* a4) noexcept nogil:
    """The two passes over all output rows (``xofs`` already times ``cn``).

    Vertical first: each output row combines its ``K`` source rows over the
    full source width (contiguous, vectorised), then one horizontal pass
    makes the output row.  Horizontal first: every source row needed is
    filtered horizontally once into the ring of ``K`` row buffers (reused by
    the following output rows, which pays when enlarging), then the output
    row combines ``K`` of them.  ``work`` holds ``K`` rows of ``max(sw, dw) *
    cn`` 4-byte values and 64 bytes.  ``fixed_u8``: the uint8 integer passes
    may be used (their weights fit them); for 2 taps they take the per-pixel
    tables ``lin`` (``pp_hlin_*``: offsets of both taps, packed weights), and
    one-channel rows the group tables ``gbase`` / ``gmask`` of ``ng`` groups
    (``pp_lin_groups``) when ``gbase`` is not NULL.  ``a4``: ``fax`` with each
    weight 4 times, for ``pp_hfin2_u8`` (or NULL)."""
    cdef Py_ssize_t n = dw * cn, sn = sw * cn, dy, k, row, done
    cdef Py_ssize_t rowcap = (sw if sw > dw else dw) * cn
    cdef Ring ring
    cdef int slot[MAX_TAPS]
    cdef bint load[MAX_TAPS]
    cdef void* rows[MAX_TAPS]
    cdef const pixel_t* srows[MAX_TAPS]
    cdef void* buf
    cdef int16_t* q7 = <int16_t*>work       # work has room past it (pp_hlin_q7_u8)
    if vertical_first:
        for dy in range(dh):
            for k in range(K):
                srows[k] = src + yofs[dy * K + k] * sstep
            if pixel_t is uint8_t:
                if K == 2 and fixed_u8:
                    v_lin_u8_first(srows[0], srows[1], ib[2 * dy], ib[2 * dy + 1], q7, sn)
                    if gbase != NULL:
                        pp_hlin1_q7_u8(q7, dst + dy * n, dw, lin, lin + dw, lin + 2 * dw, ng,
                                       gbase, gmask)
                    else:
                        pp_hlin_q7_u8(q7, dst + dy * n, dw, cn, lin, lin + dw, lin + 2 * dw)
                    continue
            if pixel_t is uint8_t:
                if K == 4 and fixed_u8:
                    pp_vcub_u8(<const uint8_t**>srows, ib + dy * 4, <float*>work, sn)
                else:
                    v_float(srows, fby + dy * K, K, <float*>work, sn)
            else:
                v_float(srows, fby + dy * K, K, <float*>work, sn)
            done = 0
            if (cn == 3 or cn == 4) and (K == 2 or K == 4):
                if pixel_t is uint8_t:
                    if a4 != NULL:
                        done = pp_hfin2_u8(<float*>work, dst + dy * n, dw, <int>cn, K, xofs, a4)
                    done += pp_hfin_u8(<float*>work, dst + (dy * dw + done) * cn, dw - done,
                                       <int>cn, K, xofs + done * K, fax + done * K)
                elif pixel_t is float:
                    done = pp_hfin_f32(<float*>work, dst + dy * n, dw, <int>cn, K, xofs, fax)
            h_float_final_any(cn, <float*>work, dst + dy * n + done * cn, dw - done,
                              xofs + done * K, fax + done * K, K)
        return
    ring_init(&ring, K)
    for dy in range(dh):
        ring_step(&ring, yofs + dy * K, K, dy, slot, load)
        for k in range(K):
            buf = work + slot[k] * rowcap * 4
            rows[k] = buf
            if not load[k]:
                continue
            row = yofs[dy * K + k]
            if pixel_t is uint8_t:
                if K == 2 and fixed_u8:
                    if gbase != NULL:
                        pp_hlin1_u8_q7(src + row * sstep, <int16_t*>buf, dw, lin, lin + dw,
                                       lin + 2 * dw, sn, ng, gbase, gmask)
                    else:
                        pp_hlin_u8_q7(src + row * sstep, <int16_t*>buf, dw, cn, lin, lin + dw,
                                      lin + 2 * dw, sn)
                    continue
                if K == 4 and fixed_u8:
                    h_cub_u8_any(cn, src + row * sstep, <int32_t*>buf, dw, xofs, ia)
                    continue
            h_float_any(cn, src + row * sstep, <float*>buf, dw, xofs, fax, K)
        if pixel_t is uint8_t:
            if K == 2 and fixed_u8:
                v_lin_u8(<const int16_t*>rows[0], <const int16_t*>rows[1], ib[dy * 2],
                         ib[dy * 2 + 1], dst + dy * n, n)
                continue
            if K == 4 and fixed_u8:
                v_cub_u8(<const int32_t**>rows, fby + dy * 4, dst + dy * n, n)
                continue
        v_float_final(<const float**>rows, fby + dy * K, K, dst + dy * n, n)


cdef inline double quantise(double w) noexcept nogil:
    """A weight rounded to OpenCV's uint8 fixed point, Q11
    (``saturate_cast<short>(w * INTER_RESIZE_COEF_SCALE)``), as a float."""
    return round_even(w * RESIZE_COEF_SCALE) * (1.0 / RESIZE_COEF_SCALE)


cdef bint fixed_weights_fit(const double* w, Py_ssize_t n, int K) noexcept nogil:
    """Whether the Q11 weights suit the uint8 integer passes: for 2 taps, in
    [0, 1] with pairs summing to at most 2049/2048 (the Q7 int16 sums of
    OpenCV's linear path then cannot overflow); for 4 taps, within int16."""
    cdef Py_ssize_t i
    cdef double q, q1
    if K == 2:
        for i in range(0, n, 2):
            q = round_even(w[i] * RESIZE_COEF_SCALE)
            q1 = round_even(w[i + 1] * RESIZE_COEF_SCALE)
            if not (q >= 0 and q1 >= 0 and q + q1 <= RESIZE_COEF_SCALE + 1):
                return False
        return True
    for i in range(n):
        q = round_even(w[i] * RESIZE_COEF_SCALE)
        if not (-32768 <= q <= 32767):
            return False
    return True


cdef int resample_separable(Frame* f, const char* src, Py_ssize_t sstep, Py_ssize_t sh,
                            Py_ssize_t sw, Py_ssize_t cn, int dtype, char* dst,
                            Py_ssize_t dh, Py_ssize_t dw, const Py_ssize_t* xofs,
                            const double* wx, const Py_ssize_t* yofs, const double* wy,
                            int K) noexcept nogil:
    """Separable ``K``-tap resampling (K = 1, 2, 4, 8) from caller-made tap
    tables; the engine of Resize and ResizedCrop, exported in the .pxd.

    ``src`` is pixel (0, 0) of an ``sh x sw x cn`` source whose rows are
    ``sstep`` elements apart; ``dst`` a contiguous ``dh x dw x cn`` output.
    Output ``(dy, dx)`` is ``sum_j wy[dy K + j] sum_k wx[dx K + k] src[yofs[dy
    K + j], xofs[dx K + k]]``, with source columns ``0 <= xofs < sw`` and rows
    ``0 <= yofs < sh``.  The tables may be in any order (decreasing, repeated,
    permuted): the vertical-first order reads each output row's rows
    directly, and the horizontal-first ring (``ring_step``) is exact for any
    order and filters each row once for monotone tables in either direction.
    Sums in float; uint8 uses the weights rounded to Q11 (OpenCV's integer
    passes when the weights fit them).  Scratch slots 0 and 1 only.
    Returns 0, or -1 with ``f.error`` set."""
    cdef Py_ssize_t tabx = dw * K, taby = dh * K, i, used, vf_cost, hf_cost, ng = 0
    cdef Py_ssize_t tabbytes, gofs, j
    cdef int32_t* gbase = NULL
    cdef uint8_t* gmask = NULL
    cdef float* a4 = NULL
    cdef Py_ssize_t rowcap = (sw if sw > dw else dw) * cn
    cdef Py_ssize_t* xo
    cdef int32_t* lin
    cdef float* fax
    cdef float* fby
    cdef int16_t* ia
    cdef int16_t* ib
    cdef char* tab
    cdef char* work
    cdef bint vertical_first, fixed_u8
    cdef Ring ring
    cdef int slot[MAX_TAPS]
    cdef bint load[MAX_TAPS]
    if K != 1 and K != 2 and K != 4 and K != 8:
        snprintf(f.error, ERROR_SIZE, "resample_separable: K must be 1, 2, 4 or 8, got %d", K)
        return -1
    if not (1 <= cn <= 4) or sh < 1 or sw < 1 or dh < 1 or dw < 1 or sstep < sw * cn:
        return fail(f, "resample_separable: bad image geometry")
    if dtype != DT_UINT8 and dtype != DT_UINT16 and dtype != DT_INT16 and dtype != DT_FLOAT32:
        return fail(f, "resample_separable: unsupported element type")
    for i in range(tabx):
        if not (0 <= xofs[i] < sw):
            return fail(f, "resample_separable: column tap outside the source")
    for i in range(taby):
        if not (0 <= yofs[i] < sh):
            return fail(f, "resample_separable: row tap outside the source")
    tabbytes = (tabx * (sizeof(Py_ssize_t) + sizeof(float) + sizeof(int16_t))
                + taby * (sizeof(float) + sizeof(int16_t)) + 3 * dw * sizeof(int32_t))
    # then the group tables of one-channel two-tap rows, 16-byte aligned
    gofs = (tabbytes + 15) & ~(<Py_ssize_t>15)
    if K == 2 and cn == 1:
        tabbytes = gofs + (dw // 8) * (sizeof(int32_t) + PP_GROUP_Q7_MASK) + 16
    elif dtype == DT_UINT8 and cn >= 3 and (K == 2 or K == 4):
        tabbytes = gofs + (tabx + K) * 4 * sizeof(float)     # a4: pairs of pixels
    tab = scratch(f, 1, <size_t>tabbytes)
    work = scratch(f, 0, <size_t>(K * rowcap * 4 + 64))
    if tab == NULL or work == NULL:
        return -1
    xo = <Py_ssize_t*>tab
    lin = <int32_t*>(xo + tabx)
    fax = <float*>(lin + 3 * dw)
    fby = fax + tabx
    ia = <int16_t*>(fby + taby)
    ib = ia + tabx
    for i in range(tabx):
        xo[i] = xofs[i] * cn
        fax[i] = <float>(quantise(wx[i]) if dtype == DT_UINT8 else wx[i])
        ia[i] = <int16_t>round_even(wx[i] * RESIZE_COEF_SCALE)
    for i in range(taby):
        fby[i] = <float>(quantise(wy[i]) if dtype == DT_UINT8 else wy[i])
        ib[i] = <int16_t>round_even(wy[i] * RESIZE_COEF_SCALE)
    fixed_u8 = (dtype == DT_UINT8 and (K == 2 or K == 4) and sw * cn < (1 << 30)
                and fixed_weights_fit(wx, tabx, K) and fixed_weights_fit(wy, taby, K))
    if fixed_u8 and K == 2:
        # tables of the two-tap passes: both tap offsets, the weights packed
        for i in range(dw):
            lin[i] = <int32_t>xo[2 * i]
            lin[dw + i] = <int32_t>xo[2 * i + 1]
            lin[2 * dw + i] = <int32_t>(<uint16_t>ia[2 * i]
                                        | <uint32_t><uint16_t>ia[2 * i + 1] << 16)
    # Scalar (gathering) horizontal work against vectorised vertical work
    # (counted a quarter): source rows filtered once each (as many as the
    # ring loads), or every output row filtered from a full-width vertical
    # combination.
    used = 0
    ring_init(&ring, K)
    for i in range(dh):
        used += ring_step(&ring, yofs + i * K, K, i, slot, load)
    hf_cost = used * dw + dh * dw // 4
    vf_cost = dh * dw + dh * sw // 4
    vertical_first = vf_cost < hf_cost
    if fixed_u8 and K == 2 and cn == 1 and dw >= 8 and pp_lin_groups_usable():
        gmask = <uint8_t*>(tab + gofs)
        gbase = <int32_t*>(gmask + (dw // 8) * PP_GROUP_Q7_MASK)
        ng = pp_lin_groups(lin, lin + dw, dw, sw, 2 if vertical_first else 1, gbase, gmask)
    elif (vertical_first and dtype == DT_UINT8 and cn >= 3 and (K == 2 or K == 4)
            and pp_has_avx2()):
        a4 = <float*>(tab + gofs)
        for i in range(tabx):       # i = K (2 p + j) + k
            j = 8 * (K * ((i // K) // 2) + i % K) + 4 * ((i // K) % 2)
            a4[j] = fax[i]
            a4[j + 1] = fax[i]
            a4[j + 2] = fax[i]
            a4[j + 3] = fax[i]
    if dtype == DT_UINT8:
        sep_rows(<const uint8_t*>src, sstep, sw, cn, <uint8_t*>dst, dh, dw, xo, yofs, fax, fby,
                 ia, ib, lin, K, vertical_first, fixed_u8, work, ng, gbase, gmask, a4)
    elif dtype == DT_UINT16:
        sep_rows(<const uint16_t*>src, sstep, sw, cn, <uint16_t*>dst, dh, dw, xo, yofs, fax, fby,
                 ia, ib, lin, K, vertical_first, False, work, 0, NULL, NULL, NULL)
    elif dtype == DT_INT16:
        sep_rows(<const int16_t*>src, sstep, sw, cn, <int16_t*>dst, dh, dw, xo, yofs, fax, fby,
                 ia, ib, lin, K, vertical_first, False, work, 0, NULL, NULL, NULL)
    else:
        sep_rows(<const float*>src, sstep, sw, cn, <float*>dst, dh, dw, xo, yofs, fax, fby,
                 ia, ib, lin, K, vertical_first, False, work, 0, NULL, NULL, NULL)
    return 0


cdef int resize_separable(Frame* f, const char* src, Py_ssize_t sstep, Py_ssize_t sh,
                          Py_ssize_t sw, Py_ssize_t cn, int dtype, char* dst,
                          Py_ssize_t dh, Py_ssize_t dw, double scale_x, double scale_y,
                          double inv_x, double inv_y, int K,
                          bint area_mode) noexcept nogil:
    """Two-pass resize with ``K`` taps per axis: the tap tables of
    ``axis_table`` (in scratch slot 2) through ``resample_separable``."""
    cdef Py_ssize_t tabx = dw * K, taby = dh * K
    cdef Py_ssize_t* xofs
    cdef Py_ssize_t* yofs
    cdef double* wx
    cdef double* wy
    cdef char* tab = scratch(f, 2, <size_t>((tabx + taby) * (sizeof(Py_ssize_t)
                                                              + sizeof(double))))
    if tab == NULL:
        return -1
    xofs = <Py_ssize_t*>tab
    yofs = xofs + tabx
    wx = <double*>(yofs + taby)
    wy = wx + tabx
    axis_table(f, sw, dw, scale_x, inv_x, K, area_mode, xofs, wx)
    axis_table(f, sh, dh, scale_y, inv_y, K, area_mode, yofs, wy)
    return resample_separable(f, src, sstep, sh, sw, cn, dtype, dst, dh, dw, xofs, wx,
                              yofs, wy, K)


# -- nearest ----------------------------------------------------------------------

cdef int resize_nearest(Frame* f, const char* src, Py_ssize_t sstep_bytes, Py_ssize_t sh,
                        Py_ssize_t sw, Py_ssize_t psize, char* dst, Py_ssize_t dh,
                        Py_ssize_t dw, double scale_x, double scale_y) noexcept nogil:
    """OpenCV INTER_NEAREST: source ``min(floor(d * scale), n - 1)``."""
    cdef Py_ssize_t* xofs = <Py_ssize_t*>scratch(f, 1, <size_t>dw * sizeof(Py_ssize_t))
    cdef Py_ssize_t dx, dy, sy, prev = -1
    cdef Py_ssize_t rowbytes = dw * psize
    if xofs == NULL:
        return -1
    for dx in range(dw):
        xofs[dx] = <Py_ssize_t>floor(dx * scale_x)
        if xofs[dx] > sw - 1:
            xofs[dx] = sw - 1
    for dy in range(dh):
        sy = <Py_ssize_t>floor(dy * scale_y)
        if sy > sh - 1:
            sy = sh - 1
        if sy == prev:
            pp_copy_row(dst + dy * rowbytes, dst + (dy - 1) * rowbytes, <size_t>rowbytes)
        else:
            gather_any(dst + dy * rowbytes, src + sy * sstep_bytes, xofs, dw, psize)
        prev = sy
    return 0


# -- area downscaling -----------------------------------------------------------------

cdef Py_ssize_t area_table(Py_ssize_t ssize, Py_ssize_t dsize, double scale,
                           Py_ssize_t* di, Py_ssize_t* si, float* alpha) noexcept nogil:
    """Entries (output index, source index, weight) of area averaging along
    one axis, as OpenCV's computeResizeAreaTab: output ``d`` covers
    ``[d * scale, (d + 1) * scale)`` (cut at the image end), and each source
    pixel weighs the length it shares with that interval over its length."""
    cdef Py_ssize_t d, s, s1, s2, k = 0
    cdef double fs1, fs2, cell, a
    for d in range(dsize):
        fs1 = d * scale
        fs2 = fs1 + scale
        cell = scale if scale < ssize - fs1 else ssize - fs1
        s1 = <Py_ssize_t>floor(fs1)
        if s1 < fs1:
            s1 += 1                   # ceil
        s2 = <Py_ssize_t>floor(fs2)
        if s2 > ssize - 1:
            s2 = ssize - 1
        if s1 > s2:
            s1 = s2
        if s1 - fs1 > 1e-3:
            di[k] = d
            si[k] = s1 - 1
            alpha[k] = <float>((s1 - fs1) / cell)
            k += 1
        for s in range(s1, s2):
            di[k] = d
            si[k] = s
            alpha[k] = <float>(1.0 / cell)
            k += 1
        if fs2 - s2 > 1e-3:
            a = fs2 - s2
            if a > 1.0:
                a = 1.0
            if a > cell:
                a = cell
            di[k] = d
            si[k] = s2
            alpha[k] = <float>(a / cell)
            k += 1
    return k


cdef void area_hpass(const pixel_t* S, float* D, Py_ssize_t dw, Py_ssize_t cn,
                     const Py_ssize_t* di, const Py_ssize_t* si, const float* alpha,
                     Py_ssize_t nx) noexcept nogil:
    cdef Py_ssize_t k, c, d, s
    cdef float a
    memset(D, 0, <size_t>(dw * cn) * sizeof(float))
    if cn == 1:
        for k in range(nx):
            D[di[k]] += S[si[k]] * alpha[k]
        return
    for k in range(nx):
        d = di[k] * cn
        s = si[k] * cn
        a = alpha[k]
        for c in range(cn):
            D[d + c] += S[s + c] * a
    return


cdef cloned_void area_rows(const pixel_t* src, Py_ssize_t sstep, Py_ssize_t cn, pixel_t* dst,
                    Py_ssize_t dw, const Py_ssize_t* xdi, const Py_ssize_t* xsi,
                    const float* xalpha, Py_ssize_t nx, const Py_ssize_t* ydi,
                    const Py_ssize_t* ysi, const float* yalpha, Py_ssize_t ny,
                    float* buf, float* acc) noexcept nogil:
    """Area resize: each source row contributes ``beta`` times its horizontal
    average to the output rows it covers (entries sorted by output row)."""
    cdef Py_ssize_t k, i, n = dw * cn, dy, prev_dy = -1, prev_sy = -1
    cdef float beta
    for k in range(ny):
        dy = ydi[k]
        if ysi[k] != prev_sy:
            area_hpass(src + ysi[k] * sstep, buf, dw, cn, xdi, xsi, xalpha, nx)
            prev_sy = ysi[k]
        beta = yalpha[k]
        if dy != prev_dy:
            if prev_dy >= 0:
                for i in range(n):
                    store_f(dst + prev_dy * n + i, acc[i])
            for i in range(n):
                acc[i] = beta * buf[i]
            prev_dy = dy
        else:
            for i in range(n):
                acc[i] += beta * buf[i]
    if prev_dy >= 0:
        for i in range(n):
            store_f(dst + prev_dy * n + i, acc[i])


cdef int resize_area(Frame* f, const char* src, Py_ssize_t sstep, Py_ssize_t sh,
                     Py_ssize_t sw, Py_ssize_t cn, int dtype, char* dst, Py_ssize_t dh,
                     Py_ssize_t dw, double scale_x, double scale_y) noexcept nogil:
    cdef Py_ssize_t capx = 2 * (sw + dw) + 2, capy = 2 * (sh + dh) + 2, nx, ny
    cdef size_t entry = sizeof(Py_ssize_t) * 2 + sizeof(float)
    cdef char* tab = scratch(f, 1, <size_t>(capx + capy) * entry)
    cdef float* buf = <float*>scratch(f, 0, <size_t>(2 * dw * cn) * sizeof(float))
    cdef Py_ssize_t* xdi
    cdef Py_ssize_t* xsi
    cdef Py_ssize_t* ydi
    cdef Py_ssize_t* ysi
    cdef float* xa
    cdef float* ya
    if tab == NULL or buf == NULL:
        return -1
    xdi = <Py_ssize_t*>tab
    xsi = xdi + capx
    ydi = xsi + capx
    ysi = ydi + capy
    xa = <float*>(ysi + capy)
    ya = xa + capx
    nx = area_table(sw, dw, scale_x, xdi, xsi, xa)
    ny = area_table(sh, dh, scale_y, ydi, ysi, ya)
    if dtype == DT_UINT8:
        area_rows(<const uint8_t*>src, sstep, cn, <uint8_t*>dst, dw, xdi, xsi, xa, nx,
                  ydi, ysi, ya, ny, buf, buf + dw * cn)
    elif dtype == DT_UINT16:
        area_rows(<const uint16_t*>src, sstep, cn, <uint16_t*>dst, dw, xdi, xsi, xa, nx,
                  ydi, ysi, ya, ny, buf, buf + dw * cn)
    elif dtype == DT_INT16:
        area_rows(<const int16_t*>src, sstep, cn, <int16_t*>dst, dw, xdi, xsi, xa, nx,
                  ydi, ysi, ya, ny, buf, buf + dw * cn)
    else:
        area_rows(<const float*>src, sstep, cn, <float*>dst, dw, xdi, xsi, xa, nx,
                  ydi, ysi, ya, ny, buf, buf + dw * cn)
    return 0


cdef void stride2_copy(pix_t* d, const pix_t* s, Py_ssize_t n) noexcept nogil:
    """``d[i] = s[2 i]``: every other pixel."""
    cdef Py_ssize_t i
    for i in range(n):
        d[i] = s[2 * i]


cdef int stride2_any(char* d, const char* s, Py_ssize_t n, Py_ssize_t psize) noexcept nogil:
    if psize == 1:
        stride2_copy(<uint8_t*>d, <const uint8_t*>s, n)
    elif psize == 2:
        stride2_copy(<uint16_t*>d, <const uint16_t*>s, n)
    elif psize == 3:
        stride2_copy(<px3_t*>d, <const px3_t*>s, n)
    elif psize == 4:
        stride2_copy(<uint32_t*>d, <const uint32_t*>s, n)
    elif psize == 6:
        stride2_copy(<px6_t*>d, <const px6_t*>s, n)
    elif psize == 8:
        stride2_copy(<uint64_t*>d, <const uint64_t*>s, n)
    elif psize == 12:
        stride2_copy(<px12_t*>d, <const px12_t*>s, n)
    elif psize == 16:
        stride2_copy(<px16_t*>d, <const px16_t*>s, n)
    else:
        return -1
    return 0


cdef cloned_void halve_row(const pixel_t* r0, const pixel_t* r1, pixel_t* d, Py_ssize_t pairs,
                    Py_ssize_t cn, pixel_t* tmp) noexcept nogil:
    """2 x 2 means of two source rows: ``pairs`` output pixels.  The means
    of every element with the one a pixel to its right are computed over the
    whole row (contiguous, vectorised) and every other pixel kept.  Integers
    round half up, as OpenCV's SIMD path; uint8 rows of 1, 3 and 4 channels
    go through pp_halve_u8 first (the same integers)."""
    cdef Py_ssize_t k, n, done
    cdef float quarter = 0.25
    if pixel_t is uint8_t:
        done = pp_halve_u8(r0, r1, d, pairs, <int>cn)
        if done >= pairs:
            return
        r0 += 2 * done * cn
        r1 += 2 * done * cn
        d += done * cn
        pairs -= done
    n = (2 * pairs - 1) * cn
    for k in range(n):
        if pixel_t is float:
            tmp[k] = (r0[k] + r0[k + cn] + r1[k] + r1[k + cn]) * quarter
        elif pixel_t is uint8_t:
            tmp[k] = <uint8_t>((<uint16_t>r0[k] + r0[k + cn] + r1[k] + r1[k + cn] + 2) >> 2)
        else:
            tmp[k] = <pixel_t>((<int32_t>r0[k] + r0[k + cn] + r1[k] + r1[k + cn] + 2) >> 2)
    stride2_any(<char*>d, <const char*>tmp, pairs, cn * sizeof(pixel_t))


cdef cloned_void area_fast_rows(cn_t* tag, const pixel_t* src, Py_ssize_t sstep, Py_ssize_t sh,
                         Py_ssize_t sw, pixel_t* dst, Py_ssize_t dh, Py_ssize_t dw,
                         Py_ssize_t fy, Py_ssize_t fx, void* work) noexcept nogil:
    """Whole-factor area downscaling (``fy x fx`` blocks): sum the block's
    rows into column sums (int32 for integer images, float for float32;
    vectorised), then each output pixel's ``fx`` columns.  Blocks cut by the
    image edge average the pixels they hold.  The caller keeps integer sums
    below 2**24 (exact in float)."""
    cdef Py_ssize_t cn, dy, dx, c, k, r, sy0, ny, nx, sx0, sn, dn
    cdef const pixel_t* s
    cdef pixel_t* d
    cdef int32_t* isum = <int32_t*>work
    cdef float* fsum = <float*>work
    cdef float inv, acc
    cdef int32_t v
    if cn_t is cn1_t:
        cn = 1
    elif cn_t is cn2_t:
        cn = 2
    elif cn_t is cn3_t:
        cn = 3
    else:
        cn = 4
    sn = sw * cn
    dn = dw * cn
    for dy in range(dh):
        sy0 = dy * fy
        ny = fy if sy0 + fy <= sh else sh - sy0
        d = dst + dy * dn
        if ny <= 0:
            memset(d, 0, <size_t>dn * sizeof(pixel_t))
            continue
        s = src + sy0 * sstep
        if fx == 2 and fy == 2 and ny == 2 and sw >= 2:
            halve_row(s, s + sstep, d, sw // 2, cn, <pixel_t*>work)
            for dx in range(sw // 2, dw):        # a last column of one pixel
                for c in range(cn):
                    if pixel_t is float:
                        d[dx * cn + c] = (s[2 * dx * cn + c] + s[sstep + 2 * dx * cn + c]) * 0.5
                    else:
                        store_f(d + dx * cn + c,
                                (<float>s[2 * dx * cn + c] + s[sstep + 2 * dx * cn + c]) * 0.5)
            continue
        if pixel_t is float:
            for k in range(sn):
                fsum[k] = s[k]
            for r in range(1, ny):
                s = src + (sy0 + r) * sstep
                for k in range(sn):
                    fsum[k] += s[k]
        else:
            for k in range(sn):
                isum[k] = s[k]
            for r in range(1, ny):
                s = src + (sy0 + r) * sstep
                for k in range(sn):
                    isum[k] += s[k]
        dx = 0
        if fx == 2:
            inv = <float>(1.0 / (2 * ny))
            for dx in range(sw // 2):
                for c in range(cn):
                    if pixel_t is float:
                        d[dx * cn + c] = (fsum[2 * dx * cn + c] + fsum[(2 * dx + 1) * cn + c]) * inv
                    else:
                        store_f(d + dx * cn + c,
                                <float>(isum[2 * dx * cn + c] + isum[(2 * dx + 1) * cn + c]) * inv)
            dx = sw // 2
        for dx in range(dx, dw):
            sx0 = dx * fx
            nx = fx if sx0 + fx <= sw else sw - sx0
            if nx <= 0:
                for c in range(cn):
                    d[dx * cn + c] = 0
                continue
            inv = <float>(1.0 / (nx * ny))
            for c in range(cn):
                if pixel_t is float:
                    acc = 0
                    for k in range(nx):
                        acc = acc + fsum[(sx0 + k) * cn + c]
                    d[dx * cn + c] = acc * inv
                else:
                    v = 0
                    for k in range(nx):
                        v = v + isum[(sx0 + k) * cn + c]
                    store_f(d + dx * cn + c, <float>v * inv)


cdef void area_fast_any(Py_ssize_t cn, const pixel_t* src, Py_ssize_t sstep, Py_ssize_t sh,
                        Py_ssize_t sw, pixel_t* dst, Py_ssize_t dh, Py_ssize_t dw,
                        Py_ssize_t fy, Py_ssize_t fx, void* work) noexcept nogil:
    if cn == 1:
        area_fast_rows(<cn1_t*>NULL, src, sstep, sh, sw, dst, dh, dw, fy, fx, work)
    elif cn == 2:
        area_fast_rows(<cn2_t*>NULL, src, sstep, sh, sw, dst, dh, dw, fy, fx, work)
    elif cn == 3:
        area_fast_rows(<cn3_t*>NULL, src, sstep, sh, sw, dst, dh, dw, fy, fx, work)
    else:
        area_fast_rows(<cn4_t*>NULL, src, sstep, sh, sw, dst, dh, dw, fy, fx, work)


cdef int resize_image(Frame* f, const char* src, Py_ssize_t sstep, Py_ssize_t sh,
                      Py_ssize_t sw, Py_ssize_t cn, int dtype, char* dst, Py_ssize_t dh,
                      Py_ssize_t dw, double inv_x, double inv_y, int interp) noexcept nogil:
    """Resize the ``sh x sw`` image at ``src`` (rows ``sstep`` elements apart)
    into the contiguous ``dh x dw`` image ``dst``.  ``inv_x``, ``inv_y`` are
    OpenCV's ``inv_scale`` (output / input size, or the factor the caller
    gave); coordinates map through ``scale = 1 / inv_scale``."""
    cdef double scale_x = 1.0 / inv_x, scale_y = 1.0 / inv_y
    cdef Py_ssize_t esize = itemsize(dtype), r, ifx, ify, maxval
    cdef bint area_fast
    cdef float* colsum
    cdef int taps
    if dh == sh and dw == sw:
        for r in range(dh):
            pp_copy_row(dst + r * dw * cn * esize, src + r * sstep * esize,
                        <size_t>(dw * cn * esize))
        return 0
    if interp == INTERP_NEAREST:
        return resize_nearest(f, src, sstep * esize, sh, sw, cn * esize, dst, dh, dw,
                              scale_x, scale_y)
    ifx = <Py_ssize_t>round_even(scale_x) if scale_x < 1e15 else 0
    ify = <Py_ssize_t>round_even(scale_y) if scale_y < 1e15 else 0
    area_fast = (ifx >= 1 and ify >= 1 and scale_x - ifx < 2.220446049250313e-16
                 and ifx - scale_x < 2.220446049250313e-16
                 and scale_y - ify < 2.220446049250313e-16
                 and ify - scale_y < 2.220446049250313e-16)
    # a linear halving is the 2 x 2 average (OpenCV switches too)
    if interp == INTERP_LINEAR and area_fast and ifx == 2 and ify == 2:
        interp = INTERP_AREA
    if interp == INTERP_AREA and scale_x >= 1 and scale_y >= 1:
        # integer block sums must stay exact in float (below 2**24)
        maxval = 255 if dtype == DT_UINT8 else 65535
        if area_fast and (dtype == DT_FLOAT32 or ifx * ify * maxval < 16777216):
            colsum = <float*>scratch(f, 0, <size_t>(sw * cn) * 4)
            if colsum == NULL:
                return -1
            if dtype == DT_UINT8:
                area_fast_any(cn, <const uint8_t*>src, sstep, sh, sw, <uint8_t*>dst, dh, dw,
                              ify, ifx, colsum)
            elif dtype == DT_UINT16:
                area_fast_any(cn, <const uint16_t*>src, sstep, sh, sw, <uint16_t*>dst, dh, dw,
                              ify, ifx, colsum)
            elif dtype == DT_INT16:
                area_fast_any(cn, <const int16_t*>src, sstep, sh, sw, <int16_t*>dst, dh, dw,
                              ify, ifx, colsum)
            else:
                area_fast_any(cn, <const float*>src, sstep, sh, sw, <float*>dst, dh, dw,
                              ify, ifx, colsum)
            return 0
        return resize_area(f, src, sstep, sh, sw, cn, dtype, dst, dh, dw, scale_x, scale_y)
    taps = interp_taps(interp)
    return resize_separable(f, src, sstep, sh, sw, cn, dtype, dst, dh, dw, scale_x, scale_y,
                            inv_x, inv_y, taps, interp == INTERP_AREA)


cdef int resize_size(Frame* f, int mode, Value* a, Value* b, Py_ssize_t height,
                     Py_ssize_t width, Py_ssize_t* dh, Py_ssize_t* dw, double* fy,
                     double* fx) noexcept nogil:
    """Output size and OpenCV's ``inv_scale`` per axis of a resize of a
    ``height x width`` image.  Mode 0: ``a``, ``b`` are the output height and
    width; mode 1: they are the factors fy, fx (the size is ``round(n *
    factor)``, half to even, as cv2.resize with fx/fy)."""
    cdef double h, w
    if mode == 0:
        if (get_size(f, a, "output height", dh) != 0
                or get_size(f, b, "output width", dw) != 0
                or check_out_size(f, dh[0], dw[0]) != 0):
            return -1
        fy[0] = <double>dh[0] / height
        fx[0] = <double>dw[0] / width
        return 0
    if mode != 1:
        return fail(f, BAD_PARAMS)
    if (get_number(f, a, "vertical scale factor", fy) != 0
            or get_number(f, b, "horizontal scale factor", fx) != 0):
        return -1
    if not (fy[0] > 0) or not (fx[0] > 0):
        snprintf(f.error, ERROR_SIZE, "scale factors must be > 0, got fy=%g, fx=%g",
                 fy[0], fx[0])
        return -1
    h = round_even(height * fy[0]) if height * fy[0] < 1e15 else 1e15
    w = round_even(width * fx[0]) if width * fx[0] < 1e15 else 1e15
    if h < 1 or w < 1:
        snprintf(f.error, ERROR_SIZE,
                 "scaling the %zd x %zd image by fy=%g, fx=%g gives an empty image",
                 height, width, fy[0], fx[0])
        return -1
    if h > <double>MAX_PIXELS or w > <double>MAX_PIXELS or h * w > <double>MAX_PIXELS:
        snprintf(f.error, ERROR_SIZE,
                 "scaling the %zd x %zd image by fy=%g, fx=%g gives more than 2**31 pixels",
                 height, width, fy[0], fx[0])
        return -1
    dh[0] = <Py_ssize_t>h
    dw[0] = <Py_ssize_t>w
    return 0


cdef int k_image_resize(Frame* f, const Instr* ins) noexcept nogil:
    """Inputs image, a, b; iparams interpolation, mode (``resize_size``)."""
    cdef ImageView im
    cdef int interp, mode
    cdef Py_ssize_t dh, dw
    cdef double fy, fx
    cdef Value* out
    if check_params(f, ins, 3, 2, 0) != 0 or as_image(f, arg(f, ins, 0), &im) != 0:
        return -1
    interp = <int>iparam(f, ins, 0)
    mode = <int>iparam(f, ins, 1)
    if interp < INTERP_NEAREST or interp > INTERP_LANCZOS or mode < 0 or mode > 1:
        return fail(f, BAD_PARAMS)
    if check_not_empty(f, &im) != 0:
        return -1
    if resize_size(f, mode, arg(f, ins, 1), arg(f, ins, 2), im.height, im.width, &dh, &dw,
                   &fy, &fx) != 0:
        return -1
    out = new_image(f, ins, im.dtype, dh, dw, im.channels, im.ndim)
    if out == NULL:
        return -1
    return resize_image(f, im.data, im.width * im.channels, im.height, im.width, im.channels,
                        im.dtype, out.data, dh, dw, fx, fy, interp)


cdef int k_image_resized_crop(Frame* f, const Instr* ins) noexcept nogil:
    """Resize of a region: inputs image, x, y, width, height, out height, out
    width; iparam interpolation.  The region is clipped to the image first
    (as Crop); the pixels are read in place."""
    cdef ImageView im
    cdef int interp
    cdef Py_ssize_t x, y, w, h, x1, y1, dh, dw
    cdef Value* out
    if check_params(f, ins, 7, 1, 0) != 0 or as_image(f, arg(f, ins, 0), &im) != 0:
        return -1
    interp = <int>iparam(f, ins, 0)
    if interp < INTERP_NEAREST or interp > INTERP_LANCZOS:
        return fail(f, BAD_PARAMS)
    if (get_coord(f, arg(f, ins, 1), "crop x", &x) != 0
            or get_coord(f, arg(f, ins, 2), "crop y", &y) != 0
            or get_size(f, arg(f, ins, 3), "crop width", &w) != 0
            or get_size(f, arg(f, ins, 4), "crop height", &h) != 0
            or get_size(f, arg(f, ins, 5), "output height", &dh) != 0
            or get_size(f, arg(f, ins, 6), "output width", &dw) != 0
            or check_out_size(f, dh, dw) != 0):
        return -1
    if clip_box(f, &im, &x, &y, w, h, &x1, &y1) != 0:
        return -1
    out = new_image(f, ins, im.dtype, dh, dw, im.channels, im.ndim)
    if out == NULL:
        return -1
    return resize_image(f, im.data + (y * im.width + x) * im.channels * itemsize(im.dtype),
                        im.width * im.channels, y1 - y, x1 - x, im.channels, im.dtype,
                        out.data, dh, dw, <double>dw / (x1 - x), <double>dh / (y1 - y), interp)


# ---------------------------------------------------------------- random boxes

cdef int k_image_rrc_box(Frame* f, const Instr* ins) noexcept nogil:
    """torchvision RandomResizedCrop.get_params (``rrc_box`` of _boxes.pxd,
    which the fused decode + crop kernel draws too): input image; fparams
    scale low/high, ratio low/high.  Output int64 ``[top, left, height,
    width]``."""
    cdef ImageView im
    cdef Rng r
    cdef double s0, s1, r0, r1
    cdef Py_ssize_t top, left, h, w
    cdef Py_ssize_t shape[1]
    cdef int64_t* o
    cdef Value* out
    rng_init(&r, f.seed, ins.key, f.sample)
    if check_params(f, ins, 1, 0, 4) != 0 or as_image(f, arg(f, ins, 0), &im) != 0:
        return -1
    if check_not_empty(f, &im) != 0:
        return -1
    s0 = fparam(f, ins, 0)
    s1 = fparam(f, ins, 1)
    r0 = fparam(f, ins, 2)
    r1 = fparam(f, ins, 3)
    if not (0 < s0 <= s1 and isfinite(s1) and 0 < r0 <= r1 and isfinite(r1)):
        return fail(f, BAD_PARAMS)
    rrc_box(&r, im.height, im.width, s0, s1, r0, r1, &top, &left, &h, &w)
    shape[0] = 4
    out = new_tensor(f, ins, DT_INT64, 1, shape)
    if out == NULL:
        return -1
    o = <int64_t*>out.data
    o[0] = top
    o[1] = left
    o[2] = h
    o[3] = w
    return 0


KERNELS = {
    "image_resize": <uintptr_t>k_image_resize,
    "image_resized_crop": <uintptr_t>k_image_resized_crop,
    "image_crop": <uintptr_t>k_image_crop,
    "image_pad": <uintptr_t>k_image_pad,
    "image_crop_range": <uintptr_t>k_image_crop_range,
    "image_flip": <uintptr_t>k_image_flip,
    "image_transpose": <uintptr_t>k_image_transpose,
    "image_rotate90": <uintptr_t>k_image_rotate90,
    "image_rrc_box": <uintptr_t>k_image_rrc_box,
}
