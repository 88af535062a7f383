"""The baseline: deterministic training, a cache that is verified and never trusted blindly.

Training here uses a few steps of a tiny recipe (the same code path as the real one); the
real baseline is trained once per session by the `baseline_cache` fixture.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
from dataclasses import asdict, replace
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from quizapp.grading import baseline as bl  # noqa: E402

pytestmark = pytest.mark.slow  # trains (a tiny recipe here, the real one once per session)

TINY = bl.Recipe(epochs=1, batch_size=32, train_limit=64)


def session_recipe() -> bl.Recipe:
    """The recipe the session's baseline was trained with (tests/conftest.py sets the seed)."""
    return replace(bl.DEFAULT_RECIPE, seed=int(os.environ[bl.SEED_ENV]))


@pytest.fixture(scope="module")
def raw() -> dict:
    return bl.raw_data(TINY)


@pytest.fixture(scope="module")
def tiny_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tiny-cache")
    assert bl.ensure_baseline(TINY, folder=folder).trained_now
    return folder


@pytest.fixture
def cache_copy(tiny_cache: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "cache"
    shutil.copytree(tiny_cache, folder)
    return folder


def test_training_twice_gives_the_same_weights(raw: dict) -> None:
    digits = bl.make_digits(raw, TINY)
    first, accuracy_1 = bl.train(TINY, digits)
    second, accuracy_2 = bl.train(TINY, digits)
    assert bl.weights_hash(first) == bl.weights_hash(second)
    assert accuracy_1 == accuracy_2
    assert bl.weights_hash(first) != bl.weights_hash(bl.build_model().state_dict())


def test_the_split_is_stratified_fixed_and_disjoint(raw: dict) -> None:
    train, held_out = raw["train_idx"], raw["held_out_idx"]
    assert set(train.tolist()).isdisjoint(held_out.tolist())
    assert len(train) + len(held_out) == len(raw["targets"]) == 1797
    counts = torch.bincount(raw["targets"][held_out], minlength=10)
    assert counts.min() >= 44 and counts.max() <= 46  # a quarter of each class (~180 each)
    again = bl.stratified_split(raw["targets"], TINY.held_out_fraction, TINY.seed)
    assert torch.equal(again[1], held_out)


def test_the_inputs_are_32x32_rgb_normalized(raw: dict) -> None:
    digits = bl.make_digits(raw, TINY)
    assert tuple(digits.train_x.shape[1:]) == (3, 32, 32)
    assert abs(digits.train_x.mean().item()) < 1e-4
    assert abs(digits.train_x.std().item() - 1) < 1e-3
    assert torch.equal(digits.train_x[:, 0], digits.train_x[:, 2])


def test_the_cache_is_reused_and_a_bad_file_is_retrained(cache_copy: Path, raw: dict) -> None:
    notes: list[str] = []

    def progress(step, total, message):
        if step is None:
            notes.append(message)

    cached = bl.ensure_baseline(TINY, progress=progress, folder=cache_copy)
    assert not cached.trained_now and notes == []
    assert torch.equal(cached.digits.held_out_x, bl.make_digits(raw, TINY).held_out_x)

    weights, _ = bl.cache_paths(TINY, cache_copy)
    good = weights.read_bytes()
    flipped = bytearray(good)
    flipped[len(flipped) // 2] ^= 0xFF
    weights.write_bytes(bytes(flipped))
    retrained = bl.ensure_baseline(TINY, progress=progress, folder=cache_copy)
    assert retrained.trained_now
    assert "checksum does not match" in notes[-2]
    assert weights.read_bytes() == good  # the same deterministic training, written again


def test_a_cache_file_is_never_trusted(cache_copy: Path) -> None:
    weights, sidecar = bl.cache_paths(TINY, cache_copy)
    document = json.loads(sidecar.read_text())

    weights.write_bytes(b"not a torch file")  # with a checksum that matches the garbage
    sidecar.write_text(json.dumps({**document, "sha256": bl.sha256_file(weights)}))
    with pytest.raises(bl.CacheInvalid, match="cannot be read"):
        bl.load_cached(TINY, cache_copy)

    sidecar.write_text(json.dumps({**document, "key": "made-by-torch-2.13"}))
    with pytest.raises(bl.CacheInvalid, match="another recipe or torch version"):
        bl.load_cached(TINY, cache_copy)

    sidecar.unlink()
    with pytest.raises(bl.CacheInvalid, match="checksum file is missing"):
        bl.load_cached(TINY, cache_copy)


def test_another_recipe_is_another_file(tmp_path: Path) -> None:
    assert bl.cache_paths(TINY, tmp_path) != bl.cache_paths(replace(TINY, seed=1), tmp_path)
    assert bl.Recipe().key() == bl.DEFAULT_RECIPE.key() != replace(TINY, epochs=2).key()


def test_the_shared_baseline_reaches_95_percent(baseline_cache: Path) -> None:
    recipe = session_recipe()
    _, sidecar = bl.cache_paths(recipe, baseline_cache)
    document = json.loads(sidecar.read_text())
    assert document["key"] == recipe.key()
    assert document["held_out_accuracy"] >= 0.95
    cached = bl.load_cached(recipe, baseline_cache)
    assert bl.weights_hash(cached.state_dict) == document["weights_sha256"]


def test_a_new_baseline_removes_the_ones_it_supersedes(cache_copy: Path) -> None:
    def fake(name: str, recipe: dict) -> Path:
        (cache_copy / f"resnet18-digits-{name}.pt").write_bytes(b"old weights")
        sidecar = cache_copy / f"resnet18-digits-{name}.json"
        sidecar.write_text(json.dumps({"recipe": recipe}))
        return sidecar

    older_torch = fake("oldtorch", asdict(TINY))
    older_recipe = fake("oldrecipe", {**asdict(TINY), "version": TINY.version - 1, "lr": 1.0})
    other_recipe = fake("other", asdict(replace(TINY, seed=5)))
    _, keep = bl.cache_paths(TINY, cache_copy)
    bl.remove_superseded(bl.RESNET, asdict(TINY), cache_copy, keep=keep)
    assert not older_torch.exists() and not older_torch.with_suffix(".pt").exists()
    assert not older_recipe.exists()
    assert other_recipe.exists() and keep.exists()


def test_each_install_draws_its_own_secret_seed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the tests' knob the split comes from a secret made on first use, readable by
    its owner only, and kept: the learner's code cannot rebuild the held-out split."""
    monkeypatch.delenv(bl.SEED_ENV, raising=False)
    first = bl.install_seed(tmp_path / "a")
    assert bl.install_seed(tmp_path / "a") == first
    secret = tmp_path / "a" / bl.SECRET_FILE
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert bl.install_seed(tmp_path / "b") != first  # 62 random bits
    monkeypatch.setenv(bl.SEED_ENV, "7")
    assert bl.install_seed(tmp_path / "a") == 7


def test_the_seed_draws_the_split(raw: dict) -> None:
    targets = raw["targets"]
    _, held_out_1 = bl.stratified_split(targets, 0.25, 1)
    _, held_out_2 = bl.stratified_split(targets, 0.25, 2)
    assert len(held_out_1) == len(held_out_2)
    assert not torch.equal(held_out_1, held_out_2)
    assert bl.Recipe(seed=1).key() != bl.Recipe(seed=2).key()  # another seed: another file
