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


def _grains() -> dict[str, tuple[str, ...]]:
    """Each mart's grain as its YAML declares it: the model's unique_combination_of_columns
    test, or a column's unique test."""
    import yaml

    out = {}
    for path in (Path(__file__).resolve().parents[1] / "dbt_project" / "models" / "marts").rglob("*.yml"):
        for model in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("models", []):
            for test in model.get("data_tests") or []:
                if isinstance(test, dict) and "unique_combination_of_columns" in test:
                    spec = test["unique_combination_of_columns"]
                    out[model["name"]] = tuple((spec.get("arguments") or spec)["combination_of_columns"])
            for column in model.get("columns") or []:
                if model["name"] not in out and any(t == "unique" or (isinstance(t, dict) and "unique" in t)
                                                    for t in column.get("data_tests") or []):
                    out[model["name"]] = (column["name"],)
    return out


# Every mart's grain: a mart that repeats a key of it has doubled rows.
MART_KEYS = _grains()


def duplicated_keys(con, marts=None) -> dict[str, int]:
    """Per mart (all of them by default), how many rows repeat a key of its grain (empty when
    none do)."""
    out = {}
    for mart in sorted(MART_KEYS if marts is None else marts):
        key = MART_KEYS[mart]
        cols = ", ".join(key)
        n, distinct = con.execute(f"select count(*), count(distinct ({cols})) from {mart}").fetchone()
        if n != distinct:
            out[mart] = n - distinct
    return out


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
