"""Kernels of the list operations (node classes in ``pixelpipes/ops/lists.py``).

A new list's item array lives in the output slot's buffer (``new_list``).  Its
items are struct copies of input values, so their payloads alias the inputs:
no tensor data is copied, and the node classes set ``aliases = True``.  Only
``list_range`` makes new scalars; it places their payloads after the item
array, in the same buffer.  ``ListToTensor`` runs ``tensor_stack``
(``_ops_tensor.pyx``).
"""

from libc.stdint cimport int64_t, uint64_t, uintptr_t
from libc.string cimport memcpy

from pixelpipes._core._kernel cimport (
    Frame, Instr, Value, KIND_TENSOR, KIND_LIST, DT_INT64, ERROR_SIZE, MAX_TENSOR_BYTES,
    arg, iparam, output, new_scalar, new_list, reserve, itemsize, is_float, load_int,
    load_double, fail, snprintf,
)
from pixelpipes._core._random cimport Rng, rng_init, rng_below


# ---------------------------------------------------------------- helpers

cdef int get_int(Frame* f, const Value* v, const char* what, int64_t* out) noexcept nogil:
    """The value of an integer scalar ``v``; fails for anything else."""
    if v.kind != KIND_TENSOR or v.ndim != 0:
        snprintf(f.error, ERROR_SIZE, "%s must be an integer scalar", what)
        return -1
    if is_float(v.dtype):
        snprintf(f.error, ERROR_SIZE, "%s must be an integer, not a float", what)
        return -1
    out[0] = load_int(v.data, v.dtype)
    return 0


cdef int wrap_index(Frame* f, int64_t index, Py_ssize_t n, Py_ssize_t* out) noexcept nogil:
    """Python indexing: ``index`` in ``[-n, n)``, negative counting from the end."""
    cdef int64_t i = index + n if index < 0 else index
    if i < 0 or i >= n:
        snprintf(f.error, ERROR_SIZE, "index %lld out of range for length %lld",
                 <long long>index, <long long>n)
        return -1
    out[0] = <Py_ssize_t>i
    return 0


cdef int get_list(Frame* f, Value* v, const char* what) noexcept nogil:
    if v.kind != KIND_LIST:
        snprintf(f.error, ERROR_SIZE, "%s must be a list", what)
        return -1
    return 0


cdef int seq_length(Frame* f, const Value* v, const char* what, Py_ssize_t* n) noexcept nogil:
    """Length of a sequence argument: a list of scalars or a 1-d tensor."""
    if v.kind == KIND_LIST:
        n[0] = v.length
        return 0
    if v.kind == KIND_TENSOR and v.ndim == 1:
        n[0] = v.shape[0]
        return 0
    snprintf(f.error, ERROR_SIZE, "%s must be a list of scalars or a 1-d tensor", what)
    return -1


cdef int seq_item(Frame* f, const Value* v, Py_ssize_t k, const char* what,
                  const char** data, int* dtype) noexcept nogil:
    """Address and dtype of element ``k`` of a sequence (see ``seq_length``)."""
    cdef const Value* item
    if v.kind == KIND_LIST:
        item = &v.items[k]
        if item.kind != KIND_TENSOR or item.ndim != 0:
            snprintf(f.error, ERROR_SIZE, "item %zd of %s is not a scalar", k, what)
            return -1
        data[0] = item.data
        dtype[0] = item.dtype
    else:
        data[0] = v.data + k * itemsize(v.dtype)
        dtype[0] = v.dtype
    return 0


# ---------------------------------------------------------------- kernels

cdef int k_list_make(Frame* f, const Instr* ins) noexcept nogil:
    cdef Py_ssize_t k, n = ins.n_args
    cdef Value* v = new_list(f, ins, n)
    if v == NULL:
        return -1
    for k in range(n):
        v.items[k] = arg(f, ins, k)[0]
    return 0


cdef int k_list_get(Frame* f, const Instr* ins) noexcept nogil:
    """Item of a list, or sub-tensor along axis 0 (a view) of a tensor."""
    cdef Value* c = arg(f, ins, 0)
    cdef Value* out = output(f, ins)
    cdef int64_t index
    cdef Py_ssize_t i, inner, d
    if get_int(f, arg(f, ins, 1), "the index", &index) != 0:
        return -1
    if c.kind == KIND_LIST:
        if wrap_index(f, index, c.length, &i) != 0:
            return -1
        out[0] = c.items[i]
        return 0
    if c.kind != KIND_TENSOR:
        return fail(f, "only lists and tensors can be indexed")
    if c.ndim == 0:
        return fail(f, "a scalar cannot be indexed")
    if wrap_index(f, index, c.shape[0], &i) != 0:
        return -1
    inner = c.length // c.shape[0]     # shape[0] >= 1 here
    out[0] = c[0]
    out.ndim = c.ndim - 1
    for d in range(out.ndim):
        out.shape[d] = c.shape[d + 1]
    out.length = inner
    out.data = c.data + i * inner * itemsize(c.dtype)
    return 0


cdef int k_list_length(Frame* f, const Instr* ins) noexcept nogil:
    cdef Value* c = arg(f, ins, 0)
    cdef Py_ssize_t n
    cdef Value* v
    if c.kind == KIND_LIST:
        n = c.length
    elif c.kind == KIND_TENSOR and c.ndim > 0:
        n = c.shape[0]
    else:
        return fail(f, "only lists and tensors of rank >= 1 have a length")
    v = new_scalar(f, ins, DT_INT64)
    if v == NULL:
        return -1
    (<int64_t*>v.data)[0] = n
    return 0


cdef int k_list_range(Frame* f, const Instr* ins) noexcept nogil:
    """``list(range(start, stop, step))`` as int64 scalars; the scalars' bytes
    follow the item array in the output slot's buffer."""
    cdef int64_t start, stop, step
    cdef uint64_t n = 0
    cdef Py_ssize_t k
    cdef Value* v
    cdef Value* item
    cdef char* p
    cdef int64_t* payload
    if (get_int(f, arg(f, ins, 0), "start", &start) != 0
            or get_int(f, arg(f, ins, 1), "stop", &stop) != 0
            or get_int(f, arg(f, ins, 2), "step", &step) != 0):
        return -1
    if step == 0:
        return fail(f, "the step of a range must not be zero")
    # Unsigned differences cannot overflow, whatever the signs.
    if step > 0 and start < stop:
        n = (<uint64_t>stop - <uint64_t>start - 1) // <uint64_t>step + 1
    elif step < 0 and start > stop:
        n = (<uint64_t>start - <uint64_t>stop - 1) // (0 - <uint64_t>step) + 1
    # The allocation limit every value obeys (see new_list).
    if n > <uint64_t>MAX_TENSOR_BYTES // (sizeof(Value) + sizeof(int64_t)):
        snprintf(f.error, ERROR_SIZE, "a range of %llu items is too long",
                 <unsigned long long>n)
        return -1
    p = reserve(f, &f.buffers[ins.out], n * (sizeof(Value) + sizeof(int64_t)) + 1)
    if p == NULL:
        return -1
    v = output(f, ins)
    v.kind = KIND_LIST
    v.dtype = 0
    v.ndim = 0
    v.length = <Py_ssize_t>n
    v.data = NULL
    v.items = <Value*>p
    payload = <int64_t*>(p + n * sizeof(Value))
    for k in range(<Py_ssize_t>n):
        # start + k * step stays inside [start, stop): computed unsigned, exact.
        payload[k] = <int64_t>(<uint64_t>start + <uint64_t>k * <uint64_t>step)
        item = &v.items[k]
        item.kind = KIND_TENSOR
        item.dtype = DT_INT64
        item.ndim = 0
        item.length = 1
        item.data = <char*>&payload[k]
        item.items = NULL
    return 0


cdef inline Py_ssize_t clip_bound(int64_t i, Py_ssize_t n) noexcept nogil:
    """A slice bound the way Python clips it."""
    if i < 0:
        i += n
        if i < 0:
            return 0
    elif i > n:
        return n
    return <Py_ssize_t>i


cdef int k_list_sublist(Frame* f, const Instr* ins) noexcept nogil:
    """``list[start:stop]``; iparam 0 says whether ``stop`` is given."""
    cdef Value* a = arg(f, ins, 0)
    cdef int64_t start, stop
    cdef Py_ssize_t lo, hi
    cdef Value* v
    if get_list(f, a, "the input") != 0:
        return -1
    if get_int(f, arg(f, ins, 1), "start", &start) != 0:
        return -1
    if iparam(f, ins, 0) and ins.n_args > 2:
        if get_int(f, arg(f, ins, 2), "stop", &stop) != 0:
            return -1
        hi = clip_bound(stop, a.length)
    else:
        hi = a.length
    lo = clip_bound(start, a.length)
    if hi < lo:
        hi = lo
    v = new_list(f, ins, hi - lo)
    if v == NULL:
        return -1
    if hi > lo:
        memcpy(v.items, a.items + lo, (hi - lo) * sizeof(Value))
    return 0


cdef int k_list_concat(Frame* f, const Instr* ins) noexcept nogil:
    cdef Py_ssize_t k, n = 0
    cdef Value* a
    cdef Value* v
    for k in range(ins.n_args):
        a = arg(f, ins, k)
        if get_list(f, a, "every input") != 0:
            return -1
        n += a.length
    v = new_list(f, ins, n)
    if v == NULL:
        return -1
    n = 0
    for k in range(ins.n_args):
        a = arg(f, ins, k)
        if a.length > 0:
            memcpy(v.items + n, a.items, a.length * sizeof(Value))
        n += a.length
    return 0


cdef int k_list_repeat(Frame* f, const Instr* ins) noexcept nogil:
    cdef Value* a = arg(f, ins, 0)
    cdef int64_t n
    cdef Py_ssize_t k
    cdef Value* v
    if get_int(f, arg(f, ins, 1), "the count", &n) != 0:
        return -1
    if n < 0:
        snprintf(f.error, ERROR_SIZE, "negative repeat count %lld", <long long>n)
        return -1
    if n > MAX_TENSOR_BYTES // <int64_t>sizeof(Value):
        snprintf(f.error, ERROR_SIZE, "repeat count %lld is too large", <long long>n)
        return -1
    v = new_list(f, ins, <Py_ssize_t>n)
    if v == NULL:
        return -1
    for k in range(<Py_ssize_t>n):
        v.items[k] = a[0]
    return 0


cdef int k_list_filter(Frame* f, const Instr* ins) noexcept nogil:
    cdef Value* a = arg(f, ins, 0)
    cdef Value* mask = arg(f, ins, 1)
    cdef Py_ssize_t k, n, kept = 0
    cdef const char* p = NULL
    cdef int dt = 0
    cdef Value* v
    if get_list(f, a, "the input") != 0:
        return -1
    if seq_length(f, mask, "the mask", &n) != 0:
        return -1
    if n != a.length:
        snprintf(f.error, ERROR_SIZE, "the mask has length %zd but the list has length %zd",
                 n, a.length)
        return -1
    for k in range(n):
        if seq_item(f, mask, k, "the mask", &p, &dt) != 0:
            return -1
        if load_double(p, dt) != 0:
            kept += 1
    v = new_list(f, ins, kept)
    if v == NULL:
        return -1
    kept = 0
    for k in range(n):
        seq_item(f, mask, k, "the mask", &p, &dt)
        if load_double(p, dt) != 0:
            v.items[kept] = a.items[k]
            kept += 1
    return 0


cdef int k_list_remap(Frame* f, const Instr* ins) noexcept nogil:
    """Gather: item ``k`` of the result is ``list[indices[k]]``."""
    cdef Value* a = arg(f, ins, 0)
    cdef Value* idx = arg(f, ins, 1)
    cdef Py_ssize_t k, n, i = 0
    cdef const char* p = NULL
    cdef int dt = 0
    cdef Value* v
    if get_list(f, a, "the input") != 0:
        return -1
    if seq_length(f, idx, "the indices", &n) != 0:
        return -1
    for k in range(n):
        if seq_item(f, idx, k, "the indices", &p, &dt) != 0:
            return -1
        if is_float(dt):
            return fail(f, "the indices must be integers")
        if wrap_index(f, load_int(p, dt), a.length, &i) != 0:
            return -1
    v = new_list(f, ins, n)
    if v == NULL:
        return -1
    for k in range(n):
        seq_item(f, idx, k, "the indices", &p, &dt)
        wrap_index(f, load_int(p, dt), a.length, &i)
        v.items[k] = a.items[i]
    return 0


cdef int k_list_permute(Frame* f, const Instr* ins) noexcept nogil:
    """A uniformly random permutation (Fisher-Yates)."""
    cdef Value* a = arg(f, ins, 0)
    cdef Py_ssize_t k, j
    cdef Value tmp
    cdef Value* v
    cdef Rng r
    if get_list(f, a, "the input") != 0:
        return -1
    rng_init(&r, f.seed, ins.key, f.sample)
    v = new_list(f, ins, a.length)
    if v == NULL:
        return -1
    if a.length > 0:
        memcpy(v.items, a.items, a.length * sizeof(Value))
    k = a.length - 1
    while k > 0:
        j = <Py_ssize_t>rng_below(&r, <uint64_t>(k + 1))
        tmp = v.items[k]
        v.items[k] = v.items[j]
        v.items[j] = tmp
        k -= 1
    return 0


cdef int k_list_from_tensor(Frame* f, const Instr* ins) noexcept nogil:
    """Split a tensor along axis 0 into a list of views."""
    cdef Value* a = arg(f, ins, 0)
    cdef Py_ssize_t k, d, n, inner
    cdef Value* v
    cdef Value* item
    if a.kind != KIND_TENSOR or a.ndim == 0:
        return fail(f, "the input must be a tensor of rank >= 1")
    n = a.shape[0]
    inner = a.length // n if n > 0 else 0
    v = new_list(f, ins, n)
    if v == NULL:
        return -1
    for k in range(n):
        item = &v.items[k]
        item.kind = KIND_TENSOR
        item.dtype = a.dtype
        item.ndim = a.ndim - 1
        for d in range(item.ndim):
            item.shape[d] = a.shape[d + 1]
        item.length = inner
        item.data = a.data + k * inner * itemsize(a.dtype)
        item.items = NULL
    return 0


KERNELS = {
    "list_make": <uintptr_t>k_list_make,
    "list_get": <uintptr_t>k_list_get,
    "list_length": <uintptr_t>k_list_length,
    "list_range": <uintptr_t>k_list_range,
    "list_sublist": <uintptr_t>k_list_sublist,
    "list_concat": <uintptr_t>k_list_concat,
    "list_repeat": <uintptr_t>k_list_repeat,
    "list_filter": <uintptr_t>k_list_filter,
    "list_remap": <uintptr_t>k_list_remap,
    "list_permute": <uintptr_t>k_list_permute,
    "list_from_tensor": <uintptr_t>k_list_from_tensor,
}
