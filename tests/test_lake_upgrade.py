"""The lake upgrade (ingestion/lake_upgrade.py): dbt's sources bind each lake table with its first
file's schema, so every file must be on the current contract. What landing writes already is;
an older file is rewritten row for row, or refused by name with nothing changed."""
from __future__ import annotations

import json
import os
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ingestion import inbox as ib
from ingestion import inbox_bulk
from ingestion.contract import LOADED_AT_COLUMN, SCHEMA_VERSION
from ingestion.demo.world import World
from ingestion.lake_upgrade import CONTRACT_FILE, LakeUpgradeError, contract_versions, main, upgrade_lake
from ingestion.pull import pull_platform_day
from ingestion.landing import lake_writing
from ingestion.schemas import PLATFORMS, schema_for
from ingestion.settings import PlatformSettings
from tests.conftest import TOKENS
from tests.test_inbox_bulk import messy_comments, parquet_bytes, schema

DAY = date(2026, 11, 20)
NOW = datetime(2026, 11, 21, 6, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def landed(demo_api, tmp_path_factory) -> Path:
    """A lake as landing leaves it: a day of every platform (two of weibo and youtube) and inbox
    files through both inbox paths."""
    lake = tmp_path_factory.mktemp("landed") / "lake"
    world = World(seed=7, preset="tiny")
    for platform in PLATFORMS:
        for day in (DAY - timedelta(days=1), DAY) if platform in ("weibo", "youtube") else (DAY,):
            pull_platform_day(platform, day, lake=lake, accounts=[k.account_id for k in world.kols(platform)[:2]],
                              settings=PlatformSettings(platform, demo_api.base_url(platform), TOKENS[platform]))
    mp = pytest.MonkeyPatch()
    try:
        for mode, name, seed in (("0", "comments__rows.parquet", 1), ("1", "comments__bulk.parquet", 2)):
            mp.setenv(inbox_bulk.ENV, mode)
            inbox = lake.parent / f"inbox-{mode}"
            inbox.mkdir()
            (inbox / name).write_bytes(parquet_bytes(messy_comments(300, seed), schema()))
            [report] = ib.process_inbox(inbox, lake, now=NOW)
            assert report.status == "landed", report
    finally:
        mp.undo()
    return lake


def _copy(lake: Path, tmp_path: Path) -> Path:
    import shutil
    out = tmp_path / "lake"
    shutil.copytree(lake, out)
    (out / "raw" / CONTRACT_FILE).unlink(missing_ok=True)
    return out


def _parquet_files(lake: Path) -> list[Path]:
    return sorted((lake / "raw").glob("*/*/dt=*/*.parquet"))


def _snapshot(lake: Path) -> dict[str, bytes]:
    return {str(p.relative_to(lake)): p.read_bytes() for p in sorted(lake.rglob("*")) if p.is_file()}


def test_what_landing_writes_is_on_the_contract_and_the_check_is_recorded(landed, tmp_path):
    lake = _copy(landed, tmp_path)
    files = _parquet_files(lake)
    zones = {p.relative_to(lake / "raw").parts[0] for p in files}
    assert zones == {*PLATFORMS, "files"} and len(files) == (9 + 2) * 5 + 2 * 3  # 2 inbox files x 3 days
    before = _snapshot(lake)

    report = upgrade_lake(lake)
    assert (report.checked, report.upgraded, report.recorded_current) == (len(files), [], False)
    after = _snapshot(lake)
    assert after.pop(f"raw/{CONTRACT_FILE}") and after == before, "nothing but the record is written"
    record = json.loads((lake / "raw" / CONTRACT_FILE).read_text())
    assert record["schema_version"] == SCHEMA_VERSION and record["files_checked"] == len(files)

    again = upgrade_lake(lake)
    assert (again.checked, again.recorded_current) == (0, True), "a recorded lake reads no footer"
    assert upgrade_lake(lake, force=True).checked == len(files)


@pytest.mark.parametrize("recorded", [
    {"schema_version": "1"},                                    # an older contract
    {"schemas_fingerprint": "0123456789abcdef"},                # a schema edited without a version bump
    "not an object",
])
def test_a_record_of_another_contract_makes_the_next_call_check_every_file(landed, tmp_path, recorded):
    lake = _copy(landed, tmp_path)
    record = contract_versions() | recorded if isinstance(recorded, dict) else recorded
    (lake / "raw" / CONTRACT_FILE).write_text(json.dumps(record))
    assert upgrade_lake(lake).checked == len(_parquet_files(lake))
    assert upgrade_lake(lake).recorded_current


def test_dbt_reads_the_contract_version_the_lake_upgrade_records():
    import yaml
    project = yaml.safe_load((Path(__file__).resolve().parents[1] / "dbt_project" / "dbt_project.yml").read_text())
    versions = {k: v for k, v in contract_versions().items() if k != "schemas_fingerprint"}
    assert project["vars"]["kol_lake_contract"] == versions


@pytest.mark.slow
def test_dbt_alone_refuses_a_lake_recorded_on_another_contract_and_says_what_to_do(tmp_path):
    import os
    import subprocess
    import sys
    lake = tmp_path / "lake"
    (lake / "raw").mkdir(parents=True)
    dbt_dir = Path(__file__).resolve().parents[1] / "dbt_project"

    def seed() -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(Path(sys.executable).parent / "dbt"), "seed", "--select", "platform_regions",
             "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")],
            cwd=dbt_dir, capture_output=True, text=True, timeout=600,
            env=os.environ | {"KOL_LAKE_DIR": str(lake), "KOL_WAREHOUSE_PATH": str(tmp_path / "w.duckdb"),
                              "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"})
    (lake / "raw" / CONTRACT_FILE).write_text(json.dumps(contract_versions() | {"schema_version": "1"}))
    refused = seed()
    assert refused.returncode != 0 and "make lake-upgrade" in refused.stdout, refused.stdout[-2000:]
    assert "recorded on data contract SCHEMA_VERSION 1" in refused.stdout
    (lake / "raw" / CONTRACT_FILE).write_text(json.dumps(contract_versions()))
    accepted = seed()
    assert accepted.returncode == 0, accepted.stdout[-2000:]


def test_the_upgrade_waits_for_a_landing_in_progress(landed, tmp_path):
    import threading
    lake = _copy(landed, tmp_path)
    path = lake / "raw" / "x" / "profiles" / f"dt={DAY}" / "data.parquet"
    _legacy(path, lambda t: t.drop_columns([LOADED_AT_COLUMN]))
    done = threading.Event()
    with lake_writing(lake / "raw"):  # as write_slice holds it while it writes a slice
        worker = threading.Thread(target=lambda: (upgrade_lake(lake), done.set()))
        worker.start()
        assert not done.wait(1.0), "the upgrade ran while a landing was writing"
        assert LOADED_AT_COLUMN not in pq.read_schema(path).names
    worker.join(30)
    assert done.is_set() and LOADED_AT_COLUMN in pq.read_schema(path).names


def _legacy(path: Path, transform) -> pa.Table:
    """Rewrite ``path`` as an older contract would have written it; returns the current rows."""
    current = pq.read_table(path)
    old = transform(current)
    pq.write_table(old.replace_schema_metadata((old.schema.metadata or {}) | {b"kol.schema_version": b"1"}), path)
    return current


@pytest.mark.parametrize("manifest_has_loaded_at", [True, False])
def test_a_file_of_schema_version_1_gets_loaded_at_and_keeps_every_value(landed, tmp_path, manifest_has_loaded_at):
    lake = _copy(landed, tmp_path)
    path = lake / "raw" / "weibo" / "comments" / f"dt={DAY - timedelta(days=1)}" / "data.parquet"
    manifest_file = path.parent / "_manifest.json"
    manifest = json.loads(manifest_file.read_text())
    current = _legacy(path, lambda t: t.drop_columns([LOADED_AT_COLUMN]))
    assert current.num_rows > 0
    if manifest_has_loaded_at:
        landed_at = datetime.fromisoformat(manifest["loaded_at"])
    else:  # a SCHEMA_VERSION 1 manifest, written before landing recorded loaded_at: the file's mtime
        del manifest["loaded_at"]
        manifest_file.write_text(json.dumps(manifest | {"schema_version": "1"}))
        landed_at = datetime(2026, 11, 19, 23, 30, 1, 250000, tzinfo=timezone.utc)
        os.utime(path, (landed_at.timestamp(), landed_at.timestamp()))

    report = upgrade_lake(lake)
    assert report.upgraded == [str(path.relative_to(lake / "raw"))]
    upgraded = pq.read_table(path)
    assert [(f.name, f.type) for f in upgraded.schema] == [(f.name, f.type) for f in schema_for("weibo", "comments")]
    assert upgraded.drop_columns([LOADED_AT_COLUMN]).equals(current.drop_columns([LOADED_AT_COLUMN]))
    (stamp,) = set(upgraded.column(LOADED_AT_COLUMN).to_pylist())
    assert abs(stamp - landed_at) < timedelta(milliseconds=1)
    manifest = json.loads(manifest_file.read_text())
    assert (manifest["schema_version"], manifest["upgraded_from_version"]) == (SCHEMA_VERSION, "1")
    assert manifest["landed"] == current.num_rows, "the accounting is untouched"
    assert not list(path.parent.glob(".*.tmp")), "no temporary file is left behind"


def test_a_missing_nullable_column_reads_null_and_a_narrower_type_is_widened(landed, tmp_path):
    lake = _copy(landed, tmp_path)
    path = lake / "raw" / "youtube" / "post_metrics" / f"dt={DAY}" / "data.parquet"
    expected = schema_for("youtube", "post_metrics")
    count = next(f.name for f in expected if f.type == pa.int64() and not f.name.startswith("_"))

    def older(t: pa.Table) -> pa.Table:
        t = t.drop_columns(["_extras"])
        return t.set_column(t.schema.get_field_index(count), count, t[count].cast(pa.int32()))
    current = _legacy(path, older)

    assert upgrade_lake(lake).upgraded == [str(path.relative_to(lake / "raw"))]
    upgraded = pq.read_table(path)
    assert [(f.name, f.type) for f in upgraded.schema] == [(f.name, f.type) for f in expected]
    assert upgraded[count].equals(current[count]) and upgraded["_extras"].null_count == upgraded.num_rows


@pytest.mark.parametrize("case", ["unknown column", "value the cast refuses", "null where a value is required"])
def test_a_file_that_would_lose_data_is_refused_by_name_and_nothing_changes(landed, tmp_path, case, capsys):
    lake = _copy(landed, tmp_path)
    good = lake / "raw" / "weibo" / "profiles" / f"dt={DAY - timedelta(days=1)}" / "data.parquet"
    _legacy(good, lambda t: t.drop_columns([LOADED_AT_COLUMN]))  # would be upgraded, but the run stops first
    path = lake / "raw" / "youtube" / "profiles" / f"dt={DAY}" / "data.parquet"
    if case == "unknown column":
        _legacy(path, lambda t: t.append_column("subscriber_tier", pa.array(["gold"] * t.num_rows)))
        why = "columns the contract does not know: subscriber_tier"
    elif case == "null where a value is required":
        # A file behind the contract (no _extras yet) whose _loaded_at has nulls, which it now forbids.
        _legacy(path, lambda t: t.drop_columns(["_extras"]).set_column(
            t.schema.get_field_index(LOADED_AT_COLUMN) - 1, LOADED_AT_COLUMN,
            pa.nulls(t.num_rows, t.schema.field(LOADED_AT_COLUMN).type)))
        why = f"column {LOADED_AT_COLUMN} has"
    else:
        column = next(f.name for f in schema_for("youtube", "profiles") if f.type == pa.int64())
        _legacy(path, lambda t: t.set_column(t.schema.get_field_index(column), column,
                                             pa.array(["12k"] * t.num_rows)))
        why = f"column {column} (string) does not cast to int64"
    before = _snapshot(lake)

    with pytest.raises(LakeUpgradeError) as exc:
        upgrade_lake(lake)
    assert str(path.relative_to(lake / "raw")) in str(exc.value) and why in str(exc.value)
    assert _snapshot(lake) == before
    assert not (lake / "raw" / CONTRACT_FILE).exists(), "a lake that is not on the contract is not recorded as on it"

    assert main(["--lake", str(lake)]) == 1
    assert why in capsys.readouterr().err


def test_the_command_reports_what_it_checked(landed, tmp_path, capsys):
    lake = _copy(landed, tmp_path)
    path = lake / "raw" / "weibo" / "posts" / f"dt={DAY}" / "data.parquet"
    _legacy(path, lambda t: t.drop_columns([LOADED_AT_COLUMN]))
    assert main(["--lake", str(lake)]) == 0
    out = capsys.readouterr().out
    assert f"{len(_parquet_files(lake))} files checked, 1 rewritten" in out and "weibo/posts" in out
    assert main(["--lake", str(lake)]) == 0
    assert "recorded" in capsys.readouterr().out
