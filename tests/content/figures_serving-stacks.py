"""The serving-stacks deck's numeric answers, recomputed from their inputs.

Byte counts come from torch's dtype sizes on the meta device (a GGUF block is so many packed
uint8 bytes plus an FP16 scale), so a card that miscounts a block layout disagrees with torch;
ratios of published measurements recompute the arithmetic on the cited figures. Merged into
COMPUTED by tests/content/test_shipped_decks.py.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

DECK = "serving-stacks"


def nbytes(count: int, dtype: torch.dtype) -> int:
    return torch.empty(count, dtype=dtype, device="meta").nbytes


def bits_per_weight(block_bytes: int, weights: int) -> float:
    return block_bytes * torch.iinfo(torch.uint8).bits / weights


def q4_0_block_bytes() -> int:
    """ggml block_q4_0: 32 weights as 16 packed bytes of nibbles, plus an FP16 delta."""
    return nbytes(32 // 2, torch.uint8) + nbytes(1, torch.float16)


def q6_k_block_bytes() -> int:
    """ggml block_q6_K over QK_K = 256: ql[128], qh[64], int8 scales[16], FP16 d."""
    return (
        nbytes(256 // 2, torch.uint8)
        + nbytes(256 // 4, torch.uint8)
        + nbytes(256 // 16, torch.int8)
        + nbytes(1, torch.float16)
    )


def q8_0_block_bytes() -> int:
    """ggml block_q8_0: 32 int8 weights plus an FP16 delta."""
    return nbytes(32, torch.int8) + nbytes(1, torch.float16)


def unfused_qdq_bytes_per_element() -> int:
    """A standalone Q (FP16 in, INT8 out) then a standalone DQ (INT8 in, FP16 out)."""
    fp16, int8 = nbytes(1, torch.float16), nbytes(1, torch.int8)
    return (fp16 + int8) + (int8 + fp16)


def w4a16_ridge_tokens(peak_flops: float, bandwidth: float) -> float:
    """Roofline: 2*m*K*N FLOPs over K*N/2 weight bytes is 4m FLOP/byte; solve 4m = ridge."""
    weight_bytes = 0.5
    flops_per_weight_per_token = 2.0
    return (peak_flops / bandwidth) / (flops_per_weight_per_token / weight_bytes)


def e2e_latency_s(ttft_s: float, tpot_s: float, output_tokens: int) -> float:
    """vLLM's benchmark: tpot = (latency - ttft) / (output_len - 1), solved for latency."""
    return ttft_s + tpot_s * (output_tokens - 1)


def int4_packed_bytes(shape: tuple[int, ...]) -> int:
    """Pack INT4 codes two per byte, low nibble first, padding an odd count with a zero nibble."""
    codes = torch.ones(shape, dtype=torch.uint8).flatten()
    if codes.numel() % 2:
        codes = torch.cat([codes, torch.zeros(1, dtype=torch.uint8)])
    packed = codes[0::2] | (codes[1::2] << 4)
    return packed.numel() * packed.element_size()


def tail_latencies_ms() -> torch.Tensor:
    """985 requests at 40 ms and 15 stalled at 400 ms."""
    return torch.cat([torch.full((985,), 40.0), torch.full((15,), 400.0)])


COMPUTED: dict[str, Callable[[], float]] = {
    f"{DECK}/modelopt-fp8-awq-batch32-ratio": lambda: 2368.69 / 2037.54,
    f"{DECK}/w4a16-ridge-batch": lambda: w4a16_ridge_tokens(400e12, 2e12),
    f"{DECK}/bnb-bloom-int8-slowdown": lambda: 286.56 / 230.38,
    f"{DECK}/gguf-q4-0-bits": lambda: bits_per_weight(q4_0_block_bytes(), 32),
    f"{DECK}/gguf-q6-k-bits": lambda: bits_per_weight(q6_k_block_bytes(), 256),
    f"{DECK}/gguf-q8-0-7b-size": lambda: 7e9 / 32 * q8_0_block_bytes() / 1e9,
    f"{DECK}/unfused-qdq-bytes": unfused_qdq_bytes_per_element,
    f"{DECK}/llm-e2e-latency": lambda: e2e_latency_s(0.250, 0.020, 301),
    f"{DECK}/trt-int4-packed-bytes": lambda: int4_packed_bytes((3, 5)),
    f"{DECK}/p99-tail-latency": lambda: torch.quantile(tail_latencies_ms(), 0.99).item(),
    f"{DECK}/decode-throughput-from-itl": lambda: 32 / 0.040,
}
