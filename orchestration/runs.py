"""Materialise a window of days through Dagster's own jobs, as a backfill would:
one ingestion run per platform-day set, then one dbt run for the whole range."""
from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Callable

from dagster import DagsterInstance, Definitions
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG


def days_between(first: date, last: date) -> list[str]:
    return [(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]


def run_window(defs: Definitions, instance: DagsterInstance, first: date, last: date,
               progress: Callable[[str], None] = lambda _msg: None, log_level: str = "DEBUG") -> None:
    days = days_between(first, last)
    # The event log in DAGSTER_HOME keeps every event whatever the console shows.
    run_config = {"loggers": {"console": {"config": {"log_level": log_level}}}}
    ingest = defs.resolve_job_def("ingest_job")
    for i, key in enumerate(days, 1):
        ingest.execute_in_process(instance=instance, partition_key=key, run_config=run_config)
        progress(f"landed {key} ({i}/{len(days)})")
    defs.resolve_job_def("transform_job").execute_in_process(
        instance=instance,
        run_config=run_config,
        tags={ASSET_PARTITION_RANGE_START_TAG: days[0], ASSET_PARTITION_RANGE_END_TAG: days[-1]},
    )
    progress(f"built the dbt models and the daily marts for {days[0]} .. {days[-1]} in one run")


# Every model of dbt_project/models/marts (a new mart is fingerprinted without a change here).
MARTS = tuple(sorted(path.stem for path in (Path(__file__).resolve().parents[1] / "dbt_project" / "models" / "marts")
                     .rglob("*.sql")))


def mart_fingerprints(warehouse: str) -> dict[str, tuple[int, str]]:
    """Row count and an order-independent digest of every value of every mart:
    equal fingerprints mean the same rows with the same values."""
    import duckdb

    out = {}
    with duckdb.connect(warehouse, read_only=True) as con:
        for table in MARTS:
            cols = [r[0] for r in con.execute(f"describe {table}").fetchall()]
            row = " || '|' || ".join(f"coalesce(cast({c} as varchar), '∅')" for c in cols)
            count, digest = con.execute(
                f"select count(*), coalesce(md5(string_agg(md5({row}), ',' order by md5({row}))), '') from {table}"
            ).fetchone()
            out[table] = (count, digest)
    return out
