"""`make demo`: start the demo export API and materialise the last N days through Dagster.

Runs are recorded in $DAGSTER_HOME, so `make dev` shows them in the UI afterwards.
"""
from __future__ import annotations

import argparse
import time
from datetime import datetime, timedelta, timezone

import duckdb
from dagster import DagsterInstance

from ingestion import settings
from orchestration.demo_api import demo_api_process
from orchestration.runs import run_window

EXAMPLE_QUERY = """\
select c.platform, k.handle, c.tier, c.credibility_score, c.engagement_points, c.reciprocity_points,
       c.growth_authenticity_points, c.audience_authenticity_points
from fct_kol_credibility_daily c
join dim_kol k using (account_key)
where c.date_day = (select max(date_day) from fct_kol_credibility_daily)
order by c.credibility_score desc
limit 5"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=14, help="how many finished days to materialise")
    args = parser.parse_args()

    last = datetime.now(timezone.utc).date() - timedelta(days=1)
    first = last - timedelta(days=args.days - 1)
    started = time.monotonic()
    with demo_api_process():
        from orchestration.definitions import defs

        instance = DagsterInstance.get()
        print(f"materialising {first} .. {last} through Dagster (DAGSTER_HOME={instance.root_directory})", flush=True)
        run_window(defs, instance, first, last, progress=lambda msg: print(f"  {msg}", flush=True))

    warehouse = settings.warehouse_path()
    with duckdb.connect(str(warehouse), read_only=True) as con:
        counts = {t: con.execute(f"select count(*) from {t}").fetchone()[0]
                  for t in ("fct_followers_daily", "fct_account_interactions_daily", "fct_kol_credibility_daily")}
        result = con.execute(EXAMPLE_QUERY)
        columns = [d[0] for d in result.description]
        rows = result.fetchall()

    print(f"\ndone in {time.monotonic() - started:.0f} s")
    print(f"warehouse: {warehouse}")
    print(f"lake:      {settings.lake_dir()}")
    print("rows:      " + ", ".join(f"{t} {n}" for t, n in counts.items()))
    print("Dagster UI: make dev  (then open http://127.0.0.1:3000)")
    print(f"\nexample query (duckdb {warehouse} -readonly):\n{EXAMPLE_QUERY}\n")
    widths = [max(len(str(c)), *(len(_fmt(r[i])) for r in rows)) for i, c in enumerate(columns)]
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths)))
    for r in rows:
        print("  ".join(_fmt(v).ljust(w) for v, w in zip(r, widths)))


def _fmt(value: object) -> str:
    return f"{value:.1f}" if isinstance(value, float) else str(value)


if __name__ == "__main__":
    main()
