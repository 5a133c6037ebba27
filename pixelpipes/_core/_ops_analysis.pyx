"""Image analysis kernels: Canny edges, distance transform, connected
components, moments and the bounding box of a mask.

Each follows the OpenCV function it is named after closely enough to give
the same result (see ``pixelpipes/image/filters.py`` for the stated
tolerances):

``canny``
    Sobel gradients in int16 with a replicated border, the L1 (or squared
    L2) magnitude, non-maximum suppression with OpenCV's integer tangent
    test, and hysteresis by a depth-first flood from the strong pixels.
``distance_transform``
    Exact Euclidean distance with the separable lower-envelope method of
    Felzenszwalb & Huttenlocher (a column pass, then the lower envelope of
    parabolas along each row), or OpenCV's two-pass chamfer masks with its
    16-bit fixed-point weights.
``connected_components``
    One raster pass over runs of foreground pixels with union-find (the
    smaller label becomes the root), then labels renumbered in OpenCV's order
    and painted run by run.
``moments``
    A single pass over the rows.
``mask_bounding_box``
    The first and last non-empty rows from either end, then in between only
    the columns outside the box found so far, eight bytes at a time.
"""

from libc.stdint cimport (
    uint8_t, int16_t, uint16_t, int32_t, uint32_t, int64_t, uint64_t, uintptr_t,
)
from libc.string cimport memcpy, memset
from libc.math cimport sqrt, floor, fabs, rint, INFINITY

from pixelpipes._core._kernel cimport (
    scalar_number as get_double,
    Frame, Instr, Value, KIND_TENSOR, DT_UINT8, DT_INT16, DT_UINT16, DT_INT32, DT_FLOAT32,
    DT_FLOAT64, arg, iparam, new_tensor, scratch, fail, snprintf, ERROR_SIZE, load_double,
    itemsize,
)
from pixelpipes._core._image cimport ImageView, as_image, border_index, BORDER_REPLICATE

cdef extern from "_simd.h" nogil:
    # hot loops: AVX2 and baseline clones, chosen at load time (see _simd.h)
    ctypedef void cloned_void "PP_CLONES void"

cdef Py_ssize_t MAX_WORK_BYTES = 1 << 31


# ============================================================== helpers

cdef inline uint64_t load_u64(const uint8_t* p) noexcept nogil:
    cdef uint64_t w
    memcpy(&w, p, 8)
    return w


cdef inline Py_ssize_t align64(Py_ssize_t n) noexcept nogil:
    return (n + 63) & ~(<Py_ssize_t>63)


cdef char* work(Frame* f, int which, Py_ssize_t nbytes) noexcept nogil:
    if nbytes > MAX_WORK_BYTES or nbytes < 0:
        snprintf(f.error, ERROR_SIZE, "needs %zd bytes of working memory: the image is "
                 "too large", nbytes)
        return NULL
    return scratch(f, which, <size_t>nbytes)


cdef int as_plane(Frame* f, Value* v, ImageView* im, const char* what) noexcept nogil:
    """A single-channel image (H x W or H x W x 1)."""
    if as_image(f, v, im) < 0:
        return -1
    if im.channels != 1:
        snprintf(f.error, ERROR_SIZE, "%s must have one channel, got %zd", what, im.channels)
        return -1
    return 0


cdef Value* new_plane(Frame* f, const Instr* ins, int dtype, Py_ssize_t h,
                      Py_ssize_t w) noexcept nogil:
    cdef Py_ssize_t shape[2]
    shape[0] = h
    shape[1] = w
    return new_tensor(f, ins, dtype, 2, shape)


cdef void nonzero_u8(const char* data, int dtype, Py_ssize_t n, uint8_t* out) noexcept nogil:
    """``out[i] = data[i] != 0`` for ``n`` elements of ``dtype``."""
    cdef Py_ssize_t i
    cdef const uint8_t* a8
    cdef const uint16_t* a16
    cdef const float* af
    if dtype == DT_UINT8:
        a8 = <const uint8_t*>data
        for i in range(n):
            out[i] = a8[i] != 0
    elif dtype == DT_UINT16 or dtype == DT_INT16:
        a16 = <const uint16_t*>data
        for i in range(n):
            out[i] = a16[i] != 0
    else:
        af = <const float*>data
        for i in range(n):
            out[i] = af[i] != 0


# ============================================================== Canny

cdef void sobel_kernel(int order, int ksize, int32_t* k) noexcept nogil:
    """OpenCV's getSobelKernels for one axis, ``ksize`` in 3, 5, 7."""
    cdef int i, j, oldval, newval
    if ksize == 3:
        if order == 0:
            k[0] = 1; k[1] = 2; k[2] = 1
        else:
            k[0] = -1; k[1] = 0; k[2] = 1
        return
    k[0] = 1
    for i in range(ksize):
        k[i + 1] = 0
    for i in range(ksize - order - 1):
        oldval = k[0]
        for j in range(1, ksize + 1):
            newval = k[j] + k[j - 1]
            k[j - 1] = oldval
            oldval = newval
    for i in range(order):
        oldval = -k[0]
        for j in range(1, ksize + 1):
            newval = k[j - 1] - k[j]
            k[j - 1] = oldval
            oldval = newval


cdef void sobel_pair(const uint8_t* src, Py_ssize_t H, Py_ssize_t W, int ksize,
                     int16_t* dx, int16_t* dy, char* mem) noexcept nogil:
    """``cv2.Sobel(src, CV_16S, 1, 0, ksize)`` and ``(0, 1)`` with a replicated
    border, from one horizontal pass per row (derivative and smoothing
    kernels) and one vertical pass per output row.

    Sums are exact: 16-bit lanes for apertures 3 and 5 (every result fits,
    so wrap-around in the partial sums cancels), 32-bit for 7, whose sums
    are divided by 16 with rounding half to even (OpenCV's scale 1/16) before
    saturating."""
    cdef Py_ssize_t r = ksize // 2, y, x, k, u, sy, loaded = 0
    cdef Py_ssize_t ew = W + 2 * r
    cdef Py_ssize_t rs = (W + 32) & ~(<Py_ssize_t>15)
    cdef int32_t kd[8]
    cdef int32_t ks[8]
    cdef uint8_t* ext = <uint8_t*>mem
    cdef Py_ssize_t* xmap = <Py_ssize_t*>(mem + align64(ew + 16))
    cdef char* rings = mem + align64(ew + 16) + align64(ew * sizeof(Py_ssize_t))
    cdef int16_t* hd16
    cdef int16_t* hs16
    cdef int16_t* o16
    cdef int32_t* hd32
    cdef int32_t* hs32
    cdef int32_t* acc32
    cdef int16_t c16
    cdef int32_t c32, v
    cdef bint wide = ksize == 7
    cdef Py_ssize_t esz = 4 if wide else 2
    sobel_kernel(1, ksize, kd)
    sobel_kernel(0, ksize, ks)
    for x in range(ew):
        xmap[x] = border_index(x - r, W, BORDER_REPLICATE)
    # rings: ksize derivative rows, ksize smoothing rows, one accumulator
    for y in range(H):
        while loaded < y + ksize:
            u = loaded
            sy = border_index(u - r, H, BORDER_REPLICATE)
            for x in range(ew):
                ext[x] = src[sy * W + xmap[x]]
            if wide:
                hd32 = <int32_t*>(rings + (u % ksize) * rs * esz)
                hs32 = <int32_t*>(rings + (ksize + u % ksize) * rs * esz)
                for x in range(W):
                    hd32[x] = 0
                    hs32[x] = 0
                for k in range(ksize):
                    c32 = kd[k]
                    if c32 != 0:
                        for x in range(W):
                            hd32[x] += c32 * <int32_t>ext[x + k]
                    c32 = ks[k]
                    for x in range(W):
                        hs32[x] += c32 * <int32_t>ext[x + k]
            else:
                hd16 = <int16_t*>(rings + (u % ksize) * rs * esz)
                hs16 = <int16_t*>(rings + (ksize + u % ksize) * rs * esz)
                for x in range(W):
                    hd16[x] = 0
                    hs16[x] = 0
                for k in range(ksize):
                    c16 = <int16_t>kd[k]
                    if c16 != 0:
                        for x in range(W):
                            hd16[x] = <int16_t>(hd16[x] + c16 * <int16_t>ext[x + k])
                    c16 = <int16_t>ks[k]
                    for x in range(W):
                        hs16[x] = <int16_t>(hs16[x] + c16 * <int16_t>ext[x + k])
            loaded += 1
        # dx: smooth vertically the derivative rows; dy: the other way round
        if wide:
            acc32 = <int32_t*>(rings + 2 * ksize * rs * esz)
            for x in range(W):
                acc32[x] = 0
            for k in range(ksize):
                c32 = ks[k]
                hd32 = <int32_t*>(rings + ((y + k) % ksize) * rs * esz)
                for x in range(W):
                    acc32[x] += c32 * hd32[x]
            store_div16(acc32, dx + y * W, W)
            for x in range(W):
                acc32[x] = 0
            for k in range(ksize):
                c32 = kd[k]
                if c32 == 0:
                    continue
                hs32 = <int32_t*>(rings + (ksize + (y + k) % ksize) * rs * esz)
                for x in range(W):
                    acc32[x] += c32 * hs32[x]
            store_div16(acc32, dy + y * W, W)
        else:
            o16 = dx + y * W
            for x in range(W):
                o16[x] = 0
            for k in range(ksize):
                c16 = <int16_t>ks[k]
                hd16 = <int16_t*>(rings + ((y + k) % ksize) * rs * esz)
                for x in range(W):
                    o16[x] = <int16_t>(o16[x] + c16 * hd16[x])
            o16 = dy + y * W
            for x in range(W):
                o16[x] = 0
            for k in range(ksize):
                c16 = <int16_t>kd[k]
                if c16 == 0:
                    continue
                hs16 = <int16_t*>(rings + (ksize + (y + k) % ksize) * rs * esz)
                for x in range(W):
                    o16[x] = <int16_t>(o16[x] + c16 * hs16[x])


cdef void store_div16(const int32_t* acc, int16_t* out, Py_ssize_t W) noexcept nogil:
    cdef Py_ssize_t x
    cdef int32_t v, q, rem
    for x in range(W):
        v = acc[x]
        # round(v / 16) half to even, in integers
        q = v >> 4
        rem = v & 15
        if rem > 8 or (rem == 8 and (q & 1)):
            q += 1
        out[x] = <int16_t>(32767 if q > 32767 else (-32768 if q < -32768 else q))


cdef Py_ssize_t sobel_pair_bytes(Py_ssize_t W, int ksize) noexcept nogil:
    cdef Py_ssize_t ew = W + 2 * (ksize // 2)
    cdef Py_ssize_t rs = (W + 32) & ~(<Py_ssize_t>15)
    return align64(ew + 16) + align64(ew * sizeof(Py_ssize_t)) + (2 * ksize + 1) * rs * 4 + 64


cdef int k_canny(Frame* f, const Instr* ins) noexcept nogil:
    """Inputs: image, threshold1, threshold2.  iparams: aperture, L2."""
    cdef ImageView im
    cdef double t1, t2, tmp
    cdef int aperture = <int>iparam(f, ins, 0)
    cdef bint l2 = iparam(f, ins, 1) != 0
    cdef Py_ssize_t H, W, n, i, j, y, x, mapstep, sp
    cdef int16_t* dx
    cdef int16_t* dy
    cdef int32_t* mag
    cdef uint8_t* map_
    cdef int32_t* stack
    cdef char* mem
    cdef int32_t low, high, m, xs, ys, ax, ay_, tg22x, tg67x, s
    cdef int32_t TG22 = <int32_t>(0.4142135623730950488016887242097 * (1 << 15) + 0.5)
    cdef const int32_t* mrow
    cdef const int32_t* mprev
    cdef const int32_t* mnext
    cdef int32_t* zero_row
    cdef uint8_t* mp
    cdef uint8_t* o
    cdef Value* out
    cdef bint push
    cdef Py_ssize_t p, q
    cdef Py_ssize_t nb[8]

    if aperture != 3 and aperture != 5 and aperture != 7:
        return fail(f, "the Canny aperture must be 3, 5 or 7")
    if as_plane(f, arg(f, ins, 0), &im, "the Canny image") < 0:
        return -1
    if im.dtype != DT_UINT8:
        return fail(f, "Canny needs a uint8 image")
    if get_double(f, arg(f, ins, 1), "threshold1", &t1) < 0:
        return -1
    if get_double(f, arg(f, ins, 2), "threshold2", &t2) < 0:
        return -1
    H = im.height
    W = im.width
    out = new_tensor(f, ins, DT_UINT8, im.ndim, arg(f, ins, 0).shape)
    if out == NULL:
        return -1
    n = H * W
    if n == 0:
        return 0
    if t1 > t2:
        tmp = t1
        t1 = t2
        t2 = tmp
    if aperture == 7:
        # 7x7 gradients would overflow int16: OpenCV scales them (and the
        # thresholds) by 1/16
        t1 = t1 / 16.0
        t2 = t2 / 16.0
    if l2:
        t1 = t1 if t1 < 32767.0 else 32767.0
        t2 = t2 if t2 < 32767.0 else 32767.0
        if t1 > 0:
            t1 *= t1
        if t2 > 0:
            t2 *= t2
    t1 = floor(t1)
    t2 = floor(t2)
    low = clamp_i32(t1)
    high = clamp_i32(t2)

    mapstep = W + 2
    # dx | dy | mag (3 rows + zero row) | map | stack | hbuf | ext
    mem = work(f, 0, 2 * align64(n * sizeof(int16_t)) + align64(4 * mapstep * sizeof(int32_t))
               + align64((H + 2) * mapstep) + align64(n * sizeof(int32_t))
               + sobel_pair_bytes(W, aperture))
    if mem == NULL:
        return -1
    dx = <int16_t*>mem
    dy = <int16_t*>(mem + align64(n * sizeof(int16_t)))
    mag = <int32_t*>(<char*>dy + align64(n * sizeof(int16_t)))
    map_ = <uint8_t*>(<char*>mag + align64(4 * mapstep * sizeof(int32_t)))
    stack = <int32_t*>(<char*>map_ + align64((H + 2) * mapstep))
    sobel_pair(<const uint8_t*>im.data, H, W, aperture, dx, dy,
               <char*>stack + align64(n * sizeof(int32_t)))

    # map: 1 = cannot be an edge (also the frame around the image), 0 = may
    # be an edge, 2 = edge
    memset(map_, 1, (H + 2) * mapstep)
    zero_row = mag + 3 * mapstep
    for x in range(mapstep):
        zero_row[x] = 0
    sp = 0
    for y in range(H):
        # magnitudes of rows y - 1, y, y + 1 (0 outside the image), each
        # with a zero column on both sides
        mprev = zero_row + 1 if y == 0 else mag + ((y - 1) % 3) * mapstep + 1
        if y == 0:
            canny_mag(dx, dy, mag + 1, W, l2)
            mag[0] = 0
            mag[W + 1] = 0
        if y + 1 < H:
            canny_mag(dx + (y + 1) * W, dy + (y + 1) * W, mag + ((y + 1) % 3) * mapstep + 1, W, l2)
            mag[((y + 1) % 3) * mapstep] = 0
            mag[((y + 1) % 3) * mapstep + W + 1] = 0
            mnext = mag + ((y + 1) % 3) * mapstep + 1
        else:
            mnext = zero_row + 1
        mrow = mag + (y % 3) * mapstep + 1
        mp = map_ + (y + 1) * mapstep + 1
        push = False
        for x in range(W):
            m = mrow[x]
            if m > low:
                xs = dx[y * W + x]
                ys = dy[y * W + x]
                ax = xs if xs >= 0 else -xs
                ay_ = (ys if ys >= 0 else -ys) << 15
                tg22x = ax * TG22
                if ay_ < tg22x:
                    if m > mrow[x - 1] and m >= mrow[x + 1]:
                        mp[x] = 0
                        continue_edge(mp, x, m, high, stack, &sp, map_, mapstep)
                        continue
                else:
                    tg67x = tg22x + (ax << 16)
                    if ay_ > tg67x:
                        if m > mprev[x] and m >= mnext[x]:
                            mp[x] = 0
                            continue_edge(mp, x, m, high, stack, &sp, map_, mapstep)
                            continue
                    else:
                        s = -1 if (xs ^ ys) < 0 else 1
                        if m > mprev[x - s] and m > mnext[x + s]:
                            mp[x] = 0
                            continue_edge(mp, x, m, high, stack, &sp, map_, mapstep)
                            continue
            mp[x] = 1

    # hysteresis: flood the 8-neighbourhood of edges through candidates
    nb[0] = -1; nb[1] = 1; nb[2] = -mapstep - 1; nb[3] = -mapstep; nb[4] = -mapstep + 1
    nb[5] = mapstep - 1; nb[6] = mapstep; nb[7] = mapstep + 1
    while sp > 0:
        sp -= 1
        p = stack[sp]
        for j in range(8):
            q = p + nb[j]
            if map_[q] == 0:
                map_[q] = 2
                stack[sp] = <int32_t>q
                sp += 1
    o = <uint8_t*>out.data
    for y in range(H):
        mp = map_ + (y + 1) * mapstep + 1
        for x in range(W):
            o[y * W + x] = 255 if mp[x] == 2 else 0
    return 0


cdef inline int32_t clamp_i32(double v) noexcept nogil:
    if v >= 2147483647.0:
        return 2147483647
    if v <= -2147483648.0:
        return -2147483647 - 1
    return <int32_t>v


cdef inline void continue_edge(uint8_t* mp, Py_ssize_t x, int32_t m, int32_t high,
                               int32_t* stack, Py_ssize_t* sp, uint8_t* map_,
                               Py_ssize_t mapstep) noexcept nogil:
    """A local maximum above the low threshold: an edge (pushed for the
    flood) when above the high one."""
    if m > high:
        mp[x] = 2
        stack[sp[0]] = <int32_t>((mp + x) - map_)
        sp[0] += 1


cdef void canny_mag(const int16_t* dx, const int16_t* dy, int32_t* out, Py_ssize_t W,
                    bint l2) noexcept nogil:
    cdef Py_ssize_t x
    cdef int32_t a, b
    if l2:
        for x in range(W):
            a = dx[x]
            b = dy[x]
            out[x] = a * a + b * b
    else:
        for x in range(W):
            a = dx[x]
            b = dy[x]
            out[x] = (a if a >= 0 else -a) + (b if b >= 0 else -b)


# ============================================================== distance transform

cdef enum:
    DIST_L1 = 1
    DIST_L2 = 2
    DIST_C = 3


cdef void chamfer(const uint8_t* nz, Py_ssize_t H, Py_ssize_t W, int border, int32_t hv,
                  int32_t diag, int32_t longd, int32_t* tmp, float* out) noexcept nogil:
    """OpenCV's distanceTransform_3x3 / _5x5: a forward and a backward pass
    over an int image framed by ``border`` pixels of a large distance."""
    cdef int32_t INIT = 2147483647 >> 2
    cdef Py_ssize_t step = W + 2 * border, y, x, i
    cdef int32_t* t
    cdef int32_t t0, v
    cdef float scale = <float>1 / <float>65536
    for i in range((H + 2 * border) * step):
        tmp[i] = INIT
    for y in range(H):
        t = tmp + (y + border) * step + border
        for x in range(W):
            if not nz[y * W + x]:
                t[x] = 0
                continue
            if border == 1:
                t0 = t[x - step - 1] + diag
                v = t[x - step] + hv
                if t0 > v: t0 = v
                v = t[x - step + 1] + diag
                if t0 > v: t0 = v
                v = t[x - 1] + hv
                if t0 > v: t0 = v
            else:
                t0 = t[x - 2 * step - 1] + longd
                v = t[x - 2 * step + 1] + longd
                if t0 > v: t0 = v
                v = t[x - step - 2] + longd
                if t0 > v: t0 = v
                v = t[x - step - 1] + diag
                if t0 > v: t0 = v
                v = t[x - step] + hv
                if t0 > v: t0 = v
                v = t[x - step + 1] + diag
                if t0 > v: t0 = v
                v = t[x - step + 2] + longd
                if t0 > v: t0 = v
                v = t[x - 1] + hv
                if t0 > v: t0 = v
            t[x] = t0
    for y in range(H - 1, -1, -1):
        t = tmp + (y + border) * step + border
        for x in range(W - 1, -1, -1):
            t0 = t[x]
            if t0 > hv:
                if border == 1:
                    v = t[x + step + 1] + diag
                    if t0 > v: t0 = v
                    v = t[x + step] + hv
                    if t0 > v: t0 = v
                    v = t[x + step - 1] + diag
                    if t0 > v: t0 = v
                    v = t[x + 1] + hv
                    if t0 > v: t0 = v
                else:
                    v = t[x + 2 * step + 1] + longd
                    if t0 > v: t0 = v
                    v = t[x + 2 * step - 1] + longd
                    if t0 > v: t0 = v
                    v = t[x + step + 2] + longd
                    if t0 > v: t0 = v
                    v = t[x + step + 1] + diag
                    if t0 > v: t0 = v
                    v = t[x + step] + hv
                    if t0 > v: t0 = v
                    v = t[x + step - 1] + diag
                    if t0 > v: t0 = v
                    v = t[x + step - 2] + longd
                    if t0 > v: t0 = v
                    v = t[x + 1] + hv
                    if t0 > v: t0 = v
                t[x] = t0
            out[y * W + x] = <float>t0 * scale


cdef void exact_l2(const uint8_t* nz, Py_ssize_t H, Py_ssize_t W, double* g, double* fq,
                   double* z, Py_ssize_t* v, float* out) noexcept nogil:
    """Exact Euclidean distance transform (Felzenszwalb & Huttenlocher):
    squared distances to the nearest zero down each column, then along each
    row the lower envelope of the parabolas ``(x - q)**2 + g[q]``."""
    cdef Py_ssize_t y, x, q, k, p
    cdef double INF = INFINITY, s, d
    # column pass, row by row (cache friendly): distance in rows to the
    # nearest zero above, then below; finally squared
    for x in range(W):
        g[x] = 0 if not nz[x] else INF
    for y in range(1, H):
        for x in range(W):
            g[y * W + x] = 0 if not nz[y * W + x] else g[(y - 1) * W + x] + 1
    for y in range(H - 2, -1, -1):
        for x in range(W):
            d = g[(y + 1) * W + x] + 1
            if d < g[y * W + x]:
                g[y * W + x] = d
    for y in range(H * W):
        g[y] = g[y] * g[y]
    # row pass
    for y in range(H):
        # parabolas with a finite height, their ranges [z[k], z[k+1])
        k = -1
        for q in range(W):
            fq[q] = g[y * W + q]
            if fq[q] == INF:
                continue
            while k >= 0:
                p = v[k]
                s = ((fq[q] + <double>q * q) - (fq[p] + <double>p * p)) / (2.0 * (q - p))
                if s <= z[k]:
                    k -= 1
                else:
                    break
            k += 1
            v[k] = q
            if k == 0:
                z[0] = -INF
            else:
                p = v[k - 1]
                z[k] = ((fq[q] + <double>q * q) - (fq[p] + <double>p * p)) / (2.0 * (q - p))
        if k < 0:
            for x in range(W):
                out[y * W + x] = <float>INF
            continue
        z[k + 1] = INF
        q = 0
        for x in range(W):
            while z[q + 1] < x:
                q += 1
            p = v[q]
            out[y * W + x] = <float>sqrt((<double>x - p) * (<double>x - p) + fq[p])


cdef int k_distance_transform(Frame* f, const Instr* ins) noexcept nogil:
    """Input: mask.  iparams: metric (1 l1, 2 l2, 3 linf), mask size (0
    precise, 3, 5)."""
    cdef ImageView im
    cdef int metric = <int>iparam(f, ins, 0)
    cdef int size = <int>iparam(f, ins, 1)
    cdef Py_ssize_t H, W, n, i, border
    cdef uint8_t* nz
    cdef char* mem
    cdef float* o
    cdef Value* out
    cdef bint any_zero = False
    cdef float a, b, c
    if as_plane(f, arg(f, ins, 0), &im, "the mask") < 0:
        return -1
    H = im.height
    W = im.width
    n = H * W
    out = new_plane(f, ins, DT_FLOAT32, H, W)
    if out == NULL:
        return -1
    if n == 0:
        return 0
    o = <float*>out.data
    border = 1 if size != 5 else 2
    if metric == DIST_L2 and size == 0:
        mem = work(f, 0, align64(n) + align64(n * sizeof(double))
                   + 3 * align64((W + 2) * sizeof(double)))
    else:
        mem = work(f, 0, align64(n) + align64((H + 2 * border) * (W + 2 * border)
                                              * sizeof(int32_t)))
    if mem == NULL:
        return -1
    nz = <uint8_t*>mem
    nonzero_u8(im.data, im.dtype, n, nz)
    for i in range(n):
        if not nz[i]:
            any_zero = True
            break
    if not any_zero:
        for i in range(n):
            o[i] = INFINITY
        return 0
    if metric == DIST_L2 and size == 0:
        exact_l2(nz, H, W, <double*>(mem + align64(n)),
                 <double*>(mem + align64(n) + align64(n * sizeof(double))),
                 <double*>(mem + align64(n) + align64(n * sizeof(double))
                           + align64((W + 2) * sizeof(double))),
                 <Py_ssize_t*>(mem + align64(n) + align64(n * sizeof(double))
                               + 2 * align64((W + 2) * sizeof(double))), o)
        return 0
    if metric == DIST_C:
        a = 1.0; b = 1.0; c = 0
    elif metric == DIST_L1:
        a = 1.0; b = 2.0; c = 0
    elif size == 3:
        a = 0.955; b = 1.3693; c = 0
    else:
        a = 1.0; b = 1.4; c = 2.1969
    chamfer(nz, H, W, border, <int32_t>rint(a * 65536.0), <int32_t>rint(b * 65536.0),
            <int32_t>rint(c * 65536.0), <int32_t*>(mem + align64(n)), o)
    return 0


# ============================================================== connected components

cdef inline int32_t uf_find(int32_t* parent, int32_t a) noexcept nogil:
    cdef int32_t r = a, t
    while parent[r] != r:
        r = parent[r]
    while parent[a] != r:
        t = parent[a]
        parent[a] = r
        a = t
    return r


cdef inline int32_t uf_union(int32_t* parent, int32_t a, int32_t b) noexcept nogil:
    """Merge the sets of ``a`` and ``b``; the smaller root stays the root."""
    a = uf_find(parent, a)
    b = uf_find(parent, b)
    if a < b:
        parent[b] = a
        return a
    if b < a:
        parent[a] = b
    return b


cdef inline bint has_zero_byte(uint64_t v) noexcept nogil:
    # exact: a borrow can only start at a zero byte
    return ((v - <uint64_t>0x0101010101010101) & ~v & <uint64_t>0x8080808080808080) != 0


cdef Py_ssize_t row_runs(const uint8_t* p, Py_ssize_t W, int32_t* rs, int32_t* re) noexcept nogil:
    """The runs of non-zero bytes of a row as [rs[k], re[k]); their count.
    Zeros and non-zeros are skipped eight bytes at a time."""
    cdef Py_ssize_t x = 0, k = 0, s
    while True:
        while x + 8 <= W and load_u64(p + x) == 0:
            x += 8
        while x < W and p[x] == 0:
            x += 1
        if x >= W:
            return k
        s = x
        while x + 8 <= W and not has_zero_byte(load_u64(p + x)):
            x += 8
        while x < W and p[x] != 0:
            x += 1
        rs[k] = <int32_t>s
        re[k] = <int32_t>x
        k += 1


cdef int k_connected_components(Frame* f, const Instr* ins) noexcept nogil:
    """Input: mask.  iparams: connectivity (4 or 8).

    Run-based two-pass labelling: each run of foreground pixels of a row takes
    the label of the first run it touches in the row above, or a new one
    (labels in raster order), and is merged with the others it touches
    (union-find, the smaller label stays the root).  The final labels are
    then numbered in OpenCV's order and painted run by run."""
    cdef ImageView im
    cdef int conn = <int>iparam(f, ins, 0)
    cdef Py_ssize_t H, W, n, y, x, i, j, k, a, b, maxruns
    cdef Py_ssize_t reach = 1 if conn == 8 else 0   # how far a diagonal reaches
    cdef const uint8_t* nz
    cdef uint8_t* nzbuf
    cdef int32_t* parent
    cdef int32_t* final
    cdef int32_t* rs
    cdef int32_t* re
    cdef int32_t* rl
    cdef int32_t* row0          # index of each row's first run; row0[H] = total
    cdef int32_t* o
    cdef int32_t next_label = 1, l, r, count, v
    cdef char* mem
    cdef Value* out
    if as_plane(f, arg(f, ins, 0), &im, "the mask") < 0:
        return -1
    H = im.height
    W = im.width
    n = H * W
    out = new_plane(f, ins, DT_INT32, H, W)
    if out == NULL:
        return -1
    if n == 0:
        return 0
    if n >= 2147483647:
        return fail(f, "ConnectedComponents: the image has too many pixels")
    maxruns = H * ((W + 1) // 2)
    mem = work(f, 0, align64(n) + 5 * align64((maxruns + 2) * sizeof(int32_t))
               + align64((H + 1) * sizeof(int32_t)))
    if mem == NULL:
        return -1
    nzbuf = <uint8_t*>mem
    rs = <int32_t*>(mem + align64(n))
    re = rs + align64((maxruns + 2) * sizeof(int32_t)) // 4
    rl = re + align64((maxruns + 2) * sizeof(int32_t)) // 4
    parent = rl + align64((maxruns + 2) * sizeof(int32_t)) // 4
    final = parent + align64((maxruns + 2) * sizeof(int32_t)) // 4
    row0 = final + align64((maxruns + 2) * sizeof(int32_t)) // 4
    if im.dtype == DT_UINT8:
        nz = <const uint8_t*>im.data
    else:
        nonzero_u8(im.data, im.dtype, n, nzbuf)
        nz = nzbuf
    parent[0] = 0
    k = 0
    for y in range(H):
        row0[y] = <int32_t>k
        k += row_runs(nz + y * W, W, rs + k, re + k)
        # runs of the row above touching [rs - reach, re + reach)
        j = row0[y - 1] if y > 0 else 0
        for i in range(row0[y], k):
            l = 0
            if y > 0:
                while j < row0[y] and re[j] + reach <= rs[i]:
                    j += 1
                a = j
                while a < row0[y] and rs[a] < re[i] + reach:
                    l = rl[a] if l == 0 else uf_union(parent, l, rl[a])
                    a += 1
            if l == 0:
                l = next_label
                parent[l] = l
                next_label += 1
            rl[i] = l
    row0[H] = <int32_t>k
    # flatten: parents are never larger than their children (the smaller
    # root wins), so one increasing pass makes every parent a root
    for l in range(1, next_label):
        parent[l] = parent[parent[l]]
        final[l] = 0
    final[0] = 0
    count = 0
    if conn == 4:
        # first pixel in raster order == smallest provisional label
        for l in range(1, next_label):
            if parent[l] == l:
                count += 1
                final[l] = count
    else:
        # OpenCV numbers by the first 2x2 block (block rows of two pixel
        # rows, raster order) holding a pixel of the component: the runs of
        # both rows merged by start column give that order, because the
        # pixels of one 2x2 block are all 8-connected
        y = 0
        while y < H:
            a = row0[y]
            b = row0[y + 1]
            i = b
            j = row0[y + 2] if y + 1 < H else b
            while a < b or i < j:
                if i >= j or (a < b and rs[a] <= rs[i]):
                    r = parent[rl[a]]
                    a += 1
                else:
                    r = parent[rl[i]]
                    i += 1
                if final[r] == 0:
                    count += 1
                    final[r] = count
            y += 2
    # paint the runs
    o = <int32_t*>out.data
    memset(o, 0, n * sizeof(int32_t))
    for y in range(H):
        for i in range(row0[y], row0[y + 1]):
            v = final[parent[rl[i]]]
            for x in range(rs[i], re[i]):
                o[y * W + x] = v
    return 0


# ============================================================== moments

ctypedef fused mpix_t:
    uint8_t
    int16_t
    uint16_t
    float


cdef void row_sums_t(const mpix_t* row, Py_ssize_t W, bint binary, double* s) noexcept nogil:
    """``s = (sum p, sum x p, sum x^2 p, sum x^3 p)`` over one row, with two
    independent accumulator sets to shorten the dependency chains."""
    cdef Py_ssize_t x = 0
    cdef double p, q, xd = 0, xp, xq
    cdef double a0 = 0, a1 = 0, a2 = 0, a3 = 0
    cdef double b0 = 0, b1 = 0, b2 = 0, b3 = 0
    while x + 1 < W:
        p = <double>row[x]
        q = <double>row[x + 1]
        if binary:
            p = 1.0 if p != 0 else 0.0
            q = 1.0 if q != 0 else 0.0
        a0 += p
        b0 += q
        xp = xd * p
        xq = (xd + 1) * q
        a1 += xp
        b1 += xq
        xp = xp * xd
        xq = xq * (xd + 1)
        a2 += xp
        b2 += xq
        a3 += xp * xd
        b3 += xq * (xd + 1)
        xd += 2
        x += 2
    if x < W:
        p = <double>row[x]
        if binary:
            p = 1.0 if p != 0 else 0.0
        a0 += p
        xp = xd * p
        a1 += xp
        xp = xp * xd
        a2 += xp
        a3 += xp * xd
    s[0] = a0 + b0
    s[1] = a1 + b1
    s[2] = a2 + b2
    s[3] = a3 + b3


cdef enum:
    MOMENT_TILE = 32        # uint8 pixels per block of integer sums


cdef cloned_void row_sums_u8(const uint8_t* row, Py_ssize_t W, bint binary,
                             double* s) noexcept nogil:
    """``row_sums_t`` for uint8, as OpenCV does: exact int32 sums of
    ``p, x p, x^2 p, x^3 p`` over blocks of 32 pixels (x from the block's
    start: they cannot overflow, and integer sums vectorise), moved to the
    row's origin in double with the binomial expansion."""
    cdef Py_ssize_t x0 = 0, j, m
    cdef int32_t p, b0, b1, b2, b3
    cdef double d0, a0 = 0, a1 = 0, a2 = 0, a3 = 0
    while x0 < W:
        m = W - x0 if W - x0 < MOMENT_TILE else MOMENT_TILE
        b0 = 0; b1 = 0; b2 = 0; b3 = 0
        for j in range(m):
            p = row[x0 + j]
            if binary:
                p = p != 0
            b0 += p
            b1 += <int32_t>j * p
            b2 += <int32_t>(j * j) * p
            b3 += <int32_t>(j * j * j) * p
        d0 = <double>x0
        a0 += b0
        a1 += d0 * b0 + b1
        a2 += d0 * d0 * b0 + 2 * d0 * b1 + b2
        a3 += d0 * d0 * d0 * b0 + 3 * d0 * d0 * b1 + 3 * d0 * b2 + b3
        x0 += m
    s[0] = a0
    s[1] = a1
    s[2] = a2
    s[3] = a3


cdef void row_sums(const char* row, int dtype, Py_ssize_t W, bint binary,
                   double* s) noexcept nogil:
    if dtype == DT_UINT8:
        row_sums_u8(<const uint8_t*>row, W, binary, s)
    elif dtype == DT_UINT16:
        row_sums_t(<const uint16_t*>row, W, binary, s)
    elif dtype == DT_INT16:
        row_sums_t(<const int16_t*>row, W, binary, s)
    else:
        row_sums_t(<const float*>row, W, binary, s)


cdef int k_moments(Frame* f, const Instr* ins) noexcept nogil:
    """Input: image (one channel).  iparams: binary."""
    cdef ImageView im
    cdef bint binary = iparam(f, ins, 0) != 0
    cdef Py_ssize_t H, W, y
    cdef double s[4]
    cdef double m[10]
    cdef double yd, sy, cx = 0, cy = 0, inv_m00 = 0, inv_sqrt, s2, s3
    cdef double mu20, mu11, mu02, mu30, mu21, mu12, mu03
    cdef double* o
    cdef Py_ssize_t shape[1]
    cdef Py_ssize_t isz
    cdef Value* out
    cdef int i
    if as_plane(f, arg(f, ins, 0), &im, "the Moments image") < 0:
        return -1
    H = im.height
    W = im.width
    shape[0] = 24
    out = new_tensor(f, ins, DT_FLOAT64, 1, shape)
    if out == NULL:
        return -1
    o = <double*>out.data
    for i in range(10):
        m[i] = 0
    isz = itemsize(im.dtype)
    for y in range(H):
        row_sums(im.data + y * W * isz, im.dtype, W, binary, s)
        yd = <double>y
        sy = yd * yd
        m[0] += s[0]              # m00
        m[1] += s[1]              # m10
        m[2] += yd * s[0]         # m01
        m[3] += s[2]              # m20
        m[4] += yd * s[1]         # m11
        m[5] += sy * s[0]         # m02
        m[6] += s[3]              # m30
        m[7] += yd * s[2]         # m21
        m[8] += sy * s[1]         # m12
        m[9] += sy * yd * s[0]    # m03
    # cv::Moments(m00, ..., m03)
    if fabs(m[0]) > 2.220446049250313e-16:
        inv_m00 = 1.0 / m[0]
        cx = m[1] * inv_m00
        cy = m[2] * inv_m00
    mu20 = m[3] - m[1] * cx
    mu11 = m[4] - m[1] * cy
    mu02 = m[5] - m[2] * cy
    mu30 = m[6] - cx * (3 * mu20 + cx * m[1])
    mu21 = m[7] - cx * (2 * mu11 + cx * m[2]) - cy * mu20
    mu12 = m[8] - cy * (2 * mu11 + cy * m[1]) - cx * mu02
    mu03 = m[9] - cy * (3 * mu02 + cy * m[2])
    inv_sqrt = sqrt(fabs(inv_m00))
    s2 = inv_m00 * inv_m00
    s3 = s2 * inv_sqrt
    for i in range(10):
        o[i] = m[i]
    o[10] = mu20; o[11] = mu11; o[12] = mu02; o[13] = mu30
    o[14] = mu21; o[15] = mu12; o[16] = mu03
    o[17] = mu20 * s2; o[18] = mu11 * s2; o[19] = mu02 * s2
    o[20] = mu30 * s3; o[21] = mu21 * s3; o[22] = mu12 * s3; o[23] = mu03 * s3
    return 0


# ============================================================== bounding box

cdef Py_ssize_t first_nz(const uint8_t* p, Py_ssize_t n, bint fl) noexcept nogil:
    """Index of the first non-zero element among ``n`` (bytes, or float32
    when ``fl``: -0.0 counts as zero, NaN as non-zero), or ``n``."""
    cdef Py_ssize_t i = 0, nb = n * 4 if fl else n
    # words of 8 bytes, four at a time, stop at the first non-zero block;
    # a float is non-zero exactly when its bits without the sign bit are
    cdef uint64_t m = 0x7FFFFFFF7FFFFFFF if fl else 0xFFFFFFFFFFFFFFFF
    cdef const uint32_t* w32 = <const uint32_t*>p
    while i + 32 <= nb:
        if ((load_u64(p + i) | load_u64(p + i + 8) | load_u64(p + i + 16)
             | load_u64(p + i + 24)) & m) != 0:
            break
        i += 32
    if fl:
        i >>= 2
        while i < n and (w32[i] & 0x7FFFFFFF) == 0:
            i += 1
        return i
    while i < n and p[i] == 0:
        i += 1
    return i


cdef Py_ssize_t last_nz(const uint8_t* p, Py_ssize_t n, bint fl) noexcept nogil:
    """Index of the last non-zero element among ``n`` (as ``first_nz``), or -1."""
    cdef Py_ssize_t i = n * 4 if fl else n       # bytes still to test
    cdef uint64_t m = 0x7FFFFFFF7FFFFFFF if fl else 0xFFFFFFFFFFFFFFFF
    cdef const uint32_t* w32 = <const uint32_t*>p
    while i >= 32:
        if ((load_u64(p + i - 8) | load_u64(p + i - 16) | load_u64(p + i - 24)
             | load_u64(p + i - 32)) & m) != 0:
            break
        i -= 32
    if fl:
        i = (i >> 2) - 1
        while i >= 0 and (w32[i] & 0x7FFFFFFF) == 0:
            i -= 1
        return i
    i -= 1
    while i >= 0 and p[i] == 0:
        i -= 1
    return i


cdef int k_mask_bounding_box(Frame* f, const Instr* ins) noexcept nogil:
    """Input: mask -> float32 (x0, y0, x1, y1); zeros for an empty mask.

    Finds the first and the last non-empty rows from either end, then tests
    in each row between them only the columns outside the box found so far,
    so that a mask is read once at most and mostly much less."""
    cdef ImageView im
    cdef Py_ssize_t H, W, y, y0, y1, x0, x1, k = 0
    cdef Py_ssize_t esz, psz, ne, pe
    cdef bint fl
    cdef Py_ssize_t shape[1]
    cdef const uint8_t* row
    cdef float* o
    cdef Value* out
    if as_image(f, arg(f, ins, 0), &im) < 0:
        return -1
    shape[0] = 4
    out = new_tensor(f, ins, DT_FLOAT32, 1, shape)
    if out == NULL:
        return -1
    o = <float*>out.data
    o[0] = 0; o[1] = 0; o[2] = 0; o[3] = 0
    H = im.height
    W = im.width
    fl = im.dtype == DT_FLOAT32
    # elements: float32 values, or bytes (an integer is non-zero exactly when
    # one of its bytes is); ``pe`` of them per pixel, ``ne`` per row
    esz = 4 if fl else 1
    pe = im.channels * itemsize(im.dtype) // esz
    ne = W * pe
    psz = pe * esz
    y0 = 0
    while y0 < H:
        k = first_nz(<const uint8_t*>im.data + y0 * ne * esz, ne, fl)
        if k < ne:
            break
        y0 += 1
    if y0 == H:
        return 0
    row = <const uint8_t*>im.data + y0 * ne * esz
    x0 = k // pe
    x1 = last_nz(row, ne, fl) // pe
    y1 = H - 1
    while y1 > y0:
        row = <const uint8_t*>im.data + y1 * ne * esz
        k = first_nz(row, ne, fl)
        if k < ne:
            x0 = x0 if x0 < k // pe else k // pe
            k = last_nz(row, ne, fl) // pe
            x1 = x1 if x1 > k else k
            break
        y1 -= 1
    for y in range(y0 + 1, y1):
        row = <const uint8_t*>im.data + y * ne * esz
        if x0 > 0:
            k = first_nz(row, x0 * pe, fl)
            if k < x0 * pe:
                x0 = k // pe
        if x1 < W - 1:
            k = last_nz(row + (x1 + 1) * psz, (W - 1 - x1) * pe, fl)
            if k >= 0:
                x1 += 1 + k // pe
    o[0] = <float>x0; o[1] = <float>y0; o[2] = <float>(x1 + 1); o[3] = <float>(y1 + 1)
    return 0


KERNELS = {
    "canny": <uintptr_t>k_canny,
    "distance_transform": <uintptr_t>k_distance_transform,
    "connected_components": <uintptr_t>k_connected_components,
    "moments": <uintptr_t>k_moments,
    "mask_bounding_box": <uintptr_t>k_mask_bounding_box,
}
