"""layer-sensitivity: find the layers 4 bits break, and keep a few of them at 8 bits.

Read the task first (README.md of the exercise), then fill in the TODOs. Grade this file
with:

    quizapp check layer-sensitivity

Part 1, layer_sqnr: `float_model` is the FP32 ResNet-18 fused in eval mode, `quantized_model`
the grader's W4A4 PTQ of it (same module names), `batches` 8 tensors (32, 3, 32, 32) of
training images. Return {layer name: SQNR in dB} for every layer of the quantized model.

Part 2, quantize: `model` is the FP32 quantizable ResNet-18 (eval mode, your own copy),
`calibration_batches` the same 8 batches, `qconfig` the W4A4 PTQ qconfig. Return the
converted network with at most 3 layers above 4 bits.
"""

from __future__ import annotations

import torch
import torch.ao.nn.quantized as nnq  # noqa: F401
from torch.ao.quantization import MinMaxObserver, QConfig, convert, prepare  # noqa: F401


def layer_sqnr(
    float_model: torch.nn.Module,
    quantized_model: torch.nn.Module,
    batches: list[torch.Tensor],
) -> dict[str, float]:
    # TODO 1: list the layers: the quantized model's Quantize, Conv2d (ConvReLU2d included),
    #         QFunctional and Linear modules, by name (named_modules()).

    # TODO 2: capture each layer's output in both models over all batches, with forward
    #         hooks (a QFunctional's add_relu() is a method call: hook its
    #         activation_post_process). Dequantize the quantized outputs.

    # TODO 3: per layer, SQNR = 10 log10(sum x^2 / sum (x - y)^2) over every element of
    #         every batch, x the FP32 output and y the quantized one.
    return {}


def quantize(
    model: torch.nn.Module,
    calibration_batches: list[torch.Tensor],
    qconfig: QConfig,
) -> torch.nn.Module:
    # TODO 4: fuse in eval mode (model.fuse_model()).

    # TODO 5: find the layers whose quantization costs most. Measure, don't guess: restore
    #         one layer at a time to higher precision and see how close the output gets
    #         to FP32 (fake quantizers make this cheap: see the README).

    # TODO 6: PTQ with `qconfig` on the model and an 8-bit qconfig on at most 3 layers
    #         (a module's own .qconfig overrides the model's): prepare, calibrate on
    #         calibration_batches, convert.
    return model
