"""Raw assets: one per (platform, entity), landed together by one pull per platform-day,
and ``landed_day``, the gate between the lake and dbt."""

import os
from datetime import date, timedelta

from dagster import (
    AssetExecutionContext, AssetKey, AssetSpec, BackfillPolicy, Failure, MaterializeResult, MetadataValue,
    RetryRequested, asset, multi_asset,
)

from ingestion.landing import landed_days_before, unlanded_slices
from orchestration.checks import CheckSettings, evaluate_raw_checks, raw_check_specs
from ingestion.pull import CONNECTORS, pull_days
from orchestration.runs import days_between
from ingestion.schemas import ENTITIES
from orchestration.partitions import daily_partitions
from orchestration.pools import ingest_pool
from orchestration.resources import LakeResource


RETRYABLE = ("throttle", "transient")
RETRY_MAX = int(os.environ.get("KOL_INGEST_RETRIES", "2"))
RETRY_WAIT_S = int(os.environ.get("KOL_INGEST_RETRY_WAIT_S", "60"))


def raw_asset_key(platform: str, entity: str) -> AssetKey:
    return AssetKey(["raw", platform, entity])


def build_platform_ingestion(platform: str):
    specs = [
        AssetSpec(
            raw_asset_key(platform, entity),
            group_name=f"raw_{platform}",
            description=f"{platform} {entity} as landed Parquet, one slice per UTC day",
            kinds={"parquet", "python"},
            metadata={"platform": platform, "entity": entity},
        )
        for entity in ENTITIES
    ]

    @multi_asset(
        name=f"ingest_{platform}",
        specs=specs,
        # Evaluated in this step from the manifests it has just written (orchestration/checks.py).
        check_specs=[c for entity in ENTITIES
                     for c in raw_check_specs(raw_asset_key(platform, entity), platform, entity)],
        # Subsettable so that the checks can run alone ("Execute checks" in the UI): they then
        # re-read the lake as it is, without pulling again. A subset of the entities still pulls
        # the whole platform-day (one pull lands all five) but records only what was selected.
        can_subset=True,
        partitions_def=daily_partitions,
        # A backfill pulls its whole range in one run (each platform a step of it), so dbt, which
        # waits for every platform, can follow once for the range; inside the step each day is
        # pulled and landed on its own, so a bad day does not stop the others.
        backfill_policy=BackfillPolicy.single_run(),
        op_tags={"platform": platform},
        # One landing per platform at a time: two runs of the same slice must not interleave.
        pool=ingest_pool(platform),
    )
    def _ingest(context: AssetExecutionContext, lake: LakeResource):
        selected_checks = context.selected_asset_check_keys
        if not context.selected_asset_keys:
            # The checks alone. Launched from an asset's checks tab the run has no partition:
            # it re-checks the platform's latest landed day.
            if context.has_partition_key or context.has_partition_key_range:
                yield from _check_results(lake.path, _days(context), selected_checks)
            else:
                latest = [d for e in ENTITIES for d in landed_days_before(lake.path, platform, e, date.max, 1)]
                yield from _check_results(lake.path, [max(latest)] if latest else [], selected_checks)
            return
        days = _days(context)
        outcome = pull_days(platform, days, lake.path, log=context.log.info)
        if outcome.failures:
            kinds = {exc.kind for exc in outcome.failures.values()}
            if kinds <= set(RETRYABLE):
                # Throttles and outages pass: try again a little later (landed days are re-pulled
                # the same way, idempotently).
                raise RetryRequested(max_retries=RETRY_MAX, seconds_to_wait=RETRY_WAIT_S) from next(
                    iter(outcome.failures.values()))
            raise Failure(
                description=f"{platform}: {len(outcome.failures)} of {len(days)} day(s) failed; "
                            + "; ".join(f"{d}: {exc}" for d, exc in sorted(outcome.failures.items())),
                metadata={"days_landed": len(outcome.landed_days), "days_failed": len(outcome.failures)})
        for entity, totals in outcome.totals().items():
            if raw_asset_key(platform, entity) in context.selected_asset_keys:
                yield MaterializeResult(asset_key=raw_asset_key(platform, entity), metadata=totals)
        yield from _check_results(lake.path, days, selected_checks)

    def _days(context: AssetExecutionContext) -> list[date]:
        window = context.partition_time_window
        return [date.fromisoformat(d) for d in days_between(window.start.date(), window.end.date() - timedelta(days=1))]

    def _check_results(lake_path, days, selected_checks):
        settings = CheckSettings.from_env()
        for entity in ENTITIES:
            yield from evaluate_raw_checks(lake_path, platform, entity, days, settings, selected=selected_checks)

    return _ingest


ingestion_assets = [build_platform_ingestion(p) for p in CONNECTORS]


LANDED_DAY = AssetKey("landed_day")


@asset(
    key=LANDED_DAY,
    group_name="raw",
    deps=[spec.key for assets_def in ingestion_assets for spec in assets_def.specs],
    partitions_def=daily_partitions,
    # The dbt assets have the same policy, so a backfill runs this gate and all of dbt in one run.
    backfill_policy=BackfillPolicy.single_run(),
    kinds={"python"},
    description="Every platform's slices of the day are in the lake and their accounting balances. dbt's "
                "first models depend on it, so dbt runs once per backfill, after every platform-day has "
                "landed, instead of model by model as each platform's slices arrive.",
)
def landed_day(context: AssetExecutionContext, lake: LakeResource) -> MaterializeResult:
    window = context.partition_time_window
    days = days_between(window.start.date(), window.end.date() - timedelta(days=1))
    problems = unlanded_slices(lake.path, list(CONNECTORS), [date.fromisoformat(d) for d in days])
    if problems:
        raise Failure(description=f"{len(problems)} slice(s) of {days[0]} .. {days[-1]} are not ready for dbt",
                      metadata={"problems": MetadataValue.md("\n".join(f"- {p}" for p in problems[:50]))})
    return MaterializeResult(metadata={"days": len(days), "platforms": len(CONNECTORS),
                                       "slices": len(days) * len(CONNECTORS) * len(ENTITIES)})
