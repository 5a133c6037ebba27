"""The executor: runs a compiled flat program for many samples at once.

The program (``pixelpipes.program.Program``) is turned into C arrays once; a
batch then runs with the GIL released, each sample on one OpenMP thread in a
per-thread ``Frame`` whose slot buffers persist between batches.  Nothing in
the parallel region touches a Python object; a failing sample records its
error in its frame and the error is raised after the region.
"""

from cpython.mem cimport PyMem_Malloc, PyMem_Free
from libc.stdint cimport int32_t, int64_t, uint64_t, uintptr_t, INT64_MAX
from libc.stdlib cimport malloc, calloc, free
from libc.string cimport memcpy, memset
from cython.parallel cimport prange, parallel, threadid

cdef extern from "_atomic.h" nogil:
    void pp_atomic_min_i64(int64_t* p, int64_t v)
    int64_t pp_atomic_load_i64(int64_t* p)

from pixelpipes._core._kernel cimport (
    pp_aligned_alloc, pp_aligned_calloc, pp_aligned_free,
    Value, Buffer, Frame, Instr, Program, kernel_t, MAX_DIMS, ERROR_SIZE,
    N_SCRATCH, MAX_DIRECT, KIND_TENSOR, KIND_STRING, KIND_LIST, CTL_KERNEL, CTL_JUMP,
    CTL_JUMP_IF_FALSE, CTL_JUMP_TABLE, CTL_MOVE, itemsize, truthy, load_int,
    snprintf,
)

import numpy as np

DTYPES = (np.bool_, np.uint8, np.int16, np.uint16, np.int32, np.int64,
          np.float32, np.float64)
_DTYPE_CODE = {np.dtype(t): i for i, t in enumerate(DTYPES)}

CONTROL = {"jump": CTL_JUMP, "jump_if_false": CTL_JUMP_IF_FALSE,
           "jump_table": CTL_JUMP_TABLE, "move": CTL_MOVE}


cdef struct Failure:
    int64_t sample
    int32_t instr          # -1: output check, see ``output``
    int32_t output
    char message[ERROR_SIZE]


# ---------------------------------------------------------------- one sample

cdef int run_sample(Frame* f, int64_t sample) noexcept nogil:
    cdef const Program* p = f.prog
    cdef int32_t pc = 0
    cdef const Instr* ins
    cdef Value* c
    cdef int64_t k
    f.sample = sample
    while pc < p.n_code:
        ins = &p.code[pc]
        if ins.control == CTL_KERNEL:
            if ins.kernel(f, ins) != 0:
                f.error_instr = pc
                return -1
            pc += 1
        elif ins.control == CTL_MOVE:
            f.slots[ins.out] = f.slots[p.args[ins.args]]
            pc += 1
        elif ins.control == CTL_JUMP:
            pc = <int32_t>p.iparams[ins.iparams]
        elif ins.control == CTL_JUMP_IF_FALSE:
            if truthy(&f.slots[p.args[ins.args]]):
                pc += 1
            else:
                pc = <int32_t>p.iparams[ins.iparams]
        else:  # CTL_JUMP_TABLE
            c = &f.slots[p.args[ins.args]]
            if c.kind != KIND_TENSOR or c.length != 1:
                f.error_instr = pc
                snprintf(f.error, ERROR_SIZE, "branch selector is not a scalar")
                return -1
            k = load_int(c.data, c.dtype)
            if k < 0 or k >= ins.n_iparams:
                f.error_instr = pc
                snprintf(f.error, ERROR_SIZE,
                         "branch index %lld out of range [0, %d)", <long long>k,
                         <int>ins.n_iparams)
                return -1
            pc = <int32_t>p.iparams[ins.iparams + k]
    return 0


# ---------------------------------------------------------------- values

cdef int clone_value(Value* dst, const Value* src) noexcept nogil:
    """Deep copy ``src`` into ``dst`` with malloc'ed memory (see free_clone)."""
    cdef Py_ssize_t i, nbytes
    dst[0] = src[0]
    dst.data = NULL
    dst.items = NULL
    if src.kind == KIND_LIST:
        dst.items = <Value*> calloc(src.length if src.length > 0 else 1, sizeof(Value))
        if dst.items == NULL:
            return -1
        for i in range(src.length):
            if clone_value(&dst.items[i], &src.items[i]) != 0:
                dst.length = i
                return -1
        return 0
    nbytes = src.length * itemsize(src.dtype) if src.kind == KIND_TENSOR else src.length
    dst.data = <char*> malloc(nbytes + 1)
    if dst.data == NULL:
        return -1
    if nbytes > 0:
        memcpy(dst.data, src.data, nbytes)
    return 0


cdef void free_clone(Value* v) noexcept nogil:
    cdef Py_ssize_t i
    if v.kind == KIND_LIST and v.items != NULL:
        for i in range(v.length):
            free_clone(&v.items[i])
        free(v.items)
    elif v.data != NULL:
        free(v.data)
    v.items = NULL
    v.data = NULL


cdef object to_python(const Value* v):
    """A Python object holding a copy of ``v``: ndarray, str or list."""
    cdef Py_ssize_t i
    cdef object arr
    cdef uintptr_t addr
    if v.kind == KIND_LIST:
        return [to_python(&v.items[i]) for i in range(v.length)]
    if v.kind == KIND_STRING:
        return v.data[:v.length].decode("utf-8", "replace")
    arr = np.empty(tuple([v.shape[i] for i in range(v.ndim)]), dtype=DTYPES[v.dtype])
    if v.length > 0:
        addr = arr.__array_interface__["data"][0]
        memcpy(<void*>addr, v.data, v.length * itemsize(v.dtype))
    return arr


cdef object array_address(object arr):
    return arr.__array_interface__["data"][0]


cdef int value_from_python(Value* v, object obj, list keep) except -1:
    """Point ``v`` at the memory of a constant (no copy); ``keep`` keeps the
    owners alive.  Lists get a malloc'ed item array (freed by free_constant)."""
    cdef Py_ssize_t i, n
    cdef object arr
    memset(v, 0, sizeof(Value))
    if isinstance(obj, str):
        arr = np.frombuffer(obj.encode("utf-8") + b"\0", dtype=np.uint8)
        keep.append(arr)
        v.kind = KIND_STRING
        v.dtype = 1
        v.ndim = 1
        v.length = arr.shape[0] - 1
        v.shape[0] = v.length
        v.data = <char*><uintptr_t>array_address(arr)
        return 0
    if isinstance(obj, (list, tuple)):
        n = len(obj)
        v.kind = KIND_LIST
        v.length = n
        v.items = <Value*> calloc(n if n > 0 else 1, sizeof(Value))
        if v.items == NULL:
            raise MemoryError()
        for i in range(n):
            value_from_python(&v.items[i], obj[i], keep)
        return 0
    arr = np.asarray(obj)
    if arr.dtype not in _DTYPE_CODE:
        raise TypeError(f"constant of unsupported dtype {arr.dtype}")
    if arr.ndim > MAX_DIMS:
        raise ValueError("constant has more than 8 dimensions")
    if not arr.flags.c_contiguous:
        arr = np.ascontiguousarray(arr)
    keep.append(arr)
    v.kind = KIND_TENSOR
    v.dtype = _DTYPE_CODE[arr.dtype]
    v.ndim = arr.ndim
    for i in range(arr.ndim):
        v.shape[i] = arr.shape[i]
    v.length = arr.size
    v.data = <char*><uintptr_t>array_address(arr)
    return 0


cdef void free_constant(Value* v) noexcept nogil:
    cdef Py_ssize_t i
    if v.kind == KIND_LIST and v.items != NULL:
        for i in range(v.length):
            free_constant(&v.items[i])
        free(v.items)
        v.items = NULL


# ---------------------------------------------------------------- frames

cdef class FrameSet:
    """``n`` per-thread frames.  Slot buffers grow to the largest value a
    slot has held and stay allocated, so a steady state does not malloc."""
    cdef Frame* frames
    cdef int n

    def __dealloc__(self):
        cdef int t, s
        if self.frames == NULL:
            return
        for t in range(self.n):
            if self.frames[t].buffers != NULL:
                for s in range(self.frames[t].prog.n_slots):
                    pp_aligned_free(self.frames[t].buffers[s].ptr)
            for s in range(N_SCRATCH):
                pp_aligned_free(self.frames[t].scratch[s].ptr)
            pp_aligned_free(self.frames[t].buffers)
            pp_aligned_free(self.frames[t].slots)
        pp_aligned_free(self.frames)


# ---------------------------------------------------------------- executor

cdef class Executor:
    """C form of a program.  Built by ``pixelpipes.pipeline.Pipeline``.

    Parameters
    ----------
    program : pixelpipes.program.Program
        The compiled program.
    kernels : dict
        Kernel name -> address of its C function.
    """
    cdef Program prog
    cdef Instr* code
    cdef int32_t* args
    cdef int64_t* iparams
    cdef double* fparams
    cdef int32_t n_const
    cdef int32_t* const_slot
    cdef Value* const_value
    cdef list keep
    cdef list pool
    cdef uint64_t seed
    cdef int cancel_flag
    cdef readonly object program

    def __cinit__(self):
        self.code = NULL
        self.args = NULL
        self.iparams = NULL
        self.fparams = NULL
        self.const_slot = NULL
        self.const_value = NULL
        self.n_const = 0

    def __init__(self, program, dict kernels):
        cdef Py_ssize_t i, j, na = 0, ni = 0, nf = 0
        cdef Instr* ins
        self.program = program
        self.keep = []
        self.pool = []
        self.seed = <uint64_t>(program.seed & 0xFFFFFFFFFFFFFFFF)
        code = program.code
        for op in code:
            na += len(op.args)
            ni += len(op.iparams)
            nf += len(op.fparams)
        self.code = <Instr*> calloc(len(code) + 1, sizeof(Instr))
        self.args = <int32_t*> calloc(na + 1, sizeof(int32_t))
        self.iparams = <int64_t*> calloc(ni + 1, sizeof(int64_t))
        self.fparams = <double*> calloc(nf + 1, sizeof(double))
        if not (self.code and self.args and self.iparams and self.fparams):
            raise MemoryError()
        na = ni = nf = 0
        for i, op in enumerate(code):
            ins = &self.code[i]
            if op.kernel in CONTROL:
                ins.control = CONTROL[op.kernel]
                ins.kernel = NULL
            else:
                if op.kernel not in kernels:
                    raise ValueError(f"unknown kernel {op.kernel!r}")
                ins.control = CTL_KERNEL
                ins.kernel = <kernel_t><uintptr_t>kernels[op.kernel]
            ins.out = op.out
            ins.n_args = len(op.args)
            ins.args = na
            for j in range(ins.n_args):
                if not 0 <= op.args[j] < program.n_slots:
                    raise ValueError(f"instruction {i}: slot {op.args[j]} out of range")
                self.args[na] = op.args[j]
                na += 1
            ins.n_iparams = len(op.iparams)
            ins.iparams = ni
            for j in range(ins.n_iparams):
                self.iparams[ni] = op.iparams[j]
                ni += 1
            ins.n_fparams = len(op.fparams)
            ins.fparams = nf
            for j in range(ins.n_fparams):
                self.fparams[nf] = op.fparams[j]
                nf += 1
            ins.key = <uint64_t>(op.key & 0xFFFFFFFFFFFFFFFF)
            ins.node = op.node
            if not -1 <= op.out < program.n_slots:
                raise ValueError(f"instruction {i}: output slot out of range")
            if ins.control in (CTL_JUMP, CTL_JUMP_IF_FALSE, CTL_JUMP_TABLE):
                for j in range(ins.n_iparams):
                    if not 0 <= op.iparams[j] <= len(code) or op.iparams[j] <= i:
                        raise ValueError(f"instruction {i}: bad jump target")
        self.prog.code = self.code
        self.prog.n_code = len(code)
        self.prog.args = self.args
        self.prog.iparams = self.iparams
        self.prog.fparams = self.fparams
        self.prog.n_slots = program.n_slots

        self.n_const = len(program.constants)
        self.const_slot = <int32_t*> calloc(self.n_const + 1, sizeof(int32_t))
        self.const_value = <Value*> calloc(self.n_const + 1, sizeof(Value))
        if not (self.const_slot and self.const_value):
            raise MemoryError()
        for i, (slot, value) in enumerate(program.constants):
            if not 0 <= slot < program.n_slots:
                raise ValueError("constant slot out of range")
            self.const_slot[i] = slot
            value_from_python(&self.const_value[i], value, self.keep)
        program.check_dataflow()    # no kernel reads a slot nothing wrote

    def __dealloc__(self):
        cdef int32_t i
        if self.const_value != NULL:
            for i in range(self.n_const):
                free_constant(&self.const_value[i])
        free(self.const_value)
        free(self.const_slot)
        free(self.code)
        free(self.args)
        free(self.iparams)
        free(self.fparams)

    # -- frames ------------------------------------------------------------

    cdef FrameSet acquire(self, int n):
        cdef FrameSet fs
        cdef int t, i
        for i in range(len(self.pool)):
            fs = self.pool[i]
            if fs.n >= n:
                del self.pool[i]
                return fs
        fs = FrameSet()
        # Frames, slots and buffers are cache-line aligned and padded: each
        # thread writes only to lines of its own.
        fs.frames = <Frame*> pp_aligned_calloc(n * sizeof(Frame))
        if fs.frames == NULL:
            raise MemoryError()
        fs.n = n
        for t in range(n):
            fs.frames[t].prog = &self.prog
            fs.frames[t].seed = self.seed
            fs.frames[t].slots = <Value*> pp_aligned_calloc((self.prog.n_slots + 1) * sizeof(Value))
            fs.frames[t].buffers = <Buffer*> pp_aligned_calloc((self.prog.n_slots + 1) * sizeof(Buffer))
            if fs.frames[t].slots == NULL or fs.frames[t].buffers == NULL:
                raise MemoryError()
            fs.frames[t].missing.kind = KIND_TENSOR
            fs.frames[t].missing.dtype = 1
            fs.frames[t].missing.length = 1
            fs.frames[t].missing.data = fs.frames[t].zeros
        self.prepare_constants(fs)
        return fs

    cdef void release(self, FrameSet fs):
        self.pool.append(fs)

    def allocations(self):
        """Buffer (re)allocations made by this executor's pooled frames so far
        (after warm-up, a steady state adds none)."""
        cdef FrameSet fs
        cdef int t
        cdef int64_t n = 0
        for fs in self.pool:
            for t in range(fs.n):
                n += fs.frames[t].grows
        return n

    def cancel(self):
        """Stop running batches at the next sample boundary; every later
        batch of this executor returns no result."""
        self.cancel_flag = 1

    # -- batches -----------------------------------------------------------

    def run_batch(self, indices, list fixed, list variable, int threads):
        """Run samples ``indices``.

        ``fixed`` is a list of ``(slot, array)``: each sample's value is
        checked against ``array.shape[1:]``/dtype and copied into row ``b``.
        ``variable`` is a list of slots returned as per-sample Python objects.
        Returns ``(variable_results, failure)``; ``failure`` is None or
        ``(sample, instruction, output, message)`` for the lowest failing
        sample, and then nothing is written that the caller may use.
        """
        cdef int64_t[::1] idx = np.ascontiguousarray(indices, dtype=np.int64)
        cdef Py_ssize_t B = idx.shape[0], b, j
        cdef int nfix = len(fixed), nvar = len(variable), t, d, k, nthreads
        cdef int32_t* fix_slot = NULL
        cdef char** fix_base = NULL
        cdef Py_ssize_t* fix_row = NULL
        cdef int* fix_dtype = NULL
        cdef int* fix_ndim = NULL
        cdef Py_ssize_t* fix_shape = NULL
        cdef int32_t* var_slot = NULL
        cdef Value* var_out = NULL
        cdef Failure* fails = NULL
        cdef FrameSet fs
        cdef Frame* frames
        cdef Frame* f
        cdef Value* v
        cdef int rc, bad
        cdef Py_ssize_t chunk
        # Lowest failing sample index so far (INT64_MAX: none).  Samples with
        # a higher index are skipped once a failure is known; lower ones still
        # run, so the error reported is the batch's lowest failing sample
        # whatever the thread count and order.
        cdef int64_t lowest = INT64_MAX
        cdef int64_t* lowestp = &lowest
        cdef int* cancelp = &self.cancel_flag
        cdef object result = None, failure = None

        nthreads = max(1, min(threads, B)) if B > 0 else 1
        fs = self.acquire(nthreads)
        try:
            fix_slot = <int32_t*> malloc((nfix + 1) * sizeof(int32_t))
            fix_base = <char**> malloc((nfix + 1) * sizeof(char*))
            fix_row = <Py_ssize_t*> malloc((nfix + 1) * sizeof(Py_ssize_t))
            fix_dtype = <int*> malloc((nfix + 1) * sizeof(int))
            fix_ndim = <int*> malloc((nfix + 1) * sizeof(int))
            fix_shape = <Py_ssize_t*> malloc((nfix + 1) * MAX_DIMS * sizeof(Py_ssize_t))
            var_slot = <int32_t*> malloc((nvar + 1) * sizeof(int32_t))
            var_out = <Value*> calloc(B * nvar + 1, sizeof(Value))
            fails = <Failure*> calloc(nthreads, sizeof(Failure))
            if not (fix_slot and fix_base and fix_row and fix_dtype and fix_ndim
                    and fix_shape and var_slot and var_out and fails):
                raise MemoryError()
            for j, (slot, arr) in enumerate(fixed):
                if arr.shape[0] != B or not arr.flags.c_contiguous or arr.ndim - 1 > MAX_DIMS:
                    raise ValueError("output array does not fit the batch")
                fix_slot[j] = slot
                fix_base[j] = <char*><uintptr_t>array_address(arr)
                fix_row[j] = arr.itemsize * (arr.size // B if B else 0)
                fix_dtype[j] = _DTYPE_CODE[arr.dtype]
                fix_ndim[j] = arr.ndim - 1
                for d in range(arr.ndim - 1):
                    fix_shape[j * MAX_DIMS + d] = arr.shape[d + 1]
            for j, slot in enumerate(variable):
                var_slot[j] = slot
            # Samples are irregular, hence dynamic scheduling; but consecutive
            # samples write neighbouring rows of the batch arrays, so a chunk
            # spans at least a cache line of the narrowest row (no false
            # sharing between threads).
            chunk = 1
            for j in range(nfix):
                if 0 < fix_row[j] < 64:
                    chunk = max(chunk, min(64, (64 + fix_row[j] - 1) // fix_row[j]))
            chunk = max(1, min(chunk, B // (4 * nthreads)))
            for t in range(nthreads):
                fails[t].sample = -1

            frames = fs.frames
            with nogil, parallel(num_threads=nthreads):
                t = threadid()
                f = &frames[t]
                for b in prange(B, schedule="dynamic", chunksize=chunk):
                    if cancelp[0] or idx[b] >= pp_atomic_load_i64(lowestp):
                        continue
                    # kernels making a fixed output write it into its row
                    f.n_direct = 0
                    for j in range(nfix):
                        if f.n_direct < MAX_DIRECT and fix_row[j] > 0:
                            f.direct_slot[f.n_direct] = fix_slot[j]
                            f.direct_bytes[f.n_direct] = fix_row[j]
                            f.direct_ptr[f.n_direct] = fix_base[j] + b * fix_row[j]
                            f.n_direct = f.n_direct + 1
                    rc = run_sample(f, idx[b])
                    f.n_direct = 0
                    if rc != 0:
                        if fails[t].sample < 0 or idx[b] < fails[t].sample:
                            fails[t].sample = idx[b]
                            fails[t].instr = f.error_instr
                            fails[t].output = -1
                            memcpy(fails[t].message, f.error, ERROR_SIZE)
                        pp_atomic_min_i64(lowestp, idx[b])
                        continue
                    for j in range(nfix):
                        v = &f.slots[fix_slot[j]]
                        bad = v.kind != KIND_TENSOR or v.dtype != fix_dtype[j] or v.ndim != fix_ndim[j]
                        if not bad:
                            for d in range(fix_ndim[j]):
                                if v.shape[d] != fix_shape[j * MAX_DIMS + d]:
                                    bad = 1
                        if bad:
                            if fails[t].sample < 0 or idx[b] < fails[t].sample:
                                fails[t].sample = idx[b]
                                fails[t].instr = -1
                                fails[t].output = j
                                snprintf(fails[t].message, ERROR_SIZE,
                                         "value does not match the output's fixed type and shape")
                            pp_atomic_min_i64(lowestp, idx[b])
                            break
                        if v.data != fix_base[j] + b * fix_row[j]:
                            memcpy(fix_base[j] + b * fix_row[j], v.data, fix_row[j])
                    for j in range(nvar):
                        if clone_value(&var_out[b * nvar + j], &f.slots[var_slot[j]]) != 0:
                            if fails[t].sample < 0 or idx[b] < fails[t].sample:
                                fails[t].sample = idx[b]
                                fails[t].instr = -1
                                fails[t].output = nfix + j
                                snprintf(fails[t].message, ERROR_SIZE,
                                         "out of memory copying an output")
                            pp_atomic_min_i64(lowestp, idx[b])

            for t in range(nthreads):
                if fails[t].sample >= 0 and (failure is None or fails[t].sample < failure[0]):
                    failure = (fails[t].sample, fails[t].instr, fails[t].output,
                               fails[t].message.decode("utf-8", "replace"))
            if failure is None and not self.cancel_flag:
                # (no per-sample lists when there is nothing variable: B empty
                # lists would cost more than a small batch itself)
                result = [[to_python(&var_out[b * nvar + j]) for j in range(nvar)]
                          for b in range(B)] if nvar > 0 else []
            return result, failure
        finally:
            if var_out != NULL:
                for b in range(B * nvar):
                    free_clone(&var_out[b])
            free(var_out)
            free(fails)
            free(var_slot)
            free(fix_shape)
            free(fix_ndim)
            free(fix_dtype)
            free(fix_row)
            free(fix_base)
            free(fix_slot)
            self.release(fs)

    cdef void prepare_constants(self, FrameSet fs):
        """(Re)load the constant slots of every frame in ``fs``."""
        cdef int t
        cdef int32_t i
        for t in range(fs.n):
            for i in range(self.n_const):
                fs.frames[t].slots[self.const_slot[i]] = self.const_value[i]
