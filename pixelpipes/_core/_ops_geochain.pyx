"""Kernel of fused geometric chains (``pixelpipes.image.geometry_chain``).

``geometry_chain`` runs several geometric stages as one pass over the source.
For each sample it walks the stages and keeps, in integers, where a pixel of
the current (virtual, never made) image comes from:

* ``t``: an affine map with entries in {-1, 0, 1} plus a translation, from
  virtual pixel coordinates to the *base* image -- the source before a
  resampling stage, the resampler's output grid after it (crops and pads
  translate, flips, transposes and quarter turns permute the axes);
* a stack of border levels: each pad that reaches outside its image pushes
  that image's rectangle (in source coordinates), its border mode and value;
  a coordinate outside a level's rectangle maps back into it by the mode.

A resampling stage (a resize, a warp or a rotation) records the map it
reads through and starts a new grid.  Then the source is read once:

* no resampler: each output row and column maps to one source row and column
  (or a border value) -- a gather, exact;
* a resize: the resize's tap tables, taken through the maps, drive the
  separable resize engine (``resample_separable``);
* a warp or rotation: the composed 3 x 3 matrix drives the warp engine
  (``warp_window``) over the source window.

Encoding.  iparams: ``n``, then per stage ``kind, n_inputs, p0..p3``, then
the stages' input positions (the image is argument 0); fparams: four per
stage (border values).  Stage kinds and their parameters:

====  =========  ==========================================  ======================
kind  stage      inputs                                      p0..p3
====  =========  ==========================================  ======================
1     crop       x, y, width, height (clipped as Crop)
2     pad        as the ``image_pad`` kernel's modes         border, mode
3     resize     height, width (mode 0) / fy, fx (mode 1)    interpolation, mode
4     flip       [condition]                                 horizontal, vertical,
                                                             when (0 always, 1 if
                                                             true, 2 if false)
5     transpose
6     rot90      k
7     warp       view[, height, width]                       interpolation, border,
                                                             perspective, has_size
8     rotate     angle                                       interpolation, border,
                                                             expand
====  =========  ==========================================  ======================

The compiler only builds chains the kernel supports (see ``can_join`` in
``geometry_chain.py``): at most one resampler; no border-making pad after a
resampler or before a warp; before a resize no constant border and no axis
exchange.  A program file that breaks these rules fails cleanly.
"""

from libc.stdint cimport uint32_t, int64_t
from libc.string cimport memcpy
from libc.math cimport floor

from pixelpipes._core._kernel cimport (
    Frame, Instr, Value, ERROR_SIZE, DT_FLOAT64, arg, iparam, fparam, scratch, fail,
    snprintf, itemsize, truthy, scalar_int, new_tensor,
)
from pixelpipes._core._image cimport (
    ImageView, as_image, new_image, border_index, INTERP_NEAREST, INTERP_AREA,
    INTERP_LANCZOS,
)
from pixelpipes._core._interpolation cimport interp_taps
from pixelpipes._core._ops_geometry cimport (
    resample_separable, axis_table, get_coord, get_size, check_out_size, pad_window,
    resize_size, constant_pixel,
)
from pixelpipes._core._ops_warp cimport (
    warp_window, read_matrix, invert_affine, invert_3x3, rotation_matrix,
)

cdef enum:
    CROP = 1
    PAD = 2
    RESIZE = 3
    FLIP = 4
    TRANSPOSE = 5
    ROT90 = 6
    WARP = 7
    ROTATE = 8
    MAX_LEVELS = 4
    MAX_STAGES = 64
    STAGE_INTS = 6

cdef const char* BAD_PARAMS = "malformed instruction parameters"
cdef const char* UNSUPPORTED = "this geometric chain cannot be fused (a program file that breaks the fusion rules)"


ctypedef struct Level:
    Py_ssize_t x0, y0, x1, y1       # the padded image, in source coordinates
    int mode
    double value[4]


ctypedef struct Chain:
    Py_ssize_t vh, vw               # size of the current virtual image
    Py_ssize_t t[6]                 # virtual (x, y) -> base: x' = t0 x + t1 y + t2, ...
    bint resampled                  # base is the resampler's output grid
    int n_levels
    Level levels[MAX_LEVELS]
    # the resampler (kind 0: none, RESIZE, or WARP for warps and rotations)
    int rkind
    Py_ssize_t rh, rw               # its input size
    Py_ssize_t gh, gw               # its output size
    Py_ssize_t a[6]                 # its input -> source (``t`` when it ran)
    int interp, border
    double value[4]
    double fy, fx                   # resize: OpenCV's inv_scale per axis
    double inv[9]                   # warp: its output -> input
    bint perspective


cdef inline void compose(Chain* c, Py_ssize_t s0, Py_ssize_t s1, Py_ssize_t s2,
                         Py_ssize_t s3, Py_ssize_t s4, Py_ssize_t s5) noexcept nogil:
    """``t = t o s``, where ``s`` maps the new virtual image to the old one."""
    cdef Py_ssize_t* t = c.t
    cdef Py_ssize_t n0 = t[0] * s0 + t[1] * s3, n1 = t[0] * s1 + t[1] * s4
    cdef Py_ssize_t n2 = t[0] * s2 + t[1] * s5 + t[2]
    cdef Py_ssize_t n3 = t[3] * s0 + t[4] * s3, n4 = t[3] * s1 + t[4] * s4
    cdef Py_ssize_t n5 = t[3] * s2 + t[4] * s5 + t[5]
    t[0] = n0
    t[1] = n1
    t[2] = n2
    t[3] = n3
    t[4] = n4
    t[5] = n5


cdef void extent(const Py_ssize_t* t, Py_ssize_t h, Py_ssize_t w, Py_ssize_t* x0,
                 Py_ssize_t* y0, Py_ssize_t* x1, Py_ssize_t* y1) noexcept nogil:
    """The rectangle an ``h x w`` image covers in base coordinates through
    the map ``t``."""
    cdef Py_ssize_t ax = t[2], ay = t[5]
    cdef Py_ssize_t bx = t[0] * (w - 1) + t[1] * (h - 1) + t[2]
    cdef Py_ssize_t by = t[3] * (w - 1) + t[4] * (h - 1) + t[5]
    x0[0] = ax if ax < bx else bx
    x1[0] = (bx if ax < bx else ax) + 1
    y0[0] = ay if ay < by else by
    y1[0] = (by if ay < by else ay) + 1


cdef inline void new_grid(Chain* c, Py_ssize_t h, Py_ssize_t w) noexcept nogil:
    """The virtual image is an ``h x w`` grid, the identity of the base."""
    c.vh = h
    c.vw = w
    c.t[0] = 1
    c.t[1] = 0
    c.t[2] = 0
    c.t[3] = 0
    c.t[4] = 1
    c.t[5] = 0


cdef void start_grid(Chain* c, Py_ssize_t h, Py_ssize_t w) noexcept nogil:
    memcpy(c.a, c.t, sizeof(c.t))
    c.rh = c.vh
    c.rw = c.vw
    c.gh = h
    c.gw = w
    new_grid(c, h, w)
    c.resampled = True


cdef int stage_crop(Frame* f, Chain* c, Value** a) noexcept nogil:
    cdef Py_ssize_t x, y, w, h, x1, y1
    if (get_coord(f, a[0], "crop x", &x) != 0 or get_coord(f, a[1], "crop y", &y) != 0
            or get_size(f, a[2], "crop width", &w) != 0
            or get_size(f, a[3], "crop height", &h) != 0):
        return -1
    x1 = x + w if x + w < c.vw else c.vw
    y1 = y + h if y + h < c.vh else c.vh
    if x1 <= x or y1 <= y or x1 <= 0 or y1 <= 0:
        snprintf(f.error, ERROR_SIZE,
                 "the crop (x=%zd, y=%zd, width=%zd, height=%zd) lies outside the "
                 "%zd x %zd (width x height) image", x, y, w, h, c.vw, c.vh)
        return -1
    if x < 0:
        x = 0
    if y < 0:
        y = 0
    compose(c, 1, 0, x, 0, 1, y)
    c.vw = x1 - x
    c.vh = y1 - y
    return 0


cdef int stage_pad(Frame* f, Chain* c, const Instr* ins, int s, Value** a) noexcept nogil:
    cdef Py_ssize_t x0, y0, oh, ow
    cdef int border = <int>iparam(f, ins, 1 + s * STAGE_INTS + 2)
    cdef int mode = <int>iparam(f, ins, 1 + s * STAGE_INTS + 3)
    cdef Level* lev
    cdef int k
    if border < 0 or border > 4 or mode < 0 or mode > 2:
        return fail(f, BAD_PARAMS)
    if pad_window(f, mode, a[0], a[1], a[2], a[3], c.vh, c.vw, &y0, &x0, &oh, &ow) != 0:
        return -1
    if check_out_size(f, oh, ow) != 0:
        return -1
    if x0 < 0 or y0 < 0 or x0 + ow > c.vw or y0 + oh > c.vh:
        if c.resampled or c.n_levels == MAX_LEVELS:
            return fail(f, UNSUPPORTED)
        lev = &c.levels[c.n_levels]
        c.n_levels += 1
        extent(c.t, c.vh, c.vw, &lev.x0, &lev.y0, &lev.x1, &lev.y1)
        lev.mode = border
        for k in range(4):
            lev.value[k] = fparam(f, ins, s * 4 + k)
    compose(c, 1, 0, x0, 0, 1, y0)
    c.vw = ow
    c.vh = oh
    return 0


cdef int stage_resampler(Frame* f, Chain* c, const Instr* ins, int s, int kind,
                         Value** a) noexcept nogil:
    """A resize, warp or rotation: record it and start its output grid."""
    cdef int p = 1 + s * STAGE_INTS + 2
    cdef double m[9]
    cdef Py_ssize_t dh, dw
    cdef int k
    if c.rkind != 0:
        return fail(f, UNSUPPORTED)
    c.interp = <int>iparam(f, ins, p)
    if c.interp < INTERP_NEAREST or c.interp > INTERP_LANCZOS:
        return fail(f, BAD_PARAMS)
    if kind == RESIZE:
        if c.interp == INTERP_AREA or c.t[1] != 0:
            return fail(f, UNSUPPORTED)
        if resize_size(f, <int>iparam(f, ins, p + 1), a[0], a[1], c.vh, c.vw, &dh, &dw,
                       &c.fy, &c.fx) != 0:
            return -1
        if dh == c.vh and dw == c.vw:
            return 0            # a copy, as the Resize kernel (and cv2.resize) make it
        c.rkind = RESIZE
    else:
        if c.n_levels:
            return fail(f, UNSUPPORTED)
        c.border = <int>iparam(f, ins, p + 1)
        if c.border < 0 or c.border > 4:
            return fail(f, BAD_PARAMS)
        for k in range(4):
            c.value[k] = fparam(f, ins, s * 4 + k)
        if kind == WARP:
            if read_matrix(f, a[0], m) != 0:
                return -1
            k = <int>iparam(f, ins, p + 2)
            c.perspective = k == 1 or (k == 0 and not (m[6] == 0.0 and m[7] == 0.0
                                                        and m[8] == 1.0))
            if c.perspective:
                if invert_3x3(f, m, c.inv) != 0:
                    return -1
            elif invert_affine(f, m, c.inv) != 0:
                return -1
            dh = c.vh
            dw = c.vw
            if iparam(f, ins, p + 3):
                if (get_size(f, a[1], "height", &dh) != 0
                        or get_size(f, a[2], "width", &dw) != 0):
                    return -1
        else:
            if rotation_matrix(f, a[0], c.vh, c.vw, <bint>iparam(f, ins, p + 2), m,
                               &dh, &dw) != 0:
                return -1
            c.perspective = False
            if invert_affine(f, m, c.inv) != 0:
                return -1
        c.rkind = WARP
    if check_out_size(f, dh, dw) != 0:
        return -1
    start_grid(c, dh, dw)
    return 0


cdef int stage_turn(Frame* f, Chain* c, int kind, const Instr* ins, int s,
                    Value** a) noexcept nogil:
    """Flips, transposition and quarter turns: axis permutations."""
    cdef int p = 1 + s * STAGE_INTS + 2
    cdef int64_t k
    cdef Py_ssize_t h = c.vh, w = c.vw
    cdef int when
    cdef bint flip
    if kind == FLIP:
        when = <int>iparam(f, ins, p + 2)
        if when == 0:
            flip = True
        elif when == 1 or when == 2:
            flip = truthy(a[0]) == (when == 1)
        else:
            return fail(f, BAD_PARAMS)
        if flip and iparam(f, ins, p):
            compose(c, -1, 0, w - 1, 0, 1, 0)
        if flip and iparam(f, ins, p + 1):
            compose(c, 1, 0, 0, 0, -1, h - 1)
        return 0
    if kind == TRANSPOSE:
        k = 5
    else:
        if scalar_int(f, a[0], &k) != 0:
            return -1
        k = ((k % 4) + 4) % 4
        if k == 0:
            return 0
    if c.rkind == RESIZE and k != 2:
        return fail(f, UNSUPPORTED)     # a resize's tables are per axis
    if k == 1:          # np.rot90: out[i, j] = in[j, W - 1 - i]
        compose(c, 0, -1, w - 1, 1, 0, 0)
    elif k == 2:
        compose(c, -1, 0, w - 1, 0, -1, h - 1)
    elif k == 3:        # out[i, j] = in[H - 1 - j, i]
        compose(c, 0, 1, 0, -1, 0, h - 1)
    else:               # transpose
        compose(c, 0, 1, 0, 1, 0, 0)
    if k != 2:
        c.vh = w
        c.vw = h
    return 0


# ---------------------------------------------------------------- reading the source

cdef inline Py_ssize_t through_levels(const Chain* c, Py_ssize_t v, bint along_x) noexcept nogil:
    """Source index of base coordinate ``v`` on one axis after the border
    levels (outermost first); ``-(L + 1)`` when level L's constant fills it."""
    cdef int L
    cdef Py_ssize_t lo, hi, r
    for L in range(c.n_levels - 1, -1, -1):
        lo = c.levels[L].x0 if along_x else c.levels[L].y0
        hi = c.levels[L].x1 if along_x else c.levels[L].y1
        if v < lo or v >= hi:
            r = border_index(v - lo, hi - lo, c.levels[L].mode)
            if r < 0:
                return -(L + 1)
            v = lo + r
    return v


ctypedef struct Run:
    Py_ssize_t n            # pixels
    Py_ssize_t q            # first source column; for a constant run, its level
    int kind                # RUN_FORWARD, RUN_BACKWARD or RUN_CONSTANT

cdef enum:
    RUN_FORWARD = 0
    RUN_BACKWARD = 1
    RUN_CONSTANT = 2


cdef Py_ssize_t column_runs(const Py_ssize_t* cmap, Py_ssize_t n, Run* runs) noexcept nogil:
    """Split an output row's source columns into runs copied at once:
    consecutive columns, reversed ones, or one constant level."""
    cdef Py_ssize_t j = 0, k, q, count = 0
    while j < n:
        q = cmap[j]
        k = 1
        if q < 0:
            while j + k < n and cmap[j + k] == q:
                k += 1
            runs[count].kind = RUN_CONSTANT
            runs[count].q = -q - 1
        else:
            while j + k < n and cmap[j + k] == q + k:
                k += 1
            runs[count].kind = RUN_FORWARD
            runs[count].q = q
            if k == 1:
                while j + k < n and q - k >= 0 and cmap[j + k] == q - k:
                    k += 1
                if k > 1:
                    runs[count].kind = RUN_BACKWARD
                    runs[count].q = q - k + 1
        runs[count].n = k
        count += 1
        j += k
    return count


cdef int run_gather(Frame* f, const Chain* c, const ImageView* im, char* out) noexcept nogil:
    """No resampler: each output row and column follows one source axis."""
    cdef Py_ssize_t psize = im.channels * itemsize(im.dtype)
    cdef Py_ssize_t rowbytes = im.width * psize, i, j, k, r, q, L, n_runs
    cdef bint swap = c.t[1] != 0
    cdef Py_ssize_t* rmap = <Py_ssize_t*>scratch(f, 2, <size_t>(c.vh + c.vw) * sizeof(Py_ssize_t))
    cdef Py_ssize_t* cmap
    cdef char* consts = scratch(f, 3, <size_t>(MAX_LEVELS * psize + 8 + c.vw * sizeof(Run)))
    cdef Run* runs
    cdef char* dst = out
    cdef const char* srow
    if rmap == NULL or consts == NULL:
        return -1
    cmap = rmap + c.vh
    runs = <Run*>(consts + (MAX_LEVELS * psize + 7) // 8 * 8)     # 8-byte aligned
    for L in range(c.n_levels):
        constant_pixel(im, c.levels[L].value, consts + L * psize)
    # rmap[i]: the source row (or, swapped, column) of output row i; cmap[j]
    # the source column (or row) of output column j.
    for i in range(c.vh):
        if swap:
            rmap[i] = through_levels(c, c.t[1] * i + c.t[2], True)
        else:
            rmap[i] = through_levels(c, c.t[4] * i + c.t[5], False)
    for j in range(c.vw):
        if swap:
            cmap[j] = through_levels(c, c.t[3] * j + c.t[5], False)
        else:
            cmap[j] = through_levels(c, c.t[0] * j + c.t[2], True)
    if swap:
        for i in range(c.vh):
            r = rmap[i]
            for j in range(c.vw):
                q = cmap[j]
                if r < 0 or q < 0:
                    L = (-r if -r > -q else -q) - 1
                    memcpy(dst, consts + L * psize, <size_t>psize)
                else:
                    memcpy(dst, im.data + q * rowbytes + r * psize, <size_t>psize)
                dst += psize
        return 0
    # every row takes the same columns: find their runs once
    n_runs = column_runs(cmap, c.vw, runs)
    for i in range(c.vh):
        r = rmap[i]
        srow = im.data + r * rowbytes
        for k in range(n_runs):
            if r < 0 or runs[k].kind == RUN_CONSTANT:
                # the outermost level that makes the pixel constant decides
                L = -r - 1 if r < 0 else -1
                if runs[k].kind == RUN_CONSTANT and runs[k].q > L:
                    L = runs[k].q
                for j in range(runs[k].n):
                    memcpy(dst + j * psize, consts + L * psize, <size_t>psize)
            elif runs[k].kind == RUN_FORWARD:
                memcpy(dst, srow + runs[k].q * psize, <size_t>(runs[k].n * psize))
            else:
                copy_reversed(dst, srow + runs[k].q * psize, runs[k].n, psize)
            dst += runs[k].n * psize
    return 0


cdef inline void copy_reversed(char* dst, const char* src, Py_ssize_t n,
                               Py_ssize_t psize) noexcept nogil:
    """``dst`` = the ``n`` pixels at ``src`` in reverse order."""
    cdef Py_ssize_t k
    cdef uint32_t v
    if psize == 3:
        # 4-byte moves: pixel m is the top 3 bytes of the word 1 byte before
        # it; each store's 4th byte is overwritten by the next pixel's.
        for k in range(n - 1):
            memcpy(&v, src + 3 * (n - 1 - k) - 1, 4)
            v = v >> 8
            memcpy(dst + 3 * k, &v, 4)
        memcpy(dst + 3 * (n - 1), src, 3)
    elif psize == 1:
        for k in range(n):
            dst[k] = src[n - 1 - k]
    elif psize == 4:
        for k in range(n):
            memcpy(dst + 4 * k, src + 4 * (n - 1 - k), 4)
    else:
        for k in range(n):
            memcpy(dst + k * psize, src + (n - 1 - k) * psize, <size_t>psize)


cdef int resize_axis(Frame* f, const Chain* c, bint along_x, int K, Py_ssize_t* ofs,
                     double* w, Py_ssize_t* tab, double* tabw) noexcept nogil:
    """Tap table of one output axis: the resize's own taps (``axis_table``,
    or OpenCV's nearest rule) of the resampler position each output position
    maps to, taken through the map into the source and the border levels.
    ``tab``/``tabw`` hold the resize's table (grid size x K)."""
    cdef Py_ssize_t n_out = c.vw if along_x else c.vh
    cdef Py_ssize_t n_in = c.rw if along_x else c.rh
    cdef Py_ssize_t n_grid = c.gw if along_x else c.gh
    cdef double inv = c.fx if along_x else c.fy
    cdef double scale = 1.0 / inv
    cdef Py_ssize_t s0 = c.t[0] if along_x else c.t[4]
    cdef Py_ssize_t s1 = c.t[2] if along_x else c.t[5]
    cdef Py_ssize_t a0 = c.a[0] if along_x else c.a[4]
    cdef Py_ssize_t a1 = c.a[2] if along_x else c.a[5]
    cdef Py_ssize_t d, g, k, v
    if K == 1:
        for g in range(n_grid):
            v = <Py_ssize_t>floor(g * scale)
            tab[g] = v if v < n_in else n_in - 1
            tabw[g] = 1.0
    else:
        axis_table(f, n_in, n_grid, scale, inv, K, False, tab, tabw)
    for d in range(n_out):
        g = s0 * d + s1
        for k in range(K):
            v = through_levels(c, a0 * tab[g * K + k] + a1, along_x)
            if v < 0:
                return fail(f, UNSUPPORTED)
            ofs[d * K + k] = v
            w[d * K + k] = tabw[g * K + k]
    return 0


cdef int run_resize(Frame* f, const Chain* c, const ImageView* im, char* out) noexcept nogil:
    cdef int K = 1 if c.interp == INTERP_NEAREST else interp_taps(c.interp)
    cdef Py_ssize_t nx = c.vw * K, ny = c.vh * K
    cdef Py_ssize_t ng = (c.gw if c.gw > c.gh else c.gh) * K
    cdef char* tables = scratch(f, 2, <size_t>(nx + ny) * (sizeof(Py_ssize_t) + sizeof(double)))
    cdef char* grid = scratch(f, 3, <size_t>ng * (sizeof(Py_ssize_t) + sizeof(double)))
    cdef Py_ssize_t* xofs
    cdef Py_ssize_t* yofs
    cdef double* wx
    cdef double* wy
    cdef Py_ssize_t x0, x1, y0, y1, psize = im.channels * itemsize(im.dtype)
    if tables == NULL or grid == NULL:
        return -1
    xofs = <Py_ssize_t*>tables
    yofs = xofs + nx
    wx = <double*>(yofs + ny)
    wy = wx + nx
    if (resize_axis(f, c, True, K, xofs, wx, <Py_ssize_t*>grid,
                    <double*>(grid + ng * sizeof(Py_ssize_t))) != 0
            or resize_axis(f, c, False, K, yofs, wy, <Py_ssize_t*>grid,
                           <double*>(grid + ng * sizeof(Py_ssize_t))) != 0):
        return -1
    # Read the window the taps touch, not the whole source: the engine's
    # vertical pass spans its width (and it picks its pass order by it).
    x0 = shift_to_zero(xofs, nx, &x1)
    y0 = shift_to_zero(yofs, ny, &y1)
    return resample_separable(f, im.data + (y0 * im.width + x0) * psize,
                              im.width * im.channels, y1 - y0, x1 - x0, im.channels, im.dtype,
                              out, c.vh, c.vw, xofs, wx, yofs, wy, K)


cdef Py_ssize_t shift_to_zero(Py_ssize_t* ofs, Py_ssize_t n, Py_ssize_t* end) noexcept nogil:
    """Subtract the smallest entry from all; return it, and the largest + 1
    (before the shift) in ``end``."""
    cdef Py_ssize_t lo = ofs[0], hi = ofs[0], i
    for i in range(n):
        if ofs[i] < lo:
            lo = ofs[i]
        if ofs[i] > hi:
            hi = ofs[i]
    for i in range(n):
        ofs[i] -= lo
    end[0] = hi + 1
    return lo


cdef void mat_mul(const double* a, const double* b, double* out) noexcept nogil:
    cdef int i, j
    for i in range(3):
        for j in range(3):
            out[3 * i + j] = a[3 * i] * b[j] + a[3 * i + 1] * b[3 + j] + a[3 * i + 2] * b[6 + j]


cdef inline void affine3(const Py_ssize_t* t, double* m) noexcept nogil:
    m[0] = <double>t[0]
    m[1] = <double>t[1]
    m[2] = <double>t[2]
    m[3] = <double>t[3]
    m[4] = <double>t[4]
    m[5] = <double>t[5]
    m[6] = 0.0
    m[7] = 0.0
    m[8] = 1.0


cdef int run_warp(Frame* f, const Chain* c, const ImageView* im, char* out) noexcept nogil:
    """The warp's matrix between the maps before and after it, over the
    source window the warp reads (its input image)."""
    cdef double ma[9]
    cdef double mt[9]
    cdef double tmp[9]
    cdef double m[9]
    cdef Py_ssize_t x0, y0, x1, y1, psize = im.channels * itemsize(im.dtype)
    # the warp's input rectangle in the source, and the map into it
    extent(c.a, c.rh, c.rw, &x0, &y0, &x1, &y1)
    affine3(c.a, ma)
    ma[2] -= x0
    ma[5] -= y0
    affine3(c.t, mt)
    mat_mul(ma, c.inv, tmp)
    mat_mul(tmp, mt, m)
    return warp_window(f, im.data + y0 * im.width * psize + x0 * psize,
                       im.width * im.channels, y1 - y0, x1 - x0, im.channels, im.dtype, out,
                       c.vh, c.vw, m, c.perspective, c.interp, c.border, c.value)


# ---------------------------------------------------------------- the kernel

cdef int walk(Frame* f, const Instr* ins, Chain* c, ImageView* im) noexcept nogil:
    """Check the instruction, read the image and run every stage on ``c``."""
    cdef Value* a[4]
    cdef int n, s, kind, nin, k, rc
    cdef Py_ssize_t pos, position
    n = <int>iparam(f, ins, 0)
    if n < 1 or n > MAX_STAGES or ins.n_iparams < 1 + n * STAGE_INTS or ins.n_fparams != 4 * n:
        return fail(f, BAD_PARAMS)
    if as_image(f, arg(f, ins, 0), im) != 0:
        return -1
    if im.height <= 0 or im.width <= 0:
        snprintf(f.error, ERROR_SIZE, "the image is empty (%zd x %zd)", im.height, im.width)
        return -1
    new_grid(c, im.height, im.width)
    c.resampled = False
    c.n_levels = 0
    c.rkind = 0
    pos = 1 + n * STAGE_INTS
    for s in range(n):
        kind = <int>iparam(f, ins, 1 + s * STAGE_INTS)
        nin = <int>iparam(f, ins, 2 + s * STAGE_INTS)
        if nin < 0 or nin > 4 or pos + nin > ins.n_iparams:
            return fail(f, BAD_PARAMS)
        for k in range(4):
            a[k] = arg(f, ins, ins.n_args)      # reads as a missing value
        for k in range(nin):
            position = iparam(f, ins, <int>(pos + k))
            if position < 1 or position >= ins.n_args:
                return fail(f, BAD_PARAMS)
            a[k] = arg(f, ins, <int>position)
        pos += nin
        if kind == CROP:
            rc = stage_crop(f, c, a)
        elif kind == PAD:
            rc = stage_pad(f, c, ins, s, a)
        elif kind == RESIZE or kind == WARP or kind == ROTATE:
            rc = stage_resampler(f, c, ins, s, kind, a)
        elif kind == FLIP or kind == TRANSPOSE or kind == ROT90:
            rc = stage_turn(f, c, kind, ins, s, a)
        else:
            return fail(f, BAD_PARAMS)
        if rc != 0:
            return -1
    return 0


cdef int k_geometry_chain(Frame* f, const Instr* ins) noexcept nogil:
    """Inputs: image, the stages' parameters; parameters as the module docstring."""
    cdef ImageView im
    cdef Chain c
    cdef Value* out
    if walk(f, ins, &c, &im) != 0:
        return -1
    out = new_image(f, ins, im.dtype, c.vh, c.vw, im.channels, im.ndim)
    if out == NULL:
        return -1
    if c.rkind == RESIZE:
        return run_resize(f, &c, &im, out.data)
    if c.rkind == WARP:
        return run_warp(f, &c, &im, out.data)
    return run_gather(f, &c, &im, out.data)


cdef int k_geometry_chain_view(Frame* f, const Instr* ins) noexcept nogil:
    """The chain's view: the float64 3 x 3 matrix from source pixel
    coordinates to output pixel coordinates (pixel centres at integers); a
    resize maps as ``x_out = (x_in + 0.5) * dw / w - 0.5``.  Same inputs and
    parameters as ``geometry_chain``; no pixel is read."""
    cdef ImageView im
    cdef Chain c
    cdef Value* out
    cdef Py_ssize_t shape[2]
    cdef double ma[9]
    cdef double mr[9]
    cdef double mt[9]
    cdef double tmp[9]
    cdef double m[9]
    cdef int k
    if walk(f, ins, &c, &im) != 0:
        return -1
    for k in range(9):
        mr[k] = 1.0 if k % 4 == 0 else 0.0
    if c.rkind == WARP:
        for k in range(9):
            mr[k] = c.inv[k]
    elif c.rkind == RESIZE:
        mr[0] = 1.0 / c.fx
        mr[2] = 0.5 / c.fx - 0.5
        mr[4] = 1.0 / c.fy
        mr[5] = 0.5 / c.fy - 0.5
    if c.rkind == 0:
        affine3(c.t, m)         # output -> source
    else:
        affine3(c.a, ma)
        affine3(c.t, mt)
        mat_mul(ma, mr, tmp)
        mat_mul(tmp, mt, m)
    shape[0] = 3
    shape[1] = 3
    out = new_tensor(f, ins, DT_FLOAT64, 2, shape)
    if out == NULL:
        return -1
    if c.rkind == WARP and c.perspective:
        return invert_3x3(f, m, <double*>out.data)
    return invert_affine(f, m, <double*>out.data)


KERNELS = {
    "geometry_chain": <size_t>&k_geometry_chain,
    "geometry_chain_view": <size_t>&k_geometry_chain_view,
}
