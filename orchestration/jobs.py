"""Jobs and the nightly schedule."""
from __future__ import annotations

import os

from dagster import AssetSelection, DefaultScheduleStatus, build_schedule_from_partitioned_job, define_asset_job

from orchestration.assets.dbt import kol_dbt_daily_marts, kol_dbt_models
from orchestration.assets.ingestion import ingestion_assets
from orchestration.partitions import daily_partitions

raw_selection = AssetSelection.assets(*ingestion_assets)
daily_marts_selection = AssetSelection.assets(kol_dbt_daily_marts)

ingest_job = define_asset_job("ingest_job", selection=raw_selection, partitions_def=daily_partitions,
                              description="Pull and land every platform for one day.")
dbt_models_job = define_asset_job("dbt_models_job", selection=AssetSelection.assets(kol_dbt_models),
                                  description="Seeds, staging and intermediate views, dimensions.")
daily_marts_job = define_asset_job("daily_marts_job", selection=daily_marts_selection,
                                   partitions_def=daily_partitions,
                                   description="Incremental marts for a day or a range of days.")
nightly_job = define_asset_job("nightly_job", selection=raw_selection | daily_marts_selection,
                               partitions_def=daily_partitions,
                               description="Yesterday, end to end: land every platform, then the daily marts.")

nightly_schedule = build_schedule_from_partitioned_job(
    nightly_job,
    hour_of_day=int(os.environ.get("KOL_NIGHTLY_HOUR", "2")),
    minute_of_hour=0,
    # Fires once the day is over where the team works; partitions stay UTC days.
    execution_timezone=os.environ.get("KOL_SCHEDULE_TIMEZONE", "UTC"),
    default_status=DefaultScheduleStatus.RUNNING,
)

jobs = [ingest_job, dbt_models_job, daily_marts_job, nightly_job]
schedules = [nightly_schedule]
