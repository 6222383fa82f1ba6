"""The benchmarks' own logic (not their speed): the year of history they build by moving real days
back in time, the hand-written DuckDB reference they compare dbt with, and the dbt selections they
share with the Dagster assets."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from bench import history
from bench.reference import PLATFORM_COLUMNS, reference_sql

DAY = date(2026, 11, 20)


def test_a_copy_moves_every_date_and_time_back_and_renumbers_only_content_ids():
    ts = datetime(2026, 11, 20, 9, 30, tzinfo=timezone.utc)
    table = pa.table({
        "id": ["c1", "c2", None],
        "status_id": ["p1", "p1", "p2"],
        "user_id": ["fan", "kol", "fan"],  # a person: the same in every copy
        "created_at": pa.array([ts, ts, None], pa.timestamp("us", tz="UTC")),
        "snapshot_date": pa.array([DAY, DAY, DAY], pa.date32()),
        "likes": [1, 2, 3],
    })
    shifted = history.shift_table(table, 7, "003", ["id", "status_id"])
    assert shifted.schema == table.schema
    out = shifted.to_pydict()
    assert out["id"] == ["003c1", "003c2", None]
    assert out["status_id"] == ["003p1", "003p1", "003p2"]
    assert out["user_id"] == ["fan", "kol", "fan"]
    assert out["created_at"][:2] == [ts - timedelta(days=7)] * 2 and out["created_at"][2] is None
    assert out["snapshot_date"] == [DAY - timedelta(days=7)] * 3
    assert out["likes"] == [1, 2, 3]


def _slice(lake: Path, platform: str, entity: str, day: date, table: pa.Table) -> None:
    where = lake / "raw" / platform / entity / f"dt={day.isoformat()}"
    where.mkdir(parents=True)
    pq.write_table(table, where / "data.parquet")
    (where / "_manifest.json").write_text(json.dumps({"day": day.isoformat(), "fetched": table.num_rows,
                                                      "landed": table.num_rows}))


def test_replicated_history_is_whole_blocks_of_consistent_days(tmp_path):
    lake = tmp_path / "lake"
    real = [DAY - timedelta(days=1), DAY]
    for d in real:
        _slice(lake, "weibo", "posts", d, pa.table({"id": [f"p{d.day}"], "user_id": ["kol"],
                                                    "created_at": pa.array([datetime(d.year, d.month, d.day, 8,
                                                                                     tzinfo=timezone.utc)],
                                                                           pa.timestamp("us", tz="UTC"))}))
        _slice(lake, "weibo", "comments", d, pa.table({"id": [f"c{d.day}"], "status_id": [f"p{d.day}"],
                                                       "status_user_id": ["kol"], "user_id": ["fan"]}))
    first = DAY - timedelta(days=6)
    written = history.replicate(lake, real[0], real[-1], first)
    # 7 days: the 2 real ones and 5 copies (days 14..18), each of posts and comments.
    assert written == 10
    days = sorted(p.name for p in (lake / "raw" / "weibo" / "posts").iterdir())
    assert days == [f"dt={(first + timedelta(days=i)).isoformat()}" for i in range(7)]
    for d in range(7):
        day = first + timedelta(days=d)
        posts = pq.read_table(lake / "raw/weibo/posts" / f"dt={day}" / "data.parquet").to_pylist()
        comments = pq.read_table(lake / "raw/weibo/comments" / f"dt={day}" / "data.parquet").to_pylist()
        # every comment of a copied day answers a post of the same copy, and times follow the day
        assert comments[0]["status_id"] == posts[0]["id"]
        assert posts[0]["created_at"].date() == day
        manifest = json.loads((lake / "raw/weibo/posts" / f"dt={day}" / "_manifest.json").read_text())
        assert manifest["day"] == day.isoformat()
    ids = [pq.read_table(p).column("id")[0].as_py() for p in sorted((lake / "raw/weibo/posts").glob("*/data.parquet"))]
    assert len(set(ids)) == 7, "each copy's posts are new posts"


def test_subset_lake_links_only_the_days_asked_for(tmp_path):
    built = tmp_path / "hist"
    for d in range(5):
        _slice(built / "lake", "x", "posts", DAY - timedelta(days=d), pa.table({"id": [str(d)]}))
    sub = history.subset_lake(built, DAY - timedelta(days=2), DAY, tmp_path / "sub")
    got = sorted(p.name for p in (sub / "raw" / "x" / "posts").iterdir())
    assert got == [f"dt={(DAY - timedelta(days=i)).isoformat()}" for i in (2, 1, 0)]
    rows = duckdb.execute(f"select count(*) from read_parquet('{sub}/raw/x/posts/*/*.parquet')").fetchone()[0]
    assert rows == 3


def test_reference_sql_computes_followers_engagement_and_replies_per_account_day(tmp_path):
    lake = tmp_path / "lake"
    _slice(lake, "weibo", "profiles", DAY, pa.table({"user_id": ["k1", "k2"], "followers_count": [1000, 50],
                                                     "snapshot_date": pa.array([DAY, DAY], pa.date32())}))
    _slice(lake, "weibo", "post_metrics", DAY, pa.table({
        "user_id": ["k1", "k1", "k2"], "id": ["p1", "p2", "p3"], "attitudes_count": [10, 20, 1],
        "comments_count": [3, None, 0], "reposts_count": [1, 1, 0],
        "snapshot_date": pa.array([DAY] * 3, pa.date32())}))
    _slice(lake, "weibo", "comments", DAY, pa.table({
        "status_user_id": ["k1", "k1", "k1", "k1"], "user_id": ["a", "a", "b", "k1"], "id": ["1", "2", "3", "4"]}))
    con = duckdb.connect()
    con.execute(reference_sql(str(lake), DAY.isoformat(), DAY.isoformat(), platforms=("weibo",)))
    rows = {r[0]: r[1:] for r in con.execute(
        "select account_id, followers, engagement, follower_comments, creator_replies, unique_commenters, reply_rate "
        "from reference_account_day").fetchall()}
    assert rows["k1"] == (1000, 35, 3, 1, 2, pytest.approx(1 / 3))
    assert rows["k2"] == (50, 1, None, None, None, None)


def test_reference_knows_every_platform_the_lake_holds():
    from ingestion.demo.world import PLATFORMS

    assert set(PLATFORM_COLUMNS) == set(PLATFORMS) == set(history.PLATFORMS)
    assert set(history.CONTENT_IDS) == set(PLATFORMS) | {"files"}


def test_benchmark_selections_cover_every_model_once():
    """The nightly run's two dbt invocations (shared by the assets and the benchmarks) between
    them build every model exactly once, and the second holds exactly the incremental marts."""
    from orchestration.assets.dbt import INCREMENTAL, REBUILT_WHOLE
    from orchestration.resources import dbt_project

    manifest = json.loads(Path(dbt_project.manifest_path).read_text())
    models = {k: v for k, v in manifest["nodes"].items() if v["resource_type"] == "model"}
    daily = {k for k, v in models.items() if v["original_file_path"].startswith("models/marts/daily/")}
    incremental_marts = {k for k, v in models.items()
                         if v["config"]["materialized"] == "incremental" and k.split(".")[-1] != "int_post_niches"}
    assert INCREMENTAL == "fqn:kol_warehouse.marts.daily" and daily == incremental_marts
    first = {k for k, v in models.items()
             if v["original_file_path"].startswith(("models/staging/", "models/intermediate/"))
             or v["config"]["materialized"] == "table"}
    assert REBUILT_WHOLE.split() == ["resource_type:seed", "fqn:kol_warehouse.staging",
                                     "fqn:kol_warehouse.intermediate", "config.materialized:table"]
    assert first | daily == set(models) and not first & daily


def test_dagster_assets_split_the_models_as_the_selections_say():
    """dagster-dbt resolves the selections itself (from any working directory): the two dbt
    assets hold every model and seed once, the daily marts exactly the models of marts/daily."""
    from orchestration.assets.dbt import kol_dbt_daily_marts, kol_dbt_models
    from orchestration.resources import dbt_project

    manifest = json.loads(Path(dbt_project.manifest_path).read_text())
    nodes = {v["name"]: v for v in manifest["nodes"].values() if v["resource_type"] in ("model", "seed")}
    whole = {k.path[-1] for k in kol_dbt_models.keys}
    daily = {k.path[-1] for k in kol_dbt_daily_marts.keys}
    assert daily == {n for n, v in nodes.items() if v["original_file_path"].startswith("models/marts/daily/")}
    assert whole | daily == set(nodes) and not whole & daily
    assert "int_post_niches" in whole and "dim_kol" in whole


def test_warehouse_history_is_cut_or_extended_by_whole_days(tmp_path):
    from bench.warehouse import extend_back, keep_days_from

    path = tmp_path / "w.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create table fct (account_key varchar, date_day date, n int)")
        con.execute("create table dim (account_key varchar)")
        con.execute("insert into fct select 'a', date '2026-11-20' + cast(i as integer), i from range(5) t(i)")
        con.execute("insert into dim values ('a')")
    # 5 days (11-20..24) repeated back to 11-08: two whole copies and 3 days of a third
    assert extend_back(path, date(2026, 11, 20), 5, date(2026, 11, 8)) == 12
    with duckdb.connect(str(path)) as con:
        days = [r[0] for r in con.execute("select date_day from fct order by 1").fetchall()]
        assert days == [date(2026, 11, 8) + timedelta(days=i) for i in range(17)]
        assert con.execute("select n from fct where date_day = date '2026-11-10'").fetchone()[0] == 0  # 11-20, 2 copies back
        assert con.execute("select n from fct where date_day = date '2026-11-08'").fetchone()[0] == 3  # 11-23, 3 back
        assert con.execute("select count(*) from dim").fetchone()[0] == 1
    assert keep_days_from(path, date(2026, 11, 22)) == 14
    with duckdb.connect(str(path)) as con:
        assert con.execute("select min(date_day), count(*) from fct").fetchone() == (date(2026, 11, 22), 3)
