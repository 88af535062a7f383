"""Reference solution for layer-sensitivity: per-layer SQNR, then a few layers at 8 bits."""

from __future__ import annotations

import copy

import torch
import torch.ao.nn.quantized as nnq
from torch.ao.quantization import (
    FakeQuantize,
    MinMaxObserver,
    QConfig,
    convert,
    disable_fake_quant,
    disable_observer,
    enable_fake_quant,
    prepare,
    prepare_qat,
)

BUDGET = 3  # layers allowed above 4 bits
SHORTLIST = 4  # after the first round, only the most promising layers are tried again

# Layers as the quantized network has them: the input quantizer, the convolutions (fused
# ConvReLU2d included), the residual adds and fc.
LAYER_TYPES = (nnq.Quantize, nnq.Conv2d, nnq.Linear, nnq.QFunctional)

# The kept layers: the same observers as the 4-bit qconfig, over the full 8-bit ranges.
EIGHT_BIT = QConfig(
    activation=MinMaxObserver.with_args(dtype=torch.quint8, qscheme=torch.per_tensor_affine),
    weight=MinMaxObserver.with_args(dtype=torch.qint8, qscheme=torch.per_tensor_symmetric),
)


def _outputs(
    model: torch.nn.Module, names: list[str], batches: list[torch.Tensor]
) -> dict[str, torch.Tensor]:
    """Each named layer's output over all batches, dequantized and flattened."""
    modules = dict(model.named_modules())
    captured: dict[str, list[torch.Tensor]] = {name: [] for name in names}
    handles = []
    for name in names:
        module = modules[name]
        if isinstance(module, (nnq.FloatFunctional, nnq.QFunctional)):
            # add_relu() is a method call, so hooks on the functional never fire; its
            # output goes through its activation_post_process module.
            module = module.activation_post_process

        def keep(module, inputs, output, name=name):  # noqa: ANN001, ANN202
            captured[name].append(output.dequantize() if output.is_quantized else output)

        handles.append(module.register_forward_hook(keep))
    with torch.no_grad():
        for batch in batches:
            model(batch)
    for handle in handles:
        handle.remove()
    return {name: torch.cat([t.flatten() for t in ts]) for name, ts in captured.items()}


def sqnr(reference: torch.Tensor, approximation: torch.Tensor) -> float:
    noise = (reference - approximation).pow(2).sum()
    return (10 * torch.log10(reference.pow(2).sum() / noise)).item()


def layer_sqnr(
    float_model: torch.nn.Module,
    quantized_model: torch.nn.Module,
    batches: list[torch.Tensor],
) -> dict[str, float]:
    names = [n for n, m in quantized_model.named_modules() if isinstance(m, LAYER_TYPES)]
    reference = _outputs(float_model, names, batches)
    quantized = _outputs(quantized_model, names, batches)
    return {name: sqnr(reference[name], quantized[name]) for name in names}


def _logits(model: torch.nn.Module, images: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return model(images)


def most_sensitive(
    model: torch.nn.Module, batches: list[torch.Tensor], qconfig: QConfig
) -> list[str]:
    """Greedy leave-one-out on a fake-quantized twin of the fused model: restore (un-fake-
    quantize) the layer that raises the logits' SQNR against FP32 most, then the next one
    given the first, BUDGET times."""
    # One batch of all the images: the twin fake-quantizes its weights once per forward.
    images = torch.cat(batches)
    fp32 = _logits(model, images)
    twin = copy.deepcopy(model)
    # The same observers, inside fake quantizers: quantize-dequantize in float, so any layer
    # can be switched back to float without stubs or a new calibration.
    twin.qconfig = QConfig(
        activation=FakeQuantize.with_args(observer=qconfig.activation),
        weight=FakeQuantize.with_args(observer=qconfig.weight),
    )
    twin.train()
    prepare_qat(twin, inplace=True)
    twin.eval()
    twin.apply(disable_fake_quant)  # calibrate as PTQ does: observers see float activations
    _logits(twin, images)
    twin.apply(enable_fake_quant)
    twin.apply(disable_observer)

    quantizers: dict[str, list[FakeQuantize]] = {}
    for name, module in twin.named_modules():
        if isinstance(getattr(module, "activation_post_process", None), FakeQuantize):
            quantizers[name] = [module.activation_post_process]
            if isinstance(getattr(module, "weight_fake_quant", None), FakeQuantize):
                quantizers[name].append(module.weight_fake_quant)

    def score(restored: list[str]) -> float:
        for name in restored:
            for fake_quant in quantizers[name]:
                fake_quant.disable_fake_quant()
        result = sqnr(fp32, _logits(twin, images))
        for name in restored:
            for fake_quant in quantizers[name]:
                fake_quant.enable_fake_quant()
        return result

    first = {name: score([name]) for name in quantizers}
    candidates = sorted(first, key=first.get, reverse=True)
    kept = [candidates[0]]
    shortlist = candidates[1:SHORTLIST]
    while len(kept) < BUDGET:
        best = max((n for n in shortlist if n not in kept), key=lambda n: score([*kept, n]))
        kept.append(best)
    return kept


def quantize(
    model: torch.nn.Module,
    calibration_batches: list[torch.Tensor],
    qconfig: QConfig,
) -> torch.nn.Module:
    model.eval()
    model.fuse_model()
    kept = most_sensitive(model, calibration_batches, qconfig)
    print("kept at 8 bits:", ", ".join(kept))

    # PTQ at W4A4, except the kept layers: a module's own qconfig overrides the model's.
    model.qconfig = qconfig
    modules = dict(model.named_modules())
    for name in kept:
        modules[name].qconfig = EIGHT_BIT
    prepare(model, inplace=True)
    with torch.no_grad():
        for batch in calibration_batches:
            model(batch)
    return convert(model, inplace=True)
