"""Jobs and the nightly schedule."""
import os

from datetime import datetime, timedelta, timezone

from dagster import (
    AssetSelection, DefaultScheduleStatus, RunRequest, ScheduleDefinition, ScheduleEvaluationContext,
    define_asset_job, schedule,
)

from orchestration.assets.dbt import kol_dbt_daily_marts, kol_dbt_models
from orchestration.assets.inbox import inbox_assets
from orchestration.assets.ingestion import LANDED_DAY, ingestion_assets

raw_selection = AssetSelection.assets(*ingestion_assets)
inbox_selection = AssetSelection.assets(*inbox_assets)
dbt_models_selection = AssetSelection.assets(kol_dbt_models, kol_dbt_daily_marts)
# The gate goes with dbt: a transform of a range first checks that the range is landed. Files
# waiting in the inbox land first, so that no dbt run leaves out what was dropped.
dbt_selection = inbox_selection | AssetSelection.assets(LANDED_DAY) | dbt_models_selection

ingest_job = define_asset_job("ingest_job", selection=raw_selection,
                              description="Pull and land every platform for one day.")
transform_job = define_asset_job("transform_job", selection=dbt_selection,
                                 description="dbt for a day or a range of days: the inbox's files, the gate, "
                                             "the models, then the daily marts.")
nightly_job = define_asset_job("nightly_job", selection=raw_selection | dbt_selection,
                               description="Yesterday, end to end: land every platform and the inbox, then dbt.")
# Without the landed_day gate: dropped files often cover days the APIs never will (an agency's
# export of last quarter), and dbt builds those days from what the lake holds.
inbox_job = define_asset_job("inbox_job", selection=inbox_selection | dbt_models_selection,
                             description="Land the files dropped in the inbox, then dbt for the days they touch "
                                         "(launched by inbox_sensor).")


def nightly_partition_key(tick: datetime) -> str:
    """The last UTC day that is complete at ``tick``, whatever time zone the tick is in."""
    if tick.tzinfo is None:
        raise ValueError("the tick must carry its time zone")
    return (tick.astimezone(timezone.utc).date() - timedelta(days=1)).isoformat()


def build_nightly_schedule(timezone_name: str | None = None, hour: int | None = None) -> ScheduleDefinition:
    """The nightly schedule, firing at ``hour`` (``KOL_NIGHTLY_HOUR``, default 2) in ``timezone_name``
    (``KOL_SCHEDULE_TIMEZONE``, default UTC)."""
    tz = timezone_name or os.environ.get("KOL_SCHEDULE_TIMEZONE", "UTC")
    at = int(os.environ.get("KOL_NIGHTLY_HOUR", "2")) if hour is None else hour
    if not 0 <= at <= 23:
        raise ValueError(f"KOL_NIGHTLY_HOUR must be an hour 0..23, got {at}")

    @schedule(
        name="nightly_schedule",
        job=nightly_job,
        cron_schedule=f"0 {at} * * *",
        # Fires once the day is over where the team works; partitions stay UTC days.
        execution_timezone=tz,
        default_status=DefaultScheduleStatus.RUNNING,
        description=f"Yesterday (the last complete UTC day), every platform then dbt, at {at:02d}:00 {tz}.",
    )
    def _nightly(context: ScheduleEvaluationContext):
        key = nightly_partition_key(context.scheduled_execution_time)
        # The run key makes a daemon restart or a second tick for the same day launch nothing new;
        # retries of a failed nightly run come from the instance's run_retries (dagster.yaml).
        return RunRequest(run_key=key, partition_key=key)

    return _nightly


nightly_schedule = build_nightly_schedule()

jobs = [ingest_job, transform_job, nightly_job, inbox_job]
schedules = [nightly_schedule]
