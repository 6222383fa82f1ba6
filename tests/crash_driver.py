"""One nightly-style run without Dagster, as a child process that a test may SIGKILL at any moment
(tests/test_reliability_crash.py): land every platform-day of a window from the demo export API
(its URLs and tokens come by environment, KOL_<PLATFORM>_BASE_URL / _ACCESS_TOKEN), run
``dbt build`` over the lake, then publish the analysts' read-only copy.

    python -m tests.crash_driver --data DIR [--platforms weibo,instagram] [--last 2026-11-20] [--days 3]

Lake in DIR/lake, warehouse DIR/warehouse.duckdb, published copy DIR/published, dbt's target and
logs under DIR. Each phase is announced, before it starts, by a line appended to DIR/phases.log
(``phase=<name> t=<monotonic seconds>``, flushed and fsynced): landing, dbt, publish, done. The
test waits for a phase's line and then kills at a random delay, so that every phase is hit by
design. dbt runs as a child of this process and in its process group (``start_new_session`` is the
caller's, for the whole run), so killing the group kills dbt and DuckDB with it.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_PLATFORMS = ("weibo", "instagram")
DEFAULT_LAST = date(2026, 11, 20)
DEFAULT_DAYS = 3
PHASES_FILE = "phases.log"


def phase(data: Path, name: str, detail: str = "") -> None:
    with open(data / PHASES_FILE, "a", encoding="utf-8") as fh:
        fh.write(f"phase={name} t={time.monotonic():.3f}{(' ' + detail) if detail else ''}\n")
        fh.flush()
        os.fsync(fh.fileno())


def days_of(last: date, days: int) -> list[date]:
    return [last - timedelta(days=i) for i in range(days)]


def dbt_command(data: Path, platforms: list[str]) -> list[str]:
    dbt = str(Path(sys.executable).parent / "dbt")
    # Unit tests are left out: they check the models' logic on fixed inputs (tests/test_dbt_build.py
    # runs them), read neither the lake nor the warehouse, and would double the time of each run.
    # The models, seeds and data tests all run, as in the nightly build.
    return [dbt, "build", "--vars", json.dumps({"kol_platforms": list(platforms)}), "--exclude", "test_type:unit",
            "--target-path", str(data / "target"), "--log-path", str(data / "logs")]


def built_marts(warehouse: Path) -> list[str]:
    """The marts of ``orchestration.runs.MARTS`` that this build makes: a platform's own mart
    (fct_wechat_wci_daily) is disabled when its platform is not in ``kol_platforms``."""
    import duckdb

    from orchestration.runs import MARTS

    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = {r[0] for r in con.execute("select table_name from duckdb_tables() where schema_name = 'main'").fetchall()}
    return [m for m in MARTS if m in tables]


def run(data: Path, platforms: list[str], last: date, days: int) -> None:
    from ingestion.pull import pull_platform_day
    from orchestration import warehouse_copy

    data.mkdir(parents=True, exist_ok=True)
    lake, warehouse = data / "lake", data / "warehouse.duckdb"
    phase(data, "landing")
    # Newest day first, as tests/conftest.py land_and_build does.
    for day in days_of(last, days):
        for platform in platforms:
            pull_platform_day(platform, day, lake=lake)
            phase(data, "landed", f"{platform}/{day.isoformat()}")

    phase(data, "dbt")
    env = os.environ | {"KOL_LAKE_DIR": str(lake), "KOL_WAREHOUSE_PATH": str(warehouse),
                        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    proc = subprocess.run(dbt_command(data, platforms), cwd=REPO / "dbt_project", env=env,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-6000:])
        raise SystemExit(f"dbt build failed ({proc.returncode})")

    phase(data, "publish")
    warehouse_copy.publish(warehouse, built_marts(warehouse), target=data / "published",
                           note={"driver": "crash_driver"})
    phase(data, "done")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--platforms", default=",".join(DEFAULT_PLATFORMS))
    ap.add_argument("--last", type=date.fromisoformat, default=DEFAULT_LAST)
    ap.add_argument("--days", type=int, default=DEFAULT_DAYS)
    args = ap.parse_args(argv)
    run(args.data.resolve(), [p for p in args.platforms.split(",") if p], args.last, args.days)


if __name__ == "__main__":
    main()
