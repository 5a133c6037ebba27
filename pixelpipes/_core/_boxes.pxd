# Random boxes drawn by more than one kernel (cimport them from here), so
# that every kernel that draws one draws the same box from the same stream.

from pixelpipes._core._random cimport (
    Rng, rng_uniform, rng_below, det_log, det_exp, round_even,
)
from libc.math cimport sqrt
from libc.stdint cimport uint64_t


cdef inline void rrc_box(Rng* r, Py_ssize_t H, Py_ssize_t W, double s0, double s1,
                         double r0, double r1, Py_ssize_t* top, Py_ssize_t* left,
                         Py_ssize_t* h, Py_ssize_t* w) noexcept nogil:
    """torchvision's ``RandomResizedCrop.get_params`` for an ``H x W`` image
    (both > 0), area fractions ``[s0, s1]`` and aspect ratios ``[r0, r1]``
    (finite, ``0 < s0 <= s1``, ``0 < r0 <= r1``; the caller checks).

    Up to 10 attempts: area fraction ``s ~ U(scale)``, log aspect ``l ~
    U(log ratio)``, ``w = round(sqrt(A s e^l))``, ``h = round(sqrt(A s /
    e^l))`` (half to even); accepted when ``0 < w <= W`` and ``0 < h <= H``,
    then ``top ~ U{0..H-h}``, ``left ~ U{0..W-w}``.  Otherwise the centre
    crop of the whole image clamped to the ratio range."""
    cdef double area = <double>H * W, l0 = det_log(r0), l1 = det_log(r1)
    cdef double target, aspect, wf, hf, in_ratio
    cdef Py_ssize_t bh, bw
    cdef int attempt
    for attempt in range(10):
        target = area * (s0 + (s1 - s0) * rng_uniform(r))
        aspect = det_exp(l0 + (l1 - l0) * rng_uniform(r))
        wf = sqrt(target * aspect)
        hf = sqrt(target / aspect)
        if not (wf < 2.0 * W + 1 and hf < 2.0 * H + 1):
            continue            # far too large (also keeps the rounding valid)
        bw = <Py_ssize_t>round_even(wf)
        bh = <Py_ssize_t>round_even(hf)
        if 0 < bw <= W and 0 < bh <= H:
            top[0] = <Py_ssize_t>rng_below(r, <uint64_t>(H - bh + 1))
            left[0] = <Py_ssize_t>rng_below(r, <uint64_t>(W - bw + 1))
            h[0] = bh
            w[0] = bw
            return
    in_ratio = <double>W / <double>H
    if in_ratio < r0:
        bw = W
        bh = <Py_ssize_t>round_even(bw / r0)
    elif in_ratio > r1:
        bh = H
        bw = <Py_ssize_t>round_even(bh * r1)
    else:
        bw = W
        bh = H
    if bh < 1:
        bh = 1
    if bw < 1:
        bw = 1
    top[0] = (H - bh) // 2
    left[0] = (W - bw) // 2
    h[0] = bh
    w[0] = bw
