"""Built day by day or all at once, the warehouse is the same.

The incremental marts rebuild only their window of days [min_date, max_date], reading the
lookback their trailing windows need; a day's row must depend on nothing else. So a warehouse
built like the nightly runs (the first days in one run, then one run per day) must equal one
full refresh, row for row, in every model materialised as a table or incrementally. The
models are read from dbt's manifest, so a mart added later is compared too.

The lake is landed before either build, so this checks the windows' arithmetic (lookback,
delete+insert of the window, nothing computed outside it), not data that arrives late.
dbt runs through its Python API (``dbtRunner``) over one parsed manifest, in a process of
its own: the CLI would parse the project again on every call, because changed ``--vars``
defeat partial parsing.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from ingestion.demo.server import DemoExportServer
from ingestion.demo.world import World
from ingestion.pull import pull_platform_day
from ingestion.settings import PlatformSettings
from tests.conftest import TOKENS

DBT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"
LAST = date(2026, 11, 24)
DAYS = 10
FIRST = LAST - timedelta(days=DAYS - 1)
FIRST_RUN_DAYS = 3  # built together, as a first backfill; every later day alone, as nightly runs
PLATFORMS = ("weibo", "instagram", "tiktok")  # East and West; TikTok names no comment author
# Floats are summed in another order by another plan: equal to this many significant digits,
# after residues below 1e-12 (a difference of two equal sums) are taken for zero.
SIGNIFICANT_DIGITS = 9
FLOAT_TYPES = {"DOUBLE", "FLOAT", "REAL"}
SHOWN_ROWS = 5  # differing rows printed per model and side
WAREHOUSE = "warehouse.duckdb"


@pytest.fixture(scope="module")
def demo_lake(tmp_path_factory) -> Path:
    """DAYS days of PLATFORMS from the demo export API, tiny world, all landed before any build."""
    lake = tmp_path_factory.mktemp("incremental") / "lake"
    started = time.monotonic()
    world = World(seed=7, preset="tiny")
    with DemoExportServer(world=world, tokens=TOKENS) as server:
        for i in range(DAYS):
            for platform in PLATFORMS:
                settings = PlatformSettings(platform, server.base_url(platform), TOKENS[platform])
                pull_platform_day(platform, FIRST + timedelta(days=i), lake=lake, settings=settings,
                                  accounts=[k.account_id for k in world.kols(platform)])
    print(f"\nlanded {DAYS} days of {', '.join(PLATFORMS)} in {time.monotonic() - started:.1f}s")
    return lake


class Dbt:
    """dbt over one manifest, parsed once; each call names its warehouse and its vars. The
    warehouses share their file name: dbt-duckdb names the database after it, and the parsed
    manifest keeps that name in every relation."""

    def __init__(self, lake: Path, work: Path):
        from dbt.cli.main import dbtRunner

        self.lake, self.work = lake, work
        self.manifest = self._invoke(dbtRunner(), ["parse"], {}, work / "parse" / WAREHOUSE)
        self.runner = dbtRunner(manifest=self.manifest)

    def __call__(self, args: list[str], window: dict[str, str], warehouse: Path):
        return self._invoke(self.runner, args, window, warehouse)

    def _invoke(self, runner, args: list[str], window: dict[str, str], warehouse: Path):
        dbt_vars = {"kol_platforms": list(PLATFORMS), **window}
        os.environ.update(KOL_LAKE_DIR=str(self.lake), KOL_WAREHOUSE_PATH=str(warehouse),
                          DBT_SEND_ANONYMOUS_USAGE_STATS="false")
        result = runner.invoke([*args, "--vars", json.dumps(dbt_vars), "--project-dir", str(DBT_DIR),
                                "--profiles-dir", str(DBT_DIR), "--target-path", str(self.work / "target"),
                                "--log-path", str(self.work / "logs"), "--quiet", "--no-write-json"])
        if not result.success:
            failed = [f"{r.node.name}: {r.message}" for r in getattr(result.result, "results", None) or []
                      if str(r.status) in ("error", "fail", "runtime error")]
            raise RuntimeError(f"dbt {' '.join(args)} {dbt_vars} failed: {result.exception or ''} {failed}")
        return result.result


def build_both_ways(lake: Path, work: Path) -> dict:
    """Build ``work/full`` (one full refresh) and ``work/daily`` (the first days in one run, then
    one run per day) from ``lake``; return the tables to compare and the seconds each step took.
    Run in a process of its own (dbt-duckdb keeps its database open, dbt sets global state)."""
    seconds = {}
    clock = time.monotonic()

    def lap(step: str) -> None:
        nonlocal clock
        seconds[step] = round(time.monotonic() - clock, 1)
        clock = time.monotonic()

    for folder in ("parse", "full", "daily"):
        (work / folder).mkdir(parents=True, exist_ok=True)
    dbt = Dbt(lake, work)
    lap("parse")

    full, daily = work / "full" / WAREHOUSE, work / "daily" / WAREHOUSE
    dbt(["seed"], {}, full)
    dbt(["run", "--full-refresh"], {}, full)
    lap("full refresh")

    first_run_last = FIRST + timedelta(days=FIRST_RUN_DAYS - 1)
    dbt(["seed"], {}, daily)
    dbt(["run"], {"min_date": FIRST.isoformat(), "max_date": first_run_last.isoformat()}, daily)
    lap(f"first run, {FIRST_RUN_DAYS} days")
    day = first_run_last + timedelta(days=1)
    while day <= LAST:
        # The orchestrator's second invocation, for one night: the views and tables, rebuilt
        # whole each night, are already whole.
        dbt(["run", "--select", "config.materialized:incremental"],
            {"min_date": day.isoformat(), "max_date": day.isoformat()}, daily)
        day += timedelta(days=1)
    lap(f"{(LAST - first_run_last).days} one-day runs")

    tables = sorted(node.alias for node in dbt.manifest.nodes.values()
                    if node.resource_type == "model" and node.config.materialized in ("table", "incremental"))
    return {"full": str(full), "daily": str(daily), "tables": tables, "seconds": seconds}


@pytest.fixture(scope="module")
def warehouses(demo_lake, tmp_path_factory):
    """(full refresh, built day by day, the tables to compare), built by a process of its own."""
    work = tmp_path_factory.mktemp("dbt-incremental")
    code = ("import json, sys; from pathlib import Path; from tests.test_dbt_incremental import build_both_ways; "
            "print(json.dumps(build_both_ways(Path(sys.argv[1]), Path(sys.argv[2]))))")
    proc = subprocess.run([sys.executable, "-c", code, str(demo_lake), str(work)], cwd=DBT_DIR.parent,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    built = json.loads(proc.stdout.strip().splitlines()[-1])
    print(f"dbt seconds: {built['seconds']}")
    return Path(built["full"]), Path(built["daily"]), built["tables"]


def _select(con: duckdb.DuckDBPyConnection, database: str, table: str) -> str:
    columns = con.execute("select column_name, data_type from information_schema.columns "
                          "where table_catalog = ? and table_name = ? order by ordinal_position",
                          [database, table]).fetchall()
    assert columns, f"{table} is not in the {database} warehouse"
    exprs = []
    for name, data_type in columns:
        quoted = '"' + name.replace('"', '""') + '"'
        if data_type in FLOAT_TYPES:
            # + 0.0 turns -0.0 into 0.0
            exprs.append(f"printf('%.{SIGNIFICANT_DIGITS}g', round({quoted}, 12) + 0.0) as {quoted}")
        else:
            exprs.append(quoted)
    return f"select {', '.join(exprs)} from {database}.main.\"{table}\""


def _difference(con: duckdb.DuckDBPyConnection, table: str) -> str | None:
    """None when the table holds the same rows in both warehouses; else what differs."""
    full, daily = _select(con, "full_refresh", table), _select(con, "day_by_day", table)
    full_rows = con.execute(f"{full} order by all").fetchall()
    daily_rows = con.execute(f"{daily} order by all").fetchall()
    if full_rows == daily_rows:
        return None
    only_full = con.execute(f"{full} except all {daily} order by all limit {SHOWN_ROWS}").fetchall()
    only_daily = con.execute(f"{daily} except all {full} order by all limit {SHOWN_ROWS}").fetchall()
    columns = [d[0] for d in con.execute(f"{full} limit 0").description]
    lines = [f"{table}: {len(full_rows)} rows in the full refresh, {len(daily_rows)} built day by day; "
             f"columns {columns}"]
    lines += [f"  only in the full refresh: {row}" for row in only_full]
    lines += [f"  only day by day:          {row}" for row in only_daily]
    return "\n".join(lines)


@pytest.mark.slow
def test_building_day_by_day_equals_a_full_refresh_row_for_row(warehouses):
    full, daily, tables = warehouses
    assert "fct_followers_daily" in tables and "dim_kol" in tables, tables
    with duckdb.connect() as con:
        con.execute(f"attach '{full}' as full_refresh (read_only)")
        con.execute(f"attach '{daily}' as day_by_day (read_only)")
        differences = [d for d in (_difference(con, table) for table in tables) if d]
        rows = sum(con.execute(f"select count(*) from full_refresh.main.\"{t}\"").fetchone()[0] for t in tables)
    assert rows > 0
    assert not differences, f"{len(differences)} of {len(tables)} models differ:\n" + "\n\n".join(differences)
