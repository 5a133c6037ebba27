# Parameter checks of the photometric kernels, shared by the single ops of
# ``_ops_color.pyx`` and the fused chain of ``_ops_pixel.pyx``, so that a
# chain rejects a stage with the same message as the op on its own.

from pixelpipes._core._kernel cimport (
    scalar_number, Frame, Value, KIND_TENSOR, DT_UINT8, DT_INT16, DT_UINT16, DT_FLOAT32,
    ERROR_SIZE, snprintf, load_double, itemsize, dtype_name,
)


cdef inline int check_dtype(Frame* f, int dtype, bint u8, bint i16, bint u16, bint f32,
                            const char* what) noexcept nogil:
    """0 if images of ``dtype`` are accepted (the flags), else -1 and an error."""
    if ((dtype == DT_UINT8 and u8) or (dtype == DT_INT16 and i16)
            or (dtype == DT_UINT16 and u16) or (dtype == DT_FLOAT32 and f32)):
        return 0
    snprintf(f.error, ERROR_SIZE, "%s does not accept %s images", what, dtype_name(dtype))
    return -1


cdef inline int check_colour_channels(Frame* f, Py_ssize_t cn, const char* what) noexcept nogil:
    """Photometric ops take gray (1), RGB (3) or RGBA (4) images."""
    if cn == 2:
        snprintf(f.error, ERROR_SIZE, "%s needs 1, 3 or 4 channels, got 2", what)
        return -1
    return 0


cdef inline int get_factor(Frame* f, Value* v, const char* what, double* out) noexcept nogil:
    """A non-negative numeric scalar (a blend factor)."""
    if scalar_number(f, v, what, out) < 0:
        return -1
    if out[0] < 0:
        snprintf(f.error, ERROR_SIZE, "%s must be >= 0, got %g", what, out[0])
        return -1
    return 0


cdef inline int read_vector(Frame* f, Value* v, Py_ssize_t cn, const char* what,
                            double* out) noexcept nogil:
    """A scalar or a 1-D tensor of 1 or ``cn`` numbers, spread to ``cn``."""
    cdef Py_ssize_t k, m
    if v.kind != KIND_TENSOR or v.ndim > 1:
        snprintf(f.error, ERROR_SIZE, "%s must be a number or a 1-D sequence", what)
        return -1
    m = v.length
    if m != 1 and m != cn:
        snprintf(f.error, ERROR_SIZE, "%s has %zd values for an image of %zd channels",
                 what, m, cn)
        return -1
    for k in range(cn):
        out[k] = load_double(v.data + (k if m > 1 else 0) * itemsize(v.dtype), v.dtype)
        if out[k] != out[k]:
            snprintf(f.error, ERROR_SIZE, "%s is NaN", what)
            return -1
    return 0
