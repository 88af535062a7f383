"""The job every digits-ResNet-18 exercise gives (torch, both sides of the judge).

The checker (`setup`) gets the FP32 baseline (`quizapp.grading.baseline`: torchvision's
quantizable ResNet-18, or with `plain=True` the same weights in plain
`torchvision.models.resnet18`), keeps the held-out split and the FP32 figures to itself and
writes the learner's inputs: the weights and 8 batches of 32 real training images. The
learner's process (`produce`) builds the network in eval mode from those weights, calls
`quantize(model, calibration_batches)` and saves the returned network as TorchScript.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from quizapp.grading.baseline import ensure_baseline
from quizapp.grading.checker_context import Context
from quizapp.grading.checks import Suite
from quizapp.grading.learner_run import Run
from quizapp.grading.measure import modules_of, script_bytes

CALIBRATION_BATCHES = 8
CALIBRATION_BATCH_SIZE = 32
CALIBRATION_SEED = 6


def calibration_batches(train_x: torch.Tensor) -> list[torch.Tensor]:
    """A fixed draw of real training images, the same for every learner and every run."""
    generator = torch.Generator().manual_seed(CALIBRATION_SEED)
    take = torch.randperm(len(train_x), generator=generator)
    take = take[: CALIBRATION_BATCHES * CALIBRATION_BATCH_SIZE]
    return [
        train_x[take[i : i + CALIBRATION_BATCH_SIZE]].clone()
        for i in range(0, len(take), CALIBRATION_BATCH_SIZE)
    ]


def build(plain: bool) -> torch.nn.Module:
    from quizapp.grading.baseline import build_model, build_plain_model

    return (build_plain_model() if plain else build_model()).eval()


def call_order(
    model: torch.nn.Module,
    x: torch.Tensor,
    hooked: Callable[[str, torch.nn.Module], torch.nn.Module | None],
) -> list[str]:
    """The names of the checker's own modules in the order one forward pass calls them:
    `hooked(name, module)` gives the module whose call counts for `name` (or None)."""
    order: list[str] = []
    handles = []
    for name, module in model.named_modules():
        target = hooked(name, module)
        if target is not None:
            hook = target.register_forward_pre_hook(lambda m, a, name=name: order.append(name))
            handles.append(hook)
    try:
        with torch.no_grad():
            model(x[:1])
    finally:
        for handle in handles:
            handle.remove()
    return order


def conv_names(model: torch.nn.Module, x: torch.Tensor) -> list[str]:
    """The convolutions and the classifier of the checker's own FP32 model, in call order:
    the names the i-th layer op of any ResNet-18 gets."""
    layers = (torch.nn.Conv2d, torch.nn.Linear)
    return call_order(model, x, lambda name, m: m if isinstance(m, layers) else None)


def setup(ctx: Context, *, plain: bool = False) -> None:
    """Fill `ctx.store` (reference: the FP32 model; batches; held_out_x/y; fp32_logits,
    fp32_accuracy, fp32_bytes (its TorchScript archive); convs (20); conv_bn_relu (9: the
    stem and the first conv of every block); blocks (8); layer_names (convs and fc, in call
    order)) and write the learner's inputs: the FP32 weights and the calibration batches."""
    baseline = ensure_baseline(progress=ctx.progress)
    digits = baseline.digits
    reference = baseline.plain_model() if plain else baseline.model()
    with torch.no_grad():
        fp32_logits = reference(digits.held_out_x)
    from torchvision.models.resnet import BasicBlock

    blocks = len(modules_of(reference, BasicBlock))
    batches = calibration_batches(digits.train_x)
    ctx.store.update(
        reference=reference,
        batches=batches,
        held_out_x=digits.held_out_x,
        held_out_y=digits.held_out_y,
        fp32_logits=fp32_logits,
        fp32_accuracy=(fp32_logits.argmax(1) == digits.held_out_y).double().mean().item(),
        fp32_bytes=script_bytes(reference),
        convs=len(modules_of(reference, torch.nn.Conv2d)),
        conv_bn_relu=1 + blocks,
        blocks=blocks,
        layer_names=conv_names(reference, batches[0]),
    )
    ctx.job.save("weights", baseline.state_dict)
    ctx.job.save("batches", batches)


def learner_model(run: Run, plain: bool) -> torch.nn.Module:
    """The learner's copy of the FP32 network, built from the checker's weights."""
    model = build(plain)
    model.load_state_dict(run.input("weights"))
    return model.eval()


def produce(run: Run, *, plain: bool = False) -> None:
    """quantize(model, calibration_batches); the returned network saved as TorchScript."""
    model = learner_model(run, plain)
    result = run.call(run.entry, model, run.input("batches"), what="quantize()")
    # A fresh copy of a batch to trace on (the learner's code may have changed its own).
    run.save_module("model", result, example=(run.input("batches")[0][:2],))


def add_setup(suite: Suite, *, plain: bool = False) -> None:
    suite.setup(lambda ctx: setup(ctx, plain=plain))
    suite.produce(lambda run: produce(run, plain=plain))
