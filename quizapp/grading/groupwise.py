"""The checker's own group-wise INT4 format: what a learner's packed weights mean (torch).

A weight W of shape (out, in) is cut along `in` into groups of `group_size`; each group has
a scale s and a zero point z, and each weight an integer code q in 0..15:

    W ~ (q - z) * s

Symmetric quantization is the case z = 8 everywhere (codes -8..7 shifted by 8). Two codes
share a byte: code 2i in the low four bits, code 2i + 1 in the high four bits, so a row of
`in` codes packs into in / 2 uint8 bytes.

The round-to-nearest reference follows torchao's affine primitives (`choose_qparams_affine`
with the range widened to hold 0, an integer zero point, `quantize_affine` rounding half to
even and clamping), which the tests compare it with.
"""

from __future__ import annotations

import torch
from torch import nn

QMIN, QMAX = 0, 15
SYMMETRIC_ZERO = 8


def pack_int4(codes: torch.Tensor) -> torch.Tensor:
    """(..., n) codes in 0..15 -> (..., n / 2) uint8: code 2i low nibble, 2i + 1 high."""
    codes = codes.to(torch.uint8)
    return codes[..., 0::2] | (codes[..., 1::2] << 4)


def unpack_int4(packed: torch.Tensor) -> torch.Tensor:
    """(..., n / 2) uint8 -> (..., n) uint8 codes in 0..15 (the inverse of pack_int4)."""
    low = packed & 0x0F
    high = packed >> 4
    return torch.stack((low, high), dim=-1).flatten(-2)


def quantize_rtn(
    weight: torch.Tensor, group_size: int, symmetric: bool = False
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Round-to-nearest: (codes (out, in) uint8, scale (out, in / g), zero (out, in / g))."""
    out_features, in_features = weight.shape
    groups = weight.float().reshape(out_features, in_features // group_size, group_size)
    if symmetric:
        scale = groups.abs().amax(dim=-1) / ((QMAX - QMIN) / 2)
        scale = scale.clamp(min=torch.finfo(torch.float32).eps)
        zero = torch.full_like(scale, float(SYMMETRIC_ZERO))
    else:
        low = groups.amin(dim=-1).clamp(max=0.0)
        high = groups.amax(dim=-1).clamp(min=0.0)
        scale = ((high - low) / (QMAX - QMIN)).clamp(min=torch.finfo(torch.float32).eps)
        zero = (QMIN - torch.round(low / scale)).clamp(QMIN, QMAX)
    # Times the reciprocal, as torchao's quantize_affine does: a tie lands the same way.
    codes = torch.round(groups * (1.0 / scale[..., None])) + zero[..., None]
    codes = torch.clamp(codes, QMIN, QMAX)
    return codes.reshape(out_features, in_features).to(torch.uint8), scale, zero


def dequantize(codes: torch.Tensor, scale: torch.Tensor, zero: torch.Tensor) -> torch.Tensor:
    """(codes - zero) * scale, group by group, in float32."""
    out_features, in_features = codes.shape
    groups = scale.shape[-1]
    values = codes.float().reshape(out_features, groups, in_features // groups)
    weight = (values - zero.float()[..., None]) * scale.float()[..., None]
    return weight.reshape(out_features, in_features)


def dequantize_packed(
    packed: torch.Tensor, scale: torch.Tensor, zero: torch.Tensor
) -> torch.Tensor:
    return dequantize(unpack_int4(packed), scale, zero)


def layer_weight(model: nn.Module, name: str) -> torch.Tensor:
    """The weight of a named Linear or LayerNorm (a TypeError for anything else)."""
    module = model.get_submodule(name)
    if not isinstance(module, nn.Linear | nn.LayerNorm):
        raise TypeError(f"{name} is a {type(module).__name__}, not a Linear or LayerNorm")
    return module.weight


def replace_weights(model: nn.Module, weights: dict[str, torch.Tensor]) -> nn.Module:
    """Set the weight of each named Linear (in place; returns the model)."""
    with torch.no_grad():
        for name, weight in weights.items():
            layer_weight(model, name).copy_(weight)
    return model


def rtn_weights(
    model: nn.Module, names: list[str], group_size: int, symmetric: bool = False
) -> dict[str, torch.Tensor]:
    """Each named Linear's weight quantized by round-to-nearest and dequantized again."""
    weights = {}
    for name in names:
        codes, scale, zero = quantize_rtn(layer_weight(model, name), group_size, symmetric)
        weights[name] = dequantize(codes, scale, zero)
    return weights


def rtn_per_channel_weights(
    model: nn.Module, names: list[str], bits: int
) -> dict[str, torch.Tensor]:
    """Symmetric per-output-channel round-to-nearest at `bits` (INT8: -127..127 style)."""
    levels = 2 ** (bits - 1) - 1
    weights = {}
    for name in names:
        weight = layer_weight(model, name).float()
        scale = (weight.abs().amax(dim=1, keepdim=True) / levels).clamp(min=1e-12)
        weights[name] = torch.clamp(torch.round(weight / scale), -levels - 1, levels) * scale
    return weights
