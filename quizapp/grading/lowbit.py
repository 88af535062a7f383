"""The low-bit setting of qat-resnet18 and layer-sensitivity: W4A4 on INT8 kernels (torch, both
sides of the judge).

4-bit here is torch.ao's INT8 machinery with narrowed integer ranges, as a 4-bit integer
accelerator with one scale per tensor would have it:

- activations: quint8 restricted to 0..15, per tensor, affine;
- weights: qint8 restricted to -8..7, per tensor, symmetric.

The observers (PTQ) and fake quantizers (QAT) compute scales for those 16 levels, and
`convert()` clamps every weight to -8..7, so the converted network is an ordinary INT8 model
(fbgemm/x86 kernels) whose integers are those of a 4-bit one. The kernels saturate their
outputs at 0..255, though, not at 0..15: a value beyond the calibrated range keeps a fifth
bit. When it measures accuracy the grader therefore saturates every 4-bit activation at
0..15, as 4-bit storage would (`lowbit_layers.measure`).

Measured on the digits baseline (98.9% FP32, PTQ with MinMax observers on 256 training
images, 450 held-out images): 4-bit weights alone or 4-bit activations alone lose 1.6
points, both together 6.7 (92.2%). With per-channel weights W4A4 loses only 2.7 points:
too little for QAT to show what it is for, hence one scale per tensor.

This module is the setting itself: the two qconfigs, the grader's own W4A4 PTQ of the
baseline (the figure QAT has to beat, measured in the same run, never a stored number) and
the training batches. What the exercises measure with it: `lowbit_layers` (what a forward
pass of the learner's archive really quantizes), `layer_sqnr` (layer-sensitivity's per-layer
oracle) and `convert_watch` (what the learner's convert() was handed, a claim).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import cast

import torch
from torch.ao.quantization import (
    FakeQuantize,
    MinMaxObserver,
    MovingAverageMinMaxObserver,
    QConfig,
    convert,
    prepare,
)

ACTIVATION_MIN, ACTIVATION_MAX = 0, 15  # quint8 restricted to 4 bits
WEIGHT_MIN, WEIGHT_MAX = -8, 7  # qint8 restricted to 4 bits
FOUR_BIT_SHARE = 0.90  # an activation is 4-bit when this share of its integers is in range
TRAIN_BATCH_SIZE = 32
TRAIN_SEED = 7


# --- the setting ------------------------------------------------------------------------


def ptq_qconfig() -> QConfig:
    """W4A4 for PTQ: MinMax observers over 16 levels."""
    return QConfig(
        activation=MinMaxObserver.with_args(
            dtype=torch.quint8,
            qscheme=torch.per_tensor_affine,
            quant_min=ACTIVATION_MIN,
            quant_max=ACTIVATION_MAX,
        ),
        weight=MinMaxObserver.with_args(
            dtype=torch.qint8,
            qscheme=torch.per_tensor_symmetric,
            quant_min=WEIGHT_MIN,
            quant_max=WEIGHT_MAX,
        ),
    )


def qat_qconfig() -> QConfig:
    """W4A4 for QAT: fake quantizers over 16 levels, their ranges a moving average (as in
    torch's default QAT qconfig) so they follow the weights and activations as they train."""
    return QConfig(
        activation=FakeQuantize.with_args(
            observer=MovingAverageMinMaxObserver,
            dtype=torch.quint8,
            qscheme=torch.per_tensor_affine,
            quant_min=ACTIVATION_MIN,
            quant_max=ACTIVATION_MAX,
        ),
        weight=FakeQuantize.with_args(
            observer=MovingAverageMinMaxObserver,
            dtype=torch.qint8,
            qscheme=torch.per_tensor_symmetric,
            quant_min=WEIGHT_MIN,
            quant_max=WEIGHT_MAX,
        ),
    )


def fused_float(model: torch.nn.Module) -> torch.nn.Module:
    """The FP32 network fused in eval mode (BN folded, ReLU merged): what PTQ quantizes, and
    the float side of a per-layer comparison (its module names are the quantized model's)."""
    model.eval()
    # The quantizable ResNet's own method: torch's stubs type a module's unknown attributes
    # as a tensor or a submodule.
    fuse_model = cast(Callable[[], None], model.fuse_model)
    fuse_model()
    return model


def reference_ptq(model: torch.nn.Module, batches: Sequence[torch.Tensor]) -> torch.nn.Module:
    """The grader's W4A4 post-training quantization of the quantizable ResNet `model` (changed
    in place): fuse, the W4A4 qconfig, prepare, calibrate on `batches`, convert."""
    fused_float(model)
    model.qconfig = ptq_qconfig()  # type: ignore[assignment]  # stubs: attributes are tensors or modules; prepare() reads it
    prepare(model, inplace=True)
    with torch.no_grad():
        for batch in batches:
            model(batch)
    return convert(model, inplace=True)


def train_batches(
    x: torch.Tensor, y: torch.Tensor, batch_size: int = TRAIN_BATCH_SIZE, seed: int = TRAIN_SEED
) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """The training split as (images, labels) batches, shuffled once with a fixed seed."""
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))
    return [
        (x[order[i : i + batch_size]].clone(), y[order[i : i + batch_size]].clone())
        for i in range(0, len(x), batch_size)
    ]
