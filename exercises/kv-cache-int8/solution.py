"""kv-cache-int8, the reference solution: symmetric INT8 with one scale per token and head
(each cached key or value vector of 64 channels has its own scale)."""

from __future__ import annotations

import torch

FORMAT = {"granularity": "per-head", "symmetric": True}
QMAX = 127


def quantize(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """K or V (batch, heads, tokens, head_dim) -> (int8 codes of the same shape, float32
    scales (batch, heads, tokens, 1))."""
    x = x.float()
    scale = (x.abs().amax(dim=-1, keepdim=True) / QMAX).clamp(min=torch.finfo(torch.float32).eps)
    codes = torch.round(x / scale).clamp(-QMAX, QMAX).to(torch.int8)
    return codes, scale


def dequantize(codes: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    return codes.float() * scale
