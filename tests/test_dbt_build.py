"""dbt on its own (no Dagster): `dbt build`, data tests and unit tests included, over a
small demo world landed through the real export API, and the planted truths found."""
import json
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from ingestion.demo.world import default_world
from ingestion.pull import pull_platform_day

ROOT = Path(__file__).resolve().parents[1]
LAST = date(2026, 11, 24)
DAYS = 21  # two weeks in which every planted event happens once, after a week of history


def _planted_day(kind: str, platform: str) -> tuple[str, date]:
    for kol in default_world().kols(platform):
        for i in range(14):
            day = LAST - timedelta(days=i)
            if (kind == "bought" and kol.buys_followers_on(day)) or (kind == "viral" and kol.goes_viral_on(day)):
                return f"{platform}:{kol.account_id}", day
    raise AssertionError(f"no {kind} day for {platform} in the window")


@pytest.fixture(scope="module")
def built(demo_api, tmp_path_factory):
    data = tmp_path_factory.mktemp("dbt")
    lake = data / "lake"
    for i in range(DAYS):
        for platform in ("weibo", "instagram"):
            pull_platform_day(platform, LAST - timedelta(days=i), lake=lake)
    env = os.environ | {"KOL_LAKE_DIR": str(lake), "KOL_WAREHOUSE_PATH": str(data / "warehouse.duckdb")}
    dbt = str(Path(sys.executable).parent / "dbt")
    proc = subprocess.run([dbt, "build", "--target-path", str(data / "target")], cwd=ROOT / "dbt_project",
                          env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-4000:]
    results = json.loads((data / "target" / "run_results.json").read_text())["results"]
    return data / "warehouse.duckdb", results


def test_plain_dbt_build_passes_models_data_tests_and_unit_tests(built):
    _, results = built
    kinds = {}
    for r in results:
        kinds.setdefault(r["unique_id"].split(".")[0], []).append(r["status"])
    assert kinds["model"] and set(kinds["model"]) == {"success"}
    assert len(kinds["test"]) > 50 and set(kinds["test"]) == {"pass"}
    assert kinds["unit_test"] and set(kinds["unit_test"]) == {"pass"}


def test_bought_followers_are_flagged_and_a_viral_spike_is_not(built):
    warehouse, _ = built
    buyer, bought_day = _planted_day("bought", "weibo")
    star, viral_day = _planted_day("viral", "weibo")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        flagged = con.execute("select account_key, date_day from fct_followers_daily where is_suspicious_growth").fetchall()
        star_jump = con.execute("select is_follower_jump, is_engagement_backed from fct_followers_daily "
                                "where account_key = ? and date_day = ?", [star, viral_day]).fetchone()
    assert (buyer, bought_day) in flagged
    assert all(key != star for key, _ in flagged)
    assert star_jump == (True, True), "the viral day is a jump, and engagement backs it"


def test_eastern_kols_reply_more_than_western_ones(built):
    warehouse, _ = built
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rates = dict(con.execute("select region, avg(reply_rate_trailing) from fct_account_interactions_daily "
                                 "where date_day = ? group by region", [LAST]).fetchall())
    assert rates["East"] > 2 * rates["West"]


def test_credibility_is_the_sum_of_its_components_and_the_buyer_loses_points(built):
    warehouse, _ = built
    buyer, _ = _planted_day("bought", "weibo")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute("""
            select account_key, credibility_score, engagement_points + reciprocity_points
                   + growth_authenticity_points + audience_authenticity_points, growth_authenticity_points
            from fct_kol_credibility_daily where date_day = ? and platform = 'weibo'""", [LAST]).fetchall()
    assert rows and all(abs(float(score) - float(parts)) < 0.011 for _, score, parts, _ in rows)
    growth = {key: float(g) for key, _, _, g in rows}
    assert growth[buyer] < max(growth.values())
