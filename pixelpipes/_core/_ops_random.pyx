"""Kernels of the random sampling operations (``pixelpipes.ops.random``).

Every kernel draws from one local stream, ``rng_init(&r, f.seed, ins.key,
f.sample)``, so a node's value is a pure function of (pipeline seed, node key,
sample index).  Tensors of draws are filled in C order from that stream.
Logarithms in random decisions use ``det_log``; nothing here calls libm's
``log``/``exp``, so the draws are the same bytes on every machine.

The picking kernels share one decision, ``pick``: an index drawn with
``rng_below(n)`` when the weights are absent or all equal, else by inverting
the cumulative weights with one ``rng_uniform``.  So a ``RandomInteger(0, n)``,
a ``RandomChoiceIndex`` and a ``RandomChoice`` with the same key and the same
weights (or length) pick the same index.
"""

from libc.stdint cimport int64_t, uint64_t, uintptr_t
from libc.math cimport floor, sqrt, fabs

from pixelpipes._core._kernel cimport (
    Frame, Instr, Value, MAX_DIMS, ERROR_SIZE, DT_BOOL, DT_INT64, DT_FLOAT32,
    DT_FLOAT64, KIND_TENSOR, KIND_LIST, arg, iparam, output, new_tensor,
    new_scalar, scratch, fail, itemsize, load_double, load_int, snprintf,
)
from pixelpipes._core._random cimport (
    Rng, rng_init, rng_uniform, rng_below, rng_normal, det_log,
)

cdef enum:
    # How a picking kernel gets its weights (iparam 0).
    WEIGHTS_NONE = 0        # uniform over the list
    WEIGHTS_STATIC = 1      # in the fparams
    WEIGHTS_INPUT = 2       # a 1-D tensor input

    # Below this mean (n * min(p, 1 - p)) the binomial counts geometric
    # waiting times; from it on it uses BTPE, whose cost does not grow with n.
    BINOMIAL_BTPE_MEAN = 30

# Largest element count of a tensor of draws (at most 8-byte elements): its
# byte count cannot overflow (new_tensor does not check).
cdef Py_ssize_t MAX_ELEMENTS = (<Py_ssize_t>1) << 58


# ---------------------------------------------------------------- helpers

cdef inline bint isfinite(double x) noexcept nogil:
    return x == x and x - x == 0.0


cdef int get_double(Frame* f, Value* v, const char* what, double* out) noexcept nogil:
    if v.kind != KIND_TENSOR or v.length != 1:
        snprintf(f.error, ERROR_SIZE, "%s must be a scalar", what)
        return -1
    out[0] = load_double(v.data, v.dtype)
    return 0


cdef int get_int(Frame* f, Value* v, const char* what, int64_t* out) noexcept nogil:
    if v.kind != KIND_TENSOR or v.length != 1:
        snprintf(f.error, ERROR_SIZE, "%s must be a scalar", what)
        return -1
    out[0] = load_int(v.data, v.dtype)
    return 0


cdef inline double log1m(double x) noexcept nogil:
    """log(1 - x) for 0 <= x <= 0.5, accurate also when x is tiny (where
    ``det_log(1 - x)`` would lose x's low bits)."""
    cdef double f, s, z, r, hfsq
    if x > 0.25:
        return det_log(1.0 - x)
    # The series of det_log with f = -x exactly (1 - x lies in [0.75, 1]).
    f = -x
    s = f / (2.0 + f)
    z = s * s
    r = 2.0 * z * (1.0 / 3 + z * (1.0 / 5 + z * (1.0 / 7 + z * (1.0 / 9 + z * (
        1.0 / 11 + z * (1.0 / 13 + z * (1.0 / 15 + z * (1.0 / 17 + z * (1.0 / 19 + z / 21)))))))))
    hfsq = 0.5 * f * f
    return f - (hfsq - s * (hfsq + r))


# ---------------------------------------------------------------- uniform / normal

cdef int expect(Frame* f, const Instr* ins, int n_args, int n_iparams) noexcept nogil:
    """The instruction has the operands its node encodes (a guard against
    hand-edited program files)."""
    if ins.n_args != n_args or (n_iparams >= 0 and ins.n_iparams != n_iparams):
        return fail(f, "malformed instruction")
    return 0


cdef int read_shape(Frame* f, const Instr* ins, int* dtype, int* ndim,
                    Py_ssize_t* shape) noexcept nogil:
    """Element type and static shape from the iparams (dtype, ndim, dims...)."""
    cdef int d
    cdef Py_ssize_t n = 1
    if expect(f, ins, 2, -1) != 0 or ins.n_iparams < 2:
        return fail(f, "malformed instruction")
    dtype[0] = <int>iparam(f, ins, 0)
    ndim[0] = <int>iparam(f, ins, 1)
    if (dtype[0] != DT_FLOAT32 and dtype[0] != DT_FLOAT64) or ndim[0] < 0 \
            or ndim[0] > MAX_DIMS or ins.n_iparams != 2 + ndim[0]:
        return fail(f, "malformed instruction")
    for d in range(ndim[0]):
        shape[d] = <Py_ssize_t>iparam(f, ins, 2 + d)
        if shape[d] < 0 or shape[d] > MAX_ELEMENTS:
            return fail(f, "malformed instruction")
        n *= shape[d]
        if n > MAX_ELEMENTS:
            return fail(f, "too many elements")
    return 0


cdef int k_random_uniform(Frame* f, const Instr* ins) noexcept nogil:
    """Uniform in [low, high).  iparams: dtype, ndim, shape...; args: low, high.
    One 64-bit draw per element (a draw that rounds up to ``high`` is
    redrawn, which takes about 2**-24 of float32 draws)."""
    cdef Rng r
    cdef double low, high, span, x
    cdef float lowf, highf, xf
    cdef int dtype, ndim
    cdef Py_ssize_t shape[MAX_DIMS]
    cdef Py_ssize_t i
    cdef Value* v
    cdef double* out64
    cdef float* out32
    cdef bint halve
    rng_init(&r, f.seed, ins.key, f.sample)
    if read_shape(f, ins, &dtype, &ndim, shape) != 0:
        return -1
    if get_double(f, arg(f, ins, 0), "low", &low) != 0:
        return -1
    if get_double(f, arg(f, ins, 1), "high", &high) != 0:
        return -1
    if not (isfinite(low) and isfinite(high)):
        snprintf(f.error, ERROR_SIZE, "low and high must be finite, got %g and %g", low, high)
        return -1
    if low > high:
        snprintf(f.error, ERROR_SIZE, "low (%g) must not exceed high (%g)", low, high)
        return -1
    v = new_tensor(f, ins, dtype, ndim, shape)
    if v == NULL:
        return -1
    if dtype == DT_FLOAT32:
        lowf = <float>low
        highf = <float>high
        if not (isfinite(lowf) and isfinite(highf)):
            snprintf(f.error, ERROR_SIZE, "low and high (%g, %g) are outside the float32 range",
                     low, high)
            return -1
        out32 = <float*>v.data
        span = <double>highf - <double>lowf
        for i in range(v.length):
            if lowf == highf:
                out32[i] = lowf
                continue
            while True:
                xf = <float>(lowf + span * rng_uniform(&r))
                if xf < highf:
                    break
            out32[i] = xf
        return 0
    out64 = <double*>v.data
    span = high - low
    halve = not isfinite(span)      # e.g. low = -1e308, high = 1e308
    if halve:
        span = high * 0.5 - low * 0.5
    for i in range(v.length):
        if low == high:
            out64[i] = low
            continue
        while True:
            if halve:
                x = 2.0 * (low * 0.5 + span * rng_uniform(&r))
            else:
                x = low + span * rng_uniform(&r)
            if x < high:
                break
        out64[i] = x
    return 0


cdef int k_random_normal(Frame* f, const Instr* ins) noexcept nogil:
    """Normal(mean, std).  iparams: dtype, ndim, shape...; args: mean, std.
    Each element is one ``rng_normal`` (Marsaglia's polar method, two or more
    draws)."""
    cdef Rng r
    cdef double mean, std
    cdef int dtype, ndim
    cdef Py_ssize_t shape[MAX_DIMS]
    cdef Py_ssize_t i
    cdef Value* v
    rng_init(&r, f.seed, ins.key, f.sample)
    if read_shape(f, ins, &dtype, &ndim, shape) != 0:
        return -1
    if get_double(f, arg(f, ins, 0), "mean", &mean) != 0:
        return -1
    if get_double(f, arg(f, ins, 1), "std", &std) != 0:
        return -1
    if not (isfinite(mean) and isfinite(std)):
        snprintf(f.error, ERROR_SIZE, "mean and std must be finite, got %g and %g", mean, std)
        return -1
    if std < 0:
        snprintf(f.error, ERROR_SIZE, "std must be >= 0, got %g", std)
        return -1
    v = new_tensor(f, ins, dtype, ndim, shape)
    if v == NULL:
        return -1
    if dtype == DT_FLOAT32:
        for i in range(v.length):
            (<float*>v.data)[i] = <float>(mean + std * rng_normal(&r))
    else:
        for i in range(v.length):
            (<double*>v.data)[i] = mean + std * rng_normal(&r)
    return 0


# ---------------------------------------------------------------- discrete

cdef int k_random_bernoulli(Frame* f, const Instr* ins) noexcept nogil:
    """True with probability p: ``rng_uniform() < p``, one draw."""
    cdef Rng r
    cdef double p
    cdef Value* v
    rng_init(&r, f.seed, ins.key, f.sample)
    if expect(f, ins, 1, 0) != 0:
        return -1
    if get_double(f, arg(f, ins, 0), "p", &p) != 0:
        return -1
    if not (0.0 <= p <= 1.0):
        snprintf(f.error, ERROR_SIZE, "probability p must be in [0, 1], got %g", p)
        return -1
    v = new_scalar(f, ins, DT_BOOL)
    if v == NULL:
        return -1
    (<unsigned char*>v.data)[0] = rng_uniform(&r) < p
    return 0


cdef int64_t binomial_waiting(Rng* r, int64_t n, double p) noexcept nogil:
    """Successes in n trials of probability p <= 1/2 by geometric waiting
    times: each success is ``floor(log(U) / log(1 - p)) + 1`` trials after the
    previous one; about n*p + 1 draws."""
    cdef double lq = log1m(p)
    cdef double g
    cdef int64_t x = 0, used = 0
    while True:
        g = floor(det_log(1.0 - rng_uniform(r)) / lq) + 1.0    # 1 - U in (0, 1]
        if g > <double>(n - used):
            return x
        used += <int64_t>g
        x += 1


cdef inline double stirling_tail(double x) noexcept nogil:
    """log(Gamma(x)) - ((x - 1/2) log(x) - x + log(2 pi) / 2), for x >= 1:
    1/(12 x) - 1/(360 x^3) + 1/(1260 x^5) - 1/(1680 x^7) + 1/(1188 x^9)."""
    cdef double x2 = x * x
    return (13860.0 - (462.0 - (132.0 - (99.0 - 140.0 / x2) / x2) / x2) / x2) / x / 166320.0


cdef int64_t binomial_btpe(Rng* r, int64_t n, double p) noexcept nogil:
    """Binomial(n, p) for p <= 1/2 and n p >= 30: Kachitvichyanukul and
    Schmeiser's BTPE (Comm. ACM 31(2), 1988), exact acceptance/rejection
    from a triangle/parallelogram/exponential hat; two draws per try."""
    cdef double q = 1.0 - p
    cdef double nd = <double>n
    cdef double npq = nd * p * q
    cdef double fm = nd * p + p
    cdef int64_t m = <int64_t>floor(fm)
    cdef double md = <double>m
    cdef double p1 = floor(2.195 * sqrt(npq) - 4.6 * q) + 0.5
    cdef double xm = md + 0.5
    cdef double xl = xm - p1
    cdef double xr = xm + p1
    cdef double c = 0.134 + 20.5 / (15.3 + md)
    cdef double a = (fm - xl) / (fm - xl * p)
    cdef double laml = a * (1.0 + 0.5 * a)
    cdef double p2, p3, p4, lamr
    cdef double u, v, x, yd, k, rho, t, lv, bound, s, ratio, acc
    cdef double x1, f1, z, w
    cdef int64_t y, i
    a = (xr - fm) / (xr * q)
    lamr = a * (1.0 + 0.5 * a)
    p2 = p1 * (1.0 + 2.0 * c)
    p3 = p2 + c / laml
    p4 = p3 + c / lamr
    while True:
        u = rng_uniform(r) * p4
        v = rng_uniform(r)
        if u <= p1:
            # Triangle: accepted outright.
            return <int64_t>floor(xm - p1 * v + u)
        if u <= p2:
            # Parallelograms.
            x = xl + (u - p1) / c
            v = v * c + 1.0 - fabs(md - x + 0.5) / p1
            if v > 1.0:
                continue
            y = <int64_t>floor(x)
        elif u <= p3:
            # Left exponential tail.
            if v <= 0.0:
                continue
            yd = floor(xl + det_log(v) / laml)
            if yd < 0.0:
                continue
            y = <int64_t>yd
            v = v * (u - p2) * laml
        else:
            # Right exponential tail.
            if v <= 0.0:
                continue
            yd = floor(xr - det_log(v) / lamr)
            if yd > nd:
                continue
            y = <int64_t>yd
            v = v * (u - p3) * lamr
        # Accept y with probability f(y) / f(m) / v's hat.
        k = fabs(<double>(y - m))
        if k <= 20.0 or k >= npq / 2.0 - 1.0:
            # Recursive evaluation of f(y) / f(m).
            s = p / q
            a = s * (nd + 1.0)
            ratio = 1.0
            if m < y:
                i = m + 1
                while i <= y:
                    ratio *= a / <double>i - s
                    i += 1
            elif m > y:
                i = y + 1
                while i <= m:
                    ratio /= a / <double>i - s
                    i += 1
            if v <= ratio:
                return y
            continue
        # Squeeze on log(f(y) / f(m)), then its value from Stirling's series:
        # log(m! (n-m)! / (y! (n-y)!)) + (y-m) log(p/q).  The tails of the
        # factorials in the denominator enter with a minus sign (published
        # transcriptions of step 5.3 add all four, off by ~1e-2 in the log).
        if v <= 0.0:
            return y        # log(v) = -inf
        rho = (k / npq) * ((k * (k / 3.0 + 0.625) + 0.16666666666666666) / npq + 0.5)
        t = -k * k / (2.0 * npq)
        lv = det_log(v)
        if lv < t - rho:
            return y
        if lv > t + rho:
            continue
        x1 = <double>y + 1.0
        f1 = md + 1.0
        z = nd + 1.0 - md
        w = nd - <double>y + 1.0
        bound = (xm * det_log(f1 / x1) + (nd - md + 0.5) * det_log(z / w)
                 + <double>(y - m) * det_log(w * p / (x1 * q))
                 + stirling_tail(f1) + stirling_tail(z) - stirling_tail(x1) - stirling_tail(w))
        if lv <= bound:
            return y


cdef int k_random_binomial(Frame* f, const Instr* ins) noexcept nogil:
    """Binomial(n, p); args: n, p.  Draws from min(p, 1 - p) and mirrors."""
    cdef Rng r
    cdef int64_t n, y
    cdef double p, pr
    cdef Value* v
    rng_init(&r, f.seed, ins.key, f.sample)
    if expect(f, ins, 2, 0) != 0:
        return -1
    if get_int(f, arg(f, ins, 0), "n", &n) != 0:
        return -1
    if get_double(f, arg(f, ins, 1), "p", &p) != 0:
        return -1
    if n < 0:
        snprintf(f.error, ERROR_SIZE, "number of trials n must be >= 0, got %lld", <long long>n)
        return -1
    if not (0.0 <= p <= 1.0):
        snprintf(f.error, ERROR_SIZE, "probability p must be in [0, 1], got %g", p)
        return -1
    v = new_scalar(f, ins, DT_INT64)
    if v == NULL:
        return -1
    pr = p if p <= 0.5 else 1.0 - p
    if n == 0 or pr == 0.0:
        y = 0
    elif <double>n * pr < BINOMIAL_BTPE_MEAN:
        y = binomial_waiting(&r, n, pr)
    else:
        y = binomial_btpe(&r, n, pr)
    (<int64_t*>v.data)[0] = n - y if p > 0.5 else y
    return 0


cdef int k_random_integer(Frame* f, const Instr* ins) noexcept nogil:
    """Uniform integer in [low, high): ``low + rng_below(high - low)``."""
    cdef Rng r
    cdef int64_t low, high
    cdef Value* v
    rng_init(&r, f.seed, ins.key, f.sample)
    if expect(f, ins, 2, 0) != 0:
        return -1
    if get_int(f, arg(f, ins, 0), "low", &low) != 0:
        return -1
    if get_int(f, arg(f, ins, 1), "high", &high) != 0:
        return -1
    if high <= low:
        snprintf(f.error, ERROR_SIZE, "empty range [%lld, %lld)", <long long>low,
                 <long long>high)
        return -1
    v = new_scalar(f, ins, DT_INT64)
    if v == NULL:
        return -1
    (<int64_t*>v.data)[0] = <int64_t>(<uint64_t>low + rng_below(&r, <uint64_t>high - <uint64_t>low))
    return 0


cdef int k_random_permutation(Frame* f, const Instr* ins) noexcept nogil:
    """A uniformly random permutation of range(n): Fisher-Yates, swapping
    position i (from n - 1 down to 1) with ``rng_below(i + 1)``."""
    cdef Rng r
    cdef int64_t n, j, tmp
    cdef Py_ssize_t i
    cdef Py_ssize_t shape[1]
    cdef int64_t* out
    cdef Value* v
    rng_init(&r, f.seed, ins.key, f.sample)
    if expect(f, ins, 1, 0) != 0:
        return -1
    if get_int(f, arg(f, ins, 0), "n", &n) != 0:
        return -1
    if n < 0:
        snprintf(f.error, ERROR_SIZE, "n must be >= 0, got %lld", <long long>n)
        return -1
    if n > MAX_ELEMENTS:
        snprintf(f.error, ERROR_SIZE, "n = %lld is too large", <long long>n)
        return -1
    shape[0] = <Py_ssize_t>n
    v = new_tensor(f, ins, DT_INT64, 1, shape)
    if v == NULL:
        return -1
    out = <int64_t*>v.data
    for i in range(n):
        out[i] = i
    i = n - 1
    while i > 0:
        j = <int64_t>rng_below(&r, <uint64_t>(i + 1))
        tmp = out[i]
        out[i] = out[j]
        out[j] = tmp
        i -= 1
    return 0


# ---------------------------------------------------------------- picking

cdef int load_weights(Frame* f, const Instr* ins, int mode, int warg, Py_ssize_t n,
                      const double** weights) noexcept nogil:
    """Point ``weights`` at ``n`` weights (static or from input ``warg``) and
    check them; ``n < 0`` takes n from the weights."""
    cdef Value* w
    cdef double* buf
    cdef double total = 0.0, x
    cdef Py_ssize_t i, count
    if mode == WEIGHTS_STATIC:
        count = ins.n_fparams
        weights[0] = &f.prog.fparams[ins.fparams]
    else:
        w = arg(f, ins, warg)
        if w.kind != KIND_TENSOR or w.ndim != 1:
            return fail(f, "weights must be a 1-D tensor")
        count = w.length
        buf = <double*>scratch(f, 0, <size_t>count * sizeof(double))
        if buf == NULL:
            return -1
        for i in range(count):
            buf[i] = load_double(w.data + i * itemsize(w.dtype), w.dtype)
        weights[0] = buf
    if n >= 0 and count != n:
        snprintf(f.error, ERROR_SIZE, "%zd weights for a list of %zd items", count, n)
        return -1
    if count == 0:
        return fail(f, "cannot choose from zero weights")
    for i in range(count):
        x = weights[0][i]
        if not isfinite(x) or x < 0:
            snprintf(f.error, ERROR_SIZE, "weight %zd is %g; weights must be finite and >= 0",
                     i, x)
            return -1
        total += x
    if total == 0.0:
        return fail(f, "all weights are zero")
    if not isfinite(total):
        return fail(f, "the weights sum to more than the largest double")
    return 0


cdef Py_ssize_t pick(Rng* r, const double* w, Py_ssize_t n) noexcept nogil:
    """Index in [0, n) with probability w[i] / sum(w); ``w`` is checked
    (finite, >= 0, positive finite sum), or NULL for uniform."""
    cdef Py_ssize_t i, last = 0
    cdef double total = 0.0, u
    cdef bint equal = True
    if w == NULL:
        return <Py_ssize_t>rng_below(r, <uint64_t>n)
    for i in range(n):
        if w[i] != w[0]:
            equal = False
        total += w[i]
        if w[i] > 0:
            last = i
    if equal:
        return <Py_ssize_t>rng_below(r, <uint64_t>n)
    u = rng_uniform(r) * total
    total = 0.0
    for i in range(n):
        total += w[i]
        if u < total:
            return i
    return last     # u rounded up to the total


cdef int k_random_choice_index(Frame* f, const Instr* ins) noexcept nogil:
    """Index drawn by ``pick``; iparams: weights mode; weights in the fparams
    or input 0."""
    cdef Rng r
    cdef const double* w
    cdef Py_ssize_t n
    cdef Value* v
    rng_init(&r, f.seed, ins.key, f.sample)
    if ins.n_iparams != 1 or not (
            (iparam(f, ins, 0) == WEIGHTS_STATIC and ins.n_args == 0)
            or (iparam(f, ins, 0) == WEIGHTS_INPUT and ins.n_args == 1)):
        return fail(f, "malformed instruction")
    if load_weights(f, ins, <int>iparam(f, ins, 0), 0, -1, &w) != 0:
        return -1
    n = ins.n_fparams if iparam(f, ins, 0) == WEIGHTS_STATIC else arg(f, ins, 0).length
    v = new_scalar(f, ins, DT_INT64)
    if v == NULL:
        return -1
    (<int64_t*>v.data)[0] = pick(&r, w, n)
    return 0


cdef int k_random_choice(Frame* f, const Instr* ins) noexcept nogil:
    """An item of the list input 0, by ``pick``; the output aliases it.
    iparams: weights mode; weights in the fparams or input 1."""
    cdef Rng r
    cdef const double* w = NULL
    cdef Value* items
    cdef int mode
    cdef Py_ssize_t k
    rng_init(&r, f.seed, ins.key, f.sample)
    if ins.n_iparams != 1 or ins.n_args < 1:
        return fail(f, "malformed instruction")
    mode = <int>iparam(f, ins, 0)
    if not ((mode == WEIGHTS_NONE and ins.n_args == 1 and ins.n_fparams == 0)
            or (mode == WEIGHTS_STATIC and ins.n_args == 1)
            or (mode == WEIGHTS_INPUT and ins.n_args == 2)):
        return fail(f, "malformed instruction")
    items = arg(f, ins, 0)
    if items.kind != KIND_LIST:
        return fail(f, "items must be a list")
    if items.length == 0:
        return fail(f, "cannot choose from an empty list")
    if mode != WEIGHTS_NONE and load_weights(f, ins, mode, 1, items.length, &w) != 0:
        return -1
    k = pick(&r, w, items.length)
    output(f, ins)[0] = items.items[k]
    return 0


KERNELS = {
    "random_uniform": <uintptr_t>k_random_uniform,
    "random_normal": <uintptr_t>k_random_normal,
    "random_bernoulli": <uintptr_t>k_random_bernoulli,
    "random_binomial": <uintptr_t>k_random_binomial,
    "random_integer": <uintptr_t>k_random_integer,
    "random_permutation": <uintptr_t>k_random_permutation,
    "random_choice_index": <uintptr_t>k_random_choice_index,
    "random_choice": <uintptr_t>k_random_choice,
}
