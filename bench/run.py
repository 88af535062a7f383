"""`make bench`: run every benchmark, write bench/results.json and docs/PERFORMANCE.md.

Each figure is a median after warm-up, next to a baseline measured in the same run on the
same machine. Usage: python bench/run.py [NAME ...]   (names: startup drill decks stats export serve grading llm)
"""

from __future__ import annotations

import importlib
import json
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.common import Figure  # noqa: E402

# Start-up first: later benchmarks import more modules into this process.
BENCHMARKS = ["startup", "drill", "decks", "stats", "export", "serve", "grading", "llm"]


def machine() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import textual

    info = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
        "textual": textual.__version__,
        "load average at start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }
    try:
        from importlib.metadata import version

        info["torch"] = version("torch")
    except Exception:  # pragma: no cover
        pass
    return info


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return ""
    if unit == "s" and value < 1:
        return f"{value * 1000:.0f} ms"
    if unit in ("s", "ms", "MiB"):
        return f"{value:.1f} {unit}" if value >= 10 else f"{value:.2f} {unit}"
    if unit in ("ratio",):
        return f"{value:.3f}"
    if unit == "bits/byte":  # differences of a few thousandths
        return f"{value:+.4f} {unit}"
    return f"{value:.2f} {unit}"


def write_markdown(info: dict[str, str], figures: list[Figure], path: Path) -> None:
    lines = [
        "# Performance",
        "",
        "Written by `make bench` (`bench/run.py`); the raw figures are in `bench/results.json`.",
        "Every figure is a median after warm-up, beside a baseline measured in the same run.",
        "",
        "## Machine",
        "",
        *(f"- {key}: {value}" for key, value in info.items()),
        "",
        "## Figures",
        "",
        "| group | figure | value | baseline | ratio | goal | notes |",
        "|---|---|---|---|---|---|---|",
    ]
    for f in figures:
        ratio = f"{f.ratio:.2f}x" if f.ratio is not None else ""
        baseline = (
            f"{fmt(f.baseline, f.unit)} ({f.baseline_name})" if f.baseline is not None else ""
        )
        lines.append(
            f"| {f.group} | {f.name} | {fmt(f.value, f.unit)} | {baseline} | {ratio} | {f.goal} | {f.note} |"
        )
    existing = path.read_text() if path.exists() else ""
    marker = "\n## Notes"
    notes = existing[existing.index(marker) :] if marker in existing else ""
    path.write_text("\n".join(lines) + "\n" + notes)


def main(argv: list[str]) -> int:
    names = argv or BENCHMARKS
    unknown = sorted(set(names) - set(BENCHMARKS))
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
        return 2
    info = machine()
    results_path = REPO / "bench" / "results.json"
    previous = json.loads(results_path.read_text()) if results_path.exists() else {}
    # A partial run (`python bench/run.py decks`) keeps the other benchmarks' last figures.
    rows = [row for row in previous.get("figures", []) if row["benchmark"] not in names]
    for name in names:
        started = time.perf_counter()
        print(f"== {name}", flush=True)
        for figure in importlib.import_module(f"bench.bench_{name}").run():
            ratio = f"  ({figure.ratio:.2f}x {figure.baseline_name})" if figure.ratio else ""
            print(f"   {figure.name}: {fmt(figure.value, figure.unit)}{ratio}", flush=True)
            rows.append({**figure.to_dict(), "benchmark": name})
        print(f"   [{time.perf_counter() - started:.0f} s]", flush=True)
    rows.sort(key=lambda row: BENCHMARKS.index(row["benchmark"]))
    results_path.write_text(json.dumps({"machine": info, "figures": rows}, indent=2) + "\n")
    all_figures = [
        Figure(**{k: v for k, v in row.items() if k not in ("ratio", "benchmark")}) for row in rows
    ]
    (REPO / "docs").mkdir(exist_ok=True)
    write_markdown(info, all_figures, REPO / "docs" / "PERFORMANCE.md")
    print(f"wrote {results_path.relative_to(REPO)} and docs/PERFORMANCE.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
