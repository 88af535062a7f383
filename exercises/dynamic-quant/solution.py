"""Reference solution for dynamic-quant: INT8 weights, activations quantized on the fly."""

from __future__ import annotations

import torch
from torch.ao.quantization import quantize_dynamic


def quantize(model: torch.nn.Module) -> torch.nn.Module:
    # Dynamic quantization needs no calibration data: the weights become INT8 now, and each
    # activation's scale is computed from the batch itself at run time. Linear and LSTM are
    # the layers it has kernels for (it is also the default set for qint8).
    return quantize_dynamic(model, {torch.nn.Linear, torch.nn.LSTM}, dtype=torch.qint8)
