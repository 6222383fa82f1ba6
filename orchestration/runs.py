"""Materialise a window of days through Dagster's own jobs, as a backfill would:
one ingestion run per day, the dbt models once, one dbt run for the whole range."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Callable

from dagster import DagsterInstance, Definitions
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG


def days_between(first: date, last: date) -> list[str]:
    return [(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]


def run_window(defs: Definitions, instance: DagsterInstance, first: date, last: date,
               progress: Callable[[str], None] = lambda _msg: None) -> None:
    days = days_between(first, last)
    ingest = defs.resolve_job_def("ingest_job")
    for i, key in enumerate(days, 1):
        ingest.execute_in_process(instance=instance, partition_key=key, tags={"kol/trigger": "window"})
        progress(f"landed {key} ({i}/{len(days)})")
    defs.resolve_job_def("dbt_models_job").execute_in_process(instance=instance)
    progress("built seeds, staging and intermediate models")
    defs.resolve_job_def("daily_marts_job").execute_in_process(
        instance=instance,
        tags={ASSET_PARTITION_RANGE_START_TAG: days[0], ASSET_PARTITION_RANGE_END_TAG: days[-1]},
    )
    progress(f"built the daily marts for {days[0]} .. {days[-1]} in one dbt run")
