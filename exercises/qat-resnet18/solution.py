"""Reference solution for qat-resnet18: eager-mode quantization-aware training at W4A4."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch.ao.nn.intrinsic.qat import freeze_bn_stats
from torch.ao.quantization import QConfig, convert, disable_observer, prepare_qat

EPOCHS = 2
FREEZE_OBSERVERS_AT = 0.75  # of the training steps: the last quarter trains on a fixed grid


def quantize(
    model: torch.nn.Module,
    train_batches: list[tuple[torch.Tensor, torch.Tensor]],
    qconfig: QConfig,
) -> torch.nn.Module:
    # QAT fusion happens in training mode: conv+bn(+relu) become QAT modules that keep BN
    # (it is folded by convert), where PTQ fusion would fold BN right away.
    model.train()
    model.fuse_model(is_qat=True)
    model.qconfig = qconfig
    prepare_qat(model, inplace=True)  # fake quantizers on every weight and activation

    # Fine-tuning a trained network: BN keeps the statistics it was trained with (the ones
    # convert() folds in) from the first step, so the fake quantizers observe the ranges the
    # converted network will have. Freezing BN and the observers at the same moment would
    # leave the observers on ranges measured with batch statistics.
    model.apply(freeze_bn_stats)

    # A small learning rate, decayed to zero so the last steps (on the fixed grid) settle.
    optimizer = torch.optim.SGD(model.parameters(), lr=5e-4, momentum=0.9)
    total = EPOCHS * len(train_batches)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, total)
    step = 0
    for _ in range(EPOCHS):
        model.train()
        for images, labels in train_batches:
            if step == int(FREEZE_OBSERVERS_AT * total):
                model.apply(disable_observer)  # fix the grid; fake quantization stays on
            loss = F.cross_entropy(model(images), labels)
            optimizer.zero_grad()
            loss.backward()  # the straight-through estimator passes gradients through rounding
            optimizer.step()
            schedule.step()
            step += 1

    model.eval()
    return convert(model, inplace=True)
