"""Kernels of the views and geometry primitives (node classes in
``pixelpipes/image/views.py``).

A view is a 3 x 3 float64 matrix acting on homogeneous pixel coordinates
``(x, y, 1)`` (x = column, y = row, pixel centres at integers).  A point set
is an N x 2 tensor, a rectangle ``(x0, y0, x1, y1)`` covers the pixel area
``[x0 - 0.5, x1 - 0.5] x [y0 - 0.5, y1 - 0.5]`` (for integer values the
pixels ``image[y0:y1, x0:x1]``); see the module docstring of ``views.py``.

The matrix kernels are tiny and pure, so views of constants fold at compile
time.  The mask kernels reproduce OpenCV's integer rasterisers exactly
(``cv2.fillPoly`` and ``cv2.circle`` with ``thickness=-1``, 8-connected).
"""

from libc.stdint cimport int16_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t, uintptr_t
from libc.stdlib cimport qsort
from libc.string cimport memset
from libc.math cimport sin, cos, floor, fabs, rint

from pixelpipes._core._kernel cimport (
    Frame, Instr, Value, ERROR_SIZE, KIND_TENSOR, KIND_LIST, DT_BOOL, DT_UINT8,
    DT_INT16, DT_UINT16, DT_INT32, DT_FLOAT32, DT_FLOAT64, arg, iparam, new_tensor,
    scratch, itemsize, load_double, fail, snprintf,
)

# Largest |coordinate| of a polygon vertex: the fixed-point edge arithmetic
# (16 fractional bits in int64) stays exact below it.
cdef double MAX_VERTEX = 1073741824.0          # 2**30
# Largest mask: 2**31 pixels; largest disc radius.
cdef Py_ssize_t MAX_PIXELS = 2147483648
cdef int64_t MAX_RADIUS = 1048576              # 2**20
# The smallest double that rounds to +inf as a float32 (FLT_MAX + half an ulp).
cdef double FLT_ROUNDS_TO_INF = 3.4028235677973366e38
# A view whose condition number exceeds this is treated as singular.
cdef double MAX_CONDITION = 1e15

cdef extern from *:
    # Output and input never alias (different slots): lets the compiler
    # vectorise the point loop.
    ctypedef float* float_out "float* __restrict__"
    ctypedef const float* float_in "const float* __restrict__"

cdef enum:
    XY_SHIFT = 16
    XY_ONE = 65536

# View kinds of ``view_make`` (iparam 0); numbering shared with views.py.
cdef enum ViewKind:
    VIEW_IDENTITY = 0   # no inputs
    VIEW_TRANSLATE = 1  # x, y
    VIEW_ROTATE = 2     # angle
    VIEW_SCALE = 3      # sx, sy
    VIEW_SHEAR = 4      # kx, ky
    VIEW_AFFINE = 5     # tx, ty, angle, sx, sy, kx, ky


# ---------------------------------------------------------------- helpers

cdef inline bint finite(double x) noexcept nogil:
    # inf - inf and NaN - NaN are NaN; no libm macro needed.
    return x - x == 0.0


cdef inline int check_arity(Frame* f, const Instr* ins, int n_args,
                            int n_iparams) noexcept nogil:
    """Programs can be edited: check the instruction has what the kernel reads."""
    if ins.n_args != n_args or ins.n_iparams < n_iparams:
        return fail(f, "malformed instruction parameters")
    return 0


cdef inline double element(const Value* v, Py_ssize_t i) noexcept nogil:
    return load_double(v.data + i * itemsize(v.dtype), v.dtype)


cdef int read_scalar(Frame* f, Value* v, const char* what, double* out) noexcept nogil:
    """A finite numeric scalar input."""
    if v.kind != KIND_TENSOR or v.length != 1 or v.ndim > 1:
        snprintf(f.error, ERROR_SIZE, "%s must be a scalar", what)
        return -1
    out[0] = load_double(v.data, v.dtype)
    if not finite(out[0]):
        snprintf(f.error, ERROR_SIZE, "%s must be finite, got %g", what, out[0])
        return -1
    return 0


cdef int read_size(Frame* f, Value* v, const char* what, Py_ssize_t* out) noexcept nogil:
    """A positive size; a float is rounded to the nearest integer (half to
    even), like the other image nodes do."""
    cdef double x
    if read_scalar(f, v, what, &x) < 0:
        return -1
    x = rint(x)
    if x <= 0:
        snprintf(f.error, ERROR_SIZE, "%s must be > 0, got %g", what, x)
        return -1
    if x > 2147483647.0:
        snprintf(f.error, ERROR_SIZE, "%s is too large: %g", what, x)
        return -1
    out[0] = <Py_ssize_t>x
    return 0


cdef int read_view(Frame* f, Value* v, const char* what, double* m) noexcept nogil:
    """The 9 entries of a 3 x 3 view input, row-major, as doubles."""
    cdef int k
    if (v.kind != KIND_TENSOR or v.ndim != 2 or v.shape[0] != 3 or v.shape[1] != 3
            or v.dtype == DT_BOOL):
        snprintf(f.error, ERROR_SIZE, "%s must be a 3 x 3 numeric tensor", what)
        return -1
    for k in range(9):
        m[k] = element(v, k)
        if not finite(m[k]):
            snprintf(f.error, ERROR_SIZE, "%s has a non-finite entry (%g)", what, m[k])
            return -1
    return 0


cdef int read_points(Frame* f, Value* v, const char* what, Py_ssize_t* n) noexcept nogil:
    """An N x 2 numeric tensor (or a single point of shape (2,))."""
    if v.kind != KIND_TENSOR or v.dtype == DT_BOOL:
        snprintf(f.error, ERROR_SIZE, "%s must be an N x 2 tensor of points", what)
        return -1
    if v.ndim == 2 and v.shape[1] == 2:
        n[0] = v.shape[0]
        return 0
    if v.ndim == 1 and v.shape[0] == 2:
        n[0] = 1
        return 0
    snprintf(f.error, ERROR_SIZE, "%s must be an N x 2 tensor of points", what)
    return -1


cdef int read_rectangles(Frame* f, Value* v, const char* what, Py_ssize_t* n) noexcept nogil:
    """A rectangle (4,) or N x 4 rectangles."""
    if v.kind != KIND_TENSOR or v.dtype == DT_BOOL:
        snprintf(f.error, ERROR_SIZE, "%s must be a rectangle (4,) or N x 4 rectangles", what)
        return -1
    if v.ndim == 2 and v.shape[1] == 4:
        n[0] = v.shape[0]
        return 0
    if v.ndim == 1 and v.shape[0] == 4:
        n[0] = 1
        return 0
    snprintf(f.error, ERROR_SIZE, "%s must be a rectangle (4,) or N x 4 rectangles", what)
    return -1


cdef int check_points_finite(Frame* f, const Value* v, Py_ssize_t n,
                             const char* what) noexcept nogil:
    cdef Py_ssize_t i
    cdef double x
    for i in range(2 * n):
        x = element(v, i)
        if not finite(x):
            snprintf(f.error, ERROR_SIZE, "%s: point %zd has a non-finite coordinate (%g)",
                     what, i // 2, x)
            return -1
    return 0


cdef Value* new_view(Frame* f, const Instr* ins) noexcept nogil:
    cdef Py_ssize_t shape[2]
    shape[0] = 3
    shape[1] = 3
    return new_tensor(f, ins, DT_FLOAT64, 2, shape)


cdef int store_view(Frame* f, const Instr* ins, const double* m) noexcept nogil:
    cdef Value* v = new_view(f, ins)
    cdef double* out
    cdef int k
    if v == NULL:
        return -1
    out = <double*>v.data
    for k in range(9):
        if not finite(m[k]):
            return fail(f, "the view has a non-finite entry (overflow)")
        out[k] = m[k]
    return 0


cdef inline void matmul3(const double* a, const double* b, double* out) noexcept nogil:
    cdef int i, j
    for i in range(3):
        for j in range(3):
            out[3 * i + j] = (a[3 * i] * b[j] + a[3 * i + 1] * b[3 + j]
                              + a[3 * i + 2] * b[6 + j])


cdef inline void set_affine(double* m, double a, double b, double c,
                            double d, double e, double g) noexcept nogil:
    """m = [[a, b, c], [d, e, g], [0, 0, 1]]"""
    m[0] = a
    m[1] = b
    m[2] = c
    m[3] = d
    m[4] = e
    m[5] = g
    m[6] = 0.0
    m[7] = 0.0
    m[8] = 1.0


cdef void focus_matrix(double* m, double x0, double y0, double x1, double y1,
                       double height, double width) noexcept nogil:
    """The view mapping the pixel area of rectangle (x0, y0, x1, y1) onto the
    area of a height x width output: [x0 - 0.5, x1 - 0.5] -> [-0.5, width - 0.5]."""
    cdef double sx = width / (x1 - x0)
    cdef double sy = height / (y1 - y0)
    set_affine(m, sx, 0.0, (0.5 - x0) * sx - 0.5, 0.0, sy, (0.5 - y0) * sy - 0.5)


# ---------------------------------------------------------------- views

cdef const char* param_name(int kind, int k) noexcept nogil:
    if kind == VIEW_TRANSLATE:
        return "translation x" if k == 0 else "translation y"
    if kind == VIEW_ROTATE:
        return "rotation angle"
    if kind == VIEW_SCALE:
        return "scale x" if k == 0 else "scale y"
    if kind == VIEW_SHEAR:
        return "shear kx" if k == 0 else "shear ky"
    if k == 0:
        return "translation x"
    if k == 1:
        return "translation y"
    if k == 2:
        return "rotation angle"
    if k == 3:
        return "scale x"
    if k == 4:
        return "scale y"
    if k == 5:
        return "shear kx"
    return "shear ky"


cdef int k_view_make(Frame* f, const Instr* ins) noexcept nogil:
    """Identity, translate, rotate, scale, shear or affine (iparam 0) from
    scalar inputs."""
    cdef double p[7]
    cdef double m[9]
    cdef int kind, k, n
    cdef double c, s, a, b, d, e
    if ins.n_iparams < 1:
        return fail(f, "malformed instruction parameters")
    kind = <int>iparam(f, ins, 0)
    if kind == VIEW_IDENTITY:
        n = 0
    elif kind == VIEW_ROTATE:
        n = 1
    elif kind == VIEW_AFFINE:
        n = 7
    elif VIEW_TRANSLATE <= kind <= VIEW_SHEAR:
        n = 2
    else:
        return fail(f, "malformed instruction parameters")
    if ins.n_args != n:
        return fail(f, "malformed instruction parameters")
    for k in range(n):
        if read_scalar(f, arg(f, ins, k), param_name(kind, k), &p[k]) < 0:
            return -1
    if kind == VIEW_IDENTITY:
        set_affine(m, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0)
    elif kind == VIEW_TRANSLATE:
        set_affine(m, 1.0, 0.0, p[0], 0.0, 1.0, p[1])
    elif kind == VIEW_ROTATE:
        # cv2.getRotationMatrix2D's linear part: counter-clockwise on screen.
        c = cos(p[0])
        s = sin(p[0])
        set_affine(m, c, s, 0.0, -s, c, 0.0)
    elif kind == VIEW_SCALE:
        set_affine(m, p[0], 0.0, 0.0, 0.0, p[1], 0.0)
    elif kind == VIEW_SHEAR:
        set_affine(m, 1.0, p[0], 0.0, p[1], 1.0, 0.0)
    else:
        # T @ R @ Sh @ S: scale, then shear, then rotate, then translate.
        c = cos(p[2])
        s = sin(p[2])
        a = p[3]            # Sh @ S = [[sx, kx sy], [ky sx, sy]]
        b = p[5] * p[4]
        d = p[6] * p[3]
        e = p[4]
        set_affine(m, c * a + s * d, c * b + s * e, p[0],
                   -s * a + c * d, -s * b + c * e, p[1])
    return store_view(f, ins, m)


cdef int k_view_chain(Frame* f, const Instr* ins) noexcept nogil:
    """views[0] @ views[1] @ ... (the last view is applied first)."""
    cdef double acc[9]
    cdef double m[9]
    cdef double tmp[9]
    cdef int k, j
    cdef char what[48]
    cdef double* dst
    if ins.n_args < 1:
        return fail(f, "malformed instruction parameters")
    for k in range(ins.n_args):
        snprintf(what, sizeof(what), "view %d", k)
        if k > 0:
            dst = m
        else:
            dst = acc
        if read_view(f, arg(f, ins, k), what, dst) < 0:
            return -1
        if k > 0:
            matmul3(acc, m, tmp)
            for j in range(9):
                acc[j] = tmp[j]
    return store_view(f, ins, acc)


cdef int k_view_invert(Frame* f, const Instr* ins) noexcept nogil:
    cdef double a[9]
    cdef double inv[9]
    cdef double det, na, ni, row
    cdef int i
    if check_arity(f, ins, 1, 0) < 0:
        return -1
    if read_view(f, arg(f, ins, 0), "the view", a) < 0:
        return -1
    inv[0] = a[4] * a[8] - a[5] * a[7]
    inv[1] = a[2] * a[7] - a[1] * a[8]
    inv[2] = a[1] * a[5] - a[2] * a[4]
    inv[3] = a[5] * a[6] - a[3] * a[8]
    inv[4] = a[0] * a[8] - a[2] * a[6]
    inv[5] = a[2] * a[3] - a[0] * a[5]
    inv[6] = a[3] * a[7] - a[4] * a[6]
    inv[7] = a[1] * a[6] - a[0] * a[7]
    inv[8] = a[0] * a[4] - a[1] * a[3]
    det = a[0] * inv[0] + a[1] * inv[3] + a[2] * inv[6]
    if det == 0.0 or not finite(det):
        return fail(f, "the view is singular (determinant 0) and has no inverse")
    for i in range(9):
        inv[i] /= det
    # Condition number in the max-row-sum norm.
    na = 0.0
    ni = 0.0
    for i in range(3):
        row = fabs(a[3 * i]) + fabs(a[3 * i + 1]) + fabs(a[3 * i + 2])
        na = row if row > na else na
        row = fabs(inv[3 * i]) + fabs(inv[3 * i + 1]) + fabs(inv[3 * i + 2])
        ni = row if row > ni else ni
    if not finite(ni) or na * ni > MAX_CONDITION:
        snprintf(f.error, ERROR_SIZE, "the view is singular (condition number %.3g) "
                 "and has no inverse", na * ni)
        return -1
    return store_view(f, ins, inv)


cdef int k_view_center(Frame* f, const Instr* ins) noexcept nogil:
    """Translation of the centre of an image (iparam 0 == 0) or of a
    rectangle (iparam 0 == 1) to the origin."""
    cdef Value* v
    cdef double m[9]
    cdef double cx, cy
    cdef int k
    if check_arity(f, ins, 1, 1) < 0:
        return -1
    v = arg(f, ins, 0)
    if iparam(f, ins, 0) == 0:
        if v.kind != KIND_TENSOR or (v.ndim != 2 and v.ndim != 3):
            return fail(f, "expected an image (an H x W or H x W x C tensor)")
        cx = (v.shape[1] - 1) * 0.5
        cy = (v.shape[0] - 1) * 0.5
    else:
        if v.kind != KIND_TENSOR or v.ndim != 1 or v.shape[0] != 4 or v.dtype == DT_BOOL:
            return fail(f, "expected a rectangle (x0, y0, x1, y1)")
        for k in range(4):
            if not finite(element(v, k)):
                return fail(f, "the rectangle has a non-finite coordinate")
        cx = (element(v, 0) + element(v, 2)) * 0.5 - 0.5
        cy = (element(v, 1) + element(v, 3)) * 0.5 - 0.5
    set_affine(m, 1.0, 0.0, -cx, 0.0, 1.0, -cy)
    return store_view(f, ins, m)


cdef int check_rectangle(Frame* f, double x0, double y0, double x1, double y1,
                         bint strict) noexcept nogil:
    if not (finite(x0) and finite(y0) and finite(x1) and finite(y1)):
        snprintf(f.error, ERROR_SIZE, "rectangle (%g, %g, %g, %g) has a non-finite "
                 "coordinate", x0, y0, x1, y1)
        return -1
    if strict and (x1 <= x0 or y1 <= y0):
        snprintf(f.error, ERROR_SIZE, "rectangle (%g, %g, %g, %g) must have x1 > x0 and "
                 "y1 > y0", x0, y0, x1, y1)
        return -1
    if x1 < x0 or y1 < y0:
        snprintf(f.error, ERROR_SIZE, "rectangle (%g, %g, %g, %g) must have x1 >= x0 and "
                 "y1 >= y0", x0, y0, x1, y1)
        return -1
    return 0


cdef int k_view_focus(Frame* f, const Instr* ins) noexcept nogil:
    """Inputs: rectangle, height, width."""
    cdef Value* r
    cdef double m[9]
    cdef double x0, y0, x1, y1
    cdef Py_ssize_t h, w
    if check_arity(f, ins, 3, 0) < 0:
        return -1
    r = arg(f, ins, 0)
    if r.kind != KIND_TENSOR or r.ndim != 1 or r.shape[0] != 4 or r.dtype == DT_BOOL:
        return fail(f, "the rectangle must be a tensor (x0, y0, x1, y1)")
    x0 = element(r, 0)
    y0 = element(r, 1)
    x1 = element(r, 2)
    y1 = element(r, 3)
    if check_rectangle(f, x0, y0, x1, y1, True) < 0:
        return -1
    if read_size(f, arg(f, ins, 1), "output height", &h) < 0:
        return -1
    if read_size(f, arg(f, ins, 2), "output width", &w) < 0:
        return -1
    focus_matrix(m, x0, y0, x1, y1, <double>h, <double>w)
    return store_view(f, ins, m)


cdef int k_view_patch(Frame* f, const Instr* ins) noexcept nogil:
    """Random patch view.  Inputs: image, u (3 uniform draws in [0, 1)),
    height, width, scale_lo, scale_hi, padding."""
    cdef Value* img
    cdef Value* u
    cdef double m[9]
    cdef double h, w, lo, hi, pad, s, pw, ph, a, b, x0, y0
    cdef Py_ssize_t ih, iw
    if check_arity(f, ins, 7, 0) < 0:
        return -1
    img = arg(f, ins, 0)
    u = arg(f, ins, 1)
    if img.kind != KIND_TENSOR or (img.ndim != 2 and img.ndim != 3):
        return fail(f, "expected an image (an H x W or H x W x C tensor)")
    if u.kind != KIND_TENSOR or u.length != 3 or u.dtype != DT_FLOAT64:
        return fail(f, "malformed random input")
    if read_size(f, arg(f, ins, 2), "output height", &ih) < 0:
        return -1
    if read_size(f, arg(f, ins, 3), "output width", &iw) < 0:
        return -1
    h = <double>ih
    w = <double>iw
    if read_scalar(f, arg(f, ins, 4), "lower scale", &lo) < 0:
        return -1
    if read_scalar(f, arg(f, ins, 5), "upper scale", &hi) < 0:
        return -1
    if not (0 < lo <= hi):
        snprintf(f.error, ERROR_SIZE, "scale range must satisfy 0 < low <= high, "
                 "got (%g, %g)", lo, hi)
        return -1
    if read_scalar(f, arg(f, ins, 6), "padding", &pad) < 0:
        return -1
    s = lo + (<double*>u.data)[0] * (hi - lo)
    pw = s * w
    ph = s * h
    a = -pad
    b = img.shape[1] - pw + pad
    x0 = (a if a < b else b) + (<double*>u.data)[1] * fabs(b - a)
    a = -pad
    b = img.shape[0] - ph + pad
    y0 = (a if a < b else b) + (<double*>u.data)[2] * fabs(b - a)
    focus_matrix(m, x0, y0, x0 + pw, y0 + ph, h, w)
    return store_view(f, ins, m)


# ---------------------------------------------------------------- points, rectangles

cdef int k_geom_pack(Frame* f, const Instr* ins) noexcept nogil:
    """Concatenate the elements of the inputs (scalars, tensors whose last
    axis has ``cols`` elements, or lists of those) into float32.

    iparams: [cols, ndim (1: a single row of shape (cols,); 2: N x cols),
    rectangles (1: check x0 <= x1 and y0 <= y1)]."""
    cdef int64_t cols, ndim, rect
    cdef Py_ssize_t total = 0, pos = 0, i, j, k, n_items
    cdef Value* v
    cdef Value* item
    cdef Value* out
    cdef float* dst
    cdef double x
    cdef Py_ssize_t shape[2]
    if ins.n_iparams < 3:
        return fail(f, "malformed instruction parameters")
    cols = iparam(f, ins, 0)
    ndim = iparam(f, ins, 1)
    rect = iparam(f, ins, 2)
    if cols < 1 or (ndim != 1 and ndim != 2):
        return fail(f, "malformed instruction parameters")
    # First pass: validate and count.
    for k in range(ins.n_args):
        v = arg(f, ins, k)
        n_items = v.length if v.kind == KIND_LIST else 1
        for j in range(n_items):
            item = &v.items[j] if v.kind == KIND_LIST else v
            if item.kind != KIND_TENSOR or item.dtype == DT_BOOL:
                return fail(f, "coordinates must be numeric scalars or tensors")
            if item.ndim > 0:
                if item.shape[item.ndim - 1] != cols or total % cols != 0:
                    snprintf(f.error, ERROR_SIZE, "expected scalars or tensors whose last "
                             "axis has %lld coordinates", <long long>cols)
                    return -1
            total += item.length
    if total % cols != 0:
        snprintf(f.error, ERROR_SIZE, "%zd coordinates do not make rows of %lld",
                 total, <long long>cols)
        return -1
    if ndim == 1:
        if total != cols:
            snprintf(f.error, ERROR_SIZE, "expected %lld coordinates, got %zd",
                     <long long>cols, total)
            return -1
        shape[0] = cols
    else:
        shape[0] = total // cols
        shape[1] = cols
    out = new_tensor(f, ins, DT_FLOAT32, <int>ndim, shape)
    if out == NULL:
        return -1
    dst = <float*>out.data
    for k in range(ins.n_args):
        v = arg(f, ins, k)
        n_items = v.length if v.kind == KIND_LIST else 1
        for j in range(n_items):
            item = &v.items[j] if v.kind == KIND_LIST else v
            for i in range(item.length):
                x = element(item, i)
                if not (fabs(x) < FLT_ROUNDS_TO_INF):
                    snprintf(f.error, ERROR_SIZE, "coordinate %zd of row %zd is not a finite "
                             "float32 (%g)", pos % cols, pos // cols, x)
                    return -1
                dst[pos] = <float>x
                pos += 1
    if rect:
        for i in range(total // cols):
            if check_rectangle(f, dst[4 * i], dst[4 * i + 1], dst[4 * i + 2],
                               dst[4 * i + 3], False) < 0:
                return -1
    return 0


ctypedef fused coord_t:
    uint8_t
    int16_t
    uint16_t
    int32_t
    int64_t
    float
    double


cdef void coord_stats(const coord_t* p, Py_ssize_t n, double* st) noexcept nogil:
    """st = [min x, min y, max x, max y, sum x, sum y] of n > 0 points.  A
    non-finite coordinate makes a sum non-finite."""
    cdef double x0 = p[0], y0 = p[1], x1 = p[0], y1 = p[1], sx = 0.0, sy = 0.0, x, y
    cdef Py_ssize_t i
    for i in range(n):
        x = p[2 * i]
        y = p[2 * i + 1]
        x0 = x if x < x0 else x0
        x1 = x if x > x1 else x1
        y0 = y if y < y0 else y0
        y1 = y if y > y1 else y1
        sx += x
        sy += y
    st[0] = x0
    st[1] = y0
    st[2] = x1
    st[3] = y1
    st[4] = sx
    st[5] = sy


cdef int point_stats(Frame* f, const Instr* ins, double* st, Py_ssize_t* count,
                     const char* empty) noexcept nogil:
    """Statistics of the point-set input 0 (see coord_stats); fails on an
    empty or non-finite point set."""
    cdef Value* p = arg(f, ins, 0)
    cdef Py_ssize_t n
    cdef int dt
    if read_points(f, p, "the points", &n) < 0:
        return -1
    if n == 0:
        return fail(f, empty)
    dt = p.dtype
    if dt == DT_FLOAT32:
        coord_stats(<const float*>p.data, n, st)
    elif dt == DT_FLOAT64:
        coord_stats(<const double*>p.data, n, st)
    elif dt == DT_UINT8:
        coord_stats(<const uint8_t*>p.data, n, st)
    elif dt == DT_INT16:
        coord_stats(<const int16_t*>p.data, n, st)
    elif dt == DT_UINT16:
        coord_stats(<const uint16_t*>p.data, n, st)
    elif dt == DT_INT32:
        coord_stats(<const int32_t*>p.data, n, st)
    else:
        coord_stats(<const int64_t*>p.data, n, st)
    if not (finite(st[4]) and finite(st[5])):
        if check_points_finite(f, p, n, "the points") < 0:
            return -1
    count[0] = n
    return 0


cdef int k_points_bounds(Frame* f, const Instr* ins) noexcept nogil:
    """Rectangle whose pixel area is the bounding box of the points."""
    cdef Value* out
    cdef double st[6]
    cdef Py_ssize_t n
    cdef Py_ssize_t shape[1]
    cdef float* dst
    if check_arity(f, ins, 1, 0) < 0:
        return -1
    if point_stats(f, ins, st, &n, "the bounds of an empty point set are undefined") < 0:
        return -1
    shape[0] = 4
    out = new_tensor(f, ins, DT_FLOAT32, 1, shape)
    if out == NULL:
        return -1
    dst = <float*>out.data
    dst[0] = <float>(st[0] + 0.5)
    dst[1] = <float>(st[1] + 0.5)
    dst[2] = <float>(st[2] + 0.5)
    dst[3] = <float>(st[3] + 0.5)
    return 0


cdef int k_points_center(Frame* f, const Instr* ins) noexcept nogil:
    """Mean of the points."""
    cdef Value* out
    cdef double st[6]
    cdef Py_ssize_t n
    cdef Py_ssize_t shape[1]
    if check_arity(f, ins, 1, 0) < 0:
        return -1
    if point_stats(f, ins, st, &n, "the centre of an empty point set is undefined") < 0:
        return -1
    shape[0] = 2
    out = new_tensor(f, ins, DT_FLOAT32, 1, shape)
    if out == NULL:
        return -1
    (<float*>out.data)[0] = <float>(st[4] / n)
    (<float*>out.data)[1] = <float>(st[5] / n)
    return 0


cdef int k_rect_corners(Frame* f, const Instr* ins) noexcept nogil:
    """Corner points of rectangles: (4,) -> 4 x 2, N x 4 -> N x 4 x 2;
    clockwise on screen from the top-left."""
    cdef Value* r
    cdef Value* out
    cdef Py_ssize_t n, i
    cdef double x0, y0, x1, y1
    cdef Py_ssize_t shape[3]
    cdef float* d
    if check_arity(f, ins, 1, 0) < 0:
        return -1
    r = arg(f, ins, 0)
    if read_rectangles(f, r, "the rectangle", &n) < 0:
        return -1
    if r.ndim == 1:
        shape[0] = 4
        shape[1] = 2
        out = new_tensor(f, ins, DT_FLOAT32, 2, shape)
    else:
        shape[0] = n
        shape[1] = 4
        shape[2] = 2
        out = new_tensor(f, ins, DT_FLOAT32, 3, shape)
    if out == NULL:
        return -1
    for i in range(n):
        x0 = element(r, 4 * i) - 0.5
        y0 = element(r, 4 * i + 1) - 0.5
        x1 = element(r, 4 * i + 2) - 0.5
        y1 = element(r, 4 * i + 3) - 0.5
        if not (finite(x0) and finite(y0) and finite(x1) and finite(y1)):
            snprintf(f.error, ERROR_SIZE, "rectangle %zd has a non-finite coordinate", i)
            return -1
        d = <float*>out.data + 8 * i
        d[0] = <float>x0
        d[1] = <float>y0
        d[2] = <float>x1
        d[3] = <float>y0
        d[4] = <float>x1
        d[5] = <float>y1
        d[6] = <float>x0
        d[7] = <float>y1
    return 0


cdef inline int project(Frame* f, const double* m, double x, double y,
                        double* ox, double* oy, double* ow) noexcept nogil:
    cdef double w = m[6] * x + m[7] * y + m[8]
    if w == 0.0:
        snprintf(f.error, ERROR_SIZE, "point (%g, %g) maps to infinity (w = 0)", x, y)
        return -1
    ox[0] = (m[0] * x + m[1] * y + m[2]) * (1.0 / w)
    oy[0] = (m[3] * x + m[4] * y + m[5]) * (1.0 / w)
    ow[0] = w
    if not (fabs(ox[0]) < FLT_ROUNDS_TO_INF and fabs(oy[0]) < FLT_ROUNDS_TO_INF):
        snprintf(f.error, ERROR_SIZE, "point (%g, %g) maps outside the float32 range", x, y)
        return -1
    return 0


cdef int transform_f32(float_in src, float_out dst, const double* m,
                       Py_ssize_t n) noexcept nogil:
    """The point loop on float32 points (restrict parameters and the matrix
    in locals, so that the compiler vectorises it).  Returns non-zero when
    a result is not a finite float32 (from a non-finite input, w == 0 or an
    overflow); the caller then finds which."""
    cdef double m0 = m[0], m1 = m[1], m2 = m[2], m3 = m[3], m4 = m[4], m5 = m[5]
    cdef double m6 = m[6], m7 = m[7], m8 = m[8]
    cdef double x, y, iw
    cdef Py_ssize_t i
    cdef const uint32_t* bits = <const uint32_t*>dst
    cdef uint32_t bad = 0
    if m6 == 0.0 and m7 == 0.0 and m8 == 1.0:
        # Affine: no division.
        for i in range(n):
            x = src[2 * i]
            y = src[2 * i + 1]
            dst[2 * i] = <float>(m0 * x + m1 * y + m2)
            dst[2 * i + 1] = <float>(m3 * x + m4 * y + m5)
    else:
        for i in range(n):
            x = src[2 * i]
            y = src[2 * i + 1]
            iw = 1.0 / (m6 * x + m7 * y + m8)
            dst[2 * i] = <float>((m0 * x + m1 * y + m2) * iw)
            dst[2 * i + 1] = <float>((m3 * x + m4 * y + m5) * iw)
    # A second, integer pass: a float32 is not finite when its exponent bits
    # are all ones.
    for i in range(2 * n):
        bad |= (bits[i] & 0x7f800000) == 0x7f800000
    return bad != 0


cdef int k_points_transform(Frame* f, const Instr* ins) noexcept nogil:
    """Points (N x 2 or (2,)) mapped by a view, homogeneous (divided by w,
    by multiplying with 1 / w as cv2.perspectiveTransform does)."""
    cdef Value* p
    cdef Value* out
    cdef double m[9]
    cdef Py_ssize_t n, i
    cdef double x, y, ox, oy, w
    cdef float* dst
    cdef int bad = 0
    if check_arity(f, ins, 2, 0) < 0:
        return -1
    p = arg(f, ins, 0)
    if read_points(f, p, "the points", &n) < 0:
        return -1
    if read_view(f, arg(f, ins, 1), "the view", m) < 0:
        return -1
    out = new_tensor(f, ins, DT_FLOAT32, p.ndim, p.shape)
    if out == NULL:
        return -1
    dst = <float*>out.data
    if p.dtype == DT_FLOAT32:
        bad = transform_f32(<const float*>p.data, dst, m, n)
    else:
        for i in range(n):
            x = element(p, 2 * i)
            y = element(p, 2 * i + 1)
            if project(f, m, x, y, &ox, &oy, &w) < 0:
                bad = 1
                break
            dst[2 * i] = <float>ox
            dst[2 * i + 1] = <float>oy
    if not bad:
        return 0
    for i in range(n):
        x = element(p, 2 * i)
        y = element(p, 2 * i + 1)
        if not (finite(x) and finite(y)):
            snprintf(f.error, ERROR_SIZE, "point %zd has a non-finite coordinate", i)
            return -1
        if project(f, m, x, y, &ox, &oy, &w) < 0:
            return -1
    return fail(f, "a point maps outside the float32 range")


cdef int k_rect_transform(Frame* f, const Instr* ins) noexcept nogil:
    """Rectangles ((4,) or N x 4) -> the rectangles whose pixel areas bound
    the transformed pixel areas."""
    cdef Value* r
    cdef Value* out
    cdef double m[9]
    cdef double cx[4]
    cdef double cy[4]
    cdef Py_ssize_t n, i
    cdef int c
    cdef double ox, oy, w, w0, bx0, by0, bx1, by1
    cdef float* d
    if check_arity(f, ins, 2, 0) < 0:
        return -1
    r = arg(f, ins, 0)
    if read_rectangles(f, r, "the rectangle", &n) < 0:
        return -1
    if read_view(f, arg(f, ins, 1), "the view", m) < 0:
        return -1
    out = new_tensor(f, ins, DT_FLOAT32, r.ndim, r.shape)
    if out == NULL:
        return -1
    for i in range(n):
        cx[0] = cx[3] = element(r, 4 * i) - 0.5
        cy[0] = cy[1] = element(r, 4 * i + 1) - 0.5
        cx[1] = cx[2] = element(r, 4 * i + 2) - 0.5
        cy[2] = cy[3] = element(r, 4 * i + 3) - 0.5
        if not (finite(cx[0]) and finite(cy[0]) and finite(cx[1]) and finite(cy[2])):
            snprintf(f.error, ERROR_SIZE, "rectangle %zd has a non-finite coordinate", i)
            return -1
        w0 = 0.0
        for c in range(4):
            if project(f, m, cx[c], cy[c], &ox, &oy, &w) < 0:
                return -1
            if c == 0:
                w0 = w
                bx0 = bx1 = ox
                by0 = by1 = oy
            else:
                if (w > 0) != (w0 > 0):
                    snprintf(f.error, ERROR_SIZE, "rectangle %zd crosses the line the view "
                             "maps to infinity", i)
                    return -1
                bx0 = ox if ox < bx0 else bx0
                bx1 = ox if ox > bx1 else bx1
                by0 = oy if oy < by0 else by0
                by1 = oy if oy > by1 else by1
        d = <float*>out.data + 4 * i
        d[0] = <float>(bx0 + 0.5)
        d[1] = <float>(by0 + 0.5)
        d[2] = <float>(bx1 + 0.5)
        d[3] = <float>(by1 + 0.5)
    return 0


# ---------------------------------------------------------------- masks

cdef int mask_size(Frame* f, const Instr* ins, Py_ssize_t* h, Py_ssize_t* w) noexcept nogil:
    if read_size(f, arg(f, ins, 1), "mask height", h) < 0:
        return -1
    if read_size(f, arg(f, ins, 2), "mask width", w) < 0:
        return -1
    if h[0] * w[0] > MAX_PIXELS:
        snprintf(f.error, ERROR_SIZE, "mask of %zd x %zd pixels is too large (more than "
                 "2**31 pixels)", h[0], w[0])
        return -1
    return 0


cdef Value* new_mask(Frame* f, const Instr* ins, Py_ssize_t h, Py_ssize_t w) noexcept nogil:
    cdef Py_ssize_t shape[2]
    cdef Value* v
    shape[0] = h
    shape[1] = w
    v = new_tensor(f, ins, DT_UINT8, 2, shape)
    if v != NULL:
        memset(v.data, 0, h * w)
    return v


cdef inline int64_t round_half_up(double x) noexcept nogil:
    return <int64_t>floor(x + 0.5)


cdef bint clip_line(int64_t width, int64_t height, int64_t* x1, int64_t* y1,
                    int64_t* x2, int64_t* y2) noexcept nogil:
    """OpenCV's clipLine (Cohen-Sutherland with truncating integer division):
    clips the segment to [0, width-1] x [0, height-1] in place; False when it
    lies outside.  The endpoints may be modified either way."""
    cdef int64_t right = width - 1, bottom = height - 1, a
    cdef int c1, c2
    c1 = (x1[0] < 0) + (x1[0] > right) * 2 + (y1[0] < 0) * 4 + (y1[0] > bottom) * 8
    c2 = (x2[0] < 0) + (x2[0] > right) * 2 + (y2[0] < 0) * 4 + (y2[0] > bottom) * 8
    if (c1 & c2) == 0 and (c1 | c2) != 0:
        if c1 & 12:
            a = 0 if c1 < 8 else bottom
            x1[0] += (a - y1[0]) * (x2[0] - x1[0]) // (y2[0] - y1[0])
            y1[0] = a
            c1 = (x1[0] < 0) + (x1[0] > right) * 2
        if c2 & 12:
            a = 0 if c2 < 8 else bottom
            x2[0] += (a - y2[0]) * (x2[0] - x1[0]) // (y2[0] - y1[0])
            y2[0] = a
            c2 = (x2[0] < 0) + (x2[0] > right) * 2
        if (c1 & c2) == 0 and (c1 | c2) != 0:
            if c1:
                a = 0 if c1 == 1 else right
                y1[0] += (a - x1[0]) * (y2[0] - y1[0]) // (x2[0] - x1[0])
                x1[0] = a
                c1 = 0
            if c2:
                a = 0 if c2 == 1 else right
                y2[0] += (a - x2[0]) * (y2[0] - y1[0]) // (x2[0] - x1[0])
                x2[0] = a
                c2 = 0
    return (c1 | c2) == 0


cdef void draw_line(uint8_t* img, int64_t width, int64_t height, int64_t x1, int64_t y1,
                    int64_t x2, int64_t y2, uint8_t value) noexcept nogil:
    """OpenCV's 8-connected line (LineIterator, left to right, clipped first)."""
    cdef int64_t dx, dy, sy, k, minor, t
    if (x1 < 0 or x1 >= width or x2 < 0 or x2 >= width or y1 < 0 or y1 >= height
            or y2 < 0 or y2 >= height):
        if not clip_line(width, height, &x1, &y1, &x2, &y2):
            return
    if x2 < x1:
        t = x1
        x1 = x2
        x2 = t
        t = y1
        y1 = y2
        y2 = t
    dx = x2 - x1
    dy = y2 - y1
    sy = 1
    if dy < 0:
        dy = -dy
        sy = -1
    # Step k along the major axis moves the minor axis by
    # ceil(k * minor / major - 1/2) (Bresenham, ties toward the start).
    if dy > dx:
        for k in range(dy + 1):
            minor = (2 * dx * k + dy - 1) // (2 * dy)
            img[(y1 + sy * k) * width + x1 + minor] = value
    elif dx == 0:
        img[y1 * width + x1] = value
    else:
        for k in range(dx + 1):
            minor = (2 * dy * k + dx - 1) // (2 * dx)
            img[(y1 + sy * minor) * width + x1 + k] = value


ctypedef struct PolyEdge:
    int64_t y0        # first row of the edge (inclusive)
    int64_t y1        # last row (exclusive)
    int64_t xref      # x (fixed point) at row yref
    int64_t yref
    int64_t dx        # x step per row (fixed point)


cdef int compare_edges(const void* a, const void* b) noexcept nogil:
    cdef int64_t ya = (<const PolyEdge*>a).y0, yb = (<const PolyEdge*>b).y0
    return (ya > yb) - (ya < yb)


cdef inline int64_t edge_x(const PolyEdge* e, int64_t y) noexcept nogil:
    """x (fixed point) of the edge at row y, saturated far outside the image."""
    cdef double approx = <double>(y - e.yref) * <double>e.dx
    if approx > 4.0e18:
        return 4611686018427387904
    if approx < -4.0e18:
        return -4611686018427387904
    return e.xref + (y - e.yref) * e.dx


cdef int k_polygon_mask(Frame* f, const Instr* ins) noexcept nogil:
    """uint8 H x W mask of a polygon, as cv2.fillPoly(lineType=LINE_8) draws
    it after rounding the vertices half up: the even-odd interior plus the
    8-connected outline.  Inputs: points, height, width; iparam: value."""
    cdef Value* p
    cdef Value* out
    cdef Py_ssize_t h, w, n, i, j, k, n_edges = 0, n_active, next_edge, y, ylo, yhi
    cdef Py_ssize_t* act
    cdef int64_t* vx
    cdef int64_t* vy
    cdef int64_t* xs
    cdef PolyEdge* edges
    cdef PolyEdge* e
    cdef int64_t t0x, t0y, t1x, t1y, p0y, p1y, c0x, c0y, c1x, c1y, xa, xb, key
    cdef int64_t ymin, ymax
    cdef double x
    cdef uint8_t value
    cdef uint8_t* img
    if check_arity(f, ins, 3, 1) < 0:
        return -1
    p = arg(f, ins, 0)
    value = <uint8_t>iparam(f, ins, 0)
    if read_points(f, p, "the polygon", &n) < 0:
        return -1
    if mask_size(f, ins, &h, &w) < 0:
        return -1
    vx = <int64_t*>scratch(f, 0, 2 * n * sizeof(int64_t))
    edges = <PolyEdge*>scratch(f, 1, n * sizeof(PolyEdge))
    xs = <int64_t*>scratch(f, 2, n * sizeof(int64_t))
    act = <Py_ssize_t*>scratch(f, 3, n * sizeof(Py_ssize_t))
    if vx == NULL or edges == NULL or xs == NULL or act == NULL:
        return -1
    vy = vx + n
    for i in range(n):
        for j in range(2):
            x = element(p, 2 * i + j)
            if not (fabs(x) <= MAX_VERTEX):
                snprintf(f.error, ERROR_SIZE, "polygon vertex %zd has coordinate %g; "
                         "vertices must be finite and within +-2**30", i, x)
                return -1
        vx[i] = round_half_up(element(p, 2 * i))
        vy[i] = round_half_up(element(p, 2 * i + 1))
    out = new_mask(f, ins, h, w)
    if out == NULL:
        return -1
    img = <uint8_t*>out.data
    if n == 0:
        return 0
    # Outline and edges, the way OpenCV's CollectPolyEdges makes them.
    for i in range(n):
        j = n - 1 if i == 0 else i - 1
        t0x = vx[j]
        t0y = vy[j]
        t1x = vx[i]
        t1y = vy[i]
        p0y = t0y
        p1y = t1y
        draw_line(img, w, h, t0x, t0y, t1x, t1y, value)
        c0y = p0y
        c1y = p1y
        if t0x < 0 or t0x >= w or t1x < 0 or t1x >= w or t0y < 0 or t0y >= h \
                or t1y < 0 or t1y >= h:
            clip_line(w, h, &t0x, &t0y, &t1x, &t1y)
            if t0y != t1y:
                c0y = t0y
                c1y = t1y
        if p0y == p1y:
            continue
        c0x = t0x * XY_ONE
        c1x = t1x * XY_ONE
        e = &edges[n_edges]
        n_edges += 1
        e.dx = (c1x - c0x) // (c1y - c0y)
        if p0y < p1y:
            e.y0 = p0y
            e.y1 = p1y
            e.xref = c0x
            e.yref = c0y
        else:
            e.y0 = p1y
            e.y1 = p0y
            e.xref = c1x
            e.yref = c1y
    if n_edges < 2:
        return 0
    ymin = edges[0].y0
    ymax = edges[0].y1
    for i in range(1, n_edges):
        ymin = edges[i].y0 if edges[i].y0 < ymin else ymin
        ymax = edges[i].y1 if edges[i].y1 > ymax else ymax
    ylo = <Py_ssize_t>(ymin if ymin > 0 else 0)
    yhi = <Py_ssize_t>(ymax if ymax < h else h)
    # Scanlines with an active-edge table: the crossings of the active edges
    # at the row, sorted (insertion sort: the order changes little from row
    # to row), filled in pairs from ceil(x_left) to floor(x_right) -- the
    # even-odd rule.
    qsort(edges, n_edges, sizeof(PolyEdge), compare_edges)
    next_edge = 0
    n_active = 0
    for y in range(ylo, yhi):
        j = 0
        for i in range(n_active):
            if edges[act[i]].y1 > y:
                act[j] = act[i]
                j += 1
        n_active = j
        while next_edge < n_edges and edges[next_edge].y0 <= y:
            if edges[next_edge].y1 > y:
                act[n_active] = next_edge
                n_active += 1
            next_edge += 1
        for i in range(n_active):
            k = act[i]
            key = edge_x(&edges[k], y)
            j = i
            while j > 0 and xs[j - 1] > key:
                xs[j] = xs[j - 1]
                act[j] = act[j - 1]
                j -= 1
            xs[j] = key
            act[j] = k
        i = 0
        while i + 1 < n_active:
            xa = (xs[i] + XY_ONE - 1) >> XY_SHIFT
            xb = xs[i + 1] >> XY_SHIFT
            if xa < w and xb >= 0:
                xa = xa if xa > 0 else 0
                xb = xb if xb < w else w - 1
                if xa <= xb:
                    memset(img + y * w + xa, value, <size_t>(xb - xa + 1))
            i += 2
    return 0


cdef int k_points_mask(Frame* f, const Instr* ins) noexcept nogil:
    """uint8 H x W mask with the pixel of each point (rounded half up) set,
    or a filled disc of the given radius around it, as cv2.circle
    (thickness=-1, LINE_8) draws it.  Inputs: points, height, width, radius;
    iparam: value."""
    cdef Value* p
    cdef Value* out
    cdef Py_ssize_t h, w, n, i
    cdef double r_value, x, y
    cdef int64_t r, err, dx, dy, plus, minus, cx, cy, oy, row, hw, xa, xb
    cdef int64_t* half
    cdef uint8_t value
    cdef uint8_t* img
    if check_arity(f, ins, 4, 1) < 0:
        return -1
    p = arg(f, ins, 0)
    value = <uint8_t>iparam(f, ins, 0)
    if read_points(f, p, "the points", &n) < 0:
        return -1
    if mask_size(f, ins, &h, &w) < 0:
        return -1
    if read_scalar(f, arg(f, ins, 3), "radius", &r_value) < 0:
        return -1
    if r_value != floor(r_value) or r_value < 0 or r_value > MAX_RADIUS:
        snprintf(f.error, ERROR_SIZE, "radius must be an integer in [0, 2**20], got %g",
                 r_value)
        return -1
    r = <int64_t>r_value
    if check_points_finite(f, p, n, "the points") < 0:
        return -1
    # Half-width of the disc on each row offset, from OpenCV's Circle().
    half = <int64_t*>scratch(f, 0, (r + 1) * sizeof(int64_t))
    if half == NULL:
        return -1
    for i in range(r + 1):
        half[i] = -1
    err = 0
    dx = r
    dy = 0
    plus = 1
    minus = 2 * r - 1
    while dx >= dy:
        half[dy] = dx if dx > half[dy] else half[dy]
        half[dx] = dy if dy > half[dx] else half[dx]
        dy += 1
        err += plus
        plus += 2
        if err > 0:
            err -= minus
            dx -= 1
            minus -= 2
    out = new_mask(f, ins, h, w)
    if out == NULL:
        return -1
    img = <uint8_t*>out.data
    for i in range(n):
        x = element(p, 2 * i)
        y = element(p, 2 * i + 1)
        # Beyond this the disc cannot reach the image (and int64 is safe).
        if fabs(x) > 4.0e12 or fabs(y) > 4.0e12:
            continue
        cx = round_half_up(x)
        cy = round_half_up(y)
        if cx + r < 0 or cx - r >= w or cy + r < 0 or cy - r >= h:
            continue
        for oy in range(-r if cy - r >= 0 else -cy, (r if cy + r < h else h - 1 - cy) + 1):
            row = cy + oy
            hw = half[oy if oy >= 0 else -oy]
            xa = cx - hw
            xb = cx + hw
            xa = xa if xa > 0 else 0
            xb = xb if xb < w else w - 1
            if xa <= xb:
                memset(img + row * w + xa, value, <size_t>(xb - xa + 1))
    return 0


KERNELS = {
    "view_make": <uintptr_t>k_view_make,
    "view_chain": <uintptr_t>k_view_chain,
    "view_invert": <uintptr_t>k_view_invert,
    "view_center": <uintptr_t>k_view_center,
    "view_focus": <uintptr_t>k_view_focus,
    "view_patch": <uintptr_t>k_view_patch,
    "geom_pack": <uintptr_t>k_geom_pack,
    "points_bounds": <uintptr_t>k_points_bounds,
    "points_center": <uintptr_t>k_points_center,
    "points_transform": <uintptr_t>k_points_transform,
    "rect_corners": <uintptr_t>k_rect_corners,
    "rect_transform": <uintptr_t>k_rect_transform,
    "polygon_mask": <uintptr_t>k_polygon_mask,
    "points_mask": <uintptr_t>k_points_mask,
}
