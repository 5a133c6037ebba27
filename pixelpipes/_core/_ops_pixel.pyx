"""The fused per-pixel kernel: a chain of point operations in one pass
(node class :class:`pixelpipes.image.pixel_chain.PixelChain`).

A chain is encoded as a list of stages (codes below, shared with
``pixel_chain.py``).  At run time the stages become *micro stages*: a colour
jitter expands into its adjustments in the order its permutation gives, and
stages that do nothing (saturation or hue of a gray image, a conversion to
the same type, a solarize threshold above the range) are dropped after their
parameters are checked.

The image is then streamed in blocks of ``BLOCK`` pixels through a planar
float32 buffer (one plane per channel, 4 KiB in all, so it stays in L1):
each block is loaded (de-interleaved and widened), every stage runs over
the planes with the arithmetic of ``_pixel.pxd`` (the same functions as the
single kernels, so the results are the same bits), and the block is stored
in the output type, HWC or CHW.  An integer image value is held as the
float32 of that integer, which is exact for uint8, uint16 and int16.

Two refinements:

* **Composed tables.**  A run of per-channel stages that starts on uint8
  values is a function of that uint8 value: it is evaluated once on the
  256 possible values (by running the stages themselves, so it is exact by
  construction) and applied as one table lookup per element, fused into
  the load when the run starts the pass.  See ``LUT_COST`` for when.
* **Contrast** needs the mean of the image it sees.  The pass before it
  accumulates that mean (in the same order as the single kernel, so the
  float64 sum is the same) while it stores the intermediate image, in its
  own element type and planar (cheaper to store and load than HWC), into
  per-thread scratch; the next pass starts from there.  A contrast that
  comes first only costs a reduction over the source.

Tables are used only where they pay (measured on AMD EPYC, W1 of issue 4):
a lookup per element is a scalar load, slower than a few vectorised float
operations, so cheap runs (brightness, contrast) are computed; a table
serves a run with a gamma (a ``pow`` per element otherwise), and a run of
cost >= 3 (e.g. contrast then a uint8 normalisation, whose two divisions
are the most expensive float work here) when the table replaces the load
of the pass too.
"""

from libc.stdint cimport uint8_t, int16_t, uint16_t, int32_t, int64_t, uintptr_t
from libc.string cimport memcpy

from pixelpipes._core._kernel cimport (
    scalar_number as get_scalar,
    Frame, Instr, Value, KIND_TENSOR, DT_UINT8, DT_INT16, DT_UINT16, DT_FLOAT32,
    DT_FLOAT64, ERROR_SIZE, arg, iparam, new_tensor, scratch, fail, snprintf, load_double,
    load_int, itemsize,
)
from pixelpipes._core._image cimport ImageView, as_image, pixel_t, type_max
from pixelpipes._core._params cimport (
    check_dtype, check_colour_channels, get_factor, read_vector,
)
from pixelpipes._core._pixel cimport (
    to_level, tv_gray, blend_clamp, brightness_offset, contrast_offset, tv_hue_hsv, tv_hsv_rgb,
    hue_u8_level, hue_u16_level, gamma_u8_level, gamma_u16_level, gamma_unit_value,
    gamma_other_value, invert_value, solarize_level, posterize_mask, normalize_u8_value,
    normalize_value, depth_u8_to_f32, depth_u16_to_u8, depth_u8_to_int, depth_to_f32,
    depth_to_unsigned, depth_to_int16,
)

cdef extern from *:
    """
    /* Float compare-and-select (clamps, NaN-aware min/max) only becomes a
       vector blend when comparisons may not raise FP exception flags; this
       changes no value.  For the whole module, so that helpers still inline. */
    #if defined(__GNUC__) && !defined(__clang__)
    #pragma GCC optimize("no-trapping-math")
    #endif
    """

cdef extern from "_simd.h" nogil:
    # hot loops: AVX2 and baseline clones, chosen at load time (see _simd.h)
    ctypedef void cloned_void "PP_CLONES void"
    ctypedef void shuffle_void "PP_SHUFFLE_CLONES void"


# Stage codes: part of the instruction format (pixel_chain.py: STAGE_CODES).
cdef enum:
    ST_BRIGHTNESS = 0
    ST_CONTRAST = 1
    ST_SATURATION = 2
    ST_HUE = 3
    ST_GAMMA = 4
    ST_INVERT = 5
    ST_SOLARIZE = 6
    ST_POSTERIZE = 7
    ST_NORMALIZE = 8
    ST_CONVERT_DEPTH = 9
    ST_TO_CHW = 10
    ST_JITTER = 11
    ST_LUT = 100            # internal: a composed table
    ST_LUT16 = 101          # internal: a uint16 table of one stage (colour channels)

# Conversion modes of ST_CONVERT_DEPTH.
cdef enum:
    DEPTH_U8_F32 = 0
    DEPTH_U16_U8 = 1
    DEPTH_U8_INT = 2
    DEPTH_TO_F32 = 3
    DEPTH_TO_UNSIGNED = 4
    DEPTH_TO_I16 = 5

cdef enum:
    BLOCK = 256             # pixels per block; also the size of a uint8 table
    MAX_MICRO = 64
    # a run of per-channel stages on uint8 values becomes a table when its
    # cost (in vector operations per element, roughly) reaches this
    LUT_COST = 50
    # ... or this, when the table replaces the loading of the pass
    LOAD_LUT_COST = 3

cdef const char* BAD_PARAMS = "malformed pixel chain parameters"


ctypedef struct Micro:
    int kind
    int dtype               # element type of the values the stage reads
    int out_dtype           # ... and leaves
    int mode                # convert depth: DEPTH_*; invert/solarize: int16 flag
    float a                 # blend factor; hue shift; depth scale; normalize scale
    float b                 # blend offset
    float hi                # the type's maximum
    float gain
    double factor           # contrast factor (b follows from the mean)
    double gamma
    double da, dlo, dhi     # convert depth from uint8, in double
    int32_t level           # solarize: first inverted level; posterize: mask
    bint scaled
    float c0[4]             # normalize: per-channel mean
    float c1[4]             # normalize: per-channel std (uint8) or 1 / std
    float* lut              # ST_LUT: 4 x 256 values


# ---------------------------------------------------------------- plane loops

cdef cloned_void plane_blend(float* p, Py_ssize_t n, float a, float b, float hi,
                             bint is_int) noexcept nogil:
    cdef Py_ssize_t i
    if is_int:
        for i in range(n):
            p[i] = to_level(blend_clamp(p[i], a, b, hi))
    else:
        for i in range(n):
            p[i] = blend_clamp(p[i], a, b, hi)


cdef cloned_void planes_saturation(float* r, float* g, float* bl, Py_ssize_t n, float a,
                                   float b, float hi, bint is_int) noexcept nogil:
    cdef Py_ssize_t i
    cdef float gb
    if is_int:
        for i in range(n):
            gb = b * to_level(tv_gray(r[i], g[i], bl[i]))   # gray truncated to the type
            r[i] = to_level(blend_clamp(r[i], a, gb, hi))
            g[i] = to_level(blend_clamp(g[i], a, gb, hi))
            bl[i] = to_level(blend_clamp(bl[i], a, gb, hi))
    else:
        for i in range(n):
            gb = b * tv_gray(r[i], g[i], bl[i])
            r[i] = blend_clamp(r[i], a, gb, hi)
            g[i] = blend_clamp(g[i], a, gb, hi)
            bl[i] = blend_clamp(bl[i], a, gb, hi)


cdef cloned_void planes_hue(float* r, float* g, float* bl, Py_ssize_t n, float shift,
                            int dtype) noexcept nogil:
    """In two loops, RGB -> shifted HSV in place, then back, as the single
    kernel (in one, a pixel's chain of divisions was too long for the next
    pixels' work to overlap it)."""
    cdef Py_ssize_t i
    cdef float ro, go, bo
    if dtype == DT_UINT8:
        for i in range(n):
            tv_hue_hsv(r[i] / <float>255.0, g[i] / <float>255.0, bl[i] / <float>255.0,
                       shift, &r[i], &g[i], &bl[i])
    elif dtype == DT_UINT16:
        for i in range(n):
            tv_hue_hsv(r[i] / <float>65535.0, g[i] / <float>65535.0, bl[i] / <float>65535.0,
                       shift, &r[i], &g[i], &bl[i])
    else:
        for i in range(n):
            tv_hue_hsv(r[i], g[i], bl[i], shift, &r[i], &g[i], &bl[i])
    if dtype == DT_UINT8:
        for i in range(n):
            tv_hsv_rgb(r[i], g[i], bl[i], &ro, &go, &bo)
            r[i] = hue_u8_level(ro)
            g[i] = hue_u8_level(go)
            bl[i] = hue_u8_level(bo)
    elif dtype == DT_UINT16:
        for i in range(n):
            tv_hsv_rgb(r[i], g[i], bl[i], &ro, &go, &bo)
            r[i] = hue_u16_level(ro)
            g[i] = hue_u16_level(go)
            bl[i] = hue_u16_level(bo)
    else:
        for i in range(n):
            tv_hsv_rgb(r[i], g[i], bl[i], &ro, &go, &bo)
            r[i] = ro
            g[i] = go
            bl[i] = bo


cdef cloned_void plane_gamma_f32(float* p, float* tmp, Py_ssize_t n, double gamma,
                                 float gain) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        tmp[i] = gamma_unit_value(p[i], gamma, gain)
    for i in range(n):
        if not ((p[i] > 0) & (p[i] <= 1)):
            tmp[i] = gamma_other_value(p[i], <float>gamma, gain)
    memcpy(p, tmp, n * sizeof(float))


cdef void plane_gamma_int(float* p, Py_ssize_t n, double gamma, float gain,
                          int dtype) noexcept nogil:
    cdef Py_ssize_t i
    if dtype == DT_UINT8:
        for i in range(n):
            p[i] = gamma_u8_level(p[i], gamma, gain)
    else:
        for i in range(n):
            p[i] = gamma_u16_level(p[i], gamma, gain)


cdef cloned_void plane_invert(float* p, Py_ssize_t n, float hi, bint is_i16) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        p[i] = invert_value(p[i], hi, is_i16)


cdef cloned_void plane_solarize(float* p, Py_ssize_t n, float t, float hi,
                                bint is_i16) noexcept nogil:
    """Inverts the values ``>= t`` (float32 compare; for integers ``t`` is
    the first inverted level)."""
    cdef Py_ssize_t i
    for i in range(n):
        p[i] = invert_value(p[i], hi, is_i16) if p[i] >= t else p[i]


cdef cloned_void plane_posterize(float* p, Py_ssize_t n, int32_t mask) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        p[i] = <float>(<int32_t>p[i] & mask)


cdef cloned_void plane_normalize_u8(float* p, Py_ssize_t n, bint scaled, float mean,
                                    float std) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        p[i] = normalize_u8_value(p[i], scaled, mean, std)


cdef cloned_void plane_normalize(float* p, Py_ssize_t n, float scale, float mean,
                                 float inv_std) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        p[i] = normalize_value(p[i], scale, mean, inv_std)


cdef cloned_void plane_depth(float* p, Py_ssize_t n, const Micro* m) noexcept nogil:
    cdef Py_ssize_t i
    cdef int mode = m.mode
    cdef float a = m.a, hi = m.hi
    cdef double da = m.da, lo = m.dlo, dhi = m.dhi
    if mode == DEPTH_U8_F32:
        for i in range(n):
            p[i] = depth_u8_to_f32(p[i])
    elif mode == DEPTH_U16_U8:
        for i in range(n):
            p[i] = depth_u16_to_u8(p[i])
    elif mode == DEPTH_U8_INT:
        for i in range(n):
            p[i] = depth_u8_to_int(p[i], da, 0.0, lo, dhi)
    elif mode == DEPTH_TO_F32:
        for i in range(n):
            p[i] = depth_to_f32(p[i], da, 0.0)
    elif mode == DEPTH_TO_UNSIGNED:
        for i in range(n):
            p[i] = depth_to_unsigned(p[i], a, <float>0.0, hi)
    else:
        for i in range(n):
            p[i] = depth_to_int16(p[i], a, <float>0.0)


cdef void plane_lut(float* p, Py_ssize_t n, const float* lut) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        p[i] = lut[<int32_t>p[i]]


# ---------------------------------------------------------------- load, store, mean

cdef shuffle_void split_rgb_u8(const uint8_t* s, uint8_t* d, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        d[i] = s[3 * i]
        d[BLOCK + i] = s[3 * i + 1]
        d[2 * BLOCK + i] = s[3 * i + 2]


cdef cloned_void widen_u8(const uint8_t* s, float* d, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        d[i] = <float>s[i]


cdef cloned_void load_block(const pixel_t* s, Py_ssize_t n, Py_ssize_t cn,
                            float* P) noexcept nogil:
    """De-interleave ``n`` pixels into float planes ``P + c * BLOCK``."""
    cdef Py_ssize_t i, c
    if cn == 1:
        for i in range(n):
            P[i] = <float>s[i]
    elif cn == 3:
        for i in range(n):
            P[i] = <float>s[3 * i]
            P[BLOCK + i] = <float>s[3 * i + 1]
            P[2 * BLOCK + i] = <float>s[3 * i + 2]
    else:
        for c in range(cn):
            for i in range(n):
                P[c * BLOCK + i] = <float>s[cn * i + c]


cdef cloned_void load_planes(const pixel_t* s, Py_ssize_t n, Py_ssize_t cn, Py_ssize_t plane,
                             float* P) noexcept nogil:
    """Load ``n`` pixels from planes ``plane`` elements apart (the
    intermediate images between passes are kept planar)."""
    cdef Py_ssize_t i, c
    for c in range(cn):
        for i in range(n):
            P[c * BLOCK + i] = <float>s[c * plane + i]


cdef void load_planes_lut(const uint8_t* s, Py_ssize_t n, Py_ssize_t cn, Py_ssize_t plane,
                          float* P, const float* lut) noexcept nogil:
    cdef Py_ssize_t i, c
    for c in range(cn):
        for i in range(n):
            P[c * BLOCK + i] = lut[256 * c + s[c * plane + i]]


cdef void load_block_lut(const uint8_t* s, Py_ssize_t n, Py_ssize_t cn, float* P,
                         const float* lut) noexcept nogil:
    """Load through a composed table (channel ``c`` uses ``lut + 256 c``)."""
    cdef Py_ssize_t i, c
    if cn == 1:
        for i in range(n):
            P[i] = lut[s[i]]
    elif cn == 3:
        for i in range(n):
            P[i] = lut[s[3 * i]]
            P[BLOCK + i] = lut[256 + s[3 * i + 1]]
            P[2 * BLOCK + i] = lut[512 + s[3 * i + 2]]
    else:
        for c in range(cn):
            for i in range(n):
                P[c * BLOCK + i] = lut[256 * c + s[cn * i + c]]


cdef cloned_void store_block(const float* P, pixel_t* d, Py_ssize_t n, Py_ssize_t cn,
                             bint chw, Py_ssize_t plane) noexcept nogil:
    """Planes to ``d`` (the block's first element): interleaved, or into
    the planes of a CHW tensor ``plane`` elements apart.  Integer values are
    exact integers inside the type's range here."""
    cdef Py_ssize_t i, c
    if chw:
        for c in range(cn):
            if pixel_t is float:
                memcpy(d + c * plane, P + c * BLOCK, n * sizeof(float))
            else:
                for i in range(n):
                    d[c * plane + i] = <pixel_t><int32_t>P[c * BLOCK + i]
    elif cn == 1:
        if pixel_t is float:
            memcpy(d, P, n * sizeof(float))
        else:
            for i in range(n):
                d[i] = <pixel_t><int32_t>P[i]
    elif cn == 3:
        for i in range(n):
            if pixel_t is float:
                d[3 * i] = P[i]
                d[3 * i + 1] = P[BLOCK + i]
                d[3 * i + 2] = P[2 * BLOCK + i]
            else:
                d[3 * i] = <pixel_t><int32_t>P[i]
                d[3 * i + 1] = <pixel_t><int32_t>P[BLOCK + i]
                d[3 * i + 2] = <pixel_t><int32_t>P[2 * BLOCK + i]
    else:
        for c in range(cn):
            for i in range(n):
                if pixel_t is float:
                    d[cn * i + c] = P[c * BLOCK + i]
                else:
                    d[cn * i + c] = <pixel_t><int32_t>P[c * BLOCK + i]


cdef cloned_void accumulate_mean(const float* P, Py_ssize_t n, Py_ssize_t cn, bint is_int,
                                 int64_t* itotal, double* total) noexcept nogil:
    """The sums of the Contrast kernel's mean, pixel after pixel in the same
    order (so the float64 sum of a float image is the same)."""
    cdef Py_ssize_t i
    cdef int64_t it = itotal[0]
    cdef double t = total[0]
    if is_int:
        if cn == 1:
            for i in range(n):
                it += <int32_t>P[i]
        else:
            for i in range(n):
                it += <int32_t>tv_gray(P[i], P[BLOCK + i], P[2 * BLOCK + i])
    else:
        if cn == 1:
            for i in range(n):
                t += P[i]
        else:
            for i in range(n):
                t += tv_gray(P[i], P[BLOCK + i], P[2 * BLOCK + i])
    itotal[0] = it
    total[0] = t


# ---------------------------------------------------------------- stages on a block

cdef void apply_micro(const Micro* m, float* P, Py_ssize_t n, Py_ssize_t cn,
                      float* tmp) noexcept nogil:
    cdef Py_ssize_t c
    cdef Py_ssize_t ncol = 3 if cn == 4 else cn       # alpha is left alone
    cdef int kind = m.kind
    cdef bint is_int = m.dtype != DT_FLOAT32
    if kind == ST_LUT:
        for c in range(cn):
            plane_lut(P + c * BLOCK, n, m.lut + 256 * c)
    elif kind == ST_LUT16:
        for c in range(ncol):
            plane_lut(P + c * BLOCK, n, m.lut)
    elif kind == ST_BRIGHTNESS or kind == ST_CONTRAST:
        for c in range(ncol):
            plane_blend(P + c * BLOCK, n, m.a, m.b, m.hi, is_int)
    elif kind == ST_SATURATION:
        planes_saturation(P, P + BLOCK, P + 2 * BLOCK, n, m.a, m.b, m.hi, is_int)
    elif kind == ST_HUE:
        planes_hue(P, P + BLOCK, P + 2 * BLOCK, n, m.a, m.dtype)
    elif kind == ST_GAMMA:
        for c in range(ncol):
            if is_int:
                plane_gamma_int(P + c * BLOCK, n, m.gamma, m.gain, m.dtype)
            else:
                plane_gamma_f32(P + c * BLOCK, tmp, n, m.gamma, m.gain)
    elif kind == ST_INVERT:
        for c in range(ncol):
            plane_invert(P + c * BLOCK, n, m.hi, m.mode)
    elif kind == ST_SOLARIZE:
        for c in range(ncol):
            plane_solarize(P + c * BLOCK, n, m.a, m.hi, m.mode)
    elif kind == ST_POSTERIZE:
        for c in range(ncol):
            plane_posterize(P + c * BLOCK, n, m.level)
    elif kind == ST_NORMALIZE:
        for c in range(cn):
            if m.dtype == DT_UINT8:
                plane_normalize_u8(P + c * BLOCK, n, m.scaled, m.c0[c], m.c1[c])
            else:
                plane_normalize(P + c * BLOCK, n, m.a, m.c0[c], m.c1[c])
    elif kind == ST_CONVERT_DEPTH:
        for c in range(cn):
            plane_depth(P + c * BLOCK, n, m)


cdef bint per_channel(int kind) noexcept nogil:
    return kind != ST_SATURATION and kind != ST_HUE


cdef int stage_cost(const Micro* m) noexcept nogil:
    if m.kind == ST_GAMMA:
        return 100
    if m.kind == ST_NORMALIZE:
        return 3            # two divisions
    return 1


# ---------------------------------------------------------------- parameters

cdef int add_stage(Frame* f, int kind, Value* p0, Value* p1, int64_t st0, int* dtype,
                   Py_ssize_t cn, Micro* micros, int* nm) noexcept nogil:
    """Check one stage against the image it will see (element type
    ``dtype[0]``, ``cn`` channels) with the single kernel's messages, and
    append its micro stage (none when it does nothing)."""
    cdef Micro* m
    cdef double x, y
    cdef double mean[4]
    cdef double std[4]
    cdef int64_t bits
    cdef int32_t lo, hi
    cdef int c, out
    cdef int L = dtype[0]
    if nm[0] >= MAX_MICRO:
        return fail(f, "pixel chain has too many stages")
    m = &micros[nm[0]]
    m.kind = kind
    m.dtype = L
    m.out_dtype = L
    m.hi = <float>type_max(L)
    m.mode = 0
    if kind == ST_BRIGHTNESS or kind == ST_CONTRAST or kind == ST_SATURATION:
        if kind == ST_BRIGHTNESS:
            if check_colour_channels(f, cn, "brightness") < 0 or \
                    get_factor(f, p0, "brightness factor", &x) < 0:
                return -1
            m.b = brightness_offset(x)
        elif kind == ST_CONTRAST:
            if check_colour_channels(f, cn, "contrast") < 0 or \
                    get_factor(f, p0, "contrast factor", &x) < 0:
                return -1
            m.factor = x
            m.b = 0             # set when the mean is known
        else:
            if check_colour_channels(f, cn, "saturation") < 0 or \
                    get_factor(f, p0, "saturation factor", &x) < 0:
                return -1
            if cn == 1:         # torchvision: gray images are returned as they are
                return 0
            m.b = <float>(1.0 - x)
        m.a = <float>x
    elif kind == ST_HUE:
        if check_colour_channels(f, cn, "hue") < 0 or \
                check_dtype(f, L, True, False, True, True, "hue") < 0:
            return -1
        if get_scalar(f, p0, "hue shift", &x) < 0:
            return -1
        if not (-0.5 <= x <= 0.5):
            snprintf(f.error, ERROR_SIZE, "hue shift must be in [-0.5, 0.5], got %g", x)
            return -1
        if cn == 1:
            return 0
        m.a = <float>x
    elif kind == ST_GAMMA:
        if check_colour_channels(f, cn, "gamma") < 0 or \
                check_dtype(f, L, True, False, True, True, "gamma") < 0:
            return -1
        if get_scalar(f, p0, "gamma", &x) < 0 or get_scalar(f, p1, "gain", &y) < 0:
            return -1
        if x < 0:
            snprintf(f.error, ERROR_SIZE, "gamma must be >= 0, got %g", x)
            return -1
        m.gamma = <float>x      # torch raises a float32 tensor to a float32 power
        m.gain = <float>y
    elif kind == ST_INVERT or kind == ST_SOLARIZE:
        if check_colour_channels(f, cn, "solarize" if kind == ST_SOLARIZE else "invert") < 0:
            return -1
        m.mode = L == DT_INT16
        if kind == ST_SOLARIZE:
            if get_scalar(f, p0, "solarize threshold", &x) < 0:
                return -1
            if L == DT_FLOAT32:
                m.a = <float>x
            else:
                lo = -32768 if L == DT_INT16 else 0
                hi = <int32_t>type_max(L)
                m.level = solarize_level(x)
                if m.level > hi:
                    return 0
                m.a = <float>(m.level if m.level > lo else lo)
    elif kind == ST_POSTERIZE:
        if check_colour_channels(f, cn, "posterize") < 0 or \
                check_dtype(f, L, True, False, False, False, "posterize") < 0:
            return -1
        if p0.kind != KIND_TENSOR or p0.length != 1:
            return fail(f, "posterize bits must be a scalar")
        bits = load_int(p0.data, p0.dtype)
        if bits < 0 or bits > 8:
            snprintf(f.error, ERROR_SIZE, "posterize bits must be in [0, 8], got %lld",
                     <long long>bits)
            return -1
        m.level = posterize_mask(bits)
    elif kind == ST_NORMALIZE:
        if read_vector(f, p0, cn, "mean", mean) < 0 or read_vector(f, p1, cn, "std", std) < 0:
            return -1
        for c in range(cn):
            if std[c] == 0:
                return fail(f, "std must not be zero")
        m.scaled = st0 != 0
        m.a = <float>(1.0 / type_max(L)) if m.scaled else <float>1.0
        for c in range(cn):
            m.c0[c] = <float>mean[c]
            m.c1[c] = <float>std[c] if L == DT_UINT8 else <float>(1.0 / <float>std[c])
        m.out_dtype = DT_FLOAT32
    elif kind == ST_CONVERT_DEPTH:
        out = <int>st0
        if out != DT_UINT8 and out != DT_UINT16 and out != DT_INT16 and out != DT_FLOAT32:
            return fail(f, BAD_PARAMS)
        if out == L:
            return 0
        m.out_dtype = out
        m.da = type_max(out) / type_max(L)
        m.a = <float>m.da
        m.hi = <float>type_max(out)
        if L == DT_UINT8 and out == DT_FLOAT32:
            m.mode = DEPTH_U8_F32
        elif L == DT_UINT16 and out == DT_UINT8:
            m.mode = DEPTH_U16_U8
        elif L == DT_UINT8:
            m.mode = DEPTH_U8_INT
            m.dlo = -32768.0 if out == DT_INT16 else 0.0
            m.dhi = type_max(out)
        elif out == DT_FLOAT32:
            m.mode = DEPTH_TO_F32
        elif out == DT_INT16:
            m.mode = DEPTH_TO_I16
        else:
            m.mode = DEPTH_TO_UNSIGNED
    else:
        return fail(f, BAD_PARAMS)
    dtype[0] = m.out_dtype
    nm[0] += 1
    return 0


cdef int build_plan(Frame* f, const Instr* ins, ImageView* im, Micro* micros, int* nm,
                    int* out_dtype, bint* chw) noexcept nogil:
    """iparams: [n_stages, then per stage: code, n_static, static..., n_inputs,
    input indices...]."""
    cdef int64_t n_stages = iparam(f, ins, 0)
    cdef int p = 1, s, k, j, kind, n_static, n_in, rank
    cdef int dtype = im.dtype
    cdef int64_t present[4]
    cdef int slot[4]
    cdef Value* perm
    cdef Value* p0
    cdef Value* p1
    cdef int64_t st0
    nm[0] = 0
    chw[0] = False
    if n_stages < 0 or n_stages > MAX_MICRO:
        return fail(f, BAD_PARAMS)
    for s in range(<int>n_stages):
        if p + 2 > ins.n_iparams:
            return fail(f, BAD_PARAMS)
        kind = <int>iparam(f, ins, p)
        n_static = <int>iparam(f, ins, p + 1)
        if n_static < 0 or n_static > 4 or p + 2 + n_static >= ins.n_iparams:
            return fail(f, BAD_PARAMS)
        n_in = <int>iparam(f, ins, p + 2 + n_static)
        if n_in < 0 or n_in > 5 or p + 3 + n_static + n_in > ins.n_iparams:
            return fail(f, BAD_PARAMS)
        for k in range(n_in):
            j = <int>iparam(f, ins, p + 3 + n_static + k)
            if j < 1 or j >= ins.n_args:
                return fail(f, BAD_PARAMS)
        if chw[0]:
            return fail(f, "ToCHW must be the last stage of a pixel chain")
        st0 = iparam(f, ins, p + 2) if n_static > 0 else 0
        p0 = arg(f, ins, <int>iparam(f, ins, p + 3 + n_static)) if n_in > 0 else &f.missing
        p1 = arg(f, ins, <int>iparam(f, ins, p + 4 + n_static)) if n_in > 1 else &f.missing
        if kind == ST_TO_CHW:
            chw[0] = True
        elif kind == ST_JITTER:
            # static: which of brightness, contrast, saturation, hue are on;
            # inputs: the permutation, then the factors of those that are on
            if n_static != 4:
                return fail(f, BAD_PARAMS)
            rank = 1
            for k in range(4):
                present[k] = iparam(f, ins, p + 2 + k)
                slot[k] = 0
                if present[k]:
                    if rank >= n_in:
                        return fail(f, BAD_PARAMS)
                    slot[k] = <int>iparam(f, ins, p + 3 + n_static + rank)
                    rank += 1
            perm = p0
            if perm.kind != KIND_TENSOR or perm.ndim != 1 or perm.length < 4 \
                    or perm.dtype == DT_FLOAT32 or perm.dtype == DT_FLOAT64:
                return fail(f, "colour jitter order must be a 1-D integer tensor of 4 entries")
            for k in range(4):
                j = <int>load_int(perm.data + k * itemsize(perm.dtype), perm.dtype)
                if j < 0 or j > 3:
                    return fail(f, "colour jitter order must be a permutation of 0..3")
                if present[j] and add_stage(f, j, arg(f, ins, slot[j]), &f.missing, 0,
                                            &dtype, im.channels, micros, nm) < 0:
                    return -1
        elif add_stage(f, kind, p0, p1, st0, &dtype, im.channels, micros, nm) < 0:
            return -1
        p += 3 + n_static + n_in
    out_dtype[0] = dtype
    return 0


# ---------------------------------------------------------------- the kernel

cdef int make_tables(Micro* ops, int* n_ops, const Micro* m, int count, float* lut_space,
                     Py_ssize_t cn, float* tmp, float* lut16_space, bint big) noexcept nogil:
    """``ops`` = the micro stages ``m[0:count]`` with the runs of per-channel
    stages on uint8 values that are worth it replaced by composed tables,
    and (``big`` images) the uint16 gammas by 65536-entry tables, as the
    single kernel does."""
    cdef int i = 0, j, cost, k, n = 0, used = 0
    cdef Py_ssize_t c, v
    cdef float* lut
    while i < count:
        if big and m[i].kind == ST_GAMMA and m[i].dtype == DT_UINT16:
            ops[n] = m[i]
            ops[n].kind = ST_LUT16
            ops[n].lut = lut16_space
            lut16_space += 65536
            for v in range(65536):
                ops[n].lut[v] = <float>v
            plane_gamma_int(ops[n].lut, 65536, m[i].gamma, m[i].gain, DT_UINT16)
            n += 1
            i += 1
            continue
        j = i
        cost = 0
        if m[i].dtype == DT_UINT8:
            while j < count and per_channel(m[j].kind):
                cost += stage_cost(&m[j])
                j += 1
        if cost >= LUT_COST or (i == 0 and cost >= LOAD_LUT_COST):
            lut = lut_space + used * 4 * BLOCK
            used += 1
            for c in range(cn):
                for v in range(256):
                    lut[c * BLOCK + v] = <float>v
            for k in range(i, j):
                apply_micro(&m[k], lut, 256, cn, tmp)
            ops[n].kind = ST_LUT
            ops[n].dtype = DT_UINT8
            ops[n].out_dtype = m[j - 1].out_dtype
            ops[n].lut = lut
            n += 1
            i = j
        else:
            ops[n] = m[i]
            n += 1
            i += 1
    n_ops[0] = n
    return 0


cdef void run_pass(const char* src, int src_dtype, bint planar, char* dst, int dst_dtype, bint chw,
                   Py_ssize_t npix, Py_ssize_t cn, const Micro* ops, int n_ops,
                   bint want_mean, bint mean_int, int64_t* itotal,
                   double* total) noexcept nogil:
    cdef float P[4 * BLOCK]
    cdef float tmp[BLOCK]
    cdef uint8_t bytes3[3 * BLOCK]
    cdef Py_ssize_t i0, n, size = itemsize(src_dtype), dsize = itemsize(dst_dtype)
    cdef Py_ssize_t doff, start
    cdef int k, first = 0
    cdef bint lut_load = n_ops > 0 and ops[0].kind == ST_LUT and src_dtype == DT_UINT8
    if lut_load:
        first = 1
    i0 = 0
    while i0 < npix:
        n = npix - i0 if npix - i0 < BLOCK else BLOCK
        i0 += n
        start = i0 - n
        if planar and lut_load:
            load_planes_lut(<const uint8_t*>src + start, n, cn, npix, P, ops[0].lut)
        elif planar:
            if src_dtype == DT_UINT8:
                load_planes(<const uint8_t*>src + start, n, cn, npix, P)
            elif src_dtype == DT_UINT16:
                load_planes(<const uint16_t*>src + start, n, cn, npix, P)
            elif src_dtype == DT_INT16:
                load_planes(<const int16_t*>src + start, n, cn, npix, P)
            else:
                load_planes(<const float*>src + start, n, cn, npix, P)
        elif lut_load:
            load_block_lut(<const uint8_t*>src + start * cn, n, cn, P, ops[0].lut)
        elif src_dtype == DT_UINT8 and cn == 3:
            # bytes first, then widen: faster than GCC's one-step shuffles
            split_rgb_u8(<const uint8_t*>src + start * cn, bytes3, n)
            widen_u8(bytes3, P, n)
            widen_u8(bytes3 + BLOCK, P + BLOCK, n)
            widen_u8(bytes3 + 2 * BLOCK, P + 2 * BLOCK, n)
        elif src_dtype == DT_UINT8:
            load_block(<const uint8_t*>src + start * cn, n, cn, P)
        elif src_dtype == DT_UINT16:
            load_block(<const uint16_t*>src + start * cn, n, cn, P)
        elif src_dtype == DT_INT16:
            load_block(<const int16_t*>src + start * cn, n, cn, P)
        else:
            load_block(<const float*>src + start * cn, n, cn, P)
        for k in range(first, n_ops):
            apply_micro(&ops[k], P, n, cn, tmp)
        if want_mean:
            accumulate_mean(P, n, cn, mean_int, itotal, total)
        if dst == NULL:
            continue
        doff = start if chw else start * cn
        if dst_dtype == DT_UINT8:
            store_block(P, <uint8_t*>dst + doff, n, cn, chw, npix)
        elif dst_dtype == DT_UINT16:
            store_block(P, <uint16_t*>dst + doff, n, cn, chw, npix)
        elif dst_dtype == DT_INT16:
            store_block(P, <int16_t*>dst + doff, n, cn, chw, npix)
        else:
            store_block(P, <float*>dst + doff, n, cn, chw, npix)


cdef int k_pixel_chain(Frame* f, const Instr* ins) noexcept nogil:
    """A chain of per-pixel stages in one pass.  Inputs: the image, then the
    stages' parameters; iparams: see ``build_plan``."""
    cdef ImageView im
    cdef Micro* micros
    cdef Micro* ops
    cdef float* luts
    cdef float tmp[BLOCK]
    cdef int nm, n_ops, out_dtype, pos, end, cur_dtype, k
    cdef bint chw, last, first, big
    cdef int n16
    cdef bint planar = False
    cdef Value* out
    cdef Py_ssize_t shape[3]
    cdef Py_ssize_t npix, cn, nbytes
    cdef const char* cur
    cdef char* dst
    cdef char* bufs[2]
    cdef int which = 0
    cdef int64_t itotal
    cdef double total, mean
    if as_image(f, arg(f, ins, 0), &im) < 0:
        return -1
    micros = <Micro*>scratch(f, 0, 2 * MAX_MICRO * sizeof(Micro))
    if micros == NULL:
        return -1
    ops = micros + MAX_MICRO
    if build_plan(f, ins, &im, micros, &nm, &out_dtype, &chw) < 0:
        return -1
    cn = im.channels
    npix = im.height * im.width
    if chw:
        shape[0] = cn
        shape[1] = im.height
        shape[2] = im.width
        out = new_tensor(f, ins, out_dtype, 3, shape)
    else:
        out = new_tensor(f, ins, out_dtype, im.ndim, arg(f, ins, 0).shape)
    if out == NULL:
        return -1
    big = npix * cn > 131072        # where the single gamma kernel uses a table
    n16 = 0
    for k in range(nm):
        n16 += big and micros[k].kind == ST_GAMMA and micros[k].dtype == DT_UINT16
    luts = <float*>scratch(f, 1, ((nm + 1) * 4 * BLOCK + n16 * 65536) * sizeof(float))
    if luts == NULL:
        return -1
    bufs[0] = bufs[1] = NULL
    for k in range(1, nm):
        if micros[k].kind == ST_CONTRAST:    # an intermediate image is kept
            nbytes = npix * cn * 4 + 64
            bufs[0] = scratch(f, 2, nbytes)
            if bufs[0] == NULL:
                return -1
            bufs[1] = scratch(f, 3, nbytes)
            if bufs[1] == NULL:
                return -1
            break
    cur = im.data
    cur_dtype = im.dtype
    pos = 0
    first = True
    while True:
        # a pass runs up to the next contrast, whose mean it accumulates; the
        # first one stops at a contrast in front (an empty pass: the mean only)
        end = pos if first else pos + 1
        first = False
        while end < nm and micros[end].kind != ST_CONTRAST:
            end += 1
        last = end == nm
        make_tables(ops, &n_ops, micros + pos, end - pos, luts, cn, tmp,
                    luts + (nm + 1) * 4 * BLOCK, big)
        itotal = 0
        total = 0.0
        if last:
            dst = out.data
        elif end == pos:
            dst = NULL
        else:
            dst = bufs[which]
        run_pass(cur, cur_dtype, planar, dst,
                 micros[end - 1].out_dtype if end > pos else cur_dtype,
                 (chw or not last) if dst != NULL else False, npix, cn, ops, n_ops, not last,
                 micros[end].dtype != DT_FLOAT32 if not last else False, &itotal, &total)
        if last:
            break
        # micros[end] is a contrast: its offset follows from the mean
        if npix == 0:
            mean = 0.0
        elif micros[end].dtype != DT_FLOAT32:
            mean = <double>itotal / npix
        else:
            mean = total / npix
        micros[end].b = contrast_offset(micros[end].factor, mean)
        if dst != NULL:
            cur = dst
            cur_dtype = micros[end - 1].out_dtype
            planar = True
            which = 1 - which
        pos = end
    return 0


KERNELS = {"pixel_chain": <uintptr_t>k_pixel_chain}
