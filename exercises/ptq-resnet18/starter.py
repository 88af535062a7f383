"""ptq-resnet18: quantize a trained ResNet-18 to INT8 with post-training static quantization.

Read the task first (`quizapp exercises`, or README.md of the exercise), then fill in the
TODOs. Grade this file with:

    quizapp check ptq-resnet18

`model` is torchvision's quantizable ResNet-18 (QuantizableResNet), trained in FP32 on
handwritten digits, in eval mode. It is your own copy: change it in place if you like.
`calibration_batches` is a list of float tensors of shape (N, 3, 32, 32): real images from
the training split, already normalized.
"""

from __future__ import annotations

import torch
from torch.ao.quantization import convert, get_default_qconfig, prepare  # noqa: F401


def quantize(model: torch.nn.Module, calibration_batches: list[torch.Tensor]) -> torch.nn.Module:
    # TODO 1: choose the quantized backend for this CPU (torch.backends.quantized.engine)

    # TODO 2: fuse conv + bn (+ relu). Fusion only works in eval mode; QuantizableResNet
    #         knows which layers go together.

    # TODO 3: attach a qconfig to the model (the default one for your backend) and prepare
    #         it: prepare() inserts the observers.

    # TODO 4: calibrate: run every calibration batch through the prepared model, without
    #         gradients, so the observers record the real activation ranges.

    # TODO 5: convert the observed model to INT8 modules.

    return model
