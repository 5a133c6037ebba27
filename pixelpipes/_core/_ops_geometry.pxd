# Engines of _ops_geometry.pyx shared with other kernel modules (cimport them
# from here).  See the docstrings in _ops_geometry.pyx for the full contract.
from pixelpipes._core._kernel cimport Frame, Value
from pixelpipes._core._image cimport ImageView


# Separable K-tap resampling (K in 1, 2, 4, 8) from caller-made tap tables.
# ``src`` is pixel (0, 0) of an ``sh x sw x cn`` source of element type
# ``dtype`` (DT_* code) whose rows are ``sstep`` ELEMENTS apart (a window of
# a larger image may be passed); ``dst`` is a contiguous ``dh x dw x cn``
# output.  ``xofs[d*K + k]`` is the source column (0 <= x < sw, not times cn)
# of tap k of output column d and ``wx[d*K + k]`` its weight; ``yofs`` / ``wy``
# likewise for rows (0 <= y < sh).  The tables may be in any order
# (decreasing for a flipped output, repeated entries, permutations): results
# are exact for any order, and fast for monotone tables in either direction.
# uint8 rounds the weights to Q11 (OpenCV's resize arithmetic).  Uses scratch
# slots 0 and 1 only.  Returns 0, or -1 with f.error set.
cdef int resample_separable(Frame* f, const char* src, Py_ssize_t sstep, Py_ssize_t sh,
                            Py_ssize_t sw, Py_ssize_t cn, int dtype, char* dst,
                            Py_ssize_t dh, Py_ssize_t dw, const Py_ssize_t* xofs,
                            const double* wx, const Py_ssize_t* yofs, const double* wy,
                            int K) noexcept nogil


# Scalar parameters: an integer coordinate (float scalars rounded half to
# even; NaN, infinities and |v| > 2**40 fail), a size (> 0), a finite number;
# and the output-size check (non-empty, at most 2**31 pixels).  ``what``
# names the parameter in the error message.
cdef int get_coord(Frame* f, Value* v, const char* what, Py_ssize_t* out) noexcept nogil
cdef int get_size(Frame* f, Value* v, const char* what, Py_ssize_t* out) noexcept nogil
cdef int get_number(Frame* f, Value* v, const char* what, double* out) noexcept nogil
cdef int check_out_size(Frame* f, Py_ssize_t h, Py_ssize_t w) noexcept nogil

# Resize: OpenCV's tap positions and weights along one axis, and the output
# size / inv_scale of the Resize (mode 0) and Scale (mode 1) nodes.
cdef int axis_table(Frame* f, Py_ssize_t ssize, Py_ssize_t dsize, double scale,
                    double inv_scale, int taps, bint area_mode, Py_ssize_t* ofs,
                    double* w) noexcept nogil
cdef int resize_size(Frame* f, int mode, Value* a, Value* b, Py_ssize_t height,
                     Py_ssize_t width, Py_ssize_t* dh, Py_ssize_t* dw, double* fy,
                     double* fx) noexcept nogil

# The window a SafeCrop (mode 0), Pad (1) or CenterCrop (2) reads.
cdef int pad_window(Frame* f, int mode, Value* a, Value* b, Value* c, Value* d,
                    Py_ssize_t h, Py_ssize_t w, Py_ssize_t* y0, Py_ssize_t* x0,
                    Py_ssize_t* oh, Py_ssize_t* ow) noexcept nogil

# The pixel whose channels are ``value[c]``, rounded and saturated to the
# image's element type (a border constant).
cdef void constant_pixel(const ImageView* im, const double* value, char* out) noexcept nogil
