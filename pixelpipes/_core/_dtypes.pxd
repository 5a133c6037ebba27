# Scalar type names and the fused types kernels are written over.
from libc.stdint cimport uint8_t, int16_t, uint16_t, int32_t, int64_t

ctypedef fused numeric_t:
    uint8_t
    int16_t
    uint16_t
    int32_t
    int64_t
    float
    double

ctypedef fused integer_t:
    uint8_t
    int16_t
    uint16_t
    int32_t
    int64_t

ctypedef fused floating_t:
    float
    double
