"""Checks for ptq-resnet18: is the returned network really INT8, small, accurate and fast?

The learner's `quantize(model, calibration_batches)` gets a copy of the FP32 baseline (eval
mode) and 8 batches of 32 real training images; what it returns is judged from its
TorchScript archive, on the INT8 kernels a forward pass really runs. The held-out split
never leaves the checker. The checks are shared with the other ResNet exercises
(quizapp.grading.resnet_checks).
"""

from __future__ import annotations

from quizapp.grading import resnet_checks as rc
from quizapp.grading import resnet_fidelity, resnet_job
from quizapp.grading.checks import Suite

suite = Suite()
resnet_job.add_setup(suite)  # torchvision's QuantizableResNet-18, trained on digits
rc.add_returns_module(suite)  # eager mode: not an FX GraphModule
rc.add_structure_checks(
    suite, fuse_hint="Fuse before prepare(): model.eval(), then model.fuse_model()."
)
rc.add_size_check(suite)
rc.add_input_range_check(suite)
rc.add_kernel_checks(suite)
resnet_fidelity.add_fidelity_checks(suite)
resnet_fidelity.add_speed_checks(suite)
