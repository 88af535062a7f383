"""The INT8 formulas of quizapp.core against PyTorch itself (the oracle)."""

from __future__ import annotations

import random
import warnings

import pytest

torch = pytest.importorskip("torch")
from torch.ao.quantization import MinMaxObserver  # noqa: E402

from quizapp.core import int8  # noqa: E402
from quizapp.core.generators import generate  # noqa: E402

warnings.filterwarnings("ignore", category=DeprecationWarning)
warnings.filterwarnings("ignore", message=".*quantize_per_tensor.*")

TORCH_DTYPE = {"quint8": torch.quint8, "qint8": torch.qint8}
TORCH_QSCHEME = {"affine": torch.per_tensor_affine, "symmetric": torch.per_tensor_symmetric}


def observer_qparams(
    x_min: float, x_max: float, dtype: str, qscheme: str, reduce_range: bool
) -> tuple[float, int]:
    observer = MinMaxObserver(
        dtype=TORCH_DTYPE[dtype], qscheme=TORCH_QSCHEME[qscheme], reduce_range=reduce_range
    )
    observer(torch.tensor([x_min, x_max], dtype=torch.float32))
    scale, zero_point = observer.calculate_qparams()
    return float(scale), int(zero_point)


def test_affine_qparams_generator_matches_minmaxobserver_over_many_seeds() -> None:
    seen = set()
    for seed in range(600):
        question = generate("affine-qparams", {}, seed)
        p = question.params
        expected = observer_qparams(
            p["x_min"], p["x_max"], p["dtype"], p["qscheme"], p["reduce_range"]
        )
        assert question.answer() == {"scale": expected[0], "zero_point": expected[1]}, (seed, p)
        seen.add((p["dtype"], p["qscheme"], p["reduce_range"]))
    # Every combination PyTorch supports was drawn (symmetric quint8 + reduce_range is not).
    assert len(seen) == 7


def test_generator_is_reproducible_and_respects_pinned_params() -> None:
    a = generate("affine-qparams", {"dtype": "qint8", "qscheme": "symmetric"}, 42)
    assert a == generate("affine-qparams", {"dtype": "qint8", "qscheme": "symmetric"}, 42)
    assert a.params["dtype"] == "qint8" and a.params["qscheme"] == "symmetric"
    pinned = generate(
        "affine-qparams",
        {
            "x_min": -1.0,
            "x_max": 3.0,
            "dtype": "quint8",
            "qscheme": "affine",
            "reduce_range": False,
        },
        1,
    )
    # The worked example of the reference: s = 4/255, z = 64.
    assert pinned.answer()["zero_point"] == 64
    assert pinned.answer()["scale"] == pytest.approx(4 / 255, rel=1e-6)


@pytest.mark.parametrize("dtype", ["quint8", "qint8"])
@pytest.mark.parametrize("qscheme", ["affine", "symmetric"])
@pytest.mark.parametrize("reduce_range", [False, True])
def test_calculate_qparams_edge_ranges(dtype: str, qscheme: str, reduce_range: bool) -> None:
    if not int8.supported(dtype, qscheme, reduce_range):
        with pytest.raises(NotImplementedError):
            observer_qparams(0.0, 1.0, dtype, qscheme, reduce_range)
        return
    rng = random.Random(0)
    ranges = [
        (0.0, 0.0),
        (-1.0, -1.0),
        (2.5, 2.5),
        (-5.0, -0.1),
        (0.1, 5.0),
        (-1e-9, 1e-9),
        (-1e6, 1e6),
    ]
    ranges += [tuple(sorted((rng.uniform(-20, 20), rng.uniform(-20, 20)))) for _ in range(100)]
    for x_min, x_max in ranges:
        assert int8.calculate_qparams(
            x_min, x_max, dtype, qscheme, reduce_range
        ) == observer_qparams(x_min, x_max, dtype, qscheme, reduce_range), (x_min, x_max)


def test_quantize_and_dequantize_match_torch_including_ties_and_clamping() -> None:
    rng = random.Random(1)
    for _ in range(300):
        dtype = rng.choice(["quint8", "qint8"])
        quant_min, quant_max = int8.qrange(dtype)
        scale = int8.f32(rng.uniform(1e-3, 0.2))
        zero_point = rng.randint(quant_min, quant_max)
        xs = [rng.uniform(-40, 40) for _ in range(16)]
        xs += [scale * (k + 0.5) for k in range(-4, 4)]  # exact .5 ties
        q = torch.quantize_per_tensor(torch.tensor(xs), scale, zero_point, TORCH_DTYPE[dtype])
        assert [
            int8.quantize(x, scale, zero_point, quant_min, quant_max) for x in xs
        ] == q.int_repr().tolist()
        mine = [int8.dequantize(v, scale, zero_point) for v in q.int_repr().tolist()]
        assert mine == q.dequantize().tolist()
