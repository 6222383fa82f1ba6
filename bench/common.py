"""What every benchmark shares: the machine's description, measuring a step in a subprocess of
its own (elapsed time and peak resident memory), medians, and writing a section of docs/benchmarks.md."""
from __future__ import annotations

import json
import os
import platform as pyplatform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "benchmarks.md"
RESULTS_DIR = ROOT / "bench" / "results"
MEMORY_LIMIT_MIB = 4096  # issue 9: every stage under 4 GB


def peak_rss_mib() -> float:
    """This process's peak resident set, MiB: ``VmHWM`` (its own address space's high-water mark;
    ``ru_maxrss`` would carry the parent's peak across fork and exec)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def machine() -> dict:
    mem = cpu = None
    try:
        with open("/proc/meminfo") as fh:
            mem = int(next(line for line in fh if line.startswith("MemTotal")).split()[1]) / 2**20
        with open("/proc/cpuinfo") as fh:
            cpu = next((line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")), None)
    except (OSError, StopIteration):
        pass
    return {"cores": os.cpu_count(), "memory_gib": round(mem, 1) if mem else None, "cpu": cpu,
            "load_average_before": [round(x, 2) for x in os.getloadavg()],
            "python": pyplatform.python_version(), "os": pyplatform.platform()}


def versions(*names: str) -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in names:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    try:
        out["kol-warehouse commit"] = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                                                     capture_output=True, text=True).stdout.strip() or None
        dirty = subprocess.run(["git", "status", "--porcelain", "--", ".", ":!bench/results", ":!docs/benchmarks.md"],
                               cwd=ROOT, capture_output=True, text=True).stdout
        out["kol-warehouse tree"] = "modified" if dirty.strip() else "clean"
    except OSError:
        pass
    return out


def in_subprocess(module: str, kind: str, spec: dict, env: dict | None = None, timeout: float = 3600) -> dict:
    """Run ``python -m <module> --worker <kind> <spec>``, which prints one JSON line last; adds the
    process's wall time (``process_s``: interpreter start and imports included)."""
    began = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", module, "--worker", kind, json.dumps(spec)], cwd=ROOT,
                          capture_output=True, text=True, env=env, timeout=timeout)
    wall = time.perf_counter() - began
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"{module} {kind} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    out = json.loads(lines[-1])
    out["process_s"] = round(wall, 2)
    return out


def median(values) -> float | None:
    values = [v for v in values if v is not None]
    return round(statistics.median(values), 3) if values else None


def write_section(title: str, body: str, path: Path = DOCS) -> None:
    """Replace the ``## <title>`` section of docs/benchmarks.md (append it if absent), keep the rest."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    head = f"\n## {title}\n"
    section = f"## {title}\n\n{body.strip()}\n"
    start = text.find(head)
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        end = text.find("\n## ", start + 1)
        text = text[: start + 1] + section + ("\n" + text[end + 1:] if end >= 0 else "")
    path.write_text(text.rstrip("\n") + "\n", encoding="utf-8")


def write_results(name: str, results: dict) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def fmt(x, digits: int = 1) -> str:
    if x is None:
        return "–"
    return f"{x:,.{digits}f}"
