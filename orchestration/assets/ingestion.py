"""Raw assets: one per (platform, entity), landed together by one pull per platform-day."""

from datetime import date

from dagster import AssetExecutionContext, AssetKey, AssetSpec, BackfillPolicy, MaterializeResult, multi_asset

from ingestion.pull import CONNECTORS, pull_platform_day
from ingestion.schemas import ENTITIES
from orchestration.partitions import daily_partitions
from orchestration.resources import LakeResource


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
    )
    def _ingest(context: AssetExecutionContext, lake: LakeResource):
        day = date.fromisoformat(context.partition_key)
        reports = pull_platform_day(platform, day, lake=lake.path)
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
