"""File drops in Dagster, the nightly schedule and run retries.

The inbox sensor is evaluated against a real instance and a real inbox folder holding the
demo world's own exports: it asks for runs over exactly the days the files' rows land on,
once per file. End to end, a dropped commerce.csv goes through the sensor's run (the
``land_inbox`` asset, then dbt for the touched days) into ``fct_post_commerce_daily``."""
import csv
import io
import json
import os
import shutil
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pyarrow.parquet as pq
import pytest
from dagster import AssetKey, DagsterInstance, SensorResult, build_schedule_context, build_sensor_context
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from ingestion.contract import LOADED_AT_COLUMN, SCHEMA_VERSION
from ingestion.demo.generate import commerce_csv
from ingestion.demo.server import MODULES
from ingestion.demo.world import default_world
from ingestion.lake_upgrade import CONTRACT_FILE

ROOT = Path(__file__).resolve().parents[1]
DAY = date(2026, 11, 20)


@pytest.fixture
def inbox(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "inbox"
    path.mkdir()
    monkeypatch.setenv("KOL_INBOX_DIR", str(path))
    return path


def _evaluate(cursor=None, instance=None) -> SensorResult:
    from orchestration.sensors import inbox_sensor

    return inbox_sensor(build_sensor_context(instance=instance, cursor=cursor))


def _ranges(result: SensorResult) -> list[tuple[str, str]]:
    return sorted((r.tags[ASSET_PARTITION_RANGE_START_TAG], r.tags[ASSET_PARTITION_RANGE_END_TAG])
                  for r in result.run_requests)


def test_the_sensor_asks_for_the_days_the_rows_land_on_once_per_file(inbox):
    world = default_world()
    with DagsterInstance.ephemeral() as instance:
        # The weibo export of DAY holds the posts of the week before it (posted at most 6 days earlier);
        # the commerce file of DAY only DAY.
        (inbox / f"commerce_weibo_{DAY}.csv").write_bytes(commerce_csv(world, "weibo", DAY))
        for name, payload in MODULES["weibo"].export_files(world, DAY).items():
            (inbox / name).write_bytes(payload)
        # Copies in progress and the inbox's own folders are no drops.
        (inbox / f".commerce_x_{DAY}.csv").write_bytes(commerce_csv(world, "x", DAY))
        (inbox / f"commerce_x_{DAY}.csv.part").write_bytes(commerce_csv(world, "x", DAY))
        (inbox / "processed" / "2026-11-01").mkdir(parents=True)
        (inbox / "processed" / "2026-11-01" / "commerce__old.csv").write_bytes(commerce_csv(world, "x", DAY))

        first = _evaluate(instance=instance)
        assert _ranges(first) == [((DAY - timedelta(days=6)).isoformat(), DAY.isoformat())]
        assert first.run_requests[0].job_name in (None, "inbox_job") and first.run_requests[0].run_key

        # The same files, not yet processed: nothing new.
        again = _evaluate(first.cursor, instance)
        assert not again.run_requests and again.skip_reason

        # A file drops weeks later: its own range only, in a run of its own.
        later = DAY - timedelta(days=30)
        (inbox / f"commerce_weibo_{later}.csv").write_bytes(commerce_csv(world, "weibo", later))
        third = _evaluate(again.cursor, instance)
        assert _ranges(third) == [(later.isoformat(), later.isoformat())]

        # The run moves the files to processed/; the cursor forgets them, and a new drop under an old
        # name (new content) triggers again.
        for name in [n for n in os.listdir(inbox) if n.endswith(".csv") and not n.startswith(".")]:
            shutil.move(inbox / name, inbox / "processed" / "2026-11-01" / name)
        fourth = _evaluate(third.cursor, instance)
        assert not fourth.run_requests and json.loads(fourth.cursor)["files"] == {}
        (inbox / f"commerce_weibo_{DAY}.csv").write_bytes(commerce_csv(world, "weibo", later))
        assert _ranges(_evaluate(fourth.cursor, instance)) == [(later.isoformat(), later.isoformat())]


def test_a_file_with_no_complete_day_is_landed_without_dbt(inbox):
    from orchestration.assets.inbox import file_asset_key

    today = datetime.now(timezone.utc).date()
    (inbox / f"commerce_weibo_{today}.csv").write_bytes(commerce_csv(default_world(), "weibo", today))
    (inbox / "notes.txt").write_text("not an export")  # the run rejects it; no days of its own
    result = _evaluate()
    [request] = result.run_requests
    # Today is no partition yet: the run lands the files under yesterday's key, and the nightly
    # run after today builds them.
    assert request.partition_key == (today - timedelta(days=1)).isoformat()
    assert set(request.asset_selection) == {file_asset_key(e) for e in
                                            ("profiles", "posts", "post_metrics", "comments", "audience", "commerce")}


def test_the_sensor_is_on_by_default_and_targets_the_inbox_job():
    from dagster import DefaultSensorStatus

    from orchestration.definitions import defs

    sensor = defs.resolve_sensor_def("inbox_sensor")
    assert sensor.default_status == DefaultSensorStatus.RUNNING and sensor.minimum_interval_seconds == 30
    assert sensor.job_name == "inbox_job"
    graph = defs.resolve_asset_graph()
    for entity in ("commerce", "post_metrics"):
        node = graph.get(AssetKey(["raw", "files", entity]))
        assert node.is_materializable and node.partitions_def is not None
        assert AssetKey([f"stg_files__{entity}"]) in node.child_keys
    nodes = {n.name for n in defs.resolve_job_def("inbox_job").graph.node_defs}
    assert nodes == {"land_inbox", "kol_dbt_models", "kol_dbt_daily_marts"}


# --------------------------------------------------------------------------- schedule and retries


def test_the_nightly_schedule_fires_in_its_time_zone_for_the_last_complete_utc_day(monkeypatch):
    from dagster import DefaultScheduleStatus

    from orchestration.jobs import build_nightly_schedule

    monkeypatch.setenv("KOL_SCHEDULE_TIMEZONE", "Asia/Shanghai")
    monkeypatch.setenv("KOL_NIGHTLY_HOUR", "3")
    nightly = build_nightly_schedule()
    assert nightly.execution_timezone == "Asia/Shanghai" and nightly.cron_schedule == "0 3 * * *"
    assert nightly.default_status == DefaultScheduleStatus.RUNNING and nightly.job_name == "nightly_job"
    # 03:00 in Shanghai is 19:00 UTC the day before: the last complete UTC day is two days back.
    tick = datetime(2026, 11, 26, 3, tzinfo=ZoneInfo("Asia/Shanghai"))
    request = nightly(build_schedule_context(scheduled_execution_time=tick))
    assert request.partition_key == "2026-11-24" and request.run_key == "2026-11-24"
    tick = datetime(2026, 11, 26, 3, tzinfo=ZoneInfo("America/Los_Angeles"))  # 11:00 UTC
    request = nightly(build_schedule_context(scheduled_execution_time=tick))
    assert request.partition_key == "2026-11-25"
    monkeypatch.setenv("KOL_NIGHTLY_HOUR", "24")
    with pytest.raises(ValueError, match="0..23"):
        build_nightly_schedule()


def test_the_instance_retries_crashed_runs_but_not_failed_steps(tmp_path):
    (tmp_path / "dagster.yaml").write_text((ROOT / "orchestration" / "dagster.yaml").read_text())
    with DagsterInstance.from_config(str(tmp_path)) as instance:
        assert instance.run_retries_enabled and instance.run_retries_max_retries == 2
        assert not instance.run_retries_retry_on_asset_or_op_failure


# --------------------------------------------------------------------------- end to end


def _commerce_rows(payloads: dict[str, bytes]) -> dict[str, int]:
    return {platform: sum(1 for _ in csv.DictReader(io.StringIO(payload.decode("utf-8-sig"))))
            for platform, payload in payloads.items()}


@pytest.fixture
def tiny_api(monkeypatch):
    """A demo export API of the tiny world (the roster and the files follow KOL_DEMO_PRESET): a day
    of nine platforms lands in seconds."""
    from ingestion.demo.server import DemoExportServer
    from tests.conftest import TOKENS

    monkeypatch.setenv("KOL_DEMO_PRESET", "tiny")
    with DemoExportServer(world=default_world(), tokens=TOKENS) as server:
        for platform in TOKENS:
            monkeypatch.setenv(f"KOL_{platform.upper()}_BASE_URL", server.base_url(platform))
        yield server


@pytest.mark.slow
def test_a_dropped_commerce_csv_reaches_the_commerce_mart(tiny_api, inbox, tmp_path, monkeypatch):
    from dagster import Definitions, in_process_executor
    from dagster_dbt import DbtCliResource

    from orchestration.assets.dbt import kol_dbt_daily_marts, kol_dbt_models
    from orchestration.assets.inbox import inbox_assets
    from orchestration.assets.ingestion import ingestion_assets, landed_day
    from orchestration.jobs import jobs
    from orchestration.resources import LakeResource, dbt_project

    lake, warehouse = tmp_path / "lake", tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("KOL_LAKE_DIR", str(lake))  # what dbt reads
    monkeypatch.setenv("KOL_WAREHOUSE_PATH", str(warehouse))
    defs = Definitions(assets=[*ingestion_assets, landed_day, *inbox_assets, kol_dbt_models, kol_dbt_daily_marts],
                       jobs=jobs, executor=in_process_executor,
                       resources={"lake": LakeResource(lake_dir=str(lake)), "dbt": DbtCliResource(project_dir=dbt_project)})
    world = default_world()
    payloads = {p: commerce_csv(world, p, DAY) for p in MODULES}
    expected = {p: n for p, n in _commerce_rows(payloads).items() if n}
    assert expected, "the demo world sells nothing that day"

    with DagsterInstance.ephemeral() as instance:
        # The day's API slices, which the marts join the sales to (followers, posts).
        defs.resolve_job_def("ingest_job").execute_in_process(instance=instance, partition_key=DAY.isoformat())
        # One slice as a lake landed before _loaded_at existed would hold it: the dbt step brings it to the
        # current contract first (ingestion/lake_upgrade.py), with the moment from its manifest.
        legacy = lake / "raw" / "weibo" / "posts" / f"dt={DAY.isoformat()}" / "data.parquet"
        loaded_at = datetime.fromisoformat(json.loads((legacy.parent / "_manifest.json").read_text())["loaded_at"])
        pq.write_table(pq.read_table(legacy).drop_columns([LOADED_AT_COLUMN]), legacy)
        for platform, payload in payloads.items():
            (inbox / f"commerce_{platform}_{DAY}.csv").write_bytes(payload)

        result = _evaluate(instance=instance)
        [request] = result.run_requests
        assert _ranges(result) == [(DAY.isoformat(), DAY.isoformat())]
        run = defs.resolve_job_def(request.job_name or "inbox_job").execute_in_process(
            instance=instance, tags=request.tags)
        assert run.success

        # Every file landed and left the inbox; the sensor does not ask again.
        assert sorted(p.name for p in inbox.iterdir() if p.is_file() and not p.name.startswith(".")) == []
        assert not _evaluate(result.cursor, instance).run_requests

        landed = instance.fetch_materializations(AssetKey(["raw", "files", "commerce"]), limit=1).records
        meta = landed[0].asset_materialization.metadata
        assert landed[0].partition_key == DAY.isoformat()
        assert meta["landed"].value == sum(expected.values()) and meta["files"].value == len(payloads)
        assert meta["quarantined"].value == 0 and meta["rejected_files"].value == 0
        assert meta["days"].value == DAY.isoformat()

    assert set(pq.read_table(legacy).column(LOADED_AT_COLUMN).to_pylist()) == {loaded_at}
    assert json.loads((lake / "raw" / CONTRACT_FILE).read_text())["schema_version"] == SCHEMA_VERSION
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = dict(con.execute("select platform, count(*) from fct_post_commerce_daily "
                                "where date_day = ? group by platform", [DAY]).fetchall())
    assert rows == expected
