"""int4-weight-only, the reference solution: group-wise asymmetric INT4 with real packing.

Every nn.Linear of the GPT becomes an Int4Linear holding its weight as uint8 bytes of two
4-bit codes each, an FP32 scale and zero point per group of `group_size` inputs, and the
FP32 bias; its forward unpacks, dequantizes and multiplies.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

QMIN, QMAX = 0, 15


def pack_int4(codes: torch.Tensor) -> torch.Tensor:
    """(..., n) codes in 0..15 -> (..., n / 2) uint8: code 2i in the low four bits of byte
    i, code 2i + 1 in the high four bits."""
    codes = codes.to(torch.uint8)
    return codes[..., 0::2] | (codes[..., 1::2] << 4)


def unpack_int4(packed: torch.Tensor) -> torch.Tensor:
    """(..., n / 2) uint8 -> (..., n) uint8 codes in 0..15."""
    low = packed & 0x0F
    high = packed >> 4
    return torch.stack((low, high), dim=-1).flatten(-2)


def quantize_groupwise(
    weight: torch.Tensor, group_size: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Asymmetric round-to-nearest per group: (codes (out, in) uint8 in 0..15, scale
    (out, in / group_size), zero_point (out, in / group_size))."""
    out_features, in_features = weight.shape
    groups = weight.detach().float().reshape(out_features, in_features // group_size, group_size)
    # The range always holds 0, so that 0.0 is exactly representable (padding, ReLU zeros).
    low = groups.amin(dim=-1).clamp(max=0.0)
    high = groups.amax(dim=-1).clamp(min=0.0)
    scale = ((high - low) / (QMAX - QMIN)).clamp(min=torch.finfo(torch.float32).eps)
    zero_point = (QMIN - torch.round(low / scale)).clamp(QMIN, QMAX)
    codes = torch.round(groups / scale[..., None]) + zero_point[..., None]
    codes = codes.clamp(QMIN, QMAX).to(torch.uint8).reshape(out_features, in_features)
    return codes, scale, zero_point


def dequantize_groupwise(
    codes: torch.Tensor, scale: torch.Tensor, zero_point: torch.Tensor
) -> torch.Tensor:
    out_features, in_features = codes.shape
    groups = scale.shape[1]
    values = codes.float().reshape(out_features, groups, in_features // groups)
    weight = (values - zero_point[..., None]) * scale[..., None]
    return weight.reshape(out_features, in_features)


class Int4Linear(nn.Module):
    """A Linear whose weight is stored as packed INT4 codes with group-wise scales."""

    def __init__(self, linear: nn.Linear, group_size: int) -> None:
        super().__init__()
        codes, scale, zero_point = quantize_groupwise(linear.weight, group_size)
        self.group_size = group_size
        self.register_buffer("packed", pack_int4(codes))
        self.register_buffer("scale", scale)
        self.register_buffer("zero_point", zero_point)
        bias = linear.bias.detach().clone() if linear.bias is not None else None
        self.register_buffer("bias", bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        weight = dequantize_groupwise(unpack_int4(self.packed), self.scale, self.zero_point)
        return F.linear(x, weight.to(x.dtype), self.bias)


def quantize(model: nn.Module, group_size: int) -> nn.Module:
    """Replace every nn.Linear of the model by an Int4Linear (in place) and return it."""
    for name, module in list(model.named_modules()):
        if isinstance(module, nn.Linear):
            parent_name, _, child = name.rpartition(".")
            parent = model.get_submodule(parent_name) if parent_name else model
            setattr(parent, child, Int4Linear(module, group_size))
    return model
