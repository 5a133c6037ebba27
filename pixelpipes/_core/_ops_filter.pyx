"""Filter kernels: smoothing, sharpening, convolution and derivatives.

Every filter walks the image one output row at a time over a small ring of
source rows held in per-thread scratch memory, so that no kernel touches more
than a few rows of the image at once and nothing is allocated per call:

``conv2d``
    Correlation with a dense kernel given as weights (``Convolve``,
    ``Laplacian``, ``Sharpen``, ``MotionBlur``).  Source rows are widened by
    the border and converted to float once; each non-zero tap then adds one
    shifted row, a loop the compiler vectorises.
``sepfilter``
    Separable correlation in float (``Sobel``, Gaussian blur of int16 and
    float32 images): a horizontal pass into a ring of rows, then a vertical
    pass.
``gauss_u8`` / ``gauss_u16``
    OpenCV's bit-exact fixed-point Gaussian: kernel coefficients with 8
    (uint8) or 16 (uint16) fraction bits, integer sums, one rounding at the
    end -- so results equal ``cv2.GaussianBlur``.
``box``
    Column sums kept up to date row by row (add the entering row, subtract
    the leaving one), then summed along the row in passes of eight taps, or
    for wide kernels by doubling (sums of 2, 4, 8, ... neighbours): the cost
    per pixel does not grow with the kernel height, and only as log2 of its
    width.
``median``
    Sorting networks for 3x3 and 5x5, and for larger uint8 kernels the
    constant-time histogram method (Perreault & Hebert 2007): a 256-bin
    histogram per column, a kernel histogram slid along the row with 16
    coarse bins, and fine bins brought up to date lazily.
``bilateral``
    OpenCV's formulation: a disc of spatial weights and a colour-weight
    lookup table.  uint8: source rows kept planar, 8 pixels at a time with
    the taps innermost and the sums in registers (``pp_bilateral_row_u8``);
    float32: accumulated tap by tap over whole rows.

The row loops are compiled twice, for AVX2 and for the x86-64 baseline, and
the dynamic loader picks one (``cloned_void``, as in ``_ops_color.pyx``).

Border modes follow ``_image.pxd``; a constant border value is first
converted to the image's element type (rounded and saturated), as OpenCV
does with its border scalar.
"""

from libc.stdint cimport (
    uint8_t, int16_t, uint16_t, int32_t, uint32_t, int64_t, uint64_t, uintptr_t,
)
from libc.string cimport memcpy, memset
from libc.math cimport exp, expf, sqrt, floor, fabs, fabsf, fma, cos, sin, rint, M_PI

from pixelpipes._core._kernel cimport (
    scalar_number as get_double,
    Frame, Instr, Value, KIND_TENSOR, DT_UINT8, DT_INT16, DT_UINT16, DT_FLOAT32,
    arg, iparam, fparam, scratch, fail, snprintf, ERROR_SIZE, load_double, itemsize,
    new_tensor,
)
from pixelpipes._core._image cimport (
    ImageView, as_image, new_image, border_index, image_dtype_ok, BORDER_CONSTANT,
    BORDER_REPLICATE, BORDER_WRAP,
    pixel_t, cast_u8, cast_u16, cast_i16,
)

cdef extern from "_simd.h" nogil:
    # hot loops: AVX2 and baseline clones, chosen at load time (see _simd.h)
    ctypedef void cloned_void "PP_CLONES void"
    ctypedef void inline_void "PP_ALWAYS_INLINE void"

cdef extern from *:
    """
    #include "_simd.h"
    /* One output row of the uint8 bilateral filter, 8 pixels at a time, the
       taps innermost so that the sums stay in registers.  Tap t reads the
       planes tp[t cn + c] (c < cn; pixel x at [x]) with spatial weight tw[t];
       cp[c]: the centre row's planes; cw: colour weight by L1 distance.  Per
       element, in tap order: w = tw[t] cw[d]; wsum += w; sum += pixel w, and
       the result is rint(sum / wsum) -- the float operations of the scalar
       loop (the tail), so every pixel gets the same bits whichever path. */
    static inline __attribute__((always_inline)) void pp_bilateral_px(
            const uint8_t* const* tp, const float* tw, ptrdiff_t ntaps,
            const uint8_t* const* cp, const float* cw, uint8_t* o, ptrdiff_t x, int cn) {
        float ws = 0.0f, sc[3] = {0.0f, 0.0f, 0.0f};
        for (ptrdiff_t t = 0; t < ntaps; t++) {
            const uint8_t* const* q = tp + t * cn;
            int dist = 0;
            for (int k = 0; k < cn; k++) {
                int dv = (int)q[k][x] - (int)cp[k][x];
                dist += dv < 0 ? -dv : dv;
            }
            float w = tw[t] * cw[dist];
            ws = ws + w;
            for (int k = 0; k < cn; k++)
                sc[k] = sc[k] + (float)q[k][x] * w;
        }
        for (int k = 0; k < cn; k++) {
            float v = sc[k] / ws;
            o[x * cn + k] = (uint8_t)(int32_t)((v + 12582912.0f) - 12582912.0f);
        }
    }

    static inline __attribute__((always_inline)) void pp_bilateral_row_cn(
            const uint8_t* const* tp, const float* tw, ptrdiff_t ntaps,
            const uint8_t* const* cp, const float* cw, uint8_t* o, ptrdiff_t W, int cn) {
        ptrdiff_t x = 0;
    #if PP_SSE2
        const __m128i z = _mm_setzero_si128();
        for (; x + 8 <= W; x += 8) {
            __m128i c[3];
            __m128 ws0 = _mm_setzero_ps(), ws1 = _mm_setzero_ps();
            __m128 s0[3], s1[3];
            for (int k = 0; k < cn; k++) {
                c[k] = _mm_unpacklo_epi8(_mm_loadl_epi64((const __m128i*)(cp[k] + x)), z);
                s0[k] = _mm_setzero_ps();
                s1[k] = _mm_setzero_ps();
            }
            for (ptrdiff_t t = 0; t < ntaps; t++) {
                const uint8_t* const* q = tp + t * cn;
                __m128i p[3], dist = z;
                for (int k = 0; k < cn; k++) {
                    p[k] = _mm_unpacklo_epi8(_mm_loadl_epi64((const __m128i*)(q[k] + x)), z);
                    dist = _mm_add_epi16(dist, _mm_or_si128(_mm_subs_epu16(p[k], c[k]),
                                                            _mm_subs_epu16(c[k], p[k])));
                }
                __m128 sw = _mm_set1_ps(tw[t]);
                __m128 w0 = _mm_mul_ps(sw, _mm_setr_ps(
                    cw[_mm_extract_epi16(dist, 0)], cw[_mm_extract_epi16(dist, 1)],
                    cw[_mm_extract_epi16(dist, 2)], cw[_mm_extract_epi16(dist, 3)]));
                __m128 w1 = _mm_mul_ps(sw, _mm_setr_ps(
                    cw[_mm_extract_epi16(dist, 4)], cw[_mm_extract_epi16(dist, 5)],
                    cw[_mm_extract_epi16(dist, 6)], cw[_mm_extract_epi16(dist, 7)]));
                ws0 = _mm_add_ps(ws0, w0);
                ws1 = _mm_add_ps(ws1, w1);
                for (int k = 0; k < cn; k++) {
                    __m128 f0 = _mm_cvtepi32_ps(_mm_unpacklo_epi16(p[k], z));
                    __m128 f1 = _mm_cvtepi32_ps(_mm_unpackhi_epi16(p[k], z));
                    s0[k] = _mm_add_ps(s0[k], _mm_mul_ps(f0, w0));
                    s1[k] = _mm_add_ps(s1[k], _mm_mul_ps(f1, w1));
                }
            }
            const __m128 magic = _mm_set1_ps(12582912.0f);
            int32_t r[3][8];
            for (int k = 0; k < cn; k++) {
                __m128 v0 = _mm_div_ps(s0[k], ws0), v1 = _mm_div_ps(s1[k], ws1);
                _mm_storeu_si128((__m128i*)r[k], _mm_cvttps_epi32(
                    _mm_sub_ps(_mm_add_ps(v0, magic), magic)));
                _mm_storeu_si128((__m128i*)(r[k] + 4), _mm_cvttps_epi32(
                    _mm_sub_ps(_mm_add_ps(v1, magic), magic)));
            }
            for (int i = 0; i < 8; i++)
                for (int k = 0; k < cn; k++)
                    o[(x + i) * cn + k] = (uint8_t)r[k][i];
        }
    #endif
        for (; x < W; x++)
            pp_bilateral_px(tp, tw, ntaps, cp, cw, o, x, cn);
    }

    static void pp_bilateral_row_u8(const uint8_t* const* tp, const float* tw, ptrdiff_t ntaps,
                                    const uint8_t* const* cp, const float* cw, uint8_t* o,
                                    ptrdiff_t W, int cn) {
        if (cn == 1)
            pp_bilateral_row_cn(tp, tw, ntaps, cp, cw, o, W, 1);
        else
            pp_bilateral_row_cn(tp, tw, ntaps, cp, cw, o, W, 3);
    }
    """
    void pp_bilateral_row_u8(const uint8_t* const* tp, const float* tw, Py_ssize_t ntaps,
                             const uint8_t* const* cp, const float* cw, uint8_t* o,
                             Py_ssize_t W, int cn) nogil


cdef enum:
    MAX_KSIZE = 8191        # largest kernel side any filter accepts
    HIST_KSIZE = 7          # uint8 median: histograms from this size up

# Scratch memory one call may ask for (the image itself is not counted).
cdef Py_ssize_t MAX_WORK_BYTES = 1 << 31

# Adding then subtracting 1.5 * 2**23 rounds a float of magnitude < 2**22 to
# the nearest integer, ties to even (like cvRound), in a vectorisable way.
cdef float MAGIC = 12582912.0


# ============================================================== helpers

cdef inline Py_ssize_t align64(Py_ssize_t n) noexcept nogil:
    return (n + 63) & ~(<Py_ssize_t>63)


cdef int get_int(Frame* f, Value* v, const char* what, int64_t* out) noexcept nogil:
    """An integer-valued scalar input (an integral float is accepted)."""
    cdef double x
    if get_double(f, v, what, &x) < 0:
        return -1
    if x != floor(x) or not (-1e15 < x < 1e15):
        snprintf(f.error, ERROR_SIZE, "%s must be an integer, got %g", what, x)
        return -1
    out[0] = <int64_t>x
    return 0


cdef char* work(Frame* f, int which, Py_ssize_t nbytes) noexcept nogil:
    """Scratch memory ``which``, refusing absurd sizes with a clear error."""
    if nbytes > MAX_WORK_BYTES or nbytes < 0:
        snprintf(f.error, ERROR_SIZE,
                 "filter needs %zd bytes of working memory; the kernel is too large "
                 "for this image", nbytes)
        return NULL
    return scratch(f, which, <size_t>nbytes)


cdef double type_value(double v, int dtype) noexcept nogil:
    """``v`` as the element type ``dtype`` would store it."""
    if dtype == DT_UINT8:
        return cast_u8(v)
    if dtype == DT_UINT16:
        return cast_u16(v)
    if dtype == DT_INT16:
        return cast_i16(v)
    return <float>v


cdef void make_xmap(Py_ssize_t* xmap, Py_ssize_t width, Py_ssize_t left, Py_ssize_t right,
                    int mode) noexcept nogil:
    """Source columns of the ``left`` columns before and ``right`` after a row
    (-1: the constant value)."""
    cdef Py_ssize_t j
    for j in range(left):
        xmap[j] = border_index(j - left, width, mode)
    for j in range(right):
        xmap[left + j] = border_index(width + j, width, mode)


cdef cloned_void ext_row_f(const pixel_t* src, float* ext, const Py_ssize_t* xmap,
                           Py_ssize_t width, Py_ssize_t cn, Py_ssize_t left, Py_ssize_t right,
                           float cval) noexcept nogil:
    """Row ``src`` (NULL: a constant row) widened by the border, as float."""
    cdef Py_ssize_t i, j, c, sx
    cdef Py_ssize_t n = width * cn
    cdef float* e = ext + left * cn
    if src == NULL:
        for i in range((width + left + right) * cn):
            ext[i] = cval
        return
    for i in range(n):
        e[i] = <float>src[i]
    for j in range(left):
        sx = xmap[j]
        for c in range(cn):
            ext[j * cn + c] = cval if sx < 0 else <float>src[sx * cn + c]
    e = ext + (left + width) * cn
    for j in range(right):
        sx = xmap[left + j]
        for c in range(cn):
            e[j * cn + c] = cval if sx < 0 else <float>src[sx * cn + c]


cdef void ext_row_t(const pixel_t* src, pixel_t* ext, const Py_ssize_t* xmap, Py_ssize_t width,
                    Py_ssize_t cn, Py_ssize_t left, Py_ssize_t right, pixel_t cval) noexcept nogil:
    """Row ``src`` (NULL: a constant row) widened by the border, same type."""
    cdef Py_ssize_t i, j, c, sx
    cdef pixel_t* e = ext + left * cn
    if src == NULL:
        for i in range((width + left + right) * cn):
            ext[i] = cval
        return
    memcpy(e, src, width * cn * sizeof(pixel_t))
    for j in range(left):
        sx = xmap[j]
        for c in range(cn):
            ext[j * cn + c] = cval if sx < 0 else src[sx * cn + c]
    e = ext + (left + width) * cn
    for j in range(right):
        sx = xmap[left + j]
        for c in range(cn):
            e[j * cn + c] = cval if sx < 0 else src[sx * cn + c]


cdef cloned_void store_row_f(const float* acc, char* out, Py_ssize_t n, int dtype) noexcept nogil:
    """Float results to the output type: round half to even, saturate
    (NaN becomes the lowest value of integer types)."""
    cdef Py_ssize_t i
    cdef float v
    cdef float lo, hi
    cdef uint8_t* o8
    cdef int16_t* os
    cdef uint16_t* ou
    if dtype == DT_FLOAT32:
        memcpy(out, acc, n * sizeof(float))
        return
    if dtype == DT_UINT8:
        lo = 0
        hi = 255
        o8 = <uint8_t*>out
        for i in range(n):
            v = acc[i]
            v = v if v > lo else lo
            v = v if v < hi else hi
            o8[i] = <uint8_t><int32_t>((v + MAGIC) - MAGIC)
    elif dtype == DT_INT16:
        lo = -32768
        hi = 32767
        os = <int16_t*>out
        for i in range(n):
            v = acc[i]
            v = v if v > lo else lo
            v = v if v < hi else hi
            os[i] = <int16_t><int32_t>((v + MAGIC) - MAGIC)
    else:
        lo = 0
        hi = 65535
        ou = <uint16_t*>out
        for i in range(n):
            v = acc[i]
            v = v if v > lo else lo
            v = v if v < hi else hi
            ou[i] = <uint16_t><int32_t>((v + MAGIC) - MAGIC)


cdef inline Py_ssize_t out_itemsize(int dtype) noexcept nogil:
    if dtype == DT_UINT8:
        return 1
    if dtype == DT_FLOAT32:
        return 4
    return 2


cdef inline int check_ksize(Frame* f, int64_t k, const char* what) noexcept nogil:
    if k < 1:
        snprintf(f.error, ERROR_SIZE, "%s must be >= 1, got %lld", what, <long long>k)
        return -1
    if k > MAX_KSIZE:
        snprintf(f.error, ERROR_SIZE, "%s must be <= %d, got %lld", what, <int>MAX_KSIZE,
                 <long long>k)
        return -1
    return 0


cdef inline int check_odd_ksize(Frame* f, int64_t k, const char* what) noexcept nogil:
    if check_ksize(f, k, what) < 0:
        return -1
    if k % 2 == 0:
        snprintf(f.error, ERROR_SIZE, "%s must be odd, got %lld", what, <long long>k)
        return -1
    return 0


# ============================================================== weighted row sums

cdef cloned_void wsum_rows(float* acc, const float** rows, const float* w, Py_ssize_t nt,
                           Py_ssize_t n, float init) noexcept nogil:
    """``acc = init + sum_t w[t] * rows[t]`` over ``n`` elements, four rows per
    pass so that ``acc`` is read and written once per four taps."""
    cdef Py_ssize_t i, t = 0
    cdef const float* r0
    cdef const float* r1
    cdef const float* r2
    cdef const float* r3
    cdef float w0, w1, w2, w3
    cdef bint first = True
    if nt == 0:
        for i in range(n):
            acc[i] = init
        return
    while t < nt:
        if nt - t >= 4:
            r0 = rows[t]; r1 = rows[t + 1]; r2 = rows[t + 2]; r3 = rows[t + 3]
            w0 = w[t]; w1 = w[t + 1]; w2 = w[t + 2]; w3 = w[t + 3]
            if first:
                for i in range(n):
                    acc[i] = init + w0 * r0[i] + w1 * r1[i] + w2 * r2[i] + w3 * r3[i]
            else:
                for i in range(n):
                    acc[i] = acc[i] + w0 * r0[i] + w1 * r1[i] + w2 * r2[i] + w3 * r3[i]
            t += 4
        elif nt - t == 3:
            r0 = rows[t]; r1 = rows[t + 1]; r2 = rows[t + 2]
            w0 = w[t]; w1 = w[t + 1]; w2 = w[t + 2]
            if first:
                for i in range(n):
                    acc[i] = init + w0 * r0[i] + w1 * r1[i] + w2 * r2[i]
            else:
                for i in range(n):
                    acc[i] = acc[i] + w0 * r0[i] + w1 * r1[i] + w2 * r2[i]
            t += 3
        elif nt - t == 2:
            r0 = rows[t]; r1 = rows[t + 1]
            w0 = w[t]; w1 = w[t + 1]
            if first:
                for i in range(n):
                    acc[i] = init + w0 * r0[i] + w1 * r1[i]
            else:
                for i in range(n):
                    acc[i] = acc[i] + w0 * r0[i] + w1 * r1[i]
            t += 2
        else:
            r0 = rows[t]
            w0 = w[t]
            if first:
                for i in range(n):
                    acc[i] = init + w0 * r0[i]
            else:
                for i in range(n):
                    acc[i] = acc[i] + w0 * r0[i]
            t += 1
        first = False


cdef cloned_void wsum_rows_i16(int16_t* acc, const int16_t** rows, const int16_t* w, Py_ssize_t nt,
                               Py_ssize_t n, int16_t init) noexcept nogil:
    """``wsum_rows`` in 16-bit integer lanes (the caller guarantees that the
    exact result fits, so wrap-around in partial sums cancels)."""
    cdef Py_ssize_t i, t = 0
    cdef const int16_t* r0
    cdef const int16_t* r1
    cdef const int16_t* r2
    cdef const int16_t* r3
    cdef int16_t w0, w1, w2, w3
    cdef bint first = True
    if nt == 0:
        for i in range(n):
            acc[i] = init
        return
    while t < nt:
        if nt - t >= 4:
            r0 = rows[t]; r1 = rows[t + 1]; r2 = rows[t + 2]; r3 = rows[t + 3]
            w0 = w[t]; w1 = w[t + 1]; w2 = w[t + 2]; w3 = w[t + 3]
            if first:
                for i in range(n):
                    acc[i] = <int16_t>(init + w0 * r0[i] + w1 * r1[i] + w2 * r2[i] + w3 * r3[i])
            else:
                for i in range(n):
                    acc[i] = <int16_t>(acc[i] + w0 * r0[i] + w1 * r1[i] + w2 * r2[i]
                                       + w3 * r3[i])
            t += 4
        elif nt - t == 3:
            r0 = rows[t]; r1 = rows[t + 1]; r2 = rows[t + 2]
            w0 = w[t]; w1 = w[t + 1]; w2 = w[t + 2]
            if first:
                for i in range(n):
                    acc[i] = <int16_t>(init + w0 * r0[i] + w1 * r1[i] + w2 * r2[i])
            else:
                for i in range(n):
                    acc[i] = <int16_t>(acc[i] + w0 * r0[i] + w1 * r1[i] + w2 * r2[i])
            t += 3
        elif nt - t == 2:
            r0 = rows[t]; r1 = rows[t + 1]
            w0 = w[t]; w1 = w[t + 1]
            if first:
                for i in range(n):
                    acc[i] = <int16_t>(init + w0 * r0[i] + w1 * r1[i])
            else:
                for i in range(n):
                    acc[i] = <int16_t>(acc[i] + w0 * r0[i] + w1 * r1[i])
            t += 2
        else:
            r0 = rows[t]
            w0 = w[t]
            if first:
                for i in range(n):
                    acc[i] = <int16_t>(init + w0 * r0[i])
            else:
                for i in range(n):
                    acc[i] = <int16_t>(acc[i] + w0 * r0[i])
            t += 1
        first = False


cdef bint fits_i16(const float* w, Py_ssize_t n, double bound) noexcept nogil:
    """Whether integer weights ``w`` keep sums of uint8 pixels exact in
    16 bits: all integral and ``255 * sum |w| <= bound``."""
    cdef Py_ssize_t i
    cdef double total = 0
    for i in range(n):
        if w[i] != floor(w[i]):
            return False
        total += fabs(w[i])
    return total * 255 <= bound


cdef cloned_void store_row_i16(const int16_t* acc, char* out, Py_ssize_t n,
                               int dtype) noexcept nogil:
    cdef Py_ssize_t i
    cdef int16_t v
    if dtype == DT_INT16:
        memcpy(out, acc, n * sizeof(int16_t))
    elif dtype == DT_UINT8:
        for i in range(n):
            v = acc[i]
            v = v if v > 0 else 0
            (<uint8_t*>out)[i] = <uint8_t>(v if v < 255 else 255)
    elif dtype == DT_UINT16:
        for i in range(n):
            v = acc[i]
            (<uint16_t*>out)[i] = <uint16_t>(v if v > 0 else 0)
    else:
        for i in range(n):
            (<float*>out)[i] = <float>acc[i]


cdef cloned_void ext_row_u8_i16(const uint8_t* src, int16_t* ext, const Py_ssize_t* xmap,
                                Py_ssize_t width, Py_ssize_t cn, Py_ssize_t left, Py_ssize_t right,
                                int16_t cval) noexcept nogil:
    """``ext_row_t`` for uint8 rows widened into int16."""
    cdef Py_ssize_t i, j, c, sx
    cdef int16_t* e = ext + left * cn
    if src == NULL:
        for i in range((width + left + right) * cn):
            ext[i] = cval
        return
    for i in range(width * cn):
        e[i] = src[i]
    for j in range(left):
        sx = xmap[j]
        for c in range(cn):
            ext[j * cn + c] = cval if sx < 0 else src[sx * cn + c]
    e = ext + (left + width) * cn
    for j in range(right):
        sx = xmap[left + j]
        for c in range(cn):
            e[j * cn + c] = cval if sx < 0 else src[sx * cn + c]


# Row buffers are spaced by a stride that is not a multiple of 4 KiB apart
# from each other (plus this pad), so that a loop loading one row and storing
# another does not stall on 4K aliasing.
cdef enum:
    ROW_PAD = 192


cdef inline Py_ssize_t row_stride(Py_ssize_t nbytes) noexcept nogil:
    return align64(nbytes) + ROW_PAD


# ============================================================== conv2d

cdef int conv2d_impl(Frame* f, const pixel_t* src, ImageView* im, char* out, int out_dtype,
                     const float* weights, Py_ssize_t kh, Py_ssize_t kw, Py_ssize_t ay,
                     Py_ssize_t ax, float delta, int mode, double cval) noexcept nogil:
    cdef Py_ssize_t H = im.height, W = im.width, cn = im.channels
    cdef Py_ssize_t n = W * cn
    cdef Py_ssize_t left = ax, right = kw - 1 - ax
    cdef Py_ssize_t row_len = (W + kw - 1) * cn
    cdef Py_ssize_t row_bytes = row_stride(row_len * sizeof(float))
    cdef Py_ssize_t ntaps = 0, t, y, u, sy, r, c
    cdef Py_ssize_t osize = out_itemsize(out_dtype)
    cdef float cv = <float>type_value(cval, im.dtype)
    cdef float* acc
    cdef char* ring
    cdef char* mem
    cdef Py_ssize_t* xmap
    cdef Py_ssize_t* tap_row
    cdef Py_ssize_t* tap_off
    cdef float* tap_w
    cdef const float** ptrs
    cdef Py_ssize_t loaded = 0

    for t in range(kh * kw):
        if weights[t] != 0:
            ntaps += 1
    # ring | acc | xmap | tap rows | tap offsets | tap weights | tap pointers
    mem = work(f, 0, kh * row_bytes + row_stride(n * sizeof(float))
               + align64((kw + 1) * sizeof(Py_ssize_t))
               + 4 * align64((ntaps + 1) * sizeof(Py_ssize_t)))
    if mem == NULL:
        return -1
    ring = mem
    acc = <float*>(mem + kh * row_bytes)
    xmap = <Py_ssize_t*>(<char*>acc + row_stride(n * sizeof(float)))
    tap_row = <Py_ssize_t*>(<char*>xmap + align64((kw + 1) * sizeof(Py_ssize_t)))
    tap_off = <Py_ssize_t*>(<char*>tap_row + align64((ntaps + 1) * sizeof(Py_ssize_t)))
    tap_w = <float*>(<char*>tap_off + align64((ntaps + 1) * sizeof(Py_ssize_t)))
    ptrs = <const float**>(<char*>tap_w + align64((ntaps + 1) * sizeof(Py_ssize_t)))
    t = 0
    for r in range(kh):
        for c in range(kw):
            if weights[r * kw + c] != 0:
                tap_row[t] = r
                tap_off[t] = c * cn
                tap_w[t] = weights[r * kw + c]
                t += 1
    make_xmap(xmap, W, left, right, mode)

    for y in range(H):
        # virtual source rows y - ay + r (r < kh) are ring rows u = y + r
        while loaded < y + kh:
            u = loaded
            sy = border_index(u - ay, H, mode)
            ext_row_f(src + sy * n if sy >= 0 else <const pixel_t*>NULL,
                      <float*>(ring + (u % kh) * row_bytes), xmap, W, cn, left, right, cv)
            loaded += 1
        for t in range(ntaps):
            ptrs[t] = <const float*>(ring + ((y + tap_row[t]) % kh) * row_bytes) + tap_off[t]
        if out_dtype == DT_FLOAT32:
            wsum_rows(<float*>out + y * n, ptrs, tap_w, ntaps, n, delta)
        else:
            wsum_rows(acc, ptrs, tap_w, ntaps, n, delta)
            store_row_f(acc, out + y * n * osize, n, out_dtype)
    return 0


cdef int conv2d_u8_i16(Frame* f, ImageView* im, char* out, int out_dtype,
                       const float* weights, Py_ssize_t kh, Py_ssize_t kw, Py_ssize_t ay,
                       Py_ssize_t ax, int16_t delta, int mode, double cval) noexcept nogil:
    """``conv2d`` of a uint8 image with small integer weights, exact in
    16-bit lanes (twice the lanes of float, no conversions)."""
    cdef Py_ssize_t H = im.height, W = im.width, cn = im.channels
    cdef Py_ssize_t n = W * cn
    cdef Py_ssize_t left = ax, right = kw - 1 - ax
    cdef Py_ssize_t row_len = (W + kw - 1) * cn
    cdef Py_ssize_t row_bytes = row_stride(row_len * sizeof(int16_t))
    cdef Py_ssize_t ntaps = 0, t, y, u, sy, r, c
    cdef Py_ssize_t osize = out_itemsize(out_dtype)
    cdef int16_t cv = cast_u8(cval)
    cdef const uint8_t* src = <const uint8_t*>im.data
    cdef int16_t* acc
    cdef char* ring
    cdef char* mem
    cdef Py_ssize_t* xmap
    cdef Py_ssize_t* tap_row
    cdef Py_ssize_t* tap_off
    cdef int16_t* tap_w
    cdef const int16_t** ptrs
    cdef Py_ssize_t loaded = 0

    for t in range(kh * kw):
        if weights[t] != 0:
            ntaps += 1
    mem = work(f, 0, kh * row_bytes + row_stride(n * sizeof(int16_t))
               + align64((kw + 1) * sizeof(Py_ssize_t))
               + 4 * align64((ntaps + 1) * sizeof(Py_ssize_t)))
    if mem == NULL:
        return -1
    ring = mem
    acc = <int16_t*>(mem + kh * row_bytes)
    xmap = <Py_ssize_t*>(<char*>acc + row_stride(n * sizeof(int16_t)))
    tap_row = <Py_ssize_t*>(<char*>xmap + align64((kw + 1) * sizeof(Py_ssize_t)))
    tap_off = <Py_ssize_t*>(<char*>tap_row + align64((ntaps + 1) * sizeof(Py_ssize_t)))
    tap_w = <int16_t*>(<char*>tap_off + align64((ntaps + 1) * sizeof(Py_ssize_t)))
    ptrs = <const int16_t**>(<char*>tap_w + align64((ntaps + 1) * sizeof(Py_ssize_t)))
    t = 0
    for r in range(kh):
        for c in range(kw):
            if weights[r * kw + c] != 0:
                tap_row[t] = r
                tap_off[t] = c * cn
                tap_w[t] = <int16_t>weights[r * kw + c]
                t += 1
    make_xmap(xmap, W, left, right, mode)
    for y in range(H):
        while loaded < y + kh:
            u = loaded
            sy = border_index(u - ay, H, mode)
            ext_row_u8_i16(src + sy * n if sy >= 0 else <const uint8_t*>NULL,
                           <int16_t*>(ring + (u % kh) * row_bytes), xmap, W, cn, left, right, cv)
            loaded += 1
        for t in range(ntaps):
            ptrs[t] = <const int16_t*>(ring + ((y + tap_row[t]) % kh) * row_bytes) + tap_off[t]
        if out_dtype == DT_INT16:
            wsum_rows_i16(<int16_t*>out + y * n, ptrs, tap_w, ntaps, n, delta)
        else:
            wsum_rows_i16(acc, ptrs, tap_w, ntaps, n, delta)
            store_row_i16(acc, out + y * n * osize, n, out_dtype)
    return 0


cdef int conv2d(Frame* f, ImageView* im, char* out, int out_dtype, const float* weights,
                Py_ssize_t kh, Py_ssize_t kw, Py_ssize_t ay, Py_ssize_t ax, float delta,
                int mode, double cval) noexcept nogil:
    """Correlate image ``im`` with the ``kh x kw`` kernel ``weights`` (anchor
    ``ay, ax``) into ``out`` of type ``out_dtype``."""
    if (im.dtype == DT_UINT8 and delta == floor(delta)
            and fits_i16(weights, kh * kw, 32767 - fabs(delta))):
        return conv2d_u8_i16(f, im, out, out_dtype, weights, kh, kw, ay, ax, <int16_t>delta,
                             mode, cval)
    if im.dtype == DT_UINT8:
        return conv2d_impl(f, <const uint8_t*>im.data, im, out, out_dtype, weights, kh, kw,
                           ay, ax, delta, mode, cval)
    if im.dtype == DT_UINT16:
        return conv2d_impl(f, <const uint16_t*>im.data, im, out, out_dtype, weights, kh, kw,
                           ay, ax, delta, mode, cval)
    if im.dtype == DT_INT16:
        return conv2d_impl(f, <const int16_t*>im.data, im, out, out_dtype, weights, kh, kw,
                           ay, ax, delta, mode, cval)
    return conv2d_impl(f, <const float*>im.data, im, out, out_dtype, weights, kh, kw,
                       ay, ax, delta, mode, cval)


# ============================================================== sepfilter

cdef int sepfilter_impl(Frame* f, const pixel_t* src, ImageView* im, char* out, int out_dtype,
                        const float* kx, Py_ssize_t kw, const float* ky, Py_ssize_t kh,
                        float delta, int mode, double cval) noexcept nogil:
    cdef Py_ssize_t H = im.height, W = im.width, cn = im.channels
    cdef Py_ssize_t n = W * cn
    cdef Py_ssize_t ax = kw // 2, ay = kh // 2
    cdef Py_ssize_t left = ax, right = kw - 1 - ax
    cdef Py_ssize_t ext_len = (W + kw - 1) * cn
    cdef Py_ssize_t row_bytes = row_stride(n * sizeof(float))
    cdef Py_ssize_t k, y, u, sy, ntx = 0, nty = 0
    cdef Py_ssize_t osize = out_itemsize(out_dtype)
    cdef Py_ssize_t loaded = 0
    cdef float cv = <float>type_value(cval, im.dtype)
    cdef float* ext
    cdef float* acc
    cdef char* ring
    cdef char* mem
    cdef Py_ssize_t* xmap
    cdef Py_ssize_t* ymap
    cdef float* wx
    cdef float* wy
    cdef const float** px
    cdef const float** py

    mem = work(f, 0, kh * row_bytes + row_bytes + row_stride(ext_len * sizeof(float))
               + align64((kw + 1) * sizeof(Py_ssize_t)) + align64((kh + 1) * sizeof(Py_ssize_t))
               + 2 * align64((kw + kh + 2) * sizeof(float))
               + 2 * align64((kw + kh + 2) * sizeof(Py_ssize_t)))
    if mem == NULL:
        return -1
    ring = mem
    acc = <float*>(mem + kh * row_bytes)
    ext = <float*>(mem + (kh + 1) * row_bytes)
    xmap = <Py_ssize_t*>(<char*>ext + row_stride(ext_len * sizeof(float)))
    ymap = <Py_ssize_t*>(<char*>xmap + align64((kw + 1) * sizeof(Py_ssize_t)))
    wx = <float*>(<char*>ymap + align64((kh + 1) * sizeof(Py_ssize_t)))
    wy = <float*>(<char*>wx + align64((kw + kh + 2) * sizeof(float)))
    px = <const float**>(<char*>wy + align64((kw + kh + 2) * sizeof(float)))
    py = <const float**>(<char*>px + align64((kw + kh + 2) * sizeof(Py_ssize_t)))
    make_xmap(xmap, W, left, right, mode)
    # non-zero taps only
    for k in range(kw):
        if kx[k] != 0:
            wx[ntx] = kx[k]
            px[ntx] = ext + k * cn
            ntx += 1
    for k in range(kh):
        if ky[k] != 0:
            wy[nty] = ky[k]
            ymap[nty] = k
            nty += 1

    for y in range(H):
        while loaded < y + kh:
            u = loaded
            sy = border_index(u - ay, H, mode)
            ext_row_f(src + sy * n if sy >= 0 else <const pixel_t*>NULL, ext, xmap, W, cn,
                      left, right, cv)
            wsum_rows(<float*>(ring + (u % kh) * row_bytes), px, wx, ntx, n, 0)
            loaded += 1
        for k in range(nty):
            py[k] = <const float*>(ring + ((y + ymap[k]) % kh) * row_bytes)
        if out_dtype == DT_FLOAT32:
            wsum_rows(<float*>out + y * n, py, wy, nty, n, delta)
        else:
            wsum_rows(acc, py, wy, nty, n, delta)
            store_row_f(acc, out + y * n * osize, n, out_dtype)
    return 0


cdef int sepfilter_u8_i16(Frame* f, ImageView* im, char* out, int out_dtype,
                          const float* kx, Py_ssize_t kw, const float* ky, Py_ssize_t kh,
                          int16_t delta, int mode, double cval) noexcept nogil:
    """``sepfilter`` of a uint8 image with small integer kernels, exact in
    16-bit lanes."""
    cdef Py_ssize_t H = im.height, W = im.width, cn = im.channels
    cdef Py_ssize_t n = W * cn
    cdef Py_ssize_t ax = kw // 2, ay = kh // 2
    cdef Py_ssize_t left = ax, right = kw - 1 - ax
    cdef Py_ssize_t ext_len = (W + kw - 1) * cn
    cdef Py_ssize_t row_bytes = row_stride(n * sizeof(int16_t))
    cdef Py_ssize_t k, y, u, sy, ntx = 0, nty = 0
    cdef Py_ssize_t osize = out_itemsize(out_dtype)
    cdef Py_ssize_t loaded = 0
    cdef int16_t cv = cast_u8(cval)
    cdef const uint8_t* src = <const uint8_t*>im.data
    cdef int16_t* ext
    cdef int16_t* acc
    cdef char* ring
    cdef char* mem
    cdef Py_ssize_t* xmap
    cdef Py_ssize_t* ymap
    cdef int16_t* wx
    cdef int16_t* wy
    cdef const int16_t** px
    cdef const int16_t** py

    mem = work(f, 0, kh * row_bytes + row_bytes + row_stride(ext_len * sizeof(int16_t))
               + align64((kw + 1) * sizeof(Py_ssize_t)) + align64((kh + 1) * sizeof(Py_ssize_t))
               + 2 * align64((kw + kh + 2) * sizeof(int16_t))
               + 2 * align64((kw + kh + 2) * sizeof(Py_ssize_t)))
    if mem == NULL:
        return -1
    ring = mem
    acc = <int16_t*>(mem + kh * row_bytes)
    ext = <int16_t*>(mem + (kh + 1) * row_bytes)
    xmap = <Py_ssize_t*>(<char*>ext + row_stride(ext_len * sizeof(int16_t)))
    ymap = <Py_ssize_t*>(<char*>xmap + align64((kw + 1) * sizeof(Py_ssize_t)))
    wx = <int16_t*>(<char*>ymap + align64((kh + 1) * sizeof(Py_ssize_t)))
    wy = <int16_t*>(<char*>wx + align64((kw + kh + 2) * sizeof(int16_t)))
    px = <const int16_t**>(<char*>wy + align64((kw + kh + 2) * sizeof(int16_t)))
    py = <const int16_t**>(<char*>px + align64((kw + kh + 2) * sizeof(Py_ssize_t)))
    make_xmap(xmap, W, left, right, mode)
    for k in range(kw):
        if kx[k] != 0:
            wx[ntx] = <int16_t>kx[k]
            px[ntx] = ext + k * cn
            ntx += 1
    for k in range(kh):
        if ky[k] != 0:
            wy[nty] = <int16_t>ky[k]
            ymap[nty] = k
            nty += 1
    for y in range(H):
        while loaded < y + kh:
            u = loaded
            sy = border_index(u - ay, H, mode)
            ext_row_u8_i16(src + sy * n if sy >= 0 else <const uint8_t*>NULL, ext, xmap, W, cn,
                           left, right, cv)
            wsum_rows_i16(<int16_t*>(ring + (u % kh) * row_bytes), px, wx, ntx, n, 0)
            loaded += 1
        for k in range(nty):
            py[k] = <const int16_t*>(ring + ((y + ymap[k]) % kh) * row_bytes)
        if out_dtype == DT_INT16:
            wsum_rows_i16(<int16_t*>out + y * n, py, wy, nty, n, delta)
        else:
            wsum_rows_i16(acc, py, wy, nty, n, delta)
            store_row_i16(acc, out + y * n * osize, n, out_dtype)
    return 0


cdef int sepfilter(Frame* f, ImageView* im, char* out, int out_dtype, const float* kx,
                   Py_ssize_t kw, const float* ky, Py_ssize_t kh, float delta, int mode,
                   double cval) noexcept nogil:
    """Separable correlation (centred anchor) of ``im`` into ``out``."""
    cdef double sx = 0, sy = 0
    cdef Py_ssize_t i
    if im.dtype == DT_UINT8 and delta == floor(delta) and fits_i16(kx, kw, 32767) \
            and fits_i16(ky, kh, 32767):
        for i in range(kw):
            sx += fabs(kx[i])
        for i in range(kh):
            sy += fabs(ky[i])
        if 255 * sx * sy + fabs(delta) <= 32767:
            return sepfilter_u8_i16(f, im, out, out_dtype, kx, kw, ky, kh, <int16_t>delta,
                                    mode, cval)
    if im.dtype == DT_UINT8:
        return sepfilter_impl(f, <const uint8_t*>im.data, im, out, out_dtype, kx, kw, ky, kh,
                              delta, mode, cval)
    if im.dtype == DT_UINT16:
        return sepfilter_impl(f, <const uint16_t*>im.data, im, out, out_dtype, kx, kw, ky, kh,
                              delta, mode, cval)
    if im.dtype == DT_INT16:
        return sepfilter_impl(f, <const int16_t*>im.data, im, out, out_dtype, kx, kw, ky, kh,
                              delta, mode, cval)
    return sepfilter_impl(f, <const float*>im.data, im, out, out_dtype, kx, kw, ky, kh,
                          delta, mode, cval)


# ============================================================== Gaussian

cdef void gaussian_kernel(double sigma, Py_ssize_t n, double* k) noexcept nogil:
    """OpenCV's getGaussianKernelBitExact for odd ``n`` (sums to 1)."""
    cdef Py_ssize_t i, n2 = (n - 1) // 2
    cdef double sigma_x, scale2x, s, t, mul1
    cdef int64_t x
    if sigma <= 0:
        if n == 1:
            k[0] = 1.0
            return
        if n == 3:
            k[0] = 0.25; k[1] = 0.5; k[2] = 0.25
            return
        if n == 5:
            k[0] = 0.0625; k[1] = 0.25; k[2] = 0.375; k[3] = 0.25; k[4] = 0.0625
            return
        if n == 7:
            k[0] = 0.03125; k[1] = 0.109375; k[2] = 0.21875; k[3] = 0.28125
            k[4] = 0.21875; k[5] = 0.109375; k[6] = 0.03125
            return
        if n == 9:
            k[0] = 4.0 / 256; k[1] = 13.0 / 256; k[2] = 30.0 / 256; k[3] = 51.0 / 256
            k[4] = 60.0 / 256
            k[5] = k[3]; k[6] = k[2]; k[7] = k[1]; k[8] = k[0]
            return
    sigma_x = sigma if sigma > 0 else fma(<double>n, 0.15, 0.35)
    scale2x = -0.125 / (sigma_x * sigma_x)
    s = 0
    for i in range(n2):
        x = 1 - n + 2 * i
        t = exp(<double>(x * x) * scale2x)
        k[i] = t
        s += t
    s = s * 2 + 1
    mul1 = 1.0 / s
    for i in range(n2):
        t = k[i] * mul1
        k[i] = t
        k[n - 1 - i] = t
    k[n2] = mul1


cdef void gaussian_fixed(const double* k, Py_ssize_t n, int bits, uint32_t* out) noexcept nogil:
    """Fixed-point coefficients with ``bits`` fraction bits, rounded with
    error diffusion so they sum to exactly ``1 << bits`` (OpenCV's
    getGaussianKernelFixedPoint_ED)."""
    cdef Py_ssize_t i, n2 = n // 2
    cdef double mult = <double>(<int64_t>1 << bits)
    cdef double err = 0, adj, v0
    cdef int64_t total = 0
    for i in range(n2):
        adj = k[i] * mult + err
        v0 = rint(adj)
        err = adj - v0
        out[i] = <uint32_t>v0
        out[n - 1 - i] = <uint32_t>v0
        total += <int64_t>v0
    out[n2] = <uint32_t>((<int64_t>1 << bits) - 2 * total)


cdef cloned_void hsmooth_u8(uint16_t* h, const uint8_t* ext, const uint32_t* kx, Py_ssize_t kw,
                            Py_ssize_t cn, Py_ssize_t n) noexcept nogil:
    """8.8 fixed-point horizontal pass of a symmetric kernel: ``h = sum kx *
    ext``, exact below 2**16 (intermediate wrap-around in 16-bit lanes
    cancels out in modular arithmetic)."""
    cdef Py_ssize_t i, p = 0, r = kw // 2
    cdef uint16_t cm = <uint16_t>kx[r], c0, c1
    cdef const uint8_t* m = ext + r * cn
    cdef const uint8_t* a0
    cdef const uint8_t* b0
    cdef const uint8_t* a1
    cdef const uint8_t* b1
    if r == 0:
        for i in range(n):
            h[i] = <uint16_t>(cm * m[i])
        return
    # first pass: centre and up to two pairs
    c0 = <uint16_t>kx[0]
    a0 = ext
    b0 = ext + (kw - 1) * cn
    if r == 1:
        for i in range(n):
            h[i] = <uint16_t>(cm * m[i] + c0 * <uint16_t>(a0[i] + b0[i]))
        return
    c1 = <uint16_t>kx[1]
    a1 = ext + cn
    b1 = ext + (kw - 2) * cn
    for i in range(n):
        h[i] = <uint16_t>(cm * m[i] + c0 * <uint16_t>(a0[i] + b0[i])
                          + c1 * <uint16_t>(a1[i] + b1[i]))
    p = 2
    while p < r:
        c0 = <uint16_t>kx[p]
        a0 = ext + p * cn
        b0 = ext + (kw - 1 - p) * cn
        if p + 1 < r:
            c1 = <uint16_t>kx[p + 1]
            a1 = ext + (p + 1) * cn
            b1 = ext + (kw - 2 - p) * cn
            for i in range(n):
                h[i] = <uint16_t>(h[i] + c0 * <uint16_t>(a0[i] + b0[i])
                                  + c1 * <uint16_t>(a1[i] + b1[i]))
            p += 2
        else:
            for i in range(n):
                h[i] = <uint16_t>(h[i] + c0 * <uint16_t>(a0[i] + b0[i]))
            p += 1


cdef cloned_void vsmooth_u8(uint8_t* out, uint16_t* acc_hi, uint16_t* acc_lo, uint16_t** rows,
                            const uint32_t* ky, Py_ssize_t kh, Py_ssize_t n) noexcept nogil:
    """Vertical pass over the 8.8 rows, result ``(sum ky * h + 2**15) >> 16``.

    The 24-bit sums are split so that every lane stays 16-bit: with
    ``h = 256 * hi + lo``, ``A = sum ky * hi`` and ``B = sum ky * lo`` are
    both below 2**16 (the coefficients sum to 256), and
    ``(256 * A + B + 2**15) >> 16 == (A + 128 + (B >> 8)) >> 8``."""
    cdef Py_ssize_t i, p, r = kh // 2
    cdef uint16_t cm = <uint16_t>ky[r], c0, c1, A, B, m, a, b, a1, b1
    cdef const uint16_t* rm = rows[r]
    cdef const uint16_t* ra
    cdef const uint16_t* rb
    cdef const uint16_t* ra1
    cdef const uint16_t* rb1
    cdef bint last
    if r == 0:
        for i in range(n):
            m = rm[i]
            A = <uint16_t>(cm * (m >> 8))
            B = <uint16_t>(cm * (m & 255))
            out[i] = <uint8_t>((A + 128 + (B >> 8)) >> 8)
        return
    if r == 1:
        c0 = <uint16_t>ky[0]
        ra = rows[0]
        rb = rows[2]
        for i in range(n):
            m = rm[i]; a = ra[i]; b = rb[i]
            A = <uint16_t>(cm * (m >> 8) + c0 * ((a >> 8) + (b >> 8)))
            B = <uint16_t>(cm * (m & 255) + c0 * ((a & 255) + (b & 255)))
            out[i] = <uint8_t>((<uint32_t>A + 128 + (B >> 8)) >> 8)
        return
    # two pairs per pass, the centre with the first ones
    c0 = <uint16_t>ky[0]
    c1 = <uint16_t>ky[1]
    ra = rows[0]; rb = rows[kh - 1]; ra1 = rows[1]; rb1 = rows[kh - 2]
    if r == 2:
        for i in range(n):
            m = rm[i]; a = ra[i]; b = rb[i]; a1 = ra1[i]; b1 = rb1[i]
            A = <uint16_t>(cm * (m >> 8) + c0 * ((a >> 8) + (b >> 8))
                           + c1 * ((a1 >> 8) + (b1 >> 8)))
            B = <uint16_t>(cm * (m & 255) + c0 * ((a & 255) + (b & 255))
                           + c1 * ((a1 & 255) + (b1 & 255)))
            out[i] = <uint8_t>((<uint32_t>A + 128 + (B >> 8)) >> 8)
        return
    # (one store per loop: two would exceed the compiler's alias checks)
    for i in range(n):
        m = rm[i]; a = ra[i]; b = rb[i]; a1 = ra1[i]; b1 = rb1[i]
        acc_hi[i] = <uint16_t>(cm * (m >> 8) + c0 * ((a >> 8) + (b >> 8))
                               + c1 * ((a1 >> 8) + (b1 >> 8)))
    for i in range(n):
        m = rm[i]; a = ra[i]; b = rb[i]; a1 = ra1[i]; b1 = rb1[i]
        acc_lo[i] = <uint16_t>(cm * (m & 255) + c0 * ((a & 255) + (b & 255))
                               + c1 * ((a1 & 255) + (b1 & 255)))
    p = 2
    while p < r:
        c0 = <uint16_t>ky[p]
        ra = rows[p]; rb = rows[kh - 1 - p]
        if p + 1 < r:
            c1 = <uint16_t>ky[p + 1]
            ra1 = rows[p + 1]; rb1 = rows[kh - 2 - p]
            last = p + 2 >= r
            if last:
                for i in range(n):
                    a = ra[i]; b = rb[i]; a1 = ra1[i]; b1 = rb1[i]
                    A = <uint16_t>(acc_hi[i] + c0 * ((a >> 8) + (b >> 8))
                                   + c1 * ((a1 >> 8) + (b1 >> 8)))
                    B = <uint16_t>(acc_lo[i] + c0 * ((a & 255) + (b & 255))
                                   + c1 * ((a1 & 255) + (b1 & 255)))
                    out[i] = <uint8_t>((<uint32_t>A + 128 + (B >> 8)) >> 8)
            else:
                for i in range(n):
                    a = ra[i]; b = rb[i]; a1 = ra1[i]; b1 = rb1[i]
                    acc_hi[i] = <uint16_t>(acc_hi[i] + c0 * ((a >> 8) + (b >> 8))
                                           + c1 * ((a1 >> 8) + (b1 >> 8)))
                for i in range(n):
                    a = ra[i]; b = rb[i]; a1 = ra1[i]; b1 = rb1[i]
                    acc_lo[i] = <uint16_t>(acc_lo[i] + c0 * ((a & 255) + (b & 255))
                                           + c1 * ((a1 & 255) + (b1 & 255)))
            p += 2
        else:
            for i in range(n):
                a = ra[i]; b = rb[i]
                A = <uint16_t>(acc_hi[i] + c0 * ((a >> 8) + (b >> 8)))
                B = <uint16_t>(acc_lo[i] + c0 * ((a & 255) + (b & 255)))
                out[i] = <uint8_t>((<uint32_t>A + 128 + (B >> 8)) >> 8)
            p += 1


cdef int gauss_u8(Frame* f, ImageView* im, uint8_t* out, const uint32_t* fkx, Py_ssize_t kw,
                  const uint32_t* fky, Py_ssize_t kh, int mode, double cval) noexcept nogil:
    """uint8 Gaussian, bit-exact with OpenCV: 8.8 fixed-point rows, then a
    vertical pass with 16 fraction bits and one rounding."""
    cdef Py_ssize_t H = im.height, W = im.width, cn = im.channels
    cdef Py_ssize_t n = W * cn
    cdef Py_ssize_t rx = kw // 2, ry = kh // 2
    cdef Py_ssize_t ext_len = (W + kw - 1) * cn
    cdef Py_ssize_t row_bytes = row_stride(n * sizeof(uint16_t))
    cdef Py_ssize_t k, y, u, sy
    cdef Py_ssize_t loaded = 0
    cdef const uint8_t* src = <const uint8_t*>im.data
    cdef uint8_t cv = cast_u8(cval)
    cdef uint8_t* ext
    cdef uint16_t* acc_hi
    cdef uint16_t* acc_lo
    cdef uint16_t** rows
    cdef char* ring
    cdef char* mem
    cdef Py_ssize_t* xmap

    mem = work(f, 0, (kh + 2) * row_bytes + row_stride(ext_len)
               + align64((kw + 1) * sizeof(Py_ssize_t)) + align64((kh + 1) * sizeof(void*)))
    if mem == NULL:
        return -1
    ring = mem
    acc_hi = <uint16_t*>(mem + kh * row_bytes)
    acc_lo = <uint16_t*>(mem + (kh + 1) * row_bytes)
    ext = <uint8_t*>(mem + (kh + 2) * row_bytes)
    xmap = <Py_ssize_t*>(<char*>ext + row_stride(ext_len))
    rows = <uint16_t**>(<char*>xmap + align64((kw + 1) * sizeof(Py_ssize_t)))
    make_xmap(xmap, W, rx, rx, mode)

    for y in range(H):
        while loaded < y + kh:
            u = loaded
            sy = border_index(u - ry, H, mode)
            ext_row_t(src + sy * n if sy >= 0 else <const uint8_t*>NULL, ext, xmap, W, cn,
                      rx, rx, cv)
            hsmooth_u8(<uint16_t*>(ring + (u % kh) * row_bytes), ext, fkx, kw, cn, n)
            loaded += 1
        for k in range(kh):
            rows[k] = <uint16_t*>(ring + ((y + k) % kh) * row_bytes)
        vsmooth_u8(out + y * n, acc_hi, acc_lo, rows, fky, kh, n)
    return 0


cdef int gauss_u16(Frame* f, ImageView* im, uint16_t* out, const uint32_t* fkx, Py_ssize_t kw,
                   const uint32_t* fky, Py_ssize_t kh, int mode, double cval) noexcept nogil:
    """uint16 Gaussian, bit-exact with OpenCV: 16.16 fixed-point rows, then a
    vertical pass with 32 fraction bits and one rounding.

    Both passes run in doubles: every product (below 2**48) and every
    partial sum is an integer below 2**53, so double arithmetic is exact and
    vectorises, unlike 32- and 64-bit integer multiplies on SSE2."""
    cdef Py_ssize_t H = im.height, W = im.width, cn = im.channels
    cdef Py_ssize_t n = W * cn
    cdef Py_ssize_t rx = kw // 2, ry = kh // 2
    cdef Py_ssize_t ext_len = (W + kw - 1) * cn
    cdef Py_ssize_t row_bytes = row_stride(n * sizeof(double))
    cdef Py_ssize_t i, k, y, u, sy
    cdef Py_ssize_t loaded = 0
    cdef const uint16_t* src = <const uint16_t*>im.data
    cdef uint16_t cv = cast_u16(cval)
    cdef double cd
    cdef double half = 2147483648.0, inv = 1.0 / 4294967296.0
    cdef int32_t iv
    cdef uint16_t* ext
    cdef double* hd
    cdef double* ra
    cdef double* rb
    cdef double* acc
    cdef double* dext
    cdef double* da
    cdef double* db
    cdef uint16_t* o
    cdef char* ring
    cdef char* mem
    cdef Py_ssize_t* xmap

    mem = work(f, 0, kh * row_bytes + row_stride(n * sizeof(double))
               + row_stride(ext_len * sizeof(double))
               + row_stride(ext_len * sizeof(uint16_t)) + align64((kw + 1) * sizeof(Py_ssize_t)))
    if mem == NULL:
        return -1
    ring = mem
    acc = <double*>(mem + kh * row_bytes)
    dext = <double*>(<char*>acc + row_stride(n * sizeof(double)))
    ext = <uint16_t*>(<char*>dext + row_stride(ext_len * sizeof(double)))
    xmap = <Py_ssize_t*>(<char*>ext + row_stride(ext_len * sizeof(uint16_t)))
    make_xmap(xmap, W, rx, rx, mode)

    for y in range(H):
        while loaded < y + kh:
            u = loaded
            sy = border_index(u - ry, H, mode)
            ext_row_t(src + sy * n if sy >= 0 else <const uint16_t*>NULL, ext, xmap, W, cn,
                      rx, rx, cv)
            for i in range(ext_len):
                dext[i] = <double><int32_t>ext[i]
            hd = <double*>(ring + (u % kh) * row_bytes)
            cd = <double>fkx[rx]
            da = dext + rx * cn
            for i in range(n):
                hd[i] = cd * da[i]
            for k in range(rx):
                cd = <double>fkx[k]
                if cd == 0:
                    continue
                da = dext + k * cn
                db = dext + (kw - 1 - k) * cn
                for i in range(n):
                    hd[i] = hd[i] + cd * (da[i] + db[i])
            loaded += 1
        cd = <double>fky[ry]
        hd = <double*>(ring + ((y + ry) % kh) * row_bytes)
        for i in range(n):
            acc[i] = cd * hd[i]
        for k in range(ry):
            cd = <double>fky[k]
            if cd == 0:
                continue
            ra = <double*>(ring + ((y + k) % kh) * row_bytes)
            rb = <double*>(ring + ((y + kh - 1 - k) % kh) * row_bytes)
            for i in range(n):
                acc[i] = acc[i] + cd * (ra[i] + rb[i])
        o = out + y * n
        for i in range(n):
            # non-negative: truncation is the floor
            iv = <int32_t>((acc[i] + half) * inv)
            o[i] = <uint16_t>(iv if iv < 65535 else 65535)
    return 0


cdef int k_gaussian_blur(Frame* f, const Instr* ins) noexcept nogil:
    """Inputs: image, sigma, ksize (0: from sigma).  iparams: border.
    fparams: border value."""
    cdef ImageView im
    cdef double sigma
    cdef int64_t ksize
    cdef int mode = <int>iparam(f, ins, 0)
    cdef double cval = fparam(f, ins, 0)
    cdef Py_ssize_t kw, kh, i
    cdef Value* out
    cdef char* mem
    cdef double* k
    cdef uint32_t* fk
    cdef float* fl
    cdef int bits
    if as_image(f, arg(f, ins, 0), &im) < 0:
        return -1
    if get_double(f, arg(f, ins, 1), "sigma", &sigma) < 0:
        return -1
    if get_int(f, arg(f, ins, 2), "ksize", &ksize) < 0:
        return -1
    if ksize <= 0:
        if not (sigma > 0):
            snprintf(f.error, ERROR_SIZE, "GaussianBlur needs sigma > 0 when ksize is 0, "
                     "got sigma %g", sigma)
            return -1
        if sigma > MAX_KSIZE:
            snprintf(f.error, ERROR_SIZE, "sigma %g is too large", sigma)
            return -1
        ksize = (<int64_t>rint(sigma * (3 if im.dtype == DT_UINT8 else 4) * 2 + 1)) | 1
    if check_odd_ksize(f, ksize, "ksize") < 0:
        return -1
    if sigma < 0:
        sigma = 0
    if sigma > 1e12:
        snprintf(f.error, ERROR_SIZE, "sigma %g is too large", sigma)
        return -1
    out = new_image(f, ins, im.dtype, im.height, im.width, im.channels, im.ndim)
    if out == NULL:
        return -1
    if im.height == 0 or im.width == 0:
        return 0
    kw = ksize
    kh = ksize
    # As OpenCV: a single row or column is only filtered along the other axis.
    if mode != BORDER_CONSTANT:
        if im.height == 1:
            kh = 1
        if im.width == 1:
            kw = 1
    # scratch 1: double kernel | fixed or float kernels (x then y)
    mem = work(f, 1, (ksize + 8) * (sizeof(double) + 2 * sizeof(uint32_t) + 2 * sizeof(float)))
    if mem == NULL:
        return -1
    k = <double*>mem
    fk = <uint32_t*>(mem + (ksize + 8) * sizeof(double))
    fl = <float*>(<char*>fk + 2 * (ksize + 8) * sizeof(uint32_t))
    if im.dtype == DT_UINT8 or im.dtype == DT_UINT16:
        bits = 8 if im.dtype == DT_UINT8 else 16
        gaussian_kernel(sigma, kw, k)
        gaussian_fixed(k, kw, bits, fk)
        gaussian_kernel(sigma, kh, k)
        gaussian_fixed(k, kh, bits, fk + ksize + 4)
        if im.dtype == DT_UINT8:
            return gauss_u8(f, &im, <uint8_t*>out.data, fk, kw, fk + ksize + 4, kh, mode, cval)
        return gauss_u16(f, &im, <uint16_t*>out.data, fk, kw, fk + ksize + 4, kh, mode, cval)
    gaussian_kernel(sigma, kw, k)
    for i in range(kw):
        fl[i] = <float>k[i]
    gaussian_kernel(sigma, kh, k)
    for i in range(kh):
        fl[ksize + 4 + i] = <float>k[i]
    return sepfilter(f, &im, out.data, im.dtype, fl, kw, fl + ksize + 4, kh, 0, mode, cval)


# ============================================================== box

# Column sums first, then box sums along the row.  ``acc_t`` holds the sums:
# uint16 for uint8 images with a kernel area up to 257 (as OpenCV: the
# running sums may wrap around, the exact result fits and wrap-around
# cancels), int32 for larger uint8 kernels, double for the other types.
ctypedef fused acc_t:
    uint16_t
    int32_t
    double


cdef cloned_void col_update_i(acc_t* s, const uint8_t* add, const uint8_t* sub,
                              Py_ssize_t n) noexcept nogil:
    """Column sums one row down: ``s += add - sub`` (uint8 rows)."""
    cdef Py_ssize_t i
    for i in range(n):
        s[i] = <acc_t>(s[i] + <acc_t>add[i] - <acc_t>sub[i])


cdef cloned_void col_update_d(double* s, const pixel_t* add, const pixel_t* sub,
                              Py_ssize_t n) noexcept nogil:
    """Column sums one row down: ``s += add - sub`` in double."""
    cdef Py_ssize_t i
    for i in range(n):
        s[i] = s[i] + (<double>add[i] - <double>sub[i])


cdef cloned_void box_taps(acc_t* out, const acc_t* e, const acc_t* zeros, Py_ssize_t kw,
                          Py_ssize_t cn, Py_ssize_t n) noexcept nogil:
    """``out[i] = sum_k e[i + k cn]`` for ``k < kw``, eight taps a pass; the
    taps past ``kw`` of the last pass read ``zeros`` (one loop for any
    remainder, and no extra pass over ``out``)."""
    cdef Py_ssize_t i, k = 0, t
    cdef const acc_t* p[8]
    cdef const acc_t* e0
    cdef const acc_t* e1
    cdef const acc_t* e2
    cdef const acc_t* e3
    cdef const acc_t* e4
    cdef const acc_t* e5
    cdef const acc_t* e6
    cdef const acc_t* e7
    while k < kw:
        for t in range(8):
            p[t] = e + (k + t) * cn if k + t < kw else zeros
        e0 = p[0]; e1 = p[1]; e2 = p[2]; e3 = p[3]
        e4 = p[4]; e5 = p[5]; e6 = p[6]; e7 = p[7]
        if k == 0:
            for i in range(n):
                out[i] = <acc_t>(((e0[i] + e1[i]) + (e2[i] + e3[i]))
                                 + ((e4[i] + e5[i]) + (e6[i] + e7[i])))
        else:
            for i in range(n):
                out[i] = <acc_t>(out[i] + (((e0[i] + e1[i]) + (e2[i] + e3[i]))
                                           + ((e4[i] + e5[i]) + (e6[i] + e7[i]))))
        k += 8


cdef cloned_void pair_sums(acc_t* dst, const acc_t* p, Py_ssize_t d, Py_ssize_t m) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(m):
        dst[i] = <acc_t>(p[i] + p[i + d])


cdef cloned_void add_shifted(acc_t* out, const acc_t* p, bint first, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    if first:
        memcpy(out, p, n * sizeof(acc_t))
        return
    for i in range(n):
        out[i] = <acc_t>(out[i] + p[i])


cdef void box_row_sums(acc_t* out, const acc_t* e, acc_t* t0, acc_t* t1, const acc_t* zeros,
                       Py_ssize_t kw, Py_ssize_t cn, Py_ssize_t n) noexcept nogil:
    """``out[i] = sum_k e[i + k cn]`` for ``k < kw``: direct taps for small
    kernels; else by doubling, in O(log kw) vector passes: from sums of
    2**j neighbours, those of 2**(j+1), and each power of two in ``kw``'s
    binary expansion is added at its offset."""
    cdef Py_ssize_t off = 0, span = 1, m = n + (kw - 1) * cn
    cdef const acc_t* p = e
    cdef acc_t* q
    cdef bint first = True
    if kw <= 16:
        box_taps(out, e, zeros, kw, cn, n)
        return
    while True:
        if kw & span:
            add_shifted(out, p + off * cn, first, n)
            first = False
            off += span
        if span * 2 > kw:
            return
        m -= span * cn          # sums of 2 * span neighbours start where fewer remain
        q = t0 if p != t0 else t1
        pair_sums(q, p, span * cn, m)
        p = q
        span *= 2


cdef cloned_void store_box_u8(uint8_t* o8, const uint16_t* s, Py_ssize_t n, uint16_t dd,
                              uint16_t dsa, uint16_t dsb) noexcept nogil:
    """OpenCV's ``((s + dd) * ds) >> 23`` in 16-bit lanes: with
    ds = A * 2**16 + B it is (S * A + (S * B >> 16)) >> 7, and S * A stays
    below 2**15 because the result is at most 255."""
    cdef Py_ssize_t i
    cdef uint16_t S16
    for i in range(n):
        S16 = <uint16_t>(s[i] + dd)
        o8[i] = <uint8_t>(<uint16_t>(S16 * dsa + <uint16_t>((<uint32_t>S16 * dsb) >> 16)) >> 7)


cdef cloned_void store_box_f(const acc_t* s, char* out, Py_ssize_t n, int dtype,
                             double dscale, float fscale) noexcept nogil:
    """Normalised sums (other than the 16-bit uint8 case) to the output type:
    float32 as ``sum * dscale``; uint8 from a uint8 image in float as
    OpenCV does; else the exact mean, rounded half to even and saturated."""
    cdef Py_ssize_t i
    cdef float v, hi = 255
    cdef uint8_t* o8 = <uint8_t*>out
    cdef float* of = <float*>out
    if dtype == DT_FLOAT32:
        for i in range(n):
            of[i] = <float>(s[i] * dscale)
    elif dtype == DT_UINT8 and acc_t is not double:
        for i in range(n):
            v = <float>s[i] * fscale
            v = v if v < hi else hi
            o8[i] = <uint8_t><int32_t>((v + MAGIC) - MAGIC)
    elif dtype == DT_UINT8:
        for i in range(n):
            o8[i] = cast_u8(s[i] * dscale)
    elif dtype == DT_UINT16:
        for i in range(n):
            (<uint16_t*>out)[i] = cast_u16(s[i] * dscale)
    else:
        for i in range(n):
            (<int16_t*>out)[i] = cast_i16(s[i] * dscale)


cdef void store_int_sums(const acc_t* s, char* out, Py_ssize_t n, int dtype) noexcept nogil:
    """Unnormalised sums of a uint8 image, saturated to the output type."""
    cdef Py_ssize_t i
    cdef int32_t v
    if dtype == DT_UINT8:
        for i in range(n):
            v = <int32_t>s[i]
            (<uint8_t*>out)[i] = <uint8_t>(v if v < 255 else 255)
    elif dtype == DT_UINT16:
        for i in range(n):
            v = <int32_t>s[i]
            (<uint16_t*>out)[i] = <uint16_t>(v if v < 65535 else 65535)
    elif dtype == DT_INT16:
        for i in range(n):
            v = <int32_t>s[i]
            v = v if v < 32767 else 32767
            (<int16_t*>out)[i] = <int16_t>(v if v > -32768 else -32768)
    else:
        for i in range(n):
            (<float*>out)[i] = <float>s[i]


cdef inline const pixel_t* box_src_row(const pixel_t* src, Py_ssize_t u, Py_ssize_t H,
                                       Py_ssize_t n, int mode,
                                       const pixel_t* crow) noexcept nogil:
    """Source row ``u`` (may be outside the image) or the constant row."""
    cdef Py_ssize_t sy = border_index(u, H, mode)
    return src + sy * n if sy >= 0 else crow


cdef int box_impl(Frame* f, const pixel_t* src, ImageView* im, char* out, int out_dtype,
                  Py_ssize_t kw, Py_ssize_t kh, bint normalize, int mode, double cval,
                  acc_t like) noexcept nogil:
    """Box sums: column sums of ``kh`` rows kept up to date one row down
    (add the entering row, subtract the leaving one), widened by the border,
    then summed along the row -- the cost per pixel does not grow with kh."""
    cdef Py_ssize_t H = im.height, W = im.width, cn = im.channels
    cdef Py_ssize_t n = W * cn
    cdef Py_ssize_t ax = kw // 2, ay = kh // 2
    cdef Py_ssize_t ext_len = (W + kw - 1) * cn
    cdef Py_ssize_t ext_bytes = align64(ext_len * sizeof(acc_t))
    cdef Py_ssize_t i, j, c, y, sx, k
    cdef Py_ssize_t area = kw * kh
    cdef Py_ssize_t osize = out_itemsize(out_dtype)
    cdef pixel_t cv = <pixel_t>type_value(cval, im.dtype)
    cdef acc_t kcv                              # a column of constant border
    cdef acc_t* colext
    cdef acc_t* cols
    cdef acc_t* t0
    cdef acc_t* t1
    cdef acc_t* SUM
    cdef acc_t* zeros
    cdef pixel_t* crow
    cdef const pixel_t* row
    cdef char* mem
    cdef Py_ssize_t* xmap
    cdef uint32_t ds = 1, dd = 0
    cdef int32_t dint
    cdef double scalef
    cdef double dscale = 1.0 / <double>area if normalize else 1.0
    cdef float fscale = <float>(1.0 / <double>area)

    mem = work(f, 0, 5 * ext_bytes + align64(n * sizeof(pixel_t))
               + align64((kw + 1) * sizeof(Py_ssize_t)))
    if mem == NULL:
        return -1
    colext = <acc_t*>mem
    t0 = <acc_t*>(mem + ext_bytes)
    t1 = <acc_t*>(mem + 2 * ext_bytes)
    SUM = <acc_t*>(mem + 3 * ext_bytes)
    zeros = <acc_t*>(mem + 4 * ext_bytes)
    crow = <pixel_t*>(mem + 5 * ext_bytes)
    xmap = <Py_ssize_t*>(mem + 5 * ext_bytes + align64(n * sizeof(pixel_t)))
    make_xmap(xmap, W, ax, kw - 1 - ax, mode)
    for i in range(n):
        crow[i] = cv
    cols = colext + ax * cn
    if acc_t is double:
        kcv = <double>cv * <double>kh
    else:
        kcv = <acc_t>(<int64_t>cv * kh)
    if acc_t is uint16_t and normalize and area <= 256:
        # OpenCV's 16-bit path: (s + dd) * ds >> 23
        dint = <int32_t>area
        scalef = (<double>(1 << 23)) / dint
        ds = <uint32_t>floor(scalef)
        scalef -= ds
        dd = <uint32_t>(dint // 2)
        # an exact reciprocal (area a power of two, 1 included) needs no
        # correction: adding 1 there made a 1x1 box add 1 (and wrap 255 to 0)
        if 0.0 < scalef < 0.5:
            dd += 1
        elif scalef >= 0.5:
            ds += 1

    for i in range(n):
        cols[i] = 0
        zeros[i] = 0
    for k in range(kh):
        row = box_src_row(src, k - ay, H, n, mode, crow)
        for i in range(n):
            cols[i] = <acc_t>(cols[i] + <acc_t>row[i])
    for y in range(H):
        for j in range(ax):
            sx = xmap[j]
            for c in range(cn):
                colext[j * cn + c] = kcv if sx < 0 else cols[sx * cn + c]
        for j in range(kw - 1 - ax):
            sx = xmap[ax + j]
            for c in range(cn):
                cols[(W + j) * cn + c] = kcv if sx < 0 else cols[sx * cn + c]
        box_row_sums(SUM, colext, t0, t1, zeros, kw, cn, n)
        if acc_t is double:
            store_box_f(SUM, out + y * n * osize, n, out_dtype, dscale, fscale)
        elif not normalize:
            store_int_sums(SUM, out + y * n * osize, n, out_dtype)
        elif acc_t is uint16_t and out_dtype == DT_UINT8 and area <= 256:
            store_box_u8(<uint8_t*>out + y * n, SUM, n, <uint16_t>dd, <uint16_t>(ds >> 16),
                         <uint16_t>(ds & 0xFFFF))
        else:
            store_box_f(SUM, out + y * n * osize, n, out_dtype, dscale, fscale)
        if y + 1 < H:
            if acc_t is double:
                col_update_d(cols, box_src_row(src, y + kh - ay, H, n, mode, crow),
                             box_src_row(src, y - ay, H, n, mode, crow), n)
            elif pixel_t is uint8_t:
                col_update_i(cols, box_src_row(src, y + kh - ay, H, n, mode, crow),
                             box_src_row(src, y - ay, H, n, mode, crow), n)
    return 0


cdef int k_box_blur(Frame* f, const Instr* ins) noexcept nogil:
    """Inputs: image, kernel width, kernel height.  iparams: normalize,
    border, output dtype.  fparams: border value."""
    cdef ImageView im
    cdef int64_t kw, kh
    cdef bint normalize = iparam(f, ins, 0) != 0
    cdef int mode = <int>iparam(f, ins, 1)
    cdef int out_dtype = <int>iparam(f, ins, 2)
    cdef double cval = fparam(f, ins, 0)
    cdef Value* out
    if as_image(f, arg(f, ins, 0), &im) < 0:
        return -1
    if get_int(f, arg(f, ins, 1), "kernel width", &kw) < 0:
        return -1
    if get_int(f, arg(f, ins, 2), "kernel height", &kh) < 0:
        return -1
    if check_ksize(f, kw, "kernel width") < 0 or check_ksize(f, kh, "kernel height") < 0:
        return -1
    out = new_image(f, ins, out_dtype, im.height, im.width, im.channels, im.ndim)
    if out == NULL:
        return -1
    if im.height == 0 or im.width == 0:
        return 0
    if im.dtype == DT_UINT8 and kw * kh * 255 <= 65535:
        return box_impl(f, <const uint8_t*>im.data, &im, out.data, out_dtype, kw, kh,
                        normalize, mode, cval, <uint16_t>0)
    if im.dtype == DT_UINT8:
        return box_impl(f, <const uint8_t*>im.data, &im, out.data, out_dtype, kw, kh,
                        normalize, mode, cval, <int32_t>0)
    if im.dtype == DT_UINT16:
        return box_impl(f, <const uint16_t*>im.data, &im, out.data, out_dtype, kw, kh,
                        normalize, mode, cval, <double>0)
    if im.dtype == DT_INT16:
        return box_impl(f, <const int16_t*>im.data, &im, out.data, out_dtype, kw, kh,
                        normalize, mode, cval, <double>0)
    return box_impl(f, <const float*>im.data, &im, out.data, out_dtype, kw, kh,
                    normalize, mode, cval, <double>0)


# ============================================================== median

cdef inline pixel_t minp(pixel_t a, pixel_t b) noexcept nogil:
    return a if a < b else b


cdef inline pixel_t maxp(pixel_t a, pixel_t b) noexcept nogil:
    # not ``b if a < b else a``: sharing minp's comparison, the compiler
    # would blend with a mask instead of using a max instruction
    return a if b < a else b


cdef cloned_void median3_row(const pixel_t* r0, const pixel_t* r1, const pixel_t* r2,
                             pixel_t* out, Py_ssize_t n, Py_ssize_t cn) noexcept nogil:
    """Median of 3x3: rows ``r*`` start one pixel left of the output."""
    cdef Py_ssize_t i
    cdef Py_ssize_t c2 = 2 * cn
    cdef pixel_t p0, p1, p2, p3, p4, p5, p6, p7, p8, t
    for i in range(n):
        p0 = r0[i]; p1 = r0[i + cn]; p2 = r0[i + c2]
        p3 = r1[i]; p4 = r1[i + cn]; p5 = r1[i + c2]
        p6 = r2[i]; p7 = r2[i + cn]; p8 = r2[i + c2]
        # Paeth's 19-comparator median network
        t = p1; p1 = minp(p1, p2); p2 = maxp(t, p2)
        t = p4; p4 = minp(p4, p5); p5 = maxp(t, p5)
        t = p7; p7 = minp(p7, p8); p8 = maxp(t, p8)
        t = p0; p0 = minp(p0, p1); p1 = maxp(t, p1)
        t = p3; p3 = minp(p3, p4); p4 = maxp(t, p4)
        t = p6; p6 = minp(p6, p7); p7 = maxp(t, p7)
        t = p1; p1 = minp(p1, p2); p2 = maxp(t, p2)
        t = p4; p4 = minp(p4, p5); p5 = maxp(t, p5)
        t = p7; p7 = minp(p7, p8); p8 = maxp(t, p8)
        t = p0; p0 = minp(p0, p3); p3 = maxp(t, p3)
        t = p5; p5 = minp(p5, p8); p8 = maxp(t, p8)
        t = p4; p4 = minp(p4, p7); p7 = maxp(t, p7)
        t = p3; p3 = minp(p3, p6); p6 = maxp(t, p6)
        t = p1; p1 = minp(p1, p4); p4 = maxp(t, p4)
        t = p2; p2 = minp(p2, p5); p5 = maxp(t, p5)
        t = p4; p4 = minp(p4, p7); p7 = maxp(t, p7)
        t = p4; p4 = minp(p4, p2); p2 = maxp(t, p2)
        t = p6; p6 = minp(p6, p4); p4 = maxp(t, p4)
        t = p4; p4 = minp(p4, p2); p2 = maxp(t, p2)
        out[i] = p4


cdef cloned_void median5_row(const pixel_t* r0, const pixel_t* r1, const pixel_t* r2,
                             const pixel_t* r3, const pixel_t* r4, pixel_t* out, Py_ssize_t n,
                             Py_ssize_t cn) noexcept nogil:
    """Median of 5x5: rows ``r*`` start two pixels left of the output.

    Results go to a stack block first: with 25 loads per element, proving
    that the output does not overlap the rows would take more run-time
    alias checks than the compiler makes, and it would not vectorise."""
    cdef Py_ssize_t i, b, m
    cdef Py_ssize_t c2 = 2 * cn, c3 = 3 * cn, c4 = 4 * cn
    cdef pixel_t p0, p1, p2, p3, p4, p5, p6, p7, p8, p9, p10, p11, p12
    cdef pixel_t p13, p14, p15, p16, p17, p18, p19, p20, p21, p22, p23, p24, t
    cdef pixel_t block[256]
    b = 0
    while b < n:
        m = n - b if n - b < 256 else 256
        median5_block(r0 + b, r1 + b, r2 + b, r3 + b, r4 + b, block, m, cn)
        memcpy(out + b, block, m * sizeof(pixel_t))
        b += m


cdef inline inline_void median5_block(const pixel_t* r0, const pixel_t* r1, const pixel_t* r2,
                                      const pixel_t* r3, const pixel_t* r4, pixel_t* out,
                                      Py_ssize_t n, Py_ssize_t cn) noexcept nogil:
    cdef Py_ssize_t i
    cdef Py_ssize_t c2 = 2 * cn, c3 = 3 * cn, c4 = 4 * cn
    cdef pixel_t p0, p1, p2, p3, p4, p5, p6, p7, p8, p9, p10, p11, p12
    cdef pixel_t p13, p14, p15, p16, p17, p18, p19, p20, p21, p22, p23, p24, t
    for i in range(n):
        p0 = r0[i]; p1 = r0[i + cn]; p2 = r0[i + c2]; p3 = r0[i + c3]; p4 = r0[i + c4]
        p5 = r1[i]; p6 = r1[i + cn]; p7 = r1[i + c2]; p8 = r1[i + c3]; p9 = r1[i + c4]
        p10 = r2[i]; p11 = r2[i + cn]; p12 = r2[i + c2]; p13 = r2[i + c3]; p14 = r2[i + c4]
        p15 = r3[i]; p16 = r3[i + cn]; p17 = r3[i + c2]; p18 = r3[i + c3]; p19 = r3[i + c4]
        p20 = r4[i]; p21 = r4[i + cn]; p22 = r4[i + c2]; p23 = r4[i + c3]; p24 = r4[i + c4]
        # the 5x5 median network of OpenCV's medianBlur_SortNet
        t = p1; p1 = minp(p1, p2); p2 = maxp(t, p2)
        t = p0; p0 = minp(p0, p1); p1 = maxp(t, p1)
        t = p1; p1 = minp(p1, p2); p2 = maxp(t, p2)
        t = p4; p4 = minp(p4, p5); p5 = maxp(t, p5)
        t = p3; p3 = minp(p3, p4); p4 = maxp(t, p4)
        t = p4; p4 = minp(p4, p5); p5 = maxp(t, p5)
        t = p0; p0 = minp(p0, p3); p3 = maxp(t, p3)
        t = p2; p2 = minp(p2, p5); p5 = maxp(t, p5)
        t = p2; p2 = minp(p2, p3); p3 = maxp(t, p3)
        t = p1; p1 = minp(p1, p4); p4 = maxp(t, p4)
        t = p1; p1 = minp(p1, p2); p2 = maxp(t, p2)
        t = p3; p3 = minp(p3, p4); p4 = maxp(t, p4)
        t = p7; p7 = minp(p7, p8); p8 = maxp(t, p8)
        t = p6; p6 = minp(p6, p7); p7 = maxp(t, p7)
        t = p7; p7 = minp(p7, p8); p8 = maxp(t, p8)
        t = p10; p10 = minp(p10, p11); p11 = maxp(t, p11)
        t = p9; p9 = minp(p9, p10); p10 = maxp(t, p10)
        t = p10; p10 = minp(p10, p11); p11 = maxp(t, p11)
        t = p6; p6 = minp(p6, p9); p9 = maxp(t, p9)
        t = p8; p8 = minp(p8, p11); p11 = maxp(t, p11)
        t = p8; p8 = minp(p8, p9); p9 = maxp(t, p9)
        t = p7; p7 = minp(p7, p10); p10 = maxp(t, p10)
        t = p7; p7 = minp(p7, p8); p8 = maxp(t, p8)
        t = p9; p9 = minp(p9, p10); p10 = maxp(t, p10)
        t = p0; p0 = minp(p0, p6); p6 = maxp(t, p6)
        t = p4; p4 = minp(p4, p10); p10 = maxp(t, p10)
        t = p4; p4 = minp(p4, p6); p6 = maxp(t, p6)
        t = p2; p2 = minp(p2, p8); p8 = maxp(t, p8)
        t = p2; p2 = minp(p2, p4); p4 = maxp(t, p4)
        t = p6; p6 = minp(p6, p8); p8 = maxp(t, p8)
        t = p1; p1 = minp(p1, p7); p7 = maxp(t, p7)
        t = p5; p5 = minp(p5, p11); p11 = maxp(t, p11)
        t = p5; p5 = minp(p5, p7); p7 = maxp(t, p7)
        t = p3; p3 = minp(p3, p9); p9 = maxp(t, p9)
        t = p3; p3 = minp(p3, p5); p5 = maxp(t, p5)
        t = p7; p7 = minp(p7, p9); p9 = maxp(t, p9)
        t = p1; p1 = minp(p1, p2); p2 = maxp(t, p2)
        t = p3; p3 = minp(p3, p4); p4 = maxp(t, p4)
        t = p5; p5 = minp(p5, p6); p6 = maxp(t, p6)
        t = p7; p7 = minp(p7, p8); p8 = maxp(t, p8)
        t = p9; p9 = minp(p9, p10); p10 = maxp(t, p10)
        t = p13; p13 = minp(p13, p14); p14 = maxp(t, p14)
        t = p12; p12 = minp(p12, p13); p13 = maxp(t, p13)
        t = p13; p13 = minp(p13, p14); p14 = maxp(t, p14)
        t = p16; p16 = minp(p16, p17); p17 = maxp(t, p17)
        t = p15; p15 = minp(p15, p16); p16 = maxp(t, p16)
        t = p16; p16 = minp(p16, p17); p17 = maxp(t, p17)
        t = p12; p12 = minp(p12, p15); p15 = maxp(t, p15)
        t = p14; p14 = minp(p14, p17); p17 = maxp(t, p17)
        t = p14; p14 = minp(p14, p15); p15 = maxp(t, p15)
        t = p13; p13 = minp(p13, p16); p16 = maxp(t, p16)
        t = p13; p13 = minp(p13, p14); p14 = maxp(t, p14)
        t = p15; p15 = minp(p15, p16); p16 = maxp(t, p16)
        t = p19; p19 = minp(p19, p20); p20 = maxp(t, p20)
        t = p18; p18 = minp(p18, p19); p19 = maxp(t, p19)
        t = p19; p19 = minp(p19, p20); p20 = maxp(t, p20)
        t = p21; p21 = minp(p21, p22); p22 = maxp(t, p22)
        t = p23; p23 = minp(p23, p24); p24 = maxp(t, p24)
        t = p21; p21 = minp(p21, p23); p23 = maxp(t, p23)
        t = p22; p22 = minp(p22, p24); p24 = maxp(t, p24)
        t = p22; p22 = minp(p22, p23); p23 = maxp(t, p23)
        t = p18; p18 = minp(p18, p21); p21 = maxp(t, p21)
        t = p20; p20 = minp(p20, p23); p23 = maxp(t, p23)
        t = p20; p20 = minp(p20, p21); p21 = maxp(t, p21)
        t = p19; p19 = minp(p19, p22); p22 = maxp(t, p22)
        t = p22; p22 = minp(p22, p24); p24 = maxp(t, p24)
        t = p19; p19 = minp(p19, p20); p20 = maxp(t, p20)
        t = p21; p21 = minp(p21, p22); p22 = maxp(t, p22)
        t = p23; p23 = minp(p23, p24); p24 = maxp(t, p24)
        t = p12; p12 = minp(p12, p18); p18 = maxp(t, p18)
        t = p16; p16 = minp(p16, p22); p22 = maxp(t, p22)
        t = p16; p16 = minp(p16, p18); p18 = maxp(t, p18)
        t = p14; p14 = minp(p14, p20); p20 = maxp(t, p20)
        t = p20; p20 = minp(p20, p24); p24 = maxp(t, p24)
        t = p14; p14 = minp(p14, p16); p16 = maxp(t, p16)
        t = p18; p18 = minp(p18, p20); p20 = maxp(t, p20)
        t = p22; p22 = minp(p22, p24); p24 = maxp(t, p24)
        t = p13; p13 = minp(p13, p19); p19 = maxp(t, p19)
        t = p17; p17 = minp(p17, p23); p23 = maxp(t, p23)
        t = p17; p17 = minp(p17, p19); p19 = maxp(t, p19)
        t = p15; p15 = minp(p15, p21); p21 = maxp(t, p21)
        t = p15; p15 = minp(p15, p17); p17 = maxp(t, p17)
        t = p19; p19 = minp(p19, p21); p21 = maxp(t, p21)
        t = p13; p13 = minp(p13, p14); p14 = maxp(t, p14)
        t = p15; p15 = minp(p15, p16); p16 = maxp(t, p16)
        t = p17; p17 = minp(p17, p18); p18 = maxp(t, p18)
        t = p19; p19 = minp(p19, p20); p20 = maxp(t, p20)
        t = p21; p21 = minp(p21, p22); p22 = maxp(t, p22)
        t = p23; p23 = minp(p23, p24); p24 = maxp(t, p24)
        t = p0; p0 = minp(p0, p12); p12 = maxp(t, p12)
        t = p8; p8 = minp(p8, p20); p20 = maxp(t, p20)
        t = p8; p8 = minp(p8, p12); p12 = maxp(t, p12)
        t = p4; p4 = minp(p4, p16); p16 = maxp(t, p16)
        t = p16; p16 = minp(p16, p24); p24 = maxp(t, p24)
        t = p12; p12 = minp(p12, p16); p16 = maxp(t, p16)
        t = p2; p2 = minp(p2, p14); p14 = maxp(t, p14)
        t = p10; p10 = minp(p10, p22); p22 = maxp(t, p22)
        t = p10; p10 = minp(p10, p14); p14 = maxp(t, p14)
        t = p6; p6 = minp(p6, p18); p18 = maxp(t, p18)
        t = p6; p6 = minp(p6, p10); p10 = maxp(t, p10)
        t = p10; p10 = minp(p10, p12); p12 = maxp(t, p12)
        t = p1; p1 = minp(p1, p13); p13 = maxp(t, p13)
        t = p9; p9 = minp(p9, p21); p21 = maxp(t, p21)
        t = p9; p9 = minp(p9, p13); p13 = maxp(t, p13)
        t = p5; p5 = minp(p5, p17); p17 = maxp(t, p17)
        t = p13; p13 = minp(p13, p17); p17 = maxp(t, p17)
        t = p3; p3 = minp(p3, p15); p15 = maxp(t, p15)
        t = p11; p11 = minp(p11, p23); p23 = maxp(t, p23)
        t = p11; p11 = minp(p11, p15); p15 = maxp(t, p15)
        t = p7; p7 = minp(p7, p19); p19 = maxp(t, p19)
        t = p7; p7 = minp(p7, p11); p11 = maxp(t, p11)
        t = p11; p11 = minp(p11, p13); p13 = maxp(t, p13)
        t = p11; p11 = minp(p11, p12); p12 = maxp(t, p12)
        out[i] = p12


cdef int median_sortnet(Frame* f, const pixel_t* src, ImageView* im, pixel_t* out,
                        Py_ssize_t ksize) noexcept nogil:
    cdef Py_ssize_t H = im.height, W = im.width, cn = im.channels
    cdef Py_ssize_t n = W * cn
    cdef Py_ssize_t r = ksize // 2
    cdef Py_ssize_t ext_len = (W + 2 * r) * cn
    cdef Py_ssize_t row_bytes = align64(ext_len * sizeof(pixel_t))
    cdef Py_ssize_t y, u, sy, loaded = 0
    cdef pixel_t* rows[5]
    cdef Py_ssize_t k
    cdef char* ring
    cdef Py_ssize_t* xmap
    ring = work(f, 0, ksize * row_bytes + align64((2 * r + 1) * sizeof(Py_ssize_t)))
    if ring == NULL:
        return -1
    xmap = <Py_ssize_t*>(ring + ksize * row_bytes)
    make_xmap(xmap, W, r, r, BORDER_REPLICATE)
    for y in range(H):
        while loaded < y + ksize:
            u = loaded
            sy = border_index(u - r, H, BORDER_REPLICATE)
            ext_row_t(src + sy * n, <pixel_t*>(ring + (u % ksize) * row_bytes), xmap, W, cn,
                      r, r, <pixel_t>0)
            loaded += 1
        for k in range(ksize):
            rows[k] = <pixel_t*>(ring + ((y + k) % ksize) * row_bytes)
        if ksize == 3:
            median3_row(rows[0], rows[1], rows[2], out + y * n, n, cn)
        else:
            median5_row(rows[0], rows[1], rows[2], rows[3], rows[4], out + y * n, n, cn)
    return 0


cdef int median_hist_u8(Frame* f, ImageView* im, uint8_t* out, Py_ssize_t ksize) noexcept nogil:
    """Constant-time median of uint8 images (Perreault & Hebert): a histogram
    per (column, channel) of the ``ksize`` rows around the output row, and a
    kernel histogram slid along the row.  Coarse bins (16 levels of 16) are
    kept current; a fine segment is brought up to date only when the median
    search enters it."""
    cdef Py_ssize_t H = im.height, W = im.width, cn = im.channels
    cdef Py_ssize_t n = W * cn
    cdef Py_ssize_t r = ksize // 2
    cdef Py_ssize_t ew = W + 2 * r                 # extended columns
    cdef Py_ssize_t ncols = ew * cn
    cdef Py_ssize_t i, j, x, c, b, y, yy, sy, col, xs
    cdef uint32_t target = <uint32_t>((ksize * ksize) // 2)
    cdef uint32_t cum
    cdef const uint8_t* src = <const uint8_t*>im.data
    cdef uint16_t* fine            # ncols x 256
    cdef uint16_t* coarse          # ncols x 16
    cdef uint32_t kc[16]
    cdef uint32_t kf[256]
    cdef Py_ssize_t luc[16]
    cdef uint8_t* ext
    cdef uint8_t* ext2
    cdef uint16_t* cf
    cdef uint16_t* cc
    cdef uint16_t* cf2
    cdef uint32_t* seg
    cdef uint8_t v
    cdef char* mem
    cdef Py_ssize_t* xmap
    cdef Py_ssize_t fine_bytes = align64(ncols * 256 * sizeof(uint16_t))
    cdef Py_ssize_t coarse_bytes = align64(ncols * 16 * sizeof(uint16_t))

    mem = work(f, 0, fine_bytes + coarse_bytes + 2 * align64(ncols)
               + align64((2 * r + 1) * sizeof(Py_ssize_t)))
    if mem == NULL:
        return -1
    fine = <uint16_t*>mem
    coarse = <uint16_t*>(mem + fine_bytes)
    ext = <uint8_t*>(mem + fine_bytes + coarse_bytes)
    ext2 = ext + align64(ncols)
    xmap = <Py_ssize_t*>(ext2 + align64(ncols))
    make_xmap(xmap, W, r, r, BORDER_REPLICATE)
    memset(fine, 0, ncols * 256 * sizeof(uint16_t))
    memset(coarse, 0, ncols * 16 * sizeof(uint16_t))

    # column histograms of rows -r..r (replicated) for output row 0
    for yy in range(-r, r + 1):
        sy = border_index(yy, H, BORDER_REPLICATE)
        ext_row_t(src + sy * n, ext, xmap, W, cn, r, r, <uint8_t>0)
        for j in range(ncols):
            v = ext[j]
            fine[j * 256 + v] += 1
            coarse[j * 16 + (v >> 4)] += 1

    for y in range(H):
        if y > 0:
            # slide the column histograms down one row
            sy = border_index(y - 1 - r, H, BORDER_REPLICATE)
            ext_row_t(src + sy * n, ext, xmap, W, cn, r, r, <uint8_t>0)
            sy = border_index(y + r, H, BORDER_REPLICATE)
            ext_row_t(src + sy * n, ext2, xmap, W, cn, r, r, <uint8_t>0)
            for j in range(ncols):
                v = ext[j]
                fine[j * 256 + v] -= 1
                coarse[j * 16 + (v >> 4)] -= 1
                v = ext2[j]
                fine[j * 256 + v] += 1
                coarse[j * 16 + (v >> 4)] += 1
        for c in range(cn):
            # kernel histogram of columns 0..ksize-1 (output x = 0)
            for b in range(16):
                kc[b] = 0
                luc[b] = -ksize - 1     # fine segment stale
            for x in range(ksize):
                cc = coarse + (x * cn + c) * 16
                for b in range(16):
                    kc[b] += cc[b]
            for x in range(W):
                if x > 0:
                    cc = coarse + ((x - 1) * cn + c) * 16
                    cf2 = coarse + ((x + ksize - 1) * cn + c) * 16
                    for b in range(16):
                        kc[b] = kc[b] - cc[b] + cf2[b]
                cum = 0
                b = 0
                while cum + kc[b] <= target:
                    cum += kc[b]
                    b += 1
                # bring fine segment b to the window [x, x + ksize)
                seg = kf + b * 16
                if x - luc[b] >= ksize:
                    for i in range(16):
                        seg[i] = 0
                    for xs in range(x, x + ksize):
                        cf = fine + (xs * cn + c) * 256 + b * 16
                        for i in range(16):
                            seg[i] += cf[i]
                else:
                    for xs in range(luc[b], x):
                        cf = fine + (xs * cn + c) * 256 + b * 16
                        cf2 = fine + ((xs + ksize) * cn + c) * 256 + b * 16
                        for i in range(16):
                            seg[i] = seg[i] - cf[i] + cf2[i]
                luc[b] = x
                i = 0
                while cum + seg[i] <= target:
                    cum += seg[i]
                    i += 1
                out[y * n + x * cn + c] = <uint8_t>(b * 16 + i)
    return 0


cdef int k_median_blur(Frame* f, const Instr* ins) noexcept nogil:
    """Inputs: image, ksize."""
    cdef ImageView im
    cdef int64_t ksize
    cdef Value* out
    if as_image(f, arg(f, ins, 0), &im) < 0:
        return -1
    if get_int(f, arg(f, ins, 1), "ksize", &ksize) < 0:
        return -1
    if check_odd_ksize(f, ksize, "ksize") < 0:
        return -1
    if im.dtype != DT_UINT8 and ksize > 5:
        snprintf(f.error, ERROR_SIZE, "MedianBlur of non-uint8 images needs ksize 1, 3 or 5, "
                 "got %lld", <long long>ksize)
        return -1
    out = new_image(f, ins, im.dtype, im.height, im.width, im.channels, im.ndim)
    if out == NULL:
        return -1
    if im.height == 0 or im.width == 0:
        return 0
    if ksize == 1:
        memcpy(out.data, im.data, im.height * im.width * im.channels * out_itemsize(im.dtype))
        return 0
    if im.dtype == DT_UINT8:
        if ksize >= HIST_KSIZE:
            return median_hist_u8(f, &im, <uint8_t*>out.data, ksize)
        return median_sortnet(f, <const uint8_t*>im.data, &im, <uint8_t*>out.data, ksize)
    if im.dtype == DT_UINT16:
        return median_sortnet(f, <const uint16_t*>im.data, &im, <uint16_t*>out.data, ksize)
    if im.dtype == DT_INT16:
        return median_sortnet(f, <const int16_t*>im.data, &im, <int16_t*>out.data, ksize)
    return median_sortnet(f, <const float*>im.data, &im, <float*>out.data, ksize)


# ============================================================== bilateral

cdef void deinterleave3(const uint8_t* s, uint8_t* p0, uint8_t* p1, uint8_t* p2,
                       Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        p0[i] = s[3 * i]
        p1[i] = s[3 * i + 1]
        p2[i] = s[3 * i + 2]


cdef int bilateral_u8(Frame* f, ImageView* im, uint8_t* out, Py_ssize_t radius,
                      double sigma_color, double sigma_space, int mode,
                      double cval) noexcept nogil:
    """Source rows are kept widened by the border and planar (one row of
    bytes per channel), so that a tap of 8 pixels is 8 bytes per channel
    (``pp_bilateral_row_u8``)."""
    cdef Py_ssize_t H = im.height, W = im.width, cn = im.channels
    cdef Py_ssize_t d = 2 * radius + 1
    cdef Py_ssize_t ext_w = W + 2 * radius
    cdef Py_ssize_t plane_bytes = align64(ext_w)
    cdef Py_ssize_t slot_bytes = cn * plane_bytes
    cdef Py_ssize_t i, j, k, y, u, sy, t, ntaps, loaded = 0
    cdef float gcc = <float>(-0.5 / (sigma_color * sigma_color))
    cdef float gsc = <float>(-0.5 / (sigma_space * sigma_space))
    cdef double rr
    cdef float* cw
    cdef float* tap_w
    cdef Py_ssize_t* tap_row
    cdef Py_ssize_t* tap_dx
    cdef const uint8_t** tp
    cdef const uint8_t* cp[3]
    cdef char* ring
    cdef char* slot
    cdef uint8_t* tmp
    cdef char* mem
    cdef Py_ssize_t* xmap
    cdef uint8_t cv = cast_u8(cval)

    mem = work(f, 0, d * slot_bytes + align64(ext_w * cn) + align64(768 * sizeof(float))
               + 3 * align64(d * d * sizeof(Py_ssize_t)) + align64(3 * d * d * sizeof(void*))
               + align64((d + 1) * sizeof(Py_ssize_t)))
    if mem == NULL:
        return -1
    ring = mem
    tmp = <uint8_t*>(mem + d * slot_bytes)
    cw = <float*>(<char*>tmp + align64(ext_w * cn))
    tap_w = <float*>(<char*>cw + align64(768 * sizeof(float)))
    tap_row = <Py_ssize_t*>(<char*>tap_w + align64(d * d * sizeof(Py_ssize_t)))
    tap_dx = <Py_ssize_t*>(<char*>tap_row + align64(d * d * sizeof(Py_ssize_t)))
    tp = <const uint8_t**>(<char*>tap_dx + align64(d * d * sizeof(Py_ssize_t)))
    xmap = <Py_ssize_t*>(<char*>tp + align64(3 * d * d * sizeof(void*)))
    make_xmap(xmap, W, radius, radius, mode)
    for i in range(256 * cn):
        cw[i] = expf(<float>(i * i) * gcc)
    ntaps = 0
    for i in range(-radius, radius + 1):
        for j in range(-radius, radius + 1):
            rr = sqrt(<double>i * i + <double>j * j)
            if rr > radius:
                continue
            tap_w[ntaps] = <float>exp(rr * rr * <double>gsc)
            tap_row[ntaps] = i + radius
            tap_dx[ntaps] = j + radius
            ntaps += 1

    for y in range(H):
        while loaded < y + d:
            u = loaded
            sy = border_index(u - radius, H, mode)
            slot = ring + (u % d) * slot_bytes
            if cn == 1:
                ext_row_t(src_row_u8(im, sy), <uint8_t*>slot, xmap, W, cn, radius, radius, cv)
            else:
                ext_row_t(src_row_u8(im, sy), tmp, xmap, W, cn, radius, radius, cv)
                deinterleave3(tmp, <uint8_t*>slot, <uint8_t*>(slot + plane_bytes),
                              <uint8_t*>(slot + 2 * plane_bytes), ext_w)
            loaded += 1
        for t in range(ntaps):
            slot = ring + ((y + tap_row[t]) % d) * slot_bytes
            for k in range(cn):
                tp[t * cn + k] = <const uint8_t*>(slot + k * plane_bytes) + tap_dx[t]
        slot = ring + ((y + radius) % d) * slot_bytes
        for k in range(cn):
            cp[k] = <const uint8_t*>(slot + k * plane_bytes) + radius
        pp_bilateral_row_u8(tp, tap_w, ntaps, cp, cw, out + y * W * cn, W, <int>cn)
    return 0


cdef inline const uint8_t* src_row_u8(ImageView* im, Py_ssize_t sy) noexcept nogil:
    if sy < 0:
        return NULL
    return <const uint8_t*>im.data + sy * im.width * im.channels


cdef cloned_void bilateral_index(int32_t* ii, float* fr, const float* rp, const float* cp,
                                 Py_ssize_t W, Py_ssize_t cn, Py_ssize_t nbins,
                                 float scale_index) noexcept nogil:
    """Colour distances of one tap for a row of pixels as a ``lut`` bin and
    the fraction past it, as OpenCV does (no NaN here)."""
    cdef Py_ssize_t x
    cdef float alpha
    cdef int32_t k, nb = <int32_t>nbins     # compared in 32-bit lanes
    if cn == 1:
        for x in range(W):
            alpha = fabsf(rp[x] - cp[x]) * scale_index
            k = <int32_t>alpha
            k = k if k < nb else nb
            ii[x] = k
            fr[x] = alpha - <float>k
    else:
        for x in range(W):
            alpha = (fabsf(rp[3 * x] - cp[3 * x]) + fabsf(rp[3 * x + 1] - cp[3 * x + 1])
                     + fabsf(rp[3 * x + 2] - cp[3 * x + 2])) * scale_index
            k = <int32_t>alpha
            k = k if k < nb else nb
            ii[x] = k
            fr[x] = alpha - <float>k


cdef cloned_void bilateral_weights(float* w, const float* lo, const float* hi, const float* fr,
                                   float sw, Py_ssize_t W, Py_ssize_t cn) noexcept nogil:
    """Weights of one tap: ``sw`` times the colour weight interpolated
    between the looked-up ``lo`` and ``hi``, once per channel (so that the
    sums then run over contiguous floats)."""
    cdef Py_ssize_t x
    cdef float v
    if cn == 1:
        for x in range(W):
            w[x] = sw * (lo[x] + fr[x] * (hi[x] - lo[x]))
    else:
        for x in range(W):
            v = sw * (lo[x] + fr[x] * (hi[x] - lo[x]))
            w[3 * x] = v
            w[3 * x + 1] = v
            w[3 * x + 2] = v


cdef cloned_void bilateral_add_f32(float* ssum, float* wsum, const float* rp, const float* w,
                                   Py_ssize_t n) noexcept nogil:
    """Adds one tap, weights given per element, to the sums of a row (the
    weight sums of a pixel's channels repeat, equal)."""
    cdef Py_ssize_t i
    for i in range(n):
        wsum[i] += w[i]
        ssum[i] += rp[i] * w[i]


cdef int bilateral_f32(Frame* f, ImageView* im, float* out, Py_ssize_t radius,
                       double sigma_color, double sigma_space, int mode,
                       double cval) noexcept nogil:
    cdef Py_ssize_t H = im.height, W = im.width, cn = im.channels
    cdef Py_ssize_t n = W * cn
    cdef Py_ssize_t d = 2 * radius + 1
    cdef Py_ssize_t ext_len = (W + 2 * radius) * cn
    cdef Py_ssize_t row_bytes = align64(ext_len * sizeof(float))
    cdef Py_ssize_t i, j, x, y, u, sy, t, ntaps, loaded = 0, idx
    cdef Py_ssize_t nbins = 4096 * cn
    cdef double gcc = -0.5 / (sigma_color * sigma_color)
    cdef double gsc = -0.5 / (sigma_space * sigma_space)
    cdef double rr, vmin, vmax, val
    cdef float scale_index, alpha, sw, w, last, v0, v1, v2, c0, c1, c2
    cdef float* lut
    cdef float* tap_w
    cdef Py_ssize_t* tap_row
    cdef Py_ssize_t* tap_off
    cdef float* ssum
    cdef float* wsum
    cdef const float* rp
    cdef const float* cp
    cdef const float* src = <const float*>im.data
    cdef float* o
    cdef char* ring
    cdef char* mem
    cdef Py_ssize_t* xmap
    cdef bint cnan
    cdef bint has_nan = False
    cdef float* wv

    # value range of the image (NaN ignored); a flat image is copied
    vmin = 1e300
    vmax = -1e300
    for i in range(H * n):
        if src[i] < vmin:
            vmin = src[i]
        if src[i] > vmax:
            vmax = src[i]
        if src[i] != src[i]:
            has_nan = True
    if mode == BORDER_CONSTANT:
        # OpenCV 5 takes the range of the bordered image
        if <float>cval < vmin:
            vmin = <float>cval
        if <float>cval > vmax:
            vmax = <float>cval
    if not (fabs(vmax - vmin) >= 1.1920928955078125e-07):
        memcpy(out, src, H * n * sizeof(float))
        return 0
    mem = work(f, 0, d * row_bytes + align64((nbins + 2) * sizeof(float))
               + 3 * align64(d * d * sizeof(Py_ssize_t)) + 2 * align64(n * sizeof(float))
               + align64((d + 1) * sizeof(Py_ssize_t)) + align64((4 * W + n) * sizeof(float)))
    if mem == NULL:
        return -1
    ring = mem
    lut = <float*>(mem + d * row_bytes)
    tap_w = <float*>(<char*>lut + align64((nbins + 2) * sizeof(float)))
    tap_row = <Py_ssize_t*>(<char*>tap_w + align64(d * d * sizeof(Py_ssize_t)))
    tap_off = <Py_ssize_t*>(<char*>tap_row + align64(d * d * sizeof(Py_ssize_t)))
    ssum = <float*>(<char*>tap_off + align64(d * d * sizeof(Py_ssize_t)))
    wsum = <float*>(<char*>ssum + align64(n * sizeof(float)))
    xmap = <Py_ssize_t*>(<char*>wsum + align64(n * sizeof(float)))
    # bins, fractions, looked-up weights (W each), then the weights per element
    wv = <float*>(<char*>xmap + align64((d + 1) * sizeof(Py_ssize_t)))
    make_xmap(xmap, W, radius, radius, mode)
    scale_index = <float>nbins / (<float>(vmax - vmin) * cn)
    last = 1
    for i in range(nbins + 2):
        if last > 0:
            val = i / scale_index
            lut[i] = <float>exp(val * val * gcc)
            last = lut[i]
        else:
            lut[i] = 0
    ntaps = 0
    for i in range(-radius, radius + 1):
        for j in range(-radius, radius + 1):
            rr = sqrt(<double>i * i + <double>j * j)
            if rr > radius or (i == 0 and j == 0):
                continue
            tap_w[ntaps] = <float>exp(rr * rr * gsc)
            tap_row[ntaps] = i + radius
            tap_off[ntaps] = (j + radius) * cn
            ntaps += 1

    for y in range(H):
        while loaded < y + d:
            u = loaded
            sy = border_index(u - radius, H, mode)
            ext_row_f(src + sy * n if sy >= 0 else <const float*>NULL,
                      <float*>(ring + (u % d) * row_bytes), xmap, W, cn, radius, radius,
                      <float>cval)
            loaded += 1
        for i in range(n):
            ssum[i] = 0
        for x in range(W):
            wsum[x] = 0
        cp = <const float*>(ring + ((y + radius) % d) * row_bytes) + radius * cn
        if not has_nan:
            # the common case, without the NaN rules: tap by tap over the
            # whole row (the sums of each pixel in the same order as pixel by
            # pixel: the centre, then the taps in turn)
            for i in range(n):
                wsum[i] = 1
            memcpy(ssum, cp, n * sizeof(float))
            for t in range(ntaps):
                rp = <const float*>(ring + ((y + tap_row[t]) % d) * row_bytes) + tap_off[t]
                # vector loops around the scalar table look-ups
                bilateral_index(<int32_t*>wv, wv + W, rp, cp, W, cn, nbins, scale_index)
                for x in range(W):
                    wv[2 * W + x] = lut[(<int32_t*>wv)[x]]
                    wv[3 * W + x] = lut[(<int32_t*>wv)[x] + 1]
                bilateral_weights(wv + 4 * W, wv + 2 * W, wv + 3 * W, wv + W, tap_w[t], W, cn)
                bilateral_add_f32(ssum, wsum, rp, wv + 4 * W, n)
            o = out + y * n
            for i in range(n):
                o[i] = ssum[i] / wsum[i]
            continue
        for t in range(ntaps):
            rp = <const float*>(ring + ((y + tap_row[t]) % d) * row_bytes) + tap_off[t]
            sw = tap_w[t]
            for x in range(W):
                if cn == 1:
                    v0 = rp[x]
                    if v0 != v0:
                        continue
                    c0 = cp[x]
                    if c0 != c0:
                        w = sw
                    else:
                        alpha = fabs(v0 - c0) * scale_index
                        idx = <Py_ssize_t>alpha
                        if idx > nbins:
                            idx = nbins
                        alpha -= idx
                        w = sw * (lut[idx] + alpha * (lut[idx + 1] - lut[idx]))
                    wsum[x] += w
                    ssum[x] += v0 * w
                else:
                    v0 = rp[3 * x]; v1 = rp[3 * x + 1]; v2 = rp[3 * x + 2]
                    if v0 != v0 or v1 != v1 or v2 != v2:
                        continue
                    c0 = cp[3 * x]; c1 = cp[3 * x + 1]; c2 = cp[3 * x + 2]
                    if c0 != c0 or c1 != c1 or c2 != c2:
                        w = sw
                    else:
                        alpha = (fabs(v0 - c0) + fabs(v1 - c1) + fabs(v2 - c2)) * scale_index
                        idx = <Py_ssize_t>alpha
                        if idx > nbins:
                            idx = nbins
                        alpha -= idx
                        w = sw * (lut[idx] + alpha * (lut[idx + 1] - lut[idx]))
                    wsum[x] += w
                    ssum[3 * x] += v0 * w
                    ssum[3 * x + 1] += v1 * w
                    ssum[3 * x + 2] += v2 * w
        o = out + y * n
        for x in range(W):
            cnan = False
            for j in range(cn):
                if cp[x * cn + j] != cp[x * cn + j]:
                    cnan = True
            for j in range(cn):
                if cnan:
                    o[x * cn + j] = ssum[x * cn + j] / wsum[x]
                else:
                    o[x * cn + j] = (ssum[x * cn + j] + cp[x * cn + j]) / (wsum[x] + 1)
    return 0


cdef int k_bilateral(Frame* f, const Instr* ins) noexcept nogil:
    """Inputs: image, d, sigma_color, sigma_space.  iparams: border.
    fparams: border value."""
    cdef ImageView im
    cdef int64_t d
    cdef double sc, ss
    cdef int mode = <int>iparam(f, ins, 0)
    cdef double cval = fparam(f, ins, 0)
    cdef Py_ssize_t radius
    cdef Value* out
    if as_image(f, arg(f, ins, 0), &im) < 0:
        return -1
    if get_int(f, arg(f, ins, 1), "d", &d) < 0:
        return -1
    if get_double(f, arg(f, ins, 2), "sigma_color", &sc) < 0:
        return -1
    if get_double(f, arg(f, ins, 3), "sigma_space", &ss) < 0:
        return -1
    if im.dtype != DT_UINT8 and im.dtype != DT_FLOAT32:
        return fail(f, "BilateralFilter needs a uint8 or float32 image")
    if im.channels != 1 and im.channels != 3:
        return fail(f, "BilateralFilter needs an image with 1 or 3 channels")
    if d <= 0:
        if not (ss < 2 * MAX_KSIZE):
            snprintf(f.error, ERROR_SIZE, "sigma_space %g is too large", ss)
            return -1
        radius = <Py_ssize_t>rint(ss * 1.5)
    else:
        if d > MAX_KSIZE:
            snprintf(f.error, ERROR_SIZE, "d must be <= %d, got %lld", <int>MAX_KSIZE,
                     <long long>d)
            return -1
        radius = d // 2
    if radius < 1:
        radius = 1
    if radius > 255:
        snprintf(f.error, ERROR_SIZE, "BilateralFilter diameter must be <= 511, got %zd",
                 2 * radius + 1)
        return -1
    out = new_image(f, ins, im.dtype, im.height, im.width, im.channels, im.ndim)
    if out == NULL:
        return -1
    if im.height == 0 or im.width == 0:
        return 0
    if sc <= 1e-6 or ss <= 1e-6:
        memcpy(out.data, im.data, im.height * im.width * im.channels * out_itemsize(im.dtype))
        return 0
    if im.dtype == DT_UINT8:
        return bilateral_u8(f, &im, <uint8_t*>out.data, radius, sc, ss, mode, cval)
    return bilateral_f32(f, &im, <float*>out.data, radius, sc, ss, mode, cval)


# ============================================================== convolve

cdef int k_convolve(Frame* f, const Instr* ins) noexcept nogil:
    """Inputs: image, kernel (2-D), delta.  iparams: anchor x, anchor y (-1:
    centre), border, output dtype.  fparams: border value."""
    cdef ImageView im
    cdef Value* kv = arg(f, ins, 1)
    cdef double delta, w
    cdef Py_ssize_t ax = <Py_ssize_t>iparam(f, ins, 0)
    cdef Py_ssize_t ay = <Py_ssize_t>iparam(f, ins, 1)
    cdef int mode = <int>iparam(f, ins, 2)
    cdef int out_dtype = <int>iparam(f, ins, 3)
    cdef double cval = fparam(f, ins, 0)
    cdef Py_ssize_t kh, kw, i
    cdef float* weights
    cdef Value* out
    cdef Py_ssize_t isz
    if as_image(f, arg(f, ins, 0), &im) < 0:
        return -1
    if get_double(f, arg(f, ins, 2), "delta", &delta) < 0:
        return -1
    if kv.kind != KIND_TENSOR or kv.ndim != 2:
        return fail(f, "the kernel must be a 2-D tensor")
    kh = kv.shape[0]
    kw = kv.shape[1]
    if kh < 1 or kw < 1 or kh > MAX_KSIZE or kw > MAX_KSIZE:
        snprintf(f.error, ERROR_SIZE, "kernel sides must be in 1..%d, got %zd x %zd",
                 <int>MAX_KSIZE, kh, kw)
        return -1
    if ax < 0:
        ax = kw // 2
    if ay < 0:
        ay = kh // 2
    if ax >= kw or ay >= kh:
        snprintf(f.error, ERROR_SIZE, "anchor (%zd, %zd) is outside the %zd x %zd kernel",
                 ax, ay, kw, kh)
        return -1
    weights = <float*>work(f, 1, kh * kw * sizeof(float))
    if weights == NULL:
        return -1
    isz = itemsize(kv.dtype)
    for i in range(kh * kw):
        w = load_double(kv.data + i * isz, kv.dtype)
        if not (fabs(w) < 1e300):
            return fail(f, "the kernel contains NaN or infinite values")
        weights[i] = <float>w
    out = new_image(f, ins, out_dtype, im.height, im.width, im.channels, im.ndim)
    if out == NULL:
        return -1
    if im.height == 0 or im.width == 0:
        return 0
    return conv2d(f, &im, out.data, out_dtype, weights, kh, kw, ay, ax, <float>delta, mode,
                  cval)


cdef int k_sharpen(Frame* f, const Instr* ins) noexcept nogil:
    """Inputs: image, alpha, lightness.  iparams: border.  fparams: value.
    The kernel is (1 - alpha) * identity + alpha * [[-1 -1 -1] [-1 8+L -1]
    [-1 -1 -1]] (albumentations' Sharpen)."""
    cdef ImageView im
    cdef double alpha, lightness
    cdef int mode = <int>iparam(f, ins, 0)
    cdef double cval = fparam(f, ins, 0)
    cdef float wk[9]
    cdef float a, oma, l8
    cdef Py_ssize_t i
    cdef Value* out
    if as_image(f, arg(f, ins, 0), &im) < 0:
        return -1
    if get_double(f, arg(f, ins, 1), "alpha", &alpha) < 0:
        return -1
    if get_double(f, arg(f, ins, 2), "lightness", &lightness) < 0:
        return -1
    if not (fabs(alpha) < 1e6 and fabs(lightness) < 1e6):
        return fail(f, "Sharpen parameters must be finite")
    # float32 arithmetic, as albumentations builds its matrix in float32
    a = <float>alpha
    oma = <float>(1 - alpha)
    l8 = <float>(8 + lightness)
    for i in range(9):
        wk[i] = oma * <float>0 + a * <float>(-1)
    wk[4] = oma * <float>1 + a * l8
    out = new_image(f, ins, im.dtype, im.height, im.width, im.channels, im.ndim)
    if out == NULL:
        return -1
    if im.height == 0 or im.width == 0:
        return 0
    return conv2d(f, &im, out.data, im.dtype, wk, 3, 3, 1, 1, 0, mode, cval)


cdef Py_ssize_t motion_kernel(float* k, Py_ssize_t ksize, double angle,
                              double direction) noexcept nogil:
    """albumentations' create_motion_kernel (allow_shifted=False): points of
    the line ``centre + t * (cos, sin)`` for ``2 * ksize`` values of t in
    [-ksize//2, ksize//2], rounded (half to even) and clipped to the kernel.
    ``direction`` in [-1, 1] keeps only the backward (< 0) or forward (> 0)
    part of the line: t in [-L * (1 - max(direction, 0)), L * (1 + min(direction, 0))].
    Returns the number of points set, the kernel normalised to sum 1."""
    cdef Py_ssize_t centre = ksize // 2, npts = 2 * ksize, i, x, y, count = 0
    cdef double L = <double>(ksize // 2)
    cdef double rad = angle * (M_PI / 180.0)
    cdef double dx = cos(rad), dy = sin(rad)
    cdef double t0 = -L, t1 = L, step, t, fx, fy
    cdef float w
    if direction > 0:
        t0 = -L * (1 - direction)
    elif direction < 0:
        t1 = L * (1 + direction)
    for i in range(ksize * ksize):
        k[i] = 0
    step = (t1 - t0) / (npts - 1) if npts > 1 else 0
    for i in range(npts):
        t = t0 + i * step if i < npts - 1 else t1
        fx = rint(centre + dx * t)
        fy = rint(centre + dy * t)
        x = <Py_ssize_t>(0 if fx < 0 else (ksize - 1 if fx > ksize - 1 else fx))
        y = <Py_ssize_t>(0 if fy < 0 else (ksize - 1 if fy > ksize - 1 else fy))
        if k[y * ksize + x] == 0:
            k[y * ksize + x] = 1
            count += 1
    if count == 0:
        k[centre * ksize + centre] = 1
        count = 1
    w = <float>1 / <float>count
    for i in range(ksize * ksize):
        if k[i] != 0:
            k[i] = w
    return count


cdef int k_motion_kernel(Frame* f, const Instr* ins) noexcept nogil:
    """Inputs: ksize, angle, direction -> float32 ksize x ksize kernel."""
    cdef int64_t ksize
    cdef double angle, direction
    cdef Py_ssize_t shape[2]
    cdef Value* out
    if read_motion_params(f, ins, 0, &ksize, &angle, &direction) < 0:
        return -1
    shape[0] = ksize
    shape[1] = ksize
    out = new_tensor(f, ins, DT_FLOAT32, 2, shape)
    if out == NULL:
        return -1
    motion_kernel(<float*>out.data, ksize, angle, direction)
    return 0


cdef int read_motion_params(Frame* f, const Instr* ins, int first, int64_t* ksize,
                            double* angle, double* direction) noexcept nogil:
    if get_int(f, arg(f, ins, first), "ksize", ksize) < 0:
        return -1
    if get_double(f, arg(f, ins, first + 1), "angle", angle) < 0:
        return -1
    if get_double(f, arg(f, ins, first + 2), "direction", direction) < 0:
        return -1
    if check_odd_ksize(f, ksize[0], "ksize") < 0:
        return -1
    if ksize[0] > 1023:
        snprintf(f.error, ERROR_SIZE, "MotionBlur ksize must be <= 1023, got %lld",
                 <long long>ksize[0])
        return -1
    if not (fabs(angle[0]) < 1e9):
        return fail(f, "angle must be finite")
    if not (-1 <= direction[0] <= 1):
        snprintf(f.error, ERROR_SIZE, "direction must be in [-1, 1], got %g", direction[0])
        return -1
    return 0


cdef int k_motion_blur(Frame* f, const Instr* ins) noexcept nogil:
    """Inputs: image, ksize, angle, direction.  iparams: border.  fparams:
    border value."""
    cdef ImageView im
    cdef int64_t ksize
    cdef double angle, direction
    cdef int mode = <int>iparam(f, ins, 0)
    cdef double cval = fparam(f, ins, 0)
    cdef float* k
    cdef Value* out
    if as_image(f, arg(f, ins, 0), &im) < 0:
        return -1
    if read_motion_params(f, ins, 1, &ksize, &angle, &direction) < 0:
        return -1
    k = <float*>work(f, 1, ksize * ksize * sizeof(float))
    if k == NULL:
        return -1
    motion_kernel(k, ksize, angle, direction)
    out = new_image(f, ins, im.dtype, im.height, im.width, im.channels, im.ndim)
    if out == NULL:
        return -1
    if im.height == 0 or im.width == 0:
        return 0
    return conv2d(f, &im, out.data, im.dtype, k, ksize, ksize, ksize // 2, ksize // 2, 0, mode,
                  cval)


# ============================================================== derivatives

cdef int sobel_kernel(int order, int ksize, int64_t* k) noexcept nogil:
    """OpenCV's getSobelKernels for one axis (``ksize`` already adjusted: 1
    only for order 0, -1 for Scharr).  Returns the kernel length."""
    cdef int i, j, oldval, newval
    if ksize == -1:
        if order == 0:
            k[0] = 3; k[1] = 10; k[2] = 3
        else:
            k[0] = -1; k[1] = 0; k[2] = 1
        return 3
    if ksize == 1:
        k[0] = 1
        return 1
    if ksize == 3:
        if order == 0:
            k[0] = 1; k[1] = 2; k[2] = 1
        elif order == 1:
            k[0] = -1; k[1] = 0; k[2] = 1
        else:
            k[0] = 1; k[1] = -2; k[2] = 1
        return 3
    k[0] = 1
    for i in range(ksize):
        k[i + 1] = 0
    for i in range(ksize - order - 1):
        oldval = <int>k[0]
        for j in range(1, ksize + 1):
            newval = <int>(k[j] + k[j - 1])
            k[j - 1] = oldval
            oldval = newval
    for i in range(order):
        oldval = <int>(-k[0])
        for j in range(1, ksize + 1):
            newval = <int>(k[j - 1] - k[j])
            k[j - 1] = oldval
            oldval = newval
    return ksize


cdef int k_sobel(Frame* f, const Instr* ins) noexcept nogil:
    """Inputs: image, scale, delta.  iparams: dx, dy, ksize (-1: Scharr),
    border, output dtype.  fparams: border value."""
    cdef ImageView im
    cdef double scale, delta
    cdef int dx = <int>iparam(f, ins, 0), dy = <int>iparam(f, ins, 1)
    cdef int ksize = <int>iparam(f, ins, 2)
    cdef int mode = <int>iparam(f, ins, 3), out_dtype = <int>iparam(f, ins, 4)
    cdef double cval = fparam(f, ins, 0)
    cdef int64_t ix[40]
    cdef int64_t iy[40]
    cdef float kx[40]
    cdef float ky[40]
    cdef int kw, kh, i, ksx, ksy
    cdef Value* out
    # a program file carries these: check them again (tables are sized by them)
    if not ((ksize == 1 or ksize == 3 or ksize == 5 or ksize == 7 or ksize == -1)
            and 0 <= dx and 0 <= dy and 1 <= dx + dy
            and (dx + dy == 1 if ksize == -1 else dx < (3 if ksize == 1 else ksize)
                 and dy < (3 if ksize == 1 else ksize))
            and image_dtype_ok(out_dtype) and BORDER_CONSTANT <= mode <= BORDER_WRAP):
        return fail(f, "bad Sobel parameters (ksize, derivative orders, type or border)")
    if as_image(f, arg(f, ins, 0), &im) < 0:
        return -1
    if get_double(f, arg(f, ins, 1), "scale", &scale) < 0:
        return -1
    if get_double(f, arg(f, ins, 2), "delta", &delta) < 0:
        return -1
    ksx = ksize
    ksy = ksize
    if ksize == 1 and dx > 0:
        ksx = 3
    if ksize == 1 and dy > 0:
        ksy = 3
    kw = sobel_kernel(dx, ksx, ix)
    kh = sobel_kernel(dy, ksy, iy)
    for i in range(kw):
        kx[i] = <float>ix[i]
    for i in range(kh):
        ky[i] = <float>iy[i]
    if scale != 1:
        if dx == 0:
            for i in range(kw):
                kx[i] = <float>(kx[i] * scale)
        else:
            for i in range(kh):
                ky[i] = <float>(ky[i] * scale)
    out = new_image(f, ins, out_dtype, im.height, im.width, im.channels, im.ndim)
    if out == NULL:
        return -1
    if im.height == 0 or im.width == 0:
        return 0
    return sepfilter(f, &im, out.data, out_dtype, kx, kw, ky, kh, <float>delta, mode, cval)


cdef int k_laplacian(Frame* f, const Instr* ins) noexcept nogil:
    """Inputs: image, scale, delta.  iparams: ksize, border, output dtype.
    fparams: border value."""
    cdef ImageView im
    cdef double scale, delta
    cdef int ksize = <int>iparam(f, ins, 0)
    cdef int mode = <int>iparam(f, ins, 1), out_dtype = <int>iparam(f, ins, 2)
    cdef double cval = fparam(f, ins, 0)
    cdef int64_t kd[16]
    cdef int64_t ks[16]
    cdef float wk[64]
    cdef int n, i, j
    cdef Value* out
    # a program file carries these: check them again (tables are sized by them)
    if not ((ksize == 1 or ksize == 3 or ksize == 5 or ksize == 7)
            and image_dtype_ok(out_dtype) and BORDER_CONSTANT <= mode <= BORDER_WRAP):
        return fail(f, "bad Laplacian parameters (ksize, type or border)")
    if as_image(f, arg(f, ins, 0), &im) < 0:
        return -1
    if get_double(f, arg(f, ins, 1), "scale", &scale) < 0:
        return -1
    if get_double(f, arg(f, ins, 2), "delta", &delta) < 0:
        return -1
    if ksize == 1 or ksize == 3:
        n = 3
        if ksize == 1:
            wk[0] = 0; wk[1] = 1; wk[2] = 0
            wk[3] = 1; wk[4] = -4; wk[5] = 1
            wk[6] = 0; wk[7] = 1; wk[8] = 0
        else:
            wk[0] = 2; wk[1] = 0; wk[2] = 2
            wk[3] = 0; wk[4] = -8; wk[5] = 0
            wk[6] = 2; wk[7] = 0; wk[8] = 2
        for i in range(9):
            wk[i] = <float>(wk[i] * scale)
    else:
        n = ksize
        sobel_kernel(2, ksize, kd)
        sobel_kernel(0, ksize, ks)
        for i in range(n):
            for j in range(n):
                wk[i * n + j] = <float>((kd[j] * ks[i] + ks[j] * kd[i]) * scale)
    out = new_image(f, ins, out_dtype, im.height, im.width, im.channels, im.ndim)
    if out == NULL:
        return -1
    if im.height == 0 or im.width == 0:
        return 0
    return conv2d(f, &im, out.data, out_dtype, wk, n, n, n // 2, n // 2, <float>delta, mode,
                  cval)


KERNELS = {
    "gaussian_blur": <uintptr_t>k_gaussian_blur,
    "box_blur": <uintptr_t>k_box_blur,
    "median_blur": <uintptr_t>k_median_blur,
    "bilateral_filter": <uintptr_t>k_bilateral,
    "convolve": <uintptr_t>k_convolve,
    "sharpen": <uintptr_t>k_sharpen,
    "motion_kernel": <uintptr_t>k_motion_kernel,
    "motion_blur": <uintptr_t>k_motion_blur,
    "sobel": <uintptr_t>k_sobel,
    "laplacian": <uintptr_t>k_laplacian,
}
