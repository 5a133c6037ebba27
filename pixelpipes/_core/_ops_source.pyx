"""Kernels of the image sources (node classes in ``pixelpipes/image/sources.py``).

``source_read_file`` reads a file's bytes with C stdio and never touches the
GIL.

``source_decode_image`` and ``source_load_image`` decode plain 8-bit JPEGs
through simplejpeg (libjpeg-turbo's TurboJPEG API: the bytes OpenCV gives,
written straight into the output slot; ``jpeg_plain`` says which) and
everything else through OpenCV.  Both are reachable from here only through
their Python modules (pixelpipes links against neither library), so these
kernels take the GIL -- for the decoder call and for the cache lookup, and
as few times as possible, since a thread running Python code elsewhere can
make each acquisition wait.  Both decoders release the GIL while they
decode, so threads still decode in parallel.  ``source_decode_rrc`` is the
compiler's fusion of a decode with the random resized crop after it
(``pixelpipes/image/decode_crop.py``).  Opening, statting and
reading the file run before the GIL is taken; the copy of the decoded pixels
into the output slot (with the BGR -> RGB swap and any depth conversion) runs
with the GIL held for small images and releases it for large ones.  Every
Python exception is caught and turned into the kernel's error message:
nothing propagates out of a kernel.

The cache
---------
A process-wide LRU cache of decoded images, bounded in bytes (512 MiB by
default; 0 turns it off).  Keys are ``(path, file size, modification time,
mode, depth)``, so a file that changes on disk is decoded again.  Entries are
read-only arrays in their final form (RGB, converted depth); a hit is one
``memcpy`` into the output slot, never a reference to the cached memory.  It
is only touched with the GIL held and under its own lock; the lock is renewed
in a forked child.
"""

from libc.stdint cimport uint8_t, int16_t, uint16_t, int64_t, uintptr_t
from libc.string cimport memcpy, memchr, memcmp, strerror
from libc.errno cimport errno
from libc.stdio cimport FILE, fopen, fclose, fread, ferror
from libc.math cimport floor

from pixelpipes._core._kernel cimport (
    Frame, Instr, Value, KIND_TENSOR, KIND_STRING, DT_UINT8, DT_INT16, DT_UINT16,
    DT_FLOAT32, ERROR_SIZE, MAX_TENSOR_BYTES, arg, iparam, fparam,
    output, new_tensor, scratch, itemsize, fail, snprintf,
)
from pixelpipes._core._random cimport Rng, rng_init
from pixelpipes._core._boxes cimport rrc_box
from pixelpipes._core._ops_geometry cimport (
    resample_separable, axis_table, get_size, check_out_size,
)

import collections
import os
import threading

import numpy as np

cdef extern from *:
    """
    #include <stdio.h>
    #include <sys/types.h>
    #include <sys/stat.h>
    #ifdef _WIN32
    typedef struct __stat64 pp_stat_t;
    #define pp_fstat _fstat64
    #define pp_fileno _fileno
    #else
    typedef struct stat pp_stat_t;
    #define pp_fstat fstat
    #define pp_fileno fileno
    #endif
    #ifndef S_ISDIR
    #define S_ISDIR(m) (((m) & S_IFMT) == S_IFDIR)
    #endif
    #ifndef S_ISREG
    #define S_ISREG(m) (((m) & S_IFMT) == S_IFREG)
    #endif

    typedef struct {
        long long size;
        long long mtime_ns;
        int kind;           /* 0 regular file, 1 directory, 2 something else */
    } pp_file_info;

    /* Size, modification time and kind of an open file; -1 with errno set. */
    static int pp_stat_file(FILE* fp, pp_file_info* out) {
        pp_stat_t st;
        if (pp_fstat(pp_fileno(fp), &st) != 0)
            return -1;
        out->size = (long long)st.st_size;
    #if defined(__APPLE__)
        out->mtime_ns = (long long)st.st_mtimespec.tv_sec * 1000000000LL + st.st_mtimespec.tv_nsec;
    #elif defined(_WIN32)
        out->mtime_ns = (long long)st.st_mtime * 1000000000LL;
    #else
        out->mtime_ns = (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
    #endif
        out->kind = S_ISREG(st.st_mode) ? 0 : (S_ISDIR(st.st_mode) ? 1 : 2);
        return 0;
    }
    """
    ctypedef struct pp_file_info:
        long long size
        long long mtime_ns
        int kind
    int pp_stat_file(FILE* fp, pp_file_info* out) nogil


# Numbering shared with pixelpipes/image/sources.py (MODES, DEPTHS).
cdef enum Mode:
    MODE_COLOR = 0        # H x W x 3, RGB
    MODE_GRAY = 1         # H x W
    MODE_UNCHANGED = 2    # H x W x C as stored (C = 1, 3 or 4; RGB / RGBA)

cdef enum Depth:
    DEPTH_ANY = 0         # as stored: uint8, uint16, int16 or float32
    DEPTH_UINT8 = 1
    DEPTH_UINT16 = 2

cdef enum:
    PATH_SHOWN = 200      # longest path quoted whole in an error message
    PATH_HEAD = 60

# Files larger than this are not decoded (cv2.imdecode takes an int size).
cdef Py_ssize_t MAX_IMAGE_FILE = 2147483647
# Copies of at least this many bytes made while holding the GIL release it.
cdef size_t RELEASE_GIL_BYTES = 1 << 20
# Whether the cache is on: read without the GIL by ``source_load_image`` to
# skip the lookup when it is off (only a hint: the lookup checks again).
cdef bint cache_on = True

ctypedef fused elem_t:
    uint8_t
    uint16_t
    int16_t
    float


# ---------------------------------------------------------------- helpers

cdef const char* shown_path(char* buf, const char* path, Py_ssize_t n) noexcept nogil:
    """``path`` for an error message: whole, or its head and tail around
    "..." when longer than PATH_SHOWN bytes (``buf`` holds PATH_SHOWN + 1)."""
    cdef Py_ssize_t tail = PATH_SHOWN - PATH_HEAD - 3
    if n <= PATH_SHOWN:
        return path
    memcpy(buf, path, PATH_HEAD)
    memcpy(buf + PATH_HEAD, b"...", 3)
    memcpy(buf + PATH_HEAD + 3, path + n - tail, tail)
    buf[PATH_SHOWN] = 0
    return buf


cdef void* fail_null_path(Frame* f, const char* message) noexcept nogil:
    fail(f, message)
    return NULL


cdef const char* get_path(Frame* f, Value* v, Py_ssize_t* n) noexcept nogil:
    """The path held by a string input, NUL-terminated in scratch 0."""
    cdef char* p
    if v.kind != KIND_STRING:
        return <const char*>fail_null_path(f, "the path must be a string")
    if v.length == 0:
        return <const char*>fail_null_path(f, "the path is an empty string")
    if memchr(v.data, 0, v.length) != NULL:
        return <const char*>fail_null_path(f, "the path contains a NUL character")
    p = scratch(f, 0, v.length + 1)
    if p == NULL:
        return NULL
    memcpy(p, v.data, v.length)
    p[v.length] = 0
    n[0] = v.length
    return p


cdef FILE* open_file(Frame* f, const char* path, Py_ssize_t n,
                     pp_file_info* info) noexcept nogil:
    """Open ``path`` for reading and stat it; NULL (error set) unless it is
    a readable regular file."""
    cdef char buf[PATH_SHOWN + 1]
    cdef FILE* fp = fopen(path, "rb")
    cdef int e
    cdef const char* why
    if fp == NULL:
        e = errno
        snprintf(f.error, ERROR_SIZE, "cannot open '%s': %s",
                 shown_path(buf, path, n), strerror(e))
        return NULL
    if pp_stat_file(fp, info) != 0:
        e = errno
        fclose(fp)
        snprintf(f.error, ERROR_SIZE, "cannot stat '%s': %s",
                 shown_path(buf, path, n), strerror(e))
        return NULL
    if info.kind != 0:
        fclose(fp)
        why = "is a directory" if info.kind == 1 else "not a regular file"
        snprintf(f.error, ERROR_SIZE, "cannot read '%s': %s", shown_path(buf, path, n), why)
        return NULL
    return fp


cdef int read_open_file(Frame* f, FILE* fp, char* dst, Py_ssize_t size, const char* path,
                        Py_ssize_t n, Py_ssize_t* got) noexcept nogil:
    """Read up to ``size`` bytes; ``got`` is less when the file shrank."""
    cdef char buf[PATH_SHOWN + 1]
    cdef size_t k = fread(dst, 1, <size_t>size, fp) if size > 0 else 0
    cdef int e
    if k < <size_t>size and ferror(fp):
        e = errno
        snprintf(f.error, ERROR_SIZE, "cannot read '%s': %s",
                 shown_path(buf, path, n), strerror(e))
        return -1
    got[0] = <Py_ssize_t>k
    return 0


cdef bint jpeg_truncated(const uint8_t* d, Py_ssize_t n) noexcept nogil:
    """True for JPEG data whose last start-of-scan marker (FF DA) has no
    end-of-image marker (FF D9) after it: a file cut short.  Inside
    entropy-coded data FF is always followed by 00 or a restart marker, so
    neither marker occurs there; an EXIF thumbnail's EOI comes before the
    main image's scans and does not hide a truncation.  (libjpeg decodes such
    a file with a warning and grey fill; OpenCV 5 refuses it.  This makes
    every OpenCV version refuse it.)"""
    cdef Py_ssize_t i
    if n < 4 or d[0] != 0xFF or d[1] != 0xD8 or d[2] != 0xFF:
        return False
    i = n - 2
    while i >= 2:
        if d[i] == 0xFF:
            if d[i + 1] == 0xD9:
                return False
            if d[i + 1] == 0xDA:
                return True
        i -= 1
    return False    # no scan at all: the decoder will refuse it


cdef void copy_swap(const elem_t* s, elem_t* d, Py_ssize_t npix, Py_ssize_t ch) noexcept nogil:
    """Copy BGR / BGRA pixels as RGB / RGBA."""
    cdef Py_ssize_t i
    if ch == 3:
        for i in range(npix):
            d[0] = s[2]
            d[1] = s[1]
            d[2] = s[0]
            s += 3
            d += 3
    else:
        for i in range(npix):
            d[0] = s[2]
            d[1] = s[1]
            d[2] = s[0]
            d[3] = s[3]
            s += 4
            d += 4


cdef void u16_to_u8(const uint16_t* s, uint8_t* d, Py_ssize_t npix, Py_ssize_t ch,
                    bint swap) noexcept nogil:
    """round(x / 257): the uint16 range onto the uint8 range."""
    cdef Py_ssize_t i, c
    cdef Py_ssize_t order[4]
    order[0] = 2 if swap else 0
    order[1] = 1
    order[2] = 0 if swap else 2
    order[3] = 3
    if ch < 3:
        order[0] = 0
    for i in range(npix):
        for c in range(ch):
            d[c] = <uint8_t>((<unsigned int>s[order[c]] + 128) / 257)
        s += ch
        d += ch


cdef void u8_to_u16(const uint8_t* s, uint16_t* d, Py_ssize_t npix, Py_ssize_t ch,
                    bint swap) noexcept nogil:
    """x * 257: the uint8 range onto the uint16 range (exact inverse of
    u16_to_u8)."""
    cdef Py_ssize_t i, c
    cdef Py_ssize_t order[4]
    order[0] = 2 if swap else 0
    order[1] = 1
    order[2] = 0 if swap else 2
    order[3] = 3
    if ch < 3:
        order[0] = 0
    for i in range(npix):
        for c in range(ch):
            d[c] = <uint16_t>(<unsigned int>s[order[c]] * 257)
        s += ch
        d += ch


# ---------------------------------------------------------------- the cache

cdef class ImageCache:
    """LRU cache of decoded images bounded in bytes (see the module notes).

    Parameters
    ----------
    max_bytes : int
        Bound on the bytes of the cached images; 0 disables the cache.
    """
    cdef object lock
    cdef object entries
    cdef readonly Py_ssize_t max_bytes
    cdef readonly Py_ssize_t nbytes
    cdef readonly Py_ssize_t hits
    cdef readonly Py_ssize_t misses
    cdef readonly Py_ssize_t evictions

    def __init__(self, Py_ssize_t max_bytes):
        self.lock = threading.Lock()
        self.entries = collections.OrderedDict()
        self.max_bytes = max(0, max_bytes)

    cdef object get(self, object key):
        cdef object arr
        with self.lock:
            arr = self.entries.get(key)
            if arr is None:
                self.misses += 1
                return None
            self.entries.move_to_end(key)
            self.hits += 1
            return arr

    cdef void put(self, object key, object arr):
        cdef Py_ssize_t n = arr.nbytes
        cdef object old
        with self.lock:
            if n > self.max_bytes:
                return
            old = self.entries.pop(key, None)
            if old is not None:
                self.nbytes -= old.nbytes
            self._shrink(self.max_bytes - n)
            self.entries[key] = arr
            self.nbytes += n

    cdef void _shrink(self, Py_ssize_t limit):
        cdef object old
        while self.nbytes > limit and self.entries:
            old = self.entries.popitem(last=False)[1]
            self.nbytes -= old.nbytes
            self.evictions += 1

    def set_max_bytes(self, Py_ssize_t max_bytes):
        """Set the bound (0 disables the cache), evicting as needed."""
        global cache_on
        with self.lock:
            self.max_bytes = max(0, max_bytes)
            self._shrink(self.max_bytes)
            if self is _cache:
                cache_on = self.max_bytes > 0

    def clear(self):
        """Drop every entry and reset the counters."""
        with self.lock:
            self.entries.clear()
            self.nbytes = self.hits = self.misses = self.evictions = 0

    def info(self):
        """Counters and sizes, as a dict."""
        with self.lock:
            return {"hits": self.hits, "misses": self.misses, "evictions": self.evictions,
                    "entries": len(self.entries), "bytes": self.nbytes,
                    "max_bytes": self.max_bytes}

    def _renew_lock(self):
        self.lock = threading.Lock()


cdef inline Py_ssize_t be16(const uint8_t* p) noexcept nogil:
    return (<Py_ssize_t>p[0] << 8) | p[1]


cdef inline Py_ssize_t tiff16(const uint8_t* p, bint little) noexcept nogil:
    return ((<Py_ssize_t>p[1] << 8) | p[0]) if little else be16(p)


cdef inline Py_ssize_t tiff32(const uint8_t* p, bint little) noexcept nogil:
    if little:
        return (((<Py_ssize_t>p[3] << 24) | (<Py_ssize_t>p[2] << 16))
                | ((<Py_ssize_t>p[1] << 8) | p[0]))
    return (((<Py_ssize_t>p[0] << 24) | (<Py_ssize_t>p[1] << 16))
            | ((<Py_ssize_t>p[2] << 8) | p[3]))


cdef bint exif_upright(const uint8_t* d, Py_ssize_t n) noexcept nogil:
    """Whether the APP1 payload ``d`` (``n`` bytes) leaves the image as it
    is stored: not Exif, or Exif whose first IFD has no orientation tag or
    orientation 1.  Exif it cannot read answers False."""
    cdef const uint8_t* t
    cdef Py_ssize_t tn, ifd, count, i
    cdef bint little
    if n < 6 or memcmp(d, b"Exif\0\0", 6) != 0:
        return True
    t = d + 6
    tn = n - 6
    if tn < 8 or t[0] != t[1] or (t[0] != 0x49 and t[0] != 0x4D):    # "II" / "MM"
        return False
    little = t[0] == 0x49
    if tiff16(t + 2, little) != 42:
        return False
    ifd = tiff32(t + 4, little)
    if ifd < 8 or ifd > tn - 2:
        return False
    count = tiff16(t + ifd, little)
    if count > (tn - ifd - 2) // 12:
        return False
    for i in range(count):
        if tiff16(t + ifd + 2 + 12 * i, little) == 0x0112:
            return (tiff16(t + ifd + 4 + 12 * i, little) == 3          # SHORT
                    and tiff32(t + ifd + 6 + 12 * i, little) == 1
                    and tiff16(t + ifd + 10 + 12 * i, little) == 1)
    return True


cdef bint jpeg_plain(const uint8_t* d, Py_ssize_t n, Py_ssize_t* h, Py_ssize_t* w) noexcept nogil:
    """Whether ``d`` is a JPEG that libjpeg-turbo's TurboJPEG API (through
    simplejpeg) decodes to the bytes ``cv2.imdecode`` gives: Huffman-coded
    baseline, extended or progressive, 8-bit samples, 1 or 3 components, and
    no Exif orientation but 1 (OpenCV turns the image by it).  Its size goes
    to ``h`` x ``w``.  Anything else, or a header it cannot read, answers
    False: OpenCV decodes it, as every other format."""
    cdef Py_ssize_t p = 2, seg, nc
    cdef uint8_t m
    if n < 4 or d[0] != 0xFF or d[1] != 0xD8:
        return False
    while p + 4 <= n:
        if d[p] != 0xFF:
            return False
        m = d[p + 1]
        if m == 0xFF:                    # fill byte
            p += 1
            continue
        seg = be16(d + p + 2)
        if seg < 2 or seg > n - p - 2:
            return False
        if m == 0xC0 or m == 0xC1 or m == 0xC2:        # start of frame
            if seg < 8 or d[p + 4] != 8:
                return False
            h[0] = be16(d + p + 5)
            w[0] = be16(d + p + 7)
            nc = d[p + 9]
            return h[0] > 0 and w[0] > 0 and (nc == 1 or nc == 3)
        if (0xC3 <= m <= 0xCF and m != 0xC4 and m != 0xC8 and m != 0xCC) or m == 0xDA:
            return False                 # lossless / arithmetic frames, or a scan first
        if m == 0xE1 and not exif_upright(d + p + 4, seg - 2):
            return False
        p += 2 + seg
    return False


cdef ImageCache _cache = ImageCache(512 * 1024 * 1024)
#: The process-wide cache consulted by ``source_load_image``.
CACHE = _cache
if hasattr(os, "register_at_fork"):
    # A lock held by another thread at fork time would stay held in the child.
    os.register_at_fork(after_in_child=_cache._renew_lock)

_cv2 = None


cdef object cv2_module():
    global _cv2
    if _cv2 is None:
        import cv2
        _cv2 = cv2
    return _cv2


_simplejpeg = None


cdef object simplejpeg_module():
    global _simplejpeg
    if _simplejpeg is None:
        import simplejpeg
        _simplejpeg = simplejpeg
    return _simplejpeg


# ---------------------------------------------------------------- decoding (GIL)

cdef void set_error(Frame* f, str message):
    cdef bytes b = message.encode("utf-8", "replace")[:ERROR_SIZE - 1]
    memcpy(f.error, <char*>b, len(b))
    f.error[len(b)] = 0


cdef int dtype_code(object dtype):
    if dtype == np.uint8:
        return DT_UINT8
    if dtype == np.uint16:
        return DT_UINT16
    if dtype == np.int16:
        return DT_INT16
    if dtype == np.float32:
        return DT_FLOAT32
    return -1


cdef void copy_bytes(char* dst, const char* src, size_t n):
    """memcpy called with the GIL held; large copies let it go meanwhile (a
    GIL round trip costs more than copying a small image)."""
    if n >= RELEASE_GIL_BYTES:
        with nogil:
            memcpy(dst, src, n)
    else:
        memcpy(dst, src, n)


cdef void convert_pixels(const char* src, int src_dt, char* dst, int dst_dt, Py_ssize_t npix,
                         Py_ssize_t ch, bint swap) noexcept nogil:
    """Decoded pixels into the output: BGR(A) -> RGB(A) when ``swap``, and the
    depth conversion when the types differ (uint8 <-> uint16 only)."""
    if src_dt == dst_dt and not swap:
        memcpy(dst, src, npix * ch * itemsize(dst_dt))
    elif src_dt == dst_dt:
        if dst_dt == DT_UINT8:
            copy_swap(<const uint8_t*>src, <uint8_t*>dst, npix, ch)
        elif dst_dt == DT_UINT16:
            copy_swap(<const uint16_t*>src, <uint16_t*>dst, npix, ch)
        elif dst_dt == DT_INT16:
            copy_swap(<const int16_t*>src, <int16_t*>dst, npix, ch)
        else:
            copy_swap(<const float*>src, <float*>dst, npix, ch)
    elif src_dt == DT_UINT16:
        u16_to_u8(<const uint16_t*>src, <uint8_t*>dst, npix, ch, swap)
    else:
        u8_to_u16(<const uint8_t*>src, <uint16_t*>dst, npix, ch, swap)


cdef int copy_out(Frame* f, const Instr* ins, object arr) except -2:
    """Copy a cached image (final form) into the output slot."""
    cdef Py_ssize_t shape[3]
    cdef int d, nd = arr.ndim, dt = dtype_code(arr.dtype)
    cdef Value* v
    cdef const char* src = <const char*><uintptr_t>arr.__array_interface__["data"][0]
    for d in range(nd):
        shape[d] = arr.shape[d]
    v = new_tensor(f, ins, dt, nd, shape)
    if v == NULL:
        return -1
    copy_bytes(v.data, src, v.length * itemsize(dt))
    return 0


ctypedef struct Decoded:
    # An image decoded into scratch slot 2 (for kernels that work on it further).
    char* data
    Py_ssize_t h, w, c
    int dtype


cdef char* destination(Frame* f, const Instr* ins, Decoded* into, int dtype, int nd,
                       const Py_ssize_t* shape) noexcept nogil:
    """Memory for a decoded ``shape`` image: the output slot when ``into`` is
    NULL, else scratch slot 2, described in ``into``."""
    cdef Value* v
    cdef Py_ssize_t c = shape[2] if nd == 3 else 1
    if into == NULL:
        v = new_tensor(f, ins, dtype, nd, shape)
        return NULL if v == NULL else v.data
    into.data = scratch(f, 2, <size_t>(shape[0] * shape[1] * c * itemsize(dtype)))
    into.h = shape[0]
    into.w = shape[1]
    into.c = c
    into.dtype = dtype
    return into.data


cdef int convert_out(Frame* f, const Instr* ins, object arr, int mode, int depth,
                     str name, bint rgb, Decoded* into) except -2:
    """Check a ``cv2.imdecode`` result and copy it into the output slot (or
    ``into``, see ``destination``): BGR(A) -> RGB(A), depth conversion, gray
    as H x W (``gray``) or H x W x 1 (``unchanged``).  ``rgb``: OpenCV decoded
    3 channels as RGB already."""
    cdef Py_ssize_t shape[3]
    cdef Py_ssize_t h, w, ch, npix
    cdef int src_dt, dst_dt, nd
    cdef char* dst
    cdef const char* src
    if not arr.flags.c_contiguous:
        arr = np.ascontiguousarray(arr)
    src_dt = dtype_code(arr.dtype)
    if src_dt < 0:
        set_error(f, f"cannot decode {name}: it holds {arr.dtype} pixels; images are "
                     "uint8, uint16, int16 or float32")
        return -1
    ch = arr.shape[2] if arr.ndim == 3 else 1
    if arr.ndim not in (2, 3) or ch not in (1, 3, 4):
        set_error(f, f"cannot decode {name}: OpenCV returned an array of shape "
                     f"{arr.shape}")
        return -1
    if (mode == MODE_GRAY and ch != 1) or (mode == MODE_COLOR and ch != 3):
        set_error(f, f"cannot decode {name}: OpenCV returned {ch} channels")
        return -1
    if depth == DEPTH_ANY:
        dst_dt = src_dt
    elif depth == DEPTH_UINT8:
        dst_dt = DT_UINT8
    else:
        dst_dt = DT_UINT16
    if dst_dt != src_dt and src_dt != DT_UINT8 and src_dt != DT_UINT16:
        set_error(f, f"cannot decode {name} as {'uint8' if dst_dt == DT_UINT8 else 'uint16'}: "
                     f"it holds {arr.dtype} pixels (use depth='any')")
        return -1
    h = arr.shape[0]
    w = arr.shape[1]
    shape[0] = h
    shape[1] = w
    shape[2] = ch
    nd = 2 if mode == MODE_GRAY else 3
    dst = destination(f, ins, into, dst_dt, nd, shape)
    if dst == NULL:
        return -1
    src = <const char*><uintptr_t>arr.__array_interface__["data"][0]
    npix = h * w
    if <size_t>(npix * ch * itemsize(dst_dt)) >= RELEASE_GIL_BYTES:
        with nogil:
            convert_pixels(src, src_dt, dst, dst_dt, npix, ch, ch >= 3 and not rgb)
    else:
        convert_pixels(src, src_dt, dst, dst_dt, npix, ch, ch >= 3 and not rgb)
    return 0


cdef object slot_array(Value* v):
    """A read-only ndarray copy of the output slot (a cache entry)."""
    cdef object arr = np.empty(tuple([v.shape[d] for d in range(v.ndim)]),
                               dtype=(None, np.uint8, np.int16, np.uint16, None, None,
                                      np.float32)[v.dtype])
    copy_bytes(<char*><uintptr_t>arr.__array_interface__["data"][0], v.data,
               v.length * itemsize(v.dtype))
    arr.flags.writeable = False
    return arr


cdef bint decodes_rgb(object cv2, int mode, int depth):
    """Whether colour is decoded straight to RGB (no channel swap after):
    OpenCV >= 4.11 can, but only 8-bit decoding is reliable (OpenCV 5.0 mixes
    up 16-bit TIFF channels with IMREAD_COLOR_RGB | IMREAD_ANYDEPTH)."""
    return mode == MODE_COLOR and depth == DEPTH_UINT8 and hasattr(cv2, "IMREAD_COLOR_RGB")


cdef object imdecode_flags(object cv2, int mode, int depth):
    if mode == MODE_UNCHANGED:
        return cv2.IMREAD_UNCHANGED
    flags = cv2.IMREAD_GRAYSCALE if mode == MODE_GRAY else cv2.IMREAD_COLOR
    if decodes_rgb(cv2, mode, depth):
        flags = cv2.IMREAD_COLOR_RGB
    if depth != DEPTH_UINT8:
        flags |= cv2.IMREAD_ANYDEPTH
    return flags


cdef object cache_key(const char* path, Py_ssize_t plen, const pp_file_info* info,
                      int mode, int depth):
    return (path[:plen], info.size, info.mtime_ns, mode, depth)


cdef str image_name(const char* path, Py_ssize_t plen, Py_ssize_t ndata):
    if path == NULL:
        return f"the image data ({ndata} bytes)"
    return "'" + path[:plen].decode("utf-8", "replace") + "'"


cdef int cache_lookup(Frame* f, const Instr* ins, const char* path, Py_ssize_t plen,
                      const pp_file_info* info, int mode, int depth) noexcept with gil:
    """Copy the cached image of ``path`` into the output slot: 1 if it was
    cached, 0 if not, -1 on error.  Takes the GIL: see the module notes."""
    cdef object hit
    try:
        if _cache.max_bytes <= 0:
            return 0
        hit = _cache.get(cache_key(path, plen, info, mode, depth))
        if hit is None:
            return 0
        return 1 if copy_out(f, ins, hit) == 0 else -1
    except BaseException as exc:   # never let an exception leave a kernel
        set_error(f, f"cannot load {image_name(path, plen, 0)}: {type(exc).__name__}: {exc}")
        return -1


cdef int decode_turbo(Frame* f, const Instr* ins, const uint8_t* data, Py_ssize_t ndata,
                      int mode, Py_ssize_t h, Py_ssize_t w, int scale,
                      Decoded* into) except -2:
    """Decode the ``h x w`` JPEG ``data`` (``jpeg_plain``) with simplejpeg,
    at ``1 / scale`` (1, 2, 4 or 8: libjpeg's DCT scaling, to ``ceil(h /
    scale) x ceil(w / scale)``), straight into the output slot (or ``into``).
    0 when decoded, 1 when simplejpeg refused the data (OpenCV decodes it
    then), -1 on error.  simplejpeg releases the GIL while it decodes."""
    cdef Py_ssize_t shape[3]
    cdef Py_ssize_t ch = 1 if mode == MODE_GRAY else 3
    cdef char* dst
    shape[0] = (h + scale - 1) // scale
    shape[1] = (w + scale - 1) // scale
    shape[2] = ch
    dst = destination(f, ins, into, DT_UINT8, 2 if mode == MODE_GRAY else 3, shape)
    if dst == NULL:
        return -1
    try:
        arr = simplejpeg_module().decode_jpeg(
            <uint8_t[:ndata]><uint8_t*>data, "GRAY" if mode == MODE_GRAY else "RGB",
            min_height=shape[0], min_width=shape[1],
            buffer=<uint8_t[:shape[0] * shape[1] * ch]><uint8_t*>dst)
    except Exception:           # what libjpeg-turbo refuses or warns about
        return 1
    if (arr.shape != (shape[0], shape[1], ch)
            or <uintptr_t>arr.__array_interface__["data"][0] != <uintptr_t>dst):
        return 1
    return 0


cdef int decode_with_gil(Frame* f, const Instr* ins, const uint8_t* data, Py_ssize_t ndata,
                         int mode, int depth, const char* path, Py_ssize_t plen,
                         const pp_file_info* info, Decoded* into, int scale) noexcept with gil:
    """Decode ``data`` into the output slot (or ``into``, see
    ``destination``); ``path`` (or NULL) names it in errors; with ``info``
    (not NULL) the result is cached under ``path``.  8-bit colour or gray
    JPEGs that ``jpeg_plain`` accepts go through simplejpeg (the same bytes
    as OpenCV, decoded in place, and at ``1 / scale`` when ``scale`` > 1),
    everything else through ``cv2.imdecode`` (always whole).  Takes the GIL:
    see the module notes."""
    cdef object arr, cv2, buffer
    cdef str name = "?"
    cdef Py_ssize_t h, w
    cdef int rc = 1
    try:
        name = image_name(path, plen, ndata)
        if (mode != MODE_UNCHANGED and depth != DEPTH_UINT16
                and jpeg_plain(data, ndata, &h, &w)):
            rc = decode_turbo(f, ins, data, ndata, mode, h, w, scale, into)
            if rc < 0:
                return -1
        if rc != 0:
            cv2 = cv2_module()
            buffer = np.asarray(<uint8_t[:ndata]><uint8_t*>data)
            arr = cv2.imdecode(buffer, imdecode_flags(cv2, mode, depth))   # releases the GIL
            buffer = None
            if arr is None:
                set_error(f, f"cannot decode {name}: not an image OpenCV can read "
                             "(corrupt, truncated or of an unsupported format)")
                return -1
            if convert_out(f, ins, arr, mode, depth, name, decodes_rgb(cv2, mode, depth),
                           into) != 0:
                return -1
            arr = None
        if info != NULL and _cache.max_bytes > 0 and into == NULL:
            _cache.put(cache_key(path, plen, info, mode, depth), slot_array(output(f, ins)))
        return 0
    except BaseException as exc:   # never let an exception leave a kernel
        set_error(f, f"cannot decode {name}: {type(exc).__name__}: {exc}")
        return -1


# ---------------------------------------------------------------- kernels

cdef int check_encoded(Frame* f, const uint8_t* data, Py_ssize_t n, const char* path,
                       Py_ssize_t plen) noexcept nogil:
    """The checks before decoding: not empty, not a truncated JPEG."""
    cdef char buf[PATH_SHOWN + 1]
    cdef const char* why = NULL
    if n == 0:
        why = "it is empty"
    elif n > MAX_IMAGE_FILE:
        why = "it is too large (more than 2**31 - 1 bytes)"
    elif jpeg_truncated(data, n):
        why = "truncated JPEG data (no end-of-image marker after the last scan)"
    if why == NULL:
        return 0
    if path != NULL:
        snprintf(f.error, ERROR_SIZE, "cannot decode '%s': %s", shown_path(buf, path, plen), why)
    else:
        snprintf(f.error, ERROR_SIZE, "cannot decode the image data (%zd bytes): %s", n, why)
    return -1


cdef int k_read_file(Frame* f, const Instr* ins) noexcept nogil:
    """arg0: path (string) -> 1-D uint8 tensor of the file's bytes."""
    cdef Py_ssize_t n, got
    cdef Py_ssize_t shape[1]
    cdef const char* path = get_path(f, arg(f, ins, 0), &n)
    cdef pp_file_info info
    cdef FILE* fp
    cdef Value* v
    cdef char buf[PATH_SHOWN + 1]
    if path == NULL:
        return -1
    fp = open_file(f, path, n, &info)
    if fp == NULL:
        return -1
    if info.size > MAX_TENSOR_BYTES:
        fclose(fp)
        snprintf(f.error, ERROR_SIZE, "cannot read '%s': the file is too large (%lld bytes)",
                 shown_path(buf, path, n), info.size)
        return -1
    shape[0] = <Py_ssize_t>info.size
    v = new_tensor(f, ins, DT_UINT8, 1, shape)
    if v == NULL or read_open_file(f, fp, v.data, shape[0], path, n, &got) != 0:
        fclose(fp)
        return -1
    fclose(fp)
    v.shape[0] = got
    v.length = got
    return 0


cdef int k_decode_image(Frame* f, const Instr* ins) noexcept nogil:
    """arg0: encoded bytes (1-D uint8 tensor); iparams: mode, depth."""
    cdef Value* v = arg(f, ins, 0)
    if v.kind != KIND_TENSOR or v.dtype != DT_UINT8 or v.ndim != 1:
        return fail(f, "the encoded image must be a 1-D uint8 tensor")
    if check_encoded(f, <const uint8_t*>v.data, v.length, NULL, 0) != 0:
        return -1
    return decode_with_gil(f, ins, <const uint8_t*>v.data, v.length, <int>iparam(f, ins, 0),
                           <int>iparam(f, ins, 1), NULL, 0, NULL, NULL, 1)


cdef int k_load_image(Frame* f, const Instr* ins) noexcept nogil:
    """arg0: path (string); iparams: mode, depth, use the cache.

    The GIL is taken once for a cache hit (lookup and copy) and once for a
    decode (plus once for the lookup that missed)."""
    cdef Py_ssize_t n, got
    cdef const char* path = get_path(f, arg(f, ins, 0), &n)
    cdef int mode = <int>iparam(f, ins, 0), depth = <int>iparam(f, ins, 1)
    cdef bint use_cache = iparam(f, ins, 2) != 0 and cache_on
    cdef pp_file_info info
    cdef FILE* fp
    cdef char* buf
    cdef int rc
    if path == NULL:
        return -1
    fp = open_file(f, path, n, &info)
    if fp == NULL:
        return -1
    if use_cache:
        rc = cache_lookup(f, ins, path, n, &info, mode, depth)
        if rc != 0:
            fclose(fp)
            return 0 if rc > 0 else -1
    buf = read_encoded(f, fp, &info, path, n, &got)
    if buf == NULL:
        return -1
    return decode_with_gil(f, ins, <const uint8_t*>buf, got, mode, depth, path, n,
                           &info if use_cache else NULL, NULL, 1)


cdef char* read_encoded(Frame* f, FILE* fp, const pp_file_info* info, const char* path,
                        Py_ssize_t n, Py_ssize_t* got) noexcept nogil:
    """The bytes of the open image file ``fp`` in scratch slot 1 (``got``
    of them), checked by ``check_encoded``; closes ``fp``.  NULL on error."""
    cdef char* buf
    if info.size > MAX_IMAGE_FILE:
        fclose(fp)
        check_encoded(f, NULL, <Py_ssize_t>info.size, path, n)
        return NULL
    buf = scratch(f, 1, <size_t>info.size)
    if buf == NULL or read_open_file(f, fp, buf, <Py_ssize_t>info.size, path, n, got) != 0:
        fclose(fp)
        return NULL
    fclose(fp)
    if check_encoded(f, <const uint8_t*>buf, got[0], path, n) != 0:
        return NULL
    return buf


# ------------------------------------------------- decode + random resized crop

cdef void linear_table(Py_ssize_t dsize, double start, double length, Py_ssize_t lo,
                       Py_ssize_t hi, Py_ssize_t* ofs, double* wt) noexcept nogil:
    """Linear taps (2 per output) resizing the source span ``[start, start +
    length)`` (edge coordinates, fractional) to ``dsize`` pixels, as
    ``cv::resize`` maps centres, with the taps kept to pixels ``lo..hi``
    (beyond them the edge pixel repeats)."""
    cdef double scale = length / dsize, x, fx
    cdef Py_ssize_t d, i
    for d in range(dsize):
        x = start + (d + 0.5) * scale - 0.5
        i = <Py_ssize_t>floor(x)
        fx = x - i
        if i < lo:
            i = lo
            fx = 0.0
        elif i >= hi:
            i = hi
            fx = 0.0
        ofs[2 * d] = i
        ofs[2 * d + 1] = i + 1 if i < hi else hi
        wt[2 * d] = 1.0 - fx
        wt[2 * d + 1] = fx


cdef int k_decode_rrc(Frame* f, const Instr* ins) noexcept nogil:
    """``RandomResizedCrop(DecodeImage / LoadImage(...), size)`` in one
    kernel, decoding only as finely as the crop needs (the compiler's
    ``fuse_decode``; see ``pixelpipes/image/decode_crop.py``).

    arg0: encoded bytes (iparam 0 = 0) or a path (1); args 1, 2: output
    height and width.  iparams: source, mode, depth; fparams: scale low /
    high, ratio low / high; the key is the box's.  The box is drawn from
    the image size (from the JPEG header, before decoding) exactly as
    ``image_rrc_box`` draws it.  When it is at least ``2s`` times the
    output in both directions (s = 2, 4, 8), the JPEG is decoded at ``1 /
    s`` by DCT scaling and the box, scaled by ``1 / s``, resized linearly;
    otherwise the image is decoded whole and the box resized as
    ``image_resized_crop`` does (the same bytes)."""
    cdef Value* v = arg(f, ins, 0)
    cdef int source = <int>iparam(f, ins, 0), mode = <int>iparam(f, ins, 1)
    cdef int depth = <int>iparam(f, ins, 2)
    cdef const uint8_t* data
    cdef const char* path = NULL
    cdef Py_ssize_t n, plen = 0, H, W, top, left, bh, bw, dh, dw, s, shape[3]
    cdef double s0 = fparam(f, ins, 0), s1 = fparam(f, ins, 1)
    cdef double r0 = fparam(f, ins, 2), r1 = fparam(f, ins, 3), inv
    cdef pp_file_info info
    cdef FILE* fp
    cdef Decoded img
    cdef Rng r
    cdef Value* out
    cdef Py_ssize_t* xofs
    cdef Py_ssize_t* yofs
    cdef double* wx
    cdef double* wy
    cdef char* tab
    if not (0 < s0 <= s1 and s1 - s1 == 0 and 0 < r0 <= r1 and r1 - r1 == 0):
        return fail(f, "bad parameters of the fused decode and random resized crop")
    if (get_size(f, arg(f, ins, 1), "output height", &dh) != 0
            or get_size(f, arg(f, ins, 2), "output width", &dw) != 0
            or check_out_size(f, dh, dw) != 0):
        return -1
    if source == 0:
        if v.kind != KIND_TENSOR or v.dtype != DT_UINT8 or v.ndim != 1:
            return fail(f, "the encoded image must be a 1-D uint8 tensor")
        data = <const uint8_t*>v.data
        n = v.length
        if check_encoded(f, data, n, NULL, 0) != 0:
            return -1
    else:
        path = get_path(f, v, &plen)
        if path == NULL:
            return -1
        fp = open_file(f, path, plen, &info)
        if fp == NULL:
            return -1
        data = <const uint8_t*>read_encoded(f, fp, &info, path, plen, &n)
        if data == NULL:
            return -1
    s = 0
    if mode != MODE_UNCHANGED and depth != DEPTH_UINT16 and jpeg_plain(data, n, &H, &W):
        rng_init(&r, f.seed, ins.key, f.sample)
        rrc_box(&r, H, W, s0, s1, r0, r1, &top, &left, &bh, &bw)
        s = 1
        while s < 8 and bw >= 2 * s * dw and bh >= 2 * s * dh:
            s *= 2
    if decode_with_gil(f, ins, data, n, mode, depth, path, plen, NULL, &img,
                       s if s > 0 else 1) != 0:
        return -1
    if s == 0 or img.h != (H + s - 1) // s or img.w != (W + s - 1) // s:
        # not decoded as planned (not a plain JPEG, or OpenCV decoded it
        # whole): the box of the image as decoded
        if s == 0 or img.h != H or img.w != W:
            H = img.h
            W = img.w
            rng_init(&r, f.seed, ins.key, f.sample)
            rrc_box(&r, H, W, s0, s1, r0, r1, &top, &left, &bh, &bw)
        s = 1
    shape[0] = dh
    shape[1] = dw
    shape[2] = img.c
    out = new_tensor(f, ins, img.dtype, 2 if mode == MODE_GRAY else 3, shape)
    tab = scratch(f, 3, <size_t>((dw + dh) * 2 * (sizeof(Py_ssize_t) + sizeof(double))))
    if out == NULL or tab == NULL:
        return -1
    xofs = <Py_ssize_t*>tab
    yofs = xofs + 2 * dw
    wx = <double*>(yofs + 2 * dh)
    wy = wx + 2 * dw
    if s == 1:
        # as image_resized_crop: OpenCV's linear taps over the box (s = 1
        # means it is less than twice the output along an axis, so never the
        # exact halving that cv::resize turns into an area average)
        inv = <double>dw / bw
        axis_table(f, bw, dw, 1.0 / inv, inv, 2, False, xofs, wx)
        inv = <double>dh / bh
        axis_table(f, bh, dh, 1.0 / inv, inv, 2, False, yofs, wy)
        return resample_separable(
            f, img.data + (top * W + left) * img.c * itemsize(img.dtype), W * img.c,
            bh, bw, img.c, img.dtype, out.data, dh, dw, xofs, wx, yofs, wy, 2)
    linear_table(dw, <double>left / s, <double>bw / s, left // s,
                 min((left + bw + s - 1) // s, img.w) - 1, xofs, wx)
    linear_table(dh, <double>top / s, <double>bh / s, top // s,
                 min((top + bh + s - 1) // s, img.h) - 1, yofs, wy)
    return resample_separable(f, img.data, img.w * img.c, img.h, img.w, img.c, img.dtype,
                              out.data, dh, dw, xofs, wx, yofs, wy, 2)


KERNELS = {
    "source_read_file": <uintptr_t>k_read_file,
    "source_decode_image": <uintptr_t>k_decode_image,
    "source_load_image": <uintptr_t>k_load_image,
    "source_decode_rrc": <uintptr_t>k_decode_rrc,
}
