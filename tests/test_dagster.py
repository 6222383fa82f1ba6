"""The code location: it loads, and its lineage runs from raw exports to the marts.
Materialising the same partition three times through Dagster's jobs gives identical marts:
`tests/test_reliability_security.py`."""

import pytest
from dagster import AssetKey



@pytest.fixture(scope="module")
def defs():
    from orchestration.definitions import defs

    return defs


def test_definitions_load_with_jobs_and_a_nightly_schedule(defs):
    from dagster import Definitions

    Definitions.validate_loadable(defs)
    for job in ("ingest_job", "transform_job", "nightly_job"):
        assert defs.resolve_job_def(job) is not None
    schedule = defs.resolve_schedule_def("nightly_schedule")
    assert schedule.cron_schedule == "0 2 * * *" and schedule.job_name == "nightly_job"


def test_the_nightly_run_takes_the_last_complete_utc_day_in_any_time_zone():
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from orchestration.jobs import nightly_partition_key

    assert nightly_partition_key(datetime(2026, 11, 26, 2, tzinfo=ZoneInfo("UTC"))) == "2026-11-25"
    # 02:00 in Shanghai is 18:00 UTC the day before: the 25th is not over yet in UTC.
    assert nightly_partition_key(datetime(2026, 11, 26, 2, tzinfo=ZoneInfo("Asia/Shanghai"))) == "2026-11-24"


def test_lineage_runs_from_raw_assets_through_staging_to_the_credibility_mart(defs):
    graph = defs.resolve_asset_graph()
    keys = set(graph.get_all_asset_keys())
    assert AssetKey(["raw", "weibo", "comments"]) in keys and AssetKey(["raw", "instagram", "posts"]) in keys

    def upstream(key, seen=None):
        seen = seen if seen is not None else set()
        for parent in graph.get(key).parent_keys:
            if parent not in seen:
                seen.add(parent)
                upstream(parent, seen)
        return seen

    ancestors = upstream(AssetKey(["fct_kol_credibility_daily"]))
    assert AssetKey(["raw", "weibo", "comments"]) in ancestors
    assert AssetKey(["raw", "instagram", "comments"]) in ancestors
    assert AssetKey(["stg_weibo__comments"]) in ancestors
