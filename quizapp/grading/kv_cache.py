"""The checker's KV cache for the lab's GPT: its own INT8 (or INT4) format for cached keys and
values, a full-sequence forward with that format applied, and greedy generation token by
token through a real cache (torch).

A K or V tensor has the attention's layout `(batch, heads, tokens, head_dim)`. A format says
which elements share a scale:

- `per-token`: one scale (and zero point) per token, over all heads and channels:
  scale shape `(batch, 1, tokens, 1)`;
- `per-head`: one per token and head, over the head's channels: `(batch, heads, tokens, 1)`;

and whether it is symmetric (`q = clamp(round(x / s), -127, 127)`, `s = max|x| / 127`) or
asymmetric (`s = (hi - lo) / 255` over the range widened to hold 0,
`z = clamp(round(-lo / s) - 128, -128, 127)`, `q = clamp(round(x / s) + z, -128, 127)`);
either way `x ~ (q - z) * s`, with z = 0 when symmetric.

Both granularities give each token its own scale from its own K and V only, and a cached
token's K and V never change after it is written (attention is causal). So quantizing K and
V inside full-sequence causal attention gives exactly the logits of token-by-token decoding
with a quantized cache: `bits_per_byte_kv` uses the full-sequence form (one batched pass over
the held-out windows), `generate` the token-by-token cache, and the tests check that both
agree. Per-channel scales (KIVI's keys) span tokens, so they need a full-precision residual
of recent tokens and break that equivalence; the exercise does not offer them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import cast

import torch
import torch.nn.functional as F

from quizapp.grading.gpt_baseline import GPT, HEAD_DIM, VOCAB, Attention, Block

GRANULARITIES = ("per-token", "per-head")


@dataclass(frozen=True)
class KVFormat:
    granularity: str  # one of GRANULARITIES
    symmetric: bool
    bits: int = 8

    @property
    def label(self) -> str:
        kind = "symmetric" if self.symmetric else "asymmetric"
        return f"INT{self.bits} {self.granularity}, {kind}"

    @property
    def levels(self) -> tuple[int, int]:
        """(qmin, qmax) of the codes: symmetric ones leave out the most negative code."""
        top = 2 ** (self.bits - 1) - 1
        return (-top, top) if self.symmetric else (-top - 1, top)


def parse_format(declared: object) -> KVFormat:
    """A learner's FORMAT ({"granularity": ..., "symmetric": ...}) as a KVFormat, or a
    ValueError saying what is wrong with it."""
    if not isinstance(declared, dict):
        raise ValueError(
            f"FORMAT is a {type(declared).__name__}, not a dict such as "
            '{"granularity": "per-head", "symmetric": True}'
        )
    granularity = declared.get("granularity")
    if granularity not in GRANULARITIES:
        raise ValueError(
            f'FORMAT["granularity"] is {granularity!r}, not one of '
            + ", ".join(repr(g) for g in GRANULARITIES)
        )
    symmetric = declared.get("symmetric")
    if not isinstance(symmetric, bool):
        raise ValueError(f'FORMAT["symmetric"] is {symmetric!r}, not True or False')
    unknown = sorted(set(declared) - {"granularity", "symmetric"})
    if unknown:
        raise ValueError(f"FORMAT has keys the grader does not know: {', '.join(unknown)}")
    return KVFormat(granularity, symmetric)


def reduced_dims(fmt: KVFormat) -> tuple[int, ...]:
    """The dimensions of (batch, heads, tokens, head_dim) that share one scale."""
    return (1, 3) if fmt.granularity == "per-token" else (3,)


def scale_shape(fmt: KVFormat, shape: tuple[int, ...]) -> tuple[int, ...]:
    """The shape of the scales (and zero points) of a K or V tensor of `shape`."""
    return tuple(1 if dim in reduced_dims(fmt) else size for dim, size in enumerate(shape))


def quantize_kv(
    x: torch.Tensor, fmt: KVFormat, scale: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(codes int8, scale float32, zero_point float32) of x in the format; zero is 0 when
    symmetric. Rounding is torch.round's (half to even). With `scale` given (one that
    broadcasts against x), the codes and zero points are the format's for that scale."""
    qmin, qmax = fmt.levels
    x = x.float()
    dims = reduced_dims(fmt)
    tiny = torch.finfo(torch.float32).eps
    if fmt.symmetric:
        if scale is None:
            scale = (x.abs().amax(dim=dims, keepdim=True) / qmax).clamp(min=tiny)
        zero = torch.zeros_like(scale)
    else:
        low = x.amin(dim=dims, keepdim=True).clamp(max=0.0)
        if scale is None:
            high = x.amax(dim=dims, keepdim=True).clamp(min=0.0)
            scale = ((high - low) / (qmax - qmin)).clamp(min=tiny)
        zero = (qmin - torch.round(low / scale)).clamp(qmin, qmax)
    codes = (torch.round(x / scale) + zero).clamp(qmin, qmax).to(torch.int8)
    return codes, scale, zero


def dequantize_kv(
    codes: torch.Tensor, scale: torch.Tensor, zero: torch.Tensor | None
) -> torch.Tensor:
    values = codes.float()
    if zero is not None:
        values = values - zero.float()
    return values * scale.float()


def fake_quantize(x: torch.Tensor, fmt: KVFormat | None) -> torch.Tensor:
    """What attention reads back from a cache in the format (x itself when fmt is None)."""
    if fmt is None:
        return x
    return dequantize_kv(*quantize_kv(x, fmt)).to(x.dtype)


def format_bytes(fmt: KVFormat, shape: tuple[int, ...], scale_bytes: int = 4) -> int:
    """Bytes of a K or V tensor of `shape` in the format: packed codes, scales, zero points."""
    elements = math.prod(shape)
    scales = math.prod(scale_shape(fmt, shape))
    metadata = scales * scale_bytes * (1 if fmt.symmetric else 2)
    return elements * fmt.bits // 8 + metadata


# --- the GPT with a KV cache ------------------------------------------------------------


def _blocks(model: GPT) -> list[Block]:
    return cast(list[Block], list(model.blocks))


def _qkv(attn: Attention, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The attention's q, k, v for x (batch, tokens, width): each (batch, heads, tokens, 64)."""
    batch, tokens, _ = x.shape
    qkv = attn.qkv(x).view(batch, tokens, 3, attn.heads, HEAD_DIM).permute(2, 0, 3, 1, 4)
    return qkv[0], qkv[1], qkv[2]


def _merge(attn: Attention, out: torch.Tensor) -> torch.Tensor:
    batch, _, tokens, _ = out.shape
    return attn.proj(out.transpose(1, 2).reshape(batch, tokens, -1))


@torch.no_grad()
def forward_kv(
    model: GPT, ids: torch.Tensor, fmt: KVFormat | None
) -> tuple[torch.Tensor, list[tuple[torch.Tensor, torch.Tensor]]]:
    """The GPT's logits for ids (batch, tokens) with every layer's K and V read back through
    the format (full-sequence causal attention), and each layer's (K, V) before quantization.
    With fmt None this is the model's own forward."""
    positions = torch.arange(ids.shape[1])
    x = model.tok(ids) + model.pos(positions)
    kv: list[tuple[torch.Tensor, torch.Tensor]] = []
    for block in _blocks(model):
        q, k, v = _qkv(block.attn, block.ln1(x))
        kv.append((k, v))
        out = F.scaled_dot_product_attention(
            q, fake_quantize(k, fmt), fake_quantize(v, fmt), is_causal=True
        )
        x = x + _merge(block.attn, out)
        x = x + block.mlp(block.ln2(x))
    return model.head(model.ln_f(x)), kv


@torch.no_grad()
def bits_per_byte_kv(model: GPT, ids: torch.Tensor, fmt: KVFormat | None, batch: int = 32) -> float:
    """Held-out bits per byte with the K and V cache in the format (see the module's note:
    the same as decoding token by token with that cache)."""
    total, count = 0.0, 0
    for start in range(0, len(ids), batch):
        chunk = ids[start : start + batch]
        logits, _ = forward_kv(model, chunk[:, :-1], fmt)
        total += F.cross_entropy(
            logits.reshape(-1, VOCAB).float(), chunk[:, 1:].reshape(-1), reduction="sum"
        ).item()
        count += chunk[:, 1:].numel()
    return total / count / math.log(2)


class KVCache:
    """One layer's cache: the codes, scales and zero points a decoder would keep (for the
    byte count), and what attention reads back from them."""

    def __init__(self, fmt: KVFormat | None) -> None:
        self.fmt = fmt
        self.keys: list[torch.Tensor] = []
        self.values: list[torch.Tensor] = []
        self.stored_bytes = 0
        self.fp32_bytes = 0

    def _store(self, x: torch.Tensor) -> torch.Tensor:
        self.fp32_bytes += 4 * x.numel()
        if self.fmt is None:
            self.stored_bytes += 4 * x.numel()
            return x
        codes, scale, zero = quantize_kv(x, self.fmt)
        self.stored_bytes += format_bytes(self.fmt, tuple(x.shape))
        return dequantize_kv(codes, scale, zero)

    def append(self, k: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Write the new tokens' K and V; return every cached token's K and V."""
        self.keys.append(self._store(k))
        self.values.append(self._store(v))
        return torch.cat(self.keys, dim=2), torch.cat(self.values, dim=2)


@torch.no_grad()
def _step(model: GPT, ids: torch.Tensor, start: int, caches: list[KVCache]) -> torch.Tensor:
    """Logits for new tokens `ids` (batch, new) at positions start.., attending to the cache."""
    positions = torch.arange(start, start + ids.shape[1])
    x = model.tok(ids) + model.pos(positions)
    for block, cache in zip(_blocks(model), caches, strict=True):
        q, k, v = _qkv(block.attn, block.ln1(x))
        keys, values = cache.append(k, v)
        # A prompt (several new tokens) attends causally; one new token sees the whole cache.
        out = F.scaled_dot_product_attention(q, keys, values, is_causal=ids.shape[1] > 1)
        x = x + _merge(block.attn, out)
        x = x + block.mlp(block.ln2(x))
    return model.head(model.ln_f(x))


@dataclass(frozen=True)
class Generation:
    tokens: torch.Tensor  # (batch, steps) the greedy continuation
    step_logits: torch.Tensor  # (batch, steps, VOCAB) the logits each token was chosen from
    stored_bytes: int  # the cache's bytes at the end (codes, scales, zero points)
    fp32_bytes: int  # the same cache in FP32


@torch.no_grad()
def generate(model: GPT, prompts: torch.Tensor, steps: int, fmt: KVFormat | None) -> Generation:
    """Greedy decoding of `steps` bytes after each prompt (batch, tokens), token by token
    through a KV cache in the format (FP32 when fmt is None)."""
    if prompts.shape[1] + steps - 1 > model.context:
        raise ValueError(
            f"{prompts.shape[1]} + {steps} tokens do not fit a context of {model.context}"
        )
    caches = [KVCache(fmt) for _ in model.blocks]
    logits = _step(model, prompts, 0, caches)[:, -1]
    position = prompts.shape[1]
    tokens, chosen = [], []
    for _ in range(steps):
        chosen.append(logits)
        token = logits.argmax(dim=-1, keepdim=True)
        tokens.append(token)
        if len(tokens) == steps:
            break
        logits = _step(model, token, position, caches)[:, -1]
        position += 1
    return Generation(
        tokens=torch.cat(tokens, dim=1),
        step_logits=torch.stack(chosen, dim=1),
        stored_bytes=sum(c.stored_bytes for c in caches),
        fp32_bytes=sum(c.fp32_bytes for c in caches),
    )
