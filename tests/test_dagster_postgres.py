"""The production instance (orchestration/dagster.prod.yaml) against a real PostgreSQL server
that this module starts itself: a materialised partition of the demo world, its events, the
pools and the schedule's state all end up in PostgreSQL, not in files under DAGSTER_HOME."""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DAY = "2026-11-20"
PLATFORMS = ("weibo", "x")
PG_USER, PG_PASSWORD, PG_DB = "dagster", "kol-pg-secret-81c2", "kol_dagster"


def _pg_bin() -> Path | None:
    # Debian's postgresql package keeps the server binaries off PATH, one folder per major version.
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def postgres():
    """A throwaway PostgreSQL cluster on a free loopback port, with a password-protected role
    and database for Dagster; stopped and deleted afterwards."""
    bin_dir = _pg_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): `make system-deps` installs it")
    as_root = os.geteuid() == 0
    # The server refuses to run as root: as root, run it as Debian's `postgres` user in a folder
    # it owns (pytest's tmp_path sits under a root-only folder, so not there).
    prefix = ["runuser", "-u", "postgres", "--"] if as_root else []
    base = Path(tempfile.mkdtemp(prefix="kol-pg-"))
    data, sock, log = base / "data", base / "sock", base / "server.log"
    sock.mkdir()
    if as_root:
        shutil.chown(base, "postgres")
        shutil.chown(sock, "postgres")
    port = _free_port()

    def run(*args: str) -> str:
        proc = subprocess.run([*prefix, *args], capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, (args, proc.stdout[-2000:], proc.stderr[-2000:],
                                      log.read_text()[-2000:] if log.exists() else "")
        return proc.stdout

    # Local (socket) connections trust the superuser that sets things up; TCP, which Dagster
    # uses, needs the role's password, as a production server would.
    run(str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth-local=trust",
        "--auth-host=scram-sha-256", "--encoding=UTF8", "--no-sync")
    run(str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60", "-o",
        f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off", "start")
    try:
        psql = [str(bin_dir / "psql"), "-h", str(sock), "-p", str(port), "-U", "postgres", "-v", "ON_ERROR_STOP=1"]
        run(*psql, "-c", f"create role {PG_USER} login password '{PG_PASSWORD}'")
        run(*psql, "-c", f"create database {PG_DB} owner {PG_USER}")
        yield {"host": "127.0.0.1", "port": port, "db": PG_DB, "user": PG_USER, "password": PG_PASSWORD}
    finally:
        subprocess.run([*prefix, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
                       capture_output=True, timeout=120)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def prod_home(postgres, tmp_path, monkeypatch):
    """DAGSTER_HOME holding the production dagster.yaml, its env vars pointing at the server."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(ROOT / "orchestration" / "dagster.prod.yaml", home / "dagster.yaml")
    env = {"DAGSTER_HOME": str(home), "DAGSTER_PG_HOST": postgres["host"], "DAGSTER_PG_PORT": str(postgres["port"]),
           "DAGSTER_PG_DB": postgres["db"], "DAGSTER_PG_USERNAME": postgres["user"],
           "DAGSTER_PG_PASSWORD": postgres["password"]}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return home


def _query(pg: dict, sql: str, params: tuple = ()) -> list[tuple]:
    import psycopg2

    with psycopg2.connect(host=pg["host"], port=pg["port"], dbname=pg["db"], user=pg["user"],
                          password=pg["password"]) as con, con.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def test_the_production_instance_loads_its_storage_pools_and_retries_from_the_yaml(prod_home):
    from dagster import DagsterInstance
    from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage, PostgresScheduleStorage

    with DagsterInstance.get() as instance:
        assert isinstance(instance.run_storage, PostgresRunStorage)
        assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
        assert isinstance(instance.schedule_storage, PostgresScheduleStorage)
        # Crashed runs are retried; data failures are not (steps retry throttles themselves).
        assert instance.run_retries_enabled and instance.run_retries_max_retries == 2
        assert not instance.run_retries_retry_on_asset_or_op_failure
        assert instance.run_monitoring_enabled
        assert not instance.telemetry_enabled
    # The same pools as the demo instance: production must queue runs the way the tests saw.
    import yaml

    demo, prod = (yaml.safe_load((ROOT / "orchestration" / name).read_text())
                  for name in ("dagster.yaml", "dagster.prod.yaml"))
    assert prod["concurrency"] == demo["concurrency"]


@pytest.mark.slow
def test_a_materialised_partition_its_events_pools_and_schedule_state_live_in_postgres(
        postgres, prod_home, tmp_path, monkeypatch):
    from dagster import DagsterEventType, DagsterInstance, materialize

    from ingestion.demo.server import DemoExportServer
    from orchestration.assets.ingestion import ingestion_assets
    from orchestration.pools import declare_pool_limits, ingest_pool
    from orchestration.resources import LakeResource

    # The tiny world, served by a demo API of this test's own (the roster is read from the same
    # preset, so the pull asks for exactly the accounts the server knows).
    monkeypatch.setenv("KOL_DEMO_PRESET", "tiny")
    lake = tmp_path / "lake"
    with DemoExportServer() as server:
        for platform in PLATFORMS:
            monkeypatch.setenv(f"KOL_{platform.upper()}_BASE_URL", server.base_url(platform))
        with DagsterInstance.get() as instance:
            declare_pool_limits(instance, list(PLATFORMS))
            assets = [a for a in ingestion_assets if a.op.name in {f"ingest_{p}" for p in PLATFORMS}]
            result = materialize(assets, instance=instance, partition_key=DAY,
                                 resources={"lake": LakeResource(lake_dir=str(lake))})
    assert result.success
    run_id = result.run_id
    assert any(lake.glob(f"raw/weibo/*/dt={DAY}/*.parquet"))

    # No SQLite database beside the yaml: the history went to the server (DAGSTER_HOME keeps the
    # steps' captured output only).
    assert not list(prod_home.rglob("*.db"))

    assert _query(postgres, "select status from runs where run_id = %s", (run_id,)) == [("SUCCESS",)]
    assert _query(postgres, "select value from run_tags where run_id = %s and key = 'dagster/partition'",
                  (run_id,)) == [(DAY,)]
    events = dict(_query(postgres, "select dagster_event_type, count(*) from event_logs where run_id = %s "
                                   "group by dagster_event_type", (run_id,)))
    # Stored under the event types' values, which keep their old "PIPELINE_" names.
    assert events.get(DagsterEventType.RUN_SUCCESS.value) == 1
    assert events.get(DagsterEventType.STEP_SUCCESS.value) == len(PLATFORMS)
    materialised = {row[0] for row in _query(
        postgres, "select asset_key from event_logs where run_id = %s and dagster_event_type = 'ASSET_MATERIALIZATION'",
        (run_id,))}
    assert '["raw", "weibo", "posts"]' in materialised and '["raw", "x", "comments"]' in materialised
    # The per-asset index the UI's asset pages and partition bars read is there too.
    assert {'["raw", "weibo", "posts"]', '["raw", "x", "posts"]'} <= {k for (k,) in _query(
        postgres, "select asset_key from asset_keys")}
    pools = dict(_query(postgres, "select concurrency_key, count(*) from concurrency_slots group by concurrency_key"))
    assert pools.get(ingest_pool("weibo")) == 1 and pools.get("duckdb_warehouse") == 1

    # Pausing the nightly schedule, as an operator would from the CLI, is stored in PostgreSQL,
    # where the daemon of any machine pointed at this database reads it.
    env = os.environ | {"DAGSTER_HOME": str(prod_home)}
    proc = subprocess.run([sys.executable, "-m", "dagster", "schedule", "stop", "nightly_schedule",
                           "-m", "orchestration.definitions"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    states = _query(postgres, "select instigator_type, status, instigator_body from instigators")
    nightly = [(kind, status) for kind, status, body in states if '"nightly_schedule"' in body]
    assert nightly == [("SCHEDULE", "STOPPED")], states
