"""Checks for eager-plain-resnet18: plain torchvision ResNet-18 made eager-quantizable by hand.

Graded like ptq-resnet18, plus what the hand-made parts must get right: the residual adds
are INT8 adds (QFunctional), INT8 kernels really run, and every residual add keeps its ReLU
(BasicBlock calls one ReLU module twice; fusing it into conv1 silently removes the second).
The learner's own module classes are allowed; torchvision's quantizable ResNet is not (that
is ptq-resnet18).
"""

from __future__ import annotations

import torch.ao.nn.quantized as nnq
from torchvision.models.quantization.resnet import (
    QuantizableBasicBlock,
    QuantizableBottleneck,
    QuantizableResNet,
)

from quizapp.grading import resnet_checks as rc
from quizapp.grading.checks import Context, Outcome, Suite, failed, modules_of, passed

QFUNCTIONAL = "residual adds are QFunctional"

suite = Suite()
rc.add_setup(suite, plain=True)
rc.add_returns_module(
    suite,
    own_classes=True,
    reject=[
        (
            (QuantizableResNet, QuantizableBasicBlock, QuantizableBottleneck),
            "This exercise makes the plain blocks quantizable by hand; torchvision's "
            "quantizable ResNet is the ptq-resnet18 exercise.",
        )
    ],
)
rc.add_structure_checks(
    suite,
    fuse_hint=(
        "Fuse before prepare(), in eval mode, with torch.ao.quantization.fuse_modules: "
        "['conv1', 'bn1', 'relu'] for the stem and each block's first conv, ['conv2', 'bn2'], "
        "and ['0', '1'] in each downsample."
    ),
)


@suite.check(QFUNCTIONAL, needs=(rc.RETURNS_MODULE,))
def residual_adds(ctx: Context) -> Outcome:
    model = rc.submission(ctx)
    blocks = ctx.store["blocks"]
    adds = modules_of(model, nnq.QFunctional)
    still_float = modules_of(model, nnq.FloatFunctional)
    measured = f"{len(adds)} QFunctional, {len(still_float)} FloatFunctional"
    threshold = f"{blocks} QFunctional"
    if len(adds) == blocks and not still_float:
        return passed(
            f"All {blocks} residual adds are INT8 adds (QFunctional), one per block.",
            measured,
            threshold,
        )
    if still_float:
        hint = f" {len(still_float)} FloatFunctional are left: convert() was not run on them."
    else:
        hint = (
            " Give every block its own FloatFunctional (`self.skip_add = FloatFunctional()`): "
            "it observes the range of its own add, and convert() swaps it for a QFunctional."
        )
    return failed(
        f"{len(adds)} of {blocks} residual adds are QFunctional modules.{hint}",
        measured,
        threshold,
    )


rc.add_size_check(suite)
rc.add_input_range_check(suite)
rc.add_kernel_checks(suite)
rc.add_fidelity_checks(suite, needs=(rc.KERNELS,))
rc.add_speed_checks(suite)
