"""Where the CLI reads from: the published copy for analysts, never the live warehouse
(DuckDB lets a reader's lock block the nightly writer; the published copy is swapped
atomically beside it, see orchestration/warehouse_copy.py).

| variable | default |
|---|---|
| KOL_PUBLISHED_DIR | $KOL_DATA_DIR/published |
| KOL_DATA_DIR | ./data of the repository |
"""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from ingestion import settings as _ingestion

PUBLISHED_FILE = "warehouse.duckdb"
MARTS_DIR = "marts"
DBT_PROJECT_FILE = _ingestion.REPO_ROOT / "dbt_project" / "dbt_project.yml"


def published_dir() -> Path:
    return Path(os.environ.get("KOL_PUBLISHED_DIR", _ingestion.data_dir() / "published")).resolve()


def published_warehouse() -> Path:
    return published_dir() / PUBLISHED_FILE


def published_marts_dir() -> Path:
    return published_dir() / MARTS_DIR


def latest_report_path() -> Path:
    """Where the pipeline keeps the latest ``kol report`` (kolctl.report.write_latest_report)."""
    return published_dir() / "report.html"


@lru_cache(maxsize=1)
def dbt_vars() -> dict:
    """The dbt project's vars (thresholds and weights of the score), for ``kol explain``'s
    rules; empty when the project file is not beside the package (an installed CLI)."""
    try:
        import yaml

        return dict(yaml.safe_load(DBT_PROJECT_FILE.read_text(encoding="utf-8")).get("vars") or {})
    except Exception:  # no project or an unreadable one: the rules then name the vars alone
        return {}
