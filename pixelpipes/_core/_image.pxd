# Shared pieces of the image kernels: image views over Values, border
# handling, rounding casts.  Images are HWC (H x W, or H x W x C with C in
# 1..4), C-contiguous, of uint8, uint16, int16 or float32.

from libc.stdint cimport uint8_t, int16_t, uint16_t, int32_t, int64_t

from pixelpipes._core._kernel cimport (
    Frame, Instr, Value, KIND_TENSOR, DT_UINT8, DT_INT16, DT_UINT16, DT_FLOAT32,
    new_tensor, fail, snprintf, ERROR_SIZE,
)

# Numbering shared with pixelpipes/image/_common.py (BORDERS, INTERPOLATIONS).
cdef enum Border:
    BORDER_CONSTANT = 0
    BORDER_REPLICATE = 1
    BORDER_REFLECT = 2        # fedcba|abcdefgh|hgfedcb
    BORDER_REFLECT_101 = 3    # gfedcb|abcdefgh|gfedcba
    BORDER_WRAP = 4           # cdefgh|abcdefgh|abcdefg

cdef enum Interpolation:
    INTERP_NEAREST = 0
    INTERP_LINEAR = 1
    INTERP_CUBIC = 2
    INTERP_AREA = 3
    INTERP_LANCZOS = 4

ctypedef fused pixel_t:
    uint8_t
    int16_t
    uint16_t
    float

ctypedef struct ImageView:
    char* data
    Py_ssize_t height
    Py_ssize_t width
    Py_ssize_t channels
    int ndim          # 2 (H x W) or 3 (H x W x C)
    int dtype


cdef inline bint image_dtype_ok(int dtype) noexcept nogil:
    return dtype == DT_UINT8 or dtype == DT_UINT16 or dtype == DT_INT16 or dtype == DT_FLOAT32


cdef inline int as_image(Frame* f, Value* v, ImageView* out) noexcept nogil:
    """View a tensor input as an image; fails on anything that is not one."""
    if v.kind != KIND_TENSOR or (v.ndim != 2 and v.ndim != 3):
        return fail(f, "expected an image (an H x W or H x W x C tensor)")
    if not image_dtype_ok(v.dtype):
        return fail(f, "image element type must be uint8, uint16, int16 or float32")
    out.data = v.data
    out.height = v.shape[0]
    out.width = v.shape[1]
    out.channels = v.shape[2] if v.ndim == 3 else 1
    out.ndim = v.ndim
    out.dtype = v.dtype
    if out.channels < 1 or out.channels > 4:
        snprintf(f.error, ERROR_SIZE, "images have 1 to 4 channels, got %zd", out.channels)
        return -1
    return 0


cdef inline Value* new_image(Frame* f, const Instr* ins, int dtype, Py_ssize_t height,
                             Py_ssize_t width, Py_ssize_t channels, int ndim) noexcept nogil:
    """Output image of the given size; ``ndim`` 2 requires ``channels == 1``."""
    cdef Py_ssize_t shape[3]
    shape[0] = height
    shape[1] = width
    shape[2] = channels
    return new_tensor(f, ins, dtype, ndim, shape)


cdef inline Py_ssize_t border_index(Py_ssize_t i, Py_ssize_t n, int mode) noexcept nogil:
    """Index of the source pixel for coordinate ``i`` on an axis of length
    ``n`` (> 0) under border ``mode``; -1 means "use the constant value"."""
    cdef Py_ssize_t period
    if 0 <= i < n:
        return i
    if mode == BORDER_CONSTANT or n <= 0:
        return -1
    if mode == BORDER_REPLICATE:
        return 0 if i < 0 else n - 1
    if mode == BORDER_WRAP:
        i = i % n
        return i + n if i < 0 else i
    if n == 1:
        return 0
    if mode == BORDER_REFLECT:
        period = 2 * n
        i = i % period
        if i < 0:
            i += period
        return i if i < n else period - 1 - i
    # BORDER_REFLECT_101
    period = 2 * n - 2
    i = i % period
    if i < 0:
        i += period
    return i if i < n else period - i


cdef inline double round_even(double x) noexcept nogil:
    """``rint(x)`` for ``|x| < 2**51``: libm's rint is a call on baseline
    x86-64 (no SSE4.1), while adding and subtracting 1.5 * 2**52 rounds half
    to even in one add each (no -ffast-math here, so it is not folded)."""
    return (x + 6755399441055744.0) - 6755399441055744.0


# Rounding casts: round half to even (like OpenCV's cvRound), then saturate.
# NaN becomes 0.
cdef inline uint8_t cast_u8(double x) noexcept nogil:
    if not (x > 0.0):
        return 0
    if x >= 255.0:
        return 255
    return <uint8_t>round_even(x)

cdef inline uint16_t cast_u16(double x) noexcept nogil:
    if not (x > 0.0):
        return 0
    if x >= 65535.0:
        return 65535
    return <uint16_t>round_even(x)

cdef inline int16_t cast_i16(double x) noexcept nogil:
    if x != x:
        return 0
    if x <= -32768.0:
        return -32768
    if x >= 32767.0:
        return 32767
    return <int16_t>round_even(x)

cdef inline void store_pixel(pixel_t* p, double x) noexcept nogil:
    """Write ``x`` into a pixel of type ``pixel_t`` with rounding and saturation
    (float32 stores the value as is)."""
    if pixel_t is uint8_t:
        p[0] = cast_u8(x)
    elif pixel_t is uint16_t:
        p[0] = cast_u16(x)
    elif pixel_t is int16_t:
        p[0] = cast_i16(x)
    else:
        p[0] = <float>x

cdef inline double type_max(int dtype) noexcept nogil:
    """Largest value of the element type; 1.0 for float32 images."""
    if dtype == DT_UINT8:
        return 255.0
    if dtype == DT_UINT16:
        return 65535.0
    if dtype == DT_INT16:
        return 32767.0
    return 1.0
