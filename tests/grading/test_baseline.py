"""The baseline: deterministic training, a cache that is verified and never trusted blindly.

Training here uses a few steps of a tiny recipe (the same code path as the real one); the
real baseline is trained once per session by the `baseline_cache` fixture.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from quizapp.grading import baseline as bl  # noqa: E402

TINY = bl.Recipe(epochs=1, batch_size=32, train_limit=64)


@pytest.fixture(scope="module")
def raw() -> dict:
    return bl.raw_data(TINY)


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


def test_the_cache_is_reused_and_a_bad_file_is_retrained(tmp_path: Path) -> None:
    notes: list[str] = []

    def progress(step, total, message):
        if step is None:
            notes.append(message)

    first = bl.ensure_baseline(TINY, progress=progress, folder=tmp_path)
    assert first.trained_now
    again = bl.ensure_baseline(TINY, progress=progress, folder=tmp_path)
    assert not again.trained_now
    assert bl.weights_hash(again.state_dict) == bl.weights_hash(first.state_dict)
    assert torch.equal(again.digits.held_out_x, first.digits.held_out_x)

    weights, sidecar = bl.cache_paths(TINY, tmp_path)
    payload = bytearray(weights.read_bytes())
    payload[len(payload) // 2] ^= 0xFF
    weights.write_bytes(bytes(payload))
    assert bl.ensure_baseline(TINY, progress=progress, folder=tmp_path).trained_now
    assert "checksum does not match" in notes[-2]

    weights.write_bytes(b"not a torch file")  # and a checksum that matches the garbage
    document = json.loads(sidecar.read_text())
    document["sha256"] = bl._sha256(weights)
    sidecar.write_text(json.dumps(document))
    assert bl.ensure_baseline(TINY, progress=progress, folder=tmp_path).trained_now
    assert "cannot be read" in notes[-2]

    sidecar.unlink()
    assert bl.ensure_baseline(TINY, progress=progress, folder=tmp_path).trained_now
    assert "checksum file is missing" in notes[-2]


def test_another_recipe_or_torch_version_is_another_file(tmp_path: Path) -> None:
    assert bl.cache_paths(TINY, tmp_path) != bl.cache_paths(replace(TINY, seed=1), tmp_path)
    weights, sidecar = bl.cache_paths(TINY, tmp_path)
    bl.ensure_baseline(TINY, folder=tmp_path)
    document = json.loads(sidecar.read_text())
    document["key"] = "made-by-torch-2.13"
    sidecar.write_text(json.dumps(document))
    with pytest.raises(bl.CacheInvalid, match="another recipe or torch version"):
        bl.load_cached(TINY, tmp_path)


def test_the_shared_baseline_reaches_95_percent(baseline_cache: Path) -> None:
    (sidecar,) = baseline_cache.glob("resnet18-digits-*.json")
    document = json.loads(sidecar.read_text())
    assert document["key"] == bl.DEFAULT_RECIPE.key()
    assert document["held_out_accuracy"] >= 0.95
    cached = bl.load_cached(bl.DEFAULT_RECIPE, baseline_cache)
    assert bl.weights_hash(cached.state_dict) == document["weights_sha256"]
