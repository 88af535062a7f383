"""The FP32 language model the LLM exercises quantize: a small GPT trained here, once.

A decoder-only transformer (token and position embeddings, pre-LayerNorm blocks of causal
self-attention and a GELU MLP, every projection an `nn.Linear`, an untied head) reads bytes:
the vocabulary is the 256 byte values, so no tokenizer is needed. It learns the Python
standard library's own `.py` files (those of the Python running quizapp, tests excluded),
which every machine has. Patch releases and distributions ship different files, so the list
of corpus files and their SHA-256 is part of the recipe's key: another corpus retrains.

The files are split, by this install's secret seed, into training, calibration and held-out
text. Only the checker reads the cache: the learner's process gets weights and calibration
activations as files, never held-out text. Every figure is held-out **bits per byte**: the
mean cross-entropy of the next byte, in bits.

The cache (model, calibration and held-out bytes, the corpus manifest, the FP32 figure)
lives beside the ResNet baseline and is trusted the same way (`baseline_cache`). This module
imports torch.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import sysconfig
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from quizapp.grading.baseline_cache import (
    CacheInvalid,
    Progress,
    cache_dir,
    cache_lock,
    deterministic,
    install_seed,
    print_progress,
    read_verified,
    remove_superseded,
    weights_hash,
    write_verified,
)
from quizapp.grading.baselines import GPT as GPT_BASELINE
from quizapp.grading.baselines import cache_stem

RECIPE_VERSION = 2
VOCAB = 256  # bytes
HEAD_DIM = 64
# Directories of the standard library that are not its source: test suites and whatever
# is installed into it.
SKIPPED_DIRS = frozenset(
    {"test", "tests", "idle_test", "site-packages", "dist-packages", "__pycache__"}
)


@dataclass(frozen=True)
class Recipe:
    """Everything that decides the trained weights besides the corpus (changing any field,
    or any corpus file, retrains)."""

    version: int = RECIPE_VERSION
    seed: int = 0
    width: int = 128  # divisible by the group sizes the exercises use (64 and 128)
    layers: int = 4
    context: int = 128
    calibration_bytes: int = 64 * 1024
    held_out_bytes: int = 64 * 1024
    # At most this much of each held-out or calibration file: the text mixes 64 files or
    # more, so no one file (a table of HTML entities, a codec) can be the figure.
    file_bytes: int = 1024
    steps: int = 256
    batch_size: int = 16
    lr: float = 6e-3
    warmup_steps: int = 20
    weight_decay: float = 0.05
    eval_bytes: int = 32 * 1024  # the held-out prefix every bits/byte figure is measured on

    def key(self, corpus_digest: str) -> str:
        document = {**asdict(self), "corpus": corpus_digest, "torch": torch.__version__}
        digest = hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()
        return digest[:16]


DEFAULT_RECIPE = Recipe()


# --- the model --------------------------------------------------------------------------


class Attention(nn.Module):
    """Causal multi-head self-attention; heads of 64 channels."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.heads = width // HEAD_DIM
        self.qkv = nn.Linear(width, 3 * width)
        self.proj = nn.Linear(width, width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, tokens, width = x.shape
        qkv = self.qkv(x).view(batch, tokens, 3, self.heads, HEAD_DIM).permute(2, 0, 3, 1, 4)
        out = F.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2], is_causal=True)
        return self.proj(out.transpose(1, 2).reshape(batch, tokens, width))


class MLP(nn.Module):
    def __init__(self, width: int) -> None:
        super().__init__()
        self.up = nn.Linear(width, 4 * width)
        self.down = nn.Linear(4 * width, width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.down(F.gelu(self.up(x)))


class Block(nn.Module):
    """Pre-LayerNorm: x + attn(ln1(x)), then x + mlp(ln2(x))."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.ln1 = nn.LayerNorm(width)
        self.attn = Attention(width)
        self.ln2 = nn.LayerNorm(width)
        self.mlp = MLP(width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class GPT(nn.Module):
    """(batch, tokens) byte ids -> (batch, tokens, 256) next-byte logits."""

    def __init__(self, width: int, layers: int, context: int) -> None:
        super().__init__()
        self.context = context
        self.tok = nn.Embedding(VOCAB, width)
        self.pos = nn.Embedding(context, width)
        self.blocks = nn.ModuleList(Block(width) for _ in range(layers))
        self.ln_f = nn.LayerNorm(width)
        self.head = nn.Linear(width, VOCAB, bias=False)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        positions = torch.arange(ids.shape[1], device=ids.device)
        x = self.tok(ids) + self.pos(positions)
        for block in self.blocks:
            x = block(x)
        return self.head(self.ln_f(x))


def build_model(recipe: Recipe = DEFAULT_RECIPE) -> GPT:
    return GPT(recipe.width, recipe.layers, recipe.context)


def linear_names(model: nn.Module) -> list[str]:
    """Every nn.Linear of the model, in definition order (the layers the exercises quantize)."""
    return [name for name, module in model.named_modules() if isinstance(module, nn.Linear)]


# --- the corpus -------------------------------------------------------------------------


def stdlib_root() -> Path:
    return Path(sysconfig.get_paths()["stdlib"])


def corpus_files(root: Path | None = None) -> list[Path]:
    """The standard library's .py files, test suites excluded, in a fixed order."""
    root = root or stdlib_root()
    files = [
        path
        for path in root.rglob("*.py")
        if path.is_file() and not SKIPPED_DIRS.intersection(path.relative_to(root).parts[:-1])
    ]
    return sorted(files, key=lambda path: path.relative_to(root).as_posix())


def corpus_manifest(root: Path | None = None) -> list[tuple[str, str]]:
    """(path relative to the standard library, SHA-256) of every corpus file."""
    root = root or stdlib_root()
    return [
        (path.relative_to(root).as_posix(), hashlib.sha256(path.read_bytes()).hexdigest())
        for path in corpus_files(root)
    ]


def manifest_digest(manifest: list[tuple[str, str]]) -> str:
    return hashlib.sha256(json.dumps(manifest).encode()).hexdigest()


@dataclass(frozen=True)
class Corpus:
    """The split text as uint8 tensors, and which files went where."""

    train: torch.Tensor
    calibration: torch.Tensor
    held_out: torch.Tensor
    calibration_files: list[str]
    held_out_files: list[str]


def split_corpus(recipe: Recipe, root: Path | None = None) -> Corpus:
    """A seeded shuffle of the files: the first fill the held-out text, the next the
    calibration text (at most `file_bytes` from the middle of each file, each text cut at
    its size); the files left are the training text."""
    root = root or stdlib_root()
    files = corpus_files(root)
    order = torch.randperm(len(files), generator=torch.Generator().manual_seed(recipe.seed))
    texts = [(files[i].relative_to(root).as_posix(), files[i].read_bytes()) for i in order]
    parts: list[tuple[bytes, list[str]]] = []
    position = 0
    for size in (recipe.held_out_bytes, recipe.calibration_bytes):
        taken, names = b"", []
        while len(taken) < size and position < len(texts):
            name, text = texts[position]
            middle = max(0, (len(text) - recipe.file_bytes) // 2)  # code, past the docstring
            taken += text[middle : middle + recipe.file_bytes]
            names.append(name)
            position += 1
        parts.append((taken[:size], names))
    train = b"".join(text for _, text in texts[position:])
    (held_out, held_out_files), (calibration, calibration_files) = parts
    return Corpus(
        train=_bytes_tensor(train),
        calibration=_bytes_tensor(calibration),
        held_out=_bytes_tensor(held_out),
        calibration_files=calibration_files,
        held_out_files=held_out_files,
    )


def _bytes_tensor(data: bytes) -> torch.Tensor:
    return torch.frombuffer(bytearray(data), dtype=torch.uint8).clone()


def windows(text: torch.Tensor, context: int, limit: int | None = None) -> torch.Tensor:
    """Consecutive, non-overlapping windows of context + 1 bytes (inputs and next bytes), as
    int64 ids of shape (N, context + 1); `limit` bytes of the text at most."""
    text = text[:limit] if limit is not None else text
    count = (len(text) - 1) // context
    starts = torch.arange(count) * context
    return torch.stack([text[s : s + context + 1] for s in starts.tolist()]).long()


# --- training and evaluation ------------------------------------------------------------


def _learning_rate(recipe: Recipe, step: int) -> float:
    """Linear warm-up, then a cosine decay to a tenth of the peak."""
    if step < recipe.warmup_steps:
        return recipe.lr * (step + 1) / recipe.warmup_steps
    done = (step - recipe.warmup_steps) / max(1, recipe.steps - recipe.warmup_steps)
    return recipe.lr * (0.1 + 0.45 * (1 + math.cos(math.pi * done)))


def train(
    recipe: Recipe, corpus: Corpus, progress: Progress | None = None
) -> dict[str, torch.Tensor]:
    """Train from the recipe's seed on random windows of the training text."""
    report = progress or (lambda step, total, message: None)
    text = corpus.train
    with deterministic():
        torch.manual_seed(recipe.seed)
        model = build_model(recipe)
        generator = torch.Generator().manual_seed(recipe.seed + 1)
        decay = [p for p in model.parameters() if p.dim() >= 2]
        no_decay = [p for p in model.parameters() if p.dim() < 2]
        optimizer = torch.optim.AdamW(
            [
                {"params": decay, "weight_decay": recipe.weight_decay},
                {"params": no_decay, "weight_decay": 0.0},
            ],
            lr=recipe.lr,
            betas=(0.9, 0.95),
        )
        offsets = torch.arange(recipe.context + 1)
        started = time.perf_counter()
        reports = max(1, -(-recipe.steps // 5))  # five lines, the last at the end
        loss_sum, loss_count = 0.0, 0
        model.train()
        for step in range(recipe.steps):
            for group in optimizer.param_groups:
                group["lr"] = _learning_rate(recipe, step)
            starts = torch.randint(
                0, len(text) - recipe.context - 1, (recipe.batch_size, 1), generator=generator
            )
            batch = text[starts + offsets].long()
            logits = model(batch[:, :-1])
            loss = F.cross_entropy(logits.reshape(-1, VOCAB), batch[:, 1:].reshape(-1))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            loss_sum += loss.item()
            loss_count += 1
            done = step + 1
            if done % reports == 0 or done == recipe.steps:
                elapsed = time.perf_counter() - started
                bits = loss_sum / loss_count / math.log(2)
                report(
                    done,
                    recipe.steps,
                    f"step {done}/{recipe.steps}: training loss {bits:.3f} bits/byte "
                    f"({elapsed:.0f} s so far)",
                )
                loss_sum, loss_count = 0.0, 0
            else:
                report(done, recipe.steps, "")  # a tick for a progress bar
        model.eval()
    return model.state_dict()


@torch.no_grad()
def bits_per_byte(model: nn.Module, ids: torch.Tensor, batch: int = 32) -> float:
    """Mean next-byte cross-entropy in bits over every position of the windows `ids`
    (N, context + 1)."""
    total, count = 0.0, 0
    for start in range(0, len(ids), batch):
        chunk = ids[start : start + batch]
        logits = model(chunk[:, :-1])
        total += F.cross_entropy(
            logits.reshape(-1, VOCAB).float(), chunk[:, 1:].reshape(-1), reduction="sum"
        ).item()
        count += chunk[:, 1:].numel()
    return total / count / math.log(2)


# --- the cached baseline ----------------------------------------------------------------


@dataclass(frozen=True)
class GPTBaseline:
    recipe: Recipe
    state_dict: dict[str, torch.Tensor]
    calibration: torch.Tensor  # uint8 bytes
    held_out: torch.Tensor  # uint8 bytes
    fp32_bits_per_byte: float  # on held_out_windows()
    manifest: list[tuple[str, str]]
    path: Path
    trained_now: bool
    train_seconds: float | None

    def model(self) -> GPT:
        """A fresh FP32 copy in eval mode (callers may change it freely)."""
        model = build_model(self.recipe)
        model.load_state_dict(copy.deepcopy(self.state_dict))
        return model.eval()

    def held_out_windows(self) -> torch.Tensor:
        return windows(self.held_out, self.recipe.context, self.recipe.eval_bytes + 1)

    def calibration_windows(self, count: int) -> torch.Tensor:
        return windows(self.calibration, self.recipe.context)[:count]


def cache_paths(
    recipe: Recipe, corpus_digest: str, folder: Path | None = None
) -> tuple[Path, Path]:
    folder = folder or cache_dir()
    stem = cache_stem(GPT_BASELINE, recipe.key(corpus_digest))
    return folder / f"{stem}.pt", folder / f"{stem}.json"


def load_cached(
    recipe: Recipe, manifest: list[tuple[str, str]], folder: Path | None = None
) -> GPTBaseline:
    """The cached baseline, or CacheInvalid saying what is wrong with it."""
    digest = manifest_digest(manifest)
    weights_path, sidecar_path = cache_paths(recipe, digest, folder)
    stored, sidecar = read_verified(weights_path, sidecar_path, recipe.key(digest))
    try:
        state_dict = stored["state_dict"]
        build_model(recipe).load_state_dict(state_dict, strict=True)
        calibration, held_out = stored["calibration"], stored["held_out"]
        if calibration.dtype != torch.uint8 or held_out.dtype != torch.uint8:
            raise ValueError("the text is not bytes")
        bits = float(stored["fp32_bits_per_byte"])
    except Exception as exc:
        raise CacheInvalid(f"its contents are not a baseline ({exc})") from None
    return GPTBaseline(
        recipe=recipe,
        state_dict=state_dict,
        calibration=calibration,
        held_out=held_out,
        fp32_bits_per_byte=bits,
        manifest=manifest,
        path=weights_path,
        trained_now=False,
        train_seconds=sidecar.get("train_seconds"),
    )


def ensure_gpt_baseline(
    recipe: Recipe | None = None,
    progress: Progress | None = None,
    folder: Path | None = None,
    root: Path | None = None,
) -> GPTBaseline:
    """The cached GPT, trained (and cached) first if the cache is missing or bad; by default
    the shipped recipe with this install's secret seed, on this Python's standard library."""
    report = progress or (lambda step, total, message: None)
    folder = folder or cache_dir()
    manifest = corpus_manifest(root)
    digest = manifest_digest(manifest)
    with cache_lock(folder):
        if recipe is None:
            recipe = replace(DEFAULT_RECIPE, seed=install_seed(folder))
        try:
            return load_cached(recipe, manifest, folder)
        except CacheInvalid as exc:
            reason = str(exc)
        if reason == "not trained yet":
            report(
                None,
                None,
                "Training the baseline GPT on the Python standard library (first run only)",
            )
        else:
            report(None, None, f"The cached GPT is not usable: {reason}. Retraining it")
        started = time.perf_counter()
        corpus = split_corpus(recipe, root)
        state_dict = train(recipe, corpus, progress)
        seconds = time.perf_counter() - started
        model = build_model(recipe)
        model.load_state_dict(state_dict)
        held_out_ids = windows(corpus.held_out, recipe.context, recipe.eval_bytes + 1)
        bits = bits_per_byte(model.eval(), held_out_ids)
        weights_path, sidecar_path = cache_paths(recipe, digest, folder)
        stored = {
            "state_dict": state_dict,
            "calibration": corpus.calibration,
            "held_out": corpus.held_out,
            "fp32_bits_per_byte": bits,
            "manifest": [list(entry) for entry in manifest],
        }
        sidecar = {
            "recipe": asdict(recipe),
            "torch": torch.__version__,
            "corpus_sha256": digest,
            "corpus_files": len(manifest),
            "train_bytes": len(corpus.train),
            "fp32_bits_per_byte": bits,
            "parameters": sum(t.numel() for t in state_dict.values()),
            "weights_sha256": weights_hash(state_dict),
            "train_seconds": round(seconds, 1),
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        write_verified(weights_path, sidecar_path, recipe.key(digest), stored, sidecar)
        remove_superseded(GPT_BASELINE, asdict(recipe), folder, keep=sidecar_path)
        report(None, None, f"GPT trained in {seconds:.0f} s: held-out {bits:.3f} bits/byte")
        return GPTBaseline(
            recipe=recipe,
            state_dict=state_dict,
            calibration=corpus.calibration,
            held_out=corpus.held_out,
            fp32_bits_per_byte=bits,
            manifest=manifest,
            path=weights_path,
            trained_now=True,
            train_seconds=seconds,
        )


def _main() -> None:  # pragma: no cover - a developer's convenience: train and report
    baseline = ensure_gpt_baseline(progress=print_progress)
    print(f"{baseline.path}: held-out {baseline.fp32_bits_per_byte:.4f} bits/byte")


if __name__ == "__main__":  # pragma: no cover
    _main()
