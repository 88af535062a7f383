"""The GPT baseline of the LLM exercises and the checker's group-wise INT4 format.

The corpus, split and cache are tested on a tiny recipe over a few files made here (the
real baseline is trained once per session by the `gpt_baseline_cache` fixture); the INT4
format is compared with torchao's affine primitives, the reference the exercise names.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from quizapp.grading import gpt_baseline as gb  # noqa: E402
from quizapp.grading import groupwise as gw  # noqa: E402

TINY = replace(
    gb.DEFAULT_RECIPE,
    width=64,
    layers=1,
    context=32,
    steps=4,
    batch_size=4,
    warmup_steps=1,
    calibration_bytes=2048,
    held_out_bytes=2048,
    eval_bytes=1024,
)


@pytest.fixture
def stdlib(tmp_path: Path) -> Path:
    """A tiny "standard library": a dozen modules, a package and a test suite to skip."""
    root = tmp_path / "lib"
    for index in range(12):
        body = "".join(f"def f{index}_{n}(x):\n    return x * {n} + {index}\n\n" for n in range(40))
        (root / "pkg" if index % 2 else root).mkdir(parents=True, exist_ok=True)
        (root / ("pkg" if index % 2 else "") / f"mod{index}.py").write_text(body)
    (root / "test").mkdir()
    (root / "test" / "test_mod.py").write_text("assert True\n")
    return root


def test_the_corpus_skips_test_suites_and_its_manifest_hashes_every_file(stdlib: Path) -> None:
    manifest = gb.corpus_manifest(stdlib)
    names = [name for name, _ in manifest]
    assert len(names) == 12 and names == sorted(names)
    assert not any(name.startswith("test/") for name in names)
    assert all(len(digest) == 64 for _, digest in manifest)
    before = gb.manifest_digest(manifest)
    (stdlib / "mod0.py").write_text("changed = True\n")
    assert gb.manifest_digest(gb.corpus_manifest(stdlib)) != before  # another corpus


def test_the_split_is_by_file_seeded_and_disjoint(stdlib: Path) -> None:
    corpus = gb.split_corpus(TINY, stdlib)
    assert len(corpus.held_out) == TINY.held_out_bytes
    assert len(corpus.calibration) == TINY.calibration_bytes
    assert not set(corpus.held_out_files) & set(corpus.calibration_files)
    train = bytes(corpus.train.tolist())
    for name in corpus.held_out_files + corpus.calibration_files:
        assert (stdlib / name).read_bytes() not in train
    again = gb.split_corpus(TINY, stdlib)
    assert again.held_out_files == corpus.held_out_files
    other = gb.split_corpus(replace(TINY, seed=TINY.seed + 1), stdlib)
    assert (other.held_out_files, other.calibration_files) != (
        corpus.held_out_files,
        corpus.calibration_files,
    )


def test_the_cache_is_verified_and_a_changed_file_is_retrained(
    stdlib: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "cache"
    messages: list[str] = []
    trained = gb.ensure_gpt_baseline(
        TINY, progress=lambda s, t, m: messages.append(m), folder=folder, root=stdlib
    )
    assert trained.trained_now and math.isfinite(trained.fp32_bits_per_byte)
    assert 0 < trained.fp32_bits_per_byte < 8.5  # a byte model starts near log2(256) = 8
    assert any(m.startswith("step 4/4") for m in messages)
    cached = gb.ensure_gpt_baseline(TINY, folder=folder, root=stdlib)
    assert not cached.trained_now
    assert gb.weights_hash(cached.state_dict) == gb.weights_hash(trained.state_dict)
    assert cached.fp32_bits_per_byte == trained.fp32_bits_per_byte
    sidecar = json.loads(trained.path.with_suffix(".json").read_text())
    assert sidecar["corpus_files"] == 12 and sidecar["recipe"]["width"] == 64

    with trained.path.open("r+b") as handle:  # one byte changed: never trusted
        handle.seek(100)
        byte = handle.read(1)
        handle.seek(100)
        handle.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(gb.CacheInvalid, match="checksum"):
        gb.load_cached(TINY, gb.corpus_manifest(stdlib), folder)
    notes: list[str] = []
    again = gb.ensure_gpt_baseline(
        TINY, progress=lambda s, t, m: notes.append(m), folder=folder, root=stdlib
    )
    assert again.trained_now and any("not usable" in note for note in notes)


def test_a_new_corpus_replaces_the_gpt_it_supersedes(stdlib: Path, tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    first = gb.ensure_gpt_baseline(TINY, folder=folder, root=stdlib)
    other_seed = gb.ensure_gpt_baseline(replace(TINY, seed=9), folder=folder, root=stdlib)
    (stdlib / "mod0.py").write_text("x = 1\n" * 300)  # a patch release changed a file
    second = gb.ensure_gpt_baseline(TINY, folder=folder, root=stdlib)
    assert second.trained_now and second.path != first.path
    assert not first.path.exists() and not first.path.with_suffix(".json").exists()
    assert other_seed.path.exists()  # another recipe stays


def test_the_model_is_causal_and_its_widths_fit_the_group_sizes() -> None:
    model = gb.build_model().eval()
    for name in gb.linear_names(model):
        assert model.get_submodule(name).in_features % 128 == 0, name
    ids = torch.randint(0, 256, (1, 16))
    changed = ids.clone()
    changed[0, 10:] = (changed[0, 10:] + 1) % 256
    with torch.no_grad():
        assert torch.equal(model(ids)[0, :10], model(changed)[0, :10])


def test_packing_round_trips_and_puts_the_even_code_in_the_low_nibble() -> None:
    codes = torch.randint(0, 16, (7, 64), dtype=torch.uint8)
    packed = gw.pack_int4(codes)
    assert packed.dtype == torch.uint8 and packed.shape == (7, 32)
    assert torch.equal(gw.unpack_int4(packed), codes)
    assert gw.pack_int4(torch.tensor([[1, 2]], dtype=torch.uint8)).item() == 0x21


@pytest.mark.parametrize("symmetric", [False, True])
def test_rtn_matches_torchao_affine_primitives(symmetric: bool) -> None:
    from torchao.quantization.quant_primitives import (
        MappingType,
        choose_qparams_affine,
        dequantize_affine,
        quantize_affine,
    )

    weight = torch.randn(32, 256, generator=torch.Generator().manual_seed(3))
    group = 64
    codes, scale, zero = gw.quantize_rtn(weight, group, symmetric=symmetric)
    mine = gw.dequantize(codes, scale, zero)
    if symmetric:  # torchao's symmetric codes are signed; ours are shifted by 8
        mapping, qmin, qmax, dtype = MappingType.SYMMETRIC, -8, 7, torch.int8
    else:
        mapping, qmin, qmax, dtype = MappingType.ASYMMETRIC, 0, 15, torch.uint8
    block = (1, group)
    ao_scale, ao_zero = choose_qparams_affine(weight, mapping, block, dtype, qmin, qmax)
    ao_codes = quantize_affine(weight, block, ao_scale, ao_zero, dtype, qmin, qmax)
    theirs = dequantize_affine(ao_codes, block, ao_scale, ao_zero, dtype, qmin, qmax)
    assert torch.allclose(scale, ao_scale.reshape(scale.shape))
    assert torch.allclose(mine, theirs, atol=1e-6)
    # And the error is what round-to-nearest promises: at most half a step per weight.
    step = scale.repeat_interleave(group, dim=1)
    assert ((mine - weight).abs() <= step / 2 + 1e-6).all()


def test_planted_outliers_keep_the_function_and_differ_by_seed() -> None:
    from quizapp.grading import w8a8

    torch.manual_seed(0)
    model = gb.build_model().eval()
    planted = gb.build_model().eval()
    planted.load_state_dict(model.state_dict())
    channels = w8a8.plant_outliers(planted, seed=5)
    assert len(channels) == 2 * len(model.blocks)
    assert all(len(set(c)) == w8a8.OUTLIER_CHANNELS for c in channels.values())
    ids = torch.randint(0, 256, (2, 33))
    with torch.no_grad():
        before, after = model(ids[:, :-1]), planted(ids[:, :-1])
    assert ((after - before).norm() / before.norm()).item() < 1e-5
    other = gb.build_model().eval()
    other.load_state_dict(model.state_dict())
    assert w8a8.plant_outliers(other, seed=6) != channels
