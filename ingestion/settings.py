"""Configuration from environment variables, with safe defaults for the demo world.

| variable | default | meaning |
|---|---|---|
| KOL_DATA_DIR | <repo>/data | where the lake and the warehouse live |
| KOL_LAKE_DIR | $KOL_DATA_DIR/lake | the Parquet lake |
| KOL_WAREHOUSE_PATH | $KOL_DATA_DIR/warehouse.duckdb | the DuckDB warehouse |
| KOL_INBOX_DIR | $KOL_DATA_DIR/inbox | where users drop export files (ingestion/inbox.py) |
| KOL_DEMO_PORT | 8765 | port of the demo export API |
| KOL_<PLATFORM>_BASE_URL | the demo export API | e.g. KOL_WEIBO_BASE_URL=https://api.weibo.com |
| KOL_<PLATFORM>_ACCESS_TOKEN | a demo token | the platform credential; never logged |
| KOL_ROSTER_FILE | the demo world's accounts | CSV with columns platform,account_id |
| KOL_HTTP_TIMEOUT_S | 10 | connect and read time-out of one request |
| KOL_HTTP_RETRIES | 4 | retries of throttled or transient responses |
| KOL_HTTP_RETRY_AFTER_MAX_S | 60 | a longer Retry-After fails the slice instead of waiting |
"""
from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def data_dir() -> Path:
    return Path(os.environ.get("KOL_DATA_DIR", REPO_ROOT / "data")).resolve()


def lake_dir() -> Path:
    return Path(os.environ.get("KOL_LAKE_DIR", data_dir() / "lake")).resolve()


def warehouse_path() -> Path:
    return Path(os.environ.get("KOL_WAREHOUSE_PATH", data_dir() / "warehouse.duckdb")).resolve()


def inbox_dir() -> Path:
    """Where users drop export files; ``ingestion/inbox.py`` lands them (docs/unified-format.md)."""
    return Path(os.environ.get("KOL_INBOX_DIR", data_dir() / "inbox")).resolve()


def demo_port() -> int:
    return int(os.environ.get("KOL_DEMO_PORT", "8765"))


@dataclass(frozen=True)
class PlatformSettings:
    platform: str
    base_url: str
    token: str = field(repr=False)  # a secret: kept out of repr, logs and metadata
    timeout_s: float = 10.0
    retries: int = 4
    retry_after_max_s: float = 60.0
    # Calls in flight at once (a post's comments are read while another's are parsed); 1 for a
    # platform whose rate limit counts concurrent calls.
    concurrency: int = 4


def platform_settings(platform: str) -> PlatformSettings:
    prefix = f"KOL_{platform.upper()}_"
    return PlatformSettings(
        platform=platform,
        base_url=os.environ.get(prefix + "BASE_URL", f"http://127.0.0.1:{demo_port()}/{platform}").rstrip("/"),
        token=os.environ.get(prefix + "ACCESS_TOKEN", f"demo-{platform}-token"),
        timeout_s=float(os.environ.get("KOL_HTTP_TIMEOUT_S", "10")),
        retries=int(os.environ.get("KOL_HTTP_RETRIES", "4")),
        retry_after_max_s=float(os.environ.get("KOL_HTTP_RETRY_AFTER_MAX_S", "60")),
        concurrency=max(1, int(os.environ.get(prefix + "CONCURRENCY", os.environ.get("KOL_HTTP_CONCURRENCY", "4")))),
    )


def tracked_accounts(platform: str) -> list[str]:
    """The accounts to pull: a roster file in production, the demo world's cast by default."""
    roster = os.environ.get("KOL_ROSTER_FILE")
    if roster:
        with open(roster, newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            if not {"platform", "account_id"} <= set(reader.fieldnames or []):
                raise ValueError(f"KOL_ROSTER_FILE {roster} needs the columns platform,account_id; "
                                 f"it has {reader.fieldnames}")
            accounts = [row["account_id"].strip() for row in reader
                        if (row["platform"] or "").strip().lower() == platform and (row["account_id"] or "").strip()]
        if not accounts:
            # Landing zero accounts would replace good slices with empty ones.
            raise ValueError(f"KOL_ROSTER_FILE {roster} lists no {platform} account")
        return accounts
    from ingestion.demo.world import default_world

    return [k.account_id for k in default_world().kols(platform)]
