"""Reference solution for ptq-resnet18: eager-mode post-training static quantization."""

from __future__ import annotations

import torch
from torch.ao.quantization import convert, get_default_qconfig, prepare


def quantize(model: torch.nn.Module, calibration_batches: list[torch.Tensor]) -> torch.nn.Module:
    # x86 CPUs use the x86 backend; ARM (e.g. Apple silicon) has qnnpack instead.
    supported = torch.backends.quantized.supported_engines
    backend = "x86" if "x86" in supported else "qnnpack"
    torch.backends.quantized.engine = backend

    # Fusion folds each BatchNorm into its conv and merges the ReLU; it needs eval mode.
    model.eval()
    model.fuse_model()

    # Per-channel int8 weights, histogram-calibrated uint8 activations.
    model.qconfig = get_default_qconfig(backend)
    prepare(model, inplace=True)

    # Calibration: real training images, so the observers see the real activation ranges.
    with torch.no_grad():
        for batch in calibration_batches:
            model(batch)

    convert(model, inplace=True)
    return model
