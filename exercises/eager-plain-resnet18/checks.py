"""Checks for eager-plain-resnet18: plain torchvision ResNet-18 made eager-quantizable by hand.

Graded like ptq-resnet18, plus what the hand-made parts must get right: the residual adds
are INT8 adds (QFunctional), INT8 kernels really run, and every residual add keeps its ReLU
(BasicBlock calls one ReLU module twice; fusing it into conv1 silently removes the second).
The learner's own module classes are allowed; torchvision's quantizable ResNet is not (that
is ptq-resnet18).
"""

from __future__ import annotations

from quizapp.grading import resnet_checks as rc
from quizapp.grading import resnet_fidelity, resnet_job
from quizapp.grading.checker_context import Context
from quizapp.grading.checks import LearnerError, Outcome, Suite, failed, passed

QFUNCTIONAL = "residual adds are QFunctional"

suite = Suite()
resnet_job.add_setup(suite, plain=True)
rc.add_returns_module(
    suite,
    reject=[
        (
            rc.QUANTIZABLE_RESNET,
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
    """What a FloatFunctional becomes on convert(): an INT8 add kernel in the forward pass."""
    blocks = ctx.store["blocks"]
    threshold = f"{blocks} INT8 adds"
    try:
        trace = rc.first_trace(ctx)
    except LearnerError as exc:
        return rc.crashed(ctx, exc, threshold, QFUNCTIONAL)
    adds, float_adds = trace.quantized_adds, trace.float_adds
    measured = f"{adds} INT8 adds, {float_adds} float adds"
    if adds == blocks and not float_adds:
        return passed(
            f"All {blocks} residual adds ran as INT8 adds (a QFunctional's add_relu), one per "
            "block.",
            measured,
            threshold,
        )
    if float_adds:
        hint = (
            f" {float_adds} adds ran in float: a FloatFunctional that convert() did not swap, "
            "or a plain `out += identity`."
        )
    else:
        hint = (
            " Give every block its own FloatFunctional (`self.skip_add = FloatFunctional()`): "
            "it observes the range of its own add, and convert() swaps it for a QFunctional."
        )
    return failed(f"{adds} of {blocks} residual adds ran as INT8 adds.{hint}", measured, threshold)


rc.add_size_check(suite)
rc.add_input_range_check(suite)
rc.add_kernel_checks(suite)
resnet_fidelity.add_fidelity_checks(suite, needs=(rc.KERNELS,))
resnet_fidelity.add_speed_checks(suite)
