"""Reference solution for fix-the-lesson: the lesson's snippet with each fault fixed.

The comments name the fault each line fixes (README.md, "After you pass", explains them).
"""

from __future__ import annotations

import torch
from torch.ao.quantization import convert, get_default_qconfig, prepare
from torchvision.models.quantization import resnet18 as quantizable_resnet18


def quantize(
    model_fp32: torch.nn.Module, calibration_batches: list[torch.Tensor]
) -> torch.nn.Module:
    # Engine not set: choose the backend once, for the engine and for the qconfig. 'x86' is
    # the current name of the x86 backend ('fbgemm' is its old name); ARM CPUs have qnnpack.
    supported = torch.backends.quantized.supported_engines
    backend = "x86" if "x86" in supported else "qnnpack"
    torch.backends.quantized.engine = backend

    # 1. Plain torchvision ResNet-18 has no fuse_model(), no QuantStub/DeQuantStub, a
    #    residual `out += identity` that cannot run on quantized tensors, and a ReLU module
    #    each block calls twice. torchvision's quantizable ResNet-18 fixes all four; its
    #    parameter names are the same, so the trained weights load into it unchanged.
    #    (With downloads: quantizable_resnet18(weights=ResNet18_Weights.IMAGENET1K_V1,
    #    quantize=False), never the deprecated pretrained=True.)
    model = quantizable_resnet18(
        weights=None, quantize=False, num_classes=model_fp32.fc.out_features
    )
    model.load_state_dict(model_fp32.state_dict())
    model.eval()  # the lesson got this right: fusion folds BN with its running statistics

    # 2. Fuse conv+bn(+relu): the quantizable model knows its groups.
    model.fuse_model()

    # 3. The qconfig attached to the model, as the lesson did, from torch.ao.quantization
    #    (torch.quantization is its old alias).
    model.qconfig = get_default_qconfig(backend)
    prepare(model, inplace=True)

    # 4. Calibration on real images (all of them), not one batch of random noise.
    with torch.no_grad():
        for batch in calibration_batches:
            model(batch)

    # 5. Convert to INT8.
    convert(model, inplace=True)

    # conv1 was fused with bn1 and relu: it prints QuantizedConvReLU2d, not QuantizedConv2d.
    print(model.conv1)
    return model
