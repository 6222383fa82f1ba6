"""Warehouse benchmarks: the nightly dbt cost as history grows, the full rebuild beside a hand-written
DuckDB reference, and a 30-day backfill as one dbt run against one run per day.

    make bench-warehouse                       # or: .venv/bin/python -m bench.warehouse
    .venv/bin/python -m bench.warehouse --histories 30,90,365 --repeat 3

The lake is a year of the `large` preset (``bench/history.py``: real days from the demo export API,
earlier days copies of them moved back in time; cached in ``bench/.cache``). Every dbt invocation
runs in a process of its own through ``dbtRunner``, exactly the commands the Dagster assets run
(``orchestration/assets/dbt.py``): the nightly run of day D is two invocations,

- ``dbt build --select <seeds, views, tables> --indirect-selection buildable --vars {D..D}``, then
- ``dbt build --select config.materialized:incremental --vars {D-1..D}`` (the revisited day before).

Figures (each process's peak resident set beside each):

1. **full rebuild**: the seeds and every model (no tests) over ``--rebuild-days`` (30; 365 for the whole year) of history,
   as a backfill runs them (``dbt build --full-refresh`` of the first month, then the daily marts
   a month at a time), beside ``bench/reference.py``'s one-script DuckDB aggregate of the same raw
   Parquet (median of runs before and after it). Target: at most 3 times the reference.
2. **nightly cost against history**: the nightly run of day D (median of ``--repeat``) on
   warehouses that already hold 30, 90 and 365 days before D: the rebuilt one, cut or extended
   (its rows repeated back in time, as the lake's days are) to each history, each with a lake of
   those days. Target: the 365-day figure at most 1.5 times the 30-day one.
3. **backfill**: the last 30 days rebuilt as one window (the two invocations once, as Dagster's
   single-run backfill policy does) against one nightly run per day (a sample of them, times 30).

Nightly runs leave out dbt's unit tests, as the assets do (``RUN_EXCLUDES``): CI runs them.
Results: ``bench/results/warehouse.json`` and the "## Warehouse" section of ``docs/benchmarks.md``.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import common, history  # noqa: E402

DBT_DIR = ROOT / "dbt_project"
FLAT_TARGET = 1.5  # 365-day nightly over 30-day nightly
REBUILD_TARGET = 3.0  # full rebuild over the hand-written reference


# ---------------------------------------------------------------------------------------------
# Workers: one process per measurement, one JSON line out.
# ---------------------------------------------------------------------------------------------

def worker_dbt(spec: dict) -> dict:
    """One dbt invocation in this process (``dbtRunner``): elapsed, peak memory, node timings."""
    os.environ.update(spec.get("env", {}))
    os.chdir(DBT_DIR)
    from dbt.cli.main import dbtRunner

    target = spec["target_path"]
    args = [*spec["args"], "--target-path", target, "--log-path", spec["log_path"], "--quiet"]
    began = time.perf_counter()
    result = dbtRunner().invoke(args)
    elapsed = time.perf_counter() - began
    if not (Path(target) / "run_results.json").exists():  # dbt stopped before running anything
        return {"elapsed_s": round(elapsed, 3), "peak_mib": round(common.peak_rss_mib(), 1), "success": False,
                "by_type": {}, "nodes": 0, "node_time_s": 0, "failed": [repr(result.exception)], "slowest": []}
    run_results = json.loads((Path(target) / "run_results.json").read_text())
    nodes = [(r["unique_id"], r.get("execution_time") or 0.0, r["status"]) for r in run_results["results"]]
    failed = [n for n, _, s in nodes if s in ("error", "fail", "skipped", "runtime error")]
    slowest = sorted(nodes, key=lambda n: -n[1])[:8]
    by_type: dict[str, list] = {}
    for unique_id, seconds, _ in nodes:
        kind = by_type.setdefault(unique_id.split(".")[0], [0, 0.0])
        kind[0] += 1
        kind[1] = round(kind[1] + seconds, 2)
    return {"elapsed_s": round(elapsed, 3), "peak_mib": round(common.peak_rss_mib(), 1), "success": bool(result.success),
            "by_type": by_type, "nodes": len(nodes), "node_time_s": round(sum(t for _, t, _ in nodes), 2), "failed": failed[:10],
            # dbt's own time before its first node: reading the project, parsing it, the manifest
            "before_nodes_s": round(max(elapsed - (run_results.get("elapsed_time") or 0.0), 0.0), 2),
            "slowest": [[n.split(".")[-1], round(t, 2)] for n, t, _ in slowest]}


def worker_sql(spec: dict) -> dict:
    """The hand-written reference: one DuckDB script into a fresh database file."""
    import duckdb

    from bench.reference import reference_sql

    began = time.perf_counter()
    con = duckdb.connect(spec["database"])
    con.execute("set threads to 2")
    con.execute(reference_sql(spec["lake"], spec["first"], spec["last"]))
    rows = con.execute("select count(*) from reference_account_day").fetchone()[0]
    con.close()
    return {"elapsed_s": round(time.perf_counter() - began, 3), "peak_mib": round(common.peak_rss_mib(), 1),
            "rows": rows}


WORKERS = {"dbt": worker_dbt, "sql": worker_sql}


DAY_COLUMNS = ("date_day", "partition_date", "snapshot_date")


def _day_tables(con) -> list[tuple[str, str]]:
    """(table, its day column) of every table of the warehouse that has one."""
    out = []
    for (table,) in con.execute("select table_name from information_schema.tables "
                                "where table_schema = 'main' and table_type = 'BASE TABLE'").fetchall():
        columns = {c for (c,) in con.execute(
            "select column_name from information_schema.columns where table_schema = 'main' and table_name = ?",
            [table]).fetchall()}
        column = next((c for c in DAY_COLUMNS if c in columns), None)
        if column:
            out.append((table, column))
    return out


def extend_back(warehouse: Path, first: date, span: int, until: date) -> int:
    """Repeat the rows of the ``span`` days from ``first`` back in time, ``span`` days per copy,
    down to ``until``: the tables' sizes of a warehouse that has run since then. Returns the
    rows added."""
    import duckdb

    added = 0
    with duckdb.connect(str(warehouse)) as con:
        for table, column in _day_tables(con):
            k = 1
            while first - timedelta(days=k * span) > until - timedelta(days=span):
                added += con.execute(
                    f'insert into "{table}" select * replace ("{column}" - {k * span} as "{column}") '
                    f'from "{table}" where "{column}" >= ? and "{column}" < ? and "{column}" - {k * span} >= ?',
                    [first, first + timedelta(days=span), until]).fetchone()[0]
                k += 1
        con.execute("checkpoint")
    return added


def keep_days_from(warehouse: Path, first: date) -> int:
    """Delete every row dated before ``first`` from the warehouse's tables (by their day column):
    the warehouse a deployment started on ``first`` would hold. Returns the rows deleted."""
    import duckdb

    deleted = 0
    with duckdb.connect(str(warehouse)) as con:
        tables = con.execute("select table_name from information_schema.tables "
                             "where table_schema = 'main' and table_type = 'BASE TABLE'").fetchall()
        for (table,) in tables:
            columns = {c for (c,) in con.execute(
                "select column_name from information_schema.columns where table_schema = 'main' and table_name = ?",
                [table]).fetchall()}
            column = next((c for c in DAY_COLUMNS if c in columns), None)
            if column:
                deleted += con.execute(f'delete from "{table}" where "{column}" < ?', [first]).fetchone()[0]
        con.execute("checkpoint")
    return deleted


# ---------------------------------------------------------------------------------------------
# The benchmark
# ---------------------------------------------------------------------------------------------

def window(first: date, last: date) -> str:
    return json.dumps({"min_date": first.isoformat(), "max_date": last.isoformat()})


class Dbt:
    """dbt invocations against one lake and one warehouse, each in a fresh process."""

    def __init__(self, lake: Path, warehouse: Path, scratch: Path):
        self.lake, self.warehouse, self.scratch = lake, warehouse, scratch
        self.calls = 0

    def __call__(self, *args: str) -> dict:
        self.calls += 1
        run = self.scratch / f"dbt-{self.calls:04d}"
        env = {"KOL_LAKE_DIR": str(self.lake), "KOL_WAREHOUSE_PATH": str(self.warehouse),
               "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
        out = common.in_subprocess("bench.warehouse", "dbt", {"args": list(args), "env": env,
                                                             "target_path": str(run / "target"),
                                                             "log_path": str(run / "logs")})
        shutil.rmtree(run, ignore_errors=True)
        if not out["success"]:
            raise RuntimeError(f"dbt {' '.join(args[:3])} failed: {out['failed']}")
        return out

    def nightly(self, day: date) -> dict:
        """The two invocations of the nightly run of ``day``, as the Dagster assets run them."""
        from orchestration.dbt_selection import INCREMENTAL, REBUILT_WHOLE, RUN_EXCLUDES
        models = self("build", "--select", REBUILT_WHOLE, "--indirect-selection", "buildable", *RUN_EXCLUDES,
                      "--vars", window(day, day))
        marts = self("build", "--select", INCREMENTAL, *RUN_EXCLUDES, "--vars", window(day - timedelta(days=1), day))
        return {"elapsed_s": round(models["elapsed_s"] + marts["elapsed_s"], 3),
                "process_s": round(models["process_s"] + marts["process_s"], 3),
                "peak_mib": max(models["peak_mib"], marts["peak_mib"]),
                "models": models, "marts": marts}


def _median_of(runs: list[dict]) -> dict:
    return {"elapsed_s": common.median(r["elapsed_s"] for r in runs),
            "process_s": common.median(r["process_s"] for r in runs),
            "peak_mib": max(r["peak_mib"] for r in runs), "runs": [r["elapsed_s"] for r in runs]}


def run(args: argparse.Namespace, log=print) -> dict:
    day = date.fromisoformat(args.day)
    histories = sorted(int(h) for h in args.histories.split(","))
    began = time.perf_counter()
    results = {"benchmark": "warehouse", "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
               "machine": common.machine(), "versions": common.versions("duckdb", "dbt-core", "dbt-duckdb", "pyarrow"),
               "config": {"preset": "large", "day": day.isoformat(), "histories": histories, "repeat": args.repeat,
                          "real_days": args.real_days, "targets": {"nightly_365_over_30": FLAT_TARGET,
                                                                   "rebuild_over_reference": REBUILD_TARGET}}}
    from orchestration.dbt_selection import RUN_EXCLUDES
    longest = max(histories)
    built = history.build(day, max(args.cache_days, longest + 1), args.real_days, Path(args.cache), log=log)
    results["history"] = json.loads((built / "BUILT.json").read_text())
    scratch = Path(tempfile.mkdtemp(prefix="kol-bench-wh-", dir=args.scratch or None))
    try:
        # 1. The full rebuild of --rebuild-days of history, beside the reference (median of
        #    several runs, before and after it, on the same lake).
        span = args.rebuild_days
        lake = history.subset_lake(built, day - timedelta(days=span), day, scratch / f"lake-rebuild")
        first, history_last = day - timedelta(days=span), day - timedelta(days=1)
        reference = []

        def measure_reference(i: int) -> None:
            database = scratch / f"reference-{i}.duckdb"
            reference.append(common.in_subprocess("bench.warehouse", "sql", {
                "database": str(database), "lake": str(lake), "first": first.isoformat(),
                "last": history_last.isoformat()}))
            database.unlink(missing_ok=True)
            log(f"warehouse: reference {reference[-1]['elapsed_s']:.1f} s")

        for i in range(args.reference_repeat):
            measure_reference(i)
        full = scratch / "warehouse-rebuilt.duckdb"
        log(f"warehouse: full rebuild of {span} days")
        from orchestration.dbt_selection import INCREMENTAL
        from orchestration.dbt_vars import window_chunks

        # As a backfill of the year runs (orchestration/assets/dbt.py): the first month builds
        # everything from scratch, the daily marts then go on a month at a time.
        dbt = Dbt(lake, full, scratch)
        chunks = window_chunks({"min_date": first.isoformat(), "max_date": history_last.isoformat()},
                               args.chunk_days)
        parts = []
        for i, chunk in enumerate(chunks):
            args_ = (["build", "--full-refresh"] if i == 0 else ["build", "--select", INCREMENTAL])
            parts.append(dbt(*args_, "--exclude-resource-type", "test", "unit_test", "--vars", json.dumps(chunk)))
            log(f"warehouse: rebuild {chunk['min_date']} .. {chunk['max_date']}: {parts[-1]['elapsed_s']:.1f} s, "
                f"{parts[-1]['peak_mib']:,.0f} MiB")
        slowest: dict[str, float] = {}
        for part in parts:
            for name, t in part["slowest"]:
                slowest[name] = round(slowest.get(name, 0) + t, 2)
        rebuild = {"elapsed_s": round(sum(p["elapsed_s"] for p in parts), 2),
                   "process_s": round(sum(p["process_s"] for p in parts), 2),
                   "peak_mib": max(p["peak_mib"] for p in parts), "nodes": parts[0]["nodes"],
                   "invocations": len(parts), "chunk_days": args.chunk_days,
                   "before_nodes_s": round(sum(p.get("before_nodes_s", 0.0) for p in parts), 2),
                   "node_time_s": round(sum(p.get("node_time_s", 0.0) for p in parts), 2),
                   "slowest": sorted(slowest.items(), key=lambda kv: -kv[1])[:8]}
        log(f"warehouse: full rebuild {rebuild['elapsed_s']:.1f} s")
        for i in range(args.reference_repeat):
            measure_reference(args.reference_repeat + i)
        results["rebuild"] = {**rebuild,
                              "days": span, "warehouse_mib": round(full.stat().st_size / 2**20, 1)}
        results["reference"] = {**_median_of(reference), "rows": reference[-1]["rows"]}
        results["rebuild_ratio"] = round(results["rebuild"]["elapsed_s"] / results["reference"]["elapsed_s"], 3)

        # 2. The nightly run of the day on warehouses holding each history: the rebuilt one cut
        #    to the history (older days deleted) or extended back to it (its rows repeated in
        #    time, as bench/history.py does with the lake: a year rebuilt for real costs an hour).
        nightly = {}
        for h in histories:
            warehouse = scratch / f"warehouse-{h}.duckdb"
            shutil.copy(full, warehouse)
            if h < span:
                deleted = keep_days_from(warehouse, day - timedelta(days=h))
                log(f"warehouse: {h} days of history ({deleted:,} older rows deleted)")
            elif h > span:
                added = extend_back(warehouse, first, span, day - timedelta(days=h))
                log(f"warehouse: {h} days of history ({added:,} rows repeated back in time)")
            lake_h = history.subset_lake(built, day - timedelta(days=h), day, scratch / f"lake-{h}")
            dbt = Dbt(lake_h, warehouse, scratch)
            runs = []
            for i in range(args.repeat):
                runs.append(dbt.nightly(day))
                log(f"warehouse: nightly with {h} days of history, run {i + 1}: {runs[-1]['elapsed_s']:.1f} s")
            nightly[h] = {"warehouse_mib": round(warehouse.stat().st_size / 2**20, 1), **_median_of(runs),
                          "models_s": common.median(r["models"]["elapsed_s"] for r in runs),
                          "marts_s": common.median(r["marts"]["elapsed_s"] for r in runs),
                          "slowest_marts": runs[-1]["marts"]["slowest"], "slowest_models": runs[-1]["models"]["slowest"]}
        results["nightly"] = {str(h): v for h, v in nightly.items()}
        lo, hi = nightly[histories[0]], nightly[histories[-1]]
        results["nightly_ratio"] = round(hi["elapsed_s"] / lo["elapsed_s"], 3)

        # Backfill of the last 30 days: one window against one nightly run per day.
        from orchestration.dbt_selection import INCREMENTAL, REBUILT_WHOLE, RUN_EXCLUDES
        h = histories[0]
        lake = scratch / f"lake-{h}"
        if args.backfill_days:
            n = args.backfill_days
            start = day - timedelta(days=n - 1)
            one = Dbt(lake, scratch / f"warehouse-{h}.duckdb", scratch)
            single = one("build", "--select", REBUILT_WHOLE, "--indirect-selection", "buildable", *RUN_EXCLUDES,
                         "--vars", window(start, day))
            single_marts = one("build", "--select", INCREMENTAL, *RUN_EXCLUDES,
                               "--vars", window(start - timedelta(days=1), day))
            # A run per day costs what a nightly run costs, whatever the day (the figure above shows
            # it flat): a sample of days is run, and the n runs are n times its median.
            sample = min(n, args.backfill_sample)
            per_day = [one.nightly(day - timedelta(days=i)) for i in range(sample)]
            results["backfill"] = {
                "days": n, "history_days": h, "per_day_sample": sample,
                "single_run_s": round(single["elapsed_s"] + single_marts["elapsed_s"], 2),
                "single_run_process_s": round(single["process_s"] + single_marts["process_s"], 2),
                "single_run_peak_mib": max(single["peak_mib"], single_marts["peak_mib"]),
                "per_day_median_s": common.median(r["elapsed_s"] for r in per_day),
                "per_day_median_process_s": common.median(r["process_s"] for r in per_day),
                "per_day_runs_s": round(n * common.median(r["elapsed_s"] for r in per_day), 2),
                "per_day_runs_process_s": round(n * common.median(r["process_s"] for r in per_day), 2),
                "per_day_peak_mib": max(r["peak_mib"] for r in per_day)}
            log(f"warehouse: backfill {n} days: single {results['backfill']['single_run_s']:.0f} s, "
                f"per day {results['backfill']['per_day_runs_s']:.0f} s")
        peaks = [v["peak_mib"] for v in nightly.values()] + [results["rebuild"]["peak_mib"], results["reference"]["peak_mib"]]
        results["peak_mib"] = max(peaks)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    results["machine"]["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    results["seconds"] = round(time.perf_counter() - began, 1)
    return results


def render(r: dict) -> str:
    m, c = r["machine"], r["config"]
    hist = r["history"]
    lines = [
        f"`make bench-warehouse` (`bench/warehouse.py`): the `large` preset, nightly day {c['day']}; median of "
        f"{c['repeat']} runs per nightly figure. Machine: {m['cores']} cores, {m['memory_gib']} GiB, {m['cpu']}; "
        f"DuckDB {r['versions'].get('duckdb')}, dbt-core {r['versions'].get('dbt-core')}, dbt-duckdb "
        f"{r['versions'].get('dbt-duckdb')}; commit {r['versions'].get('kol-warehouse commit')} "
        f"({r['versions'].get('kol-warehouse tree')} tree); {r['generated_at']}, {r['seconds']:.0f} s; load average "
        f"{', '.join(f'{x:.1f}' for x in m['load_average_before'])} before, "
        f"{', '.join(f'{x:.1f}' for x in m.get('load_average_after', []))} after.",
        "",
        f"The lake: {hist['days']} days ({hist['first']} .. {hist['last']}); the last {hist['real_days']} pulled from the "
        f"demo export API of the `large` preset (48 KOLs a platform, nine platforms), the days before them copies of "
        f"those days moved back in time with new post and comment ids (`bench/history.py`; built in "
        f"{hist['total_s']:.0f} s, cached). Each dbt figure is one process running the same commands as the Dagster "
        "assets; *elapsed* is dbt's own time (`dbtRunner.invoke`), *process* adds the interpreter and dbt's imports.",
        "",
        "### Nightly cost against history",
        "",
        f"Each warehouse starts from the full rebuild below ({r['rebuild']['days']} days, built for real): "
        + ("used as it is where the history is that long, " if str(r['rebuild']['days']) in r["nightly"] else "")
        + "cut to a shorter history by deleting the older days from every table"
        + (", or extended to a longer one by repeating its rows back in time, day column moved, as the lake's "
           "history is" if any(int(h) > r['rebuild']['days'] for h in r["nightly"]) else "")
        + "; the lake is the history's days, real size.",
        "",
        "| history days | warehouse MiB | nightly s | models s | marts s | nightly process s | runs s | peak MiB |",
        "|---:|---:|---:|---:|---:|---:|---|---:|",
    ]
    for h, v in r["nightly"].items():
        lines.append(f"| {h} | {common.fmt(v['warehouse_mib'])} | "
                     f"{common.fmt(v['elapsed_s'])} | {common.fmt(v['models_s'])} | {common.fmt(v['marts_s'])} | "
                     f"{common.fmt(v['process_s'])} | {', '.join(f'{x:.1f}' for x in v['runs'])} | "
                     f"{common.fmt(v['peak_mib'], 0)} |")
    hs = list(r["nightly"])
    ok = r["nightly_ratio"] <= FLAT_TARGET
    lines += ["", f"Nightly with {hs[-1]} days of history over {hs[0]} days: **{r['nightly_ratio']:.2f}** "
                  f"(target at most {FLAT_TARGET}: {'met' if ok else '**not met**'}).", ""]
    last = r["nightly"][hs[-1]]
    lines += ["Slowest nodes of the nightly run with the longest history (s): marts "
              + ", ".join(f"`{n}` {t}" for n, t in last["slowest_marts"][:5]) + "; models "
              + ", ".join(f"`{n}` {t}" for n, t in last["slowest_models"][:5]) + ".", ""]
    rb, ref = r["rebuild"], r["reference"]
    ok = r["rebuild_ratio"] <= REBUILD_TARGET
    lines += ["### Full rebuild beside a hand-written DuckDB reference", "",
              f"The seeds and all models (no tests) over {rb['days']} days, as a backfill of the year runs them: "
              f"`dbt build --full-refresh` of the first {rb['chunk_days']} days ({rb['nodes']} nodes), then the daily "
              f"marts {rb['chunk_days']} days at a time ({rb['invocations']} invocations in all; "
              f"{rb['warehouse_mib']:,.0f} MiB of DuckDB), against "
              f"`bench/reference.py` (one DuckDB script from the raw Parquet: followers, engagement, comments, creator "
              f"replies, distinct commenters and reply rate per account and day; {ref['rows']:,} rows).", "",
              "| | s (median) | runs s | peak MiB |", "|---|---:|---|---:|",
              f"| dbt full rebuild | {common.fmt(rb['elapsed_s'])} | {rb['elapsed_s']:.1f} | "
              f"{common.fmt(rb['peak_mib'], 0)} |",
              f"| reference script | {common.fmt(ref['elapsed_s'])} | {', '.join(f'{x:.1f}' for x in ref['runs'])} | "
              f"{common.fmt(ref['peak_mib'], 0)} |", "",
              f"Ratio **{r['rebuild_ratio']:.2f}** (target at most {REBUILD_TARGET}: {'met' if ok else '**not met**'}). "
              "Slowest models: " + ", ".join(f"`{n}` {t}" for n, t in rb["slowest"][:6]) + ".", ""]
    if "before_nodes_s" in rb:
        lines += [f"Where the rebuild's time goes: dbt before its first node (reading and parsing the project, "
                  f"{rb['invocations']} invocations) {rb['before_nodes_s']:.1f} s; the nodes "
                  f"{rb['node_time_s']:.1f} s of node time (2 threads); the longest node "
                  f"{rb['slowest'][0][1]} s.", ""]
    if "backfill" in r:
        b = r["backfill"]
        lines += ["### Backfill", "",
                  f"The last {b['days']} days rebuilt on the {b['history_days']}-day warehouse: one window (the two "
                  "invocations once, as the assets' single-run backfill policy does) against one nightly run per day.",
                  "", "| | dbt s | process s | peak MiB |", "|---|---:|---:|---:|",
                  f"| one run for {b['days']} days | {common.fmt(b['single_run_s'])} | "
                  f"{common.fmt(b['single_run_process_s'])} | {common.fmt(b['single_run_peak_mib'], 0)} |",
                  f"| {b['days']} runs, one a day ({b['days']} x the median of {b['per_day_sample']} runs) | "
                  f"{common.fmt(b['per_day_runs_s'])} | "
                  f"{common.fmt(b['per_day_runs_process_s'])} | {common.fmt(b['per_day_peak_mib'], 0)} |", "",
                  f"One run is {b['per_day_runs_process_s'] / b['single_run_process_s']:.1f} times faster than one a day "
                  "(process times).", ""]
    lines += [f"Peak resident memory of every process above: {r['peak_mib']:,.0f} MiB "
              f"(limit {common.MEMORY_LIMIT_MIB:,}: {'met' if r['peak_mib'] < common.MEMORY_LIMIT_MIB else '**not met**'})."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--worker"]:
        print(json.dumps(WORKERS[argv[1]](json.loads(argv[2]))))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--day", default="2026-11-25", help="the nightly day (the history ends the day before)")
    parser.add_argument("--histories", default="30,90,365", help="days of history before the nightly day")
    # (the first is also the backfill's warehouse)
    parser.add_argument("--repeat", type=int, default=3, help="nightly runs per history; the median is reported")
    parser.add_argument("--rebuild-days", type=int, default=30,
                        help="days of history rebuilt for real (longer histories repeat them back in time); "
                             "365 rebuilds the year for real (750 s here, against 6.2 s for the reference)")
    parser.add_argument("--chunk-days", type=int, default=31,
                        help="days per dbt invocation of the full rebuild (KOL_DBT_MAX_WINDOW_DAYS of the assets)")
    parser.add_argument("--reference-repeat", type=int, default=2,
                        help="reference runs before and after the (single) full rebuild; the median is reported")
    parser.add_argument("--backfill-days", type=int, default=30, help="days of the backfill figure (0: skip)")
    parser.add_argument("--backfill-sample", type=int, default=3,
                        help="one-day runs actually run for the per-day figure (n times their median)")
    parser.add_argument("--real-days", type=int, default=7, help="days of the history pulled for real")
    parser.add_argument("--cache", default=str(history.DEFAULT_CACHE))
    parser.add_argument("--cache-days", type=int, default=366, help="days of the cached history (shared by the benchmarks)")
    parser.add_argument("--scratch", default="", help="where the warehouses go (default: the system's temp)")
    parser.add_argument("--results", default=str(common.RESULTS_DIR / "warehouse.json"))
    parser.add_argument("--no-docs", action="store_true", help="do not rewrite docs/benchmarks.md")
    args = parser.parse_args(argv)
    results = run(args, log=lambda msg: print(msg, flush=True))
    Path(args.results).parent.mkdir(parents=True, exist_ok=True)
    Path(args.results).write_text(json.dumps(results, indent=2) + "\n")
    if not args.no_docs:
        common.write_section("Warehouse", render(results))
    print(render(results))


if __name__ == "__main__":
    main()
