"""Checks for fx-ptq-resnet18: FX graph mode PTQ of plain torchvision ResNet-18.

The result must be the GraphModule convert_fx() returns. Graded on its modules (INT8
convolutions, fused, INT8 fc), on its graph (input quantized, INT8 residual adds, output
dequantized), on what a forward pass runs, and like ptq-resnet18 on size, calibration,
accuracy and agreement with FP32.
"""

from __future__ import annotations

from quizapp.grading import resnet_checks as rc
from quizapp.grading import resnet_fidelity, resnet_job
from quizapp.grading.checks import Suite

suite = Suite()
resnet_job.add_setup(suite, plain=True)
rc.add_returns_module(suite, fx="require")
rc.add_structure_checks(
    suite,
    fuse_hint=(
        "prepare_fx fuses conv+bn+relu by itself when the model is in eval mode: call "
        "model.eval() before prepare_fx (in training mode it prepares for QAT)."
    ),
    convert_call="convert_fx()",
)
rc.add_graph_check(suite)
rc.add_size_check(suite)
rc.add_input_range_check(suite)
rc.add_kernel_checks(suite)
resnet_fidelity.add_fidelity_checks(suite, needs=(rc.KERNELS,))
resnet_fidelity.add_speed_checks(suite)
