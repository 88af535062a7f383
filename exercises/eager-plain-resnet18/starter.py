"""eager-plain-resnet18: make plain torchvision ResNet-18 quantizable in eager mode, by hand.

Read the task first (`quizapp exercises`, or README.md of the exercise), then fill in the
TODOs. Grade this file with:

    quizapp check eager-plain-resnet18

`model` is plain `torchvision.models.resnet18(num_classes=10)`, trained in FP32 on
handwritten digits, in eval mode: no QuantStub, no FloatFunctional, no fuse_model(). It is
your own copy: change it in place if you like. `calibration_batches` is a list of float
tensors of shape (N, 3, 32, 32): real images from the training split, already normalized.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.ao.nn.quantized import FloatFunctional  # noqa: F401
from torch.ao.quantization import (  # noqa: F401
    DeQuantStub,
    QuantStub,
    QuantWrapper,
    convert,
    fuse_modules,
    get_default_qconfig,
    prepare,
)
from torchvision.models.resnet import BasicBlock


class QuantizableBlock(nn.Module):
    """A BasicBlock that eager mode can quantize: the same layers, a forward of your own."""

    def __init__(self, block: BasicBlock) -> None:
        super().__init__()
        self.conv1, self.bn1, self.relu = block.conv1, block.bn1, block.relu
        self.conv2, self.bn2 = block.conv2, block.bn2
        self.downsample = block.downsample
        # TODO 1: the residual add must be a module that convert() can swap for an INT8 add.

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # This is torchvision's BasicBlock.forward. TODO 2: two of its lines cannot stay.
        identity = x
        out = self.conv1(x)
        out = self.bn1(out)
        out = self.relu(out)
        out = self.conv2(out)
        out = self.bn2(out)
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        out = self.relu(out)
        return out


def quantize(model: torch.nn.Module, calibration_batches: list[torch.Tensor]) -> torch.nn.Module:
    # TODO 3: choose the quantized backend for this CPU (torch.backends.quantized.engine).

    # TODO 4: put a QuantizableBlock in place of every BasicBlock (model.layer1 ... layer4).

    # TODO 5: fuse conv+bn+relu and conv+bn groups (fuse_modules, in eval mode): the stem,
    #         each block's two convs, and the downsample shortcut (a Sequential of conv, bn).

    # TODO 6: a QuantStub in front of the network and a DeQuantStub behind it.

    # TODO 7: qconfig, prepare, calibrate on calibration_batches, convert.

    return model
