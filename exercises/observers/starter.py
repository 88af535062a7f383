"""observers: write the two observers calibration runs on.

Read the task first (`quizapp exercises`, or README.md of the exercise), then fill in the
TODOs. Grade this file with:

    quizapp check observers

Both classes are torch.nn.Modules written from scratch: torch tensor arithmetic is fine,
torch's own observers (anything in torch.ao.quantization) are not.
"""

from __future__ import annotations

import torch

EPS = torch.finfo(torch.float32).eps  # the smallest scale PyTorch's observers return


class MinMaxObserver(torch.nn.Module):
    """Records the running min and max of everything it sees; gives PyTorch's qparams."""

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
        # TODO 1: self.quant_min, self.quant_max: the given ones, or the dtype's range
        #         (quint8 [0, 255], qint8 [-128, 127]; reduce_range drops one bit).
        # TODO 2: the running range, as buffers named min_val and max_val (register_buffer),
        #         starting at +inf and -inf.

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # TODO 3: widen the running range with this batch. What must forward return?
        raise NotImplementedError("TODO: MinMaxObserver.forward")

    def calculate_qparams(self) -> tuple[torch.Tensor, torch.Tensor]:
        # TODO 4: (scale, zero_point) from [min_val, max_val], exactly as PyTorch's
        #         MinMaxObserver computes them, affine and symmetric (see int8-affine-math).
        #         Return tensors like PyTorch's: torch.tensor([scale]), torch.tensor([zp]).
        raise NotImplementedError("TODO: MinMaxObserver.calculate_qparams")


class MSEObserver(torch.nn.Module):
    """Chooses the range whose quantization error (MSE) over everything it saw is smallest."""

    def __init__(
        self,
        dtype: torch.dtype = torch.quint8,
        qscheme: torch.qscheme = torch.per_tensor_affine,
        reduce_range: bool = False,
        quant_min: int | None = None,
        quant_max: int | None = None,
    ) -> None:
        super().__init__()
        # TODO 5: the same settings as MinMaxObserver (subclassing your MinMaxObserver is
        #         fine), and somewhere to keep what forward() sees.

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # TODO 6: record the batch (detached); return the input unchanged.
        raise NotImplementedError("TODO: MSEObserver.forward")

    def calculate_qparams(self) -> tuple[torch.Tensor, torch.Tensor]:
        # TODO 7: try candidate ranges (e.g. the observed range shrunk by 1%, 2%, ...), fake-
        #         quantize everything seen with each one's (scale, zero_point), and return
        #         the pair with the smallest mean squared error.
        raise NotImplementedError("TODO: MSEObserver.calculate_qparams")
