# Counter-based random numbers for kernels.
#
# A stream is keyed by (pipeline seed, stable node key) and counted by
# (block, sample index): draw k of node n in sample i is a pure function of
# (seed, key(n), i, k), whatever thread, batch or order computes it.  Only
# integer arithmetic, IEEE +-*/ and sqrt are used, so the bits are the same on
# every machine (the build disables floating-point contraction).

from libc.stdint cimport int64_t, uint64_t
from libc.math cimport frexp, ldexp, sqrt

cdef extern from "_philox.h" nogil:
    void pp_philox4x64_10(const uint64_t* ctr, const uint64_t* key, uint64_t* out)
    uint64_t pp_mulhilo64(uint64_t a, uint64_t b, uint64_t* hi)

ctypedef struct Rng:
    uint64_t key[2]
    uint64_t ctr[4]
    uint64_t buf[4]
    int pos

cdef inline void rng_init(Rng* r, uint64_t seed, uint64_t key, int64_t sample) noexcept nogil:
    r.key[0] = seed
    r.key[1] = key
    r.ctr[0] = 0
    r.ctr[1] = <uint64_t>sample
    r.ctr[2] = 0
    r.ctr[3] = 0
    r.pos = 4

cdef inline uint64_t rng_next64(Rng* r) noexcept nogil:
    if r.pos >= 4:
        pp_philox4x64_10(r.ctr, r.key, r.buf)
        r.ctr[0] += 1
        r.pos = 0
    r.pos += 1
    return r.buf[r.pos - 1]

cdef inline double rng_uniform(Rng* r) noexcept nogil:
    """Uniform double in [0, 1), 53 random bits."""
    return <double>(rng_next64(r) >> 11) * (1.0 / 9007199254740992.0)

cdef inline uint64_t rng_below(Rng* r, uint64_t n) noexcept nogil:
    """Unbiased integer in [0, n) (Lemire's method); 0 when n == 0."""
    cdef uint64_t hi, lo, t
    if n == 0:
        return 0
    lo = pp_mulhilo64(rng_next64(r), n, &hi)
    if lo < n:
        t = (0 - n) % n
        while lo < t:
            lo = pp_mulhilo64(rng_next64(r), n, &hi)
    return hi

cdef inline double det_log(double x) noexcept nogil:
    """Natural log of a positive finite ``x`` from IEEE basic operations only,
    so that it rounds identically everywhere (libm's ``log`` need not)."""
    # log(1 + f) = 2s + 2s^3/3 + ... with s = f / (2 + f), assembled as
    # f - (f^2/2 - s (f^2/2 + R)) (fdlibm's e_log.c): the large term f is
    # exact and added last, so the result is within 1 ulp; summing 2 s (1 +
    # R/2) instead lost up to 3 ulp near x = 1 (tests/test_random_core.py).
    cdef int e
    cdef double m = frexp(x, &e)
    cdef double f, s, z, r, hfsq, k
    if m < 0.70710678118654752440:
        m = m * 2.0
        e -= 1
    f = m - 1.0
    s = f / (2.0 + f)
    z = s * s
    r = 2.0 * z * (1.0 / 3 + z * (1.0 / 5 + z * (1.0 / 7 + z * (1.0 / 9 + z * (
        1.0 / 11 + z * (1.0 / 13 + z * (1.0 / 15 + z * (1.0 / 17 + z * (1.0 / 19 + z / 21)))))))))
    hfsq = 0.5 * f * f
    k = e
    return k * 6.93147180369123816490e-01 - (
        (hfsq - (s * (hfsq + r) + k * 1.90821492927058770002e-10)) - f)

cdef inline double det_exp(double x) noexcept nogil:
    """exp(x) for |x| <= 700 (clamped there) from IEEE basic operations and an
    exact ldexp (fdlibm's e_exp.c: x = k ln2 + r, a rational approximation of
    exp(r)), so that it rounds identically everywhere; within 1 ulp."""
    cdef int k
    cdef double hi, lo, r, z, c
    if x > 700.0:
        x = 700.0
    elif x < -700.0:
        x = -700.0
    k = <int>(x * 1.44269504088896338700e+00 + (0.5 if x >= 0.0 else -0.5))
    hi = x - k * 6.93147180369123816490e-01
    lo = k * 1.90821492927058770002e-10
    r = hi - lo
    z = r * r
    c = r - z * (1.66666666666666019037e-01 + z * (-2.77777777770155933842e-03 + z * (
        6.61375632143793436117e-05 + z * (-1.65339022054652515390e-06
                                          + z * 4.13813679705723846039e-08))))
    return ldexp(1.0 - ((lo - (r * c) / (2.0 - c)) - hi), k)

cdef inline double round_even(double x) noexcept nogil:
    """``x`` rounded half to even for ``|x| < 2**51``, without a libm call:
    adding and subtracting 1.5 * 2**52 leaves exactly the nearest integer
    (in the default rounding mode, as rint)."""
    return (x + 6755399441055744.0) - 6755399441055744.0

cdef inline double rng_normal(Rng* r) noexcept nogil:
    """Standard normal deviate (Marsaglia's polar method)."""
    cdef double u, v, s
    while True:
        u = 2.0 * rng_uniform(r) - 1.0
        v = 2.0 * rng_uniform(r) - 1.0
        s = u * u + v * v
        if 0.0 < s < 1.0:
            return u * sqrt(-2.0 * det_log(s) / s)
