"""The kol-warehouse code location: small modules, assembled here."""
from __future__ import annotations

from dagster import Definitions, in_process_executor

from orchestration.assets.dbt import kol_dbt_daily_marts, kol_dbt_models
from orchestration.assets.inbox import inbox_assets
from orchestration.assets.ingestion import ingestion_assets, landed_day
from orchestration.jobs import jobs, schedules
from orchestration.resources import build_resources
from orchestration.sensors import sensors

defs = Definitions(
    assets=[*ingestion_assets, landed_day, *inbox_assets, kol_dbt_models, kol_dbt_daily_marts],
    jobs=jobs,
    schedules=schedules,
    sensors=sensors,
    resources=build_resources(),
    # Steps run inside their run's process: a step in a subprocess of its own pays for
    # importing Dagster and loading these definitions again (about 8 s on two cores, more
    # than a platform-day's pull). Runs still go side by side (max_concurrent_runs).
    executor=in_process_executor,
)
