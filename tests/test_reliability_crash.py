"""Crashes never corrupt the lake or the warehouse.

A nightly-style run (tests/crash_driver.py: land weibo + instagram for 3 days from the demo export
API, ``dbt build``, publish the analysts' copy) runs as a child process in its own process group
and is SIGKILLed, group and all (dbt and DuckDB included), at random moments chosen per phase: the
test waits for the driver's ``phase=<name>`` line, then kills after a seeded random delay within
that phase's duration measured on an uninterrupted run. So the landing, the dbt build and the
publish are each hit by design, not by luck. Right after every kill:

* the lake shows no partial slice: every file under a name the dbt sources read
  (``raw/<platform>/<entity>/*/*.parquet``) opens and has exactly the rows its manifest says it
  landed; every manifest parses and balances; every quarantine file is whole JSON lines; any
  temporary file is under a name the sources' glob cannot match;
* the analysts' copy is never half-built: ``published/warehouse.duckdb`` is absent (before the
  first publish) or opens read-only with every mart, each equal to an uninterrupted run's, and
  ``published/marts`` likewise (every mart's Parquet file, equal to an uninterrupted run's).

Then the driver is re-run to completion and every mart of the warehouse, of the published copy
and of its Parquet files must equal the uninterrupted run's: same rows in the same order under an
ordered checksum (rows sorted by every column, then md5 of them all in that order), and the lake
must hold the same rows as the uninterrupted run's (no record lost, none duplicated).

``make test`` kills three times in a row (once in each phase), then re-runs; ``make test-all``
(marker ``exhaustive``) kills 13 more times across the phases, re-running and checking after each.
"""
from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from tests import crash_driver

REPO = Path(__file__).resolve().parents[1]
PHASES = ("landing", "dbt", "publish")
RUN_TIMEOUT_S = 600

pytestmark = pytest.mark.slow


# ---------------------------------------------------------------- driving and killing the driver

def start_driver(data: Path) -> subprocess.Popen:
    (data / crash_driver.PHASES_FILE).unlink(missing_ok=True)
    data.mkdir(parents=True, exist_ok=True)
    log = open(data / "driver.log", "ab")
    # Its own session, hence its own process group: dbt, its child, is in it too.
    return subprocess.Popen([sys.executable, "-m", "tests.crash_driver", "--data", str(data)], cwd=REPO,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def phases_seen(data: Path) -> dict[str, float]:
    try:
        lines = (data / crash_driver.PHASES_FILE).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return {}
    seen = {}
    for line in lines:
        parts = dict(p.split("=", 1) for p in line.split() if "=" in p)
        if "phase" in parts and "t" in parts:
            seen.setdefault(parts["phase"], float(parts["t"]))
    return seen


def landed_offsets(data: Path) -> list[float]:
    """Seconds from the start of landing to the end of each platform-day's landing (its slices
    are written just before): moments where a kill interrupts the writes rather than the pulls."""
    lines = (data / crash_driver.PHASES_FILE).read_text(encoding="utf-8").splitlines()
    times = [(p.split()[0], float(p.split()[1][2:])) for p in lines]
    start = next(t for name, t in times if name == "phase=landing")
    return [t - start for name, t in times if name == "phase=landed"]


def run_to_completion(data: Path) -> dict[str, float]:
    proc = start_driver(data)
    rc = proc.wait(timeout=RUN_TIMEOUT_S)
    assert rc == 0, f"the driver failed ({rc}): {(data / 'driver.log').read_text(errors='replace')[-4000:]}"
    return phases_seen(data)


def _group_alive(pgid: int) -> bool:
    """Whether a process of group ``pgid`` still runs (zombies, which hold no file or lock, do not count)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text[text.rfind(")") + 2:].split()
        if fields[0] != "Z" and int(fields[2]) == pgid:
            return True
    return False


def _landed_count(data: Path) -> int:
    try:
        return (data / crash_driver.PHASES_FILE).read_text(encoding="utf-8").count("phase=landed ")
    except FileNotFoundError:
        return 0


def _starts(dbt_log: Path, offset: int) -> int:
    if not dbt_log.exists():
        return 0
    with open(dbt_log, "rb") as fh:
        fh.seek(offset)
        text = fh.read()
    return text.count(b" START sql ") + text.count(b" START seed ")  # models and seeds, not tests


def kill_in_phase(data: Path, phase: str, delay_s: float, after_landed: int | None = None,
                  after_starts: int | None = None) -> dict:
    """Start the driver, wait for ``phase`` to begin (and, in landing, for ``after_landed``
    platform-days to be landed; in dbt, for ``after_starts`` seeds and models to have started),
    then SIGKILL its whole group ``delay_s`` later. Returns where the kill landed (the last phase
    begun before it) and, in dbt, the models it interrupted."""
    dbt_log = data / "logs" / "dbt.log"
    log_offset = dbt_log.stat().st_size if dbt_log.exists() else 0
    proc = start_driver(data)
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while phase not in phases_seen(data):
        if proc.poll() is not None:
            pytest.fail(f"the driver ended ({proc.returncode}) before phase {phase}: "
                        f"{(data / 'driver.log').read_text(errors='replace')[-3000:]}")
        assert time.monotonic() < deadline, f"phase {phase} never began"
        time.sleep(0.01)
    while (after_landed is not None and _landed_count(data) < after_landed) or \
            (after_starts is not None and _starts(dbt_log, log_offset) < after_starts):
        assert proc.poll() is None and time.monotonic() < deadline, "the driver ended before the kill"
        time.sleep(0.01)
    time.sleep(delay_s)
    finished = proc.poll() is not None
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    deadline = time.monotonic() + 30
    while _group_alive(proc.pid):
        assert time.monotonic() < deadline, "the driver's process group survived SIGKILL"
        time.sleep(0.05)
    last = list(phases_seen(data))[-1]  # the latest phase begun (first lines of each, in order)
    hit = "after_done" if finished or last == "done" else "landing" if last in ("landing", "landed") else last
    return {"aimed": phase, "delay_s": round(delay_s, 3), "hit": hit,
            **({"models_in_flight": models_in_flight(dbt_log, log_offset)} if hit == "dbt" else {})}


def models_in_flight(dbt_log: Path, offset: int) -> list[str]:
    """The models dbt had started and not finished when it was killed (from its log since ``offset``)."""
    if not dbt_log.exists():
        return []
    with open(dbt_log, "rb") as fh:
        fh.seek(offset)
        text = fh.read().decode("utf-8", errors="replace")
    started, ended = [], set()
    for line in text.splitlines():
        if " model main." not in line:
            continue
        name = line.split(" model main.", 1)[1].split()[0]
        if " START " in line:
            started.append(name)
        elif " OK created " in line or " ERROR " in line:
            ended.add(name)
    return [m for m in started if m not in ended]


# ---------------------------------------------------------------- fingerprints

def _ordered_checksum(con: duckdb.DuckDBPyConnection, relation: str) -> tuple[int, str]:
    """Row count and md5 of every row's text, rows in the order of all their columns."""
    cols = [r[0] for r in con.execute(f"describe select * from {relation}").fetchall()]
    quoted = [f'"{c}"' for c in cols]
    row = " || '|' || ".join(f"coalesce(cast({c} as varchar), '∅')" for c in quoted)
    order = ", ".join(f"{c} asc nulls first" for c in quoted)
    count, digest = con.execute(f"select count(*), coalesce(md5(string_agg({row}, chr(10) order by {order})), '') "
                                f"from {relation}").fetchone()
    return count, digest


def warehouse_fingerprints(path: Path, marts: list[str]) -> dict[str, tuple[int, str]]:
    with duckdb.connect(str(path), read_only=True) as con:
        return {m: _ordered_checksum(con, f'main."{m}"') for m in marts}


def parquet_fingerprints(folder: Path, marts: list[str]) -> dict[str, tuple[int, str]]:
    with duckdb.connect() as con:
        return {m: _ordered_checksum(con, f"read_parquet('{folder / (m + '.parquet')}')") for m in marts}


def lake_rows(lake: Path) -> dict[str, int]:
    """Rows of every landed slice file, by its path inside the lake."""
    return {str(p.relative_to(lake)): pq.ParquetFile(p).metadata.num_rows
            for p in sorted((lake / "raw").glob("*/*/*/*.parquet"))}


# ---------------------------------------------------------------- invariants after a kill

@dataclass
class Tally:
    kills: dict[str, int] = field(default_factory=lambda: {p: 0 for p in (*PHASES, "after_done")})
    data_without_manifest: int = 0  # a slice whose data landed and whose manifest had not yet
    temp_files_left: int = 0  # temporary files a kill left in the lake (named so that no glob reads them)
    wal_left: int = 0  # kills after which the live warehouse had a WAL to recover
    log: list[dict] = field(default_factory=list)


def check_lake(lake: Path, tally: Tally) -> None:
    raw = lake / "raw"
    if not raw.exists():
        return
    for slice_dir in sorted(raw.glob("*/*/dt=*")):
        names = {p.name for p in slice_dir.iterdir()}
        readable = {n for n in names if n.endswith(".parquet")}  # what `*/*.parquet` in the sources reads
        assert readable <= {"data.parquet"}, f"{slice_dir}: unexpected files under a name dbt reads: {readable}"
        others = names - readable - {"_manifest.json"}
        for n in others:
            # Temporary files: `.<name>.<uuid>.tmp`, beside their target; never matched by `*.parquet`.
            assert n.startswith(".") and n.endswith(".tmp"), f"{slice_dir / n}: a file that is neither data, " \
                                                             f"manifest nor a temporary file"
        tally.temp_files_left += len(others)
        rows = pq.read_table(slice_dir / "data.parquet").num_rows if readable else None
        manifest_file = slice_dir / "_manifest.json"
        if manifest_file.exists():
            manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
            assert manifest["fetched"] == manifest["landed"] + manifest["quarantined"] + manifest["duplicates"], \
                f"{slice_dir}: manifest does not balance: {manifest}"
            assert rows == manifest["landed"], f"{slice_dir}: {rows} rows under data.parquet, manifest says " \
                                               f"{manifest['landed']} landed"
        elif readable:
            tally.data_without_manifest += 1
    quarantine = lake / "quarantine"
    if quarantine.exists():
        for records in quarantine.glob("*/*/dt=*/records.jsonl"):
            for line in records.read_text(encoding="utf-8").splitlines():
                json.loads(line)


def check_published(published: Path, reference: "Reference") -> None:
    db = published / "warehouse.duckdb"
    if db.exists():
        assert warehouse_fingerprints(db, reference.marts) == reference.fingerprints, \
            "the published warehouse is not a complete run's"
    link = published / "marts"
    if link.is_symlink() or link.exists():
        assert link.is_symlink() and link.resolve().is_dir(), f"{link} does not point to a version"
        assert parquet_fingerprints(link, reference.marts) == reference.fingerprints, \
            "the published Parquet marts are not a complete run's"
        json.loads((link / "_published.json").read_text())


def check_after_rerun(data: Path, reference: "Reference") -> None:
    assert warehouse_fingerprints(data / "warehouse.duckdb", reference.marts) == reference.fingerprints
    assert warehouse_fingerprints(data / "published" / "warehouse.duckdb", reference.marts) == reference.fingerprints
    assert parquet_fingerprints(data / "published" / "marts", reference.marts) == reference.fingerprints
    assert lake_rows(data / "lake") == reference.lake_rows, "the lake lost or gained rows"
    assert not list((data / "published").glob(".tmp-*")) and not list((data / "published" / ".versions").glob(".tmp-*"))


# ---------------------------------------------------------------- the uninterrupted reference

@dataclass
class Reference:
    marts: list[str]
    fingerprints: dict[str, tuple[int, str]]
    lake_rows: dict[str, int]
    durations: dict[str, float]  # seconds of each phase
    landed_offsets: list[float]  # see landed_offsets()
    nodes: int  # seeds and models dbt builds


@pytest.fixture(scope="module")
def reference(demo_api, tmp_path_factory) -> Reference:
    data = tmp_path_factory.mktemp("crash-reference")
    seen = run_to_completion(data)
    marts = crash_driver.built_marts(data / "warehouse.duckdb")
    fingerprints = warehouse_fingerprints(data / "warehouse.duckdb", marts)
    assert all(rows > 0 for m, (rows, _) in fingerprints.items() if m != "fct_post_commerce_daily"), fingerprints
    # The copy analysts read is the warehouse's marts, row for row.
    assert warehouse_fingerprints(data / "published" / "warehouse.duckdb", marts) == fingerprints
    assert parquet_fingerprints(data / "published" / "marts", marts) == fingerprints
    durations = {"landing": seen["dbt"] - seen["landing"], "dbt": seen["publish"] - seen["dbt"],
                 "publish": seen["done"] - seen["publish"]}
    results = json.loads((data / "target" / "run_results.json").read_text())["results"]
    nodes = sum(r["unique_id"].split(".")[0] in ("model", "seed") for r in results)
    ref = Reference(marts, fingerprints, lake_rows(data / "lake"), durations, landed_offsets(data), nodes)
    shutil.rmtree(data, ignore_errors=True)
    return ref


def _delay(rng: random.Random, reference: Reference, phase: str, lo: float = 0.0, hi: float = 1.0) -> float:
    # Within the phase as the uninterrupted run timed it (90% of it, so the kill lands inside).
    return reference.durations[phase] * 0.9 * rng.uniform(lo, hi)


def _at_a_write(rng: random.Random, reference: Reference) -> dict:
    """After the k-th platform-day is landed, just before the next one is (its slices are being
    written), by the next one's duration in the uninterrupted run; never the last platform-day,
    so that a kill that comes early or late still falls in landing."""
    offsets = [0.0, *reference.landed_offsets]
    k = rng.randrange(len(offsets) - 2)
    return {"after_landed": k, "delay_s": max(0.0, offsets[k + 1] - offsets[k] - rng.uniform(0.0, 0.2))}


def _in_a_model(rng: random.Random, reference: Reference) -> dict:
    """Right after the n-th seed or model has started writing the warehouse (random n)."""
    return {"after_starts": rng.randint(1, reference.nodes), "delay_s": rng.uniform(0.0, 0.3)}


def kill_and_check(data: Path, phase: str, aim: dict, reference: Reference, tally: Tally) -> None:
    outcome = kill_in_phase(data, phase, **aim)
    tally.kills[outcome["hit"]] += 1
    tally.wal_left += (data / "warehouse.duckdb.wal").exists()
    tally.log.append(outcome)
    check_lake(data / "lake", tally)
    check_published(data / "published", reference)


def _report(name: str, tally: Tally, started: float) -> None:
    print(f"\n{name}: kills by phase {tally.kills}; data landed before its manifest {tally.data_without_manifest}; "
          f"lake temp files left {tally.temp_files_left}; WAL left {tally.wal_left}; "
          f"{time.monotonic() - started:.0f}s; {tally.log}")


# ---------------------------------------------------------------- the tests

def test_reference_run_publishes_every_mart(reference):
    """The uninterrupted run builds and publishes every mart, and its phases are long enough to aim at."""
    assert len(reference.marts) >= 14
    assert reference.durations["landing"] > 0.5 and reference.durations["dbt"] > 5, reference.durations


def test_kills_in_landing_dbt_and_publish_leave_nothing_half_done(reference, tmp_path):
    """Three SIGKILLs in a row (landing, aimed at a platform-day's writes; dbt build, right after a
    random model started writing the warehouse; publish), each followed by the lake and published-copy checks; then a re-run
    gives marts, published copy and lake identical to the uninterrupted run's."""
    started, rng, tally = time.monotonic(), random.Random(20261120), Tally()
    data = tmp_path / "crash"
    kill_and_check(data, "landing", _at_a_write(rng, reference), reference, tally)
    kill_and_check(data, "dbt", _in_a_model(rng, reference), reference, tally)
    kill_and_check(data, "publish", {"delay_s": _delay(rng, reference, "publish", 0.1, 0.8)}, reference, tally)
    assert {tally.kills[p] for p in PHASES} == {1}, tally.log
    run_to_completion(data)
    check_after_rerun(data, reference)
    _report("sample", tally, started)


@pytest.mark.exhaustive
def test_many_kills_across_phases_each_followed_by_a_rerun(reference, tmp_path):
    """13 SIGKILLs (4 in landing, 2 of them aimed at the slices' writes; 6 in dbt, 3 spread over its
    whole length, parse and data tests included, 3 right after a random model started; 3 in
    publish), in a seeded
    random order, each checked, each followed by a re-run to completion that must give the
    uninterrupted run's marts, published copy and lake; one data directory throughout, so leftovers
    of every earlier crash are there for the later runs."""
    started, rng, tally = time.monotonic(), random.Random(7), Tally()
    data = tmp_path / "crash"
    plan = [("landing", i / 2, (i + 1) / 2) for i in range(2)] + [("landing", None, None)] * 2 \
        + [("dbt", i / 3, (i + 1) / 3) for i in range(3)] + [("dbt", None, None)] * 3 \
        + [("publish", i / 3, (i + 1) / 3) for i in range(3)]
    rng.shuffle(plan)
    for phase, lo, hi in plan:
        if lo is not None:
            aim = {"delay_s": _delay(rng, reference, phase, lo, hi)}
        else:
            aim = _at_a_write(rng, reference) if phase == "landing" else _in_a_model(rng, reference)
        kill_and_check(data, phase, aim, reference, tally)
        run_to_completion(data)
        check_after_rerun(data, reference)
    assert all(tally.kills[p] >= 2 for p in PHASES), tally.log
    _report("exhaustive", tally, started)
