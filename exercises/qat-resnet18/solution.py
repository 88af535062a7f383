"""Reference solution for qat-resnet18: eager-mode quantization-aware training at W4A4."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch.ao.nn.intrinsic.qat import freeze_bn_stats
from torch.ao.quantization import QConfig, convert, disable_observer, prepare_qat

EPOCHS = 2
FREEZE_FROM_EPOCH = 1  # the last epoch trains on frozen BN statistics and frozen ranges


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

    # Fine-tuning, not training from scratch: a small learning rate, decayed to zero so the
    # last steps (on the frozen grid) settle instead of jumping around.
    optimizer = torch.optim.SGD(model.parameters(), lr=5e-4, momentum=0.9)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, EPOCHS * len(train_batches))
    for epoch in range(EPOCHS):
        if epoch >= FREEZE_FROM_EPOCH:
            model.apply(freeze_bn_stats)  # train with the statistics convert() folds in
            model.apply(disable_observer)  # fix the grid; fake quantization stays on
        model.train()
        for images, labels in train_batches:
            loss = F.cross_entropy(model(images), labels)
            optimizer.zero_grad()
            loss.backward()  # the straight-through estimator passes gradients through rounding
            optimizer.step()
            schedule.step()

    model.eval()
    return convert(model, inplace=True)
