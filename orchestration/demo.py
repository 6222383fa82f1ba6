"""`make demo`: start the demo export API and materialise the last N days through Dagster.

Beside the API pulls, the demo world's file exports of the same days (every platform's
dashboard export and its brand-collaboration commerce.csv, as ``make demo-exports`` writes
them) are dropped in the inbox, and the transform run lands them before dbt, so the
commerce marts and WeChat's likes are not empty.

Runs are recorded in $DAGSTER_HOME, so `make dev` shows them in the UI afterwards.
"""
from __future__ import annotations

import argparse
import contextlib
import hashlib
import sys
import time
import unicodedata
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import duckdb
from dagster import DagsterInstance

from ingestion import settings
from orchestration import engine
from orchestration.demo_api import demo_api_process
from orchestration.runs import mart_fingerprints, run_window

EXAMPLE_QUERY = """\
select c.platform, k.handle, c.tier, c.credibility_score, c.community_engagement_points, c.reciprocity_points,
       c.retail_sway_points, c.authenticity_points
from fct_kol_credibility_daily c
join dim_kol k using (account_key)
where c.date_day = (select max(date_day) from fct_kol_credibility_daily)
  and c.credibility_score is not null
order by c.credibility_score desc
limit 5"""


def drop_demo_exports(inbox: Path, first: date, last: date) -> int:
    """Write the demo world's dashboard exports and commerce.csv of ``first`` .. ``last`` into the inbox, as an
    analyst would download them; returns how many files. Each is written under a hidden name and renamed,
    as the inbox asks of a big copy, so neither the inbox nor its sensor ever reads half a file."""
    from ingestion.demo.generate import commerce_csv
    from ingestion.demo.server import MODULES
    from ingestion.demo.world import default_world

    world = default_world()  # the world the demo API serves (KOL_DEMO_PRESET, KOL_DEMO_SEED)
    inbox.mkdir(parents=True, exist_ok=True)
    count = 0
    day = first
    while day <= last:
        for platform, module in MODULES.items():
            files = dict(module.export_files(world, day))
            # Every platform's file is called commerce.csv: the name gets the platform and the day.
            files[f"commerce_{platform}_{day.isoformat()}.csv"] = commerce_csv(world, platform, day)
            for name, payload in files.items():
                tmp = inbox / f".{name}.tmp"
                tmp.write_bytes(payload)
                tmp.replace(inbox / name)
                count += 1
        day += timedelta(days=1)
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=14, help="how many finished days to materialise")
    args = parser.parse_args()
    if args.days < 1:
        parser.error("--days must be at least 1")

    last = datetime.now(timezone.utc).date() - timedelta(days=1)
    first = last - timedelta(days=args.days - 1)
    started = time.monotonic()
    with demo_api_process():
        from orchestration.definitions import defs

        instance = DagsterInstance.get()
        log_path = settings.data_dir() / "demo.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        print(f"materialising {first} .. {last} through Dagster (DAGSTER_HOME={instance.root_directory})")
        print(f"dbt and Dagster output goes to {log_path}", flush=True)
        dropped = drop_demo_exports(settings.inbox_dir(), first, last)
        print(f"dropped {dropped} dashboard exports and commerce files in the inbox {settings.inbox_dir()}; "
              "the transform run lands them", flush=True)
        console = sys.stdout
        with open(log_path, "w", encoding="utf-8") as log, contextlib.redirect_stdout(log):
            try:
                run_window(defs, instance, first, last, log_level="WARNING",
                           progress=lambda msg: print(f"  {msg}", file=console, flush=True))
            except Exception:
                log.flush()
                tail = log_path.read_text(encoding="utf-8").splitlines()[-25:]
                print("\n".join(["the demo failed; the end of its log:", *tail]), file=console)
                raise

    if not engine.is_duckdb():  # the summary below reads the DuckDB file
        print(f"\ndone in {time.monotonic() - started:.0f} s")
        print(f"marts:     Parquet tables under {engine.spark_warehouse_dir(settings.data_dir())} "
              f"(KOL_DBT_TARGET={engine.warehouse_engine()})")
        print(f"lake:      {settings.lake_dir()}")
        return
    warehouse = settings.warehouse_path()
    fingerprints = mart_fingerprints(str(warehouse))
    with duckdb.connect(str(warehouse), read_only=True) as con:
        result = con.execute(EXAMPLE_QUERY)
        columns = [d[0] for d in result.description]
        rows = result.fetchall()

    print(f"\ndone in {time.monotonic() - started:.0f} s")
    print(f"warehouse: {warehouse}")
    print(f"lake:      {settings.lake_dir()}")
    print("marts:     " + ", ".join(f"{t} {n} rows" for t, (n, _) in fingerprints.items()))
    digest = hashlib.md5("".join(d for _, d in fingerprints.values()).encode()).hexdigest()[:12]
    print(f"marts fingerprint: {digest}  (the same after a re-run over the same days)")
    print("Dagster UI: make dev  (then open http://127.0.0.1:3000)")
    print(f"\nexample query on the warehouse (the top KOLs of the latest day):\n{EXAMPLE_QUERY}\n")
    widths = [max(_width(c), *(_width(_fmt(r[i])) for r in rows)) for i, c in enumerate(columns)]
    print("  ".join(_pad(c, w) for c, w in zip(columns, widths)))
    for r in rows:
        print("  ".join(_pad(_fmt(v), w) for v, w in zip(r, widths)))


def _fmt(value: object) -> str:
    if value is None:
        return "-"  # a component without data: left out of the score, not zero
    return f"{value:.2f}" if isinstance(value, float) else str(value)


def _width(text: str) -> int:
    # CJK handles take two terminal columns each.
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


if __name__ == "__main__":
    main()
