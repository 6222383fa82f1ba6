"""The analyst guide's example queries (docs/queries/*.sql), run as an analyst runs them: against
the published read-only copy of a demo warehouse, each must return rows, and each answer must
make sense (a sanity property per question). The guide must include every query verbatim (the
data dictionary's freshness is checked in test_dbt_docs.py, against the manifest it generates)."""
from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

ROOT = Path(__file__).resolve().parents[1]
QUERIES = ROOT / "docs" / "queries"
GUIDE = ROOT / "docs" / "analyst-guide.md"


@pytest.fixture(scope="module")
def published(analyst_published) -> Path:
    """The demo warehouse (tests/analyst_fixtures.py) published as analysts get it: tables only,
    no view over the lake, so a query that reads a staging view fails here."""
    return Path(analyst_published)


def run_query(path: Path, database: Path, replace: dict[str, str] | None = None) -> list[dict]:
    sql = path.read_text(encoding="utf-8")
    for old, new in (replace or {}).items():
        assert old in sql, f"{path.name} no longer holds {old!r}"
        sql = sql.replace(old, new)
    with duckdb.connect(str(database), read_only=True) as con:
        cursor = con.execute(sql)
        columns = [d[0] for d in cursor.description]
        return [dict(zip(columns, row)) for row in cursor.fetchall()]


def query_files() -> list[Path]:
    return sorted(QUERIES.glob("*.sql"))


def test_every_query_has_a_question_and_how_to_read_it():
    assert len(query_files()) >= 6
    for path in query_files():
        header = path.read_text(encoding="utf-8").split("\nwith ", 1)[0]
        assert header.startswith("-- Question: "), path.name
        assert "-- How to read the answer: " in header, path.name


@pytest.mark.parametrize("path", query_files(), ids=lambda p: p.stem)
def test_every_example_query_returns_rows_on_the_published_warehouse(published, path):
    rows = run_query(path, published / "warehouse.duckdb")
    assert rows, f"{path.name} returned no row on the demo warehouse"


def test_the_most_credible_kols_are_ranked_within_platform_niche_and_tier(published):
    rows = run_query(QUERIES / "top_credible_kols.sql", published / "warehouse.duckdb")
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        groups.setdefault((row["platform"], row["niche"], row["tier"]), []).append(row)
    assert len({platform for platform, _, _ in groups}) >= 2
    for key, members in groups.items():
        assert [m["rank_in_group"] for m in members] == list(range(1, len(members) + 1)), key
        assert len(members) <= 3 and len(members) == min(3, members[0]["peers"]), key
        scores = [m["credibility_score"] for m in members]
        assert scores == sorted(scores, reverse=True) and all(0 <= s <= 100 for s in scores), key


def test_talking_and_listening_judges_kols_against_their_platform(published):
    rows = run_query(QUERIES / "talking_and_listening.sql", published / "warehouse.duckdb")
    assert all(r["follower_comments"] >= 20 for r in rows)
    assert [r["reply_rate"] for r in rows] == sorted((r["reply_rate"] for r in rows), reverse=True)
    for row in rows:
        if row["reply_rate"] != row["platform_median_reply_rate"]:  # rounded alike: either side
            above = row["reply_rate"] > row["platform_median_reply_rate"]
            assert row["listening"].startswith("listens more") == above, row
    assert {r["listening"] for r in rows} == {"listens more than most of its platform",
                                              "listens less than most of its platform"}


def test_eastern_kols_reply_more_often_and_sooner_than_western_ones(published):
    rows = run_query(QUERIES / "eastern_vs_western_reciprocity.sql", published / "warehouse.duckdb")
    regions = {r["region"]: r for r in rows if r["platform"] == "all platforms"}
    assert set(regions) == {"East", "West"}
    east, west = regions["East"], regions["West"]
    assert east["pooled_reply_rate"] > 2 * west["pooled_reply_rate"]
    assert east["median_kol_reply_rate"] > west["median_kol_reply_rate"]
    assert east["median_reply_latency_hours"] < west["median_reply_latency_hours"]
    # the region rows are the sums of their platforms' rows
    for region, total in regions.items():
        platforms = [r for r in rows if r["region"] == region and r["platform"] != "all platforms"]
        assert sum(p["follower_comments"] for p in platforms) == total["follower_comments"]


def test_suspicious_growth_lists_unbacked_jumps_of_the_last_30_days(published):
    rows = run_query(QUERIES / "suspicious_growth_30d.sql", published / "warehouse.duckdb")
    with duckdb.connect(str(published / "warehouse.duckdb"), read_only=True) as con:
        last = con.execute("select max(date_day) from fct_followers_daily").fetchone()[0]
        flagged = con.execute("select count(*) from fct_followers_daily where is_suspicious_growth "
                              "and date_day > ?::date - 30", [last]).fetchone()[0]
    assert len(rows) == flagged
    for row in rows:
        assert last - timedelta(days=30) < row["date_day"] <= last
        assert row["daily_follower_growth"] > 0.05 and row["net_follower_change"] >= 50
        assert row["provisional"] or row["engagement_multiple"] < 2


def test_one_person_is_compared_across_platforms(published):
    rows = run_query(QUERIES / "one_person_across_platforms.sql", published / "warehouse.duckdb")
    assert len({r["kol_identity"] for r in rows}) == 1
    assert len({r["platform"] for r in rows}) == len(rows) >= 2
    assert all(r["credibility_score"] is not None for r in rows)
    # naming the person picks that person, whoever has most accounts
    person = rows[0]["kol_identity"]
    named = run_query(QUERIES / "one_person_across_platforms.sql", published / "warehouse.duckdb",
                      {"cast(null as varchar) as person": f"'{person}' as person"})
    assert [r["account_key"] for r in named] == [r["account_key"] for r in rows]


def _shortlist(database: Path, **replace: str) -> list[dict]:
    return run_query(QUERIES / "brand_shortlist.sql", database, replace)


def test_brand_shortlist_passes_every_threshold_and_asks_for_unknown_prices(published):
    rows = _shortlist(published / "warehouse.duckdb")
    assert rows
    for row in rows:
        assert row["credibility_score"] >= 60 and row["audience_real_share"] >= 0.85
        assert row["conversion_rate"] is None or row["conversion_rate"] >= 0.02
    # the rate card ships empty: every KOL is one to ask
    assert {r["price_status"] for r in rows} == {"ask for a quote"}
    for row in rows:
        assert (row["conversion_rate"] is None) == (row["evidence"] == "no sales data in the window"), row
    proven = _shortlist(published / "warehouse.duckdb", **{"true as keep_unknown_conversion":
                                                             "false as keep_unknown_conversion"})
    assert [r["account_key"] for r in proven] == [r["account_key"] for r in rows if r["conversion_rate"] is not None]
    # sales are known only where the brands' commerce files were dropped in the inbox
    with duckdb.connect(str(published / "warehouse.duckdb"), read_only=True) as con:
        sold = con.execute("select count(*) from fct_post_commerce_daily").fetchone()[0]
    assert bool(proven) == bool(sold)


def test_brand_shortlist_keeps_known_prices_within_budget_and_ranks_them_first(published, tmp_path):
    """A demo rate card dropped in: dbt carries kol_rate_card's price into
    fct_account_commerce_daily.price_per_post (its own unit test covers that lookup), so the
    copy's mart gets the prices dbt would give, and the query's budget logic is what is tested."""
    database = tmp_path / "priced.duckdb"
    shutil.copy(published / "warehouse.duckdb", database)
    keys = [r["account_key"] for r in _shortlist(published / "warehouse.duckdb")]
    assert len(keys) >= 3, "the demo shortlist is too short to price"
    cheap, dear, foreign = keys[:3]
    prices = {cheap: (5000, "CNY", 2.5), dear: (50000, "CNY", 0.5), foreign: (100, "EUR", 0.1)}
    with duckdb.connect(str(database)) as con:
        for key, (price, currency, cpe) in prices.items():
            con.execute("update fct_account_commerce_daily set price_per_post = ?, price_currency = ?, "
                        "cost_per_engagement = ? where account_key = ?", [price, currency, cpe, key])
    rows = _shortlist(database)
    statuses = {r["account_key"]: r["price_status"] for r in rows}
    assert statuses[cheap] == "within budget" and rows[0]["account_key"] == cheap
    assert dear not in statuses, "over the CNY budget"
    assert foreign not in statuses, "no budget in EUR"
    assert set(statuses.values()) == {"within budget", "ask for a quote"}


def test_the_guide_includes_every_query_verbatim():
    guide = GUIDE.read_text(encoding="utf-8")
    for path in query_files():
        assert path.read_text(encoding="utf-8").strip() in guide, \
            f"{path.name} changed: run python scripts/dbt_docs.py refresh"
    assert "duckdb -readonly data/published/warehouse.duckdb" in guide


def test_the_guide_s_python_snippets_read_the_published_copy(published):
    """The guide's DuckDB-over-Parquet snippet, with the published directory swapped in."""
    marts = published / "marts"
    with duckdb.connect() as con:
        rows = con.execute(f"""select platform, count(*) from read_parquet('{marts}/fct_kol_credibility_daily.parquet')
                               group by platform""").fetchall()
    assert rows
    with duckdb.connect(str(published / "warehouse.duckdb"), read_only=True) as con:
        with pytest.raises(duckdb.Error, match="read-only"):
            con.execute("create table scratch as select 1")
