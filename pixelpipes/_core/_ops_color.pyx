"""Kernels of the photometric operations (node classes in ``pixelpipes/image/color.py``).

Images are HWC, C-contiguous, of uint8, uint16, int16 or float32 (see
``_image.pxd``).  Every kernel makes one pass over the pixels where it can.
The colour conversions use OpenCV's fixed-point arithmetic and tables, so
that their uint8 results match ``cv2.cvtColor`` bit for bit; the torchvision
adjustments repeat torchvision's float32 operations in the same order (see
the node docstrings for the few deliberate differences).

The element loops are plain Cython, written so that GCC vectorises them: no
branches in the loop bodies (selects instead; nested selects of more than
four values as sums of masked values), no table lookups where a division
does, float-to-small-integer conversions through int32.  Loops that must
de-interleave channels only vectorise with byte shuffles, which the x86-64
baseline (SSE2) lacks, so they are declared ``cloned_void`` (or
``shuffle_void``): GCC on Linux builds them for AVX2 (AVX) and for the
baseline and picks one at load time (``target_clones``).  The clones
compute the same bits: the build forbids floating-point contraction, and
nothing here reassociates.  Two loops are written in C intrinsics (uint8
RGB2Gray with SSSE3, uint8 HSV2RGB with AVX2), chosen at run time and giving
the bytes of the loops they replace.
"""

from libc.stdint cimport (
    uint8_t, int16_t, uint16_t, int32_t, uint32_t, int64_t, uint64_t, uintptr_t,
)
from libc.string cimport memcpy
from libc.math cimport floor, floorf, pow, sqrtf, fmaf, frexp, ldexp, lrint, lrintf, fabs

from pixelpipes._core._kernel cimport (
    scalar_number,
    Frame, Instr, Value, KIND_TENSOR, DT_UINT8, DT_INT16, DT_UINT16, DT_FLOAT32,
    DT_INT32, DT_INT64, DT_FLOAT64, ERROR_SIZE,
    arg, iparam, new_tensor, scratch, fail, snprintf, load_double, load_int, itemsize,
    dtype_name,
)
from pixelpipes._core._image cimport ImageView, as_image, pixel_t, type_max
from pixelpipes._core._params cimport (
    check_dtype, check_colour_channels, get_factor, read_vector,
)
from pixelpipes._core._pixel cimport (
    round_even_f, to_level, tv_gray, blend_clamp, brightness_offset, contrast_offset,
    tv_hue_shift, tv_hue_hsv, tv_hsv_rgb, hue_u8_level, hue_u16_level, gamma_u8_level,
    gamma_u16_int, gamma_unit_value, gamma_other_value, invert_value, solarize_level,
    posterize_mask, normalize_u8_value, normalize_value, depth_u8_to_f32, depth_u8_to_int,
    depth_to_f32, depth_to_unsigned, depth_to_int16,
)

cdef extern from *:
    """
    /* Float compare-and-select (clamps, NaN-aware min/max) only becomes a
       vector blend when comparisons may not raise FP exception flags; this
       changes no value.  For the whole module, so that helpers still inline. */
    #if defined(__GNUC__) && !defined(__clang__)
    #pragma GCC optimize("no-trapping-math")
    #endif
    """

cdef extern from *:
    """
    #include "_simd.h"
    #if defined(__GNUC__) && defined(__x86_64__)
    #include <immintrin.h>
    /* OpenCV's RGB2Gray of uint8 pixels, (c0 s0 + c1 s1 + c2 s2 + 2**14) >> 15
       with 15-bit coefficients: byte shuffles widen each pixel's (s0, s1)
       and (s2, 0) to int16 pairs, and pmaddwd forms the products and their
       sums in int32 -- exactly the integers of the scalar loop.  Returns the
       number of pixels done (the caller does the rest); blocks of 16 pixels
       read 16 bytes per 4 pixels, so 4 bytes past a 3-channel block. */
    __attribute__((target("ssse3"))) static ptrdiff_t pp_gray_u8_ssse3(
            const uint8_t* s, uint8_t* d, ptrdiff_t n, ptrdiff_t cn,
            int c0, int c1, int c2) {
        const __m128i m01 = cn == 3
            ? _mm_setr_epi8(0, -1, 1, -1, 3, -1, 4, -1, 6, -1, 7, -1, 9, -1, 10, -1)
            : _mm_setr_epi8(0, -1, 1, -1, 4, -1, 5, -1, 8, -1, 9, -1, 12, -1, 13, -1);
        const __m128i m2 = cn == 3
            ? _mm_setr_epi8(2, -1, -1, -1, 5, -1, -1, -1, 8, -1, -1, -1, 11, -1, -1, -1)
            : _mm_setr_epi8(2, -1, -1, -1, 6, -1, -1, -1, 10, -1, -1, -1, 14, -1, -1, -1);
        const __m128i k01 = _mm_set1_epi32((int)((uint32_t)c1 << 16 | (uint32_t)c0));
        const __m128i k2 = _mm_set1_epi32(c2);
        const __m128i half = _mm_set1_epi32(1 << 14);
        ptrdiff_t x = 0;
        for (; x + 18 <= n; x += 16) {
            const uint8_t* p = s + x * cn;
            __m128i r[4];
            for (int k = 0; k < 4; k++) {
                __m128i v = _mm_loadu_si128((const __m128i*)(p + 4 * cn * k));
                __m128i a = _mm_madd_epi16(_mm_shuffle_epi8(v, m01), k01);
                __m128i b = _mm_madd_epi16(_mm_shuffle_epi8(v, m2), k2);
                r[k] = _mm_srai_epi32(_mm_add_epi32(_mm_add_epi32(a, b), half), 15);
            }
            __m128i lo = _mm_packs_epi32(r[0], r[1]), hi = _mm_packs_epi32(r[2], r[3]);
            _mm_storeu_si128((__m128i*)(d + x), _mm_packus_epi16(lo, hi));
        }
        return x;
    }
    static ptrdiff_t pp_gray_u8(const uint8_t* s, uint8_t* d, ptrdiff_t n, ptrdiff_t cn,
                                int c0, int c1, int c2) {
        if (pp_has_ssse3())
            return pp_gray_u8_ssse3(s, d, n, cn, c0, c1, c2);
        return 0;
    }
    /* OpenCV's HSV2RGB_b as hsv_to_rgb_u8, 8 pixels per AVX2 iteration with
       the same float operations lane by lane (mul, sub, floor, truncation).
       Each channel's coefficient c in v (1 - s c) is 0, 1 or ff (f or 1 - f,
       by the sector's parity), looked up by sector with vpermps from tables
       of the scalar code's bit masks; a blend gives exactly the value of its
       ``A + B ff`` (A, B in {0, 1}, never both 1).  Results are narrowed to
       their low bytes, as the scalar casts.  Returns the number of pixels
       done; blocks read 24 bytes and write 28 (4 rewritten next). */
    static inline void pp_hsv_table(int bits, float one, float* t) {
        for (int k = 0; k < 8; k++)
            t[k] = k < 6 && ((bits >> k) & 1) ? one : 0.0f;
    }

    __attribute__((target("avx2"))) static ptrdiff_t pp_hsv2rgb_u8_avx2(
            const uint8_t* s, uint8_t* d, ptrdiff_t n, int bidx) {
        float tab[6][8];
        /* A (value 1) and B (use ff) sets of b, g, r, as in hsv_coeffs */
        static const int bits[6] = {0x03, 0x24, 0x30, 0x09, 0x0C, 0x12};
        for (int k = 0; k < 6; k++) {
            if (k & 1) {
                int32_t all = -1;
                float m;
                __builtin_memcpy(&m, &all, 4);
                pp_hsv_table(bits[k], m, tab[k]);
            } else {
                pp_hsv_table(bits[k], 1.0f, tab[k]);
            }
        }
        const __m256 ab = _mm256_loadu_ps(tab[0]), bb = _mm256_loadu_ps(tab[1]);
        const __m256 ag = _mm256_loadu_ps(tab[2]), bg = _mm256_loadu_ps(tab[3]);
        const __m256 ar = _mm256_loadu_ps(tab[4]), br = _mm256_loadu_ps(tab[5]);
        const __m256 inv255 = _mm256_set1_ps((float)(1.0 / 255.0));
        const __m256 hscale = _mm256_set1_ps(6.0f / 180.0f);
        const __m256 six = _mm256_set1_ps(6.0f), one = _mm256_set1_ps(1.0f);
        const __m256 f255 = _mm256_set1_ps(255.0f);
        const __m256i low = _mm256_set1_epi32(0xFF), oddbit = _mm256_set1_epi32(1);
        const __m128i mlo = _mm_setr_epi8(0, 3, 6, 9, 1, 4, 7, 10, 2, 5, 8, 11, -1, -1, -1, -1);
        const __m128i mhi = _mm_setr_epi8(4, 7, 10, 13, 5, 8, 11, 14, 6, 9, 12, 15,
                                          -1, -1, -1, -1);
        const __m256i narrow = _mm256_setr_epi8(
            0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, -1, -1, -1, -1,
            0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, -1, -1, -1, -1);
        ptrdiff_t i = 0;
        for (; i + 10 <= n; i += 8) {
            const uint8_t* p = s + 3 * i;
            __m128i a = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i*)p), mlo);
            __m128i b = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i*)(p + 8)), mhi);
            __m128i hs = _mm_unpacklo_epi32(a, b), vv = _mm_unpackhi_epi32(a, b);
            __m256 hf = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(hs));
            __m256 sf = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(hs, 8)));
            __m256 vf = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(vv));
            __m256 sat = _mm256_mul_ps(sf, inv255), v = _mm256_mul_ps(vf, inv255);
            __m256 frac = _mm256_mul_ps(hf, hscale);
            frac = _mm256_blendv_ps(frac, _mm256_sub_ps(frac, six),
                                    _mm256_cmp_ps(frac, six, _CMP_GE_OQ));
            __m256 fs = _mm256_floor_ps(frac);
            __m256i sector = _mm256_cvttps_epi32(fs);
            frac = _mm256_sub_ps(frac, fs);
            __m256 odd = _mm256_castsi256_ps(_mm256_cmpeq_epi32(
                _mm256_and_si256(sector, oddbit), oddbit));
            __m256 ff = _mm256_blendv_ps(_mm256_sub_ps(one, frac), frac, odd);
    #define PP_HSV_CHANNEL(A, B) _mm256_and_si256(_mm256_cvttps_epi32(_mm256_mul_ps(   \
                _mm256_mul_ps(v, _mm256_sub_ps(one, _mm256_mul_ps(sat, _mm256_blendv_ps(  \
                    _mm256_permutevar8x32_ps(A, sector), ff,                           \
                    _mm256_permutevar8x32_ps(B, sector))))), f255)), low)
            __m256i cb = PP_HSV_CHANNEL(ab, bb);
            __m256i cg = PP_HSV_CHANNEL(ag, bg);
            __m256i cr = PP_HSV_CHANNEL(ar, br);
    #undef PP_HSV_CHANNEL
            __m256i c0 = bidx == 0 ? cb : cr, c2 = bidx == 0 ? cr : cb;
            __m256i px = _mm256_or_si256(_mm256_or_si256(c0, _mm256_slli_epi32(cg, 8)),
                                         _mm256_slli_epi32(c2, 16));
            px = _mm256_shuffle_epi8(px, narrow);
            uint8_t* q = d + 3 * i;
            _mm_storeu_si128((__m128i*)q, _mm256_castsi256_si128(px));
            _mm_storeu_si128((__m128i*)(q + 12), _mm256_extracti128_si256(px, 1));
        }
        return i;
    }
    static ptrdiff_t pp_hsv2rgb_u8(const uint8_t* s, uint8_t* d, ptrdiff_t n, int bidx) {
        if (pp_has_avx2())
            return pp_hsv2rgb_u8_avx2(s, d, n, bidx);
        return 0;
    }
    #else
    static ptrdiff_t pp_gray_u8(const uint8_t* s, uint8_t* d, ptrdiff_t n, ptrdiff_t cn,
                                int c0, int c1, int c2) {
        return 0;
    }
    static ptrdiff_t pp_hsv2rgb_u8(const uint8_t* s, uint8_t* d, ptrdiff_t n, int bidx) {
        return 0;
    }
    #endif
    """
    Py_ssize_t pp_gray_u8(const uint8_t* s, uint8_t* d, Py_ssize_t n, Py_ssize_t cn,
                          int c0, int c1, int c2) nogil
    # hsv_to_rgb_u8 8 pixels per AVX2 iteration (the same bytes); returns the
    # number of pixels done (0 without AVX2)
    Py_ssize_t pp_hsv2rgb_u8(const uint8_t* s, uint8_t* d, Py_ssize_t n, int bidx) nogil

cdef extern from "_simd.h" nogil:
    # hot loops: AVX2 and baseline clones, chosen at load time (see _simd.h)
    ctypedef void cloned_void "PP_CLONES void"
    ctypedef void shuffle_void "PP_SHUFFLE_CLONES void"
    ctypedef void inline_void "PP_ALWAYS_INLINE void"

ctypedef fused int_pixel_t:
    uint8_t
    int16_t
    uint16_t

ctypedef fused unsigned_pixel_t:
    uint8_t
    uint16_t


# ---------------------------------------------------------------- shared codes

# ConvertColor operations (pixelpipes/image/color.py: _CONVERSIONS).
cdef enum:
    CVT_SWAP = 0
    CVT_TO_GRAY = 1
    CVT_FROM_GRAY = 2
    CVT_TO_HSV = 3
    CVT_FROM_HSV = 4
    CVT_TO_YCRCB = 5
    CVT_FROM_YCRCB = 6
    CVT_TO_LAB = 7
    CVT_FROM_LAB = 8

# Threshold types, numbered as OpenCV's THRESH_*.
cdef enum:
    THRESH_BINARY = 0
    THRESH_BINARY_INV = 1
    THRESH_TRUNC = 2
    THRESH_TOZERO = 3
    THRESH_TOZERO_INV = 4

cdef const char* BAD_PARAMS = "malformed instruction parameters"


cdef int get_image(Frame* f, const Instr* ins, int k, ImageView* im) noexcept nogil:
    return as_image(f, arg(f, ins, k), im)


cdef int get_scalar(Frame* f, const Instr* ins, int k, const char* what,
                    double* out) noexcept nogil:
    """A finite-or-infinite, non-NaN numeric scalar input."""
    return scalar_number(f, arg(f, ins, k), what, out)


cdef Value* new_like(Frame* f, const Instr* ins, Value* src, int dtype) noexcept nogil:
    return new_tensor(f, ins, dtype, src.ndim, src.shape)


cdef Value* new_hwc(Frame* f, const Instr* ins, int dtype, Py_ssize_t h, Py_ssize_t w,
                    Py_ssize_t c, int ndim) noexcept nogil:
    cdef Py_ssize_t shape[3]
    shape[0] = h
    shape[1] = w
    shape[2] = c
    return new_tensor(f, ins, dtype, ndim, shape)


cdef void restore_alpha(const char* src, char* dst, Py_ssize_t npix, int dtype) noexcept nogil:
    """Copy channel 3 of an RGBA image back from the source."""
    cdef Py_ssize_t i
    cdef Py_ssize_t size = itemsize(dtype)
    if size == 1:
        for i in range(npix):
            (<uint8_t*>dst)[4 * i + 3] = (<const uint8_t*>src)[4 * i + 3]
    elif size == 2:
        for i in range(npix):
            (<uint16_t*>dst)[4 * i + 3] = (<const uint16_t*>src)[4 * i + 3]
    else:
        for i in range(npix):
            (<uint32_t*>dst)[4 * i + 3] = (<const uint32_t*>src)[4 * i + 3]


cdef cloned_void apply_lut_u8(const uint8_t* s, uint8_t* d, Py_ssize_t n,
                              const uint8_t* lut) noexcept nogil:
    """``d[i] = lut[s[i]]``, four elements a step: the loop of one element
    a step ran up to 1.5x slower or faster as the code around it moved it
    across a fetch boundary."""
    cdef Py_ssize_t i = 0
    while i + 4 <= n:
        d[i] = lut[s[i]]
        d[i + 1] = lut[s[i + 1]]
        d[i + 2] = lut[s[i + 2]]
        d[i + 3] = lut[s[i + 3]]
        i += 4
    while i < n:
        d[i] = lut[s[i]]
        i += 1


# ---------------------------------------------------------------- tables

# OpenCV's 8-bit Lab tables (color_lab.cpp), built once at import, and the sRGB
# gamma table of the float Lab conversion.
cdef uint16_t LAB_GAMMA[256]        # sRGB gamma, 255 * 8 scale
cdef uint16_t LAB_CBRT[3072]        # f(t) of CIE Lab, 2**15 scale
cdef uint16_t LAB_TO_Y[256]         # L -> Y and f(Y), 2**14 scale
cdef uint16_t LAB_TO_FY[256]
cdef int32_t LAB_AB_TO_XZ[36864]    # f -> X or Z, 2**14 scale, from -8145
cdef uint16_t LAB_INV_GAMMA[4096]   # inverse sRGB gamma, 4096 steps -> 0..255
cdef int32_t LAB_RGB2XYZ[9]         # rows X, Y, Z over (R, G, B), white-scaled, 2**12
cdef int32_t LAB_XYZ2RGB[9]         # rows R, G, B over (X, Y, Z), white-scaled, 2**12
cdef float GAMMA_F[4097]            # sRGB gamma on [0, 1] in 4096 steps (float Lab)
# RGB2Lab_b by channel value: the gamma-corrected value times the channel's
# X and Z coefficients (X in the low, Z in the high 32 bits; all are
# positive, so sums of three never carry into Z), and times its Y
# coefficient; by channel of BGR ([0]) or RGB ([1]) pixels.
cdef uint64_t LAB_XZ_OF[2][3][256]
cdef uint32_t LAB_Y_OF[2][3][256]
cdef double SRGB2XYZ[9]
cdef double XYZ2SRGB[9]
cdef double D65[3]

cdef enum:
    LAB_MIN_AB = -8145
    LAB_BASE = 16384


cdef double sf_cbrt(double xd) noexcept nogil:
    """Cube root the way OpenCV's softfloat ``f32_cbrt`` computes it (Ken
    Turkowski's rational approximation, mantissa truncated to float), for
    bit-identical Lab tables."""
    cdef int e, shx, k
    cdef double m, fr
    if xd == 0.0:
        return 0.0
    m = frexp(xd, &e)       # xd = m * 2**e, m in [0.5, 1)
    e -= 1                  # xd = (2m) * 2**e
    shx = e % 3
    if shx >= 0:
        shx -= 3
    fr = ldexp(2.0 * m, shx)
    fr = ((((45.2548339756803022511987494 * fr + 192.2798368355061050458134625) * fr
            + 119.1654824285581628956914143) * fr + 13.43250139086239872172837314) * fr
          + 0.1636161226585754240958355063) / (
        (((14.80884093219134573786480845 * fr + 151.9714051044435648658557668) * fr
          + 168.5254414101568283957668343) * fr + 33.9905941350215598754191872) * fr + 1.0)
    k = (e - shx) // 3
    return ldexp(floor(ldexp(fr, 24)), k - 24)


cdef double srgb_gamma(double x) noexcept nogil:
    # as OpenCV's applyGamma: thresholds and constants from exact fractions
    if x <= 809.0 / 20000.0:
        return x / (323.0 / 25.0)
    return pow((x + 11.0 / 200.0) / (1.0 + 11.0 / 200.0), 12.0 / 5.0)


cdef double srgb_inv_gamma(double x) noexcept nogil:
    if x <= 7827.0 / 2500000.0:
        return x * (323.0 / 25.0)
    return pow(x, 1.0 / (12.0 / 5.0)) * (1.0 + 11.0 / 200.0) - 11.0 / 200.0


cdef int c_div(int a, int b) noexcept nogil:
    """C integer division (truncating), whatever Cython's cdivision says."""
    cdef int q = (a if a >= 0 else -a) // b
    return q if a >= 0 else -q


cdef void init_tables():
    cdef int i, j
    cdef float x, fy, lthresh, lscale, lbias, cbscale
    cdef double v
    # sRGB <-> XYZ (D65) as OpenCV states them, and the D65 white point.
    cdef double m1[9]
    cdef double m2[9]
    m1[:] = [0.412453, 0.357580, 0.180423, 0.212671, 0.715160, 0.072169,
             0.019334, 0.119193, 0.950227]
    m2[:] = [3.240479, -1.53715, -0.498535, -0.969256, 1.875991, 0.041556,
             0.055648, -0.204043, 1.057311]
    for i in range(9):
        SRGB2XYZ[i] = m1[i]
        XYZ2SRGB[i] = m2[i]
    D65[0] = 0.950456
    D65[1] = 1.0
    D65[2] = 1.088754


    # Lab (color_lab.cpp), 8-bit path: gamma and cube-root tables.
    for i in range(256):
        x = <float>(<float>i / <float>255.0)
        LAB_GAMMA[i] = <uint16_t>lrintf(<float>2040.0 * <float>srgb_gamma(x))
    lthresh = <float>216.0 / <float>24389.0
    lscale = <float>841.0 / <float>108.0
    lbias = <float>16.0 / <float>116.0
    cbscale = <float>1.0 / <float>2040.0
    for i in range(3072):
        x = cbscale * <float>i
        if x < lthresh:
            fy = fmaf(x, lscale, lbias)
        else:
            fy = <float>sf_cbrt(x)
        LAB_CBRT[i] = <uint16_t>lrintf(<float>32768.0 * fy)
    for i in range(3):
        for j in range(3):
            LAB_RGB2XYZ[i * 3 + j] = <int32_t>lrint(4096.0 * SRGB2XYZ[i * 3 + j] / D65[i])
            # rows of the inverse are output channels; columns X, Y, Z scaled
            # by the white point of that column
            LAB_XYZ2RGB[j * 3 + i] = <int32_t>lrint(4096.0 * XYZ2SRGB[j * 3 + i] * D65[i])
    # Lab -> RGB, 8-bit path (Lab2RGBinteger)
    for i in range(256):
        if i <= 20:
            LAB_TO_Y[i] = <uint16_t>lrintf(<float>(i * LAB_BASE * 20 * 9)
                                          / <float>(17 * 29 * 29 * 29))
            LAB_TO_FY[i] = <uint16_t>lrintf(<float>LAB_BASE * (
                <float>16.0 / <float>116.0 + <float>(i * 5) / <float>(3 * 17 * 29)))
        else:
            fy = (<float>(i * 100 * LAB_BASE) / <float>(255 * 116)
                  + <float>(16 * LAB_BASE) / <float>116.0)
            LAB_TO_FY[i] = <uint16_t>lrintf(fy)
            LAB_TO_Y[i] = <uint16_t>lrintf(fy * fy * fy / <float>(LAB_BASE * LAB_BASE))
    for i in range(LAB_MIN_AB, LAB_BASE * 9 // 4 + LAB_MIN_AB):
        if i <= 3390:
            j = c_div(i * 108, 841) - c_div(c_div(LAB_BASE * 16, 116) * 108, 841)
        else:
            j = c_div(c_div(i * i, LAB_BASE) * i, LAB_BASE)
        LAB_AB_TO_XZ[i - LAB_MIN_AB] = j
    for j in range(3):          # j: R, G, B
        for i in range(256):
            LAB_XZ_OF[1][j][i] = (<uint64_t>(LAB_GAMMA[i] * LAB_RGB2XYZ[j])
                                  | <uint64_t>(LAB_GAMMA[i] * LAB_RGB2XYZ[6 + j]) << 32)
            LAB_Y_OF[1][j][i] = <uint32_t>(LAB_GAMMA[i] * LAB_RGB2XYZ[3 + j])
            LAB_XZ_OF[0][2 - j][i] = LAB_XZ_OF[1][j][i]
            LAB_Y_OF[0][2 - j][i] = LAB_Y_OF[1][j][i]
    for i in range(4096):
        x = <float>(<float>1.0 / <float>4096.0) * <float>i
        LAB_INV_GAMMA[i] = <uint16_t>lrintf(<float>255.0 * <float>srgb_inv_gamma(x))
    # float Lab: gamma by linear interpolation in 4096 steps (error < 3e-8)
    for i in range(4097):
        GAMMA_F[i] = <float>srgb_gamma(i / 4096.0)


init_tables()


# ================================================================ ConvertColor

cdef shuffle_void swap_rb(const pixel_t* s, pixel_t* d, Py_ssize_t n, Py_ssize_t cn,
                          Py_ssize_t dcn) noexcept nogil:
    """Channels 0 and 2 swapped; ``cn``, ``dcn``: 3, 3 or 4, 4 (alpha kept)
    or 4, 3 (alpha dropped)."""
    cdef Py_ssize_t i
    if cn == 3:
        for i in range(n):
            d[3 * i] = s[3 * i + 2]
            d[3 * i + 1] = s[3 * i + 1]
            d[3 * i + 2] = s[3 * i]
    elif dcn == 3:
        for i in range(n):
            d[3 * i] = s[4 * i + 2]
            d[3 * i + 1] = s[4 * i + 1]
            d[3 * i + 2] = s[4 * i]
    else:
        for i in range(n):
            d[4 * i] = s[4 * i + 2]
            d[4 * i + 1] = s[4 * i + 1]
            d[4 * i + 2] = s[4 * i]
            d[4 * i + 3] = s[4 * i + 3]


cdef shuffle_void from_gray(const pixel_t* s, pixel_t* d, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        d[3 * i] = s[i]
        d[3 * i + 1] = s[i]
        d[3 * i + 2] = s[i]


cdef shuffle_void to_gray_int(const int_pixel_t* s, int_pixel_t* d, Py_ssize_t n, Py_ssize_t cn,
                             uint32_t c0, uint32_t c1, uint32_t c2, int shift) noexcept nogil:
    """OpenCV's fixed-point RGB2Gray: ``(c0 s0 + c1 s1 + c2 s2 + half) >> shift``;
    uint8 with 15-bit coefficients: most pixels by ``pp_gray_u8``."""
    cdef Py_ssize_t i = 0
    cdef uint32_t half = 1u << (shift - 1)
    if int_pixel_t is uint8_t and shift == 15:
        i = pp_gray_u8(s, d, n, cn, c0, c1, c2)
    if cn == 3:
        for i in range(i, n):
            d[i] = <int_pixel_t>((s[3 * i] * c0 + s[3 * i + 1] * c1 + s[3 * i + 2] * c2
                                  + half) >> shift)
    else:
        for i in range(i, n):
            d[i] = <int_pixel_t>((s[4 * i] * c0 + s[4 * i + 1] * c1 + s[4 * i + 2] * c2
                                  + half) >> shift)


cdef cloned_void to_gray_f32(const float* s, float* d, Py_ssize_t n, Py_ssize_t cn,
                             float c0, float c1, float c2) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        d[i] = s[cn * i] * c0 + s[cn * i + 1] * c1 + s[cn * i + 2] * c2


cdef enum:
    HSV_CHUNK = 256         # pixels per chunk of the HSV loops (stack buffers)


cdef cloned_void rgb_to_hsv_u8(const uint8_t* s, uint8_t* d, Py_ssize_t n, int bidx) noexcept nogil:
    """OpenCV's RGB2HSV_b, hue range 180.  In chunks of three loops (bytes
    to int32, the arithmetic, back to bytes), as ``hsv_to_rgb_u8``."""
    cdef Py_ssize_t i, i0, m
    cdef int32_t b, g, r, v, vmin, diff, h, sat
    cdef int32_t c0[HSV_CHUNK]
    cdef int32_t c1[HSV_CHUNK]
    cdef int32_t c2[HSV_CHUNK]
    cdef int32_t* pb = &c0[0]       # blue comes from channel bidx
    cdef int32_t* pr = &c2[0]
    cdef const uint8_t* sp
    cdef uint8_t* dp
    if bidx == 2:
        pb = &c2[0]
        pr = &c0[0]
    i0 = 0
    while i0 < n:
        m = n - i0 if n - i0 < HSV_CHUNK else HSV_CHUNK
        sp = s + 3 * i0
        dp = d + 3 * i0
        for i in range(m):
            c0[i] = sp[3 * i]
            c1[i] = sp[3 * i + 1]
            c2[i] = sp[3 * i + 2]
        for i in range(m):
            b = pb[i]
            g = c1[i]
            r = pr[i]
            v = b if b > g else g
            v = v if v > r else r
            vmin = b if b < g else g
            vmin = vmin if vmin < r else r
            diff = v - vmin
            # OpenCV's 12-bit reciprocal tables, round((255 << 12) / v) and
            # round((180 << 12) / (6 diff)), are these float32 quotients
            # rounded (checked for every v): a division vectorises, a table
            # lookup does not
            sat = (diff * <int32_t>round_even_f(<float>1044480.0 / <float>(v if v > 0 else 1))
                   + (1 << 11)) >> 12
            if v == r:
                h = g - b
            elif v == g:
                h = b - r + 2 * diff
            else:
                h = r - g + 4 * diff
            h = (h * <int32_t>round_even_f(<float>122880.0 / <float>(diff if diff > 0 else 1))
                 + (1 << 11)) >> 12
            if h < 0:
                h += 180
            c0[i] = h
            c1[i] = sat
            c2[i] = v
        for i in range(m):
            dp[3 * i] = <uint8_t>c0[i]
            dp[3 * i + 1] = <uint8_t>c1[i]
            dp[3 * i + 2] = <uint8_t>c2[i]
        i0 += m


cdef cloned_void rgb_to_hsv_f32(const float* s, float* d, Py_ssize_t n, int bidx) noexcept nogil:
    """OpenCV's RGB2HSV_f: H in [0, 360), S and V as the input scale."""
    cdef Py_ssize_t i
    cdef bint rgb = bidx == 2
    cdef float b, g, r, v, vmin, diff, h, sat, av
    cdef float eps = <float>1.1920928955078125e-07      # FLT_EPSILON
    for i in range(n):
        b = (s[3 * i + 2] if rgb else s[3 * i])
        g = s[3 * i + 1]
        r = (s[3 * i] if rgb else s[3 * i + 2])
        v = g if r < g else r
        v = b if v < b else v
        vmin = g if r > g else r
        vmin = b if vmin > b else vmin
        diff = v - vmin
        av = -v if v < 0 else v
        sat = diff / (av + eps)
        diff = <float>60.0 / (diff + eps)
        h = (g - b) * diff if v == r else (
            (b - r) * diff + <float>120.0 if v == g else (r - g) * diff + <float>240.0)
        h = h + <float>360.0 if h < 0 else h
        d[3 * i] = h
        d[3 * i + 1] = sat
        d[3 * i + 2] = v


cdef inline inline_void hsv_coeffs(int sector, float frac, float* cb, float* cg,
                                  float* cr) noexcept nogil:
    """OpenCV's sector table {1,3,0} {1,0,2} {3,0,1} {0,2,1} {0,1,3} {2,1,0}
    picks for b, g, r one of t0 = v, t1 = v (1 - s), t2 = v (1 - s f),
    t3 = v (1 - s (1 - f)), each of them ``v * (1 - s * c)`` for c = 0, 1,
    f or 1 - f -- the same operations, so the same bits.  This gives the c
    of each channel, as sums of masked values (exact: the other terms are
    zeros), which vectorise where nested selects do not.  Odd sectors use
    t2 where even ones use t3."""
    # masks of sets of sectors as bits of a constant, shifted by the sector
    cdef float odd = <float>(sector & 1)
    cdef float ff = odd * frac + (<float>1.0 - odd) * (<float>1.0 - frac)
    cb[0] = <float>((0b000011 >> sector) & 1) + <float>((0b100100 >> sector) & 1) * ff
    cg[0] = <float>((0b110000 >> sector) & 1) + <float>((0b001001 >> sector) & 1) * ff
    cr[0] = <float>((0b001100 >> sector) & 1) + <float>((0b010010 >> sector) & 1) * ff


cdef cloned_void hsv_to_rgb_u8(const uint8_t* s, uint8_t* d, Py_ssize_t n, int bidx) noexcept nogil:
    """OpenCV's HSV2RGB_b in float arithmetic; the results are truncated,
    as OpenCV 5's vectorised code does (its scalar tail rounds).

    In chunks of three loops: bytes to float, the arithmetic, floats back
    to bytes.  In one loop the uint8 loads made GCC process 32 pixels per
    iteration, which spilled most of the float vectors to the stack."""
    cdef Py_ssize_t i, i0, m
    cdef int sector
    cdef float sat, v, frac, fs, cb, cg, cr
    cdef float inv255 = <float>(1.0 / 255.0)
    cdef float hscale = <float>6.0 / <float>180.0
    cdef float hf[HSV_CHUNK]
    cdef float sf[HSV_CHUNK]
    cdef float vf[HSV_CHUNK]
    cdef int32_t c0[HSV_CHUNK]
    cdef int32_t c1[HSV_CHUNK]
    cdef int32_t c2[HSV_CHUNK]
    cdef int32_t* ob = &c0[0]       # blue goes to channel bidx
    cdef int32_t* orr = &c2[0]
    cdef const uint8_t* sp
    cdef uint8_t* dp
    if bidx == 2:
        ob = &c2[0]
        orr = &c0[0]
    i0 = pp_hsv2rgb_u8(s, d, n, bidx)
    while i0 < n:
        m = n - i0 if n - i0 < HSV_CHUNK else HSV_CHUNK
        sp = s + 3 * i0
        dp = d + 3 * i0
        for i in range(m):
            hf[i] = <float><int32_t>sp[3 * i]
            sf[i] = <float><int32_t>sp[3 * i + 1]
            vf[i] = <float><int32_t>sp[3 * i + 2]
        for i in range(m):
            sat = sf[i] * inv255
            v = vf[i] * inv255
            frac = hf[i] * hscale
            frac = frac - <float>6.0 if frac >= 6 else frac       # fmod(h, 6): exact here
            fs = floorf(frac)
            sector = <int>fs
            frac = frac - fs
            hsv_coeffs(sector, frac, &cb, &cg, &cr)
            ob[i] = <int32_t>(v * (<float>1.0 - sat * cb) * <float>255.0)
            c1[i] = <int32_t>(v * (<float>1.0 - sat * cg) * <float>255.0)
            orr[i] = <int32_t>(v * (<float>1.0 - sat * cr) * <float>255.0)
        for i in range(m):
            dp[3 * i] = <uint8_t>c0[i]
            dp[3 * i + 1] = <uint8_t>c1[i]
            dp[3 * i + 2] = <uint8_t>c2[i]
        i0 += m


cdef cloned_void hsv_to_rgb_f32(const float* s, float* d, Py_ssize_t n, int bidx) noexcept nogil:
    """OpenCV's HSV2RGB_f (H in degrees), in chunks as ``hsv_to_rgb_u8``
    (in one loop, GCC did not vectorise it)."""
    cdef Py_ssize_t i, i0, m
    cdef int sector
    cdef float h, sat, v, fs, cb, cg, cr
    cdef float hscale = <float>6.0 / <float>360.0
    cdef float hf[HSV_CHUNK]
    cdef float sf[HSV_CHUNK]
    cdef float vf[HSV_CHUNK]
    cdef float c0[HSV_CHUNK]
    cdef float c1[HSV_CHUNK]
    cdef float c2[HSV_CHUNK]
    cdef float* ob = &c0[0]         # blue goes to channel bidx
    cdef float* orr = &c2[0]
    cdef const float* sp
    cdef float* dp
    if bidx == 2:
        ob = &c2[0]
        orr = &c0[0]
    i0 = 0
    while i0 < n:
        m = n - i0 if n - i0 < HSV_CHUNK else HSV_CHUNK
        sp = s + 3 * i0
        dp = d + 3 * i0
        for i in range(m):
            hf[i] = sp[3 * i]
            sf[i] = sp[3 * i + 1]
            vf[i] = sp[3 * i + 2]
        for i in range(m):
            h = hf[i] * hscale
            sat = sf[i]
            v = vf[i]
            h = h - <float>6.0 * floorf(h * <float>(1.0 / 6.0))    # h mod 6
            fs = floorf(h)
            h = h - fs
            # NaN and infinities give sector 0, as before the conversion
            fs = fs if ((fs >= 0) & (fs < 6)) else <float>0.0
            sector = <int>fs
            hsv_coeffs(sector, h, &cb, &cg, &cr)
            ob[i] = v * (<float>1.0 - sat * cb)
            c1[i] = v * (<float>1.0 - sat * cg)
            orr[i] = v * (<float>1.0 - sat * cr)
        for i in range(m):
            dp[3 * i] = c0[i]
            dp[3 * i + 1] = c1[i]
            dp[3 * i + 2] = c2[i]
        i0 += m


cdef cloned_void rgb_to_ycrcb_int(const int_pixel_t* s, int_pixel_t* d, Py_ssize_t n, int bidx,
                                  int delta, int hi) noexcept nogil:
    """OpenCV's RGB2YCrCb_i: 14-bit Y coefficients, Cr = (R - Y) 0.713,
    Cb = (B - Y) 0.564, offset by half the range."""
    cdef Py_ssize_t i
    cdef bint rgb = bidx == 2
    cdef int r, g, b, y, cr, cb
    cdef int dl = delta << 14
    for i in range(n):
        r = (s[3 * i] if rgb else s[3 * i + 2])
        g = s[3 * i + 1]
        b = (s[3 * i + 2] if rgb else s[3 * i])
        y = (r * 4899 + g * 9617 + b * 1868 + 8192) >> 14
        cr = ((r - y) * 11682 + dl + 8192) >> 14
        cb = ((b - y) * 9241 + dl + 8192) >> 14
        d[3 * i] = <int_pixel_t>(0 if y < 0 else (hi if y > hi else y))
        d[3 * i + 1] = <int_pixel_t>(0 if cr < 0 else (hi if cr > hi else cr))
        d[3 * i + 2] = <int_pixel_t>(0 if cb < 0 else (hi if cb > hi else cb))


cdef cloned_void ycrcb_to_rgb_int(const int_pixel_t* s, int_pixel_t* d, Py_ssize_t n, int bidx,
                                  int delta, int hi) noexcept nogil:
    """OpenCV's YCrCb2RGB_i (14-bit coefficients)."""
    cdef Py_ssize_t i
    cdef bint rgb = bidx == 2
    cdef int_pixel_t vb, vr
    cdef int y, cr, cb, r, g, b
    for i in range(n):
        y = s[3 * i]
        cr = s[3 * i + 1] - delta
        cb = s[3 * i + 2] - delta
        r = y + ((cr * 22987 + 8192) >> 14)
        g = y + ((cb * -5636 + cr * -11698 + 8192) >> 14)
        b = y + ((cb * 29049 + 8192) >> 14)
        vb = <int_pixel_t>(0 if b < 0 else (hi if b > hi else b))
        vr = <int_pixel_t>(0 if r < 0 else (hi if r > hi else r))
        d[3 * i] = vr if rgb else vb
        d[3 * i + 1] = <int_pixel_t>(0 if g < 0 else (hi if g > hi else g))
        d[3 * i + 2] = vb if rgb else vr


cdef cloned_void rgb_to_ycrcb_f32(const float* s, float* d, Py_ssize_t n, int bidx) noexcept nogil:
    cdef Py_ssize_t i
    cdef bint rgb = bidx == 2
    cdef float r, g, b, y
    for i in range(n):
        r = (s[3 * i] if rgb else s[3 * i + 2])
        g = s[3 * i + 1]
        b = (s[3 * i + 2] if rgb else s[3 * i])
        y = r * <float>0.299 + g * <float>0.587 + b * <float>0.114
        d[3 * i] = y
        d[3 * i + 1] = (r - y) * <float>0.713 + <float>0.5
        d[3 * i + 2] = (b - y) * <float>0.564 + <float>0.5


cdef cloned_void ycrcb_to_rgb_f32(const float* s, float* d, Py_ssize_t n, int bidx) noexcept nogil:
    cdef Py_ssize_t i
    cdef bint rgb = bidx == 2
    cdef float vb, vr
    cdef float y, cr, cb
    for i in range(n):
        y = s[3 * i]
        cr = s[3 * i + 1] - <float>0.5
        cb = s[3 * i + 2] - <float>0.5
        vb = y + cb * <float>1.773
        vr = y + cr * <float>1.403
        d[3 * i] = vr if rgb else vb
        d[3 * i + 1] = y + cb * <float>-0.344 + cr * <float>-0.714
        d[3 * i + 2] = vb if rgb else vr


cdef void lab_lookups_u8(const uint8_t* s, int32_t* fx, int32_t* fy, int32_t* fz,
                         Py_ssize_t m, int bidx) noexcept nogil:
    """f(X), f(Y), f(Z) of RGB2Lab_b for ``m`` pixels: the products of the
    gamma-corrected channels and the XYZ coefficients come from tables by
    channel value (``LAB_XZ_OF``, ``LAB_Y_OF``), the same integer sums as
    OpenCV's.  Not cloned: vectorised, the look-ups become gathers, slower
    here than scalar loads."""
    cdef Py_ssize_t i
    cdef const uint64_t* xz = &LAB_XZ_OF[bidx >> 1][0][0]     # one base: fewer registers
    cdef const uint32_t* yt = &LAB_Y_OF[bidx >> 1][0][0]
    cdef uint64_t v
    cdef uint64_t round_xz = (<uint64_t>2048 << 32) | 2048
    cdef uint32_t c0, c1, c2
    for i in range(m):
        c0 = s[3 * i]
        c1 = s[3 * i + 1] + 256
        c2 = s[3 * i + 2] + 512
        v = xz[c0] + xz[c1] + xz[c2] + round_xz
        fx[i] = LAB_CBRT[(<uint32_t>v) >> 12]
        fy[i] = LAB_CBRT[(yt[c0] + yt[c1] + yt[c2] + 2048) >> 12]
        fz[i] = LAB_CBRT[v >> 44]


cdef cloned_void lab_finish_u8(const int32_t* fx, const int32_t* fy, const int32_t* fz,
                               uint8_t* d, Py_ssize_t m) noexcept nogil:
    """L, a, b of RGB2Lab_b from f(X), f(Y), f(Z), saturated to bytes."""
    cdef Py_ssize_t i
    cdef int32_t L, a, bb
    cdef int32_t lscale = (116 * 255 + 50) // 100
    cdef int32_t lshift = -((16 * 255 * (1 << 15) + 50) // 100)
    for i in range(m):
        L = (lscale * fy[i] + lshift + 16384) >> 15
        a = (500 * (fx[i] - fy[i]) + 128 * 32768 + 16384) >> 15
        bb = (200 * (fy[i] - fz[i]) + 128 * 32768 + 16384) >> 15
        d[3 * i] = <uint8_t>(0 if L < 0 else (255 if L > 255 else L))
        d[3 * i + 1] = <uint8_t>(0 if a < 0 else (255 if a > 255 else a))
        d[3 * i + 2] = <uint8_t>(0 if bb < 0 else (255 if bb > 255 else bb))


cdef void rgb_to_lab_u8(const uint8_t* s, uint8_t* d, Py_ssize_t n, int bidx) noexcept nogil:
    """OpenCV's RGB2Lab_b: gamma table, 12-bit XYZ, cube-root table; in
    chunks of a scalar loop (the look-ups) and a vector one."""
    cdef Py_ssize_t i0 = 0, m
    cdef int32_t fx[HSV_CHUNK]
    cdef int32_t fy[HSV_CHUNK]
    cdef int32_t fz[HSV_CHUNK]
    while i0 < n:
        m = n - i0 if n - i0 < HSV_CHUNK else HSV_CHUNK
        lab_lookups_u8(s + 3 * i0, fx, fy, fz, m, bidx)
        lab_finish_u8(fx, fy, fz, d + 3 * i0, m)
        i0 += m


cdef cloned_void lab_to_rgb_u8(const uint8_t* s, uint8_t* d, Py_ssize_t n, int bidx) noexcept nogil:
    """OpenCV's Lab2RGBinteger."""
    cdef Py_ssize_t i
    cdef bint rgb = bidx == 2
    cdef uint8_t vb, vr
    cdef int L, aa, bb, x, y, z, ify, adiv, bdiv, r, g, b
    cdef int c0 = LAB_XYZ2RGB[0], c1 = LAB_XYZ2RGB[1], c2 = LAB_XYZ2RGB[2]
    cdef int c3 = LAB_XYZ2RGB[3], c4 = LAB_XYZ2RGB[4], c5 = LAB_XYZ2RGB[5]
    cdef int c6 = LAB_XYZ2RGB[6], c7 = LAB_XYZ2RGB[7], c8 = LAB_XYZ2RGB[8]
    for i in range(n):
        L = s[3 * i]
        aa = s[3 * i + 1]
        bb = s[3 * i + 2]
        y = LAB_TO_Y[L]
        ify = LAB_TO_FY[L]
        adiv = ((5 * aa * 53687 + (1 << 7)) >> 13) - 4194       # 128 * 2**14 / 500
        bdiv = ((bb * 41943 + (1 << 4)) >> 9) - 10485 + 1      # 128 * 2**14 / 200
        x = LAB_AB_TO_XZ[ify + adiv - LAB_MIN_AB]
        z = LAB_AB_TO_XZ[ify - bdiv - LAB_MIN_AB]
        r = (c0 * x + c1 * y + c2 * z + 8192) >> 14
        g = (c3 * x + c4 * y + c5 * z + 8192) >> 14
        b = (c6 * x + c7 * y + c8 * z + 8192) >> 14
        r = 0 if r < 0 else (4095 if r > 4095 else r)
        g = 0 if g < 0 else (4095 if g > 4095 else g)
        b = 0 if b < 0 else (4095 if b > 4095 else b)
        vb = <uint8_t>LAB_INV_GAMMA[b]
        vr = <uint8_t>LAB_INV_GAMMA[r]
        d[3 * i] = vr if rgb else vb
        d[3 * i + 1] = <uint8_t>LAB_INV_GAMMA[g]
        d[3 * i + 2] = vb if rgb else vr


cdef inline float fast_cbrt(float x) noexcept nogil:
    """Cube root of a positive normal float: a third of the exponent by an
    integer trick, then three Newton steps (within 2 ulp of cbrtf; unlike
    cbrtf it vectorises).  Garbage for x <= 0, which callers select away."""
    cdef uint32_t u
    cdef float y
    memcpy(&u, &x, 4)
    u = u // 3u + 709921077u
    memcpy(&y, &u, 4)
    y = y * <float>(2.0 / 3.0) + x / (<float>3.0 * y * y)
    y = y * <float>(2.0 / 3.0) + x / (<float>3.0 * y * y)
    y = y * <float>(2.0 / 3.0) + x / (<float>3.0 * y * y)
    return y


cdef inline float lab_f(float t) noexcept nogil:
    cdef float c = fast_cbrt(t)
    return c if t > <float>(216.0 / 24389.0) else t * <float>(841.0 / 108.0) + <float>(16.0 / 116.0)


cdef inline float gamma_lookup(float x) noexcept nogil:
    cdef float p
    cdef int k
    x = <float>0.0 if not (x > 0) else (<float>1.0 if x > 1 else x)
    p = x * <float>4096.0
    k = <int>p
    k = 4095 if k > 4095 else k
    return GAMMA_F[k] + (GAMMA_F[k + 1] - GAMMA_F[k]) * (p - <float>k)


cdef cloned_void rgb_to_lab_f32(const float* s, float* d, Py_ssize_t n, int bidx) noexcept nogil:
    """CIE L*a*b* (D65, sRGB gamma) of RGB in [0, 1]: L in [0, 100]."""
    cdef Py_ssize_t i
    cdef bint rgb = bidx == 2
    cdef float r, g, b, fx, fy, fz, Y
    cdef float m[9]
    cdef int k
    for k in range(9):
        m[k] = <float>(SRGB2XYZ[k] / D65[k // 3])
    for i in range(n):
        r = gamma_lookup((s[3 * i] if rgb else s[3 * i + 2]))
        g = gamma_lookup(s[3 * i + 1])
        b = gamma_lookup((s[3 * i + 2] if rgb else s[3 * i]))
        Y = r * m[3] + g * m[4] + b * m[5]
        fx = lab_f(r * m[0] + g * m[1] + b * m[2])
        fy = lab_f(Y)
        fz = lab_f(r * m[6] + g * m[7] + b * m[8])
        d[3 * i] = (<float>116.0 * fy - <float>16.0 if Y > <float>(216.0 / 24389.0)
                    else <float>(24389.0 / 27.0) * Y)
        d[3 * i + 1] = <float>500.0 * (fx - fy)
        d[3 * i + 2] = <float>200.0 * (fy - fz)


cdef inline float lab_finv(float f) noexcept nogil:
    if f > <float>(6.0 / 29.0):
        return f * f * f
    return (f - <float>(16.0 / 116.0)) * <float>(108.0 / 841.0)


cdef inline float inv_gamma_f(float x) noexcept nogil:
    """Inverse sRGB gamma of x clipped to [0, 1]; x ** (1 / 2.4) is
    x ** (1/3) * x ** (1/12), a cube root and two square roots."""
    cdef float c, p
    x = <float>0.0 if not (x > 0) else (<float>1.0 if x > 1 else x)
    c = fast_cbrt(x)
    p = c * sqrtf(sqrtf(c)) * <float>1.055 - <float>0.055
    return x * <float>12.92 if x <= <float>0.0031308 else p


cdef cloned_void lab_to_rgb_f32(const float* s, float* d, Py_ssize_t n, int bidx) noexcept nogil:
    cdef Py_ssize_t i
    cdef bint rgb = bidx == 2
    cdef float vb, vr
    cdef float L, fy, x, y, z, r, g, b, ylo, fyhi
    cdef bint low
    cdef float m[9]
    cdef int k
    for k in range(9):
        m[k] = <float>(XYZ2SRGB[k] * D65[k % 3])
    for i in range(n):
        L = s[3 * i]
        ylo = L * <float>(27.0 / 24389.0)
        fyhi = (L + <float>16.0) * <float>(1.0 / 116.0)
        low = L <= <float>8.0
        fy = ylo * <float>(841.0 / 108.0) + <float>(16.0 / 116.0) if low else fyhi
        y = ylo if low else fyhi * fyhi * fyhi
        x = lab_finv(fy + s[3 * i + 1] * <float>(1.0 / 500.0))
        z = lab_finv(fy - s[3 * i + 2] * <float>(1.0 / 200.0))
        r = x * m[0] + y * m[1] + z * m[2]
        g = x * m[3] + y * m[4] + z * m[5]
        b = x * m[6] + y * m[7] + z * m[8]
        vb = inv_gamma_f(b)
        vr = inv_gamma_f(r)
        d[3 * i] = vr if rgb else vb
        d[3 * i + 1] = inv_gamma_f(g)
        d[3 * i + 2] = vb if rgb else vr


cdef int k_color_convert(Frame* f, const Instr* ins) noexcept nogil:
    """iparams: [operation (CVT_*), blue index (0: BGR order, 2: RGB order),
    keep alpha (swaps of 4 channels: RGBA2BGRA 1, RGB2BGR 0)]."""
    cdef ImageView im
    cdef Value* src = arg(f, ins, 0)
    cdef Value* out
    cdef int op, bidx
    cdef Py_ssize_t n, cn, dcn = 3
    if ins.n_iparams < 3:
        return fail(f, BAD_PARAMS)
    op = <int>iparam(f, ins, 0)
    bidx = <int>iparam(f, ins, 1)
    if (bidx != 0 and bidx != 2) or op < CVT_SWAP or op > CVT_FROM_LAB:
        return fail(f, BAD_PARAMS)
    if as_image(f, src, &im) < 0:
        return -1
    n = im.height * im.width
    cn = im.channels
    if op == CVT_SWAP or op == CVT_TO_GRAY:
        if cn != 3 and cn != 4:
            snprintf(f.error, ERROR_SIZE, "this conversion needs 3 or 4 channels, got %zd", cn)
            return -1
    elif op == CVT_FROM_GRAY:
        if cn != 1:
            snprintf(f.error, ERROR_SIZE, "this conversion needs 1 channel, got %zd", cn)
            return -1
    elif cn != 3:
        snprintf(f.error, ERROR_SIZE, "this conversion needs 3 channels, got %zd", cn)
        return -1
    if op == CVT_TO_HSV or op == CVT_FROM_HSV or op == CVT_TO_LAB or op == CVT_FROM_LAB:
        if check_dtype(f, im.dtype, True, False, False, True, "this conversion") < 0:
            return -1
    elif op != CVT_SWAP and op != CVT_FROM_GRAY:
        if check_dtype(f, im.dtype, True, False, True, True, "this conversion") < 0:
            return -1

    if op == CVT_SWAP:
        dcn = cn if iparam(f, ins, 2) else 3
        out = new_hwc(f, ins, im.dtype, im.height, im.width, dcn, 3)
    elif op == CVT_TO_GRAY:
        out = new_hwc(f, ins, im.dtype, im.height, im.width, 1, 2)
    else:
        out = new_hwc(f, ins, im.dtype, im.height, im.width, 3, 3)
    if out == NULL:
        return -1

    if op == CVT_SWAP:
        if im.dtype == DT_UINT8:
            swap_rb(<const uint8_t*>im.data, <uint8_t*>out.data, n, cn, dcn)
        elif im.dtype == DT_FLOAT32:
            swap_rb(<const float*>im.data, <float*>out.data, n, cn, dcn)
        else:
            swap_rb(<const uint16_t*>im.data, <uint16_t*>out.data, n, cn, dcn)
    elif op == CVT_FROM_GRAY:
        if im.dtype == DT_UINT8:
            from_gray(<const uint8_t*>im.data, <uint8_t*>out.data, n)
        elif im.dtype == DT_FLOAT32:
            from_gray(<const float*>im.data, <float*>out.data, n)
        else:
            from_gray(<const uint16_t*>im.data, <uint16_t*>out.data, n)
    elif op == CVT_TO_GRAY:
        # OpenCV 5: 15-bit coefficients (R 9798, G 19235, B 3735)
        if im.dtype == DT_UINT8:
            if bidx == 2:
                to_gray_int(<const uint8_t*>im.data, <uint8_t*>out.data, n, cn,
                            9798, 19235, 3735, 15)
            else:
                to_gray_int(<const uint8_t*>im.data, <uint8_t*>out.data, n, cn,
                            3735, 19235, 9798, 15)
        elif im.dtype == DT_UINT16:
            if bidx == 2:
                to_gray_int(<const uint16_t*>im.data, <uint16_t*>out.data, n, cn,
                            9798, 19235, 3735, 15)
            else:
                to_gray_int(<const uint16_t*>im.data, <uint16_t*>out.data, n, cn,
                            3735, 19235, 9798, 15)
        else:
            if bidx == 2:
                to_gray_f32(<const float*>im.data, <float*>out.data, n, cn,
                            <float>0.299, <float>0.587, <float>0.114)
            else:
                to_gray_f32(<const float*>im.data, <float*>out.data, n, cn,
                            <float>0.114, <float>0.587, <float>0.299)
    elif op == CVT_TO_HSV:
        if im.dtype == DT_UINT8:
            rgb_to_hsv_u8(<const uint8_t*>im.data, <uint8_t*>out.data, n, bidx)
        else:
            rgb_to_hsv_f32(<const float*>im.data, <float*>out.data, n, bidx)
    elif op == CVT_FROM_HSV:
        if im.dtype == DT_UINT8:
            hsv_to_rgb_u8(<const uint8_t*>im.data, <uint8_t*>out.data, n, bidx)
        else:
            hsv_to_rgb_f32(<const float*>im.data, <float*>out.data, n, bidx)
    elif op == CVT_TO_YCRCB:
        if im.dtype == DT_UINT8:
            rgb_to_ycrcb_int(<const uint8_t*>im.data, <uint8_t*>out.data, n, bidx, 128, 255)
        elif im.dtype == DT_UINT16:
            rgb_to_ycrcb_int(<const uint16_t*>im.data, <uint16_t*>out.data, n, bidx,
                             32768, 65535)
        else:
            rgb_to_ycrcb_f32(<const float*>im.data, <float*>out.data, n, bidx)
    elif op == CVT_FROM_YCRCB:
        if im.dtype == DT_UINT8:
            ycrcb_to_rgb_int(<const uint8_t*>im.data, <uint8_t*>out.data, n, bidx, 128, 255)
        elif im.dtype == DT_UINT16:
            ycrcb_to_rgb_int(<const uint16_t*>im.data, <uint16_t*>out.data, n, bidx,
                             32768, 65535)
        else:
            ycrcb_to_rgb_f32(<const float*>im.data, <float*>out.data, n, bidx)
    elif op == CVT_TO_LAB:
        if im.dtype == DT_UINT8:
            rgb_to_lab_u8(<const uint8_t*>im.data, <uint8_t*>out.data, n, bidx)
        else:
            rgb_to_lab_f32(<const float*>im.data, <float*>out.data, n, bidx)
    else:
        if im.dtype == DT_UINT8:
            lab_to_rgb_u8(<const uint8_t*>im.data, <uint8_t*>out.data, n, bidx)
        else:
            lab_to_rgb_f32(<const float*>im.data, <float*>out.data, n, bidx)
    return 0


# ================================================================ torchvision blends
#
# torchvision's _blend: (ratio * img1 + (1 - ratio) * img2).clamp(0, bound)
# computed in float32 and cast back (truncating) to the image type; bound is
# 255, 65535, 32767 or 1.0.  rgb_to_grayscale is 0.2989 R + 0.587 G + 0.114 B
# in float32, truncated to the image type.  These loops run the arithmetic
# of ``_pixel.pxd`` (``tv_gray``, ``blend_clamp``), as the fused kernel does;
# a store truncates through int32, as ``to_level`` does (without its float
# round trip, which would cost a rounding per element).

cdef cloned_void blend_scalar(const pixel_t* s, pixel_t* d, Py_ssize_t n, float a,
                              float b, float hi) noexcept nogil:
    """``clamp(a x + b, 0, hi)`` on every element (NaN stays NaN)."""
    cdef Py_ssize_t i
    for i in range(n):
        if pixel_t is float:
            d[i] = blend_clamp(s[i], a, b, hi)
        else:
            d[i] = <pixel_t><int32_t>blend_clamp(<float>s[i], a, b, hi)


cdef cloned_void blend_gray(const pixel_t* s, pixel_t* d, Py_ssize_t npix, Py_ssize_t cn,
                            float a, float b, float hi) noexcept nogil:
    """Saturation: each colour channel blended with the pixel's gray value."""
    if cn == 3:
        blend_gray_n(s, d, npix, 3, a, b, hi)
    else:
        blend_gray_n(s, d, npix, 4, a, b, hi)
        restore_alpha(<const char*>s, <char*>d, npix, DT_FLOAT32 if pixel_t is float else (
            DT_UINT8 if pixel_t is uint8_t else DT_UINT16))


cdef inline inline_void blend_gray_n(const pixel_t* s, pixel_t* d, Py_ssize_t npix, Py_ssize_t cn,
                              float a, float b, float hi) noexcept nogil:
    cdef Py_ssize_t i, c
    cdef float gb, gray
    for i in range(npix):
        gray = tv_gray(<float>s[cn * i], <float>s[cn * i + 1], <float>s[cn * i + 2])
        if pixel_t is float:
            gb = b * gray
            for c in range(3):
                d[cn * i + c] = blend_clamp(s[cn * i + c], a, gb, hi)
        else:
            gb = b * to_level(gray)         # truncated to the image type
            for c in range(3):
                d[cn * i + c] = <pixel_t><int32_t>blend_clamp(<float>s[cn * i + c], a, gb, hi)


cdef cloned_void gray_mean(const pixel_t* s, Py_ssize_t npix, Py_ssize_t cn,
                           double* out) noexcept nogil:
    """Mean of torchvision's grayscale image (its values truncated to the
    image type), or of the single channel."""
    cdef Py_ssize_t i
    cdef double total = 0.0
    cdef int64_t itotal = 0
    out[0] = 0.0
    if npix == 0:
        return
    if pixel_t is float:
        if cn == 1:
            for i in range(npix):
                total += s[i]
        elif cn == 3:
            for i in range(npix):
                total += tv_gray(s[3 * i], s[3 * i + 1], s[3 * i + 2])
        else:
            for i in range(npix):
                total += tv_gray(s[4 * i], s[4 * i + 1], s[4 * i + 2])
        out[0] = total / npix
    else:
        if cn == 1:
            for i in range(npix):
                itotal += s[i]
        elif cn == 3:
            for i in range(npix):
                itotal += <int32_t>tv_gray(<float>s[3 * i], <float>s[3 * i + 1],
                                           <float>s[3 * i + 2])
        else:
            for i in range(npix):
                itotal += <int32_t>tv_gray(<float>s[4 * i], <float>s[4 * i + 1],
                                           <float>s[4 * i + 2])
        out[0] = <double>itotal / npix


cdef float bound_of(int dtype) noexcept nogil:
    return <float>type_max(dtype)


cdef int blend_with_scalar(Frame* f, const Instr* ins, ImageView* im, Value* src,
                           double ratio, float b) noexcept nogil:
    """Output ``clamp(ratio x + b)`` for every colour element, ``b`` the
    offset of ``_pixel.pxd``; alpha (channel 3 of RGBA) unchanged."""
    cdef Value* out = new_like(f, ins, src, im.dtype)
    cdef Py_ssize_t npix = im.height * im.width
    cdef Py_ssize_t n = npix * im.channels
    cdef float a = <float>ratio
    cdef float hi = bound_of(im.dtype)
    if out == NULL:
        return -1
    if im.dtype == DT_UINT8:
        blend_scalar(<const uint8_t*>im.data, <uint8_t*>out.data, n, a, b, hi)
    elif im.dtype == DT_UINT16:
        blend_scalar(<const uint16_t*>im.data, <uint16_t*>out.data, n, a, b, hi)
    elif im.dtype == DT_INT16:
        blend_scalar(<const int16_t*>im.data, <int16_t*>out.data, n, a, b, hi)
    else:
        blend_scalar(<const float*>im.data, <float*>out.data, n, a, b, hi)
    if im.channels == 4:
        restore_alpha(im.data, out.data, npix, im.dtype)
    return 0


cdef int k_brightness(Frame* f, const Instr* ins) noexcept nogil:
    cdef ImageView im
    cdef double factor
    if get_image(f, ins, 0, &im) < 0 or check_colour_channels(f, im.channels, "brightness") < 0:
        return -1
    if get_factor(f, arg(f, ins, 1), "brightness factor", &factor) < 0:
        return -1
    return blend_with_scalar(f, ins, &im, arg(f, ins, 0), factor, brightness_offset(factor))


cdef int k_contrast(Frame* f, const Instr* ins) noexcept nogil:
    cdef ImageView im
    cdef double factor, mean
    cdef Py_ssize_t npix
    if get_image(f, ins, 0, &im) < 0 or check_colour_channels(f, im.channels, "contrast") < 0:
        return -1
    if get_factor(f, arg(f, ins, 1), "contrast factor", &factor) < 0:
        return -1
    npix = im.height * im.width
    if im.dtype == DT_UINT8:
        gray_mean(<const uint8_t*>im.data, npix, im.channels, &mean)
    elif im.dtype == DT_UINT16:
        gray_mean(<const uint16_t*>im.data, npix, im.channels, &mean)
    elif im.dtype == DT_INT16:
        gray_mean(<const int16_t*>im.data, npix, im.channels, &mean)
    else:
        gray_mean(<const float*>im.data, npix, im.channels, &mean)
    return blend_with_scalar(f, ins, &im, arg(f, ins, 0), factor,
                             contrast_offset(factor, mean))


cdef int k_saturation(Frame* f, const Instr* ins) noexcept nogil:
    cdef ImageView im
    cdef double factor
    cdef Value* src = arg(f, ins, 0)
    cdef Value* out
    cdef Py_ssize_t npix
    cdef float a, b, hi
    if get_image(f, ins, 0, &im) < 0 or check_colour_channels(f, im.channels, "saturation") < 0:
        return -1
    if get_factor(f, arg(f, ins, 1), "saturation factor", &factor) < 0:
        return -1
    out = new_like(f, ins, src, im.dtype)
    if out == NULL:
        return -1
    npix = im.height * im.width
    if im.channels == 1:        # torchvision: gray images are returned as they are
        memcpy(out.data, im.data, npix * itemsize(im.dtype))
        return 0
    a = <float>factor
    b = <float>(1.0 - factor)
    hi = bound_of(im.dtype)
    if im.dtype == DT_UINT8:
        blend_gray(<const uint8_t*>im.data, <uint8_t*>out.data, npix, im.channels, a, b, hi)
    elif im.dtype == DT_UINT16:
        blend_gray(<const uint16_t*>im.data, <uint16_t*>out.data, npix, im.channels, a, b, hi)
    elif im.dtype == DT_INT16:
        blend_gray(<const int16_t*>im.data, <int16_t*>out.data, npix, im.channels, a, b, hi)
    else:
        blend_gray(<const float*>im.data, <float*>out.data, npix, im.channels, a, b, hi)
    return 0


# ---------------------------------------------------------------- hue

cdef cloned_void hue_int(const unsigned_pixel_t* s, unsigned_pixel_t* d, Py_ssize_t npix,
                         Py_ssize_t cn, float shift) noexcept nogil:
    """In chunks of three loops (integers to float, the arithmetic, back to
    integers), as ``hsv_to_rgb_u8``: one loop over the pixels spilled its
    floats (uint8) or did not vectorise (uint16)."""
    cdef Py_ssize_t i, i0, m
    cdef float r, g, b
    cdef float top = <float>255.0 if unsigned_pixel_t is uint8_t else <float>65535.0
    cdef float rf[HSV_CHUNK]
    cdef float gf[HSV_CHUNK]
    cdef float bf[HSV_CHUNK]
    cdef int32_t ri[HSV_CHUNK]
    cdef int32_t gi[HSV_CHUNK]
    cdef int32_t bi[HSV_CHUNK]
    cdef const unsigned_pixel_t* sp
    cdef unsigned_pixel_t* dp
    i0 = 0
    while i0 < npix:
        m = npix - i0 if npix - i0 < HSV_CHUNK else HSV_CHUNK
        sp = s + cn * i0
        dp = d + cn * i0
        if cn == 3:
            for i in range(m):
                rf[i] = <float>sp[3 * i] / top
                gf[i] = <float>sp[3 * i + 1] / top
                bf[i] = <float>sp[3 * i + 2] / top
        else:
            for i in range(m):
                rf[i] = <float>sp[4 * i] / top
                gf[i] = <float>sp[4 * i + 1] / top
                bf[i] = <float>sp[4 * i + 2] / top
        # two loops: in one, the division chain of a pixel was too long for
        # the next pixels' work to overlap it
        for i in range(m):
            tv_hue_hsv(rf[i], gf[i], bf[i], shift, &rf[i], &gf[i], &bf[i])
        for i in range(m):
            tv_hsv_rgb(rf[i], gf[i], bf[i], &r, &g, &b)
            if unsigned_pixel_t is uint8_t:
                ri[i] = <int32_t>hue_u8_level(r)
                gi[i] = <int32_t>hue_u8_level(g)
                bi[i] = <int32_t>hue_u8_level(b)
            else:
                ri[i] = <int32_t>hue_u16_level(r)
                gi[i] = <int32_t>hue_u16_level(g)
                bi[i] = <int32_t>hue_u16_level(b)
        if cn == 3:
            for i in range(m):
                dp[3 * i] = <unsigned_pixel_t>ri[i]
                dp[3 * i + 1] = <unsigned_pixel_t>gi[i]
                dp[3 * i + 2] = <unsigned_pixel_t>bi[i]
        else:
            for i in range(m):
                dp[4 * i] = <unsigned_pixel_t>ri[i]
                dp[4 * i + 1] = <unsigned_pixel_t>gi[i]
                dp[4 * i + 2] = <unsigned_pixel_t>bi[i]
                dp[4 * i + 3] = sp[4 * i + 3]
        i0 += m


cdef cloned_void hue_f32(const float* s, float* d, Py_ssize_t npix, Py_ssize_t cn,
                         float shift) noexcept nogil:
    cdef Py_ssize_t i
    cdef float r, g, b
    for i in range(npix):
        tv_hue_shift(s[cn * i], s[cn * i + 1], s[cn * i + 2], shift, &r, &g, &b)
        d[cn * i] = r
        d[cn * i + 1] = g
        d[cn * i + 2] = b
    if cn == 4:
        restore_alpha(<const char*>s, <char*>d, npix, DT_FLOAT32)


cdef int k_hue(Frame* f, const Instr* ins) noexcept nogil:
    cdef ImageView im
    cdef double shift
    cdef Value* src = arg(f, ins, 0)
    cdef Value* out
    cdef Py_ssize_t npix
    if get_image(f, ins, 0, &im) < 0 or check_colour_channels(f, im.channels, "hue") < 0:
        return -1
    if check_dtype(f, im.dtype, True, False, True, True, "hue") < 0:
        return -1
    if get_scalar(f, ins, 1, "hue shift", &shift) < 0:
        return -1
    if not (-0.5 <= shift <= 0.5):
        snprintf(f.error, ERROR_SIZE, "hue shift must be in [-0.5, 0.5], got %g", shift)
        return -1
    out = new_like(f, ins, src, im.dtype)
    if out == NULL:
        return -1
    npix = im.height * im.width
    if im.channels == 1:
        memcpy(out.data, im.data, npix * itemsize(im.dtype))
    elif im.dtype == DT_UINT8:
        hue_int(<const uint8_t*>im.data, <uint8_t*>out.data, npix, im.channels, <float>shift)
    elif im.dtype == DT_UINT16:
        hue_int(<const uint16_t*>im.data, <uint16_t*>out.data, npix, im.channels, <float>shift)
    else:
        hue_f32(<const float*>im.data, <float*>out.data, npix, im.channels, <float>shift)
    return 0


# ================================================================ point operations

cdef cloned_void gamma_unit(const float* s, float* d, Py_ssize_t n, double gamma,
                            float gain) noexcept nogil:
    """clamp(gain x ** gamma, 0, 1), in double, for x in (0, 1]; values
    outside are left to the caller.  Vectorises, where powf does not."""
    cdef Py_ssize_t i
    for i in range(n):
        d[i] = gamma_unit_value(s[i], gamma, gain)


cdef void gamma_f32(const float* s, float* d, Py_ssize_t n, float gamma, float gain) noexcept nogil:
    cdef Py_ssize_t i
    gamma_unit(s, d, n, gamma, gain)
    for i in range(n):
        if not ((s[i] > 0) & (s[i] <= 1)):          # 0, > 1, negative, NaN: libm's powf
            d[i] = gamma_other_value(s[i], gamma, gain)


cdef int k_gamma(Frame* f, const Instr* ins) noexcept nogil:
    cdef ImageView im
    cdef double gamma, gain
    cdef Value* src = arg(f, ins, 0)
    cdef Value* out
    cdef Py_ssize_t i, npix, n
    cdef uint8_t lut8[256]
    cdef uint16_t* lut16
    cdef int k
    if get_image(f, ins, 0, &im) < 0 or check_colour_channels(f, im.channels, "gamma") < 0:
        return -1
    if check_dtype(f, im.dtype, True, False, True, True, "gamma") < 0:
        return -1
    if get_scalar(f, ins, 1, "gamma", &gamma) < 0 or get_scalar(f, ins, 2, "gain", &gain) < 0:
        return -1
    if gamma < 0:
        snprintf(f.error, ERROR_SIZE, "gamma must be >= 0, got %g", gamma)
        return -1
    out = new_like(f, ins, src, im.dtype)
    if out == NULL:
        return -1
    npix = im.height * im.width
    n = npix * im.channels
    gamma = <float>gamma        # torch raises a float32 tensor to a float32 power
    if im.dtype == DT_UINT8:
        for k in range(256):
            lut8[k] = <uint8_t>gamma_u8_level(<float>k, gamma, <float>gain)
        apply_lut_u8(<const uint8_t*>im.data, <uint8_t*>out.data, n, lut8)
    elif im.dtype == DT_UINT16:
        if n > 131072:          # a table pays off
            lut16 = <uint16_t*>scratch(f, 0, 65536 * sizeof(uint16_t))
            if lut16 == NULL:
                return -1
            for k in range(65536):
                lut16[k] = <uint16_t>gamma_u16_int(<float>k, gamma, <float>gain)
            for i in range(n):
                (<uint16_t*>out.data)[i] = lut16[(<const uint16_t*>im.data)[i]]
        else:
            for i in range(n):
                (<uint16_t*>out.data)[i] = <uint16_t>gamma_u16_int(
                    <float>(<const uint16_t*>im.data)[i], gamma, <float>gain)
    else:
        gamma_f32(<const float*>im.data, <float*>out.data, n, <float>gamma, <float>gain)
    if im.channels == 4:
        restore_alpha(im.data, out.data, npix, im.dtype)
    return 0


cdef cloned_void invert_values(const pixel_t* s, pixel_t* d, Py_ssize_t n) noexcept nogil:
    """``bound - x``: 255, 65535, 32767 (saturating) or 1.0."""
    cdef Py_ssize_t i
    cdef int v
    for i in range(n):
        if pixel_t is float:
            d[i] = invert_value(s[i], <float>1.0, False)
        elif pixel_t is int16_t:
            v = 32767 - <int>s[i]
            d[i] = <int16_t>(v if v < 32767 else 32767)
        elif pixel_t is uint16_t:
            d[i] = <uint16_t>(65535 - s[i])
        else:
            d[i] = <uint8_t>(255 - s[i])


cdef cloned_void solarize_values(const pixel_t* s, pixel_t* d, Py_ssize_t n,
                                 double threshold) noexcept nogil:
    """Inverts the values ``>= threshold`` (compared in float32, as torch)."""
    cdef Py_ssize_t i
    cdef float t = <float>threshold
    if pixel_t is float:
        for i in range(n):
            d[i] = invert_value(s[i], <float>1.0, False) if s[i] >= t else s[i]
    elif pixel_t is uint8_t:
        _solarize_cmp(s, d, n, solarize_level(threshold), 0, 255)
    elif pixel_t is uint16_t:
        _solarize_cmp(s, d, n, solarize_level(threshold), 0, 65535)
    else:
        _solarize_cmp(s, d, n, solarize_level(threshold), -32768, 32767)


cdef inline inline_void _solarize_cmp(const pixel_t* s, pixel_t* d, Py_ssize_t n, int32_t t,
                               int32_t lo, int32_t hi) noexcept nogil:
    cdef Py_ssize_t i
    cdef pixel_t tp
    cdef int v
    if t > hi:
        memcpy(d, s, n * sizeof(pixel_t))
        return
    tp = <pixel_t>(t if t > lo else lo)
    for i in range(n):
        if pixel_t is uint8_t:
            d[i] = <uint8_t>(255 - s[i]) if s[i] >= tp else s[i]
        elif pixel_t is uint16_t:
            d[i] = <uint16_t>(65535 - s[i]) if s[i] >= tp else s[i]
        else:
            v = 32767 - <int>s[i]
            d[i] = <int16_t>(v if v < 32767 else 32767) if s[i] >= tp else s[i]


cdef int point_invert(Frame* f, const Instr* ins, bint solarize) noexcept nogil:
    cdef ImageView im
    cdef double threshold = 0.0
    cdef Value* src = arg(f, ins, 0)
    cdef Value* out
    cdef Py_ssize_t npix, n
    if get_image(f, ins, 0, &im) < 0:
        return -1
    if check_colour_channels(f, im.channels, "solarize" if solarize else "invert") < 0:
        return -1
    if solarize and get_scalar(f, ins, 1, "solarize threshold", &threshold) < 0:
        return -1
    out = new_like(f, ins, src, im.dtype)
    if out == NULL:
        return -1
    npix = im.height * im.width
    n = npix * im.channels
    if solarize:
        if im.dtype == DT_UINT8:
            solarize_values(<const uint8_t*>im.data, <uint8_t*>out.data, n, threshold)
        elif im.dtype == DT_UINT16:
            solarize_values(<const uint16_t*>im.data, <uint16_t*>out.data, n, threshold)
        elif im.dtype == DT_INT16:
            solarize_values(<const int16_t*>im.data, <int16_t*>out.data, n, threshold)
        else:
            solarize_values(<const float*>im.data, <float*>out.data, n, threshold)
    elif im.dtype == DT_UINT8:
        invert_values(<const uint8_t*>im.data, <uint8_t*>out.data, n)
    elif im.dtype == DT_UINT16:
        invert_values(<const uint16_t*>im.data, <uint16_t*>out.data, n)
    elif im.dtype == DT_INT16:
        invert_values(<const int16_t*>im.data, <int16_t*>out.data, n)
    else:
        invert_values(<const float*>im.data, <float*>out.data, n)
    if im.channels == 4:
        restore_alpha(im.data, out.data, npix, im.dtype)
    return 0


cdef int k_invert(Frame* f, const Instr* ins) noexcept nogil:
    return point_invert(f, ins, False)


cdef int k_solarize(Frame* f, const Instr* ins) noexcept nogil:
    return point_invert(f, ins, True)


cdef int k_posterize(Frame* f, const Instr* ins) noexcept nogil:
    cdef ImageView im
    cdef Value* src = arg(f, ins, 0)
    cdef Value* out
    cdef int64_t bits
    cdef Value* vb = arg(f, ins, 1)
    cdef Py_ssize_t npix
    cdef uint8_t mask
    if get_image(f, ins, 0, &im) < 0 or check_colour_channels(f, im.channels, "posterize") < 0:
        return -1
    if check_dtype(f, im.dtype, True, False, False, False, "posterize") < 0:
        return -1
    if vb.kind != KIND_TENSOR or vb.length != 1:
        return fail(f, "posterize bits must be a scalar")
    bits = load_int(vb.data, vb.dtype)
    if bits < 0 or bits > 8:
        snprintf(f.error, ERROR_SIZE, "posterize bits must be in [0, 8], got %lld",
                 <long long>bits)
        return -1
    out = new_like(f, ins, src, im.dtype)
    if out == NULL:
        return -1
    npix = im.height * im.width
    mask = posterize_mask(bits)
    mask_u8(<const uint8_t*>im.data, <uint8_t*>out.data, npix * im.channels, mask)
    if im.channels == 4:
        restore_alpha(im.data, out.data, npix, DT_UINT8)
    return 0


cdef cloned_void mask_u8(const uint8_t* s, uint8_t* d, Py_ssize_t n, uint8_t mask) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        d[i] = s[i] & mask


# ---------------------------------------------------------------- threshold

cdef cloned_void threshold_int(const int_pixel_t* s, int_pixel_t* d, Py_ssize_t n, int type_,
                               int64_t thresh, int64_t maxval, int64_t lo, int64_t hi) noexcept nogil:
    """cv2.threshold on integer pixels, with ``thresh`` already floored and
    ``maxval`` rounded: "x > thresh" is "x >= thresh + 1", which is always
    or never true when thresh + 1 leaves the type's range (then, as OpenCV,
    "trunc" gives 0 rather than the saturated threshold)."""
    cdef Py_ssize_t i
    cdef int64_t t1 = thresh + 1
    cdef int_pixel_t m = <int_pixel_t>(lo if maxval < lo else (hi if maxval > hi else maxval))
    cdef int_pixel_t tt = <int_pixel_t>(lo if thresh < lo else (hi if thresh > hi else thresh))
    cdef int_pixel_t t
    if t1 <= lo:            # every value is above the threshold
        for i in range(n):
            if type_ == THRESH_BINARY:
                d[i] = m
            elif type_ == THRESH_TOZERO:
                d[i] = s[i]
            else:
                d[i] = 0
        return
    if t1 > hi:             # none is
        for i in range(n):
            if type_ == THRESH_BINARY_INV:
                d[i] = m
            elif type_ == THRESH_TRUNC or type_ == THRESH_TOZERO_INV:
                d[i] = s[i]
            else:
                d[i] = 0
        return
    t = <int_pixel_t>t1
    if type_ == THRESH_BINARY:
        for i in range(n):
            d[i] = m if s[i] >= t else 0
    elif type_ == THRESH_BINARY_INV:
        for i in range(n):
            d[i] = 0 if s[i] >= t else m
    elif type_ == THRESH_TRUNC:
        for i in range(n):
            d[i] = tt if s[i] >= t else s[i]
    elif type_ == THRESH_TOZERO:
        for i in range(n):
            d[i] = s[i] if s[i] >= t else 0
    else:
        for i in range(n):
            d[i] = 0 if s[i] >= t else s[i]


cdef cloned_void threshold_f32(const float* s, float* d, Py_ssize_t n, int type_, float thresh,
                               float maxval) noexcept nogil:
    cdef Py_ssize_t i
    if type_ == THRESH_BINARY:
        for i in range(n):
            d[i] = maxval if s[i] > thresh else <float>0.0
    elif type_ == THRESH_BINARY_INV:
        for i in range(n):
            d[i] = <float>0.0 if s[i] > thresh else maxval
    elif type_ == THRESH_TRUNC:
        for i in range(n):
            d[i] = thresh if s[i] > thresh else s[i]
    elif type_ == THRESH_TOZERO:
        for i in range(n):
            d[i] = s[i] if s[i] > thresh else <float>0.0
    else:
        for i in range(n):
            d[i] = <float>0.0 if s[i] > thresh else s[i]


cdef int64_t clamp_i64(double x) noexcept nogil:
    if x >= 4e18:
        return <int64_t>4000000000000000000
    if x <= -4e18:
        return -<int64_t>4000000000000000000
    return <int64_t>x


cdef int k_threshold(Frame* f, const Instr* ins) noexcept nogil:
    """iparams: [type (THRESH_*)]; inputs: image, thresh, maxval."""
    cdef ImageView im
    cdef double thresh, maxval
    cdef Value* src = arg(f, ins, 0)
    cdef Value* out
    cdef Py_ssize_t n
    cdef int type_
    cdef int64_t ithresh, imax
    if ins.n_iparams < 1:
        return fail(f, BAD_PARAMS)
    type_ = <int>iparam(f, ins, 0)
    if type_ < THRESH_BINARY or type_ > THRESH_TOZERO_INV:
        return fail(f, BAD_PARAMS)
    if get_image(f, ins, 0, &im) < 0:
        return -1
    if get_scalar(f, ins, 1, "threshold", &thresh) < 0:
        return -1
    if get_scalar(f, ins, 2, "maxval", &maxval) < 0:
        return -1
    out = new_like(f, ins, src, im.dtype)
    if out == NULL:
        return -1
    n = im.height * im.width * im.channels
    ithresh = clamp_i64(floor(thresh))
    imax = clamp_i64(<double>lrint(maxval) if fabs(maxval) < 4e18 else maxval)
    if im.dtype == DT_UINT8:
        threshold_int(<const uint8_t*>im.data, <uint8_t*>out.data, n, type_, ithresh, imax,
                      0, 255)
    elif im.dtype == DT_UINT16:
        threshold_int(<const uint16_t*>im.data, <uint16_t*>out.data, n, type_, ithresh, imax,
                      0, 65535)
    elif im.dtype == DT_INT16:
        threshold_int(<const int16_t*>im.data, <int16_t*>out.data, n, type_, ithresh, imax,
                      -32768, 32767)
    else:
        threshold_f32(<const float*>im.data, <float*>out.data, n, type_, <float>thresh,
                      <float>maxval)
    return 0


# ---------------------------------------------------------------- histogram equalisation

cdef void equalize_lut(const int* hist, int total, uint8_t* lut) noexcept nogil:
    """cv2.equalizeHist's table for one channel."""
    cdef int i = 0, k, acc = 0
    cdef float scale
    while i < 256 and hist[i] == 0:
        i += 1
    if i == 256 or hist[i] == total:
        for k in range(256):
            lut[k] = <uint8_t>(i if i < 256 else 0)
        return
    scale = <float>255.0 / <float>(total - hist[i])
    for k in range(i + 1):
        lut[k] = 0
    for k in range(i + 1, 256):
        acc += hist[k]
        lut[k] = <uint8_t>lrintf(<float>acc * scale) if <float>acc * scale < 255 else 255


cdef int k_equalize_hist(Frame* f, const Instr* ins) noexcept nogil:
    cdef ImageView im
    cdef Value* src = arg(f, ins, 0)
    cdef Value* out
    cdef Py_ssize_t i, npix, cn, c
    cdef int hist[4][256]
    cdef uint8_t lut[4][256]
    cdef const uint8_t* s
    cdef uint8_t* d
    if get_image(f, ins, 0, &im) < 0:
        return -1
    if check_dtype(f, im.dtype, True, False, False, False, "histogram equalisation") < 0:
        return -1
    npix = im.height * im.width
    if npix > 2147483647:
        return fail(f, "image too large for histogram equalisation")
    out = new_like(f, ins, src, im.dtype)
    if out == NULL:
        return -1
    cn = im.channels
    s = <const uint8_t*>im.data
    d = <uint8_t*>out.data
    for c in range(4):
        for i in range(256):
            hist[c][i] = 0
    if cn == 1:
        # four partial histograms, so that an increment rarely waits for the
        # one before (the loop of one ran 1.5x slower or faster as the code
        # around it moved it across a fetch boundary)
        i = 0
        while i + 4 <= npix:
            hist[0][s[i]] += 1
            hist[1][s[i + 1]] += 1
            hist[2][s[i + 2]] += 1
            hist[3][s[i + 3]] += 1
            i += 4
        while i < npix:
            hist[0][s[i]] += 1
            i += 1
        for i in range(256):
            hist[0][i] += hist[1][i] + hist[2][i] + hist[3][i]
    else:
        for i in range(npix):
            for c in range(cn):
                hist[c][s[cn * i + c]] += 1
    for c in range(cn):
        equalize_lut(hist[c], <int>npix, lut[c])
    if cn == 1:
        apply_lut_u8(s, d, npix, lut[0])
    else:
        for i in range(npix):
            for c in range(cn):
                d[cn * i + c] = lut[c][s[cn * i + c]]
    return 0


# ---------------------------------------------------------------- CLAHE

cdef int k_clahe(Frame* f, const Instr* ins) noexcept nogil:
    """cv2.createCLAHE(clip, (tiles_x, tiles_y)).apply on each channel.
    iparams: [tiles_x, tiles_y]; inputs: image, clip limit."""
    cdef ImageView im
    cdef Value* src = arg(f, ins, 0)
    cdef Value* out
    cdef double clip
    cdef int64_t tx64, ty64
    cdef Py_ssize_t tiles_x, tiles_y, H, W, cn, c, x, y, i, k, t, pw, ph, tw, th
    cdef Py_ssize_t ntiles, x0, y0, sy, sx
    cdef int clip_limit, clipped, batch, residual, step, acc, tile_total, v
    cdef int hist[256]
    cdef float lut_scale, inv_tw, inv_th, txf, tyf, ya, ya1, res
    cdef uint8_t* luts
    cdef Py_ssize_t* colmap
    cdef int* ind1
    cdef int* ind2
    cdef float* xa
    cdef float* xa1
    cdef const uint8_t* s
    cdef const uint8_t* row
    cdef uint8_t* d
    cdef uint8_t* lut1
    cdef uint8_t* lut2
    cdef Py_ssize_t ty1, ty2, tx1
    if ins.n_iparams < 2:
        return fail(f, BAD_PARAMS)
    tx64 = iparam(f, ins, 0)
    ty64 = iparam(f, ins, 1)
    if tx64 < 1 or ty64 < 1 or tx64 * ty64 > 65536:
        snprintf(f.error, ERROR_SIZE,
                 "CLAHE needs 1 to 65536 tiles (>= 1 a side), got %lld x %lld",
                 <long long>tx64, <long long>ty64)
        return -1
    tiles_x = tx64
    tiles_y = ty64
    if get_image(f, ins, 0, &im) < 0:
        return -1
    if check_dtype(f, im.dtype, True, False, False, False, "CLAHE") < 0:
        return -1
    if get_scalar(f, ins, 1, "clip limit", &clip) < 0:
        return -1
    H = im.height
    W = im.width
    cn = im.channels
    out = new_like(f, ins, src, im.dtype)
    if out == NULL:
        return -1
    if H == 0 or W == 0:
        return 0
    # OpenCV pads the image (reflect-101) when a side is not a multiple of the
    # grid -- and then pads both sides, a divisible one by a whole tile.
    if W % tiles_x == 0 and H % tiles_y == 0:
        pw = W
        ph = H
    else:
        pw = W + tiles_x - W % tiles_x
        ph = H + tiles_y - H % tiles_y
    tw = pw // tiles_x
    th = ph // tiles_y
    if <double>tw * th > 2147483647.0 / 256:
        return fail(f, "CLAHE tiles are too large")
    tile_total = <int>(tw * th)
    lut_scale = <float>255.0 / <float>tile_total
    clip_limit = 0
    if clip > 0:
        clip_limit = <int>(clip * tile_total / 256) if clip * tile_total / 256 < 2147483647.0 \
            else 2147483647
        if clip_limit < 1:
            clip_limit = 1
    ntiles = tiles_x * tiles_y
    luts = <uint8_t*>scratch(f, 0, ntiles * 256)
    colmap = <Py_ssize_t*>scratch(f, 1, (pw + ph) * sizeof(Py_ssize_t))
    xa = <float*>scratch(f, 2, W * (2 * sizeof(float) + 2 * sizeof(int)))
    if luts == NULL or colmap == NULL or xa == NULL:
        return -1
    xa1 = xa + W
    ind1 = <int*>(xa1 + W)
    ind2 = ind1 + W
    for x in range(pw):
        colmap[x] = x if x < W else _reflect101(x, W)
    for y in range(ph):
        colmap[pw + y] = y if y < H else _reflect101(y, H)
    inv_tw = <float>1.0 / <float>tw
    inv_th = <float>1.0 / <float>th
    for x in range(W):
        txf = <float>x * inv_tw - <float>0.5
        tx1 = <Py_ssize_t>floorf(txf)
        xa[x] = txf - <float>tx1
        xa1[x] = <float>1.0 - xa[x]
        ind1[x] = <int>((tx1 if tx1 > 0 else 0) * 256)
        ind2[x] = <int>((tx1 + 1 if tx1 + 1 < tiles_x - 1 else tiles_x - 1) * 256)
    s = <const uint8_t*>im.data
    d = <uint8_t*>out.data
    for c in range(cn):
        # tile tables
        for t in range(ntiles):
            x0 = (t % tiles_x) * tw
            y0 = (t // tiles_x) * th
            for k in range(256):
                hist[k] = 0
            for y in range(y0, y0 + th):
                sy = colmap[pw + y]
                row = s + sy * W * cn + c
                if x0 + tw <= W:
                    for x in range(x0, x0 + tw):
                        hist[row[x * cn]] += 1
                else:
                    for x in range(x0, x0 + tw):
                        hist[row[colmap[x] * cn]] += 1
            if clip_limit > 0:
                clipped = 0
                for k in range(256):
                    if hist[k] > clip_limit:
                        clipped += hist[k] - clip_limit
                        hist[k] = clip_limit
                batch = clipped // 256
                residual = clipped - batch * 256
                for k in range(256):
                    hist[k] += batch
                if residual != 0:
                    step = 256 // residual
                    if step < 1:
                        step = 1
                    k = 0
                    while k < 256 and residual > 0:
                        hist[k] += 1
                        k += step
                        residual -= 1
            acc = 0
            for k in range(256):
                acc += hist[k]
                luts[t * 256 + k] = <uint8_t>lrintf(<float>acc * lut_scale) \
                    if <float>acc * lut_scale < 255 else 255
        # bilinear blend of the four nearest tiles' tables
        for y in range(H):
            tyf = <float>y * inv_th - <float>0.5
            ty1 = <Py_ssize_t>floorf(tyf)
            ya = tyf - <float>ty1
            ya1 = <float>1.0 - ya
            ty2 = ty1 + 1
            ty1 = ty1 if ty1 > 0 else 0
            ty2 = ty2 if ty2 < tiles_y - 1 else tiles_y - 1
            lut1 = luts + ty1 * tiles_x * 256
            lut2 = luts + ty2 * tiles_x * 256
            row = s + y * W * cn + c
            for x in range(W):
                v = row[x * cn]
                res = ((lut1[ind1[x] + v] * xa1[x] + lut1[ind2[x] + v] * xa[x]) * ya1
                       + (lut2[ind1[x] + v] * xa1[x] + lut2[ind2[x] + v] * xa[x]) * ya)
                d[(y * W + x) * cn + c] = <uint8_t>lrintf(res) if res < 255 else 255
    return 0


cdef Py_ssize_t _reflect101(Py_ssize_t i, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t period
    if n == 1:
        return 0
    period = 2 * n - 2
    i = i % period
    return i if i < n else period - i


# ================================================================ normalisation, depth

cdef cloned_void normalize_values(const pixel_t* s, float* d, Py_ssize_t npix, Py_ssize_t cn,
                                  const float* scale, const float* mean,
                                  const float* inv_std) noexcept nogil:
    cdef Py_ssize_t i, c
    if cn == 1:
        for i in range(npix):
            d[i] = normalize_value(<float>s[i], scale[0], mean[0], inv_std[0])
    elif cn == 3:
        for i in range(npix):
            d[3 * i] = normalize_value(<float>s[3 * i], scale[0], mean[0], inv_std[0])
            d[3 * i + 1] = normalize_value(<float>s[3 * i + 1], scale[1], mean[1], inv_std[1])
            d[3 * i + 2] = normalize_value(<float>s[3 * i + 2], scale[2], mean[2], inv_std[2])
    else:
        for i in range(npix):
            for c in range(cn):
                d[cn * i + c] = normalize_value(<float>s[cn * i + c], scale[c], mean[c],
                                                inv_std[c])


cdef int k_normalize(Frame* f, const Instr* ins) noexcept nogil:
    """iparams: [scale by the type's range (0/1)]; inputs: image, mean, std."""
    cdef ImageView im
    cdef Value* src = arg(f, ins, 0)
    cdef Value* out
    cdef double mean[4]
    cdef double std[4]
    cdef float fmean[4]
    cdef float finv[4]
    cdef float fscale[4]
    cdef float lut[4][256]
    cdef Py_ssize_t i, c, cn, npix
    cdef float* d
    cdef const uint8_t* s
    cdef bint scaled
    if ins.n_iparams < 1:
        return fail(f, BAD_PARAMS)
    scaled = iparam(f, ins, 0) != 0
    if get_image(f, ins, 0, &im) < 0:
        return -1
    cn = im.channels
    if read_vector(f, arg(f, ins, 1), cn, "mean", mean) < 0:
        return -1
    if read_vector(f, arg(f, ins, 2), cn, "std", std) < 0:
        return -1
    for c in range(cn):
        if std[c] == 0:
            return fail(f, "std must not be zero")
    out = new_like(f, ins, src, DT_FLOAT32)
    if out == NULL:
        return -1
    npix = im.height * im.width
    d = <float*>out.data
    for c in range(cn):
        fmean[c] = <float>mean[c]
        finv[c] = <float>(1.0 / <float>std[c])
        fscale[c] = <float>(1.0 / type_max(im.dtype)) if scaled else <float>1.0
    if im.dtype == DT_UINT8:
        # torchvision: (x / 255 - mean) / std, each step in float32
        for c in range(cn):
            for i in range(256):
                lut[c][i] = normalize_u8_value(<float>i, scaled, fmean[c], <float>std[c])
        s = <const uint8_t*>im.data
        if cn == 1:
            for i in range(npix):
                d[i] = lut[0][s[i]]
        elif cn == 3:
            for i in range(npix):
                d[3 * i] = lut[0][s[3 * i]]
                d[3 * i + 1] = lut[1][s[3 * i + 1]]
                d[3 * i + 2] = lut[2][s[3 * i + 2]]
        else:
            for i in range(npix):
                for c in range(cn):
                    d[cn * i + c] = lut[c][s[cn * i + c]]
    elif im.dtype == DT_UINT16:
        normalize_values(<const uint16_t*>im.data, d, npix, cn, fscale, fmean, finv)
    elif im.dtype == DT_INT16:
        normalize_values(<const int16_t*>im.data, d, npix, cn, fscale, fmean, finv)
    else:
        normalize_values(<const float*>im.data, d, npix, cn, fscale, fmean, finv)
    return 0


cdef cloned_void min_max(const pixel_t* s, Py_ssize_t n, double* lo, double* hi) noexcept nogil:
    cdef Py_ssize_t i
    cdef pixel_t mn = 0, mx = 0
    cdef int32_t bits, key, kmin, kmax, kmin_item, kmax_item, nan
    cdef float fmin, fmax
    if pixel_t is float:
        # In integer keys (the bits, with the magnitude of negative values
        # flipped) float order is integer order, and integer min/max
        # vectorise; NaN keys are left out.
        kmin = 2147483647
        kmax = -2147483647 - 1
        for i in range(n):
            memcpy(&bits, &s[i], 4)
            key = bits ^ ((bits >> 31) & 0x7fffffff)
            nan = (0x7f800000 - (bits & 0x7fffffff)) >> 31        # -1 for NaN, else 0
            kmin_item = (key & ~nan) | (2147483647 & nan)          # (selects by masks:
            kmax_item = (key & ~nan) | ((-2147483647 - 1) & nan)   # GCC vectorises these)
            kmin = kmin_item if kmin_item < kmin else kmin
            kmax = kmax_item if kmax_item > kmax else kmax
        if kmin > kmax:         # empty, or NaN only
            lo[0] = 0
            hi[0] = 0
        else:
            kmin = kmin ^ ((kmin >> 31) & 0x7fffffff)
            kmax = kmax ^ ((kmax >> 31) & 0x7fffffff)
            memcpy(&fmin, &kmin, 4)
            memcpy(&fmax, &kmax, 4)
            lo[0] = fmin
            hi[0] = fmax
    elif n == 0:
        lo[0] = 0
        hi[0] = 0
    else:
        mn = s[0]
        mx = s[0]
        for i in range(n):
            mn = s[i] if s[i] < mn else mn
            mx = s[i] if s[i] > mx else mx
        lo[0] = mn
        hi[0] = mx


cdef cloned_void affine_values(const pixel_t* s, char* dst, int out_dtype, Py_ssize_t n,
                               double a, double b) noexcept nogil:
    """``a x + b`` into ``out_dtype``: rounded to nearest and saturated for
    integers, as ``Mat.convertTo``."""
    cdef Py_ssize_t i
    cdef float af = <float>a, bf = <float>b
    if out_dtype == DT_FLOAT32:
        for i in range(n):
            (<float*>dst)[i] = depth_to_f32(<float>s[i], a, b)
    elif out_dtype == DT_UINT8:
        for i in range(n):
            (<uint8_t*>dst)[i] = <uint8_t><int32_t>depth_to_unsigned(<float>s[i], af, bf,
                                                                     <float>255.0)
    elif out_dtype == DT_UINT16:
        for i in range(n):
            (<uint16_t*>dst)[i] = <uint16_t><int32_t>depth_to_unsigned(<float>s[i], af, bf,
                                                                       <float>65535.0)
    else:
        for i in range(n):
            (<int16_t*>dst)[i] = <int16_t><int32_t>depth_to_int16(<float>s[i], af, bf)


cdef int affine_convert(Frame* f, const Instr* ins, ImageView* im, Value* src, int out_dtype,
                        double a, double b) noexcept nogil:
    cdef Value* out = new_like(f, ins, src, out_dtype)
    cdef Py_ssize_t n = im.height * im.width * im.channels
    cdef uint8_t lut[256]
    cdef uint16_t lut16[256]
    cdef Py_ssize_t i
    cdef int k
    cdef double lo, hi
    if out == NULL:
        return -1
    if out_dtype == im.dtype and a == 1.0 and b == 0.0:
        memcpy(out.data, im.data, n * itemsize(out_dtype))
    elif im.dtype == DT_UINT8 and out_dtype != DT_FLOAT32:
        # a table, computed in double and rounded to nearest (ties to even)
        lo = -32768.0 if out_dtype == DT_INT16 else 0.0
        hi = type_max(out_dtype)
        for k in range(256):
            lut16[k] = <uint16_t><int32_t>depth_u8_to_int(<float>k, a, b, lo, hi)
            lut[k] = <uint8_t>lut16[k]
        if out_dtype == DT_UINT8:
            apply_lut_u8(<const uint8_t*>im.data, <uint8_t*>out.data, n, lut)
        else:
            for i in range(n):
                (<uint16_t*>out.data)[i] = lut16[(<const uint8_t*>im.data)[i]]
    elif im.dtype == DT_UINT8:
        affine_values(<const uint8_t*>im.data, out.data, out_dtype, n, a, b)
    elif im.dtype == DT_UINT16:
        affine_values(<const uint16_t*>im.data, out.data, out_dtype, n, a, b)
    elif im.dtype == DT_INT16:
        affine_values(<const int16_t*>im.data, out.data, out_dtype, n, a, b)
    else:
        affine_values(<const float*>im.data, out.data, out_dtype, n, a, b)
    return 0


cdef int k_normalize_minmax(Frame* f, const Instr* ins) noexcept nogil:
    """cv2.normalize(NORM_MINMAX).  iparams: [output dtype]; inputs: image,
    low, high."""
    cdef ImageView im
    cdef double low, high, dmin, dmax, smin, smax, scale, shift
    cdef int out_dtype
    cdef Py_ssize_t n
    if ins.n_iparams < 1:
        return fail(f, BAD_PARAMS)
    out_dtype = <int>iparam(f, ins, 0)
    if out_dtype != DT_UINT8 and out_dtype != DT_UINT16 and out_dtype != DT_INT16 \
            and out_dtype != DT_FLOAT32:
        return fail(f, BAD_PARAMS)
    if get_image(f, ins, 0, &im) < 0:
        return -1
    if get_scalar(f, ins, 1, "low", &low) < 0 or get_scalar(f, ins, 2, "high", &high) < 0:
        return -1
    n = im.height * im.width * im.channels
    if im.dtype == DT_UINT8:
        min_max(<const uint8_t*>im.data, n, &smin, &smax)
    elif im.dtype == DT_UINT16:
        min_max(<const uint16_t*>im.data, n, &smin, &smax)
    elif im.dtype == DT_INT16:
        min_max(<const int16_t*>im.data, n, &smin, &smax)
    else:
        min_max(<const float*>im.data, n, &smin, &smax)
    dmin = low if low < high else high
    dmax = high if low < high else low
    scale = (dmax - dmin) * (1.0 / (smax - smin) if smax - smin > 2.220446049250313e-16 else 0.0)
    shift = dmin - smin * scale
    return affine_convert(f, ins, &im, arg(f, ins, 0), out_dtype, scale, shift)


cdef int k_convert_depth(Frame* f, const Instr* ins) noexcept nogil:
    """Scale by the ratio of the types' ranges (uint8 255, uint16 65535,
    int16 32767, float32 1.0).  iparams: [output dtype]."""
    cdef ImageView im
    cdef int out_dtype
    cdef Value* src = arg(f, ins, 0)
    cdef Value* out
    cdef Py_ssize_t i, n
    if ins.n_iparams < 1:
        return fail(f, BAD_PARAMS)
    out_dtype = <int>iparam(f, ins, 0)
    if out_dtype != DT_UINT8 and out_dtype != DT_UINT16 and out_dtype != DT_INT16 \
            and out_dtype != DT_FLOAT32:
        return fail(f, BAD_PARAMS)
    if get_image(f, ins, 0, &im) < 0:
        return -1
    n = im.height * im.width * im.channels
    if out_dtype == im.dtype:
        out = new_like(f, ins, src, out_dtype)
        if out == NULL:
            return -1
        memcpy(out.data, im.data, n * itemsize(out_dtype))
        return 0
    if im.dtype == DT_UINT8 and out_dtype == DT_FLOAT32:
        # x / 255 correctly rounded, like skimage's img_as_float32 and torchvision
        out = new_like(f, ins, src, out_dtype)
        if out == NULL:
            return -1
        u8_to_f32(<const uint8_t*>im.data, <float*>out.data, n)
        return 0
    if im.dtype == DT_UINT16 and out_dtype == DT_UINT8:
        # round(x / 257) in integers (never a tie: 257 is odd)
        out = new_like(f, ins, src, out_dtype)
        if out == NULL:
            return -1
        u16_to_u8(<const uint16_t*>im.data, <uint8_t*>out.data, n)
        return 0
    return affine_convert(f, ins, &im, src, out_dtype,
                          type_max(out_dtype) / type_max(im.dtype), 0.0)


cdef cloned_void u8_to_f32(const uint8_t* s, float* d, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        d[i] = depth_u8_to_f32(<float>s[i])


cdef cloned_void u16_to_u8(const uint16_t* s, uint8_t* d, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        d[i] = <uint8_t>((<uint32_t>s[i] + 128u) // 257u)


# ---------------------------------------------------------------- blend

cdef cloned_void blend_two(const pixel_t* a, const pixel_t* b, pixel_t* d, Py_ssize_t n,
                           float wa, float wb) noexcept nogil:
    """``a wa + b wb`` in float32, rounded and saturated for integers."""
    cdef Py_ssize_t i
    cdef float v, lo, hi
    if pixel_t is uint8_t:
        lo, hi = 0, 255
        if wa >= 0 and wb >= 0 and wa + wb <= <float>1.0000002:
            # a convex blend stays in [0, 255.5): no clamping needed
            for i in range(n):
                d[i] = <uint8_t><int32_t>round_even_f(<float>a[i] * wa + <float>b[i] * wb)
            return
    elif pixel_t is uint16_t:
        lo, hi = 0, 65535
    else:
        lo, hi = -32768, 32767
    for i in range(n):
        v = <float>a[i] * wa + <float>b[i] * wb
        if pixel_t is float:
            d[i] = v
        else:
            v = lo if v < lo else v
            v = hi if v > hi else v
            d[i] = <pixel_t><int32_t>round_even_f(v)


cdef int k_blend(Frame* f, const Instr* ins) noexcept nogil:
    """cv2.addWeighted(a, 1 - alpha, b, alpha, 0); inputs a, b, alpha."""
    cdef ImageView a, b
    cdef Value* va = arg(f, ins, 0)
    cdef Value* vb = arg(f, ins, 1)
    cdef Value* out
    cdef double alpha
    cdef Py_ssize_t n
    cdef int k
    if get_image(f, ins, 0, &a) < 0 or get_image(f, ins, 1, &b) < 0:
        return -1
    if a.dtype != b.dtype:
        snprintf(f.error, ERROR_SIZE, "blended images must have one type, got %s and %s",
                 dtype_name(a.dtype), dtype_name(b.dtype))
        return -1
    if va.ndim != vb.ndim or a.height != b.height or a.width != b.width \
            or a.channels != b.channels:
        snprintf(f.error, ERROR_SIZE,
                 "blended images must have one shape, got %zd x %zd x %zd and %zd x %zd x %zd",
                 a.height, a.width, a.channels, b.height, b.width, b.channels)
        return -1
    if get_scalar(f, ins, 2, "alpha", &alpha) < 0:
        return -1
    if not (fabs(alpha) < 1e30):
        snprintf(f.error, ERROR_SIZE, "alpha must be finite, got %g", alpha)
        return -1
    out = new_like(f, ins, va, a.dtype)
    if out == NULL:
        return -1
    n = a.height * a.width * a.channels
    if a.dtype == DT_UINT8:
        blend_two(<const uint8_t*>a.data, <const uint8_t*>b.data, <uint8_t*>out.data, n,
                  <float>(1.0 - alpha), <float>alpha)
    elif a.dtype == DT_UINT16:
        blend_two(<const uint16_t*>a.data, <const uint16_t*>b.data, <uint16_t*>out.data, n,
                  <float>(1.0 - alpha), <float>alpha)
    elif a.dtype == DT_INT16:
        blend_two(<const int16_t*>a.data, <const int16_t*>b.data, <int16_t*>out.data, n,
                  <float>(1.0 - alpha), <float>alpha)
    else:
        blend_two(<const float*>a.data, <const float*>b.data, <float*>out.data, n,
                  <float>(1.0 - alpha), <float>alpha)
    return 0


# ================================================================ channels and layout

cdef cloned_void gather_channels(const pixel_t* s, pixel_t* d, Py_ssize_t npix, Py_ssize_t cn,
                                 const Py_ssize_t* idx, Py_ssize_t m) noexcept nogil:
    cdef Py_ssize_t i, k
    cdef const pixel_t* p
    if m == 1:
        p = s + idx[0]
        if cn == 3:
            for i in range(npix):
                d[i] = p[3 * i]
        elif cn == 4:
            for i in range(npix):
                d[i] = p[4 * i]
        else:
            for i in range(npix):
                d[i] = p[cn * i]
    elif m == 3 and cn == 3 and idx[0] == 2 and idx[1] == 1 and idx[2] == 0:
        swap_rb(s, d, npix, 3, 3)
    elif m == 3 and cn == 3:
        for i in range(npix):
            d[3 * i] = s[3 * i + idx[0]]
            d[3 * i + 1] = s[3 * i + idx[1]]
            d[3 * i + 2] = s[3 * i + idx[2]]
    else:
        for i in range(npix):
            for k in range(m):
                d[m * i + k] = s[cn * i + idx[k]]


cdef int select_into(Frame* f, const Instr* ins, ImageView* im, const Py_ssize_t* idx,
                     Py_ssize_t m, int ndim) noexcept nogil:
    cdef Value* out = new_hwc(f, ins, im.dtype, im.height, im.width, m, ndim)
    cdef Py_ssize_t npix = im.height * im.width
    cdef Py_ssize_t size
    if out == NULL:
        return -1
    size = itemsize(im.dtype)
    if size == 1:
        gather_channels(<const uint8_t*>im.data, <uint8_t*>out.data, npix, im.channels, idx, m)
    elif size == 2:
        gather_channels(<const uint16_t*>im.data, <uint16_t*>out.data, npix, im.channels, idx, m)
    else:
        gather_channels(<const float*>im.data, <float*>out.data, npix, im.channels, idx, m)
    return 0


cdef int k_select_channels(Frame* f, const Instr* ins) noexcept nogil:
    """iparams: [mode]; inputs: image, channel indices (a 0-d or 1-D integer
    tensor).  Mode 0 selects the listed channels (negative indices count from
    the end; a 0-d index gives an H x W image); mode 1 takes a permutation of
    range(4) and keeps, in order, its entries below the channel count (a
    uniformly random permutation stays uniform)."""
    cdef ImageView im
    cdef Value* v = arg(f, ins, 1)
    cdef Py_ssize_t idx[4]
    cdef Py_ssize_t k, m, cn
    cdef int64_t j
    cdef int mode, seen = 0
    if ins.n_iparams < 1:
        return fail(f, BAD_PARAMS)
    mode = <int>iparam(f, ins, 0)
    if get_image(f, ins, 0, &im) < 0:
        return -1
    cn = im.channels
    if v.kind != KIND_TENSOR or v.ndim > 1 or v.dtype == DT_FLOAT32 or v.dtype == DT_FLOAT64:
        return fail(f, "channels must be an integer or a 1-D sequence of integers")
    if mode == 1:
        m = 0
        if v.length != 4:
            return fail(f, "channel shuffle needs a permutation of 4 entries")
        for k in range(4):
            j = load_int(v.data + k * itemsize(v.dtype), v.dtype)
            if j < 0 or j >= 4 or (seen >> j) & 1:
                return fail(f, "channel shuffle needs a permutation of range(4)")
            seen |= 1 << j
            if j < cn:
                idx[m] = <Py_ssize_t>j
                m += 1
        if m != cn:
            return fail(f, "channel shuffle needs a permutation of range(4)")
        return select_into(f, ins, &im, idx, m, im.ndim)
    m = v.length
    if m < 1 or m > 4:
        snprintf(f.error, ERROR_SIZE, "select 1 to 4 channels, got %zd", m)
        return -1
    for k in range(m):
        j = load_int(v.data + k * itemsize(v.dtype), v.dtype)
        if j < -cn or j >= cn:
            snprintf(f.error, ERROR_SIZE, "channel %lld out of range for an image of %zd channels",
                     <long long>j, cn)
            return -1
        idx[k] = <Py_ssize_t>(j + cn if j < 0 else j)
    return select_into(f, ins, &im, idx, m, 2 if v.ndim == 0 else 3)


cdef int k_merge_channels(Frame* f, const Instr* ins) noexcept nogil:
    """Single-channel images (inputs) -> one H x W x N image."""
    cdef ImageView ims[4]
    cdef const char* planes[4]
    cdef Value* out
    cdef Py_ssize_t npix, i, k, m = ins.n_args
    cdef Py_ssize_t size
    if m < 1 or m > 4:
        return fail(f, BAD_PARAMS)
    for k in range(m):
        if get_image(f, ins, <int>k, &ims[k]) < 0:
            return -1
        if ims[k].channels != 1:
            snprintf(f.error, ERROR_SIZE, "merged image %zd has %zd channels, not 1",
                     k, ims[k].channels)
            return -1
        if ims[k].dtype != ims[0].dtype:
            snprintf(f.error, ERROR_SIZE, "merged image %zd is %s, image 0 is %s", k,
                     dtype_name(ims[k].dtype), dtype_name(ims[0].dtype))
            return -1
        if ims[k].height != ims[0].height or ims[k].width != ims[0].width:
            snprintf(f.error, ERROR_SIZE, "merged image %zd is %zd x %zd, image 0 is %zd x %zd",
                     k, ims[k].height, ims[k].width, ims[0].height, ims[0].width)
            return -1
    out = new_hwc(f, ins, ims[0].dtype, ims[0].height, ims[0].width, m, 3)
    if out == NULL:
        return -1
    npix = ims[0].height * ims[0].width
    size = itemsize(ims[0].dtype)
    for k in range(m):
        planes[k] = ims[k].data
    if size == 1:
        interleave(<const uint8_t**>planes, <uint8_t*>out.data, npix, m)
    elif size == 2:
        interleave(<const uint16_t**>planes, <uint16_t*>out.data, npix, m)
    else:
        interleave(<const float**>planes, <float*>out.data, npix, m)
    return 0


cdef cloned_void interleave(const pixel_t** s, pixel_t* d, Py_ssize_t n,
                            Py_ssize_t m) noexcept nogil:
    cdef Py_ssize_t i, k
    cdef const pixel_t* a = s[0]
    cdef const pixel_t* b = s[1] if m > 1 else s[0]
    cdef const pixel_t* c = s[2] if m > 2 else s[0]
    cdef const pixel_t* e = s[3] if m > 3 else s[0]
    if m == 1:
        memcpy(d, a, n * sizeof(pixel_t))
    elif m == 2:
        for i in range(n):
            d[2 * i] = a[i]
            d[2 * i + 1] = b[i]
    elif m == 3:
        for i in range(n):
            d[3 * i] = a[i]
            d[3 * i + 1] = b[i]
            d[3 * i + 2] = c[i]
    else:
        for i in range(n):
            d[4 * i] = a[i]
            d[4 * i + 1] = b[i]
            d[4 * i + 2] = c[i]
            d[4 * i + 3] = e[i]


cdef cloned_void planes_from_hwc(const pixel_t* s, pixel_t* d, Py_ssize_t n,
                                 Py_ssize_t cn) noexcept nogil:
    cdef Py_ssize_t i, c
    if cn == 3:
        for i in range(n):
            d[i] = s[3 * i]
            d[n + i] = s[3 * i + 1]
            d[2 * n + i] = s[3 * i + 2]
    elif cn == 4:
        for i in range(n):
            d[i] = s[4 * i]
            d[n + i] = s[4 * i + 1]
            d[2 * n + i] = s[4 * i + 2]
            d[3 * n + i] = s[4 * i + 3]
    else:
        for c in range(cn):
            for i in range(n):
                d[c * n + i] = s[cn * i + c]


cdef int k_to_chw(Frame* f, const Instr* ins) noexcept nogil:
    cdef ImageView im
    cdef Value* out
    cdef Py_ssize_t shape[3]
    cdef Py_ssize_t n, size
    if get_image(f, ins, 0, &im) < 0:
        return -1
    shape[0] = im.channels
    shape[1] = im.height
    shape[2] = im.width
    out = new_tensor(f, ins, im.dtype, 3, shape)
    if out == NULL:
        return -1
    n = im.height * im.width
    size = itemsize(im.dtype)
    if im.channels == 1:
        memcpy(out.data, im.data, n * size)
    elif size == 1:
        planes_from_hwc(<const uint8_t*>im.data, <uint8_t*>out.data, n, im.channels)
    elif size == 2:
        planes_from_hwc(<const uint16_t*>im.data, <uint16_t*>out.data, n, im.channels)
    else:
        planes_from_hwc(<const float*>im.data, <float*>out.data, n, im.channels)
    return 0


KERNELS = {
    "color_convert": <uintptr_t>k_color_convert,
    "color_brightness": <uintptr_t>k_brightness,
    "color_contrast": <uintptr_t>k_contrast,
    "color_saturation": <uintptr_t>k_saturation,
    "color_hue": <uintptr_t>k_hue,
    "color_gamma": <uintptr_t>k_gamma,
    "color_invert": <uintptr_t>k_invert,
    "color_solarize": <uintptr_t>k_solarize,
    "color_posterize": <uintptr_t>k_posterize,
    "color_threshold": <uintptr_t>k_threshold,
    "color_equalize_hist": <uintptr_t>k_equalize_hist,
    "color_clahe": <uintptr_t>k_clahe,
    "color_normalize": <uintptr_t>k_normalize,
    "color_normalize_minmax": <uintptr_t>k_normalize_minmax,
    "color_convert_depth": <uintptr_t>k_convert_depth,
    "color_blend": <uintptr_t>k_blend,
    "color_select_channels": <uintptr_t>k_select_channels,
    "color_merge_channels": <uintptr_t>k_merge_channels,
    "color_to_chw": <uintptr_t>k_to_chw,
}
