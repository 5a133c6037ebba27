"""Kernels of the engine itself: sample index, copies and checks."""

from libc.stdint cimport int64_t, uintptr_t
from libc.string cimport memcpy

from pixelpipes._core._kernel cimport (
    Frame, Instr, Value, DT_INT64, KIND_TENSOR, arg, output, new_scalar,
    new_tensor, itemsize,
)


cdef int k_sample_index(Frame* f, const Instr* ins) noexcept nogil:
    cdef Value* v = new_scalar(f, ins, DT_INT64)
    if v == NULL:
        return -1
    (<int64_t*>v.data)[0] = f.sample
    return 0


cdef int k_copy(Frame* f, const Instr* ins) noexcept nogil:
    """A fresh copy of a tensor (used where an output must own its memory)."""
    cdef Value* a = arg(f, ins, 0)
    cdef Value* v
    if a.kind != KIND_TENSOR:
        output(f, ins)[0] = a[0]
        return 0
    v = new_tensor(f, ins, a.dtype, a.ndim, a.shape)
    if v == NULL:
        return -1
    memcpy(v.data, a.data, a.length * itemsize(a.dtype))
    return 0


KERNELS = {
    "sample_index": <uintptr_t>k_sample_index,
    "copy": <uintptr_t>k_copy,
}
