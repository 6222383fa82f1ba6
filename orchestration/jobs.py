"""Jobs and the nightly schedule."""
import os

from datetime import datetime, timedelta, timezone

from dagster import (
    AssetSelection, DefaultScheduleStatus, RunRequest, ScheduleEvaluationContext, define_asset_job, schedule,
)

from orchestration.assets.dbt import kol_dbt_daily_marts, kol_dbt_models
from orchestration.assets.ingestion import LANDED_DAY, ingestion_assets

raw_selection = AssetSelection.assets(*ingestion_assets)
# The gate goes with dbt: a transform of a range first checks that the range is landed.
dbt_selection = AssetSelection.assets(LANDED_DAY, kol_dbt_models, kol_dbt_daily_marts)

ingest_job = define_asset_job("ingest_job", selection=raw_selection,
                              description="Pull and land every platform for one day.")
transform_job = define_asset_job("transform_job", selection=dbt_selection,
                                 description="dbt for a day or a range of days: models, then the daily marts.")
nightly_job = define_asset_job("nightly_job", selection=raw_selection | dbt_selection,
                               description="Yesterday, end to end: land every platform, then dbt.")


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


jobs = [ingest_job, transform_job, nightly_job]
schedules = [nightly_schedule]
