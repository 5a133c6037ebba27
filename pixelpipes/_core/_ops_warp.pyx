"""Kernels of the warps and deformations (node classes in ``pixelpipes/image/warp.py``).

Every warp is two steps per output row: a *coordinate generator* fills the
source coordinates of the row (affine, perspective, or read from maps), and a
*row sampler* interpolates the source image at them.  The samplers follow
OpenCV 5's ``warpAffine``/``warpPerspective``/``remap`` (see the notes of
``pixelpipes.image.warp``):

* nearest rounds the source coordinate half to even;
* linear interpolates at the exact coordinate, as ``v0 = p00 + fx (p01 -
  p00)``, ``v1 = p10 + fx (p11 - p10)``, ``v = v0 + fy (v1 - v0)`` in float32
  (uint16, int16, float32), or for uint8 in fixed point: the coordinate in
  1/2048 pixel and two Q11 passes, the first kept in Q7 (within 0.26 of the
  float value);
* cubic (Keys, a = -0.75, 4 x 4 taps) uses the exact coordinate;
* Lanczos-4 (8 x 8 taps) quantises the coordinate to 1/32 pixel and takes
  its weights from a table, as OpenCV does (for affine warps with OpenCV's own
  10-bit fixed-point coordinate arithmetic);
* cubic and Lanczos accumulate in float32, or for uint8 with Q14 weights per
  axis (rows summed in int32, columns in int64); uint8 cubic takes its
  weights from a table at 1/1024-pixel positions.

Integer results are rounded half to even (uint8 fixed point: half up) and
saturated.  Matrix warps (``warp_window``, exported in _ops_warp.pxd) run over
tiles of the output so that the source patch a tile reads stays in cache.  The
uint8 linear pixel and the float32 linear pixel of 3-4 channels use SSE2
helpers of _simd.h that compute exactly what the scalar code computes.  Source coordinates
are clamped to +-2**28 (NaN counts as -2**28) before any integer conversion,
so no matrix or map can make a sampler index out of bounds.

Affine warps (``affine_span``) have specialised paths, each giving the bytes
of the general sampler at ``affine_row``'s coordinates (the coordinates are
the same doubles, only computed in place): nearest is a gather of offsets
computed by a vectorised loop; one-channel uint8 linear takes groups of 8
pixels (AVX2, chosen at run time) or 4 (SSE2) whose taps are all inside; 3-
and 4-channel linear take groups of 8 (uint8) or 4 (float32) pixels whose
taps are all inside, with AVX2 only (``ppw_rgb_lin``, ``ppw_f32_lin``:
coordinates, offsets and weights in vectors, then 8-byte or 4-float tap
loads, so the loop no longer waits on stored coordinates; elsewhere the
general sampler); 3- and 4-channel uint8 cubic pixels sum their taps with
SSE2 (``ppw_cubic_u8_px``).
The helpers are C in this module; every one does the integer (or exact
double) steps of the scalar code, so the AVX2 and baseline builds agree.
"""

from libc.stdint cimport uint8_t, int16_t, uint16_t, int32_t, int64_t, uintptr_t
from libc.string cimport memcpy
from libc.math cimport floor, ceil, fabs, exp, cos, sin, lrint, lrintf, M_PI

from pixelpipes._core._kernel cimport (
    Frame, Instr, Value, ERROR_SIZE, KIND_TENSOR, DT_UINT8, DT_INT16, DT_UINT16, DT_FLOAT32,
    DT_FLOAT64, arg, iparam, fparam, new_tensor, scratch, fail, snprintf, load_double, itemsize,
)
from pixelpipes._core._image cimport (
    ImageView, as_image, new_image, border_index, pixel_t, BORDER_CONSTANT, INTERP_NEAREST,
    INTERP_LINEAR, INTERP_CUBIC, INTERP_AREA, INTERP_LANCZOS,
)
from pixelpipes._core._interpolation cimport (
    cubic_weights, lanczos4_weights, fixed_weights, INTER_TAB_SIZE,
)
from pixelpipes._core._random cimport Rng, rng_init, rng_uniform, rng_normal

cdef extern from "_simd.h" nogil:
    # return type of the coordinate generators: built for AVX2 and the
    # baseline, picked at load time (uncontracted double: the same bits)
    ctypedef void cloned_void "PP_CLONES void"
    # bilinear uint8 pixel (SSE2) and its scalar steps, the same integers
    void pp_lin_u8_px(const uint8_t* r0, const uint8_t* r1, int cn, int32_t wx, int32_t wy,
                      uint8_t* d)
    int32_t pp_lin_q7(int32_t a, int32_t b, int32_t w)
    uint8_t pp_lin_final(int32_t t0, int32_t t1, int32_t w)
    void pp_lin_f32_px(const float* p0, const float* p1, int cn, float fx, float fy, float* d)
    bint pp_lin_u8_gray4(const uint8_t* src, Py_ssize_t rowlen, Py_ssize_t w, Py_ssize_t h,
                         const double* xs, const double* ys, uint8_t* d)

cdef extern from *:
    """
    #include "_simd.h"
    /* One-channel uint8 linear affine warp, the inside of a row: output
       pixels i = 0, 1, .. at the source coordinate (m0 c + bx, m3 c + by),
       c = col + i (exactly what affine_row computes), in groups (8 pixels with
       AVX2, else 4) while a whole group has its 2 x 2 taps inside the h x w
       source.  The integers are those of pp_lin_u8_gray4 (which the baseline
       uses); the AVX2 version does the same integer steps on 8 lanes and the
       same double products (no FMA), so both give the same bytes.  With
       fill (a constant border), a group whose every pixel has all 2 x 2 taps
       outside is the border value, as linear_edge gives it.  Returns the
       number of pixels written (a multiple of the group). */
    static inline int ppw_far_outside(double x, double y, ptrdiff_t w, ptrdiff_t h) {
        const double L = 268435456.0;   /* affine_row's clamp, then linear_px_u8's steps */
        x = x > -L ? x : -L;
        x = x < L ? x : L;
        y = y > -L ? y : -L;
        y = y < L ? y : L;
        int64_t ix = lrint(x * 2048.0) >> 11, iy = lrint(y * 2048.0) >> 11;
        return ix < -1 || ix >= w || iy < -1 || iy >= h;
    }
    static ptrdiff_t ppw_gray_lin_sse2(const uint8_t* src, ptrdiff_t rowlen, ptrdiff_t w,
                                       ptrdiff_t h, double m0, double m3, double bx,
                                       double by, double col, ptrdiff_t n, int fill,
                                       uint8_t value, uint8_t* d) {
        double xs[4], ys[4];
        ptrdiff_t i = 0;
        for (; i + 4 <= n; i += 4) {
            for (int k = 0; k < 4; k++) {
                double c = col + (double)(i + k);
                xs[k] = m0 * c + bx;
                ys[k] = m3 * c + by;
            }
            if (pp_lin_u8_gray4(src, rowlen, w, h, xs, ys, d + i))
                continue;
            if (!fill)
                break;
            int k = 0;
            while (k < 4 && ppw_far_outside(xs[k], ys[k], w, h))
                k++;
            if (k < 4)
                break;
            __builtin_memset(d + i, value, 4);
        }
        return i;
    }

    #if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) \\
        && defined(__linux__) && !defined(PIXELPIPES_NO_CLONES)
    #include <immintrin.h>
    #define PPW_AVX2 1
    /* The Q11 fixed-point source coordinates X, Y of the 8 output pixels at
       columns c .. c + 7 of an affine row (x = m0 c + bx, y = m3 c + by, the
       doubles affine_row computes); 1 when all lie within +-2**19, where the
       conversion is meaningful (beyond it gives a far index or INT_MIN: either
       way outside, as the clamped scalar steps find it). */
    static inline __attribute__((always_inline, target("avx2"))) int ppw_coords8(
            double c, __m256d vm0, __m256d vm3, __m256d vbx, __m256d vby, __m256i* X,
            __m256i* Y) {
        const __m256d lim = _mm256_set1_pd(524288.0), nlim = _mm256_set1_pd(-524288.0);
        const __m256d s = _mm256_set1_pd(2048.0);
        __m256d c0 = _mm256_add_pd(_mm256_set1_pd(c), _mm256_setr_pd(0.0, 1.0, 2.0, 3.0));
        __m256d c1 = _mm256_add_pd(c0, _mm256_set1_pd(4.0));
        __m256d x0 = _mm256_add_pd(_mm256_mul_pd(vm0, c0), vbx);
        __m256d x1 = _mm256_add_pd(_mm256_mul_pd(vm0, c1), vbx);
        __m256d y0 = _mm256_add_pd(_mm256_mul_pd(vm3, c0), vby);
        __m256d y1 = _mm256_add_pd(_mm256_mul_pd(vm3, c1), vby);
        __m256d ok = _mm256_and_pd(
            _mm256_and_pd(_mm256_and_pd(_mm256_cmp_pd(x0, lim, _CMP_LT_OQ),
                                        _mm256_cmp_pd(x0, nlim, _CMP_GT_OQ)),
                          _mm256_and_pd(_mm256_cmp_pd(x1, lim, _CMP_LT_OQ),
                                        _mm256_cmp_pd(x1, nlim, _CMP_GT_OQ))),
            _mm256_and_pd(_mm256_and_pd(_mm256_cmp_pd(y0, lim, _CMP_LT_OQ),
                                        _mm256_cmp_pd(y0, nlim, _CMP_GT_OQ)),
                          _mm256_and_pd(_mm256_cmp_pd(y1, lim, _CMP_LT_OQ),
                                        _mm256_cmp_pd(y1, nlim, _CMP_GT_OQ))));
        *X = _mm256_set_m128i(_mm256_cvtpd_epi32(_mm256_mul_pd(x1, s)),
                              _mm256_cvtpd_epi32(_mm256_mul_pd(x0, s)));
        *Y = _mm256_set_m128i(_mm256_cvtpd_epi32(_mm256_mul_pd(y1, s)),
                              _mm256_cvtpd_epi32(_mm256_mul_pd(y0, s)));
        return _mm256_movemask_pd(ok) == 15;
    }
    __attribute__((target("avx2"))) static ptrdiff_t ppw_gray_lin_avx2(
            const uint8_t* src, ptrdiff_t rowlen, ptrdiff_t w, ptrdiff_t h, double m0,
            double m3, double bx, double by, double col, ptrdiff_t n, int fill, uint8_t value,
            uint8_t* d) {
        if (w > (1 << 19) || h > (1 << 19) || rowlen * h > 0x7fffffff)
            return 0;
        const __m256i m2 = _mm256_set1_epi32(-2), vw = _mm256_set1_epi32((int32_t)w);
        const __m256i vh = _mm256_set1_epi32((int32_t)h);
        const __m256d vm0 = _mm256_set1_pd(m0), vm3 = _mm256_set1_pd(m3);
        const __m256d vbx = _mm256_set1_pd(bx), vby = _mm256_set1_pd(by);
        const __m256i m1 = _mm256_set1_epi32(-1);
        const __m256i wm1 = _mm256_set1_epi32((int32_t)(w - 1));
        const __m256i hm1 = _mm256_set1_epi32((int32_t)(h - 1));
        const __m256i frac = _mm256_set1_epi32(2047), one = _mm256_set1_epi32(2048);
        const __m256i vstep = _mm256_set1_epi32((int32_t)rowlen);
        const __m256i eight = _mm256_set1_epi32(8), half = _mm256_set1_epi32(1 << 17);
        ptrdiff_t i = 0;
        for (; i + 8 <= n; i += 8) {
            __m256i X, Y;
            int ok = ppw_coords8(col + (double)i, vm0, vm3, vbx, vby, &X, &Y);
            __m256i ix = _mm256_srai_epi32(X, 11), iy = _mm256_srai_epi32(Y, 11);
            __m256i in = _mm256_and_si256(
                _mm256_and_si256(_mm256_cmpgt_epi32(ix, m1), _mm256_cmpgt_epi32(wm1, ix)),
                _mm256_and_si256(_mm256_cmpgt_epi32(iy, m1), _mm256_cmpgt_epi32(hm1, iy)));
            if (!ok || _mm256_movemask_epi8(in) != -1) {
                if (!fill)
                    break;
                __m256i near = _mm256_and_si256(
                    _mm256_and_si256(_mm256_cmpgt_epi32(ix, m2), _mm256_cmpgt_epi32(vw, ix)),
                    _mm256_and_si256(_mm256_cmpgt_epi32(iy, m2), _mm256_cmpgt_epi32(vh, iy)));
                if (!_mm256_testz_si256(near, near))
                    break;
                __builtin_memset(d + i, value, 8);
                continue;
            }
            __m256i wx = _mm256_and_si256(X, frac), wy = _mm256_and_si256(Y, frac);
            __m256i vwx = _mm256_or_si256(_mm256_sub_epi32(one, wx), _mm256_slli_epi32(wx, 16));
            __m256i vwy = _mm256_or_si256(_mm256_sub_epi32(one, wy), _mm256_slli_epi32(wy, 16));
            int32_t a[8];
            _mm256_storeu_si256((__m256i*)a, _mm256_add_epi32(_mm256_mullo_epi32(iy, vstep), ix));
            __m128i qa = _mm_setzero_si128(), qb = _mm_setzero_si128();
            uint16_t q;
    #define PPW_TAPS(k)                                         \\
            __builtin_memcpy(&q, src + a[k], 2);                \\
            qa = _mm_insert_epi16(qa, q, k);                    \\
            __builtin_memcpy(&q, src + a[k] + rowlen, 2);       \\
            qb = _mm_insert_epi16(qb, q, k);
            PPW_TAPS(0) PPW_TAPS(1) PPW_TAPS(2) PPW_TAPS(3)
            PPW_TAPS(4) PPW_TAPS(5) PPW_TAPS(6) PPW_TAPS(7)
    #undef PPW_TAPS
            __m256i pa = _mm256_cvtepu8_epi16(qa), pb = _mm256_cvtepu8_epi16(qb);
            __m256i t0 = _mm256_srai_epi32(_mm256_add_epi32(_mm256_madd_epi16(pa, vwx), eight), 4);
            __m256i t1 = _mm256_srai_epi32(_mm256_add_epi32(_mm256_madd_epi16(pb, vwx), eight), 4);
            __m256i t = _mm256_packs_epi32(t0, t1);
            __m256i r = _mm256_madd_epi16(_mm256_unpacklo_epi16(t, _mm256_srli_si256(t, 8)), vwy);
            r = _mm256_srai_epi32(_mm256_add_epi32(r, half), 18);
            r = _mm256_packs_epi32(r, r);
            r = _mm256_packus_epi16(r, r);
            uint32_t lo = (uint32_t)_mm_cvtsi128_si32(_mm256_castsi256_si128(r));
            uint32_t hi = (uint32_t)_mm_cvtsi128_si32(_mm256_extracti128_si256(r, 1));
            __builtin_memcpy(d + i, &lo, 4);
            __builtin_memcpy(d + i + 4, &hi, 4);
        }
        return i;
    }

    /* Three- and four-channel uint8 linear affine warp, the inside of a row:
       as ppw_gray_lin_avx2 (the same coordinates and the integers of
       pp_lin_u8_px), 8 pixels per group.  Each tap pair (p00 p01, or p10
       p11) is one 8-byte load, so for 3 channels a group also needs
       ix + 2 < w (the 2 stray bytes inside the row).  Pixel k sits in lane
       k / 4 of a register, in the k % 4 slot of pshufd, so that the packs
       give pixels 0-3 in the low lane and 4-7 in the high one. */
    __attribute__((target("avx2"))) static inline ptrdiff_t ppw_rgb_lin_avx2(
            const uint8_t* src, ptrdiff_t rowlen, ptrdiff_t w, ptrdiff_t h, int cn,
            double m0, double m3, double bx, double by, double col, ptrdiff_t n, int fill,
            const uint8_t* value, uint8_t* d) {
        if (w > (1 << 19) || h > (1 << 19) || rowlen * h > 0x7fffffff)
            return 0;
        const __m256i m2 = _mm256_set1_epi32(-2), vw = _mm256_set1_epi32((int32_t)w);
        const __m256i vh = _mm256_set1_epi32((int32_t)h);
        const __m256d vm0 = _mm256_set1_pd(m0), vm3 = _mm256_set1_pd(m3);
        const __m256d vbx = _mm256_set1_pd(bx), vby = _mm256_set1_pd(by);
        const __m256i m1 = _mm256_set1_epi32(-1);
        const __m256i wlim = _mm256_set1_epi32((int32_t)(cn == 3 ? w - 2 : w - 1));
        const __m256i hm1 = _mm256_set1_epi32((int32_t)(h - 1));
        const __m256i frac = _mm256_set1_epi32(2047), one = _mm256_set1_epi32(2048);
        const __m256i vstep = _mm256_set1_epi32((int32_t)rowlen);
        const __m256i vcn = _mm256_set1_epi32(cn);
        const __m256i eight = _mm256_set1_epi32(8), half = _mm256_set1_epi32(1 << 17);
        /* (p0, p1) pairs of each channel, zero-extended, from the 8 bytes of
           the first (lo) or second (hi) 64-bit half of a lane */
        const __m256i slo = cn == 3
            ? _mm256_setr_epi8(0, -1, 3, -1, 1, -1, 4, -1, 2, -1, 5, -1, -1, -1, -1, -1,
                               0, -1, 3, -1, 1, -1, 4, -1, 2, -1, 5, -1, -1, -1, -1, -1)
            : _mm256_setr_epi8(0, -1, 4, -1, 1, -1, 5, -1, 2, -1, 6, -1, 3, -1, 7, -1,
                               0, -1, 4, -1, 1, -1, 5, -1, 2, -1, 6, -1, 3, -1, 7, -1);
        const __m256i shi = _mm256_add_epi8(slo, _mm256_andnot_si256(
            _mm256_cmpeq_epi8(slo, m1), _mm256_set1_epi8(8)));
        /* 4 channels of 4 pixels per lane -> 3 of each, packed in 12 bytes */
        const __m256i pack3 = _mm256_setr_epi8(0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14,
                                               -1, -1, -1, -1, 0, 1, 2, 4, 5, 6, 8, 9, 10,
                                               12, 13, 14, -1, -1, -1, -1);
        const __m256i join3 = _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 3, 7);
        ptrdiff_t i = 0;
        for (; i + 8 <= n; i += 8) {
            __m256i X, Y;
            int ok = ppw_coords8(col + (double)i, vm0, vm3, vbx, vby, &X, &Y);
            __m256i ix = _mm256_srai_epi32(X, 11), iy = _mm256_srai_epi32(Y, 11);
            __m256i in = _mm256_and_si256(
                _mm256_and_si256(_mm256_cmpgt_epi32(ix, m1), _mm256_cmpgt_epi32(wlim, ix)),
                _mm256_and_si256(_mm256_cmpgt_epi32(iy, m1), _mm256_cmpgt_epi32(hm1, iy)));
            if (!ok || _mm256_movemask_epi8(in) != -1) {
                if (!fill)
                    break;
                __m256i near = _mm256_and_si256(
                    _mm256_and_si256(_mm256_cmpgt_epi32(ix, m2), _mm256_cmpgt_epi32(vw, ix)),
                    _mm256_and_si256(_mm256_cmpgt_epi32(iy, m2), _mm256_cmpgt_epi32(vh, iy)));
                if (!_mm256_testz_si256(near, near))
                    break;
                for (int k = 0; k < 8; k++)
                    __builtin_memcpy(d + (i + k) * cn, value, cn);
                continue;
            }
            __m256i wx = _mm256_and_si256(X, frac), wy = _mm256_and_si256(Y, frac);
            __m256i vwx = _mm256_or_si256(_mm256_sub_epi32(one, wx), _mm256_slli_epi32(wx, 16));
            __m256i vwy = _mm256_or_si256(_mm256_sub_epi32(one, wy), _mm256_slli_epi32(wy, 16));
            int32_t a[8];
            _mm256_storeu_si256((__m256i*)a, _mm256_add_epi32(_mm256_mullo_epi32(iy, vstep),
                                                              _mm256_mullo_epi32(ix, vcn)));
            long long q[8], r[8];
            for (int k = 0; k < 8; k++) {
                __builtin_memcpy(&q[k], src + a[k], 8);
                __builtin_memcpy(&r[k], src + a[k] + rowlen, 8);
            }
            /* 64-bit slots: pixels (0, 1 | 4, 5) and (2, 3 | 6, 7) */
            __m256i A01 = _mm256_setr_epi64x(q[0], q[1], q[4], q[5]);
            __m256i A23 = _mm256_setr_epi64x(q[2], q[3], q[6], q[7]);
            __m256i B01 = _mm256_setr_epi64x(r[0], r[1], r[4], r[5]);
            __m256i B23 = _mm256_setr_epi64x(r[2], r[3], r[6], r[7]);
            __m256i res[4];
    #define PPW_PIX(j, A, B, sh, imm)                                                       \\
            {                                                                               \\
                __m256i wxx = _mm256_shuffle_epi32(vwx, imm);                               \\
                __m256i t0 = _mm256_srai_epi32(_mm256_add_epi32(                            \\
                    _mm256_madd_epi16(_mm256_shuffle_epi8(A, sh), wxx), eight), 4);         \\
                __m256i t1 = _mm256_srai_epi32(_mm256_add_epi32(                            \\
                    _mm256_madd_epi16(_mm256_shuffle_epi8(B, sh), wxx), eight), 4);         \\
                __m256i t = _mm256_packs_epi32(t0, t1);                                     \\
                __m256i v = _mm256_madd_epi16(_mm256_unpacklo_epi16(t, _mm256_srli_si256(t, 8)), \\
                                              _mm256_shuffle_epi32(vwy, imm));              \\
                res[j] = _mm256_srai_epi32(_mm256_add_epi32(v, half), 18);                  \\
            }
            PPW_PIX(0, A01, B01, slo, 0x00)
            PPW_PIX(1, A01, B01, shi, 0x55)
            PPW_PIX(2, A23, B23, slo, 0xAA)
            PPW_PIX(3, A23, B23, shi, 0xFF)
    #undef PPW_PIX
            __m256i o = _mm256_packus_epi16(_mm256_packs_epi32(res[0], res[1]),
                                            _mm256_packs_epi32(res[2], res[3]));
            if (cn == 4) {
                _mm256_storeu_si256((__m256i*)(d + 4 * i), o);
            } else {
                o = _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(o, pack3), join3);
                _mm_storeu_si128((__m128i*)(d + 3 * i), _mm256_castsi256_si128(o));
                _mm_storel_epi64((__m128i*)(d + 3 * i + 16), _mm256_extracti128_si256(o, 1));
            }
        }
        return i;
    }

    /* Three- and four-channel float32 linear affine warp, the inside of a
       row: 4 pixels per group at affine_row's coordinates, ix = floor(x),
       fx = (float)(x - ix) (exact difference, one rounding), and per pixel
       the lanes of pp_lin_f32_px, two pixels to a register.  3 channels
       need ix + 2 < w (a 4-float load at p01); their stray 4th lane is
       written over by the next pixel, and the group's last pixel stores 3
       floats.  A constant border far outside (as linear_edge finds it) is
       the border value. */
    __attribute__((target("avx2"))) static inline ptrdiff_t ppw_f32_lin_avx2(
            const float* src, ptrdiff_t rowlen, ptrdiff_t w, ptrdiff_t h, int cn,
            double m0, double m3, double bx, double by, double col, ptrdiff_t n, int fill,
            const float* value, float* d) {
        if (w > (1 << 19) || h > (1 << 19) || rowlen * h > 0x7fffffff)
            return 0;
        const __m256d vm0 = _mm256_set1_pd(m0), vm3 = _mm256_set1_pd(m3);
        const __m256d vbx = _mm256_set1_pd(bx), vby = _mm256_set1_pd(by);
        const __m256d lim = _mm256_set1_pd(524288.0), nlim = _mm256_set1_pd(-524288.0);
        const __m128i m1 = _mm_set1_epi32(-1), m2 = _mm_set1_epi32(-2);
        const __m128i vw = _mm_set1_epi32((int32_t)w), vh = _mm_set1_epi32((int32_t)h);
        const __m128i wlim = _mm_set1_epi32((int32_t)(cn == 3 ? w - 2 : w - 1));
        const __m128i hm1 = _mm_set1_epi32((int32_t)(h - 1));
        const __m128i vstep = _mm_set1_epi32((int32_t)rowlen), vcn = _mm_set1_epi32(cn);
        const __m256i lo2 = _mm256_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1);
        const __m256i hi2 = _mm256_setr_epi32(2, 2, 2, 2, 3, 3, 3, 3);
        ptrdiff_t i = 0;
        for (; i + 4 <= n; i += 4) {
            __m256d c = _mm256_add_pd(_mm256_set1_pd(col + (double)i),
                                      _mm256_setr_pd(0.0, 1.0, 2.0, 3.0));
            __m256d x = _mm256_add_pd(_mm256_mul_pd(vm0, c), vbx);
            __m256d y = _mm256_add_pd(_mm256_mul_pd(vm3, c), vby);
            __m256d ok = _mm256_and_pd(
                _mm256_and_pd(_mm256_cmp_pd(x, lim, _CMP_LT_OQ), _mm256_cmp_pd(x, nlim, _CMP_GT_OQ)),
                _mm256_and_pd(_mm256_cmp_pd(y, lim, _CMP_LT_OQ), _mm256_cmp_pd(y, nlim, _CMP_GT_OQ)));
            __m256d fx = _mm256_floor_pd(x), fy = _mm256_floor_pd(y);
            /* beyond +-2**19 (or NaN) the conversion gives INT_MIN: outside */
            __m128i ix = _mm256_cvttpd_epi32(fx), iy = _mm256_cvttpd_epi32(fy);
            __m128i in = _mm_and_si128(
                _mm_and_si128(_mm_cmpgt_epi32(ix, m1), _mm_cmpgt_epi32(wlim, ix)),
                _mm_and_si128(_mm_cmpgt_epi32(iy, m1), _mm_cmpgt_epi32(hm1, iy)));
            if (_mm256_movemask_pd(ok) != 15 || _mm_movemask_epi8(in) != 0xffff) {
                if (!fill)
                    break;
                __m128i near = _mm_and_si128(
                    _mm_and_si128(_mm_cmpgt_epi32(ix, m2), _mm_cmpgt_epi32(vw, ix)),
                    _mm_and_si128(_mm_cmpgt_epi32(iy, m2), _mm_cmpgt_epi32(vh, iy)));
                if (!_mm_testz_si128(near, near))
                    break;
                for (int k = 0; k < 4; k++)
                    __builtin_memcpy(d + (i + k) * cn, value, cn * sizeof(float));
                continue;
            }
            __m256 wx = _mm256_castps128_ps256(_mm256_cvtpd_ps(_mm256_sub_pd(x, fx)));
            __m256 wy = _mm256_castps128_ps256(_mm256_cvtpd_ps(_mm256_sub_pd(y, fy)));
            int32_t a[4];
            _mm_storeu_si128((__m128i*)a, _mm_add_epi32(_mm_mullo_epi32(iy, vstep),
                                                        _mm_mullo_epi32(ix, vcn)));
    #define PPW_PAIR(k, sel)                                                                 \\
            {                                                                                \\
                const float* p = src + a[k];                                                 \\
                const float* q = src + a[k + 1];                                             \\
                __m256 a0 = _mm256_setr_m128(_mm_loadu_ps(p), _mm_loadu_ps(q));              \\
                __m256 a1 = _mm256_setr_m128(_mm_loadu_ps(p + cn), _mm_loadu_ps(q + cn));    \\
                __m256 b0 = _mm256_setr_m128(_mm_loadu_ps(p + rowlen), _mm_loadu_ps(q + rowlen)); \\
                __m256 b1 = _mm256_setr_m128(_mm_loadu_ps(p + rowlen + cn),                  \\
                                             _mm_loadu_ps(q + rowlen + cn));                 \\
                __m256 vx = _mm256_permutevar8x32_ps(wx, sel);                               \\
                __m256 vy = _mm256_permutevar8x32_ps(wy, sel);                               \\
                __m256 v0 = _mm256_add_ps(a0, _mm256_mul_ps(vx, _mm256_sub_ps(a1, a0)));     \\
                __m256 v1 = _mm256_add_ps(b0, _mm256_mul_ps(vx, _mm256_sub_ps(b1, b0)));     \\
                r##k = _mm256_add_ps(v0, _mm256_mul_ps(vy, _mm256_sub_ps(v1, v0)));          \\
            }
            __m256 r0, r2;
            PPW_PAIR(0, lo2)
            PPW_PAIR(2, hi2)
    #undef PPW_PAIR
            float* o = d + i * cn;
            if (cn == 4) {
                _mm256_storeu_ps(o, r0);
                _mm256_storeu_ps(o + 8, r2);
            } else {
                _mm_storeu_ps(o, _mm256_castps256_ps128(r0));
                _mm_storeu_ps(o + 3, _mm256_extractf128_ps(r0, 1));
                _mm_storeu_ps(o + 6, _mm256_castps256_ps128(r2));
                __m128 last = _mm256_extractf128_ps(r2, 1);
                _mm_storel_pi((__m64*)(o + 9), last);
                _mm_store_ss(o + 11, _mm_movehl_ps(last, last));
            }
        }
        return i;
    }
    #else
    #define PPW_AVX2 0
    #endif

    /* One uint8 cubic pixel of 3 or 4 channels from the 4 x 4 taps at p (rows
       rowlen apart) with the Q14 weights wx, wy: per row, the channel sums
       s = sum_b wx[b] p[b] in int32 (two pmaddwd over (p_b, p_b+1) pairs, the
       integers of the scalar loop), then acc = sum_a wy[a] s_a in double,
       where every product (< 2**38) and sum (< 2**40) is an exact integer, so
       acc is the scalar loop's int64; the result is floor(acc / 2**28 + 1/2)
       clamped (truncation equals floor wherever the clamp does not give 0). */
    static inline void ppw_cubic_u8_px(const uint8_t* p, ptrdiff_t rowlen, int cn,
                                       const int32_t* wx, const int32_t* wy, uint8_t* d) {
    #if PP_SSE2
        const __m128i z = _mm_setzero_si128();
        const __m128i w01 = _mm_set1_epi32((int32_t)(((uint32_t)wx[1] << 16) | (uint16_t)wx[0]));
        const __m128i w23 = _mm_set1_epi32((int32_t)(((uint32_t)wx[3] << 16) | (uint16_t)wx[2]));
        __m128d a01 = _mm_setzero_pd(), a23 = _mm_setzero_pd();
        for (int a = 0; a < 4; a++) {
            const uint8_t* r = p + a * rowlen;
            __m128i v, lo, hi;
            if (cn == 3) {
                uint64_t q8;
                uint32_t q4;
                __builtin_memcpy(&q8, r, 8);
                __builtin_memcpy(&q4, r + 8, 4);
                v = _mm_unpacklo_epi64(_mm_cvtsi64_si128((int64_t)q8), _mm_cvtsi32_si128((int32_t)q4));
                lo = _mm_unpacklo_epi8(v, z);                       /* p0 at 0, p1 at 3 */
                hi = _mm_unpacklo_epi8(_mm_srli_si128(v, 6), z);    /* p2 at 0, p3 at 3 */
                lo = _mm_unpacklo_epi16(lo, _mm_srli_si128(lo, 6));
                hi = _mm_unpacklo_epi16(hi, _mm_srli_si128(hi, 6));
            } else {
                v = _mm_loadu_si128((const __m128i*)r);
                lo = _mm_unpacklo_epi8(v, z);                       /* p0 at 0, p1 at 4 */
                hi = _mm_unpackhi_epi8(v, z);
                lo = _mm_unpacklo_epi16(lo, _mm_srli_si128(lo, 8));
                hi = _mm_unpacklo_epi16(hi, _mm_srli_si128(hi, 8));
            }
            __m128i sum = _mm_add_epi32(_mm_madd_epi16(lo, w01), _mm_madd_epi16(hi, w23));
            __m128d wa = _mm_set1_pd((double)wy[a]);
            a01 = _mm_add_pd(a01, _mm_mul_pd(_mm_cvtepi32_pd(sum), wa));
            a23 = _mm_add_pd(a23, _mm_mul_pd(_mm_cvtepi32_pd(_mm_srli_si128(sum, 8)), wa));
        }
        const __m128d half = _mm_set1_pd(134217728.0), scale = _mm_set1_pd(1.0 / 268435456.0);
        __m128i i01 = _mm_cvttpd_epi32(_mm_mul_pd(_mm_add_pd(a01, half), scale));
        __m128i i23 = _mm_cvttpd_epi32(_mm_mul_pd(_mm_add_pd(a23, half), scale));
        __m128i r = _mm_unpacklo_epi64(i01, i23);
        r = _mm_packs_epi32(r, r);
        uint32_t out = (uint32_t)_mm_cvtsi128_si32(_mm_packus_epi16(r, r));
        __builtin_memcpy(d, &out, cn);
    #else
        for (int c = 0; c < cn; c++) {
            int64_t acc = 0;
            for (int a = 0; a < 4; a++) {
                int32_t s = 0;
                for (int b = 0; b < 4; b++)
                    s += wx[b] * p[a * rowlen + c + b * cn];
                acc += (int64_t)wy[a] * s;
            }
            acc = (acc + ((int64_t)1 << 27)) >> 28;
            d[c] = (uint8_t)(acc < 0 ? 0 : (acc > 255 ? 255 : acc));
        }
    #endif
    }

    /* Nearest, affine: element offsets iy rowlen + ix cn of the source pixels
       of output pixels i < n (column col + i), -1 where the pixel is outside
       the w x h source or the coordinate is beyond +-2**28 (there the caller
       uses the general path).  ix = round half to even as lrint does (adding
       and subtracting 1.5 * 2**52), so the same pixels as nearest_row; a
       plain loop that GCC vectorises in both clones.  Needs h rowlen < 2**31. */
    __attribute__((optimize("no-trapping-math"))) PP_CLONES
    static void ppw_nearest_offsets(double m0, double m3, double bx, double by, double col,
                                    int n, int w, int h, int rowlen, int cn, int32_t* off) {
        const double R = 6755399441055744.0, L = 268435456.0;
        for (int i = 0; i < n; i++) {
            double c = col + (double)i;
            double x = m0 * c + bx, y = m3 * c + by;
            double ax = x < 0 ? -x : x, ay = y < 0 ? -y : y;
            int far = !(ax < L) | !(ay < L);
            x = far ? 0.0 : x;
            y = far ? 0.0 : y;
            int ix = (int)((x + R) - R), iy = (int)((y + R) - R);
            int out = far | ((unsigned)ix >= (unsigned)w) | ((unsigned)iy >= (unsigned)h);
            off[i] = out ? -1 : iy * rowlen + ix * cn;
        }
    }

    static ptrdiff_t ppw_gray_lin(const uint8_t* src, ptrdiff_t rowlen, ptrdiff_t w,
                                  ptrdiff_t h, double m0, double m3, double bx, double by,
                                  double col, ptrdiff_t n, int fill, uint8_t value,
                                  uint8_t* d) {
    #if PPW_AVX2
        if (pp_has_avx2())
            return ppw_gray_lin_avx2(src, rowlen, w, h, m0, m3, bx, by, col, n, fill, value, d);
    #endif
        return ppw_gray_lin_sse2(src, rowlen, w, h, m0, m3, bx, by, col, n, fill, value, d);
    }

    /* Whether ppw_rgb_lin has a fast path here (else the general sampler,
       which gives the same bytes, is the faster choice). */
    static inline int ppw_rgb_lin_ok(void) {
    #if PPW_AVX2
        return pp_has_avx2();
    #else
        return 0;
    #endif
    }
    static ptrdiff_t ppw_rgb_lin(const uint8_t* src, ptrdiff_t rowlen, ptrdiff_t w,
                                 ptrdiff_t h, int cn, double m0, double m3, double bx,
                                 double by, double col, ptrdiff_t n, int fill,
                                 const uint8_t* value, uint8_t* d) {
    #if PPW_AVX2
        if (pp_has_avx2()) {
            if (cn == 3)
                return ppw_rgb_lin_avx2(src, rowlen, w, h, 3, m0, m3, bx, by, col, n, fill,
                                        value, d);
            return ppw_rgb_lin_avx2(src, rowlen, w, h, 4, m0, m3, bx, by, col, n, fill, value,
                                    d);
        }
    #endif
        return 0;
    }
    static ptrdiff_t ppw_f32_lin(const float* src, ptrdiff_t rowlen, ptrdiff_t w,
                                 ptrdiff_t h, int cn, double m0, double m3, double bx,
                                 double by, double col, ptrdiff_t n, int fill,
                                 const float* value, float* d) {
    #if PPW_AVX2
        if (pp_has_avx2()) {
            if (cn == 3)
                return ppw_f32_lin_avx2(src, rowlen, w, h, 3, m0, m3, bx, by, col, n, fill,
                                        value, d);
            return ppw_f32_lin_avx2(src, rowlen, w, h, 4, m0, m3, bx, by, col, n, fill, value,
                                    d);
        }
    #endif
        return 0;
    }
    """
    void ppw_cubic_u8_px(const uint8_t* p, Py_ssize_t rowlen, int cn, const int32_t* wx,
                         const int32_t* wy, uint8_t* d) noexcept nogil
    void ppw_nearest_offsets(double m0, double m3, double bx, double by, double col, int n,
                             int w, int h, int rowlen, int cn, int32_t* off) noexcept nogil
    Py_ssize_t ppw_gray_lin(const uint8_t* src, Py_ssize_t rowlen, Py_ssize_t w, Py_ssize_t h,
                            double m0, double m3, double bx, double by, double col,
                            Py_ssize_t n, int fill, uint8_t value, uint8_t* d) noexcept nogil
    bint ppw_rgb_lin_ok() noexcept nogil
    Py_ssize_t ppw_rgb_lin(const uint8_t* src, Py_ssize_t rowlen, Py_ssize_t w, Py_ssize_t h,
                           int cn, double m0, double m3, double bx, double by, double col,
                           Py_ssize_t n, int fill, const uint8_t* value,
                           uint8_t* d) noexcept nogil
    Py_ssize_t ppw_f32_lin(const float* src, Py_ssize_t rowlen, Py_ssize_t w, Py_ssize_t h,
                           int cn, double m0, double m3, double bx, double by, double col,
                           Py_ssize_t n, int fill, const float* value, float* d) noexcept nogil

cdef double COORD_LIMIT = 268435456.0           # 2**28
cdef Py_ssize_t MAX_PIXELS = (<Py_ssize_t>1) << 31
cdef double MAX_SIGMA = 1000.0

# Map layouts of k_remap (iparam 3)
cdef enum:
    MAPS_SEPARATE = 0       # map_x and map_y, H x W each
    MAPS_INTERLEAVED = 1    # one H x W x 2 map of (x, y)

# uint8 fixed point (see the module notes).
cdef enum:
    LIN_BITS = 11
    LIN_ONE = 2048
    TAP_BITS = 14
    TAP_ONE = 16384

# Lanczos-4 weights at the 32 sub-pixel positions (float, and Q14 with exact
# sums), filled at import.
cdef float LANCZOS_TAB[INTER_TAB_SIZE][8]
cdef int32_t LANCZOS_ITAB[INTER_TAB_SIZE][8]

# uint8 cubic: Q14 weights at 1/1024-pixel positions (the coordinate error,
# <= 1/2048 pixel, moves a uint8 result by at most 255 * 1.25 / 2048 < 0.16).
cdef enum:
    CUBIC_TAB_BITS = 10
    CUBIC_TAB_SIZE = 1024
cdef int32_t CUBIC_ITAB[CUBIC_TAB_SIZE][4]


cdef void _fill_lanczos_table() noexcept nogil:
    cdef double w[8]
    cdef int i, k
    for i in range(INTER_TAB_SIZE):
        lanczos4_weights(i / <double>INTER_TAB_SIZE, w)
        for k in range(8):
            LANCZOS_TAB[i][k] = <float>w[k]
        fixed_weights(w, 8, TAP_ONE, LANCZOS_ITAB[i], True)
    for i in range(CUBIC_TAB_SIZE):
        cubic_weights(i / <double>CUBIC_TAB_SIZE, w)
        fixed_weights(w, 4, TAP_ONE, CUBIC_ITAB[i], True)


_fill_lanczos_table()


# ---------------------------------------------------------------- helpers

cdef inline bint finite(double x) noexcept nogil:
    return x == x and x - x == 0.0


cdef inline double clamp_coord(double v) noexcept nogil:
    """``v`` within +-COORD_LIMIT; NaN becomes -COORD_LIMIT (far outside).
    (Written as max/min so that the compiler emits maxsd/minsd.)"""
    v = v if v > -COORD_LIMIT else -COORD_LIMIT
    return v if v < COORD_LIMIT else COORD_LIMIT


cdef inline Py_ssize_t ifloor(double x) noexcept nogil:
    """floor(x) for |x| <= COORD_LIMIT."""
    cdef Py_ssize_t i = <Py_ssize_t>x
    return i - (x < i)


cdef inline void put(pixel_t* d, float v) noexcept nogil:
    """Store ``v`` rounded half to even and saturated (float32 as is)."""
    cdef long i
    if pixel_t is float:
        d[0] = v
    else:
        if not (v == v):
            d[0] = 0
            return
        if v > 70000.0:
            v = 70000.0
        elif v < -70000.0:
            v = -70000.0
        i = lrintf(v)
        if pixel_t is uint8_t:
            d[0] = <uint8_t>(0 if i < 0 else (255 if i > 255 else i))
        elif pixel_t is uint16_t:
            d[0] = <uint16_t>(0 if i < 0 else (65535 if i > 65535 else i))
        else:
            d[0] = <int16_t>(-32768 if i < -32768 else (32767 if i > 32767 else i))


cdef inline void from_double(pixel_t* d, double v) noexcept nogil:
    """Border value conversion: rounded half to even, saturated."""
    if v != v:
        v = 0.0
    if v > 1e6:
        v = 1e6
    elif v < -1e6:
        v = -1e6
    put(d, <float>v)


cdef inline int check_size(Frame* f, const char* what, Py_ssize_t h, Py_ssize_t w,
                           Py_ssize_t cn) noexcept nogil:
    if h <= 0 or w <= 0:
        snprintf(f.error, ERROR_SIZE, "%s size must be > 0, got %zd x %zd", what, h, w)
        return -1
    if h > MAX_PIXELS or w > MAX_PIXELS or h * w > MAX_PIXELS or h * w * cn > 4 * MAX_PIXELS:
        snprintf(f.error, ERROR_SIZE,
                 "%s size %zd x %zd is too large (at most 2**31 pixels)", what, h, w)
        return -1
    return 0


cdef int check_instr(Frame* f, const Instr* ins, int n_args, int n_iparams,
                     int n_fparams) noexcept nogil:
    """Parameters come from the compiler, but a program file can be edited."""
    if ins.n_args < n_args or ins.n_iparams < n_iparams or ins.n_fparams < n_fparams:
        return fail(f, "malformed instruction parameters")
    return 0


cdef int check_source(Frame* f, ImageView* img) noexcept nogil:
    if img.height <= 0 or img.width <= 0:
        snprintf(f.error, ERROR_SIZE, "cannot warp an empty image (%zd x %zd)",
                 img.height, img.width)
        return -1
    return 0


# ---------------------------------------------------------------- the sampler

# The channel count as a type, so that every row sampler is specialised (by
# Cython's fused types) for 1, 2, 3 and 4 channels with constant loop bounds.
ctypedef fused chan_t:
    char
    short
    int
    long long


# The kernel size of the separable samplers as a type: 4 taps (cubic) or 8
# (Lanczos-4).
ctypedef fused taps_t:
    float
    double


cdef inline Py_ssize_t taps(taps_t tag) noexcept nogil:
    if taps_t is float:
        return 4
    else:
        return 8


cdef inline Py_ssize_t channels(chan_t tag) noexcept nogil:
    if chan_t is char:
        return 1
    elif chan_t is short:
        return 2
    elif chan_t is int:
        return 3
    else:
        return 4

ctypedef struct Sampler:
    const char* src         # pixel (0, 0) of the source (window)
    Py_ssize_t h
    Py_ssize_t w
    Py_ssize_t step         # elements from one source row to the next
    Py_ssize_t cn
    int dtype
    int interp
    int border
    double bv_store[4]      # border value, as pixel_t (bytes reinterpreted)


cdef inline const pixel_t* tap(const pixel_t* src, Py_ssize_t rowlen, Py_ssize_t cn,
                               Py_ssize_t by, Py_ssize_t bx, const pixel_t* bv) noexcept nogil:
    """Pointer to source pixel (by, bx) of already border-mapped indices; the
    border value when either is -1."""
    if by < 0 or bx < 0:
        return bv
    return src + by * rowlen + bx * cn


cdef inline void nearest_row(const pixel_t* src, Py_ssize_t h, Py_ssize_t w, Py_ssize_t rowlen,
                             int border, const pixel_t* bv, const double* xs, const double* ys,
                             Py_ssize_t n, pixel_t* dst, chan_t tag) noexcept nogil:
    cdef Py_ssize_t cn = channels(tag)
    cdef Py_ssize_t i, c, ix, iy
    cdef const pixel_t* p
    for i in range(n):
        ix = lrint(xs[i])
        iy = lrint(ys[i])
        if <size_t>ix < <size_t>w and <size_t>iy < <size_t>h:
            p = src + iy * rowlen + ix * cn
        else:
            p = tap(src, rowlen, cn, border_index(iy, h, border), border_index(ix, w, border), bv)
        for c in range(cn):
            dst[c] = p[c]
        dst += cn


cdef inline void nearest_affine_row(const pixel_t* src, Py_ssize_t h, Py_ssize_t w,
                                    Py_ssize_t rowlen, int border, const pixel_t* bv,
                                    const double* m, double bx, double by, double col,
                                    const int32_t* off, Py_ssize_t n, pixel_t* dst,
                                    chan_t tag) noexcept nogil:
    """``nearest_row`` at the coordinates of ``affine_row`` (column ``col + i``)
    as a gather of the offsets ``off`` (``ppw_nearest_offsets``; -1: the
    pixel as ``nearest_row`` takes it).  3-byte pixels move as one 4-byte
    word whose 4th byte the next pixel overwrites (not for the last pixel of
    the row, nor from the last pixel of the source)."""
    cdef Py_ssize_t cn = channels(tag)
    cdef Py_ssize_t i, c, ix, iy, o
    cdef Py_ssize_t last = (h - 1) * rowlen + (w - 1) * cn
    cdef double x
    cdef const pixel_t* p
    for i in range(n):
        o = off[i]
        if o >= 0:
            p = src + o
            if pixel_t is uint8_t and chan_t is int:
                if o < last and i + 1 < n:
                    memcpy(dst, p, 4)
                    dst += 3
                    continue
        elif border == BORDER_CONSTANT:
            p = bv                  # outside (or far): nearest_row's border value
            if pixel_t is uint8_t and chan_t is int:
                if i + 1 < n:       # (bv_store has room for the 4th byte)
                    memcpy(dst, p, 4)
                    dst += 3
                    continue
        else:
            x = col + <double>i
            ix = lrint(clamp_coord(m[0] * x + bx))
            iy = lrint(clamp_coord(m[3] * x + by))
            p = tap(src, rowlen, cn, border_index(iy, h, border), border_index(ix, w, border), bv)
        for c in range(cn):
            dst[c] = p[c]
        dst += cn


cdef inline void linear_edge(const pixel_t* src, Py_ssize_t h, Py_ssize_t w, Py_ssize_t rowlen,
                             int border, const pixel_t* bv, Py_ssize_t ix, Py_ssize_t iy,
                             float fx, float fy, int32_t wx, int32_t wy, pixel_t* dst,
                             chan_t tag) noexcept nogil:
    """A linear pixel whose 2 x 2 taps at (iy, ix) are not all inside: the
    border value when all four are outside a constant border, else the taps
    through ``border_index``, weighted as the inside pixels are (uint8: the
    fixed point of ``pp_lin_u8_px`` with ``wx``, ``wy``; other types: float
    with ``fx``, ``fy``)."""
    cdef Py_ssize_t cn = channels(tag)
    cdef Py_ssize_t c, x0, x1, y0, y1
    cdef float v0, v1
    cdef const pixel_t* q00
    cdef const pixel_t* q01
    cdef const pixel_t* q10
    cdef const pixel_t* q11
    if border == BORDER_CONSTANT and (ix < -1 or ix >= w or iy < -1 or iy >= h):
        for c in range(cn):
            dst[c] = bv[c]
        return
    x0 = border_index(ix, w, border)
    x1 = border_index(ix + 1, w, border)
    y0 = border_index(iy, h, border)
    y1 = border_index(iy + 1, h, border)
    q00 = tap(src, rowlen, cn, y0, x0, bv)
    q01 = tap(src, rowlen, cn, y0, x1, bv)
    q10 = tap(src, rowlen, cn, y1, x0, bv)
    q11 = tap(src, rowlen, cn, y1, x1, bv)
    for c in range(cn):
        if pixel_t is uint8_t:
            dst[c] = pp_lin_final(pp_lin_q7(q00[c], q01[c], wx), pp_lin_q7(q10[c], q11[c], wx),
                                  wy)
        else:
            v0 = q00[c] + fx * (<float>q01[c] - <float>q00[c])
            v1 = q10[c] + fx * (<float>q11[c] - <float>q10[c])
            put(dst + c, v0 + fy * (v1 - v0))


cdef inline void linear_row(const pixel_t* src, Py_ssize_t h, Py_ssize_t w, Py_ssize_t rowlen,
                            int border, const pixel_t* bv, const double* xs, const double* ys,
                            Py_ssize_t n, pixel_t* dst, chan_t tag) noexcept nogil:
    cdef Py_ssize_t cn = channels(tag)
    cdef Py_ssize_t i, c, ix, iy
    cdef float fx, fy, v0, v1
    cdef const pixel_t* p0
    cdef const pixel_t* p1
    for i in range(n):
        ix = ifloor(xs[i])
        iy = ifloor(ys[i])
        fx = <float>(xs[i] - ix)
        fy = <float>(ys[i] - iy)
        if <size_t>ix < <size_t>(w - 1) and <size_t>iy < <size_t>(h - 1):
            p0 = src + iy * rowlen + ix * cn
            p1 = p0 + rowlen
            if pixel_t is float:
                # 4 lanes at once; 3 channels: not where the 4th lane would
                # read past the row or write past this call's pixels
                if cn == 4 or (cn == 3 and ix + 2 < w and i + 1 < n):
                    pp_lin_f32_px(p0, p1, <int>cn, fx, fy, dst)
                    dst += cn
                    continue
            for c in range(cn):
                v0 = p0[c] + fx * (<float>p0[c + cn] - <float>p0[c])
                v1 = p1[c] + fx * (<float>p1[c + cn] - <float>p1[c])
                put(dst + c, v0 + fy * (v1 - v0))
        else:
            linear_edge(src, h, w, rowlen, border, bv, ix, iy, fx, fy, 0, 0, dst, tag)
        dst += cn


cdef inline void taps_row(const pixel_t* src, Py_ssize_t h, Py_ssize_t w, Py_ssize_t rowlen,
                          int border, const pixel_t* bv, const double* xs, const double* ys,
                          Py_ssize_t n, pixel_t* dst, chan_t tag, taps_t ktag) noexcept nogil:
    """Separable k x k kernel (k = 4: cubic at the exact coordinate; k = 8:
    Lanczos-4 at the coordinate rounded to 1/32 pixel)."""
    cdef Py_ssize_t cn = channels(tag)
    cdef Py_ssize_t k = taps(ktag)
    cdef Py_ssize_t i, c, a, b, ix, iy
    cdef Py_ssize_t X, Y
    cdef Py_ssize_t off = k // 2 - 1
    cdef double dw[8]
    cdef float wx[8]
    cdef float wy[8]
    cdef Py_ssize_t bxs[8]
    cdef Py_ssize_t bys[8]
    cdef float acc[4]
    cdef float s
    cdef const pixel_t* row
    cdef const pixel_t* p
    for i in range(n):
        if k == 4:
            ix = ifloor(xs[i])
            iy = ifloor(ys[i])
            cubic_weights(xs[i] - ix, dw)
            for a in range(4):
                wx[a] = <float>dw[a]
            cubic_weights(ys[i] - iy, dw)
            for a in range(4):
                wy[a] = <float>dw[a]
        else:
            X = lrint(xs[i] * INTER_TAB_SIZE)
            Y = lrint(ys[i] * INTER_TAB_SIZE)
            ix = X >> 5
            iy = Y >> 5
            for a in range(8):
                wx[a] = LANCZOS_TAB[X & (INTER_TAB_SIZE - 1)][a]
                wy[a] = LANCZOS_TAB[Y & (INTER_TAB_SIZE - 1)][a]
        ix -= off
        iy -= off
        if ix >= 0 and iy >= 0 and ix + k <= w and iy + k <= h:
            p = src + iy * rowlen + ix * cn
            for c in range(cn):
                acc[c] = 0.0
            for a in range(k):
                row = p + a * rowlen
                for c in range(cn):
                    s = 0.0
                    for b in range(k):
                        s = s + wx[b] * row[c + b * cn]
                    acc[c] = acc[c] + wy[a] * s
            for c in range(cn):
                put(dst + c, acc[c])
        elif border == BORDER_CONSTANT and (ix + k <= 0 or ix >= w or iy + k <= 0 or iy >= h):
            for c in range(cn):
                dst[c] = bv[c]
        else:
            for a in range(k):
                bxs[a] = border_index(ix + a, w, border)
                bys[a] = border_index(iy + a, h, border)
            for c in range(cn):
                acc[c] = 0.0
                for a in range(k):
                    s = 0.0
                    for b in range(k):
                        s = s + wx[b] * tap(src, rowlen, cn, bys[a], bxs[b], bv)[c]
                    acc[c] = acc[c] + wy[a] * s
                put(dst + c, acc[c])
        dst += cn


cdef inline void linear_px_u8(const uint8_t* src, Py_ssize_t h, Py_ssize_t w,
                              Py_ssize_t rowlen, int border, const uint8_t* bv, double x,
                              double y, uint8_t* dst, chan_t tag) noexcept nogil:
    """One pixel of ``linear_row_u8``."""
    cdef Py_ssize_t cn = channels(tag)
    cdef Py_ssize_t ix, iy, X, Y
    cdef int32_t wx, wy
    cdef const uint8_t* p0
    X = lrint(x * LIN_ONE)
    Y = lrint(y * LIN_ONE)
    ix = X >> LIN_BITS
    iy = Y >> LIN_BITS
    wx = <int>(X & (LIN_ONE - 1))
    wy = <int>(Y & (LIN_ONE - 1))
    if <size_t>ix < <size_t>(w - 1) and <size_t>iy < <size_t>(h - 1):
        p0 = src + iy * rowlen + ix * cn
        pp_lin_u8_px(p0, p0 + rowlen, <int>cn, wx, wy, dst)
    else:
        linear_edge(src, h, w, rowlen, border, bv, ix, iy, 0.0, 0.0, wx, wy, dst, tag)


cdef inline void linear_row_u8(const uint8_t* src, Py_ssize_t h, Py_ssize_t w,
                               Py_ssize_t rowlen, int border, const uint8_t* bv,
                               const double* xs, const double* ys, Py_ssize_t n, uint8_t* dst,
                               chan_t tag) noexcept nogil:
    """Linear for uint8 in fixed point: the coordinate in 1/2048 pixel, a Q11
    pass per row kept in Q7, then a Q11 pass over the two rows, rounded half
    up (``pp_lin_u8_px`` in _simd.h: SSE2 pairs and pmaddwd).  One channel:
    four pixels at a time (``pp_lin_u8_gray4``) where all four are inside."""
    cdef Py_ssize_t cn = channels(tag)
    cdef Py_ssize_t i = 0, k
    if chan_t is char:
        while i + 4 <= n:
            if not pp_lin_u8_gray4(src, rowlen, w, h, xs + i, ys + i, dst + i):
                for k in range(4):
                    linear_px_u8(src, h, w, rowlen, border, bv, xs[i + k], ys[i + k],
                                 dst + i + k, tag)
            i += 4
    for i in range(i, n):
        linear_px_u8(src, h, w, rowlen, border, bv, xs[i], ys[i], dst + i * cn, tag)


cdef inline uint8_t round_q28_u8(int64_t acc) noexcept nogil:
    acc = (acc + ((<int64_t>1) << (2 * TAP_BITS - 1))) >> (2 * TAP_BITS)
    return <uint8_t>(0 if acc < 0 else (255 if acc > 255 else acc))


cdef inline void taps_row_u8(const uint8_t* src, Py_ssize_t h, Py_ssize_t w, Py_ssize_t rowlen,
                             int border, const uint8_t* bv, const double* xs, const double* ys,
                             Py_ssize_t n, uint8_t* dst, chan_t tag, taps_t ktag) noexcept nogil:
    """``taps_row`` for uint8 in fixed point (Q14 weights per axis)."""
    cdef Py_ssize_t cn = channels(tag)
    cdef Py_ssize_t k = taps(ktag)
    cdef Py_ssize_t i, c, a, b, ix, iy
    cdef Py_ssize_t X, Y
    cdef Py_ssize_t off = k // 2 - 1
    cdef const int32_t* wx
    cdef const int32_t* wy
    cdef Py_ssize_t bxs[8]
    cdef Py_ssize_t bys[8]
    cdef int64_t acc[4]
    cdef int32_t s
    cdef const uint8_t* row
    cdef const uint8_t* p
    for i in range(n):
        if k == 4:
            X = lrint(xs[i] * CUBIC_TAB_SIZE)
            Y = lrint(ys[i] * CUBIC_TAB_SIZE)
            ix = X >> CUBIC_TAB_BITS
            iy = Y >> CUBIC_TAB_BITS
            wx = CUBIC_ITAB[X & (CUBIC_TAB_SIZE - 1)]
            wy = CUBIC_ITAB[Y & (CUBIC_TAB_SIZE - 1)]
        else:
            X = lrint(xs[i] * INTER_TAB_SIZE)
            Y = lrint(ys[i] * INTER_TAB_SIZE)
            ix = X >> 5
            iy = Y >> 5
            wx = LANCZOS_ITAB[X & (INTER_TAB_SIZE - 1)]
            wy = LANCZOS_ITAB[Y & (INTER_TAB_SIZE - 1)]
        ix -= off
        iy -= off
        if ix >= 0 and iy >= 0 and ix + k <= w and iy + k <= h:
            p = src + iy * rowlen + ix * cn
            if k == 4 and (cn == 3 or cn == 4):
                ppw_cubic_u8_px(p, rowlen, <int>cn, wx, wy, dst)
                dst += cn
                continue
            for c in range(cn):
                acc[c] = 0
            for a in range(k):
                row = p + a * rowlen
                for c in range(cn):
                    s = 0
                    for b in range(k):
                        s = s + wx[b] * row[c + b * cn]
                    acc[c] = acc[c] + <int64_t>wy[a] * s
            for c in range(cn):
                dst[c] = round_q28_u8(acc[c])
        elif border == BORDER_CONSTANT and (ix + k <= 0 or ix >= w or iy + k <= 0 or iy >= h):
            for c in range(cn):
                dst[c] = bv[c]
        else:
            for a in range(k):
                bxs[a] = border_index(ix + a, w, border)
                bys[a] = border_index(iy + a, h, border)
            for c in range(cn):
                acc[c] = 0
                for a in range(k):
                    s = 0
                    for b in range(k):
                        s = s + wx[b] * tap(src, rowlen, cn, bys[a], bxs[b], bv)[c]
                    acc[c] = acc[c] + <int64_t>wy[a] * s
                dst[c] = round_q28_u8(acc[c])
        dst += cn


cdef void sample_row_cn(const pixel_t* src, const Sampler* s, const double* xs,
                        const double* ys, Py_ssize_t n, pixel_t* dst, chan_t cn) noexcept nogil:
    cdef const pixel_t* bv = <const pixel_t*>s.bv_store
    cdef float k4 = 0
    cdef double k8 = 0
    if s.interp == INTERP_NEAREST:
        nearest_row(src, s.h, s.w, s.step, s.border, bv, xs, ys, n, dst, cn)
    elif pixel_t is uint8_t:
        if s.interp == INTERP_CUBIC:
            taps_row_u8(src, s.h, s.w, s.step, s.border, bv, xs, ys, n, dst, cn, k4)
        elif s.interp == INTERP_LANCZOS:
            taps_row_u8(src, s.h, s.w, s.step, s.border, bv, xs, ys, n, dst, cn, k8)
        else:
            linear_row_u8(src, s.h, s.w, s.step, s.border, bv, xs, ys, n, dst, cn)
    elif s.interp == INTERP_CUBIC:
        taps_row(src, s.h, s.w, s.step, s.border, bv, xs, ys, n, dst, cn, k4)
    elif s.interp == INTERP_LANCZOS:
        taps_row(src, s.h, s.w, s.step, s.border, bv, xs, ys, n, dst, cn, k8)
    else:
        linear_row(src, s.h, s.w, s.step, s.border, bv, xs, ys, n, dst, cn)


cdef void nearest_affine_t(const pixel_t* src, const Sampler* s, const double* m,
                           double bx, double by, double col, const int32_t* off,
                           Py_ssize_t n, pixel_t* dst) noexcept nogil:
    cdef const pixel_t* bv = <const pixel_t*>s.bv_store
    cdef char c1 = 0
    cdef short c2 = 0
    cdef int c3 = 0
    cdef long long c4 = 0
    if s.cn == 1:
        nearest_affine_row(src, s.h, s.w, s.step, s.border, bv, m, bx, by, col, off, n, dst, c1)
    elif s.cn == 3:
        nearest_affine_row(src, s.h, s.w, s.step, s.border, bv, m, bx, by, col, off, n, dst, c3)
    elif s.cn == 4:
        nearest_affine_row(src, s.h, s.w, s.step, s.border, bv, m, bx, by, col, off, n, dst, c4)
    else:
        nearest_affine_row(src, s.h, s.w, s.step, s.border, bv, m, bx, by, col, off, n, dst, c2)


cdef void sample_row_t(const pixel_t* src, const Sampler* s, const double* xs, const double* ys,
                       Py_ssize_t n, pixel_t* dst) noexcept nogil:
    cdef char c1 = 0
    cdef short c2 = 0
    cdef int c3 = 0
    cdef long long c4 = 0
    if s.cn == 1:
        sample_row_cn(src, s, xs, ys, n, dst, c1)
    elif s.cn == 3:
        sample_row_cn(src, s, xs, ys, n, dst, c3)
    elif s.cn == 4:
        sample_row_cn(src, s, xs, ys, n, dst, c4)
    else:
        sample_row_cn(src, s, xs, ys, n, dst, c2)


cdef void sample_row(const Sampler* s, const double* xs, const double* ys, Py_ssize_t n,
                     char* dst) noexcept nogil:
    if s.dtype == DT_UINT8:
        sample_row_t(<const uint8_t*>s.src, s, xs, ys, n, <uint8_t*>dst)
    elif s.dtype == DT_UINT16:
        sample_row_t(<const uint16_t*>s.src, s, xs, ys, n, <uint16_t*>dst)
    elif s.dtype == DT_INT16:
        sample_row_t(<const int16_t*>s.src, s, xs, ys, n, <int16_t*>dst)
    else:
        sample_row_t(<const float*>s.src, s, xs, ys, n, <float*>dst)


cdef void set_border_value_t(Sampler* s, pixel_t* bv, const double* value) noexcept nogil:
    cdef int c
    for c in range(4):
        from_double(bv + c, value[c])


cdef int setup_sampler(Frame* f, Sampler* s, const char* src, Py_ssize_t sstep,
                       Py_ssize_t sh, Py_ssize_t sw, Py_ssize_t cn, int dtype, int interp,
                       int border, const double* value) noexcept nogil:
    """Sampler over the ``sh x sw x cn`` source window at ``src`` (rows
    ``sstep`` elements apart); ``value`` the 4 border values."""
    s.src = src
    s.h = sh
    s.w = sw
    s.step = sstep
    s.cn = cn
    s.dtype = dtype
    s.interp = interp
    s.border = border
    if s.interp == INTERP_AREA:
        s.interp = INTERP_LINEAR        # as OpenCV's warps and remap
    if s.interp < INTERP_NEAREST or s.interp > INTERP_LANCZOS:
        return fail(f, "unknown interpolation code")
    if s.border < 0 or s.border > 4:
        return fail(f, "unknown border code")
    if sh <= 0 or sw <= 0 or not (1 <= cn <= 4) or sstep < sw * cn:
        return fail(f, "bad source window geometry")
    if s.dtype == DT_UINT8:
        set_border_value_t(s, <uint8_t*>s.bv_store, value)
    elif s.dtype == DT_UINT16:
        set_border_value_t(s, <uint16_t*>s.bv_store, value)
    elif s.dtype == DT_INT16:
        set_border_value_t(s, <int16_t*>s.bv_store, value)
    elif s.dtype == DT_FLOAT32:
        set_border_value_t(s, <float*>s.bv_store, value)
    else:
        return fail(f, "unsupported element type")
    return 0


cdef int init_sampler(Frame* f, const Instr* ins, Sampler* s, ImageView* img,
                      int first_fparam) noexcept nogil:
    """Sampler over ``img``; iparams 0, 1 are interpolation and border, fparams
    ``first_fparam ..`` the per-channel border value (4 numbers)."""
    cdef double value[4]
    cdef int c
    for c in range(4):
        value[c] = fparam(f, ins, first_fparam + c)
    return setup_sampler(f, s, img.data, img.width * img.channels, img.height, img.width,
                         img.channels, img.dtype, <int>iparam(f, ins, 0),
                         <int>iparam(f, ins, 1), value)


# ---------------------------------------------------------------- matrices

cdef int read_matrix(Frame* f, Value* v, double* m) noexcept nogil:
    """A 3 x 3 (or 2 x 3, completed with 0 0 1) numeric tensor into ``m``."""
    cdef Py_ssize_t i, rows
    cdef int dt = v.dtype
    cdef Py_ssize_t sz = itemsize(dt)
    if v.kind != KIND_TENSOR or v.ndim != 2 or v.shape[1] != 3 or (
            v.shape[0] != 3 and v.shape[0] != 2):
        return fail(f, "the view must be a 3 x 3 (or 2 x 3) matrix")
    rows = v.shape[0]
    for i in range(rows * 3):
        m[i] = load_double(v.data + i * sz, dt)
        if not finite(m[i]):
            return fail(f, "the view matrix has a NaN or infinite entry")
    if rows == 2:
        m[6] = 0.0
        m[7] = 0.0
        m[8] = 1.0
    return 0


cdef int invert_affine(Frame* f, const double* m, double* r) noexcept nogil:
    """Inverse of the affine map given by the top two rows of ``m`` (OpenCV's
    formula in ``warpAffine``)."""
    cdef double d = m[0] * m[4] - m[1] * m[3]
    cdef int i
    if d == 0.0 or not finite(d):
        return fail(f, "the view matrix is singular (its 2 x 2 linear part has determinant 0)")
    d = 1.0 / d
    r[0] = m[4] * d
    r[1] = -m[1] * d
    r[3] = -m[3] * d
    r[4] = m[0] * d
    r[2] = -r[0] * m[2] - r[1] * m[5]
    r[5] = -r[3] * m[2] - r[4] * m[5]
    r[6] = 0.0
    r[7] = 0.0
    r[8] = 1.0
    for i in range(6):
        if not finite(r[i]):
            return fail(f, "the view matrix is too close to singular to invert")
    return 0


cdef int invert_3x3(Frame* f, const double* m, double* r) noexcept nogil:
    cdef double c0 = m[4] * m[8] - m[5] * m[7]
    cdef double c1 = m[5] * m[6] - m[3] * m[8]
    cdef double c2 = m[3] * m[7] - m[4] * m[6]
    cdef double d = m[0] * c0 + m[1] * c1 + m[2] * c2
    cdef int i
    if d == 0.0 or not finite(d):
        return fail(f, "the view matrix is singular (determinant 0)")
    d = 1.0 / d
    r[0] = c0 * d
    r[1] = (m[2] * m[7] - m[1] * m[8]) * d
    r[2] = (m[1] * m[5] - m[2] * m[4]) * d
    r[3] = c1 * d
    r[4] = (m[0] * m[8] - m[2] * m[6]) * d
    r[5] = (m[2] * m[3] - m[0] * m[5]) * d
    r[6] = c2 * d
    r[7] = (m[1] * m[6] - m[0] * m[7]) * d
    r[8] = (m[0] * m[4] - m[1] * m[3]) * d
    for i in range(9):
        if not finite(r[i]):
            return fail(f, "the view matrix is too close to singular to invert")
    return 0


# ---------------------------------------------------------------- coordinate rows

cdef inline int64_t round_fixed(double v) noexcept nogil:
    """cvRound of ``v`` saturated to int32, as OpenCV's saturate_cast<int>."""
    if not (v > -2147483648.0):
        return -2147483648
    if v > 2147483647.0:
        return 2147483647
    return lrint(v)


cdef cloned_void affine_row(const double* m, Py_ssize_t y, Py_ssize_t x0, Py_ssize_t n,
                     bint quantise, double* xs, double* ys) noexcept nogil:
    """Source coordinates of output pixels ``x0 .. x0 + n - 1`` of row ``y``
    under the (inverse) affine map ``m``.  With ``quantise`` they are
    OpenCV's 1/32-pixel fixed-point ones: ``X = (round(m0 x 1024) +
    round((m1 y + m2) 1024) + 16) >> 5``."""
    cdef int i, count = <int>n     # an int counter keeps the loop vectorisable
    cdef double bx = m[1] * y + m[2]
    cdef double by = m[4] * y + m[5]
    cdef double m0 = m[0], m3 = m[3], fx0 = <double>x0
    cdef int64_t X0, Y0
    if quantise:
        X0 = round_fixed(bx * 1024.0) + 16
        Y0 = round_fixed(by * 1024.0) + 16
        for i in range(count):
            xs[i] = clamp_coord(<double>((X0 + round_fixed(m0 * (fx0 + i) * 1024.0)) >> 5) / 32.0)
            ys[i] = clamp_coord(<double>((Y0 + round_fixed(m3 * (fx0 + i) * 1024.0)) >> 5) / 32.0)
    else:
        for i in range(count):
            xs[i] = clamp_coord(m0 * (fx0 + <double>i) + bx)
            ys[i] = clamp_coord(m3 * (fx0 + <double>i) + by)


cdef cloned_void perspective_row(const double* m, Py_ssize_t y, Py_ssize_t x0, Py_ssize_t n,
                          double* xs, double* ys) noexcept nogil:
    """As ``affine_row``, divided by the third coordinate.  Branch-free:
    where it is 0 the division gives an infinity or NaN, which the clamp
    sends far outside the image."""
    cdef int i, count = <int>n
    cdef double bx = m[1] * y + m[2]
    cdef double by = m[4] * y + m[5]
    cdef double bw = m[7] * y + m[8]
    cdef double m0 = m[0], m3 = m[3], m6 = m[6], fx0 = <double>x0
    cdef double iw
    for i in range(count):
        iw = 1.0 / (m6 * (fx0 + <double>i) + bw)
        xs[i] = clamp_coord((m0 * (fx0 + <double>i) + bx) * iw)
        ys[i] = clamp_coord((m3 * (fx0 + <double>i) + by) * iw)


cdef void affine_span(const Sampler* s, const double* m, Py_ssize_t y, Py_ssize_t x0,
                      Py_ssize_t n, double* xs, double* ys, char* dst) noexcept nogil:
    """Output pixels ``x0 .. x0 + n - 1`` of row ``y`` of an affine warp
    (``xs``, ``ys``: room for ``n`` coordinates).  Nearest gathers at the
    offsets of ``ppw_nearest_offsets``; linear uint8 of 1, 3 or 4 channels
    and float32 of 3 or 4 runs ``ppw_gray_lin`` / ``ppw_rgb_lin`` /
    ``ppw_f32_lin`` over the inside of the row (and over a constant border
    far outside) and the general sampler, 8 pixels at a time, where a group
    is refused; the rest fill the coordinates and run the general sampler.
    All give the bytes of the general sampler at ``affine_row``'s
    coordinates."""
    cdef Py_ssize_t i = 0, e
    cdef double bx = m[1] * y + m[2]
    cdef double by = m[4] * y + m[5]
    cdef int32_t* off = <int32_t*>xs
    if s.interp == INTERP_NEAREST and s.h * s.step < 2147483647 and s.w < 2147483647:
        ppw_nearest_offsets(m[0], m[3], bx, by, <double>x0, <int>n, <int>s.w, <int>s.h,
                            <int>s.step, <int>s.cn, off)
        if s.dtype == DT_UINT8:
            nearest_affine_t(<const uint8_t*>s.src, s, m, bx, by, <double>x0, off, n,
                             <uint8_t*>dst)
        elif s.dtype == DT_UINT16:
            nearest_affine_t(<const uint16_t*>s.src, s, m, bx, by, <double>x0, off, n,
                             <uint16_t*>dst)
        elif s.dtype == DT_INT16:
            nearest_affine_t(<const int16_t*>s.src, s, m, bx, by, <double>x0, off, n,
                             <int16_t*>dst)
        else:
            nearest_affine_t(<const float*>s.src, s, m, bx, by, <double>x0, off, n,
                             <float*>dst)
        return
    if s.dtype == DT_UINT8 and s.cn == 1 and s.interp == INTERP_LINEAR:
        while i < n:
            i += ppw_gray_lin(<const uint8_t*>s.src, s.step, s.w, s.h, m[0], m[3], bx, by,
                              <double>(x0 + i), n - i, s.border == BORDER_CONSTANT,
                              (<const uint8_t*>s.bv_store)[0], <uint8_t*>dst + i)
            if i >= n:
                break
            e = i + 8 if i + 8 < n else n
            affine_row(m, y, x0 + i, e - i, False, xs, ys)
            sample_row(s, xs, ys, e - i, dst + i)
            i = e
        return
    if (s.dtype == DT_UINT8 and (s.cn == 3 or s.cn == 4) and s.interp == INTERP_LINEAR
            and ppw_rgb_lin_ok()):
        while i < n:
            i += ppw_rgb_lin(<const uint8_t*>s.src, s.step, s.w, s.h, <int>s.cn, m[0], m[3],
                             bx, by, <double>(x0 + i), n - i, s.border == BORDER_CONSTANT,
                             <const uint8_t*>s.bv_store, <uint8_t*>dst + i * s.cn)
            if i >= n:
                break
            e = i + 8 if i + 8 < n else n
            affine_row(m, y, x0 + i, e - i, False, xs, ys)
            sample_row(s, xs, ys, e - i, dst + i * s.cn)
            i = e
        return
    if (s.dtype == DT_FLOAT32 and (s.cn == 3 or s.cn == 4) and s.interp == INTERP_LINEAR
            and ppw_rgb_lin_ok()):
        while i < n:
            i += ppw_f32_lin(<const float*>s.src, s.step, s.w, s.h, <int>s.cn, m[0], m[3],
                             bx, by, <double>(x0 + i), n - i, s.border == BORDER_CONSTANT,
                             <const float*>s.bv_store, <float*>dst + i * s.cn)
            if i >= n:
                break
            e = i + 8 if i + 8 < n else n
            affine_row(m, y, x0 + i, e - i, False, xs, ys)
            sample_row(s, xs, ys, e - i, dst + i * s.cn * 4)
            i = e
        return
    affine_row(m, y, x0, n, s.interp == INTERP_LANCZOS, xs, ys)
    sample_row(s, xs, ys, n, dst)


# Warps run over tiles of the output, so that the source pixels a tile reads
# (a sheared or rotated patch) stay in cache from one output row to the next.
# One-byte pixels take wider tiles: a tile row of 32 of them is too short for
# its per-call cost; so do the grouped 3- and 4-channel linear affine rows (64
# measured faster than 32 and 128 for uint8 and float32).
cdef enum:
    TILE_W = 32
    TILE_W_BYTE = 128
    TILE_W_RGB = 64
    TILE_H = 64


cdef int warp_window(Frame* f, const char* src, Py_ssize_t sstep, Py_ssize_t sh,
                     Py_ssize_t sw, Py_ssize_t cn, int dtype, char* dst, Py_ssize_t dh,
                     Py_ssize_t dw, const double* inv, bint perspective, int interp,
                     int border, const double* value) noexcept nogil:
    """The warp engine (exported in the .pxd): the contiguous ``dh x dw x cn``
    output ``dst`` sampled at ``inv . (x, y, 1)`` (dst -> src; divided by the
    third coordinate when ``perspective``) from the ``sh x sw x cn`` source
    window at ``src`` (rows ``sstep`` elements apart).  Taps outside the
    window follow ``border`` (``value``: the 4 border values).  Scratch slot
    0 only.  Returns 0, or -1 with ``f.error`` set."""
    cdef Sampler s
    cdef double* xs
    cdef double* ys
    cdef Py_ssize_t y, ty, tx, tw, x0, n, psize, rowbytes
    if dh <= 0 or dw <= 0:
        return fail(f, "warp_window: empty output")
    if setup_sampler(f, &s, src, sstep, sh, sw, cn, dtype, interp, border, value) != 0:
        return -1
    # nearest reads one source pixel per output pixel: whole rows (the
    # per-call cost of narrow tiles outweighs their cache gain there)
    if s.interp == INTERP_NEAREST:
        tw = dw
    elif dtype == DT_UINT8 and cn == 1:
        tw = TILE_W_BYTE
    elif ((dtype == DT_UINT8 or dtype == DT_FLOAT32) and s.interp == INTERP_LINEAR
            and (cn == 3 or cn == 4) and not perspective):
        tw = TILE_W_RGB
    else:
        tw = TILE_W
    xs = <double*>scratch(f, 0, <size_t>(2 * tw) * sizeof(double))
    if xs == NULL:
        return -1
    ys = xs + tw
    psize = cn * itemsize(dtype)
    rowbytes = dw * psize
    for ty in range((dh + TILE_H - 1) // TILE_H):
        for tx in range((dw + tw - 1) // tw):
            x0 = tx * tw
            n = dw - x0 if dw - x0 < tw else tw
            for y in range(ty * TILE_H, (ty + 1) * TILE_H if (ty + 1) * TILE_H < dh else dh):
                if perspective:
                    perspective_row(inv, y, x0, n, xs, ys)
                    sample_row(&s, xs, ys, n, dst + y * rowbytes + x0 * psize)
                else:
                    affine_span(&s, inv, y, x0, n, xs, ys, dst + y * rowbytes + x0 * psize)
    return 0


cdef int warp_by_matrix(Frame* f, const Instr* ins, ImageView* img, const double* inv,
                        bint perspective, Py_ssize_t out_h, Py_ssize_t out_w) noexcept nogil:
    """Output image ``out_h x out_w`` of the whole ``img`` sampled at ``inv``
    (dst -> src); iparams 0, 1 interpolation and border, fparams 0..3 the
    border value."""
    cdef Value* out
    cdef double value[4]
    cdef int c
    if check_source(f, img) != 0 or check_size(f, "output", out_h, out_w, img.channels) != 0:
        return -1
    for c in range(4):
        value[c] = fparam(f, ins, c)
    if <int>iparam(f, ins, 0) < INTERP_NEAREST or <int>iparam(f, ins, 0) > INTERP_LANCZOS:
        return fail(f, "unknown interpolation code")
    if iparam(f, ins, 1) < 0 or iparam(f, ins, 1) > 4:
        return fail(f, "unknown border code")
    out = new_image(f, ins, img.dtype, out_h, out_w, img.channels, img.ndim)
    if out == NULL:
        return -1
    return warp_window(f, img.data, img.width * img.channels, img.height, img.width,
                       img.channels, img.dtype, out.data, out_h, out_w, inv, perspective,
                       <int>iparam(f, ins, 0), <int>iparam(f, ins, 1), value)


cdef int read_dim(Frame* f, Value* v, const char* what, Py_ssize_t* out) noexcept nogil:
    cdef double x
    if v.kind != KIND_TENSOR or v.length != 1:
        snprintf(f.error, ERROR_SIZE, "%s must be a scalar", what)
        return -1
    x = load_double(v.data, v.dtype)
    if not finite(x):
        snprintf(f.error, ERROR_SIZE, "%s must be finite, got %g", what, x)
        return -1
    if x != floor(x):
        snprintf(f.error, ERROR_SIZE, "%s must be a whole number, got %g", what, x)
        return -1
    if x <= 0:
        snprintf(f.error, ERROR_SIZE, "%s must be > 0, got %g", what, x)
        return -1
    if x > 2147483648.0:
        snprintf(f.error, ERROR_SIZE, "%s %g is too large", what, x)
        return -1
    out[0] = <Py_ssize_t>x
    return 0


cdef int k_warp(Frame* f, const Instr* ins) noexcept nogil:
    """Warp by a 3 x 3 source -> destination matrix.
    args: image, view[, height, width]; iparams: interpolation, border,
    perspective (0 auto, 1 always, 2 never), has_size; fparams: value[4]."""
    cdef ImageView img
    cdef double m[9]
    cdef double inv[9]
    cdef int mode
    cdef bint perspective
    cdef Py_ssize_t out_h, out_w
    if check_instr(f, ins, 2, 4, 4) != 0:
        return -1
    if iparam(f, ins, 3) and check_instr(f, ins, 4, 4, 4) != 0:
        return -1
    mode = <int>iparam(f, ins, 2)
    if as_image(f, arg(f, ins, 0), &img) != 0:
        return -1
    if read_matrix(f, arg(f, ins, 1), m) != 0:
        return -1
    if iparam(f, ins, 3):
        if read_dim(f, arg(f, ins, 2), "height", &out_h) != 0:
            return -1
        if read_dim(f, arg(f, ins, 3), "width", &out_w) != 0:
            return -1
    else:
        out_h = img.height
        out_w = img.width
    if mode == 1:
        perspective = True
    elif mode == 2:
        perspective = False
    else:
        perspective = not (m[6] == 0.0 and m[7] == 0.0 and m[8] == 1.0)
    if perspective:
        if invert_3x3(f, m, inv) != 0:
            return -1
    elif invert_affine(f, m, inv) != 0:
        return -1
    return warp_by_matrix(f, ins, &img, inv, perspective, out_h, out_w)


cdef int rotation_matrix(Frame* f, Value* va, Py_ssize_t h, Py_ssize_t w, bint expand,
                         double* m, Py_ssize_t* out_h, Py_ssize_t* out_w) noexcept nogil:
    """The source -> destination matrix of Rotate (angle in degrees from the
    scalar ``va``) for an ``h x w`` image, and the output size."""
    cdef double angle, a, b, cx, cy, nw, nh
    if va.kind != KIND_TENSOR or va.length != 1:
        return fail(f, "angle must be a scalar")
    angle = load_double(va.data, va.dtype)
    if not finite(angle):
        snprintf(f.error, ERROR_SIZE, "angle must be finite, got %g", angle)
        return -1
    # cv2.getRotationMatrix2D(centre, angle, 1) with the centre of the pixel grid
    angle = angle * (M_PI / 180.0)
    a = cos(angle)
    b = sin(angle)
    cx = (w - 1) * 0.5
    cy = (h - 1) * 0.5
    m[0] = a
    m[1] = b
    m[2] = (1.0 - a) * cx - b * cy
    m[3] = -b
    m[4] = a
    m[5] = b * cx + (1.0 - a) * cy
    m[6] = 0.0
    m[7] = 0.0
    m[8] = 1.0
    out_h[0] = h
    out_w[0] = w
    if expand:
        # Canvas of the rotated W x H rectangle; 1e-6 absorbs cos/sin rounding
        # so that 90-degree turns give exactly H x W.
        nw = ceil(fabs(a) * w + fabs(b) * h - 1e-6)
        nh = ceil(fabs(b) * w + fabs(a) * h - 1e-6)
        out_w[0] = <Py_ssize_t>(nw if nw >= 1 else 1)
        out_h[0] = <Py_ssize_t>(nh if nh >= 1 else 1)
        m[2] += (out_w[0] - w) * 0.5
        m[5] += (out_h[0] - h) * 0.5
    return 0


cdef int k_rotate(Frame* f, const Instr* ins) noexcept nogil:
    """Rotate about the image centre.  args: image, angle (degrees);
    iparams: interpolation, border, expand; fparams: value[4]."""
    cdef ImageView img
    cdef double m[9]
    cdef double inv[9]
    cdef Py_ssize_t out_h, out_w
    if check_instr(f, ins, 2, 3, 4) != 0:
        return -1
    if as_image(f, arg(f, ins, 0), &img) != 0:
        return -1
    if rotation_matrix(f, arg(f, ins, 1), img.height, img.width, <bint>iparam(f, ins, 2),
                       m, &out_h, &out_w) != 0:
        return -1
    if invert_affine(f, m, inv) != 0:
        return -1
    return warp_by_matrix(f, ins, &img, inv, False, out_h, out_w)


# ---------------------------------------------------------------- remap

cdef void map_row_f32(const float* mx, const float* my, int stride, Py_ssize_t n,
                      Py_ssize_t y, bint relative, double* xs, double* ys) noexcept nogil:
    """Source coordinates of a row from float32 maps (``stride`` 2 for an
    interleaved map); relative maps add the pixel's own coordinates."""
    cdef int i, count = <int>n
    cdef double fy = <double>y
    if relative:
        for i in range(count):
            xs[i] = clamp_coord(<double>mx[i * stride] + <double>i)
            ys[i] = clamp_coord(<double>my[i * stride] + fy)
    else:
        for i in range(count):
            xs[i] = clamp_coord(<double>mx[i * stride])
            ys[i] = clamp_coord(<double>my[i * stride])


cdef void map_row_f64(const double* mx, const double* my, int stride, Py_ssize_t n,
                      Py_ssize_t y, bint relative, double* xs, double* ys) noexcept nogil:
    cdef int i, count = <int>n
    cdef double fy = <double>y
    if relative:
        for i in range(count):
            xs[i] = clamp_coord(mx[i * stride] + <double>i)
            ys[i] = clamp_coord(my[i * stride] + fy)
    else:
        for i in range(count):
            xs[i] = clamp_coord(mx[i * stride])
            ys[i] = clamp_coord(my[i * stride])


cdef int k_remap(Frame* f, const Instr* ins) noexcept nogil:
    """Remap.  args: image, map_x[, map_y]; iparams: interpolation, border,
    relative, layout (MAPS_SEPARATE / MAPS_INTERLEAVED); fparams: value[4]."""
    cdef ImageView img
    cdef Sampler s
    cdef Value* mx
    cdef Value* my = NULL
    cdef Value* out
    cdef bint relative
    cdef int layout
    cdef Py_ssize_t out_h, out_w, y, rowbytes, stride, base
    cdef double* xs
    cdef double* ys
    cdef int isz
    cdef bint f64
    if check_instr(f, ins, 2, 4, 4) != 0:
        return -1
    relative = iparam(f, ins, 2) != 0
    layout = <int>iparam(f, ins, 3)
    if layout == MAPS_SEPARATE and check_instr(f, ins, 3, 4, 4) != 0:
        return -1
    mx = arg(f, ins, 1)
    if as_image(f, arg(f, ins, 0), &img) != 0:
        return -1
    if mx.kind != KIND_TENSOR or (mx.dtype != DT_FLOAT32 and mx.dtype != DT_FLOAT64):
        return fail(f, "maps must be float32 or float64 tensors")
    if layout == MAPS_SEPARATE:
        my = arg(f, ins, 2)
        if my.kind != KIND_TENSOR or my.dtype != mx.dtype:
            return fail(f, "map_x and map_y must be tensors of the same element type")
        if mx.ndim != 2 or my.ndim != 2 or mx.shape[0] != my.shape[0] or \
                mx.shape[1] != my.shape[1]:
            return fail(f, "map_x and map_y must be H x W tensors of the same shape")
        stride = 1
    else:
        if mx.ndim != 3 or mx.shape[2] != 2:
            return fail(f, "a single map must be an H x W x 2 tensor of (x, y)")
        stride = 2
    out_h = mx.shape[0]
    out_w = mx.shape[1]
    if check_source(f, &img) != 0 or check_size(f, "map", out_h, out_w, img.channels) != 0:
        return -1
    if init_sampler(f, ins, &s, &img, 0) != 0:
        return -1
    xs = <double*>scratch(f, 0, <size_t>(2 * out_w) * sizeof(double))
    if xs == NULL:
        return -1
    ys = xs + out_w
    out = new_image(f, ins, img.dtype, out_h, out_w, img.channels, img.ndim)
    if out == NULL:
        return -1
    isz = 1 if img.dtype == DT_UINT8 else (4 if img.dtype == DT_FLOAT32 else 2)
    rowbytes = out_w * img.channels * isz
    f64 = mx.dtype == DT_FLOAT64
    for y in range(out_h):
        base = y * out_w * stride
        if layout == MAPS_SEPARATE:
            if f64:
                map_row_f64(<double*>mx.data + base, <double*>my.data + base, 1, out_w, y,
                            relative, xs, ys)
            else:
                map_row_f32(<float*>mx.data + base, <float*>my.data + base, 1, out_w, y,
                            relative, xs, ys)
        elif f64:
            map_row_f64(<double*>mx.data + base, <double*>mx.data + base + 1, 2, out_w, y,
                        relative, xs, ys)
        else:
            map_row_f32(<float*>mx.data + base, <float*>mx.data + base + 1, 2, out_w, y,
                        relative, xs, ys)
        sample_row(&s, xs, ys, out_w, out.data + y * rowbytes)
    return 0


# ---------------------------------------------------------------- maps and fields

cdef int image_size(Frame* f, Value* v, Py_ssize_t* h, Py_ssize_t* w) noexcept nogil:
    cdef ImageView img
    if as_image(f, v, &img) != 0:
        return -1
    if check_source(f, &img) != 0:
        return -1
    h[0] = img.height
    w[0] = img.width
    return 0


cdef int read_vector(Frame* f, Value* v, const char* what, Py_ssize_t n_expected,
                     double* out, Py_ssize_t* n) noexcept nogil:
    """A 1-D float tensor (any numeric type) into ``out`` (at most 4096 items)."""
    cdef Py_ssize_t i, sz
    if v.kind != KIND_TENSOR or v.ndim < 1:
        snprintf(f.error, ERROR_SIZE, "%s must be a tensor", what)
        return -1
    if v.length < 1 or v.length > 4096:
        snprintf(f.error, ERROR_SIZE, "%s must have 1 to 4096 values, got %zd", what, v.length)
        return -1
    if n_expected >= 0 and v.length != n_expected:
        snprintf(f.error, ERROR_SIZE, "%s must have %zd values, got %zd", what, n_expected,
                 v.length)
        return -1
    sz = itemsize(v.dtype)
    for i in range(v.length):
        out[i] = load_double(v.data + i * sz, v.dtype)
        if not finite(out[i]):
            snprintf(f.error, ERROR_SIZE, "%s has a NaN or infinite value", what)
            return -1
    n[0] = v.length
    return 0


cdef int grid_axis(Frame* f, const double* steps, Py_ssize_t k, Py_ssize_t size,
                   double* out) noexcept nogil:
    """Piecewise-linear source coordinate of every pixel of an axis of
    ``size`` pixels split into ``k`` equal cells, cell ``j`` stretched by
    ``steps[j]``; both ends stay fixed (the steps are normalised to span
    ``size - 1``).  Equal steps give exactly ``out[x] = x``."""
    cdef double total = 0.0, span = size - 1.0, c0, c1, p0, p1, acc, g
    cdef Py_ssize_t j, x
    for j in range(k):
        if steps[j] < 0:
            return fail(f, "grid distortion steps must be >= 0")
        total += steps[j]
    if not (total > 0):
        return fail(f, "grid distortion steps must not all be 0")
    if not finite(total):
        return fail(f, "grid distortion steps are too large")
    if size == 1:
        out[0] = 0.0
        return 0
    acc = 0.0
    j = 0
    c0 = 0.0
    p0 = 0.0
    c1 = span * 1 / k
    p1 = span * (steps[0] / total)
    for x in range(size):
        g = x * <double>k / span         # position in cells
        while j < k - 1 and g >= j + 1:
            j += 1
            acc += steps[j - 1]
            c0 = c1
            p0 = p1
            c1 = span * (j + 1) / k
            p1 = span * ((acc + steps[j]) / total) if j < k - 1 else span
        if j == k - 1:
            p1 = span
        # x + (p0 - c0) + (x - c0) * (slope - 1): exactly x when p == c
        out[x] = x + (p0 - c0) + (x - c0) * ((p1 - p0) / (c1 - c0) - 1.0)
    return 0


cdef int k_grid_distortion_map(Frame* f, const Instr* ins) noexcept nogil:
    """Absolute H x W x 2 float32 map of a grid distortion.
    args: image, x_steps, y_steps (1-D, one per cell)."""
    cdef Py_ssize_t h, w, nx, ny, x, y
    cdef double sx[4096]
    cdef double sy[4096]
    cdef double* xx
    cdef double* yy
    cdef float* o
    cdef Value* out
    cdef Py_ssize_t shape[3]
    if check_instr(f, ins, 3, 0, 0) != 0:
        return -1
    if image_size(f, arg(f, ins, 0), &h, &w) != 0:
        return -1
    if read_vector(f, arg(f, ins, 1), "x_steps", -1, sx, &nx) != 0:
        return -1
    if read_vector(f, arg(f, ins, 2), "y_steps", -1, sy, &ny) != 0:
        return -1
    if check_size(f, "image", h, w, 2) != 0:
        return -1
    xx = <double*>scratch(f, 0, <size_t>(w + h) * sizeof(double))
    if xx == NULL:
        return -1
    yy = xx + w
    if grid_axis(f, sx, nx, w, xx) != 0 or grid_axis(f, sy, ny, h, yy) != 0:
        return -1
    shape[0] = h
    shape[1] = w
    shape[2] = 2
    out = new_tensor(f, ins, DT_FLOAT32, 3, shape)
    if out == NULL:
        return -1
    o = <float*>out.data
    for y in range(h):
        for x in range(w):
            o[0] = <float>xx[x]
            o[1] = <float>yy[y]
            o += 2
    return 0


cdef int k_piecewise_affine_map(Frame* f, const Instr* ins) noexcept nogil:
    """Absolute H x W x 2 float32 map of a piecewise-affine warp.
    args: image, jitter (rows x cols x 2 of (dx, dy) as fractions of the
    image width and height)."""
    cdef Py_ssize_t h, w, rows, cols, x, y, i, j, sz
    cdef Value* jv
    cdef Value* out
    cdef Py_ssize_t shape[3]
    cdef double* off
    cdef double gx, gy, u, v, ox, oy, sx_, sy_
    cdef Py_ssize_t* cell_x
    cdef double* ux
    cdef const double* tl
    cdef const double* tr
    cdef const double* bl
    cdef const double* br
    cdef float* o
    if check_instr(f, ins, 2, 0, 0) != 0:
        return -1
    jv = arg(f, ins, 1)
    if image_size(f, arg(f, ins, 0), &h, &w) != 0:
        return -1
    if jv.kind != KIND_TENSOR or jv.ndim != 3 or jv.shape[2] != 2:
        return fail(f, "jitter must be a rows x cols x 2 tensor")
    rows = jv.shape[0]
    cols = jv.shape[1]
    if rows < 2 or cols < 2 or rows > 1024 or cols > 1024:
        snprintf(f.error, ERROR_SIZE, "the control grid must have 2 to 1024 rows and columns, "
                 "got %zd x %zd", rows, cols)
        return -1
    if check_size(f, "image", h, w, 2) != 0:
        return -1
    off = <double*>scratch(f, 0, <size_t>(rows * cols * 2) * sizeof(double))
    if off == NULL:
        return -1
    sz = itemsize(jv.dtype)
    for i in range(rows * cols):
        off[2 * i] = load_double(jv.data + (2 * i) * sz, jv.dtype) * w
        off[2 * i + 1] = load_double(jv.data + (2 * i + 1) * sz, jv.dtype) * h
        if not (finite(off[2 * i]) and finite(off[2 * i + 1])):
            return fail(f, "jitter has a NaN or infinite value")
    shape[0] = h
    shape[1] = w
    shape[2] = 2
    out = new_tensor(f, ins, DT_FLOAT32, 3, shape)
    if out == NULL:
        return -1
    # per column: cell and position in it (the same for every row)
    cell_x = <Py_ssize_t*>scratch(f, 1, <size_t>w * (sizeof(Py_ssize_t) + sizeof(double)))
    if cell_x == NULL:
        return -1
    ux = <double*>(cell_x + w)
    sx_ = (cols - 1.0) / (w - 1.0) if w > 1 else 0.0
    for x in range(w):
        gx = x * sx_
        j = <Py_ssize_t>gx
        if j > cols - 2:
            j = cols - 2
        cell_x[x] = j
        ux[x] = gx - j
    sy_ = (rows - 1.0) / (h - 1.0) if h > 1 else 0.0
    o = <float*>out.data
    for y in range(h):
        gy = y * sy_
        i = <Py_ssize_t>gy
        if i > rows - 2:
            i = rows - 2
        v = gy - i
        for x in range(w):
            u = ux[x]
            tl = off + 2 * (i * cols + cell_x[x])
            tr = tl + 2
            bl = tl + 2 * cols
            br = bl + 2
            # each cell is split along its top-left -> bottom-right diagonal
            if u >= v:
                ox = tl[0] + u * (tr[0] - tl[0]) + v * (br[0] - tr[0])
                oy = tl[1] + u * (tr[1] - tl[1]) + v * (br[1] - tr[1])
            else:
                ox = tl[0] + v * (bl[0] - tl[0]) + u * (br[0] - bl[0])
                oy = tl[1] + v * (bl[1] - tl[1]) + u * (br[1] - bl[1])
            o[0] = <float>(x + ox)
            o[1] = <float>(y + oy)
            o += 2
    return 0


cdef void blur_plane(float* plane, float* tmp, float* line, const float* g, Py_ssize_t r,
                     Py_ssize_t h, Py_ssize_t w) noexcept nogil:
    """Separable convolution of an h x w plane with the 2r+1 taps ``g``,
    reflect-101 borders (OpenCV's default).  ``tmp``: h x w floats;
    ``line``: max(h, w) + 2r floats."""
    cdef Py_ssize_t x, y, k, n
    cdef float* src
    cdef float* dst
    cdef const float* row
    cdef float gk
    # horizontal: plane -> tmp
    n = w + 2 * r
    for y in range(h):
        src = plane + y * w
        for x in range(n):
            line[x] = src[border_index(x - r, w, 3)]
        dst = tmp + y * w
        for x in range(w):
            dst[x] = 0.0
        for k in range(2 * r + 1):
            gk = g[k]
            for x in range(w):
                dst[x] = dst[x] + gk * line[x + k]
    # vertical: tmp -> plane
    for y in range(h):
        dst = plane + y * w
        for x in range(w):
            dst[x] = 0.0
        for k in range(2 * r + 1):
            gk = g[k]
            row = tmp + border_index(y + k - r, h, 3) * w
            for x in range(w):
                dst[x] = dst[x] + gk * row[x]


cdef int k_elastic_field(Frame* f, const Instr* ins) noexcept nogil:
    """Random displacement field H x W x 2 float32 (dx, dy) in pixels.
    args: image (its size), alpha, sigma; iparams: distribution (0 uniform
    in [-1, 1), 1 standard normal)."""
    cdef Rng r
    cdef Py_ssize_t h, w, n, i, rad, k
    cdef double alpha, sigma, total
    cdef Value* out
    cdef Py_ssize_t shape[3]
    cdef float* planes
    cdef float* tmp
    cdef float* line
    cdef float* g
    cdef float* o
    cdef int dist
    rng_init(&r, f.seed, ins.key, f.sample)
    if check_instr(f, ins, 3, 1, 0) != 0:
        return -1
    dist = <int>iparam(f, ins, 0)
    if image_size(f, arg(f, ins, 0), &h, &w) != 0:
        return -1
    if scalar_arg(f, arg(f, ins, 1), "alpha", &alpha) != 0:
        return -1
    if scalar_arg(f, arg(f, ins, 2), "sigma", &sigma) != 0:
        return -1
    if sigma < 0 or sigma > MAX_SIGMA:
        snprintf(f.error, ERROR_SIZE, "sigma must be in [0, %g], got %g", MAX_SIGMA, sigma)
        return -1
    if check_size(f, "image", h, w, 2) != 0:
        return -1
    n = h * w
    rad = <Py_ssize_t>ceil(3.0 * sigma) if sigma > 0 else 0
    planes = <float*>scratch(f, 1, <size_t>(2 * n) * sizeof(float))
    if planes == NULL:
        return -1
    for i in range(2 * n):
        if dist == 1:
            planes[i] = <float>rng_normal(&r)
        else:
            planes[i] = <float>(2.0 * rng_uniform(&r) - 1.0)
    if rad > 0:
        tmp = <float*>scratch(f, 2, <size_t>n * sizeof(float))
        if tmp == NULL:
            return -1
        g = <float*>scratch(f, 3, <size_t>(2 * rad + 1 + (h if h > w else w) + 2 * rad)
                            * sizeof(float))
        if g == NULL:
            return -1
        line = g + 2 * rad + 1
        total = 0.0
        for k in range(2 * rad + 1):
            total += exp(-(k - rad) * (k - rad) / (2.0 * sigma * sigma))
        for k in range(2 * rad + 1):
            g[k] = <float>(exp(-(k - rad) * (k - rad) / (2.0 * sigma * sigma)) / total)
        blur_plane(planes, tmp, line, g, rad, h, w)
        blur_plane(planes + n, tmp, line, g, rad, h, w)
    shape[0] = h
    shape[1] = w
    shape[2] = 2
    out = new_tensor(f, ins, DT_FLOAT32, 3, shape)
    if out == NULL:
        return -1
    o = <float*>out.data
    for i in range(n):
        o[2 * i] = <float>(alpha * planes[i])
        o[2 * i + 1] = <float>(alpha * planes[n + i])
    return 0


cdef int scalar_arg(Frame* f, Value* v, const char* what, double* out) noexcept nogil:
    if v.kind != KIND_TENSOR or v.length != 1:
        snprintf(f.error, ERROR_SIZE, "%s must be a scalar", what)
        return -1
    out[0] = load_double(v.data, v.dtype)
    if not finite(out[0]):
        snprintf(f.error, ERROR_SIZE, "%s must be finite, got %g", what, out[0])
        return -1
    return 0


KERNELS = {
    "warp": <uintptr_t>k_warp,
    "warp_rotate": <uintptr_t>k_rotate,
    "warp_remap": <uintptr_t>k_remap,
    "warp_grid_distortion_map": <uintptr_t>k_grid_distortion_map,
    "warp_piecewise_affine_map": <uintptr_t>k_piecewise_affine_map,
    "warp_elastic_field": <uintptr_t>k_elastic_field,
}
