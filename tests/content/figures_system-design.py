"""The system-design deck's numeric answers, recomputed from their inputs.

Model shapes are built as torch modules on the meta device from Llama-3.1-70B's published
arguments (meta-llama/llama-models, models/llama3_1/api/sku_list.py) with the reference
code's FFN-width rule (models/llama3/model.py), so parameter counts and byte sizes come from
torch, not from figures copied off the cards. Merged into COMPUTED by test_shipped_decks.py.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import torch
from torch import nn

LLAMA31_70B = {
    "dim": 8192,
    "n_layers": 80,
    "n_heads": 64,
    "n_kv_heads": 8,
    "vocab_size": 128256,
    "ffn_dim_multiplier": 1.3,
    "multiple_of": 4096,
}


def ffn_width(dim: int, multiplier: float, multiple_of: int) -> int:
    """FeedForward.__init__ of the reference model: 2/3 of 4*dim, scaled, rounded up."""
    hidden = int(2 * (4 * dim) / 3)
    hidden = int(multiplier * hidden)
    return multiple_of * ((hidden + multiple_of - 1) // multiple_of)


def head_dim() -> int:
    return LLAMA31_70B["dim"] // LLAMA31_70B["n_heads"]


@functools.cache
def llama31_70b_counts() -> dict[str, int]:
    """Parameters of one decoder block's Linear layers, of its norms, and of the rest."""
    c = LLAMA31_70B
    dim, hd = c["dim"], head_dim()
    hidden = ffn_width(dim, c["ffn_dim_multiplier"], c["multiple_of"])
    with torch.device("meta"):
        linears = nn.ModuleList(
            [
                nn.Linear(dim, c["n_heads"] * hd, bias=False),  # wq
                nn.Linear(dim, c["n_kv_heads"] * hd, bias=False),  # wk
                nn.Linear(dim, c["n_kv_heads"] * hd, bias=False),  # wv
                nn.Linear(c["n_heads"] * hd, dim, bias=False),  # wo
                nn.Linear(dim, hidden, bias=False),  # w1
                nn.Linear(hidden, dim, bias=False),  # w2
                nn.Linear(dim, hidden, bias=False),  # w3
            ]
        )
        norms = nn.ModuleList([nn.RMSNorm(dim), nn.RMSNorm(dim)])
        embedding = nn.Embedding(c["vocab_size"], dim)
        output = nn.Linear(dim, c["vocab_size"], bias=False)
        final_norm = nn.RMSNorm(dim)

    def count(module: nn.Module) -> int:
        return sum(p.numel() for p in module.parameters())

    return {
        "decoder_linear": c["n_layers"] * count(linears),
        "norms": c["n_layers"] * count(norms) + count(final_norm),
        "embedding_and_output": count(embedding) + count(output),
    }


def total_params() -> int:
    return sum(llama31_70b_counts().values())


def bits_to_bytes(count: float, bits: float) -> float:
    return count * bits / 8


def group_bits(bits: int, group: int, per_group_16bit_values: int) -> float:
    """Average bits per weight with 16-bit metadata values per group (scale, zero point)."""
    meta = torch.empty(per_group_16bit_values, dtype=torch.float16, device="meta")
    return bits + meta.element_size() * 8 * meta.numel() / group


def w4_checkpoint_bytes() -> float:
    counts = llama31_70b_counts()
    bf16 = torch.empty(0, dtype=torch.bfloat16, device="meta").element_size()
    return (
        bits_to_bytes(counts["decoder_linear"], group_bits(4, 128, 2))
        + (counts["embedding_and_output"] + counts["norms"]) * bf16
    )


def kv_bytes_per_token(dtype: torch.dtype = torch.bfloat16) -> int:
    c = LLAMA31_70B
    return torch.empty(
        2, c["n_layers"], c["n_kv_heads"], head_dim(), dtype=dtype, device="meta"
    ).nbytes


def nf4_scale_bits(double_quant: bool) -> float:
    """Bits per parameter spent on bitsandbytes' 4-bit block scales (blocksize 64, fp32
    absmax; with double quantization: 8-bit absmax in blocks of 256 with an fp32 constant)."""
    fp32 = torch.empty(1, dtype=torch.float32, device="meta").nbytes * 8
    if not double_quant:
        return fp32 / 64
    u8 = torch.empty(1, dtype=torch.uint8, device="meta").nbytes * 8
    return u8 / 64 + fp32 / (64 * 256)


COMPUTED: dict[str, Callable[[], float]] = {
    "system-design/llama31-70b-param-count": lambda: total_params() / 1e9,
    "system-design/mem-70b-int4-g128": lambda: bits_to_bytes(70e9, group_bits(4, 128, 1)) / 1e9,
    "system-design/llama31-70b-w4-checkpoint-gb": lambda: w4_checkpoint_bytes() / 1e9,
    "system-design/kv-bytes-per-token-70b": lambda: kv_bytes_per_token() / 2**10,
    "system-design/kv-tokens-in-budget": lambda: 8 * 2**30 / kv_bytes_per_token(),
    "system-design/decode-bound-70b-tp2": lambda: 1000 / (w4_checkpoint_bytes() / 1e9 / 2),
    "system-design/qlora-double-quant-bits": lambda: nf4_scale_bits(double_quant=True),
    "system-design/qlora-7b-base-gb": lambda: (
        bits_to_bytes(7e9, 4 + nf4_scale_bits(double_quant=True)) / 1e9
    ),
}
