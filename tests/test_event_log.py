"""The local instance's event log (orchestration/event_log.py) and the dbt resource's version
(orchestration/resources.py): cheaper than Dagster's defaults, with the same results."""
from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest
from dagster import AssetKey, AssetMaterialization, DagsterInstance
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from dagster_dbt import DbtCliResource

from orchestration import event_log
from orchestration.event_log import KolInstance, PooledSqliteEventLogStorage
from orchestration.resources import KolDbtCliResource, dbt_project

ROOT = Path(__file__).resolve().parents[1]


def _instance(home: Path, yaml: str | None = None) -> DagsterInstance:
    home.mkdir(exist_ok=True)
    (home / "dagster.yaml").write_text(yaml if yaml is not None else (ROOT / "orchestration" / "dagster.yaml").read_text())
    return DagsterInstance.from_config(str(home))


@pytest.fixture
def home(tmp_path, monkeypatch):
    # An instance loaded from a directory stores its events there, whatever DAGSTER_HOME says.
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "elsewhere"))
    return tmp_path / "home"


def _materialise(instance: DagsterInstance, key: str, n: int) -> None:
    for i in range(n):
        instance.report_runless_asset_event(AssetMaterialization(asset_key=AssetKey(["t", key]), metadata={"i": i}))


def _values(instance: DagsterInstance, key: str) -> list[int]:
    records = instance.fetch_materializations(AssetKey(["t", key]), limit=1000).records
    return sorted(r.asset_materialization.metadata["i"].value for r in records)


def test_the_project_instance_stores_events_where_dagster_would_and_either_class_reads_them(home):
    pooled = _instance(home)
    assert type(pooled) is KolInstance and type(pooled.event_log_storage) is PooledSqliteEventLogStorage
    # Where Dagster's default keeps a DAGSTER_HOME instance's events: switching keeps the history.
    assert Path(pooled.event_log_storage._base_dir) == home / "history" / "runs"
    _materialise(pooled, "a", 30)
    pooled.dispose()

    plain = _instance(home, yaml="telemetry:\n  enabled: false\n")
    assert type(plain.event_log_storage) is SqliteEventLogStorage
    assert _values(plain, "a") == list(range(30))
    _materialise(plain, "b", 5)
    plain.dispose()

    again = _instance(home)
    assert _values(again, "a") == list(range(30)) and _values(again, "b") == list(range(5))
    again.dispose()
    assert not (home.parent / "elsewhere").exists()
    # A run worker rebuilds the instance from its serialised ref: the same storage, same place.
    rebuilt = DagsterInstance.from_ref(pooled.get_ref())
    assert type(rebuilt.event_log_storage) is PooledSqliteEventLogStorage and _values(rebuilt, "a") == list(range(30))
    rebuilt.dispose()


def test_a_watcher_on_another_instance_sees_each_event_as_it_is_stored(home):
    """The UI follows a live run through a file watcher on the run's database (Dagster's
    SqliteEventLogStorageWatchdog): kept-open connections must not hold the events back."""
    import threading
    import time

    from dagster._core.events.log import EventLogEntry

    writer, webserver = _instance(home), DagsterInstance.from_config(str(home))
    run_id = "a1b2c3d4-0000-4000-8000-00000000beef"
    with webserver.event_log_storage._connect(run_id) as conn:  # the UI opened the run's page
        conn.exec_driver_sql("select 1")
    seen, arrived = [], threading.Event()

    def on_event(entry, _cursor):
        seen.append(entry.user_message)
        if len(seen) == 20:
            arrived.set()

    webserver.event_log_storage.watch(run_id, None, on_event)
    for i in range(20):
        writer.event_log_storage.store_event(EventLogEntry(
            error_info=None, level="INFO", user_message=f"event {i}", run_id=run_id, timestamp=time.time()))
        time.sleep(0.02)
    assert arrived.wait(15), f"the watcher saw {len(seen)} of 20 events"
    assert seen == [f"event {i}" for i in range(20)]
    webserver.event_log_storage.end_watch(run_id, on_event)
    writer.dispose()
    webserver.dispose()


def test_engines_are_bounded_and_a_dropped_one_reconnects(home, monkeypatch):
    monkeypatch.setattr(event_log, "KEPT_ENGINES", 3)
    instance = _instance(home)
    storage = instance.event_log_storage
    shards = [f"run{i}" for i in range(8)]
    for shard in shards:  # what a webserver does when someone browses many runs
        with storage._connect(shard) as conn:
            conn.exec_driver_sql("select 1")
    assert list(storage._engines) == shards[-3:]
    with storage._connect(shards[0]) as conn:  # dropped earlier: a new engine, same file
        assert conn.exec_driver_sql("select count(*) from event_logs").scalar() == 0
    assert list(storage._engines) == [*shards[-2:], shards[0]]
    instance.dispose()
    assert not storage._engines


def test_wipe_closes_every_connection_before_deleting_the_files(home):
    instance = _instance(home)
    _materialise(instance, "a", 3)
    run_db = instance.event_log_storage.path_for_shard("some_run")
    with instance.event_log_storage._connect("some_run") as conn:
        conn.exec_driver_sql("select 1")
    assert os.path.exists(run_db)
    instance.wipe()
    assert "some_run" not in instance.event_log_storage._engines  # (wipe then empties the index)
    assert not os.path.exists(run_db)
    assert _values(instance, "a") == []
    _materialise(instance, "a", 2)  # and the storage still works
    assert _values(instance, "a") == [0, 1]
    instance.dispose()


def test_the_dbt_version_is_the_installed_dbt_core_without_asking_dbt():
    ours = KolDbtCliResource(project_dir=dbt_project)
    assert ours._cli_version == DbtCliResource._cli_version.func(ours)  # what `dbt --version` says


def test_another_dbt_executable_is_still_asked_its_version(tmp_path):
    fake = tmp_path / "dbt"
    fake.write_text("#!/bin/sh\necho 'Core:'\necho '  - installed: 9.8.7'\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    assert shutil.which(str(fake))
    resource = KolDbtCliResource(project_dir=dbt_project, dbt_executable=str(fake))
    assert str(resource._cli_version) == "9.8.7"
