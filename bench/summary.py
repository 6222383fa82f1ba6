"""The targets of issue 9 against the latest results of each benchmark (bench/results/*.json), as the
"## Targets" section at the top of docs/benchmarks.md. Run last by ``make bench``.

    .venv/bin/python -m bench.summary
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import common  # noqa: E402


def _load(name: str) -> dict | None:
    path = common.RESULTS_DIR / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def rows() -> list[tuple[str, str, str, str, str]]:
    """(benchmark, figure, target, measured, met) for each target with a result."""
    out = []
    ing = _load("ingestion")
    if ing:
        land = ing.get("normalise_and_land", {}).get("all") or {}
        if land:
            out.append(("ingestion", "normalise and land, records/s over DuckDB's JSON to Parquet", "≥ 0.33",
                        f"{land['ratio']:.2f}", "yes" if land["ratio"] >= 1 / 3 else "no"))
        for p, f in (ing.get("pull_vs_dlt") or {}).items():
            out.append(("ingestion", f"pull end to end over dlt's REST API source ({p})", "≥ 5",
                        f"{f['ratio']:.2f}", "yes" if f["meets_target"] else "no"))
    wh = _load("warehouse")
    if wh:
        hs = list(wh["nightly"])
        out.append(("warehouse", f"nightly dbt with {hs[-1]} days of history over {hs[0]} days", "≤ 1.5",
                    f"{wh['nightly_ratio']:.2f} ({wh['nightly'][hs[-1]]['elapsed_s']:.1f} s / "
                    f"{wh['nightly'][hs[0]]['elapsed_s']:.1f} s)", "yes" if wh["nightly_ratio"] <= 1.5 else "no"))
        out.append(("warehouse", f"full rebuild ({wh['rebuild']['days']} days) over the hand-written DuckDB reference",
                    "≤ 3",
                    f"{wh['rebuild_ratio']:.2f} ({wh['rebuild']['elapsed_s']:.1f} s / {wh['reference']['elapsed_s']:.1f} s)",
                    "yes" if wh["rebuild_ratio"] <= 3 else "no"))
        if "backfill" in wh:
            b = wh["backfill"]
            out.append(("warehouse", f"backfill of {b['days']} days: one run against one run a day", "(reported)",
                        f"{b['single_run_process_s']:.0f} s against {b['per_day_runs_process_s']:.0f} s", "–"))
    dg = _load("dagster")
    if dg:
        out.append(("dagster", "Dagster's overhead on the nightly job of one `large` day", "≤ 30 s",
                    f"{dg['overhead_s']:.1f} s ({dg['dagster_s']:.0f} s against {dg['direct_s']:.0f} s)",
                    "yes" if dg["overhead_s"] <= 30 else "no"))
    vi = _load("viral")
    if vi and vi.get("total_s") is not None:
        rows = (vi.get("config") or {}).get("rows", 0)
        out.append(("viral", f"nightly run of a day with {rows:,} comments from one platform", "< 180 s",
                    f"{vi['total_s']:.0f} s", "yes" if vi["total_s"] < 180 else "no"))
    peaks = [(n, r.get("peak_mib")) for n, r in (("warehouse", wh), ("dagster", dg), ("viral", vi)) if r]
    if ing:
        peaks.append(("ingestion", max((m.get("peak_rss_mib") or 0) for m in ing.get("memory", {}).get("rows", [{}])) or None))
    for name, peak in peaks:
        if peak:
            out.append((name, "peak resident memory of any stage", "< 4,096 MiB", f"{peak:,.0f} MiB",
                        "yes" if peak < common.MEMORY_LIMIT_MIB else "no"))
    return out


def render() -> str:
    lines = ["Each figure is the latest `make bench` result in `bench/results/`; the sections below give how it was "
             "measured, the machine and the run's load.", "",
             "| benchmark | figure | target | measured | met |", "|---|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} | {e} |" for a, b, c, d, e in rows()]
    return "\n".join(lines)


def main() -> None:
    text = common.DOCS.read_text(encoding="utf-8") if common.DOCS.exists() else "# Benchmarks\n"
    if "\n## Targets\n" not in text:  # first: right after the title and its paragraph
        head, sep, rest = text.partition("\n## ")
        common.DOCS.write_text(head.rstrip("\n") + "\n\n## Targets\n\n(none yet)\n" + (sep + rest if sep else ""),
                               encoding="utf-8")
    common.write_section("Targets", render())
    print(render())


if __name__ == "__main__":
    main()
