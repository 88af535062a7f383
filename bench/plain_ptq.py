"""The ptq-resnet18 grading steps as a plain script: no runner, no child process, no checks
framework. `bench_grading` times it against `quizapp check`; `bench_model` uses its figures.

Run: python bench/plain_ptq.py [--latency]  (prints one JSON object)
"""

from __future__ import annotations

import importlib.util
import io
import json
import statistics
import sys
import time
from pathlib import Path

STARTED = time.perf_counter()

import torch  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from quizapp.grading.baseline import ensure_baseline  # noqa: E402

THREADS = 2


def load_solution():
    path = REPO / "exercises" / "ptq-resnet18" / "solution.py"
    spec = importlib.util.spec_from_file_location("solution", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def size(model: torch.nn.Module) -> int:
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    return buffer.getbuffer().nbytes


def latency(model: torch.nn.Module, x: torch.Tensor, repeats: int = 21) -> float:
    with torch.no_grad():
        for _ in range(3):
            model(x)
        samples = []
        for _ in range(repeats):
            start = time.perf_counter()
            model(x)
            samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    torch.set_num_threads(THREADS)
    baseline = ensure_baseline()
    digits = baseline.digits
    reference = baseline.model()
    order = torch.randperm(len(digits.train_x), generator=torch.Generator().manual_seed(6))
    take = order[: 8 * 32]
    batches = [digits.train_x[take[i : i + 32]].clone() for i in range(0, len(take), 32)]
    with torch.no_grad():
        fp32 = reference(digits.held_out_x)
    quantized = load_solution().quantize(baseline.model(), batches)
    with torch.no_grad():
        int8 = quantized(digits.held_out_x)
    figures = {
        "fp32_bytes": size(reference),
        "int8_bytes": size(quantized),
        "fp32_accuracy": (fp32.argmax(1) == digits.held_out_y).double().mean().item(),
        "int8_accuracy": (int8.argmax(1) == digits.held_out_y).double().mean().item(),
        "agreement": (fp32.argmax(1) == int8.argmax(1)).double().mean().item(),
        "threads": THREADS,
        "engine": torch.backends.quantized.engine,
    }
    # The grader's own latency check runs one batch of 64: the same here.
    x64 = digits.held_out_x[:64]
    figures["speedup_b64"] = latency(reference, x64, 11) / latency(quantized, x64, 11)
    if "--latency" in sys.argv:
        for batch in (1, 8):
            x = digits.held_out_x[:batch]
            fp, q = latency(reference, x), latency(quantized, x)
            figures[f"fp32_ms_b{batch}"] = fp * 1000
            figures[f"int8_ms_b{batch}"] = q * 1000
    figures["wall_s"] = time.perf_counter() - STARTED
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
