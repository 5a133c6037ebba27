# Interpolation kernels shared by resize and the warps.
#
# Every ``*_weights(t, w)`` function fills the tap weights for a sample at
# fractional position ``t`` in [0, 1) past the integer pixel ``i0`` (the
# sample sits at ``i0 + t``).  The taps are consecutive source pixels starting
# at ``i0 - (taps / 2 - 1)``:
#
#   linear    2 taps  i0,     i0 + 1
#   cubic     4 taps  i0 - 1 .. i0 + 2
#   lanczos4  8 taps  i0 - 3 .. i0 + 4
#
# so ``interp_first_tap(n) == -(n / 2 - 1)`` for every kernel, and the weights
# sum to 1 (up to rounding).  These are the conventions of OpenCV's
# INTER_LINEAR, INTER_CUBIC (Keys kernel, a = -0.75) and INTER_LANCZOS4
# (sinc(x) sinc(x / 4) over 8 taps, normalised to sum 1); resize and the warps
# round weights to fixed point the way OpenCV does with the helpers at the end.
#
# Everything here is ``noexcept nogil`` and allocation-free; the weight
# functions are meant for building coefficient tables (per output column/row
# or per 1/INTER_TAB_SIZE sub-pixel step), not for inner pixel loops.

from libc.math cimport sin, cos, fabs, M_PI
from libc.stdint cimport int32_t

cdef enum:
    # resize: weights in Q11 for uint8 (OpenCV INTER_RESIZE_COEF_BITS); a
    # separable pass multiplies two of them, so results carry 2 * 11 bits
    RESIZE_COEF_BITS = 11
    RESIZE_COEF_SCALE = 2048
    # warps/remap: sub-pixel positions quantised to 1/32 pixel and weights
    # in Q15 (OpenCV INTER_BITS, INTER_TAB_SIZE, INTER_REMAP_COEF_BITS)
    INTER_BITS = 5
    INTER_TAB_SIZE = 32
    REMAP_COEF_BITS = 15
    REMAP_COEF_SCALE = 32768

cdef inline int interp_taps(int interpolation) noexcept nogil:
    """Number of taps of an interpolation code (see _image.pxd
    ``Interpolation``): nearest 1, linear 2, cubic 4, lanczos 8; area (3) is
    not a fixed-tap kernel and reports 2 (its upscaling form is linear)."""
    if interpolation == 0:
        return 1
    if interpolation == 2:
        return 4
    if interpolation == 4:
        return 8
    return 2


cdef inline int interp_first_tap(int taps) noexcept nogil:
    """Offset of the first tap from ``floor(x)``: 0, -1 or -3."""
    return -(taps // 2 - 1) if taps > 1 else 0


cdef inline void linear_weights(double t, double* w) noexcept nogil:
    """2 taps at ``i0``, ``i0 + 1``: ``1 - t``, ``t``."""
    w[0] = 1.0 - t
    w[1] = t


cdef inline void cubic_weights_a(double t, double a, double* w) noexcept nogil:
    """4 taps at ``i0 - 1 .. i0 + 2`` of Keys' cubic convolution kernel

        W(x) = (a + 2)|x|^3 - (a + 3)|x|^2 + 1          |x| <= 1
        W(x) = a|x|^3 - 5a|x|^2 + 8a|x| - 4a            1 < |x| < 2

    evaluated at distances ``t + 1, t, 1 - t, 2 - t``; the last weight is
    ``1 - (the others)`` so the four sum to 1 exactly (as OpenCV does)."""
    cdef double x = t + 1.0
    w[0] = ((a * x - 5.0 * a) * x + 8.0 * a) * x - 4.0 * a
    w[1] = ((a + 2.0) * t - (a + 3.0)) * t * t + 1.0
    x = 1.0 - t
    w[2] = ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0
    w[3] = 1.0 - w[0] - w[1] - w[2]


cdef inline void cubic_weights(double t, double* w) noexcept nogil:
    """Keys cubic with ``a = -0.75`` (OpenCV INTER_CUBIC)."""
    cubic_weights_a(t, -0.75, w)


cdef inline void lanczos4_weights(double t, double* w) noexcept nogil:
    """8 taps at ``i0 - 3 .. i0 + 4`` of the Lanczos kernel with a = 4,

        L(x) = sinc(x) sinc(x / 4) = 4 sin(pi x) sin(pi x / 4) / (pi x)^2,

    at distances ``x_i = t + 3 - i``, normalised to sum 1 (OpenCV
    INTER_LANCZOS4).  A tap closer than 1e-6 to the sample counts as
    ``L(0) = 1``.  Uses three trigonometric calls: with ``k = 3 - i``,
    ``sin(pi x_i) = (-1)^k sin(pi t)`` and
    ``sin(pi x_i / 4) = sin(pi t / 4) cos(k pi / 4) + cos(pi t / 4) sin(k pi / 4)``."""
    cdef double s1 = sin(M_PI * t)
    cdef double a = 0.25 * M_PI * t
    cdef double sa = sin(a)
    cdef double ca = cos(a)
    cdef double r = 0.70710678118654752440      # sqrt(1/2)
    # cos(k pi / 4), sin(k pi / 4) for k = 3, 2, ..., -4
    cdef double ck[8]
    cdef double sk[8]
    cdef double x, sum = 0.0, sign
    cdef int i
    ck[0] = -r;  sk[0] = r       # k = 3
    ck[1] = 0.0; sk[1] = 1.0     # k = 2
    ck[2] = r;   sk[2] = r       # k = 1
    ck[3] = 1.0; sk[3] = 0.0     # k = 0
    ck[4] = r;   sk[4] = -r      # k = -1
    ck[5] = 0.0; sk[5] = -1.0    # k = -2
    ck[6] = -r;  sk[6] = -r      # k = -3
    ck[7] = -1.0; sk[7] = 0.0    # k = -4
    for i in range(8):
        x = t + 3.0 - i
        if fabs(x) < 1e-6:
            w[i] = 1.0
        else:
            sign = -1.0 if (i & 1) == 0 else 1.0     # (-1)^(3 - i)
            w[i] = 4.0 * sign * s1 * (sa * ck[i] + ca * sk[i]) / (M_PI * M_PI * x * x)
        sum += w[i]
    sum = 1.0 / sum
    for i in range(8):
        w[i] *= sum


cdef inline void interp_weights(int taps, double t, double* w) noexcept nogil:
    """Weights of the ``taps``-tap kernel (1, 2, 4 or 8) at ``t``; 1 tap is
    nearest (weight 1)."""
    if taps == 2:
        linear_weights(t, w)
    elif taps == 4:
        cubic_weights(t, w)
    elif taps == 8:
        lanczos4_weights(t, w)
    else:
        w[0] = 1.0


# ---------------------------------------------------------------- fixed point

cdef inline int32_t round_half_even(double x) noexcept nogil:
    """``x`` rounded to the nearest integer, ties to even (cvRound); the caller
    keeps ``x`` within int32."""
    cdef double f = x - <double>(<int32_t>x)      # truncation toward zero
    cdef int32_t n = <int32_t>x
    if f > 0.5 or (f == 0.5 and (n & 1)):
        return n + 1
    if f < -0.5 or (f == -0.5 and (n & 1)):
        return n - 1
    return n


cdef inline void fixed_weights(const double* w, int n, int32_t scale, int32_t* out,
                               bint exact_sum) noexcept nogil:
    """Round ``n`` weights to integers in units of ``1/scale`` (e.g.
    RESIZE_COEF_SCALE).  With ``exact_sum`` the largest weight absorbs the
    rounding error so the integers sum to ``scale`` exactly (flat images stay
    flat; OpenCV does this for its remap tables but not in resize)."""
    cdef int i, big = 0
    cdef int32_t total = 0
    for i in range(n):
        out[i] = round_half_even(w[i] * scale)
        total += out[i]
        if out[i] > out[big]:
            big = i
    if exact_sum and total != scale:
        out[big] += scale - total
