"""Kernels of the tensor operations (node classes in ``pixelpipes/ops/tensors.py``).

Everything but ``tensor_cast`` moves raw bytes: stacking, concatenation and
transposition copy the longest contiguous runs the layouts share, so they do
not depend on the element type.  Reshape, squeeze and unsqueeze only change
the shape of an alias of their input.
"""

from libc.stdint cimport (
    int64_t, uint8_t, int16_t, uint16_t, int32_t, uintptr_t, INT64_MIN, INT64_MAX,
)
from libc.string cimport memcpy

from pixelpipes._core._kernel cimport (
    Frame, Instr, Value, MAX_DIMS, ERROR_SIZE, KIND_TENSOR, KIND_LIST, DT_BOOL, DT_UINT8,
    DT_INT16, DT_UINT16, DT_INT32, DT_INT64, DT_FLOAT32, DT_FLOAT64, arg, iparam, output,
    new_tensor, scratch, itemsize, dtype_name, is_float, load_int, fail, snprintf,
)

ctypedef fused src_t:
    uint8_t
    int16_t
    uint16_t
    int32_t
    int64_t
    float
    double

ctypedef fused dst_t:
    uint8_t
    int16_t
    uint16_t
    int32_t
    int64_t
    float
    double


# ---------------------------------------------------------------- messages

# Parameters come from the compiler, but a program file can be edited: a
# kernel that reads a variable number of them checks they are there.
cdef const char* BAD_PARAMS = "malformed instruction parameters"


cdef void shape_str(char* buf, size_t size, int ndim, const Py_ssize_t* shape) noexcept nogil:
    """``shape`` the way Python prints a tuple: ``()``, ``(3,)``, ``(2, 3)``."""
    cdef int d
    cdef size_t pos = snprintf(buf, size, "(")
    for d in range(ndim):
        if pos >= size:
            return
        if d == 0:
            pos += snprintf(buf + pos, size - pos, "%zd", shape[d])
        else:
            pos += snprintf(buf + pos, size - pos, ", %zd", shape[d])
    if pos < size:
        snprintf(buf + pos, size - pos, ",)" if ndim == 1 else ")")


cdef int normalize_axis(Frame* f, int64_t axis, int ndim, int* out) noexcept nogil:
    """NumPy axis: ``axis`` in ``[-ndim, ndim)``."""
    if axis < -ndim or axis >= ndim:
        snprintf(f.error, ERROR_SIZE, "axis %lld is out of bounds for rank %d",
                 <long long>axis, ndim)
        return -1
    out[0] = <int>(axis + ndim if axis < 0 else axis)
    return 0


# ---------------------------------------------------------------- stack, concatenate

# Both take iparams [from_list, axis, dtype, ndim, dims...]: the inputs are the
# items of one list input (from_list) or the inputs themselves; dtype and the
# item shape are the static ones (-1 when unknown), used for an empty list.

cdef int collect_items(Frame* f, const Instr* ins, Value*** out, Py_ssize_t* count) noexcept nogil:
    """Pointers to the tensors to join, in scratch 0; all of one dtype."""
    cdef Value* lst = NULL
    cdef Value** items
    cdef Py_ssize_t k, n
    if iparam(f, ins, 0):
        lst = arg(f, ins, 0)
        if lst.kind != KIND_LIST:
            return fail(f, "expected a list of tensors")
        n = lst.length
    else:
        n = ins.n_args
    items = <Value**>scratch(f, 0, n * sizeof(Value*))
    if items == NULL:
        return -1
    for k in range(n):
        items[k] = &lst.items[k] if lst != NULL else arg(f, ins, k)
        if items[k].kind != KIND_TENSOR:
            snprintf(f.error, ERROR_SIZE, "item %zd is not a tensor", k)
            return -1
        if items[k].dtype != items[0].dtype:
            snprintf(f.error, ERROR_SIZE, "item %zd has dtype %s, item 0 has %s", k,
                     dtype_name(items[k].dtype), dtype_name(items[0].dtype))
            return -1
    out[0] = items
    count[0] = n
    return 0


cdef int static_item(Frame* f, const Instr* ins, int* dtype, int* ndim,
                     Py_ssize_t* shape) noexcept nogil:
    """The compile-time item type, for joining an empty list."""
    cdef int d
    dtype[0] = <int>iparam(f, ins, 2)
    ndim[0] = <int>iparam(f, ins, 3)
    if dtype[0] > DT_FLOAT64 or ndim[0] > MAX_DIMS or 4 + ndim[0] > ins.n_iparams:
        return fail(f, BAD_PARAMS)
    if dtype[0] < 0 or ndim[0] < 0:
        return fail(f, "cannot join an empty list whose item type is not known "
                       "at compile time")
    for d in range(ndim[0]):
        shape[d] = iparam(f, ins, 4 + d)
        if shape[d] < 0:
            return fail(f, "cannot join an empty list whose item shape is not known "
                           "at compile time")
    return 0


cdef int shape_mismatch(Frame* f, Py_ssize_t k, const Value* item, int ndim,
                        const Py_ssize_t* shape) noexcept nogil:
    cdef char got[96]
    cdef char want[96]
    shape_str(got, sizeof(got), item.ndim, item.shape)
    shape_str(want, sizeof(want), ndim, shape)
    snprintf(f.error, ERROR_SIZE, "item %zd has shape %s, item 0 has %s", k, got, want)
    return -1


cdef void scatter_blocks(char* dst, Py_ssize_t dst_step, const char* src, Py_ssize_t n,
                         Py_ssize_t block) noexcept nogil:
    """``n`` contiguous blocks of ``block`` bytes from ``src`` to ``dst``,
    ``dst_step`` bytes apart.  Fixed-size memcpy compiles to one move, so
    small blocks (a channel of an interleaved image) stay cheap."""
    cdef Py_ssize_t i
    if block == dst_step:
        memcpy(dst, src, n * block)
    elif block == 1:
        for i in range(n):
            dst[i * dst_step] = src[i]
    elif block == 2:
        for i in range(n):
            memcpy(dst + i * dst_step, src + 2 * i, 2)
    elif block == 4:
        for i in range(n):
            memcpy(dst + i * dst_step, src + 4 * i, 4)
    elif block == 8:
        for i in range(n):
            memcpy(dst + i * dst_step, src + 8 * i, 8)
    else:
        for i in range(n):
            memcpy(dst + i * dst_step, src + block * i, block)


cdef int k_tensor_stack(Frame* f, const Instr* ins) noexcept nogil:
    """Join tensors of one shape along a new axis."""
    cdef Value** items
    cdef Value* v
    cdef Py_ssize_t n, k, outer = 1, inner
    cdef Py_ssize_t shape[MAX_DIMS]
    cdef Py_ssize_t oshape[MAX_DIMS]
    cdef int dtype, ndim, d, ax
    if collect_items(f, ins, &items, &n) != 0:
        return -1
    if n == 0:
        if static_item(f, ins, &dtype, &ndim, shape) != 0:
            return -1
    else:
        dtype = items[0].dtype
        ndim = items[0].ndim
        for d in range(ndim):
            shape[d] = items[0].shape[d]
        for k in range(1, n):
            if items[k].ndim != ndim:
                return shape_mismatch(f, k, items[k], ndim, shape)
            for d in range(ndim):
                if items[k].shape[d] != shape[d]:
                    return shape_mismatch(f, k, items[k], ndim, shape)
    if ndim + 1 > MAX_DIMS:
        return fail(f, "the result would have more than 8 dimensions")
    if normalize_axis(f, iparam(f, ins, 1), ndim + 1, &ax) != 0:
        return -1
    for d in range(ax):
        oshape[d] = shape[d]
        outer *= shape[d]
    oshape[ax] = n
    inner = itemsize(dtype)
    for d in range(ax, ndim):
        oshape[d + 1] = shape[d]
        inner *= shape[d]
    v = new_tensor(f, ins, dtype, ndim + 1, oshape)
    if v == NULL:
        return -1
    if inner > 0:
        for k in range(n):
            scatter_blocks(v.data + k * inner, n * inner, items[k].data, outer, inner)
    return 0


cdef int k_tensor_concat(Frame* f, const Instr* ins) noexcept nogil:
    """Join tensors along an existing axis."""
    cdef Value** items
    cdef Value* v
    cdef Py_ssize_t n, k, outer = 1, rest, block, total = 0
    cdef Py_ssize_t shape[MAX_DIMS]
    cdef int dtype, ndim, d, ax
    cdef char* p
    if collect_items(f, ins, &items, &n) != 0:
        return -1
    if n == 0:
        if static_item(f, ins, &dtype, &ndim, shape) != 0:
            return -1
    else:
        dtype = items[0].dtype
        ndim = items[0].ndim
        for d in range(ndim):
            shape[d] = items[0].shape[d]
    if ndim == 0:
        return fail(f, "scalars cannot be concatenated")
    if normalize_axis(f, iparam(f, ins, 1), ndim, &ax) != 0:
        return -1
    for k in range(n):
        if items[k].ndim != ndim:
            return shape_mismatch(f, k, items[k], ndim, shape)
        for d in range(ndim):
            if d != ax and items[k].shape[d] != shape[d]:
                snprintf(f.error, ERROR_SIZE, "item %zd has size %zd in dimension %d, "
                         "item 0 has %zd (only axis %d may differ)", k, items[k].shape[d],
                         d, shape[d], ax)
                return -1
        total += items[k].shape[ax]
    rest = itemsize(dtype)
    for d in range(ax + 1, ndim):
        rest *= shape[d]
    for d in range(ax):
        outer *= shape[d]
    shape[ax] = total
    v = new_tensor(f, ins, dtype, ndim, shape)
    if v == NULL:
        return -1
    # Each output row (one index of the axes before ``ax``) holds one block
    # of every item, side by side.
    p = v.data
    for k in range(n):
        block = items[k].shape[ax] * rest
        if block > 0:
            scatter_blocks(p, total * rest, items[k].data, outer, block)
        p += block
    return 0


# ---------------------------------------------------------------- views

cdef int read_shape(Frame* f, const Value* s, int* ndim, Py_ssize_t* dims) noexcept nogil:
    """Dimensions from a list of integer scalars, a 1-d integer tensor or an
    integer scalar."""
    cdef Py_ssize_t k, n
    cdef const Value* item
    if s.kind == KIND_LIST:
        n = s.length
    elif s.kind == KIND_TENSOR and s.ndim <= 1:
        n = s.length
    else:
        return fail(f, "the shape must be a list of integers or a 1-d integer tensor")
    if n > MAX_DIMS:
        return fail(f, "the shape has more than 8 dimensions")
    for k in range(n):
        if s.kind == KIND_LIST:
            item = &s.items[k]
            if item.kind != KIND_TENSOR or item.ndim != 0 or is_float(item.dtype):
                snprintf(f.error, ERROR_SIZE, "item %zd of the shape is not an integer scalar", k)
                return -1
            dims[k] = <Py_ssize_t>load_int(item.data, item.dtype)
        else:
            if is_float(s.dtype):
                return fail(f, "the shape must hold integers")
            dims[k] = <Py_ssize_t>load_int(s.data + k * itemsize(s.dtype), s.dtype)
    ndim[0] = <int>n
    return 0


cdef int k_tensor_reshape(Frame* f, const Instr* ins) noexcept nogil:
    """The input with a new shape (one dimension may be -1); an alias."""
    cdef Value* a = arg(f, ins, 0)
    cdef Value* v
    cdef Py_ssize_t dims[MAX_DIMS]
    cdef Py_ssize_t known = 1
    cdef int ndim, d, free_dim = -1
    cdef bint zero = False, too_big = False
    cdef char want[128]
    if a.kind != KIND_TENSOR:
        return fail(f, "the input must be a tensor")
    if read_shape(f, arg(f, ins, 1), &ndim, dims) != 0:
        return -1
    for d in range(ndim):
        if dims[d] == -1:
            if free_dim >= 0:
                return fail(f, "only one dimension can be -1")
            free_dim = d
        elif dims[d] < 0:
            snprintf(f.error, ERROR_SIZE, "negative dimension %zd", dims[d])
            return -1
        elif dims[d] == 0:
            zero = True
        elif known > a.length // dims[d]:
            too_big = True          # the product cannot equal a.length
        else:
            known *= dims[d]
    if zero:
        known = 0
        too_big = False
    if free_dim >= 0 and not too_big and known > 0 and a.length % known == 0:
        dims[free_dim] = a.length // known
    elif free_dim >= 0 or too_big or known != a.length:
        shape_str(want, sizeof(want), ndim, dims)
        snprintf(f.error, ERROR_SIZE, "cannot reshape a tensor of %zd elements into shape %s",
                 a.length, want)
        return -1
    v = output(f, ins)
    v[0] = a[0]
    v.ndim = ndim
    for d in range(ndim):
        v.shape[d] = dims[d]
    return 0


cdef int k_tensor_squeeze(Frame* f, const Instr* ins) noexcept nogil:
    """Drop size-1 axes: iparams [count, axes...], count -1 for all of them."""
    cdef Value* a = arg(f, ins, 0)
    cdef Value* v
    cdef int64_t count = iparam(f, ins, 0)
    cdef bint drop[MAX_DIMS]
    cdef int d, ax, j = 0
    cdef Py_ssize_t k
    if a.kind != KIND_TENSOR:
        return fail(f, "the input must be a tensor")
    if count + 1 > ins.n_iparams:
        return fail(f, BAD_PARAMS)
    for d in range(a.ndim):
        drop[d] = count < 0 and a.shape[d] == 1
    for k in range(count):
        if normalize_axis(f, iparam(f, ins, 1 + k), a.ndim, &ax) != 0:
            return -1
        if drop[ax]:
            snprintf(f.error, ERROR_SIZE, "axis %d is repeated", ax)
            return -1
        if a.shape[ax] != 1:
            snprintf(f.error, ERROR_SIZE, "cannot squeeze axis %d of size %zd", ax, a.shape[ax])
            return -1
        drop[ax] = True
    v = output(f, ins)
    v[0] = a[0]
    for d in range(a.ndim):
        if not drop[d]:
            v.shape[j] = a.shape[d]
            j += 1
    v.ndim = j
    return 0


cdef int k_tensor_unsqueeze(Frame* f, const Instr* ins) noexcept nogil:
    """Insert size-1 axes at positions of the result: iparams [count, axes...]."""
    cdef Value* a = arg(f, ins, 0)
    cdef Value* v
    cdef int64_t count = iparam(f, ins, 0)
    cdef bint new[MAX_DIMS]
    cdef int d, ax, ndim, j = 0
    cdef Py_ssize_t k
    if a.kind != KIND_TENSOR:
        return fail(f, "the input must be a tensor")
    if count < 0 or count + 1 > ins.n_iparams:
        return fail(f, BAD_PARAMS)
    if a.ndim + count > MAX_DIMS:
        return fail(f, "the result would have more than 8 dimensions")
    ndim = <int>(a.ndim + count)
    for d in range(ndim):
        new[d] = False
    for k in range(count):
        if normalize_axis(f, iparam(f, ins, 1 + k), ndim, &ax) != 0:
            return -1
        if new[ax]:
            snprintf(f.error, ERROR_SIZE, "axis %d is repeated", ax)
            return -1
        new[ax] = True
    v = output(f, ins)
    v[0] = a[0]
    for d in range(ndim):
        if new[d]:
            v.shape[d] = 1
        else:
            v.shape[d] = a.shape[j]
            j += 1
    v.ndim = ndim
    return 0


# ---------------------------------------------------------------- transpose

cdef inline void copy_strided(char* dst, const char* src, Py_ssize_t n, Py_ssize_t step,
                              Py_ssize_t block) noexcept nogil:
    """``n`` blocks of ``block`` bytes, ``step`` bytes apart in ``src``, packed
    into ``dst``.  Fixed-size memcpy compiles to one (unaligned-safe) move."""
    cdef Py_ssize_t i
    if block == 1:
        for i in range(n):
            dst[i] = src[i * step]
    elif block == 2:
        for i in range(n):
            memcpy(dst + 2 * i, src + i * step, 2)
    elif block == 4:
        for i in range(n):
            memcpy(dst + 4 * i, src + i * step, 4)
    elif block == 8:
        for i in range(n):
            memcpy(dst + 8 * i, src + i * step, 8)
    else:
        for i in range(n):
            memcpy(dst + block * i, src + i * step, block)


cdef int k_tensor_transpose(Frame* f, const Instr* ins) noexcept nogil:
    """Permute axes (a copy): iparams [n, axes...], n -1 to reverse them."""
    cdef Value* a = arg(f, ins, 0)
    cdef Value* v
    cdef int64_t naxes = iparam(f, ins, 0)
    cdef int perm[MAX_DIMS]
    cdef Py_ssize_t idx[MAX_DIMS]
    cdef Py_ssize_t stride[MAX_DIMS]
    cdef Py_ssize_t oshape[MAX_DIMS]
    cdef Py_ssize_t block, outer = 1, o, src_off = 0, inner_n, inner_step
    cdef int nd, d, m
    cdef unsigned seen = 0
    cdef char* dst
    if a.kind != KIND_TENSOR:
        return fail(f, "the input must be a tensor")
    nd = a.ndim
    if naxes >= 0 and naxes != nd:
        snprintf(f.error, ERROR_SIZE, "axes has %lld entries but the tensor has rank %d",
                 <long long>naxes, nd)
        return -1
    if naxes >= 0 and naxes + 1 > ins.n_iparams:
        return fail(f, BAD_PARAMS)
    for d in range(nd):
        perm[d] = <int>iparam(f, ins, 1 + d) if naxes >= 0 else nd - 1 - d
        if perm[d] < 0 or perm[d] >= nd or seen & (1u << perm[d]):
            return fail(f, BAD_PARAMS)
        seen |= 1u << perm[d]
        oshape[d] = a.shape[perm[d]]
    v = new_tensor(f, ins, a.dtype, nd, oshape)
    if v == NULL or a.length == 0:
        return -1 if v == NULL else 0
    # Trailing axes that stay in place form one contiguous block.
    block = itemsize(a.dtype)
    m = nd
    while m > 0 and perm[m - 1] == m - 1:
        m -= 1
        block *= a.shape[m]
    if m == 0:
        memcpy(v.data, a.data, block)
        return 0
    # perm maps [0, m) onto itself; stride[d] is the byte step of source axis d.
    stride[m - 1] = block
    for d in range(m - 2, -1, -1):
        stride[d] = stride[d + 1] * a.shape[d + 1]
    for d in range(m - 1):
        outer *= oshape[d]
        idx[d] = 0
    inner_n = oshape[m - 1]
    inner_step = stride[perm[m - 1]]
    dst = v.data
    for o in range(outer):
        copy_strided(dst, a.data + src_off, inner_n, inner_step, block)
        dst += inner_n * block
        d = m - 2
        while d >= 0:
            idx[d] += 1
            src_off += stride[perm[d]]
            if idx[d] < oshape[d]:
                break
            src_off -= idx[d] * stride[perm[d]]
            idx[d] = 0
            d -= 1
    return 0


# ---------------------------------------------------------------- cast

cdef void cast_loop(const src_t* s, dst_t* out, Py_ssize_t n) noexcept nogil:
    """C conversion, except float -> integer, which truncates toward zero and
    saturates (NaN -> 0) instead of being undefined out of range."""
    cdef Py_ssize_t i
    cdef double x, lo, hi
    cdef dst_t tmin, tmax
    if (src_t is float or src_t is double) and not (dst_t is float or dst_t is double):
        if dst_t is uint8_t:
            tmin = 0
            tmax = 255
        elif dst_t is int16_t:
            tmin = -32768
            tmax = 32767
        elif dst_t is uint16_t:
            tmin = 0
            tmax = 65535
        elif dst_t is int32_t:
            tmin = -2147483648
            tmax = 2147483647
        else:
            tmin = INT64_MIN
            tmax = INT64_MAX
        # For int64, hi rounds up to 2**63, so x >= hi is exactly
        # "x > INT64_MAX"; the other bounds are exact.
        lo = <double>tmin
        hi = <double>tmax
        for i in range(n):
            x = s[i]
            if x != x:
                out[i] = 0
            elif x <= lo:
                out[i] = tmin
            elif x >= hi:
                out[i] = tmax
            else:
                out[i] = <dst_t>x
    else:
        # Integer narrowing wraps modulo 2**bits (as NumPy, and every
        # compiler we build with, do).
        for i in range(n):
            out[i] = <dst_t>s[i]


cdef void cast_to_bool(const src_t* s, uint8_t* out, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        out[i] = s[i] != 0


cdef void cast_from(const src_t* s, char* out, int dtype, Py_ssize_t n) noexcept nogil:
    if dtype == DT_BOOL:
        cast_to_bool(s, <uint8_t*>out, n)
    elif dtype == DT_UINT8:
        cast_loop(s, <uint8_t*>out, n)
    elif dtype == DT_INT16:
        cast_loop(s, <int16_t*>out, n)
    elif dtype == DT_UINT16:
        cast_loop(s, <uint16_t*>out, n)
    elif dtype == DT_INT32:
        cast_loop(s, <int32_t*>out, n)
    elif dtype == DT_INT64:
        cast_loop(s, <int64_t*>out, n)
    elif dtype == DT_FLOAT32:
        cast_loop(s, <float*>out, n)
    else:
        cast_loop(s, <double*>out, n)


cdef int k_tensor_cast(Frame* f, const Instr* ins) noexcept nogil:
    """A copy converted to dtype iparam 0 (bool is stored as 0/1 bytes)."""
    cdef Value* a = arg(f, ins, 0)
    cdef int dtype = <int>iparam(f, ins, 0)
    cdef Value* v
    if a.kind != KIND_TENSOR:
        return fail(f, "the input must be a tensor")
    if dtype < DT_BOOL or dtype > DT_FLOAT64:
        return fail(f, BAD_PARAMS)
    v = new_tensor(f, ins, dtype, a.ndim, a.shape)
    if v == NULL:
        return -1
    if a.dtype == dtype:
        memcpy(v.data, a.data, a.length * itemsize(dtype))
    elif a.dtype == DT_BOOL or a.dtype == DT_UINT8:
        cast_from(<const uint8_t*>a.data, v.data, dtype, a.length)
    elif a.dtype == DT_INT16:
        cast_from(<const int16_t*>a.data, v.data, dtype, a.length)
    elif a.dtype == DT_UINT16:
        cast_from(<const uint16_t*>a.data, v.data, dtype, a.length)
    elif a.dtype == DT_INT32:
        cast_from(<const int32_t*>a.data, v.data, dtype, a.length)
    elif a.dtype == DT_INT64:
        cast_from(<const int64_t*>a.data, v.data, dtype, a.length)
    elif a.dtype == DT_FLOAT32:
        cast_from(<const float*>a.data, v.data, dtype, a.length)
    else:
        cast_from(<const double*>a.data, v.data, dtype, a.length)
    return 0


KERNELS = {
    "tensor_stack": <uintptr_t>k_tensor_stack,
    "tensor_concat": <uintptr_t>k_tensor_concat,
    "tensor_reshape": <uintptr_t>k_tensor_reshape,
    "tensor_squeeze": <uintptr_t>k_tensor_squeeze,
    "tensor_unsqueeze": <uintptr_t>k_tensor_unsqueeze,
    "tensor_transpose": <uintptr_t>k_tensor_transpose,
    "tensor_cast": <uintptr_t>k_tensor_cast,
}
