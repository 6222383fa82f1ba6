"""Concurrency pools: which runs may not overlap.

The instance enforces pools per run (``orchestration/dagster.yaml``): the queue launches a
run only when every pool its ops name has a free slot.
"""
from __future__ import annotations

from dagster import DagsterInstance

# DuckDB allows one writing process: one dbt run at a time.
WAREHOUSE_POOL = "duckdb_warehouse"


# One inbox run at a time: processing moves files out of the inbox folder.
INBOX_POOL = "kol_inbox"


def ingest_pool(platform: str) -> str:
    """Two landings of one platform must not overlap: each reads its neighbours' slices to drop
    rows they already hold (the lookback window)."""
    return f"ingest_{platform}"


def declare_pool_limits(instance: DagsterInstance, platforms: list[str], limit: int = 1) -> None:
    """Write every pool's limit into the instance before the first run is queued. Left to
    ``default_limit``, a pool's limit is created by the queue's first look at a run that needs
    it, after that look has counted the pool as unlimited, so the first batch of a backfill
    can launch two runs of one pool at once."""
    for pool in [WAREHOUSE_POOL, INBOX_POOL, *(ingest_pool(p) for p in platforms)]:
        instance.event_log_storage.set_concurrency_slots(pool, limit)
