"""The kol-warehouse code location: small modules, assembled here."""
from __future__ import annotations

from dagster import Definitions

from orchestration.assets.dbt import kol_dbt_daily_marts, kol_dbt_models
from orchestration.assets.ingestion import ingestion_assets
from orchestration.jobs import jobs, schedules
from orchestration.resources import build_resources

defs = Definitions(
    assets=[*ingestion_assets, kol_dbt_models, kol_dbt_daily_marts],
    jobs=jobs,
    schedules=schedules,
    resources=build_resources(),
)
