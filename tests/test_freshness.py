"""Source freshness: every landed file carries ``_loaded_at``, and `dbt source freshness`
reads it (warn after 36 hours, error after 72, as declared in the sources' YAML)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from ingestion.contract import LOADED_AT_COLUMN
from ingestion.demo.server import DemoExportServer
from ingestion.demo.world import World
from ingestion.landing import stamp_loaded_at
from ingestion.lake_upgrade import upgrade_lake
from ingestion.pull import pull_platform_day
from ingestion.schemas import ENTITIES
from ingestion.settings import PlatformSettings
from tests.conftest import TOKENS

DBT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"
DAY = date(2026, 11, 20)
FRESH, STALE = "weibo", "instagram"


def _slice(lake: Path, platform: str, entity: str, day: date = DAY) -> Path:
    return lake / "raw" / platform / entity / f"dt={day.isoformat()}" / "data.parquet"


def _restamp(path: Path, loaded_at: datetime) -> None:
    pq.write_table(stamp_loaded_at(pq.read_table(path), loaded_at), path)


@pytest.mark.slow
def test_freshness_reads_when_each_slice_was_landed(tmp_path):
    lake = tmp_path / "lake"
    world = World(seed=7, preset="tiny")
    with DemoExportServer(world=world, tokens=TOKENS) as server:
        for platform in (FRESH, STALE):
            pull_platform_day(platform, DAY, lake=lake, accounts=[k.account_id for k in world.kols(platform)[:2]],
                              settings=PlatformSettings(platform, server.base_url(platform), TOKENS[platform]))
    (landed_at,) = set(pq.read_table(_slice(lake, FRESH, "profiles")).column(LOADED_AT_COLUMN).to_pylist())

    # As if the last pull of STALE's posts had landed 40 hours ago, and of its comments 80 hours ago.
    now = datetime.now(timezone.utc)
    _restamp(_slice(lake, STALE, "posts"), now - timedelta(hours=40))
    _restamp(_slice(lake, STALE, "comments"), now - timedelta(hours=80))
    # A slice landed before files had _loaded_at (SCHEMA_VERSION 1), on an earlier day, so the first
    # file of the glob: dbt binds the table with the first file's schema, so the lake upgrade
    # (which the orchestrator runs before dbt) must first give it _loaded_at, from its mtime here
    # as it has no manifest.
    old = _slice(lake, STALE, "profiles", DAY - timedelta(days=1))
    old.parent.mkdir(parents=True)
    pq.write_table(pq.read_table(_slice(lake, STALE, "profiles")).drop_columns([LOADED_AT_COLUMN]), old)
    old_landed = now - timedelta(hours=100)
    os.utime(old, (old_landed.timestamp(), old_landed.timestamp()))
    report = upgrade_lake(lake)
    assert report.upgraded == [str(old.relative_to(lake / "raw"))]
    (stamp,) = set(pq.read_table(old).column(LOADED_AT_COLUMN).to_pylist())
    assert abs(stamp - old_landed) < timedelta(milliseconds=1)

    env = os.environ | {"KOL_LAKE_DIR": str(lake), "KOL_WAREHOUSE_PATH": str(tmp_path / "warehouse.duckdb"),
                        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    dbt = str(Path(sys.executable).parent / "dbt")
    proc = subprocess.run([dbt, "source", "freshness", "--vars", json.dumps({"kol_platforms": [FRESH, STALE]}),
                           "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")],
                          cwd=DBT_DIR, env=env, capture_output=True, text=True, timeout=600)
    results = {r["unique_id"].split(".", 2)[2]: r
               for r in json.loads((tmp_path / "target" / "sources.json").read_text())["results"]}
    status = {name: r["status"] for name, r in results.items()}

    # Only the lake's platforms are checked (var kol_platforms), each of their tables.
    assert set(status) == {f"{p}.{e}" for p in (FRESH, STALE) for e in ENTITIES}, proc.stdout[-3000:]
    assert all(status[f"{FRESH}.{e}"] == "pass" for e in ENTITIES), status
    assert {e: status[f"{STALE}.{e}"] for e in ENTITIES} == {
        "profiles": "pass", "posts": "warn", "post_metrics": "pass", "comments": "error", "audience": "pass"}
    assert proc.returncode == 1, "an error fails the command"
    assert datetime.fromisoformat(results[f"{FRESH}.profiles"]["max_loaded_at"]) == landed_at
    criteria = results[f"{FRESH}.profiles"]["criteria"]
    assert (criteria["warn_after"], criteria["error_after"]) == ({"count": 36, "period": "hour"},
                                                                 {"count": 72, "period": "hour"})
