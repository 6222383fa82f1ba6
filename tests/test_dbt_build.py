"""dbt on its own (no Dagster): `dbt build`, data tests and unit tests included, over a
small demo world landed through the real export API, and the planted truths found."""
import json
from datetime import date, timedelta

import duckdb
import pytest

from ingestion.demo.world import default_world
from tests.conftest import land_and_build

LAST = date(2026, 11, 24)
DAYS = 35  # five weeks: every planted event twice with a warm baseline, the late-posted viral day included
FIRST = LAST - timedelta(days=DAYS - 1)
BASELINE_DAYS = 7  # var engagement_baseline_days: a day's baseline is warm with this much history
PLATFORMS = ("weibo", "instagram")


def _planted(kind: str, platform: str) -> tuple[str, list[date]]:
    """From the demo world's answer key: the platform's account planted with `kind`
    ("bought_followers" or "viral_post") and its planted days whose engagement baseline is
    warm (at least BASELINE_DAYS landed days before them)."""
    truth = default_world().ground_truth(FIRST + timedelta(days=BASELINE_DAYS), LAST)
    events = [e for e in truth["events"] if e["kind"] == kind and e["platform"] == platform]
    assert events, f"no {kind} day with a warm baseline for {platform} in {FIRST} .. {LAST}"
    (account,) = {e["account_id"] for e in events}
    return f"{platform}:{account}", sorted(date.fromisoformat(e["day"]) for e in events)


@pytest.fixture(scope="module")
def built(demo_api, tmp_path_factory):
    # A lake of two platforms: the other platforms' staging is switched off by var kol_platforms.
    return land_and_build(tmp_path_factory.mktemp("dbt"), PLATFORMS, LAST, DAYS,
                          ["--vars", json.dumps({"kol_platforms": list(PLATFORMS)})])


def test_plain_dbt_build_passes_models_data_tests_and_unit_tests(built):
    _, results = built
    kinds = {}
    for r in results:
        kinds.setdefault(r["unique_id"].split(".")[0], []).append(r["status"])
    assert kinds["model"] and set(kinds["model"]) == {"success"}
    assert len(kinds["test"]) > 50 and set(kinds["test"]) == {"pass"}
    assert kinds["unit_test"] and set(kinds["unit_test"]) == {"pass"}


@pytest.mark.parametrize("platform", PLATFORMS)
def test_bought_followers_are_flagged_and_a_viral_spike_is_not(built, platform):
    warehouse, _ = built
    buyer, bought_days = _planted("bought_followers", platform)
    star, viral_days = _planted("viral_post", platform)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        flagged = set(con.execute("select account_key, date_day from fct_followers_daily "
                                  "where platform = ? and is_suspicious_growth", [platform]).fetchall())
        star_days = dict(con.execute(
            "select date_day, (is_follower_jump, is_engagement_backed) from fct_followers_daily "
            "where account_key = ?", [star]).fetchall())
    for day in bought_days:
        assert (buyer, day) in flagged, f"{buyer} bought followers on {day}"
    for day in viral_days:
        assert star_days[day] == (True, True), f"{star}'s viral day {day} is a jump, and engagement backs it"
    # no day of the viral account is suspicious, the lake's first days included, and only the buyer is
    assert {key for key, _ in flagged} == {buyer}, sorted(flagged)


def test_eastern_kols_reply_more_than_western_ones(built):
    warehouse, _ = built
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rates = dict(con.execute("select region, avg(reply_rate_trailing) from fct_account_interactions_daily "
                                 "where date_day = ? group by region", [LAST]).fetchall())
    assert rates["East"] > 2 * rates["West"]


@pytest.mark.parametrize("platform", PLATFORMS)
def test_credibility_is_the_sum_of_its_components_and_the_buyer_loses_points(built, platform):
    warehouse, _ = built
    buyer, _ = _planted("bought_followers", platform)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute("""
            select credibility.account_key, credibility_score, engagement_points + reciprocity_points
                   + growth_authenticity_points + audience_authenticity_points, growth_authenticity_points,
                   followers.suspicious_growth_days_trailing
            from fct_kol_credibility_daily as credibility
            join fct_followers_daily as followers using (account_key, date_day)
            where date_day = ? and credibility.platform = ?""", [LAST, platform]).fetchall()
    assert len(rows) == len(default_world().kols(platform))
    assert all(abs(float(score) - float(parts)) < 0.011 for _, score, parts, _, _ in rows)
    growth = {key: float(g) for key, _, _, g, _ in rows}
    suspicious_days = {key: n for key, _, _, _, n in rows}
    assert suspicious_days[buyer] >= 1, "the purchase is inside the trailing window"
    others = {key: g for key, g in growth.items() if key != buyer}
    assert all(growth[buyer] < g for g in others.values()), (buyer, growth)


def test_any_past_day_has_exactly_one_version_of_each_kol_and_today_is_dim_kol(built):
    warehouse, _ = built
    with duckdb.connect(str(warehouse), read_only=True) as con:
        as_of = con.execute("""
            select days.day, dim_kol.account_key, count(history.account_key)
            from (select unnest(range(?::date, ?::date + 1, interval 1 day))::date as day) as days
            cross join dim_kol
            left join dim_kol_history as history
              on history.account_key = dim_kol.account_key
             and history.valid_from <= days.day and (history.valid_to is null or days.day < history.valid_to)
            where days.day >= dim_kol.first_snapshot_date
            group by all""", [FIRST, LAST]).fetchall()
        current = con.execute("""
            select count(*), count(*) filter (where history.handle is not distinct from dim_kol.handle
                                                and history.tier is not distinct from dim_kol.tier)
            from dim_kol_history as history join dim_kol using (account_key)
            where history.is_current""").fetchone()
        versions = con.execute("select count(*), count(distinct account_key) from dim_kol_history").fetchone()
    assert as_of and {n for *_, n in as_of} == {1}, [row for row in as_of if row[2] != 1][:5]
    assert current[0] == current[1] == versions[1]
    assert versions[0] > versions[1], "in five weeks some KOL changed tier: history has more than one version"
