"""Raw assets: one per (platform, entity), landed together by one pull per platform-day."""

import os
from datetime import date

from dagster import (
    AssetExecutionContext, AssetKey, AssetSpec, BackfillPolicy, MaterializeResult, RetryRequested, multi_asset,
)

from ingestion.http import PlatformError
from ingestion.pull import CONNECTORS, pull_platform_day
from ingestion.schemas import ENTITIES
from orchestration.partitions import daily_partitions
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
        partitions_def=daily_partitions,
        # One run per platform-day: a rate limit or outage on one day fails only that day.
        backfill_policy=BackfillPolicy.multi_run(max_partitions_per_run=1),
        op_tags={"platform": platform},
        # One landing per platform at a time: two runs of the same slice must not interleave.
        pool=f"ingest_{platform}",
    )
    def _ingest(context: AssetExecutionContext, lake: LakeResource):
        day = date.fromisoformat(context.partition_key)
        try:
            reports = pull_platform_day(platform, day, lake=lake.path)
        except PlatformError as exc:
            if exc.kind in RETRYABLE:
                # Throttles and outages pass: try this platform-day again a little later.
                raise RetryRequested(max_retries=RETRY_MAX, seconds_to_wait=RETRY_WAIT_S) from exc
            raise
        for r in reports:
            yield MaterializeResult(
                asset_key=raw_asset_key(platform, r.entity),
                metadata={
                    "rows_landed": r.landed,
                    "records_fetched": r.fetched,
                    "records_quarantined": r.quarantined,
                    "duplicates_dropped": r.duplicates,
                    "path": r.path,
                    "schema_version": r.schema_version,
                },
            )

    return _ingest


ingestion_assets = [build_platform_ingestion(p) for p in CONNECTORS]
