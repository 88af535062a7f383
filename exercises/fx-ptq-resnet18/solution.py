"""Reference solution for fx-ptq-resnet18: FX graph mode post-training static quantization."""

from __future__ import annotations

import torch
from torch.ao.quantization import get_default_qconfig_mapping
from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx


def quantize(
    model: torch.nn.Module, calibration_batches: list[torch.Tensor]
) -> torch.fx.GraphModule:
    supported = torch.backends.quantized.supported_engines
    backend = "x86" if "x86" in supported else "qnnpack"
    torch.backends.quantized.engine = backend

    # One qconfig for every layer, plus the ops FX knows need fixed ranges; the mapping
    # is what the eager `model.qconfig = ...` was, by module type, name or op.
    qconfig_mapping = get_default_qconfig_mapping(backend)

    # prepare_fx traces the model symbolically (example_inputs give the shapes), fuses
    # conv+bn+relu, places quantize/dequantize at the graph's edges, turns the residual
    # adds into quantizable ops and inserts observers. It needs eval mode for PTQ.
    model.eval()
    example_inputs = (calibration_batches[0],)
    prepared = prepare_fx(model, qconfig_mapping, example_inputs)

    # Calibration: real images, so the observers see the real activation ranges.
    with torch.no_grad():
        for batch in calibration_batches:
            prepared(batch)

    return convert_fx(prepared)
