"""Reference solution for eager-plain-resnet18: plain torchvision ResNet-18, made
eager-quantizable by hand."""

from __future__ import annotations

import torch
from torch import nn
from torch.ao.nn.quantized import FloatFunctional
from torch.ao.quantization import (
    QuantWrapper,
    convert,
    fuse_modules,
    get_default_qconfig,
    prepare,
)
from torchvision.models.resnet import BasicBlock


class QuantizableBlock(nn.Module):
    """torchvision's BasicBlock, with the two things eager mode cannot quantize replaced."""

    def __init__(self, block: BasicBlock) -> None:
        super().__init__()
        self.conv1, self.bn1, self.relu = block.conv1, block.bn1, block.relu
        self.conv2, self.bn2 = block.conv2, block.bn2
        self.downsample = block.downsample
        # The residual add as a module: it observes its own output range, and convert()
        # turns it into an INT8 add (QFunctional). add_relu also applies the ReLU after the
        # add, so `self.relu` is used once and fusing it into conv1 loses nothing.
        self.skip_add = FloatFunctional()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.skip_add.add_relu(out, identity)


def quantize(model: torch.nn.Module, calibration_batches: list[torch.Tensor]) -> torch.nn.Module:
    supported = torch.backends.quantized.supported_engines
    backend = "x86" if "x86" in supported else "qnnpack"
    torch.backends.quantized.engine = backend

    for layer in (model.layer1, model.layer2, model.layer3, model.layer4):
        for i, block in enumerate(layer):
            layer[i] = QuantizableBlock(block)
    # The new modules start in training mode, and fusion needs eval mode throughout.
    model.eval()

    # conv+bn+relu for the stem and each block's first conv; conv+bn for the second conv
    # and for the downsample shortcut.
    fuse_modules(model, [["conv1", "bn1", "relu"]], inplace=True)
    for layer in (model.layer1, model.layer2, model.layer3, model.layer4):
        for block in layer:
            fuse_modules(block, [["conv1", "bn1", "relu"], ["conv2", "bn2"]], inplace=True)
            if block.downsample is not None:
                fuse_modules(block.downsample, [["0", "1"]], inplace=True)

    # QuantStub in front, DeQuantStub behind: QuantWrapper is exactly that.
    wrapped = QuantWrapper(model).eval()
    wrapped.qconfig = get_default_qconfig(backend)
    prepare(wrapped, inplace=True)
    with torch.no_grad():
        for batch in calibration_batches:
            wrapped(batch)
    convert(wrapped, inplace=True)
    return wrapped
