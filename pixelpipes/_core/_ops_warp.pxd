# Engines of _ops_warp.pyx shared with other kernel modules (cimport them from
# here).  See the docstrings in _ops_warp.pyx for the full contract.
from pixelpipes._core._kernel cimport Frame, Value


# The warp engine: the contiguous ``dh x dw x cn`` output ``dst`` samples the
# ``sh x sw x cn`` source window at ``src`` (element type ``dtype``, a DT_*
# code; rows ``sstep`` ELEMENTS apart) at ``inv . (x, y, 1)`` (dst -> src; the
# perspective divide when ``perspective``).  ``interp`` is an INTERP_* code
# (area counts as linear), ``border`` a BORDER_* code applied relative to the
# window, ``value`` the 4 border values.  Uses scratch slot 0 only.  Returns
# 0, or -1 with f.error set.
cdef int warp_window(Frame* f, const char* src, Py_ssize_t sstep, Py_ssize_t sh,
                     Py_ssize_t sw, Py_ssize_t cn, int dtype, char* dst, Py_ssize_t dh,
                     Py_ssize_t dw, const double* inv, bint perspective, int interp,
                     int border, const double* value) noexcept nogil


# Matrices: a 3 x 3 (or 2 x 3) numeric tensor into ``m`` (fails on NaN), the
# inverse of its affine part or of the whole matrix (fail when singular), and
# Rotate's source -> destination matrix and output size for an ``h x w`` image.
cdef int read_matrix(Frame* f, Value* v, double* m) noexcept nogil
cdef int invert_affine(Frame* f, const double* m, double* r) noexcept nogil
cdef int invert_3x3(Frame* f, const double* m, double* r) noexcept nogil
cdef int rotation_matrix(Frame* f, Value* va, Py_ssize_t h, Py_ssize_t w, bint expand,
                         double* m, Py_ssize_t* out_h, Py_ssize_t* out_w) noexcept nogil
