"""fx-ptq-resnet18: quantize plain ResNet-18 to INT8 with FX graph mode.

Read the task first (`quizapp exercises`, or README.md of the exercise), then fill in the
TODOs. Grade this file with:

    quizapp check fx-ptq-resnet18

`model` is plain `torchvision.models.resnet18(num_classes=10)`, trained in FP32 on
handwritten digits, in eval mode: no QuantStub, no FloatFunctional, and you will not need
them. `calibration_batches` is a list of float tensors of shape (N, 3, 32, 32): real images
from the training split, already normalized.
"""

from __future__ import annotations

import torch
from torch.ao.quantization import QConfigMapping, get_default_qconfig_mapping  # noqa: F401
from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx  # noqa: F401


def quantize(
    model: torch.nn.Module, calibration_batches: list[torch.Tensor]
) -> torch.fx.GraphModule:
    # TODO 1: choose the quantized backend for this CPU (torch.backends.quantized.engine)
    #         and the QConfigMapping that goes with it.

    # TODO 2: prepare_fx(model, qconfig_mapping, example_inputs): it traces the model, fuses,
    #         and inserts observers. It returns a new module (a GraphModule).

    # TODO 3: calibrate: run every calibration batch through the *prepared* module, without
    #         gradients.

    # TODO 4: convert_fx, and return the GraphModule it gives you.

    return model
