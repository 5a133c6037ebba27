"""Elementwise arithmetic, comparison and logic kernels.

Every op runs through one of two engines written once:

``binary``
    NumPy broadcasting of two operands of any dtypes.  The output is walked
    in chunks of at most ``BLOCK`` elements.  For each chunk an operand whose
    elements are already contiguous and of the compute dtype is read in
    place; any other one (another dtype, a broadcast scalar, row or column)
    is converted or gathered into a per-thread scratch block first.  A block
    whose contents do not change from one chunk to the next (a scalar, a row
    repeated down the rows) is filled only once per call.  So each op is a
    single tight loop over contiguous arrays of one type.
``unary``
    The same for one operand (no broadcasting).

The op itself is an op code (``Op``) chosen by the kernel function, and
``binary_loop``/``unary_loop`` hold one loop per op code, fused over the
element type.  Scalars (every operand a single element, the common case of
per-sample parameters) take a short path through the same loops.

Conventions follow NumPy: integers wrap (or saturate when asked), integer
division and modulo by zero give 0, floats follow IEEE 754.  The node
classes in ``pixelpipes/ops/arithmetic.py`` and ``logic.py`` choose the
compute and output dtypes; the kernels only convert and compute.
"""

from libc.stdint cimport (
    uint8_t, int16_t, uint16_t, int32_t, int64_t, uint32_t, uint64_t, uintptr_t,
    INT64_MIN, INT64_MAX,
)
from libc.string cimport memcpy, memset
from libc.math cimport (
    sin, sinf, cos, cosf, tan, tanf, asin, asinf, acos, acosf, atan, atanf,
    atan2, atan2f, sqrt, sqrtf, pow, powf, fmod, fmodf, floor, floorf, ceil,
    ceilf, rint, rintf, fabs, fabsf, copysign, copysignf,
)

from pixelpipes._core._kernel cimport (
    Frame, Instr, Value, MAX_DIMS, ERROR_SIZE, KIND_TENSOR, DT_BOOL, DT_UINT8,
    DT_INT16, DT_UINT16, DT_INT32, DT_INT64, DT_FLOAT32, DT_FLOAT64, arg,
    iparam, new_tensor, scratch, itemsize, dtype_name, fail, snprintf,
)
from pixelpipes._core._dtypes cimport numeric_t

# The source side of a conversion (a second, independent fused type).
ctypedef fused source_t:
    uint8_t
    int16_t
    uint16_t
    int32_t
    int64_t
    float
    double

cdef enum:
    BLOCK = 2048        # elements per chunk; two float64 blocks fit in L1

cdef enum Op:
    # binary
    OP_ADD, OP_SUB, OP_MUL, OP_ADD_SAT, OP_SUB_SAT, OP_MUL_SAT,
    OP_DIV, OP_FLOORDIV, OP_MOD, OP_POW, OP_MIN, OP_MAX, OP_ATAN2,
    OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_AND, OP_OR, OP_XOR,
    # unary
    OP_COPY, OP_NEG, OP_NEG_SAT, OP_ABS, OP_ABS_SAT, OP_SQRT, OP_ROUND,
    OP_FLOOR, OP_CEIL, OP_SIN, OP_COS, OP_TAN, OP_ASIN, OP_ACOS, OP_ATAN,
    OP_NOT

cdef enum:
    ERR_NEGATIVE_POWER = 1


# ---------------------------------------------------------------- integer scalars

cdef inline numeric_t wrap_add(numeric_t x, numeric_t y) noexcept nogil:
    # Signed overflow is undefined in C: go through the unsigned type.
    if numeric_t is float or numeric_t is double:
        return x + y
    elif numeric_t is int32_t:
        return <int32_t>(<uint32_t>x + <uint32_t>y)
    elif numeric_t is int64_t:
        return <int64_t>(<uint64_t>x + <uint64_t>y)
    else:
        return <numeric_t>(x + y)


cdef inline numeric_t wrap_sub(numeric_t x, numeric_t y) noexcept nogil:
    if numeric_t is float or numeric_t is double:
        return x - y
    elif numeric_t is int32_t:
        return <int32_t>(<uint32_t>x - <uint32_t>y)
    elif numeric_t is int64_t:
        return <int64_t>(<uint64_t>x - <uint64_t>y)
    else:
        return <numeric_t>(x - y)


cdef inline numeric_t wrap_mul(numeric_t x, numeric_t y) noexcept nogil:
    if numeric_t is float or numeric_t is double:
        return x * y
    elif numeric_t is int32_t or numeric_t is uint16_t:
        # uint16 * uint16 overflows a C int
        return <numeric_t>(<uint32_t>x * <uint32_t>y)
    elif numeric_t is int64_t:
        return <int64_t>(<uint64_t>x * <uint64_t>y)
    else:
        return <numeric_t>(x * y)


cdef inline numeric_t wrap_neg(numeric_t x) noexcept nogil:
    if numeric_t is float or numeric_t is double:
        return -x
    elif numeric_t is int64_t:
        return <int64_t>(0 - <uint64_t>x)
    else:
        return <numeric_t>(0 - <uint32_t>x)


cdef inline numeric_t clamp_small(int r, numeric_t like) noexcept nogil:
    """``r`` clamped to the range of an 8- or 16-bit ``numeric_t`` (done in
    ``int`` so that the loops vectorise)."""
    if numeric_t is uint8_t:
        return 0 if r < 0 else (255 if r > 255 else <uint8_t>r)
    elif numeric_t is int16_t:
        return -32768 if r < -32768 else (32767 if r > 32767 else <int16_t>r)
    elif numeric_t is uint16_t:
        return 0 if r < 0 else (65535 if r > 65535 else <uint16_t>r)
    else:
        return <numeric_t>r


cdef inline int32_t clamp_int32(int64_t r) noexcept nogil:
    return (-2147483647 - 1) if r < -2147483648 else (
        2147483647 if r > 2147483647 else <int32_t>r)


cdef inline numeric_t sat_add(numeric_t x, numeric_t y) noexcept nogil:
    cdef int64_t r
    cdef numeric_t s
    if numeric_t is float or numeric_t is double:
        return x + y
    elif numeric_t is int64_t:
        r = <int64_t>(<uint64_t>x + <uint64_t>y)
        if ((x ^ r) & (y ^ r)) < 0:
            return INT64_MAX if x >= 0 else INT64_MIN
        return r
    elif numeric_t is int32_t:
        return clamp_int32(<int64_t>x + y)
    elif numeric_t is uint8_t:
        s = <uint8_t>(x + y)            # this form compiles to saturating SIMD
        return 255 if s < x else s
    elif numeric_t is uint16_t:
        s = <uint16_t>(x + y)
        return 65535 if s < x else s
    else:
        return clamp_small(<int>x + <int>y, x)


cdef inline numeric_t sat_sub(numeric_t x, numeric_t y) noexcept nogil:
    cdef int64_t r
    cdef numeric_t s
    if numeric_t is float or numeric_t is double:
        return x - y
    elif numeric_t is int64_t:
        r = <int64_t>(<uint64_t>x - <uint64_t>y)
        if ((x ^ y) & (x ^ r)) < 0:
            return INT64_MAX if x >= 0 else INT64_MIN
        return r
    elif numeric_t is int32_t:
        return clamp_int32(<int64_t>x - y)
    elif numeric_t is uint8_t or numeric_t is uint16_t:
        s = <numeric_t>(x - y)
        return 0 if s > x else s
    else:
        return clamp_small(<int>x - <int>y, x)


cdef inline bint mul_overflows(int64_t x, int64_t y) noexcept nogil:
    # CERT INT32-C
    if x > 0:
        if y > 0:
            return x > INT64_MAX // y
        return y < INT64_MIN // x
    if y > 0:
        return x < INT64_MIN // y
    return x != 0 and y < INT64_MAX // x


cdef inline numeric_t sat_mul(numeric_t x, numeric_t y) noexcept nogil:
    cdef uint32_t r
    if numeric_t is float or numeric_t is double:
        return x * y
    elif numeric_t is int64_t:
        if mul_overflows(x, y):
            return INT64_MAX if (x > 0) == (y > 0) else INT64_MIN
        return <int64_t>(<uint64_t>x * <uint64_t>y)
    elif numeric_t is int32_t:
        return clamp_int32(<int64_t>x * y)
    elif numeric_t is uint16_t:
        r = <uint32_t>x * <uint32_t>y        # overflows a C int
        return 65535 if r > 65535 else <uint16_t>r
    else:
        return clamp_small(<int>x * <int>y, x)


cdef inline numeric_t sat_neg(numeric_t x) noexcept nogil:
    if numeric_t is float or numeric_t is double:
        return -x
    elif numeric_t is uint8_t or numeric_t is uint16_t:
        return 0
    elif numeric_t is int64_t:
        return INT64_MAX if x == INT64_MIN else -x
    elif numeric_t is int32_t:
        return clamp_int32(-<int64_t>x)
    else:
        return clamp_small(-<int>x, x)


cdef inline numeric_t wrap_abs(numeric_t x) noexcept nogil:
    if numeric_t is float:
        return fabsf(x)
    elif numeric_t is double:
        return fabs(x)
    elif numeric_t is uint8_t or numeric_t is uint16_t:
        return x
    else:
        return wrap_neg(x) if x < 0 else x      # abs(INT_MIN) == INT_MIN


cdef inline numeric_t sat_abs(numeric_t x) noexcept nogil:
    if numeric_t is float or numeric_t is double:
        return wrap_abs(x)
    else:
        return sat_neg(x) if x < 0 else x


cdef inline int64_t floor_quotient(numeric_t x, numeric_t y) noexcept nogil:
    """``floor(x / y)`` for 8- to 32-bit integers and ``y != 0``, exactly and
    without overflow.

    For |x| < 2**24 (float32) or 2**53 (float64) the rounded quotient never
    reaches an integer that the exact one does not, so truncating it and
    stepping negative non-integers down is floor division -- without an
    integer divide and without branches, so the loops vectorise.
    """
    cdef float t
    cdef double td
    cdef int q
    cdef int64_t q64
    if numeric_t is uint8_t or numeric_t is int16_t or numeric_t is uint16_t:
        t = <float>x / <float>y
        q = <int>t
        return q - (t < <float>q)
    else:
        td = <double>x / <double>y
        q64 = <int64_t>td
        return q64 - (td < <double>q64)


cdef inline numeric_t int_floordiv(numeric_t x, numeric_t y) noexcept nogil:
    """Integer ``x // y`` rounding toward -inf; 0 for ``y == 0`` (NumPy);
    ``MIN // -1`` wraps to ``MIN``."""
    cdef int64_t q
    if numeric_t is int64_t:
        if y == 0:
            return 0
        if y == -1:
            return wrap_neg(x)          # MIN // -1 would trap
        q = x // y                      # truncates (cdivision)
        if (x % y != 0) and ((x < 0) != (y < 0)):
            q -= 1
        return q
    else:
        # branch-free (y == 0 divides by 1, then gives 0) so that it vectorises
        q = floor_quotient(x, <numeric_t>(y + (y == 0)))
        return <numeric_t>(q * (y != 0))


cdef inline numeric_t int_mod(numeric_t x, numeric_t y) noexcept nogil:
    """Integer ``x % y`` with the sign of ``y``; 0 for ``y == 0`` (NumPy)."""
    cdef numeric_t r
    cdef int64_t q
    if numeric_t is int64_t:
        if y == 0 or y == -1:
            return 0                    # MIN % -1 would trap
        r = x % y
        if r != 0 and ((r < 0) != (y < 0)):
            r += y
        return r
    else:
        q = floor_quotient(x, <numeric_t>(y + (y == 0)))
        return <numeric_t>((x - q * y) * (y != 0))


cdef inline numeric_t int_pow(numeric_t x, numeric_t y) noexcept nogil:
    """``x ** y`` for ``y >= 0``, wrapping: square-and-multiply modulo 2**64
    keeps the low bits exact."""
    cdef uint64_t base, result = 1
    cdef uint64_t e = <uint64_t>y
    if numeric_t is uint8_t or numeric_t is uint16_t:
        base = <uint64_t>x
    else:
        base = <uint64_t><int64_t>x
    while e:
        if e & 1:
            result *= base
        base *= base
        e >>= 1
    return <numeric_t>result


# ---------------------------------------------------------------- float scalars

cdef inline numeric_t float_divmod(numeric_t a, numeric_t b, numeric_t* modulus) noexcept nogil:
    """NumPy's ``npy_divmod``: floor division and Python-style remainder
    (``b != 0``), bit-for-bit."""
    cdef numeric_t div, mod, floordiv
    if numeric_t is float:
        mod = fmodf(a, b)
        div = (a - mod) / b
        if mod:
            if (b < 0) != (mod < 0):
                mod += b
                div -= 1.0
        else:
            mod = copysignf(0, b)
        if div:
            floordiv = floorf(div)
            if div - floordiv > 0.5:
                floordiv += 1.0
        else:
            floordiv = copysignf(0, a / b)
        modulus[0] = mod
        return floordiv
    elif numeric_t is double:
        mod = fmod(a, b)
        div = (a - mod) / b
        if mod:
            if (b < 0) != (mod < 0):
                mod += b
                div -= 1.0
        else:
            mod = copysign(0, b)
        if div:
            floordiv = floor(div)
            if div - floordiv > 0.5:
                floordiv += 1.0
        else:
            floordiv = copysign(0, a / b)
        modulus[0] = mod
        return floordiv
    else:
        return 0


cdef inline numeric_t floordiv(numeric_t x, numeric_t y) noexcept nogil:
    cdef numeric_t mod
    if numeric_t is float or numeric_t is double:
        if y == 0:
            return x / y
        return float_divmod(x, y, &mod)
    else:
        return int_floordiv(x, y)


cdef inline numeric_t modulo(numeric_t x, numeric_t y) noexcept nogil:
    """Python-style remainder; for floats the modulus of ``npy_divmod``
    (without its quotient)."""
    cdef numeric_t mod
    if numeric_t is float:
        mod = fmodf(x, y)
        if y == 0:
            return mod
        if mod:
            if (y < 0) != (mod < 0):
                mod += y
            return mod
        return copysignf(0, y)
    elif numeric_t is double:
        mod = fmod(x, y)
        if y == 0:
            return mod
        if mod:
            if (y < 0) != (mod < 0):
                mod += y
            return mod
        return copysign(0, y)
    else:
        return int_mod(x, y)


# NaN-propagating like np.minimum/np.maximum, and like them ``y`` on ties
# (so the sign of a zero result is NumPy's).

cdef inline numeric_t minimum(numeric_t x, numeric_t y) noexcept nogil:
    if numeric_t is float or numeric_t is double:
        return x if (x < y or x != x) else y
    else:
        return x if x < y else y


cdef inline numeric_t maximum(numeric_t x, numeric_t y) noexcept nogil:
    if numeric_t is float or numeric_t is double:
        return x if (x > y or x != x) else y
    else:
        return x if x > y else y


# ---------------------------------------------------------------- op loops

cdef int binary_loop(int op, const numeric_t* a, const numeric_t* b, char* out,
                     Py_ssize_t n) noexcept nogil:
    """``out[i] = a[i] <op> b[i]`` for ``i < n``; 0 or an ERR_ code."""
    cdef numeric_t* o = <numeric_t*>out
    cdef uint8_t* q = <uint8_t*>out
    cdef Py_ssize_t i
    if op == OP_ADD:
        for i in range(n):
            o[i] = wrap_add(a[i], b[i])
    elif op == OP_SUB:
        for i in range(n):
            o[i] = wrap_sub(a[i], b[i])
    elif op == OP_MUL:
        for i in range(n):
            o[i] = wrap_mul(a[i], b[i])
    elif op == OP_ADD_SAT:
        for i in range(n):
            o[i] = sat_add(a[i], b[i])
    elif op == OP_SUB_SAT:
        for i in range(n):
            o[i] = sat_sub(a[i], b[i])
    elif op == OP_MUL_SAT:
        for i in range(n):
            o[i] = sat_mul(a[i], b[i])
    elif op == OP_DIV:
        if numeric_t is float or numeric_t is double:
            for i in range(n):
                o[i] = a[i] / b[i]
    elif op == OP_FLOORDIV:
        for i in range(n):
            o[i] = floordiv(a[i], b[i])
    elif op == OP_MOD:
        for i in range(n):
            o[i] = modulo(a[i], b[i])
    elif op == OP_POW:
        if numeric_t is float:
            for i in range(n):
                o[i] = powf(a[i], b[i])
        elif numeric_t is double:
            for i in range(n):
                o[i] = pow(a[i], b[i])
        else:
            for i in range(n):
                if numeric_t is int16_t or numeric_t is int32_t or numeric_t is int64_t:
                    if b[i] < 0:
                        return ERR_NEGATIVE_POWER
                o[i] = int_pow(a[i], b[i])
    elif op == OP_MIN:
        for i in range(n):
            o[i] = minimum(a[i], b[i])
    elif op == OP_MAX:
        for i in range(n):
            o[i] = maximum(a[i], b[i])
    elif op == OP_ATAN2:
        if numeric_t is float:
            for i in range(n):
                o[i] = atan2f(a[i], b[i])
        elif numeric_t is double:
            for i in range(n):
                o[i] = atan2(a[i], b[i])
    elif op == OP_EQ:
        for i in range(n):
            q[i] = a[i] == b[i]
    elif op == OP_NE:
        for i in range(n):
            q[i] = a[i] != b[i]
    elif op == OP_LT:
        for i in range(n):
            q[i] = a[i] < b[i]
    elif op == OP_LE:
        for i in range(n):
            q[i] = a[i] <= b[i]
    elif op == OP_GT:
        for i in range(n):
            q[i] = a[i] > b[i]
    elif op == OP_GE:
        for i in range(n):
            q[i] = a[i] >= b[i]
    elif op == OP_AND:
        for i in range(n):
            q[i] = (a[i] != 0) & (b[i] != 0)
    elif op == OP_OR:
        for i in range(n):
            q[i] = (a[i] != 0) | (b[i] != 0)
    elif op == OP_XOR:
        for i in range(n):
            q[i] = (a[i] != 0) ^ (b[i] != 0)
    return 0


cdef int unary_loop(int op, const numeric_t* a, char* out, Py_ssize_t n) noexcept nogil:
    """``out[i] = <op> a[i]`` for ``i < n``."""
    cdef numeric_t* o = <numeric_t*>out
    cdef uint8_t* q = <uint8_t*>out
    cdef Py_ssize_t i
    if op == OP_COPY:
        memcpy(out, a, n * sizeof(numeric_t))
    elif op == OP_NEG:
        for i in range(n):
            o[i] = wrap_neg(a[i])
    elif op == OP_NEG_SAT:
        for i in range(n):
            o[i] = sat_neg(a[i])
    elif op == OP_ABS:
        for i in range(n):
            o[i] = wrap_abs(a[i])
    elif op == OP_ABS_SAT:
        for i in range(n):
            o[i] = sat_abs(a[i])
    elif op == OP_NOT:
        for i in range(n):
            q[i] = a[i] == 0
    elif numeric_t is float:
        if op == OP_SQRT:
            for i in range(n):
                o[i] = sqrtf(a[i])
        elif op == OP_ROUND:
            for i in range(n):
                o[i] = rintf(a[i])      # half to even in the default mode
        elif op == OP_FLOOR:
            for i in range(n):
                o[i] = floorf(a[i])
        elif op == OP_CEIL:
            for i in range(n):
                o[i] = ceilf(a[i])
        elif op == OP_SIN:
            for i in range(n):
                o[i] = sinf(a[i])
        elif op == OP_COS:
            for i in range(n):
                o[i] = cosf(a[i])
        elif op == OP_TAN:
            for i in range(n):
                o[i] = tanf(a[i])
        elif op == OP_ASIN:
            for i in range(n):
                o[i] = asinf(a[i])
        elif op == OP_ACOS:
            for i in range(n):
                o[i] = acosf(a[i])
        elif op == OP_ATAN:
            for i in range(n):
                o[i] = atanf(a[i])
    elif numeric_t is double:
        if op == OP_SQRT:
            for i in range(n):
                o[i] = sqrt(a[i])
        elif op == OP_ROUND:
            for i in range(n):
                o[i] = rint(a[i])
        elif op == OP_FLOOR:
            for i in range(n):
                o[i] = floor(a[i])
        elif op == OP_CEIL:
            for i in range(n):
                o[i] = ceil(a[i])
        elif op == OP_SIN:
            for i in range(n):
                o[i] = sin(a[i])
        elif op == OP_COS:
            for i in range(n):
                o[i] = cos(a[i])
        elif op == OP_TAN:
            for i in range(n):
                o[i] = tan(a[i])
        elif op == OP_ASIN:
            for i in range(n):
                o[i] = asin(a[i])
        elif op == OP_ACOS:
            for i in range(n):
                o[i] = acos(a[i])
        elif op == OP_ATAN:
            for i in range(n):
                o[i] = atan(a[i])
    else:
        # rounding an integer is the identity (the engine maps it to OP_COPY)
        memcpy(out, a, n * sizeof(numeric_t))
    return 0


cdef int apply_binary(int op, int ct, const char* a, const char* b, char* out,
                      Py_ssize_t n) noexcept nogil:
    if ct == DT_FLOAT32:
        return binary_loop(op, <const float*>a, <const float*>b, out, n)
    elif ct == DT_FLOAT64:
        return binary_loop(op, <const double*>a, <const double*>b, out, n)
    elif ct == DT_INT64:
        return binary_loop(op, <const int64_t*>a, <const int64_t*>b, out, n)
    elif ct == DT_INT32:
        return binary_loop(op, <const int32_t*>a, <const int32_t*>b, out, n)
    elif ct == DT_UINT16:
        return binary_loop(op, <const uint16_t*>a, <const uint16_t*>b, out, n)
    elif ct == DT_INT16:
        return binary_loop(op, <const int16_t*>a, <const int16_t*>b, out, n)
    else:   # uint8, bool
        return binary_loop(op, <const uint8_t*>a, <const uint8_t*>b, out, n)


cdef int apply_unary(int op, int ct, const char* a, char* out, Py_ssize_t n) noexcept nogil:
    if ct == DT_FLOAT32:
        return unary_loop(op, <const float*>a, out, n)
    elif ct == DT_FLOAT64:
        return unary_loop(op, <const double*>a, out, n)
    elif ct == DT_INT64:
        return unary_loop(op, <const int64_t*>a, out, n)
    elif ct == DT_INT32:
        return unary_loop(op, <const int32_t*>a, out, n)
    elif ct == DT_UINT16:
        return unary_loop(op, <const uint16_t*>a, out, n)
    elif ct == DT_INT16:
        return unary_loop(op, <const int16_t*>a, out, n)
    else:
        return unary_loop(op, <const uint8_t*>a, out, n)


# ---------------------------------------------------------------- conversion

cdef inline void cast_run(numeric_t* dst, const source_t* src, Py_ssize_t n,
                          Py_ssize_t stride) noexcept nogil:
    """``n`` elements from ``src`` (``stride`` 1) or ``n`` copies of
    ``src[0]`` (``stride`` 0), converted to ``numeric_t``."""
    cdef Py_ssize_t i
    cdef numeric_t v
    if stride == 0:
        v = <numeric_t>src[0]
        for i in range(n):
            dst[i] = v
    else:
        for i in range(n):
            dst[i] = <numeric_t>src[i]


cdef inline void truth_run(uint8_t* dst, const source_t* src, Py_ssize_t n,
                           Py_ssize_t stride) noexcept nogil:
    """As ``cast_run``, to bool: non-zero (NaN included) is true."""
    cdef Py_ssize_t i
    if stride == 0:
        memset(dst, src[0] != 0, n)
    else:
        for i in range(n):
            dst[i] = src[i] != 0


cdef inline void convert_run(numeric_t* dst, const char* src, int sdt, Py_ssize_t n,
                             Py_ssize_t stride) noexcept nogil:
    if sdt == DT_FLOAT32:
        cast_run(dst, <const float*>src, n, stride)
    elif sdt == DT_FLOAT64:
        cast_run(dst, <const double*>src, n, stride)
    elif sdt == DT_INT64:
        cast_run(dst, <const int64_t*>src, n, stride)
    elif sdt == DT_INT32:
        cast_run(dst, <const int32_t*>src, n, stride)
    elif sdt == DT_UINT16:
        cast_run(dst, <const uint16_t*>src, n, stride)
    elif sdt == DT_INT16:
        cast_run(dst, <const int16_t*>src, n, stride)
    else:
        cast_run(dst, <const uint8_t*>src, n, stride)


cdef void load_run(char* dst, int ct, const char* src, int sdt, Py_ssize_t n,
                   Py_ssize_t stride) noexcept nogil:
    """``n`` elements of dtype ``sdt`` at ``src`` (or ``n`` copies of the
    first, ``stride == 0``) converted to dtype ``ct`` at ``dst``."""
    if ct == DT_FLOAT32:
        convert_run(<float*>dst, src, sdt, n, stride)
    elif ct == DT_FLOAT64:
        convert_run(<double*>dst, src, sdt, n, stride)
    elif ct == DT_INT64:
        convert_run(<int64_t*>dst, src, sdt, n, stride)
    elif ct == DT_INT32:
        convert_run(<int32_t*>dst, src, sdt, n, stride)
    elif ct == DT_UINT16:
        convert_run(<uint16_t*>dst, src, sdt, n, stride)
    elif ct == DT_INT16:
        convert_run(<int16_t*>dst, src, sdt, n, stride)
    elif ct == DT_UINT8:
        convert_run(<uint8_t*>dst, src, sdt, n, stride)
    elif sdt == DT_FLOAT32:         # to bool
        truth_run(<uint8_t*>dst, <const float*>src, n, stride)
    elif sdt == DT_FLOAT64:
        truth_run(<uint8_t*>dst, <const double*>src, n, stride)
    elif sdt == DT_INT64:
        truth_run(<uint8_t*>dst, <const int64_t*>src, n, stride)
    elif sdt == DT_INT32:
        truth_run(<uint8_t*>dst, <const int32_t*>src, n, stride)
    elif sdt == DT_UINT16:
        truth_run(<uint8_t*>dst, <const uint16_t*>src, n, stride)
    elif sdt == DT_INT16:
        truth_run(<uint8_t*>dst, <const int16_t*>src, n, stride)
    else:
        truth_run(<uint8_t*>dst, <const uint8_t*>src, n, stride)


# ---------------------------------------------------------------- operands

ctypedef struct Operand:
    const char* data
    int dtype
    Py_ssize_t size         # bytes per element of ``dtype``
    bint direct             # already in the compute dtype: read in place
    char* block             # BLOCK elements of the compute dtype
    Py_ssize_t cached_offset    # what ``block`` holds (-1: nothing)
    Py_ssize_t cached_rows
    Py_ssize_t cached_cols


cdef void operand_init(Operand* o, const Value* v, int ct, char* block) noexcept nogil:
    o.data = v.data
    o.dtype = v.dtype
    o.size = itemsize(v.dtype)
    o.direct = v.dtype == ct
    o.block = block
    o.cached_offset = -1
    o.cached_rows = 0
    o.cached_cols = 0


cdef const char* operand_block(Operand* o, int ct, Py_ssize_t offset,
                               Py_ssize_t row_stride, Py_ssize_t col_stride,
                               Py_ssize_t rows, Py_ssize_t cols) noexcept nogil:
    """``rows x cols`` elements in the compute dtype, contiguous: element
    ``(i, j)`` is the operand's element ``offset + i*row_stride +
    j*col_stride`` (``col_stride`` is 0 or 1)."""
    cdef Py_ssize_t i, k, row_bytes = cols * itemsize(ct)
    if o.direct and col_stride == 1 and (rows == 1 or row_stride == cols):
        return o.data + offset * o.size
    if offset == o.cached_offset and cols == o.cached_cols and rows <= o.cached_rows:
        return o.block          # the rows it needs are already there
    if row_stride == 0:
        # one row repeated: convert it once, then double it up
        load_run(o.block, ct, o.data + offset * o.size, o.dtype, cols, col_stride)
        i = 1
        while i < rows:
            k = i if i < rows - i else rows - i
            memcpy(o.block + i * row_bytes, o.block, k * row_bytes)
            i += k
    else:
        for i in range(rows):
            load_run(o.block + i * row_bytes, ct,
                     o.data + (offset + i * row_stride) * o.size, o.dtype, cols, col_stride)
    o.cached_offset = offset
    o.cached_rows = rows
    o.cached_cols = cols
    return o.block


cdef void operand_strides(const Value* v, int nd, const Py_ssize_t* shape,
                          Py_ssize_t* stride) noexcept nogil:
    """Element strides of ``v`` over an output of shape ``shape[:nd]`` it
    broadcasts to (0 along broadcast dimensions)."""
    cdef Py_ssize_t s = 1
    cdef int d, k
    for d in range(nd - 1, -1, -1):
        k = d - (nd - v.ndim)
        if k >= 0 and v.shape[k] != 1:
            stride[d] = s
            s *= v.shape[k]
        else:
            stride[d] = 0


cdef int coalesce(int nd, const Py_ssize_t* shape, const Value* a, const Value* b,
                  Py_ssize_t* shp, Py_ssize_t* sa, Py_ssize_t* sb) noexcept nogil:
    """Drop unit dimensions and merge neighbours that are contiguous for
    both operands (the output is always contiguous).  Returns the number of
    dimensions left (at least 1)."""
    cdef Py_ssize_t fa[MAX_DIMS]
    cdef Py_ssize_t fb[MAX_DIMS]
    cdef int d, m = 0
    operand_strides(a, nd, shape, fa)
    operand_strides(b, nd, shape, fb)
    for d in range(nd):
        if shape[d] == 1:
            continue
        if m > 0 and sa[m - 1] == fa[d] * shape[d] and sb[m - 1] == fb[d] * shape[d]:
            shp[m - 1] *= shape[d]
            sa[m - 1] = fa[d]
            sb[m - 1] = fb[d]
        else:
            shp[m] = shape[d]
            sa[m] = fa[d]
            sb[m] = fb[d]
            m += 1
    if m == 0:
        shp[0] = 1
        sa[0] = 0
        sb[0] = 0
        m = 1
    return m


cdef int format_shape(char* buf, int size, const Value* v) noexcept nogil:
    """``(2, 3)``, ``(4,)`` or ``()`` into ``buf``."""
    cdef int d, n = 0
    n += snprintf(buf + n, size - n, "(")
    for d in range(v.ndim):
        if n >= size:
            break
        n += snprintf(buf + n, size - n, "%zd%s", v.shape[d],
                      "," if v.ndim == 1 else ("" if d == v.ndim - 1 else ", "))
    if n < size:
        n += snprintf(buf + n, size - n, ")")
    return n


cdef int check_tensor(Frame* f, const Value* v) noexcept nogil:
    if v.kind != KIND_TENSOR or v.dtype < DT_BOOL or v.dtype > DT_FLOAT64 \
            or v.ndim < 0 or v.ndim > MAX_DIMS:
        return fail(f, "operand is not a numeric tensor")
    return 0


cdef int check_dtypes(Frame* f, int ct, int ot) noexcept nogil:
    if ct < DT_BOOL or ct > DT_FLOAT64 or ot < DT_BOOL or ot > DT_FLOAT64:
        return fail(f, "bad dtype parameters")
    return 0


# ---------------------------------------------------------------- binary engine

cdef bint is_comparison(int op) noexcept nogil:
    return op == OP_EQ or op == OP_NE or op == OP_LT or op == OP_LE \
        or op == OP_GT or op == OP_GE


cdef int out_of_range(int64_t v, int ct) noexcept nogil:
    """-1/+1 if ``v`` is below/above the range of integer dtype ``ct``."""
    cdef int64_t lo, hi
    if ct == DT_UINT8:
        lo, hi = 0, 255
    elif ct == DT_INT16:
        lo, hi = -32768, 32767
    elif ct == DT_UINT16:
        lo, hi = 0, 65535
    elif ct == DT_INT32:
        lo, hi = -2147483648, 2147483647
    else:
        return 0
    return -1 if v < lo else (1 if v > hi else 0)


cdef int weak_literals(Frame* f, int op, int ct, int weak, Value* a, Value* b,
                       Value* out) noexcept nogil:
    """Python-integer operands (``weak`` bit k: operand k) outside the range
    of the integer compute dtype: arithmetic fails like NumPy's
    OverflowError; a comparison has the same answer for every element (like
    NumPy 2).  Returns 0 (nothing to do), 1 (output filled) or -1."""
    cdef Value* v
    cdef int k, side, swapped
    cdef int64_t x
    cdef bint answer
    for k in range(2):
        v = a if k == 0 else b
        if not ((weak >> k) & 1) or v.dtype != DT_INT64 or v.length != 1:
            continue
        x = (<const int64_t*>v.data)[0]
        side = out_of_range(x, ct)
        if side == 0:
            continue
        if not is_comparison(op):
            snprintf(f.error, ERROR_SIZE, "Python integer %lld out of bounds for %s",
                     <long long>x, dtype_name(ct))
            return -1
        # "t <op> x" with x beyond every value of t; mirror when x is on the left
        swapped = mirror(op) if k == 0 else op
        if swapped == OP_EQ:
            answer = False
        elif swapped == OP_NE:
            answer = True
        elif swapped == OP_LT or swapped == OP_LE:
            answer = side > 0
        else:
            answer = side < 0
        memset(out.data, answer, out.length)
        return 1
    return 0


cdef int mirror(int op) noexcept nogil:
    """The comparison ``op'`` with ``x op y == y op' x``."""
    if op == OP_LT:
        return OP_GT
    if op == OP_LE:
        return OP_GE
    if op == OP_GT:
        return OP_LT
    if op == OP_GE:
        return OP_LE
    return op


cdef int binary(Frame* f, const Instr* ins, int op) noexcept nogil:
    """Broadcast ``arg 0 <op> arg 1``.  iparams: compute dtype, output dtype,
    weak-literal mask (see ``weak_literals``)."""
    cdef Value* a = arg(f, ins, 0)
    cdef Value* b = arg(f, ins, 1)
    cdef Value* out
    cdef int ct, ot, weak, nd, d, k, m, outer, rc
    cdef Py_ssize_t shape[MAX_DIMS]
    cdef Py_ssize_t shp[MAX_DIMS]
    cdef Py_ssize_t sa[MAX_DIMS]
    cdef Py_ssize_t sb[MAX_DIMS]
    cdef Py_ssize_t idx[MAX_DIMS]
    cdef Py_ssize_t da, db, n, rows, rows_total, cols, ra, rb, i0, j0, rr, c, pos
    cdef Py_ssize_t oa, ob, osize
    cdef char* block_a
    cdef char* block_b
    cdef const char* pa
    cdef const char* pb
    cdef Operand A, B
    cdef char sa_text[96]
    cdef char sb_text[96]
    cdef char one_a[8]
    cdef char one_b[8]
    if ins.n_args != 2 or ins.n_iparams < 3:
        return fail(f, "bad instruction")
    ct = <int>iparam(f, ins, 0)
    ot = <int>iparam(f, ins, 1)
    weak = <int>iparam(f, ins, 2)
    if check_dtypes(f, ct, ot) or check_tensor(f, a) or check_tensor(f, b):
        return -1
    if ot != (DT_BOOL if op >= OP_EQ else ct):
        return fail(f, "bad dtype parameters")
    if ct == DT_BOOL:
        # bool arithmetic is logic, as in NumPy: + is or, * is and
        if op == OP_ADD or op == OP_ADD_SAT or op == OP_MAX:
            op = OP_OR
        elif op == OP_MUL or op == OP_MUL_SAT or op == OP_MIN:
            op = OP_AND

    # -- output shape (NumPy broadcasting)
    nd = a.ndim if a.ndim > b.ndim else b.ndim
    for d in range(nd):
        k = d - (nd - a.ndim)
        da = a.shape[k] if k >= 0 else 1
        k = d - (nd - b.ndim)
        db = b.shape[k] if k >= 0 else 1
        if da == db or db == 1:
            shape[d] = da
        elif da == 1:
            shape[d] = db
        else:
            format_shape(sa_text, sizeof(sa_text), a)
            format_shape(sb_text, sizeof(sb_text), b)
            snprintf(f.error, ERROR_SIZE, "operand shapes %s and %s do not broadcast",
                     sa_text, sb_text)
            return -1
    out = new_tensor(f, ins, ot, nd, shape)
    if out == NULL:
        return -1
    if out.length == 0:
        return 0
    if weak != 0 and ct != DT_INT64 and not (ct == DT_FLOAT32 or ct == DT_FLOAT64):
        rc = weak_literals(f, op, ct, weak, a, b, out)
        if rc != 0:
            return -1 if rc < 0 else 0

    # -- scalars: no blocks
    if a.length == 1 and b.length == 1:
        pa = a.data
        pb = b.data
        if a.dtype != ct:
            load_run(one_a, ct, a.data, a.dtype, 1, 1)
            pa = one_a
        if b.dtype != ct:
            load_run(one_b, ct, b.data, b.dtype, 1, 1)
            pb = one_b
        return binary_failed(f, apply_binary(op, ct, pa, pb, out.data, 1))

    # -- same shape, both in the compute dtype: one loop
    if a.length == out.length and b.length == out.length and a.dtype == ct and b.dtype == ct:
        return binary_failed(f, apply_binary(op, ct, a.data, b.data, out.data, out.length))

    # -- general case
    block_a = scratch(f, 0, BLOCK * 8)
    block_b = scratch(f, 1, BLOCK * 8)
    if block_a == NULL or block_b == NULL:
        return -1
    operand_init(&A, a, ct, block_a)
    operand_init(&B, b, ct, block_b)
    if (a.length == out.length or a.length == 1) and (b.length == out.length or b.length == 1):
        # each operand is the whole output (same elements in the same order:
        # broadcasting never expands it) or a single element: one dimension
        m = 1
        shp[0] = out.length
        sa[0] = a.length != 1
        sb[0] = b.length != 1
    else:
        m = coalesce(nd, shape, a, b, shp, sa, sb)
    n = shp[m - 1]
    if m >= 2 and n * 2 <= BLOCK:
        # short rows: each chunk holds several whole rows
        rows_total = shp[m - 2]
        rows = BLOCK // n
        ra = sa[m - 2]
        rb = sb[m - 2]
        cols = n
        outer = m - 2
    else:
        rows_total = rows = 1
        ra = rb = 0
        outer = m - 1
        if A.direct and sa[m - 1] == 1 and B.direct and sb[m - 1] == 1:
            cols = n            # nothing to convert: one loop over the row
        else:
            cols = BLOCK
    osize = itemsize(ot)
    for d in range(outer):
        idx[d] = 0
    oa = ob = pos = 0
    while True:
        i0 = 0
        while i0 < rows_total:
            rr = rows if rows < rows_total - i0 else rows_total - i0
            j0 = 0
            while j0 < n:
                c = cols if cols < n - j0 else n - j0
                pa = operand_block(&A, ct, oa + i0 * ra + j0 * sa[m - 1], ra, sa[m - 1], rr, c)
                pb = operand_block(&B, ct, ob + i0 * rb + j0 * sb[m - 1], rb, sb[m - 1], rr, c)
                rc = apply_binary(op, ct, pa, pb, out.data + pos * osize, rr * c)
                if rc != 0:
                    return binary_failed(f, rc)
                pos += rr * c
                j0 += c
            i0 += rr
        # next index of the outer dimensions
        d = outer - 1
        while d >= 0:
            idx[d] += 1
            oa += sa[d]
            ob += sb[d]
            if idx[d] < shp[d]:
                break
            oa -= sa[d] * shp[d]
            ob -= sb[d] * shp[d]
            idx[d] = 0
            d -= 1
        if d < 0:
            break
    return 0


cdef int binary_failed(Frame* f, int rc) noexcept nogil:
    if rc == 0:
        return 0
    if rc == ERR_NEGATIVE_POWER:
        return fail(f, "integers to negative integer powers are not allowed")
    return fail(f, "arithmetic error")


# ---------------------------------------------------------------- unary engine

cdef int unary(Frame* f, const Instr* ins, int op) noexcept nogil:
    """``<op> arg 0``.  iparams: compute dtype, output dtype."""
    cdef Value* a = arg(f, ins, 0)
    cdef Value* out
    cdef int ct, ot
    cdef Py_ssize_t s, m, n, step, asize, osize
    cdef char* block
    cdef const char* p
    if ins.n_args != 1 or ins.n_iparams < 2:
        return fail(f, "bad instruction")
    ct = <int>iparam(f, ins, 0)
    ot = <int>iparam(f, ins, 1)
    if check_dtypes(f, ct, ot) or check_tensor(f, a):
        return -1
    if ot != (DT_BOOL if op == OP_NOT else ct):
        return fail(f, "bad dtype parameters")
    if not (ct == DT_FLOAT32 or ct == DT_FLOAT64) and (
            op == OP_ROUND or op == OP_FLOOR or op == OP_CEIL):
        op = OP_COPY
    if ct == DT_BOOL and (op == OP_ABS or op == OP_ABS_SAT):
        op = OP_COPY
    out = new_tensor(f, ins, ot, a.ndim, a.shape)
    if out == NULL:
        return -1
    n = a.length
    if a.dtype == ct:
        return apply_unary(op, ct, a.data, out.data, n)
    block = scratch(f, 0, BLOCK * 8)
    if block == NULL:
        return -1
    asize = itemsize(a.dtype)
    osize = itemsize(ot)
    s = 0
    while s < n:
        m = BLOCK if BLOCK < n - s else n - s
        load_run(block, ct, a.data + s * asize, a.dtype, m, 1)
        apply_unary(op, ct, block, out.data + s * osize, m)
        s += m
    return 0


# ---------------------------------------------------------------- kernels

cdef int k_add(Frame* f, const Instr* ins) noexcept nogil:
    return binary(f, ins, OP_ADD_SAT if ins.n_iparams > 3 and iparam(f, ins, 3) else OP_ADD)

cdef int k_subtract(Frame* f, const Instr* ins) noexcept nogil:
    return binary(f, ins, OP_SUB_SAT if ins.n_iparams > 3 and iparam(f, ins, 3) else OP_SUB)

cdef int k_multiply(Frame* f, const Instr* ins) noexcept nogil:
    return binary(f, ins, OP_MUL_SAT if ins.n_iparams > 3 and iparam(f, ins, 3) else OP_MUL)

cdef int k_divide(Frame* f, const Instr* ins) noexcept nogil:
    return binary(f, ins, OP_DIV)

cdef int k_floor_divide(Frame* f, const Instr* ins) noexcept nogil:
    return binary(f, ins, OP_FLOORDIV)

cdef int k_modulo(Frame* f, const Instr* ins) noexcept nogil:
    return binary(f, ins, OP_MOD)

cdef int k_power(Frame* f, const Instr* ins) noexcept nogil:
    return binary(f, ins, OP_POW)

cdef int k_minimum(Frame* f, const Instr* ins) noexcept nogil:
    return binary(f, ins, OP_MIN)

cdef int k_maximum(Frame* f, const Instr* ins) noexcept nogil:
    return binary(f, ins, OP_MAX)

cdef int k_atan2(Frame* f, const Instr* ins) noexcept nogil:
    return binary(f, ins, OP_ATAN2)

cdef int k_equal(Frame* f, const Instr* ins) noexcept nogil:
    return binary(f, ins, OP_EQ)

cdef int k_not_equal(Frame* f, const Instr* ins) noexcept nogil:
    return binary(f, ins, OP_NE)

cdef int k_less(Frame* f, const Instr* ins) noexcept nogil:
    return binary(f, ins, OP_LT)

cdef int k_less_equal(Frame* f, const Instr* ins) noexcept nogil:
    return binary(f, ins, OP_LE)

cdef int k_greater(Frame* f, const Instr* ins) noexcept nogil:
    return binary(f, ins, OP_GT)

cdef int k_greater_equal(Frame* f, const Instr* ins) noexcept nogil:
    return binary(f, ins, OP_GE)

cdef int k_logical_and(Frame* f, const Instr* ins) noexcept nogil:
    return binary(f, ins, OP_AND)

cdef int k_logical_or(Frame* f, const Instr* ins) noexcept nogil:
    return binary(f, ins, OP_OR)

cdef int k_logical_xor(Frame* f, const Instr* ins) noexcept nogil:
    return binary(f, ins, OP_XOR)

cdef int k_negate(Frame* f, const Instr* ins) noexcept nogil:
    return unary(f, ins, OP_NEG_SAT if ins.n_iparams > 2 and iparam(f, ins, 2) else OP_NEG)

cdef int k_abs(Frame* f, const Instr* ins) noexcept nogil:
    return unary(f, ins, OP_ABS_SAT if ins.n_iparams > 2 and iparam(f, ins, 2) else OP_ABS)

cdef int k_sqrt(Frame* f, const Instr* ins) noexcept nogil:
    return unary(f, ins, OP_SQRT)

cdef int k_round(Frame* f, const Instr* ins) noexcept nogil:
    return unary(f, ins, OP_ROUND)

cdef int k_floor(Frame* f, const Instr* ins) noexcept nogil:
    return unary(f, ins, OP_FLOOR)

cdef int k_ceil(Frame* f, const Instr* ins) noexcept nogil:
    return unary(f, ins, OP_CEIL)

cdef int k_sin(Frame* f, const Instr* ins) noexcept nogil:
    return unary(f, ins, OP_SIN)

cdef int k_cos(Frame* f, const Instr* ins) noexcept nogil:
    return unary(f, ins, OP_COS)

cdef int k_tan(Frame* f, const Instr* ins) noexcept nogil:
    return unary(f, ins, OP_TAN)

cdef int k_asin(Frame* f, const Instr* ins) noexcept nogil:
    return unary(f, ins, OP_ASIN)

cdef int k_acos(Frame* f, const Instr* ins) noexcept nogil:
    return unary(f, ins, OP_ACOS)

cdef int k_atan(Frame* f, const Instr* ins) noexcept nogil:
    return unary(f, ins, OP_ATAN)

cdef int k_logical_not(Frame* f, const Instr* ins) noexcept nogil:
    return unary(f, ins, OP_NOT)


KERNELS = {
    "add": <uintptr_t>k_add,
    "subtract": <uintptr_t>k_subtract,
    "multiply": <uintptr_t>k_multiply,
    "divide": <uintptr_t>k_divide,
    "floor_divide": <uintptr_t>k_floor_divide,
    "modulo": <uintptr_t>k_modulo,
    "power": <uintptr_t>k_power,
    "minimum": <uintptr_t>k_minimum,
    "maximum": <uintptr_t>k_maximum,
    "atan2": <uintptr_t>k_atan2,
    "equal": <uintptr_t>k_equal,
    "not_equal": <uintptr_t>k_not_equal,
    "less": <uintptr_t>k_less,
    "less_equal": <uintptr_t>k_less_equal,
    "greater": <uintptr_t>k_greater,
    "greater_equal": <uintptr_t>k_greater_equal,
    "logical_and": <uintptr_t>k_logical_and,
    "logical_or": <uintptr_t>k_logical_or,
    "logical_xor": <uintptr_t>k_logical_xor,
    "negate": <uintptr_t>k_negate,
    "abs": <uintptr_t>k_abs,
    "sqrt": <uintptr_t>k_sqrt,
    "round": <uintptr_t>k_round,
    "floor": <uintptr_t>k_floor,
    "ceil": <uintptr_t>k_ceil,
    "sin": <uintptr_t>k_sin,
    "cos": <uintptr_t>k_cos,
    "tan": <uintptr_t>k_tan,
    "asin": <uintptr_t>k_asin,
    "acos": <uintptr_t>k_acos,
    "atan": <uintptr_t>k_atan,
    "logical_not": <uintptr_t>k_logical_not,
}
