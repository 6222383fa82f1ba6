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
    components = ("reach_momentum", "community_engagement", "reciprocity", "expertise_focus", "retail_sway",
                  "authenticity")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(f"""
            select account_key, credibility_score, {" + ".join(f"coalesce({c}_points, 0)" for c in components)},
                   growth_authenticity, suspicious_growth_days_trailing, known_weight
            from fct_kol_credibility_daily
            where date_day = ? and platform = ?""", [LAST, platform]).fetchall()
    assert len(rows) == len(default_world().kols(platform))
    assert all(score is not None and abs(float(score) - float(parts)) < 0.011 for _, score, parts, *_ in rows), rows
    growth = {key: g for key, _, _, g, _, _ in rows}
    suspicious_days = {key: n for key, _, _, _, n, _ in rows}
    assert suspicious_days[buyer] >= 1, "the purchase is inside the trailing window"
    # lower than every account without a growth fraud (mass following is one too)
    roles = _roles(platform)
    honest = [g for key, g in growth.items() if roles[key] not in ("bought_followers", "mass_follow_back")]
    assert honest and all(growth[buyer] < g for g in honest), (buyer, growth)
    # no commerce file was dropped in this lake: retail sway is unknown everywhere and left out
    assert {w for *_, w in rows} <= {90}, "every other component is known after five weeks"


def _roles(platform: str) -> dict[str, str | None]:
    """account_key -> planted role (None for an ordinary KOL), from the answer key."""
    truth = default_world().ground_truth(FIRST, LAST)
    return {f"{a['platform']}:{a['account_id']}": a["role"] for a in truth["accounts"] if a["platform"] == platform}


FRAUD_ROLES = ("bought_followers", "engagement_pod", "mass_follow_back")


def _percentile(values: list, q: float) -> float:
    """Continuous percentile (linear between ranks), as SQL's quantile_cont."""
    values = sorted(values)
    position = (len(values) - 1) * q
    low = int(position)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (position - low)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_planted_fraud_ranks_in_the_lowest_decile_of_authenticity(built, platform):
    """Every account planted with a fraud (bought followers, an engagement pod, mass following
    to be followed back) scores on authenticity below the 10th percentile of the ordinary
    accounts of its platform, on every day of the last week."""
    warehouse, _ = built
    roles = _roles(platform)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute("select date_day, account_key, authenticity_subscore from fct_kol_credibility_daily "
                           "where platform = ? and date_day > ?", [platform, LAST - timedelta(days=7)]).fetchall()
    by_day: dict = {}
    for day, key, subscore in rows:
        by_day.setdefault(day, {})[key] = subscore
    assert len(by_day) == 7
    fraud = [key for key, role in roles.items() if role in FRAUD_ROLES]
    assert len(fraud) >= 4, roles
    for day, scores in sorted(by_day.items()):
        ordinary = sorted(scores[key] for key, role in roles.items() if role is None and scores[key] is not None)
        assert len(ordinary) >= 3, (day, scores)
        decile = _percentile(ordinary, 0.1)
        caught = {key: scores[key] for key in fraud}
        assert all(v is not None and v < decile for v in caught.values()), (day, decile, caught, ordinary)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_bought_comments_rank_in_the_lowest_decile_of_authenticity(built, platform):
    """The bot_comments KOL's bought comments (generic text from a dozen accounts that write
    nothing of substance under post after post) make it a low-quality-commenter case: its
    authenticity falls below the 10th percentile of the ordinary accounts."""
    warehouse, _ = built
    roles = _roles(platform)
    (bot,) = [key for key, role in roles.items() if role == "bot_comments"]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        scores = dict(con.execute("select account_key, authenticity_subscore from fct_kol_credibility_daily "
                                  "where platform = ? and date_day = ?", [platform, LAST]).fetchall())
    ordinary = sorted(scores[key] for key, role in roles.items() if role is None)
    assert scores[bot] < _percentile(ordinary, 0.1)


def test_the_niche_expert_outscores_the_nonchalant_mega_influencer(built):
    """The article's two poles: a small specialist who answers its followers, and a Western
    star with over a million followers who never replies."""
    warehouse, _ = built
    roles = _roles("instagram")
    (expert,) = [key for key, role in roles.items() if role == "niche_expert"]
    (mega,) = [key for key, role in roles.items() if role == "nonchalant_mega"]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute("select date_day, account_key, credibility_score, followers from fct_kol_credibility_daily "
                           "where account_key in (?, ?) and date_day > ?", [expert, mega, LAST - timedelta(days=7)]
                           ).fetchall()
    scores: dict = {}
    for day, key, score, followers in rows:
        scores.setdefault(day, {})[key] = (score, followers)
    assert len(scores) == 7
    for day, pair in scores.items():
        assert pair[mega][1] > 1_000_000 and pair[expert][1] < 20_000, pair
        assert pair[expert][0] > pair[mega][0] + 10, (day, pair)


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


def test_every_model_and_every_column_is_described(built):
    """docs: each model built, and each column it actually has in the warehouse, carries a
    description in its YAML (sources and seeds too)."""
    warehouse, _ = built
    manifest = json.loads((warehouse.parent / "target" / "manifest.json").read_text())
    missing = []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        relations = {name for (name,) in con.execute("select table_name from information_schema.tables").fetchall()}
        for node in manifest["nodes"].values():
            if node["resource_type"] not in ("model", "seed") or node["name"] not in relations:
                continue
            if not node["description"].strip():
                missing.append(node["name"])
            documented = {name.lower() for name, column in node["columns"].items() if column["description"].strip()}
            for (column,) in con.execute(f'select column_name from information_schema.columns '
                                         f"where table_name = '{node['name']}'").fetchall():
                if column.lower() not in documented:
                    missing.append(f"{node['name']}.{column}")
    assert not missing, missing


# Key columns that are null on some rows by design: a benchmark over all platforms, tiers or niches.
NULLABLE_KEY_COLUMNS = {"fct_platform_benchmarks": {"platform", "tier", "niche"}}


def test_every_model_has_a_tested_primary_key(built):
    """Each model carries a uniqueness test (unique, or unique_combination_of_columns) and a
    not-null rule (a not_null test, or columns_valid's not_null) on every column of that key,
    but the columns that are null by design (NULLABLE_KEY_COLUMNS)."""
    warehouse, _ = built
    manifest = json.loads((warehouse.parent / "target" / "manifest.json").read_text())
    keys_of: dict[str, list[list[str]]] = {}
    not_null_of: dict[str, set[str]] = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] != "test" or not node.get("test_metadata") or not node.get("attached_node"):
            continue
        name, kwargs, model = node["test_metadata"]["name"], node["test_metadata"]["kwargs"], node["attached_node"]
        if name == "unique":
            keys_of.setdefault(model, []).append([kwargs["column_name"]])
        elif name == "unique_combination_of_columns":
            keys_of.setdefault(model, []).append(list(kwargs["combination_of_columns"]))
        elif name == "not_null":
            not_null_of.setdefault(model, set()).add(kwargs["column_name"])
        elif name == "columns_valid":
            not_null_of.setdefault(model, set()).update(kwargs.get("not_null", []))
    models = [n for n in manifest["nodes"].values() if n["resource_type"] == "model" and n["config"]["enabled"]]
    assert len(models) > 25
    lacking = {m["name"]: [sorted(set(key) - not_null_of.get(m["unique_id"], set())
                                  - NULLABLE_KEY_COLUMNS.get(m["name"], set())) for key in keys_of.get(m["unique_id"], [])]
               for m in models}
    lacking = {name: keys for name, keys in lacking.items() if not keys or all(keys)}
    assert not lacking, f"models without a key, or without a not-null rule on each of its columns: {lacking}"


def test_columns_valid_reports_each_broken_rule_once_with_its_rows(built):
    """The combined column test of a model (tests/generic/columns_valid.sql), run on the model
    plus three planted bad rows: one row per broken rule, with the number of offending rows,
    and nothing for the rules that hold."""
    warehouse, results = built
    manifest = json.loads((warehouse.parent / "target" / "manifest.json").read_text())
    model = "model.kol_warehouse.stg_weibo__audience"
    (test,) = [n for n in manifest["nodes"].values()
               if n["resource_type"] == "test" and n.get("attached_node") == model
               and n["test_metadata"]["name"] == "columns_valid"]
    assert {r["unique_id"]: r["status"] for r in results}[test["unique_id"]] == "pass"
    rules = test["test_metadata"]["kwargs"]
    assert {"account_id", "follower_id"} <= set(rules["not_null"])
    assert rules["accepted_values"]["platform"] == ["weibo"]
    assert rules["accepted_range"]["follower_followers"] == {"min_value": 0}
    relation = manifest["nodes"][model]["relation_name"]
    planted = (f"(select * from {relation} union all "
               f"(select * replace (cast(null as varchar) as account_id, -5 as follower_followers) from {relation} limit 2) "
               f"union all (select * replace ('tiktok' as platform) from {relation} limit 1))")
    sql = test["compiled_code"].replace(relation, planted)
    assert sql != test["compiled_code"]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        broken = {(column, rule): rows for column, rule, rows in con.execute(sql).fetchall()}
        assert con.execute(test["compiled_code"]).fetchall() == []
    assert broken == {("account_id", "not_null"): 2, ("follower_followers", "accepted_range"): 2,
                      ("platform", "accepted_values"): 1}
