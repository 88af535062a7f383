"""The FP32 network the ResNet exercises quantize: trained here, deterministically, once.

torchvision's quantizable ResNet-18 (10 classes) learns scikit-learn's bundled digits,
upsampled from 8x8 to 32x32 and repeated over 3 channels, normalized with the training
split's mean and std. The split is stratified and fixed by the recipe's seed. Nothing is
downloaded.

The trained weights are cached in `<cache dir>/baseline/` under a name keyed by the recipe
and the torch/torchvision versions, next to a JSON sidecar holding the file's SHA-256. A
file whose checksum, key or contents do not match is retrained, never trusted, and it is
loaded with `torch.load(weights_only=True)`. The cache file also carries the raw digits, so
grading never imports scikit-learn (it takes seconds).

Only the checker reads the cache (the learner's process gets weights and batches as files
and uses this module for the architecture alone). This module imports torch.
"""

from __future__ import annotations

import copy
import hashlib
import json
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import torch
import torch.nn.functional as F
import torchvision
from torchvision.models.quantization import resnet18

from quizapp.grading.baseline_cache import (  # noqa: F401 - SEED_ENV, SECRET_FILE, sha256_file re-exported
    SECRET_FILE,
    SEED_ENV,
    CacheInvalid,
    Progress,
    cache_dir,
    cache_lock,
    deterministic,
    install_seed,
    print_progress,
    read_verified,
    remove_superseded,
    sha256_file,
    weights_hash,
    write_verified,
)
from quizapp.grading.baselines import RESNET, cache_stem

RECIPE_VERSION = 1
NUM_CLASSES = 10


@dataclass(frozen=True)
class Recipe:
    """Everything that decides the trained weights (changing any field retrains)."""

    version: int = RECIPE_VERSION
    seed: int = 0
    image_size: int = 32
    held_out_fraction: float = 0.25
    epochs: int = 3
    batch_size: int = 32
    lr: float = 1e-3
    weight_decay: float = 1e-4
    # Tests train on a small prefix of the training split with the same code path.
    train_limit: int | None = None

    def key(self) -> str:
        document = {
            **asdict(self),
            "torch": torch.__version__,
            "torchvision": torchvision.__version__,
        }
        digest = hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()
        return digest[:16]


DEFAULT_RECIPE = Recipe()


@dataclass(frozen=True)
class Digits:
    """The preprocessed data set: (N, 3, 32, 32) float images, int64 labels."""

    train_x: torch.Tensor
    train_y: torch.Tensor
    held_out_x: torch.Tensor
    held_out_y: torch.Tensor
    mean: float
    std: float


@dataclass(frozen=True)
class Baseline:
    recipe: Recipe
    state_dict: dict[str, torch.Tensor]
    digits: Digits
    held_out_accuracy: float
    path: Path
    trained_now: bool
    train_seconds: float | None

    def model(self) -> torch.nn.Module:
        """A fresh FP32 copy in eval mode (callers may change it freely)."""
        model = build_model()
        model.load_state_dict(copy.deepcopy(self.state_dict))
        return model.eval()

    def plain_model(self) -> torch.nn.Module:
        """The same trained weights in plain `torchvision.models.resnet18` (no stubs, no
        FloatFunctional, no `fuse_model`): a fresh FP32 copy in eval mode."""
        model = build_plain_model()
        model.load_state_dict(copy.deepcopy(self.state_dict))  # the parameter names match
        return model.eval()


def build_model() -> torch.nn.Module:
    return resnet18(weights=None, quantize=False, num_classes=NUM_CLASSES)


def build_plain_model() -> torch.nn.Module:
    return torchvision.models.resnet18(weights=None, num_classes=NUM_CLASSES)


# --- data -------------------------------------------------------------------------------


def load_raw_digits() -> tuple[torch.Tensor, torch.Tensor]:
    """scikit-learn's bundled digits as (1797, 8, 8) uint8 pixels (0..16) and int64 labels."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = torch.from_numpy(bunch.images.astype("uint8"))
    targets = torch.from_numpy(bunch.target.astype("int64"))
    return images, targets


def stratified_split(
    targets: torch.Tensor, fraction: float, seed: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per class, a seeded shuffle; the first `fraction` of each class is held out."""
    generator = torch.Generator().manual_seed(seed)
    train, held_out = [], []
    for label in range(NUM_CLASSES):
        members = torch.nonzero(targets == label).flatten()
        members = members[torch.randperm(len(members), generator=generator)]
        n_held_out = round(len(members) * fraction)
        held_out.append(members[:n_held_out])
        train.append(members[n_held_out:])
    return torch.cat(train).sort().values, torch.cat(held_out).sort().values


def preprocess(images: torch.Tensor, size: int) -> torch.Tensor:
    """8x8 pixels in 0..16 -> (N, 3, size, size) floats in 0..1 (bilinear upsampling)."""
    x = images.to(torch.float32).div(16.0).unsqueeze(1)
    x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
    return x.repeat(1, 3, 1, 1).contiguous()


def make_digits(raw: dict[str, torch.Tensor], recipe: Recipe) -> Digits:
    x = preprocess(raw["images"], recipe.image_size)
    y = raw["targets"]
    train_idx, held_out_idx = raw["train_idx"], raw["held_out_idx"]
    mean = x[train_idx].mean().item()
    std = x[train_idx].std().item()
    x = (x - mean) / std
    return Digits(
        train_x=x[train_idx].contiguous(),
        train_y=y[train_idx].contiguous(),
        held_out_x=x[held_out_idx].contiguous(),
        held_out_y=y[held_out_idx].contiguous(),
        mean=mean,
        std=std,
    )


def raw_data(recipe: Recipe) -> dict[str, torch.Tensor]:
    images, targets = load_raw_digits()
    train_idx, held_out_idx = stratified_split(targets, recipe.held_out_fraction, recipe.seed)
    return {
        "images": images,
        "targets": targets,
        "train_idx": train_idx,
        "held_out_idx": held_out_idx,
    }


# --- training ---------------------------------------------------------------------------


def train(
    recipe: Recipe, digits: Digits, progress: Progress | None = None
) -> tuple[dict[str, torch.Tensor], float]:
    """Train from the recipe's seed; returns (state_dict, held-out accuracy)."""
    report = progress or (lambda step, total, message: None)
    x, y = digits.train_x, digits.train_y
    if recipe.train_limit is not None:
        x, y = x[: recipe.train_limit], y[: recipe.train_limit]
    with deterministic():
        torch.manual_seed(recipe.seed)
        model = build_model()
        order = torch.Generator().manual_seed(recipe.seed)
        batches_per_epoch = (len(x) + recipe.batch_size - 1) // recipe.batch_size
        total = recipe.epochs * batches_per_epoch
        optimizer = torch.optim.AdamW(
            model.parameters(), lr=recipe.lr, weight_decay=recipe.weight_decay
        )
        schedule = torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=recipe.lr, total_steps=total, pct_start=0.25
        )
        step = 0
        started = time.perf_counter()
        for epoch in range(1, recipe.epochs + 1):
            epoch_started = time.perf_counter()
            model.train()
            permutation = torch.randperm(len(x), generator=order)
            loss_sum, correct = 0.0, 0
            for start in range(0, len(x), recipe.batch_size):
                batch = permutation[start : start + recipe.batch_size]
                logits = model(x[batch])
                loss = F.cross_entropy(logits, y[batch])
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                schedule.step()
                step += 1
                loss_sum += loss.item() * len(batch)
                correct += int((logits.argmax(1) == y[batch]).sum())
                report(step, total, "")  # a tick for a progress bar; lines come per epoch
            now = time.perf_counter()
            message = epoch_message(
                epoch,
                recipe.epochs,
                loss_sum / len(x),
                correct / len(x),
                now - epoch_started,
                now - started,
            )
            report(step, total, message)
        model.eval()
        accuracy = evaluate(model, digits.held_out_x, digits.held_out_y)
    return model.state_dict(), accuracy


def epoch_message(
    epoch: int, epochs: int, loss: float, accuracy: float, epoch_s: float, total_s: float
) -> str:
    """One line per epoch: this epoch's time, and the time so far once there is more."""
    took = f"{epoch_s:.0f} s" if epoch == 1 else f"{epoch_s:.0f} s, {total_s:.0f} s so far"
    return (
        f"epoch {epoch}/{epochs}: loss {loss:.3f}, training accuracy {100 * accuracy:.1f}% ({took})"
    )


@torch.no_grad()
def evaluate(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, batch: int = 256) -> float:
    correct = 0
    for start in range(0, len(x), batch):
        correct += int(
            (model(x[start : start + batch]).argmax(1) == y[start : start + batch]).sum()
        )
    return correct / len(x)


# --- cache ------------------------------------------------------------------------------


def cache_paths(recipe: Recipe, folder: Path | None = None) -> tuple[Path, Path]:
    folder = folder or cache_dir()
    stem = cache_stem(RESNET, recipe.key())
    return folder / f"{stem}.pt", folder / f"{stem}.json"


def load_cached(recipe: Recipe, folder: Path | None = None) -> Baseline:
    """The cached baseline, or CacheInvalid saying what is wrong with it."""
    weights_path, sidecar_path = cache_paths(recipe, folder)
    stored, sidecar = read_verified(weights_path, sidecar_path, recipe.key())
    try:
        state_dict = stored["state_dict"]
        raw = {k: stored["data"][k] for k in ("images", "targets", "train_idx", "held_out_idx")}
        accuracy = float(stored["held_out_accuracy"])
        build_model().load_state_dict(state_dict, strict=True)
        if raw["images"].shape[1:] != (8, 8) or len(raw["images"]) != len(raw["targets"]):
            raise ValueError("the digits are not 8x8 images with one label each")
    except Exception as exc:
        raise CacheInvalid(f"its contents are not a baseline ({exc})") from None
    return Baseline(
        recipe=recipe,
        state_dict=state_dict,
        digits=make_digits(raw, recipe),
        held_out_accuracy=accuracy,
        path=weights_path,
        trained_now=False,
        train_seconds=sidecar.get("train_seconds"),
    )


def ensure_baseline(
    recipe: Recipe | None = None,
    progress: Progress | None = None,
    folder: Path | None = None,
) -> Baseline:
    """The cached baseline, trained (and cached) first if the cache is missing or bad; by
    default the shipped recipe with this install's secret seed."""
    report = progress or (lambda step, total, message: None)
    folder = folder or cache_dir()
    with cache_lock(folder):
        if recipe is None:
            recipe = replace(DEFAULT_RECIPE, seed=install_seed(folder))
        try:
            return load_cached(recipe, folder)
        except CacheInvalid as exc:
            reason = str(exc)
        if reason == "not trained yet":
            report(None, None, "Training the baseline ResNet-18 on digits (first run only)")
        else:
            report(None, None, f"The cached baseline is not usable: {reason}. Retraining it")
        started = time.perf_counter()
        raw = raw_data(recipe)
        digits = make_digits(raw, recipe)
        state_dict, accuracy = train(recipe, digits, progress)
        seconds = time.perf_counter() - started
        weights_path, sidecar_path = cache_paths(recipe, folder)
        sidecar = {
            "recipe": asdict(recipe),
            "torch": torch.__version__,
            "torchvision": torchvision.__version__,
            "held_out_accuracy": accuracy,
            "weights_sha256": weights_hash(state_dict),
            "train_seconds": round(seconds, 1),
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        stored = {"state_dict": state_dict, "data": raw, "held_out_accuracy": accuracy}
        write_verified(weights_path, sidecar_path, recipe.key(), stored, sidecar)
        remove_superseded(RESNET, asdict(recipe), folder, keep=sidecar_path)
        report(
            None,
            None,
            f"Baseline trained in {seconds:.0f} s: held-out accuracy {100 * accuracy:.1f}%",
        )
        return Baseline(
            recipe=recipe,
            state_dict=state_dict,
            digits=digits,
            held_out_accuracy=accuracy,
            path=weights_path,
            trained_now=True,
            train_seconds=seconds,
        )


def _main() -> None:  # pragma: no cover - a developer's convenience: train and report
    baseline = ensure_baseline(progress=print_progress)
    print(f"{baseline.path}: held-out accuracy {100 * baseline.held_out_accuracy:.2f}%")


if __name__ == "__main__":  # pragma: no cover
    _main()
