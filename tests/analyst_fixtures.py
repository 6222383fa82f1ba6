"""The analysts' demo warehouse, built once per test session and shared by the CLI tests
(tests/test_cli.py) and the analyst guide's example queries.

Register it in tests/conftest.py with ``pytest_plugins = ["tests.analyst_fixtures"]``.

- ``analyst_warehouse``: the path of a built ``warehouse.duckdb``; its lake is
  ``analyst_warehouse.parent / "lake"`` (also the ``analyst_lake`` fixture).
- ``analyst_published``: that warehouse published for analysts the way the pipeline does it
  (``orchestration.warehouse_copy.publish``): ``<dir>/warehouse.duckdb`` and
  ``<dir>/marts/<mart>.parquet``; point ``KOL_PUBLISHED_DIR`` at it.

The world: two Eastern platforms (weibo, wechat) and two Western ones (instagram, x),
ANALYST_DAYS days up to ANALYST_LAST landed through the real demo export API, and each
day's brand-collaboration commerce.csv and WeChat dashboard export dropped in the inbox
(commerce only arrives as file drops: without it retail sway and conversion would be unknown
everywhere; the dashboard carries WeChat's likes). WeChat is there so that every mart exists,
fct_wechat_wci_daily included (it is disabled without WeChat, and publishing expects every
mart); it also shows components left out as unknown (WeChat's API has no likes). One person
of the identity register (person_beauty) has accounts on weibo and instagram.

Twenty-one days: enough for a warm engagement baseline (7 days) before the planted
bought-follower days, and to keep the build near a minute on two cores. 28-day figures
(follower_growth_28d, hence reach_momentum) are therefore unknown: the score leaves that
component out, as it does for any account with less history.

Set ``KOL_TEST_ANALYST_WAREHOUSE`` to an existing warehouse (e.g. a copy of the 35-day demo
warehouse) to skip the build while iterating locally; it is copied, never opened for
writing.
"""
from __future__ import annotations

import json
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import pytest

ANALYST_PLATFORMS = ("weibo", "wechat", "instagram", "x")
ANALYST_LAST = date(2026, 11, 24)
ANALYST_DAYS = 21
ENV_OVERRIDE = "KOL_TEST_ANALYST_WAREHOUSE"


def _mart_names(warehouse: Path) -> list[str]:
    """The marts of dbt_project/models/marts that this warehouse has (all of them, unless
    KOL_TEST_ANALYST_WAREHOUSE names a warehouse built without WeChat)."""
    import duckdb

    root = Path(__file__).resolve().parents[1] / "dbt_project" / "models" / "marts"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = {t for (t,) in con.execute("select table_name from duckdb_tables()").fetchall()}
    return sorted(p.stem for p in root.rglob("*.sql") if p.stem in tables)


def _land(lake: Path, inbox: Path) -> None:
    """Pull every platform-day, one thread per platform (each request waits on the loopback
    API, so threads nearly halve the landing), then drop and land the commerce files."""
    from ingestion.demo.generate import commerce_csv
    from ingestion.demo.server import MODULES
    from ingestion.demo.world import default_world
    from ingestion.inbox import process_inbox
    from ingestion.pull import pull_platform_day

    days = [ANALYST_LAST - timedelta(days=i) for i in range(ANALYST_DAYS)]

    def pull(platform: str) -> None:
        for day in days:
            pull_platform_day(platform, day, lake=lake)

    with ThreadPoolExecutor(len(ANALYST_PLATFORMS)) as pool:
        list(pool.map(pull, ANALYST_PLATFORMS))  # list(): re-raises a failed pull here

    world = default_world()
    inbox.mkdir(parents=True, exist_ok=True)
    for day in days:
        for platform in ANALYST_PLATFORMS:
            (inbox / f"commerce_{platform}_{day}.csv").write_bytes(commerce_csv(world, platform, day))
        if "wechat" in ANALYST_PLATFORMS:
            for name, payload in MODULES["wechat"].export_files(world, day).items():
                (inbox / name).write_bytes(payload)
    morning_after = datetime.combine(ANALYST_LAST + timedelta(days=1), time(6), tzinfo=timezone.utc)
    reports = process_inbox(inbox, lake, now=morning_after)
    bad = [r.line() for r in reports if r.status != "landed"]
    assert reports and not bad, bad


@pytest.fixture(scope="session")
def analyst_warehouse(request, tmp_path_factory) -> Path:
    data = tmp_path_factory.mktemp("analyst")
    existing = os.environ.get(ENV_OVERRIDE)
    if existing:
        shutil.copyfile(existing, data / "warehouse.duckdb")
        (data / "lake").mkdir()
        return data / "warehouse.duckdb"

    from tests.conftest import land_and_build

    request.getfixturevalue("demo_api")  # started only when a build needs it
    warehouse, _ = land_and_build(
        data, ANALYST_PLATFORMS, ANALYST_LAST, 0,  # 0: the pulls run in before_build, in parallel
        # the marts' data and unit tests run in test_dbt_build and friends: here they would only
        # double the build
        ["--vars", json.dumps({"kol_platforms": list(ANALYST_PLATFORMS)}),
         "--exclude-resource-type", "test", "unit_test"],
        before_build=lambda lake: _land(lake, data / "inbox"))
    return warehouse


@pytest.fixture(scope="session")
def analyst_lake(analyst_warehouse) -> Path:
    return analyst_warehouse.parent / "lake"


@pytest.fixture(scope="session")
def analyst_published(analyst_warehouse) -> Path:
    from orchestration.warehouse_copy import publish

    return publish(analyst_warehouse, _mart_names(analyst_warehouse), analyst_warehouse.parent / "published",
                   note={"by": "tests.analyst_fixtures"}).directory
