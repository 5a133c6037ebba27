# The arithmetic of the per-pixel operations, one value at a time.
#
# These inline functions are the single definition of what Brightness,
# Contrast, Saturation, Hue, Gamma, Invert, Solarize, Posterize, Normalize and
# ConvertDepth compute for one element (or one pixel, for the ops that mix
# channels).  The fused kernel of ``_ops_pixel.pyx`` runs them on blocks of
# float32 values; the single-op kernels of ``_ops_color.pyx`` run them on
# their typed elements.  Both must give the same bits, so every
# function spells out its float32/float64 steps in the order torchvision (or
# the type conversion) performs them; the build forbids contraction into
# fused multiply-adds, and nothing here reassociates.
#
# An integer image value is carried as the float32 holding that integer
# (exact for uint8, uint16 and int16): ``to_level`` truncates a result back
# to an integer the way ``<pixel_t><int32_t>v`` does.  A single kernel
# stores a result with that cast instead: ``to_level`` and a float round
# trip per element would cost it a rounding and can stop GCC vectorising.

from libc.stdint cimport uint8_t, int16_t, uint16_t, int32_t, uint32_t, int64_t, uint64_t
from libc.string cimport memcpy
from libc.math cimport floor, floorf, pow, powf

cdef extern from "_simd.h" nogil:
    # a large helper of vectorised loops must be inlined into each target clone
    ctypedef void inline_pixel_void "PP_ALWAYS_INLINE void"


# ---------------------------------------------------------------- rounding

cdef inline float round_even_f(float x) noexcept nogil:
    """Nearest integer, ties to even, for ``|x| < 2**22`` (as cvRound), in
    IEEE operations only so that loops vectorise."""
    return (x + <float>12582912.0) - <float>12582912.0

cdef inline double round_even_d(double x) noexcept nogil:
    """``rint(x)`` for ``|x| < 2**51``."""
    return (x + 6755399441055744.0) - 6755399441055744.0

cdef inline float to_level(float v) noexcept nogil:
    """An in-range float result truncated toward zero to an integer level
    (``<pixel_t><int32_t>v`` for a value inside the type's range)."""
    return <float><int32_t>v


# ---------------------------------------------------------------- torchvision _blend

cdef inline float tv_gray(float r, float g, float b) noexcept nogil:
    """torchvision's rgb_to_grayscale of one pixel, in float32."""
    return (<float>0.2989 * r + <float>0.587 * g) + <float>0.114 * b

cdef inline float blend_clamp(float x, float a, float b, float hi) noexcept nogil:
    """``clamp(a x + b, 0, hi)`` in float32 (NaN stays NaN)."""
    cdef float v = a * x + b
    v = <float>0.0 if v < 0 else v
    return hi if v > hi else v

cdef inline float brightness_offset(double factor) noexcept nogil:
    """The ``b`` of ``blend_clamp`` for Brightness (blend with black)."""
    return <float>(1.0 - factor) * <float>0.0

cdef inline float contrast_offset(double factor, double mean) noexcept nogil:
    """The ``b`` of ``blend_clamp`` for Contrast: ``mean`` is rounded to
    float32 first, as the single kernel passes it."""
    return <float>(1.0 - factor) * <float><double><float>mean


# ---------------------------------------------------------------- hue

cdef inline inline_pixel_void tv_hue_hsv(float r, float g, float b, float shift, float* ho,
                                         float* so, float* vo) noexcept nogil:
    """torchvision's _rgb2hsv and (h + shift) % 1 in float32, operation for
    operation, as selects so that the loops vectorise."""
    cdef float maxc, minc, cr, sat, crd, base, num_p, num_q, h
    cdef bint eq, is_r, is_g
    maxc = g if r < g else r
    maxc = b if maxc < b else maxc
    minc = g if r > g else r
    minc = b if minc > b else minc
    eq = maxc == minc
    cr = maxc - minc
    sat = cr / (<float>1.0 if eq else maxc)
    crd = <float>1.0 if eq else cr
    # torchvision adds the three cases multiplied by their masks:
    # m_r (bc - gc) + m_g (2 + rc - bc) + m_b (4 + gc - rc), xc = (maxc - x) / crd.
    # Only the case's own term is computed, with its two quotients (two
    # divisions instead of three); the other terms are zeros, so the sum is
    # that term, up to the sign of a zero, which + 1 below removes.  A NaN
    # in a dropped term (inf - inf, inf / inf) is always in the kept one too.
    is_r = maxc == r
    is_g = maxc == g
    base = <float>0.0 if is_r else (<float>2.0 if is_g else <float>4.0)
    num_p = maxc - (b if is_r else (r if is_g else g))
    num_q = maxc - (g if is_r else (b if is_g else r))
    h = base + num_p / crd - num_q / crd
    h = h / <float>6.0 + <float>1.0
    h = h - floorf(h)                          # torch.fmod(h, 1) for h >= 0
    h = h + shift
    h = h - floorf(h)                          # torch.remainder(h, 1)
    ho[0] = h
    so[0] = sat
    vo[0] = maxc

cdef inline inline_pixel_void tv_hsv_rgb(float h, float sat, float v, float* ro, float* go,
                                         float* bo) noexcept nogil:
    """torchvision's _hsv2rgb in float32, as ``tv_hue_hsv``."""
    cdef float f6, fr, p, q, t, odd, qt
    cdef int i
    f6 = h * <float>6.0
    fr = floorf(f6)
    i = <int>fr
    fr = f6 - fr
    i = i - 6 if i >= 6 else i                 # i % 6 for i in 0..6
    p = v * (<float>1.0 - sat)
    q = v * (<float>1.0 - sat * fr)
    t = v * (<float>1.0 - sat * (<float>1.0 - fr))
    p = <float>0.0 if p < 0 else (<float>1.0 if p > 1 else p)
    q = <float>0.0 if q < 0 else (<float>1.0 if q > 1 else q)
    t = <float>0.0 if t < 0 else (<float>1.0 if t > 1 else t)
    # (r, g, b) by sector: (v,t,p) (q,v,p) (p,v,t) (p,q,v) (t,p,v) (v,p,q).
    # torchvision sums mask * value over the sectors; with q in odd sectors
    # where t is in even ones, three masked terms per channel are the same
    # sum without its zero terms (and any NaN or infinity still reaches all
    # three channels, as there)
    odd = <float>(i & 1)
    qt = odd * q + (<float>1.0 - odd) * t
    ro[0] = (<float>((i == 0) | (i == 5)) * v + <float>((i == 1) | (i == 4)) * qt
             + <float>((i == 2) | (i == 3)) * p)
    go[0] = (<float>((i == 1) | (i == 2)) * v + <float>((i == 0) | (i == 3)) * qt
             + <float>(i >= 4) * p)
    bo[0] = (<float>((i == 3) | (i == 4)) * v + <float>((i == 2) | (i == 5)) * qt
             + <float>(i < 2) * p)

cdef inline inline_pixel_void tv_hue_shift(float r, float g, float b, float shift, float* ro,
                                           float* go, float* bo) noexcept nogil:
    """torchvision's adjust_hue of one pixel of floats in [0, 1]."""
    cdef float h, sat, v
    tv_hue_hsv(r, g, b, shift, &h, &sat, &v)
    tv_hsv_rgb(h, sat, v, ro, go, bo)

cdef inline float hue_u8_level(float x) noexcept nogil:
    """A hue result in [0, 1] back to uint8, as ``convert_image_dtype``."""
    return <float><int32_t>(x * <float>(255.0 + 1.0 - 1e-3))

cdef inline float hue_u16_level(float x) noexcept nogil:
    """A hue result back to uint16; torchvision's 65535.999 is 65536 in
    float32, so 1.0 would wrap: it saturates to 65535 instead."""
    cdef int32_t v = <int32_t>(x * <float>(65535.0 + 1.0 - 1e-3))
    return <float>(v if v < 65535 else 65535)


# ---------------------------------------------------------------- gamma

cdef inline float tv_gamma(float x, double gamma, float gain) noexcept nogil:
    """torchvision's adjust_gamma on a float value: clamp(gain x**gamma, 0, 1)."""
    cdef float v = gain * <float>pow(x, gamma)
    v = <float>0.0 if v < 0 else v
    return <float>1.0 if v > 1 else v

cdef inline float gamma_u8_level(float x, double gamma, float gain) noexcept nogil:
    """Gamma of a uint8 level (``gamma`` already rounded to float32)."""
    return <float><uint8_t>(tv_gamma(x / <float>255.0, gamma, gain) * <float>255.999)

cdef inline int32_t gamma_u16_int(float x, double gamma, float gain) noexcept nogil:
    """Gamma of a uint16 level, as an integer (torchvision's 65535.999 is
    65536 in float32: saturated to 65535, as ``hue_u16_level``)."""
    cdef int32_t v = <int32_t>(tv_gamma(x / <float>65535.0, gamma, gain) * <float>65535.999)
    return v if v < 65535 else 65535

cdef inline float gamma_u16_level(float x, double gamma, float gain) noexcept nogil:
    return <float>gamma_u16_int(x, gamma, gain)

cdef inline double log2_unit(double x) noexcept nogil:
    """log2 of x in (0, 1] (a float widened to double, so never subnormal):
    exponent by bits, ln of the mantissa by its atanh series (error < 1e-9,
    ample for a float32 result)."""
    cdef uint64_t bits, mbits
    cdef double e, m, t, t2, p
    memcpy(&bits, &x, 8)
    mbits = (bits >> 52) | (<uint64_t>0x43300000 << 32)
    memcpy(&e, &mbits, 8)
    e = e - (4503599627370496.0 + 1023.0)
    mbits = (bits & ((<uint64_t>1 << 52) - 1)) | (<uint64_t>1023 << 52)
    memcpy(&m, &mbits, 8)                               # m in [1, 2)
    p = <double>(m > 1.4142135623730951)                # 1 when m is halved
    m = m * (1.0 - 0.5 * p)
    t = (m - 1.0) / (m + 1.0)                           # |t| < 0.1716
    t2 = t * t
    p = e + p
    return p + (2.0 * 1.4426950408889634) * t * (
        1.0 + t2 * (1.0 / 3 + t2 * (1.0 / 5 + t2 * (1.0 / 7 + t2 * (1.0 / 9)))))

cdef inline double exp2_neg(double y) noexcept nogil:
    """2 ** y for y <= 0 (2 ** -1022 below that): integer part by the
    1.5 * 2**52 trick, fraction by Taylor series (relative error < 3e-10)."""
    cdef double big, n, t
    cdef uint64_t bits
    cdef int64_t k
    y = -1022.0 if y < -1022.0 else y
    big = y + 6755399441055744.0
    memcpy(&bits, &big, 8)
    k = <int64_t>(<int32_t>(<uint32_t>bits))
    n = big - 6755399441055744.0
    t = (y - n) * 0.6931471805599453
    bits = <uint64_t>(k + 1023) << 52
    memcpy(&big, &bits, 8)
    return big * (1.0 + t * (1.0 + t * (1.0 / 2 + t * (1.0 / 6 + t * (1.0 / 24 + t * (
        1.0 / 120 + t * (1.0 / 720 + t * (1.0 / 5040 + t * (1.0 / 40320)))))))))

cdef inline float gamma_unit_value(float s, double gamma, float gain) noexcept nogil:
    """float32 gamma of ``s``, right for ``s`` in (0, 1] (other values give
    the gamma of 1; ``gamma_other_value`` handles them)."""
    cdef double x = s
    cdef float v
    x = x if (x > 0) & (x <= 1) else 1.0
    v = gain * <float>exp2_neg(gamma * log2_unit(x))
    v = <float>0.0 if v < 0 else v
    return <float>1.0 if v > 1 else v

cdef inline float gamma_other_value(float s, float gamma, float gain) noexcept nogil:
    """float32 gamma of ``s`` outside (0, 1] (0, > 1, negative, NaN): libm's powf."""
    cdef float v = gain * powf(s, gamma)
    v = <float>0.0 if v < 0 else v
    return <float>1.0 if v > 1 else v


# ---------------------------------------------------------------- invert, solarize, posterize

cdef inline float invert_value(float x, float hi, bint is_int16) noexcept nogil:
    """``hi - x`` (255, 65535, 32767 or 1.0); int16 saturates at 32767."""
    cdef float v = hi - x
    if is_int16:
        v = <float>32767.0 if v > 32767 else v
    return v

cdef inline int32_t solarize_level(double threshold) noexcept nogil:
    """The smallest integer that Solarize inverts: ``x >= t`` compared in
    float32 is ``x >= ceil(t)`` for integers; kept within +-65536."""
    cdef float t = <float>threshold
    cdef double c = floor(t)
    if c < t:
        c += 1
    if c > 65536.0:
        c = 65536.0
    if c < -65536.0:
        c = -65536.0
    return <int32_t>c

cdef inline uint8_t posterize_mask(int64_t bits) noexcept nogil:
    return <uint8_t>((0xFF << (8 - bits)) & 0xFF)


# ---------------------------------------------------------------- normalize, depth

cdef inline float normalize_u8_value(float x, bint scaled, float mean,
                                            float std) noexcept nogil:
    """torchvision on a uint8 value: ``(x / 255 - mean) / std`` in float32."""
    return ((x / <float>255.0 if scaled else x) - mean) / std

cdef inline float normalize_value(float x, float scale, float mean,
                                         float inv_std) noexcept nogil:
    """Other types: ``(x * scale - mean) * inv_std`` in float32."""
    return (x * scale - mean) * inv_std

cdef inline float depth_u8_to_f32(float x) noexcept nogil:
    """uint8 -> float32: ``x / 255`` correctly rounded."""
    return x / <float>255.0

cdef inline float depth_u16_to_u8(float x) noexcept nogil:
    """uint16 -> uint8: ``round(x / 257)`` in integers (257 is odd: no ties)."""
    return <float>((<uint32_t>x + 128u) // 257u)

cdef inline float depth_u8_to_int(float x, double a, double b, double lo,
                                  double hi) noexcept nogil:
    """uint8 -> an integer type (ConvertDepth to uint16 / int16: ``b = 0``;
    NormalizeMinMax's table): ``a x + b`` in double, saturated to
    ``[lo, hi]``, rounded to nearest (ties to even)."""
    cdef double v = a * <double><int32_t>x + b
    v = lo if not (v > lo) else (hi if v > hi else v)
    return <float>round_even_d(v)

cdef inline float depth_to_f32(float x, double a, double b) noexcept nogil:
    """To float32 (ConvertDepth from uint16 / int16: ``b = 0``): ``a x + b``
    in double, rounded to float32."""
    return <float>(a * x + b)

cdef inline float depth_to_unsigned(float x, float a, float b, float hi) noexcept nogil:
    """To uint8 or uint16 (ConvertDepth: ``b = 0``), as ``Mat.convertTo``:
    ``a x + b`` in float32, NaN -> 0, saturated to ``[0, hi]``, rounded to
    nearest (ties to even).  The result is already an integer (+0.0, never
    -0.0): it needs no ``to_level``."""
    cdef float v = a * x + b
    v = <float>0.0 if not (v > 0) else v
    v = hi if v > hi else v
    return round_even_f(v)

cdef inline float depth_to_int16(float x, float a, float b) noexcept nogil:
    """To int16, likewise (NaN -> 0, saturated to [-32768, 32767])."""
    cdef float v = a * x + b
    v = v if v == v else <float>0.0
    v = <float>-32768.0 if v < -32768 else v
    v = <float>32767.0 if v > 32767 else v
    return round_even_f(v)
