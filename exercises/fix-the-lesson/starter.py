"""fix-the-lesson: make the lesson's quantization snippet run, then make it right.

Below is the "Hands-On: Quantizing ResNet (PTQ)" cell of the lesson, as it was printed,
inside the function the grader calls. Grade it as it is first:

    quizapp check fix-the-lesson

It fails. Fix it until every check passes (README.md says what is graded). One change was
made for you: the lesson loads ImageNet weights with `models.resnet18(pretrained=True)`.
Nothing is downloaded here, so the grader passes you the network instead: a plain
`torchvision.models.resnet18(num_classes=10)` trained on handwritten digits, in eval mode.
It is your own copy: change it, or build another network from its weights.
`calibration_batches` is a list of float tensors of shape (N, 3, 32, 32): real images from
the training split, already normalized (the lesson had no such list).
"""

from __future__ import annotations

import torch
from torchvision import models  # noqa: F401  (the lesson's import)


def quantize(
    model_fp32: torch.nn.Module, calibration_batches: list[torch.Tensor]
) -> torch.nn.Module:
    # TODO: the lesson's code, unchanged but for step 1. It does not run; and where it
    #       runs, it is not right yet. The checks, their hints and the README say why.
    # fmt: off

    # 1. Load FP32 Model
    # model_fp32 = models.resnet18(pretrained=True)   <- the lesson; the grader passes it
    model_fp32.eval()

    # 2. Prepare for Quantization
    # Fuse layers (Conv+BN+ReLU) for speed
    model_fp32.fuse_model()

    # 3. Configure Layout
    model_fp32.qconfig = torch.quantization.get_default_qconfig('fbgemm')
    torch.quantization.prepare(model_fp32, inplace=True)

    # 4. Calibration (Run dummy data)
    print("Calibrating...")
    with torch.no_grad():
        model_fp32(torch.randn(1, 3, 224, 224))

    # 5. Convert to INT8
    model_int8 = torch.quantization.convert(model_fp32, inplace=True)

    print("Quantization Complete.")
    print(model_int8.conv1) # Look for QuantizedConv2d
    # fmt: on
    return model_int8
