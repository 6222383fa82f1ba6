"""The same warehouse on Apache Spark (issue 10): the tiny demo world, all nine platforms and the
inbox's file drops (commerce.csv, WeChat's dashboard export) for DAYS days, built once by DuckDB
(target dev) and once by Spark (target spark: dbt-spark's session method, PySpark in local mode
in the dbt process). Every mart (every model under models/marts) must hold the same rows on both
engines: same columns, same row count, same keys, same values (floats within 1e-9 relative or
absolute, timestamps compared in UTC). The Spark marts are read from the Parquet files Spark
wrote, by DuckDB's Parquet reader, not through Spark, so that the comparison does not trust the
engine it checks. Both builds are `dbt build` of the seeds and models (data and unit tests run
on DuckDB in the rest of the suite); Spark then rebuilds three daily marts' last two days
incrementally (insert_overwrite of their partitions, as a nightly run) before the comparison.
The durations are printed (-s).

Skips, saying why, without Java or without pyspark / dbt-spark (`make setup` installs them,
`make system-deps` installs Debian's openjdk-17-jre-headless)."""
from __future__ import annotations

import importlib.util
import json
import math
import os
import shutil
import subprocess
import sys
import time
from datetime import date, datetime, time as dtime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from tests.conftest import TOKENS

DBT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"
LAST = date(2026, 11, 24)
DAYS = 10  # enough for every trailing window to hold several days, and for follower jumps
PLATFORMS = tuple(TOKENS)  # all nine
SPARK_SCHEMA = "kol"
REL_TOL = ABS_TOL = 1e-9
SHOWN = 5  # differing rows shown per mart
# Daily marts rebuilt incrementally on Spark after the full build (see `built`).
NIGHTLY = ("fct_post_commerce_daily", "fct_wechat_wci_daily", "fct_platform_benchmarks")
# The grain the marts' YAML tests declare unique, where it is not the unique_key config: the
# dimensions have none, and fct_platform_benchmarks rebuilds whole days (unique_key date_day).
KEYS = {"dim_kol": ["account_key"], "dim_kol_history": ["account_key", "valid_from"],
        "fct_platform_benchmarks": ["date_day", "benchmark_level", "platform", "region", "tier", "niche"]}


def _why_no_spark() -> str | None:
    if shutil.which("java") is None:
        return "no `java` on PATH: Spark needs a JRE 17 (Debian: openjdk-17-jre-headless; `make system-deps`)"
    for module, package in (("pyspark", "pyspark"), ("dbt.adapters.spark", "dbt-spark[session]")):
        try:
            found = importlib.util.find_spec(module) is not None
        except ModuleNotFoundError:
            found = False
        if not found:
            return f"{package} is not installed (`make setup` installs the pinned version)"
    return None


pytestmark = [pytest.mark.spark, pytest.mark.slow,
              pytest.mark.skipif(_why_no_spark() is not None, reason=_why_no_spark() or "")]


def land_tiny_lake(data: Path, days: int = DAYS) -> Path:
    """``days`` days up to LAST of the nine platforms from the demo export API (tiny world), and
    each day's commerce.csv of every platform and WeChat's dashboard export dropped in the inbox
    and landed; returns the lake."""
    from ingestion.demo.generate import commerce_csv
    from ingestion.demo.server import MODULES, DemoExportServer
    from ingestion.demo.world import World
    from ingestion.inbox import process_inbox
    from ingestion.pull import pull_platform_day
    from ingestion.settings import PlatformSettings

    lake, inbox = data / "lake", data / "inbox"
    world = World(seed=7, preset="tiny")
    first = LAST - timedelta(days=days - 1)
    with DemoExportServer(world=world, tokens=TOKENS) as server:
        for i in range(days):
            for platform in PLATFORMS:
                settings = PlatformSettings(platform, server.base_url(platform), TOKENS[platform])
                pull_platform_day(platform, first + timedelta(days=i), lake=lake, settings=settings,
                                  accounts=[k.account_id for k in world.kols(platform)])
    inbox.mkdir(parents=True, exist_ok=True)
    for i in range(days):
        day = first + timedelta(days=i)
        for platform in PLATFORMS:
            (inbox / f"commerce_{platform}_{day}.csv").write_bytes(commerce_csv(world, platform, day))
        for name, payload in MODULES["wechat"].export_files(world, day).items():
            (inbox / name).write_bytes(payload)
    _drop_unified_comments(lake, inbox)
    morning_after = datetime.combine(LAST + timedelta(days=1), dtime(6), tzinfo=timezone.utc)
    reports = process_inbox(inbox, lake, now=morning_after)
    assert reports and {r.status for r in reports} == {"landed"}, [r.line() for r in reports]
    return lake


def _drop_unified_comments(lake: Path, inbox: Path) -> None:
    """A unified comments file for LAST's Weibo posts: ten comments the API also served (its copy
    wins) and ten it never did (they count), so that both engines apply the same rule."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    import pyarrow.compute as pc

    api = pq.read_table(next((lake / "raw" / "weibo" / "comments" / f"dt={LAST}").glob("*.parquet")))
    # written on LAST, so the inbox lands the file's copy on the same lake day as the API's
    api = api.filter(pc.equal(pc.cast(api.column("created_at"), pa.date32()), pa.scalar(LAST, pa.date32()))).slice(0, 10)
    assert api.num_rows == 10
    ids = api.column("id").to_pylist()
    rows = {"platform": ["weibo"] * 20,
            "account_id": api.column("status_user_id").to_pylist() * 2,
            "post_id": api.column("status_id").to_pylist() * 2,
            "comment_id": ids + [f"9{n:015d}" for n in range(10)],
            "commenter_id": [f"file_fan_{n % 4}" for n in range(20)],
            "commented_at": api.column("created_at").to_pylist() * 2,
            "comment_text": [f"从文件导入的评论 {n}" for n in range(20)]}
    pq.write_table(pa.table(rows), inbox / f"comments__bulk_{LAST}.parquet")


def dbt_build(data: Path, target: str, *args: str) -> float:
    """`dbt build` of the seeds and models with ``target`` into ``data`` (warehouse.duckdb, or
    spark-warehouse/), with dbt ``args``; returns its wall-clock seconds."""
    env = os.environ | {"KOL_LAKE_DIR": str(data / "lake"),
                        "KOL_WAREHOUSE_PATH": str(data / "warehouse.duckdb"),
                        "KOL_SPARK_WAREHOUSE_DIR": str(data / "spark-warehouse"),
                        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    env.pop("KOL_DBT_TARGET", None)
    dbt = str(Path(sys.executable).parent / "dbt")
    started = time.monotonic()
    proc = subprocess.run([dbt, "build", "--target", target, "--exclude-resource-type", "test", "unit_test", *args,
                           "--target-path", str(data / f"target-{target}"), "--log-path", str(data / f"logs-{target}")],
                          cwd=DBT_DIR, env=env, capture_output=True, text=True, timeout=2400)
    seconds = time.monotonic() - started
    lines = [line for line in proc.stdout.splitlines() if not line.startswith("{")]  # Spark's JSON log lines
    assert proc.returncode == 0, f"dbt build --target {target} failed:\n" + "\n".join(lines[-80:])
    return seconds


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    data = tmp_path_factory.mktemp("spark")
    started = time.monotonic()
    land_tiny_lake(data)
    landed = time.monotonic() - started
    seconds = {"duckdb": dbt_build(data, "dev"), "spark": dbt_build(data, "spark")}
    # then a nightly step on Spark: daily marts' last two days again, written by insert_overwrite
    # of their date_day partitions; the marts must still equal DuckDB's. Three of the thirteen
    # (the cheapest to plan: each Spark query costs seconds whatever the data), which exercise the
    # same incremental materialization as the others.
    window = {"min_date": (LAST - timedelta(days=1)).isoformat(), "max_date": LAST.isoformat()}
    seconds["spark nightly"] = dbt_build(data, "spark", "--select", *NIGHTLY, "--vars", json.dumps(window))
    print(f"\nlanded {DAYS} days of {len(PLATFORMS)} platforms and their file drops in {landed:.1f}s; "
          f"dbt build (seeds and models) of the tiny warehouse: DuckDB {seconds['duckdb']:.1f}s, "
          f"Spark {seconds['spark']:.1f}s; Spark's nightly run of {len(NIGHTLY)} daily marts (2 days) "
          f"{seconds['spark nightly']:.1f}s")
    manifest = json.loads((data / "target-dev" / "manifest.json").read_text())
    marts = {node["name"]: KEYS.get(node["name"]) or node["config"].get("unique_key")
             for node in manifest["nodes"].values()
             if node["resource_type"] == "model" and node["original_file_path"].startswith("models/marts/")}
    return data, marts, seconds


def _normalise(value):
    """A value comparable across engines: instants in UTC, decimals as they are."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
    return value


def _equal(a, b) -> bool:
    a, b = _normalise(a), _normalise(b)
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float, Decimal)) and isinstance(b, (int, float, Decimal)):
        if isinstance(a, (int, Decimal)) and isinstance(b, (int, Decimal)):
            return a == b
        a, b = float(a), float(b)
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=ABS_TOL)
    return a == b


def _rows(con, sql: str) -> tuple[list[str], list[tuple]]:
    cursor = con.execute(sql)
    return [d[0] for d in cursor.description], cursor.fetchall()


def _type_family(sql_type: str) -> str:
    """Integer widths and the two timestamp spellings aside, a column's type must be the same."""
    t = sql_type.upper()
    if t.startswith("TIMESTAMP"):
        return "timestamp"
    if t in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT"):
        return "integer"
    if t in ("FLOAT", "DOUBLE", "REAL"):
        return "float"
    return t


def compare_mart(con, spark_dir: Path, mart: str, key: list[str] | str) -> str | None:
    """None when ``mart`` holds the same rows in the DuckDB warehouse (attached as `duck`) and in
    Spark's Parquet files under ``spark_dir``; else what differs."""
    key = [key] if isinstance(key, str) else list(key)
    files = spark_dir / f"{SPARK_SCHEMA}.db" / mart
    if not any(files.rglob("*.parquet")):
        return f"{mart}: Spark wrote no Parquet file under {files}"
    duck_columns, duck_rows = _rows(con, f'select * from duck.main."{mart}"')
    spark_columns, spark_rows = _rows(con, f"select * from read_parquet('{files}/**/*.parquet', hive_partitioning = true)")
    if sorted(duck_columns) != sorted(spark_columns):
        return (f"{mart}: columns differ; only DuckDB: {sorted(set(duck_columns) - set(spark_columns))}, "
                f"only Spark: {sorted(set(spark_columns) - set(duck_columns))}")
    types = {}
    for side, sql in (("duckdb", f'describe duck.main."{mart}"'),
                      ("spark", f"describe select * from read_parquet('{files}/**/*.parquet', hive_partitioning = true)")):
        for name, sql_type, *_ in con.execute(sql).fetchall():
            types.setdefault(name, {})[side] = _type_family(sql_type)
    mistyped = {c: t for c, t in types.items() if t.get("duckdb") != t.get("spark")}
    if mistyped:
        return f"{mart}: column types differ (DuckDB, Spark): {mistyped}"
    # Spark puts partition columns last: compare by name, in DuckDB's order
    order = [spark_columns.index(c) for c in duck_columns]
    spark_rows = [tuple(row[i] for i in order) for row in spark_rows]
    at = [duck_columns.index(c) for c in key]

    def by_key(rows):
        keyed = {}
        for row in rows:
            keyed.setdefault(tuple(_normalise(row[i]) for i in at), []).append(row)
        return keyed

    duck, spark = by_key(duck_rows), by_key(spark_rows)
    problems = []
    if len(duck_rows) != len(spark_rows):
        problems.append(f"{len(duck_rows)} rows on DuckDB, {len(spark_rows)} on Spark")
    duplicated = [k for k, rows in list(duck.items()) + list(spark.items()) if len(rows) > 1]
    if duplicated:
        problems.append(f"key {key} not unique, e.g. {duplicated[:SHOWN]}")
    only_duck, only_spark = sorted(set(duck) - set(spark), key=str), sorted(set(spark) - set(duck), key=str)
    if only_duck:
        problems.append(f"{len(only_duck)} keys only on DuckDB, e.g. {only_duck[:SHOWN]}")
    if only_spark:
        problems.append(f"{len(only_spark)} keys only on Spark, e.g. {only_spark[:SHOWN]}")
    differing = []
    for k in sorted(set(duck) & set(spark), key=str):
        a, b = duck[k][0], spark[k][0]
        columns = [c for i, c in enumerate(duck_columns) if not _equal(a[i], b[i])]
        if columns:
            differing.append((k, {c: (a[duck_columns.index(c)], b[duck_columns.index(c)]) for c in columns}))
    if differing:
        counts = {}
        for _, cells in differing:
            for c in cells:
                counts[c] = counts.get(c, 0) + 1
        problems.append(f"{len(differing)} rows differ, by column {counts}; e.g. (DuckDB, Spark): "
                        + "; ".join(f"{k}: {cells}" for k, cells in differing[:SHOWN]))
    return f"{mart} ({len(duck_rows)} rows): " + " | ".join(problems) if problems else None


def test_every_mart_is_equal_on_duckdb_and_spark(built):
    data, marts, _ = built
    assert len(marts) >= 15, sorted(marts)
    assert all(marts.values()), {m: k for m, k in marts.items() if not k}
    with duckdb.connect() as con:
        con.execute(f"attach '{data / 'warehouse.duckdb'}' as duck (read_only)")
        con.execute("set TimeZone = 'UTC'")
        differences = [d for d in (compare_mart(con, data / "spark-warehouse", m, marts[m]) for m in sorted(marts)) if d]
        empty = [m for m in marts if con.execute(f'select count(*) from duck.main."{m}"').fetchone()[0] == 0]
    assert not differences, f"{len(differences)} of {len(marts)} marts differ:\n" + "\n\n".join(differences)
    # a comparison of empty tables proves nothing: the tiny lake fills every mart
    assert not empty, f"marts without a row on the tiny lake: {empty}"


def test_spark_marts_are_parquet_tables_in_the_warehouse_dir(built):
    data, marts, _ = built
    base = data / "spark-warehouse" / f"{SPARK_SCHEMA}.db"
    # the daily marts are partitioned by day, as insert_overwrite replaces days
    assert sorted(p.name for p in (base / "fct_followers_daily").iterdir() if p.name.startswith("date_day="))
    for mart in marts:
        assert any((base / mart).rglob("*.parquet")), mart
    # the metastore stays under the warehouse dir, never in the source tree
    assert (data / "spark-warehouse" / "_metastore" / "metastore_db").is_dir()
    assert not (DBT_DIR / "metastore_db").exists() and not (DBT_DIR / "spark-warehouse").exists()
