# The kernel ABI: how a value is laid out, what an instruction holds, and the
# frame a kernel runs in.  Every ``_ops_*.pyx`` module cimports this file and
# nothing else from the executor, so a kernel can be written and tested alone.
#
# Memory rule: a kernel writes its result into ``f.slots[ins.out]``.  Fresh
# memory comes from ``new_tensor``/``new_list``/``new_string``, which reuse the
# slot's own growable buffer (so steady-state execution does not malloc).  A
# kernel may instead make its output *alias* an input (a struct copy of the
# input ``Value``); the compiler keeps aliased inputs alive for as long as the
# output is live when the op declares ``aliases = True``.

from libc.stdint cimport int32_t, int64_t, uint64_t, INT64_MIN, INT64_MAX
from libc.string cimport strncpy

cdef extern from "_memory.h" nogil:
    void* pp_aligned_alloc(size_t n)
    void* pp_aligned_calloc(size_t n)
    void pp_aligned_free(void* p)
    size_t pp_round_up(size_t n)
    Py_ssize_t MAX_TENSOR_BYTES "PP_MAX_TENSOR_BYTES"

cdef extern from "<stdio.h>" nogil:
    int snprintf(char* buf, size_t n, const char* fmt, ...)

cdef enum:
    MAX_DIMS = 8
    ERROR_SIZE = 320
    N_SCRATCH = 4
    MAX_DIRECT = 4

# Element types: the numbering is part of the saved-program format.
cdef enum DType:
    DT_BOOL = 0
    DT_UINT8 = 1
    DT_INT16 = 2
    DT_UINT16 = 3
    DT_INT32 = 4
    DT_INT64 = 5
    DT_FLOAT32 = 6
    DT_FLOAT64 = 7

cdef enum Kind:
    KIND_TENSOR = 0     # n-d array; a scalar is a 0-d tensor
    KIND_STRING = 1     # utf-8 bytes in ``data``, ``length`` bytes
    KIND_LIST = 2       # ``length`` items in ``items``

# Control opcodes, run by the executor itself (``kernel == NULL``).
cdef enum Control:
    CTL_KERNEL = 0
    CTL_JUMP = 1            # pc = iparam[0]
    CTL_JUMP_IF_FALSE = 2   # if not arg0: pc = iparam[0]
    CTL_JUMP_TABLE = 3      # pc = iparam[clip(arg0)]
    CTL_MOVE = 4            # slot[out] = slot[arg0] (alias)

ctypedef struct Value:
    int kind
    int dtype
    int ndim
    Py_ssize_t shape[MAX_DIMS]
    Py_ssize_t length       # tensor: element count; string: bytes; list: items
    char* data              # tensor/string payload, C-contiguous
    Value* items            # list items

ctypedef struct Buffer:
    char* ptr
    size_t capacity

cdef struct Frame
cdef struct Instr

ctypedef int (*kernel_t)(Frame* f, const Instr* ins) noexcept nogil

cdef struct Instr:
    kernel_t kernel
    int32_t control
    int32_t out
    int32_t n_args
    int32_t args            # offset into Program.args
    int32_t n_iparams
    int32_t iparams         # offset into Program.iparams
    int32_t n_fparams
    int32_t fparams         # offset into Program.fparams
    uint64_t key            # stable random key of the node (0 if not random)
    int32_t node            # index into the node table, for error messages

ctypedef struct Program:
    Instr* code
    int32_t n_code
    int32_t* args
    int64_t* iparams
    double* fparams
    int32_t n_slots

cdef struct Frame:
    const Program* prog
    Value* slots
    Buffer* buffers         # one growable buffer per slot
    Buffer scratch[N_SCRATCH]
    uint64_t seed
    int64_t sample
    int32_t error_instr
    char error[ERROR_SIZE]
    int64_t grows           # buffer (re)allocations so far, for tests
    Value missing           # what a missing argument reads as (see ``arg``)
    char zeros[64]
    # Batch outputs written in place (see ``new_tensor``); set by the
    # executor around one sample, else ``n_direct`` is 0.  (Fields are only
    # ever appended to Frame: a module built against an older layout still
    # reads every field it knows at the same offset.)
    int32_t n_direct
    int32_t direct_slot[MAX_DIRECT]
    size_t direct_bytes[MAX_DIRECT]
    char* direct_ptr[MAX_DIRECT]
    char padding[64]        # frames sit in one array: keep threads' lines apart


# ---------------------------------------------------------------- accessors

# The accessors never read outside an instruction's own arguments and
# parameters: a damaged program file with too few of them reads a uint8 zero
# scalar (``f.missing``) or 0, which kernels reject or handle like any value.

cdef inline Value* arg(Frame* f, const Instr* ins, int k) noexcept nogil:
    if k >= ins.n_args:
        return &f.missing
    return &f.slots[f.prog.args[ins.args + k]]

cdef inline int64_t iparam(Frame* f, const Instr* ins, int k) noexcept nogil:
    if k >= ins.n_iparams:
        return 0
    return f.prog.iparams[ins.iparams + k]

cdef inline double fparam(Frame* f, const Instr* ins, int k) noexcept nogil:
    if k >= ins.n_fparams:
        return 0.0
    return f.prog.fparams[ins.fparams + k]

cdef inline Value* output(Frame* f, const Instr* ins) noexcept nogil:
    return &f.slots[ins.out]

cdef inline const char* dtype_name(int dtype) noexcept nogil:
    """The NumPy name of a DT_* code, for error messages."""
    if dtype == DT_BOOL:
        return "bool"
    if dtype == DT_UINT8:
        return "uint8"
    if dtype == DT_INT16:
        return "int16"
    if dtype == DT_UINT16:
        return "uint16"
    if dtype == DT_INT32:
        return "int32"
    if dtype == DT_INT64:
        return "int64"
    if dtype == DT_FLOAT32:
        return "float32"
    if dtype == DT_FLOAT64:
        return "float64"
    return "unknown"

cdef inline Py_ssize_t itemsize(int dtype) noexcept nogil:
    if dtype == DT_BOOL or dtype == DT_UINT8:
        return 1
    if dtype == DT_INT16 or dtype == DT_UINT16:
        return 2
    if dtype == DT_INT32 or dtype == DT_FLOAT32:
        return 4
    return 8

cdef inline bint is_float(int dtype) noexcept nogil:
    return dtype == DT_FLOAT32 or dtype == DT_FLOAT64

cdef inline int fail(Frame* f, const char* message) noexcept nogil:
    strncpy(f.error, message, ERROR_SIZE - 1)
    f.error[ERROR_SIZE - 1] = 0
    return -1


cdef inline void* fail_null(Frame* f, const char* message) noexcept nogil:
    fail(f, message)
    return NULL


# ---------------------------------------------------------------- memory

cdef inline char* reserve(Frame* f, Buffer* b, size_t nbytes) noexcept nogil:
    """At least ``nbytes`` of ``b``, 64-byte aligned; the old contents are
    *not* kept (a slot's previous value is dead when it is overwritten).
    NULL, with the error set, when memory runs out."""
    cdef size_t cap
    cdef char* p
    if nbytes > b.capacity:
        cap = b.capacity * 2 if b.capacity * 2 > nbytes else nbytes
        cap = pp_round_up(cap)
        pp_aligned_free(b.ptr)
        b.ptr = NULL
        b.capacity = 0
        p = <char*> pp_aligned_alloc(cap)
        f.grows += 1
        if p == NULL:
            snprintf(f.error, ERROR_SIZE, "out of memory allocating %zu bytes", nbytes)
            return NULL
        b.ptr = p
        b.capacity = cap
    return b.ptr

cdef inline char* scratch(Frame* f, int which, size_t nbytes) noexcept nogil:
    """Per-thread scratch memory ``which`` (0..N_SCRATCH-1), valid until the
    kernel returns."""
    return reserve(f, &f.scratch[which], nbytes if nbytes > 0 else 1)

cdef inline Value* new_tensor(Frame* f, const Instr* ins, int dtype, int ndim,
                              const Py_ssize_t* shape) noexcept nogil:
    """Make the output slot a fresh C-contiguous tensor (contents undefined).

    When the slot is a batch output of the sample being made and the tensor
    has the size of its row, the tensor *is* that row of the batch array (the
    executor then has nothing to copy)."""
    cdef Py_ssize_t n = 1
    cdef int d
    cdef Value* v = &f.slots[ins.out]
    cdef char* p
    if ndim > MAX_DIMS:
        fail(f, "tensor has more than 8 dimensions")
        return NULL
    for d in range(ndim):
        if shape[d] < 0:
            snprintf(f.error, ERROR_SIZE, "negative dimension %zd", shape[d])
            return NULL
        if shape[d] > 0 and n > MAX_TENSOR_BYTES / 8 / shape[d]:
            return <Value*>fail_null(f, "tensor too large (more than 2**48 bytes)")
        n *= shape[d]
    p = NULL
    for d in range(f.n_direct):
        if f.direct_slot[d] == ins.out and f.direct_bytes[d] == <size_t>(n * itemsize(dtype)):
            p = f.direct_ptr[d]
    if p == NULL:
        p = reserve(f, &f.buffers[ins.out], <size_t>(n * itemsize(dtype)) + 1)
        if p == NULL:
            return NULL
    v.kind = KIND_TENSOR
    v.dtype = dtype
    v.ndim = ndim
    for d in range(ndim):
        v.shape[d] = shape[d]
    v.length = n
    v.data = p
    v.items = NULL
    return v

cdef inline Value* new_scalar(Frame* f, const Instr* ins, int dtype) noexcept nogil:
    return new_tensor(f, ins, dtype, 0, NULL)

cdef inline Value* new_list(Frame* f, const Instr* ins, Py_ssize_t n) noexcept nogil:
    """Make the output slot a list of ``n`` items (items uninitialised)."""
    cdef Value* v = &f.slots[ins.out]
    cdef char* p
    if n < 0 or n > MAX_TENSOR_BYTES / <Py_ssize_t>sizeof(Value):
        return <Value*>fail_null(f, "list too long")
    p = reserve(f, &f.buffers[ins.out], <size_t>(n * sizeof(Value)) + 1)
    if p == NULL:
        return NULL
    v.kind = KIND_LIST
    v.dtype = 0
    v.ndim = 0
    v.length = n
    v.data = NULL
    v.items = <Value*> p
    return v

cdef inline Value* new_string(Frame* f, const Instr* ins, Py_ssize_t nbytes) noexcept nogil:
    cdef Value* v = &f.slots[ins.out]
    cdef char* p
    if nbytes < 0 or nbytes > MAX_TENSOR_BYTES:
        return <Value*>fail_null(f, "string too long")
    p = reserve(f, &f.buffers[ins.out], <size_t>nbytes + 1)
    if p == NULL:
        return NULL
    p[nbytes] = 0
    v.kind = KIND_STRING
    v.dtype = DT_UINT8
    v.ndim = 1
    v.shape[0] = nbytes
    v.length = nbytes
    v.data = p
    v.items = NULL
    return v


# ---------------------------------------------------------------- scalars

cdef inline double load_double(const char* p, int dtype) noexcept nogil:
    if dtype == DT_FLOAT64:
        return (<const double*>p)[0]
    if dtype == DT_FLOAT32:
        return (<const float*>p)[0]
    if dtype == DT_INT64:
        return <double>(<const int64_t*>p)[0]
    if dtype == DT_INT32:
        return (<const int*>p)[0]
    if dtype == DT_UINT16:
        return (<const unsigned short*>p)[0]
    if dtype == DT_INT16:
        return (<const short*>p)[0]
    return (<const unsigned char*>p)[0]

cdef inline int64_t load_int(const char* p, int dtype) noexcept nogil:
    """Integer value at ``p``; floats truncate toward zero and saturate."""
    cdef double x
    if dtype == DT_INT64:
        return (<const int64_t*>p)[0]
    if dtype == DT_INT32:
        return (<const int*>p)[0]
    if dtype == DT_UINT16:
        return (<const unsigned short*>p)[0]
    if dtype == DT_INT16:
        return (<const short*>p)[0]
    if dtype == DT_UINT8 or dtype == DT_BOOL:
        return (<const unsigned char*>p)[0]
    x = load_double(p, dtype)
    if x != x:
        return 0
    if x >= 9.2233720368547758e18:
        return INT64_MAX
    if x <= -9.2233720368547758e18:
        return INT64_MIN
    return <int64_t>x

cdef inline int scalar_double(Frame* f, Value* v, double* out) noexcept nogil:
    if v.kind != KIND_TENSOR or v.length != 1:
        return fail(f, "expected a scalar")
    out[0] = load_double(v.data, v.dtype)
    return 0

cdef inline int scalar_int(Frame* f, Value* v, int64_t* out) noexcept nogil:
    if v.kind != KIND_TENSOR or v.length != 1:
        return fail(f, "expected a scalar")
    out[0] = load_int(v.data, v.dtype)
    return 0

cdef inline int scalar_number(Frame* f, Value* v, const char* what, double* out) noexcept nogil:
    """A numeric scalar input as a double; a non-scalar or NaN is an error
    naming ``what``."""
    if v.kind != KIND_TENSOR or v.length != 1:
        snprintf(f.error, ERROR_SIZE, "%s must be a scalar", what)
        return -1
    out[0] = load_double(v.data, v.dtype)
    if out[0] != out[0]:
        snprintf(f.error, ERROR_SIZE, "%s is NaN", what)
        return -1
    return 0

cdef inline bint truthy(Value* v) noexcept nogil:
    """Truth of a scalar (non-zero); a non-scalar is true when non-empty."""
    if v.kind == KIND_TENSOR and v.length == 1:
        return load_double(v.data, v.dtype) != 0
    return v.length != 0
