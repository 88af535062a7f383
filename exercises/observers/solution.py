"""Reference solution for observers: PyTorch's MinMaxObserver, and an observer that clips."""

from __future__ import annotations

import torch

EPS = torch.finfo(torch.float32).eps


class MinMaxObserver(torch.nn.Module):
    def __init__(
        self,
        dtype: torch.dtype = torch.quint8,
        qscheme: torch.qscheme = torch.per_tensor_affine,
        reduce_range: bool = False,
        quant_min: int | None = None,
        quant_max: int | None = None,
    ) -> None:
        super().__init__()
        self.dtype, self.qscheme = dtype, qscheme
        if quant_min is not None and quant_max is not None:
            self.quant_min, self.quant_max = quant_min, quant_max
        else:
            info = torch.iinfo(torch.uint8 if dtype == torch.quint8 else torch.int8)
            self.quant_min, self.quant_max = info.min, info.max
            if reduce_range:  # one bit less: quint8 [0, 127], qint8 [-64, 63]
                self.quant_min, self.quant_max = self.quant_min // 2, self.quant_max // 2
        # Buffers, like PyTorch's: they follow .to() and land in the state_dict.
        self.register_buffer("min_val", torch.tensor(float("inf")))
        self.register_buffer("max_val", torch.tensor(float("-inf")))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        values = x.detach().to(self.min_val.dtype)
        self.min_val = torch.minimum(self.min_val, values.min())
        self.max_val = torch.maximum(self.max_val, values.max())
        return x  # an observer only watches

    def qparams_for(
        self, low: torch.Tensor, high: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(scale, zero_point) for the range [low, high], as MinMaxObserver computes them."""
        qmin, qmax = self.quant_min, self.quant_max
        min_neg = torch.clamp(low, max=0.0)  # the range always contains 0
        max_pos = torch.clamp(high, min=0.0)
        if self.qscheme == torch.per_tensor_symmetric:
            amax = torch.maximum(-min_neg, max_pos)
            scale = torch.clamp(amax / ((qmax - qmin) / 2), min=EPS)
            if self.dtype == torch.quint8:  # the middle of the range: 128 for [0, 255]
                middle = 128 if (qmin, qmax) == (0, 255) else (qmin + qmax) // 2
                zero_point = torch.tensor(middle)
            else:
                zero_point = torch.tensor(0)
        else:
            scale = torch.clamp((max_pos - min_neg) / (qmax - qmin), min=EPS)
            zero_point = torch.clamp(qmin - torch.round(min_neg / scale).to(torch.int), qmin, qmax)
        return scale.reshape(1), zero_point.reshape(1).to(torch.int)

    def calculate_qparams(self) -> tuple[torch.Tensor, torch.Tensor]:
        return self.qparams_for(self.min_val, self.max_val)


class MSEObserver(MinMaxObserver):
    """Chooses the clipping range that minimizes the quantization error of what it saw."""

    def __init__(self, *args, steps: int = 100, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.steps = steps
        self.seen: list[torch.Tensor] = []  # every value (a real observer keeps a histogram)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        super().forward(x)
        self.seen.append(x.detach().flatten().to(torch.float32).clone())
        return x

    def calculate_qparams(self) -> tuple[torch.Tensor, torch.Tensor]:
        values = torch.cat(self.seen)
        best = None
        # Shrink the observed range step by step; keep the range with the smallest MSE.
        # The full range (fraction 1) is a candidate, so this is never worse than MinMax.
        for i in range(1, self.steps + 1):
            fraction = i / self.steps
            scale, zero_point = self.qparams_for(self.min_val * fraction, self.max_val * fraction)
            q = torch.clamp(
                torch.round(values / scale) + zero_point, self.quant_min, self.quant_max
            )
            error = torch.mean(((q - zero_point) * scale - values) ** 2).item()
            if best is None or error < best[0]:
                best = (error, scale, zero_point)
        return best[1], best[2]
