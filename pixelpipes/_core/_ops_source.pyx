"""Kernels of the image sources (node classes in ``pixelpipes/image/sources.py``).

``source_read_file`` reads a file's bytes with C stdio and never touches the
GIL.

``source_decode_image`` and ``source_load_image`` decode through OpenCV.
OpenCV's decoders are reachable from here only through the ``cv2`` Python
module (pixelpipes does not link against OpenCV's C++ libraries), so these two
kernels take the GIL -- for the call to ``cv2.imdecode`` and for the cache
lookup, and as few times as possible, since a thread running Python code
elsewhere can make each acquisition wait.  ``cv2.imdecode`` releases the GIL
while it decodes, so threads still decode in parallel.  Opening, statting and
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
from libc.string cimport memcpy, memchr, strerror
from libc.errno cimport errno
from libc.stdio cimport FILE, fopen, fclose, fread, ferror

from pixelpipes._core._kernel cimport (
    Frame, Instr, Value, KIND_TENSOR, KIND_STRING, DT_UINT8, DT_INT16, DT_UINT16,
    DT_FLOAT32, ERROR_SIZE, MAX_TENSOR_BYTES, arg, iparam, output, new_tensor, scratch,
    itemsize, fail, snprintf,
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


cdef int convert_out(Frame* f, const Instr* ins, object arr, int mode, int depth,
                     str name, bint rgb) except -2:
    """Check a ``cv2.imdecode`` result and copy it into the output slot:
    BGR(A) -> RGB(A), depth conversion, gray as H x W (``gray``) or H x W x 1
    (``unchanged``).  ``rgb``: OpenCV decoded 3 channels as RGB already."""
    cdef Py_ssize_t shape[3]
    cdef Py_ssize_t h, w, ch, npix
    cdef int src_dt, dst_dt, nd
    cdef Value* v
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
    v = new_tensor(f, ins, dst_dt, nd, shape)
    if v == NULL:
        return -1
    src = <const char*><uintptr_t>arr.__array_interface__["data"][0]
    npix = h * w
    if v.length * itemsize(dst_dt) >= RELEASE_GIL_BYTES:
        with nogil:
            convert_pixels(src, src_dt, v.data, dst_dt, npix, ch, ch >= 3 and not rgb)
    else:
        convert_pixels(src, src_dt, v.data, dst_dt, npix, ch, ch >= 3 and not rgb)
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


cdef int decode_with_gil(Frame* f, const Instr* ins, const uint8_t* data, Py_ssize_t ndata,
                         int mode, int depth, const char* path, Py_ssize_t plen,
                         const pp_file_info* info) noexcept with gil:
    """Decode ``data`` into the output slot with ``cv2.imdecode``; ``path``
    (or NULL) names it in errors; with ``info`` (not NULL) the result is
    cached under ``path``.  Takes the GIL: see the module notes."""
    cdef object arr, cv2, buffer
    cdef str name = "?"
    try:
        name = image_name(path, plen, ndata)
        cv2 = cv2_module()
        buffer = np.asarray(<uint8_t[:ndata]><uint8_t*>data)
        arr = cv2.imdecode(buffer, imdecode_flags(cv2, mode, depth))   # releases the GIL
        buffer = None
        if arr is None:
            set_error(f, f"cannot decode {name}: not an image OpenCV can read "
                         "(corrupt, truncated or of an unsupported format)")
            return -1
        if convert_out(f, ins, arr, mode, depth, name, decodes_rgb(cv2, mode, depth)) != 0:
            return -1
        arr = None
        if info != NULL and _cache.max_bytes > 0:
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
                           <int>iparam(f, ins, 1), NULL, 0, NULL)


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
    if info.size > MAX_IMAGE_FILE:
        fclose(fp)
        return check_encoded(f, NULL, <Py_ssize_t>info.size, path, n)
    buf = scratch(f, 1, <size_t>info.size)
    if buf == NULL or read_open_file(f, fp, buf, <Py_ssize_t>info.size, path, n, &got) != 0:
        fclose(fp)
        return -1
    fclose(fp)
    if check_encoded(f, <const uint8_t*>buf, got, path, n) != 0:
        return -1
    return decode_with_gil(f, ins, <const uint8_t*>buf, got, mode, depth, path, n,
                           &info if use_cache else NULL)


KERNELS = {
    "source_read_file": <uintptr_t>k_read_file,
    "source_decode_image": <uintptr_t>k_decode_image,
    "source_load_image": <uintptr_t>k_load_image,
}
