"""Checks for fix-the-lesson: the lesson's snippet, fixed, must pass the PTQ checks.

The learner gets plain `torchvision.models.resnet18` with the digits weights. Any working fix
is accepted: torchvision's quantizable ResNet-18, the plain one made quantizable by hand, or
FX graph mode. What runs is checked as well as what the modules are: the INT8 kernels, and
the ReLU after each residual add, which the by-hand route can lose without an error.
"""

from __future__ import annotations

from quizapp.grading import resnet_checks as rc
from quizapp.grading import resnet_fidelity, resnet_job
from quizapp.grading.checks import Suite

suite = Suite()
resnet_job.add_setup(suite, plain=True)
rc.add_returns_module(suite, fx="allow")
rc.add_structure_checks(
    suite,
    fuse_hint=(
        "Fuse before prepare(), in eval mode. Plain ResNet has no fuse_model(): load the "
        "weights into torchvision's quantizable ResNet-18, which has one, or call "
        "torch.ao.quantization.fuse_modules with the names of each conv, bn and relu."
    ),
)
rc.add_size_check(suite)
rc.add_input_range_check(suite)
rc.add_kernel_checks(suite)
resnet_fidelity.add_fidelity_checks(suite, needs=(rc.KERNELS,))
resnet_fidelity.add_speed_checks(suite)
