"""Sub-byte formats exactly as torchao computes them, in plain Python (no torch import).

Three block formats: MX FP4 (a power-of-two E8M0 scale shared by a block, E2M1 elements),
NF4 (QLoRA's 16 normal quantiles times a block's absmax) and group-wise INT4 (affine or
symmetric, two values packed per byte). Intermediate results are rounded to float32 as
torchao's float32 tensors round them (`int8.f32`), so the answers match its kernels bit for
bit; tests in tests/content use torchao as the oracle.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Literal

from quizapp.core.int8 import f32

# --- MX FP4: E2M1 elements under an E8M0 scale ---------------------------------------------

# The eight magnitudes of FP4 E2M1 (1 sign, 2 exponent, 1 mantissa bit, bias 1), by code:
# code = 2 * exponent field + mantissa bit; the sign is bit 3. 0.5 is the one subnormal.
E2M1_MAGNITUDES = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0)
E2M1_MAX = 6.0
E2M1_EMAX = 2  # the exponent of E2M1's largest power of two (4 = 2**2)
E8M0_BIAS = 127


def mx_scale_exponent(amax: float, emax: int = E2M1_EMAX) -> int:
    """The shared exponent e (scale X = 2**e) for a block whose largest magnitude is `amax`.

    OCP MX v1.0 section 6.3 and torchao's `to_mx` with ScaleCalculationMode.FLOOR:
    e = floor(log2(amax)) - emax, clamped to E8M0's range. FLOOR can leave amax / X up to
    just under 8, beyond E2M1's 6: those elements saturate.
    """
    amax = f32(abs(amax))
    if amax == 0:
        return -E8M0_BIAS
    mantissa, exponent = math.frexp(amax)  # amax = mantissa * 2**exponent, mantissa in [0.5, 1)
    return min(max(exponent - 1 - emax, -E8M0_BIAS), E8M0_BIAS + 1)


def e2m1_code(value: Fraction | float) -> int:
    """The FP4 E2M1 code (0..15) of `value`: round to nearest, ties to even, saturate at 6.

    As torchao's `_f32_to_floatx_unpacked`: a tie goes to the code whose mantissa bit is 0,
    and anything beyond 6 (after rounding) becomes 6 with its sign kept.
    """
    value = Fraction(value)
    sign = 8 if value < 0 else 0
    magnitude = abs(value)
    best = 0
    for code in range(1, 8):
        here, there = (
            abs(magnitude - Fraction(E2M1_MAGNITUDES[code])),
            abs(magnitude - Fraction(E2M1_MAGNITUDES[best])),
        )
        if here < there or (here == there and code % 2 == 0):
            best = code
    return sign | best


def e2m1_value(code: int) -> float:
    magnitude = E2M1_MAGNITUDES[code & 7]
    return -magnitude if code & 8 and magnitude else magnitude  # -0 reads as 0


def mx_fp4_element(x: float, scale_exponent: int) -> int:
    """The E2M1 code x is stored as: x / 2**e (exact in float32 for these ranges), rounded."""
    return e2m1_code(Fraction(f32(x)) / Fraction(2) ** scale_exponent)


def e2m1_midpoint_distance(value: Fraction) -> Fraction:
    """How far `value` (in element units) is from the nearest rounding boundary of E2M1."""
    magnitude = abs(value)
    if magnitude >= E2M1_MAX:
        return magnitude - Fraction(E2M1_MAX) + 1  # saturated: no boundary to be near
    bounds = [
        (Fraction(a) + Fraction(b)) / 2
        for a, b in zip(E2M1_MAGNITUDES, E2M1_MAGNITUDES[1:], strict=False)
    ]
    return min(abs(magnitude - b) for b in bounds)


# --- NF4 ------------------------------------------------------------------------------------

# torchao's NF4Tensor lookup table (four decimals of QLoRA's normal quantiles), code 0..15.
NF4_TABLE = (
    -1.0,
    -0.6962,
    -0.5251,
    -0.3949,
    -0.2844,
    -0.1848,
    -0.0911,
    0.0,
    0.0796,
    0.1609,
    0.2461,
    0.3379,
    0.4407,
    0.5626,
    0.7230,
    1.0,
)


def nf4_code(w: float, absmax: float) -> int:
    """The NF4 code of weight `w` in a block with that absmax, as `NF4Tensor`'s nearest search.

    w / absmax in float32, then the index of the table entry with the smallest float32
    distance (the first one on a tie, as `min(dim=-1).indices`).
    """
    normalized = f32(f32(w) / f32(absmax))
    distances = [abs(f32(normalized - f32(level))) for level in NF4_TABLE]
    return distances.index(min(distances))


def nf4_dequantize(code: int, absmax: float) -> float:
    return f32(f32(NF4_TABLE[code]) * f32(absmax))


def nf4_boundary_distance(normalized: Fraction) -> Fraction:
    """Distance from w / absmax to the nearest midpoint between two NF4 levels."""
    levels = [Fraction(str(level)) for level in NF4_TABLE]
    bounds = [(a + b) / 2 for a, b in zip(levels, levels[1:], strict=False)]
    return min(abs(normalized - b) for b in bounds)


# --- group-wise INT4 ------------------------------------------------------------------------

Int4Scheme = Literal["asymmetric", "symmetric"]
# torchao's uint4 for the asymmetric (zero point) scheme, int4 for the symmetric one.
INT4_RANGE = {"asymmetric": (0, 15), "symmetric": (-8, 7)}
FLOAT32_SMALLEST_NORMAL = 2.0**-126  # torch.finfo(torch.float32).smallest_normal: torchao's eps


def int4_qparams(group: list[float], scheme: Int4Scheme) -> tuple[float, int]:
    """(scale, zero_point) as torchao's `choose_qparams_affine` for one group, float32 input.

    Asymmetric (uint4, 0..15): s = (max(x_max, 0) - min(x_min, 0)) / 15, z = 0 - round(min/s).
    Symmetric (int4, -8..7): s = amax / ((7 - (-8)) / 2) = amax / 7.5, z = 0.
    """
    quant_min, quant_max = INT4_RANGE[scheme]
    min_neg = min(min(f32(v) for v in group), 0.0)
    max_pos = max(max(f32(v) for v in group), 0.0)
    if scheme == "symmetric":
        amax = max(-min_neg, max_pos)
        scale = max(f32(amax / f32((quant_max - quant_min) / 2)), FLOAT32_SMALLEST_NORMAL)
        return scale, (quant_max + quant_min + 1) // 2
    scale = max(f32(f32(max_pos - min_neg) / float(quant_max - quant_min)), FLOAT32_SMALLEST_NORMAL)
    zero_point = quant_min - round(f32(min_neg / scale))
    return scale, min(max(zero_point, quant_min), quant_max)


def int4_quantize(x: float, scale: float, zero_point: int, scheme: Int4Scheme) -> int:
    """`quantize_affine`: clamp(round(x * (1 / s)) + z), the reciprocal taken in float32."""
    quant_min, quant_max = INT4_RANGE[scheme]
    inverse = f32(1.0 / f32(scale))
    q = round(f32(f32(x) * inverse)) + zero_point
    return min(max(q, quant_min), quant_max)


def nibble(q: int) -> int:
    """The 4 bits stored for q: q itself for uint4, two's complement (q & 0xF) for int4."""
    return q & 0xF


def pack_pair(first: int, second: int) -> int:
    """One byte for two adjacent 4-bit values: the first (even index) in the low nibble.

    The order of torchao's `pack_uint4` (mx_formats) and its plain int4 tensor: element i
    sits at bits 4 * (i % 2), so unpacking is `(byte >> 4 * (i % 2)) & 0xF`.
    """
    return nibble(first) | nibble(second) << 4
