"""The checker's per-channel low-bit grid of the gptq exercise: its round-to-nearest agrees
with the group-wise INT4 format's at 4 bits with one group a row, its codes are integers in
range, and the grid and output-error measures say what they claim."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from quizapp.grading import groupwise as gw  # noqa: E402
from quizapp.grading import weight_grid as wg  # noqa: E402


def _weight(rows: int = 24, columns: int = 64, seed: int = 0) -> torch.Tensor:
    return torch.randn(rows, columns, generator=torch.Generator().manual_seed(seed))


def test_rtn_at_4_bits_is_the_groupwise_format_with_one_group_a_row() -> None:
    weight = _weight()
    codes, scale, zero = gw.quantize_rtn(weight, group_size=weight.shape[1])
    assert torch.equal(wg.rtn(weight, 4), gw.dequantize(codes, scale, zero))


@pytest.mark.parametrize("bits", [2, 3, 4, 8])
def test_rtn_weights_are_on_their_own_grid(bits: int) -> None:
    weight = _weight(seed=bits)
    scale, zero = wg.grid(weight, bits)
    codes, distance = wg.grid_codes(wg.rtn(weight, bits), scale, zero)
    assert distance <= wg.ON_GRID_TOLERANCE
    assert codes.min() >= -wg.ON_GRID_TOLERANCE
    assert codes.max() <= wg.levels(bits) + wg.ON_GRID_TOLERANCE
    assert torch.equal(zero, torch.round(zero))
    # Widened to hold 0: the real value 0 is exactly a code.
    assert ((zero >= 0) & (zero <= wg.levels(bits))).all()


def test_a_float_weight_is_off_the_grid() -> None:
    weight = _weight()
    scale, zero = wg.grid(weight, 3)
    _, distance = wg.grid_codes(weight, scale, zero)
    assert distance > 0.1  # random floats sit between codes, not on them


def test_output_error_is_zero_for_the_weight_itself_and_grows_with_the_bits_removed() -> None:
    weight = _weight()
    inputs = torch.randn(256, weight.shape[1], generator=torch.Generator().manual_seed(7))
    assert wg.output_error(inputs, weight, weight) == 0.0
    errors = [wg.output_error(inputs, weight, wg.rtn(weight, bits)) for bits in (8, 4, 3, 2)]
    assert errors == sorted(errors)
    assert 0 < errors[0] < errors[-1] < 1
