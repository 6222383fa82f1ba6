"""End to end through Dagster: the nightly job for one day of `large`, all nine platforms, beside the
same steps run directly, with a breakdown per stage.

    make bench-dagster                         # or: .venv/bin/python -m bench.dagster_e2e

Both sides start from the same state: a lake of the 30 days before the day (``bench/history.py``)
and a warehouse that holds them (built here by one ``dbt build``, then copied for each run), an
empty inbox, and the demo export API of the `large` preset in a process of its own (warmed up by an
untimed pull). Then, alternately, ``--repeat`` times each:

- **Dagster**: a process that loads the code location (``orchestration.definitions``) and executes
  ``nightly_job`` for the day on a persistent instance (its own DAGSTER_HOME), as ``make demo``
  does: the nine ``ingest_<platform>`` steps, the inbox, the ``landed_day`` gate, the two dbt steps
  (dagster-dbt runs dbt as a subprocess) and the publishing of the analysts' copy. Stages are the
  steps' durations from the instance's step stats.
- **Direct**: a process that runs the same functions without Dagster: ``pull_platform_day`` for
  each platform, ``process_inbox``, the dbt CLI twice with the same selections and vars, then
  ``warehouse_copy.publish`` and the HTML report.

Dagster's overhead is the difference of the two processes' wall times (imports and loading the
definitions included). Target: at most 30 s. Peak memory: each process's own ``VmHWM`` and the
largest of its children (dbt) from ``getrusage(RUSAGE_CHILDREN)``.
Results: ``bench/results/dagster.json`` and the "## End to end through Dagster" section of
``docs/benchmarks.md``.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import common, history  # noqa: E402

PLATFORMS = history.PLATFORMS
OVERHEAD_TARGET_S = 30.0


def _children_peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def worker_direct(spec: dict) -> dict:
    """The nightly steps without Dagster, timed one by one."""
    began = time.perf_counter()
    from ingestion.inbox import process_inbox
    from ingestion.pull import pull_platform_day
    from orchestration import warehouse_copy
    from orchestration.dbt_selection import INCREMENTAL, REBUILT_WHOLE, RUN_EXCLUDES
    from orchestration.dbt_vars import window_vars

    imports = time.perf_counter() - began
    day = date.fromisoformat(spec["day"])
    stages: dict[str, float] = {"imports": round(imports, 2)}
    for platform in PLATFORMS:
        t = time.perf_counter()
        pull_platform_day(platform, day, lake=Path(os.environ["KOL_LAKE_DIR"]))
        stages[f"pull {platform}"] = round(time.perf_counter() - t, 2)
    t = time.perf_counter()
    process_inbox()
    stages["inbox"] = round(time.perf_counter() - t, 2)
    dbt = str(Path(sys.executable).parent / "dbt")
    scratch = Path(tempfile.mkdtemp(prefix="direct-dbt-", dir=os.environ["KOL_DATA_DIR"]))
    next_day = day + timedelta(days=1)
    for name, select, extra, revisit in (("dbt models", REBUILT_WHOLE, ["--indirect-selection", "buildable"], 0),
                                         ("dbt daily marts", INCREMENTAL, [], 1)):
        t = time.perf_counter()
        vars_ = window_vars(day, next_day, revisit_days=revisit)
        proc = subprocess.run([dbt, "build", "--select", select, *extra, *RUN_EXCLUDES, "--vars", json.dumps(vars_),
                               "--target-path", str(scratch / name.replace(" ", "_")), "--log-path", str(scratch)],
                              cwd=ROOT / "dbt_project", capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"{name} failed:\n{proc.stdout[-3000:]}")
        stages[name] = round(time.perf_counter() - t, 2)
    t = time.perf_counter()
    from ingestion import settings
    # orchestration.runs.MARTS, without importing Dagster with it: every model of models/marts
    marts = tuple(sorted(p.stem for p in (ROOT / "dbt_project" / "models" / "marts").rglob("*.sql")))
    warehouse_copy.publish(settings.warehouse_path(), marts, note={"by": "bench"})
    from kolctl.report import write_latest_report
    write_latest_report()
    stages["publish"] = round(time.perf_counter() - t, 2)
    return {"elapsed_s": round(time.perf_counter() - began, 2), "stages": stages,
            "peak_mib": round(common.peak_rss_mib(), 1), "children_peak_mib": round(_children_peak_mib(), 1)}


def worker_dagster(spec: dict) -> dict:
    """nightly_job for the day, executed by a process that loads the code location."""
    began = time.perf_counter()
    from dagster import DagsterInstance

    from orchestration.definitions import defs

    loaded = time.perf_counter() - began
    instance = DagsterInstance.get()
    run_config = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    t = time.perf_counter()
    result = defs.resolve_job_def("nightly_job").execute_in_process(
        instance=instance, partition_key=spec["day"], run_config=run_config, raise_on_error=True)
    executed = time.perf_counter() - t
    stages = {"imports and definitions": round(loaded, 2)}
    for step in instance.get_run_step_stats(result.run_id):
        if step.start_time and step.end_time:
            stages[step.step_key] = round(step.end_time - step.start_time, 2)
    return {"elapsed_s": round(time.perf_counter() - began, 2), "execute_s": round(executed, 2), "stages": stages,
            "peak_mib": round(common.peak_rss_mib(), 1), "children_peak_mib": round(_children_peak_mib(), 1)}


WORKERS = {"direct": worker_direct, "dagster": worker_dagster}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _copy_lake(built: Path, first: date, last: date, out: Path) -> None:
    """A real copy (not symlinks): the runs write the new day's slices next to these."""
    src = built / "lake" / "raw"
    for slice_dir in src.glob("*/*/dt=*"):
        if first <= date.fromisoformat(slice_dir.name[3:]) <= last:
            shutil.copytree(slice_dir, out / "raw" / slice_dir.relative_to(src))
    history.copy_contract_record(built / "lake", out)


def run(args: argparse.Namespace, log=print) -> dict:
    day = date.fromisoformat(args.day)
    began = time.perf_counter()
    results = {"benchmark": "dagster", "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
               "machine": common.machine(), "versions": common.versions("dagster", "dagster-dbt", "dbt-core", "duckdb"),
               "config": {"preset": "large", "day": day.isoformat(), "history_days": args.history_days,
                          "repeat": args.repeat, "target_overhead_s": OVERHEAD_TARGET_S}}
    built = history.build(day, args.cache_days, args.real_days, Path(args.cache), log=log)
    scratch = Path(tempfile.mkdtemp(prefix="kol-bench-e2e-", dir=args.scratch or None))
    port = _free_port()
    env = os.environ | {"KOL_DEMO_PRESET": "large", "KOL_DEMO_PORT": str(port), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    for p in PLATFORMS:  # the demo server's default tokens; a real one would be set by the operator
        env.pop(f"KOL_{p.upper()}_ACCESS_TOKEN", None)
        env.pop(f"KOL_{p.upper()}_BASE_URL", None)
    try:
        template = scratch / "template"
        _copy_lake(built, day - timedelta(days=args.history_days), day - timedelta(days=1), template / "lake")
        log(f"dagster: building the warehouse of the {args.history_days} days before {day}")
        vars_ = {"min_date": (day - timedelta(days=args.history_days)).isoformat(),
                 "max_date": (day - timedelta(days=1)).isoformat()}
        proc = subprocess.run([str(Path(sys.executable).parent / "dbt"), "build", "--exclude-resource-type", "test",
                               "unit_test", "--vars", json.dumps(vars_),
                               "--target-path", str(scratch / "t"), "--log-path", str(scratch / "t"), "--quiet"],
                              cwd=ROOT / "dbt_project", capture_output=True, text=True,
                              env=env | {"KOL_LAKE_DIR": str(template / "lake"),
                                         "KOL_WAREHOUSE_PATH": str(template / "warehouse.duckdb")})
        if proc.returncode != 0:
            raise RuntimeError(f"building the warehouse failed:\n{proc.stdout[-3000:]}")
        os.environ.update({"KOL_DEMO_PRESET": "large", "KOL_DEMO_PORT": str(port)})
        from orchestration.demo_api import demo_api_process

        runs: dict[str, list[dict]] = {"direct": [], "dagster": []}
        with demo_api_process():
            warm = scratch / "warm"
            shutil.copytree(template, warm, symlinks=True)
            common.in_subprocess("bench.dagster_e2e", "direct", {"day": day.isoformat()},
                                 env=env | _data_env(warm), timeout=1800)  # untimed: warms the server's world
            shutil.rmtree(warm)
            for i in range(args.repeat):
                for side in ("dagster", "direct") if i % 2 else ("direct", "dagster"):
                    data = scratch / f"{side}-{i}"
                    shutil.copytree(template, data, symlinks=True)
                    extra = _data_env(data)
                    if side == "dagster":
                        home = data / "dagster_home"
                        home.mkdir()
                        shutil.copy(ROOT / "orchestration" / "dagster.yaml", home / "dagster.yaml")
                        extra["DAGSTER_HOME"] = str(home)
                    out = common.in_subprocess("bench.dagster_e2e", side, {"day": day.isoformat()},
                                               env=env | extra, timeout=1800)
                    runs[side].append(out)
                    log(f"dagster: {side} run {i + 1}: {out['process_s']:.1f} s")
                    shutil.rmtree(data, ignore_errors=True)
        results["runs"] = runs
        d = common.median(r["process_s"] for r in runs["direct"])
        g = common.median(r["process_s"] for r in runs["dagster"])
        results["direct_s"], results["dagster_s"] = d, g
        results["overhead_s"] = round(g - d, 2)
        results["peak_mib"] = max(max(r["peak_mib"], r["children_peak_mib"]) for side in runs.values() for r in side)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    results["machine"]["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    results["seconds"] = round(time.perf_counter() - began, 1)
    return results


def _data_env(data: Path) -> dict:
    return {"KOL_DATA_DIR": str(data), "KOL_LAKE_DIR": str(data / "lake"),
            "KOL_WAREHOUSE_PATH": str(data / "warehouse.duckdb"), "KOL_INBOX_DIR": str(data / "inbox"),
            "KOL_PUBLISHED_DIR": str(data / "published")}


def _stage_table(runs: list[dict]) -> dict[str, float]:
    keys = list(runs[0]["stages"])
    return {k: common.median(r["stages"].get(k) for r in runs) for k in keys}


def render(r: dict) -> str:
    m, c = r["machine"], r["config"]
    ok = r["overhead_s"] <= OVERHEAD_TARGET_S
    lines = [
        f"`make bench-dagster` (`bench/dagster_e2e.py`): the nightly job for {c['day']} of the `large` preset, all nine "
        f"platforms, on a warehouse holding the {c['history_days']} days before it; median of {c['repeat']} runs per "
        f"side, the sides alternated. Machine: {m['cores']} cores, {m['memory_gib']} GiB; dagster "
        f"{r['versions'].get('dagster')}, dagster-dbt {r['versions'].get('dagster-dbt')}, dbt-core "
        f"{r['versions'].get('dbt-core')}; commit {r['versions'].get('kol-warehouse commit')}; {r['generated_at']}, "
        f"{r['seconds']:.0f} s; load average {', '.join(f'{x:.1f}' for x in m['load_average_before'])} before, "
        f"{', '.join(f'{x:.1f}' for x in m.get('load_average_after', []))} after.",
        "",
        "| | process s (median) | runs s | peak MiB (process / dbt) |",
        "|---|---:|---|---:|",
    ]
    for side, label in (("direct", "the same steps, directly"), ("dagster", "`nightly_job` through Dagster")):
        runs = r["runs"][side]
        each = ", ".join(f"{x['process_s']:.1f}" for x in runs)
        lines.append(f"| {label} | {common.fmt(r[side + '_s'])} | {each} | "
                     f"{max(x['peak_mib'] for x in runs):,.0f} / {max(x['children_peak_mib'] for x in runs):,.0f} |")
    lines += ["", f"Dagster's overhead: **{r['overhead_s']:.1f} s** (target at most {OVERHEAD_TARGET_S:.0f} s: "
                  f"{'met' if ok else '**not met**'}).", "", "Stages (median s):", "",
              "| direct stage | s | Dagster step | s |", "|---|---:|---|---:|"]
    direct, dag = _stage_table(r["runs"]["direct"]), _stage_table(r["runs"]["dagster"])
    dk, gk = list(direct), list(dag)
    for i in range(max(len(dk), len(gk))):
        a = f"{dk[i]} | {common.fmt(direct[dk[i]], 2)}" if i < len(dk) else " | "
        b = f"{gk[i]} | {common.fmt(dag[gk[i]], 2)}" if i < len(gk) else " | "
        lines.append(f"| {a} | {b} |")
    lines += ["", f"Peak resident memory of every process: {r['peak_mib']:,.0f} MiB (limit {common.MEMORY_LIMIT_MIB:,}: "
                  f"{'met' if r['peak_mib'] < common.MEMORY_LIMIT_MIB else '**not met**'})."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--worker"]:
        print(json.dumps(WORKERS[argv[1]](json.loads(argv[2]))))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--day", default="2026-11-25")
    parser.add_argument("--history-days", type=int, default=30)
    parser.add_argument("--real-days", type=int, default=7)
    parser.add_argument("--cache-days", type=int, default=366, help="days of the cached history to take them from")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--cache", default=str(history.DEFAULT_CACHE))
    parser.add_argument("--scratch", default="")
    parser.add_argument("--results", default=str(common.RESULTS_DIR / "dagster.json"))
    parser.add_argument("--no-docs", action="store_true")
    args = parser.parse_args(argv)
    results = run(args, log=lambda msg: print(msg, flush=True))
    Path(args.results).parent.mkdir(parents=True, exist_ok=True)
    Path(args.results).write_text(json.dumps(results, indent=2) + "\n")
    if not args.no_docs:
        common.write_section("End to end through Dagster", render(results))
    print(render(results))


if __name__ == "__main__":
    main()
