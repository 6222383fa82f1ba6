"""One writer, many readers: analysts read a published copy of the warehouse that each
successful dbt run replaces atomically (orchestration/warehouse_copy.py, orchestration/publish.py).

A reader is a separate process holding a read-only DuckDB connection, as an analyst's
notebook or DuckDB CLI would: DuckDB's locks are per process, and within one process a
second connect to an open file reuses the first one's database."""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from orchestration import warehouse_copy
from orchestration.warehouse_copy import PublishError, publish

# Holds one read-only connection and samples it until the stop file appears; then samples the
# held connection once more (after the swap, by construction), closes, reopens and samples again.
READER = r"""
import json, os, sys, time
import duckdb

path, stop, out, tables, pause = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4]), float(sys.argv[5])

def fingerprint(con):
    fp = {}
    for t in tables:
        cols = [r[0] for r in con.execute(f'describe "{t}"').fetchall()]
        row = " || '|' || ".join(f"coalesce(cast(\"{c}\" as varchar), '-')" for c in cols)
        fp[t] = list(con.execute(f"select count(*), coalesce(md5(string_agg(md5({row}), ',' order by md5({row}))), '') "
                                 f'from "{t}"').fetchone())
    fp["_version"] = con.execute("select version from _published").fetchone()[0]
    return fp

def sample(con, phase, held_inode):
    record = {"phase": phase, "held_inode": held_inode, "path_inode": os.stat(path).st_ino, "fp": fingerprint(con)}
    with open(out, "a") as fh:
        fh.write(json.dumps(record, default=str) + "\n")

con = duckdb.connect(path, read_only=True)
held = os.stat(path).st_ino
sample(con, "held", held)
while not os.path.exists(stop):
    time.sleep(pause)
    sample(con, "held", held)
sample(con, "held_after_swap", held)
con.close()
con = duckdb.connect(path, read_only=True)
sample(con, "reopened", os.stat(path).st_ino)
con.close()
"""


class Reader:
    """A reader process holding the published copy open."""

    def __init__(self, published: Path, tables: list[str], work: Path, pause_s: float = 0.1):
        self.out, self.stop = work / "reader.jsonl", work / "reader.stop"
        self.out.unlink(missing_ok=True)
        self.stop.unlink(missing_ok=True)
        self.proc = subprocess.Popen([sys.executable, "-c", READER, str(published), str(self.stop), str(self.out),
                                      json.dumps(tables), str(pause_s)], stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while not self.samples():  # the connection is open once the first sample is written
            assert self.proc.poll() is None, self.proc.stderr.read()
            assert time.monotonic() < deadline, "the reader never opened the published copy"
            time.sleep(0.1)

    def samples(self) -> list[dict]:
        text = self.out.read_text() if self.out.exists() else ""
        # The last line may be half-written while the reader runs.
        return [json.loads(line) for line in text.split("\n")[:-1]]

    def finish(self) -> list[dict]:
        self.stop.touch()
        _, err = self.proc.communicate(timeout=120)
        assert self.proc.returncode == 0, err
        return self.samples()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def _warehouse(path: Path, days: int) -> Path:
    """A small warehouse of the live shape: a mart by day, a dimension, a seed and a view."""
    with duckdb.connect(str(path)) as con:
        con.execute("create or replace table fct_a as select date '2026-11-01' + i::int as date_day, i * 10 as value "
                    f"from range({days}) t(i)")
        con.execute(f"create or replace table dim_b as select 'k' || i as key from range({days + 1}) t(i)")
        con.execute("create or replace table seed_c as select 1 as one")
        con.execute("create or replace view v_d as select * from fct_a")
    return path


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _leftovers(target: Path) -> list[str]:
    return [p.name for folder in (target, target / ".versions") for p in folder.glob(".tmp-*")]


def test_a_reader_holding_the_old_copy_keeps_reading_it_while_a_new_one_is_swapped_in(tmp_path):
    warehouse, target = _warehouse(tmp_path / "warehouse.duckdb", days=3), tmp_path / "published"
    first = publish(warehouse, ["fct_a", "dim_b"], target)
    assert first.duckdb_path.is_file() and first.marts_dir.is_symlink()
    with duckdb.connect(str(first.duckdb_path), read_only=True) as con:
        # Every table is copied; the views, which would read live data, are not.
        assert {r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()} == {
            "fct_a", "dim_b", "seed_c", "_published"}
        assert con.execute("select count(*) from duckdb_views() where not internal").fetchone() == (0,)
    # A Parquet reader that has opened its file and not read it yet.
    held_parquet = open(first.parquet_path("fct_a"), "rb")

    reader = Reader(first.duckdb_path, ["fct_a", "dim_b"], tmp_path)
    try:
        _warehouse(warehouse, days=5)
        # No grace at all: the old Parquet version is removed at once, under the reader.
        second = publish(warehouse, ["fct_a", "dim_b"], target, grace_s=0)
        samples = reader.finish()
    finally:
        reader.kill()

    assert second.pruned == (first.version,) and not (target / ".versions" / first.version).exists()
    held = [s for s in samples if s["phase"].startswith("held")]
    (reopened,) = [s for s in samples if s["phase"] == "reopened"]
    # The held connection saw the first copy whole, also after the path pointed to the new file.
    assert {s["fp"]["_version"] for s in held} == {first.version}
    assert all(s["fp"] == held[0]["fp"] for s in held) and held[0]["fp"]["fct_a"][0] == 3
    assert held[-1]["path_inode"] != held[-1]["held_inode"]
    assert reopened["fp"]["_version"] == second.version and reopened["fp"]["fct_a"][0] == 5

    # The same for Parquet: an open file keeps its version; the path now opens the new one.
    assert pq.read_table(held_parquet).num_rows == 3
    held_parquet.close()
    assert pq.read_table(target / "marts" / "fct_a.parquet").num_rows == 5
    assert json.loads((target / "marts" / "_published.json").read_text())["version"] == second.version
    assert _leftovers(target) == []


def test_a_failed_copy_leaves_the_previous_published_state_intact(tmp_path):
    warehouse, target = _warehouse(tmp_path / "warehouse.duckdb", days=3), tmp_path / "published"
    first = publish(warehouse, ["fct_a"], target)
    before = (_digest(first.duckdb_path), os.readlink(first.marts_dir), sorted(os.listdir(first.marts_dir)))

    def unchanged() -> bool:
        return (_digest(first.duckdb_path), os.readlink(first.marts_dir), sorted(os.listdir(first.marts_dir))) == before

    _warehouse(warehouse, days=4)
    # A mart the warehouse lacks (a model not built yet): found after the database was copied.
    with pytest.raises(PublishError, match="no table fct_missing"):
        publish(warehouse, ["fct_a", "fct_missing"], target)
    assert unchanged() and _leftovers(target) == []

    # A warehouse DuckDB cannot read.
    broken = tmp_path / "broken.duckdb"
    broken.write_bytes(b"not a database" * 1000)
    with pytest.raises(PublishError, match="previous copy stays"):
        publish(broken, ["fct_a"], target)
    assert unchanged() and _leftovers(target) == []

    # A publish killed half-way leaves its temporary files; the next one clears them.
    (target / ".tmp-20261101T000000000000Z-dead00.duckdb").write_bytes(b"half")
    (target / ".versions" / ".tmp-20261101T000000000000Z-dead00").mkdir()
    third = publish(warehouse, ["fct_a"], target)
    assert _leftovers(target) == []
    with duckdb.connect(str(third.duckdb_path), read_only=True) as con:
        assert con.execute("select count(*) from fct_a").fetchone() == (4,)


def test_a_failed_dbt_build_publishes_nothing_and_still_reports_what_it_built(tmp_path, monkeypatch):
    from orchestration.publish import enrich_and_publish

    monkeypatch.setenv("KOL_WAREHOUSE_PATH", str(_warehouse(tmp_path / "warehouse.duckdb", days=2)))
    monkeypatch.setenv("KOL_PUBLISHED_DIR", str(tmp_path / "published"))

    def dbt_events():  # what DbtCliInvocation.stream() does when dbt exits non-zero
        yield "an event dbt streamed before failing"
        raise RuntimeError("dbt build: 1 test failed")

    seen = []
    with pytest.raises(RuntimeError, match="1 test failed"):
        for event in enrich_and_publish(None, dbt_events(), {"min_date": "2026-11-01", "max_date": "2026-11-02"},
                                        publish=True):
            seen.append(event)
    assert seen == ["an event dbt streamed before failing"]
    assert not (tmp_path / "published").exists()


def test_superseded_parquet_versions_are_pruned_after_the_grace_period(tmp_path):
    warehouse, target = _warehouse(tmp_path / "warehouse.duckdb", days=2), tmp_path / "published"
    t0 = datetime(2026, 11, 26, 3, 0, tzinfo=timezone.utc)
    grace = timedelta(minutes=15).total_seconds()

    def at(minutes: int):
        return publish(warehouse, ["fct_a"], target, grace_s=grace, now=t0 + timedelta(minutes=minutes))

    v1, v2, v3 = at(0), at(10), at(20)
    # v1 was superseded 10 minutes ago, v2 just now: both still within the grace period.
    assert v3.pruned == () and warehouse_copy.current_version(target) == v3.version
    v4 = at(40)
    # v1 and v2 were superseded 30 and 20 minutes ago; v3 only now; v4 is current.
    assert set(v4.pruned) == {v1.version, v2.version}
    assert sorted(os.listdir(target / ".versions")) == [v3.version, v4.version]


def test_the_command_line_publishes_every_mart_of_the_dbt_project(tmp_path, monkeypatch, capsys):
    from orchestration.publish import main
    from orchestration.runs import MARTS

    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create table dim_kol as select 'weibo:1' as account_key")
    monkeypatch.setenv("KOL_PUBLISHED_DIR", str(tmp_path / "pub"))
    with pytest.raises(PublishError, match="no table"):  # a warehouse dbt has not finished
        main(["--warehouse", str(warehouse)])
    assert not (tmp_path / "pub" / "warehouse.duckdb").exists()

    with duckdb.connect(str(warehouse)) as con:
        for mart in set(MARTS) - {"dim_kol"}:
            con.execute(f"create table {mart} as select 1 as x")
    assert main(["--warehouse", str(warehouse)]) == 0
    assert "published" in capsys.readouterr().out
    assert sorted(p.stem for p in (tmp_path / "pub" / "marts").glob("*.parquet")) == sorted(MARTS)


# ---- the whole thing: an analyst reading while the nightly run replaces the copy ----------

FIRST, LAST = date(2026, 11, 18), date(2026, 11, 20)
ACCOUNTS_PER_PLATFORM = 4


@pytest.mark.slow
def test_an_analyst_holding_the_copy_open_during_a_nightly_run(tmp_path, monkeypatch):
    from dagster import DagsterInstance

    from ingestion.demo.server import DemoExportServer
    from ingestion.demo.world import World
    from ingestion.pull import CONNECTORS, pull_platform_day
    from ingestion.settings import PlatformSettings
    from orchestration.definitions import defs
    from orchestration.runs import MARTS
    from tests.conftest import TOKENS

    lake, warehouse, published = tmp_path / "lake", tmp_path / "warehouse.duckdb", tmp_path / "published"
    world = World(seed=7, preset="tiny")
    roster = tmp_path / "roster.csv"
    roster.write_text("platform,account_id\n" + "".join(
        f"{p},{k.account_id}\n" for p in CONNECTORS for k in world.kols(p)[:ACCOUNTS_PER_PLATFORM]))
    for name, value in {"KOL_LAKE_DIR": lake, "KOL_WAREHOUSE_PATH": warehouse, "KOL_PUBLISHED_DIR": published,
                        "KOL_ROSTER_FILE": roster, "KOL_INBOX_DIR": tmp_path / "inbox"}.items():
        monkeypatch.setenv(name, str(value))

    with DemoExportServer(world=world, tokens=TOKENS) as server:
        for platform in CONNECTORS:
            monkeypatch.setenv(f"KOL_{platform.upper()}_BASE_URL", server.base_url(platform))
        # Before: the first days landed and built (without dbt's tests, which the run below
        # runs), and published as a run would.
        for day in (FIRST, FIRST + timedelta(days=1)):
            for platform in CONNECTORS:
                pull_platform_day(platform, day, lake=lake,
                                  settings=PlatformSettings(platform, server.base_url(platform), TOKENS[platform]))
        dbt = Path(sys.executable).parent / "dbt"
        window = {"min_date": FIRST.isoformat(), "max_date": (LAST - timedelta(days=1)).isoformat()}
        proc = subprocess.run([str(dbt), "build", "--resource-type", "seed", "--resource-type", "model",
                               "--vars", json.dumps(window), "--target-path", str(tmp_path / "target"),
                               "--log-path", str(tmp_path / "logs")],
                              cwd=Path(__file__).resolve().parents[1] / "dbt_project", capture_output=True, text=True,
                              env=os.environ | {"DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}, timeout=600)
        assert proc.returncode == 0, proc.stdout[-4000:]
        before = publish(warehouse, MARTS, published)

        # A sample fingerprints every mart (half a second of a core): paced, so as not to slow dbt.
        reader = Reader(published / "warehouse.duckdb", list(MARTS), tmp_path, pause_s=2.0)
        try:
            # The nightly run of LAST: every platform, the gate, dbt, the publish.
            result = defs.resolve_job_def("nightly_job").execute_in_process(
                instance=DagsterInstance.ephemeral(), partition_key=LAST.isoformat(), raise_on_error=False,
                run_config={"resources": {"lake": {"config": {"lake_dir": str(lake)}}}})
            samples = reader.finish()
        finally:
            reader.kill()

    assert result.success, [e.message for e in result.all_events if e.is_failure]
    held = [s for s in samples if s["phase"].startswith("held")]
    (reopened,) = [s for s in samples if s["phase"] == "reopened"]
    # Every query on the held connection saw the state published before the run, whole,
    # including the one made after the run had replaced the file under it.
    assert all(s["fp"] == held[0]["fp"] for s in held), "the held connection saw two states"
    assert held[0]["fp"]["_version"] == before.version
    assert held[-1]["path_inode"] != held[-1]["held_inode"]
    assert {t: held[0]["fp"][t][0] for t in MARTS} == {t: before.tables[t] for t in MARTS}
    # Reopened, the reader sees the run's state: the new day, and the same rows as the warehouse.
    assert reopened["fp"]["_version"] != before.version
    with duckdb.connect(str(published / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("select max(date_day) from fct_kol_credibility_daily").fetchone() == (LAST,)
        info = json.loads(con.execute("select info from _published").fetchone()[0])
    assert info["note"]["run_id"] == result.run_id and info["note"]["max_date"] == LAST.isoformat()
    with duckdb.connect(str(warehouse), read_only=True) as con:
        live = {t: con.execute(f'select count(*) from "{t}"').fetchone()[0] for t in MARTS}
    assert {t: reopened["fp"][t][0] for t in MARTS} == live
    credibility = pq.read_table(published / "marts" / "fct_kol_credibility_daily.parquet")
    assert credibility.num_rows == live["fct_kol_credibility_daily"]
    assert max(credibility.column("date_day").to_pylist()) == LAST

    # The marts' materialisations say how many rows, where, and who leads.
    metadata = {m.asset_key.path[-1]: m.metadata for m in
                (e.event_specific_data.materialization for e in result.get_asset_materialization_events())}
    cred = metadata["fct_kol_credibility_daily"]
    assert cred["dagster/row_count"].value == live["fct_kol_credibility_daily"]
    # The window is the day and the day before it, which the run settles again.
    assert cred["rows_in_window"].value == 2 * len(CONNECTORS) * ACCOUNTS_PER_PLATFORM
    assert cred["published_path"].value == str(published / "warehouse.duckdb")
    assert cred["published_parquet"].value == str(published / "marts" / "fct_kol_credibility_daily.parquet")
    assert cred["warehouse_path"].value == str(warehouse)
    preview = cred["top_kols"].value
    assert f"on {LAST}" in preview and len([l for l in preview.splitlines() if l.startswith("| ")]) == 1 + 10
    assert metadata["dim_kol"]["dagster/row_count"].value == len(CONNECTORS) * ACCOUNTS_PER_PLATFORM
    # ...and where the HTML report of the new state is: a page with the report's four charts.
    report = Path(cred["latest_report"].value)
    assert report.parent == published and f"KOL credibility report, {LAST}" in report.read_text()
    assert report.read_text().count("<svg") >= 4


def test_the_models_step_streams_only_what_no_held_table_feeds():
    """Events the models' step yields while dbt runs (orchestration/publish.py): Dagster rejects
    an asset yielded before one it depends on, so no streamed model may depend on a held one
    (a table, whose event waits for dbt to exit); seeds carry their CSV's row count."""
    import csv

    from orchestration.publish import streamed_nodes
    from orchestration.resources import dbt_project

    streamed = streamed_nodes()
    nodes = json.loads(dbt_project.manifest_path.read_text())["nodes"]
    by_name = {n["name"]: n for n in nodes.values() if n["resource_type"] in ("model", "seed")}
    held = {name for name, n in by_name.items() if name not in streamed}
    assert {"dim_kol", "dim_kol_history", "int_post_niches", "fct_kol_credibility_daily"} <= held
    assert streamed["stg_weibo__comments"] is None and streamed["int_comment_events"] is None
    for name in streamed:
        parents = {nodes[p]["name"] for p in by_name[name]["depends_on"].get("nodes", []) if p in nodes}
        assert not parents & held, (name, parents & held)
    for name, n in by_name.items():
        if n["resource_type"] == "seed":
            with open(Path(dbt_project.project_dir) / n["original_file_path"], newline="", encoding="utf-8") as f:
                assert streamed[name] == len(list(csv.DictReader(f)))
