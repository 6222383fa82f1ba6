"""Jobs and the nightly schedule."""
import os

from datetime import datetime, timedelta, timezone

from dagster import (
    AssetSelection, DefaultScheduleStatus, RunRequest, ScheduleEvaluationContext, define_asset_job, schedule,
)

from orchestration.assets.dbt import kol_dbt_daily_marts, kol_dbt_models
from orchestration.assets.ingestion import ingestion_assets

raw_selection = AssetSelection.assets(*ingestion_assets)
daily_marts_selection = AssetSelection.assets(kol_dbt_daily_marts)

ingest_job = define_asset_job("ingest_job", selection=raw_selection,
                              description="Pull and land every platform for one day.")
dbt_models_job = define_asset_job("dbt_models_job", selection=AssetSelection.assets(kol_dbt_models),
                                  description="Seeds, staging and intermediate views, dimensions.")
daily_marts_job = define_asset_job("daily_marts_job", selection=daily_marts_selection,
                                   description="Incremental marts for a day or a range of days.")
nightly_job = define_asset_job("nightly_job", selection=raw_selection | daily_marts_selection,
                               description="Yesterday, end to end: land every platform, then the daily marts.")



def nightly_partition_key(tick: datetime) -> str:
    """The last UTC day that is complete at ``tick``, whatever time zone the tick is in."""
    if tick.tzinfo is None:
        raise ValueError("the tick must carry its time zone")
    return (tick.astimezone(timezone.utc).date() - timedelta(days=1)).isoformat()


@schedule(
    job=nightly_job,
    cron_schedule=f"0 {int(os.environ.get('KOL_NIGHTLY_HOUR', '2'))} * * *",
    # Fires once the day is over where the team works; partitions stay UTC days.
    execution_timezone=os.environ.get("KOL_SCHEDULE_TIMEZONE", "UTC"),
    default_status=DefaultScheduleStatus.RUNNING,
)
def nightly_schedule(context: ScheduleEvaluationContext):
    key = nightly_partition_key(context.scheduled_execution_time)
    return RunRequest(run_key=key, partition_key=key)


jobs = [ingest_job, dbt_models_job, daily_marts_job, nightly_job]
schedules = [nightly_schedule]
