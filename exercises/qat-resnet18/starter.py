"""qat-resnet18: quantization-aware training of a ResNet-18 at 4 bits (W4A4).

Read the task first (README.md of the exercise), then fill in the TODOs. Grade this file
with:

    quizapp check qat-resnet18

`model` is torchvision's quantizable ResNet-18 (QuantizableResNet), trained in FP32 on
handwritten digits, in eval mode; it is your own copy. `train_batches` is the training
split as a list of (images, labels) batches: images (N, 3, 32, 32), normalized; labels
(N,) int64. `qconfig` is the W4A4 QAT qconfig: fake quantizers with 4-bit integer ranges.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F  # noqa: F401
from torch.ao.nn.intrinsic.qat import freeze_bn_stats  # noqa: F401
from torch.ao.quantization import QConfig, convert, disable_observer, prepare_qat  # noqa: F401


def quantize(
    model: torch.nn.Module,
    train_batches: list[tuple[torch.Tensor, torch.Tensor]],
    qconfig: QConfig,
) -> torch.nn.Module:
    # TODO 1: fuse for QAT. QAT fusion runs in training mode and keeps BatchNorm inside QAT
    #         modules (model.fuse_model has an is_qat switch).

    # TODO 2: attach the qconfig you were given and prepare the model for QAT: that puts a
    #         fake quantizer on every weight and every activation.

    # TODO 3: fine-tune with a small learning rate (e.g. SGD, lr 1e-3, momentum 0.9) for a
    #         couple of passes over train_batches, with cross-entropy loss.

    # TODO 4: for the last part of training, freeze the BN statistics and the observers
    #         (the fake quantization itself stays on).

    # TODO 5: switch to eval mode and convert to the INT8 network.

    return model
