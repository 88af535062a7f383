"""Per-layer SQNR: layer-sensitivity's oracle, run by the checker on its own eager models
(torch): which layers of the baseline lose most when quantized to W4A4.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

import torch
import torch.ao.nn.quantized as nnq
from torch.ao.quantization import QuantStub

from quizapp.grading.measure import is_a, named_modules

# --- per-layer SQNR: the checker's oracle, on its own eager models ----------------------


def sqnr_db(reference: torch.Tensor, approximation: torch.Tensor) -> float:
    """10 log10(sum x^2 / sum (x - y)^2), torch's formula (torch.ao.ns.fx.utils.compute_sqnr)."""
    from torch.ao.ns.fx.utils import compute_sqnr

    return float(compute_sqnr(reference.float(), approximation.float()))


def compared_layers(quantized: torch.nn.Module) -> list[str]:
    """The quantized network's layers, in order: its input quantizer, every convolution, every
    residual add and the classifier, by module name ('quant', 'conv1', 'layer1.0.conv1',
    'layer1.0.add_relu', ..., 'fc')."""
    kinds = (nnq.Quantize, QuantStub, nnq.QFunctional, nnq.FloatFunctional, nnq.Conv2d, nnq.Linear)
    layers = [name for name, module in named_modules(quantized) if is_a(module, kinds)]
    return layers


@contextlib.contextmanager
def _capture_outputs(model: torch.nn.Module, names: Sequence[str]) -> Iterator[dict[str, list]]:
    """Outputs of the named layers (a functional's output through its activation_post_process:
    add_relu() is a method call, so hooks on the functional itself never fire)."""
    modules = dict(named_modules(model))
    captured: dict[str, list[torch.Tensor]] = {name: [] for name in names}
    handles = []
    for name in names:
        module = modules[name]
        if is_a(module, (nnq.QFunctional, nnq.FloatFunctional)):
            observer = module.activation_post_process
            assert isinstance(observer, torch.nn.Module), type(observer)
            module = observer

        def hook(module, args, output, name=name):  # noqa: ANN001, ANN202
            value = output.dequantize() if output.is_quantized else output
            captured[name].append(value.detach())

        handles.append(module.register_forward_hook(hook))
    try:
        yield captured
    finally:
        for handle in handles:
            handle.remove()


def layer_sqnr(
    float_model: torch.nn.Module, quantized: torch.nn.Module, batches: Sequence[torch.Tensor]
) -> dict[str, float]:
    """The oracle: per layer, the SQNR (dB) of the quantized network's output of that layer
    against the fused FP32 network's, over every element of every batch (errors of earlier
    layers included, as torch.ao.ns._numeric_suite.compare_model_outputs sees them)."""
    names = compared_layers(quantized)
    with (
        _capture_outputs(float_model, names) as reference,
        _capture_outputs(quantized, names) as approximation,
        torch.no_grad(),
    ):
        for batch in batches:
            float_model(batch)
            quantized(batch)
    return {
        name: sqnr_db(
            torch.cat([t.flatten() for t in reference[name]]),
            torch.cat([t.flatten() for t in approximation[name]]),
        )
        for name in names
    }
