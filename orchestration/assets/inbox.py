"""File drops as assets: ``raw/files/<entity>``, landed by processing the inbox
(``ingestion.inbox.process_inbox``, ``docs/unified-format.md``).

One step processes every file waiting in the inbox, whatever days its rows hold, and
materialises every file entity for the run's partitions. Partitioned by day like the
rest so that a run (the inbox sensor's, a backfill, the nightly job) can go on to dbt
for the same window: Dagster only carries a date range through partitioned assets.
A materialisation of ``raw/files/<entity>`` for a day therefore means "the inbox was
processed then", and its metadata says what the files brought, per entity.
"""

import os
from pathlib import Path

from dagster import (
    AssetExecutionContext, AssetKey, AssetSpec, BackfillPolicy, MaterializeResult, MetadataValue, RetryRequested,
    multi_asset,
)

from ingestion import settings
from ingestion.inbox import FileReport, process_inbox
from ingestion.inbox_schema import ENTITIES as FILE_ENTITIES
from orchestration.partitions import daily_partitions
from orchestration.pools import INBOX_POOL
from orchestration.resources import LakeResource

# Two inbox runs at once would collide on the inbox's lock file: the second one waits in the queue.
RETRY_MAX = int(os.environ.get("KOL_INBOX_RETRIES", "3"))
RETRY_WAIT_S = int(os.environ.get("KOL_INBOX_RETRY_WAIT_S", "30"))
BUSY = "another process is processing the inbox"


def file_asset_key(entity: str) -> AssetKey:
    # The dbt sources of dbt_project/models/staging/files name these keys in meta.dagster.asset_key.
    return AssetKey(["raw", "files", entity])


def inbox_dir() -> Path:
    return settings.inbox_dir()


def summarise(reports: list[FileReport]) -> dict[str, dict]:
    """Per entity, the metadata of its materialisation: what the files of this run brought."""
    per_entity: dict[str, dict] = {e: {"files": 0, "fetched": 0, "landed": 0, "quarantined": 0, "duplicates": 0,
                                       "days": set()} for e in FILE_ENTITIES}
    for report in reports:
        if report.status not in ("landed", "duplicate"):
            continue
        for entity, counts in report.entities.items():
            totals = per_entity.setdefault(entity, {"files": 0, "fetched": 0, "landed": 0, "quarantined": 0,
                                                    "duplicates": 0, "days": set()})
            totals["files"] += 1
            for k in ("fetched", "landed", "quarantined", "duplicates"):
                totals[k] += getattr(counts, k)
        for path in report.slices:
            parts = Path(path).parts
            # <lake>/raw/files/<entity>/dt=YYYY-MM-DD/<file>.parquet
            if len(parts) >= 3 and parts[-2].startswith("dt=") and parts[-3] in per_entity:
                per_entity[parts[-3]]["days"].add(parts[-2][3:])
    return per_entity


def _metadata(totals: dict, reports: list[FileReport], inbox: Path) -> dict:
    rejected = [r for r in reports if r.status == "rejected"]
    meta = {k: totals[k] for k in ("files", "fetched", "landed", "quarantined", "duplicates")}
    meta["days"] = ", ".join(sorted(totals["days"])) or "-"
    meta["inbox"] = MetadataValue.path(str(inbox))
    meta["files_in_run"] = len(reports)
    meta["rejected_files"] = len(rejected)
    if rejected:
        # Unreadable files belong to no entity: each entity shows them, so none goes unnoticed.
        meta["rejected"] = MetadataValue.md("\n".join(f"- {r.line()}" for r in rejected[:50]))
    return meta


@multi_asset(
    name="land_inbox",
    specs=[
        AssetSpec(
            file_asset_key(entity),
            group_name="raw_files",
            description=f"{entity} from files dropped in the inbox (dashboard exports, commerce.csv, unified "
                        f"files), landed per row day at raw/files/{entity}/dt=YYYY-MM-DD/",
            kinds={"parquet", "python"},
            metadata={"source": "files", "entity": entity},
        )
        for entity in FILE_ENTITIES
    ],
    partitions_def=daily_partitions,
    # Whatever the range, the inbox is processed once: a backfill of many days is one step.
    backfill_policy=BackfillPolicy.single_run(),
    pool=INBOX_POOL,
    description="Process the inbox: validate, quarantine and land every file dropped there "
                "(python -m ingestion.inbox does the same outside Dagster).",
)
def land_inbox(context: AssetExecutionContext, lake: LakeResource):
    inbox = inbox_dir()
    try:
        reports = process_inbox(inbox, lake.path)
    except RuntimeError as exc:
        if BUSY not in str(exc):
            raise
        # `make inbox` by hand, or a run launched outside the pools: wait for it rather than fail.
        raise RetryRequested(max_retries=RETRY_MAX, seconds_to_wait=RETRY_WAIT_S) from exc
    for report in reports:
        (context.log.warning if report.status in ("rejected", "failed") else context.log.info)(report.line())
    failed = [r for r in reports if r.status == "failed"]
    if failed:
        # A failed file (a full disk, an I/O error) stays in the inbox; the others have landed and moved
        # out, so the retry processes only what is left.
        raise RetryRequested(max_retries=RETRY_MAX, seconds_to_wait=RETRY_WAIT_S) from RuntimeError(
            "; ".join(r.line() for r in failed))
    per_entity = summarise(reports)
    # Every entity is reported, with zeros when no file had it: the dbt models downstream depend
    # on each of them, and an entity left out would skip them.
    for entity in FILE_ENTITIES:
        yield MaterializeResult(asset_key=file_asset_key(entity),
                                metadata=_metadata(per_entity[entity], reports, inbox))


inbox_assets = [land_inbox]
